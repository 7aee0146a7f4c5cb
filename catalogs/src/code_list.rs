//! A flat code list (code, name, optional extra attribute) and its CSV form.

use std::collections::HashMap;

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
                let mut cols = line.splitn(3, ',');
                let code = cols.next()?.trim().to_owned();
                let name = cols.next()?.trim().to_owned();
                let extra = cols.next().map(|s| s.trim().to_owned());
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
}
