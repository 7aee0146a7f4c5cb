//! What one audit entry holds, and how entries chain.
//!
//! An entry is stored as the JSON text that was hashed, so anyone can verify
//! the chain by hashing the stored bytes: no canonical re-serialization, and no
//! field can change without the hash changing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The hash before the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What kind of event an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A data request: SQL or a data service reading a provider's data.
    Data,
    /// Any other API call (sessions, grants, catalogs, the audit API itself).
    Api,
    /// An admin API call, including logins.
    Admin,
    /// A change made with the `lgsp` command on the database directly.
    Cli,
    /// A connector was loaded, failed to load, or was removed.
    Connector,
    /// A connected service went online or offline.
    Monitor,
    /// The audit log itself: retention removed entries.
    Audit,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Data => "data",
            Self::Api => "api",
            Self::Admin => "admin",
            Self::Cli => "cli",
            Self::Connector => "connector",
            Self::Monitor => "monitor",
            Self::Audit => "audit",
        }
    }
}

/// How a request or event ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Done as asked.
    Ok,
    /// Refused: bad signature, not granted, rate limited, bad input...
    Refused,
    /// The platform or a connected system failed.
    Failed,
}

impl Outcome {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }

    /// From an HTTP status: 2xx/3xx ok, 4xx refused, 5xx failed.
    pub fn from_status(status: u16) -> Self {
        match status {
            0..=399 => Self::Ok,
            400..=499 => Self::Refused,
            _ => Self::Failed,
        }
    }
}

/// Who acted. Every field is optional: an unsigned request has no
/// application, a platform event has no one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The calling agency's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<String>,
    /// The calling application's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    /// The access key that signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The admin (API session or the operating-system user of a CLI command).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin: Option<String>,
}

/// One table a request read, with the columns it read from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRead {
    /// `schema.table`.
    pub table: String,
    /// Columns read (after the policy: only granted ones can appear).
    pub columns: Vec<String>,
}

/// A service (schema) and the agency providing it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ServiceRef {
    /// The schema name.
    pub name: String,
    /// The provider agency's code, when one is registered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
}

/// What the entry is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    /// The request path or the object acted on (`/v1/grants/42/approve`,
    /// `connector dan_cu`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Services (schemas) whose data was reached, with their providers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<ServiceRef>,
    /// Tables read, with their columns.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableRead>,
    /// The columns of the result the caller received.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<String>,
}

/// An entry as the platform submits it; the log gives it its number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// When it happened (the request's arrival).
    pub time: DateTime<Utc>,
    /// The request id, when there is a request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// What kind of event.
    pub kind: Kind,
    /// Who.
    pub actor: Actor,
    /// What was done: `POST /v1/query`, `admin key rotate`, `connector loaded`.
    pub action: String,
    /// On what.
    pub resource: Resource,
    /// The purpose stated for a data request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The HTTP status, for requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `ok` or the machine code of the refusal or failure.
    pub code: String,
    /// Rows returned, for data requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// Bytes of the response body.
    pub bytes: u64,
    /// From arrival to the last byte handed to the network, in µs.
    pub duration_us: u64,
    /// SHA-256 of the response body (hex): proof of what was sent, without
    /// keeping it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_sha256: Option<String>,
    /// Anything else worth keeping that is not data (session expiry, grant
    /// id, the connector's version...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub detail: BTreeMap<String, String>,
}

impl Draft {
    /// A draft for an event at `time` with everything else empty.
    pub fn new(time: DateTime<Utc>, kind: Kind, action: impl Into<String>) -> Self {
        Self {
            time,
            request_id: None,
            kind,
            actor: Actor::default(),
            action: action.into(),
            resource: Resource::default(),
            purpose: None,
            outcome: Outcome::Ok,
            status: None,
            code: "ok".into(),
            rows: None,
            bytes: 0,
            duration_us: 0,
            response_sha256: None,
            detail: BTreeMap::new(),
        }
    }

