//! Connector for the national business registration database (Cơ sở dữ liệu
//! quốc gia về đăng ký doanh nghiệp).
//!
//! Serves two tables:
//! - `doanh_nghiep.doanh_nghiep`: businesses and branches, by code (`=` or
//!   `IN`, batched 50 per call), by commune, by province, by name (`LIKE`,
//!   through the registry's accent-insensitive search) or by search keyword
//!   (`tu_khoa = '...'`, accent- and case-insensitive);
//! - `doanh_nghiep.nguoi_dai_dien`: legal representatives, by business code or
//!   by personal ID (`=` or `IN`, batched 50 per call).
//!
//! Upstream values are normalized to the shared catalogs' codes (business type
//! and status from their names, pre-2025 province codes to the 2025 ones),
//! dates become `DATE` and the capital a `DECIMAL(18,0)`.
//!
//! Configuration: `base_url`, `api_key`, optional `timeout_ms`.

mod like;
mod normalize;
mod upstream;
mod validate;

use lgsp_guest::{
    BatchSource, Column, Connector, Dependency, Description, Error, FilterOp, Health, PersonalData,
    Result, ScanRequest, Table,
};

/// The business registration connector.
pub struct DoanhNghiep;

/// The businesses table.
pub const DOANH_NGHIEP: &str = "doanh_nghiep";
/// The legal representatives table.
pub const NGUOI_DAI_DIEN: &str = "nguoi_dai_dien";

/// `doanh_nghiep`'s access paths, in declaration order.
const DN_BY_CODE: usize = 0;
const DN_BY_COMMUNE: usize = 1;
const DN_BY_PROVINCE: usize = 2;
const DN_BY_NAME: usize = 3;
const DN_BY_KEYWORD: usize = 4;

/// `nguoi_dai_dien`'s access paths, in declaration order.
const NDD_BY_BUSINESS: usize = 0;
const NDD_BY_PERSON: usize = 1;

fn doanh_nghiep() -> Table {
    Table::new(
        DOANH_NGHIEP,
        "Doanh nghiệp và chi nhánh trong Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp",
    )
    .column(
        Column::text(
            "ma_so_doanh_nghiep",
            "Mã số doanh nghiệp (10 chữ số; chi nhánh: 10 chữ số-NNN)",
        )
        .not_null(),
    )
    .column(Column::text(
        "ma_so_chu_quan",
        "Mã số doanh nghiệp chủ quản, nếu là chi nhánh",
    ))
    .column(Column::text("ten", "Tên doanh nghiệp bằng tiếng Việt"))
    .column(Column::text("ten_nuoc_ngoai", "Tên doanh nghiệp bằng tiếng nước ngoài"))
    .column(Column::text("ten_viet_tat", "Tên doanh nghiệp viết tắt"))
    .column(
        Column::text("ma_loai_hinh", "Loại hình doanh nghiệp (mã danh mục loai_hinh_doanh_nghiep)")
            .catalog("loai_hinh_doanh_nghiep"),
    )
    .column(
        Column::text(
            "ma_trang_thai",
            "Tình trạng hoạt động (mã danh mục trang_thai_doanh_nghiep)",
        )
        .catalog("trang_thai_doanh_nghiep"),
    )
    .column(Column::date("ngay_thanh_lap", "Ngày thành lập (cấp giấy chứng nhận lần đầu)"))
    .column(Column::text("ma_tinh", "Trụ sở: mã tỉnh (từ 01/07/2025)").catalog("dvhc_tinh"))
    .column(Column::text("ma_xa", "Trụ sở: mã xã (từ 01/07/2025)").catalog("dvhc_xa"))
    .column(Column::text("dia_chi", "Trụ sở: số nhà, đường, thôn"))
    .column(Column::text("ma_nganh_chinh", "Ngành kinh doanh chính (mã VSIC 2018 cấp 4)"))
    .column(Column::decimal("von_dieu_le", 18, 0, "Vốn điều lệ (đồng)"))
    .column(Column::text(
        "tu_khoa",
        "Từ khóa tìm kiếm theo tên (không phân biệt dấu, hoa thường); chỉ dùng trong WHERE tu_khoa = '...'",
    ))
    // Declared in the order of the DN_BY_* constants.
    .access_path(&[("ma_so_doanh_nghiep", &[FilterOp::Eq, FilterOp::InList])])
    .access_path(&[("ma_xa", &[FilterOp::Eq])])
    .access_path(&[("ma_tinh", &[FilterOp::Eq])])
    .access_path(&[("ten", &[FilterOp::Like])])
    .access_path(&[("tu_khoa", &[FilterOp::Eq])])
}

