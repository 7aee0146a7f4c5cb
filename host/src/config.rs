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
    /// Bearer token that admin routes (catalog imports, publishing) require.
    /// Admin routes answer 403 while it is unset. Replaced by signed admin
    /// keys with the agencies-and-keys work.
    #[arg(long, env = "LGSP_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
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
            admin_token,
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
            // The server sets the catalogs once it has opened them.
            catalogs: Default::default(),
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
