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
use super::manifest::{ConnectorSource, Manifest};
use super::outbound::OutboundPolicy;
use super::store::StoreState;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmtime::component::Component;

/// Largest component accepted.
pub const MAX_COMPONENT_BYTES: u64 = 64 << 20;

impl Runtime {
    /// Loads one connector from its manifest file's component.
    ///
    /// # Errors
    /// A [`LoadError`] listing what is wrong: unreadable or oversized file,
    /// and everything [`Runtime::load_component`] checks.
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
        self.load_component(&source.manifest, wasm, &BTreeMap::new())
            .await
    }

    /// Validates and loads a component: it must be within the size cap, compile,
    /// import nothing the contract does not provide, export the connector
    /// world, and describe itself (within its limits) with well-formed tables
    /// under the manifest's name and version. `config` overrides the
    /// manifest's `[config]` values (what a provider or admin stored).
    ///
    /// # Errors
    /// A [`LoadError`] with every problem found: checks that do not depend on
    /// each other all run, so a publisher sees the whole list at once.
    pub async fn load_component(
        &self,
        manifest: &Manifest,
        wasm: Vec<u8>,
        config: &BTreeMap<String, String>,
    ) -> Result<LoadedConnector, LoadError> {
        let name = manifest.name.clone();
        let (component, sha256) = self
            .compile_checked(wasm)
            .await
            .map_err(|p| LoadError::one(&name, p))?;
        let (pre, mut problems) = self.check_contract(&component);

        let limits = self
            .settings
            .default_limits
            .with_overrides(&manifest.limits);
        if limits.memory_bytes > self.settings.engine.max_memory_bytes {
            problems.push(format!(
                "asks for {} MiB of memory; the platform allows at most {} MiB",
                limits.memory_bytes >> 20,
                self.settings.engine.max_memory_bytes >> 20
            ));
        }
        let policy = OutboundPolicy::new(
            &manifest.upstream.allowed_hosts,
            manifest.upstream.allow_private_addresses,
            limits.max_response_bytes,
            limits.call_timeout,
        )
        .unwrap_or_else(|p| {
            problems.extend(p);
            OutboundPolicy::new(&[], false, 0, limits.call_timeout)
                .unwrap_or_else(|_| unreachable!())
        });
        problems.extend(manifest.upstream.limits.problems());
        problems.extend(manifest.monitor.problems());
        let Some(pre) = pre else {
            return Err(LoadError { name, problems });
        };

        let mut values = manifest.config.clone();
        values.extend(config.iter().map(|(k, v)| (k.clone(), v.clone())));
        let sandbox = Sandbox {
            name: name.as_str().into(),
            pre,
            limits,
            config: Arc::new(values),
            policy: Arc::new(policy),
            gate: Arc::new(UpstreamGate::new(&manifest.upstream.limits)),
            upstream_limits: manifest.upstream.limits.clone(),
            // A manifest may lower the operator's ceiling, never raise it.
            max_calls_per_query: {
                let platform = self
                    .settings
                    .max_upstream_calls_per_query
                    .unwrap_or(super::DEFAULT_MAX_UPSTREAM_CALLS);
                manifest
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
            provider: manifest.provider.clone(),
            monitor: manifest.monitor.clone(),
            switch: self.switches.get(&name),
        };
        let info = match sandbox
            .describe(&CallContext::platform(format!("load-{name}")))
            .await
        {
            Err(e) => {
                problems.push(format!("describe() failed: {e}"));
                None
            }
            Ok(raw) => match description::validate(raw) {
                Err(found) => {
                    problems.extend(found);
                    None
                }
                Ok(info) => Some(info),
            },
        };
        if let Some(info) = &info {
            if info.name != name {
                problems.push(format!(
                    "the component calls itself {:?} but its manifest says {name:?}",
                    info.name
                ));
            }
            if let Some(expected) = manifest.version.as_ref().filter(|v| **v != info.version) {
                problems.push(format!(
                    "the component is version {} but its manifest expects {expected}",
                    info.version
                ));
            }
        }
        let Some(info) = info.filter(|_| problems.is_empty()) else {
            return Err(LoadError { name, problems });
        };
        tracing::info!(connector = %name, version = %info.version, sha256 = %sha256,
            tables = info.tables.len(), "connector loaded");
        Ok(LoadedConnector {
            sandbox,
            info,
            sha256,
        })
    }

    /// The component and its SHA-256, within the size cap and compiled.
    async fn compile_checked(&self, wasm: Vec<u8>) -> Result<(Component, String), String> {
        if wasm.len() as u64 > MAX_COMPONENT_BYTES {
            return Err(format!(
                "the component is {} bytes; the limit is {MAX_COMPONENT_BYTES}",
                wasm.len()
            ));
        }
        let sha256 = cache::sha256_hex(&wasm);
        let component = self.compile(wasm, &sha256).await?;
        Ok((component, sha256))
    }

    /// The compiled component: from memory when this process compiled it
    /// already (a version swapped back in, a configuration change), else
    /// from the disk cache or the compiler.
    async fn compile(&self, wasm: Vec<u8>, sha256: &str) -> Result<Component, String> {
        if let Some(c) = self.compiled(sha256) {
            return Ok(c);
        }
        let engine = self.engine.clone();
        let cache_dir = self.settings.cache_dir.clone();
        let hash = sha256.to_owned();
        let component = tokio::task::spawn_blocking(move || {
            cache::load(&engine, &wasm, &hash, cache_dir.as_deref())
        })
        .await
        .map_err(|e| format!("compilation task failed: {e}"))?
        .map_err(|e| format!("not a valid WebAssembly component: {e:#}"))?;
        self.components
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(sha256.to_owned(), component.clone());
        Ok(component)
    }

    fn compiled(&self, sha256: &str) -> Option<Component> {
        self.components
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(sha256)
            .cloned()
    }

    /// What can be learnt of a component without running it: whether it
    /// compiles, imports only what the contract provides and exports the
    /// connector world. For uploads whose signature does not check out.
    pub async fn inspect(&self, wasm: Vec<u8>) -> Vec<String> {
        let component = match self.compile_checked(wasm).await {
            Ok((c, _)) => c,
            Err(e) => return vec![e],
        };
        self.check_contract(&component).1
    }

    /// Whether `component` fits the contract: imports nothing beyond it
    /// (every foreign import named) and exports the connector world. The
    /// template to instantiate when it does.
    fn check_contract(
        &self,
        component: &Component,
    ) -> (Option<ConnectorPre<StoreState>>, Vec<String>) {
        let mut problems = foreign_imports(&self.engine, component);
        let pre = match self.linker.instantiate_pre(component) {
            Ok(instance_pre) => match ConnectorPre::new(instance_pre) {
                Ok(pre) => Some(pre),
                Err(e) => {
                    problems.push(format!(
                        "does not implement the lgsp:connector world: {e:#}"
                    ));
                    None
                }
            },
            // The linker names only the first missing import; keep its
            // message when the import check found nothing itself.
            Err(e) => {
                if problems.is_empty() {
                    problems.push(format!(
                        "imports something the lgsp:connector contract does not provide: {e:#}"
                    ));
                }
                None
            }
        };
        (pre, problems)
    }

    /// The kill switch of connector `name` (shared by all its versions).
    pub fn kill_switch(&self, name: &str) -> Arc<super::switch::KillSwitch> {
        self.switches.get(name)
    }
}

/// Every import outside what the contract allows (WASI and
/// `lgsp:connector`), named, so that a rejection lists all of them rather
/// than the first one the linker trips on.
fn foreign_imports(engine: &wasmtime::Engine, component: &Component) -> Vec<String> {
    component
        .component_type()
        .imports(engine)
        .map(|(name, _)| name.to_owned())
        .filter(|name| !(name.starts_with("wasi:") || name.starts_with("lgsp:connector/")))
        .map(|name| {
            format!(
                "imports {name}, which the lgsp:connector contract does not provide (allowed: wasi:* and lgsp:connector/*)"
            )
        })
        .collect()
}
