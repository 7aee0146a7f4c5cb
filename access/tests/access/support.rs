//! A fresh registry database per test, and small builders.

use chrono::NaiveDate;
use lgsp_access::{
    AccessStore, Agency, AgencyCode, Application, MasterKey, NewAgency, NewApplication, Tier,
};
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use std::path::PathBuf;
use std::time::Duration;

/// A database file under the temp directory, removed (with its WAL) on drop.
pub(crate) struct TestDb {
    pub(crate) pool: SqlitePool,
    pub(crate) path: PathBuf,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// An empty database configured as the host configures the platform database.
pub(crate) async fn fresh_db() -> TestDb {
    let path = std::env::temp_dir().join(format!("lgsp-access-{}.db", uuid::Uuid::new_v4()));
    let options = SqliteConnectOptions::new()
        .filename(&path)
        .create_if_missing(true)
        .foreign_keys(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(30));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .expect("test database opens");
    TestDb { pool, path }
}

/// A registry on a fresh database, with a random master key.
pub(crate) async fn fresh() -> (AccessStore, TestDb) {
    let db = fresh_db().await;
    let store = AccessStore::open(db.pool.clone(), MasterKey::generate())
        .await
        .expect("registry opens");
    (store, db)
}

pub(crate) fn code(s: &str) -> AgencyCode {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

pub(crate) async fn agency(store: &AccessStore, c: &str, name: &str) -> Agency {
    store
        .create_agency(NewAgency {
            code: code(c),
            name: name.into(),
            parent: None,
        })
        .await
        .unwrap_or_else(|e| panic!("create agency {c}: {e}"))
}

pub(crate) async fn app(store: &AccessStore, c: &str) -> Application {
    store
        .create_application(NewApplication {
            agency: code(c),
            name: "Hệ thống một cửa".into(),
            legacy_sha1: false,
            tier: Tier::STANDARD,
        })
        .await
        .unwrap_or_else(|e| panic!("create application for {c}: {e}"))
}

/// The machine code of an error result.
pub(crate) fn kind<T: std::fmt::Debug>(r: Result<T, lgsp_access::AccessError>) -> &'static str {
    match r {
        Ok(v) => panic!("expected an error, got {v:?}"),
        Err(e) => e.kind(),
    }
}
