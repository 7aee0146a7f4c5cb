//! A citizen in the population API's own wire format.

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
    put("danToc", json!(name_of(ethnic_groups(), c.ma_dan_toc)));
    put("quocTich", json!(name_of(nationalities(), c.ma_quoc_tich)));
    put(
        "queQuan",
        json!({ "maTinh": c.que_quan_ma_tinh, "maXa": c.que_quan_ma_xa }),
    );
    put(
        "thuongTru",
        json!({ "maTinh": c.ma_tinh, "maXa": c.ma_xa, "diaChiChiTiet": c.dia_chi }),
    );
    put("soHoKhau", json!(c.ma_ho));
    put("quanHeChuHo", json!(c.quan_he_chu_ho));
    put("ngayMat", json!(c.ngay_mat.map(|d| d.to_vn())));
    Value::Object(m)
}

fn name_of(list: &lgsp_catalogs::CodeList, code: &str) -> String {
    list.get(code)
        .map(|i| i.name.clone())
        .unwrap_or_else(|| code.to_owned())
}
