//! Checks an import before anything is written, and reports every problem with
//! where it is: malformed and duplicate codes, dangling parents, overlapping
//! validity, crosswalk codes that do not exist.

use chrono::NaiveDate;
use lgsp_catalogs::{
    CatalogDef, Location, ParsedEntry, ParsedItem, Problem, ProblemKind, VersionInfo, VersionStatus,
};
use std::collections::{HashMap, HashSet};

/// Longest code accepted in any catalog.
const MAX_CODE_LEN: usize = 32;

/// What codes of a catalog look like.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CodeRule {
    /// Exactly this many ASCII digits (administrative units).
    Digits(usize),
    /// 1..=32 characters of `A-Z a-z 0-9 _ . -`.
    Token,
}

impl CodeRule {
    /// The rule for a catalog: GSO administrative codes have fixed widths
    /// (QĐ 124/2004/QĐ-TTg: 2 digits per province, 5 per commune).
    pub(crate) fn for_catalog(code: &str) -> Self {
        match code {
            "dvhc_tinh" => CodeRule::Digits(2),
            "dvhc_xa" => CodeRule::Digits(5),
            _ => CodeRule::Token,
        }
    }

    /// Why `code` breaks the rule, if it does.
    pub(crate) fn check(self, code: &str) -> Option<String> {
        match self {
            CodeRule::Digits(n) => (code.len() != n || !code.bytes().all(|b| b.is_ascii_digit()))
                .then(|| format!("code {code:?} is not {n} digits")),
            CodeRule::Token => (code.is_empty()
                || code.len() > MAX_CODE_LEN
                || !code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')))
            .then(|| {
                format!(
                    "code {code:?} must be 1 to {MAX_CODE_LEN} letters, digits, '_', '.' or '-'"
                )
            }),
        }
    }
}

/// Where parent codes are looked up.
#[derive(Debug)]
pub(crate) enum Parents<'a> {
    /// Parents are not checked (the catalog has none).
    Unchecked,
    /// Parents are items of the same version.
    SameVersion,
    /// Parents are these codes of another catalog's version.
    Other {
        catalog: &'a str,
        codes: &'a HashSet<String>,
    },
}

/// Every problem with the items of a new version.
pub(crate) fn items(
    def: &CatalogDef,
    parsed: &[ParsedItem],
    parents: &Parents<'_>,
) -> Vec<Problem> {
    let rule = CodeRule::for_catalog(&def.code);
    let mut problems = Vec::new();
    if parsed.is_empty() {
        problems.push(Problem::whole(
            ProblemKind::Unreadable,
            "the file holds no items",
        ));
    }
    let mut first_seen: HashMap<&str, &Location> = HashMap::with_capacity(parsed.len());
    for p in parsed {
        if let Some(why) = rule.check(&p.item.code) {
            problems.push(Problem::at(ProblemKind::MalformedCode, p.at.clone(), why));
            continue;
        }
        if let Some(first) = first_seen.get(p.item.code.as_str()) {
            problems.push(Problem::at(
                ProblemKind::DuplicateCode,
                p.at.clone(),
                format!("code {} appears again (first at {first})", p.item.code),
            ));
        } else {
            first_seen.insert(&p.item.code, &p.at);
        }
    }
    for p in parsed {
        let Some(parent) = p.item.parent.as_deref() else {
            continue;
        };
        let known = match parents {
            Parents::Unchecked => true,
            Parents::SameVersion => first_seen.contains_key(parent),
            Parents::Other { codes, .. } => codes.contains(parent),
        };
        if !known {
            let whose = match parents {
                Parents::Other { catalog, .. } => format!("catalog {catalog}"),
                _ => "this version".to_owned(),
            };
            problems.push(Problem::at(
                ProblemKind::DanglingParent,
                p.at.clone(),
                format!(
                    "item {} names parent {parent:?}, which is not an item of {whose}",
                    p.item.code
                ),
            ));
        }
    }
    // In file order, so that a long report reads top to bottom.
    problems.sort_by_key(|p| match &p.at {
        Some(Location::Line(n)) => (0, *n, String::new()),
        Some(Location::Record(path)) => (1, 0, path.clone()),
        None => (2, 0, String::new()),
    });
    problems
}

