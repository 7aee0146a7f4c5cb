//! Text helpers shared by the catalogs and the connectors.

use std::collections::HashMap;

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

/// Items found by name as the platform matches names: each item is known by
/// its [`name_key`] and by that key without its unit-type prefix
/// ([`strip_unit_prefix`]); a value's key is looked up first, then (only if
/// no item is known by it) its key without prefix. A key several items share
/// finds nothing, so an ambiguous name never picks one of them.
///
/// # Examples
/// ```
/// use lgsp_catalogs::NameIndex;
/// let index = NameIndex::new(["Xã Tân Phú", "Phường Tân Phú", "Xã An Bình"]);
/// assert_eq!(index.find("phuong  tan phu"), Some(1));
/// assert_eq!(index.find("An Bình"), Some(2));
/// assert_eq!(index.find("Tân Phú"), None); // two communes
/// ```
#[derive(Debug, Clone, Default)]
pub struct NameIndex(HashMap<String, Hit>);

/// Who a key stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hit {
    One(usize),
    Many,
}

impl NameIndex {
    /// Indexes `names`; [`Self::find`] answers with positions in this order.
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut keys = HashMap::new();
        for (i, name) in names.into_iter().enumerate() {
            let key = name_key(name);
            if let Some(bare) = strip_unit_prefix(&key) {
                Self::insert(&mut keys, bare.to_owned(), i);
            }
            Self::insert(&mut keys, key, i);
        }
        Self(keys)
    }

    fn insert(keys: &mut HashMap<String, Hit>, key: String, i: usize) {
        keys.entry(key)
            .and_modify(|hit| {
                if *hit != Hit::One(i) {
                    *hit = Hit::Many;
                }
            })
            .or_insert(Hit::One(i));
    }

    /// The position of the one name `value` matches, if exactly one does.
    pub fn find(&self, value: &str) -> Option<usize> {
        let key = name_key(value);
        let hit = self
            .0
            .get(&key)
            .or_else(|| strip_unit_prefix(&key).and_then(|bare| self.0.get(bare)))?;
        match *hit {
            Hit::One(i) => Some(i),
            Hit::Many => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{NameIndex, fold, name_key, strip_unit_prefix};

    /// The code of the one item `(code, name)` whose name matches `value`.
    fn by_name<'a>(items: &[(&'a str, &str)], value: &str) -> Option<&'a str> {
        let index = NameIndex::new(items.iter().map(|&(_, name)| name));
        index.find(value).map(|i| items[i].0)
    }

    #[test]
    fn ambiguous_names_match_nothing() {
        let items = [
            ("1", "Xã Tân Phú"),
            ("2", "Phường Tân Phú"),
            ("3", "Xã An Bình"),
        ];
        assert_eq!(by_name(&items, "Tân Phú"), None);
        assert_eq!(by_name(&items, "Xã Tân Phú"), Some("1"));
        assert_eq!(by_name(&items, "phuong  tan phu"), Some("2"));
        assert_eq!(by_name(&items, "an binh"), Some("3"));
        assert_eq!(by_name(&items, "Thị trấn An Bình"), Some("3"));
        assert_eq!(by_name(&items, "Bình"), None);
    }

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
