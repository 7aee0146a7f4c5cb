//! Recomputing the chain and checking it against the signed checkpoints.
//!
//! The walk stops at the first problem and names the entry and what happened
//! to it. An edit that does not rebuild the hashes is located exactly; a
//! rewrite that rebuilds them (possible for anyone who can write the file,
//! since SHA-256 is public) is caught by the next signed checkpoint and
//! located to the entries between two checkpoints.

use crate::entry::Kind;
use crate::entry::{GENESIS_HASH, StoredEntry, chain_hash, time_text, unix_us};
use crate::error::AuditError;
use crate::log::RETENTION_ACTION;
use crate::seal::{Checkpoint, PublicKey, checkpoints};
use crate::store::{head, rows_after, to_i64, to_u64};
use serde::Serialize;
use sqlx::SqlitePool;
use std::collections::BTreeMap;

/// Rows read per round trip: bounds memory, whatever the log's size.
const PAGE: u32 = 20_000;

/// What kind of tampering was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// An entry's content no longer matches its hash, or an entry was
    /// rewritten with a rebuilt hash.
    Changed,
    /// Entries are missing from the chain.
    Removed,
    /// An entry that the chain does not link was added.
    Inserted,
    /// An entry is not where it was written.
    Reordered,
    /// The chain no longer matches a signed checkpoint: it was rewritten
    /// (hashes rebuilt) somewhere between the previous checkpoint and this one.
    Rewritten,
    /// A checkpoint's signature is not the platform key's.
    BadCheckpoint,
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// What happened.
    pub kind: ProblemKind,
    /// The first entry concerned.
    pub seq: u64,
    /// For a person: what was found and where.
    pub message: String,
}

/// The result of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// The first entry kept (older ones were removed by retention).
    pub first_seq: Option<u64>,
    /// The head: the last entry written.
    pub head_seq: u64,
    /// Checkpoints whose signature was checked.
    pub checkpoints: u64,
    /// The first problem, if any.
    pub problem: Option<Problem>,
}

