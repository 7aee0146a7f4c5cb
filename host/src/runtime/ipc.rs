//! Decoding the Arrow IPC bytes a connector returns, and checking them against the
//! columns that were asked for. The bytes are untrusted.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::array::RecordBatchOptions;
use datafusion::arrow::buffer::Buffer;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::StreamDecoder;
use datafusion::arrow::ipc::{MessageHeader, root_as_message};
use std::panic::AssertUnwindSafe;

/// Most rows one batch may claim. Guests send pages of a few thousand; the cap
/// stops a batch of no columns from claiming billions of rows for a few bytes.
pub(crate) const MAX_ROWS_PER_BATCH: i64 = 1 << 20;

/// Decodes one `next()` result into batches shaped exactly like `expected`.
///
/// # Errors
/// A message saying what is wrong: malformed IPC, wrong columns or types, or
/// nulls in a non-nullable column.
pub(crate) fn decode(bytes: Vec<u8>, expected: &SchemaRef) -> Result<Vec<RecordBatch>, String> {
    // Checked before the decoder sees anything: the decoder trusts the sizes
    // that compression headers announce and would allocate them up front.
    precheck(&bytes)?;
    // The decoder validates what it reads, but a crafted message must never
    // take the host down, so a panic inside it counts as malformed input.
    std::panic::catch_unwind(AssertUnwindSafe(|| decode_checked(bytes, expected)))
        .unwrap_or_else(|_| Err("the Arrow IPC data is malformed".to_owned()))
}

/// Walks the stream's framing: one schema, then uncompressed record batches of
/// at most [`MAX_ROWS_PER_BATCH`] rows, then the end marker; at least one batch.
fn precheck(bytes: &[u8]) -> Result<(), String> {
    let word = |at: usize| -> Result<u32, String> {
        bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .ok_or_else(|| "truncated Arrow IPC stream".to_owned())
    };
    let (mut pos, mut schemas, mut batches) = (0usize, 0, 0);
    while pos < bytes.len() {
        let mut len = word(pos)?;
        pos += 4;
        if len == u32::MAX {
            len = word(pos)?;
            pos += 4;
        }
        if len == 0 {
            if pos != bytes.len() {
                return Err("data after the end of the Arrow IPC stream".into());
            }
            break;
        }
        let end = pos.checked_add(len as usize).filter(|&e| e <= bytes.len());
        let meta = end
            .map(|e| &bytes[pos..e])
            .ok_or_else(|| "truncated Arrow IPC message".to_owned())?;
        let message =
            root_as_message(meta).map_err(|e| format!("malformed Arrow IPC message: {e}"))?;
        match message.header_type() {
            MessageHeader::Schema => schemas += 1,
            MessageHeader::RecordBatch => {
                let batch = message
                    .header_as_record_batch()
                    .ok_or_else(|| "malformed record batch message".to_owned())?;
                if batch.compression().is_some() {
                    return Err(
                        "compressed batches are not accepted; send uncompressed Arrow IPC".into(),
                    );
                }
                if !(0..=MAX_ROWS_PER_BATCH).contains(&batch.length()) {
                    return Err(format!(
                        "a batch claims {} rows; the limit is {MAX_ROWS_PER_BATCH}",
                        batch.length()
                    ));
                }
                batches += 1;
            }
            other => return Err(format!("unexpected Arrow IPC message {other:?}")),
        }
        let body =
            usize::try_from(message.bodyLength()).map_err(|_| "negative body length".to_owned())?;
        pos = end
            .and_then(|e| e.checked_add(body))
            .filter(|&p| p <= bytes.len())
            .ok_or_else(|| "truncated Arrow IPC body".to_owned())?;
    }
    if schemas != 1 {
        return Err(format!("expected one schema message, got {schemas}"));
    }
    if batches == 0 {
        return Err("the answer holds no batch; return none to end the scan".into());
    }
    Ok(())
}

fn decode_checked(bytes: Vec<u8>, expected: &SchemaRef) -> Result<Vec<RecordBatch>, String> {
    let mut buffer = Buffer::from_vec(bytes);
    let mut decoder = StreamDecoder::new();
    let mut batches = Vec::new();
    while !buffer.is_empty() {
        let before = buffer.len();
        if let Some(batch) = decoder
            .decode(&mut buffer)
            .map_err(|e| format!("malformed Arrow IPC: {e}"))?
        {
            batches.push(conform(batch, expected)?);
        } else if buffer.len() == before {
            return Err("malformed Arrow IPC: the decoder made no progress".into());
        }
    }
    decoder
        .finish()
        .map_err(|e| format!("incomplete Arrow IPC stream: {e}"))?;
    Ok(batches)
}

