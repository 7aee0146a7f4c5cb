//! JSON items: LGSP's own layouts and the dvhcvn `merges.json`/`splits.json`.

use super::{COMMUNE_LEVEL, Collected, PROVINCE_LEVEL, item};
use crate::{Item, Location, ParsedItem, Problem, ProblemKind, UnitLevel};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Parses a JSON document; a syntax error is `Unreadable` at its line.
pub(super) fn document(text: &str) -> Result<Value, Problem> {
    serde_json::from_str(text).map_err(|e| {
        Problem::at(
            ProblemKind::Unreadable,
            Location::Line(e.line()),
            format!("not JSON: {e}"),
        )
    })
}

/// The two dvhcvn layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// `merges.json`: grouped by new unit (34 provinces, 3,321 communes),
    /// each with the old units it took in (`merges`).
    Merges,
    /// `splits.json`: grouped by old unit (63 provinces, 10,047 communes in
    /// `level3s`), each with the new units it went to (`splits`).
    Splits,
}

/// The layout and `data` array of a dvhcvn document, told apart by the key
/// that lists the other side of each province (`merges` or `splits`).
pub(super) fn dvhcvn(root: &Value) -> Result<(Layout, &[Value]), Problem> {
    let unreadable = || {
        Problem::whole(
            ProblemKind::Unreadable,
            "expected the dvhcvn merges.json or splits.json layout: \
             {\"data\": [{\"level1_id\": ..., \"merges\" or \"splits\": [...]}]}",
        )
    };
    let Some(Value::Array(data)) = root.get("data") else {
        return Err(unreadable());
    };
    let layout = match data.first() {
        // No provinces: either layout reads as nothing.
        None => Layout::Merges,
        Some(first) if first.get("merges").is_some() => Layout::Merges,
        Some(first) if first.get("splits").is_some() => Layout::Splits,
        Some(_) => return Err(unreadable()),
    };
    Ok((layout, data))
}

/// The text of `key` in `record`, trimmed; `MissingField` when it is absent
/// or blank, `BadValue` when it is not a string.
pub(super) fn text<'a>(record: &'a Value, key: &str, path: &str) -> Result<&'a str, Problem> {
    match record.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        None | Some(Value::Null) | Some(Value::String(_)) => Err(Problem::at(
            ProblemKind::MissingField,
            Location::Record(path.to_owned()),
            format!("no `{key}`"),
        )),
        Some(other) => Err(Problem::at(
            ProblemKind::BadValue,
            Location::Record(path.to_owned()),
            format!("`{key}` is {other}, not a string"),
        )),
    }
}

/// The array under `key` in `record`; absent is an empty list when
/// `required` is false.
pub(super) fn list<'a>(
    record: &'a Value,
    key: &str,
    path: &str,
    required: bool,
) -> Result<&'a [Value], Problem> {
    match record.get(key) {
        Some(Value::Array(items)) => Ok(items),
        None | Some(Value::Null) if !required => Ok(&[]),
        None | Some(Value::Null) => Err(Problem::at(
            ProblemKind::MissingField,
            Location::Record(path.to_owned()),
            format!("no `{key}` list"),
        )),
        Some(_) => Err(Problem::at(
            ProblemKind::BadValue,
            Location::Record(path.to_owned()),
            format!("`{key}` is not a list"),
        )),
    }
}

/// Reads JSON items in any of the accepted layouts.
pub(super) fn items(text: &str, level: UnitLevel, out: &mut Collected<ParsedItem>) {
    let root = match document(text) {
        Ok(root) => root,
        Err(problem) => return out.problem(problem),
    };
    match &root {
        Value::Array(records) => item_records(records, "", out),
        Value::Object(map) if map.contains_key("items") => match map.get("items") {
            Some(Value::Array(records)) => item_records(records, "items", out),
            _ => out.problem(Problem::whole(
                ProblemKind::Unreadable,
                "`items` is not a list of items",
            )),
        },
        Value::Object(map) if map.contains_key("data") => match dvhcvn(&root) {
            Ok((layout, data)) => dvhcvn_items(layout, data, level, out),
            Err(problem) => out.problem(problem),
        },
        _ => out.problem(Problem::whole(
            ProblemKind::Unreadable,
            "expected a list of items, {\"items\": [...]}, or the dvhcvn merges.json or \
             splits.json layout",
        )),
    }
}

fn item_records(records: &[Value], prefix: &str, out: &mut Collected<ParsedItem>) {
    for (index, record) in records.iter().enumerate() {
        let path = format!("{prefix}[{index}]");
        match item_record(record, &path) {
            Ok(item) => out.item(item, Location::Record(path)),
            Err(problem) => out.problem(problem),
        }
    }
}

/// One item object; an empty code or name is a missing field, as in CSV.
fn item_record(record: &Value, path: &str) -> Result<Item, Problem> {
    if !record.is_object() {
        return Err(Problem::at(
            ProblemKind::BadValue,
            Location::Record(path.to_owned()),
            format!("expected an item object, found {record}"),
        ));
    }
    text(record, "code", path)?;
    text(record, "name", path)?;
    let read = Item::deserialize(record).map_err(|e| {
        Problem::at(
            ProblemKind::BadValue,
            Location::Record(path.to_owned()),
            e.to_string(),
        )
    })?;
    Ok(item(
        &read.code,
        &read.name,
        read.parent.as_deref(),
        read.level.as_deref(),
        read.attributes,
    ))
}

