//! The values of the always-signed headers: request date, nonce and body hash.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::MAX_CLOCK_SKEW_SECS;

/// The lowercase hex SHA-256 of `body`, the value of `x-lgsp-content-sha256`.
///
/// # Examples
///
/// ```
/// assert_eq!(
///     lgsp_auth::body_sha256_hex(b""),
///     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/// );
/// ```
pub fn body_sha256_hex(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

/// Formats `t` as `x-lgsp-date` wants it: RFC 3339 UTC to the second, `2026-11-23T08:00:00Z`.
pub fn format_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Why an `x-lgsp-date` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not of the form `2026-11-23T08:00:00Z`.
    #[error(
        "x-lgsp-date must be the UTC time in RFC 3339 form to the second, like 2026-11-23T08:00:00Z (no fraction, no offset other than Z)"
    )]
    Format,
    /// Further than [`MAX_CLOCK_SKEW_SECS`] from the server clock.
    #[error(
        "x-lgsp-date is {skew_secs} s away from the server clock (at most 300 s either way is accepted); synchronize the client clock (NTP) and sign with the current time"
    )]
    Skew {
        /// Request time minus server time, in seconds.
        skew_secs: i64,
    },
}

/// Parses an `x-lgsp-date` value, strictly `YYYY-MM-DDTHH:MM:SSZ`.
///
/// # Errors
///
/// [`DateError::Format`] for anything else (fractions, offsets, lowercase `t`/`z`, impossible dates).
pub fn parse_date(s: &str) -> Result<DateTime<Utc>, DateError> {
    let b = s.as_bytes();
    let shape_ok = b.len() == 20
        && b.iter().enumerate().all(|(i, &c)| match i {
            4 | 7 => c == b'-',
            10 => c == b'T',
            13 | 16 => c == b':',
            19 => c == b'Z',
            _ => c.is_ascii_digit(),
        });
    if !shape_ok {
        return Err(DateError::Format);
    }
    let num = |from: usize, to: usize| -> u32 {
        b[from..to]
            .iter()
            .fold(0, |n, &c| n * 10 + u32::from(c - b'0'))
    };
    let year = i32::try_from(num(0, 4)).map_err(|_| DateError::Format)?;
    NaiveDate::from_ymd_opt(year, num(5, 7), num(8, 10))
        .and_then(|d| d.and_hms_opt(num(11, 13), num(14, 16), num(17, 19)))
        .map(|t| t.and_utc())
        .ok_or(DateError::Format)
}

/// Parses an `x-lgsp-date` value and checks it is within [`MAX_CLOCK_SKEW_SECS`] of `now`.
///
/// # Errors
///
/// [`DateError::Format`] as [`parse_date`]; [`DateError::Skew`] when too far from `now`.
pub fn check_date(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, DateError> {
    let t = parse_date(s)?;
    let skew_secs = (t - now).num_seconds();
    if skew_secs.abs() > MAX_CLOCK_SKEW_SECS {
        return Err(DateError::Skew { skew_secs });
    }
    Ok(t)
}

/// Why an `x-lgsp-nonce` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NonceError {
    /// Shorter than 16 or longer than 64 characters.
    #[error(
        "x-lgsp-nonce has {len} characters; it must have 16 to 64 (32 random characters are a good choice)"
    )]
    Length {
        /// The length found, in bytes.
        len: usize,
    },
    /// A character outside `A-Z a-z 0-9 _ -`.
    #[error(
        "x-lgsp-nonce may contain only A-Z, a-z, 0-9, '_' and '-' (for example base64url of 24 random bytes)"
    )]
    Characters,
}

/// Checks an `x-lgsp-nonce` value: 16 to 64 characters `[A-Za-z0-9_-]`.
///
/// # Errors
///
/// [`NonceError`] says which rule the value breaks.
pub fn check_nonce(s: &str) -> Result<(), NonceError> {
    if !(16..=64).contains(&s.len()) {
        return Err(NonceError::Length { len: s.len() });
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(NonceError::Characters);
    }
    Ok(())
}

/// A fresh nonce: 32 characters, base64url of 24 bytes from the operating system's RNG.
pub fn new_nonce() -> String {
    let mut bytes = [0u8; 24];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn body_hash_of_known_inputs() {
        assert_eq!(
            body_sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn dates_round_trip() {
        let t = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        assert_eq!(format_date(t), "2026-11-23T08:00:00Z");
        assert_eq!(parse_date("2026-11-23T08:00:00Z"), Ok(t));
        assert_eq!(
            parse_date("2024-02-29T23:59:59Z")
                .map(format_date)
                .as_deref(),
            Ok("2024-02-29T23:59:59Z")
        );
    }

    #[test]
    fn dates_outside_the_form_are_refused() {
        for s in [
            "",
            "2026-11-23T08:00:00",
            "2026-11-23T08:00:00.000Z",
            "2026-11-23T08:00:00+00:00",
            "2026-11-23t08:00:00z",
            "2026-11-23 08:00:00Z",
            "2026-02-30T08:00:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T08:00:60Z",
            "+2026-11-23T08:00:0Z",
            "２026-11-23T08:00:00Z",
            "Mon, 23 Nov 2026 08:00:00 GMT",
        ] {
            assert_eq!(parse_date(s), Err(DateError::Format), "{s}");
        }
    }

    #[test]
    fn skew_window_is_inclusive_300_seconds() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        assert!(check_date("2026-11-23T08:05:00Z", now).is_ok());
        assert!(check_date("2026-11-23T07:55:00Z", now).is_ok());
        assert_eq!(
            check_date("2026-11-23T08:05:01Z", now),
            Err(DateError::Skew { skew_secs: 301 })
        );
        assert_eq!(
            check_date("2026-11-23T07:54:59Z", now),
            Err(DateError::Skew { skew_secs: -301 })
        );
        assert_eq!(check_date("soon", now), Err(DateError::Format));
    }

    #[test]
    fn nonce_rules() {
        assert_eq!(check_nonce("0123456789abcdef"), Ok(()));
        assert_eq!(check_nonce(&"a".repeat(64)), Ok(()));
        assert_eq!(
            check_nonce("0123456789abcde"),
            Err(NonceError::Length { len: 15 })
        );
        assert_eq!(
            check_nonce(&"a".repeat(65)),
            Err(NonceError::Length { len: 65 })
        );
        assert_eq!(
            check_nonce("0123456789abcdef="),
            Err(NonceError::Characters)
        );
        assert_eq!(check_nonce("0123456789abcdeé"), Err(NonceError::Characters));
    }

    #[test]
    fn new_nonces_are_valid_and_distinct() {
        let a = new_nonce();
        let b = new_nonce();
        assert_eq!(a.len(), 32);
        assert_eq!(check_nonce(&a), Ok(()));
        assert_ne!(a, b);
    }
}
