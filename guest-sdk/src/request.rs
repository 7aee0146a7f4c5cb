//! A scan request as a connector sees it, with helpers to read key filters.

use crate::batch::BatchBuilder;
use crate::bindings::lgsp::connector::types as wit;
use crate::error::{Error, Result};
use crate::filter::{Filter, FilterOp, Value};
use crate::schema::{Column, Table};

/// Who is asking and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// Unique per data request; appears in the platform's audit log.
    pub request_id: String,
    /// Electronic code of the consumer agency.
    pub consumer: String,
    /// The purpose the consumer stated.
    pub purpose: String,
}

/// A request for rows of one of the connector's tables.
///
/// The SDK has already checked that the table exists and that every requested
/// column is declared.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    table: Table,
    columns: Vec<String>,
    filters: Vec<Filter>,
    limit: Option<u64>,
    access_path: Option<usize>,
    context: RequestContext,
}

impl ScanRequest {
    pub(crate) fn from_wit(table: Table, req: wit::ScanRequest) -> Result<Self> {
        for name in &req.columns {
            if table.find_column(name).is_none() {
                return Err(Error::bad_request(format!(
                    "table {} has no column {name}",
                    table.name()
                )));
            }
        }
        Ok(Self {
            table,
            columns: req.columns,
            filters: req.filters.into_iter().map(Filter::from_wit).collect(),
            limit: req.limit,
            access_path: req.access_path.map(|p| p as usize),
            context: RequestContext {
                request_id: req.context.request_id,
                consumer: req.context.consumer,
                purpose: req.context.purpose,
            },
        })
    }

    /// The table's definition, as [`crate::Connector::describe`] gave it.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The table's name.
    pub fn table_name(&self) -> &str {
        self.table.name()
    }

    /// The columns to return, in order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Whether the query needs `column`; skip fetching what nobody reads.
    pub fn wants(&self, column: &str) -> bool {
        self.columns.iter().any(|c| c == column)
    }

    /// All pushed-down filters.
    pub fn filters(&self) -> &[Filter] {
        &self.filters
    }

    /// At most this many rows are needed (set only when the connector applies
    /// every filter exactly).
    pub fn limit(&self) -> Option<u64> {
        self.limit
    }

    /// Which of the table's access paths (by declaration order) to use. The
    /// host chose the first one the query's filters satisfy; answer through it
    /// and apply its key filters exactly. Filters on other columns are hints
    /// the host applies again.
    pub fn access_path(&self) -> Option<usize> {
        self.access_path
    }

    /// Who is asking and why.
    pub fn context(&self) -> &RequestContext {
        &self.context
    }

    /// The values the query pins `column` to with `=` or `IN`, intersected when
    /// there are several such filters; `None` when there is none.
    pub fn equal_values(&self, column: &str) -> Option<Vec<&Value>> {
        let mut result: Option<Vec<&Value>> = None;
        for f in self.filters.iter().filter(|f| f.column == column) {
            if !matches!(f.op, FilterOp::Eq | FilterOp::InList) {
                continue;
            }
            let values: Vec<&Value> = f.values.iter().collect();
            result = Some(match result {
                None => dedup(values),
                Some(prev) => prev.into_iter().filter(|v| values.contains(v)).collect(),
            });
        }
        result
    }

    /// Like [`Self::equal_values`] for a text column.
    ///
    /// # Errors
    /// `bad-request` when a value is not text.
    pub fn text_values(&self, column: &str) -> Result<Option<Vec<String>>> {
        let Some(values) = self.equal_values(column) else {
            return Ok(None);
        };
        values
            .into_iter()
            .map(|v| {
                v.as_text().map(str::to_owned).ok_or_else(|| {
                    Error::bad_request(format!("{column} must be compared with text, got {v:?}"))
                })
            })
            .collect::<Result<Vec<_>>>()
            .map(Some)
    }

