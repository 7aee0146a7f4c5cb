//! Key checks done before any upstream call (GUIDE §3), so malformed input never
//! reaches the agency's system. Messages give the reason and the position,
//! never the value.

use lgsp_catalogs::ids;
use lgsp_guest::{Error, Result, ScanRequest, Value};

/// Largest map-sheet number a register uses.
pub(crate) const MAX_SHEET: i64 = 9_999;
/// Largest parcel number on one sheet.
pub(crate) const MAX_PARCEL: i64 = 99_999;
/// Most parcel keys one `thua_dat` scan may ask for (batched 100 per call).
pub(crate) const MAX_PARCEL_KEYS: usize = 1_000;
/// Most parcel keys one `quyen_su_dung` scan may ask for: the upstream has no
/// batch lookup of rights by parcel, so each key is one call.
pub(crate) const MAX_RIGHTS_PARCEL_KEYS: usize = 100;

/// A parcel key: commune code, map sheet, parcel number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParcelKey {
    pub(crate) ma_xa: String,
    pub(crate) so_to_ban_do: i64,
    pub(crate) so_thua: i64,
}

/// " (value 2 of 3)" when there are several values, else nothing.
fn position(i: usize, n: usize) -> String {
    if n == 1 {
        String::new()
    } else {
        format!(" (value {} of {n})", i + 1)
    }
}

/// Checks personal IDs.
///
/// # Errors
/// `bad-request` naming the first bad ID's position and what is wrong.
pub(crate) fn personal_ids(values: &[String]) -> Result<()> {
    ids::check_each(
        "so_dinh_danh",
        "a valid personal ID",
        values,
        ids::personal_id,
    )
    .map_err(Error::bad_request)
}

/// Checks business codes (10 digits with check digit, or a branch code).
///
/// # Errors
/// `bad-request` naming the first bad code's position and what is wrong.
pub(crate) fn business_codes(values: &[String]) -> Result<()> {
    ids::check_each(
        "ma_so_doanh_nghiep",
        "a valid business code",
        values,
        ids::business_code,
    )
    .map_err(Error::bad_request)
}

/// Checks 5-digit commune codes.
///
/// # Errors
/// `bad-request` naming the first bad code's position and what is wrong.
pub(crate) fn commune_codes(values: &[String]) -> Result<()> {
    ids::check_each("ma_xa", "a valid commune code", values, ids::commune_code)
        .map_err(Error::bad_request)
}

/// The one commune a listing is for; `None` when the query's equalities
/// contradict each other (no row can match).
///
/// # Errors
/// `bad-request` for a malformed commune code or several communes.
pub(crate) fn listing_commune(request: &ScanRequest) -> Result<Option<String>> {
    let mut values = request.text_values("ma_xa")?.unwrap_or_default();
    commune_codes(&values)?;
    if values.len() > 1 {
        return Err(Error::bad_request(
            "listing by ma_xa takes one commune per query; use ma_xa = '…'",
        ));
    }
    Ok(values.pop())
}

/// The integers a query pins an integer column to (`=` or `IN`), each checked
/// to be in `1..=max`. The platform sends integer literals as integers; text
/// (`so_thua = '12'`) and integral decimals or floats are accepted as well.
///
/// # Errors
/// `bad-request` naming the first bad value's position and what is wrong.
pub(crate) fn positive_ints(request: &ScanRequest, column: &str, max: i64) -> Result<Vec<i64>> {
    let values = request.equal_values(column).unwrap_or_default();
    let n = values.len();
    let mut out: Vec<i64> = Vec::with_capacity(n);
    for (i, v) in values.into_iter().enumerate() {
        let parsed = int_of(v).ok_or_else(|| {
            Error::bad_request(format!("{column}{} must be a whole number", position(i, n)))
        })?;
        if !(1..=max).contains(&parsed) {
            return Err(Error::bad_request(format!(
                "{column}{} must be a positive integer from 1 to {max}",
                position(i, n)
            )));
        }
        // Text and integer forms of one number are one key.
        if !out.contains(&parsed) {
            out.push(parsed);
        }
    }
    Ok(out)
}

fn int_of(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Text(s) => {
            let s = s.trim();
            (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse().ok())
                .flatten()
        }
        Value::Decimal(s) => {
            let (whole, frac) = s.trim().split_once('.').unwrap_or((s.trim(), ""));
            frac.bytes()
                .all(|b| b == b'0')
                .then(|| whole.parse().ok())
                .flatten()
        }
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Some(*f as i64),
        _ => None,
    }
}

