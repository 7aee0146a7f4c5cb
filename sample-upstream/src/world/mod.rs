//! The synthetic world: one deterministic population that every simulated agency
//! system serves from, so that the same citizens appear in every source.

pub mod business;
mod history;
pub mod insurance;
pub mod land;
mod names;
mod rng;

pub use business::Businesses;
pub use history::OldCommune;
pub use insurance::Insurance;
pub use land::Land;

use lgsp_catalogs::{Commune, provinces_2008, provinces_2025};
use rng::Rng;
use std::collections::HashMap;

/// How big the world is and where its communes come from.
#[derive(Debug, Clone)]
pub struct WorldConfig {
    /// Same seed, same world, on every machine.
    pub seed: u64,
    /// Number of citizens to generate.
    pub citizens: usize,
    /// Commune list (e.g. the official GSO list). When absent, clearly labelled
    /// synthetic communes (codes `9PPNN`) are generated for each province.
    pub communes: Option<Vec<Commune>>,
    /// Number of businesses to generate.
    pub businesses: usize,
    /// Number of land parcels to generate.
    pub parcels: usize,
    /// The communes before 2025-07-01 with the 2025 communes each went
    /// into. When given, about 5% of citizens' records were last updated
    /// before the reorganization and carry the old commune and province
    /// codes (see [`Citizen::ma_xa_ghi_nhan`]); when absent, every record
    /// carries the current codes.
    pub old_communes: Option<Vec<OldCommune>>,
}

impl Default for WorldConfig {
    fn default() -> Self {
        Self {
            seed: 2025,
            citizens: 100_000,
            communes: None,
            businesses: 10_000,
            parcels: 60_000,
            old_communes: None,
        }
    }
}

impl WorldConfig {
    /// A world of `citizens` with businesses and parcels in the default
    /// proportions (one business per ten citizens, six parcels per ten).
    pub fn scaled(seed: u64, citizens: usize, communes: Option<Vec<Commune>>) -> Self {
        Self {
            seed,
            citizens,
            communes,
            businesses: citizens / 10,
            parcels: citizens * 6 / 10,
            old_communes: None,
        }
    }
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// Year, e.g. 1985.
    pub year: i32,
    /// 1..=12.
    pub month: u8,
    /// 1..=31.
    pub day: u8,
}

impl Date {
    /// `dd/mm/yyyy`, as Vietnamese systems print dates.
    pub fn to_vn(self) -> String {
        format!("{:02}/{:02}/{:04}", self.day, self.month, self.year)
    }

    /// `yyyy-mm-dd`.
    pub fn to_iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Sex as recorded in the civil-status register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    /// Nam.
    Male,
    /// Nữ.
    Female,
}

/// One citizen as the national population database holds them.
#[derive(Debug, Clone)]
pub struct Citizen {
    /// 12-digit personal ID (số định danh cá nhân).
    pub so_dinh_danh: String,
    /// Full name.
    pub ho_ten: String,
    /// Birth date.
    pub ngay_sinh: Date,
    /// Sex.
    pub gioi_tinh: Sex,
    /// Ethnic group code (QĐ 1019/QĐ-TCTK).
    pub ma_dan_toc: &'static str,
    /// Nationality, ISO 3166-1 alpha-2.
    pub ma_quoc_tich: &'static str,
    /// Province (2025 code) of the home town (quê quán).
    pub que_quan_ma_tinh: String,
    /// Commune (2025 code) of the home town.
    pub que_quan_ma_xa: String,
    /// Province (2025 code) of permanent residence (thường trú).
    pub ma_tinh: String,
    /// Commune (2025 code) of permanent residence.
    pub ma_xa: String,
    /// Street address of permanent residence.
    pub dia_chi: String,
    /// Household book number.
    pub ma_ho: String,
    /// Relation to the head of household.
    pub quan_he_chu_ho: &'static str,
    /// Date of death, if recorded.
    pub ngay_mat: Option<Date>,
    /// When the record was last updated. Records last updated before
    /// 2025-07-01 keep the codes of that time in the `*_ghi_nhan` fields.
    pub ngay_cap_nhat: Date,
    /// Commune of permanent residence as the record holds it: [`Self::ma_xa`],
    /// or for a record last updated before 2025-07-01 the pre-2025 commune
    /// it lay in (one of whose successors is [`Self::ma_xa`]).
    pub ma_xa_ghi_nhan: String,
    /// Province of permanent residence as the record holds it: the
    /// pre-2025 province of [`Self::ma_xa_ghi_nhan`] for an old record.
    pub ma_tinh_ghi_nhan: String,
    /// Home-town commune as the record holds it (old code on old records).
    pub que_quan_ma_xa_ghi_nhan: String,
    /// Home-town province as the record holds it (old code on old records).
    pub que_quan_ma_tinh_ghi_nhan: String,
}

