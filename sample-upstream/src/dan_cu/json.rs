//! A citizen in the population API's own wire format.

use crate::wire::name_or_code;
use crate::world::{Citizen, Sex};
use lgsp_catalogs::{ethnic_groups, nationalities};
use serde_json::{Map, Value, json};

/// The citizen as the upstream serializes it; `fields` keeps only the named
/// top-level fields (the API's `truong` parameter).
pub(super) fn citizen(c: &Citizen, fields: Option<&[String]>) -> Value {
    let wanted = |name: &str| fields.is_none_or(|f| f.iter().any(|x| x == name));
    let mut m = Map::new();
    let mut put = |name: &str, value: Value| {
        if wanted(name) {
            m.insert(name.to_owned(), value);
        }
    };
    put("soDinhDanh", json!(c.so_dinh_danh));
    put("hoVaTen", json!(c.ho_ten));
    put("ngaySinh", json!(c.ngay_sinh.to_vn()));
    put(
        "gioiTinh",
        json!(match c.gioi_tinh {
            Sex::Male => "Nam",
            Sex::Female => "Nữ",
        }),
    );
    put("danToc", json!(name_or_code(ethnic_groups(), c.ma_dan_toc)));
    put(
        "quocTich",
        json!(name_or_code(nationalities(), c.ma_quoc_tich)),
    );
    // Addresses as the record holds them: a record last updated before
    // 2025-07-01 still carries the commune and province codes of that time.
    put(
        "queQuan",
        json!({ "maTinh": c.que_quan_ma_tinh_ghi_nhan, "maXa": c.que_quan_ma_xa_ghi_nhan }),
    );
    put(
        "thuongTru",
        json!({
            "maTinh": c.ma_tinh_ghi_nhan,
            "maXa": c.ma_xa_ghi_nhan,
            "diaChiChiTiet": c.dia_chi,
        }),
    );
    put("soHoKhau", json!(c.ma_ho));
    put("quanHeChuHo", json!(c.quan_he_chu_ho));
    put("ngayMat", json!(c.ngay_mat.map(|d| d.to_vn())));
    put("ngayCapNhat", json!(c.ngay_cap_nhat.to_vn()));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{Date, World, WorldConfig};

    #[test]
    fn addresses_are_sent_as_recorded_with_the_update_date() {
        let world = World::generate(&WorldConfig::scaled(3, 10, None));
        let mut c = world.citizens()[0].clone();
        c.ma_xa_ghi_nhan = "00016".into();
        c.ma_tinh_ghi_nhan = "02".into();
        c.que_quan_ma_xa_ghi_nhan = "00007".into();
        c.que_quan_ma_tinh_ghi_nhan = "30".into();
        c.ngay_cap_nhat = Date {
            year: 2024,
            month: 3,
            day: 9,
        };
        let v = citizen(&c, None);
        assert_eq!(v["thuongTru"]["maXa"], "00016");
        assert_eq!(v["thuongTru"]["maTinh"], "02");
        assert_eq!(v["queQuan"]["maXa"], "00007");
        assert_eq!(v["queQuan"]["maTinh"], "30");
        assert_eq!(v["ngayCapNhat"], "09/03/2024");
        let only: Vec<String> = vec!["soDinhDanh".into()];
        assert!(citizen(&c, Some(&only)).get("ngayCapNhat").is_none());
    }
}