fn conform(batch: RecordBatch, expected: &SchemaRef) -> Result<RecordBatch, String> {
    let got = batch.schema();
    if got.fields().len() != expected.fields().len() {
        return Err(format!(
            "expected {} columns, got {}",
            expected.fields().len(),
            got.fields().len()
        ));
    }
    for (i, (want, have)) in expected.fields().iter().zip(got.fields()).enumerate() {
        if want.name() != have.name() || want.data_type() != have.data_type() {
            return Err(format!(
                "column {} should be {} {}, got {} {}",
                i + 1,
                want.name(),
                want.data_type(),
                have.name(),
                have.data_type()
            ));
        }
        if !want.is_nullable() && batch.column(i).null_count() > 0 {
            return Err(format!(
                "column {} is not nullable but contains nulls",
                want.name()
            ));
        }
    }
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    RecordBatch::try_new_with_options(expected.clone(), batch.columns().to_vec(), &options)
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Int64Array, StringArray};
    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::arrow::ipc::writer::StreamWriter;
    use std::sync::Arc;

    fn encode(batch: &RecordBatch) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = StreamWriter::try_new(&mut out, &batch.schema()).expect("writer");
        w.write(batch).expect("write");
        w.finish().expect("finish");
        drop(w);
        out
    }

    fn schema(nullable: bool) -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new(
            "n",
            DataType::Int64,
            nullable,
        )]))
    }

    #[test]
    fn refuses_compression_and_oversized_row_counts() {
        use datafusion::arrow::ipc::CompressionType;
        use datafusion::arrow::ipc::writer::IpcWriteOptions;
        let b = RecordBatch::try_new(schema(true), vec![Arc::new(Int64Array::from(vec![1, 2]))])
            .expect("batch");
        let options = IpcWriteOptions::default()
            .try_with_compression(Some(CompressionType::LZ4_FRAME))
            .expect("lz4 available");
        let mut out = Vec::new();
        let mut w =
            StreamWriter::try_new_with_options(&mut out, &b.schema(), options).expect("writer");
        w.write(&b).expect("write");
        w.finish().expect("finish");
        drop(w);
        assert!(
            decode(out, &schema(true))
                .expect_err("compressed")
                .contains("compressed")
        );

        let empty = Arc::new(Schema::empty());
        let options =
            RecordBatchOptions::new().with_row_count(Some(MAX_ROWS_PER_BATCH as usize + 1));
        let huge =
            RecordBatch::try_new_with_options(empty.clone(), vec![], &options).expect("batch");
        assert!(
            decode(encode(&huge), &empty)
                .expect_err("too many rows")
                .contains("claims")
        );
    }

    #[test]
    fn round_trips_a_matching_batch() {
        let b = RecordBatch::try_new(schema(true), vec![Arc::new(Int64Array::from(vec![1, 2]))])
            .expect("batch");
        let out = decode(encode(&b), &schema(false)).expect("valid");
        assert_eq!(out[0].num_rows(), 2);
        assert!(!out[0].schema().field(0).is_nullable());
    }

    #[test]
    fn rejects_wrong_types_nulls_and_garbage() {
        let text = Arc::new(Schema::new(vec![Field::new("n", DataType::Utf8, true)]));
        let b = RecordBatch::try_new(text, vec![Arc::new(StringArray::from(vec!["x"]))])
            .expect("batch");
        assert!(
            decode(encode(&b), &schema(true))
                .expect_err("type")
                .contains("should be n Int64")
        );

        let b = RecordBatch::try_new(
            schema(true),
            vec![Arc::new(Int64Array::from(vec![Some(1), None]))],
        )
        .expect("batch");
        assert!(
            decode(encode(&b), &schema(false))
                .expect_err("null")
                .contains("not nullable")
        );

        assert!(decode(vec![0xff; 64], &schema(true)).is_err());
        assert!(
            decode(Vec::new(), &schema(true)).is_err(),
            "an empty answer is not a batch"
        );
        let mut truncated = encode(&b);
        truncated.truncate(truncated.len() / 2);
        assert!(decode(truncated, &schema(true)).is_err());
    }
}
