//! Land parcels (thửa đất) and their rights holders (citizens and businesses),
//! as a provincial land register (CSDL đất đai) holds them.
//!
//! A parcel is identified by its commune (2025 code), its map sheet (số tờ bản
//! đồ) and its number on that sheet (số thửa). Holders are mostly adult citizens
//! of the parcel's commune (household heads first, sometimes with their spouse
//! as co-holder), so that joins by commune find rows; some parcels are leased to
//! businesses when the world has any.

use super::business::{Business, Businesses, LAST_REGISTRATION};
use super::rng::Rng;
use super::{Citizen, Date, index_under, largest_first, names};
use lgsp_catalogs::Commune;
use std::collections::{HashMap, HashSet};

/// Who holds a land-use right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A citizen (cá nhân / hộ gia đình), by personal ID.
    Person {
        /// The holder's personal ID (a citizen of the world).
        so_dinh_danh: String,
        /// The holder's full name, as on the certificate.
        ho_ten: String,
    },
    /// An organization (tổ chức), by business code.
    Organization {
        /// The holder's business code (a business of the world).
        ma_so_doanh_nghiep: String,
        /// The organization's name, as on the certificate.
        ten: String,
    },
}

impl Holder {
    /// The personal ID, for a person.
    pub fn so_dinh_danh(&self) -> Option<&str> {
        match self {
            Self::Person { so_dinh_danh, .. } => Some(so_dinh_danh),
            Self::Organization { .. } => None,
        }
    }

    /// The business code, for an organization.
    pub fn ma_so_doanh_nghiep(&self) -> Option<&str> {
        match self {
            Self::Organization {
                ma_so_doanh_nghiep, ..
            } => Some(ma_so_doanh_nghiep),
            Self::Person { .. } => None,
        }
    }

    /// The name on the certificate.
    pub fn name(&self) -> &str {
        match self {
            Self::Person { ho_ten, .. } => ho_ten,
            Self::Organization { ten, .. } => ten,
        }
    }
}

/// How the holder came to use the land (hình thức sử dụng / nguồn gốc).
pub mod hinh_thuc {
    /// Allocated by the State without land-use fee.
    pub const GIAO_KHONG_THU_TIEN: &str = "Nhà nước giao đất không thu tiền sử dụng đất";
    /// Allocated by the State against a land-use fee.
    pub const GIAO_CO_THU_TIEN: &str = "Nhà nước giao đất có thu tiền sử dụng đất";
    /// Leased by the State, rent paid every year.
    pub const THUE_HANG_NAM: &str = "Nhà nước cho thuê đất trả tiền thuê đất hằng năm";
    /// Leased by the State, rent paid once for the whole term.
    pub const THUE_MOT_LAN: &str = "Nhà nước cho thuê đất trả tiền thuê đất một lần";
    /// Right recognized by the State (công nhận quyền sử dụng đất).
    pub const CONG_NHAN: &str = "Công nhận quyền sử dụng đất";
}

/// One holder's land-use right on a parcel, with its certificate (giấy chứng
/// nhận quyền sử dụng đất). Co-holders share the certificate.
#[derive(Debug, Clone)]
pub struct LandRight {
    /// Who holds it.
    pub holder: Holder,
    /// Certificate number: two letters and six digits, e.g. `CS012345`.
    pub so_giay_chung_nhan: String,
    /// Issue date of the certificate.
    pub ngay_cap: Date,
    /// Form of use, one of the [`hinh_thuc`] constants.
    pub hinh_thuc: &'static str,
    /// End of the term of use; `None` for long-term use (sử dụng lâu dài).
    pub thoi_han_den: Option<Date>,
}

