//! Session and admin tokens: `lgsp1.<base64url(JSON claims)>.<base64url(HMAC-SHA256)>`.
//!
//! The MAC covers `lgsp1.` plus the payload, keyed with a server-side token key (never a
//! client secret). Tokens are opaque to clients; only the server that issued them opens them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use serde::{Deserialize, Serialize};

use crate::mac::hmac_sha256;

/// The prefix of every token; also names the format version.
pub const PREFIX: &str = "lgsp1.";
/// The longest token [`open`] reads, in bytes.
pub const MAX_TOKEN_LEN: usize = 4096;
/// Length of the encoded MAC: base64url of 32 bytes without padding.
const MAC_B64_LEN: usize = 43;

/// What a token grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// A session key for data calls (`x-lgsp-session`).
    Session,
    /// An administrator's console session.
    Admin,
}

/// The signed contents of a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// What the token grants.
    pub kind: TokenKind,
    /// The token's own id (for revocation and logs).
    pub id: String,
    /// The application id (sessions) or the admin username (admin tokens).
    pub subject: String,
    /// The caller's agency code, for sessions.
    pub agency: Option<String>,
    /// The access key that opened the session.
    pub key_id: Option<String>,
    /// The destination systems (schemas) the session may reach.
    pub destinations: Vec<String>,
    /// When issued, unix seconds.
    pub issued_at: i64,
    /// When it stops being valid (exclusive), unix seconds.
    pub expires_at: i64,
}

/// Why a token was refused. Messages never repeat the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Not a token of this format, or longer than [`MAX_TOKEN_LEN`].
    #[error(
        "the token is malformed: tokens look like lgsp1.<payload>.<mac> and are at most 4096 bytes; send it exactly as the server returned it"
    )]
    Malformed,
    /// The MAC does not match: altered, or issued by another server or key.
    #[error("the token was not issued by this platform or has been altered; open a new session")]
    BadMac,
    /// The token expired.
    #[error("the token expired at {at} (unix seconds); open a new session")]
    Expired {
        /// Its `expires_at`.
        at: i64,
    },
}

fn mac_of(key: &[u8], payload: &str) -> hmac::Hmac<sha2::Sha256> {
    let mut m = hmac_sha256(key);
    m.update(PREFIX.as_bytes());
    m.update(payload.as_bytes());
    m
}

/// Issues a token carrying `claims`, MACed with `key`.
pub fn issue(key: &[u8], claims: &Claims) -> String {
    // Strings, integers and a vector of strings always serialize.
    #[allow(clippy::expect_used)]
    let json = serde_json::to_vec(claims).expect("claims serialize to JSON");
    let payload = URL_SAFE_NO_PAD.encode(json);
    let mac = URL_SAFE_NO_PAD.encode(mac_of(key, &payload).finalize().into_bytes());
    let mut token = String::with_capacity(PREFIX.len() + payload.len() + 1 + mac.len());
    token.push_str(PREFIX);
    token.push_str(&payload);
    token.push('.');
    token.push_str(&mac);
    token
}

