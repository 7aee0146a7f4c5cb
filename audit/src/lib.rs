//! LGSP audit log: one entry for every request, admin action, registry change
//! and connector event, chained by SHA-256 and sealed by signed checkpoints,
//! so that anyone holding the platform's public key can check that nothing
//! was changed, removed, inserted or reordered.
//!
//! - [`AuditLog`]: appends with group commit; a caller's entry is on disk
//!   when [`AuditLog::record`] returns.
//! - [`seal`], [`AuditLog::prune`]: signed checkpoints and retention.
//! - [`verify`]: recomputes the chain and reports the first tampered entry.
//! - [`entries`], [`export`]: reading by period and agency, JSONL and CSV.
//! - [`report`]: usage, reconciliation (đối soát) and connection history.
//!
//! An entry records who, what, why and how it ended, with the size and the
//! SHA-256 of the response — never the data itself.
//!
//! # Examples
//!
//! ```
//! use lgsp_audit::{AuditLog, Draft, Kind, PlatformKey};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = std::env::temp_dir().join(format!("lgsp-audit-doc-{}", std::process::id()));
//! let pool = lgsp_audit::open(&dir.join("audit.db")).await?;
//! let log = AuditLog::start(pool.clone())?;
//! let seq = log.record(Draft::new(chrono::Utc::now(), Kind::Admin, "POST /v1/admin/login")).await?;
//! let key = PlatformKey::from_seed(&[1; 32]);
//! lgsp_audit::seal(&pool, &key, chrono::Utc::now()).await?;
//! let report = lgsp_audit::verify(&pool, &key.public_key()).await?;
//! assert!(report.ok());
//! assert_eq!(report.head_seq, seq);
//! # std::fs::remove_dir_all(&dir).ok();
//! # Ok(())
//! # }
//! ```

mod entry;
mod error;
mod log;
mod query;
pub mod report;
mod seal;
mod store;
mod verify;

pub use entry::{
    Actor, Draft, Entry, GENESIS_HASH, Kind, Outcome, Resource, Role, ServiceRef, StoredEntry,
    TableRead, chain_hash, time_text, unix_us,
};
pub use error::AuditError;
pub use log::{AuditLog, LogStats, RETENTION_ACTION};
pub use query::{CSV_HEADER, EntryFilter, EntryView, ExportFormat, csv_safe, entries, export};
pub use seal::{Checkpoint, PlatformKey, PublicKey, checkpoints, seal};
pub use store::{Head, head, migrate, open, rows_after};
pub use verify::{Problem, ProblemKind, VerifyReport, verify};