/// One land parcel.
#[derive(Debug, Clone)]
pub struct Parcel {
    /// Province (2025 code).
    pub ma_tinh: String,
    /// Commune (2025 code).
    pub ma_xa: String,
    /// Map sheet number within the commune (1..=60).
    pub so_to_ban_do: u32,
    /// Parcel number, unique within its sheet.
    pub so_thua: u32,
    /// Area in tenths of a square metre (123.4 m² is 1234), so that the one
    /// decimal the register keeps is exact.
    pub dien_tich_phan_muoi: u64,
    /// Land-use type, a code of the `loai_dat` catalog (TT 08/2024/TT-BTNMT).
    pub ma_loai_dat: &'static str,
    /// Street address or locality of the parcel.
    pub dia_chi: String,
    /// The parcel's outline; [`Parcel::hinh_hoc`] gives it as GeoJSON text.
    pub hinh_the: Outline,
    /// The rights on it: one holder, or several co-holders on one certificate.
    pub quyen_su_dung: Vec<LandRight>,
}

impl Parcel {
    /// The area in m² as text with one decimal and a decimal point (`123.4`).
    pub fn dien_tich_text(&self) -> String {
        format!(
            "{}.{}",
            self.dien_tich_phan_muoi / 10,
            self.dien_tich_phan_muoi % 10
        )
    }

    /// The outline as a GeoJSON `Polygon` (WGS 84 longitude, latitude), compact
    /// JSON text, the same on every call.
    pub fn hinh_hoc(&self) -> String {
        self.hinh_the.to_geojson()
    }

    /// The key `(ma_xa, so_to_ban_do, so_thua)`.
    pub fn key(&self) -> (&str, u32, u32) {
        (&self.ma_xa, self.so_to_ban_do, self.so_thua)
    }
}

/// A parcel's outline: an axis-aligned rectangle in degrees (WGS 84). Kept
/// as numbers and rendered on demand, because formatting tens of thousands of
/// polygons up front would dominate the world's generation time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outline {
    /// Longitude of the south-west corner.
    pub lon: f64,
    /// Latitude of the south-west corner.
    pub lat: f64,
    /// East-west extent in degrees of longitude.
    pub width: f64,
    /// North-south extent in degrees of latitude.
    pub height: f64,
}

impl Outline {
    /// The rectangle as a closed GeoJSON `Polygon` ring, counter-clockwise,
    /// seven decimals (about 1 cm), always printed with a decimal point so the
    /// numbers stay JSON floats through any re-serialization.
    pub fn to_geojson(&self) -> String {
        let (x0, y0) = (self.lon, self.lat);
        let (x1, y1) = (self.lon + self.width, self.lat + self.height);
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{x0:.7},{y0:.7}],[{x1:.7},{y0:.7}],[{x1:.7},{y1:.7}],[{x0:.7},{y1:.7}],[{x0:.7},{y0:.7}]]]}}"#
        )
    }
}

/// The land records of the world, with indexes by parcel key, commune and holder.
#[derive(Debug, Default)]
pub struct Land {
    parcels: Vec<Parcel>,
    by_key: HashMap<(String, u32, u32), u32>,
    by_commune: HashMap<String, Vec<u32>>,
    by_person: HashMap<String, Vec<u32>>,
    by_business: HashMap<String, Vec<u32>>,
}

/// Share of parcels leased to businesses when there are businesses.
const BUSINESS_SHARE: f64 = 0.08;
/// Share of citizen-held parcels whose holder's spouse is a co-holder.
const CO_HOLDER_SHARE: f64 = 0.2;
/// Share of citizen-held parcels in the holder's own commune of residence.
const LOCAL_SHARE: f64 = 0.9;
/// The world's present day (the business registry's last registrations are
/// on it): no certificate is issued later.
const TODAY: Date = LAST_REGISTRATION;

