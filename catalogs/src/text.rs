//! Text helpers shared by the catalogs and the connectors.

/// Lower-cases and strips Vietnamese diacritics (and `đ` → `d`), so that names
/// can be searched without accents: `"Hoàng Phát"` and `"hoang phat"` fold
/// to the same text.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars().flat_map(char::to_lowercase) {
        let base = match ch {
            'à' | 'á' | 'ả' | 'ã' | 'ạ' | 'ă' | 'ằ' | 'ắ' | 'ẳ' | 'ẵ' | 'ặ' | 'â' | 'ầ' | 'ấ'
            | 'ẩ' | 'ẫ' | 'ậ' => 'a',
            'è' | 'é' | 'ẻ' | 'ẽ' | 'ẹ' | 'ê' | 'ề' | 'ế' | 'ể' | 'ễ' | 'ệ' => {
                'e'
            }
            'ì' | 'í' | 'ỉ' | 'ĩ' | 'ị' => 'i',
            'ò' | 'ó' | 'ỏ' | 'õ' | 'ọ' | 'ô' | 'ồ' | 'ố' | 'ổ' | 'ỗ' | 'ộ' | 'ơ' | 'ờ' | 'ớ'
            | 'ở' | 'ỡ' | 'ợ' => 'o',
            'ù' | 'ú' | 'ủ' | 'ũ' | 'ụ' | 'ư' | 'ừ' | 'ứ' | 'ử' | 'ữ' | 'ự' => {
                'u'
            }
            'ỳ' | 'ý' | 'ỷ' | 'ỹ' | 'ỵ' => 'y',
            'đ' => 'd',
            // Combining marks of decomposed (NFD) input.
            '\u{0300}'..='\u{036f}' => continue,
            other => other,
        };
        out.push(base);
    }
    out
}

/// Unit-type words that official names start with and upstream systems often
/// leave out ("Tỉnh Cà Mau" vs "Cà Mau"), as [`name_key`] writes them.
const UNIT_PREFIXES: &[&str] = &[
    "thanh pho ",
    "tinh ",
    "phuong ",
    "xa ",
    "dac khu ",
    "thi tran ",
    "thi xa ",
    "quan ",
    "huyen ",
    "tp. ",
    "tp ",
];

/// The key names are matched by: folded ([`fold`]) with single spaces, so
/// that "Hà  Nội" and "ha noi" match.
pub fn name_key(name: &str) -> String {
    fold(name).split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A [`name_key`] without its unit-type prefix ("tinh ", "phuong "...), if it
/// has one; the platform and the SDK both match names with and without it.
pub fn strip_unit_prefix(key: &str) -> Option<&str> {
    UNIT_PREFIXES
        .iter()
        .find_map(|p| key.strip_prefix(p))
        .filter(|rest| !rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::{fold, name_key, strip_unit_prefix};

    #[test]
    fn name_keys_drop_accents_spacing_and_unit_prefixes() {
        assert_eq!(name_key("  Thành phố   Hà Nội "), "thanh pho ha noi");
        assert_eq!(strip_unit_prefix("thanh pho ha noi"), Some("ha noi"));
        assert_eq!(strip_unit_prefix("tinh "), None);
        assert_eq!(strip_unit_prefix("kinh"), None);
    }

    #[test]
    fn strips_accents_and_case() {
        assert_eq!(fold("CÔNG TY TNHH HOÀNG PHÁT"), "cong ty tnhh hoang phat");
        assert_eq!(fold("Đặng Thị Ánh"), "dang thi anh");
        assert_eq!(fold("Ho\u{0300}a"), "hoa");
    }
}
