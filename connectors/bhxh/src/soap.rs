//! SOAP 1.1 messages of the social insurance service: building request
//! envelopes (with WS-Security `UsernameToken`) and reading responses, Faults
//! included. Pure functions, so they are tested natively.

use lgsp_guest::{Error, Result};

/// SOAP 1.1 envelope namespace.
pub(crate) const SOAP_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The service's message namespace.
pub(crate) const NS: &str = "http://baohiemxahoi.gov.vn/ws/tracuu";
/// WS-Security 1.0.
const WSSE_NS: &str =
    "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
const PASSWORD_TEXT: &str = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText";
/// The Fault detail code the service uses for refused credentials.
const AUTH_ERROR: &str = "01";
/// Longest part of an upstream Fault message passed on to the consumer.
const MAX_FAULT_TEXT: usize = 300;

/// Escapes text for XML element content and attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A key list of a lookup: `<list><item>key</item>...</list>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyList {
    /// The list element, e.g. `DanhSachMaSoBhxh`.
    pub(crate) list: &'static str,
    /// The item element, e.g. `MaSoBhxh`.
    pub(crate) item: &'static str,
}

/// The request envelope for `operation` with the given keys.
pub(crate) fn request(
    username: &str,
    password: &str,
    operation: &str,
    keys: Option<(KeyList, &[String])>,
) -> String {
    let mut body = String::new();
    if let Some((list, keys)) = keys {
        body.push_str(&format!("<bhxh:{}>", list.list));
        for key in keys {
            body.push_str(&format!(
                "<bhxh:{item}>{}</bhxh:{item}>",
                escape(key),
                item = list.item
            ));
        }
        body.push_str(&format!("</bhxh:{}>", list.list));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<soap:Envelope xmlns:soap=\"{SOAP_NS}\" xmlns:bhxh=\"{NS}\" xmlns:wsse=\"{WSSE_NS}\">\
<soap:Header><wsse:Security soap:mustUnderstand=\"1\"><wsse:UsernameToken>\
<wsse:Username>{}</wsse:Username><wsse:Password Type=\"{PASSWORD_TEXT}\">{}</wsse:Password>\
</wsse:UsernameToken></wsse:Security></soap:Header>\
<soap:Body><bhxh:{operation}>{body}</bhxh:{operation}></soap:Body></soap:Envelope>",
        escape(username),
        escape(password),
    )
}

/// One record of a response list: its child elements' texts, nested elements
/// flattened as `Parent/Child`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Record(Vec<(String, String)>);

impl Record {
    /// The trimmed text of field `name`; `None` when absent or empty.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    fn read(node: roxmltree::Node<'_, '_>) -> Self {
        let mut fields = Vec::new();
        for child in node.children().filter(roxmltree::Node::is_element) {
            let name = child.tag_name().name();
            let nested: Vec<_> = child
                .children()
                .filter(roxmltree::Node::is_element)
                .collect();
            if nested.is_empty() {
                fields.push((name.to_owned(), text(child)));
            } else {
                for n in nested {
                    fields.push((format!("{name}/{}", n.tag_name().name()), text(n)));
                }
            }
        }
        Self(fields)
    }
}

fn text(node: roxmltree::Node<'_, '_>) -> String {
    node.children().filter_map(|n| n.text()).collect::<String>()
}

fn unreadable(why: &str) -> Error {
    Error::upstream_error(format!(
        "the upstream's SOAP response could not be read: {why}"
    ))
}

fn element<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children()
        .find(|n| n.is_element() && n.tag_name().name() == name)
}

/// The XML document a response body holds.
fn document(body: &[u8]) -> Result<roxmltree::Document<'_>> {
    let xml = std::str::from_utf8(body).map_err(|_| unreadable("it is not UTF-8 text"))?;
    roxmltree::Document::parse(xml).map_err(|_| unreadable("it is not well-formed XML"))
}

