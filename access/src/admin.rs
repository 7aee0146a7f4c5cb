//! Platform administrator accounts: the password policy, argon2id hashes and login checks.

use crate::AccessStore;
use crate::db::{self, begin_write, from_unix};
use crate::error::AccessError;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Utc};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use std::fmt;

/// Shortest password allowed, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Longest password allowed, in characters.
pub const MAX_PASSWORD_CHARS: usize = 128;

/// argon2id memory cost in KiB, iterations and lanes (the OWASP minimum).
const ARGON2_M_KIB: u32 = 19_456;
const ARGON2_T: u32 = 2;
const ARGON2_P: u32 = 1;

/// A hash with the same parameters as real ones, of a password nobody knows:
/// checking a password for an unknown user against it costs what checking a
/// real user's costs, so response times do not reveal which usernames exist.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
                          r8o2vVYKvD8H3WYEwaZp5cfLXzSAJuu8Xp3Kg0DA9Ns";

/// One rule of the password policy (Hà Nội 2025, §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordRule {
    /// At least 8 characters.
    MinLength,
    /// At most 128 characters.
    MaxLength,
    /// An upper-case letter.
    Uppercase,
    /// A lower-case letter.
    Lowercase,
    /// A digit.
    Digit,
    /// A character that is neither a letter nor a digit.
    Special,
}

impl fmt::Display for PasswordRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MinLength => write!(f, "at least {MIN_PASSWORD_CHARS} characters"),
            Self::MaxLength => write!(f, "at most {MAX_PASSWORD_CHARS} characters"),
            Self::Uppercase => f.write_str("an upper-case letter"),
            Self::Lowercase => f.write_str("a lower-case letter"),
            Self::Digit => f.write_str("a digit"),
            Self::Special => f.write_str("a special character (neither letter nor digit)"),
        }
    }
}

/// A password breaks the policy; lists every rule it does not meet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PasswordPolicyError {
    /// The rules not met, in policy order.
    pub unmet: Vec<PasswordRule>,
}

impl fmt::Display for PasswordPolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the password needs ")?;
        for (i, rule) in self.unmet.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{rule}")?;
        }
        Ok(())
    }
}

/// Checks a password against the policy: 8 to 128 characters with an upper-case
/// letter, a lower-case letter, a digit and a special character. Letters and
/// digits of any script count (`Đ` is upper case).
///
/// # Errors
/// A [`PasswordPolicyError`] listing every unmet rule.
///
/// # Examples
/// ```
/// use lgsp_access::{PasswordRule, check_password};
/// assert!(check_password("Hà-Nội-2025").is_ok());
/// let unmet = check_password("hanoi").err().map(|e| e.unmet);
/// assert_eq!(unmet, Some(vec![PasswordRule::MinLength, PasswordRule::Uppercase,
///                             PasswordRule::Digit, PasswordRule::Special]));
/// ```
pub fn check_password(password: &str) -> Result<(), PasswordPolicyError> {
    let chars = password.chars().count();
    let has = |p: fn(&char) -> bool| password.chars().any(|c| p(&c));
    let checks = [
        (PasswordRule::MinLength, chars >= MIN_PASSWORD_CHARS),
        (PasswordRule::MaxLength, chars <= MAX_PASSWORD_CHARS),
        (PasswordRule::Uppercase, has(|c| c.is_uppercase())),
        (PasswordRule::Lowercase, has(|c| c.is_lowercase())),
        (PasswordRule::Digit, has(|c| c.is_numeric())),
        (PasswordRule::Special, has(|c| !c.is_alphanumeric())),
    ];
    let unmet: Vec<PasswordRule> = checks
        .into_iter()
        .filter(|(_, ok)| !ok)
        .map(|(rule, _)| rule)
        .collect();
    if unmet.is_empty() {
        Ok(())
    } else {
        Err(PasswordPolicyError { unmet })
    }
}

/// An administrator account (never with its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Admin {
    /// `[a-z0-9._-]{3,64}`.
    pub username: String,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
    /// When the password was last set.
    pub password_changed_at: DateTime<Utc>,
}

/// Why a login was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminAuthError {
    /// Unknown username or wrong password (deliberately not told apart).
    #[error("wrong username or password")]
    InvalidCredentials,
    /// The password is right but the account is disabled.
    #[error("this admin account is disabled; ask another administrator to enable it")]
    Disabled,
    /// The registry failed.
    #[error(transparent)]
    Store(#[from] AccessError),
}