impl Land {
    /// Generates `parcels` parcels held by citizens and businesses. Works with
    /// no businesses (every parcel then held by citizens) and with no adult
    /// citizens (only business parcels); with neither, there are no parcels.
    pub(crate) fn generate(
        seed: u64,
        parcels: usize,
        citizens: &[Citizen],
        businesses: &Businesses,
        communes: &[Commune],
    ) -> Self {
        let root = Rng::new(seed);
        let commune_index: HashMap<&str, usize> = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.as_str(), i))
            .collect();
        let people = Eligible::new(citizens);
        let businesses = businesses.all();
        if (people.adults.is_empty() && businesses.is_empty()) || communes.is_empty() {
            return Self::default();
        }
        // Sized up front: rehashing while growing cost as much as the rest.
        let mut land = Self {
            parcels: Vec::with_capacity(parcels),
            by_key: HashMap::with_capacity(parcels),
            by_commune: HashMap::with_capacity(communes.len()),
            by_person: HashMap::with_capacity(parcels),
            by_business: HashMap::with_capacity(businesses.len()),
        };
        let mut next_number: HashMap<(usize, u32), u32> = HashMap::new();
        let mut certificates: HashSet<u32> = HashSet::with_capacity(parcels);
        for i in 0..parcels {
            let mut rng = root.fork(i as u64);
            let to_business =
                !businesses.is_empty() && (people.adults.is_empty() || rng.chance(BUSINESS_SHARE));
            let draft = if to_business {
                let business = rng.pick(businesses);
                business_parcel(&mut rng, business)
            } else {
                person_parcel(&mut rng, &people, citizens, |xa| {
                    commune_index
                        .get(xa)
                        .is_some_and(|&i| communes[i].name.starts_with("Phường"))
                })
            };
            let Some(&ci) = commune_index.get(draft.ma_xa.as_str()) else {
                // A holder registered in a commune missing from the list:
                // the register would not have the parcel either.
                continue;
            };
            let commune = &communes[ci];
            let sheets = sheets_in(&commune.code);
            let so_to_ban_do = 1 + rng.below(u64::from(sheets)) as u32;
            let counter = next_number.entry((ci, so_to_ban_do)).or_insert(0);
            // Numbers leave gaps, as merged and split parcels do on real sheets.
            *counter += 1 + rng.below(3) as u32;
            let so_thua = *counter;
            let so_giay_chung_nhan =
                certificate_number(&mut rng, draft.ngay_cap, &mut certificates);
            let dia_chi = address(&mut rng, draft.ma_loai_dat, commune, so_to_ban_do, so_thua);
            let hinh_the = outline(
                &mut rng,
                &commune.code,
                so_to_ban_do,
                draft.dien_tich_phan_muoi,
            );
            let quyen_su_dung = draft
                .holders
                .into_iter()
                .map(|holder| LandRight {
                    holder,
                    so_giay_chung_nhan: so_giay_chung_nhan.clone(),
                    ngay_cap: draft.ngay_cap,
                    hinh_thuc: draft.hinh_thuc,
                    thoi_han_den: draft.thoi_han_den,
                })
                .collect();
            land.push(Parcel {
                ma_tinh: commune.province_code.clone(),
                ma_xa: commune.code.clone(),
                so_to_ban_do,
                so_thua,
                dien_tich_phan_muoi: draft.dien_tich_phan_muoi,
                ma_loai_dat: draft.ma_loai_dat,
                dia_chi,
                hinh_the,
                quyen_su_dung,
            });
        }
        land
    }

    fn push(&mut self, parcel: Parcel) {
        let index = self.parcels.len() as u32;
        self.by_key.insert(
            (parcel.ma_xa.clone(), parcel.so_to_ban_do, parcel.so_thua),
            index,
        );
        index_under(&mut self.by_commune, &parcel.ma_xa, index);
        for right in &parcel.quyen_su_dung {
            match &right.holder {
                Holder::Person { so_dinh_danh, .. } => {
                    index_under(&mut self.by_person, so_dinh_danh, index);
                }
                Holder::Organization {
                    ma_so_doanh_nghiep, ..
                } => index_under(&mut self.by_business, ma_so_doanh_nghiep, index),
            }
        }
        self.parcels.push(parcel);
    }

    /// Every parcel, in generation order.
    pub fn all(&self) -> &[Parcel] {
        &self.parcels
    }

    /// The parcel with this key (commune code, map sheet, parcel number).
    pub fn parcel(&self, ma_xa: &str, so_to_ban_do: u32, so_thua: u32) -> Option<&Parcel> {
        self.by_key
            .get(&(ma_xa.to_owned(), so_to_ban_do, so_thua))
            .map(|&i| &self.parcels[i as usize])
    }

    /// The parcels of a list of keys that exist, in the order asked (unknown
    /// keys are skipped).
    pub fn parcels_by_keys<'a>(
        &'a self,
        keys: impl IntoIterator<Item = (&'a str, u32, u32)> + 'a,
    ) -> impl Iterator<Item = &'a Parcel> + 'a {
        keys.into_iter()
            .filter_map(|(xa, to, thua)| self.parcel(xa, to, thua))
    }

    /// Parcels in commune `ma_xa`, in a stable order (generation order).
    pub fn parcels_in(&self, ma_xa: &str) -> impl ExactSizeIterator<Item = &Parcel> + '_ {
        self.indexed(self.by_commune.get(ma_xa))
    }

    /// Parcels on which the citizen `so_dinh_danh` holds a right (alone or as a
    /// co-holder), in generation order.
    pub fn parcels_of_person(
        &self,
        so_dinh_danh: &str,
    ) -> impl ExactSizeIterator<Item = &Parcel> + '_ {
        self.indexed(self.by_person.get(so_dinh_danh))
    }

    /// Parcels on which the business `ma_so_doanh_nghiep` holds a right, in
    /// generation order.
    pub fn parcels_of_business(
        &self,
        ma_so_doanh_nghiep: &str,
    ) -> impl ExactSizeIterator<Item = &Parcel> + '_ {
        self.indexed(self.by_business.get(ma_so_doanh_nghiep))
    }

    /// The rights the citizen `so_dinh_danh` holds, each with its parcel.
    pub fn rights_of_person<'a>(
        &'a self,
        so_dinh_danh: &'a str,
    ) -> impl Iterator<Item = (&'a Parcel, &'a LandRight)> + 'a {
        self.parcels_of_person(so_dinh_danh).flat_map(move |p| {
            p.quyen_su_dung
                .iter()
                .filter(move |r| r.holder.so_dinh_danh() == Some(so_dinh_danh))
                .map(move |r| (p, r))
        })
    }

    /// The rights the business `ma_so_doanh_nghiep` holds, each with its parcel.
    pub fn rights_of_business<'a>(
        &'a self,
        ma_so_doanh_nghiep: &'a str,
    ) -> impl Iterator<Item = (&'a Parcel, &'a LandRight)> + 'a {
        self.parcels_of_business(ma_so_doanh_nghiep)
            .flat_map(move |p| {
                p.quyen_su_dung
                    .iter()
                    .filter(move |r| r.holder.ma_so_doanh_nghiep() == Some(ma_so_doanh_nghiep))
                    .map(move |r| (p, r))
            })
    }

    /// Personal IDs of every citizen holding at least one right, in a stable
    /// (sorted) order.
    pub fn person_holders(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.by_person.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// Business codes of every business holding at least one right, sorted.
    pub fn business_holders(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = self.by_business.keys().map(String::as_str).collect();
        codes.sort_unstable();
        codes
    }

    /// Commune codes with their parcel counts, most parcels first (ties by code).
    pub fn communes_by_parcel_count(&self) -> Vec<(String, usize)> {
        largest_first(&self.by_commune)
    }

    fn indexed<'a>(
        &'a self,
        list: Option<&'a Vec<u32>>,
    ) -> impl ExactSizeIterator<Item = &'a Parcel> + 'a {
        list.map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.parcels[i as usize])
    }
}

