//! The GSO's published layouts: the commune table of Công văn 1027/CTK-CSCL
//! (Markdown), the province list of Công văn 915/CTK-CSCL (CSV), and the
//! classic CSV export of danhmuchanhchinh.gso.gov.vn.

use super::csv::{Record, Records, header, records};
use super::{COMMUNE_LEVEL, Collected, PROVINCE_LEVEL, header_key, item};
use crate::gso::{province_by_name, table_cells};
use crate::{Item, Location, ParsedItem, Problem, ProblemKind, UnitLevel};
use std::collections::{BTreeMap, HashMap};

const LAYOUTS: &str = "expected a GSO layout: the 1027/CTK-CSCL commune table \
    (| Stt | Mã số | Tên đơn vị hành chính | Tỉnh (thành phố) |), the 915/CTK-CSCL \
    province list (Stt,Mã số,Tên), or the danhmuchanhchinh.gso.gov.vn export \
    (columns Mã TP, Mã QH, Mã PX)";

/// Reads whichever GSO layout `text` is in.
pub(super) fn items(text: &str, level: UnitLevel, out: &mut Collected<ParsedItem>) {
    // Only the Markdown table has lines that start with `|`.
    if text.lines().any(|l| l.trim_start().starts_with('|')) {
        return commune_table(text, level, out);
    }
    let mut records = records(text);
    let head = match header(&mut records, LAYOUTS) {
        Ok(head) => head,
        Err(problem) => return out.problem(problem),
    };
    let keys: Vec<String> = head.fields.iter().map(|f| header_key(f)).collect();
    let has = |key: &str| keys.iter().any(|k| k == key);
    if has("matp") && has("mapx") {
        match Classic::new(&keys, level) {
            Ok(classic) => classic.read(records, out),
            Err(problem) => out.problem(problem),
        }
    } else if keys.first().is_some_and(|k| k == "stt") && keys.get(1).is_some_and(|k| k == "maso") {
        province_list(&head, records, level, out);
    } else {
        out.problem(Problem::whole(ProblemKind::Unreadable, LAYOUTS));
    }
}

/// The 1027/CTK-CSCL table: one row per commune under a heading row per
/// province; the parent is the 2025 province of the name in the last cell.
fn commune_table(text: &str, level: UnitLevel, out: &mut Collected<ParsedItem>) {
    if level == UnitLevel::Province {
        return out.problem(Problem::whole(
            ProblemKind::Unreadable,
            "the 1027/CTK-CSCL table lists communes; import it at the commune level \
             (the 915/CTK-CSCL list holds the provinces)",
        ));
    }
    let mut rows = 0;
    for (index, line) in text.lines().enumerate() {
        let Some(cells) = table_cells(line) else {
            continue;
        };
        // Header, separator and province heading rows have no number.
        if cells.first().is_none_or(|stt| stt.parse::<u32>().is_err()) {
            continue;
        }
        rows += 1;
        let at = Location::Line(index + 1);
        let [_, code, name, province] = cells.as_slice() else {
            out.problem(Problem::at(
                ProblemKind::BadValue,
                at,
                format!(
                    "{} cells where the table has 4 (Stt, Mã số, Tên, Tỉnh)",
                    cells.len()
                ),
            ));
            continue;
        };
        let mut missing = false;
        for (value, what) in [(code, "code (Mã số)"), (name, "name")] {
            if value.is_empty() {
                out.problem(Problem::at(
                    ProblemKind::MissingField,
                    at.clone(),
                    format!("no {what}"),
                ));
                missing = true;
            }
        }
        let Some(parent) = province_by_name(province) else {
            out.problem(Problem::at(
                ProblemKind::BadValue,
                at,
                format!("{province:?} names none of the 34 provinces from 2025-07-01"),
            ));
            continue;
        };
        if !missing {
            let commune = item(
                code,
                name,
                Some(parent),
                Some(COMMUNE_LEVEL),
                BTreeMap::new(),
            );
            out.item(commune, at);
        }
    }
    if rows == 0 {
        out.problem(Problem::whole(
            ProblemKind::Unreadable,
            "the table has no numbered commune rows",
        ));
    }
}

/// The 915/CTK-CSCL list: `Stt,Mã số,Tên 34 tỉnh sau sáp nhập`.
fn province_list(
    head: &Record,
    records: Records<'_>,
    level: UnitLevel,
    out: &mut Collected<ParsedItem>,
) {
    if level == UnitLevel::Commune {
        return out.problem(Problem::whole(
            ProblemKind::Unreadable,
            "the 915/CTK-CSCL list holds provinces; import it at the province level",
        ));
    }
    let width = head.fields.len();
    for record in records {
        let read = record.and_then(|r| {
            r.check_width(width)?;
            let (code, name) = (r.get(1), r.get(2));
            for (value, what) in [(code, "code (Mã số)"), (name, "name")] {
                if value.is_empty() {
                    let message = format!("no {what}");
                    return Err(Problem::at(ProblemKind::MissingField, r.at(), message));
                }
            }
            let province = item(code, name, None, Some(PROVINCE_LEVEL), BTreeMap::new());
            Ok(ParsedItem {
                item: province,
                at: r.at(),
            })
        });
        match read {
            Ok(parsed) => out.push(parsed),
            Err(problem) => out.problem(problem),
        }
    }
}

