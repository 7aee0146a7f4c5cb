//! The platform's configuration: one struct that is both the `lgsp serve` flags
//! (with `LGSP_*` environment variables) and the `lgsp.toml` file. Precedence:
//! file < environment < flag. Every field has a default that works for the demo.

use crate::query::QuerySettings;
use crate::runtime::{EngineSettings, Limits, RuntimeSettings};
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Platform settings.
#[derive(Debug, Clone, Default, clap::Args, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP API listens on [default: 127.0.0.1:8080].
    #[arg(long, env = "LGSP_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Directory of connector manifests (`*.toml`, each naming its `.wasm`)
    /// [default: connectors.d].
    #[arg(long, env = "LGSP_CONNECTORS_DIR")]
    pub connectors_dir: Option<PathBuf>,
    /// Directory for the platform's own data, such as compiled connectors
    /// [default: .lgsp-data].
    #[arg(long, env = "LGSP_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Wall-clock limit of one SQL query, in seconds [default: 30, the
    /// regulation's response-time ceiling].
    #[arg(long, env = "LGSP_QUERY_TIMEOUT_SECS")]
    pub query_timeout_secs: Option<u64>,
    /// Memory one SQL query may use, in MiB [default: 256].
    #[arg(long, env = "LGSP_QUERY_MEMORY_MIB")]
    pub query_memory_mib: Option<u64>,
    /// Parallelism inside one SQL query [default: 1].
    #[arg(long, env = "LGSP_QUERY_PARTITIONS")]
    pub query_partitions: Option<usize>,
    /// Connector instances alive at once [default: 128].
    #[arg(long, env = "LGSP_MAX_INSTANCES")]
    pub max_instances: Option<u32>,
    /// Default deadline of one call into a connector, in ms [default: 5000].
    #[arg(long, env = "LGSP_CALL_TIMEOUT_MS")]
    pub call_timeout_ms: Option<u64>,
    /// Default memory limit of a connector instance, in MiB [default: 64].
    #[arg(long, env = "LGSP_CONNECTOR_MEMORY_MIB")]
    pub connector_memory_mib: Option<u64>,
    /// Default cap on the bytes one scan may return, in MiB [default: 64].
    #[arg(long, env = "LGSP_CONNECTOR_OUTPUT_MIB")]
    pub connector_output_mib: Option<u64>,
    /// Largest memory limit a manifest may ask for, in MiB [default: 512].
    #[arg(long, env = "LGSP_MAX_CONNECTOR_MEMORY_MIB")]
    pub max_connector_memory_mib: Option<u64>,
    /// Upstream calls one SQL query may make to one agency system, unless
    /// the connector's manifest sets its own [default: 200].
    #[arg(long, env = "LGSP_MAX_UPSTREAM_CALLS")]
    pub max_upstream_calls_per_query: Option<u32>,
    /// Keys a join may hand to one connector table as a lookup list; a join
    /// with more distinct keys is refused [default: 10000].
    #[arg(long, env = "LGSP_MAX_LOOKUP_KEYS")]
    pub max_lookup_keys: Option<usize>,
    /// The platform database (SQLite file): shared catalogs and, later,
    /// agencies, keys and the audit log [default: <data_dir>/lgsp.db].
    #[arg(long, env = "LGSP_DATABASE")]
    pub database: Option<PathBuf>,
    /// File holding the platform's master key (32 random bytes, base64),
    /// which encrypts HMAC secrets at rest and derives the session and
    /// upstream signing keys. Created on first start if missing; every node
    /// of one platform needs the same one. Back it up: without it, issued
    /// secret keys cannot be verified [default: <data_dir>/master.key].
    #[arg(long, env = "LGSP_MASTER_KEY_FILE")]
    pub master_key_file: Option<PathBuf>,
    /// Lifetime of a session key, in seconds [default: 1800].
    #[arg(long, env = "LGSP_SESSION_TTL_SECS")]
    pub session_ttl_secs: Option<u64>,
    /// The audit database (SQLite file): the hash-chained log, its signed
    /// checkpoints and the health history [default: next to the platform
    /// database, `lgsp.db` → `lgsp-audit.db`].
    #[arg(long, env = "LGSP_AUDIT_DATABASE")]
    pub audit_database: Option<PathBuf>,
    /// Days audit entries are kept; older ones are removed once a signed
    /// checkpoint covers them [default: 730].
    #[arg(long, env = "LGSP_AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: Option<u64>,
    /// Seconds between signed checkpoints of the audit log [default: 60].
    #[arg(long, env = "LGSP_AUDIT_SEAL_SECS")]
    pub audit_seal_secs: Option<u64>,
    /// Seconds between health checks of a connector, unless its manifest's
    /// `[monitor] interval_secs` says otherwise [default: 30].
    #[arg(long, env = "LGSP_MONITOR_INTERVAL_SECS")]
    pub monitor_interval_secs: Option<u64>,
    /// Consecutive failed checks before a service is declared offline
    /// [default: 3].
    #[arg(long, env = "LGSP_MONITOR_FAILURES_TO_OFFLINE")]
    pub monitor_failures_to_offline: Option<u32>,
    /// Consecutive good checks before it is online again [default: 2].
    #[arg(long, env = "LGSP_MONITOR_SUCCESSES_TO_ONLINE")]
    pub monitor_successes_to_online: Option<u32>,
    /// Days of health history kept; at least 90, the regulation's 3 months
    /// [default: 90].
    #[arg(long, env = "LGSP_MONITOR_RETENTION_DAYS")]
    pub monitor_retention_days: Option<u64>,
    /// Webhooks (http://) the admins are notified on when a service goes
    /// offline or comes back; bodies are signed with the platform key.
    #[arg(
        long = "monitor-webhook",
        env = "LGSP_MONITOR_WEBHOOKS",
        value_delimiter = ','
    )]
    pub monitor_webhooks: Option<Vec<String>>,
}

