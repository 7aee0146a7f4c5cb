//! The simulated social insurance service (Vietnam Social Security, BHXH): a
//! SOAP 1.1 web service with WS-Security `UsernameToken` authentication.
//!
//! `POST /ws/TraCuuBhxh` (`text/xml; charset=utf-8`, `SOAPAction` naming the
//! operation) and `GET /ws/TraCuuBhxh?wsdl`. Operations:
//!
//! * `TraCuuNguoiThamGia`: insured persons by a list of `MaSoBhxh` or `SoDinhDanh`;
//! * `TraCuuQuaTrinhDong`: their contribution history;
//! * `TraCuuTheBhyt`: health-insurance cards by `MaSoBhxh`, `SoDinhDanh` or `MaThe`;
//! * `KiemTraHoatDong`: health.
//!
//! At most [`MAX_KEYS`] keys per call. Errors are SOAP Faults (HTTP 500) with a
//! Vietnamese `faultstring` and a business error code in `detail`.
//!
//! The wire format deliberately differs from LGSP's model, as the real system
//! does: gender `1` = Nam / `0` = Nữ, dates `yyyyMMdd`, periods `MM/yyyy`, the
//! contribution kind by name, amounts as plain integers, and the province as
//! the pre-2025 code for records created before 2025-07-01.

mod wsdl;
mod xml;

use crate::sim::{self, Sim};
use crate::wire::{digits, name_or_code};
use crate::world::World;
use crate::world::insurance::InsuredPerson;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::{Router, routing};
use lgsp_catalogs::{contribution_types, health_card_beneficiaries};
use std::collections::HashMap;
use std::sync::Arc;
use xml::esc;

/// The service's path.
pub const PATH: &str = "/ws/TraCuuBhxh";
/// Target namespace of the service's messages.
pub const NS: &str = "http://baohiemxahoi.gov.vn/ws/tracuu";
/// SOAP 1.1 envelope namespace.
pub const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// WS-Security 1.0 namespace.
pub const WSSE_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
/// The user name the platform is registered under.
pub const USERNAME: &str = "lgsp";
/// Most keys accepted in one call.
pub const MAX_KEYS: usize = 50;

/// Business error codes sent in a Fault's `detail/MaLoi`.
pub mod error_code {
    /// Authentication failed (WS-Security).
    pub const AUTH: &str = "01";
    /// A malformed request or key.
    pub const INVALID: &str = "02";
    /// Too many keys in one call.
    pub const TOO_MANY: &str = "03";
    /// Unknown operation.
    pub const OPERATION: &str = "04";
}

#[derive(Clone)]
struct AppState {
    world: Arc<World>,
    password: Arc<str>,
}

/// The social insurance SOAP service. Authentication is part of each SOAP
/// message (WS-Security), so it is checked by the handler.
pub(crate) fn routes(world: Arc<World>, api_key: &str, sim: Arc<Sim>) -> Router {
    let state = AppState {
        world,
        password: api_key.into(),
    };
    Router::new()
        .route(PATH, routing::post(soap).get(wsdl))
        .route_layer(middleware::from_fn_with_state(sim, sim::observe))
        .with_state(state)
}

async fn wsdl(Query(q): Query<HashMap<String, String>>, headers: HeaderMap) -> Response {
    if !q.contains_key("wsdl") && !q.contains_key("WSDL") {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "POST")],
            "Dịch vụ SOAP: gửi POST, hoặc GET ?wsdl để lấy mô tả dịch vụ",
        )
            .into_response();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    (
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        wsdl::document(&format!("http://{host}{PATH}")),
    )
        .into_response()
}

async fn soap(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let content_type = header(header::CONTENT_TYPE);
    let action = headers.get("soapaction").and_then(|v| v.to_str().ok());
    let (status, xml) = handle(&state.world, &state.password, content_type, action, &body);
    (
        status,
        [(header::CONTENT_TYPE, "text/xml; charset=utf-8")],
        xml,
    )
        .into_response()
}

/// A SOAP Fault about to be sent.
#[derive(Debug)]
struct Fault {
    server: bool,
    code: &'static str,
    message: String,
}

impl Fault {
    fn client(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            server: false,
            code,
            message: message.into(),
        }
    }
}

/// Answers one SOAP request: `(status, body)`.
fn handle(
    world: &World,
    password: &str,
    content_type: Option<&str>,
    action: Option<&str>,
    body: &[u8],
) -> (StatusCode, String) {
    match answer(world, password, content_type, action, body) {
        Ok(xml) => (StatusCode::OK, xml),
        Err(f) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            xml::fault(
                if f.server {
                    "soap:Server"
                } else {
                    "soap:Client"
                },
                &f.message,
                f.code,
            ),
        ),
    }
}

