//! The `Authorization` header: `<algorithm> Credential=<access key>, SignedHeaders=<h1;h2>, Signature=<hex>`.

use std::fmt;

use crate::Algorithm;

/// The longest `Authorization` value [`Authorization::parse`] reads, in bytes.
pub const MAX_AUTHORIZATION_LEN: usize = 8192;
/// The longest access key, in characters.
const MAX_ACCESS_KEY_LEN: usize = 128;
/// The longest `Signature` value, in hex characters (a 8192-bit RSA signature).
const MAX_SIGNATURE_HEX_LEN: usize = 2048;

/// A parsed `Authorization` header.
///
/// # Examples
///
/// ```
/// use lgsp_auth::{Algorithm, Authorization};
///
/// let a = Authorization::parse(
///     "LGSP-HMAC-SHA256 Credential=LGSPEXAMPLE7KEY4AB2C, \
///      SignedHeaders=x-lgsp-content-sha256;x-lgsp-date;x-lgsp-nonce, Signature=00ff",
/// )?;
/// assert_eq!(a.algorithm, Algorithm::HmacSha256);
/// assert_eq!(a.signature, [0x00, 0xff]);
/// assert_eq!(Authorization::parse(&a.to_header_value())?, a);
/// # Ok::<(), lgsp_auth::AuthorizationError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The signature algorithm.
    pub algorithm: Algorithm,
    /// The access key that identifies the caller.
    pub access_key: String,
    /// The signed header names: lowercase, sorted, unique.
    pub signed_headers: Vec<String>,
    /// The signature bytes (hex-decoded).
    pub signature: Vec<u8>,
}

/// Why an `Authorization` header was refused. Messages never repeat the signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizationError {
    /// The first word is not one of the algorithm names (carries it when it looks like a name).
    #[error(
        "unsupported signature algorithm{}: the Authorization header must start with one of LGSP-HMAC-SHA256, LGSP-HMAC-SHA1, LGSP-RSA-SHA256 (exact case) followed by one space",
        shown_name(.0)
    )]
    UnsupportedAlgorithm(String),
    /// The header does not follow the format; the text says what to fix.
    #[error("malformed Authorization header: {0}")]
    Malformed(String),
}

fn shown_name(name: &str) -> String {
    if name.is_empty() {
        String::new()
    } else {
        format!(" `{name}`")
    }
}

fn malformed(msg: impl Into<String>) -> AuthorizationError {
    AuthorizationError::Malformed(msg.into())
}

const FORMAT_HINT: &str = "write `<algorithm> Credential=<access key>, SignedHeaders=<name;name;...>, Signature=<hex>` with one space after the algorithm and optional spaces after each comma";

impl Authorization {
    /// Parses an `Authorization` value. Strict: one space after the algorithm, spaces allowed
    /// only after commas, `Credential`, `SignedHeaders` and `Signature` exactly once each in any
    /// order. Work is bounded by [`MAX_AUTHORIZATION_LEN`].
    ///
    /// # Errors
    ///
    /// [`AuthorizationError::UnsupportedAlgorithm`] when the first word is not an algorithm name,
    /// [`AuthorizationError::Malformed`] for every other deviation, with a message saying what to fix.
    pub fn parse(value: &str) -> Result<Self, AuthorizationError> {
        if value.len() > MAX_AUTHORIZATION_LEN {
            return Err(malformed(format!(
                "the header is {} bytes long; at most {MAX_AUTHORIZATION_LEN} are accepted",
                value.len()
            )));
        }
        let (scheme, params) = value.split_once(' ').unwrap_or((value, ""));
        let Some(algorithm) = Algorithm::from_name(scheme) else {
            return Err(unsupported(scheme));
        };
        if params.is_empty() {
            return Err(malformed(format!(
                "nothing follows the algorithm name; {FORMAT_HINT}"
            )));
        }
        let (mut credential, mut signed, mut signature) = (None, None, None);
        for (i, part) in params.split(',').enumerate() {
            let part = if i == 0 {
                part
            } else {
                part.trim_start_matches(' ')
            };
            let Some((name, val)) = part.split_once('=') else {
                return Err(malformed(format!(
                    "parameter {} is not Name=value; {FORMAT_HINT}",
                    i + 1
                )));
            };
            let slot = match name {
                "Credential" => &mut credential,
                "SignedHeaders" => &mut signed,
                "Signature" => &mut signature,
                _ => return Err(unknown_parameter(name)),
            };
            if slot.replace(val).is_some() {
                return Err(malformed(format!("{name} appears more than once")));
            }
        }
        let missing = |name: &str| malformed(format!("{name}= is missing; {FORMAT_HINT}"));
        let access_key = credential.ok_or_else(|| missing("Credential"))?;
        let signed = signed.ok_or_else(|| missing("SignedHeaders"))?;
        let signature = signature.ok_or_else(|| missing("Signature"))?;
        check_access_key(access_key)?;
        Ok(Self {
            algorithm,
            access_key: access_key.to_owned(),
            signed_headers: parse_signed_headers(signed)?,
            signature: parse_signature(signature)?,
        })
    }

