//! Reading the audit log: each agency reads the entries that concern it (as
//! consumer: its own requests; as provider: who reached its data and why),
//! admins read everything, and anyone may fetch the public key that verifies
//! the log's checkpoints and the platform's webhooks.

use super::AppState;
use super::admin::Admin;
use super::caller::Signed;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiQuery;
use axum::Json;
use axum::extract::State;
use chrono::{DateTime, NaiveDate, Utc};
use lgsp_audit::{EntryFilter, Role};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Most entries one page returns.
const MAX_PAGE: u32 = 1000;

/// Which entries to read.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// From this time (RFC 3339) or day (`YYYY-MM-DD`, Vietnam time), inclusive.
    #[serde(default)]
    pub from: Option<String>,
    /// Until this time or day, exclusive (a day includes the whole day).
    #[serde(default)]
    pub to: Option<String>,
    /// `consumer` (requests the agency made) or `provider` (requests that
    /// reached its data); both when absent.
    #[serde(default)]
    pub role: Option<String>,
    /// Only entries concerning this agency (admin route only).
    #[serde(default)]
    pub agency: Option<String>,
    /// Entries after this number: pass the last `seq` of a page to get the next.
    #[serde(default)]
    pub after: Option<u64>,
    /// At most this many (default and maximum 1000).
    #[serde(default)]
    pub limit: Option<u32>,
}

/// A page of entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntriesResponse {
    /// Entries, oldest first; each has `seq`, `time`, `request_id`, `kind`,
    /// `actor`, `action`, `resource`, `purpose`, `outcome`, `status`, `code`,
    /// `rows`, `bytes`, `duration_us`, `response_sha256`, `prev_hash`, `hash`.
    #[schema(value_type = Vec<Object>)]
    pub entries: Vec<lgsp_audit::EntryView>,
    /// The `after` for the next page, when there may be one.
    pub next_after: Option<u64>,
}

/// The platform's public key.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicKeyResponse {
    /// `ed25519`.
    pub algorithm: &'static str,
    /// The key, base64 (32 bytes).
    pub public_key: String,
}

/// A period bound: an RFC 3339 time, or a Vietnam day (its start; as an
/// upper bound, the next day's start).
pub(crate) fn bound(
    name: &str,
    value: Option<&str>,
    upper: bool,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    match value.parse::<NaiveDate>() {
        Ok(day) => {
            let day = if upper {
                day.succ_opt().unwrap_or(day)
            } else {
                day
            };
            Ok(Some(lgsp_audit::report::day_start(day)))
        }
        Err(_) => Err(ApiError::bad_parameter(format!(
            "{name} {value:?} is neither an RFC 3339 time nor a date YYYY-MM-DD"
        ))),
    }
}

fn role(value: Option<&str>) -> Result<Option<Role>, ApiError> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some("consumer") => Ok(Some(Role::Consumer)),
        Some("provider") => Ok(Some(Role::Provider)),
        Some(other) => Err(ApiError::bad_parameter(format!(
            "role {other:?}: use consumer or provider"
        ))),
    }
}

async fn page(
    state: &AppState,
    q: &AuditQuery,
    agency: Option<String>,
) -> Result<Json<AuditEntriesResponse>, ApiError> {
    let limit = q.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let filter = EntryFilter {
        from: bound("from", q.from.as_deref(), false)?,
        to: bound("to", q.to.as_deref(), true)?,
        role: role(q.role.as_deref())?,
        agency,
        after: q.after,
        limit: Some(limit),
    };
    let entries = lgsp_audit::entries(state.audit.pool(), &filter)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let next_after = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.entry.seq))
        .flatten();
    Ok(Json(AuditEntriesResponse {
        entries,
        next_after,
    }))
}

/// The audit entries that concern the calling agency.
#[utoipa::path(get, path = "/v1/audit/entries", params(AuditQuery),
    responses((status = 200, body = AuditEntriesResponse),
        (status = 400, description = "bad_parameter", body = ErrorBody),
        (status = 401, description = "signature errors", body = ErrorBody)),
    tag = "audit")]
pub(crate) async fn agency_entries(
    State(state): State<AppState>,
    Signed(caller): Signed,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditEntriesResponse>, ApiError> {
    if q.agency.is_some() {
        return Err(ApiError::bad_parameter(
            "agency: an agency reads only its own entries; admins use /v1/admin/audit/entries",
        ));
    }
    let agency = caller.agency.code.to_string();
    let mut answer = page(&state, &q, Some(agency.clone())).await?;
    for view in &mut answer.0.entries {
        redact_for_provider(&mut view.entry.draft, &agency);
    }
    Ok(answer)
}

/// What a provider sees of another agency's request: who asked (agency and
/// application), why, when and how it ended, and what of *its own* services
/// was read — not the consumer's key, other providers' services and tables,
/// the result's columns when others' data is in it, or the response digest
/// (a short answer could be confirmed by guessing). A redacted entry no
/// longer matches its hash; the admins' view and `lgsp audit verify` see the
/// whole entry.
fn redact_for_provider(d: &mut lgsp_audit::Draft, agency: &str) {
    if d.actor.agency.as_deref() == Some(agency) {
        return;
    }
    d.actor.key = None;
    d.response_sha256 = None;
    let others = d
        .resource
        .services
        .iter()
        .any(|s| s.provider.as_deref() != Some(agency));
    d.resource
        .services
        .retain(|s| s.provider.as_deref() == Some(agency));
    let own: Vec<String> = d
        .resource
        .services
        .iter()
        .map(|s| format!("{}.", s.name))
        .collect();
    d.resource.tables.retain(|t| {
        own.iter()
            .any(|prefix| t.table.starts_with(prefix.as_str()))
    });
    if others {
        d.resource.columns.clear();
    }
    d.detail.clear();
}

/// Every audit entry (admins), optionally those of one agency.
#[utoipa::path(get, path = "/v1/admin/audit/entries", params(AuditQuery),
    security(("admin_session" = [])),
    responses((status = 200, body = AuditEntriesResponse),
        (status = 400, description = "bad_parameter", body = ErrorBody),
        (status = 401, description = "admin_unauthorized", body = ErrorBody)),
    tag = "admin")]
pub(crate) async fn admin_entries(
    _admin: Admin,
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<AuditEntriesResponse>, ApiError> {
    let agency = q.agency.clone().filter(|a| !a.is_empty());
    page(&state, &q, agency).await
}

/// The public key that verifies audit checkpoints and webhook bodies
/// (`x-lgsp-signature`).
#[utoipa::path(get, path = "/v1/audit/public-key",
    responses((status = 200, body = PublicKeyResponse)), tag = "audit")]
pub(crate) async fn public_key(State(state): State<AppState>) -> Json<PublicKeyResponse> {
    Json(PublicKeyResponse {
        algorithm: "ed25519",
        public_key: state.audit.public_key().to_base64(),
    })
}
