//! A connector's manifest: which component, where it may connect, what
//! configuration it gets and the limits it runs under.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `<name>.toml` next to (or pointing at) the connector's `.wasm`.
///
/// ```toml
/// name = "dan_cu"
/// version = "0.1.0"
/// component = "lgsp_connector_dan_cu.wasm"
///
/// [upstream]
/// allowed_hosts = ["10.20.0.5:8443"]
///
/// [upstream.limits]
/// max_concurrent = 4
/// requests_per_second = 20
/// lookup_batch = 100
///
/// [config]
/// base_url = "http://10.20.0.5:8443"
/// api_key = "..."
///
/// [limits]
/// call_timeout_ms = 5000
/// memory_mib = 64
///
/// [monitor]
/// interval_secs = 60
/// webhook = "http://10.20.0.9/lgsp-status"
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The SQL schema name; must equal the name the component describes.
    pub name: String,
    /// The version the administrator expects; when set, the component must
    /// describe itself with exactly this version or it is not loaded.
    #[serde(default)]
    pub version: Option<String>,
    /// Path of the component, relative to the manifest's directory; absent
    /// in a published manifest (the component is uploaded with it).
    #[serde(default)]
    pub component: PathBuf,
    /// Code of the agency that provides this service (it approves grants on
    /// it); must be registered (`lgsp admin agency create`).
    #[serde(default)]
    pub provider: Option<String>,
    /// Where the connector may connect.
    #[serde(default)]
    pub upstream: UpstreamPolicy,
    /// Values the connector reads through `host.config`.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Limits; absent values take the platform's defaults.
    #[serde(default)]
    pub limits: LimitOverrides,
    /// How the platform watches this service's health.
    #[serde(default)]
    pub monitor: MonitorPolicy,
}

/// How the platform watches one service (`[monitor]` in the manifest).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MonitorPolicy {
    /// Seconds between level-2 health checks; absent: the platform's default.
    pub interval_secs: Option<u64>,
    /// Where the provider is told (signed JSON POST) that the service went
    /// offline or came back.
    pub webhook: Option<String>,
}

impl MonitorPolicy {
    /// Shortest and longest check interval a manifest may ask for: often
    /// enough to notice an outage within minutes, rarely enough not to load
    /// the agency's system.
    pub const INTERVAL_SECS: std::ops::RangeInclusive<u64> = 5..=86_400;

    /// What is wrong with these values, for the load report.
    pub(crate) fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(secs) = self.interval_secs
            && !Self::INTERVAL_SECS.contains(&secs)
        {
            problems.push(format!(
                "monitor.interval_secs must be between {} and {}, got {secs}",
                Self::INTERVAL_SECS.start(),
                Self::INTERVAL_SECS.end()
            ));
        }
        if let Some(problem) = self.webhook.as_deref().and_then(webhook_problem) {
            problems.push(format!("monitor.webhook {problem}"));
        }
        problems
    }
}

/// Why `url` cannot receive status notifications, if it cannot. The
/// platform's HTTP client speaks plain HTTP only (agency systems are reached
/// over the closed government network), so `https://` is refused here rather
/// than failing on every delivery.
pub(crate) fn webhook_problem(url: &str) -> Option<String> {
    match reqwest::Url::parse(url) {
        Ok(u) if u.scheme() == "http" && u.host_str().is_some() => None,
        Ok(u) if u.scheme() == "https" => Some(format!(
            "{url:?} uses https, which the platform's HTTP client does not support; use an http:// URL"
        )),
        Ok(_) => Some(format!("{url:?} must be an http:// URL with a host")),
        Err(e) => Some(format!("{url:?} is not a URL: {e}")),
    }
}

/// Outgoing HTTP policy of one connector.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamPolicy {
    /// `host:port` pairs the connector may call. A host given as an IP address
    /// is reached at exactly that address; a DNS name must resolve to public
    /// addresses unless `allow_private_addresses` is set.
    #[serde(default)]
    pub allowed_hosts: Vec<String>,
    /// Lets DNS names resolve to loopback, private or link-local addresses
    /// (agency systems on the government's private network).
    #[serde(default)]
    pub allow_private_addresses: bool,
    /// How hard the platform may drive the agency's system.
    #[serde(default)]
    pub limits: UpstreamLimits,
}