/// The element in the SOAP Body under `envelope`, or the typed error of the
/// Fault it is.
fn payload<'a, 'i>(envelope: roxmltree::Node<'a, 'i>) -> Result<roxmltree::Node<'a, 'i>> {
    let payload = envelope
        .children()
        .find(|n| n.has_tag_name((SOAP_NS, "Body")))
        .and_then(|b| b.children().find(roxmltree::Node::is_element))
        .ok_or_else(|| unreadable("the SOAP body is empty"))?;
    if payload.has_tag_name((SOAP_NS, "Fault")) {
        return Err(fault(payload));
    }
    Ok(payload)
}

/// What a response to `operation` should hold: the list element and the
/// element of each record in it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Expect<'a> {
    /// The operation called, e.g. `TraCuuNguoiThamGia`.
    pub(crate) operation: &'a str,
    /// The list element, e.g. `DanhSachNguoiThamGia`.
    pub(crate) list: &'a str,
    /// Each record's element, e.g. `NguoiThamGia`.
    pub(crate) item: &'a str,
}

/// Reads a response: the records of `expect.list`, or the typed error a Fault,
/// a failure result code, or an unreadable body stands for.
///
/// # Errors
/// `upstream-error`: a SOAP Fault (with its faultcode and faultstring, except
/// for refused credentials), a result code other than `00`, or a body that is
/// not the expected SOAP message.
pub(crate) fn parse_response(body: &[u8], expect: Expect<'_>) -> Result<Vec<Record>> {
    let doc = document(body)?;
    let envelope = doc.root_element();
    if !envelope.has_tag_name((SOAP_NS, "Envelope")) {
        return Err(unreadable("it is not a SOAP 1.1 envelope"));
    }
    let payload = payload(envelope)?;
    let response_name = format!("{}Response", expect.operation);
    if payload.tag_name().name() != response_name {
        return Err(unreadable(&format!(
            "expected {response_name}, got another element"
        )));
    }
    let result = element(payload, "KetQua")
        .and_then(|k| element(k, "MaKetQua"))
        .map(text)
        .ok_or_else(|| unreadable("the result code (KetQua/MaKetQua) is missing"))?;
    if result.trim() != "00" {
        let message = element(payload, "KetQua")
            .and_then(|k| element(k, "ThongDiep"))
            .map(text)
            .unwrap_or_default();
        return Err(Error::upstream_error(format!(
            "the upstream answered with result code {}: {}",
            clip(&result),
            clip(&message)
        )));
    }
    let list = element(payload, expect.list)
        .ok_or_else(|| unreadable(&format!("the list {} is missing", expect.list)))?;
    Ok(list
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == expect.item)
        .map(Record::read)
        .collect())
}

/// The error a SOAP Fault in `body` stands for, if `body` is one (for
/// answers with an HTTP error status).
pub(crate) fn fault_in(body: &[u8]) -> Option<Error> {
    let doc = roxmltree::Document::parse(std::str::from_utf8(body).ok()?).ok()?;
    let envelope = doc.root_element();
    if !envelope.has_tag_name((SOAP_NS, "Envelope")) {
        return None;
    }
    envelope
        .children()
        .find(|n| n.has_tag_name((SOAP_NS, "Body")))?
        .children()
        .find(|n| n.has_tag_name((SOAP_NS, "Fault")))
        .map(fault)
}

/// A response that only needs to be a success (the health operation).
///
/// # Errors
/// As [`parse_response`].
pub(crate) fn check_status(body: &[u8], operation: &str) -> Result<()> {
    let doc = document(body)?;
    let payload = payload(doc.root_element())?;
    let ok = payload.tag_name().name() == format!("{operation}Response")
        && element(payload, "KetQua")
            .and_then(|k| element(k, "MaKetQua"))
            .is_some_and(|c| text(c).trim() == "00");
    if ok {
        Ok(())
    } else {
        Err(unreadable("the health answer does not report success"))
    }
}

/// Collapses whitespace and cuts long upstream text.
fn clip(s: &str) -> String {
    let mut out: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if out.chars().count() > MAX_FAULT_TEXT {
        out = out.chars().take(MAX_FAULT_TEXT).collect();
        out.push('…');
    }
    out
}