/// Citizens who can hold land: adults alive today, household heads listed
/// apart because registers name them first.
struct Eligible {
    adults: Vec<u32>,
    heads: Vec<u32>,
    /// Household number → the head's spouse.
    spouse: HashMap<String, u32>,
}

impl Eligible {
    fn new(citizens: &[Citizen]) -> Self {
        let mut adults = Vec::new();
        let mut heads = Vec::new();
        let mut spouse = HashMap::new();
        for (i, c) in citizens.iter().enumerate() {
            if c.ngay_mat.is_some() || c.ngay_sinh.year > TODAY.year - 18 {
                continue;
            }
            adults.push(i as u32);
            match c.quan_he_chu_ho {
                "Chủ hộ" => heads.push(i as u32),
                "Vợ" | "Chồng" => {
                    spouse.insert(c.ma_ho.clone(), i as u32);
                }
                _ => {}
            }
        }
        Self {
            adults,
            heads,
            spouse,
        }
    }
}

/// A parcel before it is placed on a sheet.
struct Draft {
    ma_xa: String,
    holders: Vec<Holder>,
    ma_loai_dat: &'static str,
    dien_tich_phan_muoi: u64,
    ngay_cap: Date,
    hinh_thuc: &'static str,
    thoi_han_den: Option<Date>,
}

