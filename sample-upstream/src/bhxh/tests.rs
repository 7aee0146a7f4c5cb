use super::*;
use crate::world::WorldConfig;
use std::sync::OnceLock;

const PASSWORD: &str = "mật-khẩu&<thử>";

fn world() -> &'static World {
    static WORLD: OnceLock<World> = OnceLock::new();
    WORLD.get_or_init(|| World::generate(&WorldConfig::scaled(7, 3_000, None)))
}

fn envelope(password: &str, operation: &str, inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="{SOAP_NS}" xmlns:t="{NS}" xmlns:w="{WSSE_NS}">
  <s:Header><w:Security s:mustUnderstand="1"><w:UsernameToken>
    <w:Username>lgsp</w:Username><w:Password>{}</w:Password>
  </w:UsernameToken></w:Security></s:Header>
  <s:Body><t:{operation}>{inner}</t:{operation}></s:Body>
</s:Envelope>"#,
        esc(password)
    )
}

fn keys(list: &str, item: &str, keys: &[&str]) -> String {
    let items: String = keys
        .iter()
        .map(|k| format!("<t:{item}>{k}</t:{item}>"))
        .collect();
    format!("<t:{list}>{items}</t:{list}>")
}

fn call(password: &str, operation: &str, inner: &str) -> (StatusCode, String) {
    let action = format!("\"{NS}/{operation}\"");
    handle(
        world(),
        PASSWORD,
        Some("text/xml; charset=utf-8"),
        Some(&action),
        envelope(password, operation, inner).as_bytes(),
    )
}