fn answer(
    world: &World,
    password: &str,
    content_type: Option<&str>,
    action: Option<&str>,
    body: &[u8],
) -> Result<String, Fault> {
    use error_code::{AUTH, INVALID, OPERATION};
    if !content_type.is_some_and(|c| c.trim_start().to_ascii_lowercase().starts_with("text/xml")) {
        return Err(Fault::client(
            INVALID,
            "Kiểu nội dung phải là text/xml; charset=utf-8 (SOAP 1.1)",
        ));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| Fault::client(INVALID, "Yêu cầu phải được mã hóa UTF-8"))?;
    let doc = roxmltree::Document::parse(text)
        .map_err(|_| Fault::client(INVALID, "Yêu cầu không phải là tài liệu XML hợp lệ"))?;
    let envelope = doc.root_element();
    if !envelope.has_tag_name((SOAP_NS, "Envelope")) {
        return Err(Fault::client(
            INVALID,
            "Thiếu phần tử soap:Envelope (SOAP 1.1)",
        ));
    }
    if !authenticated(envelope, password) {
        return Err(Fault::client(
            AUTH,
            "Xác thực không thành công: tên đăng nhập hoặc mật khẩu không đúng",
        ));
    }
    let operation = child(envelope, SOAP_NS, "Body")
        .and_then(|b| b.children().find(roxmltree::Node::is_element))
        .ok_or_else(|| Fault::client(INVALID, "Thân thông điệp (soap:Body) rỗng"))?;
    let name = operation.tag_name().name();
    if operation.tag_name().namespace() != Some(NS) {
        return Err(Fault::client(
            OPERATION,
            format!("Thao tác phải thuộc không gian tên {NS}"),
        ));
    }
    let expected_action = format!("{NS}/{name}");
    if action.map(|a| a.trim().trim_matches('"')) != Some(expected_action.as_str()) {
        return Err(Fault::client(
            INVALID,
            format!("Tiêu đề SOAPAction phải là \"{expected_action}\""),
        ));
    }
    match name {
        "TraCuuNguoiThamGia" => {
            let persons = lookup(world, operation, false)?;
            Ok(xml::persons(&persons))
        }
        "TraCuuQuaTrinhDong" => {
            let persons = lookup(world, operation, false)?;
            Ok(xml::history(&persons))
        }
        "TraCuuTheBhyt" => {
            let persons = lookup(world, operation, true)?;
            Ok(xml::cards(&persons))
        }
        "KiemTraHoatDong" => Ok(xml::health(world.insurance().persons().len())),
        other => Err(Fault::client(
            OPERATION,
            format!("Thao tác không được hỗ trợ: {}", esc(other)),
        )),
    }
}

fn child<'a, 'i>(
    node: roxmltree::Node<'a, 'i>,
    ns: &str,
    name: &str,
) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name((ns, name)))
}

/// WS-Security 1.0 `UsernameToken` with a `PasswordText` password.
fn authenticated(envelope: roxmltree::Node<'_, '_>, password: &str) -> bool {
    let Some(token) = child(envelope, SOAP_NS, "Header")
        .and_then(|h| child(h, WSSE_NS, "Security"))
        .and_then(|s| child(s, WSSE_NS, "UsernameToken"))
    else {
        return false;
    };
    let text = |name| {
        child(token, WSSE_NS, name)
            .and_then(|n| n.text())
            .unwrap_or("")
    };
    text("Username") == USERNAME && text("Password") == password
}

/// The persons a lookup names, with the keys nobody holds.
struct Found<'w> {
    persons: Vec<&'w InsuredPerson>,
    missing: Vec<String>,
}

/// Reads exactly one key list (`DanhSachMaSoBhxh`, `DanhSachSoDinhDanh` or,
/// for cards, `DanhSachMaThe`), checks it and looks the keys up.
fn lookup<'w>(
    world: &'w World,
    operation: roxmltree::Node<'_, '_>,
    cards: bool,
) -> Result<Found<'w>, Fault> {
    use error_code::{INVALID, TOO_MANY};
    type Check = fn(&str) -> bool;
    let mut lists: Vec<(&str, &str, &str, Check)> = vec![
        ("DanhSachMaSoBhxh", "MaSoBhxh", "Mã số BHXH", |k| {
            digits(k, 10)
        }),
        (
            "DanhSachSoDinhDanh",
            "SoDinhDanh",
            "Số định danh cá nhân",
            |k| digits(k, 12),
        ),
    ];
    if cards {
        lists.push(("DanhSachMaThe", "MaThe", "Mã thẻ BHYT", |k| {
            lgsp_catalogs::ids::health_card_number(k).is_ok()
        }));
    }
    let given: Vec<_> = lists
        .iter()
        .filter_map(|l| child(operation, NS, l.0).map(|n| (l, n)))
        .collect();
    let [(list, node)] = given.as_slice() else {
        let names: Vec<&str> = lists.iter().map(|l| l.0).collect();
        return Err(Fault::client(
            INVALID,
            format!("Yêu cầu phải có đúng một danh sách: {}", names.join(", ")),
        ));
    };
    let (_, item, label, check) = **list;
    let keys: Vec<&str> = node
        .children()
        .filter(|n| n.has_tag_name((NS, item)))
        .map(|n| n.text().unwrap_or("").trim())
        .collect();
    if keys.len() > MAX_KEYS {
        return Err(Fault::client(
            TOO_MANY,
            format!(
                "Vượt quá số lượng cho phép: tối đa {MAX_KEYS} mã mỗi yêu cầu (nhận {})",
                keys.len()
            ),
        ));
    }
    if let Some(bad) = keys.iter().position(|k| !check(k)) {
        return Err(Fault::client(
            INVALID,
            format!("{label} thứ {} không đúng định dạng", bad + 1),
        ));
    }
    let ins = world.insurance();
    let mut found = Found {
        persons: Vec::new(),
        missing: Vec::new(),
    };
    for key in keys {
        let person = match item {
            "MaSoBhxh" => ins.person(key),
            "SoDinhDanh" => ins.person_by_citizen(key),
            _ => ins.card(key).map(|(p, _)| p),
        };
        match person {
            Some(p) if !found.persons.iter().any(|q| q.ma_so_bhxh == p.ma_so_bhxh) => {
                found.persons.push(p);
            }
            Some(_) => {}
            None => found.missing.push(key.to_owned()),
        }
    }
    Ok(found)
}

fn yyyymmdd(d: crate::world::Date) -> String {
    format!("{:04}{:02}{:02}", d.year, d.month, d.day)
}

fn contribution_name(code: &str) -> &str {
    name_or_code(contribution_types(), code)
}

fn beneficiary_name(code: &str) -> &str {
    name_or_code(health_card_beneficiaries(), code)
}

#[cfg(test)]
mod tests;
