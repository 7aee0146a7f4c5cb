//! Streaming a query result as JSON, NDJSON, CSV or an Arrow IPC stream, batch by
//! batch, so a large result never sits whole in memory.

use super::error::ApiError;
use crate::audit::AuditScope;
use crate::query::{QueryError, QueryStream};
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::json::writer::{LineDelimited, WriterBuilder as JsonWriterBuilder};
use std::io;

/// A result format, chosen by `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/json` (default): `{"columns": [...], "rows": [{...}], "row_count": n}`.
    Json,
    /// `application/x-ndjson`: one JSON object per row.
    Ndjson,
    /// `text/csv` with a header row.
    Csv,
    /// `application/vnd.apache.arrow.stream`.
    Arrow,
}

/// Media type of the Arrow IPC stream format.
pub const ARROW_STREAM: &str = "application/vnd.apache.arrow.stream";

impl Format {
    /// Picks the first supported type in `Accept` (none or `*/*` means JSON).
    ///
    /// # Errors
    /// `406 not_acceptable` listing the supported types.
    pub fn from_headers(headers: &HeaderMap) -> Result<Self, ApiError> {
        let Some(accept) = headers.get(header::ACCEPT) else {
            return Ok(Self::Json);
        };
        let accept = accept.to_str().unwrap_or("");
        for item in accept.split(',') {
            let media = item
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let format = match media.as_str() {
                "application/json" | "*/*" | "application/*" | "" => Self::Json,
                "application/x-ndjson" | "application/ndjson" | "application/jsonl" => Self::Ndjson,
                "text/csv" | "text/*" => Self::Csv,
                ARROW_STREAM => Self::Arrow,
                _ => continue,
            };
            return Ok(format);
        }
        Err(ApiError::not_acceptable(format!(
            "cannot answer with {accept:?}; ask for application/json, application/x-ndjson, text/csv or {ARROW_STREAM}"
        )))
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Ndjson => "application/x-ndjson",
            Self::Csv => "text/csv; charset=utf-8",
            Self::Arrow => ARROW_STREAM,
        }
    }
}

/// A streaming response for a started query whose first batch (if any) has
/// already been fetched, so that errors up to that point got a proper status.
///
/// A failure later in the stream cannot change the status any more: JSON ends
/// with an `"error"` member, NDJSON with an `{"error": ...}` line, and CSV and
/// Arrow responses are cut off so the client sees an incomplete transfer.
pub fn stream_response(
    format: Format,
    stream: QueryStream,
    first: Option<RecordBatch>,
) -> Response {
    audited_stream_response(format, stream, first, None)
}

