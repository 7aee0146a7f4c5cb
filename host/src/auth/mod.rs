//! Who is calling, proven: signed requests (HMAC-SHA256, HMAC-SHA1 for legacy
//! applications, RSA-SHA256) checked against the registry, replay and clock
//! checks, rate limits, session keys scoped to destinations, admin sessions,
//! and the per-request policy that grants give. The wire format itself lives in
//! `lgsp-auth` (shared with clients and the fuzz target); the registry in
//! `lgsp-access`.

mod error;
mod master;
mod nonce;
mod rate;
pub mod sample;
mod session;

pub use error::AuthError;
pub use master::{MasterKeyError, load_or_create as load_master_key};
pub(crate) use session::token_time;
pub use session::{AdminIdentity, Session};

use crate::policy::{GrantView, Policy};
use crate::runtime::Snapshot;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lgsp_access::{AccessStore, Agency, Application, Grant, KeyLookupError, MasterKey};
use lgsp_auth::{
    Algorithm, Authorization, AuthorizationError, CONTENT_SHA256_HEADER, CanonicalError,
    DATE_HEADER, NONCE_HEADER, RequestToSign, VerifyingKey,
};
use nonce::NonceCache;
use rate::RateLimits;
use std::sync::Arc;
use std::time::Duration;

/// Tuning of authentication.
#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    /// How far a request's `x-lgsp-date` may be from the platform's clock.
    pub max_skew_secs: i64,
    /// Lifetime of a session key.
    pub session_ttl: Duration,
    /// Lifetime of an admin session.
    pub admin_ttl: Duration,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            max_skew_secs: lgsp_auth::MAX_CLOCK_SKEW_SECS,
            session_ttl: Duration::from_secs(30 * 60),
            admin_ttl: Duration::from_secs(8 * 3600),
        }
    }
}

/// An application whose request carried a valid signature.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The access key that signed.
    pub access_key: String,
    /// Its application.
    pub application: Application,
    /// The application's agency.
    pub agency: Agency,
}

impl From<lgsp_access::CallerRecord> for Caller {
    fn from(record: lgsp_access::CallerRecord) -> Self {
        Self {
            access_key: record.access_key,
            application: record.application,
            agency: record.agency,
        }
    }
}

/// The parts of a request a signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path as sent, without the query.
    pub path: &'a str,
    /// Query string as sent, without `?`.
    pub query: Option<&'a str>,
    /// All headers.
    pub headers: &'a http::HeaderMap,
    /// The body bytes.
    pub body: &'a [u8],
}

/// Authentication, sessions and grants, for the API.
pub struct AuthService {
    access: Arc<AccessStore>,
    master: MasterKey,
    nonces: NonceCache,
    limits: RateLimits,
    session_key: [u8; 32],
    admin_key: [u8; 32],
    settings: AuthSettings,
    /// Admin logins hashing at once: each argon2 check takes ~19 MiB, so a
    /// flood of logins must queue rather than exhaust memory.
    logins: tokio::sync::Semaphore,
    /// Who provides each service, for audit entries: read at most every
    /// [`PROVIDERS_TTL`] rather than once per data request.
    providers: std::sync::RwLock<Option<(std::time::Instant, Arc<ProviderMap>)>>,
}

/// Schema → provider agency code.
pub type ProviderMap = std::collections::BTreeMap<String, String>;

/// How long the provider map is reused. A change made through this node's
/// admin API applies at once; one made with `lgsp admin` on the database,
/// within this time.
const PROVIDERS_TTL: std::time::Duration = std::time::Duration::from_secs(10);

impl std::fmt::Debug for AuthService {
    // The token keys would let anyone who reads them forge sessions.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthService")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Admin password checks that may run at once.
const CONCURRENT_LOGINS: usize = 2;

/// The local date (Vietnam, UTC+7) of `now`, and the time left in it.
/// The calendar day in Vietnam (UTC+7) at `now`: grant validity and
/// connector retirement dates are such days.
pub fn local_today(now: DateTime<Utc>) -> NaiveDate {
    local_day(now).0
}

pub(crate) fn local_day(now: DateTime<Utc>) -> (NaiveDate, Duration) {
    let local = now + chrono::Duration::hours(7);
    let date = local.date_naive();
    let midnight = date
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|m| m.and_utc() - chrono::Duration::hours(7));
    let left = midnight
        .and_then(|m| (m - now).to_std().ok())
        .unwrap_or(Duration::from_secs(1));
    (date, left)
}

