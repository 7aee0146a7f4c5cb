//! Upstream values → LGSP's normalized model: catalog codes, `DATE`, decimals.
//!
//! The land database writes names where the model has codes (province,
//! land-use type), ISO timestamps at `+07:00` where it has dates, areas with a
//! decimal comma, and holder kinds as words. Names become codes through the
//! platform's catalogs ([`lgsp_guest::catalogs`]), so this connector maps
//! them exactly as the others do.

use lgsp_guest::catalogs::{self, NotInCatalog};
use lgsp_guest::{Date, Error, Result};

/// Vietnam's offset from UTC, in minutes; register dates are local dates.
const VIETNAM_OFFSET_MIN: i64 = 7 * 60;

/// An ISO timestamp (`2015-03-02T00:00:00+07:00`, any offset or `Z`) or a
/// plain `yyyy-mm-dd` → the calendar date in Vietnam.
pub(crate) fn date(field: &str, value: Option<&str>) -> Result<Option<Date>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    parse_timestamp(v).map(Some).ok_or_else(|| {
        Error::upstream_error(format!("the upstream sent an unreadable date in {field}"))
    })
}

fn parse_timestamp(v: &str) -> Option<Date> {
    let (day_part, rest) = match v.split_once('T') {
        Some((d, r)) => (d, Some(r)),
        None => (v, None),
    };
    let day = Date::parse_iso(day_part)?;
    let Some(rest) = rest else {
        return Some(day);
    };
    // hh:mm[:ss[.fff]] then Z or ±hh:mm; a timestamp without an offset is
    // taken as Vietnam time, as the register writes it.
    let (time, offset_min) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        let (t, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let (h, m) = off[1..].split_once(':').unwrap_or((&off[1..], "0"));
        let minutes = h.parse::<i64>().ok()? * 60 + m.parse::<i64>().ok()?;
        (t, sign * minutes)
    } else {
        (rest, VIETNAM_OFFSET_MIN)
    };
    let mut parts = time.split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    if let Some(seconds) = parts.next() {
        seconds.parse::<f64>().ok()?;
    }
    if !(0..24).contains(&hours) || !(0..60).contains(&minutes) {
        return None;
    }
    let local = hours * 60 + minutes - offset_min + VIETNAM_OFFSET_MIN;
    let shift = local.div_euclid(24 * 60) as i32;
    Some(Date::from_days_since_epoch(day.days_since_epoch() + shift))
}

/// A term end: a timestamp, or `"Lâu dài"` (long-term use) → NULL.
pub(crate) fn term_end(value: Option<&str>) -> Result<Option<Date>> {
    match value.map(str::trim) {
        Some(v) if v.to_lowercase() == "lâu dài" => Ok(None),
        other => date("thoiHanSuDung", other),
    }
}

/// An area in m² as the register writes it (`"123,4"`, `"1.234,5"`, also
/// `"123.4"`) → tenths of m² (the unscaled value of `DECIMAL(12,1)`),
/// rounded half away from zero to one decimal.
pub(crate) fn area_tenths(value: Option<&str>) -> Result<Option<i128>> {
    let Some(v) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let bad = || Error::upstream_error("the upstream sent an unreadable area in dienTich");
    // With a decimal comma, dots and spaces group thousands.
    let (whole, fraction) = if v.contains(',') {
        let (w, f) = v.split_once(',').ok_or_else(bad)?;
        (w.replace(['.', ' ', '\u{a0}'], ""), f)
    } else {
        let (w, f) = v.split_once('.').unwrap_or((v, ""));
        (w.replace([' ', '\u{a0}'], ""), f)
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(&whole) || !digits(fraction) || whole.len() > 11 {
        return Err(bad());
    }
    let whole: i128 = whole.parse().map_err(|_| bad())?;
    let mut fraction = fraction.bytes().map(|b| i128::from(b - b'0'));
    let tenths = fraction.next().unwrap_or(0);
    let round_up = fraction.next().is_some_and(|hundredths| hundredths >= 5);
    let value = whole * 10 + tenths + i128::from(round_up);
    // DECIMAL(12,1) holds at most 11 digits before the point.
    if value >= 10i128.pow(12) {
        return Err(bad());
    }
    Ok(Some(value))
}

/// A land-use type name (or code) → `loai_dat` code.
pub(crate) fn land_use(value: Option<&str>) -> Result<Option<String>> {
    // The register sometimes writes codes in lower case (`ont`).
    let upper = value.map(str::to_uppercase);
    catalogs::map_value("loai_dat", upper.as_deref())
        .or_else(|NotInCatalog| catalogs::map_value("loai_dat", value))
        .map_err(|NotInCatalog| not_in("mucDichSuDung", "loai_dat"))
}

/// A province name (with or without "Tỉnh"/"Thành phố", accents or not)
/// or code → today's code. The register names provinces as they are today,
/// so a province merged away in 2025 is an error.
pub(crate) fn province(value: Option<&str>) -> Result<Option<String>> {
    catalogs::map_value("dvhc_tinh", value).map_err(|NotInCatalog| not_in("tenTinh", "dvhc_tinh"))
}

fn not_in(field: &str, catalog: &str) -> Error {
    Error::upstream_error(format!(
        "the upstream sent a {field} value that is not in the {catalog} catalog"
    ))
}

/// `CA_NHAN` → `CN`, `TO_CHUC` → `TC`.
pub(crate) fn holder_kind(value: Option<&str>) -> Result<&'static str> {
    match value.map(str::trim) {
        Some("CA_NHAN") => Ok("CN"),
        Some("TO_CHUC") => Ok("TC"),
        _ => Err(Error::upstream_error(
            "the upstream sent a loaiChu value other than CA_NHAN or TO_CHUC",
        )),
    }
}

