//! End-to-end tests of the doanh_nghiep connector: lookups, listings, name
//! search and representatives, checked against the shared world; IN-list
//! batching; identifier validation; old province codes.

use crate::common::{decimal, pairs, platform, query, quoted};
use lgsp_sample_upstream::business::{Business, REORGANIZATION, fold};
use lgsp_sample_upstream::{Fault, Source};
use serde_json::Value;
use std::collections::BTreeSet;

const COLUMNS: &str = "ma_so_doanh_nghiep, ma_so_chu_quan, ten, ten_nuoc_ngoai, ten_viet_tat, \
     ma_loai_hinh, ma_trang_thai, ngay_thanh_lap, ma_tinh, ma_xa, dia_chi, ma_nganh_chinh, \
     von_dieu_le";

fn businesses() -> &'static lgsp_sample_upstream::Businesses {
    platform().world.businesses()
}

fn assert_row_is(row: &Value, b: &Business) {
    let code = &b.ma_so_doanh_nghiep;
    assert_eq!(row["ma_so_doanh_nghiep"], code.as_str());
    assert_eq!(
        row["ma_so_chu_quan"].as_str(),
        b.ma_so_cha.as_deref(),
        "{code}"
    );
    assert_eq!(row["ten"], b.ten.as_str(), "{code}");
    assert_eq!(
        row["ten_nuoc_ngoai"].as_str(),
        b.ten_nuoc_ngoai.as_deref(),
        "{code}"
    );
    assert_eq!(
        row["ten_viet_tat"].as_str(),
        b.ten_viet_tat.as_deref(),
        "{code}"
    );
    // The registry sends type and status as names; the platform serves codes.
    assert_eq!(row["ma_loai_hinh"], b.ma_loai_hinh, "{code}");
    assert_eq!(row["ma_trang_thai"], b.ma_trang_thai, "{code}");
    assert_eq!(
        row["ngay_thanh_lap"],
        b.ngay_thanh_lap.to_iso().as_str(),
        "{code}"
    );
    assert_eq!(row["ma_tinh"], b.ma_tinh.as_str(), "{code}");
    assert_eq!(row["ma_xa"], b.ma_xa.as_str(), "{code}");
    assert_eq!(row["dia_chi"], b.dia_chi.as_str(), "{code}");
    assert_eq!(row["ma_nganh_chinh"], b.ma_nganh_chinh, "{code}");
    assert_eq!(
        decimal(&row["von_dieu_le"]),
        b.von_dieu_le.map(|v| v.to_string()),
        "{code}"
    );
}

