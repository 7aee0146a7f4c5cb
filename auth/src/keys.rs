//! Signing and verifying keys, and the signature operations of the three algorithms.

use std::fmt;

use hmac::Mac;
use rand_core::OsRng;
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};

use crate::Algorithm;
use crate::mac::{hmac_sha1, hmac_sha256};

/// The smallest RSA modulus accepted, in bits.
const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bits (also the `rsa` crate's limit).
const MAX_RSA_BITS: usize = 4096;

/// What the server holds to check a caller's signature.
#[derive(Clone)]
pub enum VerifyingKey {
    /// The HMAC secret: the UTF-8 bytes of the secret key string.
    Hmac(Vec<u8>),
    /// The caller's registered RSA public key.
    Rsa(RsaPublicKey),
}

/// What a client holds to sign requests.
#[derive(Clone)]
pub enum SigningKey {
    /// The HMAC secret: the UTF-8 bytes of the secret key string.
    Hmac(Vec<u8>),
    /// The caller's RSA private key.
    Rsa(Box<RsaPrivateKey>),
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hmac(_) => f.write_str("VerifyingKey::Hmac(<secret>)"),
            Self::Rsa(k) => write!(f, "VerifyingKey::Rsa(<{}-bit public key>)", k.size() * 8),
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hmac(_) => f.write_str("SigningKey::Hmac(<secret>)"),
            Self::Rsa(k) => write!(f, "SigningKey::Rsa(<{}-bit private key>)", k.size() * 8),
        }
    }
}

/// Why a PEM key was refused. Messages name the PEM label at most, never key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// No `-----BEGIN ...-----` line.
    #[error("expected a PEM block starting with -----BEGIN {expected}-----")]
    NotPem {
        /// The PEM label wanted.
        expected: &'static str,
    },
    /// A PEM block of another kind.
    #[error(
        "expected a PEM block -----BEGIN {expected}----- but found -----BEGIN {found}-----{hint}"
    )]
    WrongPemType {
        /// The PEM label wanted.
        expected: &'static str,
        /// The PEM label found.
        found: String,
        /// How to convert, when known (starts with "; ").
        hint: &'static str,
    },
    /// The block has the right label but is not a valid RSA key.
    #[error("the {expected} PEM block is not a valid RSA key ({reason})")]
    Decode {
        /// The PEM label.
        expected: &'static str,
        /// What the decoder reported.
        reason: String,
    },
    /// The modulus is too small or too large.
    #[error("RSA keys must have 2048 to 4096 bits; this one has {bits}")]
    Size {
        /// The modulus size found.
        bits: usize,
    },
}

const PUBLIC_LABEL: &str = "PUBLIC KEY";
const PRIVATE_LABEL: &str = "PRIVATE KEY";

/// The label of the first PEM block in `pem`, if it looks like one.
fn pem_label(pem: &str) -> Option<&str> {
    let start = pem.find("-----BEGIN ")? + "-----BEGIN ".len();
    let rest = pem.get(start..)?;
    let label = rest.get(..rest.find("-----")?)?;
    let plausible = label.len() <= 40 && label.bytes().all(|b| b.is_ascii_uppercase() || b == b' ');
    plausible.then_some(label)
}

fn conversion_hint(expected: &str, found: &str) -> &'static str {
    match (expected, found) {
        (PUBLIC_LABEL, "RSA PUBLIC KEY") => {
            "; convert it with `openssl rsa -RSAPublicKey_in -in key.pem -pubout`"
        }
        (PUBLIC_LABEL, "PRIVATE KEY" | "RSA PRIVATE KEY" | "ENCRYPTED PRIVATE KEY") => {
            "; register only the public key: `openssl pkey -in private.pem -pubout` (keep the private key to yourself)"
        }
        (PRIVATE_LABEL, "RSA PRIVATE KEY") => {
            "; convert it with `openssl pkcs8 -topk8 -nocrypt -in key.pem`"
        }
        (PRIVATE_LABEL, "ENCRYPTED PRIVATE KEY") => {
            "; decrypt it first with `openssl pkey -in key.pem`"
        }
        (PRIVATE_LABEL, PUBLIC_LABEL) => "; signing needs the private key",
        _ => "",
    }
}

fn check_label(pem: &str, expected: &'static str) -> Result<(), KeyError> {
    match pem_label(pem) {
        None => Err(KeyError::NotPem { expected }),
        Some(found) if found == expected => Ok(()),
        Some(found) => Err(KeyError::WrongPemType {
            expected,
            found: found.to_owned(),
            hint: conversion_hint(expected, found),
        }),
    }
}

