//! Glue between the [`crate::Connector`] trait and the generated WIT exports. Used
//! by the [`crate::export!`] macro; connector code does not call it.

use crate::batch::encode_ipc;
use crate::bindings::exports::lgsp::connector::source::{BatchStream, GuestBatchStream};
use crate::bindings::lgsp::connector::types as wit;
use crate::error::{Error, Result};
use crate::request::ScanRequest;
use crate::schema::Column;
use crate::source::BatchSource;
use crate::{Connector, Level, log};
use arrow_array::{RecordBatch, RecordBatchOptions};
use arrow_schema::SchemaRef;
use std::cell::RefCell;

/// The `batch-stream` resource: a connector's [`BatchSource`] plus the checks that
/// keep its output to what was asked for.
pub struct BatchStreamResource {
    state: RefCell<StreamState>,
}

struct StreamState {
    source: Box<dyn BatchSource>,
    schema: SchemaRef,
    remaining: Option<u64>,
    finished: bool,
}

impl GuestBatchStream for BatchStreamResource {
    fn next(&self) -> Result<Option<Vec<u8>>, wit::ConnectorError> {
        let mut state = self.state.borrow_mut();
        state.next_encoded().map_err(Error::into_wit)
    }
}

impl StreamState {
    fn next_encoded(&mut self) -> Result<Option<Vec<u8>>> {
        if self.finished || self.remaining == Some(0) {
            return Ok(None);
        }
        let Some(batch) = self.source.next_batch()? else {
            self.finished = true;
            return Ok(None);
        };
        let mut batch = conform(batch, &self.schema)?;
        if let Some(remaining) = self.remaining.as_mut() {
            let keep = (*remaining).min(batch.num_rows() as u64);
            batch = batch.slice(0, keep as usize);
            *remaining -= keep;
        }
        encode_ipc(&batch).map(Some)
    }
}

/// Checks a batch against the requested columns (names, types, nullability).
fn conform(batch: RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    if batch.schema() == *schema {
        return Ok(batch);
    }
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(schema.clone(), batch.columns().to_vec(), &options)
        .map_err(|e| Error::internal(format!("a batch does not match the requested columns: {e}")))
}

fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // A panic aborts the instance; sending its message to the host log first
        // lets the platform say why the connector failed.
        std::panic::set_hook(Box::new(|info| {
            log(Level::Error, &format!("connector panicked: {info}"));
        }));
    });
}

/// `describe` for connector `C`.
pub fn describe<C: Connector>() -> wit::ConnectorInfo {
    install_panic_hook();
    C::describe().into_wit()
}

/// `scan` for connector `C`.
///
/// # Errors
/// `bad-request` for an unknown table or column, else whatever `C::scan` says.
pub fn scan<C: Connector>(request: wit::ScanRequest) -> Result<BatchStream, wit::ConnectorError> {
    install_panic_hook();
    start_scan::<C>(request).map_err(Error::into_wit)
}

fn start_scan<C: Connector>(request: wit::ScanRequest) -> Result<BatchStream> {
    let description = C::describe();
    let table = description
        .find_table(&request.table)
        .cloned()
        .ok_or_else(|| Error::bad_request(format!("no table called {}", request.table)))?;
    let request = ScanRequest::from_wit(table, request)?;
    let columns: Vec<&Column> = request
        .columns()
        .iter()
        .filter_map(|c| request.table().find_column(c))
        .collect();
    let schema = request.table().arrow_schema(&columns);
    let remaining = request.limit();
    let source = C::scan(request)?;
    Ok(BatchStream::new(BatchStreamResource {
        state: RefCell::new(StreamState {
            source,
            schema,
            remaining,
            finished: false,
        }),
    }))
}

/// `health` for connector `C`.
pub fn health<C: Connector>() -> wit::HealthReport {
    install_panic_hook();
    C::health().into_wit()
}
