//! Reading entries: by period, by agency (as consumer or provider), page by
//! page; and writing them out as JSON lines or CSV.

use crate::entry::{Entry, Role, StoredEntry, time_text, unix_us};
use crate::error::AuditError;
use crate::store::{stored, to_i64};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{Sqlite, SqlitePool};
use std::io::Write;

/// Which entries to read.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// From this time (inclusive).
    pub from: Option<DateTime<Utc>>,
    /// Until this time (exclusive).
    pub to: Option<DateTime<Utc>>,
    /// Only entries concerning this agency...
    pub agency: Option<String>,
    /// ...in this role (both when `None`).
    pub role: Option<Role>,
    /// Only entries after this number (for paging).
    pub after: Option<u64>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// An entry with its place in the chain, as the API and exports show it.
#[derive(Debug, Clone, Serialize)]
pub struct EntryView {
    /// The entry.
    #[serde(flatten)]
    pub entry: Entry,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl TryFrom<StoredEntry> for EntryView {
    type Error = AuditError;

    fn try_from(row: StoredEntry) -> Result<Self, AuditError> {
        let entry = row.entry().map_err(|e| {
            AuditError::Corrupt(format!(
                "entry #{} is not an audit entry ({e}); run `lgsp audit verify`",
                row.seq
            ))
        })?;
        Ok(Self {
            entry,
            prev_hash: row.prev_hash,
            hash: row.hash,
        })
    }
}

/// Entries matching `filter`, oldest first.
///
/// An agency filter is checked against each entry's hashed content as well as
/// the index, so a changed index cannot show an agency someone else's entry.
///
/// # Errors
/// When the database cannot be read or an entry does not parse.
pub async fn entries(
    pool: &SqlitePool,
    filter: &EntryFilter,
) -> Result<Vec<EntryView>, AuditError> {
    let mut q = sqlx::QueryBuilder::<Sqlite>::new(
        "SELECT e.seq, e.body, e.prev_hash, e.hash, e.at_us, e.kind, e.actor_agency FROM audit_entries e",
    );
    if let Some(agency) = &filter.agency {
        q.push(" WHERE e.seq IN (SELECT seq FROM audit_parties WHERE agency = ")
            .push_bind(agency.clone());
        if let Some(role) = filter.role {
            q.push(" AND role = ").push_bind(role.as_str());
        }
        q.push(")");
    } else {
        q.push(" WHERE 1 = 1");
    }
    if let Some(from) = filter.from {
        q.push(" AND e.at_us >= ").push_bind(unix_us(from));
    }
    if let Some(to) = filter.to {
        q.push(" AND e.at_us < ").push_bind(unix_us(to));
    }
    if let Some(after) = filter.after {
        q.push(" AND e.seq > ").push_bind(to_i64(after));
    }
    q.push(" ORDER BY e.seq");
    if let Some(limit) = filter.limit {
        q.push(" LIMIT ").push_bind(i64::from(limit));
    }
    let rows = q.build().fetch_all(pool).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let view = EntryView::try_from(stored(row)?)?;
        if let Some(agency) = &filter.agency {
            let concerns = view
                .entry
                .draft
                .parties()
                .iter()
                .any(|(a, r)| a == agency && filter.role.is_none_or(|want| want == *r));
            if !concerns {
                continue;
            }
        }
        out.push(view);
    }
    Ok(out)
}

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One JSON object per line.
    Jsonl,
    /// A header row, then one row per entry.
    Csv,
}

/// The CSV columns, in order.
pub const CSV_HEADER: [&str; 22] = [
    "seq",
    "time",
    "request_id",
    "kind",
    "agency",
    "application",
    "access_key",
    "admin",
    "action",
    "path",
    "services",
    "providers",
    "tables",
    "purpose",
    "outcome",
    "status",
    "code",
    "rows",
    "bytes",
    "duration_ms",
    "response_sha256",
    "hash",
];

