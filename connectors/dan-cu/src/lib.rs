//! Connector for the national population database (CSDL quốc gia về dân cư).
//!
//! Serves `dan_cu.cong_dan`: lookup by personal ID (`=` or `IN`, batched 100 at a
//! time) and listing by commune of permanent residence (paged). Upstream values
//! are normalized through the platform's shared catalogs (gender, ethnicity,
//! nationality, 2025 administrative units: a record last updated before
//! 2025-07-01 has its old codes mapped to today's, and `ma_xa_goc` keeps the
//! commune code as recorded) and dates become `DATE`.
//!
//! Configuration: `base_url`, `api_key`, optional `timeout_ms`.

mod normalize;
mod upstream;
mod validate;

use lgsp_guest::{
    BatchSource, Column, Connector, Dependency, Description, Error, FilterOp, Health, PersonalData,
    Result, ScanRequest, Table,
};

/// The population database connector.
pub struct DanCu;

/// Table name.
pub const CONG_DAN: &str = "cong_dan";
/// `cong_dan`'s access paths, in declaration order.
const BY_ID: usize = 0;
const BY_COMMUNE: usize = 1;

fn cong_dan() -> Table {
    use PersonalData::{Basic, Sensitive};
    Table::new(
        CONG_DAN,
        "Công dân trong Cơ sở dữ liệu quốc gia về dân cư (thông tin cơ bản và nơi thường trú)",
    )
    .column(
        Column::text("so_dinh_danh", "Số định danh cá nhân (12 chữ số)")
            .not_null()
            .personal(PersonalData::Identifier),
    )
    .column(Column::text("ho_ten", "Họ, chữ đệm và tên khai sinh").personal(Basic))
    .column(Column::date("ngay_sinh", "Ngày, tháng, năm sinh").personal(Basic))
    .column(
        Column::text("gioi_tinh", "Giới tính (mã danh mục gioi_tinh)")
            .personal(Basic)
            .catalog("gioi_tinh"),
    )
    .column(
        Column::text("ma_dan_toc", "Dân tộc (mã danh mục dan_toc)")
            .personal(Sensitive)
            .catalog("dan_toc"),
    )
    .column(
        Column::text("ma_quoc_tich", "Quốc tịch (ISO 3166-1 alpha-2)")
            .personal(Basic)
            .catalog("quoc_tich"),
    )
    .column(
        Column::text("que_quan_ma_tinh", "Quê quán: mã tỉnh (từ 01/07/2025)")
            .personal(Basic)
            .catalog("dvhc_tinh"),
    )
    .column(
        Column::text(
            "que_quan_ma_xa",
            "Quê quán: mã xã (từ 01/07/2025; trống nếu hồ sơ ghi mã xã cũ đã chia cho nhiều xã)",
        )
            .personal(Basic)
            .catalog("dvhc_xa"),
    )
    .column(
        Column::text("ma_tinh", "Nơi thường trú: mã tỉnh (từ 01/07/2025)")
            .personal(Basic)
            .catalog("dvhc_tinh"),
    )
    .column(
        Column::text(
            "ma_xa",
            "Nơi thường trú: mã xã (từ 01/07/2025; trống nếu hồ sơ ghi mã xã cũ đã chia cho nhiều xã)",
        )
        .personal(Basic)
        .catalog("dvhc_xa"),
    )
    .column(
        Column::text(
            "ma_xa_goc",
            "Nơi thường trú: mã xã như hệ thống nguồn ghi, có thể là mã trước 01/07/2025",
        )
        .personal(Basic)
        .catalog("dvhc_xa"),
    )
    .column(Column::text("dia_chi", "Nơi thường trú: địa chỉ chi tiết").personal(Basic))
    .column(Column::text("ma_ho", "Số hộ (sổ hộ khẩu)").personal(Basic))
    .column(Column::text("quan_he_chu_ho", "Quan hệ với chủ hộ").personal(Basic))
    .column(Column::date("ngay_mat", "Ngày mất, nếu đã khai tử").personal(Basic))
    // Declared in the order of BY_ID and BY_COMMUNE.
    .access_path(&[("so_dinh_danh", &[FilterOp::Eq, FilterOp::InList])])
    .access_path(&[("ma_xa", &[FilterOp::Eq])])
}

impl Connector for DanCu {
    fn describe() -> Description {
        Description::new(
            "dan_cu",
            env!("CARGO_PKG_VERSION"),
            "Cơ sở dữ liệu quốc gia về dân cư",
        )
        .table(cong_dan())
    }

    fn scan(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
        match request.table_name() {
            CONG_DAN => scan_cong_dan(request),
            other => Err(Error::bad_request(format!("dan_cu has no table {other}"))),
        }
    }

    fn health() -> Health {
        Health::new().dependency(Dependency::check("csdl-dan-cu", || {
            upstream::Api::from_config()?.health()
        }))
    }
}

fn scan_cong_dan(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
    match request.access_path() {
        Some(BY_ID) => {
            // Several filters on the ID intersect; an empty intersection is
            // an empty answer, not an error.
            let ids = request.text_values("so_dinh_danh")?.unwrap_or_default();
            validate::personal_ids(&ids)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::lookup(api, request, ids))
        }
        Some(BY_COMMUNE) => {
            let Some(ma_xa) = request.text_values("ma_xa")?.unwrap_or_default().pop() else {
                return Ok(lgsp_guest::source::empty());
            };
            validate::commune_code(&ma_xa)?;
            let api = upstream::Api::from_config()?;
            Ok(upstream::list_commune(api, request, ma_xa))
        }
        _ => Err(Error::bad_request(
            "cong_dan needs so_dinh_danh (= or IN) or ma_xa (=) in the WHERE clause",
        )),
    }
}

lgsp_guest::export!(DanCu);
