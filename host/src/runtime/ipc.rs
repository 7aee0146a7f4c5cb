//! Decoding the Arrow IPC bytes a connector returns, and checking them against the
//! columns that were asked for. The bytes are untrusted.

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::array::RecordBatchOptions;
use datafusion::arrow::buffer::Buffer;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::ipc::reader::StreamDecoder;
use std::panic::AssertUnwindSafe;

/// Decodes one `next()` result into batches shaped exactly like `expected`.
///
/// # Errors
/// A message saying what is wrong: malformed IPC, wrong columns or types, or
/// nulls in a non-nullable column.
pub(crate) fn decode(bytes: Vec<u8>, expected: &SchemaRef) -> Result<Vec<RecordBatch>, String> {
    // The decoder validates what it reads, but a crafted message must never
    // take the host down, so a panic inside it counts as malformed input.
    std::panic::catch_unwind(AssertUnwindSafe(|| decode_checked(bytes, expected)))
        .unwrap_or_else(|_| Err("the Arrow IPC data is malformed".to_owned()))
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
        let mut truncated = encode(&b);
        truncated.truncate(truncated.len() / 2);
        assert!(decode(truncated, &schema(true)).is_err());
    }
}
