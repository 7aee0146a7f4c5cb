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
    /// When the record was last updated: its codes are those valid then.
    ngay_cap_nhat: Option<String>,
}

/// Upstream field names needed for `columns` (the API's `truong`).
fn upstream_fields<'a>(columns: impl IntoIterator<Item = &'a str>) -> Vec<&'static str> {
    let mut fields: Vec<&'static str> = columns
        .into_iter()
        .flat_map(|c| match c {
            "so_dinh_danh" => &["soDinhDanh"][..],
            "ho_ten" => &["hoVaTen"],
            "ngay_sinh" => &["ngaySinh"],
            "gioi_tinh" => &["gioiTinh"],
            "ma_dan_toc" => &["danToc"],
            "ma_quoc_tich" => &["quocTich"],
            // Codes are read as of the record's last update.
            "que_quan_ma_tinh" | "que_quan_ma_xa" => &["queQuan", "ngayCapNhat"],
            "ma_tinh" | "ma_xa" => &["thuongTru", "ngayCapNhat"],
            "ma_xa_goc" | "dia_chi" => &["thuongTru"],
            "ma_ho" => &["soHoKhau"],
            "quan_he_chu_ho" => &["quanHeChuHo"],
            "ngay_mat" => &["ngayMat"],
            _ => &[],
        })
        .copied()
        .collect();
    fields.sort_unstable();
    fields.dedup();
    if fields.is_empty() {
        // COUNT(*) asks for no columns; still ask for something small.
        fields.push("soDinhDanh");
    }
    fields
}

/// The fields a lookup needs.
fn lookup_fields(request: &ScanRequest) -> Vec<&'static str> {
    upstream_fields(request.columns().iter().map(String::as_str))
}

/// The fields a listing by commune needs: the requested ones plus the
/// current commune, to keep only the rows that have it.
fn listing_fields(request: &ScanRequest) -> Vec<&'static str> {
    upstream_fields(
        request
            .columns()
            .iter()
            .map(String::as_str)
            .chain(["ma_xa"]),
    )
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
        to_batch(&request, &records, None)
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
        "truong": lookup_fields(request),
    });
    let envelope: Envelope<Vec<CongDanWire>> = api
        .http
        .post_json("/api/v1/cong-dan/tra-cuu", &body)?
        .check()?
        .json()?;
    Ok(ok_data(envelope)?.unwrap_or_default())
}

