//! The canonical request: the exact string a signature covers.

use http::HeaderMap;

use crate::percent::{self, BadEscape};
use crate::{ALWAYS_SIGNED, Algorithm, CONTENT_SHA256_HEADER, SIGNED_WHEN_PRESENT};

/// The parts of an HTTP request that the canonical form reads.
#[derive(Debug, Clone, Copy)]
pub struct RequestToSign<'a> {
    /// The method, e.g. `GET` (uppercased in the canonical form).
    pub method: &'a str,
    /// The raw path as sent, before `?` (not decoded).
    pub path: &'a str,
    /// The raw query as sent, after `?`, if the request line has one.
    pub query: Option<&'a str>,
    /// The request headers.
    pub headers: &'a HeaderMap,
}

impl<'a> RequestToSign<'a> {
    /// Splits a request-line target such as `/v1/items?a=1` into path and query.
    pub fn from_path_and_query(
        method: &'a str,
        path_and_query: &'a str,
        headers: &'a HeaderMap,
    ) -> Self {
        let (path, query) = match path_and_query.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (path_and_query, None),
        };
        Self {
            method,
            path,
            query,
            headers,
        }
    }
}

/// Why a canonical request could not be built. Header names in messages come from
/// `SignedHeaders`; values and the path are never repeated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonicalError {
    /// A header listed in `SignedHeaders` is not in the request.
    #[error(
        "SignedHeaders lists {0} but the request has no {0} header; send the header or remove it from SignedHeaders"
    )]
    MissingSignedHeader(String),
    /// A header that must be signed is not listed in `SignedHeaders`.
    #[error(
        "SignedHeaders must list {0} (x-lgsp-content-sha256, x-lgsp-date and x-lgsp-nonce always; x-purpose and x-lgsp-session whenever the request carries them)"
    )]
    MissingRequiredHeader(String),
    /// A signed header's value is not valid UTF-8.
    #[error(
        "the value of the signed header {0} is not valid UTF-8; send text as UTF-8 bytes (Vietnamese in x-purpose included)"
    )]
    InvalidHeaderValue(String),
    /// The path cannot be canonicalized; the text says why.
    #[error("the request path {0}")]
    InvalidPath(String),
    /// The query cannot be canonicalized; the text says why.
    #[error("the query string {0}")]
    InvalidQuery(String),
}

const BAD_ESCAPE: &str = "has a '%' not followed by two hex digits; encode a literal '%' as %25";

/// Builds the canonical request: lines joined by `\n`, no trailing newline:
/// algorithm name, access key, uppercase method, canonical path, canonical query, one
/// `name:value` line per signed header in `signed_headers` order, the names joined by `;`,
/// and the value of `x-lgsp-content-sha256`.
///
/// `signed_headers` is used in the order given ([`crate::Authorization::parse`] guarantees
/// sorted, lowercase names).
///
/// # Errors
///
/// [`CanonicalError::MissingRequiredHeader`] when an always-signed header, or a present
/// `x-purpose`/`x-lgsp-session`, is not listed; [`CanonicalError::MissingSignedHeader`] when a
/// listed header is absent; [`CanonicalError::InvalidHeaderValue`] for a value that is not UTF-8;
/// [`CanonicalError::InvalidPath`] / [`CanonicalError::InvalidQuery`] for a bad `%` escape or a
/// path not starting with `/`.
pub fn canonical_request(
    algorithm: Algorithm,
    access_key: &str,
    req: &RequestToSign<'_>,
    signed_headers: &[String],
) -> Result<String, CanonicalError> {
    check_listed(req.headers, signed_headers)?;
    let query_len = req.query.map_or(0, str::len);
    // One allocation in the common case: encoding grows at most 3x, most requests far less.
    let mut out = String::with_capacity(512 + access_key.len() + 2 * (req.path.len() + query_len));
    out.push_str(algorithm.name());
    out.push('\n');
    out.push_str(access_key);
    out.push('\n');
    out.extend(req.method.chars().map(|c| c.to_ascii_uppercase()));
    out.push('\n');
    push_path(&mut out, req.path)?;
    out.push('\n');
    if let Some(query) = req.query {
        push_query(&mut out, query)?;
    }
    out.push('\n');
    for name in signed_headers {
        out.push_str(name);
        out.push(':');
        push_header_value(&mut out, req.headers, name)?;
        out.push('\n');
    }
    for (i, name) in signed_headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        out.push_str(name);
    }
    out.push('\n');
    push_header_value(&mut out, req.headers, CONTENT_SHA256_HEADER)?;
    Ok(out)
}