/// Problems with a new version's validity against the catalog's other
/// versions. A published open-ended version that starts earlier is not a
/// problem: publishing closes it the day before the new one starts.
pub(crate) fn validity(
    label: &str,
    from: NaiveDate,
    to: Option<NaiveDate>,
    others: &[VersionInfo],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if to.is_some_and(|t| t < from) {
        problems.push(Problem::whole(
            ProblemKind::BadValue,
            format!(
                "valid_to {} is before valid_from {from}",
                to.unwrap_or(from)
            ),
        ));
        return problems;
    }
    for other in others {
        if other.version == label || other.status != VersionStatus::Published {
            continue;
        }
        let overlaps = other.valid_from <= to.unwrap_or(NaiveDate::MAX)
            && from <= other.valid_to.unwrap_or(NaiveDate::MAX);
        let closable = other.valid_to.is_none() && other.valid_from < from;
        if overlaps && !closable {
            problems.push(Problem::whole(
                ProblemKind::OverlappingValidity,
                format!(
                    "validity {from} to {} overlaps published version {} ({} to {})",
                    to.map_or("open".to_owned(), |d| d.to_string()),
                    other.version,
                    other.valid_from,
                    other.valid_to.map_or("open".to_owned(), |d| d.to_string()),
                ),
            ));
        }
    }
    problems
}

/// Problems with crosswalk rows: codes that are not in the version they refer
/// to, malformed mappings of one old code, repeated rows.
pub(crate) fn crosswalk(
    entries: &[ParsedEntry],
    from: (&str, &HashSet<String>),
    to: (&str, &HashSet<String>),
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if entries.is_empty() {
        problems.push(Problem::whole(
            ProblemKind::Unreadable,
            "the file holds no crosswalk rows",
        ));
    }
    let mut seen = HashSet::with_capacity(entries.len());
    for e in entries {
        let (old, new) = (&e.entry.old_code, &e.entry.new_code);
        if !from.1.contains(old) {
            problems.push(Problem::at(
                ProblemKind::UnknownCode,
                e.at.clone(),
                format!("old code {old} is not in version {}", from.0),
            ));
        }
        if !to.1.contains(new) {
            problems.push(Problem::at(
                ProblemKind::UnknownCode,
                e.at.clone(),
                format!("new code {new} is not in version {}", to.0),
            ));
        }
        if !seen.insert((old.as_str(), new.as_str())) {
            problems.push(Problem::at(
                ProblemKind::DuplicateCode,
                e.at.clone(),
                format!("the mapping {old} -> {new} appears twice"),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use lgsp_catalogs::Item;

    fn parsed(line: usize, code: &str, parent: Option<&str>) -> ParsedItem {
        ParsedItem {
            item: Item {
                code: code.into(),
                name: format!("Xã {code}"),
                parent: parent.map(Into::into),
                level: None,
                attributes: Default::default(),
            },
            at: Location::Line(line),
        }
    }

    fn def(code: &str) -> CatalogDef {
        CatalogDef {
            code: code.into(),
            name: code.into(),
            owner_agency: "test".into(),
            description: String::new(),
            attributes: Vec::new(),
            parent_catalog: Some("dvhc_tinh".into()),
        }
    }

    #[test]
    fn reports_every_problem_with_its_line() {
        let provinces: HashSet<String> = ["01".to_owned()].into();
        let items = vec![
            parsed(2, "00001", Some("01")),
            parsed(3, "0002", Some("01")),
            parsed(4, "00001", Some("01")),
            parsed(5, "00005", Some("99")),
        ];
        let problems = super::items(
            &def("dvhc_xa"),
            &items,
            &Parents::Other {
                catalog: "dvhc_tinh",
                codes: &provinces,
            },
        );
        let got: Vec<_> = problems.iter().map(|p| (p.kind, p.at.clone())).collect();
        assert_eq!(
            got,
            vec![
                (ProblemKind::MalformedCode, Some(Location::Line(3))),
                (ProblemKind::DuplicateCode, Some(Location::Line(4))),
                (ProblemKind::DanglingParent, Some(Location::Line(5))),
            ]
        );
        assert!(
            problems[1].message.contains("first at line 2"),
            "{}",
            problems[1].message
        );
    }

    #[test]
    fn overlapping_validity_is_refused_unless_it_closes_an_open_version() {
        let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let v = |label: &str, from: &str, to: Option<&str>| VersionInfo {
            catalog: "x".into(),
            version: label.into(),
            valid_from: day(from),
            valid_to: to.map(day),
            status: VersionStatus::Published,
            items: 1,
            digest: String::new(),
            source: String::new(),
        };
        let others = [
            v("a", "2008-08-01", Some("2025-06-30")),
            v("b", "2025-07-01", None),
        ];
        assert!(validity("c", day("2026-01-01"), None, &others).is_empty());
        let p = validity("c", day("2025-01-01"), None, &others);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p.iter().all(|p| p.kind == ProblemKind::OverlappingValidity));
        assert_eq!(
            validity("c", day("2026-01-01"), Some(day("2025-01-01")), &[])[0].kind,
            ProblemKind::BadValue
        );
    }
}
