//! The land API over real HTTP on loopback.

use super::{MAX_BATCH, PREFIX};
use crate::world::{World, WorldConfig};
use crate::{RunningUpstream, Source, UpstreamConfig, serve_source};
use serde_json::{Value, json};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, OnceLock};

const TOKEN: &str = "test-token";

fn world() -> Arc<World> {
    static WORLD: OnceLock<Arc<World>> = OnceLock::new();
    WORLD
        .get_or_init(|| Arc::new(World::generate(&WorldConfig::scaled(11, 4_000, None))))
        .clone()
}

async fn start() -> RunningUpstream {
    let config = UpstreamConfig {
        api_key: TOKEN.to_owned(),
        ..UpstreamConfig::default()
    };
    serve_source(Source::DatDai, world(), &config)
        .await
        .expect("binds")
}

/// A minimal HTTP/1.1 exchange: the API always answers with a content length.
async fn call(
    up: &RunningUpstream,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let addr = up.addr();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = token
        .map(|t| format!("authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nhost: x\r\n{auth}content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    // Blocking I/O off the runtime's threads, so the server keeps running.
    let raw = tokio::task::spawn_blocking(move || {
        let mut stream = TcpStream::connect(addr).expect("connects");
        stream.write_all(request.as_bytes()).expect("sends");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).expect("reads");
        raw
    })
    .await
    .expect("the exchange finishes");
    let text = String::from_utf8(raw).expect("utf-8");
    let (head, body) = text.split_once("\r\n\r\n").expect("a head and a body");
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_parcel_is_served_in_the_agency_format() {
    let up = start().await;
    let w = world();
    let p = &w.land().all()[3];
    let path = format!(
        "{PREFIX}/thua-dat/{}/{}/{}",
        p.ma_xa, p.so_to_ban_do, p.so_thua
    );
    let (status, body) = call(&up, "GET", &path, Some(TOKEN), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ketQua"]["ma"], "0000");
    let d = &body["duLieu"];
    assert_eq!(d["soThuaDat"], p.so_thua);
    assert_eq!(d["donViHanhChinh"]["maXa"], p.ma_xa.as_str());
    assert!(d["donViHanhChinh"].get("maTinh").is_none());
    let province = lgsp_catalogs::provinces_2025()
        .get(&p.ma_tinh)
        .map(|i| i.name.as_str());
    assert_eq!(d["donViHanhChinh"]["tenTinh"].as_str(), province);
    assert_eq!(
        d["dienTich"].as_str(),
        Some(p.dien_tich_text().replace('.', ",").as_str())
    );
    let land_use = lgsp_catalogs::land_use_types()
        .get(p.ma_loai_dat)
        .map(|i| i.name.as_str());
    assert_eq!(d["mucDichSuDung"].as_str(), land_use);
    assert_eq!(d["hinhHoc"]["type"], "Polygon");

    let (status, body) = call(
        &up,
        "GET",
        &format!("{path}/quyen-su-dung"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let rights = body["duLieu"].as_array().expect("rights");
    assert_eq!(rights.len(), p.quyen_su_dung.len());
    let issued = rights[0]["giayChungNhan"]["ngayCap"].as_str().unwrap_or("");
    assert!(issued.ends_with("T00:00:00+07:00"), "{issued}");
    assert!(issued.starts_with(&p.quyen_su_dung[0].ngay_cap.to_iso()));

    let missing = format!("{PREFIX}/thua-dat/{}/{}/99999", p.ma_xa, p.so_to_ban_do);
    let (status, body) = call(&up, "GET", &missing, Some(TOKEN), None).await;
    assert_eq!((status, body["ketQua"]["ma"].as_str()), (404, Some("E404")));
}

#[tokio::test]
async fn the_token_is_required() {
    let up = start().await;
    let path = format!("{PREFIX}/trang-thai");
    for token in [None, Some("wrong")] {
        let (status, body) = call(&up, "GET", &path, token, None).await;
        assert_eq!(status, 401);
        assert_eq!(body["ketQua"]["ma"], "E401");
    }
    let (status, body) = call(&up, "GET", &path, Some(TOKEN), None).await;
    assert_eq!(status, 200);
    assert_eq!(body["duLieu"]["soThuaDat"], world().land().all().len());
    assert_eq!(up.sim().requests(), 3);
}

#[tokio::test]
async fn listings_are_paged_and_capped() {
    let up = start().await;
    let w = world();
    let (xa, count) = w.land().communes_by_parcel_count()[0].clone();
    assert!(count > 3, "{count}");
    let path = format!("{PREFIX}/thua-dat?maXa={xa}&trang=2&soBanGhi=2");
    let (status, body) = call(&up, "GET", &path, Some(TOKEN), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["phanTrang"]["tongSoBanGhi"], count);
    let expected: Vec<u32> = w
        .land()
        .parcels_in(&xa)
        .skip(2)
        .take(2)
        .map(|p| p.so_thua)
        .collect();
    let got: Vec<u64> = body["duLieu"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r["soThuaDat"].as_u64())
        .collect();
    assert_eq!(
        got,
        expected.iter().map(|&n| u64::from(n)).collect::<Vec<_>>()
    );

    let path = format!("{PREFIX}/quyen-su-dung?maXa={xa}&soBanGhi=100000");
    let (_, body) = call(&up, "GET", &path, Some(TOKEN), None).await;
    assert_eq!(body["phanTrang"]["soBanGhiMoiTrang"], super::MAX_PAGE_SIZE);
    let rights: usize = w
        .land()
        .parcels_in(&xa)
        .map(|p| p.quyen_su_dung.len())
        .sum();
    assert_eq!(body["phanTrang"]["tongSoBanGhi"], rights);

    let (status, _) = call(
        &up,
        "GET",
        &format!("{PREFIX}/thua-dat?maXa=12"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn rights_by_holder_are_batched_and_capped() {
    let up = start().await;
    let w = world();
    let holders: Vec<&str> = w.land().person_holders().into_iter().take(5).collect();
    let path = format!("{PREFIX}/quyen-su-dung/ca-nhan");
    let (status, body) = call(
        &up,
        "POST",
        &path,
        Some(TOKEN),
        Some(json!({ "danhSachSoDinhDanh": [holders[0], holders[1], "001099999999"] })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let expected = w.land().rights_of_person(holders[0]).count()
        + w.land().rights_of_person(holders[1]).count();
    let rows = body["duLieu"].as_array().expect("rows");
    assert_eq!(rows.len(), expected);
    assert!(rows.iter().all(|r| r["loaiChu"] == "CA_NHAN"));
    assert_eq!(body["khongCoQuyenSuDung"], json!(["001099999999"]));

    let too_many = vec!["001085012345"; MAX_BATCH + 1];
    let (status, body) = call(
        &up,
        "POST",
        &path,
        Some(TOKEN),
        Some(json!({ "danhSachSoDinhDanh": too_many })),
    )
    .await;
    assert_eq!((status, body["ketQua"]["ma"].as_str()), (413, Some("E413")));

    if let Some(code) = w.land().business_holders().first() {
        let (status, body) = call(
            &up,
            "POST",
            &format!("{PREFIX}/quyen-su-dung/to-chuc"),
            Some(TOKEN),
            Some(json!({ "danhSachMaSoDoanhNghiep": [code] })),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let rows = body["duLieu"].as_array().expect("rows");
        assert_eq!(rows.len(), w.land().rights_of_business(code).count());
        assert!(rows.iter().all(|r| r["loaiChu"] == "TO_CHUC"));
        assert!(rows.iter().all(|r| r["thoiHanSuDung"] != "Lâu dài"));
    }
}

#[tokio::test]
async fn parcels_are_looked_up_in_batches() {
    let up = start().await;
    let w = world();
    let keys: Vec<Value> = w.land().all()[..3]
        .iter()
        .map(|p| json!({ "maXa": p.ma_xa, "soToBanDo": p.so_to_ban_do, "soThuaDat": p.so_thua }))
        .chain([json!({ "maXa": "00004", "soToBanDo": 1, "soThuaDat": 99999 })])
        .collect();
    let (status, body) = call(
        &up,
        "POST",
        &format!("{PREFIX}/thua-dat/tra-cuu"),
        Some(TOKEN),
        Some(json!({ "danhSachThua": keys })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["duLieu"].as_array().map(Vec::len), Some(3));
    assert_eq!(body["khongTimThay"].as_array().map(Vec::len), Some(1));
}
