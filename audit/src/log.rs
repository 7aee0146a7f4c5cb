//! Appending to the log with group commit: every caller waits until its entry
//! is on disk, but callers that arrive together share one transaction (and one
//! sync), so the cost per entry falls as load rises.
//!
//! The writer is one thread with its own SQLite connection. A batch is a few
//! calls on cached statements inside the process; through sqlx's async
//! connection it was six round trips to a worker thread, and on a two-core
//! node those hand-offs cost more CPU than the entry itself.

use crate::entry::{Draft, Kind, chain_hash, entry_body, time_text, unix_us};
use crate::error::AuditError;
use crate::store::to_i64;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use sqlx::SqlitePool;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Most entries one transaction takes: bounds the time the first caller of a
/// batch waits for the others.
const MAX_BATCH: usize = 2048;
/// Entries waiting for the writer before callers have to wait to submit.
const QUEUE: usize = 65_536;
/// While requests keep arriving, how long the writer waits for more before it
/// commits: a sync costs about as much CPU as a small request, so sharing it
/// pays for a millisecond of latency. A lone request never waits.
const LINGER: Duration = Duration::from_millis(1);
/// A batch this large commits without lingering.
const ENOUGH: usize = 32;
/// The action of the entry retention writes.
pub const RETENTION_ACTION: &str = "audit retention";

struct Pending {
    draft: Draft,
    done: oneshot::Sender<Result<u64, AuditError>>,
}

// Nearly every job is an append; boxing it would add an allocation per entry
// to save space only on the rare prune.
#[allow(clippy::large_enum_variant)]
enum Job {
    Append(Pending),
    Prune {
        before: DateTime<Utc>,
        now: DateTime<Utc>,
        done: oneshot::Sender<Result<u64, AuditError>>,
    },
}

/// Counters of what the writer did, for metrics and benchmarks.
#[derive(Debug, Default)]
pub struct LogStats {
    /// Entries committed.
    pub entries: AtomicU64,
    /// Transactions committed.
    pub batches: AtomicU64,
    /// Batches that failed (their callers got an error).
    pub failures: AtomicU64,
}

/// The audit log's writer. Cheap to clone; the writer thread ends when the
/// last clone is dropped, after committing what was queued.
#[derive(Debug, Clone)]
pub struct AuditLog {
    tx: flume::Sender<Job>,
    stats: Arc<LogStats>,
    pool: SqlitePool,
}

impl AuditLog {
    /// Starts the writer on the file of an opened audit database (see
    /// [`crate::open`]); `pool` stays for reading.
    ///
    /// # Errors
    /// When the writer's connection cannot be opened.
    pub fn start(pool: SqlitePool) -> Result<Self, AuditError> {
        let path = pool.connect_options().get_filename().to_owned();
        let conn = open_writer(&path)?;
        let (tx, rx) = flume::bounded(QUEUE);
        let stats = Arc::new(LogStats::default());
        let thread_stats = stats.clone();
        std::thread::Builder::new()
            .name("lgsp-audit-writer".into())
            .spawn(move || write_loop(conn, &rx, &thread_stats))
            .map_err(|e| AuditError::Writer(format!("cannot start the writer thread: {e}")))?;
        Ok(Self { tx, stats, pool })
    }

    /// Appends an entry and returns its number once it is committed.
    ///
    /// # Errors
    /// When the database could not commit it (the caller must not report
    /// success for what the entry records), or the writer has stopped.
    pub async fn record(&self, draft: Draft) -> Result<u64, AuditError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send_async(Job::Append(Pending { draft, done }))
            .await
            .map_err(|_| AuditError::Stopped)?;
        wait.await.map_err(|_| AuditError::Stopped)?
    }

    /// Removes the entries sealed by the last checkpoint made at or before
    /// `before`, keeping the checkpoint so that what remains verifies from
    /// it, and records the removal as an entry of kind `audit` in the same
    /// transaction: entries missing before the first one kept are only
    /// retention's when that entry says so. Returns how many were removed.
    ///
    /// Entries after that checkpoint stay even when older than `before`:
    /// removing them would leave the next entry with nothing signed to
    /// follow.
    ///
    /// # Errors
    /// When the database cannot be written.
    pub async fn prune(&self, before: DateTime<Utc>) -> Result<u64, AuditError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send_async(Job::Prune {
                before,
                now: Utc::now(),
                done,
            })
            .await
            .map_err(|_| AuditError::Stopped)?;
        wait.await.map_err(|_| AuditError::Stopped)?
    }

    /// What the writer has done so far.
    pub fn stats(&self) -> &LogStats {
        &self.stats
    }

    /// The database the log writes to.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

fn open_writer(path: &Path) -> Result<Connection, AuditError> {
    let conn = Connection::open(path)?;
    // The same settings as the pool's (see `store::open`): every commit
    // synced, readers never blocked by the writer.
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", "full")?;
    conn.set_prepared_statement_cache_capacity(8);
    Ok(conn)
}