/// Writes every entry matching `filter` to `out`, page by page. Returns how
/// many were written.
///
/// # Errors
/// When the database cannot be read or `out` cannot be written.
pub async fn export(
    pool: &SqlitePool,
    filter: &EntryFilter,
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<u64, AuditError> {
    let encode = |e: &dyn std::fmt::Display| AuditError::Encode(e.to_string());
    let mut sink = match format {
        ExportFormat::Csv => {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(CSV_HEADER).map_err(|e| encode(&e))?;
            Sink::Csv(Box::new(w))
        }
        ExportFormat::Jsonl => Sink::Jsonl(out),
    };
    const PAGE: u32 = 10_000;
    let mut page_filter = EntryFilter {
        limit: Some(PAGE),
        ..filter.clone()
    };
    let mut written = 0u64;
    let mut lines = Vec::new();
    loop {
        let page = entries(pool, &page_filter).await?;
        let Some(last) = page.last() else { break };
        page_filter.after = Some(last.entry.seq);
        for view in &page {
            if filter.limit.is_some_and(|l| written >= u64::from(l)) {
                break;
            }
            match &mut sink {
                Sink::Csv(w) => w.write_record(csv_row(view)).map_err(|e| encode(&e))?,
                Sink::Jsonl(_) => {
                    serde_json::to_writer(&mut lines, view).map_err(|e| encode(&e))?;
                    lines.push(b'\n');
                }
            }
            written += 1;
        }
        if let Sink::Jsonl(out) = &mut sink {
            out.write_all(&lines).map_err(|e| encode(&e))?;
            lines.clear();
        }
        if page.len() < PAGE as usize || filter.limit.is_some_and(|l| written >= u64::from(l)) {
            break;
        }
    }
    match sink {
        Sink::Csv(mut w) => w.flush().map_err(|e| encode(&e))?,
        Sink::Jsonl(out) => out.flush().map_err(|e| encode(&e))?,
    }
    Ok(written)
}

enum Sink<'a> {
    Csv(Box<csv::Writer<&'a mut dyn Write>>),
    Jsonl(&'a mut dyn Write),
}

/// A cell as CSV that spreadsheets will not run: text that starts like a
/// formula (`= + - @`, tab, carriage return) gets a leading `'`. Purposes and
/// paths come from callers.
pub fn csv_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn csv_row(view: &EntryView) -> Vec<String> {
    csv_cells(view).iter().map(|c| csv_safe(c)).collect()
}

fn csv_cells(view: &EntryView) -> Vec<String> {
    let d = &view.entry.draft;
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let num = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_default();
    vec![
        view.entry.seq.to_string(),
        time_text(d.time),
        opt(&d.request_id),
        d.kind.as_str().into(),
        opt(&d.actor.agency),
        opt(&d.actor.application),
        opt(&d.actor.key),
        opt(&d.actor.admin),
        d.action.clone(),
        opt(&d.resource.path),
        d.resource
            .services
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        d.resource
            .services
            .iter()
            .filter_map(|s| s.provider.as_deref())
            .collect::<Vec<_>>()
            .join(" "),
        d.resource
            .tables
            .iter()
            .map(|t| format!("{}({})", t.table, t.columns.join(",")))
            .collect::<Vec<_>>()
            .join(" "),
        opt(&d.purpose),
        d.outcome.as_str().into(),
        num(d.status.map(u64::from)),
        d.code.clone(),
        num(d.rows),
        d.bytes.to_string(),
        format!("{:.3}", d.duration_us as f64 / 1000.0),
        opt(&d.response_sha256),
        view.hash.clone(),
    ]
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_that_look_like_formulas_are_defused() {
        assert_eq!(super::csv_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(super::csv_safe("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(super::csv_safe("kiểm tra"), "kiểm tra");
        assert_eq!(super::csv_safe("12"), "12");
    }
}
