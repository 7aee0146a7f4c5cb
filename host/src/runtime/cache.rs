//! Compiles components once and keeps the native code on disk, so that start-up
//! after the first run and every request path do no compilation.
// Loading precompiled native code is `unsafe` in wasmtime; see the SAFETY notes.
#![allow(unsafe_code)]

use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::Path;
use wasmtime::Engine;
use wasmtime::component::Component;

/// SHA-256 of a component, hex-encoded.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn engine_fingerprint(engine: &Engine) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Compiles `wasm` or loads its cached native code.
///
/// # Errors
/// When the bytes are not a valid component (compilation error).
pub(crate) fn load(
    engine: &Engine,
    wasm: &[u8],
    sha256: &str,
    cache_dir: Option<&Path>,
) -> wasmtime::Result<Component> {
    let Some(dir) = cache_dir else {
        return Component::new(engine, wasm);
    };
    let path = dir.join(format!("{sha256}-{}.cwasm", engine_fingerprint(engine)));
    if path.exists() {
        // SAFETY: the file lives in the platform's own data directory, is named
        // by the SHA-256 of the source and this engine's fingerprint, and was
        // written by `store` below from `Engine::precompile_component`. The data
        // directory is trusted like the binary (docs/operations.md). wasmtime
        // still checks the header, version and engine settings and errors on a
        // mismatch, in which case we recompile.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => return Ok(component),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "stale compiled component, recompiling")
            }
        }
    }
    let native = engine.precompile_component(wasm)?;
    if let Err(e) = store(dir, &path, &native) {
        tracing::warn!(path = %path.display(), error = %e, "cannot cache compiled component");
    }
    // SAFETY: `native` was produced by `precompile_component` on this engine
    // just above.
    unsafe { Component::deserialize(engine, &native) }
}

fn store(dir: &Path, path: &Path, native: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, native)?;
    std::fs::rename(&tmp, path)
}
