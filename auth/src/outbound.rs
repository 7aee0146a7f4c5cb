//! The host → upstream signature: lets an agency system check that a request comes from the
//! platform, for which consumer agency, and for what stated purpose.
//!
//! The host adds five headers to every request a connector sends upstream. The signature is
//! HMAC-SHA256, keyed with the connector's upstream secret, over these lines joined by `\n`:
//!
//! ```text
//! LGSP-UPSTREAM-HMAC-SHA256
//! <METHOD>
//! <canonical path>
//! <canonical query>
//! <x-lgsp-request-id>
//! <x-lgsp-consumer>
//! <x-lgsp-purpose, as sent (percent-encoded)>
//! <x-lgsp-date>
//! ```
//!
//! Path and query are canonicalized as in [`crate::canonical_request`]. The body is not
//! covered (use TLS between the platform and the agency system).

use chrono::{DateTime, Utc};
use hmac::Mac;
use http::HeaderMap;

use crate::canonical::{push_path, push_query};
use crate::mac::hmac_sha256;
use crate::percent;
use crate::{CanonicalError, DATE_HEADER, MAX_CLOCK_SKEW_SECS, format_date, parse_date};

/// Names the upstream signature scheme; first word of `x-lgsp-signature`, first line signed.
pub const UPSTREAM_ALGORITHM: &str = "LGSP-UPSTREAM-HMAC-SHA256";
/// Header carrying the platform's request id (the `x-request-id` its consumer saw).
pub const REQUEST_ID_HEADER: &str = "x-lgsp-request-id";
/// Header carrying the consumer's agency code.
pub const CONSUMER_HEADER: &str = "x-lgsp-consumer";
/// Header carrying the consumer's stated purpose, percent-encoded UTF-8.
pub const UPSTREAM_PURPOSE_HEADER: &str = "x-lgsp-purpose";
/// Header carrying `LGSP-UPSTREAM-HMAC-SHA256 <lowercase hex>`.
pub const SIGNATURE_HEADER: &str = "x-lgsp-signature";
/// The longest request id or consumer accepted, in bytes.
const MAX_FIELD_LEN: usize = 128;

/// Who asks and why, as the host forwards it upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    /// The platform request id.
    pub request_id: String,
    /// The consumer's agency code.
    pub consumer: String,
    /// The stated purpose, decoded (any UTF-8).
    pub purpose: String,
}

/// Why an upstream signature could not be made or was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamSignatureError {
    /// A required header is absent.
    #[error(
        "the request has no {0} header; it did not come through the LGSP platform, or a proxy removed it"
    )]
    Missing(&'static str),
    /// A header is present but not of the expected form (or sent more than once).
    #[error(
        "the {0} header is malformed or repeated (x-lgsp-signature is `LGSP-UPSTREAM-HMAC-SHA256 <64 lowercase hex>`, x-lgsp-date like 2026-11-23T08:00:00Z, request id and consumer 1 to 128 visible ASCII characters)"
    )]
    Malformed(&'static str),
    /// `x-lgsp-purpose` is not valid percent-encoded UTF-8.
    #[error("x-lgsp-purpose must be percent-encoded UTF-8 (every '%' followed by two hex digits)")]
    InvalidPurpose,
    /// The request path or query cannot be canonicalized.
    #[error(transparent)]
    Path(#[from] CanonicalError),
    /// The signature does not match (another secret, or an altered request).
    #[error(
        "the x-lgsp-signature does not match: check the upstream secret configured for this connector and that no proxy rewrites the path, query or x-lgsp-* headers"
    )]
    BadSignature,
    /// `x-lgsp-date` is too far from this server's clock.
    #[error(
        "x-lgsp-date is {skew_secs} s away from this server's clock (at most 300 s accepted); synchronize the clocks (NTP)"
    )]
    ClockSkew {
        /// Request time minus local time, in seconds.
        skew_secs: i64,
    },
}

