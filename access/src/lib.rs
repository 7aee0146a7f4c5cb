//! LGSP registry: who may call the platform and what they may see. Agencies
//! (QĐ 20/2020 codes and their history), their applications, access keys
//! (HMAC secrets sealed at rest, RSA public keys), the services each agency
//! provides, grants between agencies, and administrator accounts.
//!
//! Everything lives in the platform's SQLite database, next to the shared
//! catalogs; [`AccessStore::open`] brings its tables up to date.
//!
//! # Examples
//!
//! ```
//! use lgsp_access::{AccessStore, KeyMaterial, MasterKey, NewAgency, NewApplication, Tier};
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = sqlx::sqlite::SqlitePoolOptions::new()
//!     .max_connections(1)
//!     .connect("sqlite::memory:")
//!     .await?;
//! let store = AccessStore::open(pool, MasterKey::generate()).await?;
//! let agency = store
//!     .create_agency(NewAgency { code: "000.00.00.H49".parse()?, name: "UBND tỉnh Quảng Ninh".into(), parent: None })
//!     .await?;
//! let app = store
//!     .create_application(NewApplication { agency: agency.code, name: "Một cửa".into(), legacy_sha1: false, tier: Tier::STANDARD })
//!     .await?;
//! let issued = store.create_key(&app.id, KeyMaterial::Hmac, None).await?;
//! let caller = store.caller_by_key(&issued.info.access_key, chrono::Utc::now()).await?;
//! assert_eq!(caller.application.id, app.id);
//! # Ok(())
//! # }
//! ```

mod admin;
mod agency;
mod application;
mod code;
mod db;
mod error;
mod grant_checks;
mod grants;
mod keys;
mod master;
mod services;

pub use admin::{
    Admin, AdminAuthError, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordPolicyError,
    PasswordRule, check_password,
};
pub use agency::{Agency, AgencyChange, AgencyEvent, AgencyStatus, NewAgency};
pub use application::{AppStatus, Application, ApplicationUpdate, NewApplication, Tier};
pub use code::{AgencyCode, AgencyCodeError};
pub use error::AccessError;
pub use grant_checks::purpose_matches;
pub use grants::{Actor, Decision, Grant, GrantFilter, GrantRequest, GrantStatus};
pub use keys::{CallerRecord, IssuedKey, KeyInfo, KeyKind, KeyLookupError, KeyMaterial, KeyStatus};
pub use master::{MasterKey, Sealer};
pub use services::Service;

use sqlx::SqlitePool;

/// The registry, over the platform database. Cheap to clone (a pool handle
/// and a cipher); every write is one transaction, so concurrent callers are safe.
#[derive(Debug, Clone)]
pub struct AccessStore {
    pool: SqlitePool,
    sealer: Sealer,
}

impl AccessStore {
    /// Opens the registry on the platform database and applies its migrations
    /// (versions 1001 and up; other components' migrations in the same
    /// database are left alone).
    ///
    /// The pool should have foreign keys on (sqlx's SQLite default) and, for a
    /// file database, WAL journaling so lookups go on while a write is under way.
    ///
    /// # Errors
    /// [`AccessError::Open`] when the migrations cannot be applied (e.g. a
    /// migration already applied was changed).
    pub async fn open(pool: SqlitePool, master: MasterKey) -> Result<Self, AccessError> {
        db::migrator()
            .run(&pool)
            .await
            .map_err(|e| AccessError::Open(format!("cannot apply the registry migrations: {e}")))?;
        Ok(Self {
            pool,
            sealer: Sealer::new(&master),
        })
    }

    /// The platform database (other components keep their tables in it).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}
