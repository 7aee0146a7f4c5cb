//! Why a request was not let in. Every variant has its own machine code (the
//! list in docs/authentication.md) and a message that tells an integrator what
//! to fix without revealing a secret, a signature or whether another agency's
//! key exists beyond what the code already says.

use std::time::Duration;

/// A refused request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header.
    #[error(
        "this endpoint requires a signed request: send an Authorization header as described in docs/authentication.md"
    )]
    Unsigned,
    /// The `Authorization` header cannot be parsed.
    #[error("the Authorization header is malformed: {0}")]
    Malformed(String),
    /// The header names an algorithm the platform does not know.
    #[error("{0}")]
    UnsupportedAlgorithm(String),
    /// HMAC-SHA1 from an application not marked legacy, or an algorithm
    /// that does not fit the key.
    #[error("{0}")]
    AlgorithmNotAllowed(String),
    /// No such access key.
    #[error(
        "the access key is not known to this platform; check the key your administrator issued"
    )]
    UnknownKey,
    /// The key was revoked.
    #[error("this access key was revoked at {0}; ask your administrator for a new one")]
    KeyRevoked(String),
    /// The key expired (or its rotation grace period ended).
    #[error("this access key expired at {0}; use the key that replaced it")]
    KeyExpired(String),
    /// The application is suspended.
    #[error("the application that owns this key is suspended")]
    ApplicationSuspended,
    /// The agency is suspended or dissolved.
    #[error("the agency that owns this key is {0}")]
    AgencyInactive(String),
    /// A header that must be signed is not listed or not sent.
    #[error("{0}")]
    MissingSignedHeader(String),
    /// A signed header's value cannot be used.
    #[error("{0}")]
    InvalidHeader(String),
    /// The signature does not match.
    #[error(
        "the signature does not match the request: recompute the canonical request (docs/authentication.md) with the exact method, path, query, signed headers and body sent"
    )]
    BadSignature,
    /// `x-lgsp-date` is missing, malformed, or too far from the platform's clock.
    #[error("{0}")]
    ClockSkew(String),
    /// The nonce is malformed.
    #[error("{0}")]
    InvalidNonce(String),
    /// The nonce was already used within the window.
    #[error(
        "this nonce was already used: every request needs a fresh x-lgsp-nonce (a replayed request is refused)"
    )]
    NonceReused,
    /// The body does not hash to `x-lgsp-content-sha256`.
    #[error(
        "the body does not match x-lgsp-content-sha256: hash exactly the bytes sent (SHA-256, lowercase hex)"
    )]
    BodyHashMismatch,
    /// The session token is missing, malformed or forged.
    #[error("{0}")]
    InvalidSession(String),
    /// The session token expired.
    #[error("the session expired at {0}; open a new one with POST /v1/auth/sessions")]
    SessionExpired(String),
    /// The session does not cover what the request touches.
    #[error("{0}")]
    SessionDestination(String),
    /// The application is not granted what it asked for.
    #[error("{0}")]
    NotGranted(String),
    /// No purpose stated.
    #[error(
        "state the purpose of the request in the x-purpose header (it must match the purpose of one of your grants)"
    )]
    PurposeRequired,
    /// The stated purpose matches no grant.
    #[error("{0}")]
    PurposeNotGranted(String),
    /// Over the per-minute rate of the application's tier.
    #[error("the application is over its limit of {limit} requests per minute; retry after {} s", retry_after.as_secs().max(1))]
    RateLimited {
        /// The tier's limit.
        limit: u32,
        /// When a request would be admitted.
        retry_after: Duration,
    },
    /// Over the daily quota.
    #[error(
        "the application has used its quota of {limit} requests today; it resets at midnight (UTC+7)"
    )]
    QuotaExceeded {
        /// The quota.
        limit: u64,
        /// Until midnight.
        retry_after: Duration,
    },
    /// Admin routes: no or bad admin session.
    #[error("{0}")]
    AdminUnauthorized(String),
    /// Wrong username or password.
    #[error("wrong username or password")]
    BadLogin,
    /// The registry failed.
    #[error("the registry failed: {0}")]
    Store(String),
}

impl AuthError {
    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unsigned => "unsigned_request",
            Self::Malformed(_) => "malformed_authorization",
            Self::UnsupportedAlgorithm(_) => "unsupported_algorithm",
            Self::AlgorithmNotAllowed(_) => "algorithm_not_allowed",
            Self::UnknownKey => "unknown_access_key",
            Self::KeyRevoked(_) => "key_revoked",
            Self::KeyExpired(_) => "key_expired",
            Self::ApplicationSuspended => "application_suspended",
            Self::AgencyInactive(_) => "agency_inactive",
            Self::MissingSignedHeader(_) => "missing_signed_header",
            Self::InvalidHeader(_) => "invalid_signed_header",
            Self::BadSignature => "bad_signature",
            Self::ClockSkew(_) => "clock_skew",
            Self::InvalidNonce(_) => "invalid_nonce",
            Self::NonceReused => "nonce_reused",
            Self::BodyHashMismatch => "body_hash_mismatch",
            Self::InvalidSession(_) => "invalid_session",
            Self::SessionExpired(_) => "session_expired",
            Self::SessionDestination(_) => "session_destination",
            Self::NotGranted(_) => "not_granted",
            Self::PurposeRequired => "purpose_required",
            Self::PurposeNotGranted(_) => "purpose_not_granted",
            Self::RateLimited { .. } => "rate_limited",
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::AdminUnauthorized(_) => "admin_unauthorized",
            Self::BadLogin => "bad_login",
            Self::Store(_) => "internal",
        }
    }

    /// When to retry, for 429 answers.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::QuotaExceeded { retry_after, .. } => {
                Some(*retry_after)
            }
            _ => None,
        }
    }
}
