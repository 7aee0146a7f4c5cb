//! Talking to the land database API and mapping its records into rows.

use crate::normalize;
use crate::validate::ParcelKey;
use lgsp_guest::source::{self, Page};
use lgsp_guest::{
    BatchSource, Cell, Error, HttpClient, RecordBatch, Response, Result, ScanRequest,
    required_config,
};
use serde::Deserialize;
use serde_json::json;

/// Path prefix of the API.
const PREFIX: &str = "/api/dat-dai/v1";
/// The upstream's largest page and batch-lookup sizes.
const PAGE_SIZE: u64 = 500;
const LOOKUP_BATCH: usize = 100;
/// The result code of a successful answer.
const OK: &str = "0000";

/// The configured upstream API.
pub(crate) struct Api {
    http: HttpClient,
}

impl Api {
    /// The API from the connector's configuration (`base_url`, `token`,
    /// optional `timeout_ms`).
    pub(crate) fn from_config() -> Result<Self> {
        let token = required_config("token")?;
        let http = HttpClient::from_config()?.header("authorization", format!("Bearer {token}"));
        Ok(Self { http })
    }

    /// Level-2 health: the API answers its status route with success.
    pub(crate) fn health(&self) -> Result<()> {
        let envelope: Envelope<serde_json::Value> =
            checked(self.http.get(&format!("{PREFIX}/trang-thai"), &[])?)?.json()?;
        ok_data(envelope).map(|_| ())
    }

    fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Envelope<T>> {
        checked(self.http.get(&format!("{PREFIX}{path}"), query)?)?.json()
    }

    fn post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<Envelope<T>> {
        checked(self.http.post_json(&format!("{PREFIX}{path}"), body)?)?.json()
    }
}

/// Passes 2xx answers; an error answer that carries the API's envelope says
/// which result code it had, the others are mapped by the SDK.
fn checked(response: Response) -> Result<Response> {
    let status = response.status();
    if matches!(status, 400 | 413 | 422 | 500)
        && let Ok(envelope) = response.json::<Envelope<serde_json::Value>>()
        && let Some(result) = envelope.ket_qua
    {
        return Err(Error::upstream_error(format!(
            "the land database refused the request (HTTP {status}, result code {})",
            printable(&result.ma)
        )));
    }
    response.check()
}

/// A result code as it may appear in a message: short and plain.
fn printable(code: &str) -> String {
    code.chars()
        .filter(char::is_ascii_alphanumeric)
        .take(12)
        .collect()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    ket_qua: Option<ResultCode>,
    du_lieu: Option<T>,
    phan_trang: Option<Paging>,
}

#[derive(Deserialize)]
struct ResultCode {
    ma: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Paging {
    trang_hien_tai: u64,
    tong_so_trang: u64,
}

fn ok_data<T>(envelope: Envelope<T>) -> Result<Option<T>> {
    match envelope.ket_qua {
        Some(r) if r.ma == OK => Ok(envelope.du_lieu),
        Some(r) => Err(Error::upstream_error(format!(
            "the land database answered with result code {}",
            printable(&r.ma)
        ))),
        None => Err(Error::upstream_error(
            "the land database answered without a result code (ketQua)",
        )),
    }
}

/// A number the API may send as a JSON number or as text.
#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Text(String),
}

