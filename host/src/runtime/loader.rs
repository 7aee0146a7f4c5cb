//! Loading a connector: read and hash the component, compile it (or take the
//! cached native code), link it against what the contract allows, run
//! `describe()` under limits and validate the answer.

use super::Runtime;
use super::bindings::ConnectorPre;
use super::cache;
use super::connector::{CallContext, LoadedConnector, Sandbox};
use super::description;
use super::error::LoadError;
use super::gate::UpstreamGate;
use super::manifest::ConnectorSource;
use super::outbound::OutboundPolicy;
use std::sync::Arc;

/// Largest component accepted.
const MAX_COMPONENT_BYTES: u64 = 64 << 20;

impl Runtime {
    /// Loads one connector.
    ///
    /// # Errors
    /// A [`LoadError`] listing what is wrong: unreadable or oversized file, not a
    /// component, imports outside the contract, missing exports, a description
    /// that breaks the rules, a name that differs from the manifest's, limits
    /// above the platform's maximum.
    pub async fn load(&self, source: &ConnectorSource) -> Result<LoadedConnector, LoadError> {
        let name = source.manifest.name.clone();
        let fail = |p: String| LoadError::one(&name, p);
        let path = &source.wasm_path;
        let size = std::fs::metadata(path)
            .map_err(|e| fail(format!("cannot read component {}: {e}", path.display())))?
            .len();
        if size > MAX_COMPONENT_BYTES {
            return Err(fail(format!(
                "component {} is {size} bytes; the limit is {MAX_COMPONENT_BYTES}",
                path.display()
            )));
        }
        let wasm = std::fs::read(path)
            .map_err(|e| fail(format!("cannot read component {}: {e}", path.display())))?;
        let sha256 = cache::sha256_hex(&wasm);

        let engine = self.engine.clone();
        let cache_dir = self.settings.cache_dir.clone();
        let hash = sha256.clone();
        let component = tokio::task::spawn_blocking(move || {
            cache::load(&engine, &wasm, &hash, cache_dir.as_deref())
        })
        .await
        .map_err(|e| fail(format!("compilation task failed: {e}")))?
        .map_err(|e| fail(format!("not a valid WebAssembly component: {e:#}")))?;

        let instance_pre = self.linker.instantiate_pre(&component).map_err(|e| {
            fail(format!(
                "imports something the lgsp:connector contract does not provide: {e:#}"
            ))
        })?;
        let pre = ConnectorPre::new(instance_pre).map_err(|e| {
            fail(format!(
                "does not implement the lgsp:connector world: {e:#}"
            ))
        })?;

        let limits = self
            .settings
            .default_limits
            .with_overrides(&source.manifest.limits);
        let mut problems = Vec::new();
        if limits.memory_bytes > self.settings.engine.max_memory_bytes {
            problems.push(format!(
                "asks for {} MiB of memory; the platform allows at most {} MiB",
                limits.memory_bytes >> 20,
                self.settings.engine.max_memory_bytes >> 20
            ));
        }
        let policy = OutboundPolicy::new(
            &source.manifest.upstream.allowed_hosts,
            source.manifest.upstream.allow_private_addresses,
            limits.max_response_bytes,
            limits.call_timeout,
        )
        .unwrap_or_else(|p| {
            problems.extend(p);
            OutboundPolicy::new(&[], false, 0, limits.call_timeout)
                .unwrap_or_else(|_| unreachable!())
        });
        problems.extend(source.manifest.upstream.limits.problems());
        problems.extend(source.manifest.monitor.problems());
        if !problems.is_empty() {
            return Err(LoadError { name, problems });
        }

        let sandbox = Sandbox {
            name: name.as_str().into(),
            pre,
            limits,
            config: Arc::new(source.manifest.config.clone()),
            policy: Arc::new(policy),
            gate: Arc::new(UpstreamGate::new(&source.manifest.upstream.limits)),
            upstream_limits: source.manifest.upstream.limits.clone(),
            // A manifest may lower the operator's ceiling, never raise it.
            max_calls_per_query: {
                let platform = self
                    .settings
                    .max_upstream_calls_per_query
                    .unwrap_or(super::DEFAULT_MAX_UPSTREAM_CALLS);
                source
                    .manifest
                    .upstream
                    .limits
                    .max_calls_per_query
                    .map_or(platform, |m| m.min(platform))
            },
            catalogs: self.settings.catalogs.clone(),
            upstream_secret: self
                .settings
                .upstream_signing
                .map(|base| crate::auth::upstream_secret(&base, &name).into()),
            provider: source.manifest.provider.clone(),
            monitor: source.manifest.monitor.clone(),
        };
        let raw = sandbox
            .describe(&CallContext::platform(format!("load-{name}")))
            .await
            .map_err(|e| fail(format!("describe() failed: {e}")))?;
        let info = description::validate(raw).map_err(|problems| LoadError {
            name: name.clone(),
            problems,
        })?;
        if info.name != name {
            return Err(fail(format!(
                "the component calls itself {:?} but its manifest says {name:?}",
                info.name
            )));
        }
        if let Some(expected) = source
            .manifest
            .version
            .as_ref()
            .filter(|v| **v != info.version)
        {
            return Err(fail(format!(
                "the component is version {} but its manifest expects {expected}",
                info.version
            )));
        }
        tracing::info!(connector = %name, version = %info.version, sha256 = %sha256,
            tables = info.tables.len(), "connector loaded");
        Ok(LoadedConnector {
            sandbox,
            info,
            sha256,
        })
    }
}
