//! A connector published in three versions by the publishing tests
//! (scripts/build-wasm.sh builds each): 1.0.0; 1.1.0 (feature `v1_1`), which
//! adds `ghi_chu`; 2.0.0 (feature `v2`), which renames `ho_ten` to
//! `ho_va_ten`, so that a grant naming `ho_ten` needs approving again.
//! Table `ho_so` has three rows; `phien_ban` says which version answered and
//! `cau_hinh` the FNV-1a fingerprint of configuration value `api_key` (or
//! `none`), so a test can see that a stored secret reached the connector
//! without the connector ever returning it. Never publish it for real.

use lgsp_guest::{
    BatchSource, Column, Connector, Description, Health, PersonalData, Result, ScanRequest, Table,
    source,
};

/// The evolving test connector.
pub struct Evolving;

const VERSION: &str = if cfg!(feature = "v2") {
    "2.0.0"
} else if cfg!(feature = "v1_1") {
    "1.1.0"
} else {
    "1.0.0"
};

const NAME_COLUMN: &str = if cfg!(feature = "v2") {
    "ho_va_ten"
} else {
    "ho_ten"
};

/// FNV-1a, 64 bits, hex: a fingerprint a test can compute too.
fn fingerprint(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Connector for Evolving {
    fn describe() -> Description {
        let mut table = Table::new("ho_so", "Hồ sơ thử nghiệm")
            .column(Column::text("ma", "Mã hồ sơ").not_null())
            .column(Column::text(NAME_COLUMN, "Họ và tên").personal(PersonalData::Basic))
            .column(Column::text("phien_ban", "Phiên bản trả lời"))
            .column(Column::text("cau_hinh", "Dấu vân tay của api_key"));
        if cfg!(feature = "v1_1") {
            table = table.column(Column::text("ghi_chu", "Ghi chú"));
        }
        Description::new("thu_nghiem", VERSION, "Nguồn thử nghiệm nhiều phiên bản").table(table)
    }

    fn scan(request: ScanRequest) -> Result<Box<dyn BatchSource>> {
        let key =
            lgsp_guest::config("api_key").map_or_else(|| "none".to_owned(), |k| fingerprint(&k));
        let mut b = request.batch_builder(3);
        for (ma, ten) in [
            ("HS1", "Nguyễn Văn An"),
            ("HS2", "Trần Thị Bình"),
            ("HS3", "Lê Văn Cường"),
        ] {
            b.row(|r| {
                r.set("ma", ma);
                r.set(NAME_COLUMN, ten);
                r.set("phien_ban", VERSION);
                r.set("cau_hinh", key.as_str());
                r.set("ghi_chu", "thêm ở 1.1.0");
            });
        }
        Ok(source::single(b.finish()?))
    }

    fn health() -> Health {
        Health::new()
    }
}

lgsp_guest::export!(Evolving);
