//! Connector for the land database (CSDL đất đai).
//!
//! Serves two tables:
//!
//! * `dat_dai.thua_dat`: parcels, by key (commune, map sheet, parcel number;
//!   `=` or `IN` on each, batched 100 keys per upstream call) or listed by
//!   commune (paged);
//! * `dat_dai.quyen_su_dung`: land-use rights, by holder personal ID or
//!   business code (`=` or `IN`, batched 100 per call), by parcel key, or
//!   listed by commune (paged).
//!
//! Upstream values are normalized: province names become 2025 province codes,
//! land-use names become `loai_dat` codes, `"123,4"` areas become
//! `DECIMAL(12,1)`, `+07:00` timestamps become `DATE`, `"Lâu dài"` terms become
//! NULL, `CA_NHAN`/`TO_CHUC` become `CN`/`TC`, and GeoJSON objects become text.
//!
//! Configuration: `base_url`, `token` (sent as `Authorization: Bearer`),
//! optional `timeout_ms`.

mod normalize;
mod upstream;
mod validate;

use lgsp_guest::{
    BatchSource, Column, Connector, Dependency, Description, Error, FilterOp, Health, PersonalData,
    Result, ScanRequest, Table,
};

/// The land database connector.
pub struct DatDai;

/// Parcels table name.
pub const THUA_DAT: &str = "thua_dat";
/// Land-use rights table name.
pub const QUYEN_SU_DUNG: &str = "quyen_su_dung";

/// `thua_dat`'s access paths, in declaration order.
const PARCEL_BY_KEY: usize = 0;
const PARCEL_BY_COMMUNE: usize = 1;

/// `quyen_su_dung`'s access paths, in declaration order.
const RIGHT_BY_PERSON: usize = 0;
const RIGHT_BY_BUSINESS: usize = 1;
const RIGHT_BY_PARCEL: usize = 2;
const RIGHT_BY_COMMUNE: usize = 3;

const KEY_OPS: &[FilterOp] = &[FilterOp::Eq, FilterOp::InList];

fn parcel_key_columns(table: Table) -> Table {
    table
        .column(
            Column::text("ma_xa", "Mã xã nơi có thửa đất (từ 01/07/2025)")
                .not_null()
                .catalog("dvhc_xa"),
        )
        .column(Column::int64("so_to_ban_do", "Số tờ bản đồ địa chính").not_null())
        .column(Column::int64("so_thua", "Số thửa đất trên tờ bản đồ").not_null())
}

fn thua_dat() -> Table {
    parcel_key_columns(Table::new(
        THUA_DAT,
        "Thửa đất trong Cơ sở dữ liệu đất đai (diện tích, loại đất, địa chỉ, hình thể)",
    ))
    .column(Column::text("ma_tinh", "Mã tỉnh nơi có thửa đất (từ 01/07/2025)").catalog("dvhc_tinh"))
    .column(Column::decimal("dien_tich", 12, 1, "Diện tích (m²)"))
    .column(
        Column::text(
            "ma_loai_dat",
            "Loại đất (mã danh mục loai_dat, TT 08/2024/TT-BTNMT)",
        )
        .catalog("loai_dat"),
    )
    // Most parcels with a street address are someone's home.
    .column(Column::text("dia_chi", "Địa chỉ thửa đất").personal(PersonalData::Basic))
    .column(Column::text(
        "hinh_hoc",
        "Hình thể thửa đất: GeoJSON Polygon (WGS 84, kinh độ, vĩ độ)",
    ))
    // Declared in the order of PARCEL_BY_KEY and PARCEL_BY_COMMUNE.
    .access_path(&[
        ("ma_xa", KEY_OPS),
        ("so_to_ban_do", KEY_OPS),
        ("so_thua", KEY_OPS),
    ])
    .access_path(&[("ma_xa", &[FilterOp::Eq])])
}

fn quyen_su_dung() -> Table {
    use PersonalData::Basic;
    parcel_key_columns(Table::new(
        QUYEN_SU_DUNG,
        "Quyền sử dụng đất: chủ sử dụng và giấy chứng nhận của từng thửa",
    ))
    .column(Column::text("loai_chu", "Loại chủ sử dụng: CN cá nhân, TC tổ chức").not_null())
    .column(
        Column::text(
            "so_dinh_danh",
            "Số định danh cá nhân của chủ sử dụng (cá nhân)",
        )
        .personal(PersonalData::Identifier),
    )
    .column(Column::text(
        "ma_so_doanh_nghiep",
        "Mã số doanh nghiệp của chủ sử dụng (tổ chức)",
    ))
    .column(Column::text("ten_chu", "Tên chủ sử dụng").personal(Basic))
    .column(
        Column::text("so_giay_chung_nhan", "Số phát hành giấy chứng nhận")
            .personal(PersonalData::Identifier),
    )
    .column(Column::date("ngay_cap", "Ngày cấp giấy chứng nhận"))
    .column(Column::text("hinh_thuc", "Hình thức sử dụng đất"))
    .column(Column::date(
        "thoi_han_den",
        "Thời hạn sử dụng đến ngày; NULL khi sử dụng lâu dài",
    ))
    // Declared in the order of the RIGHT_BY_* constants.
    .access_path(&[("so_dinh_danh", KEY_OPS)])
    .access_path(&[("ma_so_doanh_nghiep", KEY_OPS)])
    .access_path(&[
        ("ma_xa", KEY_OPS),
        ("so_to_ban_do", KEY_OPS),
        ("so_thua", KEY_OPS),
    ])
    .access_path(&[("ma_xa", &[FilterOp::Eq])])
}