/// Where the columns of the classic export are.
struct Classic {
    level: UnitLevel,
    width: usize,
    province_code: usize,
    province_name: Option<usize>,
    commune_code: usize,
    commune_name: Option<usize>,
    /// Column and attribute name, for communes.
    attributes: Vec<(usize, &'static str)>,
}

impl Classic {
    fn new(keys: &[String], level: UnitLevel) -> Result<Self, Problem> {
        let find = |key: &str| keys.iter().position(|k| k == key);
        let attributes = [
            ("maqh", "ma_huyen"),
            ("quanhuyen", "ten_huyen"),
            ("cap", "loai"),
            ("tentienganh", "ten_tieng_anh"),
        ]
        .into_iter()
        .filter_map(|(key, name)| Some((find(key)?, name)))
        .collect();
        let (Some(province_code), Some(commune_code)) = (find("matp"), find("mapx")) else {
            return Err(Problem::whole(ProblemKind::Unreadable, LAYOUTS));
        };
        let classic = Self {
            level,
            width: keys.len(),
            province_code,
            province_name: find("tinhthanhpho"),
            commune_code,
            commune_name: find("phuongxa"),
            attributes,
        };
        let (needed, column) = match level {
            UnitLevel::Province => (classic.province_name, "Tỉnh Thành Phố"),
            UnitLevel::Commune => (classic.commune_name, "Phường Xã"),
        };
        if needed.is_none() {
            return Err(Problem::whole(
                ProblemKind::Unreadable,
                format!("the GSO export has no {column:?} column with the unit names"),
            ));
        }
        Ok(classic)
    }

    fn read(&self, records: Records<'_>, out: &mut Collected<ParsedItem>) {
        // Provinces repeat on every row; keep the first row of each.
        let mut provinces: HashMap<String, (usize, String)> = HashMap::new();
        for record in records {
            let read = record.and_then(|r| {
                r.check_width(self.width)?;
                match self.level {
                    UnitLevel::Commune => Ok(self.commune(&r)?.map(|item| (item, r.at()))),
                    UnitLevel::Province => self.province(&r, &mut provinces),
                }
            });
            match read {
                Ok(Some((item, at))) => out.item(item, at),
                Ok(None) => {}
                Err(problem) => out.problem(problem),
            }
        }
    }

    /// The commune of a row; none for a row of a district without communes.
    fn commune(&self, r: &Record) -> Result<Option<Item>, Problem> {
        let code = r.get(self.commune_code);
        if code.is_empty() {
            return Ok(None);
        }
        let name = self.commune_name.map_or("", |c| r.get(c));
        required(
            r,
            &[(name, "Phường Xã"), (r.get(self.province_code), "Mã TP")],
        )?;
        let attributes = self
            .attributes
            .iter()
            .filter(|(column, _)| !r.get(*column).is_empty())
            .map(|&(column, name)| (name.to_owned(), r.get(column).to_owned()))
            .collect();
        let parent = Some(r.get(self.province_code));
        Ok(Some(item(
            code,
            name,
            parent,
            Some(COMMUNE_LEVEL),
            attributes,
        )))
    }

