//! Businesses and representatives in the registry API's own wire format.

use crate::wire::name_or_code;
use crate::world::business::{Business, Representative};
use lgsp_catalogs::{business_statuses, business_types, provinces_2008, provinces_2025};
use serde_json::{Map, Value, json};

/// The business as the registry serializes it.
pub(super) fn business(b: &Business, commune_name: Option<&str>) -> Value {
    let mut tru_so = Map::new();
    // The registry never re-coded old records: businesses registered before
    // the 2025 reorganization still carry the old province code.
    let province_name = if b.ngay_thanh_lap < crate::world::business::REORGANIZATION {
        tru_so.insert("maTinhCu".into(), json!(b.ma_tinh_cu));
        provinces_2008().get(&b.ma_tinh_cu).map(|p| p.name.clone())
    } else {
        tru_so.insert("maTinh".into(), json!(b.ma_tinh));
        provinces_2025().get(&b.ma_tinh).map(|p| p.name.clone())
    };
    tru_so.insert("tenTinh".into(), json!(province_name));
    tru_so.insert("maXa".into(), json!(b.ma_xa));
    tru_so.insert("tenXa".into(), json!(commune_name));
    tru_so.insert("diaChiChiTiet".into(), json!(b.dia_chi));
    json!({
        "maSoDN": b.ma_so_doanh_nghiep,
        "maSoDNChuQuan": b.ma_so_cha,
        "laChiNhanh": b.is_branch(),
        "tenDN": b.ten,
        "tenNuocNgoai": b.ten_nuoc_ngoai,
        "tenVietTat": b.ten_viet_tat,
        "loaiHinhDN": name_or_code(business_types(), b.ma_loai_hinh),
        "tinhTrangHoatDong": name_or_code(business_statuses(), b.ma_trang_thai),
        "ngayThanhLap": b.ngay_thanh_lap.to_iso(),
        "truSo": Value::Object(tru_so),
        "nganhNgheChinh": b.ma_nganh_chinh,
        "vonDieuLe": b.von_dieu_le.map(thousands),
    })
}

/// One representative of a business, as listed under the business.
pub(super) fn representative(r: &Representative) -> Value {
    json!({
        "hoTen": r.ho_ten,
        "soGiayTo": r.so_dinh_danh,
        "loaiGiayTo": "CCCD",
        "chucDanh": r.chuc_danh,
        "ngayBatDau": r.ngay_bat_dau.to_iso(),
    })
}

/// One business a person represents, as listed under the person.
pub(super) fn represented(b: &Business, r: &Representative) -> Value {
    json!({
        "maSoDN": b.ma_so_doanh_nghiep,
        "tenDN": b.ten,
        "chucDanh": r.chuc_danh,
        "ngayBatDau": r.ngay_bat_dau.to_iso(),
    })
}

/// `1500000000` → `"1.500.000.000"`, as the registry prints amounts.
pub(super) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn formats_amounts() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1.000");
        assert_eq!(thousands(1_500_000_000), "1.500.000.000");
        assert_eq!(thousands(100_000_000), "100.000.000");
    }
}
