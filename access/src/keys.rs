//! Access keys: creation (HMAC secret shown once, or a registered RSA public
//! key), rotation with a grace period, revocation, and the per-request lookup.

use crate::AccessStore;
use crate::agency::{Agency, AgencyStatus, agency_from_row};
use crate::application::{AppStatus, Application, application_from_row, load_application};
use crate::db::{self, begin_write, from_unix, from_unix_opt, random_base32_16};
use crate::error::AccessError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use lgsp_auth::VerifyingKey;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use std::fmt;
use std::time::Duration;

/// Prefix of every access key.
const ACCESS_KEY_PREFIX: &str = "LGSP";
/// Random bytes in a secret key: 30 bytes are exactly 40 base64url characters.
const SECRET_BYTES: usize = 30;
/// Largest public key PEM accepted (an 8192-bit key is about 1.5 KB).
const MAX_PEM_LEN: usize = 16 * 1024;

/// What a new key is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// The platform generates a secret, shown once, for HMAC signatures.
    Hmac,
    /// The client keeps its private key and registers the public one.
    Rsa {
        /// SPKI PEM (`-----BEGIN PUBLIC KEY-----`).
        public_key_pem: String,
    },
}

/// How requests made with a key are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    /// HMAC-SHA256 (or HMAC-SHA1 for legacy applications) with the secret key.
    Hmac,
    /// RSA-SHA256 with the client's private key.
    Rsa,
}

impl KeyKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Hmac => "hmac",
            Self::Rsa => "rsa",
        }
    }

    fn parse(s: &str) -> Result<Self, AccessError> {
        match s {
            "hmac" => Ok(Self::Hmac),
            "rsa" => Ok(Self::Rsa),
            other => Err(AccessError::Corrupt(format!("key kind {other:?}"))),
        }
    }
}

/// Whether a key was revoked. Expiry is a separate, time-dependent fact
/// ([`KeyInfo::expires_at`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Usable until it expires.
    Active,
    /// Refused from the next request on.
    Revoked,
}

impl KeyStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Revoked => "revoked",
        }
    }

    fn parse(s: &str) -> Result<Self, AccessError> {
        match s {
            "active" => Ok(Self::Active),
            "revoked" => Ok(Self::Revoked),
            other => Err(AccessError::Corrupt(format!("key status {other:?}"))),
        }
    }
}

/// A key as listed: everything but the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// `LGSP` followed by 16 upper-case base32 characters; sent as `Credential=`.
    pub access_key: String,
    /// The application it belongs to.
    pub application: String,
    /// How it signs.
    pub kind: KeyKind,
    /// Revoked or not.
    pub status: KeyStatus,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it stops working, if ever (requests at or after this time are refused).
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The key that replaced it by rotation.
    pub replaced_by: Option<String>,
}

/// A key just created. The HMAC secret is in no other place the platform can
/// show it again: give it to the client now.
#[derive(Clone, Serialize)]
pub struct IssuedKey {
    /// The key.
    pub info: KeyInfo,
    /// The HMAC secret key (40 base64url characters); `None` for RSA keys.
    pub secret_key: Option<String>,
}

impl fmt::Debug for IssuedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedKey")
            .field("info", &self.info)
            .field("secret_key", &self.secret_key.as_ref().map(|_| "…"))
            .finish()
    }
}

/// Who is calling, as the signature check needs it.
#[derive(Debug, Clone)]
pub struct CallerRecord {
    /// The access key of the request.
    pub access_key: String,
    /// Its application (active).
    pub application: Application,
    /// The application's agency (active).
    pub agency: Agency,
    /// The key that checks the request's signature.
    pub key: VerifyingKey,
}

/// Why a request's access key is not accepted.
#[derive(Debug, thiserror::Error)]
pub enum KeyLookupError {
    /// No such key.
    #[error("the access key is not registered; check the Credential in the Authorization header")]
    UnknownKey,
    /// The key was revoked.
    #[error("the access key was revoked at {at}; ask the platform operator for a new key")]
    Revoked {
        /// When.
        at: DateTime<Utc>,
    },
    /// The key expired (or its rotation grace period ended).
    #[error("the access key expired at {at}; use its replacement or ask for a new key")]
    Expired {
        /// When.
        at: DateTime<Utc>,
    },
    /// The key's application is suspended.
    #[error("the application of this access key is suspended")]
    ApplicationSuspended,
    /// The application's agency is suspended or dissolved.
    #[error("the agency of this access key is {0}")]
    AgencyInactive(AgencyStatus),
    /// The registry failed.
    #[error(transparent)]
    Store(#[from] AccessError),
}

impl KeyLookupError {
    /// A stable machine code for this error.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::UnknownKey => "unknown_key",
            Self::Revoked { .. } => "key_revoked",
            Self::Expired { .. } => "key_expired",
            Self::ApplicationSuspended => "application_suspended",
            Self::AgencyInactive(_) => "agency_inactive",
            Self::Store(e) => e.kind(),
        }
    }
}