/// Land-use types of citizens' parcels, residential most common; `RES`
/// becomes ONT or ODT depending on whether the commune is a ward.
const RES: &str = "RES";
const PERSON_TYPES: &[(&str, u32)] = &[
    (RES, 520),
    ("LUC", 120),
    ("LUK", 80),
    ("BHK", 60),
    ("NHK", 15),
    ("CLN", 100),
    ("RSX", 40),
    ("RPH", 5),
    ("NTS", 40),
    ("LMU", 5),
    ("NKH", 15),
];
const BUSINESS_TYPES: &[(&str, u32)] = &[
    ("TMD", 45),
    ("SKC", 35),
    ("SKK", 8),
    ("SKN", 7),
    ("CLN", 3),
    ("NTS", 2),
];

fn person_parcel(
    rng: &mut Rng,
    people: &Eligible,
    citizens: &[Citizen],
    is_ward: impl Fn(&str) -> bool,
) -> Draft {
    let pool = if !people.heads.is_empty() && rng.chance(0.8) {
        &people.heads
    } else {
        &people.adults
    };
    let holder = &citizens[*rng.pick(pool) as usize];
    let ma_xa = if rng.chance(LOCAL_SHARE) {
        holder.ma_xa.clone()
    } else {
        holder.que_quan_ma_xa.clone()
    };
    let mut kind = *rng.weighted(PERSON_TYPES);
    let residential = kind == RES;
    if residential {
        // Wards are urban: residential land there is ODT.
        kind = if is_ward(&ma_xa) { "ODT" } else { "ONT" };
    }
    let earliest = (holder.ngay_sinh.year + 18).max(1994);
    let ngay_cap = day_between(rng, earliest, TODAY.year);
    let (hinh_thuc, thoi_han_den) = if residential {
        let form = if rng.chance(0.5) {
            hinh_thuc::CONG_NHAN
        } else {
            hinh_thuc::GIAO_CO_THU_TIEN
        };
        (form, None)
    } else {
        (
            hinh_thuc::GIAO_KHONG_THU_TIEN,
            Some(years_after(ngay_cap, 50)),
        )
    };
    let mut holders = vec![person(holder)];
    if holder.quan_he_chu_ho == "Chủ hộ"
        && let Some(&s) = people.spouse.get(&holder.ma_ho)
        && citizens[s as usize].ngay_sinh.year + 18 <= ngay_cap.year
        && rng.chance(CO_HOLDER_SHARE)
    {
        holders.push(person(&citizens[s as usize]));
    }
    Draft {
        ma_xa,
        holders,
        ma_loai_dat: kind,
        dien_tich_phan_muoi: area(rng, kind),
        ngay_cap,
        hinh_thuc,
        thoi_han_den,
    }
}

