//! Percent-encoding as the canonical form uses it: RFC 3986 unreserved characters kept,
//! everything else as `%XX` with uppercase hex.

/// A `%` not followed by two hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BadEscape;

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// RFC 3986 unreserved: `A-Z a-z 0-9 - . _ ~`.
pub(crate) fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

fn push_byte(out: &mut String, b: u8) {
    if is_unreserved(b) {
        out.push(char::from(b));
    } else {
        out.push('%');
        out.push(char::from(HEX_UPPER[usize::from(b >> 4)]));
        out.push(char::from(HEX_UPPER[usize::from(b & 0x0f)]));
    }
}

/// Appends `s` percent-encoded.
pub(crate) fn encode_into(out: &mut String, s: &str) {
    for &b in s.as_bytes() {
        push_byte(out, b);
    }
}

/// Decodes `raw` and appends it re-encoded, in one pass. `/` is kept as is when `keep_slash`
/// (path segments are recoded one by one; `%2F` inside a segment stays `%2F`).
pub(crate) fn recode_into(out: &mut String, raw: &str, keep_slash: bool) -> Result<(), BadEscape> {
    let bytes = raw.as_bytes();
    let mut i = 0;
    // Runs of bytes that stay as they are (the common case) are copied in one go.
    let mut run_start = 0;
    while let Some(&b) = bytes.get(i) {
        if is_unreserved(b) || (b == b'/' && keep_slash) {
            i += 1;
            continue;
        }
        // The run holds ASCII only, so its ends are char boundaries.
        out.push_str(raw.get(run_start..i).unwrap_or_default());
        if b == b'%' {
            push_byte(out, escaped(bytes, i)?);
            i += 3;
        } else {
            push_byte(out, b);
            i += 1;
        }
        run_start = i;
    }
    out.push_str(raw.get(run_start..).unwrap_or_default());
    Ok(())
}

/// The byte the `%XY` escape at `bytes[i]` stands for.
fn escaped(bytes: &[u8], i: usize) -> Result<u8, BadEscape> {
    let digit = |at: usize| bytes.get(at).copied().and_then(hex_value).ok_or(BadEscape);
    Ok((digit(i + 1)? << 4) | digit(i + 2)?)
}

/// Percent-decodes `raw` into bytes (`+` stays a plus).
pub(crate) fn decode(raw: &str) -> Result<Vec<u8>, BadEscape> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            out.push(escaped(bytes, i)?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recode(raw: &str, keep_slash: bool) -> Result<String, BadEscape> {
        let mut out = String::new();
        recode_into(&mut out, raw, keep_slash).map(|()| out)
    }

    #[test]
    fn unreserved_are_kept_and_decoded() {
        assert_eq!(recode("%7e%7E~aZ09-._", false).as_deref(), Ok("~~~aZ09-._"));
        assert_eq!(recode("%41", false).as_deref(), Ok("A"));
    }

    #[test]
    fn reserved_and_non_ascii_are_encoded_uppercase() {
        assert_eq!(recode("a b+c", false).as_deref(), Ok("a%20b%2Bc"));
        assert_eq!(recode("%2b%2f", false).as_deref(), Ok("%2B%2F"));
        assert_eq!(recode("Hà", false).as_deref(), Ok("H%C3%A0"));
        assert_eq!(recode("%c3%a0", false).as_deref(), Ok("%C3%A0"));
        // Bytes that are not UTF-8 survive as bytes.
        assert_eq!(recode("%ff", false).as_deref(), Ok("%FF"));
    }

    #[test]
    fn slashes_depend_on_context() {
        assert_eq!(recode("/a/b%2Fc", true).as_deref(), Ok("/a/b%2Fc"));
        assert_eq!(recode("a/b", false).as_deref(), Ok("a%2Fb"));
    }

    #[test]
    fn bad_escapes_are_refused() {
        for raw in ["%", "%4", "%zz", "a%g1", "%%41", "%4%"] {
            assert_eq!(recode(raw, false), Err(BadEscape), "{raw}");
            assert_eq!(decode(raw), Err(BadEscape), "{raw}");
        }
    }

    #[test]
    fn decode_keeps_plus() {
        assert_eq!(decode("a+b%20c").as_deref(), Ok(&b"a+b c"[..]));
    }

    #[test]
    fn encode_keeps_only_unreserved() {
        let mut out = String::new();
        encode_into(&mut out, "Xác minh: 1/2");
        assert_eq!(out, "X%C3%A1c%20minh%3A%201%2F2");
    }
}
