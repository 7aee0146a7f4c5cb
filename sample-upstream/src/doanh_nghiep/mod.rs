//! The simulated national business registration database API (Cơ sở dữ liệu
//! quốc gia về đăng ký doanh nghiệp), REST/JSON under `/dkkd/v2`:
//! lookup by code, batch lookup, search by name, listing by province or
//! commune, representatives by business or by person, health.
//!
//! Its wire format deliberately differs from both LGSP's model and the
//! population API: an English-keyed envelope `{status, message, data,
//! paging}` with result codes `00` (success), `01` (credential), `02`
//! (invalid parameter), `03` (over a cap), `04` (not found); business type and
//! status as Vietnamese names; the province as the pre-2025 code (`maTinhCu`)
//! for businesses registered before 2025-07-01 and the 2025 code (`maTinh`)
//! for later ones; dates `yyyy-mm-dd`; capital as a string with dot thousands
//! separators; paging that gives the total number of records but not of pages.

mod json;

use crate::sim::{self, Sim};
use crate::world::World;
use crate::world::business::{Business, fold};
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use lgsp_catalogs::ids;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Largest page the listing and search endpoints serve.
pub const MAX_PAGE_SIZE: usize = 100;
/// Page size when the caller gives none.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Most codes or personal IDs one batch call accepts.
pub const MAX_BATCH: usize = 50;
/// Shortest search keyword, in characters after trimming.
pub const MIN_KEYWORD_CHARS: usize = 2;

#[derive(Clone)]
struct AppState {
    world: Arc<World>,
    api_key: Arc<str>,
}

/// The business registration API with its API-key check and the simulation middleware.
pub(crate) fn routes(world: Arc<World>, api_key: &str, sim: Arc<Sim>) -> Router {
    let state = AppState {
        world,
        api_key: api_key.into(),
    };
    Router::new()
        .route("/dkkd/v2/doanh-nghiep", routing::get(list))
        .route("/dkkd/v2/doanh-nghiep/tra-cuu-lo", routing::post(batch))
        .route("/dkkd/v2/doanh-nghiep/tim-kiem", routing::get(search))
        .route("/dkkd/v2/doanh-nghiep/{ma_so}", routing::get(one))
        .route(
            "/dkkd/v2/nguoi-dai-dien/theo-doanh-nghiep",
            routing::post(representatives_of),
        )
        .route(
            "/dkkd/v2/nguoi-dai-dien/theo-ca-nhan",
            routing::post(represented_by),
        )
        .route("/dkkd/v2/health", routing::get(health))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_key))
        .route_layer(middleware::from_fn_with_state(sim, sim::observe))
        .with_state(state)
}

async fn require_key(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let given = req.headers().get("x-api-key").and_then(|v| v.to_str().ok());
    if given != Some(&*state.api_key) {
        return failure(
            StatusCode::UNAUTHORIZED,
            "01",
            "API key không hợp lệ hoặc đã hết hạn",
        );
    }
    next.run(req).await
}

fn failure(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "status": code, "message": message, "data": null })),
    )
        .into_response()
}

/// A refused request (400), turned into the envelope at the handler's edge
/// (kept small, unlike a whole `Response`).
struct Refusal {
    code: &'static str,
    message: String,
}