fn person(c: &Citizen) -> Holder {
    Holder::Person {
        so_dinh_danh: c.so_dinh_danh.clone(),
        ho_ten: c.ho_ten.clone(),
    }
}

fn business_parcel(rng: &mut Rng, b: &Business) -> Draft {
    let kind = *rng.weighted(BUSINESS_TYPES);
    let earliest = b.ngay_thanh_lap.year.max(1994);
    let mut ngay_cap = day_between(rng, earliest, TODAY.year.max(earliest));
    if ngay_cap < b.ngay_thanh_lap {
        ngay_cap = b.ngay_thanh_lap;
    }
    let hinh_thuc = if rng.chance(0.6) {
        hinh_thuc::THUE_HANG_NAM
    } else {
        hinh_thuc::THUE_MOT_LAN
    };
    let term = [20, 30, 50][rng.below(3) as usize];
    Draft {
        ma_xa: b.ma_xa.clone(),
        holders: vec![Holder::Organization {
            ma_so_doanh_nghiep: b.ma_so_doanh_nghiep.clone(),
            ten: b.ten.clone(),
        }],
        ma_loai_dat: kind,
        dien_tich_phan_muoi: area(rng, kind),
        ngay_cap,
        hinh_thuc,
        thoi_han_den: Some(years_after(ngay_cap, term)),
    }
}

/// Area in tenths of m², by land-use type.
fn area(rng: &mut Rng, kind: &str) -> u64 {
    let (lo, hi) = match kind {
        "ONT" => (80, 500),
        "ODT" => (30, 250),
        "LUC" | "LUK" => (200, 3_000),
        "BHK" | "NHK" => (200, 5_000),
        "CLN" => (300, 10_000),
        "RSX" | "RPH" => (2_000, 50_000),
        "NTS" => (300, 8_000),
        "LMU" => (500, 5_000),
        "TMD" => (100, 5_000),
        "SKC" => (500, 20_000),
        "SKK" | "SKN" => (5_000, 100_000),
        _ => (100, 2_000),
    };
    let m2 = lo + rng.below(hi - lo);
    m2 * 10 + rng.below(10)
}

fn day_between(rng: &mut Rng, from_year: i32, to_year: i32) -> Date {
    let to_year = to_year.max(from_year);
    let year = from_year + rng.below((to_year - from_year + 1) as u64) as i32;
    let month = if year == TODAY.year {
        1 + rng.below(u64::from(TODAY.month)) as u8
    } else {
        1 + rng.below(12) as u8
    };
    Date {
        year,
        month,
        day: 1 + rng.below(28) as u8,
    }
}

fn years_after(d: Date, years: i32) -> Date {
    // Days are at most 28, so the same day exists in every year.
    Date {
        year: d.year + years,
        ..d
    }
}

/// Number of map sheets of a commune: stable per commune, 20 to 60.
fn sheets_in(ma_xa: &str) -> u32 {
    20 + (fnv(ma_xa) % 41) as u32
}

/// A certificate number: series letters that follow the issue period, then
/// six digits, unique in the register.
fn certificate_number(rng: &mut Rng, issued: Date, taken: &mut HashSet<u32>) -> String {
    let first: u8 = match issued.year {
        ..=2004 => 0,
        2005..=2012 => 1,
        2013..=2019 => 2,
        _ => 3,
    };
    let second = rng.below(26) as u8;
    let mut serial = rng.below(1_000_000) as u32;
    let series = u32::from(first) * 26 + u32::from(second);
    while !taken.insert(series * 1_000_000 + serial) {
        serial = (serial + 1) % 1_000_000;
    }
    format!(
        "{}{}{serial:06}",
        char::from(b'A' + first),
        char::from(b'A' + second)
    )
}

