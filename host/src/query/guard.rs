//! Read-only SQL: exactly one `SELECT` (or `EXPLAIN` of one). Everything else is
//! refused by name before planning; `SQLOptions` checks the plan again.

use super::error::QueryError;
use datafusion::execution::context::SQLOptions;
use datafusion::sql::parser::{DFParser, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::GenericDialect;

/// Longest SQL text accepted.
pub const MAX_SQL_BYTES: usize = 64 * 1024;

/// The plan-level fence: no DDL, no DML (including COPY), no SET or other
/// statements.
pub(crate) fn sql_options() -> SQLOptions {
    SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false)
}

/// Parses `sql` and accepts only a single read statement.
///
/// # Errors
/// `InvalidSql` for parse errors or several statements, `NotAllowed` naming the
/// kind of statement otherwise.
pub(crate) fn parse_read_only(sql: &str) -> Result<DFStatement, QueryError> {
    if sql.len() > MAX_SQL_BYTES {
        return Err(QueryError::InvalidSql(format!(
            "the SQL text is longer than {MAX_SQL_BYTES} bytes"
        )));
    }
    let mut statements = DFParser::parse_sql_with_dialect(sql, &GenericDialect {})
        .map_err(|e| QueryError::InvalidSql(e.strip_backtrace()))?;
    let statement = match statements.len() {
        0 => return Err(QueryError::InvalidSql("the SQL text is empty".into())),
        1 => statements.pop_front(),
        n => {
            return Err(QueryError::InvalidSql(format!(
                "send one statement per request, got {n}"
            )));
        }
    };
    let statement =
        statement.ok_or_else(|| QueryError::InvalidSql("the SQL text is empty".into()))?;
    check(&statement)?;
    Ok(statement)
}

fn check(statement: &DFStatement) -> Result<(), QueryError> {
    match statement {
        DFStatement::Statement(s) => check_sql(s),
        DFStatement::Explain(e) => check(&e.statement),
        DFStatement::CreateExternalTable(_) => {
            Err(QueryError::NotAllowed("CREATE EXTERNAL TABLE".into()))
        }
        DFStatement::CopyTo(_) => Err(QueryError::NotAllowed("COPY".into())),
        DFStatement::Reset(_) => Err(QueryError::NotAllowed("RESET".into())),
    }
}

fn check_sql(statement: &Statement) -> Result<(), QueryError> {
    match statement {
        Statement::Query(q) if q.body.as_select().is_none_or(|s| s.into.is_none()) => Ok(()),
        Statement::Query(_) => Err(QueryError::NotAllowed("SELECT INTO".into())),
        Statement::Explain { statement, .. } => check_sql(statement),
        other => Err(QueryError::NotAllowed(kind(other))),
    }
}

/// The leading keywords of a statement ("INSERT", "CREATE TABLE"...), without
/// echoing the rest of it.
fn kind(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text.split_whitespace().take(3).collect();
    let take = match words.first().map(|w| w.to_ascii_uppercase()).as_deref() {
        Some("CREATE" | "DROP" | "ALTER" | "TRUNCATE") => {
            if words.get(1).is_some_and(|w| w.eq_ignore_ascii_case("OR")) {
                3
            } else {
                2
            }
        }
        _ => 1,
    };
    words
        .iter()
        .take(take)
        .map(|w| w.to_ascii_uppercase())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejected(sql: &str) -> String {
        match parse_read_only(sql) {
            Err(QueryError::NotAllowed(kind)) => kind,
            other => panic!("{sql}: expected NotAllowed, got {other:?}"),
        }
    }

    #[test]
    fn accepts_reads() {
        for sql in [
            "SELECT 1",
            "select * from dan_cu.cong_dan where ma_xa = '00004'",
            "WITH a AS (SELECT 1) SELECT * FROM a",
            "EXPLAIN SELECT 1",
            "EXPLAIN ANALYZE SELECT 1",
        ] {
            assert!(parse_read_only(sql).is_ok(), "{sql}");
        }
    }

    #[test]
    fn rejects_writes_and_statements_by_name() {
        assert_eq!(rejected("INSERT INTO t VALUES (1)"), "INSERT");
        assert_eq!(rejected("UPDATE t SET a = 1"), "UPDATE");
        assert_eq!(rejected("DELETE FROM t"), "DELETE");
        assert_eq!(rejected("CREATE TABLE t (a INT)"), "CREATE TABLE");
        assert_eq!(
            rejected("CREATE OR REPLACE VIEW v AS SELECT 1"),
            "CREATE OR REPLACE"
        );
        assert_eq!(rejected("DROP TABLE t"), "DROP TABLE");
        assert_eq!(
            rejected("CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/etc/passwd'"),
            "CREATE EXTERNAL TABLE"
        );
        assert_eq!(rejected("COPY (SELECT 1) TO '/tmp/x.csv'"), "COPY");
        assert_eq!(rejected("SET datafusion.execution.batch_size = 1"), "SET");
        assert_eq!(rejected("EXPLAIN INSERT INTO t VALUES (1)"), "INSERT");
        assert_eq!(rejected("SELECT 1 INTO t"), "SELECT INTO");
    }

    #[test]
    fn rejects_several_statements_and_garbage() {
        assert!(matches!(
            parse_read_only("SELECT 1; SELECT 2"),
            Err(QueryError::InvalidSql(_))
        ));
        assert!(matches!(
            parse_read_only("SELEC 1"),
            Err(QueryError::InvalidSql(_))
        ));
        assert!(matches!(
            parse_read_only(""),
            Err(QueryError::InvalidSql(_))
        ));
    }
}
