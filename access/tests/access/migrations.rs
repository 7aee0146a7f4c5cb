//! Migrations: idempotent, and sharing `_sqlx_migrations` with the host's catalog migrations.

use crate::support::fresh_db;
use lgsp_access::{AccessStore, MasterKey};
use sqlx::Row;
use sqlx::migrate::{Migration, MigrationType, Migrator};

/// A stand-in for the host's catalog migrator: version 1, ignoring the registry's versions.
fn catalogs_like() -> Migrator {
    let mut m = Migrator::with_migrations(vec![Migration::new(
        1,
        "catalogs".into(),
        MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str("CREATE TABLE catalog_stand_in (code TEXT PRIMARY KEY);"),
        false,
    )]);
    m.set_ignore_missing(true);
    m
}

async fn versions(pool: &sqlx::SqlitePool) -> Vec<i64> {
    sqlx::query("SELECT version FROM _sqlx_migrations ORDER BY version")
        .fetch_all(pool)
        .await
        .expect("migrations table")
        .iter()
        .map(|r| r.try_get("version").expect("version"))
        .collect()
}

#[tokio::test]
async fn registry_and_catalog_migrations_share_the_table_in_any_order() {
    let db = fresh_db().await;
    catalogs_like().run(&db.pool).await.expect("catalogs first");
    AccessStore::open(db.pool.clone(), MasterKey::generate())
        .await
        .expect("registry");
    catalogs_like().run(&db.pool).await.expect("catalogs again");
    AccessStore::open(db.pool.clone(), MasterKey::generate())
        .await
        .expect("registry again");
    assert_eq!(versions(&db.pool).await, vec![1, 1001, 1002, 1003, 1004]);

    let db = fresh_db().await;
    AccessStore::open(db.pool.clone(), MasterKey::generate())
        .await
        .expect("registry first");
    catalogs_like().run(&db.pool).await.expect("catalogs after");
    assert_eq!(versions(&db.pool).await, vec![1, 1001, 1002, 1003, 1004]);
}

#[tokio::test]
async fn foreign_keys_hold() {
    let db = fresh_db().await;
    AccessStore::open(db.pool.clone(), MasterKey::generate())
        .await
        .expect("registry");
    let orphan = sqlx::query(
        "INSERT INTO application (id, agency, name, status, legacy_sha1, per_minute, created_at) \
         VALUES ('app_x', '000.00.00.H99', 'x', 'active', 0, 1, 0)",
    )
    .execute(&db.pool)
    .await;
    assert!(orphan.is_err(), "an application needs a registered agency");
}
