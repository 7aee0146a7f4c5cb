//! The masking rule for identifier columns, as a plain function and as the
//! DataFusion function `PolicyExec` applies to the columns it masks.
//!
//! The function is never registered in a session: a query can neither call it
//! nor define something under its name.

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::common::ScalarValue;
use datafusion::error::{DataFusionError, Result};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use std::sync::{Arc, LazyLock};

/// Characters kept at each end of a value that is long enough to keep any.
const KEPT: usize = 3;
/// Shortest value (in characters) that keeps its ends; shorter ones are all `*`.
const MIN_KEPT_LEN: usize = 10;

/// Masks one identifier: a value of 10 characters or more keeps its first
/// and last 3 characters and every other character becomes `*`; a shorter one
/// becomes all `*`. Characters, not bytes, are counted.
///
/// # Examples
/// ```
/// use lgsp_host::policy::mask;
/// assert_eq!(mask("001085012345"), "001******345");
/// assert_eq!(mask("12345"), "*****");
/// ```
pub fn mask(text: &str) -> String {
    let len = text.chars().count();
    if len < MIN_KEPT_LEN {
        return "*".repeat(len);
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.chars().enumerate() {
        if i < KEPT || i >= len - KEPT {
            out.push(c);
        } else {
            out.push('*');
        }
    }
    out
}

/// Masks every value of `values` (NULL stays NULL); a non-text array is cast
/// to text first.
///
/// # Errors
/// When the values cannot be cast to text.
pub(crate) fn mask_array(values: &ArrayRef) -> Result<ArrayRef> {
    let text = cast(values, &DataType::Utf8)?;
    let text = text.as_string_opt::<i32>().ok_or_else(|| {
        DataFusionError::Internal("a cast to Utf8 did not give a string array".into())
    })?;
    let mut out = StringBuilder::with_capacity(text.len(), text.value_data().len());
    for value in text.iter() {
        match value {
            Some(v) => out.append_value(mask(v)),
            None => out.append_null(),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// The name the mask shows under in `EXPLAIN`.
const NAME: &str = "lgsp_mask";

/// The mask as a scalar function over one argument of any type, giving text.
#[derive(Debug, PartialEq, Eq, Hash)]
struct MaskUdf {
    signature: Signature,
}

impl ScalarUDFImpl for MaskUdf {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return Err(DataFusionError::Internal(format!(
                "{NAME} takes one argument, got {}",
                args.args.len()
            )));
        };
        match value {
            ColumnarValue::Array(values) => Ok(ColumnarValue::Array(mask_array(values)?)),
            ColumnarValue::Scalar(value) => {
                let masked = mask_array(&value.to_array_of_size(1)?)?;
                Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
                    &masked, 0,
                )?))
            }
        }
    }
}

static MASK: LazyLock<Arc<ScalarUDF>> = LazyLock::new(|| {
    Arc::new(ScalarUDF::new_from_impl(MaskUdf {
        signature: Signature::any(1, Volatility::Immutable),
    }))
});

/// The mask function, for `PolicyExec` only.
pub(crate) fn mask_udf() -> Arc<ScalarUDF> {
    MASK.clone()
}