/// Limits the agency states for its system; the host enforces them across all
/// requests (`[upstream.limits]` in the manifest).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UpstreamLimits {
    /// Calls in flight at once, over all requests.
    pub max_concurrent: Option<u32>,
    /// Sustained calls per second, over all requests (token bucket).
    pub requests_per_second: Option<f64>,
    /// Calls that may go out back to back before the rate applies (default 1).
    pub burst: Option<u32>,
    /// Keys per scan when the platform drives lookups from a join: set it to
    /// the upstream's batch-lookup size, so one scan is one upstream call.
    pub lookup_batch: Option<u32>,
    /// Upstream calls one query may make; lowers the platform's ceiling
    /// (`max_upstream_calls_per_query`), never raises it.
    pub max_calls_per_query: Option<u32>,
}

impl UpstreamLimits {
    /// What is wrong with these values, for the load report.
    pub(crate) fn problems(&self) -> Vec<String> {
        use super::gate::{MAX_RATE, MIN_RATE, is_valid_rate};
        let mut problems = Vec::new();
        if let Some(rate) = self.requests_per_second
            && !is_valid_rate(rate)
        {
            problems.push(format!(
                "upstream.limits.requests_per_second must be between {MIN_RATE:.6} (one a day) and {MAX_RATE}, got {rate}"
            ));
        }
        for (name, value) in [
            ("max_concurrent", self.max_concurrent),
            ("burst", self.burst),
            ("lookup_batch", self.lookup_batch),
            ("max_calls_per_query", self.max_calls_per_query),
        ] {
            if let Some(v) = value
                && !(1..=100_000).contains(&v)
            {
                problems.push(format!(
                    "upstream.limits.{name} must be between 1 and 100000, got {v}"
                ));
            }
        }
        problems
    }
}

/// Per-connector limit overrides.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    /// Deadline of each call into the connector, in milliseconds.
    pub call_timeout_ms: Option<u64>,
    /// Linear-memory limit of one instance, in MiB.
    pub memory_mib: Option<u64>,
    /// Cap on the Arrow bytes one scan may return, in MiB.
    pub max_output_mib: Option<u64>,
    /// Cap on one upstream HTTP response body, in MiB.
    pub max_response_mib: Option<u64>,
}

/// The limits a connector actually runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deadline of each call.
    pub call_timeout: Duration,
    /// Linear-memory limit in bytes.
    pub memory_bytes: usize,
    /// Output cap per scan in bytes.
    pub max_output_bytes: u64,
    /// Upstream response body cap in bytes.
    pub max_response_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            call_timeout: Duration::from_secs(5),
            memory_bytes: 64 << 20,
            max_output_bytes: 64 << 20,
            max_response_bytes: 64 << 20,
        }
    }
}

impl Limits {
    /// Applies a manifest's overrides to these defaults.
    pub fn with_overrides(self, o: &LimitOverrides) -> Self {
        let mib = |v: u64| v.saturating_mul(1 << 20);
        Self {
            call_timeout: o
                .call_timeout_ms
                .map_or(self.call_timeout, Duration::from_millis),
            memory_bytes: o.memory_mib.map_or(self.memory_bytes, |v| {
                usize::try_from(mib(v)).unwrap_or(usize::MAX)
            }),
            max_output_bytes: o.max_output_mib.map_or(self.max_output_bytes, mib),
            max_response_bytes: o.max_response_mib.map_or(self.max_response_bytes, mib),
        }
    }
}

/// A manifest with the path of its component resolved.
#[derive(Debug, Clone)]
pub struct ConnectorSource {
    /// The manifest.
    pub manifest: Manifest,
    /// Absolute or working-directory-relative path of the `.wasm`.
    pub wasm_path: PathBuf,
}

