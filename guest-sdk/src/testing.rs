//! Helpers for testing connector logic natively with `cargo test`, without a host.

use crate::bindings::lgsp::connector::types as wit;
use crate::filter::{Filter, FilterOp, Value};
use crate::request::ScanRequest;
use crate::schema::Table;

/// A scan of `columns` of `table` with no filters and no limit.
///
/// # Panics
/// When a column is not declared in `table` (a bug in the test).
pub fn scan_request(table: &Table, columns: &[&str]) -> ScanRequest {
    scan_request_with(table, columns, Vec::new(), None)
}

/// A scan with filters and a limit.
///
/// # Panics
/// When a column is not declared in `table` (a bug in the test).
pub fn scan_request_with(
    table: &Table,
    columns: &[&str],
    filters: Vec<Filter>,
    limit: Option<u64>,
) -> ScanRequest {
    let request = wit::ScanRequest {
        table: table.name().to_owned(),
        columns: columns.iter().map(|c| (*c).to_owned()).collect(),
        filters: Vec::new(),
        limit,
        access_path: None,
        context: wit::RequestContext {
            request_id: "test".into(),
            consumer: "000.00.00.H00".into(),
            purpose: "test".into(),
        },
    };
    let mut scan = match ScanRequest::from_wit(table.clone(), request) {
        Ok(scan) => scan,
        Err(e) => panic!("invalid test request: {e}"),
    };
    scan.set_filters(filters);
    scan
}

/// `column = 'value'`.
pub fn eq_text(column: &str, value: &str) -> Filter {
    Filter {
        column: column.into(),
        op: FilterOp::Eq,
        values: vec![Value::Text(value.into())],
    }
}

/// `column IN ('a', 'b', ...)`.
pub fn in_text(column: &str, values: &[&str]) -> Filter {
    Filter {
        column: column.into(),
        op: FilterOp::InList,
        values: values.iter().map(|v| Value::Text((*v).into())).collect(),
    }
}