/// Percent-encodes a purpose for `x-lgsp-purpose`: UTF-8 bytes, RFC 3986 unreserved kept.
///
/// # Examples
///
/// ```
/// assert_eq!(lgsp_auth::outbound::encode_purpose("Xác minh"), "X%C3%A1c%20minh");
/// ```
pub fn encode_purpose(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    percent::encode_into(&mut out, s);
    out
}

/// Decodes an `x-lgsp-purpose` value (`+` stays a plus).
///
/// # Errors
///
/// [`UpstreamSignatureError::InvalidPurpose`] for a bad `%` escape or bytes that are not UTF-8.
pub fn decode_purpose(s: &str) -> Result<String, UpstreamSignatureError> {
    let bytes = percent::decode(s).map_err(|_| UpstreamSignatureError::InvalidPurpose)?;
    String::from_utf8(bytes).map_err(|_| UpstreamSignatureError::InvalidPurpose)
}

fn valid_field(s: &str) -> bool {
    (1..=MAX_FIELD_LEN).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic())
}

/// The string the upstream signature covers.
fn string_to_sign(
    method: &str,
    path_and_query: &str,
    request_id: &str,
    consumer: &str,
    purpose_sent: &str,
    date: &str,
) -> Result<String, CanonicalError> {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut out = String::with_capacity(
        96 + 2 * path_and_query.len() + request_id.len() + consumer.len() + purpose_sent.len(),
    );
    out.push_str(UPSTREAM_ALGORITHM);
    out.push('\n');
    out.extend(method.chars().map(|c| c.to_ascii_uppercase()));
    out.push('\n');
    push_path(&mut out, path)?;
    out.push('\n');
    push_query(&mut out, query)?;
    for field in [request_id, consumer, purpose_sent, date] {
        out.push('\n');
        out.push_str(field);
    }
    Ok(out)
}

fn mac_hex(secret: &[u8], sts: &str) -> String {
    let mut m = hmac_sha256(secret);
    m.update(sts.as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// The five headers the host adds to an upstream request: request id, consumer, encoded
/// purpose, date (from `now`) and signature. `path_and_query` is the request-line target.
///
/// # Errors
///
/// [`UpstreamSignatureError::Malformed`] when the request id or consumer is empty, longer
/// than 128 bytes or not visible ASCII; [`UpstreamSignatureError::Path`] when the path or query
/// has a bad `%` escape.
pub fn sign_upstream(
    secret: &[u8],
    method: &str,
    path_and_query: &str,
    f: &Forwarded,
    now: DateTime<Utc>,
) -> Result<Vec<(&'static str, String)>, UpstreamSignatureError> {
    if !valid_field(&f.request_id) {
        return Err(UpstreamSignatureError::Malformed(REQUEST_ID_HEADER));
    }
    if !valid_field(&f.consumer) {
        return Err(UpstreamSignatureError::Malformed(CONSUMER_HEADER));
    }
    let purpose = encode_purpose(&f.purpose);
    let date = format_date(now);
    let sts = string_to_sign(
        method,
        path_and_query,
        &f.request_id,
        &f.consumer,
        &purpose,
        &date,
    )?;
    let signature = format!("{UPSTREAM_ALGORITHM} {}", mac_hex(secret, &sts));
    Ok(vec![
        (REQUEST_ID_HEADER, f.request_id.clone()),
        (CONSUMER_HEADER, f.consumer.clone()),
        (UPSTREAM_PURPOSE_HEADER, purpose),
        (DATE_HEADER, date),
        (SIGNATURE_HEADER, signature),
    ])
}

/// The single value of `name`, as ASCII text.
fn single<'h>(
    headers: &'h HeaderMap,
    name: &'static str,
) -> Result<&'h str, UpstreamSignatureError> {
    let mut values = headers.get_all(name).into_iter();
    let value = values.next().ok_or(UpstreamSignatureError::Missing(name))?;
    if values.next().is_some() {
        return Err(UpstreamSignatureError::Malformed(name));
    }
    value
        .to_str()
        .map_err(|_| UpstreamSignatureError::Malformed(name))
}

