//! Database plumbing shared by the registry modules: migrations, transactions,
//! time and date columns, random identifiers.

use crate::error::AccessError;
use chrono::{DateTime, NaiveDate, Utc};
use rand_core::{OsRng, RngCore};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{Sqlite, SqlitePool, Transaction};

/// The registry's migrations. Versions start at 1001 because the host's catalog
/// migrations (1, 2, ...) share the same `_sqlx_migrations` table; each side
/// ignores the other's versions.
pub(crate) fn migrator() -> Migrator {
    let step = |version: i64, description: &'static str, sql: &'static str| {
        Migration::new(
            version,
            description.into(),
            MigrationType::Simple,
            sqlx::SqlSafeStr::into_sql_str(sql),
            false,
        )
    };
    let mut migrator = Migrator::with_migrations(vec![
        step(
            1001,
            "access agencies",
            include_str!("migrations/1001_agencies.sql"),
        ),
        step(
            1002,
            "access applications and keys",
            include_str!("migrations/1002_applications.sql"),
        ),
        step(
            1003,
            "access services and grants",
            include_str!("migrations/1003_grants.sql"),
        ),
        step(
            1004,
            "access admins",
            include_str!("migrations/1004_admins.sql"),
        ),
    ]);
    migrator.set_ignore_missing(true);
    migrator
}

/// Starts a write transaction that takes the write lock at once.
///
/// A deferred transaction that reads, then writes, fails with SQLITE_BUSY when
/// another connection wrote in between (WAL cannot upgrade a stale snapshot);
/// taking the lock first makes concurrent writers wait their turn instead.
pub(crate) async fn begin_write(
    pool: &SqlitePool,
) -> Result<Transaction<'static, Sqlite>, AccessError> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// The current time, to the second (what the database keeps).
pub(crate) fn now() -> DateTime<Utc> {
    from_unix(Utc::now().timestamp()).unwrap_or_else(|_| Utc::now())
}

/// A stored unix time as a UTC time.
pub(crate) fn from_unix(secs: i64) -> Result<DateTime<Utc>, AccessError> {
    DateTime::from_timestamp(secs, 0)
        .ok_or_else(|| AccessError::Corrupt(format!("stored time {secs} is out of range")))
}

/// An optional stored unix time.
pub(crate) fn from_unix_opt(secs: Option<i64>) -> Result<Option<DateTime<Utc>>, AccessError> {
    secs.map(from_unix).transpose()
}

/// A date as stored: ISO `YYYY-MM-DD`, so text order is date order.
pub(crate) fn day_text(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// A stored ISO date.
pub(crate) fn parse_day(text: &str) -> Result<NaiveDate, AccessError> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| AccessError::Corrupt(format!("stored date {text:?} is not YYYY-MM-DD")))
}

/// RFC 4648 base32 alphabet (upper case).
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// 16 base32 characters (80 bits) from the OS random source, upper case.
pub(crate) fn random_base32_16() -> String {
    let mut bytes = [0u8; 10];
    OsRng.fill_bytes(&mut bytes);
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    (0..16)
        .rev()
        .map(|i| char::from(BASE32[((bits >> (i * 5)) & 0x1f) as usize]))
        .collect()
}

/// Whether `s` is a lower-case snake_case SQL name as connectors declare them
/// (the same rule the host applies to schema, table and column names).
pub(crate) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.as_bytes()[0].is_ascii_lowercase()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Checks a name shown to people (agency, application): trimmed, 1 to 300 characters.
pub(crate) fn check_name(what: &str, name: &str) -> Result<String, AccessError> {
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(AccessError::InvalidName(format!(
            "the {what} name is empty"
        )));
    }
    let chars = trimmed.chars().count();
    if chars > 300 {
        return Err(AccessError::InvalidName(format!(
            "the {what} name has {chars} characters; at most 300 are allowed"
        )));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(AccessError::InvalidName(format!(
            "the {what} name contains control characters (line breaks, tabs); remove them"
        )));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_ids_have_16_alphabet_chars_and_differ() {
        let a = random_base32_16();
        let b = random_base32_16();
        assert_eq!(a.len(), 16);
        assert!(a.bytes().all(|c| BASE32.contains(&c)), "{a}");
        assert_ne!(a, b);
    }

    #[test]
    fn identifiers_follow_the_host_rule() {
        assert!(is_identifier("dan_cu"));
        assert!(is_identifier("cong_dan2"));
        for bad in ["", "Dan_cu", "1abc", "dan-cu", "dân", &"a".repeat(64)] {
            assert!(!is_identifier(bad), "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            check_name("agency", "  Sở Y tế  ").ok().as_deref(),
            Some("Sở Y tế")
        );
        assert_eq!(
            check_name("agency", " ").map_err(|e| e.kind()).err(),
            Some("invalid_name")
        );
        assert!(check_name("agency", &"x".repeat(301)).is_err());
        assert!(check_name("agency", "a\nb").is_err());
    }
}
