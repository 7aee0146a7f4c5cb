//! Businesses and their legal representatives, drawn from the citizens.
//!
//! Every business is registered under a 10-digit code (mã số doanh nghiệp, also
//! its tax code) whose first two digits are the pre-2025 code of the province
//! where it registered, and whose last digit is the check digit (GUIDE §3). Some
//! businesses have branches (chi nhánh) with 13-character codes
//! `NNNNNNNNNN-001`…; branches are [`Business`] records too (with
//! [`Business::ma_so_cha`] set) but are kept out of [`Businesses::all`], which
//! lists head offices only.
//!
//! Head offices sit in communes weighted like the population (a random
//! citizen's commune), and representatives are preferably residents of the same
//! commune or province, so that joins between sources by commune return rows.

use super::rng::Rng;
use super::{Citizen, Date, days_in_month, index_under, old_provinces_by_successor};
use lgsp_catalogs::Commune;
use std::collections::{HashMap, HashSet};

/// Accent- and case-folding, as the registry compares names (shared with
/// the connector through `lgsp-catalogs`).
pub use lgsp_catalogs::fold;

/// Registrations are generated up to this date (inclusive).
pub const LAST_REGISTRATION: Date = Date {
    year: 2026,
    month: 10,
    day: 31,
};

/// The earliest registration date in the world.
pub const FIRST_REGISTRATION: Date = Date {
    year: 1995,
    month: 1,
    day: 1,
};

/// The day the 2025 administrative reorganization took effect; the registry
/// reports the province of businesses registered before it with the old code.
pub const REORGANIZATION: Date = Date {
    year: 2025,
    month: 7,
    day: 1,
};

/// One registered business (or branch) as the business registration database holds it.
#[derive(Debug, Clone)]
pub struct Business {
    /// Mã số doanh nghiệp: 10 digits with check digit (GUIDE §3); for a branch
    /// the parent's code, `-` and a 3-digit branch number.
    pub ma_so_doanh_nghiep: String,
    /// For a branch, the parent's 10-digit code; `None` for a head office.
    pub ma_so_cha: Option<String>,
    /// Vietnamese name, upper case as printed on the certificate.
    pub ten: String,
    /// Name in a foreign language (English), when registered.
    pub ten_nuoc_ngoai: Option<String>,
    /// Abbreviated name, when registered.
    pub ten_viet_tat: Option<String>,
    /// Business type, a code of the `loai_hinh_doanh_nghiep` catalog (a branch
    /// carries its parent's type).
    pub ma_loai_hinh: &'static str,
    /// Legal status, a code of the `trang_thai_doanh_nghiep` catalog.
    pub ma_trang_thai: &'static str,
    /// Registration date of the first certificate.
    pub ngay_thanh_lap: Date,
    /// The pre-2025 province code under which the business registered: the
    /// first two digits of its code.
    pub ma_tinh_dang_ky: String,
    /// The pre-2025 code of the province where the unit is located (for a
    /// head office, the same as `ma_tinh_dang_ky`).
    pub ma_tinh_cu: String,
    /// Province (2025 code) of the head office.
    pub ma_tinh: String,
    /// Commune (2025 code) of the head office.
    pub ma_xa: String,
    /// Street address of the head office (without the commune).
    pub dia_chi: String,
    /// Main industry, a VSIC 2018 level-4 code.
    pub ma_nganh_chinh: &'static str,
    /// Charter capital in VND; `None` for branches, which have none.
    pub von_dieu_le: Option<u64>,
    /// Legal representatives (their personal IDs are citizens' IDs); for a
    /// branch, the head of the branch.
    pub nguoi_dai_dien: Vec<Representative>,
}

/// An empty head-office record (registered on [`FIRST_REGISTRATION`], private
/// enterprise, active), for tests that build businesses by hand with
/// `..Business::default()`.
impl Default for Business {
    fn default() -> Self {
        Self {
            ma_so_doanh_nghiep: String::new(),
            ma_so_cha: None,
            ten: String::new(),
            ten_nuoc_ngoai: None,
            ten_viet_tat: None,
            ma_loai_hinh: "01",
            ma_trang_thai: ACTIVE,
            ngay_thanh_lap: FIRST_REGISTRATION,
            ma_tinh_dang_ky: String::new(),
            ma_tinh_cu: String::new(),
            ma_tinh: String::new(),
            ma_xa: String::new(),
            dia_chi: String::new(),
            ma_nganh_chinh: "8299",
            von_dieu_le: None,
            nguoi_dai_dien: Vec::new(),
        }
    }
}

