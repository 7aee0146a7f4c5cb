//! End-to-end tests of the dat_dai connector: parcels and land-use rights by
//! key, by holder and by commune, with values checked against the world.

use crate::common::{platform, query, quoted};
use lgsp_sample_upstream::dat_dai::PREFIX;
use lgsp_sample_upstream::land::{Holder, LandRight, Parcel};
use lgsp_sample_upstream::{Fault, Source};
use serde_json::Value;
use std::collections::BTreeSet;

fn land() -> &'static lgsp_sample_upstream::Land {
    platform().world.land()
}

/// A JSON cell as text, whether the platform wrote it as a number or a string.
fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks a `thua_dat` row against the world's parcel.
fn assert_parcel(row: &Value, p: &Parcel) {
    assert_eq!(row["ma_xa"], p.ma_xa.as_str(), "{row}");
    assert_eq!(row["so_to_ban_do"], p.so_to_ban_do, "{row}");
    assert_eq!(row["so_thua"], p.so_thua, "{row}");
    // The upstream sends the province by name only.
    assert_eq!(row["ma_tinh"], p.ma_tinh.as_str(), "{row}");
    // The upstream sends "123,4"; the platform serves DECIMAL(12,1).
    assert_eq!(plain(&row["dien_tich"]), p.dien_tich_text(), "{row}");
    // The upstream sends the land-use name; the platform serves the code.
    assert_eq!(row["ma_loai_dat"], p.ma_loai_dat, "{row}");
    assert_eq!(row["dia_chi"], p.dia_chi.as_str(), "{row}");
    let geometry: Value =
        serde_json::from_str(row["hinh_hoc"].as_str().unwrap_or("")).expect("GeoJSON text");
    let expected: Value = serde_json::from_str(&p.hinh_hoc()).expect("world GeoJSON");
    assert_eq!(geometry, expected);
}

/// Checks a `quyen_su_dung` row against the world's right.
fn assert_right(row: &Value, p: &Parcel, r: &LandRight) {
    assert_eq!(row["ma_xa"], p.ma_xa.as_str(), "{row}");
    assert_eq!(row["so_to_ban_do"], p.so_to_ban_do, "{row}");
    assert_eq!(row["so_thua"], p.so_thua, "{row}");
    match &r.holder {
        Holder::Person { so_dinh_danh, .. } => {
            assert_eq!(row["loai_chu"], "CN", "{row}");
            assert_eq!(row["so_dinh_danh"], so_dinh_danh.as_str(), "{row}");
            assert!(row["ma_so_doanh_nghiep"].is_null(), "{row}");
        }
        Holder::Organization {
            ma_so_doanh_nghiep, ..
        } => {
            assert_eq!(row["loai_chu"], "TC", "{row}");
            assert_eq!(
                row["ma_so_doanh_nghiep"],
                ma_so_doanh_nghiep.as_str(),
                "{row}"
            );
            assert!(row["so_dinh_danh"].is_null(), "{row}");
        }
    }
    assert_eq!(row["ten_chu"], r.holder.name(), "{row}");
    assert_eq!(
        row["so_giay_chung_nhan"],
        r.so_giay_chung_nhan.as_str(),
        "{row}"
    );
    // The upstream sends `yyyy-mm-ddT00:00:00+07:00` and "Lâu dài".
    assert_eq!(row["ngay_cap"], r.ngay_cap.to_iso().as_str(), "{row}");
    match r.thoi_han_den {
        Some(end) => assert_eq!(row["thoi_han_den"], end.to_iso().as_str(), "{row}"),
        None => assert!(row["thoi_han_den"].is_null(), "{row}"),
    }
    assert_eq!(row["hinh_thuc"], r.hinh_thuc, "{row}");
}

const PARCEL_COLUMNS: &str =
    "ma_xa, so_to_ban_do, so_thua, ma_tinh, dien_tich, ma_loai_dat, dia_chi, hinh_hoc";