fn nguoi_dai_dien() -> Table {
    use PersonalData::Basic;
    Table::new(
        NGUOI_DAI_DIEN,
        "Người đại diện theo pháp luật của doanh nghiệp (người đứng đầu, với chi nhánh)",
    )
    .column(Column::text("ma_so_doanh_nghiep", "Mã số doanh nghiệp").not_null())
    .column(
        Column::text("so_dinh_danh", "Số định danh cá nhân của người đại diện")
            .not_null()
            .personal(PersonalData::Identifier),
    )
    .column(Column::text("ho_ten", "Họ và tên người đại diện").personal(Basic))
    .column(Column::text("chuc_danh", "Chức danh"))
    .column(Column::date(
        "ngay_bat_dau",
        "Ngày bắt đầu làm người đại diện",
    ))
    // Declared in the order of the NDD_BY_* constants.
    .access_path(&[("ma_so_doanh_nghiep", &[FilterOp::Eq, FilterOp::InList])])
    .access_path(&[("so_dinh_danh", &[FilterOp::Eq, FilterOp::InList])])
}

impl Connector for DoanhNghiep {
    fn describe() -> Description {
        Description::new(
            "doanh_nghiep",
            env!("CARGO_PKG_VERSION"),
            "Cơ sở dữ liệu quốc gia về đăng ký doanh nghiệp",
        )
        .table(doanh_nghiep())
        .table(nguoi_dai_dien())
    }

    fn scan(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
        match request.table_name() {
            DOANH_NGHIEP => scan_doanh_nghiep(request),
            NGUOI_DAI_DIEN => scan_nguoi_dai_dien(request),
            other => Err(Error::bad_request(format!(
                "doanh_nghiep has no table {other}"
            ))),
        }
    }

    fn health() -> Health {
        Health::new().dependency(Dependency::check("csdl-dang-ky-doanh-nghiep", || {
            upstream::Api::from_config()?.health()
        }))
    }
}

fn scan_doanh_nghiep(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
    match request.access_path() {
        Some(DN_BY_CODE) => {
            // Several filters on the code intersect; an empty intersection is
            // an empty answer, not an error.
            let codes = request
                .text_values("ma_so_doanh_nghiep")?
                .unwrap_or_default();
            validate::business_codes("ma_so_doanh_nghiep", &codes)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::lookup_businesses(api, request, codes))
        }
        Some(DN_BY_COMMUNE) => {
            let Some(ma_xa) = single(&request, "ma_xa")? else {
                return Ok(lgsp_guest::source::empty());
            };
            validate::commune_code(&ma_xa)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::list_businesses(
                api,
                request,
                upstream::Listing::Commune(ma_xa),
            ))
        }
        Some(DN_BY_PROVINCE) => {
            let Some(ma_tinh) = single(&request, "ma_tinh")? else {
                return Ok(lgsp_guest::source::empty());
            };
            validate::current_province_code(&ma_tinh)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::list_businesses(
                api,
                request,
                upstream::Listing::Province(ma_tinh),
            ))
        }
        Some(DN_BY_NAME) => {
            let patterns: Vec<like::Pattern> = request
                .filters()
                .iter()
                .filter(|f| f.column == "ten" && f.op == FilterOp::Like)
                .flat_map(|f| f.values.iter())
                .map(|v| {
                    v.as_text()
                        .map(like::Pattern::parse)
                        .ok_or_else(|| Error::bad_request("ten LIKE needs a text pattern"))
                })
                .collect::<Result<_>>()?;
            let keyword = like::search_keyword(&patterns).ok_or_else(|| {
                Error::bad_request(format!(
                    "ten LIKE needs a pattern with at least {} consecutive letters or digits \
                     between wildcards, e.g. ten LIKE '%HOÀNG PHÁT%'",
                    like::MIN_KEYWORD_CHARS
                ))
            })?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::list_businesses(
                api,
                request,
                upstream::Listing::Search {
                    keyword,
                    patterns,
                    echo_keyword: None,
                },
            ))
        }
        Some(DN_BY_KEYWORD) => {
            let Some(keyword) = single(&request, "tu_khoa")? else {
                return Ok(lgsp_guest::source::empty());
            };
            validate::keyword(&keyword)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::list_businesses(
                api,
                request,
                upstream::Listing::Search {
                    keyword: keyword.trim().to_owned(),
                    patterns: Vec::new(),
                    echo_keyword: Some(keyword),
                },
            ))
        }
        _ => Err(Error::bad_request(
            "doanh_nghiep needs ma_so_doanh_nghiep (= or IN), ma_xa (=), ma_tinh (=), \
             ten (LIKE) or tu_khoa (=) in the WHERE clause",
        )),
    }
}

