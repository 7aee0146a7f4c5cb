//! The simulated land database API (CSDL đất đai, REST/JSON): parcels by key,
//! batch and commune; land-use rights by holder (person or organization), by
//! parcel and by commune; health.
//!
//! Its wire format deliberately differs from LGSP's normalized model, as real
//! agency systems do: administrative units come as a commune code with the
//! commune's and province's NAMES (no province code), the land-use type as its
//! Vietnamese name, dates as ISO timestamps at `+07:00`, areas as strings with a
//! decimal comma (`"123,4"`), the holder kind as `CA_NHAN`/`TO_CHUC`, a
//! long-term right as the text `"Lâu dài"`, and the geometry as a GeoJSON object.
//! Every answer carries an envelope `ketQua { ma, moTa }` (`"0000"` is success).
//! Authentication is `Authorization: Bearer <token>`.

mod json;

use crate::sim::{self, Sim};
use crate::wire::digits;
use crate::world::World;
use crate::world::land::Parcel;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Largest page the listings serve.
pub const MAX_PAGE_SIZE: usize = 500;
/// Default page size of the listings.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Largest batch lookup (parcel keys, personal IDs or business codes) accepted.
pub const MAX_BATCH: usize = 100;
/// Path prefix of every route.
pub const PREFIX: &str = "/api/dat-dai/v1";

#[derive(Clone)]
struct AppState {
    world: Arc<World>,
    token: Arc<str>,
}

impl AppState {
    fn parcel(&self, p: &Parcel) -> Value {
        json::parcel(p, self.world.commune(&p.ma_xa).map(|c| c.name.as_str()))
    }
}

/// The land API with its bearer-token check and the simulation middleware.
pub(crate) fn routes(world: Arc<World>, api_key: &str, sim: Arc<Sim>) -> Router {
    let state = AppState {
        world,
        token: api_key.into(),
    };
    let at = |path: &str| format!("{PREFIX}{path}");
    Router::new()
        .route(&at("/thua-dat"), routing::get(list_parcels))
        .route(&at("/thua-dat/tra-cuu"), routing::post(batch_parcels))
        .route(
            &at("/thua-dat/{ma_xa}/{so_to}/{so_thua}"),
            routing::get(one_parcel),
        )
        .route(
            &at("/thua-dat/{ma_xa}/{so_to}/{so_thua}/quyen-su-dung"),
            routing::get(parcel_rights),
        )
        .route(&at("/quyen-su-dung"), routing::get(list_rights))
        .route(&at("/quyen-su-dung/ca-nhan"), routing::post(person_rights))
        .route(
            &at("/quyen-su-dung/to-chuc"),
            routing::post(business_rights),
        )
        .route(&at("/trang-thai"), routing::get(health))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_token))
        .route_layer(middleware::from_fn_with_state(sim, sim::observe))
        .with_state(state)
}

async fn require_token(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let given = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if given != Some(&*state.token) {
        return failure(
            StatusCode::UNAUTHORIZED,
            "E401",
            "Mã truy cập (token) không hợp lệ hoặc đã hết hạn",
        );
    }
    next.run(req).await
}

fn envelope(data: Value) -> Value {
    json!({ "ketQua": { "ma": "0000", "moTa": "Thành công" }, "duLieu": data })
}

fn failure(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "ketQua": { "ma": code, "moTa": message } })),
    )
        .into_response()
}

fn bad_request(message: &str) -> Response {
    failure(StatusCode::BAD_REQUEST, "E400", message)
}

fn is_commune(s: &str) -> bool {
    digits(s, 5)
}

fn is_personal_id(s: &str) -> bool {
    digits(s, 12)
}

fn is_business_code(s: &str) -> bool {
    let (main, branch) = s.split_once('-').unwrap_or((s, "000"));
    main.len() == 10
        && main.bytes().all(|b| b.is_ascii_digit())
        && branch.len() == 3
        && branch.bytes().all(|b| b.is_ascii_digit())
}

