//! Admin routes for access keys: create (an HMAC secret shown once, or a
//! registered RSA public key), list without secrets, rotate with a grace
//! period, revoke.

use super::applications::application;
use super::{Admin, rfc3339};
use crate::api::AppState;
use crate::api::error::{ApiError, ErrorBody};
use crate::api::extract::ApiJson;
use crate::api::extract::ApiPath;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use lgsp_access::{AccessError, IssuedKey, KeyInfo, KeyKind, KeyMaterial, KeyStatus};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;
use utoipa::ToSchema;

/// Default grace period of a rotation: a day for clients to switch.
pub(crate) const DEFAULT_GRACE_SECS: u64 = 86_400;

/// A key as listed: never its secret.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KeyDoc {
    /// Sent as `Credential=` in the Authorization header.
    pub access_key: String,
    /// The application it belongs to.
    pub application: String,
    /// `hmac` or `rsa`.
    pub kind: String,
    /// `active` or `revoked`.
    pub status: String,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// When it stops working, if ever (RFC 3339).
    pub expires_at: Option<String>,
    /// When it was revoked (RFC 3339).
    pub revoked_at: Option<String>,
    /// The key that replaced it by rotation.
    pub replaced_by: Option<String>,
}

pub(crate) fn kind_name(kind: KeyKind) -> &'static str {
    match kind {
        KeyKind::Hmac => "hmac",
        KeyKind::Rsa => "rsa",
    }
}

pub(crate) fn status_name(status: KeyStatus) -> &'static str {
    match status {
        KeyStatus::Active => "active",
        KeyStatus::Revoked => "revoked",
    }
}

impl From<KeyInfo> for KeyDoc {
    fn from(k: KeyInfo) -> Self {
        Self {
            access_key: k.access_key,
            application: k.application,
            kind: kind_name(k.kind).to_owned(),
            status: status_name(k.status).to_owned(),
            created_at: rfc3339(k.created_at),
            expires_at: k.expires_at.map(rfc3339),
            revoked_at: k.revoked_at.map(rfc3339),
            replaced_by: k.replaced_by,
        }
    }
}

/// A key just created or rotated. For an HMAC key this is the only answer
/// that ever holds its secret: store it now.
#[derive(Clone, Serialize, ToSchema)]
pub struct IssuedKeyDoc {
    /// The key.
    #[serde(flatten)]
    pub key: KeyDoc,
    /// The HMAC secret key (40 characters), shown this once; absent for RSA
    /// keys. The platform keeps it encrypted and cannot show it again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_key: Option<String>,
}

impl fmt::Debug for IssuedKeyDoc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedKeyDoc")
            .field("key", &self.key)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "…"))
            .finish()
    }
}

impl From<IssuedKey> for IssuedKeyDoc {
    fn from(k: IssuedKey) -> Self {
        Self {
            key: k.info.into(),
            secret_key: k.secret_key,
        }
    }
}

/// Keys listed.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeysResponse {
    /// Oldest first, without secrets.
    pub keys: Vec<KeyDoc>,
}

/// How a key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum KeyKindValue {
    /// The platform generates a secret for HMAC-SHA256 (or HMAC-SHA1 for
    /// legacy applications).
    Hmac,
    /// The client keeps an RSA private key and registers its public key.
    Rsa,
}

/// A new key.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKeyBody {
    /// `hmac` or `rsa`.
    pub kind: KeyKindValue,
    /// With `rsa`: the public key, SPKI PEM (`-----BEGIN PUBLIC KEY-----`),
    /// 2048 bits or more.
    #[serde(default)]
    pub public_key_pem: Option<String>,
    /// When it stops working (RFC 3339) [default: never].
    #[serde(default)]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A rotation.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateBody {
    /// Seconds the old key keeps working [default: 86400, a day].
    #[serde(default)]
    pub grace_secs: Option<u64>,
    /// The replacement's RSA public key (SPKI PEM); without it the
    /// replacement is an HMAC key with a new secret.
    #[serde(default)]
    pub public_key_pem: Option<String>,
}