impl Number {
    fn value(number: Option<&Self>, field: &str) -> Result<Option<i64>> {
        match number {
            None => Ok(None),
            Some(Self::Int(i)) => Ok(Some(*i)),
            Some(Self::Text(s)) => s.trim().parse().map(Some).map_err(|_| {
                Error::upstream_error(format!("the upstream sent a non-numeric {field}"))
            }),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Unit {
    ma_xa: Option<String>,
    ten_tinh: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParcelWire {
    so_to_ban_do: Option<Number>,
    so_thua_dat: Option<Number>,
    don_vi_hanh_chinh: Option<Unit>,
    dien_tich: Option<String>,
    muc_dich_su_dung: Option<String>,
    dia_chi: Option<String>,
    hinh_hoc: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParcelRef {
    ma_xa: Option<String>,
    so_to_ban_do: Option<Number>,
    so_thua_dat: Option<Number>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Certificate {
    so_phat_hanh: Option<String>,
    ngay_cap: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RightWire {
    thua_dat: Option<ParcelRef>,
    loai_chu: Option<String>,
    so_dinh_danh: Option<String>,
    ma_so_doanh_nghiep: Option<String>,
    ten_chu: Option<String>,
    giay_chung_nhan: Option<Certificate>,
    hinh_thuc_su_dung: Option<String>,
    thoi_han_su_dung: Option<String>,
}

/// Parcels by key: one GET for a single key, else batches of 100.
pub(crate) fn parcels_by_key(
    api: Api,
    request: ScanRequest,
    keys: Vec<ParcelKey>,
) -> Box<dyn BatchSource> {
    source::chunked(request.limit(), keys, LOOKUP_BATCH, move |chunk| {
        let records = match chunk {
            [one] => {
                let path = format!(
                    "/thua-dat/{}/{}/{}",
                    one.ma_xa, one.so_to_ban_do, one.so_thua
                );
                let response = api.http.get(&format!("{PREFIX}{path}"), &[])?;
                if response.status() == 404 {
                    Vec::new()
                } else {
                    let envelope: Envelope<ParcelWire> = checked(response)?.json()?;
                    ok_data(envelope)?.into_iter().collect()
                }
            }
            many => {
                let keys: Vec<serde_json::Value> = many
                    .iter()
                    .map(|k| {
                        json!({ "maXa": k.ma_xa, "soToBanDo": k.so_to_ban_do, "soThuaDat": k.so_thua })
                    })
                    .collect();
                let envelope: Envelope<Vec<ParcelWire>> =
                    api.post("/thua-dat/tra-cuu", &json!({ "danhSachThua": keys }))?;
                ok_data(envelope)?.unwrap_or_default()
            }
        };
        parcels_batch(&request, &records)
    })
}

/// Rights by holder: batches of 100 personal IDs or business codes.
pub(crate) fn rights_by_holder(
    api: Api,
    request: ScanRequest,
    kind: HolderKind,
    keys: Vec<String>,
) -> Box<dyn BatchSource> {
    source::chunked(request.limit(), keys, LOOKUP_BATCH, move |chunk| {
        let (path, body) = match kind {
            HolderKind::Person => (
                "/quyen-su-dung/ca-nhan",
                json!({ "danhSachSoDinhDanh": chunk }),
            ),
            HolderKind::Organization => (
                "/quyen-su-dung/to-chuc",
                json!({ "danhSachMaSoDoanhNghiep": chunk }),
            ),
        };
        let envelope: Envelope<Vec<RightWire>> = api.post(path, &body)?;
        rights_batch(&request, &ok_data(envelope)?.unwrap_or_default())
    })
}

/// Which holders a rights lookup is by.
#[derive(Debug, Clone, Copy)]
pub(crate) enum HolderKind {
    /// By personal ID.
    Person,
    /// By business code.
    Organization,
}

/// Rights of parcels by key: the API answers one parcel per call.
pub(crate) fn rights_by_parcel(
    api: Api,
    request: ScanRequest,
    keys: Vec<ParcelKey>,
) -> Box<dyn BatchSource> {
    if keys.is_empty() {
        return source::empty();
    }
    let total = keys.len() as u32;
    source::paged(request.limit(), move |page| {
        let k = &keys[(page.page - 1) as usize];
        let path = format!(
            "{PREFIX}/thua-dat/{}/{}/{}/quyen-su-dung",
            k.ma_xa, k.so_to_ban_do, k.so_thua
        );
        let response = api.http.get(&path, &[])?;
        let records = if response.status() == 404 {
            Vec::new()
        } else {
            let envelope: Envelope<Vec<RightWire>> = checked(response)?.json()?;
            ok_data(envelope)?.unwrap_or_default()
        };
        Ok(Page {
            batch: rights_batch(&request, &records)?,
            last: page.page >= total,
        })
    })
}

/// A paged listing of `path` for one commune, one upstream page per batch.
fn listing<T: serde::de::DeserializeOwned + 'static>(
    api: Api,
    request: ScanRequest,
    path: &'static str,
    ma_xa: String,
    to_batch: fn(&ScanRequest, &[T]) -> Result<RecordBatch>,
) -> Box<dyn BatchSource> {
    // The page size stays fixed for the whole scan, or page offsets would shift.
    let page_size = request.limit().map_or(PAGE_SIZE, |l| l.clamp(1, PAGE_SIZE));
    let size = page_size.to_string();
    source::paged(request.limit(), move |page| {
        let trang = page.page.to_string();
        let query = [
            ("maXa", ma_xa.as_str()),
            ("trang", trang.as_str()),
            ("soBanGhi", size.as_str()),
        ];
        let envelope: Envelope<Vec<T>> = api.get(path, &query)?;
        let last = envelope
            .phan_trang
            .as_ref()
            .is_none_or(|p| p.trang_hien_tai >= p.tong_so_trang);
        let records = ok_data(envelope)?.unwrap_or_default();
        Ok(Page {
            batch: to_batch(&request, &records)?,
            last,
        })
    })
}

/// Parcels of a commune.
pub(crate) fn list_parcels(api: Api, request: ScanRequest, ma_xa: String) -> Box<dyn BatchSource> {
    listing(api, request, "/thua-dat", ma_xa, parcels_batch)
}

/// Rights on the parcels of a commune.
pub(crate) fn list_rights(api: Api, request: ScanRequest, ma_xa: String) -> Box<dyn BatchSource> {
    listing(api, request, "/quyen-su-dung", ma_xa, rights_batch)
}

/// A parcel's mapped values.
struct ParcelRow<'a> {
    ma_xa: Option<&'a str>,
    so_to_ban_do: Option<i64>,
    so_thua: Option<i64>,
    ma_tinh: Option<String>,
    dien_tich: Option<i128>,
    ma_loai_dat: Option<String>,
    hinh_hoc: Option<String>,
}

impl<'a> ParcelRow<'a> {
    fn from_wire(p: &'a ParcelWire, request: &ScanRequest) -> Result<Self> {
        let unit = p.don_vi_hanh_chinh.as_ref();
        Ok(Self {
            ma_xa: unit.and_then(|u| u.ma_xa.as_deref()),
            so_to_ban_do: Number::value(p.so_to_ban_do.as_ref(), "soToBanDo")?,
            so_thua: Number::value(p.so_thua_dat.as_ref(), "soThuaDat")?,
            ma_tinh: if request.wants("ma_tinh") {
                normalize::province(unit.and_then(|u| u.ten_tinh.as_deref()))?
            } else {
                None
            },
            dien_tich: normalize::area_tenths(p.dien_tich.as_deref())?,
            ma_loai_dat: normalize::land_use(p.muc_dich_su_dung.as_deref())?,
            hinh_hoc: if request.wants("hinh_hoc") {
                normalize::geometry(p.hinh_hoc.as_ref())
            } else {
                None
            },
        })
    }
}

fn parcels_batch(request: &ScanRequest, records: &[ParcelWire]) -> Result<RecordBatch> {
    let rows = records
        .iter()
        .map(|p| ParcelRow::from_wire(p, request))
        .collect::<Result<Vec<_>>>()?;
    let mut batch = request.batch_builder(records.len());
    for (p, n) in records.iter().zip(&rows) {
        batch.row(|r| {
            r.set("ma_xa", n.ma_xa);
            r.set("so_to_ban_do", n.so_to_ban_do);
            r.set("so_thua", n.so_thua);
            r.set("ma_tinh", n.ma_tinh.as_ref());
            r.set("dien_tich", n.dien_tich.map_or(Cell::Null, Cell::Decimal));
            r.set("ma_loai_dat", n.ma_loai_dat.as_ref());
            r.set("dia_chi", p.dia_chi.as_ref());
            r.set("hinh_hoc", n.hinh_hoc.as_ref());
        });
    }
    batch.finish()
}

/// A right's mapped values.
struct RightRow<'a> {
    ma_xa: Option<&'a str>,
    so_to_ban_do: Option<i64>,
    so_thua: Option<i64>,
    loai_chu: &'static str,
    ngay_cap: Option<lgsp_guest::Date>,
    thoi_han_den: Option<lgsp_guest::Date>,
}

impl<'a> RightRow<'a> {
    fn from_wire(r: &'a RightWire) -> Result<Self> {
        let parcel = r.thua_dat.as_ref();
        Ok(Self {
            ma_xa: parcel.and_then(|p| p.ma_xa.as_deref()),
            so_to_ban_do: Number::value(parcel.and_then(|p| p.so_to_ban_do.as_ref()), "soToBanDo")?,
            so_thua: Number::value(parcel.and_then(|p| p.so_thua_dat.as_ref()), "soThuaDat")?,
            loai_chu: normalize::holder_kind(r.loai_chu.as_deref())?,
            ngay_cap: normalize::date(
                "ngayCap",
                r.giay_chung_nhan
                    .as_ref()
                    .and_then(|g| g.ngay_cap.as_deref()),
            )?,
            thoi_han_den: normalize::term_end(r.thoi_han_su_dung.as_deref())?,
        })
    }
}

fn rights_batch(request: &ScanRequest, records: &[RightWire]) -> Result<RecordBatch> {
    let rows = records
        .iter()
        .map(RightRow::from_wire)
        .collect::<Result<Vec<_>>>()?;
    let mut batch = request.batch_builder(records.len());
    for (w, n) in records.iter().zip(&rows) {
        // Only the identifier that matches the holder kind is kept.
        let person = n.loai_chu == "CN";
        batch.row(|r| {
            r.set("ma_xa", n.ma_xa);
            r.set("so_to_ban_do", n.so_to_ban_do);
            r.set("so_thua", n.so_thua);
            r.set("loai_chu", n.loai_chu);
            r.set("so_dinh_danh", w.so_dinh_danh.as_deref().filter(|_| person));
            r.set(
                "ma_so_doanh_nghiep",
                w.ma_so_doanh_nghiep.as_deref().filter(|_| !person),
            );
            r.set("ten_chu", w.ten_chu.as_ref());
            r.set(
                "so_giay_chung_nhan",
                w.giay_chung_nhan
                    .as_ref()
                    .and_then(|g| g.so_phat_hanh.as_ref()),
            );
            r.set("ngay_cap", n.ngay_cap);
            r.set("hinh_thuc", w.hinh_thuc_su_dung.as_ref());
            r.set("thoi_han_den", n.thoi_han_den);
        });
    }
    batch.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lgsp_guest::testing::scan_request;

    fn parcel_json() -> serde_json::Value {
        json!({
            "soToBanDo": 12,
            "soThuaDat": "345",
            "donViHanhChinh": { "maXa": "00004", "tenXa": "Phường Ba Đình", "tenTinh": "Thành phố Hà Nội" },
            "dienTich": "1.234,5",
            "mucDichSuDung": "Đất thương mại, dịch vụ",
            "diaChi": "Số 1, đường Lê Lợi, Phường Ba Đình",
            "hinhHoc": { "type": "Polygon", "coordinates": [[[105.0, 21.0], [105.001, 21.0], [105.001, 21.001], [105.0, 21.0]]] }
        })
    }

    /// The values of a column as Arrow's debug output prints them, one per row.
    fn values(batch: &RecordBatch, column: &str) -> Vec<String> {
        let shown = format!("{:?}", batch.column_by_name(column).expect("column"));
        shown
            .lines()
            .filter(|l| l.starts_with("  "))
            .map(|l| l.trim().trim_end_matches(',').to_owned())
            .collect()
    }

    #[test]
    fn parcels_are_mapped_to_the_model() {
        let table = crate::thua_dat();
        let columns = [
            "ma_xa",
            "so_to_ban_do",
            "so_thua",
            "ma_tinh",
            "dien_tich",
            "ma_loai_dat",
            "dia_chi",
            "hinh_hoc",
        ];
        let req = scan_request(&table, &columns);
        let wire: ParcelWire = serde_json::from_value(parcel_json()).expect("wire");
        let batch = parcels_batch(&req, &[wire]).expect("maps");
        assert_eq!(batch.num_rows(), 1);
        let one = |c| values(&batch, c).join("|");
        assert_eq!(one("ma_xa"), "\"00004\"");
        assert_eq!(one("so_to_ban_do"), "12");
        assert_eq!(one("so_thua"), "345");
        assert_eq!(one("ma_tinh"), "\"01\"");
        // 1234.5 m², unscaled at DECIMAL(12,1).
        assert_eq!(one("dien_tich"), "12345");
        let schema = batch.schema();
        let field = schema.field_with_name("dien_tich").expect("field");
        assert_eq!(format!("{:?}", field.data_type()), "Decimal128(12, 1)");
        assert_eq!(one("ma_loai_dat"), "\"TMD\"");
        assert!(one("hinh_hoc").contains("Polygon"), "{}", one("hinh_hoc"));
    }

    #[test]
    fn rights_are_mapped_to_the_model() {
        let table = crate::quyen_su_dung();
        let columns = [
            "ma_xa",
            "so_thua",
            "loai_chu",
            "so_dinh_danh",
            "ma_so_doanh_nghiep",
            "ngay_cap",
            "thoi_han_den",
        ];
        let req = scan_request(&table, &columns);
        let records: Vec<RightWire> = serde_json::from_value(json!([
            {
                "thuaDat": { "maXa": "00004", "soToBanDo": 1, "soThuaDat": 2 },
                "loaiChu": "CA_NHAN",
                "soDinhDanh": "001085012345",
                "tenChu": "Nguyễn Văn An",
                "giayChungNhan": { "soPhatHanh": "CS012345", "ngayCap": "2015-03-02T00:00:00+07:00" },
                "hinhThucSuDung": "Công nhận quyền sử dụng đất",
                "thoiHanSuDung": "Lâu dài"
            },
            {
                "thuaDat": { "maXa": "00004", "soToBanDo": 1, "soThuaDat": 3 },
                "loaiChu": "TO_CHUC",
                "maSoDoanhNghiep": "0100233488",
                "tenChu": "CÔNG TY A",
                "giayChungNhan": { "soPhatHanh": "DA000001", "ngayCap": "2020-01-31T00:00:00+07:00" },
                "hinhThucSuDung": "Nhà nước cho thuê đất trả tiền thuê đất hằng năm",
                "thoiHanSuDung": "2070-01-31T00:00:00+07:00"
            }
        ]))
        .expect("wire");
        let batch = rights_batch(&req, &records).expect("maps");
        assert_eq!(batch.num_rows(), 2);
        let col = |c| values(&batch, c);
        assert_eq!(col("loai_chu"), ["\"CN\"", "\"TC\""]);
        assert_eq!(col("ngay_cap"), ["2015-03-02", "2020-01-31"]);
        assert_eq!(col("thoi_han_den"), ["null", "2070-01-31"]);
        assert_eq!(col("so_dinh_danh"), ["\"001085012345\"", "null"]);
        assert_eq!(col("ma_so_doanh_nghiep"), ["null", "\"0100233488\""]);
        assert_eq!(col("so_thua"), ["2", "3"]);
    }

    #[test]
    fn bad_upstream_values_are_upstream_errors() {
        let table = crate::quyen_su_dung();
        let req = scan_request(&table, &["loai_chu"]);
        let records: Vec<RightWire> =
            serde_json::from_value(json!([{ "loaiChu": "HO_GIA_DINH" }])).expect("wire");
        let e = rights_batch(&req, &records).expect_err("unknown kind");
        assert_eq!(e.kind(), lgsp_guest::ErrorKind::UpstreamError);

        let failed: Envelope<serde_json::Value> =
            serde_json::from_value(json!({ "ketQua": { "ma": "E500", "moTa": "Lỗi" } }))
                .expect("envelope");
        let e = ok_data(failed).expect_err("failure code");
        assert!(e.message().contains("E500"), "{e}");
        let bare: Envelope<serde_json::Value> =
            serde_json::from_value(json!({ "duLieu": [] })).expect("envelope");
        assert!(ok_data(bare).is_err());
    }
}
