//! Client side: credentials and signing an outgoing request's headers.

use chrono::{DateTime, Utc};
use http::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};

use crate::header::valid_access_key;
use crate::{
    ALWAYS_SIGNED, Algorithm, Authorization, CONTENT_SHA256_HEADER, CanonicalError, DATE_HEADER,
    KeyError, NONCE_HEADER, NonceError, RequestToSign, SIGNED_WHEN_PRESENT, SignatureError,
    SigningKey, body_sha256_hex, canonical_request, check_nonce, format_date, sign,
};

/// An access key with the key that signs for it.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The algorithm used to sign.
    pub algorithm: Algorithm,
    /// The access key sent in `Credential=`.
    pub access_key: String,
    /// The signing key (Debug never shows it).
    pub key: SigningKey,
}

impl Credentials {
    /// HMAC-SHA256 credentials; the HMAC key is the secret key string's UTF-8 bytes.
    pub fn hmac(access_key: impl Into<String>, secret_key: &str) -> Self {
        Self {
            algorithm: Algorithm::HmacSha256,
            access_key: access_key.into(),
            key: SigningKey::hmac(secret_key),
        }
    }

    /// HMAC-SHA1 credentials, for applications registered as legacy.
    pub fn hmac_sha1(access_key: impl Into<String>, secret_key: &str) -> Self {
        Self {
            algorithm: Algorithm::HmacSha1,
            ..Self::hmac(access_key, secret_key)
        }
    }

    /// RSA-SHA256 credentials from a PKCS#8 PEM private key.
    ///
    /// # Errors
    ///
    /// [`KeyError`] when the PEM is not a 2048–4096-bit RSA private key in PKCS#8 form.
    pub fn rsa(access_key: impl Into<String>, pkcs8_pem: &str) -> Result<Self, KeyError> {
        Ok(Self {
            algorithm: Algorithm::RsaSha256,
            access_key: access_key.into(),
            key: SigningKey::rsa_from_pem(pkcs8_pem)?,
        })
    }
}

