//! What changed between two versions of a catalog: the answer to "diff two
//! versions" and to the change feed ("what changed since version X").

use lgsp_catalogs::Item;
use serde::Serialize;
use std::collections::HashMap;

/// An item whose name changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Renamed {
    /// The code.
    pub code: String,
    /// Name before.
    pub old_name: String,
    /// Name after.
    pub new_name: String,
}

/// An item whose parent changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Reparented {
    /// The code.
    pub code: String,
    /// Parent before.
    pub old_parent: Option<String>,
    /// Parent after.
    pub new_parent: Option<String>,
}

/// The changes from one version to another. An item may appear both in
/// `renamed` and `reparented`; `changed` holds items whose level or
/// attributes changed, as they are in the newer version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Changes {
    /// Items only in the newer version.
    pub added: Vec<Item>,
    /// Items only in the older version.
    pub removed: Vec<Item>,
    /// Same code, new name.
    pub renamed: Vec<Renamed>,
    /// Same code, new parent.
    pub reparented: Vec<Reparented>,
    /// Same code, other attributes changed.
    pub changed: Vec<Item>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.renamed.is_empty()
            && self.reparented.is_empty()
            && self.changed.is_empty()
    }
}

/// Compares two item lists by code; results are in code order.
pub(crate) fn diff(old: &[Item], new: &[Item]) -> Changes {
    let before: HashMap<&str, &Item> = old.iter().map(|i| (i.code.as_str(), i)).collect();
    let after: HashMap<&str, &Item> = new.iter().map(|i| (i.code.as_str(), i)).collect();
    let mut c = Changes::default();
    for item in new {
        match before.get(item.code.as_str()) {
            None => c.added.push(item.clone()),
            Some(was) => {
                if was.name != item.name {
                    c.renamed.push(Renamed {
                        code: item.code.clone(),
                        old_name: was.name.clone(),
                        new_name: item.name.clone(),
                    });
                }
                if was.parent != item.parent {
                    c.reparented.push(Reparented {
                        code: item.code.clone(),
                        old_parent: was.parent.clone(),
                        new_parent: item.parent.clone(),
                    });
                }
                if was.level != item.level || was.attributes != item.attributes {
                    c.changed.push(item.clone());
                }
            }
        }
    }
    c.removed = old
        .iter()
        .filter(|i| !after.contains_key(i.code.as_str()))
        .cloned()
        .collect();
    for list in [&mut c.added, &mut c.removed, &mut c.changed] {
        list.sort_by(|a, b| a.code.cmp(&b.code));
    }
    c.renamed.sort_by(|a, b| a.code.cmp(&b.code));
    c.reparented.sort_by(|a, b| a.code.cmp(&b.code));
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(code: &str, name: &str, parent: Option<&str>) -> Item {
        Item {
            code: code.into(),
            name: name.into(),
            parent: parent.map(Into::into),
            level: None,
            attributes: Default::default(),
        }
    }

    #[test]
    fn finds_added_removed_renamed_and_reparented() {
        let old = [
            item("1", "A", Some("p")),
            item("2", "B", Some("p")),
            item("3", "C", Some("p")),
        ];
        let new = [
            item("1", "A", Some("p")),
            item("2", "B2", Some("q")),
            item("4", "D", None),
        ];
        let c = diff(&old, &new);
        assert_eq!(c.added, vec![item("4", "D", None)]);
        assert_eq!(c.removed, vec![item("3", "C", Some("p"))]);
        assert_eq!(c.renamed.len(), 1);
        assert_eq!(c.renamed[0].new_name, "B2");
        assert_eq!(c.reparented[0].new_parent.as_deref(), Some("q"));
        assert!(c.changed.is_empty());
        assert!(diff(&old, &old).is_empty());
    }
}