    /// The agencies this entry concerns: the actor as consumer, each provider
    /// as provider.
    pub fn parties(&self) -> Vec<(&str, Role)> {
        let mut parties = Vec::new();
        if let Some(agency) = &self.actor.agency {
            parties.push((agency.as_str(), Role::Consumer));
        }
        for service in &self.resource.services {
            if let Some(provider) = &service.provider {
                parties.push((provider.as_str(), Role::Provider));
            }
        }
        parties.sort_unstable();
        parties.dedup();
        parties
    }
}

/// How an agency takes part in an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// It made the request.
    Consumer,
    /// Its data was reached.
    Provider,
}

impl Role {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Consumer => "consumer",
            Self::Provider => "provider",
        }
    }
}

/// A stored entry: its number, the draft it was made from, and its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// What was recorded.
    #[serde(flatten)]
    pub draft: Draft,
}

/// An entry as it is stored and hashed: the same JSON as [`Entry`]'s, without
/// copying the draft.
pub(crate) fn entry_body(seq: u64, draft: &Draft) -> Result<String, crate::AuditError> {
    #[derive(Serialize)]
    struct Body<'a> {
        seq: u64,
        #[serde(flatten)]
        draft: &'a Draft,
    }
    serde_json::to_string(&Body { seq, draft })
        .map_err(|e| crate::AuditError::Encode(e.to_string()))
}

/// One row as stored, for verification and export.
#[derive(Debug, Clone)]
pub struct StoredEntry {
    /// The row's position.
    pub seq: u64,
    /// The JSON text that was hashed.
    pub body: String,
    /// The previous entry's hash as recorded when this one was written.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
    /// Index copy of the entry's time (µs since 1970).
    pub at_us: i64,
    /// Index copy of the entry's kind.
    pub kind: String,
    /// Index copy of the actor's agency.
    pub actor_agency: Option<String>,
}

impl StoredEntry {
    /// The entry the body holds.
    ///
    /// # Errors
    /// When the body is not an entry (it was altered).
    pub fn entry(&self) -> Result<Entry, serde_json::Error> {
        serde_json::from_str(&self.body)
    }
}

/// The hash of an entry whose JSON text is `body`, following `prev_hash`.
pub fn chain_hash(prev_hash: &str, body: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"lgsp-audit-v1\n");
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(body.as_bytes());
    hex::encode(h.finalize())
}

/// RFC 3339 with microseconds, as times appear in entries and exports.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Microseconds since 1970, as the index columns keep times.
pub fn unix_us(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_covers_the_previous_hash_and_every_byte_of_the_body() {
        let a = chain_hash(GENESIS_HASH, "{\"seq\":1}");
        assert_eq!(a.len(), 64);
        assert_ne!(a, chain_hash(GENESIS_HASH, "{\"seq\":1} "));
        assert_ne!(a, chain_hash(&a, "{\"seq\":1}"));
        assert_eq!(a, chain_hash(GENESIS_HASH, "{\"seq\":1}"));
    }

    #[test]
    fn an_entry_round_trips_through_its_json() {
        let mut draft = Draft::new(Utc::now(), Kind::Data, "POST /v1/query");
        draft.actor.agency = Some("000.00.00.H49".into());
        draft.resource.services = vec![ServiceRef {
            name: "dan_cu".into(),
            provider: Some("000.00.00.G09".into()),
        }];
        draft.detail.insert("session".into(), "s1".into());
        let entry = Entry { seq: 7, draft };
        let text = serde_json::to_string(&entry).expect("serializes");
        assert!(text.starts_with("{\"seq\":7,"), "{text}");
        let back: Entry = serde_json::from_str(&text).expect("parses");
        assert_eq!(back, entry);
        assert_eq!(
            back.draft.parties(),
            vec![
                ("000.00.00.G09", Role::Provider),
                ("000.00.00.H49", Role::Consumer)
            ]
        );
    }

    #[test]
    fn statuses_map_to_outcomes() {
        assert_eq!(Outcome::from_status(200), Outcome::Ok);
        assert_eq!(Outcome::from_status(429), Outcome::Refused);
        assert_eq!(Outcome::from_status(503), Outcome::Failed);
        for o in [Outcome::Ok, Outcome::Refused, Outcome::Failed] {
            assert_eq!(serde_json::to_value(o).ok(), Some(o.as_str().into()));
        }
    }
}