impl Citizen {
    /// Whether the record was last updated before 2025-07-01, and so may
    /// carry pre-2025 codes.
    pub fn recorded_before_reorganization(&self) -> bool {
        self.ngay_cap_nhat < business::REORGANIZATION
    }
}

/// The generated population with its indexes.
#[derive(Debug)]
pub struct World {
    communes: Vec<Commune>,
    /// Commune code → position in `communes` (the systems that print commune
    /// names look them up per row).
    commune_index: HashMap<String, u32>,
    citizens: Vec<Citizen>,
    by_id: HashMap<String, u32>,
    by_commune: HashMap<String, Vec<u32>>,
    businesses: Businesses,
    insurance: Insurance,
    land: Land,
}

impl World {
    /// Generates the world. 100,000 citizens take well under a second in release.
    pub fn generate(config: &WorldConfig) -> Self {
        let communes = config.communes.clone().unwrap_or_else(synthetic_communes);
        let root = Rng::new(config.seed);
        let picker = CommunePicker::new(&communes, &mut root.fork(u64::MAX));
        let old_provinces = old_provinces_by_successor();
        let history = config.old_communes.as_deref().map(history::History::new);
        let mut by_id = HashMap::with_capacity(config.citizens);
        let mut citizens = Vec::with_capacity(config.citizens);
        for i in 0..config.citizens {
            let citizen_rng = root.fork(i as u64);
            let mut rng = citizen_rng.clone();
            let home = &communes[picker.pick(&mut rng)];
            let mut citizen =
                generate_citizen(&mut rng, home, &communes, &picker, &old_provinces, &by_id);
            history::record(&mut citizen, &citizen_rng, history.as_ref());
            by_id.insert(citizen.so_dinh_danh.clone(), i as u32);
            citizens.push(citizen);
        }
        let mut by_commune: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, c) in citizens.iter().enumerate() {
            by_commune
                .entry(c.ma_xa.clone())
                .or_default()
                .push(i as u32);
        }
        assign_households(&mut citizens, &communes, &by_commune, &root);
        // Each source draws from its own seed stream, so that changing one
        // source's generator never reshuffles another's data.
        let businesses = Businesses::generate(
            config.seed ^ 0xD0A4_0000,
            config.businesses,
            &citizens,
            &communes,
        );
        let insurance = Insurance::generate(config.seed ^ 0xB4A4_0000, &citizens, &businesses);
        let land = Land::generate(
            config.seed ^ 0xDA7D_0000,
            config.parcels,
            &citizens,
            &businesses,
            &communes,
        );
        let commune_index = communes
            .iter()
            .enumerate()
            .map(|(i, c)| (c.code.clone(), i as u32))
            .collect();
        Self {
            communes,
            commune_index,
            citizens,
            by_id,
            by_commune,
            businesses,
            insurance,
            land,
        }
    }

    /// Every citizen, in generation order.
    pub fn citizens(&self) -> &[Citizen] {
        &self.citizens
    }

    /// The commune list the world was built on.
    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }

    /// The commune with this code.
    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.commune_index
            .get(code)
            .map(|&i| &self.communes[i as usize])
    }

    /// The citizen with this ID.
    pub fn citizen(&self, so_dinh_danh: &str) -> Option<&Citizen> {
        self.by_id
            .get(so_dinh_danh)
            .map(|&i| &self.citizens[i as usize])
    }

    /// Citizens whose permanent residence is in `ma_xa`, in a stable order.
    pub fn residents(&self, ma_xa: &str) -> impl ExactSizeIterator<Item = &Citizen> + '_ {
        self.by_commune
            .get(ma_xa)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.citizens[i as usize])
    }

    /// The business registration records.
    pub fn businesses(&self) -> &Businesses {
        &self.businesses
    }

    /// The social insurance records.
    pub fn insurance(&self) -> &Insurance {
        &self.insurance
    }

    /// The land records.
    pub fn land(&self) -> &Land {
        &self.land
    }

    /// Commune codes with their resident counts, most populous first.
    pub fn communes_by_population(&self) -> Vec<(String, usize)> {
        largest_first(&self.by_commune)
    }
}