fn check_listed(headers: &HeaderMap, signed: &[String]) -> Result<(), CanonicalError> {
    let listed = |name: &str| signed.iter().any(|s| s == name);
    for name in ALWAYS_SIGNED {
        if !listed(name) {
            return Err(CanonicalError::MissingRequiredHeader(name.to_owned()));
        }
    }
    for name in SIGNED_WHEN_PRESENT {
        if headers.contains_key(name) && !listed(name) {
            return Err(CanonicalError::MissingRequiredHeader(name.to_owned()));
        }
    }
    Ok(())
}

/// Appends the path with each segment decoded and re-encoded; empty → `/`.
pub(crate) fn push_path(out: &mut String, path: &str) -> Result<(), CanonicalError> {
    if path.is_empty() {
        out.push('/');
        return Ok(());
    }
    if !path.starts_with('/') {
        return Err(CanonicalError::InvalidPath(
            "must start with '/' (send the path as on the request line, e.g. /v1/query)".into(),
        ));
    }
    percent::recode_into(out, path, true)
        .map_err(|BadEscape| CanonicalError::InvalidPath(BAD_ESCAPE.into()))
}

/// Appends the query: parameters decoded and re-encoded, sorted by (name, value), joined by `&`.
pub(crate) fn push_query(out: &mut String, query: &str) -> Result<(), CanonicalError> {
    // Encoded names and values go into one buffer; `spans` holds (start, name end, end).
    let mut buf = String::with_capacity(query.len() + query.len() / 2);
    let mut spans: Vec<(usize, usize, usize)> = Vec::new();
    for part in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = part.split_once('=').unwrap_or((part, ""));
        let bad = |BadEscape| CanonicalError::InvalidQuery(BAD_ESCAPE.into());
        let start = buf.len();
        percent::recode_into(&mut buf, name, false).map_err(bad)?;
        let mid = buf.len();
        percent::recode_into(&mut buf, value, false).map_err(bad)?;
        spans.push((start, mid, buf.len()));
    }
    let pair = |&(s, m, e): &(usize, usize, usize)| (buf.get(s..m), buf.get(m..e));
    spans.sort_unstable_by(|a, b| pair(a).cmp(&pair(b)));
    for (i, span) in spans.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        let (name, value) = pair(span);
        out.push_str(name.unwrap_or_default());
        out.push('=');
        out.push_str(value.unwrap_or_default());
    }
    Ok(())
}

