//! The simulated national population database API (CSDL quốc gia về dân cư):
//! lookup by ID, batch lookup, listing by commune with pagination, health.
//!
//! Its wire format deliberately differs from LGSP's normalized model (camelCase
//! names, `dd/mm/yyyy` dates, gender and ethnicity as names, and records last
//! updated (`ngayCapNhat`) before 2025-07-01 keeping their pre-2025 commune and
//! province codes), as real agency systems do; the connector does the mapping.

mod json;

use crate::sim::{self, Sim};
use crate::wire::digits;
use crate::world::World;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::Arc;

/// Largest page the API serves.
pub const MAX_PAGE_SIZE: usize = 1000;
/// Largest batch lookup the API accepts.
pub const MAX_BATCH: usize = 100;

#[derive(Clone)]
struct AppState {
    world: Arc<World>,
    api_key: Arc<str>,
}

/// The population API with its API-key check and the simulation middleware.
pub(crate) fn routes(world: Arc<World>, api_key: &str, sim: Arc<Sim>) -> Router {
    let state = AppState {
        world,
        api_key: api_key.into(),
    };
    Router::new()
        .route("/api/v1/cong-dan", routing::get(list))
        .route("/api/v1/cong-dan/tra-cuu", routing::post(batch))
        .route("/api/v1/cong-dan/{so_dinh_danh}", routing::get(one))
        .route("/api/v1/suc-khoe", routing::get(health))
        .route_layer(middleware::from_fn_with_state(state.clone(), require_key))
        .route_layer(middleware::from_fn_with_state(sim, sim::observe))
        .with_state(state)
}

async fn require_key(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let given = req.headers().get("x-api-key").and_then(|v| v.to_str().ok());
    if given != Some(&*state.api_key) {
        return failure(StatusCode::UNAUTHORIZED, "01", "Khóa truy cập không hợp lệ");
    }
    next.run(req).await
}

fn failure(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({ "maKetQua": code, "thongDiep": message })),
    )
        .into_response()
}

fn success(data: Value) -> Json<Value> {
    Json(json!({ "maKetQua": "00", "thongDiep": "Thành công", "duLieu": data }))
}

fn is_personal_id(s: &str) -> bool {
    digits(s, 12)
}

async fn one(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    if !is_personal_id(&id) {
        return failure(StatusCode::BAD_REQUEST, "02", "Số định danh không hợp lệ");
    }
    match state.world.citizen(&id) {
        Some(c) => success(json::citizen(c, None)).into_response(),
        None => failure(StatusCode::NOT_FOUND, "04", "Không tìm thấy công dân"),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct BatchBody {
    danh_sach_so_dinh_danh: Vec<String>,
    #[serde(default)]
    truong: Option<Vec<String>>,
}

async fn batch(State(state): State<AppState>, Json(body): Json<BatchBody>) -> Response {
    if body.danh_sach_so_dinh_danh.len() > MAX_BATCH {
        return failure(
            StatusCode::BAD_REQUEST,
            "03",
            &format!("Tối đa {MAX_BATCH} số định danh mỗi yêu cầu"),
        );
    }
    if let Some(bad) = body
        .danh_sach_so_dinh_danh
        .iter()
        .find(|id| !is_personal_id(id))
    {
        return failure(
            StatusCode::BAD_REQUEST,
            "02",
            &format!("Số định danh không hợp lệ: {bad}"),
        );
    }
    let fields = body.truong.as_deref();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for id in &body.danh_sach_so_dinh_danh {
        match state.world.citizen(id) {
            Some(c) => found.push(json::citizen(c, fields)),
            None => missing.push(Value::String(id.clone())),
        }
    }
    Json(json!({
        "maKetQua": "00",
        "thongDiep": "Thành công",
        "duLieu": found,
        "khongTimThay": missing,
    }))
    .into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListQuery {
    ma_xa: Option<String>,
    trang: Option<usize>,
    so_ban_ghi: Option<usize>,
    truong: Option<String>,
}

async fn list(State(state): State<AppState>, Query(q): Query<ListQuery>) -> Response {
    let Some(ma_xa) = q.ma_xa.filter(|x| digits(x, 5)) else {
        return failure(StatusCode::BAD_REQUEST, "02", "Thiếu hoặc sai mã xã (maXa)");
    };
    let page = q.trang.unwrap_or(1).max(1);
    let size = q.so_ban_ghi.unwrap_or(100).clamp(1, MAX_PAGE_SIZE);
    let fields: Option<Vec<String>> = q
        .truong
        .map(|t| t.split(',').map(|f| f.trim().to_owned()).collect());
    // The listing index was migrated to the 2025 communes: it finds a
    // citizen under today's commune even when the record itself was last
    // updated before 2025-07-01 and still names the old one.
    let residents = state.world.residents(&ma_xa);
    let total = residents.len();
    let rows: Vec<Value> = residents
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|c| json::citizen(c, fields.as_deref()))
        .collect();
    Json(json!({
        "maKetQua": "00",
        "thongDiep": "Thành công",
        "duLieu": rows,
        "phanTrang": {
            "trang": page,
            "soBanGhi": size,
            "tongSo": total,
            "tongSoTrang": total.div_ceil(size),
        }
    }))
    .into_response()
}

async fn health(State(state): State<AppState>) -> Json<Value> {
    Json(json!({
        "trangThai": "HOAT_DONG",
        "coSoDuLieu": "OK",
        "soCongDan": state.world.citizens().len(),
    }))
}