impl Business {
    /// Whether this is a branch (its code has a `-NNN` suffix).
    pub fn is_branch(&self) -> bool {
        self.ma_so_cha.is_some()
    }

    /// The province code the registry publishes: the pre-2025 code of
    /// registration for businesses registered before 2025-07-01, the 2025 code
    /// for later ones.
    pub fn published_province(&self) -> &str {
        if self.ngay_thanh_lap < REORGANIZATION {
            &self.ma_tinh_cu
        } else {
            &self.ma_tinh
        }
    }
}

/// A legal representative of a business.
#[derive(Debug, Clone)]
pub struct Representative {
    /// The representative's personal ID.
    pub so_dinh_danh: String,
    /// The representative's full name (as in the population database).
    pub ho_ten: String,
    /// Title, e.g. `Giám đốc`, `Chủ tịch Hội đồng quản trị`.
    pub chuc_danh: &'static str,
    /// Since when they represent the business.
    pub ngay_bat_dau: Date,
}

/// Business types: (catalog code, name prefix, English suffix, abbreviation suffix, weight).
const TYPES: &[(&str, &str, &str, &str, u32)] = &[
    ("01", "DOANH NGHIỆP TƯ NHÂN", "PRIVATE ENTERPRISE", "", 17),
    (
        "02",
        "CÔNG TY TNHH MỘT THÀNH VIÊN",
        "ONE MEMBER COMPANY LIMITED",
        "CO., LTD",
        40,
    ),
    ("03", "CÔNG TY TNHH", "COMPANY LIMITED", "CO., LTD", 22),
    ("04", "CÔNG TY CỔ PHẦN", "JOINT STOCK COMPANY", "JSC", 20),
    ("05", "CÔNG TY HỢP DANH", "PARTNERSHIP", "PARTNERSHIP", 1),
];

/// Statuses (catalog code, weight) for head offices.
const STATUSES: &[(&str, u32)] = &[
    ("01", 800),
    ("02", 70),
    ("03", 30),
    ("04", 60),
    ("05", 20),
    ("06", 20),
];

/// Status "đang hoạt động".
const ACTIVE: &str = "01";

/// Main industries: (VSIC 2018 level-4 code, name word, English word, weight).
const INDUSTRIES: &[(&str, &str, &str, u32)] = &[
    ("4610", "THƯƠNG MẠI", "TRADING", 60),
    ("4632", "THỰC PHẨM", "FOOD", 20),
    ("4649", "THƯƠNG MẠI TỔNG HỢP", "GENERAL TRADING", 25),
    ("4659", "THIẾT BỊ CÔNG NGHIỆP", "INDUSTRIAL EQUIPMENT", 12),
    ("4663", "VẬT LIỆU XÂY DỰNG", "BUILDING MATERIALS", 15),
    ("4711", "SIÊU THỊ", "SUPERMARKET", 6),
    ("4530", "PHỤ TÙNG Ô TÔ", "AUTO PARTS", 5),
    ("4101", "XÂY DỰNG", "CONSTRUCTION", 40),
    ("4299", "XÂY DỰNG CÔNG TRÌNH", "CIVIL ENGINEERING", 15),
    ("4933", "VẬN TẢI", "TRANSPORT", 15),
    ("5510", "DU LỊCH KHÁCH SẠN", "HOTEL AND TOURISM", 8),
    ("5610", "ẨM THỰC", "RESTAURANT", 10),
    ("6201", "CÔNG NGHỆ", "TECHNOLOGY", 12),
    ("6810", "BẤT ĐỘNG SẢN", "REAL ESTATE", 10),
    ("7110", "TƯ VẤN THIẾT KẾ", "DESIGN CONSULTING", 10),
    ("7310", "QUẢNG CÁO TRUYỀN THÔNG", "ADVERTISING AND MEDIA", 6),
    ("8299", "DỊCH VỤ", "SERVICES", 25),
    ("1079", "CHẾ BIẾN THỰC PHẨM", "FOOD PROCESSING", 6),
    ("1410", "MAY MẶC", "GARMENT", 6),
    ("2220", "NHỰA", "PLASTICS", 3),
    ("2511", "CƠ KHÍ", "MECHANICAL", 6),
    ("0118", "NÔNG NGHIỆP", "AGRICULTURE", 4),
    ("0322", "THỦY SẢN", "AQUACULTURE", 4),
];

