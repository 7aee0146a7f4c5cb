//! A small blocking HTTP client over WASI HTTP, with JSON helpers, timeouts and a
//! cap on response size. The host decides which hosts it may reach.

use crate::error::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::streams::StreamError;

/// Largest chunk `blocking-write-and-flush` accepts.
const WRITE_CHUNK: usize = 4096;

/// An HTTP client for one upstream base URL.
///
/// # Examples
/// ```no_run
/// use lgsp_guest::HttpClient;
/// use std::time::Duration;
/// # fn run() -> lgsp_guest::Result<()> {
/// let api = HttpClient::new("http://10.0.0.5:8080/api")?
///     .header("x-api-key", "secret")
///     .timeout(Duration::from_secs(5));
/// let citizen: serde_json::Value = api.get("/v1/cong-dan/001085012345", &[])?.check()?.json()?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HttpClient {
    https: bool,
    authority: String,
    base_path: String,
    headers: Vec<(String, String)>,
    timeout: Duration,
    max_body_bytes: usize,
}

impl HttpClient {
    /// A client for `base_url` (`http://host:port/prefix` or `https://...`),
    /// with a 10 s timeout and a 16 MiB response cap.
    ///
    /// # Errors
    /// `internal` when `base_url` is not an http(s) URL with a host.
    pub fn new(base_url: &str) -> Result<Self> {
        let bad = || {
            Error::internal(format!(
                "base URL {base_url:?} is not http(s)://host[:port][/path]"
            ))
        };
        let (https, rest) = if let Some(r) = base_url.strip_prefix("http://") {
            (false, r)
        } else if let Some(r) = base_url.strip_prefix("https://") {
            (true, r)
        } else {
            return Err(bad());
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains(['@', ' ', '?', '#']) {
            return Err(bad());
        }
        Ok(Self {
            https,
            authority: authority.to_owned(),
            base_path: path.trim_end_matches('/').to_owned(),
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            max_body_bytes: 16 << 20,
        })
    }

    /// The client the administrator configured: `base_url` (required) and
    /// `timeout_ms` (optional, default 5,000) from the connector's
    /// configuration. Add the upstream's credentials with [`Self::header`].
    ///
    /// # Errors
    /// `internal` when `base_url` is missing or not an http(s) URL.
    pub fn from_config() -> Result<Self> {
        let base_url = crate::required_config("base_url")?;
        let timeout_ms = crate::config("timeout_ms")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(5_000);
        Ok(Self::new(&base_url)?.timeout(Duration::from_millis(timeout_ms)))
    }

    /// Adds a header sent with every request (e.g. an API key).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the connect, first-byte and between-bytes timeouts.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the largest response body accepted.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// `GET base_path + path ? query`.
    ///
    /// # Errors
    /// See [`Self::send`].
    pub fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Response> {
        self.send("GET", &with_query(path, query), None)
    }

    /// `POST` a JSON body.
    ///
    /// # Errors
    /// See [`Self::send`].
    pub fn post_json<T: Serialize>(&self, path: &str, body: &T) -> Result<Response> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::internal(format!("encoding request body: {e}")))?;
        self.send("POST", path, Some(("application/json", bytes)))
    }

    /// Sends a request with an optional `(content-type, body)`.
    ///
    /// # Errors
    /// `upstream-unavailable` when the upstream cannot be reached (or the
    /// platform refuses the destination), `timeout` when it does not answer in
    /// time, `upstream-error` when the answer is malformed or too large.
    pub fn send(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<(&str, Vec<u8>)>,
    ) -> Result<Response> {
        let mut headers: Vec<(String, Vec<u8>)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.as_bytes().to_vec()))
            .collect();
        headers.push(("accept".into(), b"application/json".to_vec()));
        if let Some((content_type, _)) = &body {
            headers.push(("content-type".into(), content_type.as_bytes().to_vec()));
        }
        let fields = Fields::from_list(&headers)
            .map_err(|e| Error::internal(format!("invalid request header: {e:?}")))?;
        let request = OutgoingRequest::new(fields);
        let method = match method {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            other => Method::Other(other.to_owned()),
        };
        let scheme = if self.https {
            Scheme::Https
        } else {
            Scheme::Http
        };
        let path = format!("{}{}", self.base_path, path_and_query);
        let invalid = |what: &str| Error::internal(format!("invalid request {what}"));
        request
            .set_method(&method)
            .map_err(|()| invalid("method"))?;
        request
            .set_scheme(Some(&scheme))
            .map_err(|()| invalid("scheme"))?;
        request
            .set_authority(Some(&self.authority))
            .map_err(|()| invalid("authority"))?;
        request
            .set_path_with_query(Some(&path))
            .map_err(|()| invalid("path"))?;
        let outgoing_body = request.body().map_err(|()| invalid("body"))?;

        let options = RequestOptions::new();
        let nanos = u64::try_from(self.timeout.as_nanos()).unwrap_or(u64::MAX);
        // A host may not support every timeout; the others still apply.
        let _ = options.set_connect_timeout(Some(nanos));
        let _ = options.set_first_byte_timeout(Some(nanos));
        let _ = options.set_between_bytes_timeout(Some(nanos));

        let pending = outgoing_handler::handle(request, Some(options))
            .map_err(|e| transport_error(&self.authority, e))?;
        write_body(outgoing_body, body.map(|(_, b)| b))?;

        pending.subscribe().block();
        let response = match pending.get() {
            Some(Ok(Ok(r))) => r,
            Some(Ok(Err(code))) => return Err(transport_error(&self.authority, code)),
            Some(Err(())) | None => return Err(Error::internal("response future polled twice")),
        };
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let incoming = response
            .consume()
            .map_err(|()| Error::upstream_error("response body unavailable"))?;
        let body = read_body(incoming, self.max_body_bytes)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