/// Appends every value of `name`, each trimmed and with runs of spaces/tabs collapsed to one
/// space, joined by `,`.
fn push_header_value(
    out: &mut String,
    headers: &HeaderMap,
    name: &str,
) -> Result<(), CanonicalError> {
    let mut found = false;
    for value in headers.get_all(name) {
        let text = std::str::from_utf8(value.as_bytes())
            .map_err(|_| CanonicalError::InvalidHeaderValue(name.to_owned()))?;
        if found {
            out.push(',');
        }
        found = true;
        for (i, word) in text
            .split([' ', '\t'])
            .filter(|w| !w.is_empty())
            .enumerate()
        {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    if found {
        Ok(())
    } else {
        Err(CanonicalError::MissingSignedHeader(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn base_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "x-lgsp-content-sha256",
            HeaderValue::from_static(
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
        );
        h.insert(
            "x-lgsp-date",
            HeaderValue::from_static("2026-11-23T08:00:00Z"),
        );
        h.insert("x-lgsp-nonce", HeaderValue::from_static("0123456789abcdef"));
        h
    }

    fn always() -> Vec<String> {
        ALWAYS_SIGNED.iter().map(|s| (*s).to_owned()).collect()
    }

    fn canon(
        method: &str,
        target: &str,
        headers: &HeaderMap,
        signed: &[String],
    ) -> Result<String, CanonicalError> {
        let req = RequestToSign::from_path_and_query(method, target, headers);
        canonical_request(Algorithm::HmacSha256, "AK", &req, signed)
    }

    /// The path and query lines of the canonical form of `target`.
    fn path_query(target: &str) -> Result<(String, String), CanonicalError> {
        let c = canon("GET", target, &base_headers(), &always())?;
        let lines: Vec<&str> = c.split('\n').collect();
        Ok((lines[3].to_owned(), lines[4].to_owned()))
    }

    fn query(target: &str) -> String {
        path_query(target).unwrap().1
    }

    #[test]
    fn whole_form() {
        let c = canon("get", "/v1/x?b=2&a=1", &base_headers(), &always()).unwrap();
        assert_eq!(
            c,
            "LGSP-HMAC-SHA256\nAK\nGET\n/v1/x\na=1&b=2\n\
             x-lgsp-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
             x-lgsp-date:2026-11-23T08:00:00Z\n\
             x-lgsp-nonce:0123456789abcdef\n\
             x-lgsp-content-sha256;x-lgsp-date;x-lgsp-nonce\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn paths() {
        assert_eq!(path_query("").unwrap().0, "/");
        assert_eq!(path_query("?a=1").unwrap().0, "/");
        assert_eq!(path_query("/").unwrap().0, "/");
        assert_eq!(path_query("/a/%7e%7Eb/").unwrap().0, "/a/~~b/");
        assert_eq!(path_query("/a%2fb/c").unwrap().0, "/a%2Fb/c");
        assert_eq!(path_query("/a%20b/c+d").unwrap().0, "/a%20b/c%2Bd");
        assert_eq!(
            path_query("/d%C3%A2n-c%c6%b0").unwrap().0,
            "/d%C3%A2n-c%C6%B0"
        );
        assert_eq!(path_query("/dân").unwrap().0, "/d%C3%A2n");
        assert_eq!(path_query("//a/./../b").unwrap().0, "//a/./../b");
    }

    #[test]
    fn bad_paths() {
        for target in ["v1/x", "*", "http://h/x"] {
            let e = path_query(target).unwrap_err();
            assert!(matches!(e, CanonicalError::InvalidPath(_)), "{target}");
            assert!(e.to_string().contains("must start with '/'"));
        }
        for target in ["/a%", "/a%2", "/a%zz/b", "/100%"] {
            let e = path_query(target).unwrap_err();
            assert!(matches!(e, CanonicalError::InvalidPath(_)), "{target}");
            assert!(e.to_string().contains("%25"), "{e}");
        }
    }

    #[test]
    fn query_sorting_and_encoding() {
        assert_eq!(query("/x"), "");
        assert_eq!(query("/x?"), "");
        assert_eq!(query("/x?&&"), "");
        assert_eq!(query("/x?b=2&a=1&c"), "a=1&b=2&c=");
        // Repeated names sort by value; sorting is on the encoded form.
        assert_eq!(query("/x?a=2&a=10&a=1"), "a=1&a=10&a=2");
        assert_eq!(query("/x?a=b&a=%41"), "a=A&a=b");
        // `+` is a literal plus, never a space.
        assert_eq!(query("/x?q=a+b&r=a%20b"), "q=a%2Bb&r=a%20b");
        // `~` may arrive encoded or not.
        assert_eq!(query("/x?t=%7e&u=%7E&v=~"), "t=~&u=~&v=~");
        // Empty values and names.
        assert_eq!(query("/x?a=&=b&c"), "=b&a=&c=");
        // Only the first `=` splits.
        assert_eq!(query("/x?f=a=b"), "f=a%3Db");
        // UTF-8, raw or encoded, comes out encoded with uppercase hex.
        assert_eq!(
            query("/x?q=H%c3%a0%20N%E1%BB%99i"),
            "q=H%C3%A0%20N%E1%BB%99i"
        );
        assert_eq!(query("/x?q=Hà"), "q=H%C3%A0");
        // Reserved characters are encoded.
        assert_eq!(query("/x?p=a/b:c"), "p=a%2Fb%3Ac");
    }

    #[test]
    fn bad_queries() {
        for target in ["/x?a=%", "/x?a%zz=1", "/x?a=1&b=%4"] {
            let e = path_query(target).unwrap_err();
            assert!(matches!(e, CanonicalError::InvalidQuery(_)), "{target}");
            assert!(e.to_string().contains("%25"));
        }
    }

    #[test]
    fn header_values_are_trimmed_collapsed_and_joined() {
        let mut h = base_headers();
        h.append("x-purpose", HeaderValue::from_static("  a \t  b  "));
        h.append("x-purpose", HeaderValue::from_static("c"));
        h.append("x-purpose", HeaderValue::from_static(""));
        let signed: Vec<String> = [
            "x-lgsp-content-sha256",
            "x-lgsp-date",
            "x-lgsp-nonce",
            "x-purpose",
        ]
        .map(String::from)
        .to_vec();
        let c = canon("POST", "/", &h, &signed).unwrap();
        assert!(c.contains("\nx-purpose:a b,c,\n"), "{c}");
    }

    #[test]
    fn utf8_header_values_pass_and_other_bytes_fail() {
        let mut h = base_headers();
        h.insert(
            "x-purpose",
            HeaderValue::from_bytes("Xác minh cư trú".as_bytes()).unwrap(),
        );
        let mut signed = always();
        signed.push("x-purpose".into());
        let c = canon("POST", "/", &h, &signed).unwrap();
        assert!(c.contains("\nx-purpose:Xác minh cư trú\n"), "{c}");

        h.insert("x-purpose", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        assert_eq!(
            canon("POST", "/", &h, &signed),
            Err(CanonicalError::InvalidHeaderValue("x-purpose".into()))
        );
    }

    #[test]
    fn required_headers_must_be_listed() {
        for missing in ALWAYS_SIGNED {
            let signed: Vec<String> = always().into_iter().filter(|s| s != missing).collect();
            let e = canon("GET", "/", &base_headers(), &signed).unwrap_err();
            assert_eq!(e, CanonicalError::MissingRequiredHeader(missing.into()));
            assert!(
                e.to_string()
                    .starts_with(&format!("SignedHeaders must list {missing}"))
            );
        }
        for present in SIGNED_WHEN_PRESENT {
            let mut h = base_headers();
            h.insert(present, HeaderValue::from_static("v"));
            let e = canon("GET", "/", &h, &always()).unwrap_err();
            assert_eq!(e, CanonicalError::MissingRequiredHeader(present.into()));
        }
    }

    #[test]
    fn listed_headers_must_be_present() {
        let mut h = base_headers();
        h.remove("x-lgsp-nonce");
        assert_eq!(
            canon("GET", "/", &h, &always()),
            Err(CanonicalError::MissingSignedHeader("x-lgsp-nonce".into()))
        );
        let mut signed = always();
        signed.insert(0, "content-type".into());
        let e = canon("GET", "/", &base_headers(), &signed).unwrap_err();
        assert_eq!(
            e,
            CanonicalError::MissingSignedHeader("content-type".into())
        );
        assert!(e.to_string().contains("remove it from SignedHeaders"));
    }

    #[test]
    fn unsigned_headers_do_not_matter() {
        let mut h = base_headers();
        let before = canon("GET", "/", &h, &always()).unwrap();
        h.insert("accept", HeaderValue::from_static("text/csv"));
        h.insert("user-agent", HeaderValue::from_static("x"));
        assert_eq!(canon("GET", "/", &h, &always()).unwrap(), before);
    }

    #[test]
    fn errors_do_not_repeat_paths_or_values() {
        let e = path_query("/secret%zz").unwrap_err().to_string();
        assert!(!e.contains("secret"), "{e}");
        let e = path_query("/x?token=secret%zz").unwrap_err().to_string();
        assert!(!e.contains("secret"), "{e}");
    }
}