/// Syllables of distinctive names (tên riêng).
const BRAND_SYLLABLES: &[&str] = &[
    "AN",
    "BÌNH",
    "PHÁT",
    "THÀNH",
    "HƯNG",
    "THỊNH",
    "MINH",
    "HOÀNG",
    "PHÚ",
    "QUANG",
    "TÂN",
    "VIỆT",
    "NAM",
    "ĐẠI",
    "TRƯỜNG",
    "SƠN",
    "HÒA",
    "LỘC",
    "KIM",
    "NGỌC",
    "HẢI",
    "ĐÔNG",
    "TÂY",
    "BẮC",
    "SAO",
    "MAI",
    "THIÊN",
    "PHƯƠNG",
    "GIA",
    "KHANG",
    "TIẾN",
    "ĐỨC",
    "TRUNG",
    "HẠNH",
    "LONG",
    "VĨNH",
    "HUY",
    "TÍN",
    "NHẬT",
    "QUỐC",
    "BẢO",
    "TÀI",
    "ÁNH",
    "DƯƠNG",
    "HÀ",
    "THUẬN",
];

const STREETS: &[&str] = &[
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Lý Thường Kiệt",
    "Quang Trung",
    "Điện Biên Phủ",
    "Hùng Vương",
    "Nguyễn Trãi",
    "Lê Duẩn",
    "Võ Văn Kiệt",
    "Phan Đình Phùng",
];

/// Every business with its indexes.
#[derive(Debug, Default)]
pub struct Businesses {
    /// Head offices, in generation order.
    list: Vec<Business>,
    /// Branches, grouped by parent in the parents' order.
    branches: Vec<Business>,
    /// Code → unit index (see [`Businesses::unit`]).
    by_code: HashMap<String, u32>,
    by_commune: HashMap<String, Vec<u32>>,
    by_province: HashMap<String, Vec<u32>>,
    by_representative: HashMap<String, Vec<u32>>,
    /// Accent-folded lower-case names, by unit index.
    folded_names: Vec<String>,
}

/// Citizens who may represent a business: alive and 18 by the last
/// registration date, indexed by commune and province.
struct Eligible<'a> {
    all: Vec<u32>,
    by_commune: HashMap<&'a str, Vec<u32>>,
    by_province: HashMap<&'a str, Vec<u32>>,
}

impl<'a> Eligible<'a> {
    fn new(citizens: &'a [Citizen]) -> Self {
        let mut all = Vec::new();
        let mut by_commune: HashMap<&str, Vec<u32>> = HashMap::new();
        let mut by_province: HashMap<&str, Vec<u32>> = HashMap::new();
        for (i, c) in citizens.iter().enumerate() {
            if c.ngay_mat.is_none() && adult_on(c, LAST_REGISTRATION) {
                all.push(i as u32);
                by_commune.entry(&c.ma_xa).or_default().push(i as u32);
                by_province.entry(&c.ma_tinh).or_default().push(i as u32);
            }
        }
        Self {
            all,
            by_commune,
            by_province,
        }
    }

    /// A representative near `commune` (same commune, else same province,
    /// occasionally anywhere), not already in `exclude`.
    fn pick(&self, rng: &mut Rng, commune: &Commune, exclude: &[u32]) -> Option<u32> {
        let empty = Vec::new();
        let local = self.by_commune.get(commune.code.as_str()).unwrap_or(&empty);
        let province = self
            .by_province
            .get(commune.province_code.as_str())
            .unwrap_or(&empty);
        let roll = rng.unit();
        let pools: [&Vec<u32>; 3] = if roll < 0.55 {
            [local, province, &self.all]
        } else if roll < 0.95 {
            [province, local, &self.all]
        } else {
            [&self.all, province, local]
        };
        for pool in pools {
            for _ in 0..8 {
                if pool.is_empty() {
                    break;
                }
                let c = *rng.pick(pool);
                if !exclude.contains(&c) {
                    return Some(c);
                }
            }
        }
        None
    }
}

fn adult_on(c: &Citizen, day: Date) -> bool {
    eighteenth_birthday(c) <= day
}

fn eighteenth_birthday(c: &Citizen) -> Date {
    let year = c.ngay_sinh.year + 18;
    let day = c.ngay_sinh.day.min(days_in_month(year, c.ngay_sinh.month));
    Date {
        year,
        month: c.ngay_sinh.month,
        day,
    }
}

/// Days since 0000-03-01 (proleptic Gregorian), for uniform date picking.
fn day_number(d: Date) -> i64 {
    let (y, m) = if d.month <= 2 {
        (i64::from(d.year) - 1, i64::from(d.month) + 9)
    } else {
        (i64::from(d.year), i64::from(d.month) - 3)
    };
    365 * y + y.div_euclid(4) - y.div_euclid(100)
        + y.div_euclid(400)
        + (153 * m + 2) / 5
        + i64::from(d.day)
        - 1
}