impl AdminAuthError {
    /// A stable machine code for this error.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::InvalidCredentials => "invalid_credentials",
            Self::Disabled => "admin_disabled",
            Self::Store(e) => e.kind(),
        }
    }
}

fn check_username(username: &str) -> Result<(), AccessError> {
    let ok = (3..=64).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(AccessError::InvalidUsername(
            username.chars().take(80).collect(),
        ))
    }
}

fn argon2() -> Result<Argon2<'static>, AccessError> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None)
        .map_err(|e| AccessError::Crypto(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes off the async threads: one hash takes tens of milliseconds and 19 MiB.
async fn hash_password(password: String) -> Result<String, AccessError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AccessError::Crypto(format!("argon2 hashing: {e}")))
    })
    .await
    .map_err(|e| AccessError::Crypto(format!("password hashing task failed: {e}")))?
}

/// Whether `password` matches the PHC string `hash`.
async fn password_matches(hash: String, password: String) -> Result<bool, AccessError> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| AccessError::Corrupt(format!("stored password hash: {e}")))?;
        Ok(argon2()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| AccessError::Crypto(format!("password check task failed: {e}")))?
}

fn admin_from_row(row: &SqliteRow) -> Result<Admin, AccessError> {
    Ok(Admin {
        username: row.try_get("username")?,
        disabled: row.try_get("disabled")?,
        created_at: from_unix(row.try_get("created_at")?)?,
        password_changed_at: from_unix(row.try_get("password_changed_at")?)?,
    })
}