/// A sheet or parcel number as the path gives it, within the register's range.
fn number(s: &str, max: u32) -> Option<u32> {
    s.parse().ok().filter(|n| (1..=max).contains(n))
}

/// A failure to answer with: status, `ketQua.ma` and `ketQua.moTa`.
type Failure = (StatusCode, &'static str, &'static str);

/// The parcel a path `{ma_xa}/{so_to}/{so_thua}` names, or the failure to
/// answer instead (400 for a malformed key, 404 for an unknown parcel).
fn parcel_at<'w>(
    world: &'w World,
    (ma_xa, so_to, so_thua): &(String, String, String),
) -> Result<&'w Parcel, Failure> {
    const BAD: StatusCode = StatusCode::BAD_REQUEST;
    let (Some(to), Some(thua)) = (number(so_to, 9999), number(so_thua, 99999)) else {
        return Err((BAD, "E400", "Số tờ bản đồ hoặc số thửa không hợp lệ"));
    };
    if !is_commune(ma_xa) {
        return Err((BAD, "E400", "Mã xã không hợp lệ"));
    }
    world.land().parcel(ma_xa, to, thua).ok_or((
        StatusCode::NOT_FOUND,
        "E404",
        "Không tìm thấy thửa đất",
    ))
}

async fn one_parcel(
    State(state): State<AppState>,
    Path(key): Path<(String, String, String)>,
) -> Response {
    match parcel_at(&state.world, &key) {
        Ok(p) => Json(envelope(state.parcel(p))).into_response(),
        Err((status, code, message)) => failure(status, code, message),
    }
}