fn from_day_number(n: i64) -> Date {
    // Inverse of `day_number` (civil-from-days, shifted to a March-based year).
    let era = n.div_euclid(146_097);
    let doe = n - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    Date { year, month, day }
}

/// A date in `[from, to]`, skewed towards `to` (more businesses were
/// registered in recent years).
fn recent_date(rng: &mut Rng, from: Date, to: Date) -> Date {
    let (a, b) = (day_number(from), day_number(to));
    if b <= a {
        return from;
    }
    let offset = (rng.unit().sqrt() * (b - a + 1) as f64) as i64;
    from_day_number((a + offset).min(b))
}

/// A date uniform in `[from, to]`.
fn uniform_date(rng: &mut Rng, from: Date, to: Date) -> Date {
    let (a, b) = (day_number(from), day_number(to));
    if b <= a {
        return from;
    }
    from_day_number(a + rng.below((b - a + 1) as u64) as i64)
}

struct Draft {
    head: Business,
    branches: Vec<Business>,
}

impl Businesses {
    /// Generates `count` businesses (head offices), some with branches.
    ///
    /// Deterministic in `seed`; each business draws from its own forked
    /// stream. Codes are unique and carry a valid check digit; names are unique
    /// up to accents and case.
    pub(crate) fn generate(
        seed: u64,
        count: usize,
        citizens: &[Citizen],
        communes: &[Commune],
    ) -> Self {
        let eligible = Eligible::new(citizens);
        if count == 0 || eligible.all.is_empty() || communes.is_empty() {
            return Self::default();
        }
        let commune_by_code: HashMap<&str, &Commune> =
            communes.iter().map(|c| (c.code.as_str(), c)).collect();
        let old_codes = old_provinces_by_successor();
        let root = Rng::new(seed);
        let mut taken_codes: HashSet<String> = HashSet::with_capacity(count);
        let mut taken_names: HashSet<String> = HashSet::with_capacity(count);
        let mut drafts = Vec::with_capacity(count);
        for i in 0..count {
            let mut rng = root.fork(i as u64);
            // A random citizen's commune: head offices follow the population.
            let anchor = &citizens[rng.below(citizens.len() as u64) as usize];
            let commune = commune_by_code
                .get(anchor.ma_xa.as_str())
                .copied()
                .unwrap_or(&communes[0]);
            let draft = generate_one(
                &mut rng,
                commune,
                citizens,
                communes,
                &commune_by_code,
                &eligible,
                &old_codes,
                &mut taken_codes,
                &mut taken_names,
            );
            if let Some(d) = draft {
                drafts.push(d);
            }
        }
        let mut list = Vec::with_capacity(drafts.len());
        let mut branches = Vec::new();
        for d in drafts {
            list.push(d.head);
            branches.extend(d.branches);
        }
        Self::index(list, branches)
    }

    fn index(list: Vec<Business>, branches: Vec<Business>) -> Self {
        let total = list.len() + branches.len();
        let mut by_code = HashMap::with_capacity(total);
        let mut by_commune = HashMap::new();
        let mut by_province = HashMap::new();
        let mut by_representative = HashMap::new();
        let mut folded_names = Vec::with_capacity(total);
        // Unit indexes: head offices first, then branches (see `unit_at`).
        for (i, b) in list.iter().chain(&branches).enumerate() {
            let i = i as u32;
            by_code.insert(b.ma_so_doanh_nghiep.clone(), i);
            index_under(&mut by_commune, &b.ma_xa, i);
            index_under(&mut by_province, &b.ma_tinh, i);
            for r in &b.nguoi_dai_dien {
                index_under(&mut by_representative, &r.so_dinh_danh, i);
            }
            folded_names.push(fold(&b.ten));
        }
        Self {
            list,
            branches,
            by_code,
            by_commune,
            by_province,
            by_representative,
            folded_names,
        }
    }

    fn unit_at(&self, i: u32) -> &Business {
        let i = i as usize;
        if i < self.list.len() {
            &self.list[i]
        } else {
            &self.branches[i - self.list.len()]
        }
    }

    /// Every business (head offices only), in generation order.
    pub fn all(&self) -> &[Business] {
        &self.list
    }

    /// Every branch, grouped by parent in the parents' order.
    pub fn branches(&self) -> &[Business] {
        &self.branches
    }

