//! The signature algorithms and their names on the wire.

use std::fmt;

/// A request signature algorithm, named in the first word of the `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `LGSP-HMAC-SHA256`: HMAC-SHA256 keyed with the secret key's UTF-8 bytes.
    HmacSha256,
    /// `LGSP-HMAC-SHA1`: HMAC-SHA1, kept for legacy applications only.
    HmacSha1,
    /// `LGSP-RSA-SHA256`: RSASSA-PKCS1-v1_5 with SHA-256.
    RsaSha256,
}

impl Algorithm {
    /// Every algorithm, in the order the documentation lists them.
    pub const ALL: [Algorithm; 3] = [Self::HmacSha256, Self::HmacSha1, Self::RsaSha256];

    /// The name on the wire, e.g. `LGSP-HMAC-SHA256`.
    pub fn name(self) -> &'static str {
        match self {
            Self::HmacSha256 => "LGSP-HMAC-SHA256",
            Self::HmacSha1 => "LGSP-HMAC-SHA1",
            Self::RsaSha256 => "LGSP-RSA-SHA256",
        }
    }

    /// The algorithm with this wire name (case-sensitive), if any.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == s)
    }

    /// Whether the algorithm is keyed with a shared secret (HMAC) rather than an RSA key pair.
    pub fn is_hmac(self) -> bool {
        matches!(self, Self::HmacSha256 | Self::HmacSha1)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(a.name()), Some(a));
            assert_eq!(a.to_string(), a.name());
        }
    }

    #[test]
    fn names_are_case_sensitive_and_exact() {
        assert_eq!(Algorithm::from_name("lgsp-hmac-sha256"), None);
        assert_eq!(Algorithm::from_name("LGSP-HMAC-SHA256 "), None);
        assert_eq!(Algorithm::from_name("HMAC-SHA256"), None);
        assert_eq!(Algorithm::from_name(""), None);
    }
}