    /// The province of a row the first time it appears.
    fn province(
        &self,
        r: &Record,
        seen: &mut HashMap<String, (usize, String)>,
    ) -> Result<Option<(Item, Location)>, Problem> {
        let code = r.get(self.province_code);
        let name = self.province_name.map_or("", |c| r.get(c));
        required(r, &[(code, "Mã TP"), (name, "Tỉnh Thành Phố")])?;
        if let Some((line, first)) = seen.get(code) {
            if first != name {
                return Err(Problem::at(
                    ProblemKind::BadValue,
                    r.at(),
                    format!("province {code} is {name:?} here but {first:?} on line {line}"),
                ));
            }
            return Ok(None);
        }
        seen.insert(code.to_owned(), (r.line, name.to_owned()));
        let province = item(code, name, None, Some(PROVINCE_LEVEL), BTreeMap::new());
        Ok(Some((province, r.at())))
    }
}

fn required(r: &Record, values: &[(&str, &str)]) -> Result<(), Problem> {
    match values.iter().find(|(value, _)| value.is_empty()) {
        Some((_, column)) => Err(Problem::at(
            ProblemKind::MissingField,
            r.at(),
            format!("no {column}"),
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use crate::import::parse_items;
    use crate::{ItemFormat, Location, ProblemKind, UnitLevel};

    /// Made-up rows in the layout of the danhmuchanhchinh.gso.gov.vn export:
    /// provinces 90 and 91 do not exist, nor do the units under them.
    const CLASSIC: &str = "Tỉnh Thành Phố,Mã TP,Quận Huyện,Mã QH,Phường Xã,Mã PX,Cấp,Tên Tiếng Anh\n\
        Tỉnh Mẫu Thử A,90,Huyện Thử Một,901,Xã Thử Một,90001,Xã,Thu Mot\n\
        Tỉnh Mẫu Thử A,90,Huyện Thử Một,901,\"Phường Thử, Hai\",90004,Phường,\n\
        Tỉnh Mẫu Thử A,90,Huyện Đảo Thử,902,,,,\n\
        Tỉnh Mẫu Thử B,91,Thị xã Thử,911,Thị trấn Thử,91003,Thị trấn,Thu Town\n";

    #[test]
    fn reads_communes_of_the_classic_export() {
        let items = parse_items(ItemFormat::Gso, CLASSIC, UnitLevel::Commune).expect("valid");
        let codes: Vec<&str> = items.iter().map(|i| i.item.code.as_str()).collect();
        // The island district without communes (line 4) is not a commune.
        assert_eq!(codes, ["90001", "90004", "91003"]);
        let second = &items[1];
        assert_eq!(second.at, Location::Line(3));
        assert_eq!(second.item.name, "Phường Thử, Hai");
        assert_eq!(second.item.parent.as_deref(), Some("90"));
        assert_eq!(second.item.level.as_deref(), Some("xa"));
        let attr = |i: usize, k: &str| items[i].item.attributes.get(k).map(String::as_str);
        assert_eq!(attr(1, "ma_huyen"), Some("901"));
        assert_eq!(attr(1, "ten_huyen"), Some("Huyện Thử Một"));
        assert_eq!(attr(1, "loai"), Some("Phường"));
        assert_eq!(attr(1, "ten_tieng_anh"), None);
        assert_eq!(attr(2, "ten_tieng_anh"), Some("Thu Town"));
        assert_eq!(attr(2, "loai"), Some("Thị trấn"));
    }

    #[test]
    fn reads_distinct_provinces_of_the_classic_export() {
        let items = parse_items(ItemFormat::Gso, CLASSIC, UnitLevel::Province).expect("valid");
        let found: Vec<(&str, &str, &Location)> = items
            .iter()
            .map(|i| (i.item.code.as_str(), i.item.name.as_str(), &i.at))
            .collect();
        assert_eq!(
            found,
            [
                ("90", "Tỉnh Mẫu Thử A", &Location::Line(2)),
                ("91", "Tỉnh Mẫu Thử B", &Location::Line(5)),
            ]
        );
        assert!(
            items
                .iter()
                .all(|i| i.item.level.as_deref() == Some("tinh"))
        );
        assert!(items.iter().all(|i| i.item.parent.is_none()));
    }

    #[test]
    fn classic_export_problems_have_lines() {
        let text = format!("{CLASSIC}Tỉnh Mẫu Thử C,92,H,921,,92001,Xã,\nX,90,H,901,Y,90007,Xã\n");
        let problems = parse_items(ItemFormat::Gso, &text, UnitLevel::Commune).expect_err("bad");
        let found: Vec<(ProblemKind, Option<Location>)> =
            problems.iter().map(|p| (p.kind, p.at.clone())).collect();
        assert_eq!(
            found,
            [
                (ProblemKind::MissingField, Some(Location::Line(6))),
                (ProblemKind::BadValue, Some(Location::Line(7))),
            ]
        );
        let renamed = format!("{CLASSIC}Tỉnh Khác,90,H,901,Y,90007,Xã,\n");
        let problems =
            parse_items(ItemFormat::Gso, &renamed, UnitLevel::Province).expect_err("renamed");
        assert_eq!(problems[0].kind, ProblemKind::BadValue);
        assert_eq!(problems[0].at, Some(Location::Line(6)));
    }

    #[test]
    fn the_commune_table_reports_unknown_provinces_by_line() {
        let text = "| Stt | Mã số | Tên | Tỉnh |\n| --- | --- | --- | --- |\n\
                    | 1 | 00070 | Phường Hoàn Kiếm | Thành phố Hà Nội |\n\
                    | 2 | 00071 | Xã Mù | Atlantis |\n\
                    | 3 | 00070 | Phường Trùng | Tỉnh Cà Mau |\n\
                    | 4 |  | Xã Không Mã | Tỉnh Cà Mau |\n";
        let problems = parse_items(ItemFormat::Gso, text, UnitLevel::Commune).expect_err("bad");
        let found: Vec<(ProblemKind, Option<Location>)> =
            problems.iter().map(|p| (p.kind, p.at.clone())).collect();
        // The duplicate 00070 is the host's to report, not a syntax problem.
        assert_eq!(
            found,
            [
                (ProblemKind::BadValue, Some(Location::Line(4))),
                (ProblemKind::MissingField, Some(Location::Line(6))),
            ]
        );
        assert!(problems[0].message.contains("Atlantis"), "{}", problems[0]);
    }

    #[test]
    fn other_text_is_not_a_gso_layout() {
        for text in ["", "ma,ten\n01,A\n", "# Title\n\nno table\n"] {
            let problems = parse_items(ItemFormat::Gso, text, UnitLevel::Commune).expect_err(text);
            assert_eq!(problems[0].kind, ProblemKind::Unreadable, "{text:?}");
        }
    }
}