fn header_str<'h>(headers: &'h http::HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

impl AuthService {
    /// The service over `access`, with secrets derived from `master`.
    pub fn new(access: Arc<AccessStore>, master: MasterKey, settings: AuthSettings) -> Self {
        Self {
            session_key: master.derive("lgsp session tokens v1"),
            admin_key: master.derive("lgsp admin sessions v1"),
            nonces: NonceCache::new(settings.max_skew_secs),
            limits: RateLimits::default(),
            access,
            master,
            settings,
            logins: tokio::sync::Semaphore::new(CONCURRENT_LOGINS),
            providers: std::sync::RwLock::new(None),
        }
    }

    /// Who provides each service (cached for a few seconds).
    ///
    /// # Errors
    /// When the registry cannot be read.
    pub async fn providers(&self) -> Result<Arc<ProviderMap>, AuthError> {
        if let Some((at, map)) = self
            .providers
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .as_ref()
            && at.elapsed() < PROVIDERS_TTL
        {
            return Ok(map.clone());
        }
        let map: Arc<ProviderMap> = Arc::new(
            self.access
                .services()
                .await
                .map_err(|e| AuthError::Store(e.to_string()))?
                .into_iter()
                .map(|s| (s.schema, s.provider.to_string()))
                .collect(),
        );
        *self
            .providers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((std::time::Instant::now(), map.clone()));
        Ok(map)
    }