/// Listing by commune, one upstream page per batch.
///
/// The upstream lists a citizen under today's commune, but a record last
/// updated before 2025-07-01 may name an old commune that was split, whose
/// `ma_xa` is therefore NULL. Such rows are dropped, so that the rows of a
/// listing are exactly those whose `ma_xa` is the one asked for, as an
/// access path requires.
pub(crate) fn list_commune(api: Api, request: ScanRequest, ma_xa: String) -> Box<dyn BatchSource> {
    // The page size stays fixed for the whole scan, or page offsets would shift.
    let page_size = request.limit().map_or(PAGE_SIZE, |l| l.clamp(1, PAGE_SIZE));
    let fields = listing_fields(&request).join(",");
    let size = page_size.to_string();
    // Our own page counter: a page whose rows were all dropped is followed
    // by the next one in the same pull, since an empty batch ends the scan.
    let mut next_page: u64 = 1;
    source::paged(request.limit(), move |_| {
        loop {
            let trang = next_page.to_string();
            next_page += 1;
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
            let batch = to_batch(&request, &records, Some(&ma_xa))?;
            if batch.num_rows() > 0 || last || records.is_empty() {
                return Ok(Page { batch, last });
            }
        }
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

/// The rows of `records`; with `only_commune`, only those whose `ma_xa` is it.
fn to_batch(
    request: &ScanRequest,
    records: &[CongDanWire],
    only_commune: Option<&str>,
) -> Result<RecordBatch> {
    let mut batch = request.batch_builder(records.len());
    let mut failure = None;
    for c in records {
        let normalized = Normalized::from_wire(c);
        match normalized {
            Ok(n) if only_commune.is_some_and(|x| n.ma_xa.as_deref() != Some(x)) => {}
            Ok(n) => batch.row(|r| {
                r.set("so_dinh_danh", c.so_dinh_danh.as_ref());
                r.set("ho_ten", c.ho_va_ten.as_ref());
                r.set("ngay_sinh", n.ngay_sinh);
                r.set("gioi_tinh", n.gioi_tinh.as_ref());
                r.set("ma_dan_toc", n.ma_dan_toc.as_ref());
                r.set("ma_quoc_tich", n.ma_quoc_tich.as_ref());
                r.set("que_quan_ma_tinh", n.que_quan_ma_tinh.as_ref());
                r.set("que_quan_ma_xa", n.que_quan_ma_xa.as_ref());
                r.set("ma_tinh", n.ma_tinh.as_ref());
                r.set("ma_xa", n.ma_xa.as_ref());
                r.set(
                    "ma_xa_goc",
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
    que_quan_ma_xa: Option<String>,
    ma_tinh: Option<String>,
    ma_xa: Option<String>,
}

impl Normalized {
    fn from_wire(c: &CongDanWire) -> Result<Self> {
        let updated = normalize::date("ngayCapNhat", c.ngay_cap_nhat.as_deref())?;
        let as_of = normalize::as_of(updated);
        let que_quan = c.que_quan.as_ref();
        let thuong_tru = c.thuong_tru.as_ref();
        Ok(Self {
            ngay_sinh: normalize::date("ngaySinh", c.ngay_sinh.as_deref())?,
            ngay_mat: normalize::date("ngayMat", c.ngay_mat.as_deref())?,
            gioi_tinh: normalize::gender(c.gioi_tinh.as_deref())?,
            ma_dan_toc: normalize::ethnicity(c.dan_toc.as_deref())?,
            ma_quoc_tich: normalize::nationality(c.quoc_tich.as_deref())?,
            que_quan_ma_tinh: normalize::province(
                "queQuan.maTinh",
                que_quan.and_then(|p| p.ma_tinh.as_deref()),
                as_of,
            )?,
            que_quan_ma_xa: normalize::commune(
                "queQuan.maXa",
                que_quan.and_then(|p| p.ma_xa.as_deref()),
                as_of,
            )?,
            ma_tinh: normalize::province(
                "thuongTru.maTinh",
                thuong_tru.and_then(|p| p.ma_tinh.as_deref()),
                as_of,
            )?,
            ma_xa: normalize::commune(
                "thuongTru.maXa",
                thuong_tru.and_then(|p| p.ma_xa.as_deref()),
                as_of,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::tests::WithCommunes;
    use arrow_array::{Array, StringArray};
    use lgsp_guest::testing;

    /// Three residents of Ba Đình (00004) as the upstream sends them: one
    /// updated since the reorganization, one recorded under Trúc Bạch (merged
    /// whole into Ba Đình), one under Ngọc Hà (split between Ba Đình and
    /// Ngọc Hà).
    fn records() -> Vec<CongDanWire> {
        let record = |id: &str, xa: &str, tinh: &str, updated: &str| {
            serde_json::json!({
                "soDinhDanh": id,
                "queQuan": { "maTinh": tinh, "maXa": xa },
                "thuongTru": { "maTinh": tinh, "maXa": xa, "diaChiChiTiet": "Số 1" },
                "ngayCapNhat": updated,
            })
        };
        serde_json::from_value(serde_json::json!([
            record("001085000001", "00004", "01", "02/09/2025"),
            record("001085000002", "00004", "01", "15/03/2024"),
            record("001085000003", "00016", "01", "30/06/2025"),
        ]))
        .expect("wire records")
    }

    fn texts(batch: &RecordBatch, column: &str) -> Vec<Option<String>> {
        let array = batch
            .column_by_name(column)
            .and_then(|a| a.as_any().downcast_ref::<StringArray>())
            .expect("text column");
        (0..array.len())
            .map(|i| (!array.is_null(i)).then(|| array.value(i).to_owned()))
            .collect()
    }

    fn some(v: &[&str]) -> Vec<Option<String>> {
        v.iter().map(|s| Some((*s).to_owned())).collect()
    }

    const COLUMNS: &[&str] = &[
        "so_dinh_danh",
        "ma_tinh",
        "ma_xa",
        "ma_xa_goc",
        "que_quan_ma_xa",
    ];

    #[test]
    fn old_codes_are_read_as_of_the_last_update() {
        let request = testing::scan_request(&crate::cong_dan(), COLUMNS);
        let batch = testing::with_catalogs(WithCommunes, || to_batch(&request, &records(), None))
            .expect("batch");
        assert_eq!(
            texts(&batch, "ma_xa"),
            vec![Some("00004".into()), Some("00004".into()), None]
        );
        assert_eq!(texts(&batch, "que_quan_ma_xa"), texts(&batch, "ma_xa"));
        assert_eq!(
            texts(&batch, "ma_xa_goc"),
            some(&["00004", "00004", "00016"])
        );
        assert_eq!(texts(&batch, "ma_tinh"), some(&["01", "01", "01"]));
    }

    #[test]
    fn a_listing_keeps_only_rows_of_the_commune_asked_for() {
        let request = testing::scan_request(&crate::cong_dan(), COLUMNS);
        let batch = testing::with_catalogs(WithCommunes, || {
            to_batch(&request, &records(), Some("00004"))
        })
        .expect("batch");
        assert_eq!(
            texts(&batch, "so_dinh_danh"),
            some(&["001085000001", "001085000002"])
        );
    }

    #[test]
    fn an_unknown_recorded_code_fails_the_scan() {
        let request = testing::scan_request(&crate::cong_dan(), COLUMNS);
        let mut wire = records();
        wire[1].thuong_tru = Some(Place {
            ma_xa: Some("00008".into()),
            ..Place::default()
        });
        let err = testing::with_catalogs(WithCommunes, || to_batch(&request, &wire, None))
            .expect_err("00008 was no commune code in 2024");
        assert_eq!(
            err.message(),
            "the upstream sent a thuongTru.maXa value that is not in the dvhc_xa catalog"
        );
    }

    #[test]
    fn codes_need_the_update_date_and_listings_the_commune() {
        let request = testing::scan_request(&crate::cong_dan(), &["ho_ten", "ma_xa"]);
        assert_eq!(
            lookup_fields(&request),
            ["hoVaTen", "ngayCapNhat", "thuongTru"]
        );
        let request = testing::scan_request(&crate::cong_dan(), &["ho_ten"]);
        assert_eq!(lookup_fields(&request), ["hoVaTen"]);
        assert_eq!(
            listing_fields(&request),
            ["hoVaTen", "ngayCapNhat", "thuongTru"]
        );
        let request = testing::scan_request(&crate::cong_dan(), &["ma_xa_goc"]);
        assert_eq!(lookup_fields(&request), ["thuongTru"]);
    }
}
