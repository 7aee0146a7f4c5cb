//! Fuzzes everything lgsp-auth reads from the network: the Authorization header, the canonical
//! form of a request (method, path, query, headers), session tokens, dates, nonces and the
//! upstream signature headers. Nothing may panic; a parsed header must format back to itself.

#![no_main]

use chrono::{TimeZone, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};
use lgsp_auth::{
    ALWAYS_SIGNED, Algorithm, Authorization, RequestToSign, VerifyingKey, canonical_request,
    check_nonce, outbound, parse_date, token, verify,
};
use libfuzzer_sys::fuzz_target;

const TOKEN_KEY: &[u8] = b"fuzz token key";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);

    // The whole input as an Authorization value: must not panic, and must round-trip.
    if let Ok(auth) = Authorization::parse(&text) {
        let again = Authorization::parse(&auth.to_header_value());
        assert_eq!(again.as_ref(), Ok(&auth), "parse(to_header_value(x)) != x");
        let _ = verify(
            auth.algorithm,
            &VerifyingKey::Hmac(b"k".to_vec()),
            &text,
            &auth.signature,
        );
    }
    let _ = token::open(TOKEN_KEY, &text, 1_800_000_000);
    let _ = parse_date(&text);
    let _ = check_nonce(&text);
    let _ = outbound::decode_purpose(&text);

    // Split on NUL: Authorization, method, path, query, then `name:value` headers.
    let mut parts = data.split(|b| *b == 0);
    let auth_part = parts
        .next()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let method = parts
        .next()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let path = parts
        .next()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let query = parts.next().map(String::from_utf8_lossy);
    let mut headers = HeaderMap::new();
    for raw in parts {
        let (name, value) = match raw.iter().position(|b| *b == b':') {
            Some(i) => (&raw[..i], &raw[i + 1..]),
            None => (raw, &b""[..]),
        };
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            headers.append(n, v);
        }
    }
    let req = RequestToSign {
        method: &method,
        path: &path,
        query: query.as_deref(),
        headers: &headers,
    };
    let (algorithm, access_key, signed) = match Authorization::parse(&auth_part) {
        Ok(a) => (a.algorithm, a.access_key, a.signed_headers),
        Err(_) => {
            // Sign whatever headers are present, so canonicalization runs on most inputs.
            let mut names: Vec<String> = headers.keys().map(|k| k.as_str().to_owned()).collect();
            names.extend(ALWAYS_SIGNED.iter().map(|h| (*h).to_owned()));
            names.sort();
            names.dedup();
            (Algorithm::HmacSha256, "AK".to_owned(), names)
        }
    };
    if let Ok(canonical) = canonical_request(algorithm, &access_key, &req, &signed) {
        assert!(canonical.starts_with(algorithm.name()));
    }

    // The upstream verifier reads the same headers.
    let target = match &query {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    if let Some(now) = Utc.timestamp_opt(1_795_420_800, 0).single() {
        let _ = outbound::verify_upstream(b"secret", &method, &target, &headers, now);
    }
});
