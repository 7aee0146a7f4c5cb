//! Crosswalk readers: CSV and the dvhcvn `merges.json`/`splits.json`.

use super::csv::{header, records};
use super::json::{Layout, document, dvhcvn, list, text};
use super::{Collected, district_skipped, header_key, is_district_code};
use crate::{CrosswalkEntry, Location, MappingKind, ParsedEntry, Problem, ProblemKind, UnitLevel};
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Where the rows of a crosswalk go.
struct Rows<'a> {
    level: UnitLevel,
    out: &'a mut Collected<ParsedEntry>,
    skipped: &'a mut Vec<Problem>,
}

impl Rows<'_> {
    /// Records a row, or skips it when it maps an island district in a
    /// commune crosswalk.
    fn row(
        &mut self,
        old: &str,
        old_name: Option<&str>,
        new: &str,
        kind: MappingKind,
        at: Location,
    ) {
        if self.level == UnitLevel::Commune && is_district_code(old) {
            self.skipped.push(district_skipped(old, old_name, new, at));
            return;
        }
        self.out.push(ParsedEntry {
            entry: CrosswalkEntry {
                old_code: old.to_owned(),
                new_code: new.to_owned(),
                mapping: kind,
            },
            at,
        });
    }

    fn problem(&mut self, problem: Problem) {
        self.out.problem(problem);
    }
}

/// `full`/`toan_bo` or `partial`/`mot_phan`, in any case, with or without accents.
fn mapping_kind(value: &str) -> Option<MappingKind> {
    match header_key(value).as_str() {
        "full" | "toanbo" => Some(MappingKind::Full),
        "partial" | "motphan" => Some(MappingKind::Partial),
        _ => None,
    }
}

fn bad_kind(value: &str, at: Location) -> Problem {
    Problem::at(
        ProblemKind::BadValue,
        at,
        format!("mapping {value:?} is neither full (toan_bo) nor partial (mot_phan)"),
    )
}

/// Reads a dvhcvn crosswalk.
pub(super) fn json(
    text: &str,
    level: UnitLevel,
    out: &mut Collected<ParsedEntry>,
    skipped: &mut Vec<Problem>,
) {
    let root = match document(text) {
        Ok(root) => root,
        Err(problem) => return out.problem(problem),
    };
    let (layout, data) = match dvhcvn(&root) {
        Ok(found) => found,
        Err(problem) => return out.problem(problem),
    };
    let mut rows = Rows {
        level,
        out,
        skipped,
    };
    for (i, province) in data.iter().enumerate() {
        let path = format!("data[{i}]");
        match (layout, level) {
            (Layout::Merges, UnitLevel::Province) => {
                merged(province, "level1_id", &path, &mut rows)
            }
            (Layout::Splits, UnitLevel::Province) => split(province, "level1_id", &path, &mut rows),
            (Layout::Merges, UnitLevel::Commune) => {
                each(province, "level2s", &path, true, &mut rows, |c, p, rows| {
                    merged(c, "level2_id", p, rows);
                });
            }
            (Layout::Splits, UnitLevel::Commune) => {
                each(province, "level3s", &path, true, &mut rows, |c, p, rows| {
                    split(c, "level3_id", p, rows);
                });
                // The island districts without communes (only five provinces
                // list any).
                each(province, "level2s", &path, false, &mut rows, district);
            }
        }
    }
}

/// Calls `read` for each record of the list `key` in `record`, with its path.
fn each<'v>(
    record: &'v Value,
    key: &str,
    path: &str,
    required: bool,
    rows: &mut Rows<'_>,
    mut read: impl FnMut(&'v Value, &str, &mut Rows<'_>),
) {
    match list(record, key, path, required) {
        Ok(records) => {
            for (j, unit) in records.iter().enumerate() {
                read(unit, &format!("{path}.{key}[{j}]"), rows);
            }
        }
        Err(problem) => rows.problem(problem),
    }
}