/// The keys of an index with the number of entries under each, most first
/// (ties by key), as the `*_by_*` rankings of the world give them.
pub(super) fn largest_first(index: &HashMap<String, Vec<u32>>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = index
        .iter()
        .map(|(k, list)| (k.clone(), list.len()))
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// Adds `index` under `key`, copying the key only the first time.
pub(super) fn index_under(map: &mut HashMap<String, Vec<u32>>, key: &str, index: u32) {
    match map.get_mut(key) {
        Some(list) => list.push(index),
        None => {
            map.insert(key.to_owned(), vec![index]);
        }
    }
}

/// 2025 province code → the pre-2025 province codes that merged into it, in
/// the order of the 2008 list.
pub(super) fn old_provinces_by_successor() -> HashMap<String, Vec<String>> {
    let mut map: HashMap<String, Vec<String>> = HashMap::new();
    for p in provinces_2008().items() {
        if let Some(new) = &p.extra {
            map.entry(new.clone()).or_default().push(p.code.clone());
        }
    }
    map
}

/// Communes of a province, weighted so that a few urban wards are large and most
/// communes small (a Zipf law over a seeded ranking), as in real registers.
struct CommunePicker {
    cumulative: Vec<f64>,
    by_province: HashMap<String, Vec<usize>>,
}

impl CommunePicker {
    fn new(communes: &[Commune], rng: &mut Rng) -> Self {
        let mut ranks: Vec<usize> = (0..communes.len()).collect();
        for i in (1..ranks.len()).rev() {
            let j = rng.below(i as u64 + 1) as usize;
            ranks.swap(i, j);
        }
        let mut weight = vec![0.0; communes.len()];
        for (rank, &idx) in ranks.iter().enumerate() {
            weight[idx] = 1.0 / (rank as f64 + 1.0);
        }
        let mut acc = 0.0;
        let cumulative = weight
            .iter()
            .map(|w| {
                acc += w;
                acc
            })
            .collect();
        let mut by_province: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, c) in communes.iter().enumerate() {
            by_province
                .entry(c.province_code.clone())
                .or_default()
                .push(i);
        }
        Self {
            cumulative,
            by_province,
        }
    }

    fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.unit() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(self.cumulative.len() - 1)
    }

    fn in_province<'a>(&'a self, province: &str) -> &'a [usize] {
        self.by_province
            .get(province)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

fn synthetic_communes() -> Vec<Commune> {
    let mut out = Vec::new();
    for p in provinces_2025().items() {
        for k in 0..98u32 {
            let kind = if k < 20 { "Phường" } else { "Xã" };
            out.push(Commune {
                code: format!("9{}{k:02}", p.code),
                name: format!("{kind} Mô phỏng {} ({})", k + 1, p.name),
                province_code: p.code.clone(),
            });
        }
    }
    out
}