/// The provinces or communes of a dvhcvn document. Communes get the code of
/// the province they are listed under as parent.
fn dvhcvn_items(layout: Layout, data: &[Value], level: UnitLevel, out: &mut Collected<ParsedItem>) {
    // splits.json's `level2s` are the island districts, not communes.
    let (units, id_key) = match layout {
        Layout::Merges => ("level2s", "level2_id"),
        Layout::Splits => ("level3s", "level3_id"),
    };
    for (i, province) in data.iter().enumerate() {
        let path = format!("data[{i}]");
        let code = text(province, "level1_id", &path);
        if level == UnitLevel::Province {
            match code.and_then(|code| Ok((code, text(province, "name", &path)?))) {
                Ok((code, name)) => out.item(unit(code, name, None, PROVINCE_LEVEL), at(path)),
                Err(problem) => out.problem(problem),
            }
            continue;
        }
        let parent = code.map_err(|problem| out.problem(problem)).ok();
        let communes = match list(province, units, &path, true) {
            Ok(communes) => communes,
            Err(problem) => {
                out.problem(problem);
                continue;
            }
        };
        for (j, commune) in communes.iter().enumerate() {
            let path = format!("{path}.{units}[{j}]");
            let read = text(commune, id_key, &path)
                .and_then(|code| Ok((code, text(commune, "name", &path)?)));
            match read {
                Ok((code, name)) => out.item(unit(code, name, parent, COMMUNE_LEVEL), at(path)),
                Err(problem) => out.problem(problem),
            }
        }
    }
}

fn unit(code: &str, name: &str, parent: Option<&str>, level: &str) -> Item {
    item(code, name, parent, Some(level), BTreeMap::new())
}

fn at(path: String) -> Location {
    Location::Record(path)
}

#[cfg(test)]
mod tests {
    use crate::import::parse_items;
    use crate::{ItemFormat, Location, ProblemKind, UnitLevel};

    #[test]
    fn reads_an_array_and_reports_bad_records_by_path() {
        let text = r#"[
            {"code": "01", "name": "Hà Nội", "level": "tinh", "attributes": {"nhom": "a"}},
            {"code": "02"},
            {"code": 3, "name": "C"},
            "04",
            {"code": "05", "name": "E", "attributes": {"n": 1}}
        ]"#;
        let problems =
            parse_items(ItemFormat::Json, text, UnitLevel::Province).expect_err("bad records");
        let found: Vec<(ProblemKind, Option<Location>)> =
            problems.iter().map(|p| (p.kind, p.at.clone())).collect();
        let at = |p: &str| Some(Location::Record(p.to_owned()));
        assert_eq!(
            found,
            [
                (ProblemKind::MissingField, at("[1]")),
                (ProblemKind::BadValue, at("[2]")),
                (ProblemKind::BadValue, at("[3]")),
                (ProblemKind::BadValue, at("[4]")),
            ]
        );
        assert!(problems[0].message.contains("name"), "{}", problems[0]);
    }

    #[test]
    fn reads_the_items_object() {
        let text = r#"{"items": [{"code": " 01 ", "name": "Hà Nội", "parent": ""}]}"#;
        let items = parse_items(ItemFormat::Json, text, UnitLevel::Province).expect("valid");
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].item.code, "01");
        assert_eq!(items[0].item.parent, None);
        assert_eq!(items[0].at, Location::Record("items[0]".into()));
    }

    #[test]
    fn malformed_json_is_unreadable_at_its_line() {
        let problems = parse_items(
            ItemFormat::Json,
            "[\n{\"code\": \"01\",\n}",
            UnitLevel::Province,
        )
        .expect_err("malformed");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::Unreadable);
        assert_eq!(problems[0].at, Some(Location::Line(3)));
        assert!(problems[0].message.contains("column"), "{}", problems[0]);
    }

    #[test]
    fn an_unknown_document_shape_is_unreadable() {
        for text in [
            r#"{"rows": []}"#,
            r#"{"data": [{"level1_id": "01"}]}"#,
            "42",
        ] {
            let problems =
                parse_items(ItemFormat::Json, text, UnitLevel::Province).expect_err(text);
            assert_eq!(problems[0].kind, ProblemKind::Unreadable, "{text}");
        }
    }

    #[test]
    fn reads_dvhcvn_units_with_paths_and_parents() {
        let text = r#"{"data": [
            {"level1_id": "31", "name": "Thành phố Hải Phòng", "merges": [],
             "level2s": [{"level2_id": "11948", "name": "Đặc khu Bạch Long Vĩ", "merges": []},
                         {"level2_id": "", "name": "X", "merges": []}]}
        ]}"#;
        let problems =
            parse_items(ItemFormat::Json, text, UnitLevel::Commune).expect_err("empty code");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::MissingField);
        assert_eq!(
            problems[0].at,
            Some(Location::Record("data[0].level2s[1]".into()))
        );
        let provinces = parse_items(ItemFormat::Json, text, UnitLevel::Province).expect("valid");
        assert_eq!(provinces.len(), 1);
        assert_eq!(provinces[0].item.level.as_deref(), Some("tinh"));
        assert_eq!(provinces[0].at, Location::Record("data[0]".into()));
    }
}