/// The `merges` of a new unit: each old unit with its `type`.
fn merged(unit: &Value, id_key: &str, path: &str, rows: &mut Rows<'_>) {
    let new = match text(unit, id_key, path) {
        Ok(new) => new,
        Err(problem) => return rows.problem(problem),
    };
    each(unit, "merges", path, true, rows, |entry, at, rows| {
        let read = text(entry, "old_id", at).and_then(|old| Ok((old, text(entry, "type", at)?)));
        let (old, kind) = match read {
            Ok(read) => read,
            Err(problem) => return rows.problem(problem),
        };
        let at = Location::Record(at.to_owned());
        let name = entry.get("name").and_then(Value::as_str);
        match mapping_kind(kind) {
            Some(kind) => rows.row(old, name, new, kind, at),
            // A district's row is skipped whatever its type says.
            None if rows.level == UnitLevel::Commune && is_district_code(old) => {
                rows.row(old, name, new, MappingKind::Full, at);
            }
            None => rows.problem(bad_kind(kind, at)),
        }
    });
}

/// The `splits` of an old unit. They state no kind: one distinct target
/// means the whole unit went there, several mean each took a part.
fn split(unit: &Value, id_key: &str, path: &str, rows: &mut Rows<'_>) {
    let old = match text(unit, id_key, path) {
        Ok(old) => old,
        Err(problem) => return rows.problem(problem),
    };
    let mut targets = Vec::new();
    each(
        unit,
        "splits",
        path,
        true,
        rows,
        |entry, at, rows| match text(entry, "new_id", at) {
            Ok(new) => targets.push((new, Location::Record(at.to_owned()))),
            Err(problem) => rows.problem(problem),
        },
    );
    let distinct: HashSet<&str> = targets.iter().map(|(new, _)| *new).collect();
    let kind = if distinct.len() > 1 {
        MappingKind::Partial
    } else {
        MappingKind::Full
    };
    let name = unit.get("name").and_then(Value::as_str);
    for (new, at) in targets {
        rows.row(old, name, new, kind, at);
    }
}

/// An island district of `splits.json`: not a commune, so each of its rows
/// is skipped, whatever its code.
fn district(unit: &Value, path: &str, rows: &mut Rows<'_>) {
    let old = match text(unit, "level2_id", path) {
        Ok(old) => old,
        Err(problem) => return rows.problem(problem),
    };
    let name = unit.get("name").and_then(Value::as_str);
    each(
        unit,
        "splits",
        path,
        true,
        rows,
        |entry, at, rows| match text(entry, "new_id", at) {
            Ok(new) => {
                let at = Location::Record(at.to_owned());
                rows.skipped.push(district_skipped(old, name, new, at));
            }
            Err(problem) => rows.problem(problem),
        },
    );
}

const CROSSWALK_HEADER: &str = "old_code,new_code,mapping (or ma_cu,ma_moi,kieu)";

/// Reads a crosswalk CSV.
pub(super) fn csv(
    text: &str,
    level: UnitLevel,
    out: &mut Collected<ParsedEntry>,
    skipped: &mut Vec<Problem>,
) {
    let mut records = records(text);
    let head = match header(&mut records, CROSSWALK_HEADER) {
        Ok(head) => head,
        Err(problem) => return out.problem(problem),
    };
    let keys: Vec<String> = head.fields.iter().map(|f| header_key(f)).collect();
    let find = |names: [&str; 2]| keys.iter().position(|k| names.contains(&k.as_str()));
    let (Some(old_col), Some(new_col)) = (find(["oldcode", "macu"]), find(["newcode", "mamoi"]))
    else {
        return out.problem(Problem::whole(
            ProblemKind::Unreadable,
            format!("no header row {CROSSWALK_HEADER}"),
        ));
    };
    let kind_col = find(["mapping", "kieu"]);
    // Rows wait until all are read when the kind must be inferred.
    let mut read: Vec<(String, String, Option<MappingKind>, usize)> = Vec::new();
    for record in records {
        let row = record.and_then(|r| {
            r.check_width(head.fields.len())?;
            let (old, new) = (r.get(old_col), r.get(new_col));
            let kind = kind_col.map(|c| r.get(c));
            let missing = [(old, "old code"), (new, "new code")]
                .into_iter()
                .chain(kind.map(|k| (k, "mapping")))
                .find(|(value, _)| value.is_empty());
            if let Some((_, what)) = missing {
                return Err(Problem::at(
                    ProblemKind::MissingField,
                    r.at(),
                    format!("no {what}"),
                ));
            }
            let kind = match kind {
                Some(k) => Some(mapping_kind(k).ok_or_else(|| bad_kind(k, r.at()))?),
                None => None,
            };
            Ok((old.to_owned(), new.to_owned(), kind, r.line))
        });
        match row {
            Ok(row) => read.push(row),
            Err(problem) => out.problem(problem),
        }
    }
    let mut targets: HashMap<&str, HashSet<&str>> = HashMap::new();
    if kind_col.is_none() {
        for (old, new, _, _) in &read {
            targets.entry(old).or_default().insert(new);
        }
    }
    let inferred = |old: &str| match targets.get(old) {
        Some(news) if news.len() > 1 => MappingKind::Partial,
        _ => MappingKind::Full,
    };
    let mut rows = Rows {
        level,
        out,
        skipped,
    };
    for (old, new, kind, line) in &read {
        let kind = kind.unwrap_or_else(|| inferred(old));
        rows.row(old, None, new, kind, Location::Line(*line));
    }
}