/// A configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this struct.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong, with line and column.
        message: String,
    },
}

macro_rules! overlay {
    ($base:ident, $over:ident, $($field:ident),* $(,)?) => {
        Config { $($field: $over.$field.or($base.$field)),* }
    };
}

impl Config {
    /// Reads a TOML file.
    ///
    /// # Errors
    /// When it cannot be read or parsed.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: crate::runtime::toml_error(&text, &e),
        })
    }

    /// `over`'s values where set, else `self`'s.
    pub fn overlay(self, over: Config) -> Config {
        let base = self;
        overlay!(
            base,
            over,
            listen,
            connectors_dir,
            data_dir,
            query_timeout_secs,
            query_memory_mib,
            query_partitions,
            max_instances,
            call_timeout_ms,
            connector_memory_mib,
            connector_output_mib,
            max_connector_memory_mib,
            max_upstream_calls_per_query,
            max_lookup_keys,
            database,
            master_key_file,
            session_ttl_secs,
            audit_database,
            audit_retention_days,
            audit_seal_secs,
            monitor_interval_secs,
            monitor_failures_to_offline,
            monitor_successes_to_online,
            monitor_retention_days,
            monitor_webhooks,
        )
    }

    /// The listen address.
    pub fn listen(&self) -> SocketAddr {
        self.listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }

    /// The connectors directory.
    pub fn connectors_dir(&self) -> PathBuf {
        self.connectors_dir
            .clone()
            .unwrap_or_else(|| "connectors.d".into())
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| ".lgsp-data".into())
    }

    /// The platform database file.
    pub fn database(&self) -> PathBuf {
        self.database
            .clone()
            .unwrap_or_else(|| self.data_dir().join("lgsp.db"))
    }

    /// The master key file.
    pub fn master_key_file(&self) -> PathBuf {
        self.master_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir().join("master.key"))
    }

    /// The audit database file.
    pub fn audit_database(&self) -> PathBuf {
        self.audit_database.clone().unwrap_or_else(|| {
            // Derived from the platform database, so that every platform
            // database (each test's, each node's) gets its own log.
            let db = self.database();
            let stem = db
                .file_stem()
                .map_or_else(|| "lgsp".into(), |s| s.to_string_lossy().into_owned());
            db.with_file_name(format!("{stem}-audit.db"))
        })
    }

    /// Audit settings derived from this configuration.
    pub fn audit_settings(&self) -> crate::audit::AuditSettings {
        let defaults = crate::audit::AuditSettings::default();
        crate::audit::AuditSettings {
            retention: self.audit_retention_days.map_or(defaults.retention, |d| {
                Duration::from_secs(d.max(1) * 86_400)
            }),
            seal_every: self
                .audit_seal_secs
                .map_or(defaults.seal_every, |s| Duration::from_secs(s.max(1))),
        }
    }

    /// Health-monitoring settings derived from this configuration.
    pub fn monitor_settings(&self) -> crate::monitor::MonitorSettings {
        use crate::monitor::MonitorSettings as S;
        let d = S::default();
        S {
            default_interval: self.monitor_interval_secs.map_or(d.default_interval, |s| {
                Duration::from_secs(s.clamp(1, 86_400))
            }),
            failures_to_offline: self
                .monitor_failures_to_offline
                .unwrap_or(d.failures_to_offline)
                .max(1),
            successes_to_online: self
                .monitor_successes_to_online
                .unwrap_or(d.successes_to_online)
                .max(1),
            retention: self
                .monitor_retention_days
                .map_or(d.retention, |n| {
                    Duration::from_secs(n.saturating_mul(86_400))
                })
                .max(S::MIN_RETENTION),
            admin_webhooks: self.monitor_webhooks.clone().unwrap_or_default(),
            ..d
        }
    }

    /// Authentication settings derived from this configuration.
    pub fn auth_settings(&self) -> crate::auth::AuthSettings {
        let defaults = crate::auth::AuthSettings::default();
        crate::auth::AuthSettings {
            session_ttl: self
                .session_ttl_secs
                .map_or(defaults.session_ttl, Duration::from_secs),
            ..defaults
        }
    }

    /// Runtime settings derived from this configuration.
    pub fn runtime_settings(&self) -> RuntimeSettings {
        let mib = |v: u64| usize::try_from(v.saturating_mul(1 << 20)).unwrap_or(usize::MAX);
        let engine_defaults = EngineSettings::default();
        let limit_defaults = Limits::default();
        RuntimeSettings {
            engine: EngineSettings {
                max_instances: self.max_instances.unwrap_or(engine_defaults.max_instances),
                max_memory_bytes: self
                    .max_connector_memory_mib
                    .map_or(engine_defaults.max_memory_bytes, mib),
                ..engine_defaults
            },
            default_limits: Limits {
                call_timeout: self
                    .call_timeout_ms
                    .map_or(limit_defaults.call_timeout, Duration::from_millis),
                memory_bytes: self
                    .connector_memory_mib
                    .map_or(limit_defaults.memory_bytes, mib),
                max_output_bytes: self
                    .connector_output_mib
                    .map_or(limit_defaults.max_output_bytes, |v| {
                        v.saturating_mul(1 << 20)
                    }),
                ..limit_defaults
            },
            cache_dir: Some(self.data_dir().join("compiled")),
            max_upstream_calls_per_query: self.max_upstream_calls_per_query,
            // The server sets the catalogs and the signing key once it has
            // opened the platform database.
            catalogs: Default::default(),
            upstream_signing: None,
        }
    }

    /// Query settings derived from this configuration.
    pub fn query_settings(&self) -> QuerySettings {
        let defaults = QuerySettings::default();
        QuerySettings {
            timeout: self
                .query_timeout_secs
                .map_or(defaults.timeout, Duration::from_secs),
            memory_limit_bytes: self
                .query_memory_mib
                .map_or(defaults.memory_limit_bytes, |v| {
                    usize::try_from(v.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
                }),
            target_partitions: self
                .query_partitions
                .map_or(defaults.target_partitions, |p| p.max(1)),
            max_lookup_keys: self
                .max_lookup_keys
                .map_or(defaults.max_lookup_keys, |k| k.max(1)),
            ..defaults
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_file_and_defaults_fill_the_rest() {
        let file: Config =
            toml::from_str("listen = '0.0.0.0:9000'\nquery_timeout_secs = 10").expect("valid");
        let flags = Config {
            query_timeout_secs: Some(5),
            ..Config::default()
        };
        let c = file.overlay(flags);
        assert_eq!(c.listen().port(), 9000);
        assert_eq!(c.query_settings().timeout, Duration::from_secs(5));
        assert_eq!(c.query_settings().target_partitions, 1);
        let c = c.overlay(Config {
            query_partitions: Some(4),
            ..Config::default()
        });
        assert_eq!(c.query_settings().target_partitions, 4);
        assert_eq!(c.connectors_dir(), PathBuf::from("connectors.d"));
        assert_eq!(c.runtime_settings().default_limits.memory_bytes, 64 << 20);
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(toml::from_str::<Config>("listn = '0.0.0.0:1'").is_err());
    }
}