fn check_size(bits: usize) -> Result<(), KeyError> {
    if (MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(KeyError::Size { bits })
    }
}

impl VerifyingKey {
    /// The HMAC verifying key of a secret key string (its UTF-8 bytes).
    pub fn hmac(secret_key: &str) -> Self {
        Self::Hmac(secret_key.as_bytes().to_vec())
    }

    /// Reads an RSA public key from SPKI PEM (`-----BEGIN PUBLIC KEY-----`), 2048 to 4096 bits.
    ///
    /// # Errors
    ///
    /// [`KeyError`] naming the problem (and the `openssl` command that fixes a wrong format).
    pub fn rsa_from_pem(spki_pem: &str) -> Result<Self, KeyError> {
        check_label(spki_pem, PUBLIC_LABEL)?;
        let key =
            RsaPublicKey::from_public_key_pem(spki_pem.trim()).map_err(|e| KeyError::Decode {
                expected: PUBLIC_LABEL,
                reason: e.to_string(),
            })?;
        check_size(key.size() * 8)?;
        Ok(Self::Rsa(key))
    }

    /// A short name of the key's type for messages: `HMAC secret` or `RSA public key`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hmac(_) => "an HMAC secret",
            Self::Rsa(_) => "an RSA public key",
        }
    }
}

impl SigningKey {
    /// The HMAC signing key of a secret key string (its UTF-8 bytes).
    pub fn hmac(secret_key: &str) -> Self {
        Self::Hmac(secret_key.as_bytes().to_vec())
    }

    /// Reads an RSA private key from PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), 2048 to 4096 bits.
    ///
    /// # Errors
    ///
    /// [`KeyError`] naming the problem (and the `openssl` command that fixes a wrong format).
    pub fn rsa_from_pem(pkcs8_pem: &str) -> Result<Self, KeyError> {
        check_label(pkcs8_pem, PRIVATE_LABEL)?;
        let key =
            RsaPrivateKey::from_pkcs8_pem(pkcs8_pem.trim()).map_err(|e| KeyError::Decode {
                expected: PRIVATE_LABEL,
                reason: e.to_string(),
            })?;
        check_size(key.size() * 8)?;
        Ok(Self::Rsa(Box::new(key)))
    }

    /// The key that verifies this key's signatures (the same secret, or the RSA public key).
    pub fn verifying_key(&self) -> VerifyingKey {
        match self {
            Self::Hmac(secret) => VerifyingKey::Hmac(secret.clone()),
            Self::Rsa(k) => VerifyingKey::Rsa(k.to_public_key()),
        }
    }

    /// A short name of the key's type for messages: `HMAC secret` or `RSA private key`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Hmac(_) => "an HMAC secret",
            Self::Rsa(_) => "an RSA private key",
        }
    }
}

/// Why signing or verifying failed. Messages never contain the signature or the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The signature is not the one the key produces over this canonical request.
    #[error(
        "the signature does not match: check that the canonical request is built exactly as docs/authentication.md describes (compare with its test vectors) and signed with the secret or private key of this access key"
    )]
    Mismatch,
    /// The algorithm needs another kind of key.
    #[error(
        "{algorithm} cannot be used with {key}: HMAC secrets sign with LGSP-HMAC-SHA256 (or LGSP-HMAC-SHA1 for legacy applications), RSA keys with LGSP-RSA-SHA256"
    )]
    WrongKeyType {
        /// The algorithm asked for.
        algorithm: Algorithm,
        /// The kind of key held (`an HMAC secret`, `an RSA public key`, ...).
        key: &'static str,
    },
    /// The RSA implementation failed to sign.
    #[error("RSA signing failed: {0}")]
    Rsa(String),
}

fn rsa_scheme() -> Pkcs1v15Sign {
    Pkcs1v15Sign::new::<Sha256>()
}

/// Signs `canonical` (the output of [`crate::canonical_request`]).
///
/// # Errors
///
/// [`SignatureError::WrongKeyType`] when `key` does not suit `algorithm`;
/// [`SignatureError::Rsa`] if the RSA operation fails.
pub fn sign(
    algorithm: Algorithm,
    key: &SigningKey,
    canonical: &str,
) -> Result<Vec<u8>, SignatureError> {
    match (algorithm, key) {
        (Algorithm::HmacSha256, SigningKey::Hmac(secret)) => {
            let mut m = hmac_sha256(secret);
            m.update(canonical.as_bytes());
            Ok(m.finalize().into_bytes().to_vec())
        }
        (Algorithm::HmacSha1, SigningKey::Hmac(secret)) => {
            let mut m = hmac_sha1(secret);
            m.update(canonical.as_bytes());
            Ok(m.finalize().into_bytes().to_vec())
        }
        (Algorithm::RsaSha256, SigningKey::Rsa(k)) => {
            // Blinded with OS randomness against timing attacks; PKCS#1 v1.5 output is
            // deterministic regardless.
            k.sign_with_rng(
                &mut OsRng,
                rsa_scheme(),
                &Sha256::digest(canonical.as_bytes()),
            )
            .map_err(|e| SignatureError::Rsa(e.to_string()))
        }
        (algorithm, key) => Err(SignatureError::WrongKeyType {
            algorithm,
            key: key.kind(),
        }),
    }
}