impl VerifyReport {
    /// Whether the log is intact.
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

fn problem(kind: ProblemKind, seq: u64, message: String) -> Problem {
    Problem { kind, seq, message }
}

/// Verifies the whole log in `pool` against the platform's public `key`.
///
/// # Errors
/// When the database cannot be read (tampering is a report, not an error).
pub async fn verify(pool: &SqlitePool, key: &PublicKey) -> Result<VerifyReport, AuditError> {
    // One read transaction: a snapshot, so entries the running platform
    // appends meanwhile are neither half-seen nor mistaken for insertions.
    let mut tx = pool.begin().await?;
    let head = head(&mut *tx).await?;
    let seals = checkpoints(&mut *tx).await?;
    let mut report = VerifyReport {
        entries: 0,
        first_seq: None,
        head_seq: head.seq,
        checkpoints: seals.len() as u64,
        problem: None,
    };
    // A forged or damaged checkpoint is itself a finding; it competes with
    // what the walk finds for "first".
    let bad_seal = seals.iter().find(|c| !c.verifies(key)).map(|c| {
        problem(
            ProblemKind::BadCheckpoint,
            c.seq,
            format!(
                "the checkpoint at entry #{} (sealed {}) is not signed by the platform key {}",
                c.seq,
                time_text(c.at),
                key.to_base64()
            ),
        )
    });
    let by_seq: BTreeMap<u64, &Checkpoint> = seals.iter().map(|c| (c.seq, c)).collect();
    let mut retention = None;
    let walk = match walk(&mut tx, &head, &by_seq, &mut report, &mut retention).await? {
        Some(p) => Some(p),
        None => unrecorded_removal(&report, retention),
    };
    tx.rollback().await?;
    report.problem = match (walk, bad_seal) {
        (Some(a), Some(b)) => Some(if b.seq < a.seq { b } else { a }),
        (a, b) => a.or(b),
    };
    Ok(report)
}

/// Entries missing before the first one kept are retention's only when the
/// last retention entry says it removed exactly those: checkpoints alone
/// cannot tell retention from someone deleting the oldest entries up to one.
fn unrecorded_removal(report: &VerifyReport, retention: Option<u64>) -> Option<Problem> {
    let first = report.first_seq?;
    if first <= 1 || retention == Some(first - 1) {
        return None;
    }
    Some(problem(
        ProblemKind::Removed,
        1,
        format!(
            "entries #1..#{} were removed, but no retention entry records removing them",
            first - 1
        ),
    ))
}

async fn walk(
    conn: &mut sqlx::SqliteConnection,
    head: &crate::store::Head,
    seals: &BTreeMap<u64, &Checkpoint>,
    report: &mut VerifyReport,
    retention: &mut Option<u64>,
) -> Result<Option<Problem>, AuditError> {
    let mut page = rows_after(&mut *conn, 0, PAGE).await?;
    let Some(first) = page.first() else {
        if head.seq == 0 {
            return Ok(None);
        }
        // Retention never empties the log: it appends the entry recording
        // the removal in the same transaction.
        return Ok(Some(problem(
            ProblemKind::Removed,
            1,
            format!(
                "the log is empty but its head says #{} entries were written",
                head.seq
            ),
        )));
    };
    report.first_seq = Some(first.seq);
    // Where the chain starts: the beginning, or a checkpoint retention kept.
    let mut last_hash = if first.seq == 1 {
        GENESIS_HASH.to_owned()
    } else if let Some(c) = seals.get(&(first.seq - 1)) {
        c.hash.clone()
    } else {
        let from = seals
            .range(..first.seq)
            .next_back()
            .map_or(1, |(s, _)| s + 1);
        return Ok(Some(problem(
            ProblemKind::Removed,
            from,
            format!(
                "entries #{from}..#{} are missing, and no checkpoint seals them (retention only removes sealed entries)",
                first.seq - 1
            ),
        )));
    };
    let mut before_last: Option<String> = None;
    let mut expected = first.seq;
    let mut last_seal = seals.range(..first.seq).next_back().map_or(0, |(s, _)| *s);
    loop {
        let mut parties = page_parties(&mut *conn, &page).await?;
        for row in &page {
            let entry = match check_row(row, head, expected, &last_hash, before_last.as_deref()) {
                Ok(entry) => entry,
                Err(p) => return Ok(Some(p)),
            };
            if let Some(p) = check_parties(&entry, parties.remove(&row.seq).unwrap_or_default()) {
                return Ok(Some(p));
            }
            if entry.draft.kind == Kind::Audit && entry.draft.action == RETENTION_ACTION {
                *retention = entry.draft.detail.get("upto").and_then(|u| u.parse().ok());
            }
            if let Some(c) = seals.get(&row.seq) {
                if c.hash != row.hash {
                    return Ok(Some(problem(
                        ProblemKind::Rewritten,
                        last_seal + 1,
                        format!(
                            "entries #{}..#{} were rewritten: entry #{} no longer has the hash the checkpoint sealed at {} signed",
                            last_seal + 1,
                            row.seq,
                            row.seq,
                            time_text(c.at)
                        ),
                    )));
                }
                last_seal = row.seq;
            }
            before_last = Some(std::mem::replace(&mut last_hash, row.hash.clone()));
            expected = row.seq + 1;
            report.entries += 1;
        }
        if page.len() < PAGE as usize {
            break;
        }
        page = rows_after(&mut *conn, expected - 1, PAGE).await?;
    }
    // A signed checkpoint beyond the head: entries were cut from the end and
    // the head moved back to hide it.
    if let Some((&sealed, c)) = seals.range(head.seq + 1..).next() {
        return Ok(Some(problem(
            ProblemKind::Removed,
            head.seq + 1,
            format!(
                "entries #{}..#{sealed} were removed from the end of the log: a checkpoint sealed at {} covers #{sealed}, but the log ends at #{}",
                head.seq + 1,
                time_text(c.at),
                head.seq
            ),
        )));
    }
    if expected <= head.seq {
        return Ok(Some(problem(
            ProblemKind::Removed,
            expected,
            format!(
                "entries #{expected}..#{} were removed from the end of the log",
                head.seq
            ),
        )));
    }
    if last_hash != head.hash {
        return Ok(Some(problem(
            ProblemKind::Changed,
            head.seq,
            format!(
                "entry #{} does not have the hash the head recorded",
                head.seq
            ),
        )));
    }
    Ok(None)
}

/// The agency index rows of the entries in `page`: (agency, role) by entry.
async fn page_parties(
    conn: &mut sqlx::SqliteConnection,
    page: &[StoredEntry],
) -> Result<BTreeMap<u64, Vec<(String, String)>>, AuditError> {
    let mut by_seq: BTreeMap<u64, Vec<(String, String)>> = BTreeMap::new();
    let (Some(lo), Some(hi)) = (page.first(), page.last()) else {
        return Ok(by_seq);
    };
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT seq, agency, role FROM audit_parties WHERE seq BETWEEN ? AND ? ORDER BY seq, agency, role",
    )
    .bind(to_i64(lo.seq))
    .bind(to_i64(hi.seq))
    .fetch_all(conn)
    .await?;
    for (seq, agency, role) in rows {
        by_seq.entry(to_u64(seq)).or_default().push((agency, role));
    }
    Ok(by_seq)
}

