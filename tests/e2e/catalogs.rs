//! Shared catalogs end to end, on the official data: the 2025 and pre-2025
//! province and commune lists and the crosswalk between them (from
//! `../shared/data/dvhc/`), read over REST and SQL, used by a connector to
//! normalize old commune codes, and protected against bad imports.

use crate::common::{Answer, query_on};
use lgsp_tests::{NEW_COMMUNES_VERSION, OLD_COMMUNES_VERSION, Platform, dvhc_path};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

fn platform() -> &'static Platform {
    static P: OnceLock<Platform> = OnceLock::new();
    P.get_or_init(|| {
        let p = Platform::start_with_history(20_000);
        assert!(p.load_failures.is_empty(), "{:?}", p.load_failures);
        p
    })
}

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

async fn get(path: &str, if_none_match: Option<&str>) -> Reply {
    let mut req = reqwest::Client::new().get(format!("{}{path}", platform().url));
    if let Some(tag) = if_none_match {
        req = req.header("if-none-match", tag);
    }
    let response = req.send().await.expect("platform answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    Reply {
        status,
        headers,
        body,
    }
}

async fn sql(sql: &str) -> Vec<Value> {
    let Answer { status, body, .. } = query_on(platform(), sql, "application/json").await;
    assert_eq!(status, 200, "{sql}: {body}");
    body["rows"].as_array().cloned().unwrap_or_default()
}

fn count(rows: &[Value]) -> i64 {
    rows[0]["n"].as_i64().unwrap_or(-1)
}

#[tokio::test]
async fn both_versions_have_the_official_sizes() {
    for (catalog, day, expected) in [
        ("dvhc_tinh", "2024-06-01", 63),
        ("dvhc_tinh", "2025-07-01", 34),
        ("dvhc_xa", "2024-06-01", 10_047),
        ("dvhc_xa", "2025-07-01", 3_321),
    ] {
        let r = get(
            &format!("/v1/catalogs/{catalog}/items?as_of={day}&limit=1"),
            None,
        )
        .await;
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["total"], expected, "{catalog} on {day}: {}", r.body);
    }
    // The same in SQL, today and by date.
    assert_eq!(
        count(&sql("SELECT count(*) AS n FROM danh_muc.dvhc_xa").await),
        3_321
    );
    assert_eq!(
        count(&sql("SELECT count(*) AS n FROM danh_muc_ngay('dvhc_xa', '2024-06-01')").await),
        10_047
    );
    assert_eq!(
        count(&sql("SELECT count(*) AS n FROM danh_muc_ngay('dvhc_tinh', '2024-06-01')").await),
        63
    );
}

#[tokio::test]
async fn every_pre_2025_commune_leads_to_a_current_one() {
    let unmapped = sql(
        "SELECT count(*) AS n FROM danh_muc_ngay('dvhc_xa', '2024-06-01') o \
         WHERE o.ma NOT IN (SELECT ma_cu FROM danh_muc.chuyen_doi WHERE danh_muc = 'dvhc_xa')",
    )
    .await;
    assert_eq!(count(&unmapped), 0);
    let dangling = sql("SELECT count(*) AS n FROM danh_muc.chuyen_doi x \
         LEFT JOIN danh_muc.dvhc_xa c ON x.ma_moi = c.ma \
         WHERE x.danh_muc = 'dvhc_xa' AND c.ma IS NULL")
    .await;
    assert_eq!(count(&dangling), 0);
    let mapped = sql(
        "SELECT count(DISTINCT ma_cu) AS n FROM danh_muc.chuyen_doi WHERE danh_muc = 'dvhc_xa'",
    )
    .await;
    assert_eq!(count(&mapped), 10_047);
}

/// The old communes that were split, with all their new codes, from the file.
fn splits_from_file() -> HashMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(dvhc_path("splits.json")).expect("splits.json");
    let doc: Value = serde_json::from_str(&text).expect("json");
    let mut out = HashMap::new();
    for p in doc["data"].as_array().expect("data") {
        for c in p["level3s"].as_array().into_iter().flatten() {
            let targets: BTreeSet<String> = c["splits"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|s| s["new_id"].as_str().map(str::to_owned))
                .collect();
            if targets.len() > 1 {
                out.insert(
                    c["level3_id"].as_str().unwrap_or_default().to_owned(),
                    targets,
                );
            }
        }
    }
    out
}