fn scan_nguoi_dai_dien(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
    match request.access_path() {
        Some(NDD_BY_BUSINESS) => {
            let codes = request
                .text_values("ma_so_doanh_nghiep")?
                .unwrap_or_default();
            validate::business_codes("ma_so_doanh_nghiep", &codes)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::representatives_of(api, request, codes))
        }
        Some(NDD_BY_PERSON) => {
            let ids = request.text_values("so_dinh_danh")?.unwrap_or_default();
            validate::personal_ids(&ids)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::represented_by(api, request, ids))
        }
        _ => Err(Error::bad_request(
            "nguoi_dai_dien needs ma_so_doanh_nghiep (= or IN) or so_dinh_danh (= or IN) \
             in the WHERE clause",
        )),
    }
}

/// The one value an `=` access path pins `column` to; `None` when several
/// `=` filters contradict each other (an empty answer).
fn single(request: &ScanRequest, column: &str) -> Result<Option<String>> {
    let mut values = request.text_values(column)?.unwrap_or_default();
    if values.len() > 1 {
        return Err(Error::bad_request(format!(
            "{column} takes one value per query, got {}",
            values.len()
        )));
    }
    Ok(values.pop())
}

lgsp_guest::export!(DoanhNghiep);

#[cfg(test)]
mod tests {
    use super::*;
    use lgsp_guest::testing::{eq_text, in_text, scan_request_with};

    #[test]
    fn access_paths_follow_the_declaration_order() {
        let t = doanh_nghiep();
        let path = |f| scan_request_with(&t, &["ten"], vec![f], None).access_path();
        assert_eq!(
            path(in_text("ma_so_doanh_nghiep", &["0100233488"])),
            Some(DN_BY_CODE)
        );
        assert_eq!(path(eq_text("ma_xa", "00004")), Some(DN_BY_COMMUNE));
        assert_eq!(path(eq_text("ma_tinh", "01")), Some(DN_BY_PROVINCE));
        assert_eq!(path(eq_text("tu_khoa", "hoang phat")), Some(DN_BY_KEYWORD));
        let like = lgsp_guest::Filter {
            column: "ten".into(),
            op: FilterOp::Like,
            values: vec![lgsp_guest::Value::Text("%PHÁT%".into())],
        };
        assert_eq!(path(like), Some(DN_BY_NAME));
        let r = nguoi_dai_dien();
        let path = |f| scan_request_with(&r, &["ho_ten"], vec![f], None).access_path();
        assert_eq!(
            path(eq_text("ma_so_doanh_nghiep", "0100233488")),
            Some(NDD_BY_BUSINESS)
        );
        assert_eq!(
            path(in_text("so_dinh_danh", &["001085012345"])),
            Some(NDD_BY_PERSON)
        );
    }

    #[test]
    fn malformed_keys_are_refused_before_any_call() {
        // No configuration exists natively: reaching the upstream would fail
        // with a configuration error, not a bad request.
        let t = doanh_nghiep();
        let scan = |f| {
            scan_doanh_nghiep(scan_request_with(&t, &["ten"], vec![f], None))
                .err()
                .map(|e| e.kind())
        };
        assert_eq!(
            scan(in_text("ma_so_doanh_nghiep", &["0100233488", "0100233487"])),
            Some(lgsp_guest::ErrorKind::BadRequest)
        );
        assert_eq!(
            scan(eq_text("ma_xa", "123")),
            Some(lgsp_guest::ErrorKind::BadRequest)
        );
        assert_eq!(
            scan(eq_text("ma_tinh", "02")),
            Some(lgsp_guest::ErrorKind::BadRequest)
        );
        let r = nguoi_dai_dien();
        let e = scan_nguoi_dai_dien(scan_request_with(
            &r,
            &["ho_ten"],
            vec![in_text("so_dinh_danh", &["001085012345", "1234"])],
            None,
        ))
        .err()
        .map(|e| e.kind());
        assert_eq!(e, Some(lgsp_guest::ErrorKind::BadRequest));
    }
}