impl Refusal {
    fn bad(message: impl Into<String>) -> Self {
        Self {
            code: "02",
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        failure(StatusCode::BAD_REQUEST, self.code, &self.message)
    }
}

fn success(data: Value) -> Response {
    Json(json!({ "status": "00", "message": "Thành công", "data": data })).into_response()
}

impl AppState {
    fn business(&self, b: &Business) -> Value {
        json::business(b, self.world.commune(&b.ma_xa).map(|c| c.name.as_str()))
    }
}

async fn one(State(state): State<AppState>, Path(ma_so): Path<String>) -> Response {
    if ids::business_code(&ma_so).is_err() {
        return Refusal::bad("Mã số doanh nghiệp không hợp lệ").into_response();
    }
    match state.world.businesses().get(&ma_so) {
        Some(b) => success(state.business(b)),
        None => failure(
            StatusCode::NOT_FOUND,
            "04",
            "Không tìm thấy doanh nghiệp với mã số đã cho",
        ),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CodesBody {
    #[serde(rename = "dsMaSoDN")]
    ds_ma_so_dn: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersonsBody {
    ds_so_dinh_danh: Vec<String>,
}

/// Checks a batch body: present, parseable, within the cap, every value well
/// formed. Returns the values or the 400 answer.
fn batch_values(
    body: Result<Vec<String>, JsonRejection>,
    what: &str,
    check: fn(&str) -> Result<(), ids::Reason>,
) -> Result<Vec<String>, Refusal> {
    let values = body.map_err(|e| Refusal::bad(format!("Nội dung yêu cầu không hợp lệ: {e}")))?;
    if values.is_empty() {
        return Err(Refusal::bad(format!("Danh sách {what} rỗng")));
    }
    if values.len() > MAX_BATCH {
        return Err(Refusal {
            code: "03",
            message: format!("Tối đa {MAX_BATCH} {what} mỗi yêu cầu"),
        });
    }
    if let Some(pos) = values.iter().position(|v| check(v).is_err()) {
        return Err(Refusal::bad(format!("{what} thứ {} không hợp lệ", pos + 1)));
    }
    Ok(values)
}

/// The business codes of a `dsMaSoDN` body, checked (see [`batch_values`]).
fn business_codes(body: Result<Json<CodesBody>, JsonRejection>) -> Result<Vec<String>, Refusal> {
    batch_values(
        body.map(|Json(b)| b.ds_ma_so_dn),
        "mã số doanh nghiệp",
        ids::business_code,
    )
}

async fn batch(
    State(state): State<AppState>,
    body: Result<Json<CodesBody>, JsonRejection>,
) -> Result<Response, Refusal> {
    let codes = business_codes(body)?;
    let businesses = state.world.businesses();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for code in &codes {
        match businesses.get(code) {
            Some(b) => found.push(state.business(b)),
            None => missing.push(json!(code)),
        }
    }
    Ok(Json(json!({
        "status": "00",
        "message": "Thành công",
        "data": found,
        "khongTimThay": missing,
    }))
    .into_response())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageQuery {
    ma_tinh: Option<String>,
    ma_xa: Option<String>,
    tu_khoa: Option<String>,
    page: Option<usize>,
    page_size: Option<usize>,
}

impl PageQuery {
    fn page(&self) -> Result<(usize, usize), Refusal> {
        let page = self.page.unwrap_or(1);
        let size = self.page_size.unwrap_or(DEFAULT_PAGE_SIZE);
        if page == 0 {
            return Err(Refusal::bad("page bắt đầu từ 1"));
        }
        if size == 0 || size > MAX_PAGE_SIZE {
            return Err(Refusal::bad(format!(
                "pageSize phải từ 1 đến {MAX_PAGE_SIZE}"
            )));
        }
        Ok((page, size))
    }
}

fn paged(state: &AppState, rows: &[&Business], page: usize, size: usize) -> Response {
    let data: Vec<Value> = rows
        .iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|b| state.business(b))
        .collect();
    Json(json!({
        "status": "00",
        "message": "Thành công",
        "data": data,
        "paging": { "page": page, "pageSize": size, "totalRecords": rows.len() },
    }))
    .into_response()
}

async fn list(
    State(state): State<AppState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let Ok(Query(q)) = query else {
        return Err(Refusal::bad("Tham số truy vấn không hợp lệ"));
    };
    let (page, size) = q.page()?;
    let businesses = state.world.businesses();
    let rows = match (q.ma_tinh.as_deref(), q.ma_xa.as_deref()) {
        (Some(_), Some(_)) => {
            return Err(Refusal::bad(
                "Chỉ dùng một trong hai tham số maTinh hoặc maXa",
            ));
        }
        (Some(t), None) => {
            if lgsp_catalogs::provinces_2025().get(t).is_none() {
                return Err(Refusal::bad(
                    "maTinh phải là mã tỉnh có hiệu lực từ 01/07/2025",
                ));
            }
            businesses.in_province(t)
        }
        (None, Some(x)) => {
            if ids::commune_code(x).is_err() {
                return Err(Refusal::bad("maXa phải gồm 5 chữ số"));
            }
            businesses.in_commune(x)
        }
        (None, None) => return Err(Refusal::bad("Thiếu tham số maTinh hoặc maXa")),
    };
    Ok(paged(&state, &rows, page, size))
}

async fn search(
    State(state): State<AppState>,
    query: Result<Query<PageQuery>, QueryRejection>,
) -> Result<Response, Refusal> {
    let Ok(Query(q)) = query else {
        return Err(Refusal::bad("Tham số truy vấn không hợp lệ"));
    };
    let (page, size) = q.page()?;
    let keyword = q.tu_khoa.as_deref().unwrap_or("").trim();
    if fold(keyword).chars().count() < MIN_KEYWORD_CHARS {
        return Err(Refusal::bad(format!(
            "tuKhoa phải có ít nhất {MIN_KEYWORD_CHARS} ký tự"
        )));
    }
    let rows = state.world.businesses().search_name(keyword);
    Ok(paged(&state, &rows, page, size))
}

async fn representatives_of(
    State(state): State<AppState>,
    body: Result<Json<CodesBody>, JsonRejection>,
) -> Result<Response, Refusal> {
    let codes = business_codes(body)?;
    let businesses = state.world.businesses();
    let data: Vec<Value> = codes
        .iter()
        .filter_map(|c| businesses.get(c))
        .map(|b| {
            json!({
                "maSoDN": b.ma_so_doanh_nghiep,
                "nguoiDaiDien": b.nguoi_dai_dien.iter().map(json::representative).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(success(Value::Array(data)))
}

async fn represented_by(
    State(state): State<AppState>,
    body: Result<Json<PersonsBody>, JsonRejection>,
) -> Result<Response, Refusal> {
    let persons = batch_values(
        body.map(|Json(b)| b.ds_so_dinh_danh),
        "số định danh",
        ids::personal_id,
    )?;
    let businesses = state.world.businesses();
    let data: Vec<Value> = persons
        .iter()
        .filter_map(|id| {
            let units = businesses.represented_by(id);
            let first = units
                .first()?
                .nguoi_dai_dien
                .iter()
                .find(|r| &r.so_dinh_danh == id)?;
            let list: Vec<Value> = units
                .iter()
                .filter_map(|b| {
                    let r = b.nguoi_dai_dien.iter().find(|r| &r.so_dinh_danh == id)?;
                    Some(json::represented(b, r))
                })
                .collect();
            Some(json!({
                "soDinhDanh": id,
                "hoTen": first.ho_ten,
                "doanhNghiep": list,
            }))
        })
        .collect();
    Ok(success(Value::Array(data)))
}

async fn health(State(state): State<AppState>) -> Response {
    success(json!({
        "trangThai": "HOAT_DONG",
        "soDoanhNghiep": state.world.businesses().all().len(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::WorldConfig;

    fn state() -> AppState {
        static WORLD: std::sync::OnceLock<Arc<World>> = std::sync::OnceLock::new();
        let world = WORLD
            .get_or_init(|| Arc::new(World::generate(&WorldConfig::scaled(3, 5_000, None))))
            .clone();
        AppState {
            world,
            api_key: "k".into(),
        }
    }

    async fn body(r: impl IntoResponse) -> (StatusCode, Value) {
        let r = r.into_response();
        let status = r.status();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 24)
            .await
            .expect("body");
        (status, serde_json::from_slice(&bytes).expect("json"))
    }

    #[tokio::test]
    async fn lookup_maps_to_the_wire_format() {
        let s = state();
        let b = s.world.businesses().all()[0].clone();
        let (status, v) =
            body(one(State(s.clone()), Path(b.ma_so_doanh_nghiep.clone())).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["status"], "00");
        let d = &v["data"];
        assert_eq!(d["maSoDN"], b.ma_so_doanh_nghiep.as_str());
        assert_eq!(d["ngayThanhLap"], b.ngay_thanh_lap.to_iso());
        let province_field = if b.ngay_thanh_lap < crate::world::business::REORGANIZATION {
            "maTinhCu"
        } else {
            "maTinh"
        };
        assert_eq!(d["truSo"][province_field], b.published_province());
        assert!(d["vonDieuLe"].as_str().is_some_and(|s| s.contains('.')));
        let (status, v) = body(one(State(s.clone()), Path("0100233487".into())).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(v["status"], "02");
        let (status, _) = body(one(State(s), Path("0100233488".into())).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    #[test]
    fn batch_bodies_use_the_documented_field_names() {
        let b: CodesBody =
            serde_json::from_str(r#"{"dsMaSoDN": ["0100233488"]}"#).expect("dsMaSoDN");
        assert_eq!(b.ds_ma_so_dn, ["0100233488"]);
        let p: PersonsBody =
            serde_json::from_str(r#"{"dsSoDinhDanh": ["001085012345"]}"#).expect("dsSoDinhDanh");
        assert_eq!(p.ds_so_dinh_danh, ["001085012345"]);
    }

    #[tokio::test]
    async fn batches_are_capped_and_checked() {
        let s = state();
        let codes: Vec<String> = s
            .world
            .businesses()
            .all()
            .iter()
            .take(MAX_BATCH + 1)
            .map(|b| b.ma_so_doanh_nghiep.clone())
            .collect();
        let call = |v: Vec<String>| batch(State(s.clone()), Ok(Json(CodesBody { ds_ma_so_dn: v })));
        let (status, v) = body(call(codes[..MAX_BATCH].to_vec()).await).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(v["data"].as_array().map(Vec::len), Some(MAX_BATCH));
        let (status, v) = body(call(codes.clone()).await).await;
        assert_eq!(
            (status, v["status"].as_str()),
            (StatusCode::BAD_REQUEST, Some("03"))
        );
        let (status, _) = body(call(vec![codes[0].clone(), "12".into()]).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn listing_pages_and_search() {
        let s = state();
        let b = s.world.businesses().all()[0].clone();
        let q = |ma_tinh: Option<&str>, page: usize, size: usize| PageQuery {
            ma_tinh: ma_tinh.map(str::to_owned),
            ma_xa: None,
            tu_khoa: None,
            page: Some(page),
            page_size: Some(size),
        };
        let expected = s.world.businesses().in_province(&b.ma_tinh).len();
        let (_, v) =
            body(list(State(s.clone()), Ok(Query(q(Some(&b.ma_tinh), 1, 10)))).await).await;
        assert_eq!(v["paging"]["totalRecords"], expected);
        assert_eq!(v["data"].as_array().map(Vec::len), Some(expected.min(10)));
        let (status, _) =
            body(list(State(s.clone()), Ok(Query(q(Some(&b.ma_tinh), 1, 101)))).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _) = body(list(State(s.clone()), Ok(Query(q(None, 1, 10)))).await).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let mut search_q = q(None, 1, 100);
        search_q.tu_khoa = Some(fold(&b.ten));
        let (_, v) = body(search(State(s.clone()), Ok(Query(search_q))).await).await;
        assert!(v["data"].as_array().is_some_and(|d| {
            d.iter()
                .any(|x| x["maSoDN"] == b.ma_so_doanh_nghiep.as_str())
        }));
    }

    #[tokio::test]
    async fn representatives_both_ways() {
        let s = state();
        let b = s.world.businesses().all()[1].clone();
        let (_, v) = body(
            representatives_of(
                State(s.clone()),
                Ok(Json(CodesBody {
                    ds_ma_so_dn: vec![b.ma_so_doanh_nghiep.clone()],
                })),
            )
            .await,
        )
        .await;
        assert_eq!(
            v["data"][0]["nguoiDaiDien"][0]["soGiayTo"],
            b.nguoi_dai_dien[0].so_dinh_danh.as_str()
        );
        let id = b.nguoi_dai_dien[0].so_dinh_danh.clone();
        let (_, v) = body(
            represented_by(
                State(s.clone()),
                Ok(Json(PersonsBody {
                    ds_so_dinh_danh: vec![id.clone()],
                })),
            )
            .await,
        )
        .await;
        assert_eq!(v["data"][0]["soDinhDanh"], id.as_str());
        assert_eq!(
            v["data"][0]["doanhNghiep"].as_array().map(Vec::len),
            Some(s.world.businesses().represented_by(&id).len())
        );
    }
}