/// Checks the upstream signature of a request received by an agency system, and returns
/// who asks and why.
///
/// # Errors
///
/// [`UpstreamSignatureError`]: a header missing, repeated or malformed, a wrong signature
/// (checked in constant time), a date more than 300 s from `now`, or a purpose that is not
/// percent-encoded UTF-8.
pub fn verify_upstream(
    secret: &[u8],
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    now: DateTime<Utc>,
) -> Result<Forwarded, UpstreamSignatureError> {
    let request_id = single(headers, REQUEST_ID_HEADER)?;
    let consumer = single(headers, CONSUMER_HEADER)?;
    let purpose_sent = single(headers, UPSTREAM_PURPOSE_HEADER)?;
    let date = single(headers, DATE_HEADER)?;
    let signature = single(headers, SIGNATURE_HEADER)?;
    for (name, value) in [(REQUEST_ID_HEADER, request_id), (CONSUMER_HEADER, consumer)] {
        if !valid_field(value) {
            return Err(UpstreamSignatureError::Malformed(name));
        }
    }
    let signature = signature
        .strip_prefix(UPSTREAM_ALGORITHM)
        .and_then(|s| s.strip_prefix(' '))
        .filter(|hex| hex.len() == 64)
        .and_then(|hex| hex::decode(hex).ok())
        .ok_or(UpstreamSignatureError::Malformed(SIGNATURE_HEADER))?;
    let sts = string_to_sign(
        method,
        path_and_query,
        request_id,
        consumer,
        purpose_sent,
        date,
    )?;
    let mut m = hmac_sha256(secret);
    m.update(sts.as_bytes());
    m.verify_slice(&signature)
        .map_err(|_| UpstreamSignatureError::BadSignature)?;
    let sent_at = parse_date(date).map_err(|_| UpstreamSignatureError::Malformed(DATE_HEADER))?;
    let skew_secs = (sent_at - now).num_seconds();
    if skew_secs.abs() > MAX_CLOCK_SKEW_SECS {
        return Err(UpstreamSignatureError::ClockSkew { skew_secs });
    }
    Ok(Forwarded {
        request_id: request_id.to_owned(),
        consumer: consumer.to_owned(),
        purpose: decode_purpose(purpose_sent)?,
    })
}