fn write_body(body: OutgoingBody, bytes: Option<Vec<u8>>) -> Result<()> {
    if let Some(bytes) = bytes {
        let stream = body
            .write()
            .map_err(|()| Error::internal("request body stream unavailable"))?;
        for chunk in bytes.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| Error::upstream_unavailable(format!("sending request body: {e:?}")))?;
        }
        drop(stream);
    }
    OutgoingBody::finish(body, None)
        .map_err(|e| Error::upstream_unavailable(format!("sending request: {e:?}")))
}

fn read_body(incoming: IncomingBody, max: usize) -> Result<Vec<u8>> {
    let stream = incoming
        .stream()
        .map_err(|()| Error::upstream_error("response body stream unavailable"))?;
    let mut out = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                if out.len() + chunk.len() > max {
                    return Err(Error::upstream_error(format!(
                        "the upstream answer exceeds the connector's limit of {max} bytes"
                    )));
                }
                out.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(Error::upstream_error(format!(
                    "reading the upstream answer failed: {}",
                    e.to_debug_string()
                )));
            }
        }
    }
    drop(stream);
    let _ = IncomingBody::finish(incoming);
    Ok(out)
}

fn transport_error(authority: &str, code: ErrorCode) -> Error {
    match code {
        ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => {
            Error::timeout(format!("the upstream {authority} did not answer in time"))
        }
        ErrorCode::HttpRequestDenied => Error::upstream_unavailable(format!(
            "the platform does not allow this connector to reach {authority}"
        )),
        other => {
            Error::upstream_unavailable(format!("cannot reach the upstream {authority}: {other:?}"))
        }
    }
}

/// Appends `?k=v&...` with percent-encoded values.
fn with_query(path: &str, query: &[(&str, &str)]) -> String {
    let mut out = path.to_owned();
    for (i, (k, v)) in query.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(&percent_encode(k));
        out.push('=');
        out.push_str(&percent_encode(v));
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An upstream's answer, fully read.
#[derive(Debug, Clone)]
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// `Retry-After` in seconds, when the upstream sent one.
    pub fn retry_after(&self) -> Option<u32> {
        self.header("retry-after")?.trim().parse().ok()
    }

    /// Parses the body as JSON.
    ///
    /// # Errors
    /// `upstream-error` saying where the JSON is malformed.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::upstream_error(format!("the upstream answered with unreadable JSON: {e}"))
        })
    }

    /// Passes 2xx answers through and turns the others into typed errors:
    /// 429/503 → `upstream-unavailable` (with `Retry-After`), 408/504 →
    /// `timeout`, 404 → `not-found`, anything else → `upstream-error`.
    ///
    /// # Errors
    /// As above.
    pub fn check(self) -> Result<Self> {
        let status = self.status;
        match status {
            200..=299 => Ok(self),
            429 => Err(with_retry(
                Error::upstream_unavailable("the upstream is rate limiting requests (HTTP 429)"),
                self.retry_after(),
            )),
            503 => Err(with_retry(
                Error::upstream_unavailable("the upstream is unavailable (HTTP 503)"),
                self.retry_after(),
            )),
            408 | 504 => Err(Error::timeout(format!(
                "the upstream timed out (HTTP {status})"
            ))),
            404 => Err(Error::not_found(
                "the upstream has no such record (HTTP 404)",
            )),
            401 | 403 => Err(Error::upstream_error(format!(
                "the upstream refused the connector's credentials (HTTP {status}); check its configuration"
            ))),
            _ => Err(Error::upstream_error(format!(
                "the upstream answered HTTP {status}"
            ))),
        }
    }
}

fn with_retry(e: Error, secs: Option<u32>) -> Error {
    match secs {
        Some(s) => e.with_retry_after(s),
        None => e,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_base_urls() {
        let c = HttpClient::new("http://127.0.0.1:8701/api/").expect("valid");
        assert_eq!(c.authority, "127.0.0.1:8701");
        assert_eq!(c.base_path, "/api");
        assert!(HttpClient::new("ftp://x").is_err());
        assert!(HttpClient::new("http://user@host/").is_err());
        assert!(HttpClient::new("http:///x").is_err());
    }

    #[test]
    fn encodes_queries() {
        assert_eq!(
            with_query("/a", &[("maXa", "00004"), ("q", "Hà Nội&x")]),
            "/a?maXa=00004&q=H%C3%A0%20N%E1%BB%99i%26x"
        );
    }

    #[test]
    fn maps_statuses() {
        let r = |status: u16, headers: Vec<(String, String)>| Response {
            status,
            headers,
            body: Vec::new(),
        };
        let e = r(429, vec![("Retry-After".into(), "7".into())])
            .check()
            .expect_err("429");
        assert_eq!(e.kind(), crate::ErrorKind::UpstreamUnavailable);
        assert_eq!(e.retry_after_seconds(), Some(7));
        assert_eq!(
            r(503, vec![]).check().expect_err("503").kind(),
            crate::ErrorKind::UpstreamUnavailable
        );
        assert_eq!(
            r(504, vec![]).check().expect_err("504").kind(),
            crate::ErrorKind::Timeout
        );
        assert_eq!(
            r(500, vec![]).check().expect_err("500").kind(),
            crate::ErrorKind::UpstreamError
        );
        assert!(r(200, vec![]).check().is_ok());
    }
}