async fn parcel_rights(
    State(state): State<AppState>,
    Path(key): Path<(String, String, String)>,
) -> Response {
    match parcel_at(&state.world, &key) {
        Ok(p) => {
            let rights: Vec<Value> = p.quyen_su_dung.iter().map(|r| json::right(p, r)).collect();
            Json(envelope(Value::Array(rights))).into_response()
        }
        Err((status, code, message)) => failure(status, code, message),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParcelKey {
    ma_xa: String,
    so_to_ban_do: u32,
    so_thua_dat: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ParcelBatch {
    danh_sach_thua: Vec<ParcelKey>,
}

async fn batch_parcels(State(state): State<AppState>, Json(body): Json<ParcelBatch>) -> Response {
    let keys = body.danh_sach_thua;
    if keys.len() > MAX_BATCH {
        return failure(
            StatusCode::PAYLOAD_TOO_LARGE,
            "E413",
            &format!("Tối đa {MAX_BATCH} thửa đất mỗi yêu cầu"),
        );
    }
    if keys.iter().any(|k| {
        !is_commune(&k.ma_xa)
            || !(1..=9999).contains(&k.so_to_ban_do)
            || !(1..=99999).contains(&k.so_thua_dat)
    }) {
        return bad_request("Danh sách thửa đất có khóa không hợp lệ");
    }
    let land = state.world.land();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for k in &keys {
        match land.parcel(&k.ma_xa, k.so_to_ban_do, k.so_thua_dat) {
            Some(p) => found.push(state.parcel(p)),
            None => missing.push(json!({
                "maXa": k.ma_xa, "soToBanDo": k.so_to_ban_do, "soThuaDat": k.so_thua_dat
            })),
        }
    }
    let mut answer = envelope(Value::Array(found));
    answer["khongTimThay"] = Value::Array(missing);
    Json(answer).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    ma_xa: Option<String>,
    trang: Option<usize>,
    so_ban_ghi: Option<usize>,
}

impl ListQuery {
    /// The commune, 1-based page and page size, or what is wrong.
    fn read(self) -> Result<(String, usize, usize), &'static str> {
        let Some(ma_xa) = self.ma_xa.filter(|x| is_commune(x)) else {
            return Err("Thiếu hoặc sai mã xã (maXa)");
        };
        let page = self.trang.unwrap_or(1).max(1);
        let size = self
            .so_ban_ghi
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .clamp(1, MAX_PAGE_SIZE);
        Ok((ma_xa, page, size))
    }
}

fn paged(rows: Vec<Value>, page: usize, size: usize, total: usize) -> Response {
    let mut answer = envelope(Value::Array(rows));
    answer["phanTrang"] = json!({
        "trangHienTai": page,
        "soBanGhiMoiTrang": size,
        "tongSoBanGhi": total,
        "tongSoTrang": total.div_ceil(size),
    });
    Json(answer).into_response()
}

async fn list_parcels(State(state): State<AppState>, Query(q): Query<ListQuery>) -> Response {
    let (ma_xa, page, size) = match q.read() {
        Ok(v) => v,
        Err(message) => return bad_request(message),
    };
    let parcels = state.world.land().parcels_in(&ma_xa);
    let total = parcels.len();
    let rows = parcels
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|p| state.parcel(p))
        .collect();
    paged(rows, page, size, total)
}

async fn list_rights(State(state): State<AppState>, Query(q): Query<ListQuery>) -> Response {
    let (ma_xa, page, size) = match q.read() {
        Ok(v) => v,
        Err(message) => return bad_request(message),
    };
    let rights = || {
        state
            .world
            .land()
            .parcels_in(&ma_xa)
            .flat_map(|p| p.quyen_su_dung.iter().map(move |r| (p, r)))
    };
    let total = rights().count();
    let rows = rights()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|(p, r)| json::right(p, r))
        .collect();
    paged(rows, page, size, total)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PersonBatch {
    danh_sach_so_dinh_danh: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BusinessBatch {
    danh_sach_ma_so_doanh_nghiep: Vec<String>,
}

async fn person_rights(State(state): State<AppState>, Json(body): Json<PersonBatch>) -> Response {
    let land = state.world.land();
    rights_by_holder(
        &body.danh_sach_so_dinh_danh,
        is_personal_id,
        "Số định danh cá nhân không hợp lệ",
        |id| {
            land.rights_of_person(id)
                .map(|(p, r)| json::right(p, r))
                .collect()
        },
    )
}

async fn business_rights(
    State(state): State<AppState>,
    Json(body): Json<BusinessBatch>,
) -> Response {
    let land = state.world.land();
    rights_by_holder(
        &body.danh_sach_ma_so_doanh_nghiep,
        is_business_code,
        "Mã số doanh nghiệp không hợp lệ",
        |code| {
            land.rights_of_business(code)
                .map(|(p, r)| json::right(p, r))
                .collect()
        },
    )
}

fn rights_by_holder(
    keys: &[String],
    valid: impl Fn(&str) -> bool,
    invalid_message: &str,
    rights_of: impl Fn(&str) -> Vec<Value>,
) -> Response {
    if keys.len() > MAX_BATCH {
        return failure(
            StatusCode::PAYLOAD_TOO_LARGE,
            "E413",
            &format!("Tối đa {MAX_BATCH} chủ sử dụng mỗi yêu cầu"),
        );
    }
    if let Some(position) = keys.iter().position(|k| !valid(k)) {
        return bad_request(&format!("{invalid_message} (vị trí {})", position + 1));
    }
    let mut rows = Vec::new();
    let mut without = Vec::new();
    for key in keys {
        let found = rights_of(key);
        if found.is_empty() {
            without.push(Value::String(key.clone()));
        }
        rows.extend(found);
    }
    let mut answer = envelope(Value::Array(rows));
    answer["khongCoQuyenSuDung"] = Value::Array(without);
    Json(answer).into_response()
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    let parcels: &[Parcel] = state.world.land().all();
    Json(json!({
        "ketQua": { "ma": "0000", "moTa": "Hệ thống hoạt động bình thường" },
        "duLieu": { "trangThai": "HOAT_DONG", "soThuaDat": parcels.len() },
    }))
}

#[cfg(test)]
mod tests;
