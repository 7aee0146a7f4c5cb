//! Admin route for administrator accounts: an admin creates another, under
//! the password policy.

use super::{Admin, rfc3339};
use crate::api::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::ApiJson;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use std::fmt;
use utoipa::ToSchema;

/// A new administrator.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdminBody {
    /// 3 to 64 characters among `a-z`, `0-9`, `.`, `_`, `-`.
    pub username: String,
    /// 8 to 128 characters with an upper-case letter, a lower-case letter, a
    /// digit and a special character.
    pub password: String,
}

impl fmt::Debug for NewAdminBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAdminBody")
            .field("username", &self.username)
            .field("password", &"…")
            .finish()
    }
}

/// An administrator account (never its password or hash).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AdminDoc {
    /// The username.
    pub username: String,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// When the account was created (RFC 3339).
    pub created_at: String,
}

impl From<lgsp_access::Admin> for AdminDoc {
    fn from(a: lgsp_access::Admin) -> Self {
        Self {
            username: a.username,
            disabled: a.disabled,
            created_at: rfc3339(a.created_at),
        }
    }
}

/// Creates another administrator. A password that breaks the policy is
/// refused with every unmet rule listed.
#[utoipa::path(post, path = "/v1/admin/admins", request_body = NewAdminBody,
    security(("admin_session" = [])),
    responses((status = 201, body = AdminDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 409, description = "admin_exists", body = ErrorBody),
        (status = 422, description = "weak_password (every unmet rule listed), invalid_username", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn create(
    admin: Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewAdminBody>,
) -> Result<(StatusCode, Json<AdminDoc>), ApiError> {
    let created = state
        .auth
        .access()
        .create_admin(&body.username, &body.password)
        .await?;
    tracing::info!(by = %admin.username, admin = %created.username, "admin account created");
    Ok((StatusCode::CREATED, Json(created.into())))
}