fn key_from_row(row: &SqliteRow) -> Result<KeyInfo, AccessError> {
    let kind: String = row.try_get("kind")?;
    let status: String = row.try_get("status")?;
    Ok(KeyInfo {
        access_key: row.try_get("access_key")?,
        application: row.try_get("application")?,
        kind: KeyKind::parse(&kind)?,
        status: KeyStatus::parse(&status)?,
        created_at: from_unix(row.try_get("created_at")?)?,
        expires_at: from_unix_opt(row.try_get("expires_at")?)?,
        revoked_at: from_unix_opt(row.try_get("revoked_at")?)?,
        replaced_by: row.try_get("replaced_by")?,
    })
}

async fn load_key(conn: &mut SqliteConnection, access_key: &str) -> Result<KeyInfo, AccessError> {
    let row = sqlx::query(
        "SELECT access_key, application, kind, status, created_at, expires_at, revoked_at, \
         replaced_by FROM api_key WHERE access_key = $1",
    )
    .bind(access_key)
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| AccessError::UnknownKey(access_key.to_owned()))?;
    key_from_row(&row)
}

/// Whether `s` has the shape of an access key, so garbage never reaches the database.
fn looks_like_access_key(s: &str) -> bool {
    s.len() == ACCESS_KEY_PREFIX.len() + 16
        && s.starts_with(ACCESS_KEY_PREFIX)
        && s[ACCESS_KEY_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
}

/// A fresh secret that never begins with `-`: a secret is pasted into command lines, where a
/// leading dash reads as an option (`--secret-key -x…` fails in argparse and clap). Redrawing
/// costs log2(64/63) ≈ 0.02 bits of the 256.
fn new_secret() -> String {
    loop {
        let mut bytes = [0u8; SECRET_BYTES];
        OsRng.fill_bytes(&mut bytes);
        let secret = URL_SAFE_NO_PAD.encode(bytes);
        if !secret.starts_with('-') {
            return secret;
        }
    }
}

/// The material as stored: (kind, sealed secret, public key PEM), and the secret to show.
type Prepared = (KeyKind, Option<Vec<u8>>, Option<String>, Option<String>);

impl AccessStore {
    fn prepare(&self, access_key: &str, material: KeyMaterial) -> Result<Prepared, AccessError> {
        match material {
            KeyMaterial::Hmac => {
                let secret = new_secret();
                let sealed = self.sealer.seal(access_key, secret.as_bytes())?;
                Ok((KeyKind::Hmac, Some(sealed), None, Some(secret)))
            }
            KeyMaterial::Rsa { public_key_pem } => {
                let pem = public_key_pem.trim();
                if pem.len() > MAX_PEM_LEN {
                    return Err(AccessError::InvalidPublicKey(format!(
                        "the PEM text has {} bytes, more than {MAX_PEM_LEN}",
                        pem.len()
                    )));
                }
                VerifyingKey::rsa_from_pem(pem)
                    .map_err(|e| AccessError::InvalidPublicKey(e.to_string()))?;
                Ok((KeyKind::Rsa, None, Some(pem.to_owned()), None))
            }
        }
    }

    /// Inserts a new active key for `application`.
    async fn insert_key(
        &self,
        conn: &mut SqliteConnection,
        application: &str,
        material: KeyMaterial,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<IssuedKey, AccessError> {
        let access_key = format!("{ACCESS_KEY_PREFIX}{}", random_base32_16());
        let (kind, sealed, pem, secret_key) = self.prepare(&access_key, material)?;
        sqlx::query(
            "INSERT INTO api_key (access_key, application, kind, sealed_secret, public_key_pem, \
             status, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $7)",
        )
        .bind(&access_key)
        .bind(application)
        .bind(kind.as_str())
        .bind(sealed)
        .bind(pem)
        .bind(now.timestamp())
        .bind(expires_at.map(|t| t.timestamp()))
        .execute(conn)
        .await?;
        Ok(IssuedKey {
            info: KeyInfo {
                access_key,
                application: application.to_owned(),
                kind,
                status: KeyStatus::Active,
                created_at: now,
                expires_at,
                revoked_at: None,
                replaced_by: None,
            },
            secret_key,
        })
    }

    /// Creates a key for an application. For HMAC the secret is generated from
    /// the OS random source, stored sealed, and returned this once.
    ///
    /// # Errors
    /// `UnknownApplication`, `InvalidPublicKey`, `InvalidExpiry` (in the past).
    pub async fn create_key(
        &self,
        app_id: &str,
        material: KeyMaterial,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<IssuedKey, AccessError> {
        let now = db::now();
        if let Some(at) = expires_at
            && at <= now
        {
            return Err(AccessError::InvalidExpiry(format!(
                "the expiry time {at} is not in the future"
            )));
        }
        // Whole seconds, as stored, so the returned info equals what is read back.
        let expires_at = expires_at.and_then(|t| DateTime::from_timestamp(t.timestamp(), 0));
        let mut tx = begin_write(&self.pool).await?;
        load_application(&mut tx, app_id).await?;
        let issued = self
            .insert_key(&mut tx, app_id, material, expires_at, now)
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Replaces a key with a new one for the same application. The old key stays
    /// valid until `grace` from now (or its own expiry, if sooner), so clients can
    /// switch without a gap; the new key does not expire.
    ///
    /// # Errors
    /// `UnknownKey`, `KeyRevoked`, `KeyReplaced` (rotate the replacement instead),
    /// `InvalidPublicKey`, `InvalidExpiry` (grace too large).
    pub async fn rotate_key(
        &self,
        access_key: &str,
        grace: Duration,
        material: KeyMaterial,
    ) -> Result<IssuedKey, AccessError> {
        let now = db::now();
        let grace_end = chrono::Duration::from_std(grace)
            .ok()
            .and_then(|g| now.checked_add_signed(g))
            .ok_or_else(|| {
                AccessError::InvalidExpiry(format!("a grace period of {grace:?} is too long"))
            })?;
        let mut tx = begin_write(&self.pool).await?;
        let old = load_key(&mut tx, access_key).await?;
        if old.status == KeyStatus::Revoked {
            return Err(AccessError::KeyRevoked(old.access_key));
        }
        if let Some(by) = old.replaced_by {
            return Err(AccessError::KeyReplaced {
                key: old.access_key,
                by,
            });
        }
        let issued = self
            .insert_key(&mut tx, &old.application, material, None, now)
            .await?;
        let old_expiry = old
            .expires_at
            .map_or(grace_end, |at| at.min(grace_end))
            .timestamp();
        sqlx::query("UPDATE api_key SET expires_at = $1, replaced_by = $2 WHERE access_key = $3")
            .bind(old_expiry)
            .bind(&issued.info.access_key)
            .bind(access_key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Revokes a key: the next request signed with it is refused. Revoking a
    /// revoked key changes nothing and returns it as it is.
    ///
    /// # Errors
    /// `UnknownKey`.
    pub async fn revoke_key(&self, access_key: &str) -> Result<KeyInfo, AccessError> {
        let now = db::now();
        let mut tx = begin_write(&self.pool).await?;
        let mut key = load_key(&mut tx, access_key).await?;
        if key.status == KeyStatus::Revoked {
            return Ok(key);
        }
        sqlx::query("UPDATE api_key SET status = $1, revoked_at = $2 WHERE access_key = $3")
            .bind(KeyStatus::Revoked.as_str())
            .bind(now.timestamp())
            .bind(access_key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        key.status = KeyStatus::Revoked;
        key.revoked_at = Some(now);
        Ok(key)
    }

    /// The keys of an application, oldest first, without secrets.
    ///
    /// # Errors
    /// `UnknownApplication`.
    pub async fn keys(&self, app_id: &str) -> Result<Vec<KeyInfo>, AccessError> {
        let mut conn = self.pool.acquire().await?;
        load_application(&mut conn, app_id).await?;
        let rows = sqlx::query(
            "SELECT access_key, application, kind, status, created_at, expires_at, revoked_at, \
             replaced_by FROM api_key WHERE application = $1 ORDER BY created_at, rowid",
        )
        .bind(app_id)
        .fetch_all(&mut *conn)
        .await?;
        rows.iter().map(key_from_row).collect()
    }

    /// Who signs with `access_key`, if they may call at `now`.
    ///
    /// This is on every signed request's path: one read-only query joining the
    /// key, its application and its agency, nothing cached, so a revocation or
    /// suspension applies to the very next request.
    ///
    /// # Errors
    /// The reason the key is refused, or `Store` when the registry fails (a
    /// secret that does not open with the master key is `SecretUnreadable`).
    pub async fn caller_by_key(
        &self,
        access_key: &str,
        now: DateTime<Utc>,
    ) -> Result<CallerRecord, KeyLookupError> {
        if !looks_like_access_key(access_key) {
            return Err(KeyLookupError::UnknownKey);
        }
        let row = sqlx::query(
            "SELECT k.kind, k.sealed_secret, k.public_key_pem, k.status AS k_status, \
                    k.expires_at, k.revoked_at, \
                    a.id AS a_id, a.agency AS a_agency, a.name AS a_name, a.status AS a_status, \
                    a.legacy_sha1 AS a_legacy_sha1, a.per_minute AS a_per_minute, \
                    a.per_day AS a_per_day, a.created_at AS a_created_at, \
                    g.code AS g_code, g.name AS g_name, g.parent AS g_parent, \
                    g.status AS g_status, g.created_at AS g_created_at \
             FROM api_key k \
             JOIN application a ON a.id = k.application \
             JOIN agency g ON g.code = a.agency \
             WHERE k.access_key = $1",
        )
        .bind(access_key)
        .fetch_optional(&self.pool)
        .await
        .map_err(AccessError::from)?
        .ok_or(KeyLookupError::UnknownKey)?;

        let status: String = row.try_get("k_status").map_err(AccessError::from)?;
        if KeyStatus::parse(&status)? == KeyStatus::Revoked {
            let at: Option<i64> = row.try_get("revoked_at").map_err(AccessError::from)?;
            let at = at.ok_or_else(|| {
                AccessError::Corrupt("revoked key without a revocation time".into())
            })?;
            let at = from_unix(at)?;
            return Err(KeyLookupError::Revoked { at });
        }
        let expires: Option<i64> = row.try_get("expires_at").map_err(AccessError::from)?;
        if let Some(at) = from_unix_opt(expires)?
            && now >= at
        {
            return Err(KeyLookupError::Expired { at });
        }
        let application = application_from_row(&row, "a_")?;
        if application.status != AppStatus::Active {
            return Err(KeyLookupError::ApplicationSuspended);
        }
        let agency = agency_from_row(&row, "g_")?;
        if agency.status != AgencyStatus::Active {
            return Err(KeyLookupError::AgencyInactive(agency.status));
        }
        let key = self.verifying_key(access_key, &row)?;
        Ok(CallerRecord {
            access_key: access_key.to_owned(),
            application,
            agency,
            key,
        })
    }

    fn verifying_key(
        &self,
        access_key: &str,
        row: &SqliteRow,
    ) -> Result<VerifyingKey, AccessError> {
        let kind: String = row.try_get("kind")?;
        match KeyKind::parse(&kind)? {
            KeyKind::Hmac => {
                let sealed: Option<Vec<u8>> = row.try_get("sealed_secret")?;
                let sealed = sealed
                    .ok_or_else(|| AccessError::Corrupt("HMAC key without a secret".into()))?;
                Ok(VerifyingKey::Hmac(self.sealer.open(access_key, &sealed)?))
            }
            KeyKind::Rsa => {
                let pem: Option<String> = row.try_get("public_key_pem")?;
                let pem =
                    pem.ok_or_else(|| AccessError::Corrupt("RSA key without a public key".into()))?;
                VerifyingKey::rsa_from_pem(&pem)
                    .map_err(|e| AccessError::Corrupt(format!("stored RSA public key: {e}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_40_base64url_chars_and_differ() {
        let a = new_secret();
        assert_eq!(a.len(), 40);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "{a}"
        );
        assert_ne!(a, new_secret());
    }

    #[test]
    fn no_secret_begins_with_a_dash() {
        // Without the redraw about 1 in 64 would: ~60 of these 4000.
        for _ in 0..4000 {
            let secret = new_secret();
            assert!(!secret.starts_with('-'), "{secret}");
        }
    }

    #[test]
    fn access_key_shape() {
        let key = format!("{ACCESS_KEY_PREFIX}{}", random_base32_16());
        assert!(looks_like_access_key(&key), "{key}");
        for bad in [
            "",
            "LGSP",
            "lgspABCDEFGHIJKLMNOP",
            "LGSPABCDEFGHIJKLMNO1",
            "LGSPABCDEFGHIJKLMNOPQ",
        ] {
            assert!(!looks_like_access_key(bad), "{bad}");
        }
    }

    #[test]
    fn issued_key_debug_hides_the_secret() {
        let issued = IssuedKey {
            info: KeyInfo {
                access_key: "LGSPAAAAAAAAAAAAAAAA".into(),
                application: "app_x".into(),
                kind: KeyKind::Hmac,
                status: KeyStatus::Active,
                created_at: Utc::now(),
                expires_at: None,
                revoked_at: None,
                replaced_by: None,
            },
            secret_key: Some("very-secret-value".into()),
        };
        let shown = format!("{issued:?}");
        assert!(!shown.contains("very-secret-value"), "{shown}");
        assert!(shown.contains("LGSPAAAAAAAAAAAAAAAA"), "{shown}");
    }
}
