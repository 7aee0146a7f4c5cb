//! Talking to the business registration API and mapping its records into rows.

use crate::like::Pattern;
use crate::normalize;
use lgsp_guest::source::{self, Page};
use lgsp_guest::{
    BatchSource, Cell, Date, Error, HttpClient, RecordBatch, Result, ScanRequest, required_config,
};
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The registry's largest page and batch sizes.
const PAGE_SIZE: u64 = 100;
const BATCH: usize = 50;

/// The configured registry API.
pub(crate) struct Api {
    http: HttpClient,
}

impl Api {
    pub(crate) fn from_config() -> Result<Self> {
        let http = HttpClient::from_config()?.header("X-Api-Key", required_config("api_key")?);
        Ok(Self { http })
    }

    pub(crate) fn health(&self) -> Result<()> {
        let envelope: Envelope<serde_json::Value> =
            self.http.get("/dkkd/v2/health", &[])?.check()?.json()?;
        ok_data(envelope).map(|_| ())
    }

    fn get<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<Envelope<T>> {
        self.http.get(path, query)?.check()?.json()
    }

    fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Envelope<T>> {
        self.http.post_json(path, body)?.check()?.json()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    status: String,
    data: Option<T>,
    paging: Option<Paging>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Paging {
    page: u64,
    page_size: u64,
    total_records: u64,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct TruSo {
    ma_tinh: Option<String>,
    ma_tinh_cu: Option<String>,
    ma_xa: Option<String>,
    dia_chi_chi_tiet: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DoanhNghiepWire {
    #[serde(rename = "maSoDN")]
    ma_so_dn: Option<String>,
    #[serde(rename = "maSoDNChuQuan")]
    ma_so_dn_chu_quan: Option<String>,
    #[serde(rename = "tenDN")]
    ten_dn: Option<String>,
    ten_nuoc_ngoai: Option<String>,
    ten_viet_tat: Option<String>,
    #[serde(rename = "loaiHinhDN")]
    loai_hinh_dn: Option<String>,
    tinh_trang_hoat_dong: Option<String>,
    ngay_thanh_lap: Option<String>,
    tru_so: Option<TruSo>,
    nganh_nghe_chinh: Option<String>,
    von_dieu_le: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DaiDienWire {
    ho_ten: Option<String>,
    so_giay_to: Option<String>,
    chuc_danh: Option<String>,
    ngay_bat_dau: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TheoDoanhNghiepWire {
    #[serde(rename = "maSoDN")]
    ma_so_dn: Option<String>,
    #[serde(default)]
    nguoi_dai_dien: Vec<DaiDienWire>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DoanhNghiepCuaNguoiWire {
    #[serde(rename = "maSoDN")]
    ma_so_dn: Option<String>,
    chuc_danh: Option<String>,
    ngay_bat_dau: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TheoCaNhanWire {
    so_dinh_danh: Option<String>,
    ho_ten: Option<String>,
    #[serde(default)]
    doanh_nghiep: Vec<DoanhNghiepCuaNguoiWire>,
}

fn ok_data<T>(envelope: Envelope<T>) -> Result<Option<T>> {
    if envelope.status != "00" {
        return Err(Error::upstream_error(format!(
            "the registry answered with result code {}",
            envelope.status
        )));
    }
    Ok(envelope.data)
}

/// Lookup by business codes: one GET for a single code, else batches of 50.
pub(crate) fn lookup_businesses(
    api: Api,
    request: ScanRequest,
    codes: Vec<String>,
) -> Box<dyn BatchSource> {
    source::chunked(request.limit(), codes, BATCH, move |chunk| {
        let records = if let [code] = chunk {
            let response = api
                .http
                .get(&format!("/dkkd/v2/doanh-nghiep/{code}"), &[])?;
            if response.status() == 404 {
                Vec::new()
            } else {
                let envelope: Envelope<DoanhNghiepWire> = response.check()?.json()?;
                ok_data(envelope)?.into_iter().collect()
            }
        } else {
            let body = serde_json::json!({ "dsMaSoDN": chunk });
            ok_data(api.post::<Vec<DoanhNghiepWire>>("/dkkd/v2/doanh-nghiep/tra-cuu-lo", &body)?)?
                .unwrap_or_default()
        };
        businesses_batch(&request, &records, None)
    })
}

/// How a listing of businesses is asked for.
pub(crate) enum Listing {
    /// Head offices and branches located in a commune.
    Commune(String),
    /// ... in a province (2025 code).
    Province(String),
    /// Name search: the registry's keyword search, then `patterns` (the
    /// query's `LIKE`s) applied exactly; `echo_keyword` fills `tu_khoa`.
    Search {
        keyword: String,
        patterns: Vec<Pattern>,
        echo_keyword: Option<String>,
    },
}

/// A paged listing, one or more upstream pages per batch.
pub(crate) fn list_businesses(
    api: Api,
    request: ScanRequest,
    listing: Listing,
) -> Box<dyn BatchSource> {
    let filtered = matches!(&listing, Listing::Search { patterns, .. } if !patterns.is_empty());
    // The page size stays fixed for the whole scan, or page offsets would
    // shift; a LIMIT shrinks it only when every fetched row is returned.
    let page_size = match request.limit() {
        Some(l) if !filtered => l.clamp(1, PAGE_SIZE),
        _ => PAGE_SIZE,
    };
    let size = page_size.to_string();
    let mut next_page: u64 = 1;
    let limit = request.limit();
    source::paged(limit, move |_| {
        // A page whose rows all fail the LIKE patterns must not end the scan
        // (an empty batch would), so keep fetching until rows or the end.
        loop {
            let page = next_page.to_string();
            next_page += 1;
            let (path, key, value) = match &listing {
                Listing::Commune(x) => ("/dkkd/v2/doanh-nghiep", "maXa", x.as_str()),
                Listing::Province(t) => ("/dkkd/v2/doanh-nghiep", "maTinh", t.as_str()),
                Listing::Search { keyword, .. } => {
                    ("/dkkd/v2/doanh-nghiep/tim-kiem", "tuKhoa", keyword.as_str())
                }
            };
            let query = [
                (key, value),
                ("page", page.as_str()),
                ("pageSize", size.as_str()),
            ];
            let envelope: Envelope<Vec<DoanhNghiepWire>> = api.get(path, &query)?;
            let last = is_last(envelope.paging.as_ref());
            let mut records = ok_data(envelope)?.unwrap_or_default();
            let exhausted = last || records.is_empty();
            let echo = match &listing {
                Listing::Search {
                    patterns,
                    echo_keyword,
                    ..
                } => {
                    records.retain(|r| {
                        let name = r.ten_dn.as_deref().unwrap_or("");
                        patterns.iter().all(|p| p.matches(name))
                    });
                    echo_keyword.as_deref()
                }
                _ => None,
            };
            if !records.is_empty() || exhausted {
                return Ok(Page {
                    batch: businesses_batch(&request, &records, echo)?,
                    last: exhausted,
                });
            }
        }
    })
}

/// Whether the registry has no page after this one (it gives the record
/// count, not the page count).
fn is_last(paging: Option<&Paging>) -> bool {
    paging.is_none_or(|p| p.page.saturating_mul(p.page_size) >= p.total_records)
}

fn businesses_batch(
    request: &ScanRequest,
    records: &[DoanhNghiepWire],
    tu_khoa: Option<&str>,
) -> Result<RecordBatch> {
    let normalized = records
        .iter()
        .map(Normalized::from_wire)
        .collect::<Result<Vec<_>>>()?;
    let mut batch = request.batch_builder(records.len());
    for (r, n) in records.iter().zip(&normalized) {
        let tru_so = r.tru_so.as_ref();
        batch.row(|row| {
            row.set("ma_so_doanh_nghiep", r.ma_so_dn.as_ref());
            row.set("ma_so_chu_quan", r.ma_so_dn_chu_quan.as_ref());
            row.set("ten", r.ten_dn.as_ref());
            row.set("ten_nuoc_ngoai", r.ten_nuoc_ngoai.as_ref());
            row.set("ten_viet_tat", r.ten_viet_tat.as_ref());
            row.set("ma_loai_hinh", n.ma_loai_hinh.as_ref());
            row.set("ma_trang_thai", n.ma_trang_thai.as_ref());
            row.set("ngay_thanh_lap", n.ngay_thanh_lap);
            row.set("ma_tinh", n.ma_tinh.as_ref());
            row.set("ma_xa", tru_so.and_then(|t| t.ma_xa.as_ref()));
            row.set("dia_chi", tru_so.and_then(|t| t.dia_chi_chi_tiet.as_ref()));
            row.set("ma_nganh_chinh", r.nganh_nghe_chinh.as_ref());
            row.set("von_dieu_le", n.von_dieu_le.map(Cell::Decimal));
            row.set("tu_khoa", tu_khoa);
        });
    }
    batch.finish()
}

/// The fields that need mapping, mapped once per record.
struct Normalized {
    ma_loai_hinh: Option<String>,
    ma_trang_thai: Option<String>,
    ngay_thanh_lap: Option<Date>,
    ma_tinh: Option<String>,
    von_dieu_le: Option<i128>,
}

impl Normalized {
    fn from_wire(r: &DoanhNghiepWire) -> Result<Self> {
        if r.ma_so_dn.as_deref().is_none_or(str::is_empty) {
            return Err(Error::upstream_error(
                "the registry sent a business without maSoDN",
            ));
        }
        let tru_so = r.tru_so.as_ref();
        let ngay_thanh_lap = normalize::date("ngayThanhLap", r.ngay_thanh_lap.as_deref())?;
        Ok(Self {
            ma_loai_hinh: normalize::business_type(r.loai_hinh_dn.as_deref())?,
            ma_trang_thai: normalize::status(r.tinh_trang_hoat_dong.as_deref())?,
            ngay_thanh_lap,
            ma_tinh: normalize::province(
                tru_so.and_then(|t| t.ma_tinh.as_deref()),
                tru_so.and_then(|t| t.ma_tinh_cu.as_deref()),
                ngay_thanh_lap,
            )?,
            von_dieu_le: normalize::amount("vonDieuLe", r.von_dieu_le.as_deref())?,
        })
    }
}

/// One `nguoi_dai_dien` row, already normalized.
struct RepRow {
    ma_so_doanh_nghiep: String,
    so_dinh_danh: String,
    ho_ten: Option<String>,
    chuc_danh: Option<String>,
    ngay_bat_dau: Option<Date>,
}

fn reps_batch(request: &ScanRequest, rows: &[RepRow]) -> Result<RecordBatch> {
    let mut batch = request.batch_builder(rows.len());
    for r in rows {
        batch.row(|row| {
            row.set("ma_so_doanh_nghiep", &r.ma_so_doanh_nghiep);
            row.set("so_dinh_danh", &r.so_dinh_danh);
            row.set("ho_ten", r.ho_ten.as_ref());
            row.set("chuc_danh", r.chuc_danh.as_ref());
            row.set("ngay_bat_dau", r.ngay_bat_dau);
        });
    }
    batch.finish()
}

fn required(value: Option<&String>, field: &str) -> Result<String> {
    value
        .filter(|v| !v.is_empty())
        .cloned()
        .ok_or_else(|| Error::upstream_error(format!("the registry sent a record without {field}")))
}

/// Representatives of businesses, 50 business codes per call.
pub(crate) fn representatives_of(
    api: Api,
    request: ScanRequest,
    codes: Vec<String>,
) -> Box<dyn BatchSource> {
    source::chunked(request.limit(), codes, BATCH, move |chunk| {
        let body = serde_json::json!({ "dsMaSoDN": chunk });
        let records = ok_data(api.post::<Vec<TheoDoanhNghiepWire>>(
            "/dkkd/v2/nguoi-dai-dien/theo-doanh-nghiep",
            &body,
        )?)?
        .unwrap_or_default();
        let mut rows = Vec::new();
        for b in &records {
            let code = required(b.ma_so_dn.as_ref(), "maSoDN")?;
            for r in &b.nguoi_dai_dien {
                rows.push(RepRow {
                    ma_so_doanh_nghiep: code.clone(),
                    so_dinh_danh: required(r.so_giay_to.as_ref(), "soGiayTo")?,
                    ho_ten: r.ho_ten.clone(),
                    chuc_danh: r.chuc_danh.clone(),
                    ngay_bat_dau: normalize::date("ngayBatDau", r.ngay_bat_dau.as_deref())?,
                });
            }
        }
        reps_batch(&request, &rows)
    })
}

/// Businesses represented by persons, 50 personal IDs per call.
pub(crate) fn represented_by(
    api: Api,
    request: ScanRequest,
    ids: Vec<String>,
) -> Box<dyn BatchSource> {
    source::chunked(request.limit(), ids, BATCH, move |chunk| {
        let body = serde_json::json!({ "dsSoDinhDanh": chunk });
        let records = ok_data(
            api.post::<Vec<TheoCaNhanWire>>("/dkkd/v2/nguoi-dai-dien/theo-ca-nhan", &body)?,
        )?
        .unwrap_or_default();
        let mut rows = Vec::new();
        for p in &records {
            let id = required(p.so_dinh_danh.as_ref(), "soDinhDanh")?;
            for b in &p.doanh_nghiep {
                rows.push(RepRow {
                    ma_so_doanh_nghiep: required(b.ma_so_dn.as_ref(), "maSoDN")?,
                    so_dinh_danh: id.clone(),
                    ho_ten: p.ho_ten.clone(),
                    chuc_danh: b.chuc_danh.clone(),
                    ngay_bat_dau: normalize::date("ngayBatDau", b.ngay_bat_dau.as_deref())?,
                });
            }
        }
        reps_batch(&request, &rows)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use lgsp_guest::testing::scan_request;

    const RECORD: &str = r#"{
        "maSoDN": "0200233481", "maSoDNChuQuan": null, "laChiNhanh": false,
        "tenDN": "CÔNG TY CỔ PHẦN XÂY DỰNG AN BÌNH", "tenNuocNgoai": "AN BINH CONSTRUCTION JOINT STOCK COMPANY",
        "tenVietTat": "AN BINH JSC", "loaiHinhDN": "Công ty cổ phần", "tinhTrangHoatDong": "Tạm ngừng kinh doanh",
        "ngayThanhLap": "2012-03-05",
        "truSo": {"maTinhCu": "02", "tenTinh": "Tỉnh Hà Giang", "maXa": "00700", "tenXa": "Phường X", "diaChiChiTiet": "Số 1, đường Lê Lợi"},
        "nganhNgheChinh": "4101", "vonDieuLe": "1.500.000.000"
    }"#;

    #[test]
    fn maps_a_record_to_the_model() {
        let wire: DoanhNghiepWire = serde_json::from_str(RECORD).expect("parses");
        let table = crate::doanh_nghiep();
        let cols = [
            "ma_so_doanh_nghiep",
            "ma_loai_hinh",
            "ma_trang_thai",
            "ngay_thanh_lap",
            "ma_tinh",
            "ma_xa",
            "von_dieu_le",
            "tu_khoa",
        ];
        let req = scan_request(&table, &cols);
        let batch = businesses_batch(&req, &[wire], Some("an binh")).expect("maps");
        assert_eq!(batch.num_rows(), 1);
        let text = |i: usize| {
            batch
                .column(i)
                .as_any()
                .downcast_ref::<arrow_array::StringArray>()
                .map(|a| a.value(0).to_owned())
        };
        assert_eq!(text(0).as_deref(), Some("0200233481"));
        assert_eq!(text(1).as_deref(), Some("04"));
        assert_eq!(text(2).as_deref(), Some("02"));
        assert_eq!(
            text(4).as_deref(),
            Some("08"),
            "Hà Giang (02) is now Tuyên Quang (08)"
        );
        assert_eq!(text(7).as_deref(), Some("an binh"));
        let capital = batch
            .column(6)
            .as_any()
            .downcast_ref::<arrow_array::Decimal128Array>()
            .map(|a| a.value(0));
        assert_eq!(capital, Some(1_500_000_000));
        let date = batch
            .column(3)
            .as_any()
            .downcast_ref::<arrow_array::Date32Array>()
            .map(|a| a.value(0));
        assert_eq!(date, Date::from_ymd(2012, 3, 5).map(Date::days_since_epoch));
    }

    #[test]
    fn unknown_names_are_upstream_errors() {
        let wire: DoanhNghiepWire =
            serde_json::from_str(&RECORD.replace("Công ty cổ phần", "Hợp tác xã")).expect("parses");
        let req = scan_request(&crate::doanh_nghiep(), &["ma_loai_hinh"]);
        let e = businesses_batch(&req, &[wire], None).expect_err("not in the catalog");
        assert_eq!(e.kind(), lgsp_guest::ErrorKind::UpstreamError);
    }

    #[test]
    fn paging_ends_on_the_record_count() {
        let p = |page, total| Paging {
            page,
            page_size: 100,
            total_records: total,
        };
        assert!(!is_last(Some(&p(1, 101))));
        assert!(is_last(Some(&p(2, 101))));
        assert!(is_last(Some(&p(1, 100))));
        assert!(is_last(Some(&p(1, 0))));
        assert!(is_last(None));
    }

    #[test]
    fn envelope_failures_are_upstream_errors() {
        let env: Envelope<serde_json::Value> =
            serde_json::from_str(r#"{"status":"03","message":"Tối đa 50","data":null}"#)
                .expect("parses");
        let e = ok_data(env).expect_err("status 03");
        assert_eq!(e.kind(), lgsp_guest::ErrorKind::UpstreamError);
        assert!(e.message().contains("03"));
    }
}