    /// The single text value the query pins `column` to.
    ///
    /// # Errors
    /// `bad-request` when the query gives several values for `column`.
    pub fn text_value(&self, column: &str) -> Result<Option<String>> {
        match self.text_values(column)? {
            None => Ok(None),
            Some(mut v) if v.len() <= 1 => Ok(v.pop()),
            Some(v) => Err(Error::bad_request(format!(
                "{column} takes one value per query, got {}",
                v.len()
            ))),
        }
    }

    /// A builder for batches with exactly the requested columns.
    pub fn batch_builder(&self, capacity: usize) -> BatchBuilder {
        let columns: Vec<&Column> = self
            .columns
            .iter()
            .filter_map(|name| self.table.find_column(name))
            .collect();
        BatchBuilder::new(self.table.arrow_schema(&columns), &columns, capacity)
    }
}

fn dedup(values: Vec<&Value>) -> Vec<&Value> {
    let mut out: Vec<&Value> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

impl ScanRequest {
    /// Replaces the filters and chooses the access path as the host does (for
    /// [`crate::testing`]).
    pub(crate) fn set_filters(&mut self, filters: Vec<Filter>) {
        self.access_path = self.table.first_satisfied_path(&filters);
        self.filters = filters;
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{eq_text, in_text, scan_request_with};
    use crate::{Column, FilterOp, Table};

    fn table() -> Table {
        Table::new("t", "")
            .column(Column::text("id", "").not_null())
            .column(Column::text("xa", ""))
            .access_path(&[("id", &[FilterOp::Eq, FilterOp::InList])])
    }

    #[test]
    fn equal_values_intersect_several_filters() {
        let req = scan_request_with(
            &table(),
            &["id"],
            vec![
                in_text("id", &["a", "b", "c", "b"]),
                in_text("id", &["b", "c", "d"]),
            ],
            None,
        );
        assert_eq!(
            req.text_values("id").ok().flatten(),
            Some(vec!["b".to_owned(), "c".to_owned()])
        );
        assert_eq!(req.text_values("xa").ok().flatten(), None);
    }

    #[test]
    fn text_value_wants_exactly_one() {
        let one = scan_request_with(&table(), &["id"], vec![eq_text("xa", "00004")], None);
        assert_eq!(
            one.text_value("xa").ok().flatten().as_deref(),
            Some("00004")
        );
        let two = scan_request_with(&table(), &["id"], vec![in_text("xa", &["1", "2"])], None);
        let e = two.text_value("xa").expect_err("two values");
        assert_eq!(e.kind(), crate::ErrorKind::BadRequest);
        assert!(e.message().contains("one value"), "{e}");
    }

    #[test]
    fn batch_builder_reports_type_and_null_mistakes() {
        let req = scan_request_with(&table(), &["id", "xa"], vec![], None);
        let mut b = req.batch_builder(2);
        b.row(|r| r.set("id", 5i64));
        let e = b.finish().expect_err("wrong type");
        assert!(e.message().contains("column id"), "{e}");

        let mut b = req.batch_builder(2);
        b.row(|r| r.set("xa", "x"));
        let e = b.finish().expect_err("missing non-null");
        assert!(e.message().contains("not nullable"), "{e}");

        let mut b = req.batch_builder(2);
        b.row(|r| {
            r.set("xa", "y");
            r.set("id", "1");
        });
        b.row(|r| r.set("id", "2"));
        let batch = b.finish().expect("valid");
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.column(1).null_count(), 1);
    }

    #[test]
    fn zero_columns_keep_the_row_count() {
        let req = scan_request_with(&table(), &[], vec![], None);
        let mut b = req.batch_builder(3);
        for _ in 0..3 {
            b.row(|_| {});
        }
        let batch = b.finish().expect("valid");
        assert_eq!((batch.num_columns(), batch.num_rows()), (0, 3));
        let bytes = crate::batch::encode_ipc(&batch).expect("encodes");
        assert!(!bytes.is_empty());
    }
}
