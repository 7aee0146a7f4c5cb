//! The error a connector returns: a kind the platform maps to an HTTP status, and
//! a message for the consumer.

use crate::bindings::lgsp::connector::types as wit;
use std::fmt;

/// Why a call failed, as the platform reports it to consumers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The request cannot be answered as asked (e.g. a malformed ID). HTTP 400.
    BadRequest,
    /// The thing asked for does not exist. HTTP 404.
    NotFound,
    /// The upstream is down, overloaded or rate limiting. HTTP 503.
    UpstreamUnavailable,
    /// The upstream answered with an error or something unreadable. HTTP 502.
    UpstreamError,
    /// The upstream did not answer in time. HTTP 504.
    Timeout,
    /// A bug in the connector. HTTP 502; the message is logged, not shown.
    Internal,
}

/// A typed failure with a message for the consumer.
///
/// Messages must not contain credentials or personal data: they reach the
/// consumer and the platform log.
///
/// # Examples
/// ```
/// use lgsp_guest::Error;
/// let e = Error::bad_request("so_dinh_danh must have 12 digits");
/// assert_eq!(e.to_string(), "bad request: so_dinh_danh must have 12 digits");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    retry_after_seconds: Option<u32>,
}

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            retry_after_seconds: None,
        }
    }

    /// The request cannot be answered as asked.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, message)
    }

    /// The thing asked for does not exist.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }

    /// The upstream is down, overloaded or rate limiting.
    pub fn upstream_unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UpstreamUnavailable, message)
    }

    /// The upstream answered with an error or something unreadable.
    pub fn upstream_error(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::UpstreamError, message)
    }

    /// The upstream did not answer in time.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Timeout, message)
    }

    /// A bug in the connector.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Tells the consumer when to try again (for `UpstreamUnavailable`).
    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after_seconds = Some(seconds);
        self
    }

    /// The kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Seconds after which the consumer may retry, if known.
    pub fn retry_after_seconds(&self) -> Option<u32> {
        self.retry_after_seconds
    }

    pub(crate) fn into_wit(self) -> wit::ConnectorError {
        let kind = match self.kind {
            ErrorKind::BadRequest => wit::ErrorKind::BadRequest,
            ErrorKind::NotFound => wit::ErrorKind::NotFound,
            ErrorKind::UpstreamUnavailable => wit::ErrorKind::UpstreamUnavailable,
            ErrorKind::UpstreamError => wit::ErrorKind::UpstreamError,
            ErrorKind::Timeout => wit::ErrorKind::Timeout,
            ErrorKind::Internal => wit::ErrorKind::Internal,
        };
        wit::ConnectorError {
            kind,
            message: self.message,
            retry_after_seconds: self.retry_after_seconds,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            ErrorKind::BadRequest => "bad request",
            ErrorKind::NotFound => "not found",
            ErrorKind::UpstreamUnavailable => "upstream unavailable",
            ErrorKind::UpstreamError => "upstream error",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Internal => "internal error",
        };
        write!(f, "{kind}: {}", self.message)
    }
}

impl std::error::Error for Error {}

/// A `Result` with the connector [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
