//! Writing the service's SOAP responses.

use super::{Found, NS, SOAP_NS, beneficiary_name, contribution_name, yyyymmdd};
use std::borrow::Cow;
use std::fmt::Write;

/// Escapes text for element content and attribute values.
pub(super) fn esc(s: &str) -> Cow<'_, str> {
    if !s.contains(['&', '<', '>', '"', '\'']) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
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
    Cow::Owned(out)
}

fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<soap:Envelope xmlns:soap=\"{SOAP_NS}\"><soap:Body>{body}</soap:Body></soap:Envelope>"
    )
}

/// A SOAP 1.1 Fault with the business error code in `detail`.
pub(super) fn fault(faultcode: &str, message: &str, code: &str) -> String {
    envelope(&format!(
        "<soap:Fault><faultcode>{faultcode}</faultcode><faultstring xml:lang=\"vi\">{}</faultstring>\
         <detail><LoiNghiepVu xmlns=\"{NS}\"><MaLoi>{code}</MaLoi><MoTa>{}</MoTa></LoiNghiepVu></detail></soap:Fault>",
        esc(message),
        esc(message)
    ))
}

/// `<Name>text</Name>`, or nothing for `None`.
fn el(out: &mut String, name: &str, value: Option<&str>) {
    if let Some(v) = value {
        let _ = write!(out, "<{name}>{}</{name}>", esc(v));
    }
}

fn response(operation: &str, list: &str, items: &str, missing: &[String]) -> String {
    let mut body = format!(
        "<{operation}Response xmlns=\"{NS}\"><KetQua><MaKetQua>00</MaKetQua><ThongDiep>Thành công</ThongDiep></KetQua><{list}>{items}</{list}>"
    );
    if !missing.is_empty() {
        body.push_str("<KhongTimThay>");
        for key in missing {
            el(&mut body, "Ma", Some(key));
        }
        body.push_str("</KhongTimThay>");
    }
    let _ = write!(body, "</{operation}Response>");
    envelope(&body)
}

/// `TraCuuNguoiThamGiaResponse`.
pub(super) fn persons(found: &Found<'_>) -> String {
    let mut items = String::new();
    for p in &found.persons {
        items.push_str("<NguoiThamGia>");
        el(&mut items, "MaSoBhxh", Some(&p.ma_so_bhxh));
        el(&mut items, "SoDinhDanh", Some(&p.so_dinh_danh));
        el(&mut items, "HoTen", Some(&p.ho_ten));
        el(&mut items, "NgaySinh", Some(&yyyymmdd(p.ngay_sinh)));
        let sex = match p.gioi_tinh {
            crate::world::Sex::Male => "1",
            crate::world::Sex::Female => "0",
        };
        el(&mut items, "GioiTinh", Some(sex));
        el(&mut items, "MaTinh", Some(&p.ma_tinh_ghi_nhan));
        el(&mut items, "NgayCapSo", Some(&yyyymmdd(p.ngay_cap_so)));
        items.push_str("</NguoiThamGia>");
    }
    response(
        "TraCuuNguoiThamGia",
        "DanhSachNguoiThamGia",
        &items,
        &found.missing,
    )
}

/// `TraCuuQuaTrinhDongResponse`: one `QuaTrinh` per period, oldest first.
pub(super) fn history(found: &Found<'_>) -> String {
    let mut items = String::new();
    for p in &found.persons {
        for q in &p.qua_trinh_dong {
            items.push_str("<QuaTrinh>");
            el(&mut items, "MaSoBhxh", Some(&p.ma_so_bhxh));
            el(&mut items, "SoDinhDanh", Some(&p.so_dinh_danh));
            el(&mut items, "TuThang", Some(&q.tu_thang.to_mm_yyyy()));
            // An open period is sent as an empty element, as the real system does.
            match q.den_thang {
                Some(m) => el(&mut items, "DenThang", Some(&m.to_mm_yyyy())),
                None => items.push_str("<DenThang/>"),
            }
            el(&mut items, "MaDonVi", q.ma_so_doanh_nghiep.as_deref());
            el(&mut items, "TenDonVi", q.ten_don_vi.as_deref());
            el(&mut items, "MucLuong", Some(&q.muc_luong.to_string()));
            el(
                &mut items,
                "LoaiDong",
                Some(contribution_name(q.ma_loai_dong)),
            );
            items.push_str("</QuaTrinh>");
        }
    }
    response(
        "TraCuuQuaTrinhDong",
        "DanhSachQuaTrinh",
        &items,
        &found.missing,
    )
}

/// `TraCuuTheBhytResponse`.
pub(super) fn cards(found: &Found<'_>) -> String {
    let mut items = String::new();
    for p in &found.persons {
        let Some(card) = &p.the_bhyt else { continue };
        items.push_str("<TheBhyt>");
        el(&mut items, "MaThe", Some(&card.ma_the));
        el(&mut items, "MaSoBhxh", Some(&p.ma_so_bhxh));
        el(&mut items, "SoDinhDanh", Some(&p.so_dinh_danh));
        el(&mut items, "HoTen", Some(&p.ho_ten));
        el(&mut items, "MaDoiTuong", Some(card.ma_doi_tuong));
        el(
            &mut items,
            "TenDoiTuong",
            Some(beneficiary_name(card.ma_doi_tuong)),
        );
        el(&mut items, "MucHuong", Some(&card.muc_huong.to_string()));
        el(&mut items, "GiaTriTu", Some(&yyyymmdd(card.gia_tri_tu)));
        el(&mut items, "GiaTriDen", Some(&yyyymmdd(card.gia_tri_den)));
        items.push_str("<NoiDangKyKcb>");
        el(&mut items, "MaCoSo", Some(&card.ma_noi_dang_ky_kcb));
        let kind = match card.ma_noi_dang_ky_kcb.as_bytes().last() {
            Some(b) if b % 3 == 0 => "Bệnh viện đa khoa",
            Some(b) if b % 3 == 1 => "Trung tâm y tế",
            _ => "Trạm y tế",
        };
        el(
            &mut items,
            "TenCoSo",
            Some(&format!("{kind} {}", card.ma_noi_dang_ky_kcb)),
        );
        items.push_str("</NoiDangKyKcb>");
        items.push_str("</TheBhyt>");
    }
    response("TraCuuTheBhyt", "DanhSachThe", &items, &found.missing)
}

/// `KiemTraHoatDongResponse`.
pub(super) fn health(insured: usize) -> String {
    envelope(&format!(
        "<KiemTraHoatDongResponse xmlns=\"{NS}\"><KetQua><MaKetQua>00</MaKetQua><ThongDiep>Thành công</ThongDiep></KetQua>\
         <TrangThai>HOAT_DONG</TrangThai><SoNguoiThamGia>{insured}</SoNguoiThamGia></KiemTraHoatDongResponse>"
    ))
}