fn codes_of(rows: &[Value]) -> BTreeSet<String> {
    rows.iter()
        .map(|r| r["ma_so_doanh_nghiep"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[tokio::test]
async fn lookup_by_code_maps_an_old_province_to_its_2025_code() {
    // Registered before the reorganization in a province that merged: the
    // registry sends the old code, the platform serves the 2025 one.
    let b = businesses()
        .all()
        .iter()
        .find(|b| b.ngay_thanh_lap < REORGANIZATION && b.ma_tinh_cu != b.ma_tinh)
        .expect("a business registered under a merged province");
    let a = query(&format!(
        "SELECT {COLUMNS} FROM doanh_nghiep.doanh_nghiep WHERE ma_so_doanh_nghiep = '{}'",
        b.ma_so_doanh_nghiep
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 1);
    assert_row_is(&a.rows()[0], b);
    assert_eq!(a.body["columns"][7]["type"], "DATE");
    let calls = a.calls_to(Source::DoanhNghiep);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        calls[0].uri,
        format!("/dkkd/v2/doanh-nghiep/{}", b.ma_so_doanh_nghiep)
    );
}

#[tokio::test]
async fn branches_are_looked_up_by_their_13_digit_code() {
    let branch = &businesses().branches()[0];
    let a = query(&format!(
        "SELECT {COLUMNS} FROM doanh_nghiep.doanh_nghiep WHERE ma_so_doanh_nghiep = '{}'",
        branch.ma_so_doanh_nghiep
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 1);
    assert_row_is(&a.rows()[0], branch);
    assert!(branch.ma_so_cha.is_some());
}

#[tokio::test]
async fn in_lists_are_batched_fifty_codes_per_call() {
    let wanted: Vec<&Business> = businesses().all().iter().skip(200).take(120).collect();
    // A well-formed code nobody holds is simply absent.
    let unknown = lgsp_catalogs::ids::tax_code_with_check_digit("990000001")
        .or_else(|| lgsp_catalogs::ids::tax_code_with_check_digit("990000002"))
        .expect("a valid unknown code");
    assert!(businesses().get(&unknown).is_none());
    let a = query(&format!(
        "SELECT {COLUMNS} FROM doanh_nghiep.doanh_nghiep WHERE ma_so_doanh_nghiep IN ({}, '{unknown}')",
        quoted(wanted.iter().map(|b| &b.ma_so_doanh_nghiep))
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 120);
    for row in a.rows() {
        let code = row["ma_so_doanh_nghiep"].as_str().unwrap_or("");
        let b = businesses().get(code).expect("a known business");
        assert_row_is(row, b);
    }
    let calls = a.calls_to(Source::DoanhNghiep);
    // 121 codes, at most 50 per call.
    assert_eq!(calls.len(), 3, "{calls:?}");
    assert!(
        calls
            .iter()
            .all(|c| c.method == "POST" && c.uri == "/dkkd/v2/doanh-nghiep/tra-cuu-lo")
    );
}

#[tokio::test]
async fn listing_by_commune_returns_every_unit_there() {
    let (xa, _) = platform().world.communes_by_population()[0].clone();
    let expected = businesses().in_commune(&xa);
    assert!(
        expected.len() > 100,
        "needs several pages: {}",
        expected.len()
    );
    let a = query(&format!(
        "SELECT {COLUMNS} FROM doanh_nghiep.doanh_nghiep WHERE ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), expected.len());
    let want: BTreeSet<String> = expected
        .iter()
        .map(|b| b.ma_so_doanh_nghiep.clone())
        .collect();
    assert_eq!(codes_of(a.rows()), want);
    for row in a.rows() {
        let b = businesses()
            .get(row["ma_so_doanh_nghiep"].as_str().unwrap_or(""))
            .expect("known");
        assert_row_is(row, b);
    }
    let calls = a.calls_to(Source::DoanhNghiep);
    assert_eq!(calls.len(), expected.len().div_ceil(100), "{calls:?}");
    assert!(calls[0].uri.contains(&format!("maXa={xa}")), "{calls:?}");
}

#[tokio::test]
async fn listing_by_merged_province_serves_2025_codes_only() {
    // Tuyên Quang (08) took in Hà Giang (02): the registry publishes 02 for
    // Hà Giang businesses registered before 2025-07-01.
    let expected = businesses().in_province("08");
    assert!(
        expected.iter().any(|b| b.published_province() == "02"),
        "the world has old Hà Giang registrations"
    );
    let a = query(
        "SELECT ma_so_doanh_nghiep, ma_tinh, ma_xa FROM doanh_nghiep.doanh_nghiep WHERE ma_tinh = '08'",
    )
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), expected.len());
    assert!(a.rows().iter().all(|r| r["ma_tinh"] == "08"), "{}", a.body);
    let want: BTreeSet<String> = expected
        .iter()
        .map(|b| b.ma_so_doanh_nghiep.clone())
        .collect();
    assert_eq!(codes_of(a.rows()), want);
    assert_eq!(
        a.calls_to(Source::DoanhNghiep).len(),
        expected.len().div_ceil(100).max(1)
    );

    // Asking by the old code is refused with the successor, before any call.
    let a = query("SELECT ten FROM doanh_nghiep.doanh_nghiep WHERE ma_tinh = '02'").await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert_eq!(a.code(), "connector_rejected_request");
    assert!(a.message().contains("use 08"), "{}", a.message());
    assert!(a.calls_to(Source::DoanhNghiep).is_empty());
}

#[tokio::test]
async fn name_like_is_answered_through_the_registry_search_exactly() {
    let b = &businesses().all()[17];
    let words: Vec<&str> = b.ten.split(' ').collect();
    let brand = words[words.len() - 2..].join(" ");
    let expected: BTreeSet<String> = businesses()
        .units()
        .filter(|u| u.ten.contains(&brand))
        .map(|u| u.ma_so_doanh_nghiep.clone())
        .collect();
    assert!(expected.contains(&b.ma_so_doanh_nghiep));
    let a = query(&format!(
        "SELECT ma_so_doanh_nghiep, ten FROM doanh_nghiep.doanh_nghiep WHERE ten LIKE '%{brand}%'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(codes_of(a.rows()), expected);
    let calls = a.calls_to(Source::DoanhNghiep);
    let searched = businesses().search_name(&brand).len();
    assert_eq!(calls.len(), searched.div_ceil(100).max(1), "{calls:?}");
    assert!(
        calls[0]
            .uri
            .starts_with("/dkkd/v2/doanh-nghiep/tim-kiem?tuKhoa=")
    );

    // LIKE is case- and accent-sensitive, as in SQL: the registry finds the
    // folded matches, the connector drops them.
    let lower = brand.to_lowercase();
    let a = query(&format!(
        "SELECT ma_so_doanh_nghiep FROM doanh_nghiep.doanh_nghiep WHERE ten LIKE '%{lower}%'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.rows().is_empty(), "{}", a.body);
    assert!(!a.calls_to(Source::DoanhNghiep).is_empty());

    // Without two consecutive literal characters there is nothing to search by.
    let a = query("SELECT ten FROM doanh_nghiep.doanh_nghiep WHERE ten LIKE '%A%'").await;
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.calls_to(Source::DoanhNghiep).is_empty());
}

#[tokio::test]
async fn keyword_search_ignores_accents_and_case() {
    let b = &businesses().all()[23];
    let words: Vec<&str> = b.ten.split(' ').collect();
    let keyword = fold(&words[words.len() - 2..].join(" "));
    let expected: BTreeSet<String> = businesses()
        .search_name(&keyword)
        .iter()
        .map(|u| u.ma_so_doanh_nghiep.clone())
        .collect();
    assert!(expected.contains(&b.ma_so_doanh_nghiep));
    let a = query(&format!(
        "SELECT ma_so_doanh_nghiep, ten, tu_khoa FROM doanh_nghiep.doanh_nghiep WHERE tu_khoa = '{keyword}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(codes_of(a.rows()), expected);
    assert!(a.rows().iter().all(|r| r["tu_khoa"] == keyword.as_str()));
}

#[tokio::test]
async fn representatives_by_business_match_the_world() {
    let picked: Vec<&Business> = businesses()
        .all()
        .iter()
        .filter(|b| b.nguoi_dai_dien.len() == 2)
        .take(2)
        .chain(businesses().all().iter().take(1))
        .collect();
    assert_eq!(picked.len(), 3);
    let a = query(&format!(
        "SELECT ma_so_doanh_nghiep, so_dinh_danh, ho_ten, chuc_danh, ngay_bat_dau \
         FROM doanh_nghiep.nguoi_dai_dien WHERE ma_so_doanh_nghiep IN ({})",
        quoted(picked.iter().map(|b| &b.ma_so_doanh_nghiep))
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let got: BTreeSet<(String, String, String, String, String)> = a
        .rows()
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or("").to_owned();
            (
                s("ma_so_doanh_nghiep"),
                s("so_dinh_danh"),
                s("ho_ten"),
                s("chuc_danh"),
                s("ngay_bat_dau"),
            )
        })
        .collect();
    let want: BTreeSet<(String, String, String, String, String)> = picked
        .iter()
        .flat_map(|b| {
            b.nguoi_dai_dien.iter().map(|r| {
                (
                    b.ma_so_doanh_nghiep.clone(),
                    r.so_dinh_danh.clone(),
                    r.ho_ten.clone(),
                    r.chuc_danh.to_owned(),
                    r.ngay_bat_dau.to_iso(),
                )
            })
        })
        .collect();
    assert_eq!(got, want);
    assert_eq!(a.rows().len(), want.len());
    let calls = a.calls_to(Source::DoanhNghiep);
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0].uri, "/dkkd/v2/nguoi-dai-dien/theo-doanh-nghiep");
}

#[tokio::test]
async fn businesses_by_representative_are_batched_fifty_ids_per_call() {
    let mut ids: Vec<String> = Vec::new();
    for b in businesses().all().iter().skip(500) {
        for r in &b.nguoi_dai_dien {
            if !ids.contains(&r.so_dinh_danh) {
                ids.push(r.so_dinh_danh.clone());
            }
        }
        if ids.len() >= 60 {
            break;
        }
    }
    ids.truncate(60);
    let want: BTreeSet<(String, String)> = ids
        .iter()
        .flat_map(|id| {
            businesses()
                .represented_by(id)
                .into_iter()
                .map(move |b| (b.ma_so_doanh_nghiep.clone(), id.clone()))
        })
        .collect();
    let a = query(&format!(
        "SELECT ma_so_doanh_nghiep, so_dinh_danh, ho_ten FROM doanh_nghiep.nguoi_dai_dien \
         WHERE so_dinh_danh IN ({})",
        quoted(&ids)
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let got = pairs(a.rows(), "ma_so_doanh_nghiep", "so_dinh_danh");
    assert_eq!(got, want);
    for r in a.rows() {
        let id = r["so_dinh_danh"].as_str().unwrap_or("");
        let citizen = platform().world.citizen(id).expect("a citizen");
        assert_eq!(r["ho_ten"], citizen.ho_ten.as_str());
    }
    let calls = a.calls_to(Source::DoanhNghiep);
    assert_eq!(calls.len(), 2, "{calls:?}");
    assert!(
        calls
            .iter()
            .all(|c| c.uri == "/dkkd/v2/nguoi-dai-dien/theo-ca-nhan")
    );
}

#[tokio::test]
async fn malformed_identifiers_are_refused_before_any_upstream_call() {
    let good = &businesses().all()[0].ma_so_doanh_nghiep;
    let bad_check = {
        let last = good.as_bytes()[9] - b'0';
        format!("{}{}", &good[..9], (last + 1) % 10)
    };
    let cases = [
        (format!("ma_so_doanh_nghiep = '{bad_check}'"), "check digit"),
        (
            format!("ma_so_doanh_nghiep = '{}'", &good[..9]),
            "10 digits",
        ),
        (
            format!("ma_so_doanh_nghiep = '{good}-000'"),
            "branch number",
        ),
        (format!("ma_so_doanh_nghiep = '{good}-01'"), "branch number"),
        (
            format!("ma_so_doanh_nghiep IN ('{good}', '{bad_check}')"),
            "value 2 of 2",
        ),
        ("ma_xa = '1234'".to_owned(), "5 digits"),
    ];
    for (filter, reason) in &cases {
        let a = query(&format!(
            "SELECT ten FROM doanh_nghiep.doanh_nghiep WHERE {filter}"
        ))
        .await;
        assert_eq!(a.status, 400, "{filter}: {}", a.body);
        assert_eq!(a.code(), "connector_rejected_request", "{filter}");
        assert!(a.message().contains(reason), "{filter}: {}", a.message());
        assert!(!a.message().contains(&bad_check), "no value echoed");
        assert!(a.calls_to(Source::DoanhNghiep).is_empty(), "{filter}");
    }
    for filter in [
        format!("ma_so_doanh_nghiep = '{bad_check}'"),
        "so_dinh_danh = '00108501234'".to_owned(),
        "so_dinh_danh IN ('001085012345', '003085012345')".to_owned(),
    ] {
        let a = query(&format!(
            "SELECT ho_ten FROM doanh_nghiep.nguoi_dai_dien WHERE {filter}"
        ))
        .await;
        assert_eq!(a.status, 400, "{filter}: {}", a.body);
        assert_eq!(a.code(), "connector_rejected_request", "{filter}");
        assert!(a.calls_to(Source::DoanhNghiep).is_empty(), "{filter}");
    }
}

#[tokio::test]
async fn a_failure_envelope_is_an_upstream_error() {
    // A business no other test asks for, so the fault disturbs nobody.
    let b = businesses().all().last().expect("businesses");
    platform().upstreams.doanh_nghiep.sim().inject(Fault {
        count: 1,
        body: Some(r#"{"status":"99","message":"Lỗi hệ thống","data":null}"#.to_owned()),
        content_type: Some("application/json".to_owned()),
        uri_contains: Some(b.ma_so_doanh_nghiep.clone()),
        ..Fault::default()
    });
    let a = query(&format!(
        "SELECT ten FROM doanh_nghiep.doanh_nghiep WHERE ma_so_doanh_nghiep = '{}'",
        b.ma_so_doanh_nghiep
    ))
    .await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "upstream_error");
    assert!(a.message().contains("result code 99"), "{}", a.message());
    assert!(!a.message().contains("test-doanh-nghiep-key"));
}

#[tokio::test]
async fn a_commune_listing_drives_representative_lookups_in_batches() {
    let (xa, _) = platform().world.communes_by_population()[1].clone();
    let units = businesses().in_commune(&xa);
    assert!(units.len() > 50, "needs several batches: {}", units.len());
    let a = query(&format!(
        "SELECT d.ma_so_doanh_nghiep, d.ten, n.so_dinh_danh, n.chuc_danh \
         FROM doanh_nghiep.doanh_nghiep d \
         JOIN doanh_nghiep.nguoi_dai_dien n USING (ma_so_doanh_nghiep) \
         WHERE d.ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let want: BTreeSet<(String, String)> = units
        .iter()
        .flat_map(|b| {
            b.nguoi_dai_dien
                .iter()
                .map(|r| (b.ma_so_doanh_nghiep.clone(), r.so_dinh_danh.clone()))
        })
        .collect();
    let got = pairs(a.rows(), "ma_so_doanh_nghiep", "so_dinh_danh");
    assert_eq!(got, want);
    let calls = a.calls_to(Source::DoanhNghiep);
    let listing = calls.iter().filter(|c| c.method == "GET").count();
    let lookups = calls.iter().filter(|c| c.method == "POST").count();
    assert_eq!(listing, units.len().div_ceil(100), "{calls:?}");
    assert_eq!(lookups, units.len().div_ceil(50), "{calls:?}");
}

#[tokio::test]
async fn residents_of_a_commune_join_the_businesses_they_represent() {
    // Representatives are mostly local, so a join from the population
    // database by commune finds businesses.
    let (xa, residents) = platform().world.communes_by_population()[2].clone();
    let world = &platform().world;
    let want: BTreeSet<(String, String)> = world
        .residents(&xa)
        .flat_map(|c| {
            businesses()
                .represented_by(&c.so_dinh_danh)
                .into_iter()
                .map(move |b| (c.so_dinh_danh.clone(), b.ma_so_doanh_nghiep.clone()))
        })
        .collect();
    assert!(!want.is_empty());
    let a = query(&format!(
        "SELECT c.so_dinh_danh, n.ma_so_doanh_nghiep \
         FROM dan_cu.cong_dan c \
         JOIN doanh_nghiep.nguoi_dai_dien n USING (so_dinh_danh) \
         WHERE c.ma_xa = '{xa}'"
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let got = pairs(a.rows(), "so_dinh_danh", "ma_so_doanh_nghiep");
    assert_eq!(got, want);
    let lookups = a.calls_to(Source::DoanhNghiep);
    assert_eq!(lookups.len(), residents.div_ceil(50), "{lookups:?}");
    assert!(
        lookups
            .iter()
            .all(|c| c.uri == "/dkkd/v2/nguoi-dai-dien/theo-ca-nhan")
    );
}