    /// Every registered unit: head offices, then branches. This is the order
    /// of every listing below.
    pub fn units(&self) -> impl Iterator<Item = &Business> + '_ {
        self.list.iter().chain(self.branches.iter())
    }

    /// The head office or branch with this code (10 digits, or `NNNNNNNNNN-NNN`
    /// for a branch).
    pub fn get(&self, ma_so_doanh_nghiep: &str) -> Option<&Business> {
        self.by_code
            .get(ma_so_doanh_nghiep)
            .map(|&i| self.unit_at(i))
    }

    /// The units with these codes, in the order asked, skipping unknown codes.
    pub fn get_many<'a, S: AsRef<str>>(&'a self, codes: &'a [S]) -> Vec<&'a Business> {
        codes.iter().filter_map(|c| self.get(c.as_ref())).collect()
    }

    /// The branches of the head office `ma_so_doanh_nghiep`.
    pub fn branches_of(&self, ma_so_doanh_nghiep: &str) -> Vec<&Business> {
        self.branches
            .iter()
            .filter(|b| b.ma_so_cha.as_deref() == Some(ma_so_doanh_nghiep))
            .collect()
    }

    /// Units (head offices and branches) located in commune `ma_xa` (2025
    /// code), head offices first, in a stable order.
    pub fn in_commune(&self, ma_xa: &str) -> Vec<&Business> {
        self.indexed(self.by_commune.get(ma_xa))
    }

    /// Units located in province `ma_tinh` (2025 code), in a stable order.
    pub fn in_province(&self, ma_tinh: &str) -> Vec<&Business> {
        self.indexed(self.by_province.get(ma_tinh))
    }

    /// Units that the citizen `so_dinh_danh` represents (or heads, for
    /// branches), in a stable order.
    pub fn represented_by(&self, so_dinh_danh: &str) -> Vec<&Business> {
        self.indexed(self.by_representative.get(so_dinh_danh))
    }

    /// Units whose name contains `query`, ignoring case and accents (see
    /// [`fold`]); an empty query matches nothing. Stable order.
    pub fn search_name(&self, query: &str) -> Vec<&Business> {
        let q = fold(query.trim());
        if q.is_empty() {
            return Vec::new();
        }
        self.folded_names
            .iter()
            .enumerate()
            .filter(|(_, name)| name.contains(&q))
            .map(|(i, _)| self.unit_at(i as u32))
            .collect()
    }

    fn indexed(&self, ids: Option<&Vec<u32>>) -> Vec<&Business> {
        ids.map(|ids| ids.iter().map(|&i| self.unit_at(i)).collect())
            .unwrap_or_default()
    }
}

/// One of the pre-2025 provinces that merged into `ma_tinh`.
fn old_code_of(rng: &mut Rng, old_codes: &HashMap<String, Vec<String>>, ma_tinh: &str) -> String {
    match old_codes.get(ma_tinh) {
        Some(list) if !list.is_empty() => rng.pick(list).clone(),
        _ => ma_tinh.to_owned(),
    }
}