impl AccessStore {
    /// Creates an administrator.
    ///
    /// # Errors
    /// `InvalidUsername`, `WeakPassword` (listing every unmet rule), `AdminExists`.
    pub async fn create_admin(&self, username: &str, password: &str) -> Result<Admin, AccessError> {
        check_username(username)?;
        check_password(password)?;
        let hash = hash_password(password.to_owned()).await?;
        let now = db::now();
        let mut tx = begin_write(&self.pool).await?;
        let inserted = sqlx::query(
            "INSERT INTO admin_account (username, password_hash, disabled, created_at, \
             password_changed_at) VALUES ($1, $2, 0, $3, $3) ON CONFLICT (username) DO NOTHING",
        )
        .bind(username)
        .bind(hash)
        .bind(now.timestamp())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(AccessError::AdminExists(username.to_owned()));
        }
        tx.commit().await?;
        Ok(Admin {
            username: username.to_owned(),
            disabled: false,
            created_at: now,
            password_changed_at: now,
        })
    }

    /// How many administrator accounts exist (disabled ones included), e.g. to
    /// offer creating the first one.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn admin_count(&self) -> Result<u64, AccessError> {
        let n: i64 = sqlx::query("SELECT count(*) AS n FROM admin_account")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        Ok(u64::try_from(n).unwrap_or_default())
    }

    /// Checks a login. An unknown username costs the same hash work as a wrong
    /// password, and both give the same error.
    ///
    /// # Errors
    /// `InvalidCredentials`, `Disabled` (only once the password is right), `Store`.
    pub async fn verify_admin(
        &self,
        username: &str,
        password: &str,
    ) -> Result<Admin, AdminAuthError> {
        let row = sqlx::query(
            "SELECT username, password_hash, disabled, created_at, password_changed_at \
             FROM admin_account WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(AccessError::from)?;
        let Some(row) = row else {
            password_matches(DUMMY_HASH.to_owned(), password.to_owned()).await?;
            return Err(AdminAuthError::InvalidCredentials);
        };
        let hash: String = row.try_get("password_hash").map_err(AccessError::from)?;
        if !password_matches(hash, password.to_owned()).await? {
            return Err(AdminAuthError::InvalidCredentials);
        }
        let admin = admin_from_row(&row)?;
        if admin.disabled {
            return Err(AdminAuthError::Disabled);
        }
        Ok(admin)
    }

    /// Sets a new password for an administrator.
    ///
    /// # Errors
    /// `WeakPassword`, `UnknownAdmin`.
    pub async fn set_admin_password(&self, username: &str, new: &str) -> Result<(), AccessError> {
        check_password(new)?;
        let hash = hash_password(new.to_owned()).await?;
        let mut tx = begin_write(&self.pool).await?;
        let updated = sqlx::query(
            "UPDATE admin_account SET password_hash = $1, password_changed_at = $2 \
             WHERE username = $3",
        )
        .bind(hash)
        .bind(db::now().timestamp())
        .bind(username)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(AccessError::UnknownAdmin(username.to_owned()));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Disables or re-enables an administrator. Sessions already issued are the
    /// host's to end; a disabled admin cannot log in again.
    ///
    /// # Errors
    /// `UnknownAdmin`.
    pub async fn set_admin_disabled(
        &self,
        username: &str,
        disabled: bool,
    ) -> Result<Admin, AccessError> {
        let mut tx = begin_write(&self.pool).await?;
        let row = sqlx::query(
            "UPDATE admin_account SET disabled = $1 WHERE username = $2 \
             RETURNING username, disabled, created_at, password_changed_at",
        )
        .bind(disabled)
        .bind(username)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AccessError::UnknownAdmin(username.to_owned()))?;
        let admin = admin_from_row(&row)?;
        tx.commit().await?;
        Ok(admin)
    }

    /// The administrator with this username.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn admin(&self, username: &str) -> Result<Option<Admin>, AccessError> {
        let row = sqlx::query(
            "SELECT username, disabled, created_at, password_changed_at FROM admin_account \
             WHERE username = $1",
        )
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(admin_from_row).transpose()
    }

    /// Every administrator, by username.
    ///
    /// # Errors
    /// Database failures only.
    pub async fn admins(&self) -> Result<Vec<Admin>, AccessError> {
        let rows = sqlx::query(
            "SELECT username, disabled, created_at, password_changed_at FROM admin_account \
             ORDER BY username",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(admin_from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unmet(password: &str) -> Vec<PasswordRule> {
        check_password(password)
            .err()
            .map(|e| e.unmet)
            .unwrap_or_default()
    }

    #[test]
    fn a_password_meeting_every_rule_passes() {
        assert_eq!(unmet("Abcdef1!"), vec![]);
        assert_eq!(unmet("Đà-Nẵng-2026"), vec![], "Vietnamese letters count");
        assert_eq!(unmet(&format!("Aa1!{}", "x".repeat(124))), vec![]);
    }

    #[test]
    fn each_rule_alone() {
        assert_eq!(unmet("Abcde1!"), vec![PasswordRule::MinLength]);
        assert_eq!(
            unmet(&format!("Aa1!{}", "x".repeat(125))),
            vec![PasswordRule::MaxLength]
        );
        assert_eq!(unmet("abcdef1!"), vec![PasswordRule::Uppercase]);
        assert_eq!(unmet("ABCDEF1!"), vec![PasswordRule::Lowercase]);
        assert_eq!(unmet("Abcdefg!"), vec![PasswordRule::Digit]);
        assert_eq!(unmet("Abcdefg1"), vec![PasswordRule::Special]);
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        // 8 characters (20 bytes), then 7 characters (17 bytes).
        assert_eq!(unmet("Ằằằằằằ1!"), vec![]);
        assert_eq!(unmet("Ằằằằằ1!"), vec![PasswordRule::MinLength]);
    }

    #[test]
    fn the_message_lists_every_unmet_rule() {
        let e = check_password("")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        for part in [
            "at least 8 characters",
            "upper-case",
            "lower-case",
            "a digit",
            "special",
        ] {
            assert!(e.contains(part), "{e} lacks {part}");
        }
        assert!(!e.contains("at most"), "{e}");
    }

    #[test]
    fn usernames() {
        assert!(check_username("admin").is_ok());
        assert!(check_username("nguyen.van-a_2").is_ok());
        for bad in ["ab", "Admin", "ad min", "quản_trị", &"a".repeat(65)] {
            assert_eq!(
                check_username(bad).err().map(|e| e.kind()),
                Some("invalid_username"),
                "{bad}"
            );
        }
    }

    #[test]
    fn the_dummy_hash_has_the_real_parameters() {
        let parsed = PasswordHash::new(DUMMY_HASH).expect("dummy hash parses");
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        let params = Params::try_from(&parsed).expect("argon2 parameters");
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (ARGON2_M_KIB, ARGON2_T, ARGON2_P)
        );
    }
}
