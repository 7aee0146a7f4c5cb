//! CSV records (quoted fields may span lines) and the item CSV layout.

use super::{Collected, header_key, item};
use crate::code_list::CsvRecord;
use crate::{Location, ParsedItem, Problem, ProblemKind};
use std::collections::{BTreeMap, HashSet};
use std::iter::Enumerate;
use std::str::Lines;

/// One CSV record and the line it starts on.
pub(super) struct Record {
    /// 1-based line number of its first line.
    pub(super) line: usize,
    /// The fields, trimmed.
    pub(super) fields: Vec<String>,
}

impl Record {
    pub(super) fn at(&self) -> Location {
        Location::Line(self.line)
    }

    /// The field at `index`, empty when the row is short.
    pub(super) fn get(&self, index: usize) -> &str {
        self.fields.get(index).map_or("", String::as_str)
    }

    /// The problem for a row whose field count differs from the header's.
    pub(super) fn check_width(&self, width: usize) -> Result<(), Problem> {
        if self.fields.len() == width {
            Ok(())
        } else {
            Err(Problem::at(
                ProblemKind::BadValue,
                self.at(),
                format!(
                    "{} fields where the header has {width}; quote fields that contain commas",
                    self.fields.len()
                ),
            ))
        }
    }
}

/// The records of a CSV text, skipping blank lines and rows of empty cells.
pub(super) fn records(text: &str) -> Records<'_> {
    Records {
        lines: text.lines().enumerate(),
        record: CsvRecord::default(),
    }
}

/// Iterator over the records of a CSV text; a quote never closed is an
/// `Unreadable` problem at the line it opened on, and ends the records.
pub(super) struct Records<'a> {
    lines: Enumerate<Lines<'a>>,
    record: CsvRecord,
}

impl Iterator for Records<'_> {
    type Item = Result<Record, Problem>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut start = None;
        for (index, line) in self.lines.by_ref() {
            if start.is_none() {
                if line.trim().is_empty() {
                    continue;
                }
                start = Some(index + 1);
            }
            if !self.record.feed(line) {
                continue; // a quoted field goes on over the next line
            }
            let fields = self.record.finish();
            if fields.iter().all(String::is_empty) {
                start = None; // `,,,` rows that spreadsheets leave behind
                continue;
            }
            return Some(Ok(Record {
                line: start.unwrap_or(index + 1),
                fields,
            }));
        }
        let line = start?;
        self.record.finish();
        Some(Err(Problem::at(
            ProblemKind::Unreadable,
            Location::Line(line),
            "a quoted field opened on this line is never closed",
        )))
    }
}

/// The first record of a CSV text, which must be its header.
pub(super) fn header(records: &mut Records<'_>, expected: &str) -> Result<Record, Problem> {
    match records.next() {
        Some(Ok(header)) => Ok(header),
        Some(Err(problem)) => Err(problem),
        None => Err(Problem::whole(
            ProblemKind::Unreadable,
            format!("the file is empty; expected a header row {expected}"),
        )),
    }
}

/// Where the columns of an item CSV are.
struct ItemColumns {
    code: usize,
    name: usize,
    parent: Option<usize>,
    level: Option<usize>,
    /// Column and attribute name.
    attributes: Vec<(usize, String)>,
    width: usize,
}

const ITEM_HEADER: &str = "with columns ma (or code, mã) and ten (or name, tên)";

impl ItemColumns {
    fn from_header(header: &Record) -> Result<Self, Problem> {
        let mut code = None;
        let mut name = None;
        let mut parent = None;
        let mut level = None;
        let mut attributes = Vec::new();
        let mut seen = HashSet::new();
        for (index, title) in header.fields.iter().enumerate() {
            let slot = match header_key(title).as_str() {
                "ma" | "code" => &mut code,
                "ten" | "name" => &mut name,
                "macha" | "parent" => &mut parent,
                "cap" | "level" => &mut level,
                // An unnamed column (often a trailing comma) carries nothing.
                "" => continue,
                _ => {
                    let attribute = title.to_lowercase();
                    if !seen.insert(attribute.clone()) {
                        return Err(twice(header, title));
                    }
                    attributes.push((index, attribute));
                    continue;
                }
            };
            if slot.replace(index).is_some() {
                return Err(twice(header, title));
            }
        }
        let (Some(code), Some(name)) = (code, name) else {
            return Err(Problem::whole(
                ProblemKind::Unreadable,
                format!(
                    "no header row {ITEM_HEADER}: line {} reads {:?}",
                    header.line,
                    header.fields.join(",")
                ),
            ));
        };
        Ok(Self {
            code,
            name,
            parent,
            level,
            attributes,
            width: header.fields.len(),
        })
    }

