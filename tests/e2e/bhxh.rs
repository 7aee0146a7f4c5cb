//! End-to-end tests of the bhxh connector (a SOAP/XML upstream): lookups per
//! table checked against the shared world, whole histories by personal ID,
//! IN-list batching under the service's 50-key cap, identifier validation,
//! and SOAP Faults / unreadable XML injected for dedicated keys.

use crate::common::{Answer, client, decimal, platform, query, quoted};
use lgsp_sample_upstream::insurance::{ContributionPeriod, HealthCard, InsuredPerson};
use lgsp_sample_upstream::{Fault, Sex, Source};
use serde_json::Value;

/// The service's cap on keys per call.
const CAP: usize = 50;

fn persons() -> &'static [InsuredPerson] {
    platform().world.insurance().persons()
}

fn person(pred: impl Fn(&InsuredPerson) -> bool) -> &'static InsuredPerson {
    persons()
        .iter()
        .find(|p| pred(p))
        .expect("the world has such a person")
}

fn calls(a: &Answer) -> usize {
    let calls = a.calls_to(Source::Bhxh);
    for c in &calls {
        assert_eq!(
            (c.method.as_str(), c.uri.as_str()),
            ("POST", "/ws/TraCuuBhxh")
        );
    }
    calls.len()
}

fn assert_person(row: &Value, p: &InsuredPerson) {
    let n = &p.ma_so_bhxh;
    assert_eq!(row["ma_so_bhxh"], n.as_str());
    assert_eq!(row["so_dinh_danh"], p.so_dinh_danh.as_str(), "{n}");
    assert_eq!(row["ho_ten"], p.ho_ten.as_str(), "{n}");
    // The service sends yyyyMMdd, 1/0 and old province codes.
    assert_eq!(row["ngay_sinh"], p.ngay_sinh.to_iso().as_str(), "{n}");
    let sex = if p.gioi_tinh == Sex::Male { "1" } else { "2" };
    assert_eq!(row["gioi_tinh"], sex, "{n}");
    assert_eq!(row["ma_tinh"], p.ma_tinh.as_str(), "{n}");
    assert_eq!(row["ngay_cap_so"], p.ngay_cap_so.to_iso().as_str(), "{n}");
}

fn assert_period(row: &Value, p: &InsuredPerson, q: &ContributionPeriod) {
    let n = &p.ma_so_bhxh;
    assert_eq!(row["ma_so_bhxh"], n.as_str());
    assert_eq!(row["so_dinh_danh"], p.so_dinh_danh.as_str());
    assert_eq!(
        row["tu_thang"],
        q.tu_thang.first_day().to_iso().as_str(),
        "{n}"
    );
    assert_eq!(
        row["den_thang"].as_str(),
        q.den_thang.map(|m| m.first_day().to_iso()).as_deref(),
        "{n}"
    );
    assert_eq!(
        row["ma_so_doanh_nghiep"].as_str(),
        q.ma_so_doanh_nghiep.as_deref(),
        "{n}"
    );
    assert_eq!(row["ten_don_vi"].as_str(), q.ten_don_vi.as_deref(), "{n}");
    assert_eq!(
        decimal(&row["muc_luong"]),
        Some(q.muc_luong.to_string()),
        "{n}"
    );
    assert_eq!(row["ma_loai_dong"], q.ma_loai_dong, "{n}");
}

fn assert_card(row: &Value, p: &InsuredPerson, card: &HealthCard) {
    let m = &card.ma_the;
    assert_eq!(row["ma_the"], m.as_str());
    assert_eq!(row["ma_so_bhxh"], p.ma_so_bhxh.as_str(), "{m}");
    assert_eq!(row["so_dinh_danh"], p.so_dinh_danh.as_str(), "{m}");
    assert_eq!(row["ho_ten"], p.ho_ten.as_str(), "{m}");
    assert_eq!(row["ma_doi_tuong"], card.ma_doi_tuong, "{m}");
    assert_eq!(row["muc_huong"], card.muc_huong.to_string().as_str(), "{m}");
    assert_eq!(row["gia_tri_tu"], card.gia_tri_tu.to_iso().as_str(), "{m}");
    assert_eq!(
        row["gia_tri_den"],
        card.gia_tri_den.to_iso().as_str(),
        "{m}"
    );
    assert_eq!(
        row["ma_noi_dang_ky_kcb"],
        card.ma_noi_dang_ky_kcb.as_str(),
        "{m}"
    );
}

