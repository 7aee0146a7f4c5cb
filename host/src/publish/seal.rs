//! Configuration values sealed under a key derived from the master key
//! (AES-256-GCM), bound to their connector and key so a sealed value copied
//! to another row does not open.

use super::PublishError;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand_core::{OsRng, RngCore};

const NONCE_LEN: usize = 12;

/// Seals and opens configuration values.
#[derive(Clone)]
pub(crate) struct ConfigSealer(Aes256Gcm);

impl std::fmt::Debug for ConfigSealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConfigSealer(…)")
    }
}

fn aad(name: &str, key: &str) -> Vec<u8> {
    format!("{name}/{key}").into_bytes()
}

impl ConfigSealer {
    pub(crate) fn new(key: [u8; 32]) -> Self {
        Self(Aes256Gcm::new(&key.into()))
    }

    pub(crate) fn seal(&self, name: &str, key: &str, value: &str) -> Result<Vec<u8>, PublishError> {
        let mut nonce = [0u8; NONCE_LEN];
        OsRng.fill_bytes(&mut nonce);
        let aad = aad(name, key);
        let ciphertext = self
            .0
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: value.as_bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| PublishError::Corrupt("AES-GCM encryption failed".into()))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(sealed)
    }

    pub(crate) fn open(
        &self,
        name: &str,
        key: &str,
        sealed: &[u8],
    ) -> Result<String, PublishError> {
        let unreadable = || {
            PublishError::Corrupt(format!(
                "configuration value {key} of {name} cannot be opened with this master key"
            ))
        };
        if sealed.len() < NONCE_LEN {
            return Err(unreadable());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let aad = aad(name, key);
        let plain = self
            .0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| unreadable())?;
        String::from_utf8(plain).map_err(|_| unreadable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_only_for_its_connector_and_key() {
        let s = ConfigSealer::new([7; 32]);
        let sealed = s.seal("dan_cu", "api_key", "bí mật").unwrap_or_default();
        assert!(!sealed.windows(3).any(|w| w == b"b\xc3\xad"));
        assert_eq!(
            s.open("dan_cu", "api_key", &sealed).ok().as_deref(),
            Some("bí mật")
        );
        assert!(s.open("dan_cu", "other", &sealed).is_err());
        assert!(s.open("bhxh", "api_key", &sealed).is_err());
        assert!(
            ConfigSealer::new([8; 32])
                .open("dan_cu", "api_key", &sealed)
                .is_err()
        );
    }
}
