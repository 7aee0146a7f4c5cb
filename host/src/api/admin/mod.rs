//! Admin routes (`/v1/admin/...`): log in with a username and password, then
//! manage agencies, applications, keys, services and grants with the session
//! token as `Authorization: Bearer <token>`. Every admin handler takes an
//! [`Admin`], so none can skip the check.

pub(super) mod admins;
pub(super) mod agencies;
pub(super) mod applications;
pub(super) mod grants;
pub(super) mod keys;
pub(super) mod services;
// `tests` is the unit-test module below; the route tests live in tests.rs.
#[cfg(test)]
#[path = "tests.rs"]
mod route_tests;

pub use admins::{AdminDoc, NewAdminBody};
pub use agencies::{
    AgenciesResponse, AgencyDetail, AgencyDoc, AgencyEventDoc, AgencyStatusBody, MergeBody,
    NewAgencyBody, RenameBody, SettableAgencyStatus, SplitBody,
};
pub use applications::{
    ApplicationDoc, ApplicationPatch, ApplicationsResponse, NewApplicationBody, SettableAppStatus,
    TierDoc, TierPreset, TierSpec,
};
pub use grants::AdminGrantsQuery;
pub use keys::{IssuedKeyDoc, KeyDoc, KeyKindValue, KeysResponse, NewKeyBody, RotateBody};
pub use services::{ServiceDoc, ServicesResponse, SetServiceBody};

use super::AppState;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::auth::AuthError;
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::header;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// An admin whose session token checked out.
#[derive(Debug, Clone)]
pub(crate) struct Admin {
    /// The admin's username, recorded as who decided.
    pub(crate) username: String,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(bearer_token)
            .ok_or_else(|| {
                AuthError::AdminUnauthorized(
                    "admin routes need Authorization: Bearer <token>; get a token with POST /v1/admin/login (or `lgsp admin login`)".into(),
                )
            })?;
        let identity = state.auth.admin(token, Utc::now()).await?;
        if let Some(scope) = parts.extensions.get::<crate::audit::AuditScope>() {
            // Admin routes outside /v1/admin (catalog imports) are admin
            // actions too.
            scope.update(|d| {
                d.actor.admin = Some(identity.username.clone());
                d.kind = lgsp_audit::Kind::Admin;
            });
        }
        Ok(Self {
            username: identity.username,
        })
    }
}

/// The token of an `Authorization: Bearer <token>` value.
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The admin routes other than login (agencies, applications, keys,
/// services, grants).
pub(crate) fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, post, put};
    axum::Router::new()
        .route("/v1/admin/admins", post(admins::create))
        .route(
            "/v1/admin/agencies",
            get(agencies::list).post(agencies::create),
        )
        .route("/v1/admin/agencies/merge", post(agencies::merge))
        .route("/v1/admin/agencies/{code}", get(agencies::show))
        .route("/v1/admin/agencies/{code}/rename", post(agencies::rename))
        .route("/v1/admin/agencies/{code}/split", post(agencies::split))
        .route(
            "/v1/admin/agencies/{code}/status",
            post(agencies::set_status),
        )
        .route(
            "/v1/admin/applications",
            get(applications::list).post(applications::create),
        )
        .route(
            "/v1/admin/applications/{id}",
            get(applications::show).patch(applications::update),
        )
        .route(
            "/v1/admin/applications/{id}/keys",
            get(keys::list).post(keys::create),
        )
        .route("/v1/admin/keys/{access_key}/rotate", post(keys::rotate))
        .route("/v1/admin/keys/{access_key}/revoke", post(keys::revoke))
        .route("/v1/admin/services", get(services::list))
        .route("/v1/admin/services/{schema}", put(services::set))
        .route("/v1/admin/grants", get(grants::list))
        .route("/v1/admin/grants/{id}/approve", post(grants::approve))
        .route("/v1/admin/grants/{id}/reject", post(grants::reject))
        .route("/v1/admin/grants/{id}/revoke", post(grants::revoke))
}

/// An RFC 3339 time, as every admin response (and `lgsp admin --json`)
/// writes times.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Admin credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// An admin session.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>` on admin routes.
    pub token: String,
    /// When it stops working (RFC 3339).
    pub expires_at: String,
}

/// Logs an admin in.
#[utoipa::path(post, path = "/v1/admin/login", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, description = "bad_login", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn login(
    State(state): State<AppState>,
    scope: Option<axum::Extension<crate::audit::AuditScope>>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    // Who tried, whether or not the password was right.
    if let Some(axum::Extension(scope)) = scope {
        let username: String = request.username.chars().take(64).collect();
        scope.update(|d| d.actor.admin = Some(username));
    }
    let session = state
        .auth
        .login_admin(&request.username, &request.password, Utc::now())
        .await?;
    Ok(Json(LoginResponse {
        token: session.token,
        expires_at: crate::auth::token_time(session.claims.expires_at),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_tokens_are_read_exactly() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("abc"), None);
    }
}
