//! What can go wrong in the registry, each case with what the caller can do about it.

use crate::admin::PasswordPolicyError;
use crate::agency::AgencyStatus;
use crate::code::{AgencyCode, AgencyCodeError};
use crate::grants::GrantStatus;

/// A registry operation failed.
///
/// Variants are grouped by cause: the input is malformed, the thing named does not
/// exist, the operation conflicts with the current state, the caller may not do
/// it, or the platform itself failed. [`AccessError::kind`] gives each a stable
/// machine code for API responses.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    // --- malformed input ---
    /// An agency code does not follow QĐ 20/2020.
    #[error(transparent)]
    InvalidAgencyCode(#[from] AgencyCodeError),
    /// A name (agency, application) is empty or too long.
    #[error("{0}")]
    InvalidName(String),
    /// A merge, split or status change that makes no sense as asked.
    #[error("{0}")]
    InvalidAgencyChange(String),
    /// A rate-limit tier is out of range.
    #[error("{0}")]
    InvalidTier(String),
    /// A public key is not a usable RSA SPKI PEM.
    #[error(
        "the public key cannot be used: {0}; register an RSA public key (2048 bits or more) as SPKI PEM (-----BEGIN PUBLIC KEY-----)"
    )]
    InvalidPublicKey(String),
    /// An expiry time or grace period is out of range.
    #[error("{0}")]
    InvalidExpiry(String),
    /// A schema, table or column name is not lower-case snake_case.
    #[error("{0}")]
    InvalidIdentifier(String),
    /// A grant request or decision is malformed (purpose, period, columns, reason).
    #[error("{0}")]
    InvalidGrant(String),
    /// An admin username is malformed.
    #[error(
        "admin username {0:?} is not allowed: use 3 to 64 characters among a-z, 0-9, '.', '_' and '-'"
    )]
    InvalidUsername(String),
    /// A new admin password does not meet the policy.
    #[error(transparent)]
    WeakPassword(#[from] PasswordPolicyError),
    /// The master key text is not 32 bytes of base64.
    #[error("{0}")]
    InvalidMasterKey(String),

    // --- not found ---
    /// No agency with this code.
    #[error("there is no agency {0}; check the code or register the agency first")]
    UnknownAgency(AgencyCode),
    /// The parent named for a new agency does not exist.
    #[error("the parent agency {0} does not exist; create it first")]
    UnknownParent(AgencyCode),
    /// No application with this id.
    #[error("there is no application {0:?}")]
    UnknownApplication(String),
    /// No key with this access key.
    #[error("there is no key with access key {0:?}")]
    UnknownKey(String),
    /// No agency provides this schema.
    #[error("no agency provides the schema {0:?}; an admin must register its provider first")]
    UnknownService(String),
    /// No grant with this id.
    #[error("there is no grant {0:?}")]
    UnknownGrant(String),
    /// No admin with this username.
    #[error("there is no admin {0:?}")]
    UnknownAdmin(String),

    // --- conflicts with the current state ---
    /// The agency code is taken by a current agency.
    #[error("agency code {0} is already in use; pick another code or rename the existing agency")]
    CodeInUse(AgencyCode),
    /// The agency code belonged to an agency that was merged or split: codes are never reused.
    #[error(
        "agency code {0} belonged to a dissolved agency and is never reused; ask for a new code"
    )]
    CodeRetired(AgencyCode),
    /// The agency was dissolved (merged or split) and can no longer change.
    #[error("agency {0} was dissolved; its history is kept but it can no longer change")]
    AgencyDissolved(AgencyCode),
    /// The agency is not active, so it cannot get new applications or grants.
    #[error("agency {code} is {status}; reactivate it first")]
    AgencyNotActive {
        /// The agency.
        code: AgencyCode,
        /// Its status.
        status: AgencyStatus,
    },
    /// The application is suspended.
    #[error("application {0:?} is suspended; reactivate it first")]
    ApplicationSuspended(String),
    /// The key was revoked and cannot be rotated.
    #[error("key {0:?} was revoked; create a new key instead")]
    KeyRevoked(String),
    /// The key was already rotated.
    #[error("key {key:?} was already replaced by {by:?}; rotate {by:?} instead")]
    KeyReplaced {
        /// The key asked for.
        key: String,
        /// Its replacement.
        by: String,
    },
    /// The grant is not in a state that allows this action.
    #[error("grant {id:?} is {status}; only {allowed} grants can be {action}")]
    GrantState {
        /// The grant.
        id: String,
        /// Its status.
        status: GrantStatus,
        /// What was attempted ("approved", "revoked"...).
        action: &'static str,
        /// The states that allow it.
        allowed: &'static str,
    },
    /// An admin with this username exists.
    #[error("admin {0:?} already exists")]
    AdminExists(String),

    // --- not allowed ---
    /// The actor may not do this.
    #[error("{0}")]
    NotAllowed(String),

    // --- the platform failed ---
    /// A stored secret cannot be opened with this master key.
    #[error(
        "a stored key secret cannot be decrypted: the platform runs with a different master key than the one that sealed it"
    )]
    SecretUnreadable,
    /// Hashing or randomness failed.
    #[error("cryptographic failure: {0}")]
    Crypto(String),
    /// The database cannot be migrated.
    #[error("registry database: {0}")]
    Open(String),
    /// The database holds something this version cannot read.
    #[error("registry database holds unreadable data: {0}")]
    Corrupt(String),
    /// The database failed.
    #[error("registry database error: {0}")]
    Database(#[from] sqlx::Error),
}

impl AccessError {
    /// A stable machine code for this error, for API responses and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidAgencyCode(_) => "invalid_agency_code",
            Self::InvalidName(_) => "invalid_name",
            Self::InvalidAgencyChange(_) => "invalid_agency_change",
            Self::InvalidTier(_) => "invalid_tier",
            Self::InvalidPublicKey(_) => "invalid_public_key",
            Self::InvalidExpiry(_) => "invalid_expiry",
            Self::InvalidIdentifier(_) => "invalid_identifier",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::InvalidUsername(_) => "invalid_username",
            Self::WeakPassword(_) => "weak_password",
            Self::InvalidMasterKey(_) => "invalid_master_key",
            Self::UnknownAgency(_) => "unknown_agency",
            Self::UnknownParent(_) => "unknown_parent",
            Self::UnknownApplication(_) => "unknown_application",
            Self::UnknownKey(_) => "unknown_key",
            Self::UnknownService(_) => "unknown_service",
            Self::UnknownGrant(_) => "unknown_grant",
            Self::UnknownAdmin(_) => "unknown_admin",
            Self::CodeInUse(_) => "code_in_use",
            Self::CodeRetired(_) => "code_retired",
            Self::AgencyDissolved(_) => "agency_dissolved",
            Self::AgencyNotActive { .. } => "agency_not_active",
            Self::ApplicationSuspended(_) => "application_suspended",
            Self::KeyRevoked(_) => "key_revoked",
            Self::KeyReplaced { .. } => "key_replaced",
            Self::GrantState { .. } => "grant_state",
            Self::AdminExists(_) => "admin_exists",
            Self::NotAllowed(_) => "not_allowed",
            Self::SecretUnreadable => "secret_unreadable",
            Self::Crypto(_) => "crypto",
            Self::Open(_) => "database",
            Self::Corrupt(_) => "corrupt",
            Self::Database(_) => "database",
        }
    }

    /// Whether the platform, not the caller, is at fault (an HTTP 5xx).
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            Self::SecretUnreadable
                | Self::Crypto(_)
                | Self::Open(_)
                | Self::Corrupt(_)
                | Self::Database(_)
        )
    }
}