fn generate_citizen(
    rng: &mut Rng,
    home: &Commune,
    communes: &[Commune],
    picker: &CommunePicker,
    old_provinces: &HashMap<String, Vec<String>>,
    taken: &HashMap<String, u32>,
) -> Citizen {
    let sex = if rng.chance(0.5) {
        Sex::Male
    } else {
        Sex::Female
    };
    let ngay_sinh = birth_date(rng);
    // The ID carries the province where the birth was registered, with its code
    // at that time: pre-2025 codes for everyone born before the reorganization.
    let birth_old = birth_province(rng, &home.province_code, old_provinces);
    let que_quan_ma_tinh = successor(&birth_old);
    let que_quan_ma_xa = match picker.in_province(&que_quan_ma_tinh) {
        [] => home.code.clone(),
        list => communes[*rng.pick(list)].code.clone(),
    };
    let so_dinh_danh = personal_id(rng, &birth_old, sex, ngay_sinh.year, taken);
    let (middle, given) = match sex {
        Sex::Male => (names::MIDDLE_MALE, names::GIVEN_MALE),
        Sex::Female => (names::MIDDLE_FEMALE, names::GIVEN_FEMALE),
    };
    let ho_ten = format!(
        "{} {} {}",
        rng.weighted(names::FAMILY_NAMES),
        rng.weighted(middle),
        rng.pick(given)
    );
    let ma_dan_toc = if rng.chance(0.97) {
        *rng.weighted(names::ETHNIC_WEIGHTS)
    } else {
        *rng.pick(names::RARE_ETHNIC)
    };
    let ma_quoc_tich = if rng.chance(0.997) {
        "VN"
    } else {
        *rng.pick(names::FOREIGN_NATIONALITIES)
    };
    let dia_chi = format!(
        "Số {}, đường {}, {}",
        1 + rng.below(300),
        rng.pick(names::STREET_WORDS),
        home.name
    );
    let ngay_mat = rng.chance(0.01).then(|| Date {
        year: (ngay_sinh.year + 1 + rng.below(60) as i32).min(2025),
        month: 1 + rng.below(12) as u8,
        day: 1 + rng.below(28) as u8,
    });
    Citizen {
        so_dinh_danh,
        ho_ten,
        ngay_sinh,
        gioi_tinh: sex,
        ma_dan_toc,
        ma_quoc_tich,
        que_quan_ma_tinh,
        que_quan_ma_xa,
        ma_tinh: home.province_code.clone(),
        ma_xa: home.code.clone(),
        dia_chi,
        ma_ho: String::new(),
        quan_he_chu_ho: "",
        ngay_mat,
        // Filled by `history::record`.
        ngay_cap_nhat: Date {
            year: 2025,
            month: 7,
            day: 1,
        },
        ma_xa_ghi_nhan: String::new(),
        ma_tinh_ghi_nhan: String::new(),
        que_quan_ma_xa_ghi_nhan: String::new(),
        que_quan_ma_tinh_ghi_nhan: String::new(),
    }
}