/// Opens a token: checks its form, its MAC (constant time, before reading the claims) and
/// that `now` (unix seconds) is before `expires_at`.
///
/// # Errors
///
/// [`TokenError::Malformed`], [`TokenError::BadMac`] or [`TokenError::Expired`].
pub fn open(key: &[u8], token: &str, now: i64) -> Result<Claims, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let rest = token.strip_prefix(PREFIX).ok_or(TokenError::Malformed)?;
    let (payload, mac) = rest.split_once('.').ok_or(TokenError::Malformed)?;
    if payload.is_empty() || mac.len() != MAC_B64_LEN {
        return Err(TokenError::Malformed);
    }
    let mac = URL_SAFE_NO_PAD
        .decode(mac)
        .map_err(|_| TokenError::Malformed)?;
    mac_of(key, payload)
        .verify_slice(&mac)
        .map_err(|_| TokenError::BadMac)?;
    let json = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| TokenError::Malformed)?;
    let claims: Claims = serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)?;
    if now >= claims.expires_at {
        return Err(TokenError::Expired {
            at: claims.expires_at,
        });
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"token key for tests, 32 bytes ok";

    fn claims() -> Claims {
        Claims {
            kind: TokenKind::Session,
            id: "ses_01".into(),
            subject: "app_abcdefghijklmnop".into(),
            agency: Some("000.00.00.H49".into()),
            key_id: Some("LGSPEXAMPLE7KEY4AB2C".into()),
            destinations: vec!["dan_cu".into(), "bhxh".into()],
            issued_at: 1_790_000_000,
            expires_at: 1_790_003_600,
        }
    }

    #[test]
    fn round_trip() {
        let token = issue(KEY, &claims());
        assert!(token.starts_with("lgsp1."));
        assert_eq!(token.matches('.').count(), 2);
        assert_eq!(open(KEY, &token, 1_790_000_001), Ok(claims()));
        let admin = Claims {
            kind: TokenKind::Admin,
            agency: None,
            key_id: None,
            destinations: vec![],
            ..claims()
        };
        assert_eq!(open(KEY, &issue(KEY, &admin), 1_790_000_001), Ok(admin));
    }

    #[test]
    fn claims_json_is_stable() {
        let token = issue(KEY, &claims());
        let payload = token.split('.').nth(1).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        assert_eq!(json["kind"], "session");
        assert_eq!(json["destinations"][0], "dan_cu");
        assert_eq!(json["expires_at"], 1_790_003_600);
    }

    #[test]
    fn expiry_is_exclusive() {
        let token = issue(KEY, &claims());
        assert!(open(KEY, &token, 1_790_003_599).is_ok());
        assert_eq!(
            open(KEY, &token, 1_790_003_600),
            Err(TokenError::Expired { at: 1_790_003_600 })
        );
        assert!(
            open(KEY, &token, 1_790_003_600)
                .unwrap_err()
                .to_string()
                .contains("open a new session")
        );
    }

    #[test]
    fn wrong_key_and_tampering_fail_the_mac() {
        let token = issue(KEY, &claims());
        assert_eq!(open(b"another key", &token, 0), Err(TokenError::BadMac));
        // Swap in other claims under the old MAC.
        let other = issue(
            KEY,
            &Claims {
                destinations: vec!["dat_dai".into()],
                ..claims()
            },
        );
        let forged = format!(
            "{}.{}",
            other.rsplit_once('.').unwrap().0,
            token.rsplit_once('.').unwrap().1
        );
        assert_eq!(open(KEY, &forged, 0), Err(TokenError::BadMac));
        // Flip one character of the MAC.
        let mut bytes = token.clone().into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            open(KEY, &String::from_utf8(bytes).unwrap(), 0),
            Err(TokenError::BadMac)
        );
    }

    #[test]
    fn malformed_tokens() {
        let good = issue(KEY, &claims());
        let (head, mac) = good.rsplit_once('.').unwrap();
        let mac_of_garbage = URL_SAFE_NO_PAD.encode(mac_of(KEY, "e30x").finalize().into_bytes());
        for t in [
            String::new(),
            "lgsp1.".into(),
            "lgsp2.abc.def".into(),
            good.replacen("lgsp1.", "LGSP1.", 1),
            head.to_owned(),
            format!("{head}.{mac}.extra"),
            format!("{head}.{}", &mac[1..]),
            format!("{head}.{mac}="),
            format!("lgsp1..{mac}"),
            // A valid MAC over a payload that is not base64url JSON of claims.
            format!("lgsp1.e30x.{mac_of_garbage}"),
            format!(
                "lgsp1.e30.{}",
                URL_SAFE_NO_PAD.encode(mac_of(KEY, "e30").finalize().into_bytes())
            ),
        ] {
            assert_eq!(open(KEY, &t, 0), Err(TokenError::Malformed), "{t}");
        }
    }

    #[test]
    fn oversized_tokens_are_malformed_even_with_a_valid_mac() {
        let big = Claims {
            destinations: vec!["x".repeat(4000)],
            ..claims()
        };
        let token = issue(KEY, &big);
        assert!(token.len() > MAX_TOKEN_LEN);
        assert_eq!(open(KEY, &token, 0), Err(TokenError::Malformed));
    }

    #[test]
    fn errors_never_repeat_the_token() {
        let token = issue(KEY, &claims());
        for e in [
            open(b"k", &token, 0).unwrap_err(),
            open(KEY, &token[..40], 0).unwrap_err(),
        ] {
            assert!(!e.to_string().contains(&token[6..20]));
        }
    }
}
