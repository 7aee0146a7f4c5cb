//! User SQL is read-only: every statement that writes, defines or configures is
//! refused by name; files and URLs cannot be read.

use crate::common::query;

#[tokio::test]
async fn writes_definitions_and_settings_are_refused_by_name() {
    for (sql, kind) in [
        (
            "INSERT INTO dan_cu.cong_dan (so_dinh_danh) VALUES ('001085012345')",
            "INSERT",
        ),
        (
            "UPDATE dan_cu.cong_dan SET ho_ten = 'x' WHERE so_dinh_danh = '001085012345'",
            "UPDATE",
        ),
        (
            "DELETE FROM dan_cu.cong_dan WHERE so_dinh_danh = '001085012345'",
            "DELETE",
        ),
        ("CREATE TABLE t AS SELECT 1", "CREATE TABLE"),
        ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
        ("DROP TABLE dan_cu.cong_dan", "DROP TABLE"),
        (
            "CREATE EXTERNAL TABLE p (line VARCHAR) STORED AS CSV LOCATION '/etc/passwd'",
            "CREATE EXTERNAL TABLE",
        ),
        ("COPY (SELECT 1) TO '/tmp/lgsp-copy-test.csv'", "COPY"),
        ("SET datafusion.execution.batch_size = 1", "SET"),
        ("EXPLAIN DELETE FROM dan_cu.cong_dan", "DELETE"),
    ] {
        let a = query(sql).await;
        assert_eq!(a.status, 400, "{sql}: {}", a.body);
        assert_eq!(a.code(), "statement_not_allowed", "{sql}");
        assert_eq!(
            a.message(),
            format!("only SELECT and EXPLAIN are allowed; {kind} statements are rejected"),
            "{sql}"
        );
    }
    assert!(!std::path::Path::new("/tmp/lgsp-copy-test.csv").exists());
}

#[tokio::test]
async fn files_and_urls_are_not_tables() {
    for sql in [
        "SELECT * FROM '/etc/passwd'",
        "SELECT * FROM 'http://127.0.0.1:1/x.csv'",
    ] {
        let a = query(sql).await;
        assert_eq!(a.status, 400, "{sql}: {}", a.body);
        assert_eq!(a.code(), "query_error", "{sql}");
        assert!(a.message().contains("not found"), "{sql}: {}", a.message());
    }
}

#[tokio::test]
async fn malformed_sql_and_several_statements_are_invalid_sql() {
    for sql in ["SELEC 1", "SELECT 1; SELECT 2", "", "SELECT * FROM"] {
        let a = query(sql).await;
        assert_eq!(a.status, 400, "{sql:?}: {}", a.body);
        assert_eq!(a.code(), "invalid_sql", "{sql:?}");
    }
    let long = format!("SELECT 1 {}", " ".repeat(70_000));
    assert_eq!(query(&long).await.code(), "invalid_sql");
}

#[tokio::test]
async fn unknown_tables_and_columns_are_query_errors() {
    let a = query("SELECT * FROM dan_cu.khong_co").await;
    assert_eq!(a.code(), "query_error");
    let a = query("SELECT khong_co FROM dan_cu.cong_dan WHERE ma_xa = '00004'").await;
    assert_eq!(a.code(), "query_error");
    assert!(a.message().contains("khong_co"), "{}", a.message());
}

#[tokio::test]
async fn reads_without_connectors_and_the_information_schema_work() {
    let a = query("SELECT 1 + 1 AS two").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows()[0]["two"], 2);
    let a = query("SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema = 'dan_cu'").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows()[0]["table_name"], "cong_dan");
}

#[tokio::test]
async fn functions_that_allocate_unboundedly_are_not_offered() {
    for sql in [
        "SELECT repeat('x', 2000000000)",
        "SELECT lpad('x', 2000000000, 'y')",
        "SELECT array_repeat(1, 2000000000)",
        "SELECT range(1, 2000000000)",
    ] {
        let a = query(sql).await;
        assert_eq!(a.status, 400, "{sql}: {}", a.body);
        assert_eq!(a.code(), "query_error", "{sql}");
    }
}
