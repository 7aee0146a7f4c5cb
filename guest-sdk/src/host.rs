//! What the host offers besides HTTP: configuration values and logging.

use crate::bindings::lgsp::connector::host as wit;
use crate::error::{Error, Result};

/// A configuration value the administrator set for this connector (e.g.
/// `base_url`, `api_key`).
pub fn config(key: &str) -> Option<String> {
    wit::config(key)
}

/// A configuration value the connector cannot work without.
///
/// # Errors
/// `internal` naming the missing key, so the administrator knows what to set.
pub fn required_config(key: &str) -> Result<String> {
    config(key).ok_or_else(|| {
        Error::internal(format!(
            "the connector's configuration has no value for {key:?}"
        ))
    })
}

/// Log severities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Very detailed.
    Trace,
    /// Detailed.
    Debug,
    /// Normal events.
    Info,
    /// Something odd that did not fail the request.
    Warn,
    /// A failure.
    Error,
}

/// Writes a line to the platform log, tagged with the connector and request.
/// Never log personal data or credentials.
pub fn log(level: Level, message: &str) {
    let level = match level {
        Level::Trace => wit::LogLevel::Trace,
        Level::Debug => wit::LogLevel::Debug,
        Level::Info => wit::LogLevel::Info,
        Level::Warn => wit::LogLevel::Warn,
        Level::Error => wit::LogLevel::Error,
    };
    wit::log(level, message);
}

/// Logs at info level with `format!` syntax.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log($crate::Level::Info, &format!($($arg)*)) };
}

/// Logs at warn level with `format!` syntax.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log($crate::Level::Warn, &format!($($arg)*)) };
}

/// Logs at debug level with `format!` syntax.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log($crate::Level::Debug, &format!($($arg)*)) };
}
