//! Session keys (Điều 9/10: a source that may reach a destination gets a
//! short-lived key for it) and admin sessions. Both are tokens the platform
//! MACs with a key derived from the master key: any node can check them
//! without a shared session table, and they die with the key, application or
//! admin account behind them because those are checked on every use.

use super::{AuthError, AuthService, Caller};
use crate::runtime::Snapshot;
use chrono::{DateTime, Utc};
use lgsp_auth::token::{self, Claims, TokenError, TokenKind};

/// An open session.
#[derive(Clone)]
pub struct Session {
    /// The token to send as `x-lgsp-session`.
    pub token: String,
    /// What it holds.
    pub claims: Claims,
}

impl std::fmt::Debug for Session {
    // The token is a bearer credential.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

/// An admin whose session token is valid.
#[derive(Debug, Clone)]
pub struct AdminIdentity {
    /// The admin's username.
    pub username: String,
}

/// A token time (unix seconds) as RFC 3339, as answers and messages give it.
pub(crate) fn token_time(unix: i64) -> String {
    DateTime::<Utc>::from_timestamp(unix, 0).map_or_else(|| unix.to_string(), |t| t.to_rfc3339())
}

impl AuthService {
    /// Opens a session for `caller` to `destinations` (`schema` or
    /// `schema.table`), each of which must exist and be covered by a grant in
    /// force (whatever its purpose: the purpose is checked per request).
    ///
    /// # Errors
    /// `SessionDestination` naming the first destination that is unknown or
    /// not granted, or a registry failure.
    pub async fn open_session(
        &self,
        caller: &Caller,
        destinations: &[String],
        snapshot: &Snapshot,
        now: DateTime<Utc>,
    ) -> Result<Session, AuthError> {
        // No destination: a session for the shared catalogs only, which are
        // public reference data.
        if destinations.len() > 32 {
            return Err(AuthError::SessionDestination(
                "name at most 32 destinations: schemas (dan_cu) or tables (dan_cu.cong_dan)".into(),
            ));
        }
        let grants = self.active_grants(caller, now).await?;
        for d in destinations {
            let (schema, table) = match d.split_once('.') {
                Some((s, t)) => (s, Some(t)),
                None => (d.as_str(), None),
            };
            let Some(connector) = snapshot.connectors.get(schema) else {
                return Err(AuthError::SessionDestination(format!(
                    "no service is called {schema}; see GET /v1/services"
                )));
            };
            if let Some(t) = table
                && connector.info().table(t).is_none()
            {
                return Err(AuthError::SessionDestination(format!(
                    "{schema} has no table {t}; see GET /v1/services"
                )));
            }
            let granted = grants.iter().any(|g| {
                g.schema == schema
                    && match (table, g.table.as_deref()) {
                        (_, None) => true,
                        (Some(t), Some(gt)) => t == gt,
                        // A whole-schema session needs a whole-schema grant
                        // or at least one table of it.
                        (None, Some(_)) => true,
                    }
            });
            if !granted {
                return Err(AuthError::SessionDestination(format!(
                    "this application holds no grant in force for {d}; request one with POST /v1/grants and wait for the provider's approval"
                )));
            }
        }
        let issued_at = now.timestamp();
        let ttl = i64::try_from(self.settings.session_ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            kind: TokenKind::Session,
            id: uuid::Uuid::now_v7().to_string(),
            subject: caller.application.id.clone(),
            agency: Some(caller.agency.code.to_string()),
            key_id: Some(caller.access_key.clone()),
            destinations: destinations.to_vec(),
            issued_at,
            expires_at: issued_at.saturating_add(ttl),
        };
        Ok(Session {
            token: token::issue(&self.session_key, &claims),
            claims,
        })
    }

    /// Opens a session token without tying it to a request: for
    /// `/v1/auth/verify`, where a destination system asks about a token.
    ///
    /// # Errors
    /// `InvalidSession` or `SessionExpired`.
    pub fn read_session(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, AuthError> {
        let claims =
            token::open(&self.session_key, token, now.timestamp()).map_err(|e| match e {
                TokenError::Expired { at } => AuthError::SessionExpired(token_time(at)),
                other => {
                    AuthError::InvalidSession(format!("the session token is not valid: {other}"))
                }
            })?;
        if claims.kind != TokenKind::Session {
            return Err(AuthError::InvalidSession(
                "this is not a session token".into(),
            ));
        }
        Ok(claims)
    }

    /// Checks the session token a data request carries: valid, unexpired,
    /// opened by the same access key that signed this request (so revoking
    /// that key ends its sessions too).
    ///
    /// # Errors
    /// `InvalidSession` or `SessionExpired`.
    pub fn check_session(
        &self,
        token: Option<&str>,
        caller: &Caller,
        now: DateTime<Utc>,
    ) -> Result<Claims, AuthError> {
        let token = token.ok_or_else(|| {
            AuthError::InvalidSession(
                "data requests need a session key: open one with POST /v1/auth/sessions and send it as x-lgsp-session (signed)".into(),
            )
        })?;
        let claims = self.read_session(token, now)?;
        if claims.subject != caller.application.id
            || claims.key_id.as_deref() != Some(caller.access_key.as_str())
        {
            return Err(AuthError::InvalidSession(
                "this session was opened with another access key; open a session with the key that signs the request".into(),
            ));
        }
        Ok(claims)
    }

    /// Logs an admin in.
    ///
    /// # Errors
    /// `BadLogin` for a wrong username or password (the same answer for
    /// both), or a registry failure.
    pub async fn login_admin(
        &self,
        username: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<Session, AuthError> {
        let _slot = self
            .logins
            .acquire()
            .await
            .map_err(|_| AuthError::Store("the login queue is closed".into()))?;
        let admin = self
            .access
            .verify_admin(username, password)
            .await
            .map_err(|_| AuthError::BadLogin)?;
        let issued_at = now.timestamp();
        let ttl = i64::try_from(self.settings.admin_ttl.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            kind: TokenKind::Admin,
            id: uuid::Uuid::now_v7().to_string(),
            subject: admin.username.clone(),
            agency: None,
            key_id: None,
            destinations: Vec::new(),
            issued_at,
            expires_at: issued_at.saturating_add(ttl),
        };
        Ok(Session {
            token: token::issue(&self.admin_key, &claims),
            claims,
        })
    }

    /// The admin behind `token`, whose account must still exist and be
    /// enabled.
    ///
    /// # Errors
    /// `AdminUnauthorized` saying why.
    pub async fn admin(&self, token: &str, now: DateTime<Utc>) -> Result<AdminIdentity, AuthError> {
        let claims = token::open(&self.admin_key, token, now.timestamp()).map_err(|e| match e {
            TokenError::Expired { at } => AuthError::AdminUnauthorized(format!(
                "the admin session expired at {}; log in again with POST /v1/admin/login",
                token_time(at)
            )),
            _ => AuthError::AdminUnauthorized(
                "the admin session token is not valid; log in with POST /v1/admin/login".into(),
            ),
        })?;
        if claims.kind != TokenKind::Admin {
            return Err(AuthError::AdminUnauthorized(
                "this is not an admin session token".into(),
            ));
        }
        match self.access.admin(&claims.subject).await {
            Ok(Some(admin)) if !admin.disabled => Ok(AdminIdentity {
                username: admin.username,
            }),
            Ok(_) => Err(AuthError::AdminUnauthorized(
                "this admin account is disabled or no longer exists".into(),
            )),
            Err(e) => Err(AuthError::Store(e.to_string())),
        }
    }
}