/// Why a request could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The access key has characters the `Authorization` header cannot carry.
    #[error(
        "the access key must be 1 to 128 characters A-Z, a-z, 0-9, '_' or '-'; use it exactly as issued"
    )]
    InvalidAccessKey,
    /// The nonce breaks the nonce rules.
    #[error(transparent)]
    Nonce(#[from] NonceError),
    /// The request cannot be put in canonical form.
    #[error(transparent)]
    Canonical(#[from] CanonicalError),
    /// The key cannot sign with the chosen algorithm.
    #[error(transparent)]
    Signature(#[from] SignatureError),
}

/// Signs a request in place: sets `x-lgsp-date` (from `now`), `x-lgsp-nonce`,
/// `x-lgsp-content-sha256` (of `body`) and `Authorization`, signing those three plus
/// `x-purpose` / `x-lgsp-session` when `headers` carries them. `path_and_query` is the
/// request-line target, e.g. `/v1/query` or `/v1/items?as_of=2025-07-01`.
///
/// # Errors
///
/// [`SignError`]: an invalid access key or nonce, a path or query with a bad `%` escape, a
/// signed header that is not UTF-8, or a key that does not suit the algorithm.
pub fn sign_request(
    creds: &Credentials,
    method: &str,
    path_and_query: &str,
    headers: &mut HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
    nonce: &str,
) -> Result<(), SignError> {
    if !valid_access_key(&creds.access_key) {
        return Err(SignError::InvalidAccessKey);
    }
    check_nonce(nonce)?;
    set(headers, DATE_HEADER, &format_date(now))?;
    set(headers, NONCE_HEADER, nonce)?;
    set(headers, CONTENT_SHA256_HEADER, &body_sha256_hex(body))?;

    let mut signed: Vec<String> = ALWAYS_SIGNED.iter().map(|h| (*h).to_owned()).collect();
    signed.extend(
        SIGNED_WHEN_PRESENT
            .iter()
            .filter(|h| headers.contains_key(**h))
            .map(|h| (*h).to_owned()),
    );
    signed.sort_unstable();

    let req = RequestToSign::from_path_and_query(method, path_and_query, headers);
    let canonical = canonical_request(creds.algorithm, &creds.access_key, &req, &signed)?;
    let signature = sign(creds.algorithm, &creds.key, &canonical)?;
    let value = Authorization {
        algorithm: creds.algorithm,
        access_key: creds.access_key.clone(),
        signed_headers: signed,
        signature,
    }
    .to_header_value();
    set(headers, AUTHORIZATION.as_str(), &value)
}

/// Replaces every value of `name` with `value` (ASCII by construction).
fn set(headers: &mut HeaderMap, name: &'static str, value: &str) -> Result<(), SignError> {
    let value = HeaderValue::from_str(value)
        .map_err(|_| CanonicalError::InvalidHeaderValue(name.to_owned()))?;
    headers.insert(HeaderName::from_static(name), value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{VerifyingKey, verify};
    use chrono::TimeZone;

    const NONCE: &str = "n0nce-n0nce-n0nce-01";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap()
    }

    /// Verifies `headers` as the server would; returns the signed header names.
    fn server_verify(
        method: &str,
        target: &str,
        headers: &HeaderMap,
        key: &VerifyingKey,
    ) -> Result<Vec<String>, String> {
        let auth = Authorization::parse(headers[AUTHORIZATION].to_str().unwrap())
            .map_err(|e| e.to_string())?;
        let req = RequestToSign::from_path_and_query(method, target, headers);
        let canonical =
            canonical_request(auth.algorithm, &auth.access_key, &req, &auth.signed_headers)
                .map_err(|e| e.to_string())?;
        verify(auth.algorithm, key, &canonical, &auth.signature).map_err(|e| e.to_string())?;
        Ok(auth.signed_headers)
    }

    #[test]
    fn signs_the_required_headers_and_verifies() {
        let creds = Credentials::hmac("AK1", "sk");
        let mut h = HeaderMap::new();
        h.insert("accept", HeaderValue::from_static("application/json"));
        sign_request(
            &creds,
            "GET",
            "/v1/schemas?b=1&a=2",
            &mut h,
            b"",
            now(),
            NONCE,
        )
        .unwrap();
        assert_eq!(h[DATE_HEADER], "2026-11-23T08:00:00Z");
        assert_eq!(h[NONCE_HEADER], NONCE);
        assert_eq!(h[CONTENT_SHA256_HEADER], body_sha256_hex(b""));
        let signed =
            server_verify("GET", "/v1/schemas?b=1&a=2", &h, &VerifyingKey::hmac("sk")).unwrap();
        assert_eq!(signed, ALWAYS_SIGNED);
    }

    #[test]
    fn purpose_and_session_are_signed_when_present() {
        let creds = Credentials::hmac_sha1("AK1", "sk");
        let mut h = HeaderMap::new();
        h.insert(
            "x-purpose",
            HeaderValue::from_bytes("Xác minh".as_bytes()).unwrap(),
        );
        h.insert("x-lgsp-session", HeaderValue::from_static("lgsp1.a.b"));
        sign_request(&creds, "POST", "/v1/query", &mut h, b"{}", now(), NONCE).unwrap();
        let signed = server_verify("POST", "/v1/query", &h, &VerifyingKey::hmac("sk")).unwrap();
        assert_eq!(
            signed,
            [
                "x-lgsp-content-sha256",
                "x-lgsp-date",
                "x-lgsp-nonce",
                "x-lgsp-session",
                "x-purpose"
            ]
        );
        assert!(
            h[AUTHORIZATION]
                .to_str()
                .unwrap()
                .starts_with("LGSP-HMAC-SHA1 Credential=AK1, ")
        );
    }

    #[test]
    fn tampering_any_signed_part_fails() {
        let creds = Credentials::hmac("AK1", "sk");
        let vk = VerifyingKey::hmac("sk");
        let mut h = HeaderMap::new();
        h.insert("x-purpose", HeaderValue::from_static("audit"));
        h.insert("x-lgsp-session", HeaderValue::from_static("lgsp1.a.b"));
        sign_request(&creds, "POST", "/v1/query?x=1", &mut h, b"{}", now(), NONCE).unwrap();
        assert!(server_verify("POST", "/v1/query?x=1", &h, &vk).is_ok());

        // Method, path, query.
        for (m, t) in [
            ("PUT", "/v1/query?x=1"),
            ("POST", "/v1/querz?x=1"),
            ("POST", "/v1/query?x=2"),
            ("POST", "/v1/query"),
        ] {
            let e = server_verify(m, t, &h, &vk).unwrap_err();
            assert!(e.contains("does not match"), "{m} {t}: {e}");
        }
        // Every signed header value.
        for name in [
            "x-purpose",
            "x-lgsp-session",
            DATE_HEADER,
            NONCE_HEADER,
            CONTENT_SHA256_HEADER,
        ] {
            let mut t = h.clone();
            t.insert(
                HeaderName::from_static(name),
                HeaderValue::from_static("tampered-value-0000"),
            );
            let e = server_verify("POST", "/v1/query?x=1", &t, &vk).unwrap_err();
            assert!(e.contains("does not match"), "{name}: {e}");
        }
        // Removing a conditionally signed header changes SignedHeaders' meaning.
        let mut t = h.clone();
        t.remove("x-purpose");
        assert!(
            server_verify("POST", "/v1/query?x=1", &t, &vk)
                .unwrap_err()
                .contains("SignedHeaders lists x-purpose")
        );
        // Adding one that was not signed is refused.
        let mut t = HeaderMap::new();
        sign_request(&creds, "GET", "/", &mut t, b"", now(), NONCE).unwrap();
        t.insert("x-purpose", HeaderValue::from_static("added"));
        assert!(
            server_verify("GET", "/", &t, &vk)
                .unwrap_err()
                .contains("must list x-purpose")
        );
        // Access key and algorithm in the header.
        for (from, to) in [
            ("Credential=AK1", "Credential=AK2"),
            ("LGSP-HMAC-SHA256", "LGSP-HMAC-SHA1"),
        ] {
            let mut t = h.clone();
            let v = t[AUTHORIZATION].to_str().unwrap().replace(from, to);
            t.insert(AUTHORIZATION, HeaderValue::from_str(&v).unwrap());
            assert!(
                server_verify("POST", "/v1/query?x=1", &t, &vk)
                    .unwrap_err()
                    .contains("does not match")
            );
        }
    }

    #[test]
    fn resigning_replaces_old_values() {
        let creds = Credentials::hmac("AK1", "sk");
        let mut h = HeaderMap::new();
        sign_request(&creds, "GET", "/", &mut h, b"", now(), NONCE).unwrap();
        sign_request(&creds, "GET", "/", &mut h, b"", now(), "another-nonce-0002").unwrap();
        assert_eq!(h.get_all(NONCE_HEADER).iter().count(), 1);
        assert_eq!(h.get_all(AUTHORIZATION).iter().count(), 1);
        assert!(server_verify("GET", "/", &h, &VerifyingKey::hmac("sk")).is_ok());
    }

    #[test]
    fn bad_inputs_are_reported() {
        let mut h = HeaderMap::new();
        let creds = Credentials::hmac("AK 1", "sk");
        assert_eq!(
            sign_request(&creds, "GET", "/", &mut h, b"", now(), NONCE),
            Err(SignError::InvalidAccessKey)
        );
        let creds = Credentials::hmac("AK1", "sk");
        assert_eq!(
            sign_request(&creds, "GET", "/", &mut h, b"", now(), "short"),
            Err(SignError::Nonce(NonceError::Length { len: 5 }))
        );
        assert!(matches!(
            sign_request(&creds, "GET", "/a%zz", &mut h, b"", now(), NONCE),
            Err(SignError::Canonical(CanonicalError::InvalidPath(_)))
        ));
        let wrong = Credentials {
            algorithm: Algorithm::RsaSha256,
            ..creds
        };
        assert!(matches!(
            sign_request(&wrong, "GET", "/", &mut h, b"", now(), NONCE),
            Err(SignError::Signature(SignatureError::WrongKeyType { .. }))
        ));
    }

    #[test]
    fn credentials_debug_hides_the_secret() {
        let text = format!("{:?}", Credentials::hmac("AK1", "top-secret"));
        assert!(
            text.contains("AK1") && !text.contains("top-secret"),
            "{text}"
        );
    }
}