/// [`stream_response`] that reports the rows sent (and a late failure's
/// code) to the request's audit entry.
pub(crate) fn audited_stream_response(
    format: Format,
    stream: QueryStream,
    first: Option<RecordBatch>,
    audit: Option<AuditScope>,
) -> Response {
    let encoder = Encoder {
        audit,
        format,
        schema: stream.schema(),
        stream,
        first,
        stage: Stage::Start,
        rows: 0,
        arrow: None,
        // The body is produced after the handler returns, outside the
        // request's task-local scope; keep the id for a late error.
        request_id: super::error::REQUEST_ID.try_with(Clone::clone).ok(),
    };
    let body = futures::stream::unfold(encoder, |mut enc| async move {
        let chunk = enc.step().await?;
        Some((chunk, enc))
    });
    let mut response = Body::from_stream(body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Start,
    Rows,
    Finished,
}

struct Encoder {
    format: Format,
    schema: SchemaRef,
    stream: QueryStream,
    first: Option<RecordBatch>,
    stage: Stage,
    rows: u64,
    arrow: Option<StreamWriter<Vec<u8>>>,
    request_id: Option<String>,
    audit: Option<AuditScope>,
}

impl Encoder {
    /// Tells the audit entry how the stream ended.
    fn report(&self, error: Option<&QueryError>) {
        if let Some(scope) = &self.audit {
            let rows = self.rows;
            let code = error.map(|e| ApiError::from(e.clone()).code());
            scope.update(|d| {
                d.rows = Some(rows);
                if let Some(code) = code {
                    d.outcome = lgsp_audit::Outcome::Failed;
                    code.clone_into(&mut d.code);
                }
            });
        }
    }

    /// The next chunk of the body, or `None` when it is complete.
    async fn step(&mut self) -> Option<Result<Bytes, io::Error>> {
        match self.stage {
            Stage::Finished => None,
            Stage::Start => {
                self.stage = Stage::Rows;
                Some(self.prologue())
            }
            Stage::Rows => {
                let next = match self.first.take() {
                    Some(batch) => Ok(Some(batch)),
                    None => self.stream.next().await,
                };
                match next {
                    Ok(Some(batch)) => Some(self.encode(&batch)),
                    Ok(None) => {
                        self.stage = Stage::Finished;
                        self.report(None);
                        Some(self.epilogue(None))
                    }
                    Err(e) => {
                        self.stage = Stage::Finished;
                        self.report(Some(&e));
                        tracing::warn!(error = %e, rows = self.rows, "query failed while streaming");
                        Some(self.epilogue(Some(e)))
                    }
                }
            }
        }
    }

    fn prologue(&mut self) -> Result<Bytes, io::Error> {
        match self.format {
            Format::Json => {
                let columns: Vec<serde_json::Value> = self
                    .schema
                    .fields()
                    .iter()
                    .map(|f| {
                        serde_json::json!({
                            "name": f.name(),
                            "type": crate::runtime::sql_type(f.data_type()),
                        })
                    })
                    .collect();
                let head = serde_json::to_string(&columns).map_err(io::Error::other)?;
                Ok(Bytes::from(format!("{{\"columns\":{head},\"rows\":[")))
            }
            Format::Ndjson => Ok(Bytes::new()),
            Format::Csv => {
                // The writer emits the header row on its first write, so an
                // empty batch yields exactly the (properly quoted) header.
                let mut out = Vec::new();
                let mut w = datafusion::arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(&mut out);
                w.write(&RecordBatch::new_empty(self.schema.clone()))
                    .map_err(io::Error::other)?;
                drop(w);
                Ok(Bytes::from(out))
            }
            Format::Arrow => {
                let writer =
                    StreamWriter::try_new(Vec::new(), &self.schema).map_err(io::Error::other)?;
                self.arrow = Some(writer);
                Ok(self.take_arrow_bytes())
            }
        }
    }

    fn encode(&mut self, batch: &RecordBatch) -> Result<Bytes, io::Error> {
        let first_row = self.rows == 0;
        self.rows += batch.num_rows() as u64;
        match self.format {
            Format::Json | Format::Ndjson => {
                let mut lines = Vec::new();
                let mut w = JsonWriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, LineDelimited>(&mut lines);
                w.write(batch).map_err(io::Error::other)?;
                w.finish().map_err(io::Error::other)?;
                drop(w);
                if self.format == Format::Ndjson {
                    return Ok(Bytes::from(lines));
                }
                // Rows are one per line and JSON strings escape newlines, so
                // joining the lines with commas gives the array's elements.
                let mut out = Vec::with_capacity(lines.len() + 1);
                for (i, line) in lines
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.is_empty())
                    .enumerate()
                {
                    if !(first_row && i == 0) {
                        out.push(b',');
                    }
                    out.extend_from_slice(line);
                }
                Ok(Bytes::from(out))
            }
            Format::Csv => {
                let mut out = Vec::new();
                let mut w = datafusion::arrow::csv::WriterBuilder::new()
                    .with_header(false)
                    .build(&mut out);
                w.write(batch).map_err(io::Error::other)?;
                drop(w);
                Ok(Bytes::from(out))
            }
            Format::Arrow => {
                if let Some(w) = self.arrow.as_mut() {
                    w.write(batch).map_err(io::Error::other)?;
                }
                Ok(self.take_arrow_bytes())
            }
        }
    }

    fn take_arrow_bytes(&mut self) -> Bytes {
        self.arrow
            .as_mut()
            .map(|w| Bytes::from(std::mem::take(w.get_mut())))
            .unwrap_or_default()
    }

    fn epilogue(&mut self, error: Option<QueryError>) -> Result<Bytes, io::Error> {
        let error_json = || {
            error.clone().map(|e| {
                let mut body = ApiError::from(e).body();
                body.request_id.clone_from(&self.request_id);
                serde_json::to_string(&body).unwrap_or_else(|_| "{}".into())
            })
        };
        match self.format {
            Format::Json => Ok(Bytes::from(match error_json() {
                None => format!("],\"row_count\":{}}}", self.rows),
                Some(err) => format!("],\"row_count\":{},\"error\":{err}}}", self.rows),
            })),
            Format::Ndjson => Ok(match error_json() {
                None => Bytes::new(),
                Some(err) => Bytes::from(format!("{{\"error\":{err}}}\n")),
            }),
            Format::Csv | Format::Arrow => match error {
                Some(e) => Err(io::Error::other(e.to_string())),
                None => match self.arrow.take() {
                    Some(mut w) => {
                        w.finish().map_err(io::Error::other)?;
                        Ok(Bytes::from(w.into_inner().map_err(io::Error::other)?))
                    }
                    None => Ok(Bytes::new()),
                },
            },
        }
    }
}