/// The parcel keys a query asks for: every combination of its `ma_xa`,
/// `so_to_ban_do` and `so_thua` values, all checked first.
///
/// # Errors
/// `bad-request` for a malformed value or more than `max` combinations.
pub(crate) fn parcel_keys(request: &ScanRequest, max: usize) -> Result<Vec<ParcelKey>> {
    let communes = request.text_values("ma_xa")?.unwrap_or_default();
    commune_codes(&communes)?;
    let sheets = positive_ints(request, "so_to_ban_do", MAX_SHEET)?;
    let parcels = positive_ints(request, "so_thua", MAX_PARCEL)?;
    let combinations = communes
        .len()
        .saturating_mul(sheets.len())
        .saturating_mul(parcels.len());
    if combinations > max {
        return Err(Error::bad_request(format!(
            "the query asks for {combinations} combinations of ma_xa, so_to_ban_do and so_thua; \
             at most {max} parcels per query"
        )));
    }
    let mut keys = Vec::with_capacity(combinations);
    for ma_xa in &communes {
        for &so_to_ban_do in &sheets {
            for &so_thua in &parcels {
                keys.push(ParcelKey {
                    ma_xa: ma_xa.clone(),
                    so_to_ban_do,
                    so_thua,
                });
            }
        }
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lgsp_guest::testing::{eq_text, in_text, scan_request_with};
    use lgsp_guest::{Column, Filter, FilterOp, Table};

    fn table() -> Table {
        let ops: &[FilterOp] = &[FilterOp::Eq, FilterOp::InList];
        Table::new("t", "")
            .column(Column::text("ma_xa", ""))
            .column(Column::int64("so_to_ban_do", ""))
            .column(Column::int64("so_thua", ""))
            .access_path(&[("ma_xa", ops), ("so_to_ban_do", ops), ("so_thua", ops)])
    }

    fn in_values(column: &str, values: Vec<Value>) -> Filter {
        Filter {
            column: column.into(),
            op: FilterOp::InList,
            values,
        }
    }

    #[test]
    fn integer_keys_come_as_ints_or_text() {
        let req = scan_request_with(
            &table(),
            &["ma_xa"],
            vec![
                in_text("ma_xa", &["00004", "00007"]),
                in_values(
                    "so_to_ban_do",
                    vec![
                        Value::Int(3),
                        Value::Text("3".into()),
                        Value::Text("12".into()),
                    ],
                ),
                in_values(
                    "so_thua",
                    vec![Value::Decimal("45.0".into()), Value::Float(46.0)],
                ),
            ],
            None,
        );
        let keys = parcel_keys(&req, 100).expect("valid");
        assert_eq!(keys.len(), 2 * 2 * 2);
        assert_eq!(
            keys[0],
            ParcelKey {
                ma_xa: "00004".into(),
                so_to_ban_do: 3,
                so_thua: 45
            }
        );
        assert!(parcel_keys(&req, 7).is_err(), "over the cap");
    }

    #[test]
    fn malformed_keys_are_refused_with_reason_and_position() {
        let cases: Vec<(Vec<Filter>, &str)> = vec![
            (
                vec![
                    eq_text("ma_xa", "0004"),
                    in_values("so_to_ban_do", vec![Value::Int(1)]),
                    in_values("so_thua", vec![Value::Int(1)]),
                ],
                "ma_xa",
            ),
            (
                vec![
                    eq_text("ma_xa", "00004"),
                    in_values("so_to_ban_do", vec![Value::Int(1), Value::Int(0)]),
                    in_values("so_thua", vec![Value::Int(1)]),
                ],
                "so_to_ban_do (value 2 of 2) must be a positive integer",
            ),
            (
                vec![
                    eq_text("ma_xa", "00004"),
                    in_values("so_to_ban_do", vec![Value::Int(1)]),
                    in_values("so_thua", vec![Value::Text("12a".into())]),
                ],
                "so_thua must be a whole number",
            ),
            (
                vec![
                    eq_text("ma_xa", "00004"),
                    in_values("so_to_ban_do", vec![Value::Int(1)]),
                    in_values("so_thua", vec![Value::Int(100_000)]),
                ],
                "from 1 to 99999",
            ),
        ];
        for (filters, needle) in cases {
            let req = scan_request_with(&table(), &["ma_xa"], filters, None);
            let e = parcel_keys(&req, 100).expect_err(needle);
            assert_eq!(e.kind(), lgsp_guest::ErrorKind::BadRequest);
            assert!(e.message().contains(needle), "{e}");
            assert!(!e.message().contains("0004\""), "{e}");
        }
    }

    #[test]
    fn identifiers_are_checked_without_echoing_them() {
        let e = personal_ids(&["001085012345".into(), "00108501234".into()]).expect_err("short");
        assert!(e.message().contains("value 2 of 2"), "{e}");
        assert!(!e.message().contains("00108501234"), "{e}");
        assert!(business_codes(&["0100233488".into(), "0100233488-001".into()]).is_ok());
        let e = business_codes(&["0100233489".into()]).expect_err("check digit");
        assert!(e.message().starts_with("ma_so_doanh_nghiep is not"), "{e}");
        assert!(!e.message().contains("0100233489"), "{e}");
        assert!(commune_codes(&["00004".into()]).is_ok());
        assert!(commune_codes(&["ABCDE".into()]).is_err());
    }
}