#[tokio::test]
async fn a_split_commune_maps_to_every_one_of_its_targets() {
    let splits = splits_from_file();
    assert!(splits.len() > 400, "{} split communes", splits.len());
    // Phường Cống Vị (Hà Nội) went partly to Ngọc Hà and partly to Giảng Võ.
    let r = get(
        "/v1/catalogs/dvhc_xa/successors/00007?as_of=2024-06-01",
        None,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let got: BTreeSet<String> = r.body["successors"]
        .as_array()
        .expect("successors")
        .iter()
        .map(|s| {
            assert_eq!(s["mapping"], "partial", "{s}");
            s["code"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(got, splits["00007"]);
    // And every split, checked against the file in SQL.
    let rows =
        sql("SELECT ma_cu, ma_moi, kieu FROM danh_muc.chuyen_doi WHERE danh_muc = 'dvhc_xa'").await;
    let mut by_old: HashMap<String, BTreeSet<String>> = HashMap::new();
    for r in &rows {
        by_old
            .entry(r["ma_cu"].as_str().unwrap_or_default().to_owned())
            .or_default()
            .insert(r["ma_moi"].as_str().unwrap_or_default().to_owned());
    }
    for (old, targets) in &splits {
        assert_eq!(by_old.get(old), Some(targets), "split of {old}");
    }
}

#[tokio::test]
async fn a_code_means_the_unit_of_its_date() {
    // 00004 was Phường Trúc Bạch before 2025-07-01 and is Phường Ba Đình now.
    let old = get("/v1/catalogs/dvhc_xa/items/00004?as_of=2024-06-01", None).await;
    assert_eq!(old.status, 200, "{}", old.body);
    assert_eq!(old.body["item"]["name"], "Phường Trúc Bạch", "{}", old.body);
    let now = get("/v1/catalogs/dvhc_xa/items/00004", None).await;
    assert_eq!(now.body["item"]["name"], "Phường Ba Đình", "{}", now.body);
    // 00001 (Phúc Xá) no longer exists: absent today, mapped to Hồng Hà.
    let gone = get("/v1/catalogs/dvhc_xa/items/00001", None).await;
    assert_eq!(gone.status, 404, "{}", gone.body);
    assert_eq!(gone.body["code"], "unknown_item");
    let r = get(
        "/v1/catalogs/dvhc_xa/successors/00001?as_of=2024-06-01",
        None,
    )
    .await;
    assert_eq!(r.body["successors"][0]["code"], "00097", "{}", r.body);
    assert_eq!(r.body["successors"][0]["mapping"], "full", "{}", r.body);
    // Accent-insensitive search by name.
    let r = get("/v1/catalogs/dvhc_tinh/items?q=ha%20noi", None).await;
    assert_eq!(r.body["items"][0]["code"], "01", "{}", r.body);
}

#[tokio::test]
async fn old_commune_codes_in_citizen_records_come_out_as_current_codes() {
    let world = &platform().world;
    let legacy: Vec<_> = world
        .citizens()
        .iter()
        .filter(|c| c.ma_xa_ghi_nhan != c.ma_xa)
        .collect();
    assert!(
        legacy.len() > world.citizens().len() / 50,
        "{} legacy records",
        legacy.len()
    );
    let splits = splits_from_file();
    let unique = legacy
        .iter()
        .find(|c| !splits.contains_key(&c.ma_xa_ghi_nhan))
        .expect("a legacy record of a commune that was not split");
    let split = legacy
        .iter()
        .find(|c| splits.contains_key(&c.ma_xa_ghi_nhan))
        .expect("a legacy record of a split commune");
    let rows = sql(&format!(
        "SELECT so_dinh_danh, ma_xa, ma_xa_goc, ma_tinh FROM dan_cu.cong_dan \
         WHERE so_dinh_danh IN ('{}', '{}') ORDER BY so_dinh_danh",
        unique.so_dinh_danh, split.so_dinh_danh
    ))
    .await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    let row = |id: &str| {
        rows.iter()
            .find(|r| r["so_dinh_danh"] == id)
            .cloned()
            .unwrap_or_default()
    };
    let u = row(&unique.so_dinh_danh);
    assert_eq!(u["ma_xa"], unique.ma_xa.as_str(), "{u}");
    assert_eq!(u["ma_xa_goc"], unique.ma_xa_ghi_nhan.as_str(), "{u}");
    assert_eq!(u["ma_tinh"], unique.ma_tinh.as_str(), "{u}");
    // A split commune's code alone cannot tell which new commune: NULL, and
    // the recorded code is kept.
    let s = row(&split.so_dinh_danh);
    assert_eq!(s["ma_xa"], Value::Null, "{s}");
    assert_eq!(s["ma_xa_goc"], split.ma_xa_ghi_nhan.as_str(), "{s}");
}

#[tokio::test]
async fn citizens_group_by_province_name_through_the_catalog() {
    let world = &platform().world;
    let (commune, residents) = world
        .communes_by_population()
        .into_iter()
        .next()
        .expect("a commune");
    let rows = sql(&format!(
        "SELECT t.ten, count(*) AS n FROM dan_cu.cong_dan c \
         JOIN danh_muc.dvhc_tinh t ON t.ma = c.ma_tinh \
         WHERE c.ma_xa = '{commune}' GROUP BY t.ten"
    ))
    .await;
    let province = world
        .communes()
        .iter()
        .find(|c| c.code == commune)
        .map(|c| c.province_code.clone())
        .expect("province");
    let name = lgsp_catalogs::provinces_2025()
        .get(&province)
        .map(|p| p.name.clone())
        .expect("name");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["ten"], name.as_str());
    assert_eq!(rows[0]["n"].as_u64(), Some(residents as u64));
}

#[tokio::test]
async fn etags_answer_304_and_the_change_feed_lists_what_changed() {
    let path = "/v1/catalogs/dvhc_xa/items?parent=01&limit=50";
    let first = get(path, None).await;
    assert_eq!(first.status, 200);
    let tag = first
        .headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned();
    let again = get(path, Some(&tag)).await;
    assert_eq!(again.status, 304);
    assert_eq!(again.body, Value::Null, "304 has no body");
    // Other parameters, other tag.
    let other = get("/v1/catalogs/dvhc_xa/items?parent=79&limit=50", Some(&tag)).await;
    assert_eq!(other.status, 200);

    let feed = get(
        &format!("/v1/catalogs/dvhc_xa/changes?since={OLD_COMMUNES_VERSION}"),
        None,
    )
    .await;
    assert_eq!(feed.status, 200, "{}", feed.body["message"]);
    assert_eq!(feed.body["from"]["version"], OLD_COMMUNES_VERSION);
    assert_eq!(feed.body["to"]["version"], NEW_COMMUNES_VERSION);
    // What the files say: codes only in the new list were added, codes only
    // in the old list removed.
    let old: BTreeSet<String> = sql("SELECT ma FROM danh_muc_ngay('dvhc_xa', '2024-06-01')")
        .await
        .iter()
        .filter_map(|r| r["ma"].as_str().map(str::to_owned))
        .collect();
    let new: BTreeSet<String> = sql("SELECT ma FROM danh_muc.dvhc_xa")
        .await
        .iter()
        .filter_map(|r| r["ma"].as_str().map(str::to_owned))
        .collect();
    let len = |k: &str| feed.body["changes"][k].as_array().map_or(0, Vec::len);
    assert_eq!(len("added"), new.difference(&old).count());
    assert_eq!(len("removed"), old.difference(&new).count());
    assert!(len("renamed") > 0, "kept codes with new names, e.g. 00004");
    let tag = feed
        .headers
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .expect("etag")
        .to_owned();
    let again = get(
        &format!("/v1/catalogs/dvhc_xa/changes?since={OLD_COMMUNES_VERSION}"),
        Some(&tag),
    )
    .await;
    assert_eq!(again.status, 304);
    let none = get(
        &format!("/v1/catalogs/dvhc_xa/changes?since={NEW_COMMUNES_VERSION}"),
        None,
    )
    .await;
    assert_eq!(
        len_of(&none.body, "added") + len_of(&none.body, "removed"),
        0
    );
}

fn len_of(body: &Value, k: &str) -> usize {
    body["changes"][k].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn a_bad_import_is_refused_whole_with_every_problem_located() {
    let csv = "ma,ten,ma_cha\n99001,Xã Thử Một,01\n99001,Xã Thử Trùng,01\n99002,Xã Thử Hai,77\n";
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1/catalogs/dvhc_xa/versions?version=thu-nghiem&valid_from=2030-01-01&format=csv",
            platform().url
        ))
        .bearer_auth(&platform().admin_token)
        .body(csv)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["code"], "invalid_import", "{body}");
    let problems = body["problems"].as_array().expect("problems");
    let kinds: Vec<(&str, i64)> = problems
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap_or_default(),
                p["at"]["line"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [("duplicate_code", 3), ("dangling_parent", 4)],
        "{body}"
    );
    let list = get("/v1/catalogs", None).await;
    let versions = list.body["catalogs"]
        .as_array()
        .expect("catalogs")
        .iter()
        .find(|c| c["code"] == "dvhc_xa")
        .map(|c| c["versions"].clone())
        .expect("dvhc_xa");
    assert!(
        versions
            .as_array()
            .expect("versions")
            .iter()
            .all(|v| v["version"] != "thu-nghiem"),
        "nothing was written: {versions}"
    );
}
