//! Usage statistics, reconciliation (đối soát) and connection history, all
//! computed from the audit log, so that the figures and the record of who did
//! what can never disagree.
//!
//! Days are Vietnam days (UTC+7), as agencies count them.

use crate::entry::{Kind, Outcome, Role, unix_us};
use crate::error::AuditError;
use crate::query::{EntryFilter, EntryView, entries};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::SqlitePool;
use std::collections::BTreeMap;

/// The offset of Vietnam time.
fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset")
}

/// The Vietnam day of a time.
pub fn day_of(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&vietnam()).date_naive()
}

/// The UTC instant a Vietnam day starts.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    DateTime::<Utc>::from_naive_utc_and_offset(midnight, Utc) - chrono::Duration::hours(7)
}

/// The period and agency a report covers.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    /// From (inclusive).
    pub from: DateTime<Utc>,
    /// Until (exclusive).
    pub to: DateTime<Utc>,
    /// Only what concerns this agency (as consumer or provider).
    pub agency: Option<String>,
}

/// One line of the usage report: one agency, in one role, through one
/// application, on one service, on one day.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageRow {
    /// The day (Vietnam time).
    pub day: NaiveDate,
    /// The agency counted.
    pub agency: String,
    /// Whether it asked (consumer) or its data was read (provider).
    pub role: Role,
    /// The consumer application that made the requests.
    pub application: String,
    /// The service (schema); empty when the request was refused before
    /// naming one.
    pub service: String,
    /// Requests.
    pub requests: u64,
    /// Answered.
    pub ok: u64,
    /// Refused (4xx).
    pub refused: u64,
    /// Failed (5xx).
    pub failed: u64,
    /// Rows returned.
    pub rows: u64,
    /// Bytes returned.
    pub bytes: u64,
    /// Refusals and failures by machine code.
    pub errors: BTreeMap<String, u64>,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 95th percentile latency, ms.
    pub p95_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
}

/// One line of the reconciliation report: what one consumer agency read from
/// one provider agency on one day. Both sides can compute the digest from
/// their own records: SHA-256 (hex) of the sorted request ids, each followed
/// by `\n`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconciliationRow {
    /// The day (Vietnam time).
    pub day: NaiveDate,
    /// The consumer agency.
    pub consumer: String,
    /// The provider agency.
    pub provider: String,
    /// Data requests that reached the provider's services.
    pub requests: u64,
    /// Of which answered.
    pub ok: u64,
    /// Rows returned.
    pub rows: u64,
    /// Bytes returned.
    pub bytes: u64,
    /// Digest of the request ids.
    pub request_ids_sha256: String,
}

/// One session an application opened: when it connected and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectionRow {
    /// The agency.
    pub agency: String,
    /// The application.
    pub application: String,
    /// When the session was opened.
    pub opened_at: String,
    /// When it ends (expiry).
    pub expires_at: String,
    /// What it reaches.
    pub destinations: String,
    /// Data requests made through this application while the session was
    /// valid.
    pub requests: u64,
    /// The last such request.
    pub last_request_at: Option<String>,
}

async fn in_period(pool: &SqlitePool, q: &ReportQuery) -> Result<Vec<EntryView>, AuditError> {
    entries(
        pool,
        &EntryFilter {
            from: Some(q.from),
            to: Some(q.to),
            agency: q.agency.clone(),
            ..EntryFilter::default()
        },
    )
    .await
}

/// Usage per day, agency, role, application and service.
///
/// # Errors
/// When the log cannot be read.
pub async fn usage(pool: &SqlitePool, q: &ReportQuery) -> Result<Vec<UsageRow>, AuditError> {
    type Key = (NaiveDate, String, Role, String, String);
    let mut groups: BTreeMap<Key, (UsageRow, Vec<u64>)> = BTreeMap::new();
    for view in in_period(pool, q).await? {
        let d = &view.entry.draft;
        if d.kind != Kind::Data {
            continue;
        }
        let day = day_of(d.time);
        let application = d.actor.application.clone().unwrap_or_default();
        let mut keys: Vec<Key> = Vec::new();
        let consumer = d.actor.agency.clone().unwrap_or_default();
        if d.resource.services.is_empty() {
            keys.push((
                day,
                consumer.clone(),
                Role::Consumer,
                application.clone(),
                String::new(),
            ));
        }
        for service in &d.resource.services {
            keys.push((
                day,
                consumer.clone(),
                Role::Consumer,
                application.clone(),
                service.name.clone(),
            ));
            if let Some(provider) = &service.provider {
                keys.push((
                    day,
                    provider.clone(),
                    Role::Provider,
                    application.clone(),
                    service.name.clone(),
                ));
            }
        }
        for key in keys {
            if q.agency.as_ref().is_some_and(|a| *a != key.1) {
                continue;
            }
            let (row, durations) = groups.entry(key.clone()).or_insert_with(|| {
                (
                    UsageRow {
                        day: key.0,
                        agency: key.1.clone(),
                        role: key.2,
                        application: key.3.clone(),
                        service: key.4.clone(),
                        requests: 0,
                        ok: 0,
                        refused: 0,
                        failed: 0,
                        rows: 0,
                        bytes: 0,
                        errors: BTreeMap::new(),
                        p50_ms: 0.0,
                        p95_ms: 0.0,
                        p99_ms: 0.0,
                    },
                    Vec::new(),
                )
            });
            row.requests += 1;
            match d.outcome {
                Outcome::Ok => row.ok += 1,
                Outcome::Refused => row.refused += 1,
                Outcome::Failed => row.failed += 1,
            }
            if d.outcome != Outcome::Ok {
                *row.errors.entry(d.code.clone()).or_default() += 1;
            }
            row.rows += d.rows.unwrap_or(0);
            row.bytes += d.bytes;
            durations.push(d.duration_us);
        }
    }
    Ok(groups
        .into_values()
        .map(|(mut row, mut durations)| {
            durations.sort_unstable();
            row.p50_ms = percentile_ms(&durations, 50);
            row.p95_ms = percentile_ms(&durations, 95);
            row.p99_ms = percentile_ms(&durations, 99);
            row
        })
        .collect())
}