/// Verifies `signature` over `canonical`. HMAC signatures are compared in constant time.
///
/// # Errors
///
/// [`SignatureError::Mismatch`] when the signature is wrong (any length, any bytes);
/// [`SignatureError::WrongKeyType`] when `key` does not suit `algorithm`.
pub fn verify(
    algorithm: Algorithm,
    key: &VerifyingKey,
    canonical: &str,
    signature: &[u8],
) -> Result<(), SignatureError> {
    match (algorithm, key) {
        (Algorithm::HmacSha256, VerifyingKey::Hmac(secret)) => {
            let mut m = hmac_sha256(secret);
            m.update(canonical.as_bytes());
            m.verify_slice(signature)
                .map_err(|_| SignatureError::Mismatch)
        }
        (Algorithm::HmacSha1, VerifyingKey::Hmac(secret)) => {
            let mut m = hmac_sha1(secret);
            m.update(canonical.as_bytes());
            m.verify_slice(signature)
                .map_err(|_| SignatureError::Mismatch)
        }
        (Algorithm::RsaSha256, VerifyingKey::Rsa(k)) => k
            .verify(
                rsa_scheme(),
                &Sha256::digest(canonical.as_bytes()),
                signature,
            )
            .map_err(|_| SignatureError::Mismatch),
        (algorithm, key) => Err(SignatureError::WrongKeyType {
            algorithm,
            key: key.kind(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::{TEST_RSA_PRIVATE_KEY_PEM, TEST_RSA_PUBLIC_KEY_PEM};

    fn rsa_pair() -> (SigningKey, VerifyingKey) {
        (
            SigningKey::rsa_from_pem(TEST_RSA_PRIVATE_KEY_PEM).unwrap(),
            VerifyingKey::rsa_from_pem(TEST_RSA_PUBLIC_KEY_PEM).unwrap(),
        )
    }

    #[test]
    fn hmac_round_trip_and_tamper() {
        for algorithm in [Algorithm::HmacSha256, Algorithm::HmacSha1] {
            let key = SigningKey::hmac("s3cret");
            let sig = sign(algorithm, &key, "abc").unwrap();
            assert_eq!(
                sig.len(),
                if algorithm == Algorithm::HmacSha256 {
                    32
                } else {
                    20
                }
            );
            let vk = key.verifying_key();
            assert_eq!(verify(algorithm, &vk, "abc", &sig), Ok(()));
            assert_eq!(
                verify(algorithm, &vk, "abd", &sig),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                verify(algorithm, &VerifyingKey::hmac("s3cre"), "abc", &sig),
                Err(SignatureError::Mismatch)
            );
            let mut bad = sig.clone();
            bad[0] ^= 1;
            assert_eq!(
                verify(algorithm, &vk, "abc", &bad),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                verify(algorithm, &vk, "abc", &sig[..10]),
                Err(SignatureError::Mismatch)
            );
            assert_eq!(
                verify(algorithm, &vk, "abc", &[]),
                Err(SignatureError::Mismatch)
            );
        }
    }

    #[test]
    fn sha1_and_sha256_signatures_differ() {
        let key = SigningKey::hmac("k");
        let a = sign(Algorithm::HmacSha256, &key, "x").unwrap();
        let b = sign(Algorithm::HmacSha1, &key, "x").unwrap();
        assert_ne!(a[..20], b[..]);
        assert_eq!(
            verify(Algorithm::HmacSha1, &key.verifying_key(), "x", &a),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn rsa_round_trip_is_deterministic_and_tamper_fails() {
        let (sk, vk) = rsa_pair();
        let a = sign(Algorithm::RsaSha256, &sk, "canonical").unwrap();
        let b = sign(Algorithm::RsaSha256, &sk, "canonical").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 256);
        assert_eq!(verify(Algorithm::RsaSha256, &vk, "canonical", &a), Ok(()));
        assert!(
            matches!(sk.verifying_key(), VerifyingKey::Rsa(ref k) if matches!(&vk, VerifyingKey::Rsa(v) if v == k))
        );
        assert_eq!(
            verify(Algorithm::RsaSha256, &vk, "canonicaL", &a),
            Err(SignatureError::Mismatch)
        );
        let mut bad = a.clone();
        bad[100] ^= 0x40;
        assert_eq!(
            verify(Algorithm::RsaSha256, &vk, "canonical", &bad),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Algorithm::RsaSha256, &vk, "canonical", &a[1..]),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(Algorithm::RsaSha256, &vk, "canonical", &[0xff; 300]),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn keys_refuse_the_wrong_algorithm() {
        let (sk, vk) = rsa_pair();
        let e = sign(Algorithm::HmacSha256, &sk, "x").unwrap_err();
        assert_eq!(
            e,
            SignatureError::WrongKeyType {
                algorithm: Algorithm::HmacSha256,
                key: "an RSA private key"
            }
        );
        assert!(
            e.to_string()
                .starts_with("LGSP-HMAC-SHA256 cannot be used with an RSA private key")
        );
        assert!(matches!(
            verify(Algorithm::HmacSha1, &vk, "x", &[0; 20]),
            Err(SignatureError::WrongKeyType { .. })
        ));
        assert!(matches!(
            verify(
                Algorithm::RsaSha256,
                &VerifyingKey::hmac("k"),
                "x",
                &[0; 256]
            ),
            Err(SignatureError::WrongKeyType {
                key: "an HMAC secret",
                ..
            })
        ));
    }

    #[test]
    fn debug_never_prints_key_material() {
        let secret = "very-secret-value";
        let (sk, vk) = rsa_pair();
        for text in [
            format!("{:?}", SigningKey::hmac(secret)),
            format!("{:?}", VerifyingKey::hmac(secret)),
            format!("{:?}", SigningKey::Hmac(vec![0xab; 4])),
        ] {
            assert!(!text.contains(secret) && !text.contains("171"), "{text}");
            assert!(text.contains("<secret>"), "{text}");
        }
        assert_eq!(format!("{sk:?}"), "SigningKey::Rsa(<2048-bit private key>)");
        assert_eq!(
            format!("{vk:?}"),
            "VerifyingKey::Rsa(<2048-bit public key>)"
        );
    }

    #[test]
    fn pem_errors_explain_the_fix() {
        let e = VerifyingKey::rsa_from_pem("not a key").unwrap_err();
        assert_eq!(
            e,
            KeyError::NotPem {
                expected: "PUBLIC KEY"
            }
        );

        let e = VerifyingKey::rsa_from_pem(TEST_RSA_PRIVATE_KEY_PEM).unwrap_err();
        assert!(matches!(&e, KeyError::WrongPemType { found, .. } if found == "PRIVATE KEY"));
        let text = e.to_string();
        assert!(
            text.contains("openssl pkey -in private.pem -pubout"),
            "{text}"
        );
        assert!(!text.contains("MII"), "{text}");

        let pkcs1 = "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA\n-----END RSA PUBLIC KEY-----\n";
        let text = VerifyingKey::rsa_from_pem(pkcs1).unwrap_err().to_string();
        assert!(text.contains("-RSAPublicKey_in"), "{text}");

        let pkcs1 = "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n";
        let text = SigningKey::rsa_from_pem(pkcs1).unwrap_err().to_string();
        assert!(text.contains("openssl pkcs8 -topk8 -nocrypt"), "{text}");

        let text = SigningKey::rsa_from_pem(TEST_RSA_PUBLIC_KEY_PEM)
            .unwrap_err()
            .to_string();
        assert!(text.contains("signing needs the private key"), "{text}");

        let garbage = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(matches!(
            VerifyingKey::rsa_from_pem(garbage),
            Err(KeyError::Decode {
                expected: "PUBLIC KEY",
                ..
            })
        ));
    }

    #[test]
    fn small_rsa_keys_are_refused() {
        // A 1024-bit key, generated for this test only.
        let e = VerifyingKey::rsa_from_pem(SMALL_PUBLIC_KEY_PEM).unwrap_err();
        assert_eq!(e, KeyError::Size { bits: 1024 });
        assert!(e.to_string().contains("2048 to 4096"));
    }

    const SMALL_PUBLIC_KEY_PEM: &str = "\
-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCr3PsWAGDYWdqnmdbCCbArIE3s
YfmNyegiVl4qO4F0e2S14kM4TpQhjb1FkhfGPGvFGZrvc+KuYK3MbZeH2PT9HfDD
3ebu7YjBTcTfOwTgJwZ0eTi21672XkQu6SjXWgezmFaSAIhi9CnIjqwYX8X2f1ER
8rY91GBZ5yD2XRw2PwIDAQAB
-----END PUBLIC KEY-----
";
}
