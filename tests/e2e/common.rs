//! Helpers shared by the end-to-end tests.

use lgsp_sample_upstream::{LoggedRequest, Source};
use lgsp_tests::{Platform, shared};
use serde_json::Value;
use std::collections::BTreeSet;

/// An answer from `POST /v1/query`.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Value,
    pub(crate) request_id: String,
    /// The platform that answered, whose upstreams saw the calls.
    platform: &'static Platform,
}

impl Answer {
    /// The rows of a successful JSON answer.
    pub(crate) fn rows(&self) -> &Vec<Value> {
        self.body["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("no rows in {}", self.body))
    }

    /// The error code of a failed answer.
    pub(crate) fn code(&self) -> &str {
        self.body["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {}", self.body))
    }

    /// The error message of a failed answer.
    pub(crate) fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or("")
    }

    /// Checks that the request's one audit entry records its failure: a data
    /// request on `service` that failed with `code`.
    pub(crate) async fn assert_audited(&self, service: &str, code: &str) {
        let entries = lgsp_audit::entries(
            self.platform.audit.pool(),
            &lgsp_audit::EntryFilter::default(),
        )
        .await
        .expect("the audit log reads");
        let mine: Vec<_> = entries
            .into_iter()
            .filter(|e| e.entry.draft.request_id.as_deref() == Some(self.request_id.as_str()))
            .map(|e| e.entry.draft)
            .collect();
        assert_eq!(mine.len(), 1, "entries of {}: {mine:#?}", self.request_id);
        let entry = &mine[0];
        assert_eq!(entry.kind, lgsp_audit::Kind::Data);
        assert_eq!(entry.outcome, lgsp_audit::Outcome::Failed, "{entry:#?}");
        assert_eq!(entry.code, code, "{entry:#?}");
        assert!(
            entry.resource.services.iter().any(|s| s.name == service),
            "{entry:#?}"
        );
    }

    /// Population-database calls made for this request.
    pub(crate) fn upstream_calls(&self) -> Vec<LoggedRequest> {
        self.calls_to(Source::DanCu)
    }

    /// Calls made to `source`'s upstream for this request.
    pub(crate) fn calls_to(&self, source: Source) -> Vec<LoggedRequest> {
        self.platform
            .upstreams
            .get(source)
            .sim()
            .requests_for(&self.request_id)
    }
}

pub(crate) fn platform() -> &'static Platform {
    shared()
}

pub(crate) fn client() -> reqwest::Client {
    reqwest::Client::new()
}

/// The `x-request-id` every response carries.
pub(crate) fn request_id(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("every response has x-request-id")
        .to_owned()
}

/// Runs `sql` and reads the JSON answer.
pub(crate) async fn query(sql: &str) -> Answer {
    query_with(sql, "application/json").await
}

/// Runs `sql` asking for `accept`, and reads a JSON body when there is one.
pub(crate) async fn query_with(sql: &str, accept: &str) -> Answer {
    query_on(platform(), sql, accept).await
}

/// Runs `sql` on `platform` (one a test module started for itself) asking
/// for `accept`, and reads a JSON body when there is one.
pub(crate) async fn query_on(platform: &'static Platform, sql: &str, accept: &str) -> Answer {
    let response = platform.consumer.query(sql, accept).await;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let request_id = request_id(&response);
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Answer {
        status,
        headers,
        body,
        request_id,
        platform,
    }
}

/// A cell as text, whether the platform wrote it as a number (decimals may
/// come either way) or a string; `None` for NULL.
pub(crate) fn decimal(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// The rows' values of two text columns, as a set of pairs.
pub(crate) fn pairs(rows: &[Value], first: &str, second: &str) -> BTreeSet<(String, String)> {
    rows.iter()
        .map(|r| {
            (
                r[first].as_str().unwrap_or_default().to_owned(),
                r[second].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// `'a', 'b', ...`: SQL string literals for an IN list.
pub(crate) fn quoted<S: AsRef<str>>(keys: impl IntoIterator<Item = S>) -> String {
    keys.into_iter()
        .map(|k| format!("'{}'", k.as_ref()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A commune with at least `min` residents in the shared world.
pub(crate) fn commune_with_at_least(min: usize) -> (String, usize) {
    platform()
        .world
        .communes_by_population()
        .into_iter()
        .find(|(_, n)| *n >= min)
        .unwrap_or_else(|| panic!("no commune with {min} residents"))
}

/// The commune ranked `rank` by population: tests that inject faults each use
/// their own, so that faults scoped to it disturb no other test.
pub(crate) fn commune_ranked(rank: usize) -> (String, usize) {
    platform().world.communes_by_population()[rank].clone()
}

/// Queues a fault on the shared upstream for requests whose URI contains `uri_contains`.
pub(crate) fn inject(status: u16, count: u32, retry_after: Option<u32>, uri_contains: &str) {
    platform()
        .upstream
        .sim()
        .inject(lgsp_sample_upstream::Fault {
            status: Some(status),
            count,
            retry_after,
            delay_ms: None,
            uri_contains: Some(uri_contains.to_owned()),
            ..lgsp_sample_upstream::Fault::default()
        });
}