    /// Forgets the cached provider map (after a provider changed).
    pub fn providers_changed(&self) {
        *self
            .providers
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The registry.
    pub fn access(&self) -> &Arc<AccessStore> {
        &self.access
    }

    /// The settings in force.
    pub fn settings(&self) -> &AuthSettings {
        &self.settings
    }

    /// The key each connector's upstream signing secret derives from.
    pub fn upstream_signing_base(&self) -> [u8; 32] {
        self.master.derive("lgsp upstream signing v1")
    }

    /// The master key, for parts of the platform that derive their own
    /// keys from it (connector configuration sealing).
    pub(crate) fn master(&self) -> &MasterKey {
        &self.master
    }

    /// The secret with which the platform signs what connector `name` sends
    /// upstream; the provider configures the same value to check it.
    pub fn upstream_secret(&self, connector: &str) -> String {
        upstream_secret(&self.upstream_signing_base(), connector)
    }

    /// Checks the request's signature, date, nonce and body hash against the
    /// registry, then counts it against the application's rate. Checks that
    /// need no database come first, so a flood of malformed requests costs
    /// little; the nonce is recorded only once the signature holds, so nobody
    /// can burn another client's nonces.
    ///
    /// # Errors
    /// The first check that fails, as an [`AuthError`] with its own code.
    pub async fn authenticate(
        &self,
        req: &SignedRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<Caller, AuthError> {
        let hash = lgsp_auth::body_sha256_hex(req.body);
        self.check_signature(req, &hash, now, true).await
    }

    /// Checks a request that a destination system received and asks the
    /// platform about (`/v1/auth/verify`): the same checks, but its nonce is
    /// not consumed and it does not count against the caller's rate, since
    /// the platform is not serving it.
    ///
    /// # Errors
    /// As [`authenticate`](Self::authenticate), without `NonceReused` and
    /// rate limits.
    pub async fn verify_forwarded(
        &self,
        req: &SignedRequest<'_>,
        body_sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<Caller, AuthError> {
        self.check_signature(req, body_sha256, now, false).await
    }

    /// The current state of the key that opened a session.
    ///
    /// # Errors
    /// Why the key no longer serves.
    pub async fn key_holder(
        &self,
        access_key: &str,
        now: DateTime<Utc>,
    ) -> Result<Caller, AuthError> {
        let record = self
            .access
            .caller_by_key(access_key, now)
            .await
            .map_err(lookup_error)?;
        Ok(record.into())
    }

    async fn check_signature(
        &self,
        req: &SignedRequest<'_>,
        body_sha256: &str,
        now: DateTime<Utc>,
        serving: bool,
    ) -> Result<Caller, AuthError> {
        // Every header the signature depends on must be sent once: the
        // canonical form joins repeated values, the checks read one.
        for name in [
            http::header::AUTHORIZATION.as_str(),
            DATE_HEADER,
            NONCE_HEADER,
            CONTENT_SHA256_HEADER,
            lgsp_auth::PURPOSE_HEADER,
            lgsp_auth::SESSION_HEADER,
        ] {
            if req.headers.get_all(name).iter().nth(1).is_some() {
                return Err(AuthError::InvalidHeader(format!(
                    "send the {name} header once; it was sent several times"
                )));
            }
        }
        let value = req
            .headers
            .get(http::header::AUTHORIZATION)
            .ok_or(AuthError::Unsigned)?;
        let value = value.to_str().map_err(|_| {
            AuthError::Malformed("the Authorization header must be ASCII text".into())
        })?;
        let auth = Authorization::parse(value).map_err(|e| match e {
            AuthorizationError::UnsupportedAlgorithm(_) => {
                AuthError::UnsupportedAlgorithm(e.to_string())
            }
            _ => AuthError::Malformed(e.to_string()),
        })?;
        let missing = |name: &str| {
            AuthError::MissingSignedHeader(format!(
                "send the {name} header and list it in SignedHeaders (docs/authentication.md)"
            ))
        };
        let date_text = header_str(req.headers, DATE_HEADER).ok_or_else(|| missing(DATE_HEADER))?;
        let date = lgsp_auth::parse_date(date_text)
            .map_err(|e| AuthError::ClockSkew(format!("{DATE_HEADER}: {e}")))?;
        let skew = (now - date).num_seconds();
        if skew.abs() > self.settings.max_skew_secs {
            return Err(AuthError::ClockSkew(format!(
                "{DATE_HEADER} is {skew} s from the platform's clock ({}); requests are accepted within ±{} s: synchronize the client's clock (NTP) and date each request when it is sent",
                lgsp_auth::format_date(now),
                self.settings.max_skew_secs
            )));
        }
        let nonce = header_str(req.headers, NONCE_HEADER).ok_or_else(|| missing(NONCE_HEADER))?;
        lgsp_auth::check_nonce(nonce).map_err(|e| AuthError::InvalidNonce(e.to_string()))?;
        let declared = header_str(req.headers, CONTENT_SHA256_HEADER)
            .ok_or_else(|| missing(CONTENT_SHA256_HEADER))?;
        if !declared.eq_ignore_ascii_case(body_sha256) {
            return Err(AuthError::BodyHashMismatch);
        }
        let canonical = lgsp_auth::canonical_request(
            auth.algorithm,
            &auth.access_key,
            &RequestToSign {
                method: req.method,
                path: req.path,
                query: req.query,
                headers: req.headers,
            },
            &auth.signed_headers,
        )
        .map_err(|e| match e {
            CanonicalError::MissingSignedHeader(_) | CanonicalError::MissingRequiredHeader(_) => {
                AuthError::MissingSignedHeader(e.to_string())
            }
            _ => AuthError::InvalidHeader(e.to_string()),
        })?;
        let record = self
            .access
            .caller_by_key(&auth.access_key, now)
            .await
            .map_err(lookup_error)?;
        match (auth.algorithm, &record.key) {
            (Algorithm::HmacSha1, VerifyingKey::Hmac(_)) if !record.application.legacy_sha1 => {
                return Err(AuthError::AlgorithmNotAllowed(
                    "HMAC-SHA1 is accepted only from applications an administrator marked legacy; sign with LGSP-HMAC-SHA256".into(),
                ));
            }
            (Algorithm::HmacSha256 | Algorithm::HmacSha1, VerifyingKey::Rsa(_)) => {
                return Err(AuthError::AlgorithmNotAllowed(
                    "this access key holds an RSA public key: sign with LGSP-RSA-SHA256".into(),
                ));
            }
            (Algorithm::RsaSha256, VerifyingKey::Hmac(_)) => {
                return Err(AuthError::AlgorithmNotAllowed(
                    "this access key is an HMAC key: sign with LGSP-HMAC-SHA256".into(),
                ));
            }
            _ => {}
        }
        lgsp_auth::verify(auth.algorithm, &record.key, &canonical, &auth.signature)
            .map_err(|_| AuthError::BadSignature)?;
        if serving {
            if !self
                .nonces
                .first_use(&auth.access_key, nonce, date.timestamp(), now.timestamp())
            {
                return Err(AuthError::NonceReused);
            }
            let (day, left) = local_day(now);
            let day_number = i64::from(day.num_days_from_ce());
            self.limits.admit(&record.application, day_number, left)?;
        }
        Ok(record.into())
    }

    /// The approved grants of `caller` in force today.
    ///
    /// # Errors
    /// When the registry fails.
    pub async fn active_grants(
        &self,
        caller: &Caller,
        now: DateTime<Utc>,
    ) -> Result<Vec<Grant>, AuthError> {
        let (today, _) = local_day(now);
        self.access
            .active_grants(&caller.application.id, today)
            .await
            .map_err(|e| AuthError::Store(e.to_string()))
    }

    /// What `caller` may see for `purpose` (`None`: for any of its
    /// purposes, to list its tables) within the session's destinations: its
    /// grants in force whose purpose matches, resolved against the loaded
    /// connectors.
    ///
    /// # Errors
    /// `PurposeRequired`, `PurposeNotGranted`, or a registry failure.
    pub async fn policy(
        &self,
        caller: &Caller,
        purpose: Option<&str>,
        destinations: Option<&[String]>,
        snapshot: &Snapshot,
        now: DateTime<Utc>,
    ) -> Result<Policy, AuthError> {
        if purpose.is_some_and(|p| p.trim().is_empty()) {
            return Err(AuthError::PurposeRequired);
        }
        let grants = self.active_grants(caller, now).await?;
        let matching: Vec<&Grant> = grants
            .iter()
            .filter(|g| purpose.is_none_or(|p| lgsp_access::purpose_matches(&g.purpose, p)))
            .collect();
        if matching.is_empty() && purpose.is_some() {
            let mut purposes: Vec<&str> = grants.iter().map(|g| g.purpose.as_str()).collect();
            purposes.sort_unstable();
            purposes.dedup();
            return Err(AuthError::PurposeNotGranted(if purposes.is_empty() {
                "this application holds no grant in force; request one with POST /v1/grants".into()
            } else {
                format!(
                    "no grant of this application has the purpose stated in x-purpose; its grants' purposes are: {}",
                    purposes
                        .iter()
                        .map(|p| format!("\"{p}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }));
        }
        // A grant reaches its connector's default schema and each pinned
        // major it still fits (policy::versions).
        let views: Vec<GrantView<'_>> = matching
            .iter()
            .filter_map(|g| Some((*g, narrow(g, destinations)?)))
            .flat_map(|(g, view)| {
                crate::policy::versions::reachable(g, snapshot)
                    .into_iter()
                    .map(move |schema| GrantView { schema, ..view })
            })
            .collect();
        Ok(crate::policy::resolve(&views, snapshot))
    }
}

/// The part of grant `g` inside the session's destinations (`schema` or
/// `schema.table`), if any.
fn narrow<'g>(g: &'g Grant, destinations: Option<&'g [String]>) -> Option<GrantView<'g>> {
    let view = GrantView {
        schema: &g.schema,
        table: g.table.as_deref(),
        columns: &g.columns,
        clear_columns: &g.clear_columns,
        row_filter: g.row_filter.as_deref(),
    };
    let Some(destinations) = destinations else {
        return Some(view);
    };
    for d in destinations {
        // A session opened for `dan_cu@1` covers that source, whichever
        // version a query then names.
        let (schema, table) = match d.split_once('.') {
            Some((s, t)) => (s, Some(t)),
            None => (d.as_str(), None),
        };
        let schema = schema.split_once('@').map_or(schema, |(base, _)| base);
        match (schema, table) {
            (schema, None) if schema == g.schema => return Some(view),
            (schema, Some(table)) if schema == g.schema => match g.table.as_deref() {
                None => {
                    return Some(GrantView {
                        table: Some(table),
                        ..view
                    });
                }
                Some(t) if t == table => return Some(view),
                Some(_) => {}
            },
            _ => {}
        }
    }
    None
}

/// Connector `name`'s upstream signing secret (hex), derived from `base` so
/// that every node computes the same one without storing it.
pub fn upstream_secret(base: &[u8; 32], connector: &str) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(base) else {
        // HMAC takes keys of any length; this cannot happen.
        return String::new();
    };
    mac.update(connector.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn lookup_error(e: KeyLookupError) -> AuthError {
    match e {
        KeyLookupError::UnknownKey => AuthError::UnknownKey,
        KeyLookupError::Revoked { at } => AuthError::KeyRevoked(at.to_rfc3339()),
        KeyLookupError::Expired { at } => AuthError::KeyExpired(at.to_rfc3339()),
        KeyLookupError::ApplicationSuspended => AuthError::ApplicationSuspended,
        KeyLookupError::AgencyInactive(status) => {
            AuthError::AgencyInactive(format!("{status:?}").to_lowercase())
        }
        other => AuthError::Store(other.to_string()),
    }
}