#[allow(clippy::too_many_arguments)]
fn generate_one(
    rng: &mut Rng,
    commune: &Commune,
    citizens: &[Citizen],
    communes: &[Commune],
    commune_by_code: &HashMap<&str, &Commune>,
    eligible: &Eligible,
    old_codes: &HashMap<String, Vec<String>>,
    taken_codes: &mut HashSet<String>,
    taken_names: &mut HashSet<String>,
) -> Option<Draft> {
    let &(ma_loai_hinh, prefix, en_suffix, abbr_suffix, _) = pick_weighted(rng, TYPES, |t| t.4);
    let &(ma_nganh_chinh, sector, sector_en, _) = pick_weighted(rng, INDUSTRIES, |t| t.3);

    // Representatives first: the registration date must come after they turn 18.
    let first = eligible.pick(rng, commune, &[])?;
    let mut reps = vec![first];
    let wants_second = match ma_loai_hinh {
        "03" | "04" => rng.chance(0.3),
        "05" => rng.chance(0.5),
        _ => false,
    };
    if wants_second && let Some(second) = eligible.pick(rng, commune, &reps) {
        reps.push(second);
    }
    let earliest = reps
        .iter()
        .map(|&r| eighteenth_birthday(&citizens[r as usize]))
        .max()
        .map_or(FIRST_REGISTRATION, |d| d.max(FIRST_REGISTRATION));
    let ngay_thanh_lap = recent_date(rng, earliest, LAST_REGISTRATION);
    let titles = titles_for(ma_loai_hinh);
    let nguoi_dai_dien: Vec<Representative> = reps
        .iter()
        .enumerate()
        .map(|(k, &r)| {
            let c = &citizens[r as usize];
            let ngay_bat_dau = if k == 0 || rng.chance(0.5) {
                ngay_thanh_lap
            } else {
                uniform_date(rng, ngay_thanh_lap, LAST_REGISTRATION)
            };
            Representative {
                so_dinh_danh: c.so_dinh_danh.clone(),
                ho_ten: c.ho_ten.clone(),
                chuc_danh: titles[k.min(titles.len() - 1)],
                ngay_bat_dau,
            }
        })
        .collect();

    // The code: old province of registration + 7-digit sequence + check digit.
    let ma_tinh_dang_ky = old_code_of(rng, old_codes, &commune.province_code);
    let code = loop {
        let prefix9 = format!("{ma_tinh_dang_ky}{:07}", rng.below(10_000_000));
        if let Some(code) = lgsp_catalogs::ids::tax_code_with_check_digit(&prefix9)
            && taken_codes.insert(code.clone())
        {
            break code;
        }
    };

    let (brand, ten) = unique_name(rng, prefix, sector, taken_names);
    let brand_ascii = fold(&brand).to_uppercase();
    let ten_nuoc_ngoai = (ma_loai_hinh != "01" && rng.chance(0.7))
        .then(|| format!("{brand_ascii} {sector_en} {en_suffix}"));
    let ten_viet_tat = rng.chance(0.6).then(|| {
        if abbr_suffix.is_empty() {
            format!("DNTN {brand}")
        } else {
            format!("{brand_ascii} {abbr_suffix}")
        }
    });
    let ma_trang_thai = *rng.weighted(STATUSES);
    let von_dieu_le = capital(rng, ma_loai_hinh);
    let dia_chi = address(rng);

    let head = Business {
        ma_so_doanh_nghiep: code.clone(),
        ma_so_cha: None,
        ten,
        ten_nuoc_ngoai,
        ten_viet_tat,
        ma_loai_hinh,
        ma_trang_thai,
        ngay_thanh_lap,
        ma_tinh_cu: ma_tinh_dang_ky.clone(),
        ma_tinh_dang_ky,
        ma_tinh: commune.province_code.clone(),
        ma_xa: commune.code.clone(),
        dia_chi,
        ma_nganh_chinh,
        von_dieu_le: Some(von_dieu_le),
        nguoi_dai_dien,
    };

    let branch_count = if ma_loai_hinh != "01" && rng.chance(0.08) {
        1 + rng.below(3) as usize
    } else {
        0
    };
    let mut branches = Vec::with_capacity(branch_count);
    for k in 1..=branch_count {
        let anchor = &citizens[rng.below(citizens.len() as u64) as usize];
        let place = commune_by_code
            .get(anchor.ma_xa.as_str())
            .copied()
            .unwrap_or_else(|| rng.pick(communes));
        let opened = uniform_date(rng, head.ngay_thanh_lap, LAST_REGISTRATION);
        let Some(head_of_branch) = eligible.pick(rng, place, &[]) else {
            continue;
        };
        let c = &citizens[head_of_branch as usize];
        // A branch can only be headed by an adult; open it no earlier.
        let opened = opened.max(eighteenth_birthday(c));
        if opened > LAST_REGISTRATION {
            continue;
        }
        let status = match head.ma_trang_thai {
            "04" | "05" => head.ma_trang_thai,
            _ if rng.chance(0.9) => ACTIVE,
            _ => "02",
        };
        branches.push(Business {
            ma_so_doanh_nghiep: format!("{code}-{k:03}"),
            ma_so_cha: Some(code.clone()),
            ten: format!("CHI NHÁNH {} - {}", place.name.to_uppercase(), head.ten),
            ten_nuoc_ngoai: None,
            ten_viet_tat: None,
            ma_loai_hinh,
            ma_trang_thai: status,
            ngay_thanh_lap: opened,
            ma_tinh_dang_ky: head.ma_tinh_dang_ky.clone(),
            ma_tinh_cu: old_code_of(rng, old_codes, &place.province_code),
            ma_tinh: place.province_code.clone(),
            ma_xa: place.code.clone(),
            dia_chi: address(rng),
            ma_nganh_chinh,
            von_dieu_le: None,
            nguoi_dai_dien: vec![Representative {
                so_dinh_danh: c.so_dinh_danh.clone(),
                ho_ten: c.ho_ten.clone(),
                chuc_danh: "Giám đốc chi nhánh",
                ngay_bat_dau: opened,
            }],
        });
    }
    // Branch names must be unique too; the commune name may repeat.
    branches.retain(|b| taken_names.insert(fold(&b.ten)));
    Some(Draft { head, branches })
}