const PERSON_COLUMNS: &str =
    "ma_so_bhxh, so_dinh_danh, ho_ten, ngay_sinh, gioi_tinh, ma_tinh, ngay_cap_so";
const PERIOD_COLUMNS: &str = "ma_so_bhxh, so_dinh_danh, tu_thang, den_thang, ma_so_doanh_nghiep, \
     ten_don_vi, muc_luong, ma_loai_dong";
const CARD_COLUMNS: &str = "ma_the, ma_so_bhxh, so_dinh_danh, ho_ten, ma_doi_tuong, muc_huong, \
     gia_tri_tu, gia_tri_den, ma_noi_dang_ky_kcb";

#[tokio::test]
async fn a_person_is_looked_up_by_number_and_normalized() {
    // Recorded before 2025 under a pre-2025 province code that changed.
    let p = person(|p| p.gioi_tinh == Sex::Female && p.ma_tinh_ghi_nhan != p.ma_tinh);
    let a = query(&format!(
        "SELECT {PERSON_COLUMNS} FROM bhxh.nguoi_tham_gia WHERE ma_so_bhxh = '{}'",
        p.ma_so_bhxh
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 1);
    assert_person(&a.rows()[0], p);
    assert_eq!(a.body["columns"][3]["type"], "DATE");
    assert_eq!(calls(&a), 1);
}

#[tokio::test]
async fn persons_are_looked_up_by_personal_id_in_one_call() {
    let chosen: Vec<&InsuredPerson> = persons().iter().skip(200).step_by(37).take(4).collect();
    // A citizen the insurance system does not know is simply absent.
    let stranger = platform()
        .world
        .citizens()
        .iter()
        .find(|c| {
            platform()
                .world
                .insurance()
                .person_by_citizen(&c.so_dinh_danh)
                .is_none()
        })
        .expect("an uninsured citizen");
    let mut ids: Vec<&str> = chosen.iter().map(|p| p.so_dinh_danh.as_str()).collect();
    ids.push(&stranger.so_dinh_danh);
    let a = query(&format!(
        "SELECT {PERSON_COLUMNS} FROM bhxh.nguoi_tham_gia WHERE so_dinh_danh IN ({}) ORDER BY so_dinh_danh",
        quoted(&ids)
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut expected = chosen.clone();
    expected.sort_by(|x, y| x.so_dinh_danh.cmp(&y.so_dinh_danh));
    assert_eq!(a.rows().len(), expected.len(), "{}", a.body);
    for (row, p) in a.rows().iter().zip(expected) {
        assert_person(row, p);
    }
    assert_eq!(calls(&a), 1);
}

#[tokio::test]
async fn the_whole_history_comes_back_by_personal_id() {
    // Prefer someone with an employer and a running period; without
    // businesses in the world, any long history.
    let p = persons()
        .iter()
        .find(|p| {
            p.qua_trinh_dong.len() >= 3
                && p.qua_trinh_dong
                    .iter()
                    .any(|q| q.ma_so_doanh_nghiep.is_some())
                && p.qua_trinh_dong
                    .last()
                    .is_some_and(|q| q.den_thang.is_none())
        })
        .unwrap_or_else(|| person(|p| p.qua_trinh_dong.len() >= 3));
    let a = query(&format!(
        "SELECT {PERIOD_COLUMNS} FROM bhxh.qua_trinh_dong WHERE so_dinh_danh = '{}' ORDER BY tu_thang",
        p.so_dinh_danh
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), p.qua_trinh_dong.len(), "{}", a.body);
    for (row, q) in a.rows().iter().zip(&p.qua_trinh_dong) {
        assert_period(row, p, q);
    }
    assert_eq!(a.body["columns"][6]["type"], "DECIMAL(18,0)");
    assert_eq!(calls(&a), 1);
    // Employers are businesses of the register that existed by then.
    for q in &p.qua_trinh_dong {
        if let Some(code) = &q.ma_so_doanh_nghiep {
            let b = platform()
                .world
                .businesses()
                .all()
                .iter()
                .find(|b| &b.ma_so_doanh_nghiep == code)
                .expect("the employer is registered");
            assert!(q.tu_thang.first_day() > b.ngay_thanh_lap);
        }
    }
}

#[tokio::test]
async fn histories_of_several_numbers_come_in_one_call() {
    let chosen: Vec<&InsuredPerson> = persons()
        .iter()
        .filter(|p| !p.qua_trinh_dong.is_empty())
        .skip(500)
        .step_by(11)
        .take(6)
        .collect();
    let numbers: Vec<&str> = chosen.iter().map(|p| p.ma_so_bhxh.as_str()).collect();
    let a = query(&format!(
        "SELECT {PERIOD_COLUMNS} FROM bhxh.qua_trinh_dong WHERE ma_so_bhxh IN ({}) \
         ORDER BY ma_so_bhxh, tu_thang",
        quoted(&numbers)
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut expected: Vec<(&InsuredPerson, &ContributionPeriod)> = chosen
        .iter()
        .flat_map(|p| p.qua_trinh_dong.iter().map(move |q| (*p, q)))
        .collect();
    expected.sort_by(|x, y| (&x.0.ma_so_bhxh, x.1.tu_thang).cmp(&(&y.0.ma_so_bhxh, y.1.tu_thang)));
    assert_eq!(a.rows().len(), expected.len());
    for (row, (p, q)) in a.rows().iter().zip(expected) {
        assert_period(row, p, q);
    }
    assert_eq!(calls(&a), 1);
}

#[tokio::test]
async fn a_card_is_looked_up_by_card_number() {
    let p = person(|p| p.the_bhyt.as_ref().is_some_and(|c| c.ma_doi_tuong == "TE"));
    let card = p.the_bhyt.as_ref().expect("card");
    let a = query(&format!(
        "SELECT {CARD_COLUMNS} FROM bhxh.the_bhyt WHERE ma_the = '{}'",
        card.ma_the
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 1);
    assert_card(&a.rows()[0], p, card);
    assert_eq!(calls(&a), 1);
}

#[tokio::test]
async fn the_cards_of_a_household_come_back_by_personal_id() {
    let world = &platform().world;
    // A household with at least three card holders.
    let household = world
        .citizens()
        .iter()
        .map(|c| c.ma_ho.as_str())
        .find(|ho| {
            world
                .citizens()
                .iter()
                .filter(|c| c.ma_ho == *ho)
                .filter(|c| {
                    world
                        .insurance()
                        .person_by_citizen(&c.so_dinh_danh)
                        .is_some_and(|p| p.the_bhyt.is_some())
                })
                .count()
                >= 3
        })
        .expect("a household with three cards");
    let members: Vec<&str> = world
        .citizens()
        .iter()
        .filter(|c| c.ma_ho == household)
        .map(|c| c.so_dinh_danh.as_str())
        .collect();
    let a = query(&format!(
        "SELECT {CARD_COLUMNS} FROM bhxh.the_bhyt WHERE so_dinh_danh IN ({}) ORDER BY ma_the",
        quoted(&members)
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    let mut expected: Vec<(&InsuredPerson, &HealthCard)> = members
        .iter()
        .filter_map(|id| world.insurance().person_by_citizen(id))
        .filter_map(|p| p.the_bhyt.as_ref().map(|c| (p, c)))
        .collect();
    expected.sort_by(|x, y| x.1.ma_the.cmp(&y.1.ma_the));
    assert_eq!(a.rows().len(), expected.len(), "{}", a.body);
    for (row, (p, card)) in a.rows().iter().zip(expected) {
        assert_card(row, p, card);
    }
    assert_eq!(calls(&a), 1);
    // The same cards by social insurance number.
    let numbers: Vec<&str> = members
        .iter()
        .filter_map(|id| world.insurance().person_by_citizen(id))
        .map(|p| p.ma_so_bhxh.as_str())
        .collect();
    let b = query(&format!(
        "SELECT ma_the FROM bhxh.the_bhyt WHERE ma_so_bhxh IN ({}) ORDER BY ma_the",
        quoted(&numbers)
    ))
    .await;
    assert_eq!(b.status, 200, "{}", b.body);
    let got: Vec<&Value> = b.rows().iter().map(|r| &r["ma_the"]).collect();
    let want: Vec<&Value> = a.rows().iter().map(|r| &r["ma_the"]).collect();
    assert_eq!(got, want);
}

#[tokio::test]
async fn in_lists_beyond_the_cap_are_batched() {
    let chosen: Vec<&InsuredPerson> = persons().iter().skip(1_000).step_by(3).take(120).collect();
    let numbers: Vec<&str> = chosen.iter().map(|p| p.ma_so_bhxh.as_str()).collect();
    let a = query(&format!(
        "SELECT ma_so_bhxh, ho_ten FROM bhxh.nguoi_tham_gia WHERE ma_so_bhxh IN ({})",
        quoted(&numbers)
    ))
    .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.rows().len(), 120);
    // 120 keys at 50 per call: 50 + 50 + 20.
    assert_eq!(calls(&a), 120usize.div_ceil(CAP));

    let cards: Vec<&str> = persons()
        .iter()
        .skip(3_000)
        .filter_map(|p| p.the_bhyt.as_ref().map(|c| c.ma_the.as_str()))
        .take(CAP + 1)
        .collect();
    let b = query(&format!(
        "SELECT ma_the FROM bhxh.the_bhyt WHERE ma_the IN ({})",
        quoted(&cards)
    ))
    .await;
    assert_eq!(b.status, 200, "{}", b.body);
    assert_eq!(b.rows().len(), CAP + 1);
    assert_eq!(calls(&b), 2);
}

#[tokio::test]
async fn malformed_identifiers_are_refused_before_any_call() {
    for (sql, value, reason) in [
        (
            "SELECT ho_ten FROM bhxh.nguoi_tham_gia WHERE ma_so_bhxh = '012345678'",
            "012345678",
            "10 digits",
        ),
        (
            "SELECT ho_ten FROM bhxh.nguoi_tham_gia WHERE so_dinh_danh = '003085012345'",
            "003085012345",
            "province",
        ),
        (
            "SELECT tu_thang FROM bhxh.qua_trinh_dong WHERE ma_so_bhxh IN ('0100000001', '01000000AB')",
            "01000000AB",
            "value 2 of 2",
        ),
        (
            "SELECT ma_the FROM bhxh.the_bhyt WHERE ma_the = 'DN9010123456789'",
            "DN9010123456789",
            "benefit level",
        ),
        (
            "SELECT ma_the FROM bhxh.the_bhyt WHERE ma_the = 'dn4010123456789'",
            "dn4010123456789",
            "beneficiary code",
        ),
    ] {
        let a = query(sql).await;
        assert_eq!(a.status, 400, "{sql}: {}", a.body);
        assert_eq!(a.code(), "connector_rejected_request", "{sql}");
        assert!(a.message().contains(reason), "{sql}: {}", a.message());
        assert!(!a.message().contains(value), "echoed: {}", a.message());
        assert_eq!(calls(&a), 0, "{sql} reached the upstream");
    }
}

/// A well-formed social insurance number nobody holds, for one test's faults.
fn dedicated_number(suffix: u32) -> String {
    let n = format!("98{suffix:08}");
    assert!(platform().world.insurance().person(&n).is_none());
    n
}

fn inject_for(number: &str, status: Option<u16>, body: &str) {
    platform().upstreams.bhxh.sim().inject(Fault {
        status,
        count: 1,
        body: Some(body.to_owned()),
        body_contains: Some(format!(">{number}<")),
        ..Fault::default()
    });
}

fn soap_fault(code: &str, message: &str, error: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">\
         <soap:Body><soap:Fault><faultcode>{code}</faultcode><faultstring>{message}</faultstring>\
         <detail><LoiNghiepVu xmlns=\"http://baohiemxahoi.gov.vn/ws/tracuu\"><MaLoi>{error}</MaLoi></LoiNghiepVu></detail>\
         </soap:Fault></soap:Body></soap:Envelope>"
    )
}

#[tokio::test]
async fn a_soap_fault_is_an_upstream_error_with_its_code_and_text() {
    let number = dedicated_number(1);
    inject_for(
        &number,
        Some(500),
        &soap_fault(
            "soap:Server",
            "Hệ thống đang bảo trì, vui lòng thử lại sau",
            "99",
        ),
    );
    let a = query(&format!(
        "SELECT ho_ten FROM bhxh.nguoi_tham_gia WHERE ma_so_bhxh = '{number}'"
    ))
    .await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "upstream_error");
    assert!(
        a.message().contains("SOAP Fault (soap:Server"),
        "{}",
        a.message()
    );
    assert!(
        a.message().contains("Hệ thống đang bảo trì"),
        "{}",
        a.message()
    );
    assert_eq!(calls(&a), 1);
    // The fault was used up: the same query now finds nothing.
    let b = query(&format!(
        "SELECT ho_ten FROM bhxh.nguoi_tham_gia WHERE ma_so_bhxh = '{number}'"
    ))
    .await;
    assert_eq!(b.status, 200, "{}", b.body);
    assert!(b.rows().is_empty());
}

#[tokio::test]
async fn a_refused_login_says_so_without_echoing_credentials() {
    let number = dedicated_number(2);
    inject_for(
        &number,
        Some(500),
        &soap_fault(
            "soap:Client",
            "Xác thực không thành công: lgsp/test-bhxh-password",
            "01",
        ),
    );
    let a = query(&format!(
        "SELECT ma_the FROM bhxh.the_bhyt WHERE ma_so_bhxh = '{number}'"
    ))
    .await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "upstream_error");
    assert!(
        a.message().contains("refused the connector's credentials"),
        "{}",
        a.message()
    );
    assert!(
        !a.message().contains("test-bhxh-password"),
        "{}",
        a.message()
    );
}

#[tokio::test]
async fn malformed_xml_is_an_upstream_error() {
    let number = dedicated_number(3);
    inject_for(
        &number,
        None,
        "<?xml version=\"1.0\"?><soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\"><soap:Body><TraCuuQuaTrinhDongResponse>",
    );
    let a = query(&format!(
        "SELECT tu_thang FROM bhxh.qua_trinh_dong WHERE ma_so_bhxh = '{number}'"
    ))
    .await;
    assert_eq!(a.status, 502, "{}", a.body);
    assert_eq!(a.code(), "upstream_error");
    assert!(a.message().contains("could not be read"), "{}", a.message());
    assert_eq!(calls(&a), 1);
}

#[tokio::test]
async fn the_health_check_asks_the_soap_service() {
    let body: Value = client()
        .get(format!("{}/v1/health/services", platform().url))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    let bhxh = body["services"]
        .as_array()
        .expect("services")
        .iter()
        .find(|s| s["name"] == "bhxh")
        .expect("bhxh is loaded");
    assert_eq!(bhxh["status"], "up", "{bhxh}");
    assert_eq!(bhxh["dependencies"][0]["name"], "bhxh-tra-cuu");
    assert_eq!(bhxh["dependencies"][0]["status"], "up", "{bhxh}");
}

#[tokio::test]
async fn the_service_publishes_its_wsdl() {
    let response = client()
        .get(format!(
            "{}/ws/TraCuuBhxh?wsdl",
            platform().upstreams.bhxh.base_url()
        ))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status().as_u16(), 200);
    let wsdl = response.text().await.expect("text");
    for operation in [
        "TraCuuNguoiThamGia",
        "TraCuuQuaTrinhDong",
        "TraCuuTheBhyt",
        "KiemTraHoatDong",
    ] {
        let action = format!("soapAction=\"http://baohiemxahoi.gov.vn/ws/tracuu/{operation}\"");
        assert!(wsdl.contains(&action), "{operation}");
    }
    assert!(wsdl.contains("maxOccurs=\"50\""));
}