fn address(rng: &mut Rng, kind: &str, commune: &Commune, to: u32, thua: u32) -> String {
    if matches!(kind, "ONT" | "ODT" | "TMD") {
        format!(
            "Số {}, đường {}, {}",
            1 + rng.below(300),
            rng.pick(names::STREET_WORDS),
            commune.name
        )
    } else {
        format!("Thửa {thua}, tờ bản đồ {to}, {}", commune.name)
    }
}

/// A rectangle of about `area` near the commune's (hashed) position, offset by
/// its sheet on an 8×8 grid of 500 m sheets. Stays well inside Vietnam's
/// bounding box (lat 8.2–23.4, lon 102.1–109.5).
fn outline(rng: &mut Rng, ma_xa: &str, sheet: u32, area_tenths: u64) -> Outline {
    const M_PER_DEG: f64 = 111_320.0;
    let h = fnv(ma_xa);
    let lat0 = 9.0 + (h % 10_000) as f64 / 10_000.0 * 13.5;
    let lon0 = 103.0 + ((h / 10_000) % 10_000) as f64 / 10_000.0 * 5.5;
    let (row, col) = (f64::from((sheet - 1) / 8), f64::from((sheet - 1) % 8));
    let north = row * 500.0 + rng.unit() * 450.0;
    let east = col * 500.0 + rng.unit() * 450.0;
    let area = area_tenths as f64 / 10.0;
    let ratio = 0.5 + rng.unit() * 1.5;
    let width = (area * ratio).sqrt();
    let height = area / width;
    let lat = lat0 + north / M_PER_DEG;
    let per_lon = M_PER_DEG * lat.to_radians().cos();
    let lon = lon0 + east / per_lon;
    Outline {
        lon,
        lat,
        width: width / per_lon,
        height: height / M_PER_DEG,
    }
}

