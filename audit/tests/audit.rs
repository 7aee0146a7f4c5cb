//! The audit log against a real SQLite file: group commit, tampering of every
//! kind, checkpoints, retention, agency views, exports and reports.

use chrono::{DateTime, Duration, Utc};
use lgsp_audit::{
    Actor, AuditLog, Draft, EntryFilter, ExportFormat, Kind, Outcome, PlatformKey, ProblemKind,
    Resource, Role, ServiceRef, TableRead,
};
use sqlx::SqlitePool;
use std::path::PathBuf;

const CONSUMER: &str = "000.00.00.H49";
const DAN_CU: &str = "000.00.00.G09";
const BHXH: &str = "000.00.00.G12";

fn key() -> PlatformKey {
    PlatformKey::from_seed(&[42; 32])
}

async fn fresh(name: &str) -> (SqlitePool, PathBuf) {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("lgsp-audit-test-{}-{name}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let path = dir.join("audit.db");
    (lgsp_audit::open(&path).await.expect("opens"), dir)
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T02:00:00Z")
        .expect("time")
        .with_timezone(&Utc)
}

/// A data request by the consumer to `services` ([(schema, provider)]).
fn data(
    at: DateTime<Utc>,
    id: &str,
    services: &[(&str, &str)],
    status: u16,
    code: &str,
    rows: u64,
) -> Draft {
    let mut d = Draft::new(at, Kind::Data, "POST /v1/query");
    d.request_id = Some(id.into());
    d.actor = Actor {
        agency: Some(CONSUMER.into()),
        application: Some("app-1".into()),
        key: Some("AK1".into()),
        admin: None,
    };
    d.resource = Resource {
        path: Some("/v1/query".into()),
        services: services
            .iter()
            .map(|(name, provider)| ServiceRef {
                name: (*name).into(),
                provider: Some((*provider).into()),
            })
            .collect(),
        tables: vec![TableRead {
            table: "dan_cu.cong_dan".into(),
            columns: vec!["ho_ten".into()],
        }],
        columns: vec!["ho_ten".into()],
    };
    d.purpose = Some("kiểm tra".into());
    d.status = Some(status);
    d.outcome = Outcome::from_status(status);
    d.code = code.into();
    d.rows = Some(rows);
    d.bytes = 100 * rows;
    d.duration_us = 1000 * (rows + 1);
    d
}

async fn filled(name: &str, n: usize) -> (SqlitePool, PathBuf, AuditLog) {
    let (pool, dir) = fresh(name).await;
    let log = AuditLog::start(pool.clone()).expect("writer");
    for i in 0..n {
        log.record(data(
            t0() + Duration::seconds(i as i64),
            &format!("r{i}"),
            &[("dan_cu", DAN_CU)],
            200,
            "ok",
            1,
        ))
        .await
        .expect("recorded");
    }
    (pool, dir, log)
}

async fn first_problem(pool: &SqlitePool) -> Option<lgsp_audit::Problem> {
    let report = lgsp_audit::verify(pool, &key().public_key())
        .await
        .expect("verifies");
    report.problem
}

async fn exec(pool: &SqlitePool, sql: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(pool)
        .await
        .expect("tampering statement runs");
}

#[tokio::test]
async fn concurrent_callers_share_transactions_and_get_one_chain() {
    let (pool, dir) = fresh("group").await;
    let log = AuditLog::start(pool.clone()).expect("writer");
    let mut tasks = Vec::new();
    for i in 0..500 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            log.record(data(t0(), &format!("r{i}"), &[], 200, "ok", 0))
                .await
                .expect("recorded")
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.expect("task"));
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=500).collect::<Vec<u64>>());
    let stats = log.stats();
    let batches = stats.batches.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(
        stats.entries.load(std::sync::atomic::Ordering::Relaxed),
        500
    );
    assert!(
        batches < 500,
        "{batches} transactions for 500 entries: no grouping"
    );
    let report = lgsp_audit::verify(&pool, &key().public_key())
        .await
        .expect("verifies");
    assert!(report.ok(), "{:?}", report.problem);
    assert_eq!((report.entries, report.head_seq), (500, 500));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_second_writer_on_the_same_file_extends_the_same_chain() {
    let (pool, dir, log) = filled("two-writers", 3).await;
    // As `lgsp admin` does from another process: its own pool and writer.
    let other = lgsp_audit::open(&dir.join("audit.db"))
        .await
        .expect("opens");
    let other = AuditLog::start(other).expect("second writer");
    let seq = other
        .record(Draft::new(t0(), Kind::Cli, "admin key revoke"))
        .await
        .expect("appends");
    assert_eq!(seq, 4);
    let next = log
        .record(Draft::new(t0(), Kind::Admin, "POST /v1/admin/login"))
        .await
        .expect("recorded");
    assert_eq!(next, 5);
    assert_eq!(first_problem(&pool).await, None);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_changed_entry_is_found() {
    let (pool, dir, _log) = filled("changed", 10).await;
    exec(
        &pool,
        "UPDATE audit_entries SET body = replace(body, '\"rows\":1', '\"rows\":0') WHERE seq = 6",
    )
    .await;
    let p = first_problem(&pool).await.expect("found");
    assert_eq!((p.kind, p.seq), (ProblemKind::Changed, 6), "{}", p.message);
    assert!(p.message.contains("#6"), "{}", p.message);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_changed_index_column_is_found() {
    let (pool, dir, _log) = filled("index", 5).await;
    exec(
        &pool,
        "UPDATE audit_entries SET actor_agency = '000.00.00.H01' WHERE seq = 2",
    )
    .await;
    let p = first_problem(&pool).await.expect("found");
    assert_eq!((p.kind, p.seq), (ProblemKind::Changed, 2), "{}", p.message);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_removed_entry_is_found_in_the_middle_and_at_the_end() {
    let (pool, dir, _log) = filled("removed", 10).await;
    exec(&pool, "DELETE FROM audit_entries WHERE seq = 4").await;
    let p = first_problem(&pool).await.expect("found");
    assert_eq!((p.kind, p.seq), (ProblemKind::Removed, 4), "{}", p.message);
    let _ = std::fs::remove_dir_all(dir);

    let (pool, dir, _log) = filled("truncated", 10).await;
    exec(&pool, "DELETE FROM audit_entries WHERE seq >= 9").await;
    let p = first_problem(&pool).await.expect("found");
    assert_eq!((p.kind, p.seq), (ProblemKind::Removed, 9), "{}", p.message);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_tail_cut_with_its_head_moved_back_is_found_by_the_checkpoint() {
    let (pool, dir, _log) = filled("tail-and-head", 10).await;
    lgsp_audit::seal(&pool, &key(), t0()).await.expect("seals");
    exec(&pool, "DELETE FROM audit_entries WHERE seq > 7").await;
    exec(
        &pool,
        "UPDATE audit_head SET seq = 7, hash = (SELECT hash FROM audit_entries WHERE seq = 7)",
    )
    .await;
    let p = first_problem(&pool).await.expect("found");
    assert_eq!((p.kind, p.seq), (ProblemKind::Removed, 8), "{}", p.message);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_inserted_entry_is_found_even_with_a_correct_hash() {
    let (pool, dir, _log) = filled("inserted", 10).await;
    // Make room at #5 and put in a forged entry whose hash links to #4, as
    // someone who knows the format would.
    exec(
        &pool,
        "UPDATE audit_entries SET seq = seq + 1000 WHERE seq >= 5",
    )
    .await;
    exec(
        &pool,
        "UPDATE audit_entries SET seq = seq - 999 WHERE seq >= 1005",
    )
    .await;
    let prev: String = sqlx::query_scalar("SELECT hash FROM audit_entries WHERE seq = 4")
        .fetch_one(&pool)
        .await
        .expect("row 4");
    let forged = lgsp_audit::Entry {
        seq: 5,
        draft: data(t0(), "forged", &[("dan_cu", DAN_CU)], 200, "ok", 1),
    };
    let body = serde_json::to_string(&forged).expect("json");
    let hash = lgsp_audit::chain_hash(&prev, &body);
    sqlx::query("INSERT INTO audit_entries (seq, at_us, kind, actor_agency, body, prev_hash, hash) VALUES (5, ?, 'data', ?, ?, ?, ?)")
        .bind(lgsp_audit::unix_us(t0()))
        .bind(CONSUMER)
        .bind(&body)
        .bind(&prev)
        .bind(&hash)
        .execute(&pool)
        .await
        .expect("insert");
    let p = first_problem(&pool).await.expect("found");
    assert_eq!((p.kind, p.seq), (ProblemKind::Inserted, 5), "{}", p.message);
    let _ = std::fs::remove_dir_all(dir);

    // An entry added after the head.
    let (pool, dir, _log) = filled("appended", 3).await;
    exec(&pool, "INSERT INTO audit_entries (seq, at_us, kind, actor_agency, body, prev_hash, hash) SELECT 4, at_us, kind, actor_agency, body, hash, hash FROM audit_entries WHERE seq = 3").await;
    let p = first_problem(&pool).await.expect("found");
    assert_eq!((p.kind, p.seq), (ProblemKind::Inserted, 4), "{}", p.message);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn reordered_entries_are_found() {
    let (pool, dir, _log) = filled("reordered", 10).await;
    exec(&pool, "UPDATE audit_entries SET seq = -1 WHERE seq = 7").await;
    exec(&pool, "UPDATE audit_entries SET seq = 7 WHERE seq = 8").await;
    exec(&pool, "UPDATE audit_entries SET seq = 8 WHERE seq = -1").await;
    let p = first_problem(&pool).await.expect("found");
    assert_eq!(
        (p.kind, p.seq),
        (ProblemKind::Reordered, 7),
        "{}",
        p.message
    );
    assert!(
        p.message.contains("entry #8 is at position #7"),
        "{}",
        p.message
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_rewrite_with_rebuilt_hashes_is_caught_by_the_checkpoint() {
    let (pool, dir, log) = filled("rewritten", 5).await;
    lgsp_audit::seal(&pool, &key(), t0()).await.expect("seals");
    for i in 5..10 {
        log.record(data(t0(), &format!("s{i}"), &[], 200, "ok", 0))
            .await
            .expect("recorded");
    }
    lgsp_audit::seal(&pool, &key(), t0()).await.expect("seals");
    // Rewrite entry 3 and rebuild every hash after it, head included.
    let rows = lgsp_audit::rows_after(&pool, 0, 100).await.expect("rows");
    let mut prev = lgsp_audit::GENESIS_HASH.to_owned();
    for row in rows {
        let body = if row.seq == 3 {
            row.body.replace("\"rows\":1", "\"rows\":9")
        } else {
            row.body.clone()
        };
        let hash = lgsp_audit::chain_hash(&prev, &body);
        sqlx::query("UPDATE audit_entries SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?")
            .bind(&body)
            .bind(&prev)
            .bind(&hash)
            .bind(row.seq as i64)
            .execute(&pool)
            .await
            .expect("rewrite");
        prev = hash;
    }
    sqlx::query("UPDATE audit_head SET hash = ?")
        .bind(&prev)
        .execute(&pool)
        .await
        .expect("head");
    let p = first_problem(&pool).await.expect("found");
    assert_eq!(
        (p.kind, p.seq),
        (ProblemKind::Rewritten, 1),
        "{}",
        p.message
    );
    assert!(p.message.contains("#1..#5"), "{}", p.message);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_forged_checkpoint_is_found() {
    let (pool, dir, _log) = filled("forged-seal", 3).await;
    lgsp_audit::seal(&pool, &PlatformKey::from_seed(&[1; 32]), t0())
        .await
        .expect("seals");
    let p = first_problem(&pool).await.expect("found");
    assert_eq!(
        (p.kind, p.seq),
        (ProblemKind::BadCheckpoint, 3),
        "{}",
        p.message
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn retention_keeps_what_remains_verifiable() {
    let (pool, dir, log) = filled("retention", 5).await;
    lgsp_audit::seal(&pool, &key(), t0() + Duration::days(1))
        .await
        .expect("seals");
    for i in 0..3 {
        log.record(data(
            t0() + Duration::days(40),
            &format!("n{i}"),
            &[],
            200,
            "ok",
            0,
        ))
        .await
        .expect("recorded");
    }
    // Sealed after the cut-off: nothing is removed yet.
    assert_eq!(log.prune(t0()).await.expect("prunes"), 0);
    let removed = log.prune(t0() + Duration::days(30)).await.expect("prunes");
    assert_eq!(removed, 5);
    // Again: nothing more to remove, and no second retention entry.
    assert_eq!(
        log.prune(t0() + Duration::days(30)).await.expect("prunes"),
        0
    );
    let report = lgsp_audit::verify(&pool, &key().public_key())
        .await
        .expect("verifies");
    assert!(report.ok(), "{:?}", report.problem);
    // The three later entries and the one recording the removal.
    assert_eq!((report.first_seq, report.entries), (Some(6), 4));
    let last = EntryFilter {
        after: Some(8),
        ..EntryFilter::default()
    };
    let views = lgsp_audit::entries(&pool, &last).await.expect("entries");
    let entry = &views.first().expect("retention entry").entry;
    assert_eq!(entry.seq, 9);
    assert_eq!(entry.draft.action, lgsp_audit::RETENTION_ACTION);
    assert_eq!(entry.draft.rows, Some(5));
    assert_eq!(
        entry.draft.detail.get("upto").map(String::as_str),
        Some("5")
    );
    // Removing more than retention did, by hand, is still found.
    exec(&pool, "DELETE FROM audit_entries WHERE seq = 6").await;
    let p = first_problem(&pool).await.expect("found");
    assert_eq!((p.kind, p.seq), (ProblemKind::Removed, 6), "{}", p.message);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn each_agency_sees_the_entries_that_concern_it() {
    let (pool, dir) = fresh("views").await;
    let log = AuditLog::start(pool.clone()).expect("writer");
    log.record(data(t0(), "a", &[("dan_cu", DAN_CU)], 200, "ok", 1))
        .await
        .expect("a");
    log.record(data(t0(), "b", &[("bhxh", BHXH)], 200, "ok", 1))
        .await
        .expect("b");
    let ids = |views: Vec<lgsp_audit::EntryView>| {
        views
            .into_iter()
            .filter_map(|v| v.entry.draft.request_id)
            .collect::<Vec<_>>()
    };
    let filter = |agency: &str, role: Option<Role>| EntryFilter {
        agency: Some(agency.into()),
        role,
        ..EntryFilter::default()
    };
    let got = lgsp_audit::entries(&pool, &filter(DAN_CU, Some(Role::Provider)))
        .await
        .expect("reads");
    assert_eq!(ids(got), vec!["a"]);
    let got = lgsp_audit::entries(&pool, &filter(CONSUMER, Some(Role::Consumer)))
        .await
        .expect("reads");
    assert_eq!(ids(got), vec!["a", "b"]);
    let got = lgsp_audit::entries(&pool, &filter(DAN_CU, Some(Role::Consumer)))
        .await
        .expect("reads");
    assert!(got.is_empty());
    // A forged index row cannot show an agency another's entry.
    exec(
        &pool,
        &format!(
            "INSERT INTO audit_parties (seq, agency, role) VALUES (2, '{DAN_CU}', 'provider')"
        ),
    )
    .await;
    let got = lgsp_audit::entries(&pool, &filter(DAN_CU, None))
        .await
        .expect("reads");
    assert_eq!(ids(got), vec!["a"]);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn exports_hold_every_entry_in_both_formats() {
    let (pool, dir, _log) = filled("export", 25).await;
    let mut jsonl = Vec::new();
    let n = lgsp_audit::export(
        &pool,
        &EntryFilter::default(),
        ExportFormat::Jsonl,
        &mut jsonl,
    )
    .await
    .expect("exports");
    assert_eq!(n, 25);
    let text = String::from_utf8(jsonl).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 25);
    assert_eq!(lines[0]["seq"], 1);
    assert_eq!(lines[24]["request_id"], "r24");
    assert_eq!(lines[3]["actor"]["agency"], CONSUMER);
    assert_eq!(lines[3]["hash"].as_str().map(str::len), Some(64));

    let mut csv = Vec::new();
    let filter = EntryFilter {
        from: Some(t0() + Duration::seconds(10)),
        to: Some(t0() + Duration::seconds(20)),
        ..EntryFilter::default()
    };
    let n = lgsp_audit::export(&pool, &filter, ExportFormat::Csv, &mut csv)
        .await
        .expect("exports");
    assert_eq!(n, 10);
    let text = String::from_utf8(csv).expect("utf-8");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().expect("header").clone();
    assert_eq!(header.iter().collect::<Vec<_>>(), lgsp_audit::CSV_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 10);
    assert_eq!(&rows[0][2], "r10");
    assert_eq!(&rows[0][12], "dan_cu.cong_dan(ho_ten)");
    assert_eq!(&rows[0][13], "kiểm tra");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn usage_and_reconciliation_match_a_known_workload() {
    let (pool, dir) = fresh("reports").await;
    let log = AuditLog::start(pool.clone()).expect("writer");
    // Day 1 (Vietnam): 3 dan_cu reads (one refused), 1 joint dan_cu+bhxh read.
    let day1 = t0();
    log.record(data(day1, "r1", &[("dan_cu", DAN_CU)], 200, "ok", 2))
        .await
        .expect("r1");
    log.record(data(day1, "r2", &[("dan_cu", DAN_CU)], 200, "ok", 3))
        .await
        .expect("r2");
    log.record(data(
        day1,
        "r3",
        &[("dan_cu", DAN_CU)],
        403,
        "purpose_not_granted",
        0,
    ))
    .await
    .expect("r3");
    log.record(data(
        day1,
        "r4",
        &[("dan_cu", DAN_CU), ("bhxh", BHXH)],
        200,
        "ok",
        1,
    ))
    .await
    .expect("r4");
    // Day 2: one bhxh read; and an admin action that is not usage.
    let day2 = t0() + Duration::days(1);
    log.record(data(day2, "r5", &[("bhxh", BHXH)], 200, "ok", 4))
        .await
        .expect("r5");
    log.record(Draft::new(day2, Kind::Admin, "POST /v1/admin/login"))
        .await
        .expect("admin");

    let q = lgsp_audit::report::ReportQuery {
        from: t0() - Duration::days(1),
        to: t0() + Duration::days(3),
        agency: None,
    };
    let usage = lgsp_audit::report::usage(&pool, &q).await.expect("usage");
    let row = |agency: &str, role: Role, service: &str, day: DateTime<Utc>| {
        usage
            .iter()
            .find(|r| {
                r.agency == agency
                    && r.role == role
                    && r.service == service
                    && r.day == lgsp_audit::report::day_of(day)
            })
            .unwrap_or_else(|| panic!("no row {agency} {role:?} {service}: {usage:#?}"))
    };
    let c = row(CONSUMER, Role::Consumer, "dan_cu", day1);
    assert_eq!((c.requests, c.ok, c.refused, c.rows), (4, 3, 1, 6));
    assert_eq!(c.errors.get("purpose_not_granted"), Some(&1));
    // Durations are 1 ms × (rows + 1): 3, 4, 1, 2 ms.
    assert_eq!((c.p50_ms, c.p95_ms, c.p99_ms), (2.0, 4.0, 4.0));
    let p = row(DAN_CU, Role::Provider, "dan_cu", day1);
    assert_eq!((p.requests, p.ok, p.bytes), (4, 3, 600));
    let b = row(BHXH, Role::Provider, "bhxh", day1);
    assert_eq!((b.requests, b.rows), (1, 1));
    let b2 = row(BHXH, Role::Provider, "bhxh", day2);
    assert_eq!((b2.requests, b2.rows), (1, 4));
    assert_eq!(usage.len(), 6, "{usage:#?}");

    let rec = lgsp_audit::report::reconciliation(&pool, &q)
        .await
        .expect("rec");
    assert_eq!(rec.len(), 3, "{rec:#?}");
    let dan_cu = rec.iter().find(|r| r.provider == DAN_CU).expect("dan_cu");
    assert_eq!((dan_cu.requests, dan_cu.ok, dan_cu.rows), (4, 3, 6));
    assert_eq!(
        dan_cu.request_ids_sha256,
        lgsp_audit::report::request_ids_digest(vec![
            "r4".into(),
            "r3".into(),
            "r2".into(),
            "r1".into()
        ])
    );
    let bhxh_day1 = rec
        .iter()
        .find(|r| r.provider == BHXH && r.day == lgsp_audit::report::day_of(day1))
        .expect("bhxh day 1");
    assert_eq!(
        bhxh_day1.request_ids_sha256,
        lgsp_audit::report::request_ids_digest(vec!["r4".into()])
    );
    // The provider's view holds only its own lines.
    let only = lgsp_audit::report::reconciliation(
        &pool,
        &lgsp_audit::report::ReportQuery {
            agency: Some(BHXH.into()),
            ..q.clone()
        },
    )
    .await
    .expect("rec");
    assert_eq!(only.len(), 2);
    assert!(only.iter().all(|r| r.provider == BHXH));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn removing_the_oldest_entries_up_to_a_checkpoint_is_not_retention() {
    let (pool, dir, log) = filled("not-retention", 5).await;
    lgsp_audit::seal(&pool, &key(), t0()).await.expect("seals");
    log.record(data(t0(), "later", &[], 200, "ok", 0))
        .await
        .expect("recorded");
    // What retention would remove, removed by hand: the checkpoint still
    // links what remains, but no retention entry records the removal.
    exec(&pool, "DELETE FROM audit_entries WHERE seq <= 5").await;
    let p = first_problem(&pool).await.expect("found");
    assert_eq!((p.kind, p.seq), (ProblemKind::Removed, 1), "{}", p.message);
    assert!(p.message.contains("#1..#5"), "{}", p.message);
    assert!(p.message.contains("no retention entry"), "{}", p.message);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_changed_agency_index_is_found() {
    let (pool, dir) = fresh("parties").await;
    let log = AuditLog::start(pool.clone()).expect("writer");
    for i in 0..4 {
        log.record(data(
            t0(),
            &format!("p{i}"),
            &[("dan_cu", DAN_CU)],
            200,
            "ok",
            1,
        ))
        .await
        .expect("recorded");
    }
    assert_eq!(first_problem(&pool).await, None);
    // Hiding entry #3 from the provider's view.
    exec(
        &pool,
        &format!("DELETE FROM audit_parties WHERE seq = 3 AND agency = '{DAN_CU}'"),
    )
    .await;
    let p = first_problem(&pool).await.expect("found");
    assert_eq!((p.kind, p.seq), (ProblemKind::Changed, 3), "{}", p.message);
    assert!(p.message.contains("agency index"), "{}", p.message);
    // Showing entry #2 to an agency it does not concern.
    exec(
        &pool,
        &format!("INSERT INTO audit_parties (seq, agency, role) VALUES (3, '{DAN_CU}', 'provider'), (2, '{BHXH}', 'provider')"),
    )
    .await;
    let p = first_problem(&pool).await.expect("found");
    assert_eq!((p.kind, p.seq), (ProblemKind::Changed, 2), "{}", p.message);
    assert!(p.message.contains(BHXH), "{}", p.message);
    let _ = std::fs::remove_dir_all(dir);
}
