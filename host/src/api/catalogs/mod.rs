//! The shared-catalog routes (`/v1/catalogs/...`): reading published
//! versions by date, the change feed and crosswalk lookups for everyone
//! ([`read`]), whole versions, diffs and crosswalk rows ([`files`]), and the
//! admin routes that import and publish ([`admin`]). This file holds what
//! they share: extractors whose rejections use the API's error envelope,
//! date parameters, and ETags.

pub(super) mod admin;
pub(super) mod files;
pub(super) mod read;
#[cfg(test)]
mod tests;

pub use files::{CrosswalksResponse, ExportFormat};
pub use read::{
    CatalogDoc, CatalogsResponse, ChangesResponse, ItemResponse, ItemsResponse, SuccessorDoc,
    SuccessorsResponse,
};
pub(crate) use read::{MAX_LIMIT, items_page, successors_of};

use super::AppState;
use super::error::ApiError;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use chrono::NaiveDate;
use sha2::{Digest, Sha256};

/// Largest file an import accepts: the GSO commune list is 0.25 MB and the
/// dvhcvn crosswalks about 2.5 MB, so this leaves room for richer lists.
pub(crate) const MAX_UPLOAD_BYTES: usize = 32 << 20;

/// The catalog routes, merged into [`super::router`].
pub(crate) fn routes() -> Router<AppState> {
    let upload = DefaultBodyLimit::max(MAX_UPLOAD_BYTES);
    Router::new()
        .route("/v1/catalogs", get(read::list).post(admin::create_catalog))
        .route("/v1/catalogs/{catalog}/items", get(read::items))
        .route("/v1/catalogs/{catalog}/items/{code}", get(read::item))
        .route(
            "/v1/catalogs/{catalog}/successors/{code}",
            get(read::successors),
        )
        .route("/v1/catalogs/{catalog}/changes", get(read::changes))
        .route(
            "/v1/catalogs/{catalog}/versions",
            post(admin::import_version).layer(upload),
        )
        .route(
            "/v1/catalogs/{catalog}/versions/{version}",
            axum::routing::delete(admin::delete_draft),
        )
        .route(
            "/v1/catalogs/{catalog}/versions/{version}/publish",
            post(admin::publish),
        )
        .route(
            "/v1/catalogs/{catalog}/versions/{version}/export",
            get(files::export),
        )
        .route("/v1/catalogs/{catalog}/diff", get(files::diff))
        .route(
            "/v1/catalogs/{catalog}/crosswalks",
            get(files::crosswalks)
                .post(admin::import_crosswalk)
                .layer(upload),
        )
}

/// A request body taken as a file, at most [`MAX_UPLOAD_BYTES`].
#[derive(Debug)]
pub(crate) struct Upload(pub(crate) Bytes);

impl<S: Send + Sync> FromRequest<S> for Upload {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Self(bytes)),
            Err(r) if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                Err(ApiError::payload_too_large(format!(
                    "the file is larger than the {} MiB an import accepts",
                    MAX_UPLOAD_BYTES >> 20
                )))
            }
            Err(r) => Err(ApiError::invalid_request(r.body_text())),
        }
    }
}

/// Reads a `YYYY-MM-DD` parameter.
///
/// # Errors
/// `bad_parameter` naming the parameter and the expected form.
pub(crate) fn parse_day(name: &str, value: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::bad_parameter(format!(
            "{name} must be a date written YYYY-MM-DD, e.g. 2025-07-01; got {value:?}"
        ))
    })
}

/// Reads an optional `YYYY-MM-DD` parameter.
///
/// # Errors
/// As [`parse_day`].
pub(crate) fn parse_optional_day(
    name: &str,
    value: Option<&str>,
) -> Result<Option<NaiveDate>, ApiError> {
    value.map(|v| parse_day(name, v)).transpose()
}

/// A strong ETag over `parts` (the version's description and the
/// normalized parameters that shape the body): equal parts, equal body.
pub(crate) fn etag(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.as_bytes());
        // A separator no part contains, so ("ab","c") and ("a","bc") differ.
        hash.update([0u8]);
    }
    let hex = hex::encode(hash.finalize());
    format!("\"{}\"", &hex[..32])
}

/// Whether `If-None-Match` names `tag` (or is `*`). The comparison is the
/// weak one RFC 9110 prescribes for `If-None-Match`: a `W/` prefix is
/// ignored.
fn matches_if_none_match(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
}

/// The caching headers every revalidatable response carries: the tag, and
/// `no-cache` so clients store it but ask again each time.
fn cache_headers(response: &mut Response, tag: &str) {
    if let Ok(v) = HeaderValue::from_str(tag) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
}

/// `304 Not Modified` (empty body) if the client already has `tag`.
pub(crate) fn not_modified(headers: &HeaderMap, tag: &str) -> Option<Response> {
    matches_if_none_match(headers, tag).then(|| {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        cache_headers(&mut response, tag);
        response
    })
}

/// `body` as JSON with its ETag.
pub(crate) fn tagged(body: impl serde::Serialize, tag: &str) -> Response {
    let mut response = axum::Json(body).into_response();
    cache_headers(&mut response, tag);
    response
}

/// The description of a version as one string, for ETags: it changes when
/// the items change (digest) and when the validity does (publishing a later
/// version closes an open-ended one).
pub(crate) fn version_key(info: &lgsp_catalogs::VersionInfo) -> String {
    format!(
        "{}|{}|{}|{}|{}|{}",
        info.catalog,
        info.version,
        info.valid_from,
        info.valid_to.map(|d| d.to_string()).unwrap_or_default(),
        info.status.as_str(),
        info.digest
    )
}