/// FNV-1a: a stable hash that no dependency update can change.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{World, WorldConfig};

    fn world() -> World {
        World::generate(&WorldConfig::scaled(7, 5_000, None))
    }

    #[test]
    fn keys_are_unique_and_indexed() {
        let w = world();
        let land = w.land();
        assert_eq!(land.all().len(), 3_000);
        let keys: HashSet<(&str, u32, u32)> = land.all().iter().map(Parcel::key).collect();
        assert_eq!(keys.len(), land.all().len());
        for p in land.all() {
            let (xa, to, thua) = p.key();
            assert!(std::ptr::eq(land.parcel(xa, to, thua).expect("indexed"), p));
            assert!((1..=60).contains(&p.so_to_ban_do));
            assert!(p.so_thua >= 1);
            assert!(p.dien_tich_phan_muoi > 0);
            assert!(lgsp_catalogs::land_use_types().get(p.ma_loai_dat).is_some());
            assert!(land.parcels_in(&p.ma_xa).any(|q| std::ptr::eq(q, p)));
        }
        let certificates: HashSet<&str> = land
            .all()
            .iter()
            .map(|p| p.quyen_su_dung[0].so_giay_chung_nhan.as_str())
            .collect();
        assert_eq!(certificates.len(), land.all().len());
    }

    #[test]
    fn holders_exist_and_mostly_live_in_the_commune() {
        let w = world();
        let mut local = 0;
        let mut persons = 0;
        let mut co_held = 0;
        for p in w.land().all() {
            assert!(!p.quyen_su_dung.is_empty());
            co_held += usize::from(p.quyen_su_dung.len() > 1);
            for r in &p.quyen_su_dung {
                assert_eq!(r.so_giay_chung_nhan.len(), 8);
                assert!(
                    r.so_giay_chung_nhan[..2]
                        .bytes()
                        .all(|b| b.is_ascii_uppercase())
                );
                assert!(
                    r.so_giay_chung_nhan[2..]
                        .bytes()
                        .all(|b| b.is_ascii_digit())
                );
                assert!(r.thoi_han_den.is_none_or(|end| end > r.ngay_cap));
                match &r.holder {
                    Holder::Person {
                        so_dinh_danh,
                        ho_ten,
                    } => {
                        let c = w.citizen(so_dinh_danh).expect("a citizen of the world");
                        assert_eq!(&c.ho_ten, ho_ten);
                        assert!(c.ngay_sinh.year + 18 <= r.ngay_cap.year);
                        persons += 1;
                        local += usize::from(c.ma_xa == p.ma_xa);
                        assert!(
                            w.land()
                                .rights_of_person(so_dinh_danh)
                                .any(|(q, _)| std::ptr::eq(q, p))
                        );
                    }
                    Holder::Organization {
                        ma_so_doanh_nghiep, ..
                    } => {
                        assert!(
                            w.businesses()
                                .all()
                                .iter()
                                .any(|b| &b.ma_so_doanh_nghiep == ma_so_doanh_nghiep)
                        );
                        assert!(w.land().parcels_of_business(ma_so_doanh_nghiep).len() > 0);
                    }
                }
            }
        }
        assert!(local * 10 > persons * 8, "{local} of {persons} local");
        assert!(co_held > 0);
        let residential = w
            .land()
            .all()
            .iter()
            .filter(|p| matches!(p.ma_loai_dat, "ONT" | "ODT"))
            .count();
        assert!(residential * 3 > w.land().all().len(), "{residential}");
    }

    #[test]
    fn businesses_hold_parcels_when_there_are_any() {
        let w = world();
        let held = w.land().business_holders().len();
        if w.businesses().all().is_empty() {
            assert_eq!(held, 0);
        } else {
            assert!(held > 0);
        }
        // Without businesses every parcel goes to citizens.
        let communes = w.communes().to_vec();
        let land = Land::generate(1, 500, w.citizens(), &Businesses::default(), &communes);
        assert_eq!(land.all().len(), 500);
        assert!(land.business_holders().is_empty());
        let none = Land::generate(1, 10, &[], &Businesses::default(), &communes);
        assert!(none.all().is_empty());
    }

    #[test]
    fn same_seed_same_land() {
        let (a, b) = (world(), world());
        for i in [0, 17, 2_999] {
            let (p, q) = (&a.land().all()[i], &b.land().all()[i]);
            assert_eq!(p.key(), q.key());
            assert_eq!(p.hinh_hoc(), q.hinh_hoc());
            assert_eq!(p.dien_tich_phan_muoi, q.dien_tich_phan_muoi);
            assert_eq!(
                p.quyen_su_dung[0].so_giay_chung_nhan,
                q.quyen_su_dung[0].so_giay_chung_nhan
            );
        }
    }

    #[test]
    fn geometry_is_a_closed_polygon_in_vietnam() {
        let w = world();
        for p in w.land().all() {
            let g: serde_json::Value = serde_json::from_str(&p.hinh_hoc()).expect("valid JSON");
            assert_eq!(g["type"], "Polygon");
            let ring = g["coordinates"][0].as_array().expect("a ring");
            assert_eq!(ring.len(), 5);
            assert_eq!(ring[0], ring[4]);
            for point in ring {
                let lon = point[0].as_f64().expect("lon");
                let lat = point[1].as_f64().expect("lat");
                assert!((102.1..=109.5).contains(&lon), "{lon}");
                assert!((8.2..=23.4).contains(&lat), "{lat}");
            }
        }
    }

    #[test]
    fn residential_land_in_wards_is_urban() {
        let w = world();
        let wards: HashSet<&str> = w
            .communes()
            .iter()
            .filter(|c| c.name.starts_with("Phường"))
            .map(|c| c.code.as_str())
            .collect();
        for p in w.land().all() {
            if p.ma_loai_dat == "ODT" {
                assert!(wards.contains(p.ma_xa.as_str()));
            }
            if p.ma_loai_dat == "ONT" {
                assert!(!wards.contains(p.ma_xa.as_str()));
            }
        }
    }
}