#[cfg(test)]
mod tests {
    use crate::import::parse_crosswalk;
    use crate::{CrosswalkFormat, Location, MappingKind, ProblemKind, UnitLevel};

    fn pairs(text: &str, level: UnitLevel) -> Vec<(String, String, MappingKind)> {
        parse_crosswalk(CrosswalkFormat::Csv, text, level)
            .expect("valid")
            .entries
            .into_iter()
            .map(|e| (e.entry.old_code, e.entry.new_code, e.entry.mapping))
            .collect()
    }

    fn row(old: &str, new: &str, kind: MappingKind) -> (String, String, MappingKind) {
        (old.into(), new.into(), kind)
    }

    #[test]
    fn reads_csv_in_either_language() {
        use MappingKind::{Full, Partial};
        let english = "old_code,new_code,mapping\n00001,00097,full\n00007,00008,PARTIAL\n";
        assert_eq!(
            pairs(english, UnitLevel::Commune),
            [row("00001", "00097", Full), row("00007", "00008", Partial)]
        );
        let vietnamese =
            "Mã cũ,Mã mới,Kiểu,Ghi chú\n00001,00097,toàn bộ,x\n00007,00008,mot_phan,\n";
        assert_eq!(
            pairs(vietnamese, UnitLevel::Commune),
            [row("00001", "00097", Full), row("00007", "00008", Partial)]
        );
    }

    #[test]
    fn without_a_mapping_column_the_kind_is_inferred() {
        use MappingKind::{Full, Partial};
        let text = "ma_cu,ma_moi\n00001,00097\n00007,00008\n00007,00025\n";
        assert_eq!(
            pairs(text, UnitLevel::Commune),
            [
                row("00001", "00097", Full),
                row("00007", "00008", Partial),
                row("00007", "00025", Partial)
            ]
        );
    }

    #[test]
    fn csv_problems_have_lines_and_districts_are_skipped() {
        let text =
            "old_code,new_code,mapping\n00001,00097,full\n,00008,full\n00007,00008,most\n00009\n";
        let problems =
            parse_crosswalk(CrosswalkFormat::Csv, text, UnitLevel::Commune).expect_err("invalid");
        let found: Vec<(ProblemKind, Option<Location>)> =
            problems.iter().map(|p| (p.kind, p.at.clone())).collect();
        assert_eq!(
            found,
            [
                (ProblemKind::MissingField, Some(Location::Line(3))),
                (ProblemKind::BadValue, Some(Location::Line(4))),
                (ProblemKind::BadValue, Some(Location::Line(5))),
            ]
        );
        let islands = "old_code,new_code,mapping\n318,11948,full\n00001,00097,full\n";
        let read =
            parse_crosswalk(CrosswalkFormat::Csv, islands, UnitLevel::Commune).expect("valid");
        assert_eq!(read.entries.len(), 1);
        assert_eq!(read.skipped.len(), 1);
        assert_eq!(read.skipped[0].kind, ProblemKind::UnknownCode);
        assert_eq!(read.skipped[0].at, Some(Location::Line(2)));
        let header = parse_crosswalk(CrosswalkFormat::Csv, "a,b\n1,2\n", UnitLevel::Commune)
            .expect_err("no header");
        assert_eq!(header[0].kind, ProblemKind::Unreadable);
    }

    #[test]
    fn an_unknown_json_type_is_a_bad_value() {
        let text = r#"{"data": [{"level1_id": "01", "name": "A", "merges": [
            {"old_id": "01", "name": "A", "type": "most"}], "level2s": []}]}"#;
        let problems = parse_crosswalk(CrosswalkFormat::Json, text, UnitLevel::Province)
            .expect_err("bad type");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::BadValue);
        assert_eq!(
            problems[0].at,
            Some(Location::Record("data[0].merges[0]".into()))
        );
    }
}
