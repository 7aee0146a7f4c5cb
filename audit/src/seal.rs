//! Signed checkpoints. A hash chain alone shows that entries fit together,
//! but whoever can write the database can rebuild the chain after changing it;
//! a checkpoint signed with the platform key fixes the hash at a point, so a
//! rewrite before it shows. The same key signs webhook bodies.

use crate::entry::unix_us;
use crate::error::AuditError;
use crate::store;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sqlx::{Row, SqlitePool};

/// The platform's signing key (Ed25519). Derived from the master key by the
/// host, so every node signs with the same key and no other file needs
/// backing up.
#[derive(Clone)]
pub struct PlatformKey(SigningKey);

impl std::fmt::Debug for PlatformKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PlatformKey")
            .field(&self.public_key().to_base64())
            .finish()
    }
}

impl PlatformKey {
    /// The key whose secret seed is `seed`.
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// The public half, which anyone may hold.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message`; the signature as base64.
    pub fn sign(&self, message: &[u8]) -> String {
        B64.encode(self.0.sign(message).to_bytes())
    }
}

/// The platform's public key: verifies checkpoints and webhook bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// As base64 (32 bytes), the form `lgsp audit public-key` prints.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0.as_bytes())
    }

    /// Parses the base64 form.
    ///
    /// # Errors
    /// When it is not a base64 Ed25519 public key.
    pub fn from_base64(text: &str) -> Result<Self, AuditError> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|e| AuditError::Key(format!("the public key is not base64: {e}")))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| {
            AuditError::Key("an Ed25519 public key is 32 bytes (44 base64 characters)".into())
        })?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|e| AuditError::Key(format!("not an Ed25519 public key: {e}")))
    }

    /// Whether `signature` (base64) is this key's signature of `message`.
    pub fn verifies(&self, message: &[u8], signature: &str) -> bool {
        let Ok(bytes) = B64.decode(signature.trim()) else {
            return false;
        };
        let Ok(signature) = Signature::from_slice(&bytes) else {
            return false;
        };
        self.0.verify(message, &signature).is_ok()
    }
}

/// A signed statement that the chain's entry `seq` had hash `hash` at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The entry sealed.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
    /// When it was sealed.
    pub at: DateTime<Utc>,
    /// The key that signed (base64), so a key change is visible.
    pub public_key: String,
    /// Ed25519 signature (base64) of [`Checkpoint::message`].
    pub signature: String,
}

impl Checkpoint {
    /// What is signed: `lgsp-audit-checkpoint-v1\n<seq>\n<hash>\n<at µs>`.
    pub fn message(seq: u64, hash: &str, at_us: i64) -> Vec<u8> {
        format!("lgsp-audit-checkpoint-v1\n{seq}\n{hash}\n{at_us}").into_bytes()
    }

    /// Whether the signature is `key`'s over this checkpoint.
    pub fn verifies(&self, key: &PublicKey) -> bool {
        key.to_base64() == self.public_key
            && key.verifies(
                &Self::message(self.seq, &self.hash, unix_us(self.at)),
                &self.signature,
            )
    }
}

/// Seals the head of the chain with a signed checkpoint, unless it is sealed
/// already. Returns the new checkpoint.
///
/// # Errors
/// When the database cannot be read or written.
pub async fn seal(
    pool: &SqlitePool,
    key: &PlatformKey,
    now: DateTime<Utc>,
) -> Result<Option<Checkpoint>, AuditError> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let head: Option<(i64, String)> =
        sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
    let Some((seq, hash)) = head else {
        return Ok(None);
    };
    let sealed: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM audit_checkpoints")
        .fetch_one(&mut *tx)
        .await?;
    if sealed.is_some_and(|s| s >= seq) {
        return Ok(None);
    }
    // Microsecond precision is what the table keeps and what is signed.
    let at_us = unix_us(now);
    let at = DateTime::from_timestamp_micros(at_us).unwrap_or(now);
    let public_key = key.public_key().to_base64();
    let signature = key.sign(&Checkpoint::message(store::to_u64(seq), &hash, at_us));
    sqlx::query(
        "INSERT INTO audit_checkpoints (seq, hash, at_us, public_key, signature) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(seq)
    .bind(&hash)
    .bind(at_us)
    .bind(&public_key)
    .bind(&signature)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(Checkpoint {
        seq: store::to_u64(seq),
        hash,
        at,
        public_key,
        signature,
    }))
}

/// Every checkpoint, oldest first.
///
/// # Errors
/// When the database cannot be read.
pub async fn checkpoints<'c, E>(db: E) -> Result<Vec<Checkpoint>, AuditError>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let rows = sqlx::query(
        "SELECT seq, hash, at_us, public_key, signature FROM audit_checkpoints ORDER BY seq",
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let at_us: i64 = row.try_get("at_us")?;
            Ok(Checkpoint {
                seq: store::to_u64(row.try_get("seq")?),
                hash: row.try_get("hash")?,
                at: DateTime::from_timestamp_micros(at_us).ok_or_else(|| {
                    AuditError::Corrupt(format!("checkpoint time {at_us} is out of range"))
                })?,
                public_key: row.try_get("public_key")?,
                signature: row.try_get("signature")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_its_message_and_key() {
        let key = PlatformKey::from_seed(&[7; 32]);
        let other = PlatformKey::from_seed(&[8; 32]);
        let sig = key.sign(b"hello");
        assert!(key.public_key().verifies(b"hello", &sig));
        assert!(!key.public_key().verifies(b"hellO", &sig));
        assert!(!other.public_key().verifies(b"hello", &sig));
        assert!(!key.public_key().verifies(b"hello", "not base64!"));
        let text = key.public_key().to_base64();
        assert_eq!(
            PublicKey::from_base64(&text).expect("parses"),
            key.public_key()
        );
        assert!(PublicKey::from_base64("AAAA").is_err());
    }
}