/// A SOAP 1.1 Fault → `upstream-error`.
fn fault(node: roxmltree::Node<'_, '_>) -> Error {
    let code = element(node, "faultcode").map(text).unwrap_or_default();
    let message = element(node, "faultstring").map(text).unwrap_or_default();
    let detail_code = element(node, "detail")
        .and_then(|d| {
            d.descendants()
                .find(|n| n.is_element() && n.tag_name().name() == "MaLoi")
        })
        .map(text)
        .map(|c| c.trim().to_owned());
    let code = clip(&code);
    let auth = detail_code.as_deref() == Some(AUTH_ERROR)
        || code.ends_with("FailedAuthentication")
        || code.ends_with("InvalidSecurity");
    if auth {
        // The Fault text may repeat what was sent; say only what to fix.
        return Error::upstream_error(format!(
            "the upstream refused the connector's credentials (SOAP Fault {code}); \
             check the username and password in the connector's configuration"
        ));
    }
    let detail = detail_code
        .map(|c| format!(", error {}", clip(&c)))
        .unwrap_or_default();
    Error::upstream_error(format!(
        "the upstream answered with a SOAP Fault ({code}{detail}): {}",
        clip(&message)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PERSONS: Expect<'static> = Expect {
        operation: "TraCuuNguoiThamGia",
        list: "DanhSachNguoiThamGia",
        item: "NguoiThamGia",
    };

    fn wrap(body: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><soap:Envelope xmlns:soap=\"{SOAP_NS}\"><soap:Body>{body}</soap:Body></soap:Envelope>"
        )
    }

    #[test]
    fn builds_an_escaped_envelope_with_the_token() {
        let xml = request(
            "lgsp",
            "p<&>\"'",
            "TraCuuNguoiThamGia",
            Some((
                KeyList {
                    list: "DanhSachMaSoBhxh",
                    item: "MaSoBhxh",
                },
                &["0100000001".to_owned(), "0100000002".to_owned()],
            )),
        );
        let doc = roxmltree::Document::parse(&xml).expect("well-formed");
        let password = doc
            .descendants()
            .find(|n| n.has_tag_name((WSSE_NS, "Password")))
            .and_then(|n| n.text());
        assert_eq!(password, Some("p<&>\"'"));
        let keys: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name((NS, "MaSoBhxh")))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(keys, ["0100000001", "0100000002"]);
        assert!(
            doc.descendants()
                .any(|n| n.has_tag_name((NS, "TraCuuNguoiThamGia")))
        );
    }

    #[test]
    fn reads_records_with_nested_fields() {
        let xml = wrap(&format!(
            "<TraCuuNguoiThamGiaResponse xmlns=\"{NS}\"><KetQua><MaKetQua>00</MaKetQua><ThongDiep>Thành công</ThongDiep></KetQua>\
             <DanhSachNguoiThamGia>\
               <NguoiThamGia><MaSoBhxh>0100000001</MaSoBhxh><HoTen>Nguyễn Văn &amp; An</HoTen><DenThang/>\
                 <NoiDangKyKcb><MaCoSo>01012</MaCoSo></NoiDangKyKcb></NguoiThamGia>\
               <NguoiThamGia><MaSoBhxh>0100000002</MaSoBhxh></NguoiThamGia>\
             </DanhSachNguoiThamGia><KhongTimThay><Ma>0100000003</Ma></KhongTimThay></TraCuuNguoiThamGiaResponse>"
        ));
        let records = parse_response(xml.as_bytes(), PERSONS).expect("parses");
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].get("HoTen"), Some("Nguyễn Văn & An"));
        assert_eq!(records[0].get("DenThang"), None);
        assert_eq!(records[0].get("NoiDangKyKcb/MaCoSo"), Some("01012"));
        assert_eq!(records[1].get("MaSoBhxh"), Some("0100000002"));
        assert_eq!(records[1].get("HoTen"), None);
    }

    #[test]
    fn faults_become_upstream_errors() {
        let xml = wrap(
            "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>Lỗi hệ thống,\n  vui lòng thử lại</faultstring>\
             <detail><LoiNghiepVu><MaLoi>99</MaLoi></LoiNghiepVu></detail></soap:Fault>",
        );
        let e = parse_response(xml.as_bytes(), PERSONS).expect_err("fault");
        assert_eq!(e.kind(), lgsp_guest::ErrorKind::UpstreamError);
        assert!(e.message().contains("soap:Server"), "{e}");
        assert!(e.message().contains("error 99"), "{e}");
        assert!(
            e.message().contains("Lỗi hệ thống, vui lòng thử lại"),
            "{e}"
        );
    }

    #[test]
    fn auth_faults_do_not_echo_the_fault_text() {
        let xml = wrap(
            "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Sai mật khẩu s3cr3t</faultstring>\
             <detail><LoiNghiepVu><MaLoi>01</MaLoi></LoiNghiepVu></detail></soap:Fault>",
        );
        let e = parse_response(xml.as_bytes(), PERSONS).expect_err("fault");
        assert!(
            e.message().contains("refused the connector's credentials"),
            "{e}"
        );
        assert!(!e.message().contains("s3cr3t"), "{e}");
        let wsse = wrap(
            "<soap:Fault><faultcode>wsse:FailedAuthentication</faultcode><faultstring>x</faultstring></soap:Fault>",
        );
        let e = parse_response(wsse.as_bytes(), PERSONS).expect_err("fault");
        assert!(e.message().contains("credentials"), "{e}");
    }

    #[test]
    fn unreadable_bodies_say_so() {
        for body in [
            "<soap:Envelope xmlns:soap=\"x\"><broken".to_owned(),
            "{\"maKetQua\": \"00\"}".to_owned(),
            "<Envelope/>".to_owned(),
            wrap(""),
            wrap(&format!("<TraCuuTheBhytResponse xmlns=\"{NS}\"/>")),
            wrap(&format!(
                "<TraCuuNguoiThamGiaResponse xmlns=\"{NS}\"><KetQua><MaKetQua>00</MaKetQua></KetQua></TraCuuNguoiThamGiaResponse>"
            )),
        ] {
            let e = parse_response(body.as_bytes(), PERSONS).expect_err(&body);
            assert_eq!(e.kind(), lgsp_guest::ErrorKind::UpstreamError);
            assert!(e.message().contains("could not be read"), "{body}: {e}");
        }
        let e = parse_response(&[0xff, 0xfe], PERSONS).expect_err("bytes");
        assert!(e.message().contains("could not be read"), "{e}");
    }

    #[test]
    fn failure_result_codes_are_errors() {
        let xml = wrap(&format!(
            "<TraCuuNguoiThamGiaResponse xmlns=\"{NS}\"><KetQua><MaKetQua>05</MaKetQua><ThongDiep>Đang bảo trì</ThongDiep></KetQua>\
             <DanhSachNguoiThamGia/></TraCuuNguoiThamGiaResponse>"
        ));
        let e = parse_response(xml.as_bytes(), PERSONS).expect_err("code 05");
        assert!(e.message().contains("result code 05: Đang bảo trì"), "{e}");
    }

    #[test]
    fn finds_faults_in_error_answers() {
        let xml = wrap(
            "<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Quá nhiều mã</faultstring></soap:Fault>",
        );
        let e = fault_in(xml.as_bytes()).expect("a fault");
        assert!(e.message().contains("soap:Client"), "{e}");
        assert!(e.message().contains("Quá nhiều mã"), "{e}");
        assert!(fault_in(b"<html>502 Bad Gateway</html>").is_none());
        assert!(fault_in(wrap("<X/>").as_bytes()).is_none());
    }

    #[test]
    fn long_fault_text_is_cut() {
        let long = "x".repeat(1000);
        assert_eq!(clip(&long).chars().count(), MAX_FAULT_TEXT + 1);
    }
}