fn pick_weighted<'a, T>(rng: &mut Rng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u64 = items.iter().map(|t| u64::from(weight(t))).sum();
    let mut x = rng.below(total);
    for item in items {
        let w = u64::from(weight(item));
        if x < w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1]
}

fn titles_for(ma_loai_hinh: &str) -> &'static [&'static str] {
    match ma_loai_hinh {
        "01" => &["Chủ doanh nghiệp"],
        "02" => &["Giám đốc", "Chủ tịch công ty"],
        "03" => &["Giám đốc", "Chủ tịch Hội đồng thành viên"],
        "04" => &["Tổng giám đốc", "Chủ tịch Hội đồng quản trị"],
        _ => &["Thành viên hợp danh"],
    }
}

/// A name no other business has (up to accents and case): type prefix, industry
/// word and a two-syllable distinctive name; returns (distinctive name, full name).
fn unique_name(
    rng: &mut Rng,
    prefix: &str,
    sector: &str,
    taken: &mut HashSet<String>,
) -> (String, String) {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let a = rng.pick(BRAND_SYLLABLES);
        let mut b = rng.pick(BRAND_SYLLABLES);
        while b == a {
            b = rng.pick(BRAND_SYLLABLES);
        }
        let mut brand = format!("{a} {b}");
        if attempt > 6 {
            // Crowded corner of the name space: add a third syllable.
            brand = format!("{brand} {}", rng.pick(BRAND_SYLLABLES));
        }
        let ten = format!("{prefix} {sector} {brand}");
        if taken.insert(fold(&ten)) {
            return (brand, ten);
        }
    }
}

/// Charter capital in VND, log-spread over 100 million – 1,000 billion and
/// rounded to whole millions; private enterprises and one-member companies
/// tend to be smaller, joint-stock companies larger.
fn capital(rng: &mut Rng, ma_loai_hinh: &str) -> u64 {
    let (lo, hi): (f64, f64) = match ma_loai_hinh {
        "01" => (8.0, 10.5),
        "02" => (8.0, 11.0),
        "04" => (9.0, 12.0),
        _ => (8.0, 11.5),
    };
    let exp = lo + (hi - lo) * rng.unit() * rng.unit().sqrt();
    let raw = 10f64.powf(exp);
    let millions = (raw / 1_000_000.0).round().max(100.0) as u64;
    // Round figures dominate: most capitals are multiples of 100 million.
    if millions >= 1_000 && rng.chance(0.8) {
        (millions / 100 * 100) * 1_000_000
    } else {
        millions * 1_000_000
    }
}

