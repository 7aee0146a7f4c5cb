//! A flat code list (code, name, optional extra attribute) and its CSV form.

use crate::NameIndex;
use std::collections::HashMap;
use std::sync::OnceLock;

/// One entry of a code list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The code, e.g. `01`.
    pub code: String,
    /// The Vietnamese name, e.g. `Thành phố Hà Nội`.
    pub name: String,
    /// A third column when the list has one (e.g. the successor code).
    pub extra: Option<String>,
}

/// A code list with lookup by code.
#[derive(Debug, Clone)]
pub struct CodeList {
    id: &'static str,
    title: &'static str,
    items: Vec<Item>,
    by_code: HashMap<String, usize>,
    /// Built on the first lookup by name: connectors load the lists to check
    /// identifiers (province codes) in every fresh instance and never look
    /// names up.
    by_name: OnceLock<NameIndex>,
}

impl CodeList {
    /// Parses a list the project embeds. The files are checked by this crate's
    /// tests, so a malformed line is a build defect and is skipped rather than
    /// turned into a run-time failure.
    pub(crate) fn parse_embedded(id: &'static str, title: &'static str, csv: &str) -> Self {
        let items: Vec<Item> = csv
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .filter_map(|line| {
                let mut cols = split_csv_line(line).into_iter();
                let code = cols.next()?;
                let name = cols.next()?;
                // Anything after the name is the extra attribute, commas and all,
                // as the previous `splitn(3, ',')` reading gave it.
                let rest: Vec<String> = cols.collect();
                let extra = (!rest.is_empty()).then(|| rest.join(","));
                Some(Item { code, name, extra })
            })
            .collect();
        let by_code = items
            .iter()
            .enumerate()
            .map(|(i, item)| (item.code.clone(), i))
            .collect();
        Self {
            id,
            title,
            items,
            by_code,
            by_name: OnceLock::new(),
        }
    }

    /// The catalog identifier, e.g. `dvhc_tinh`.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// A one-line description of the list.
    pub fn title(&self) -> &'static str {
        self.title
    }

    /// All items in file order.
    pub fn items(&self) -> &[Item] {
        &self.items
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The item with this code.
    pub fn get(&self, code: &str) -> Option<&Item> {
        self.by_code.get(code).map(|&i| &self.items[i])
    }

    /// The first item whose name equals `name`, ignoring case.
    pub fn find_by_name(&self, name: &str) -> Option<&Item> {
        let wanted = name.trim().to_lowercase();
        self.items.iter().find(|i| i.name.to_lowercase() == wanted)
    }

    /// The code a value stands for, as the platform maps values to codes:
    /// the value itself (trimmed) when it is a code, else the code of the one
    /// item whose name matches ignoring case, accents, spacing and the
    /// unit-type prefix ([`NameIndex`]); `None` when unknown or ambiguous.
    pub fn code_for(&self, value: &str) -> Option<&str> {
        let v = value.trim();
        self.get(v)
            .or_else(|| {
                let by_name = self
                    .by_name
                    .get_or_init(|| NameIndex::new(self.items.iter().map(|i| i.name.as_str())));
                by_name.find(v).map(|i| &self.items[i])
            })
            .map(|i| i.code.as_str())
    }
}

/// Splits one CSV line into trimmed fields. A field may be wrapped in double
/// quotes so that it can contain commas (official names such as "Đất thương
/// mại, dịch vụ" do); inside quotes `""` stands for one `"`.
pub(crate) fn split_csv_line(line: &str) -> Vec<String> {
    let mut record = CsvRecord::default();
    record.feed(line);
    record.finish()
}

/// One CSV record read line by line, so that a quoted field may span lines
/// (the importer's records can hold names with line breaks). Feeding lines
/// one at a time keeps reading linear even when a quote is never closed.
#[derive(Debug, Default)]
pub(crate) struct CsvRecord {
    fields: Vec<String>,
    field: String,
    quoted: bool,
}

impl CsvRecord {
    /// Reads one line (without its line break) into the record; `true` when
    /// the record is complete, `false` when a quoted field continues on the
    /// next line.
    pub(crate) fn feed(&mut self, line: &str) -> bool {
        if self.quoted {
            // The line break was inside quotes, so it belongs to the field.
            self.field.push('\n');
        }
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if self.quoted => {
                    if chars.next_if_eq(&'"').is_some() {
                        self.field.push('"');
                    } else {
                        self.quoted = false;
                    }
                }
                // A quote opens a quoted section only at the start of a field.
                '"' if self.field.trim().is_empty() => {
                    self.field.clear();
                    self.quoted = true;
                }
                ',' if !self.quoted => {
                    let field = std::mem::take(&mut self.field);
                    self.fields.push(field.trim().to_owned());
                }
                _ => self.field.push(c),
            }
        }
        !self.quoted
    }

    /// The record's fields, trimmed; the record is empty again afterwards.
    pub(crate) fn finish(&mut self) -> Vec<String> {
        let field = std::mem::take(&mut self.field);
        self.fields.push(field.trim().to_owned());
        self.quoted = false;
        std::mem::take(&mut self.fields)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_may_contain_commas_and_quotes() {
        assert_eq!(
            split_csv_line(r#"TMD,"Đất thương mại, dịch vụ""#),
            ["TMD", "Đất thương mại, dịch vụ"]
        );
        assert_eq!(
            split_csv_line(r#" 01 , "Tên ""trích dẫn""" , x"#),
            ["01", r#"Tên "trích dẫn""#, "x"]
        );
        assert_eq!(split_csv_line("a,,c,"), ["a", "", "c", ""]);
        assert_eq!(split_csv_line("a"), ["a"]);
    }

    #[test]
    fn a_quoted_field_may_span_lines() {
        let mut record = CsvRecord::default();
        assert!(!record.feed(r#"01,"Dòng một"#));
        assert!(record.feed(r#"dòng hai",x"#));
        assert_eq!(record.finish(), ["01", "Dòng một\ndòng hai", "x"]);
        // The record starts afresh after `finish`.
        assert!(record.feed("a,b"));
        assert_eq!(record.finish(), ["a", "b"]);
    }

    #[test]
    fn parses_lists_with_quoted_names() {
        let list = CodeList::parse_embedded(
            "t",
            "test",
            "ma,ten,them\nTMD,\"Đất thương mại, dịch vụ\"\nONT,Đất ở tại nông thôn,x,y\n\n",
        );
        assert_eq!(list.len(), 2);
        let tmd = list.get("TMD").expect("TMD");
        assert_eq!(tmd.name, "Đất thương mại, dịch vụ");
        assert_eq!(tmd.extra, None);
        assert_eq!(
            list.find_by_name("đất thương mại, dịch vụ")
                .map(|i| i.code.as_str()),
            Some("TMD")
        );
        // As before, everything after the name is the extra attribute.
        assert_eq!(
            list.get("ONT").and_then(|i| i.extra.as_deref()),
            Some("x,y")
        );
    }

    #[test]
    fn the_land_use_list_keeps_names_with_commas() {
        let list = crate::land_use_types();
        assert_eq!(
            list.get("TMD").map(|i| i.name.as_str()),
            Some("Đất thương mại, dịch vụ")
        );
        assert_eq!(
            list.find_by_name("Đất ở tại đô thị")
                .map(|i| i.code.as_str()),
            Some("ODT")
        );
        for item in list.items() {
            assert_eq!(item.code.len(), 3, "{}", item.code);
            assert!(
                matches!(item.extra.as_deref(), Some("NNP" | "PNN" | "CSD")),
                "{}",
                item.code
            );
        }
    }
}
