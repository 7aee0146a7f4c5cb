//! Appending to the log with group commit: every caller waits until its entry
//! is on disk, but callers that arrive together share one transaction (and one
//! sync), so the cost per entry falls as load rises.

use crate::entry::{Draft, Entry, chain_hash, unix_us};
use crate::error::AuditError;
use crate::store::{self, to_i64};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::sync::{mpsc, oneshot};

/// Most entries one transaction takes: bounds the time the first caller of a
/// batch waits for the others.
const MAX_BATCH: usize = 2048;
/// Entries waiting for the writer before callers have to wait to submit.
const QUEUE: usize = 65_536;
/// Rows per INSERT statement (SQLite allows 32 766 parameters).
const ROWS_PER_STATEMENT: usize = 200;

struct Pending {
    draft: Draft,
    done: oneshot::Sender<Result<u64, AuditError>>,
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

/// The audit log's writer. Cheap to clone; the writer task ends when the last
/// clone is dropped, after committing what was queued.
#[derive(Debug, Clone)]
pub struct AuditLog {
    tx: mpsc::Sender<Pending>,
    stats: Arc<LogStats>,
    pool: SqlitePool,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("action", &self.draft.action)
            .finish_non_exhaustive()
    }
}

impl AuditLog {
    /// Starts the writer over an opened audit database (see [`crate::open`]).
    /// Needs a tokio runtime.
    pub fn start(pool: SqlitePool) -> Self {
        let (tx, rx) = mpsc::channel(QUEUE);
        let stats = Arc::new(LogStats::default());
        tokio::spawn(write_loop(pool.clone(), rx, stats.clone()));
        Self { tx, stats, pool }
    }

    /// Appends an entry and returns its number once it is committed.
    ///
    /// # Errors
    /// When the database could not commit it (the caller must not report
    /// success for what the entry records), or the writer has stopped.
    pub async fn record(&self, draft: Draft) -> Result<u64, AuditError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Pending { draft, done })
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

fn drain(rx: &mut mpsc::Receiver<Pending>, batch: &mut Vec<Pending>) {
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(p) => batch.push(p),
            Err(_) => break,
        }
    }
}

async fn write_loop(pool: SqlitePool, mut rx: mpsc::Receiver<Pending>, stats: Arc<LogStats>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        drain(&mut rx, &mut batch);
        let drafts: Vec<&Draft> = batch.iter().map(|p| &p.draft).collect();
        match append(&pool, &drafts).await {
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
}

/// Appends `drafts` in one transaction and returns the first one's number.
///
/// The head is read inside the write transaction, so another process
/// appending to the same file (an `lgsp admin` command) extends the same
/// chain instead of forking it.
///
/// # Errors
/// When the transaction fails; nothing of the batch is kept then.
pub async fn append(pool: &SqlitePool, drafts: &[&Draft]) -> Result<u64, AuditError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let head = head_in(&mut tx).await?;
    let mut seq = head.0;
    let mut prev = head.1;
    let mut rows = Vec::with_capacity(drafts.len());
    for draft in drafts {
        seq += 1;
        let body = serde_json::to_string(&Entry {
            seq,
            draft: (*draft).clone(),
        })
        .map_err(|e| AuditError::Encode(e.to_string()))?;
        let hash = chain_hash(&prev, &body);
        rows.push(Row {
            seq,
            at_us: unix_us(draft.time),
            kind: draft.kind.as_str(),
            actor_agency: draft.actor.agency.as_deref(),
            body,
            prev_hash: std::mem::replace(&mut prev, hash.clone()),
            hash,
            parties: draft.parties(),
        });
    }
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        insert_entries(&mut tx, chunk).await?;
        insert_parties(&mut tx, chunk).await?;
    }
    sqlx::query(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )
    .bind(to_i64(seq))
    .bind(&prev)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(head.0 + 1)
}

struct Row<'a> {
    seq: u64,
    at_us: i64,
    kind: &'static str,
    actor_agency: Option<&'a str>,
    body: String,
    prev_hash: String,
    hash: String,
    parties: Vec<(&'a str, crate::Role)>,
}

async fn head_in(tx: &mut Transaction<'_, Sqlite>) -> Result<(u64, String), AuditError> {
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut **tx)
            .await?;
    Ok(match row {
        Some((seq, hash)) => (store::to_u64(seq), hash),
        None => (0, crate::GENESIS_HASH.into()),
    })
}

async fn insert_entries(
    tx: &mut Transaction<'_, Sqlite>,
    rows: &[Row<'_>],
) -> Result<(), AuditError> {
    let mut q = sqlx::QueryBuilder::<Sqlite>::new(
        "INSERT INTO audit_entries (seq, at_us, kind, actor_agency, body, prev_hash, hash) ",
    );
    q.push_values(rows, |mut b, r| {
        b.push_bind(to_i64(r.seq))
            .push_bind(r.at_us)
            .push_bind(r.kind)
            .push_bind(r.actor_agency)
            .push_bind(r.body.as_str())
            .push_bind(r.prev_hash.as_str())
            .push_bind(r.hash.as_str());
    });
    q.build().execute(&mut **tx).await?;
    Ok(())
}

async fn insert_parties(
    tx: &mut Transaction<'_, Sqlite>,
    rows: &[Row<'_>],
) -> Result<(), AuditError> {
    let parties: Vec<(u64, &str, &str)> = rows
        .iter()
        .flat_map(|r| {
            r.parties
                .iter()
                .map(move |(agency, role)| (r.seq, *agency, role.as_str()))
        })
        .collect();
    if parties.is_empty() {
        return Ok(());
    }
    let mut q = sqlx::QueryBuilder::<Sqlite>::new("INSERT INTO audit_parties (seq, agency, role) ");
    q.push_values(parties, |mut b, (seq, agency, role)| {
        b.push_bind(to_i64(seq)).push_bind(agency).push_bind(role);
    });
    q.build().execute(&mut **tx).await?;
    Ok(())
}
