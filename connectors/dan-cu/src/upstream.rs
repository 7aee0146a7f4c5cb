//! Talking to the population database API and mapping its records into rows.

use crate::normalize;
use lgsp_guest::source::{self, Page};
use lgsp_guest::{
    BatchSource, Error, HttpClient, RecordBatch, Result, ScanRequest, required_config,
};
use serde::Deserialize;

/// The upstream's largest page and batch-lookup sizes.
const PAGE_SIZE: u64 = 1000;
const LOOKUP_BATCH: usize = 100;

/// The configured upstream API.
pub(crate) struct Api {
    http: HttpClient,
}

impl Api {
    pub(crate) fn from_config() -> Result<Self> {
        let http = HttpClient::from_config()?.header("x-api-key", required_config("api_key")?);
        Ok(Self { http })
    }

    pub(crate) fn health(&self) -> Result<()> {
        self.http.get("/api/v1/suc-khoe", &[])?.check().map(|_| ())
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    ma_ket_qua: String,
    du_lieu: Option<T>,
    phan_trang: Option<Paging>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Paging {
    trang: u64,
    tong_so_trang: u64,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Place {
    ma_tinh: Option<String>,
    ma_xa: Option<String>,
    dia_chi_chi_tiet: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CongDanWire {
    so_dinh_danh: Option<String>,
    ho_va_ten: Option<String>,
    ngay_sinh: Option<String>,
    gioi_tinh: Option<String>,
    dan_toc: Option<String>,
    quoc_tich: Option<String>,
    que_quan: Option<Place>,
    thuong_tru: Option<Place>,
    so_ho_khau: Option<String>,
    quan_he_chu_ho: Option<String>,
    ngay_mat: Option<String>,
}

/// Upstream field names needed for the requested columns (the API's `truong`).
fn upstream_fields(request: &ScanRequest) -> Vec<&'static str> {
    let mut fields: Vec<&'static str> = request
        .columns()
        .iter()
        .filter_map(|c| match c.as_str() {
            "so_dinh_danh" => Some("soDinhDanh"),
            "ho_ten" => Some("hoVaTen"),
            "ngay_sinh" => Some("ngaySinh"),
            "gioi_tinh" => Some("gioiTinh"),
            "ma_dan_toc" => Some("danToc"),
            "ma_quoc_tich" => Some("quocTich"),
            "que_quan_ma_tinh" | "que_quan_ma_xa" => Some("queQuan"),
            "ma_tinh" | "ma_xa" | "dia_chi" => Some("thuongTru"),
            "ma_ho" => Some("soHoKhau"),
            "quan_he_chu_ho" => Some("quanHeChuHo"),
            "ngay_mat" => Some("ngayMat"),
            _ => None,
        })
        .collect();
    fields.sort_unstable();
    fields.dedup();
    if fields.is_empty() {
        // COUNT(*) asks for no columns; still ask for something small.
        fields.push("soDinhDanh");
    }
    fields
}

/// Lookup by personal IDs: one GET for a single ID, else batches of 100, fetched
/// lazily one batch per pull.
pub(crate) fn lookup(api: Api, request: ScanRequest, ids: Vec<String>) -> Box<dyn BatchSource> {
    let limit = request.limit();
    source::chunked(limit, ids, LOOKUP_BATCH, move |chunk: &[String]| {
        let records = match chunk {
            [one] => lookup_one(&api, one)?,
            many => lookup_many(&api, &request, many)?,
        };
        to_batch(&request, &records)
    })
}

fn lookup_one(api: &Api, id: &str) -> Result<Vec<CongDanWire>> {
    let response = api.http.get(&format!("/api/v1/cong-dan/{id}"), &[])?;
    if response.status() == 404 {
        return Ok(Vec::new());
    }
    let envelope: Envelope<CongDanWire> = response.check()?.json()?;
    Ok(ok_data(envelope)?.into_iter().collect())
}

fn lookup_many(api: &Api, request: &ScanRequest, ids: &[String]) -> Result<Vec<CongDanWire>> {
    let body = serde_json::json!({
        "danhSachSoDinhDanh": ids,
        "truong": upstream_fields(request),
    });
    let envelope: Envelope<Vec<CongDanWire>> = api
        .http
        .post_json("/api/v1/cong-dan/tra-cuu", &body)?
        .check()?
        .json()?;
    Ok(ok_data(envelope)?.unwrap_or_default())
}

/// Listing by commune, one upstream page per batch.
pub(crate) fn list_commune(api: Api, request: ScanRequest, ma_xa: String) -> Box<dyn BatchSource> {
    // The page size stays fixed for the whole scan, or page offsets would shift.
    let page_size = request.limit().map_or(PAGE_SIZE, |l| l.clamp(1, PAGE_SIZE));
    let fields = upstream_fields(&request).join(",");
    let size = page_size.to_string();
    source::paged(request.limit(), move |page| {
        let trang = page.page.to_string();
        let query = [
            ("maXa", ma_xa.as_str()),
            ("trang", trang.as_str()),
            ("soBanGhi", size.as_str()),
            ("truong", fields.as_str()),
        ];
        let envelope: Envelope<Vec<CongDanWire>> =
            api.http.get("/api/v1/cong-dan", &query)?.check()?.json()?;
        let last = envelope
            .phan_trang
            .as_ref()
            .is_none_or(|p| p.trang >= p.tong_so_trang);
        let records = ok_data(envelope)?.unwrap_or_default();
        Ok(Page {
            batch: to_batch(&request, &records)?,
            last,
        })
    })
}

fn ok_data<T>(envelope: Envelope<T>) -> Result<Option<T>> {
    if envelope.ma_ket_qua != "00" {
        return Err(Error::upstream_error(format!(
            "the upstream answered with result code {}",
            envelope.ma_ket_qua
        )));
    }
    Ok(envelope.du_lieu)
}

fn to_batch(request: &ScanRequest, records: &[CongDanWire]) -> Result<RecordBatch> {
    let mut batch = request.batch_builder(records.len());
    let mut failure = None;
    for c in records {
        let normalized = Normalized::from_wire(c);
        match normalized {
            Ok(n) => batch.row(|r| {
                r.set("so_dinh_danh", c.so_dinh_danh.as_ref());
                r.set("ho_ten", c.ho_va_ten.as_ref());
                r.set("ngay_sinh", n.ngay_sinh);
                r.set("gioi_tinh", n.gioi_tinh.as_ref());
                r.set("ma_dan_toc", n.ma_dan_toc.as_ref());
                r.set("ma_quoc_tich", n.ma_quoc_tich.as_ref());
                r.set("que_quan_ma_tinh", n.que_quan_ma_tinh.as_ref());
                r.set(
                    "que_quan_ma_xa",
                    c.que_quan.as_ref().and_then(|p| p.ma_xa.as_ref()),
                );
                r.set("ma_tinh", n.ma_tinh.as_ref());
                r.set(
                    "ma_xa",
                    c.thuong_tru.as_ref().and_then(|p| p.ma_xa.as_ref()),
                );
                r.set(
                    "dia_chi",
                    c.thuong_tru
                        .as_ref()
                        .and_then(|p| p.dia_chi_chi_tiet.as_ref()),
                );
                r.set("ma_ho", c.so_ho_khau.as_ref());
                r.set("quan_he_chu_ho", c.quan_he_chu_ho.as_ref());
                r.set("ngay_mat", n.ngay_mat);
            }),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => batch.finish(),
    }
}

/// The fields that need mapping, mapped once per record.
struct Normalized {
    ngay_sinh: Option<lgsp_guest::Date>,
    ngay_mat: Option<lgsp_guest::Date>,
    gioi_tinh: Option<String>,
    ma_dan_toc: Option<String>,
    ma_quoc_tich: Option<String>,
    que_quan_ma_tinh: Option<String>,
    ma_tinh: Option<String>,
}

impl Normalized {
    fn from_wire(c: &CongDanWire) -> Result<Self> {
        Ok(Self {
            ngay_sinh: normalize::date("ngaySinh", c.ngay_sinh.as_deref())?,
            ngay_mat: normalize::date("ngayMat", c.ngay_mat.as_deref())?,
            gioi_tinh: normalize::gender(c.gioi_tinh.as_deref())?,
            ma_dan_toc: normalize::ethnicity(c.dan_toc.as_deref())?,
            ma_quoc_tich: normalize::nationality(c.quoc_tich.as_deref())?,
            que_quan_ma_tinh: normalize::province(
                c.que_quan.as_ref().and_then(|p| p.ma_tinh.as_deref()),
            )?,
            ma_tinh: normalize::province(c.thuong_tru.as_ref().and_then(|p| p.ma_tinh.as_deref()))?,
        })
    }
}