impl ConnectorSource {
    /// Reads a manifest file and resolves its component path.
    ///
    /// # Errors
    /// The file cannot be read or is not a valid manifest.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let manifest: Manifest = toml::from_str(&text)
            .map_err(|e| format!("{}: {}", path.display(), toml_error(&text, &e)))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let wasm_path = dir.join(&manifest.component);
        Ok(Self {
            manifest,
            wasm_path,
        })
    }

    /// Every `*.toml` manifest in `dir`, sorted by file name.
    ///
    /// # Errors
    /// The directory cannot be read; a bad manifest is returned as an `Err`
    /// entry so the others still load.
    pub fn scan_dir(dir: &Path) -> std::io::Result<Vec<Result<Self, String>>> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        Ok(paths.iter().map(|p| Self::from_file(p)).collect())
    }
}

/// A TOML error as "line N: message", without the quoted source line that
/// `toml`'s own message includes: manifests hold credentials.
pub(crate) fn toml_error(text: &str, e: &toml::de::Error) -> String {
    match e.span() {
        Some(span) => {
            let line = text
                .get(..span.start)
                .map_or(0, |before| before.matches('\n').count())
                + 1;
            format!("line {line}: {}", e.message())
        }
        None => e.message().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_limits_are_read_and_checked() {
        let m: Manifest = toml::from_str(
            "name = 'x'\ncomponent = 'x.wasm'\n[upstream.limits]\nrequests_per_second = 20.0\nlookup_batch = 50\n",
        )
        .expect("valid manifest");
        assert_eq!(m.upstream.limits.requests_per_second, Some(20.0));
        assert_eq!(m.upstream.limits.lookup_batch, Some(50));
        assert!(m.upstream.limits.problems().is_empty());
        let bad = UpstreamLimits {
            requests_per_second: Some(0.0),
            burst: Some(0),
            ..UpstreamLimits::default()
        };
        let problems = bad.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("requests_per_second"));
        assert!(problems[1].contains("burst must be between 1 and 100000, got 0"));
        assert!(
            toml::from_str::<Manifest>(
                "name = 'x'\ncomponent = 'x.wasm'\n[upstream.limits]\nrate = 1\n"
            )
            .is_err()
        );
    }

    #[test]
    fn parse_errors_do_not_quote_the_file() {
        let text =
            "name = 'a'\ncomponent = 'a.wasm'\n[config]\napi_key = 'secret-123'\nbase_url = \n";
        let e = toml::from_str::<Manifest>(text).expect_err("invalid");
        let message = toml_error(text, &e);
        assert!(message.starts_with("line 5: "), "{message}");
        assert!(!message.contains("secret-123"), "{message}");
    }

    #[test]
    fn parses_and_applies_overrides() {
        let m: Manifest = toml::from_str(
            r#"
            name = "dan_cu"
            component = "x.wasm"
            [upstream]
            allowed_hosts = ["127.0.0.1:1"]
            [config]
            base_url = "http://127.0.0.1:1"
            [limits]
            memory_mib = 32
            "#,
        )
        .expect("valid manifest");
        let limits = Limits::default().with_overrides(&m.limits);
        assert_eq!(limits.memory_bytes, 32 << 20);
        assert_eq!(limits.call_timeout, Duration::from_secs(5));
        assert_eq!(m.config["base_url"], "http://127.0.0.1:1");
    }

    #[test]
    fn monitor_section_is_read_and_checked() {
        let m: Manifest = toml::from_str(
            "name = 'x'\ncomponent = 'x.wasm'\n[monitor]\ninterval_secs = 60\nwebhook = 'http://10.0.0.1/hook'\n",
        )
        .expect("valid manifest");
        assert_eq!(m.monitor.interval_secs, Some(60));
        assert!(m.monitor.problems().is_empty());
        let bad = MonitorPolicy {
            interval_secs: Some(1),
            webhook: Some("https://10.0.0.1/hook".into()),
        };
        let problems = bad.problems();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("between 5 and 86400, got 1"));
        assert!(problems[1].contains("use an http:// URL"));
        assert!(webhook_problem("not a url").is_some());
        assert!(webhook_problem("ftp://x/").is_some());
    }

    #[test]
    fn rejects_unknown_keys() {
        let e = toml::from_str::<Manifest>("name='a'\ncomponent='a.wasm'\nallowed='x'")
            .expect_err("unknown key");
        assert!(e.to_string().contains("allowed"), "{e}");
    }
}
