//! The publisher's detached signature on a connector component: RSA-SHA256
//! (PKCS#1 v1.5) with a key registered to the publishing agency, over a short
//! text that binds the component's SHA-256 to the connector's name and
//! version, so a signature cannot be replayed for another connector or
//! another version of the same bytes.

use crate::Algorithm;
use crate::keys::{SignatureError, SigningKey, VerifyingKey, sign, verify};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The first line of every signed text; a new format gets a new line.
pub const CONNECTOR_SIGNATURE_CONTEXT: &str = "LGSP-CONNECTOR-1";

/// What the publisher signs: `LGSP-CONNECTOR-1\n<name>\n<version>\n<sha256 hex>\n`.
pub fn connector_message(name: &str, version: &str, sha256_hex: &str) -> String {
    format!("{CONNECTOR_SIGNATURE_CONTEXT}\n{name}\n{version}\n{sha256_hex}\n")
}

/// The signature (base64) of component `sha256_hex` as `name` `version`.
///
/// # Errors
/// [`SignatureError::WrongKeyType`] unless `key` is an RSA key: a detached
/// signature others can check needs a public key.
pub fn sign_connector(
    key: &SigningKey,
    name: &str,
    version: &str,
    sha256_hex: &str,
) -> Result<String, SignatureError> {
    let text = connector_message(name, version, sha256_hex);
    sign(Algorithm::RsaSha256, key, &text).map(|s| STANDARD.encode(s))
}

/// Checks `signature_b64` on component `sha256_hex` as `name` `version`.
///
/// # Errors
/// [`SignatureError::Mismatch`] when it is not base64 or does not verify;
/// [`SignatureError::WrongKeyType`] for a key that is not RSA.
pub fn verify_connector(
    key: &VerifyingKey,
    name: &str,
    version: &str,
    sha256_hex: &str,
    signature_b64: &str,
) -> Result<(), SignatureError> {
    let signature = STANDARD
        .decode(signature_b64.trim())
        .map_err(|_| SignatureError::Mismatch)?;
    verify(
        Algorithm::RsaSha256,
        key,
        &connector_message(name, version, sha256_hex),
        &signature,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SigningKey {
        SigningKey::rsa_from_pem(crate::vectors::TEST_RSA_PRIVATE_KEY_PEM).unwrap()
    }

    #[test]
    fn a_signature_verifies_only_for_its_name_version_and_digest() {
        let key = key();
        let public = key.verifying_key();
        let sha = "ab".repeat(32);
        let sig = sign_connector(&key, "dan_cu", "1.2.0", &sha).unwrap();
        verify_connector(&public, "dan_cu", "1.2.0", &sha, &sig).unwrap();
        for (name, version, digest) in [
            ("dan_cu2", "1.2.0", sha.clone()),
            ("dan_cu", "1.2.1", sha.clone()),
            ("dan_cu", "1.2.0", "cd".repeat(32)),
        ] {
            assert_eq!(
                verify_connector(&public, name, version, &digest, &sig),
                Err(SignatureError::Mismatch)
            );
        }
        assert_eq!(
            verify_connector(&public, "dan_cu", "1.2.0", &sha, "not base64!"),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn an_hmac_key_cannot_sign_a_component() {
        assert!(matches!(
            sign_connector(&SigningKey::hmac("s"), "a", "1.0.0", "00"),
            Err(SignatureError::WrongKeyType { .. })
        ));
    }
}
