//! Writers for catalog items, in the CSV and JSON layouts that
//! [`crate::import::parse_items`] reads back.

use crate::Item;
use serde_json::{Map, Value};

/// Writes items as CSV with the header `ma,ten,ma_cha,cap` followed by the
/// given attribute columns.
///
/// A field holding a comma, a double quote or a line break is quoted (`"`
/// doubled inside); an absent parent, level or attribute is an empty cell.
/// Attributes not named in `attributes` are left out. The import reads the
/// file back to the same items when attribute names are lower case and
/// values are non-empty and carry no leading or trailing spaces.
///
/// # Examples
/// ```
/// use lgsp_catalogs::{Item, export::items_csv};
///
/// let item = Item {
///     code: "TMD".into(),
///     name: "Đất thương mại, dịch vụ".into(),
///     parent: None,
///     level: None,
///     attributes: [("nhom".to_owned(), "PNN".to_owned())].into(),
/// };
/// assert_eq!(
///     items_csv(&[item], &["nhom".to_owned()]),
///     "ma,ten,ma_cha,cap,nhom\nTMD,\"Đất thương mại, dịch vụ\",,,PNN\n"
/// );
/// ```
pub fn items_csv(items: &[Item], attributes: &[String]) -> String {
    let mut out = String::new();
    let header = ["ma", "ten", "ma_cha", "cap"]
        .into_iter()
        .chain(attributes.iter().map(String::as_str));
    write_row(&mut out, header);
    for item in items {
        let fields = [
            item.code.as_str(),
            item.name.as_str(),
            item.parent.as_deref().unwrap_or_default(),
            item.level.as_deref().unwrap_or_default(),
        ]
        .into_iter()
        .chain(
            attributes
                .iter()
                .map(|a| item.attributes.get(a).map_or("", String::as_str)),
        );
        write_row(&mut out, fields);
    }
    out
}

/// Writes items as a pretty-printed `{"items": [...]}` document, each item
/// with `code`, `name` and, when present, `parent`, `level` and
/// `attributes` — the form [`Item`] has in the HTTP API.
pub fn items_json(items: &[Item]) -> String {
    let items = items.iter().map(item_json).collect();
    let document = Value::Object(Map::from_iter([("items".to_owned(), Value::Array(items))]));
    format!("{document:#}\n")
}

fn write_row<'a>(out: &mut String, fields: impl Iterator<Item = &'a str>) {
    for (i, field) in fields.enumerate() {
        if i > 0 {
            out.push(',');
        }
        if field.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&field.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(field);
        }
    }
    out.push('\n');
}

/// Built by hand rather than through `serde_json::to_value`, which returns
/// an error this cannot have.
fn item_json(item: &Item) -> Value {
    let text = |s: &str| Value::String(s.to_owned());
    let mut map = Map::new();
    map.insert("code".into(), text(&item.code));
    map.insert("name".into(), text(&item.name));
    if let Some(parent) = &item.parent {
        map.insert("parent".into(), text(parent));
    }
    if let Some(level) = &item.level {
        map.insert("level".into(), text(level));
    }
    if !item.attributes.is_empty() {
        let attributes = item
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), text(v)))
            .collect();
        map.insert("attributes".into(), Value::Object(attributes));
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::parse_items;
    use crate::{ItemFormat, UnitLevel};
    use std::collections::BTreeMap;

    fn sample() -> Vec<Item> {
        let attributes = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        vec![
            Item {
                code: "01".into(),
                name: "Thành phố Hà Nội".into(),
                parent: None,
                level: Some("tinh".into()),
                attributes: attributes(&[("loai", "Thành phố"), ("ghi_chu", "a, \"b\"")]),
            },
            Item {
                code: "00004".into(),
                name: "Phường Ba Đình, \"cũ\"".into(),
                parent: Some("01".into()),
                level: Some("xa".into()),
                attributes: attributes(&[("ghi_chu", "dòng 1\ndòng 2")]),
            },
            Item {
                code: "00008".into(),
                name: "Phường Ngọc Hà".into(),
                parent: Some("01".into()),
                level: None,
                attributes: BTreeMap::new(),
            },
        ]
    }

    fn items_of(parsed: Vec<crate::ParsedItem>) -> Vec<Item> {
        parsed.into_iter().map(|p| p.item).collect()
    }

    #[test]
    fn csv_round_trips_with_parents_and_attributes() {
        let items = sample();
        let csv = items_csv(&items, &["loai".to_owned(), "ghi_chu".to_owned()]);
        assert!(csv.starts_with("ma,ten,ma_cha,cap,loai,ghi_chu\n"), "{csv}");
        let back = parse_items(ItemFormat::Csv, &csv, UnitLevel::Commune).expect("reads back");
        assert_eq!(items_of(back), items);
    }

    #[test]
    fn csv_leaves_out_attributes_not_asked_for() {
        let csv = items_csv(&sample()[..1], &["loai".to_owned()]);
        assert_eq!(
            csv,
            "ma,ten,ma_cha,cap,loai\n01,Thành phố Hà Nội,,tinh,Thành phố\n"
        );
    }

    #[test]
    fn json_round_trips_with_parents_and_attributes() {
        let items = sample();
        let json = items_json(&items);
        let back = parse_items(ItemFormat::Json, &json, UnitLevel::Commune).expect("reads back");
        assert_eq!(items_of(back), items);
        // Absent optionals are left out rather than written as null.
        let third: Value = serde_json::from_str::<Value>(&json).expect("JSON")["items"][2].clone();
        assert_eq!(third.get("level"), None);
        assert_eq!(third.get("attributes"), None);
        assert_eq!(items_json(&[]).trim(), "{\n  \"items\": []\n}");
    }
}