fn birth_date(rng: &mut Rng) -> Date {
    // Two overlapping bands: most people born 1960–2015, a tail back to 1930.
    let year = if rng.chance(0.85) {
        1960 + rng.below(56) as i32
    } else {
        1930 + rng.below(95) as i32
    };
    let month = 1 + rng.below(12) as u8;
    let day = 1 + rng.below(u64::from(days_in_month(year, month))) as u8;
    Date { year, month, day }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Mostly born in the province they live in (under its pre-2025 code), else anywhere.
fn birth_province(
    rng: &mut Rng,
    current_province: &str,
    old_provinces: &HashMap<String, Vec<String>>,
) -> String {
    let local = old_provinces
        .get(current_province)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if !local.is_empty() && rng.chance(0.75) {
        rng.pick(local).clone()
    } else {
        rng.pick(provinces_2008().items()).code.clone()
    }
}

fn successor(old_province: &str) -> String {
    provinces_2008()
        .get(old_province)
        .and_then(|p| p.extra.clone())
        .unwrap_or_else(|| old_province.to_owned())
}

/// GUIDE §3: `0PP` province + century/sex digit + 2-digit year + 6 digits.
fn personal_id(
    rng: &mut Rng,
    province: &str,
    sex: Sex,
    year: i32,
    taken: &HashMap<String, u32>,
) -> String {
    let century = match year {
        ..=1999 => 0,
        2000..=2099 => 2,
        _ => 4,
    };
    let digit = century + u32::from(sex == Sex::Female);
    let mut serial = rng.below(1_000_000);
    loop {
        let id = format!("0{province}{digit}{:02}{serial:06}", year.rem_euclid(100));
        if !taken.contains_key(&id) {
            return id;
        }
        serial = (serial + 1) % 1_000_000;
    }
}

/// Groups each commune's residents into households of one to six people.
fn assign_households(
    citizens: &mut [Citizen],
    communes: &[Commune],
    by_commune: &HashMap<String, Vec<u32>>,
    root: &Rng,
) {
    for (ci, commune) in communes.iter().enumerate() {
        let Some(members) = by_commune.get(&commune.code) else {
            continue;
        };
        let mut rng = root.fork(u64::MAX - 1 - ci as u64);
        let mut household = 0u32;
        let mut rest = members.as_slice();
        while !rest.is_empty() {
            let size = (1 + rng.below(6) as usize).min(rest.len());
            let (group, tail) = rest.split_at(size);
            household += 1;
            let ma_ho = format!("{}{household:07}", commune.code);
            let head_sex = citizens[group[0] as usize].gioi_tinh;
            for (k, &idx) in group.iter().enumerate() {
                let c = &mut citizens[idx as usize];
                c.ma_ho = ma_ho.clone();
                c.quan_he_chu_ho = match k {
                    0 => "Chủ hộ",
                    1 if c.gioi_tinh != head_sex => {
                        if c.gioi_tinh == Sex::Female {
                            "Vợ"
                        } else {
                            "Chồng"
                        }
                    }
                    _ => "Con",
                };
            }
            rest = tail;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> World {
        World::generate(&WorldConfig::scaled(7, 5_000, None))
    }

    #[test]
    fn same_seed_same_world() {
        let a = small();
        let b = small();
        assert_eq!(
            a.citizens()[123].so_dinh_danh,
            b.citizens()[123].so_dinh_danh
        );
        assert_eq!(a.citizens()[4999].ho_ten, b.citizens()[4999].ho_ten);
    }

    #[test]
    fn ids_are_valid_and_consistent() {
        let world = small();
        for c in world.citizens() {
            let id = &c.so_dinh_danh;
            assert_eq!(id.len(), 12);
            assert!(id.bytes().all(|b| b.is_ascii_digit()));
            assert!(id.starts_with('0'));
            let old_province = &id[1..3];
            assert!(provinces_2008().get(old_province).is_some(), "{id}");
            assert_eq!(successor(old_province), c.que_quan_ma_tinh);
            let digit = id.as_bytes()[3] - b'0';
            let century_ok = if c.ngay_sinh.year < 2000 {
                digit < 2
            } else {
                (2..4).contains(&digit)
            };
            assert!(century_ok, "{id} born {}", c.ngay_sinh.year);
            assert_eq!(digit % 2 == 1, c.gioi_tinh == Sex::Female, "{id}");
            assert_eq!(&id[4..6], format!("{:02}", c.ngay_sinh.year % 100));
        }
        let unique: std::collections::HashSet<_> =
            world.citizens().iter().map(|c| &c.so_dinh_danh).collect();
        assert_eq!(unique.len(), world.citizens().len());
    }

    #[test]
    fn some_communes_are_large() {
        let world = small();
        let ranking = world.communes_by_population();
        assert!(ranking[0].1 > 300, "largest commune has {}", ranking[0].1);
        assert_eq!(world.residents(&ranking[0].0).len(), ranking[0].1);
        assert!(
            world
                .residents(&ranking[0].0)
                .all(|c| c.ma_xa == ranking[0].0)
        );
    }
}