fn write_loop(mut conn: Connection, rx: &flume::Receiver<Job>, stats: &LogStats) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_BATCH);
    let mut busy = false;
    while let Ok(job) = rx.recv() {
        let deadline = busy.then(|| Instant::now() + LINGER);
        let mut next = Some(job);
        while let Some(job) = next.take() {
            match job {
                Job::Append(p) => batch.push(p),
                Job::Prune { before, now, done } => {
                    // What was queued before the prune goes first, so the
                    // retention entry follows it.
                    commit(&mut conn, &mut batch, stats);
                    let _ = done.send(prune(&mut conn, before, now));
                }
            }
            if batch.len() >= MAX_BATCH {
                break;
            }
            next = rx.try_recv().ok().or_else(|| match deadline {
                Some(at) if batch.len() < ENOUGH => rx.recv_deadline(at).ok(),
                _ => None,
            });
        }
        busy = batch.len() > 1 || !rx.is_empty();
        commit(&mut conn, &mut batch, stats);
    }
}

fn commit(conn: &mut Connection, batch: &mut Vec<Pending>, stats: &LogStats) {
    if batch.is_empty() {
        return;
    }
    let drafts: Vec<&Draft> = batch.iter().map(|p| &p.draft).collect();
    let result = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(AuditError::from)
        .and_then(|tx| {
            let first = append_in(&tx, &drafts)?;
            tx.commit()?;
            Ok(first)
        });
    match result {
        Ok(first_seq) => {
            stats
                .entries
                .fetch_add(batch.len() as u64, Ordering::Relaxed);
            stats.batches.fetch_add(1, Ordering::Relaxed);
            for (i, p) in batch.drain(..).enumerate() {
                let _ = p.done.send(Ok(first_seq + i as u64));
            }
        }
        Err(e) => {
            stats.failures.fetch_add(1, Ordering::Relaxed);
            tracing::error!(error = %e, entries = batch.len(), "audit entries could not be committed; their requests fail");
            for p in batch.drain(..) {
                let _ = p.done.send(Err(e.clone()));
            }
        }
    }
}

/// Appends `drafts` inside `tx` and returns the first one's number.
///
/// The head is read inside the write transaction, so another process
/// appending to the same file (an `lgsp admin` command) extends the same
/// chain instead of forking it.
fn append_in(tx: &rusqlite::Transaction<'_>, drafts: &[&Draft]) -> Result<u64, AuditError> {
    let head: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (mut seq, mut prev) = match head {
        Some((seq, hash)) => (crate::store::to_u64(seq), hash),
        None => (0, crate::GENESIS_HASH.to_owned()),
    };
    let first = seq + 1;
    let mut entries = tx.prepare_cached(
        "INSERT INTO audit_entries (seq, at_us, kind, actor_agency, body, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut parties =
        tx.prepare_cached("INSERT INTO audit_parties (seq, agency, role) VALUES (?1, ?2, ?3)")?;
    for draft in drafts {
        seq += 1;
        let body = entry_body(seq, draft)?;
        let hash = chain_hash(&prev, &body);
        entries.execute(params![
            to_i64(seq),
            unix_us(draft.time),
            draft.kind.as_str(),
            draft.actor.agency.as_deref(),
            body,
            prev,
            hash,
        ])?;
        for (agency, role) in draft.parties() {
            parties.execute(params![to_i64(seq), agency, role.as_str()])?;
        }
        prev = hash;
    }
    tx.prepare_cached(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?
    .execute(params![to_i64(seq), prev])?;
    Ok(first)
}

/// Retention in one transaction: the removal and the entry that records it.
fn prune(
    conn: &mut Connection,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<u64, AuditError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let upto: Option<i64> = tx.query_row(
        "SELECT MAX(seq) FROM audit_checkpoints WHERE at_us <= ?1",
        params![unix_us(before)],
        |r| r.get(0),
    )?;
    let Some(upto) = upto else {
        return Ok(0);
    };
    // Everything up to the checkpoint was committed before it was sealed, so
    // before `before`: removing by number keeps the chain a contiguous suffix.
    let removed = tx.execute("DELETE FROM audit_entries WHERE seq <= ?1", params![upto])?;
    if removed == 0 {
        return Ok(0);
    }
    tx.execute("DELETE FROM audit_parties WHERE seq <= ?1", params![upto])?;
    let removed = removed as u64;
    let mut draft = Draft::new(now, Kind::Audit, RETENTION_ACTION);
    draft.rows = Some(removed);
    draft.detail.insert("before".into(), time_text(before));
    draft.detail.insert("upto".into(), upto.to_string());
    append_in(&tx, &[&draft])?;
    tx.commit()?;
    tracing::info!(removed, upto, "audit retention removed sealed entries");
    Ok(removed)
}
