//! Parcels and rights in the land API's own wire format.

use crate::wire::name_or_code;
use crate::world::Date;
use crate::world::land::{Holder, LandRight, Parcel};
use lgsp_catalogs::{land_use_types, provinces_2025};
use serde_json::{Value, json};

/// A date as the land API writes it: midnight Vietnam time.
pub(super) fn timestamp(d: Date) -> String {
    format!("{}T00:00:00+07:00", d.to_iso())
}

/// An area in tenths of m² with a decimal comma (`"123,4"`).
pub(super) fn area(tenths: u64) -> String {
    format!("{},{}", tenths / 10, tenths % 10)
}

/// The commune's code with its name and its province's name (no province code).
fn unit(p: &Parcel, commune_name: Option<&str>) -> Value {
    json!({
        "maXa": p.ma_xa,
        "tenXa": commune_name,
        "tenTinh": name_or_code(provinces_2025(), &p.ma_tinh),
    })
}

/// A parcel, with the name of its commune.
pub(super) fn parcel(p: &Parcel, commune_name: Option<&str>) -> Value {
    let geometry: Value = serde_json::from_str(&p.hinh_hoc()).unwrap_or(Value::Null);
    json!({
        "soToBanDo": p.so_to_ban_do,
        "soThuaDat": p.so_thua,
        "donViHanhChinh": unit(p, commune_name),
        "dienTich": area(p.dien_tich_phan_muoi),
        "mucDichSuDung": name_or_code(land_use_types(), p.ma_loai_dat),
        "diaChi": p.dia_chi,
        "hinhHoc": geometry,
    })
}

/// One holder's right on a parcel.
pub(super) fn right(p: &Parcel, r: &LandRight) -> Value {
    let mut v = json!({
        "thuaDat": {
            "maXa": p.ma_xa,
            "tenTinh": name_or_code(provinces_2025(), &p.ma_tinh),
            "soToBanDo": p.so_to_ban_do,
            "soThuaDat": p.so_thua,
        },
        "tenChu": r.holder.name(),
        "giayChungNhan": {
            "soPhatHanh": r.so_giay_chung_nhan,
            "ngayCap": timestamp(r.ngay_cap),
        },
        "hinhThucSuDung": r.hinh_thuc,
        "thoiHanSuDung": r.thoi_han_den.map_or_else(|| "Lâu dài".to_owned(), timestamp),
    });
    match &r.holder {
        Holder::Person { so_dinh_danh, .. } => {
            v["loaiChu"] = json!("CA_NHAN");
            v["soDinhDanh"] = json!(so_dinh_danh);
        }
        Holder::Organization {
            ma_so_doanh_nghiep, ..
        } => {
            v["loaiChu"] = json!("TO_CHUC");
            v["maSoDoanhNghiep"] = json!(ma_so_doanh_nghiep);
        }
    }
    v
}
