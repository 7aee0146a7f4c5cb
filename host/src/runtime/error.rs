//! Why a connector call failed, from the host's point of view.

/// Kinds of error a connector itself can return (the WIT `error-kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuestErrorKind {
    /// The request cannot be answered as asked.
    BadRequest,
    /// The thing asked for does not exist.
    NotFound,
    /// The upstream is down or rate limiting.
    UpstreamUnavailable,
    /// The upstream answered with an error.
    UpstreamError,
    /// The upstream did not answer in time.
    Timeout,
    /// A bug in the connector.
    Internal,
}

/// A failed connector call. Every variant names the connector; limit variants
/// name the limit, so the consumer and the provider know what happened.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ConnectorError {
    /// The call ran past its deadline.
    #[error("connector {connector} did not finish within its {limit_ms} ms deadline")]
    Timeout {
        /// Connector name.
        connector: String,
        /// The deadline.
        limit_ms: u64,
    },
    /// The instance tried to grow its memory past the limit.
    #[error("connector {connector} exceeded its memory limit of {limit_mib} MiB")]
    MemoryLimit {
        /// Connector name.
        connector: String,
        /// The limit.
        limit_mib: u64,
    },
    /// The scan returned more bytes than the cap.
    #[error("connector {connector} returned more than its output cap of {limit_mib} MiB")]
    OutputLimit {
        /// Connector name.
        connector: String,
        /// The cap.
        limit_mib: u64,
    },
    /// The instance overflowed its stack.
    #[error("connector {connector} ran out of stack (unbounded recursion)")]
    StackOverflow {
        /// Connector name.
        connector: String,
    },
    /// The query needed more upstream calls than one query may make.
    #[error(
        "the query needs more than {limit} calls to the upstream of {connector}, the ceiling for one query; narrow it (fewer keys, a smaller area) or split it"
    )]
    UpstreamCallLimit {
        /// Connector name.
        connector: String,
        /// The ceiling.
        limit: u32,
    },
    /// The agency's rate or concurrency limit held the call too long.
    #[error(
        "calls to the upstream of {connector} are held to the limits its agency set, and this one could not go out in time ({reason}); try again shortly"
    )]
    UpstreamThrottled {
        /// Connector name.
        connector: String,
        /// Which limit.
        reason: String,
    },
    /// An upstream answered more than the response cap; the platform cut
    /// the answer off there.
    #[error(
        "the upstream {target} of connector {connector} answered more than the response cap of {}; the platform stopped reading there",
        size_text(*limit_bytes)
    )]
    UpstreamResponseTooLarge {
        /// Connector name.
        connector: String,
        /// `host:port` of the upstream.
        target: String,
        /// The cap.
        limit_bytes: u64,
    },
    /// The connector tried to reach a destination it is not allowed to.
    #[error("connector {connector} tried to reach {target}: {reason}")]
    NetworkDenied {
        /// Connector name.
        connector: String,
        /// `host:port` or address it tried.
        target: String,
        /// Why it was refused.
        reason: String,
    },
    /// The instance trapped (a panic, an illegal operation).
    #[error("connector {connector} crashed ({reason})")]
    Crashed {
        /// Connector name.
        connector: String,
        /// Short cause, e.g. `panic` or `unreachable code`.
        reason: String,
        /// The panic message, for the log only: it may contain data.
        detail: Option<String>,
    },
    /// A batch did not match what was asked for, or was not valid Arrow IPC.
    #[error("connector {connector} sent an invalid batch: {reason}")]
    BadOutput {
        /// Connector name.
        connector: String,
        /// What was wrong.
        reason: String,
    },
    /// No sandbox slot was free.
    #[error("connector {connector} is busy: every sandbox slot is in use, try again shortly")]
    Busy {
        /// Connector name.
        connector: String,
    },
    /// The connector answered with a typed error.
    #[error("{message}")]
    Guest {
        /// Connector name.
        connector: String,
        /// Its kind.
        kind: GuestErrorKind,
        /// Its message.
        message: String,
        /// Retry hint for `UpstreamUnavailable`.
        retry_after: Option<u32>,
    },
    /// The administrator suspended the connector (kill switch).
    #[error(
        "connector {connector} is suspended by the platform administrator; it serves again once resumed"
    )]
    Suspended {
        /// Connector name.
        connector: String,
    },
    /// The connector is not loaded or failed to load.
    #[error("connector {connector} is not available: {reason}")]
    Unavailable {
        /// Connector name.
        connector: String,
        /// Why.
        reason: String,
    },
    /// A host-side failure (our bug or the machine's).
    #[error("internal error running connector {connector}: {message}")]
    Internal {
        /// Connector name.
        connector: String,
        /// What failed.
        message: String,
    },
}

impl ConnectorError {
    /// The message for people outside the platform: internal details stay in
    /// the log.
    pub fn public_message(&self) -> String {
        match self {
            Self::Internal { connector, .. } => {
                format!(
                    "internal error running connector {connector}; details are in the platform log"
                )
            }
            other => other.to_string(),
        }
    }

    /// The connector's name.
    pub fn connector(&self) -> &str {
        match self {
            Self::Timeout { connector, .. }
            | Self::MemoryLimit { connector, .. }
            | Self::OutputLimit { connector, .. }
            | Self::StackOverflow { connector }
            | Self::NetworkDenied { connector, .. }
            | Self::UpstreamResponseTooLarge { connector, .. }
            | Self::UpstreamCallLimit { connector, .. }
            | Self::UpstreamThrottled { connector, .. }
            | Self::Crashed { connector, .. }
            | Self::BadOutput { connector, .. }
            | Self::Busy { connector }
            | Self::Suspended { connector }
            | Self::Guest { connector, .. }
            | Self::Unavailable { connector, .. }
            | Self::Internal { connector, .. } => connector,
        }
    }
}

/// `64 MiB` for whole mebibytes (how manifests set caps), else bytes.
pub(crate) fn size_text(bytes: u64) -> String {
    if bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{bytes} bytes")
    }
}

/// A connector could not be loaded.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("cannot load connector {name}: {}", problems.join("; "))]
pub struct LoadError {
    /// The manifest's name (or file).
    pub name: String,
    /// Every problem found.
    pub problems: Vec<String>,
}

impl LoadError {
    pub(crate) fn one(name: &str, problem: impl Into<String>) -> Self {
        Self {
            name: name.to_owned(),
            problems: vec![problem.into()],
        }
    }
}
