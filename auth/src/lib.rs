//! LGSP request signing: the canonical form of a request, the `Authorization` header, HMAC and
//! RSA signatures, session/admin tokens, the host → upstream signature and the test vectors.
//!
//! The crate does no I/O. The server verifies a request with [`Authorization::parse`],
//! [`canonical_request`] and [`verify`]; a client signs one with [`sign_request`]. The protocol
//! is written down for integrators in `docs/authentication.md`, which prints [`vectors::VECTORS`].
//!
//! # Examples
//!
//! ```
//! use lgsp_auth::{Authorization, Credentials, RequestToSign, canonical_request, sign_request, verify};
//!
//! let creds = Credentials::hmac("LGSPEXAMPLE7KEY4AB2C", "example-secret");
//! let mut headers = http::HeaderMap::new();
//! let now = chrono::Utc::now();
//! sign_request(&creds, "GET", "/v1/schemas?x=1", &mut headers, b"", now, &lgsp_auth::new_nonce())?;
//!
//! // Server side.
//! let auth = Authorization::parse(headers[http::header::AUTHORIZATION].to_str()?)?;
//! let req = RequestToSign { method: "GET", path: "/v1/schemas", query: Some("x=1"), headers: &headers };
//! let canonical = canonical_request(auth.algorithm, &auth.access_key, &req, &auth.signed_headers)?;
//! verify(auth.algorithm, &creds.key.verifying_key(), &canonical, &auth.signature)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

// Tests may unwrap: a panic there is a failed assertion.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod algorithm;
mod canonical;
mod client;
mod connector;
mod fields;
mod header;
mod keys;
mod mac;
mod percent;

pub mod outbound;
pub mod token;
pub mod vectors;

pub use algorithm::Algorithm;
pub use canonical::{CanonicalError, RequestToSign, canonical_request};
pub use client::{Credentials, SignError, sign_request};
pub use connector::{
    CONNECTOR_SIGNATURE_CONTEXT, connector_message, sign_connector, verify_connector,
};
pub use fields::{
    DateError, NonceError, body_sha256_hex, check_date, check_nonce, format_date, new_nonce,
    parse_date,
};
pub use header::{Authorization, AuthorizationError, MAX_AUTHORIZATION_LEN};
pub use keys::{KeyError, SignatureError, SigningKey, VerifyingKey, sign, verify};

/// Header carrying the request time: RFC 3339 UTC to the second, e.g. `2026-11-23T08:00:00Z`.
pub const DATE_HEADER: &str = "x-lgsp-date";
/// Header carrying a single-use random value: 16 to 64 characters `[A-Za-z0-9_-]`.
pub const NONCE_HEADER: &str = "x-lgsp-nonce";
/// Header carrying the lowercase hex SHA-256 of the body (of the empty string when there is none).
pub const CONTENT_SHA256_HEADER: &str = "x-lgsp-content-sha256";
/// Header carrying a session token on data calls.
pub const SESSION_HEADER: &str = "x-lgsp-session";
/// Header carrying the caller's stated purpose (UTF-8 allowed).
pub const PURPOSE_HEADER: &str = "x-purpose";
/// Headers every signed request must carry and list in `SignedHeaders` (sorted).
pub const ALWAYS_SIGNED: [&str; 3] = [CONTENT_SHA256_HEADER, DATE_HEADER, NONCE_HEADER];
/// Headers that must be listed in `SignedHeaders` whenever the request carries them.
pub const SIGNED_WHEN_PRESENT: [&str; 2] = [PURPOSE_HEADER, SESSION_HEADER];
/// How far `x-lgsp-date` may be from the server clock, either way, in seconds.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;