/// Whether the agency index lists exactly the agencies the entry concerns: a
/// row removed there hides the entry from that agency's view; a row added
/// shows it to an agency it does not concern.
fn check_parties(entry: &crate::Entry, stored: Vec<(String, String)>) -> Option<Problem> {
    let expected: Vec<(String, String)> = entry
        .draft
        .parties()
        .into_iter()
        .map(|(agency, role)| (agency.to_owned(), role.as_str().to_owned()))
        .collect();
    // Both sorted by (agency, role): `parties()` sorts, the query orders.
    if expected == stored {
        return None;
    }
    let seq = entry.seq;
    Some(problem(
        ProblemKind::Changed,
        seq,
        format!(
            "the agency index of entry #{seq} was changed: it lists {} but the entry concerns {}",
            list(&stored),
            list(&expected)
        ),
    ))
}

fn list(parties: &[(String, String)]) -> String {
    if parties.is_empty() {
        return "no agency".into();
    }
    parties
        .iter()
        .map(|(agency, role)| format!("{agency} ({role})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The problem with one row, given the hash of the row before it (and the one
/// before that, to tell an insertion from a change); its entry when there is
/// none.
fn check_row(
    row: &StoredEntry,
    head: &crate::store::Head,
    expected: u64,
    last_hash: &str,
    before_last: Option<&str>,
) -> Result<crate::Entry, Problem> {
    let seq = row.seq;
    if seq > head.seq {
        return Err(problem(
            ProblemKind::Inserted,
            seq,
            format!("entry #{seq} was inserted: the log's head is #{}", head.seq),
        ));
    }
    if seq != expected {
        return Err(problem(
            ProblemKind::Removed,
            expected,
            format!("entries #{expected}..#{} were removed", seq - 1),
        ));
    }
    let Ok(entry) = row.entry() else {
        return Err(problem(
            ProblemKind::Changed,
            seq,
            format!("entry #{seq} was changed: its body is no longer an audit entry"),
        ));
    };
    if chain_hash(&row.prev_hash, &row.body) != row.hash {
        return Err(problem(
            ProblemKind::Changed,
            seq,
            format!("entry #{seq} was changed: its content does not match its hash"),
        ));
    }
    if !index_matches(&entry, row.at_us, &row.kind, row.actor_agency.as_deref()) {
        return Err(problem(
            ProblemKind::Changed,
            seq,
            format!(
                "entry #{seq} was changed: its time, kind or agency columns differ from its hashed content"
            ),
        ));
    }
    let unlinked = row.prev_hash != last_hash;
    if unlinked && before_last == Some(row.prev_hash.as_str()) {
        return Err(problem(
            ProblemKind::Inserted,
            seq - 1,
            format!(
                "entry #{} was inserted: entry #{seq} was written right after the entry now at #{}",
                seq - 1,
                seq - 2
            ),
        ));
    }
    if entry.seq != seq {
        return Err(problem(
            ProblemKind::Reordered,
            seq,
            format!(
                "entries were reordered: entry #{} is at position #{seq}",
                entry.seq
            ),
        ));
    }
    if unlinked {
        return Err(problem(
            ProblemKind::Changed,
            seq.saturating_sub(1),
            format!(
                "entry #{} was changed: it no longer has the hash entry #{seq} recorded for it",
                seq.saturating_sub(1)
            ),
        ));
    }
    Ok(entry)
}

/// Whether a row's index columns agree with its body (they are copies, used
/// to find entries; a change there could hide an entry from an agency).
fn index_matches(entry: &crate::Entry, at_us: i64, kind: &str, actor_agency: Option<&str>) -> bool {
    unix_us(entry.draft.time) == at_us
        && entry.draft.kind.as_str() == kind
        && entry.draft.actor.agency.as_deref() == actor_agency
}