/// A GeoJSON geometry object (or its text) → compact JSON text.
pub(crate) fn geometry(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        Date::from_ymd(y, m, d)
    }

    #[test]
    fn timestamps_become_vietnamese_dates() {
        let d = |v| date("ngayCap", Some(v)).ok().flatten();
        assert_eq!(d("2015-03-02T00:00:00+07:00"), ymd(2015, 3, 2));
        assert_eq!(d("2015-03-02"), ymd(2015, 3, 2));
        // 17:00 UTC is already the next day in Vietnam.
        assert_eq!(d("2015-03-01T17:00:00Z"), ymd(2015, 3, 2));
        assert_eq!(d("2015-03-01T16:59:59.5Z"), ymd(2015, 3, 1));
        assert_eq!(d("2015-03-02T23:30:00-05:00"), ymd(2015, 3, 3));
        assert_eq!(d("2015-12-31T20:00:00+07:00"), ymd(2015, 12, 31));
        assert!(date("ngayCap", Some("02/03/2015")).is_err());
        assert!(date("ngayCap", Some("2015-03-02T25:00:00+07:00")).is_err());
        assert_eq!(date("ngayCap", None).ok().flatten(), None);
    }

    #[test]
    fn long_term_is_null() {
        assert_eq!(term_end(Some("Lâu dài")).ok().flatten(), None);
        assert_eq!(term_end(Some("LÂU DÀI")).ok().flatten(), None);
        assert_eq!(
            term_end(Some("2064-03-02T00:00:00+07:00")).ok().flatten(),
            ymd(2064, 3, 2)
        );
        assert!(term_end(Some("mãi mãi")).is_err());
    }

    #[test]
    fn areas_use_a_decimal_comma() {
        let a = |v| area_tenths(Some(v)).ok().flatten();
        assert_eq!(a("123,4"), Some(1234));
        assert_eq!(a("123"), Some(1230));
        assert_eq!(a("1.234,5"), Some(12_345));
        assert_eq!(a("123.4"), Some(1234));
        assert_eq!(a("0,05"), Some(1));
        assert_eq!(a("10,04"), Some(100));
        assert!(area_tenths(Some("12a,4")).is_err());
        assert!(area_tenths(Some("-5,0")).is_err());
        assert!(area_tenths(Some("123456789012,0")).is_err());
        assert_eq!(area_tenths(Some(" ")).ok().flatten(), None);
    }

    #[test]
    fn names_become_codes() {
        assert_eq!(
            land_use(Some("Đất thương mại, dịch vụ"))
                .ok()
                .flatten()
                .as_deref(),
            Some("TMD")
        );
        assert_eq!(
            land_use(Some("đất ở tại đô thị")).ok().flatten().as_deref(),
            Some("ODT")
        );
        assert_eq!(land_use(Some("ont")).ok().flatten().as_deref(), Some("ONT"));
        assert!(land_use(Some("Đất mặt trăng")).is_err());
        let hanoi = catalogs::item("dvhc_tinh", "01", None)
            .map(|i| i.name)
            .unwrap_or_default();
        assert_eq!(province(Some(&hanoi)).ok().flatten().as_deref(), Some("01"));
        assert_eq!(
            province(Some("Hà Nội")).ok().flatten().as_deref(),
            Some("01")
        );
        assert_eq!(
            province(Some("TP. Hồ Chí Minh")).ok().flatten().as_deref(),
            Some("79")
        );
        assert!(
            province(Some("Hà Giang")).is_err(),
            "merged into Tuyên Quang"
        );
        assert_eq!(holder_kind(Some("CA_NHAN")).ok(), Some("CN"));
        assert_eq!(holder_kind(Some("TO_CHUC")).ok(), Some("TC"));
        assert!(holder_kind(Some("HO_GIA_DINH")).is_err());
    }

    #[test]
    fn geometry_becomes_text() {
        let g = serde_json::json!({"type": "Polygon", "coordinates": [[[105.1, 21.0]]]});
        let text = geometry(Some(&g)).expect("text");
        assert!(!text.contains('\n'), "compact: {text}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).ok(),
            Some(g)
        );
        assert_eq!(geometry(Some(&serde_json::Value::Null)), None);
        assert_eq!(geometry(None), None);
    }
}