fn address(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => format!("Số {}, đường {}", 1 + rng.below(400), rng.pick(STREETS)),
        1 => format!(
            "Số {} ngõ {}, đường {}",
            1 + rng.below(80),
            1 + rng.below(200),
            rng.pick(STREETS)
        ),
        _ => format!("Thôn {}", 1 + rng.below(15)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{World, WorldConfig};
    use super::*;
    use lgsp_catalogs::ids::business_code;
    use lgsp_catalogs::provinces_2008;

    fn world() -> World {
        World::generate(&WorldConfig::scaled(11, 20_000, None))
    }

    #[test]
    fn dates_round_trip() {
        for d in [
            Date {
                year: 1995,
                month: 1,
                day: 1,
            },
            Date {
                year: 2000,
                month: 2,
                day: 29,
            },
            Date {
                year: 2026,
                month: 12,
                day: 31,
            },
        ] {
            assert_eq!(from_day_number(day_number(d)), d);
        }
        assert_eq!(
            day_number(Date {
                year: 2024,
                month: 3,
                day: 1
            }) - day_number(Date {
                year: 2024,
                month: 2,
                day: 28
            }),
            2
        );
    }

    #[test]
    fn fold_strips_accents() {
        assert_eq!(fold("CÔNG TY TNHH HOÀNG PHÁT"), "cong ty tnhh hoang phat");
        assert_eq!(fold("Đặng Thị Ánh"), "dang thi anh");
        assert_eq!(fold("Ho\u{0300}a"), "hoa");
    }

    #[test]
    fn codes_are_valid_unique_and_carry_the_old_province() {
        let w = world();
        let b = w.businesses();
        assert_eq!(b.all().len(), 2_000);
        assert!(!b.branches().is_empty(), "some businesses have branches");
        let mut seen = HashSet::new();
        for u in b.units() {
            assert!(
                business_code(&u.ma_so_doanh_nghiep).is_ok(),
                "{}",
                u.ma_so_doanh_nghiep
            );
            assert!(seen.insert(u.ma_so_doanh_nghiep.clone()));
            let old = &u.ma_so_doanh_nghiep[..2];
            assert_eq!(old, u.ma_tinh_dang_ky);
            let head = match &u.ma_so_cha {
                Some(parent) => {
                    assert_eq!(u.ma_so_doanh_nghiep.len(), 14);
                    assert!(u.ma_so_doanh_nghiep.starts_with(parent.as_str()));
                    b.get(parent).expect("parent exists")
                }
                None => u,
            };
            assert_eq!(
                provinces_2008().get(old).and_then(|p| p.extra.as_deref()),
                Some(head.ma_tinh.as_str())
            );
            assert!(lgsp_catalogs::provinces_2025().get(&u.ma_tinh).is_some());
            assert!(u.ngay_thanh_lap >= FIRST_REGISTRATION);
            assert!(u.ngay_thanh_lap <= LAST_REGISTRATION);
            assert!(
                lgsp_catalogs::business_types()
                    .get(u.ma_loai_hinh)
                    .is_some()
            );
            assert!(
                lgsp_catalogs::business_statuses()
                    .get(u.ma_trang_thai)
                    .is_some()
            );
            if let Some(v) = u.von_dieu_le {
                assert!((100_000_000..=1_000_000_000_000).contains(&v), "{v}");
            }
            assert!(b.get(&u.ma_so_doanh_nghiep).is_some());
        }
        let names: HashSet<String> = b.units().map(|u| fold(&u.ten)).collect();
        assert_eq!(names.len(), b.units().count(), "names are unique");
    }

    #[test]
    fn representatives_are_adult_living_citizens() {
        let w = world();
        let mut same_province = 0;
        for u in w.businesses().units() {
            assert!(!u.nguoi_dai_dien.is_empty());
            for r in &u.nguoi_dai_dien {
                let c = w.citizen(&r.so_dinh_danh).expect("a citizen");
                assert_eq!(c.ho_ten, r.ho_ten);
                assert!(c.ngay_mat.is_none());
                assert!(adult_on(c, u.ngay_thanh_lap), "adult at registration");
                assert!(adult_on(c, r.ngay_bat_dau));
                assert!(r.ngay_bat_dau >= u.ngay_thanh_lap);
                same_province += usize::from(c.ma_tinh == u.ma_tinh);
                assert!(
                    w.businesses()
                        .represented_by(&r.so_dinh_danh)
                        .iter()
                        .any(|x| x.ma_so_doanh_nghiep == u.ma_so_doanh_nghiep)
                );
            }
        }
        let total: usize = w.businesses().units().map(|u| u.nguoi_dai_dien.len()).sum();
        assert!(
            same_province * 10 > total * 8,
            "{same_province}/{total} local"
        );
    }

    #[test]
    fn indexes_agree_with_the_list() {
        let w = world();
        let b = w.businesses();
        let (top, _) = &w.communes_by_population()[0];
        let here = b.in_commune(top);
        assert!(!here.is_empty(), "the largest commune has businesses");
        assert!(here.iter().all(|u| &u.ma_xa == top));
        assert_eq!(here.len(), b.units().filter(|u| &u.ma_xa == top).count());
        let p = &here[0].ma_tinh;
        assert_eq!(
            b.in_province(p).len(),
            b.units().filter(|u| &u.ma_tinh == p).count()
        );
        let brand = fold(&here[0].ten);
        let hits = b.search_name(&brand.to_uppercase());
        assert!(
            hits.iter()
                .any(|u| u.ma_so_doanh_nghiep == here[0].ma_so_doanh_nghiep)
        );
        assert!(b.search_name("  ").is_empty());
        let codes = [here[0].ma_so_doanh_nghiep.clone(), "0100000000".to_owned()];
        assert_eq!(b.get_many(&codes).len(), 1);
    }

    #[test]
    fn same_seed_same_businesses() {
        let a = world();
        let b = world();
        let (x, y) = (a.businesses().all(), b.businesses().all());
        assert_eq!(x.len(), y.len());
        for (p, q) in x.iter().zip(y).step_by(97) {
            assert_eq!(p.ma_so_doanh_nghiep, q.ma_so_doanh_nghiep);
            assert_eq!(p.ten, q.ten);
            assert_eq!(p.von_dieu_le, q.von_dieu_le);
            assert_eq!(
                p.nguoi_dai_dien[0].so_dinh_danh,
                q.nguoi_dai_dien[0].so_dinh_danh
            );
        }
        let other = Businesses::generate(99, 50, a.citizens(), a.communes());
        assert_ne!(other.all()[0].ma_so_doanh_nghiep, x[0].ma_so_doanh_nghiep);
    }
}
