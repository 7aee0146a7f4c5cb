//! Calling the social insurance SOAP service and turning its records into rows.

use crate::normalize;
use crate::soap::{self, Expect, KeyList, Record};
use lgsp_guest::{
    BatchSource, Cell, Error, HttpClient, RecordBatch, Result, ScanRequest, required_config, source,
};

/// The service's endpoint, under `base_url`.
const PATH: &str = "/ws/TraCuuBhxh";
/// Most keys the service accepts in one call.
pub(crate) const MAX_KEYS: usize = 50;
/// The health operation.
const HEALTH: &str = "KiemTraHoatDong";

/// The configured service.
pub(crate) struct Api {
    http: HttpClient,
    username: String,
    password: String,
}

impl Api {
    pub(crate) fn from_config() -> Result<Self> {
        let username = required_config("username")?;
        let password = required_config("password")?;
        let http = HttpClient::from_config()?;
        Ok(Self {
            http,
            username,
            password,
        })
    }

    /// Posts one SOAP request; the body of a success, or the typed error of a
    /// Fault or an HTTP failure.
    fn call(&self, operation: &str, keys: Option<(KeyList, &[String])>) -> Result<Vec<u8>> {
        let envelope = soap::request(&self.username, &self.password, operation, keys);
        let response = self
            .http
            .clone()
            .header("SOAPAction", format!("\"{}/{operation}\"", soap::NS))
            .send(
                "POST",
                PATH,
                Some(("text/xml; charset=utf-8", envelope.into_bytes())),
            )?;
        let status = response.status();
        if status == 200 {
            return Ok(response.body().to_vec());
        }
        // SOAP 1.1 sends Faults with HTTP 500; other statuses come from the
        // gateway in front of the service.
        if let Some(fault) = soap::fault_in(response.body()) {
            return Err(fault);
        }
        if status == 500 {
            return Err(Error::upstream_error(
                "the upstream answered HTTP 500 without a readable SOAP Fault",
            ));
        }
        response.check().map(|r| r.body().to_vec())
    }

    pub(crate) fn health(&self) -> Result<()> {
        soap::check_status(&self.call(HEALTH, None)?, HEALTH)
    }
}

/// One table's operation and how its records become rows.
pub(crate) struct Operation {
    /// What the response to the operation holds.
    pub(crate) expect: Expect<'static>,
    /// Maps the records of one call into a batch.
    pub(crate) to_batch: fn(&ScanRequest, &[Record]) -> Result<RecordBatch>,
}

/// Looks `keys` up through `operation`, [`MAX_KEYS`] per call, one call per
/// batch the host pulls.
pub(crate) fn lookup(
    api: Api,
    request: ScanRequest,
    operation: &'static Operation,
    key: KeyList,
    keys: Vec<String>,
) -> Box<dyn BatchSource> {
    let limit = request.limit();
    let expect = operation.expect;
    source::chunked(limit, keys, MAX_KEYS, move |chunk: &[String]| {
        let body = api.call(expect.operation, Some((key, chunk)))?;
        let records = soap::parse_response(&body, expect)?;
        (operation.to_batch)(&request, &records)
    })
}

/// A field every record must have.
fn required<'r>(r: &'r Record, field: &str) -> Result<&'r str> {
    r.get(field).ok_or_else(|| {
        Error::upstream_error(format!(
            "the upstream's SOAP response could not be read: a record lacks {field}"
        ))
    })
}

/// `TraCuuNguoiThamGia` records → `nguoi_tham_gia` rows.
pub(crate) fn persons_batch(request: &ScanRequest, records: &[Record]) -> Result<RecordBatch> {
    let mut batch = request.batch_builder(records.len());
    for r in records {
        let ma_so_bhxh = required(r, "MaSoBhxh")?;
        let ngay_sinh = normalize::date("NgaySinh", r.get("NgaySinh"))?;
        let gioi_tinh = normalize::gender(r.get("GioiTinh"))?;
        let ngay_cap_so = normalize::date("NgayCapSo", r.get("NgayCapSo"))?;
        // The province is recorded with the code in force when the book was issued.
        let ma_tinh = normalize::province(r.get("MaTinh"), ngay_cap_so)?;
        batch.row(|row| {
            row.set("ma_so_bhxh", ma_so_bhxh);
            row.set("so_dinh_danh", r.get("SoDinhDanh"));
            row.set("ho_ten", r.get("HoTen"));
            row.set("ngay_sinh", ngay_sinh);
            row.set("gioi_tinh", gioi_tinh.as_ref());
            row.set("ma_tinh", ma_tinh.as_ref());
            row.set("ngay_cap_so", ngay_cap_so);
        });
    }
    batch.finish()
}

/// `TraCuuQuaTrinhDong` records → `qua_trinh_dong` rows.
pub(crate) fn history_batch(request: &ScanRequest, records: &[Record]) -> Result<RecordBatch> {
    let mut batch = request.batch_builder(records.len());
    for r in records {
        let ma_so_bhxh = required(r, "MaSoBhxh")?;
        let tu_thang = normalize::month("TuThang", Some(required(r, "TuThang")?))?;
        let den_thang = normalize::month("DenThang", r.get("DenThang"))?;
        let muc_luong = normalize::amount("MucLuong", r.get("MucLuong"))?;
        let ma_loai_dong = normalize::contribution_kind(r.get("LoaiDong"))?;
        batch.row(|row| {
            row.set("ma_so_bhxh", ma_so_bhxh);
            row.set("so_dinh_danh", r.get("SoDinhDanh"));
            row.set("tu_thang", tu_thang);
            row.set("den_thang", den_thang);
            row.set("ma_so_doanh_nghiep", r.get("MaDonVi"));
            row.set("ten_don_vi", r.get("TenDonVi"));
            row.set("muc_luong", muc_luong.map_or(Cell::Null, Cell::Decimal));
            row.set("ma_loai_dong", ma_loai_dong.as_ref());
        });
    }
    batch.finish()
}

/// `TraCuuTheBhyt` records → `the_bhyt` rows.
pub(crate) fn cards_batch(request: &ScanRequest, records: &[Record]) -> Result<RecordBatch> {
    let mut batch = request.batch_builder(records.len());
    for r in records {
        let ma_the = required(r, "MaThe")?;
        let ma_doi_tuong =
            normalize::beneficiary(r.get("MaDoiTuong").or_else(|| r.get("TenDoiTuong")))?;
        let muc_huong = normalize::benefit_level(r.get("MucHuong"))?;
        let gia_tri_tu = normalize::date("GiaTriTu", r.get("GiaTriTu"))?;
        let gia_tri_den = normalize::date("GiaTriDen", r.get("GiaTriDen"))?;
        batch.row(|row| {
            row.set("ma_the", ma_the);
            row.set("ma_so_bhxh", r.get("MaSoBhxh"));
            row.set("so_dinh_danh", r.get("SoDinhDanh"));
            row.set("ho_ten", r.get("HoTen"));
            row.set("ma_doi_tuong", ma_doi_tuong.as_ref());
            row.set("muc_huong", muc_huong.as_ref());
            row.set("gia_tri_tu", gia_tri_tu);
            row.set("gia_tri_den", gia_tri_den);
            row.set("ma_noi_dang_ky_kcb", r.get("NoiDangKyKcb/MaCoSo"));
        });
    }
    batch.finish()
}
