//! HMAC constructors shared by request signatures, tokens and the upstream signature.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;

pub(crate) type HmacSha256 = Hmac<Sha256>;
pub(crate) type HmacSha1 = Hmac<Sha1>;

/// HMAC-SHA256 keyed with `key`.
pub(crate) fn hmac_sha256(key: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (longer ones are hashed first): `new_from_slice` only
    // returns a `Result` because the trait also serves fixed-key MACs. It cannot fail here.
    #[allow(clippy::expect_used)]
    <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// HMAC-SHA1 keyed with `key`.
pub(crate) fn hmac_sha1(key: &[u8]) -> HmacSha1 {
    // See `hmac_sha256`: cannot fail for HMAC.
    #[allow(clippy::expect_used)]
    <HmacSha1 as Mac>::new_from_slice(key).expect("HMAC accepts keys of any length")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_4231_case_2() {
        let mut m = hmac_sha256(b"Jefe");
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(m.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn rfc_2202_sha1_case_2() {
        let mut m = hmac_sha1(b"Jefe");
        m.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(m.finalize().into_bytes()),
            "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
        );
    }

    #[test]
    fn long_keys_are_hashed_first() {
        use sha2::Digest;
        let long = [7u8; 1000];
        let mut a = hmac_sha256(&long);
        a.update(b"x");
        let mut b = hmac_sha256(&Sha256::digest(long));
        b.update(b"x");
        assert_eq!(a.finalize().into_bytes(), b.finalize().into_bytes());
    }
}