const RIGHT_COLUMNS: &str = "ma_xa, so_to_ban_do, so_thua, loai_chu, so_dinh_danh, \
     ma_so_doanh_nghiep, ten_chu, so_giay_chung_nhan, ngay_cap, hinh_thuc, thoi_han_den";

#[tokio::test]
async fn a_parcel_is_looked_up_by_its_key_with_one_call() {
    let p = &land().all()[5];
    let a = query(&format!(
        "SELECT {PARCEL_COLUMNS} FROM dat_dai.thua_dat \
         WHERE ma_xa = '{}' AND so_to_ban_do = {} AND so_thua = {}",
        p.ma_xa, p.so_to_ban_do, p.so_thua
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 1);
    assert_parcel(&a.rows()[0], p);
    let types: Vec<&str> = a.body["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .filter_map(|c| c["type"].as_str())
        .collect();
    assert_eq!(types[1], "BIGINT");
    assert_eq!(types[4], "DECIMAL(12,1)");
    let calls = a.calls_to(Source::DatDai);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        calls[0].uri,
        format!(
            "{PREFIX}/thua-dat/{}/{}/{}",
            p.ma_xa, p.so_to_ban_do, p.so_thua
        )
    );
}

#[tokio::test]
async fn an_unknown_parcel_gives_no_rows() {
    let p = &land().all()[6];
    let a = query(&format!(
        "SELECT so_thua FROM dat_dai.thua_dat \
         WHERE ma_xa = '{}' AND so_to_ban_do = {} AND so_thua = 99999",
        p.ma_xa, p.so_to_ban_do
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.rows().is_empty());
    assert_eq!(a.calls_to(Source::DatDai).len(), 1);
}

#[tokio::test]
async fn in_lists_of_parcel_keys_are_one_batched_call() {
    // Two parcels of one commune on different sheets: the query asks for every
    // combination of the sheets and numbers, and gets those that exist.
    let (xa, _) = land().communes_by_parcel_count()[3].clone();
    let parcels: Vec<&Parcel> = land().parcels_in(&xa).collect();
    let first = parcels[0];
    let second = parcels
        .iter()
        .find(|p| p.so_to_ban_do != first.so_to_ban_do)
        .expect("a second sheet");
    let sheets = [first.so_to_ban_do, second.so_to_ban_do];
    let numbers = [first.so_thua, second.so_thua];
    let a = query(&format!(
        "SELECT {PARCEL_COLUMNS} FROM dat_dai.thua_dat WHERE ma_xa = '{xa}' \
         AND so_to_ban_do IN ({}, {}) AND so_thua IN ({}, {}) ORDER BY so_to_ban_do, so_thua",
        sheets[0], sheets[1], numbers[0], numbers[1]
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut expected: Vec<&Parcel> = sheets
        .iter()
        .flat_map(|&s| numbers.iter().map(move |&n| (s, n)))
        .filter_map(|(s, n)| land().parcel(&xa, s, n))
        .collect();
    expected.sort_by_key(|p| (p.so_to_ban_do, p.so_thua));
    expected.dedup_by_key(|p| (p.so_to_ban_do, p.so_thua));
    assert!(expected.len() >= 2);
    assert_eq!(a.rows().len(), expected.len());
    for (row, p) in a.rows().iter().zip(&expected) {
        assert_parcel(row, p);
    }
    let calls = a.calls_to(Source::DatDai);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].method, "POST");
    assert_eq!(calls[0].uri, format!("{PREFIX}/thua-dat/tra-cuu"));
}

#[tokio::test]
async fn a_commune_listing_pages_through_the_upstream_once() {
    let (xa, count) = land().communes_by_parcel_count()[0].clone();
    assert!(count > 500, "the largest commune has {count} parcels");
    let a = query(&format!(
        "SELECT {PARCEL_COLUMNS} FROM dat_dai.thua_dat WHERE ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), count);
    let got: BTreeSet<(u64, u64)> = a
        .rows()
        .iter()
        .map(|r| {
            (
                r["so_to_ban_do"].as_u64().unwrap_or(0),
                r["so_thua"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let expected: BTreeSet<(u64, u64)> = land()
        .parcels_in(&xa)
        .map(|p| (u64::from(p.so_to_ban_do), u64::from(p.so_thua)))
        .collect();
    assert_eq!(got, expected);
    // Values of a sample of rows match the register.
    for row in a.rows().iter().step_by(97) {
        let to = row["so_to_ban_do"].as_u64().unwrap_or(0) as u32;
        let thua = row["so_thua"].as_u64().unwrap_or(0) as u32;
        assert_parcel(
            row,
            land().parcel(&xa, to, thua).expect("listed parcel exists"),
        );
    }
    let pages: Vec<String> = a
        .calls_to(Source::DatDai)
        .into_iter()
        .map(|c| c.uri)
        .collect();
    assert_eq!(pages.len(), count.div_ceil(500), "{pages:?}");
    for (i, uri) in pages.iter().enumerate() {
        assert!(uri.starts_with(&format!("{PREFIX}/thua-dat?")), "{uri}");
        assert!(uri.contains(&format!("trang={}", i + 1)), "{uri}");
        assert!(uri.contains("soBanGhi=500"), "{uri}");
    }
}

#[tokio::test]
async fn a_limited_listing_asks_for_one_small_page() {
    let (xa, _) = land().communes_by_parcel_count()[1].clone();
    let a = query(&format!(
        "SELECT ma_loai_dat FROM dat_dai.thua_dat WHERE ma_xa = '{xa}' LIMIT 7"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 7);
    let calls = a.calls_to(Source::DatDai);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].uri.contains("soBanGhi=7"), "{}", calls[0].uri);
}

#[tokio::test]
async fn rights_by_personal_id_are_batched_one_hundred_per_call() {
    let holders: Vec<&str> = land().person_holders().into_iter().take(150).collect();
    assert_eq!(holders.len(), 150);
    let a = query(&format!(
        "SELECT {RIGHT_COLUMNS} FROM dat_dai.quyen_su_dung WHERE so_dinh_danh IN ({})",
        quoted(&holders)
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let expected: Vec<(&Parcel, &LandRight)> = holders
        .iter()
        .flat_map(|id| land().rights_of_person(id))
        .collect();
    assert_eq!(a.rows().len(), expected.len());
    for (p, r) in &expected {
        let row = a
            .rows()
            .iter()
            .find(|row| {
                row["so_dinh_danh"] == r.holder.so_dinh_danh().unwrap_or("")
                    && row["ma_xa"] == p.ma_xa.as_str()
                    && row["so_to_ban_do"] == p.so_to_ban_do
                    && row["so_thua"] == p.so_thua
            })
            .unwrap_or_else(|| panic!("no row for {:?}", p.key()));
        assert_right(row, p, r);
    }
    let calls = a.calls_to(Source::DatDai);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls
            .iter()
            .all(|c| c.method == "POST" && c.uri == format!("{PREFIX}/quyen-su-dung/ca-nhan"))
    );
}

#[tokio::test]
async fn rights_by_business_code_come_from_the_register() {
    let codes = land().business_holders();
    assert!(
        !codes.is_empty(),
        "the shared world leases land to businesses"
    );
    let code = codes[0];
    let a = query(&format!(
        "SELECT {RIGHT_COLUMNS} FROM dat_dai.quyen_su_dung WHERE ma_so_doanh_nghiep = '{code}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let expected: Vec<(&Parcel, &LandRight)> = land().rights_of_business(code).collect();
    assert_eq!(a.rows().len(), expected.len());
    for (p, r) in &expected {
        let row = a
            .rows()
            .iter()
            .find(|row| row["so_giay_chung_nhan"] == r.so_giay_chung_nhan.as_str())
            .expect("a row per certificate");
        assert_right(row, p, r);
        assert!(r.thoi_han_den.is_some(), "leases have a term");
    }
    let calls = a.calls_to(Source::DatDai);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].uri, format!("{PREFIX}/quyen-su-dung/to-chuc"));
}

#[tokio::test]
async fn rights_of_a_co_held_parcel_list_every_holder() {
    let p = land()
        .all()
        .iter()
        .find(|p| p.quyen_su_dung.len() > 1)
        .expect("some parcel has co-holders");
    let a = query(&format!(
        "SELECT {RIGHT_COLUMNS} FROM dat_dai.quyen_su_dung \
         WHERE ma_xa = '{}' AND so_to_ban_do = {} AND so_thua = {} ORDER BY so_dinh_danh",
        p.ma_xa, p.so_to_ban_do, p.so_thua
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut rights: Vec<&LandRight> = p.quyen_su_dung.iter().collect();
    rights.sort_by_key(|r| r.holder.so_dinh_danh().map(str::to_owned));
    assert_eq!(a.rows().len(), rights.len());
    for (row, r) in a.rows().iter().zip(rights) {
        assert_right(row, p, r);
    }
    let calls = a.calls_to(Source::DatDai);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert!(calls[0].uri.ends_with("/quyen-su-dung"), "{}", calls[0].uri);
}

#[tokio::test]
async fn rights_are_listed_by_commune() {
    let (xa, _) = land().communes_by_parcel_count()[10].clone();
    let a = query(&format!(
        "SELECT {RIGHT_COLUMNS} FROM dat_dai.quyen_su_dung WHERE ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let expected: Vec<(&Parcel, &LandRight)> = land()
        .parcels_in(&xa)
        .flat_map(|p| p.quyen_su_dung.iter().map(move |r| (p, r)))
        .collect();
    assert_eq!(a.rows().len(), expected.len());
    for (p, r) in &expected {
        let holder = |row: &Value| {
            row["so_dinh_danh"] == r.holder.so_dinh_danh().unwrap_or("")
                || row["ma_so_doanh_nghiep"] == r.holder.ma_so_doanh_nghiep().unwrap_or("")
        };
        let row = a
            .rows()
            .iter()
            .find(|row| row["so_giay_chung_nhan"] == r.so_giay_chung_nhan.as_str() && holder(row))
            .unwrap_or_else(|| panic!("no row for {:?}", p.key()));
        assert_right(row, p, r);
    }
    let calls = a.calls_to(Source::DatDai);
    assert_eq!(calls.len(), expected.len().div_ceil(500), "{calls:?}");
    assert!(
        calls[0]
            .uri
            .starts_with(&format!("{PREFIX}/quyen-su-dung?"))
    );
}

#[tokio::test]
async fn residents_of_a_commune_hold_land_there() {
    // The world puts most parcels in their holder's commune of residence, so a
    // commune's residents and its rights share holders.
    let (xa, _) = land().communes_by_parcel_count()[2].clone();
    let a = query(&format!(
        "SELECT DISTINCT so_dinh_danh FROM dat_dai.quyen_su_dung \
         WHERE ma_xa = '{xa}' AND loai_chu = 'CN'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let residents: BTreeSet<&str> = platform()
        .world
        .residents(&xa)
        .map(|c| c.so_dinh_danh.as_str())
        .collect();
    let holders: Vec<&str> = a
        .rows()
        .iter()
        .filter_map(|r| r["so_dinh_danh"].as_str())
        .collect();
    assert!(!holders.is_empty());
    let local = holders.iter().filter(|id| residents.contains(*id)).count();
    assert!(
        local * 10 >= holders.len() * 7,
        "{local} of {} holders live in {xa}",
        holders.len()
    );
}

#[tokio::test]
async fn malformed_keys_are_refused_before_any_upstream_call() {
    let p = &land().all()[8];
    let (xa, to, thua) = (&p.ma_xa, p.so_to_ban_do, p.so_thua);
    let cases = [
        (
            format!(
                "SELECT so_thua FROM dat_dai.thua_dat WHERE ma_xa = '0004' AND so_to_ban_do = {to} AND so_thua = {thua}"
            ),
            "5 digits",
        ),
        (
            format!(
                "SELECT so_thua FROM dat_dai.thua_dat WHERE ma_xa = '{xa}' AND so_to_ban_do = 0 AND so_thua = {thua}"
            ),
            "so_to_ban_do must be a positive integer",
        ),
        (
            format!(
                "SELECT so_thua FROM dat_dai.thua_dat WHERE ma_xa = '{xa}' AND so_to_ban_do = {to} AND so_thua IN ({thua}, 100000)"
            ),
            "so_thua (value 2 of 2) must be a positive integer from 1 to 99999",
        ),
        (
            "SELECT ten_chu FROM dat_dai.quyen_su_dung WHERE so_dinh_danh IN ('001085012345', '12345')"
                .to_owned(),
            "so_dinh_danh (value 2 of 2) is not a valid personal ID",
        ),
        (
            "SELECT ten_chu FROM dat_dai.quyen_su_dung WHERE ma_so_doanh_nghiep = '0100233489'"
                .to_owned(),
            "ma_so_doanh_nghiep is not a valid business code",
        ),
        (
            "SELECT ten_chu FROM dat_dai.quyen_su_dung WHERE ma_xa = 'ABCDE'".to_owned(),
            "ma_xa is not a valid commune code",
        ),
    ];
    for (sql, reason) in cases {
        let a = query(&sql).await;
        assert_eq!(a.status, 400, "{sql}: {}", a.body);
        assert_eq!(a.code(), "connector_rejected_request", "{sql}");
        assert!(a.message().contains(reason), "{sql}: {}", a.message());
        for secret in ["'12345'", "0100233489", "ABCDE", "'0004'"] {
            assert!(
                !a.message().contains(secret.trim_matches('\'')),
                "{sql} echoed a value: {}",
                a.message()
            );
        }
        assert!(
            a.calls_to(Source::DatDai).is_empty(),
            "{sql} reached the upstream"
        );
    }
}

#[tokio::test]
async fn a_query_without_a_key_filter_names_the_access_paths() {
    let a = query("SELECT so_thua FROM dat_dai.thua_dat WHERE so_thua = 5").await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.code(), "missing_key_filter");
    assert!(a.message().contains("ma_xa (=)"), "{}", a.message());
    let a = query("SELECT ten_chu FROM dat_dai.quyen_su_dung WHERE ten_chu = 'x'").await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.message().contains("so_dinh_danh"), "{}", a.message());
    assert!(
        a.message().contains("ma_so_doanh_nghiep"),
        "{}",
        a.message()
    );
}

#[tokio::test]
async fn a_failure_envelope_becomes_an_upstream_error() {
    // A parcel no other test asks for, so the fault disturbs nobody else.
    let p = &land().all()[land().all().len() - 1];
    let path = format!(
        "{PREFIX}/thua-dat/{}/{}/{}",
        p.ma_xa, p.so_to_ban_do, p.so_thua
    );
    platform().upstreams.dat_dai.sim().inject(Fault {
        count: 1,
        body: Some(r#"{"ketQua":{"ma":"E503","moTa":"CSDL đang đồng bộ"}}"#.to_owned()),
        content_type: Some("application/json".to_owned()),
        uri_contains: Some(path.clone()),
        ..Fault::default()
    });
    let a = query(&format!(
        "SELECT so_thua FROM dat_dai.thua_dat WHERE ma_xa = '{}' AND so_to_ban_do = {} AND so_thua = {}",
        p.ma_xa, p.so_to_ban_do, p.so_thua
    ))
    .await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "upstream_error");
    assert!(a.message().contains("E503"), "{}", a.message());
    assert!(
        !a.message().contains("test-dat-dai-token"),
        "{}",
        a.message()
    );
    assert_eq!(a.calls_to(Source::DatDai).len(), 1);
}