    /// Formats the header value; [`Authorization::parse`] reads it back unchanged.
    pub fn to_header_value(&self) -> String {
        let names_len: usize = self.signed_headers.iter().map(|h| h.len() + 1).sum();
        let mut out = String::with_capacity(
            64 + self.access_key.len() + names_len + 2 * self.signature.len(),
        );
        out.push_str(self.algorithm.name());
        out.push_str(" Credential=");
        out.push_str(&self.access_key);
        out.push_str(", SignedHeaders=");
        for (i, name) in self.signed_headers.iter().enumerate() {
            if i > 0 {
                out.push(';');
            }
            out.push_str(name);
        }
        out.push_str(", Signature=");
        out.push_str(&hex::encode(&self.signature));
        out
    }
}

impl fmt::Debug for Authorization {
    // The signature is left out: logs are no place for credentials, even spent ones.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authorization")
            .field("algorithm", &self.algorithm)
            .field("access_key", &self.access_key)
            .field("signed_headers", &self.signed_headers)
            .field(
                "signature",
                &format_args!("<{} bytes>", self.signature.len()),
            )
            .finish()
    }
}

/// Whether `s` looks like a name worth repeating in an error (a scheme or parameter name,
/// not a token or secret pasted in the wrong place).
fn echoable(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn unsupported(scheme: &str) -> AuthorizationError {
    let shown = if echoable(scheme) { scheme } else { "" };
    AuthorizationError::UnsupportedAlgorithm(shown.to_owned())
}

fn unknown_parameter(name: &str) -> AuthorizationError {
    if name.starts_with([' ', '\t']) || name.ends_with([' ', '\t']) {
        return malformed(format!("unexpected whitespace; {FORMAT_HINT}"));
    }
    let shown = if echoable(name) {
        format!(" `{name}`")
    } else {
        String::new()
    };
    malformed(format!(
        "unknown parameter{shown}; the parameters are Credential, SignedHeaders and Signature (exact case)"
    ))
}

/// Checks an access key: 1 to 128 characters `[A-Za-z0-9_-]`.
pub(crate) fn valid_access_key(s: &str) -> bool {
    (1..=MAX_ACCESS_KEY_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn check_access_key(s: &str) -> Result<(), AuthorizationError> {
    if valid_access_key(s) {
        Ok(())
    } else {
        Err(malformed(
            "Credential must be the access key exactly as issued: 1 to 128 characters A-Z, a-z, 0-9, '_' or '-'",
        ))
    }
}

fn valid_header_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn parse_signed_headers(s: &str) -> Result<Vec<String>, AuthorizationError> {
    if s.is_empty() {
        return Err(malformed(
            "SignedHeaders is empty; it must list at least x-lgsp-content-sha256;x-lgsp-date;x-lgsp-nonce",
        ));
    }
    let mut names: Vec<String> = Vec::with_capacity(s.len() / 12 + 1);
    for (i, name) in s.split(';').enumerate() {
        if !valid_header_name(name) {
            return Err(malformed(format!(
                "header name {} in SignedHeaders is empty or has characters other than a-z, 0-9 and '-'; names are lowercase and separated by ';' without spaces",
                i + 1
            )));
        }
        if let Some(prev) = names.last()
            && prev.as_str() >= name
        {
            let problem = if prev == name {
                format!("`{name}` is listed twice")
            } else {
                format!("`{name}` comes after `{prev}`")
            };
            return Err(malformed(format!(
                "SignedHeaders must be sorted and without duplicates: {problem}"
            )));
        }
        names.push(name.to_owned());
    }
    Ok(names)
}

fn parse_signature(s: &str) -> Result<Vec<u8>, AuthorizationError> {
    if s.is_empty() {
        return Err(malformed("Signature is empty"));
    }
    if s.len() > MAX_SIGNATURE_HEX_LEN || !s.len().is_multiple_of(2) {
        return Err(malformed(format!(
            "Signature must be an even number of hex digits, at most {MAX_SIGNATURE_HEX_LEN} (lowercase hex of the signature bytes)"
        )));
    }
    hex::decode(s).map_err(|_| {
        malformed(
            "Signature must be hex: digits 0-9 and a-f (lowercase hex of the signature bytes)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "LGSP-HMAC-SHA256 Credential=LGSPEXAMPLE7KEY4AB2C, SignedHeaders=x-lgsp-content-sha256;x-lgsp-date;x-lgsp-nonce, Signature=0a1b";

    fn malformed_text(value: &str) -> String {
        match Authorization::parse(value) {
            Err(AuthorizationError::Malformed(m)) => m,
            other => panic!("expected Malformed for {value:?}, got {other:?}"),
        }
    }

    #[test]
    fn parses_the_documented_form() {
        let a = Authorization::parse(GOOD).unwrap();
        assert_eq!(a.algorithm, Algorithm::HmacSha256);
        assert_eq!(a.access_key, "LGSPEXAMPLE7KEY4AB2C");
        assert_eq!(
            a.signed_headers,
            ["x-lgsp-content-sha256", "x-lgsp-date", "x-lgsp-nonce"]
        );
        assert_eq!(a.signature, [0x0a, 0x1b]);
        assert_eq!(a.to_header_value(), GOOD);
    }

    #[test]
    fn round_trips_every_algorithm() {
        for algorithm in Algorithm::ALL {
            let a = Authorization {
                algorithm,
                access_key: "ak_1-Z".into(),
                signed_headers: vec!["content-type".into(), "x-lgsp-date".into()],
                signature: (0..=255).collect(),
            };
            assert_eq!(Authorization::parse(&a.to_header_value()), Ok(a));
        }
    }

    #[test]
    fn parameters_in_any_order_and_spaces_after_commas() {
        let a = Authorization::parse(
            "LGSP-RSA-SHA256 Signature=AB,SignedHeaders=x-lgsp-date,    Credential=k",
        )
        .unwrap();
        assert_eq!(a.algorithm, Algorithm::RsaSha256);
        assert_eq!(a.access_key, "k");
        assert_eq!(a.signature, [0xab]);
    }

    #[test]
    fn unsupported_algorithms_name_the_choices() {
        let e = Authorization::parse("Bearer abc").unwrap_err();
        assert_eq!(e, AuthorizationError::UnsupportedAlgorithm("Bearer".into()));
        let text = e.to_string();
        assert!(text.contains("`Bearer`"), "{text}");
        assert!(
            text.contains(
                "must start with one of LGSP-HMAC-SHA256, LGSP-HMAC-SHA1, LGSP-RSA-SHA256"
            ),
            "{text}"
        );
        assert_eq!(
            Authorization::parse("lgsp-hmac-sha256 Credential=a"),
            Err(AuthorizationError::UnsupportedAlgorithm(
                "lgsp-hmac-sha256".into()
            ))
        );
        assert_eq!(
            Authorization::parse(""),
            Err(AuthorizationError::UnsupportedAlgorithm(String::new()))
        );
    }

    #[test]
    fn a_secret_pasted_as_the_header_is_not_echoed() {
        let secret = "hN3xQ9vLr2Tk8Wm5Zp7Yc4Bd6Fg1Js0Ea3Uo9Ii2Kl";
        let e = Authorization::parse(secret).unwrap_err();
        assert_eq!(e, AuthorizationError::UnsupportedAlgorithm(String::new()));
        assert!(!e.to_string().contains(secret));
    }

    #[test]
    fn each_malformation_is_explained() {
        let cases: &[(&str, &str)] = &[
            ("LGSP-HMAC-SHA256", "nothing follows"),
            ("LGSP-HMAC-SHA256 ", "nothing follows"),
            (
                "LGSP-HMAC-SHA256  Credential=a, SignedHeaders=x, Signature=00",
                "unexpected whitespace",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a , SignedHeaders=x, Signature=00",
                "Credential must be",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=x, Signature=00, Extra=1",
                "unknown parameter `Extra`",
            ),
            (
                "LGSP-HMAC-SHA256 credential=a, SignedHeaders=x, Signature=00",
                "unknown parameter `credential`",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=x, Signature=00,",
                "parameter 4 is not Name=value",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, Credential=b, SignedHeaders=x, Signature=00",
                "Credential appears more than once",
            ),
            (
                "LGSP-HMAC-SHA256 SignedHeaders=x, Signature=00",
                "Credential= is missing",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, Signature=00",
                "SignedHeaders= is missing",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=x",
                "Signature= is missing",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=, SignedHeaders=x, Signature=00",
                "Credential must be",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a.b, SignedHeaders=x, Signature=00",
                "Credential must be",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=, Signature=00",
                "SignedHeaders is empty",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=X-Lgsp-Date, Signature=00",
                "header name 1 in SignedHeaders",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=a;;b, Signature=00",
                "header name 2 in SignedHeaders",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=a; b, Signature=00",
                "header name 2 in SignedHeaders",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=b;a, Signature=00",
                "`a` comes after `b`",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=a;a, Signature=00",
                "`a` is listed twice",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=a, Signature=",
                "Signature is empty",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=a, Signature=abc",
                "even number of hex digits",
            ),
            (
                "LGSP-HMAC-SHA256 Credential=a, SignedHeaders=a, Signature=zz",
                "Signature must be hex",
            ),
        ];
        for (value, expected) in cases {
            let text = malformed_text(value);
            assert!(text.contains(expected), "{value:?}: {text:?}");
        }
    }

    #[test]
    fn size_limits() {
        let long_sig = "ab".repeat(MAX_SIGNATURE_HEX_LEN / 2 + 1);
        let v = format!("LGSP-RSA-SHA256 Credential=a, SignedHeaders=a, Signature={long_sig}");
        assert!(malformed_text(&v).contains("at most 2048"));
        let max_sig = "ab".repeat(MAX_SIGNATURE_HEX_LEN / 2);
        let v = format!("LGSP-RSA-SHA256 Credential=a, SignedHeaders=a, Signature={max_sig}");
        assert_eq!(Authorization::parse(&v).unwrap().signature.len(), 1024);

        let key = "k".repeat(129);
        let v = format!("LGSP-RSA-SHA256 Credential={key}, SignedHeaders=a, Signature=00");
        assert!(malformed_text(&v).contains("1 to 128"));

        let huge = format!("{GOOD}{}", " ".repeat(MAX_AUTHORIZATION_LEN));
        assert!(malformed_text(&huge).contains("at most 8192"));
    }

    #[test]
    fn errors_never_repeat_the_signature() {
        let sig = "deadbeefcafe";
        for value in [
            format!("LGSP-HMAC-SHA256 Credential=a, SignedHeaders=b;a, Signature={sig}"),
            format!("LGSP-HMAC-SHA256 Credential=a!, SignedHeaders=a, Signature={sig}"),
            format!("LGSP-HMAC-SHA256 Credential=a, SignedHeaders=a, Signature={sig}z"),
            format!("LGSP-HMAC-SHA256 Signature={sig}, Signature={sig}"),
        ] {
            let text = Authorization::parse(&value).unwrap_err().to_string();
            assert!(!text.contains(sig), "{text}");
        }
    }

    #[test]
    fn debug_hides_the_signature() {
        let a = Authorization::parse(GOOD).unwrap();
        let dbg = format!("{a:?}");
        assert!(!dbg.contains("0a1b") && !dbg.contains("[10, 27]"), "{dbg}");
        assert!(dbg.contains("<2 bytes>"), "{dbg}");
    }

    #[test]
    fn uppercase_hex_is_accepted_and_formatted_lowercase() {
        let a =
            Authorization::parse("LGSP-HMAC-SHA1 Credential=a, SignedHeaders=a, Signature=ABCDEF")
                .unwrap();
        assert!(a.to_header_value().ends_with("Signature=abcdef"));
    }
}
