//! Helpers for testing connector logic natively with `cargo test`, without a host.

use crate::bindings::lgsp::connector::types as wit;
use crate::filter::{Filter, FilterOp, Value};
use crate::request::ScanRequest;
use crate::schema::Table;

/// Runs `f` with catalog lookups ([`crate::catalogs`]) answered by
/// `catalogs` instead of [`crate::catalogs::Shipped`], on this thread only;
/// the previous catalogs are back when `f` returns or panics. Use it to test
/// mappings through catalogs the SDK does not ship, such as communes.
///
/// # Examples
/// ```
/// use lgsp_guest::catalogs::{self, Catalogs, Item, Successor};
/// use lgsp_guest::{Date, testing};
///
/// struct NoGenders;
/// impl Catalogs for NoGenders {
///     fn item(&self, _: &str, _: &str, _: Option<Date>) -> Option<Item> { None }
///     fn code_for(&self, _: &str, _: &str, _: Option<Date>) -> Option<String> { None }
///     fn current_codes(&self, _: &str, _: &str, _: Date) -> Vec<Successor> { Vec::new() }
/// }
///
/// assert_eq!(testing::with_catalogs(NoGenders, || catalogs::code_for("gioi_tinh", "Nam", None)), None);
/// assert_eq!(catalogs::code_for("gioi_tinh", "Nam", None).as_deref(), Some("1"));
/// ```
#[cfg(not(target_arch = "wasm32"))]
pub fn with_catalogs<R>(
    catalogs: impl crate::catalogs::Catalogs + 'static,
    f: impl FnOnce() -> R,
) -> R {
    crate::catalogs::with_catalogs(catalogs, f)
}

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