/// The nearest-rank percentile of sorted µs durations, in ms.
fn percentile_ms(sorted_us: &[u64], pct: usize) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = (pct * sorted_us.len()).div_ceil(100).max(1);
    sorted_us[rank.min(sorted_us.len()) - 1] as f64 / 1000.0
}

/// Reconciliation per day, consumer agency and provider agency.
///
/// # Errors
/// When the log cannot be read.
pub async fn reconciliation(
    pool: &SqlitePool,
    q: &ReportQuery,
) -> Result<Vec<ReconciliationRow>, AuditError> {
    type Key = (NaiveDate, String, String);
    let mut groups: BTreeMap<Key, (ReconciliationRow, Vec<String>)> = BTreeMap::new();
    for view in in_period(pool, q).await? {
        let d = &view.entry.draft;
        let (Kind::Data, Some(consumer)) = (d.kind, &d.actor.agency) else {
            continue;
        };
        let mut providers: Vec<&str> = d
            .resource
            .services
            .iter()
            .filter_map(|s| s.provider.as_deref())
            .collect();
        providers.sort_unstable();
        providers.dedup();
        for provider in providers {
            if q.agency
                .as_ref()
                .is_some_and(|a| a != consumer && a != provider)
            {
                continue;
            }
            let key = (day_of(d.time), consumer.clone(), provider.to_owned());
            let (row, ids) = groups.entry(key.clone()).or_insert_with(|| {
                (
                    ReconciliationRow {
                        day: key.0,
                        consumer: key.1.clone(),
                        provider: key.2.clone(),
                        requests: 0,
                        ok: 0,
                        rows: 0,
                        bytes: 0,
                        request_ids_sha256: String::new(),
                    },
                    Vec::new(),
                )
            });
            row.requests += 1;
            if d.outcome == Outcome::Ok {
                row.ok += 1;
            }
            row.rows += d.rows.unwrap_or(0);
            row.bytes += d.bytes;
            ids.push(d.request_id.clone().unwrap_or_default());
        }
    }
    Ok(groups
        .into_values()
        .map(|(mut row, ids)| {
            row.request_ids_sha256 = request_ids_digest(ids);
            row
        })
        .collect())
}

/// SHA-256 (hex) of the sorted ids, each followed by `\n`: the digest both
/// sides of a reconciliation compute.
pub fn request_ids_digest(mut ids: Vec<String>) -> String {
    ids.sort_unstable();
    let mut h = Sha256::new();
    for id in &ids {
        h.update(id.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// The sessions opened in the period, with the data requests made while each
/// was valid.
///
/// # Errors
/// When the log cannot be read.
pub async fn connections(
    pool: &SqlitePool,
    q: &ReportQuery,
) -> Result<Vec<ConnectionRow>, AuditError> {
    let views = in_period(pool, q).await?;
    let mut rows = Vec::new();
    for view in &views {
        let d = &view.entry.draft;
        let (Some(opened), Some(expires)) = (
            d.detail.get("session_opened_at"),
            d.detail.get("session_expires_at"),
        ) else {
            continue;
        };
        if d.outcome != Outcome::Ok {
            continue;
        }
        let (Some(agency), Some(application)) = (&d.actor.agency, &d.actor.application) else {
            continue;
        };
        let start = DateTime::parse_from_rfc3339(opened).map(|t| t.with_timezone(&Utc));
        let end = DateTime::parse_from_rfc3339(expires).map(|t| t.with_timezone(&Utc));
        let (mut requests, mut last) = (0u64, None);
        if let (Ok(start), Ok(end)) = (start, end) {
            for other in &views {
                let o = &other.entry.draft;
                if o.kind == Kind::Data
                    && o.actor.application.as_deref() == Some(application.as_str())
                    && unix_us(o.time) >= unix_us(start)
                    && o.time < end
                {
                    requests += 1;
                    last = Some(crate::entry::time_text(o.time));
                }
            }
        }
        rows.push(ConnectionRow {
            agency: agency.clone(),
            application: application.clone(),
            opened_at: opened.clone(),
            expires_at: expires.clone(),
            destinations: d.detail.get("destinations").cloned().unwrap_or_default(),
            requests,
            last_request_at: last,
        });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let us: Vec<u64> = (1..=100).map(|i| i * 1000).collect();
        assert_eq!(percentile_ms(&us, 50), 50.0);
        assert_eq!(percentile_ms(&us, 95), 95.0);
        assert_eq!(percentile_ms(&us, 99), 99.0);
        assert_eq!(percentile_ms(&[7000], 99), 7.0);
        assert_eq!(percentile_ms(&[], 50), 0.0);
    }

    #[test]
    fn days_are_vietnam_days() {
        let t = DateTime::parse_from_rfc3339("2026-11-22T17:30:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(day_of(t).to_string(), "2026-11-23");
        assert_eq!(
            day_start(day_of(t)).to_rfc3339(),
            "2026-11-22T17:00:00+00:00"
        );
    }

    #[test]
    fn the_digest_does_not_depend_on_order() {
        let a = request_ids_digest(vec!["b".into(), "a".into()]);
        assert_eq!(a, request_ids_digest(vec!["a".into(), "b".into()]));
        assert_ne!(a, request_ids_digest(vec!["a".into()]));
    }
}