impl Connector for DatDai {
    fn describe() -> Description {
        Description::new(
            "dat_dai",
            env!("CARGO_PKG_VERSION"),
            "Cơ sở dữ liệu đất đai",
        )
        .table(thua_dat())
        .table(quyen_su_dung())
    }

    fn scan(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
        match request.table_name() {
            THUA_DAT => scan_thua_dat(request),
            QUYEN_SU_DUNG => scan_quyen_su_dung(request),
            other => Err(Error::bad_request(format!("dat_dai has no table {other}"))),
        }
    }

    fn health() -> Health {
        Health::new().dependency(Dependency::check("csdl-dat-dai", || {
            upstream::Api::from_config()?.health()
        }))
    }
}

fn scan_thua_dat(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
    match request.access_path() {
        Some(PARCEL_BY_KEY) => {
            let keys = validate::parcel_keys(&request, validate::MAX_PARCEL_KEYS)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::parcels_by_key(api, request, keys))
        }
        Some(PARCEL_BY_COMMUNE) => {
            let Some(ma_xa) = validate::listing_commune(&request)? else {
                return Ok(lgsp_guest::source::empty());
            };
            let api = upstream::Api::from_config()?;
            Ok(upstream::list_parcels(api, request, ma_xa))
        }
        _ => Err(Error::bad_request(
            "thua_dat needs ma_xa, so_to_ban_do and so_thua (= or IN), or ma_xa (=), in the WHERE clause",
        )),
    }
}

fn scan_quyen_su_dung(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
    match request.access_path() {
        Some(RIGHT_BY_PERSON) => {
            let ids = request.text_values("so_dinh_danh")?.unwrap_or_default();
            validate::personal_ids(&ids)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::rights_by_holder(
                api,
                request,
                upstream::HolderKind::Person,
                ids,
            ))
        }
        Some(RIGHT_BY_BUSINESS) => {
            let codes = request
                .text_values("ma_so_doanh_nghiep")?
                .unwrap_or_default();
            validate::business_codes(&codes)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::rights_by_holder(
                api,
                request,
                upstream::HolderKind::Organization,
                codes,
            ))
        }
        Some(RIGHT_BY_PARCEL) => {
            let keys = validate::parcel_keys(&request, validate::MAX_RIGHTS_PARCEL_KEYS)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::rights_by_parcel(api, request, keys))
        }
        Some(RIGHT_BY_COMMUNE) => {
            let Some(ma_xa) = validate::listing_commune(&request)? else {
                return Ok(lgsp_guest::source::empty());
            };
            let api = upstream::Api::from_config()?;
            Ok(upstream::list_rights(api, request, ma_xa))
        }
        _ => Err(Error::bad_request(
            "quyen_su_dung needs so_dinh_danh (= or IN), ma_so_doanh_nghiep (= or IN), \
             ma_xa, so_to_ban_do and so_thua (= or IN), or ma_xa (=) in the WHERE clause",
        )),
    }
}

lgsp_guest::export!(DatDai);

#[cfg(test)]
mod tests {
    use super::*;
    use lgsp_guest::testing::{eq_text, in_text, scan_request_with};
    use lgsp_guest::{ColumnType, Filter, Value};

    #[test]
    fn describes_the_normalized_model() {
        let d = DatDai::describe();
        let t = d.find_table(THUA_DAT).expect("thua_dat");
        let dien_tich = t.find_column("dien_tich").expect("dien_tich");
        assert_eq!(
            dien_tich.column_type(),
            ColumnType::Decimal {
                precision: 12,
                scale: 1
            }
        );
        assert_eq!(
            t.find_column("so_to_ban_do").map(Column::column_type),
            Some(ColumnType::Int64)
        );
        let q = d.find_table(QUYEN_SU_DUNG).expect("quyen_su_dung");
        assert_eq!(
            q.find_column("ngay_cap").map(Column::column_type),
            Some(ColumnType::Date)
        );
        assert!(
            q.find_column("thoi_han_den")
                .is_some_and(Column::is_nullable)
        );
    }

    #[test]
    fn access_paths_follow_the_declared_order() {
        let int_eq = |column: &str, v: i64| Filter {
            column: column.into(),
            op: FilterOp::Eq,
            values: vec![Value::Int(v)],
        };
        let by_key = scan_request_with(
            &thua_dat(),
            &["ma_xa"],
            vec![
                eq_text("ma_xa", "00004"),
                int_eq("so_to_ban_do", 3),
                int_eq("so_thua", 12),
            ],
            None,
        );
        assert_eq!(by_key.access_path(), Some(PARCEL_BY_KEY));
        let by_commune = scan_request_with(
            &thua_dat(),
            &["ma_xa"],
            vec![eq_text("ma_xa", "00004"), int_eq("so_to_ban_do", 3)],
            None,
        );
        assert_eq!(by_commune.access_path(), Some(PARCEL_BY_COMMUNE));
        let by_person = scan_request_with(
            &quyen_su_dung(),
            &["ten_chu"],
            vec![
                eq_text("ma_xa", "00004"),
                in_text("so_dinh_danh", &["001085012345"]),
            ],
            None,
        );
        assert_eq!(by_person.access_path(), Some(RIGHT_BY_PERSON));
        let by_business = scan_request_with(
            &quyen_su_dung(),
            &["ten_chu"],
            vec![in_text("ma_so_doanh_nghiep", &["0100233488"])],
            None,
        );
        assert_eq!(by_business.access_path(), Some(RIGHT_BY_BUSINESS));
    }
}