/// What a key is made of, from its kind and PEM.
pub(crate) fn material(
    kind: KeyKindValue,
    public_key_pem: Option<String>,
) -> Result<KeyMaterial, ApiError> {
    match (kind, public_key_pem) {
        (KeyKindValue::Hmac, None) => Ok(KeyMaterial::Hmac),
        (KeyKindValue::Rsa, Some(public_key_pem)) => Ok(KeyMaterial::Rsa { public_key_pem }),
        (KeyKindValue::Rsa, None) => Err(AccessError::InvalidPublicKey(
            "public_key_pem is missing; an RSA key needs the client's public key".into(),
        )
        .into()),
        (KeyKindValue::Hmac, Some(_)) => Err(ApiError::unprocessable(
            "invalid_public_key",
            "an HMAC key's secret is generated by the platform: send public_key_pem only with \"kind\": \"rsa\"",
        )),
    }
}

/// Lists an application's keys, without secrets.
#[utoipa::path(get, path = "/v1/admin/applications/{id}/keys",
    params(("id" = String, Path, description = "Application id")),
    security(("admin_session" = [])),
    responses((status = 200, body = KeysResponse),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_application", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn list(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<KeysResponse>, ApiError> {
    let keys = state.auth.access().keys(&id).await?;
    Ok(Json(KeysResponse {
        keys: keys.into_iter().map(KeyDoc::from).collect(),
    }))
}

/// Creates a key for an application. An HMAC key's `secret_key` is in this
/// answer only.
#[utoipa::path(post, path = "/v1/admin/applications/{id}/keys", request_body = NewKeyBody,
    params(("id" = String, Path, description = "Application id")),
    security(("admin_session" = [])),
    responses((status = 201, body = IssuedKeyDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_application", body = ErrorBody),
        (status = 422, description = "invalid_public_key, invalid_expiry", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn create(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<String>,
    ApiJson(body): ApiJson<NewKeyBody>,
) -> Result<(StatusCode, Json<IssuedKeyDoc>), ApiError> {
    // Checked first so an unknown application is a 404 whatever the body.
    application(&state, &id).await?;
    let material = material(body.kind, body.public_key_pem)?;
    let issued = state
        .auth
        .access()
        .create_key(&id, material, body.expires_at)
        .await?;
    tracing::info!(application = %id, access_key = %issued.info.access_key, "key created");
    Ok((StatusCode::CREATED, Json(issued.into())))
}

/// Replaces a key: the old one keeps working for the grace period (or until
/// its own expiry, if sooner). A new HMAC secret is in this answer only.
#[utoipa::path(post, path = "/v1/admin/keys/{access_key}/rotate", request_body = RotateBody,
    params(("access_key" = String, Path, description = "The key to replace")),
    security(("admin_session" = [])),
    responses((status = 200, description = "The replacement", body = IssuedKeyDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_key", body = ErrorBody),
        (status = 409, description = "key_revoked, key_replaced", body = ErrorBody),
        (status = 422, description = "invalid_public_key, invalid_expiry", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn rotate(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(access_key): ApiPath<String>,
    ApiJson(body): ApiJson<RotateBody>,
) -> Result<Json<IssuedKeyDoc>, ApiError> {
    let kind = match body.public_key_pem {
        Some(_) => KeyKindValue::Rsa,
        None => KeyKindValue::Hmac,
    };
    let material = material(kind, body.public_key_pem)?;
    let grace = Duration::from_secs(body.grace_secs.unwrap_or(DEFAULT_GRACE_SECS));
    let issued = state
        .auth
        .access()
        .rotate_key(&access_key, grace, material)
        .await?;
    tracing::info!(old = %access_key, new = %issued.info.access_key, "key rotated");
    Ok(Json(issued.into()))
}

/// Revokes a key: the next request signed with it is refused.
#[utoipa::path(post, path = "/v1/admin/keys/{access_key}/revoke",
    params(("access_key" = String, Path, description = "The key to revoke")),
    security(("admin_session" = [])),
    responses((status = 200, body = KeyDoc),
        (status = 401, description = "admin_unauthorized", body = ErrorBody),
        (status = 404, description = "unknown_key", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn revoke(
    _admin: Admin,
    State(state): State<AppState>,
    ApiPath(access_key): ApiPath<String>,
) -> Result<Json<KeyDoc>, ApiError> {
    let key = state.auth.access().revoke_key(&access_key).await?;
    tracing::info!(access_key = %key.access_key, "key revoked");
    Ok(Json(key.into()))
}