/// `(faultcode, MaLoi)` of a Fault answer.
fn fault_of(status: StatusCode, xml: &str) -> (String, String) {
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{xml}");
    let doc = roxmltree::Document::parse(xml).expect("a fault is XML");
    let text = |name: &str| {
        doc.descendants()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(!text("faultstring").is_empty());
    (text("faultcode"), text("MaLoi"))
}

fn texts(xml: &str, name: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("XML");
    doc.descendants()
        .filter(|n| n.tag_name().name() == name)
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn looks_up_persons_by_number_with_the_wire_conventions() {
    let p = world()
        .insurance()
        .persons()
        .iter()
        .find(|p| p.gioi_tinh == crate::world::Sex::Female && p.ma_tinh_ghi_nhan != p.ma_tinh)
        .expect("someone recorded under an old province code");
    let unknown = "9999999999";
    let (status, xml) = call(
        PASSWORD,
        "TraCuuNguoiThamGia",
        &keys("DanhSachMaSoBhxh", "MaSoBhxh", &[&p.ma_so_bhxh, unknown]),
    );
    assert_eq!(status, StatusCode::OK, "{xml}");
    assert_eq!(texts(&xml, "MaKetQua"), ["00"]);
    assert_eq!(texts(&xml, "MaSoBhxh"), [p.ma_so_bhxh.as_str()]);
    assert_eq!(texts(&xml, "HoTen"), [p.ho_ten.as_str()]);
    assert_eq!(texts(&xml, "GioiTinh"), ["0"]);
    assert_eq!(texts(&xml, "NgaySinh"), [yyyymmdd(p.ngay_sinh)]);
    assert_eq!(texts(&xml, "MaTinh"), [p.ma_tinh_ghi_nhan.as_str()]);
    assert_eq!(texts(&xml, "Ma"), [unknown]);
}

#[test]
fn history_and_cards_follow_the_person() {
    let p = world()
        .insurance()
        .persons()
        .iter()
        .find(|p| p.qua_trinh_dong.len() >= 2 && p.the_bhyt.is_some())
        .expect("a person with a history");
    let (status, xml) = call(
        PASSWORD,
        "TraCuuQuaTrinhDong",
        &keys("DanhSachSoDinhDanh", "SoDinhDanh", &[&p.so_dinh_danh]),
    );
    assert_eq!(status, StatusCode::OK, "{xml}");
    let from: Vec<String> = p
        .qua_trinh_dong
        .iter()
        .map(|q| q.tu_thang.to_mm_yyyy())
        .collect();
    assert_eq!(texts(&xml, "TuThang"), from);
    let kinds = texts(&xml, "LoaiDong");
    assert!(
        kinds
            .iter()
            .all(|k| contribution_types().find_by_name(k).is_some()),
        "{kinds:?}"
    );
    let card = p.the_bhyt.as_ref().expect("card");
    let (status, xml) = call(
        PASSWORD,
        "TraCuuTheBhyt",
        &keys("DanhSachMaThe", "MaThe", &[&card.ma_the]),
    );
    assert_eq!(status, StatusCode::OK, "{xml}");
    assert_eq!(texts(&xml, "MaThe"), [card.ma_the.as_str()]);
    assert_eq!(texts(&xml, "GiaTriDen"), [yyyymmdd(card.gia_tri_den)]);
    assert_eq!(texts(&xml, "MaCoSo"), [card.ma_noi_dang_ky_kcb.as_str()]);
}

#[test]
fn a_wrong_password_is_a_client_fault_that_does_not_echo_it() {
    let (status, xml) = call(
        "sai-mat-khau",
        "TraCuuNguoiThamGia",
        &keys("DanhSachMaSoBhxh", "MaSoBhxh", &["0100000001"]),
    );
    assert!(!xml.contains("sai-mat-khau"));
    assert_eq!(
        fault_of(status, &xml),
        ("soap:Client".to_owned(), error_code::AUTH.to_owned())
    );
    // No security header at all.
    let bare = format!(
        r#"<s:Envelope xmlns:s="{SOAP_NS}"><s:Body><t:KiemTraHoatDong xmlns:t="{NS}"/></s:Body></s:Envelope>"#
    );
    let (status, xml) = handle(
        world(),
        PASSWORD,
        Some("text/xml"),
        Some(&format!("{NS}/KiemTraHoatDong")),
        bare.as_bytes(),
    );
    assert_eq!(fault_of(status, &xml).1, error_code::AUTH);
}

#[test]
fn more_than_the_cap_is_a_fault() {
    let many: Vec<String> = (0..=MAX_KEYS).map(|i| format!("01{i:08}")).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let (status, xml) = call(
        PASSWORD,
        "TraCuuNguoiThamGia",
        &keys("DanhSachMaSoBhxh", "MaSoBhxh", &refs),
    );
    assert_eq!(fault_of(status, &xml).1, error_code::TOO_MANY);
    let (status, _) = call(
        PASSWORD,
        "TraCuuNguoiThamGia",
        &keys("DanhSachMaSoBhxh", "MaSoBhxh", &refs[..MAX_KEYS]),
    );
    assert_eq!(status, StatusCode::OK);
}

#[test]
fn malformed_requests_are_client_faults() {
    let invalid = error_code::INVALID.to_owned();
    let client = |status, xml: &str| fault_of(status, xml);
    // A malformed key, by position.
    let (status, xml) = call(
        PASSWORD,
        "TraCuuNguoiThamGia",
        &keys("DanhSachMaSoBhxh", "MaSoBhxh", &["0100000001", "12AB"]),
    );
    assert_eq!(
        client(status, &xml),
        ("soap:Client".into(), invalid.clone())
    );
    assert!(xml.contains("thứ 2"), "{xml}");
    // Two key lists, or none.
    let two = format!(
        "{}{}",
        keys("DanhSachMaSoBhxh", "MaSoBhxh", &["0100000001"]),
        keys("DanhSachSoDinhDanh", "SoDinhDanh", &["001085012345"])
    );
    let (status, xml) = call(PASSWORD, "TraCuuNguoiThamGia", &two);
    assert_eq!(client(status, &xml).1, invalid);
    let (status, xml) = call(PASSWORD, "TraCuuNguoiThamGia", "");
    assert_eq!(client(status, &xml).1, invalid);
    // Cards only by card number.
    let (status, xml) = call(
        PASSWORD,
        "TraCuuNguoiThamGia",
        &keys("DanhSachMaThe", "MaThe", &["DN4010123456789"]),
    );
    assert_eq!(client(status, &xml).1, invalid);
    // Unknown operation, wrong SOAPAction, not XML, wrong content type.
    let (status, xml) = call(PASSWORD, "XoaDuLieu", "");
    assert_eq!(client(status, &xml).1, error_code::OPERATION);
    let body = envelope(PASSWORD, "KiemTraHoatDong", "");
    let (status, xml) = handle(
        world(),
        PASSWORD,
        Some("text/xml"),
        Some("urn:other"),
        body.as_bytes(),
    );
    assert_eq!(client(status, &xml).1, invalid);
    let (status, xml) = handle(world(), PASSWORD, Some("text/xml"), None, b"<a><b></a>");
    assert_eq!(client(status, &xml).1, invalid);
    let (status, xml) = handle(
        world(),
        PASSWORD,
        Some("application/json"),
        Some(&format!("{NS}/KiemTraHoatDong")),
        body.as_bytes(),
    );
    assert_eq!(client(status, &xml).1, invalid);
}

#[test]
fn health_and_wsdl() {
    let (status, xml) = call(PASSWORD, "KiemTraHoatDong", "");
    assert_eq!(status, StatusCode::OK, "{xml}");
    assert_eq!(texts(&xml, "TrangThai"), ["HOAT_DONG"]);
    let wsdl = wsdl::document("http://127.0.0.1:1/ws/TraCuuBhxh");
    let doc = roxmltree::Document::parse(&wsdl).expect("the WSDL is XML");
    let actions: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("soapAction"))
        .collect();
    assert_eq!(actions.len(), 4);
    assert!(actions.contains(&format!("{NS}/TraCuuTheBhyt").as_str()));
}

#[test]
fn escaping_keeps_text_intact() {
    assert_eq!(
        esc("A & <b> \"c\" 'd'"),
        "A &amp; &lt;b&gt; &quot;c&quot; &apos;d&apos;"
    );
    let xml = xml::fault("soap:Server", "Lỗi <nội bộ> & khác", "99");
    assert_eq!(texts(&xml, "faultstring"), ["Lỗi <nội bộ> & khác"]);
}
