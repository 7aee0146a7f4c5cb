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

#[cfg(test)]
mod tests {
    use super::fold;

    #[test]
    fn strips_accents_and_case() {
        assert_eq!(fold("CÔNG TY TNHH HOÀNG PHÁT"), "cong ty tnhh hoang phat");
        assert_eq!(fold("Đặng Thị Ánh"), "dang thi anh");
        assert_eq!(fold("Ho\u{0300}a"), "hoa");
    }
}
