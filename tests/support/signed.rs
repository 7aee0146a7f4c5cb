//! A signed HTTP client for the tests and benchmarks: signs every request
//! (docs/authentication.md) with an application's key, and opens and reuses a
//! session key for data requests.

use lgsp_auth::Credentials;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::sync::Mutex;

/// An HTTP client for the current thread. A client's pooled connections
/// belong to the tokio runtime that opened them, and every test has its own
/// runtime (on its own thread), so a client must not be shared between them.
fn http() -> reqwest::Client {
    thread_local! {
        static CLIENT: reqwest::Client = reqwest::Client::new();
    }
    CLIENT.with(Clone::clone)
}

/// An application's key with the platform it talks to.
#[derive(Debug)]
pub struct SignedClient {
    base: String,
    creds: Credentials,
    /// The purpose sent with data requests.
    pub purpose: String,
    session: Mutex<Option<String>>,
    destinations: Vec<String>,
}

/// A request to sign and send.
#[derive(Debug, Clone, Default)]
pub struct Call<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path and query, e.g. `/v1/query`.
    pub path: &'a str,
    /// Extra headers (Accept, x-purpose, x-lgsp-session...).
    pub headers: Vec<(&'a str, String)>,
    /// JSON body, if any.
    pub body: Option<serde_json::Value>,
}

impl SignedClient {
    /// A client for `base` (`http://127.0.0.1:port`) signing with `creds`;
    /// data requests open a session for `destinations` and state `purpose`.
    pub fn new(base: &str, creds: Credentials, purpose: &str, destinations: Vec<String>) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            creds,
            purpose: purpose.into(),
            session: Mutex::new(None),
            destinations,
        }
    }

    /// The access key.
    pub fn access_key(&self) -> &str {
        &self.creds.access_key
    }

    /// The signed headers and body of `call`, as they would be sent.
    ///
    /// # Panics
    /// When the request cannot be signed (a test bug).
    pub fn prepare(&self, call: &Call<'_>) -> (HeaderMap, Vec<u8>) {
        let body = call
            .body
            .as_ref()
            .map(|b| serde_json::to_vec(b).expect("JSON body"))
            .unwrap_or_default();
        let mut headers = call.headers.clone();
        if call.body.is_some() {
            headers.push(("content-type", "application/json".into()));
        }
        let signed = self.sign(call.method, call.path, &headers, &body);
        (signed, body)
    }

    /// `headers` with the signature headers of a request with `body` added.
    fn sign(&self, method: &str, path: &str, headers: &[(&str, String)], body: &[u8]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                HeaderValue::from_bytes(value.as_bytes()).expect("header value"),
            );
        }
        lgsp_auth::sign_request(
            &self.creds,
            method,
            path,
            &mut map,
            body,
            chrono::Utc::now(),
            &lgsp_auth::new_nonce(),
        )
        .expect("the request can be signed");
        map
    }

    /// Sends already prepared headers and body.
    ///
    /// # Panics
    /// When the platform cannot be reached.
    pub async fn send_prepared(
        &self,
        method: &str,
        path: &str,
        headers: HeaderMap,
        body: Vec<u8>,
    ) -> reqwest::Response {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        http()
            .request(method, format!("{}{path}", self.base))
            .headers(headers)
            .body(body)
            .send()
            .await
            .expect("platform answers")
    }

    /// Signs and sends `body` as it is (malformed JSON included), with
    /// `headers` and, when `data` is set, the session and purpose of a data
    /// request.
    pub async fn send_bytes(
        &self,
        method: &str,
        path: &str,
        headers: Vec<(&str, String)>,
        body: Vec<u8>,
        data: bool,
    ) -> reqwest::Response {
        let mut all = headers;
        if data {
            all.push((lgsp_auth::PURPOSE_HEADER, self.purpose.clone()));
            all.push((lgsp_auth::SESSION_HEADER, self.session().await));
        }
        let map = self.sign(method, path, &all, &body);
        self.send_prepared(method, path, map, body).await
    }

    /// Signs and sends `call`.
    pub async fn send(&self, call: Call<'_>) -> reqwest::Response {
        let (headers, body) = self.prepare(&call);
        self.send_prepared(call.method, call.path, headers, body)
            .await
    }

    /// A session token for the client's destinations, opened on first use.
    ///
    /// # Panics
    /// When the platform refuses the session.
    pub async fn session(&self) -> String {
        if let Some(token) = self.session.lock().expect("session lock").clone() {
            return token;
        }
        let response = self
            .send(Call {
                method: "POST",
                path: "/v1/auth/sessions",
                body: Some(serde_json::json!({ "destinations": self.destinations })),
                ..Call::default()
            })
            .await;
        let status = response.status();
        let body: serde_json::Value = response.json().await.expect("session answer");
        assert_eq!(status, 201, "session refused: {body}");
        let token = body["session_token"]
            .as_str()
            .expect("session_token")
            .to_owned();
        *self.session.lock().expect("session lock") = Some(token.clone());
        token
    }

    /// The data request for `sql` asking for `accept`, with the client's
    /// session and purpose, ready to prepare or send.
    pub async fn query_call(&self, sql: &str, accept: &str) -> Call<'static> {
        Call {
            method: "POST",
            path: "/v1/query",
            headers: vec![
                ("accept", accept.to_owned()),
                (lgsp_auth::PURPOSE_HEADER, self.purpose.clone()),
                (lgsp_auth::SESSION_HEADER, self.session().await),
            ],
            body: Some(serde_json::json!({ "sql": sql })),
        }
    }

    /// Runs `sql` asking for `accept`, with the client's session and purpose.
    pub async fn query(&self, sql: &str, accept: &str) -> reqwest::Response {
        let call = self.query_call(sql, accept).await;
        self.send(call).await
    }

    /// A signed GET of `path`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.send(Call {
            method: "GET",
            path,
            ..Call::default()
        })
        .await
    }
}