#[cfg(test)]
/// The string to sign for the documented test vector (see [`crate::vectors::UPSTREAM_VECTOR`]).
pub(crate) fn string_to_sign_for_vector(
    method: &str,
    path_and_query: &str,
    f: &Forwarded,
    date: &str,
) -> Result<String, CanonicalError> {
    string_to_sign(
        method,
        path_and_query,
        &f.request_id,
        &f.consumer,
        &encode_purpose(&f.purpose),
        date,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};
    use http::{HeaderName, HeaderValue};

    const SECRET: &[u8] = b"upstream secret";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()
    }

    fn forwarded() -> Forwarded {
        Forwarded {
            request_id: "0199f0c4-1a2b-7c3d-8e4f-5a6b7c8d9e0f".into(),
            consumer: "000.00.00.H49".into(),
            purpose: "Xác minh cư trú: hồ sơ 123/2026 + phụ lục".into(),
        }
    }

    fn to_map(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (name, value) in pairs {
            h.append(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        h
    }

    const TARGET: &str = "/api/v1/cong-dan?so_dinh_danh=001085012345&fields=ho_ten";

    #[test]
    fn round_trip() {
        let pairs = sign_upstream(SECRET, "GET", TARGET, &forwarded(), now()).unwrap();
        let names: Vec<&str> = pairs.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [
                REQUEST_ID_HEADER,
                CONSUMER_HEADER,
                UPSTREAM_PURPOSE_HEADER,
                DATE_HEADER,
                SIGNATURE_HEADER
            ]
        );
        assert!(pairs[4].1.starts_with("LGSP-UPSTREAM-HMAC-SHA256 "));
        let h = to_map(&pairs);
        assert_eq!(
            verify_upstream(SECRET, "GET", TARGET, &h, now()),
            Ok(forwarded())
        );
        // Query order and encoding variants canonicalize the same.
        let reordered = "/api/v1/cong-dan?fields=ho_ten&so_dinh_danh=001085012345";
        assert_eq!(
            verify_upstream(SECRET, "get", reordered, &h, now()),
            Ok(forwarded())
        );
    }

    #[test]
    fn tampering_fails() {
        let h = to_map(&sign_upstream(SECRET, "GET", TARGET, &forwarded(), now()).unwrap());
        assert_eq!(
            verify_upstream(b"other", "GET", TARGET, &h, now()),
            Err(UpstreamSignatureError::BadSignature)
        );
        assert_eq!(
            verify_upstream(SECRET, "POST", TARGET, &h, now()),
            Err(UpstreamSignatureError::BadSignature)
        );
        assert_eq!(
            verify_upstream(
                SECRET,
                "GET",
                "/api/v1/cong-dan?so_dinh_danh=001085012346&fields=ho_ten",
                &h,
                now()
            ),
            Err(UpstreamSignatureError::BadSignature)
        );
        for (name, value) in [
            (UPSTREAM_PURPOSE_HEADER, "Thanh%20tra"),
            (CONSUMER_HEADER, "000.00.00.H26"),
            (REQUEST_ID_HEADER, "another-id"),
            (DATE_HEADER, "2026-11-23T08:00:01Z"),
        ] {
            let mut t = h.clone();
            t.insert(name, HeaderValue::from_static(value));
            assert_eq!(
                verify_upstream(SECRET, "GET", TARGET, &t, now()),
                Err(UpstreamSignatureError::BadSignature),
                "{name}"
            );
        }
    }

    #[test]
    fn clock_skew() {
        let h = to_map(&sign_upstream(SECRET, "GET", TARGET, &forwarded(), now()).unwrap());
        assert!(verify_upstream(SECRET, "GET", TARGET, &h, now() + Duration::seconds(300)).is_ok());
        assert_eq!(
            verify_upstream(SECRET, "GET", TARGET, &h, now() + Duration::seconds(301)),
            Err(UpstreamSignatureError::ClockSkew { skew_secs: -301 })
        );
        assert_eq!(
            verify_upstream(SECRET, "GET", TARGET, &h, now() - Duration::seconds(400)),
            Err(UpstreamSignatureError::ClockSkew { skew_secs: 400 })
        );
    }

    #[test]
    fn missing_repeated_and_malformed_headers() {
        let h = to_map(&sign_upstream(SECRET, "GET", TARGET, &forwarded(), now()).unwrap());
        for name in [
            REQUEST_ID_HEADER,
            CONSUMER_HEADER,
            UPSTREAM_PURPOSE_HEADER,
            DATE_HEADER,
            SIGNATURE_HEADER,
        ] {
            let mut t = h.clone();
            t.remove(name);
            assert_eq!(
                verify_upstream(SECRET, "GET", TARGET, &t, now()),
                Err(UpstreamSignatureError::Missing(name))
            );
            let mut t = h.clone();
            t.append(name, HeaderValue::from_static("x"));
            assert_eq!(
                verify_upstream(SECRET, "GET", TARGET, &t, now()),
                Err(UpstreamSignatureError::Malformed(name))
            );
        }
        let good_sig = h[SIGNATURE_HEADER].to_str().unwrap().to_owned();
        for bad in [
            good_sig.replace("LGSP-UPSTREAM-HMAC-SHA256 ", "LGSP-UPSTREAM-HMAC-SHA256  "),
            good_sig.replace("LGSP-UPSTREAM-HMAC-SHA256 ", ""),
            good_sig[..good_sig.len() - 2].to_owned(),
            format!("{}zz", &good_sig[..good_sig.len() - 2]),
        ] {
            let mut t = h.clone();
            t.insert(SIGNATURE_HEADER, HeaderValue::from_str(&bad).unwrap());
            assert_eq!(
                verify_upstream(SECRET, "GET", TARGET, &t, now()),
                Err(UpstreamSignatureError::Malformed(SIGNATURE_HEADER))
            );
        }
        let mut t = h.clone();
        t.insert(
            CONSUMER_HEADER,
            HeaderValue::from_bytes(b"caf\xe9").unwrap(),
        );
        assert_eq!(
            verify_upstream(SECRET, "GET", TARGET, &t, now()),
            Err(UpstreamSignatureError::Malformed(CONSUMER_HEADER))
        );
    }

    #[test]
    fn a_bad_date_or_purpose_signed_by_the_right_secret_is_reported() {
        // An agency system must not trust fields it cannot read, even when signed.
        let f = forwarded();
        let sts = string_to_sign(
            "GET",
            "/",
            &f.request_id,
            &f.consumer,
            "%zz",
            "2026-11-23T08:00:00Z",
        )
        .unwrap();
        let mut h = to_map(&sign_upstream(SECRET, "GET", "/", &f, now()).unwrap());
        h.insert(UPSTREAM_PURPOSE_HEADER, HeaderValue::from_static("%zz"));
        h.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_str(&format!("{UPSTREAM_ALGORITHM} {}", mac_hex(SECRET, &sts)))
                .unwrap(),
        );
        assert_eq!(
            verify_upstream(SECRET, "GET", "/", &h, now()),
            Err(UpstreamSignatureError::InvalidPurpose)
        );

        let sts = string_to_sign(
            "GET",
            "/",
            &f.request_id,
            &f.consumer,
            &encode_purpose(&f.purpose),
            "yesterday",
        )
        .unwrap();
        let mut h = to_map(&sign_upstream(SECRET, "GET", "/", &f, now()).unwrap());
        h.insert(DATE_HEADER, HeaderValue::from_static("yesterday"));
        h.insert(
            SIGNATURE_HEADER,
            HeaderValue::from_str(&format!("{UPSTREAM_ALGORITHM} {}", mac_hex(SECRET, &sts)))
                .unwrap(),
        );
        assert_eq!(
            verify_upstream(SECRET, "GET", "/", &h, now()),
            Err(UpstreamSignatureError::Malformed(DATE_HEADER))
        );
    }

    #[test]
    fn sign_refuses_fields_that_cannot_be_headers() {
        for f in [
            Forwarded {
                consumer: String::new(),
                ..forwarded()
            },
            Forwarded {
                consumer: "000.00.00.H49\nx".into(),
                ..forwarded()
            },
            Forwarded {
                request_id: "a b".into(),
                ..forwarded()
            },
            Forwarded {
                request_id: "r".repeat(129),
                ..forwarded()
            },
        ] {
            assert!(matches!(
                sign_upstream(SECRET, "GET", "/", &f, now()),
                Err(UpstreamSignatureError::Malformed(_))
            ));
        }
        assert!(matches!(
            sign_upstream(SECRET, "GET", "/a%zz", &forwarded(), now()),
            Err(UpstreamSignatureError::Path(CanonicalError::InvalidPath(_)))
        ));
    }

    #[test]
    fn purposes_round_trip() {
        for p in [
            "",
            "plain",
            "Xác minh cư trú",
            "a+b c/d?e=f&g%h",
            "日本語 🙂",
            "~-._",
        ] {
            let enc = encode_purpose(p);
            assert!(enc.bytes().all(|b| b.is_ascii_graphic()), "{enc}");
            assert_eq!(decode_purpose(&enc).as_deref(), Ok(p));
        }
        assert_eq!(encode_purpose("a b+c~"), "a%20b%2Bc~");
        assert_eq!(decode_purpose("a+b").as_deref(), Ok("a+b"));
        assert_eq!(decode_purpose("%7e%41").as_deref(), Ok("~A"));
        assert_eq!(
            decode_purpose("%ff"),
            Err(UpstreamSignatureError::InvalidPurpose)
        );
        assert_eq!(
            decode_purpose("%f"),
            Err(UpstreamSignatureError::InvalidPurpose)
        );
    }
}
