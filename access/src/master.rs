//! The platform master key and the sealing of key secrets at rest (AES-256-GCM).

use crate::error::AccessError;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore};
use sha2::Sha256;

/// The purpose string whose derived key seals key secrets.
const KEY_ENCRYPTION_PURPOSE: &str = "lgsp key encryption v1";
/// AES-GCM nonce length (96 bits).
const NONCE_LEN: usize = 12;

/// The platform's 32-byte master key, from which purpose-specific keys are derived.
///
/// It never appears in `Debug` output. Keep it outside the database (environment,
/// secret store): whoever holds the database and the master key can read every
/// HMAC secret.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(…)")
    }
}

impl MasterKey {
    /// Reads a master key written by [`MasterKey::to_base64`] (standard or URL-safe
    /// base64, padding optional, surrounding whitespace ignored).
    ///
    /// # Errors
    /// [`AccessError::InvalidMasterKey`] when the text is not base64 of exactly 32 bytes.
    pub fn from_base64(s: &str) -> Result<Self, AccessError> {
        let text = s.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')))
            .map_err(|_| {
                AccessError::InvalidMasterKey(
                    "the master key is not valid base64; it must be 32 random bytes in base64, \
                     e.g. the output of `openssl rand -base64 32`"
                        .into(),
                )
            })?;
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
            AccessError::InvalidMasterKey(format!(
                "the master key decodes to {} bytes; it must be exactly 32",
                bytes.len()
            ))
        })?;
        Ok(Self(key))
    }

    /// The key as standard base64 with padding (44 characters).
    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// A new key from the OS random source.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        Self(key)
    }

    /// The key for one purpose: HMAC-SHA256(master, purpose).
    ///
    /// Distinct purposes give independent keys, so a key leaked from one use
    /// (say, token signing) does not open another (key secrets).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// Seals and opens key secrets with the key derived for that purpose.
///
/// Other parts of the platform seal their own secrets (connector
/// configuration) with [`Sealer::for_purpose`], each under its own derived key.
#[derive(Clone)]
pub struct Sealer(Aes256Gcm);

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

impl Sealer {
    pub(crate) fn new(master: &MasterKey) -> Self {
        Self::for_purpose(master, KEY_ENCRYPTION_PURPOSE)
    }

    /// A sealer under the key derived from `master` for `purpose`.
    pub fn for_purpose(master: &MasterKey, purpose: &str) -> Self {
        let key = master.derive(purpose);
        Self(Aes256Gcm::new(&key.into()))
    }

    /// `nonce ‖ ciphertext` of `secret`, bound to `context` (for a key secret, its
    /// access key) as associated data, so a sealed value copied to another row
    /// does not open.
    pub fn seal(&self, context: &str, secret: &[u8]) -> Result<Vec<u8>, AccessError> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let ciphertext = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| AccessError::Crypto("AES-GCM encryption failed".into()))?;
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    /// The secret sealed by [`Sealer::seal`] for `context`.
    pub fn open(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, AccessError> {
        if sealed.len() < NONCE_LEN {
            return Err(AccessError::SecretUnreadable);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| AccessError::SecretUnreadable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_and_debug_hides_the_key() {
        let key = MasterKey::generate();
        let text = key.to_base64();
        assert_eq!(text.len(), 44);
        let back = MasterKey::from_base64(&format!(" {text}\n")).map(|k| k.0);
        assert_eq!(back.ok(), Some(key.0));
        assert_eq!(format!("{key:?}"), "MasterKey(…)");
        let url = URL_SAFE_NO_PAD.encode(key.0);
        assert_eq!(MasterKey::from_base64(&url).map(|k| k.0).ok(), Some(key.0));
    }

    #[test]
    fn wrong_length_or_alphabet_is_refused_with_the_reason() {
        let short = STANDARD.encode([7u8; 16]);
        let err = MasterKey::from_base64(&short).err().map(|e| e.to_string());
        assert!(
            err.as_deref().is_some_and(|m| m.contains("16 bytes")),
            "{err:?}"
        );
        let err = MasterKey::from_base64("not base64 !!").err();
        assert_eq!(err.map(|e| e.kind()), Some("invalid_master_key"));
    }

    #[test]
    fn derive_is_hmac_sha256_and_separates_purposes() {
        let key = MasterKey([0x0b; 32]);
        let a = key.derive("lgsp key encryption v1");
        let b = key.derive("lgsp session tokens v1");
        assert_ne!(a, b);
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&[0x0b; 32]).ok();
        let expected = mac.as_mut().map(|m| {
            m.update(b"lgsp key encryption v1");
            m.clone().finalize().into_bytes().to_vec()
        });
        assert_eq!(Some(a.to_vec()), expected);
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_access_key() {
        let sealer = Sealer::new(&MasterKey::generate());
        let sealed = sealer.seal("LGSPAAAA", b"top secret").unwrap_or_default();
        assert_eq!(sealed.len(), NONCE_LEN + 10 + 16);
        assert_eq!(
            sealer.open("LGSPAAAA", &sealed).ok().as_deref(),
            Some(&b"top secret"[..])
        );
        assert!(
            sealer.open("LGSPBBBB", &sealed).is_err(),
            "AAD is the access key"
        );
        let other = Sealer::new(&MasterKey::generate());
        assert!(other.open("LGSPAAAA", &sealed).is_err());
        assert!(sealer.open("LGSPAAAA", &sealed[..5]).is_err());
    }
}