    fn read(&self, record: &Record) -> Result<ParsedItem, Vec<Problem>> {
        record.check_width(self.width).map_err(|p| vec![p])?;
        let mut problems = Vec::new();
        for (column, what) in [(self.code, "code"), (self.name, "name")] {
            if record.get(column).is_empty() {
                problems.push(Problem::at(
                    ProblemKind::MissingField,
                    record.at(),
                    format!("no {what}"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        let attributes: BTreeMap<String, String> = self
            .attributes
            .iter()
            .filter(|(column, _)| !record.get(*column).is_empty())
            .map(|(column, name)| (name.clone(), record.get(*column).to_owned()))
            .collect();
        Ok(ParsedItem {
            item: item(
                record.get(self.code),
                record.get(self.name),
                self.parent.map(|c| record.get(c)),
                self.level.map(|c| record.get(c)),
                attributes,
            ),
            at: record.at(),
        })
    }
}

fn twice(header: &Record, title: &str) -> Problem {
    Problem::whole(
        ProblemKind::Unreadable,
        format!(
            "the header (line {}) names column {title:?} twice",
            header.line
        ),
    )
}

/// Reads an item CSV.
pub(super) fn items(text: &str, out: &mut Collected<ParsedItem>) {
    let mut records = records(text);
    let columns = match header(&mut records, ITEM_HEADER)
        .and_then(|header| ItemColumns::from_header(&header))
    {
        Ok(columns) => columns,
        Err(problem) => return out.problem(problem),
    };
    for record in records {
        match record.map_err(|p| vec![p]).and_then(|r| columns.read(&r)) {
            Ok(parsed) => out.push(parsed),
            Err(problems) => problems.into_iter().for_each(|p| out.problem(p)),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::import::parse_items;
    use crate::{ItemFormat, Location, Problem, ProblemKind, UnitLevel};

    fn csv(text: &str) -> Result<Vec<crate::ParsedItem>, Vec<Problem>> {
        parse_items(ItemFormat::Csv, text, UnitLevel::Commune)
    }

    #[test]
    fn reads_quoted_names_attributes_and_parents() {
        let text = "\u{feff}Mã,TÊN,Mã cha,Cấp,Nhóm,Ghi Chú\n\
                    \n\
                    00004,\"Phường Ba Đình, Hà Nội\",01,xa,\"a \"\"b\"\"\",\n\
                    ,,,,,\n\
                    00008,Phường Ngọc Hà,01,,x,\"dòng 1\ndòng 2\"\n";
        let items = csv(text).expect("valid");
        assert_eq!(items.len(), 2);
        let first = &items[0];
        assert_eq!(first.at, Location::Line(3));
        assert_eq!(first.item.code, "00004");
        assert_eq!(first.item.name, "Phường Ba Đình, Hà Nội");
        assert_eq!(first.item.parent.as_deref(), Some("01"));
        assert_eq!(first.item.level.as_deref(), Some("xa"));
        assert_eq!(
            first.item.attributes.get("nhóm").map(String::as_str),
            Some("a \"b\"")
        );
        // An empty cell is an absent attribute.
        assert!(!first.item.attributes.contains_key("ghi chú"));
        let second = &items[1];
        assert_eq!(second.at, Location::Line(5));
        assert_eq!(second.item.level, None);
        assert_eq!(
            second.item.attributes.get("ghi chú").map(String::as_str),
            Some("dòng 1\ndòng 2")
        );
    }

    #[test]
    fn english_headers_work_too() {
        let items = csv("code,name,parent,level\n01,A,,tinh\n").expect("valid");
        assert_eq!(items[0].item.parent, None);
        assert_eq!(items[0].item.level.as_deref(), Some("tinh"));
    }

    #[test]
    fn duplicates_are_returned_for_the_host_to_judge() {
        let items = csv("ma,ten\n01,A\n01,B\n").expect("syntax is fine");
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn reports_every_bad_line_and_returns_nothing() {
        let text = "ma,ten,nhom\n01,A,x\n02,,y\n,C,z\n04,D\n05,\"E, F\",w\n";
        let problems = csv(text).expect_err("invalid");
        let found: Vec<(ProblemKind, Option<Location>)> =
            problems.iter().map(|p| (p.kind, p.at.clone())).collect();
        assert_eq!(
            found,
            [
                (ProblemKind::MissingField, Some(Location::Line(3))),
                (ProblemKind::MissingField, Some(Location::Line(4))),
                (ProblemKind::BadValue, Some(Location::Line(5))),
            ]
        );
        assert!(problems[0].message.contains("name"), "{}", problems[0]);
        assert!(problems[1].message.contains("code"), "{}", problems[1]);
    }

    #[test]
    fn a_file_without_a_usable_header_is_unreadable() {
        for text in ["", "\n\n", "01,Hà Nội\n02,Hà Giang\n", "ma,ghi_chu\n01,x\n"] {
            let problems = csv(text).expect_err(text);
            assert_eq!(problems.len(), 1, "{text:?}");
            assert_eq!(problems[0].kind, ProblemKind::Unreadable);
            assert_eq!(problems[0].at, None);
        }
        let twice = csv("ma,code,ten\n").expect_err("two code columns");
        assert!(twice[0].message.contains("twice"), "{}", twice[0]);
    }

    #[test]
    fn an_unclosed_quote_is_reported_where_it_opened() {
        let problems = csv("ma,ten\n01,\"A\n02,B\n03,C\n").expect_err("unclosed");
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::Unreadable);
        assert_eq!(problems[0].at, Some(Location::Line(2)));
    }
}
