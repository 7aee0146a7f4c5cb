//! Social insurance: insured people, contribution history, health-insurance cards.
//!
//! Most working-age citizens have a social insurance number (mã số BHXH) and a
//! contribution history: consecutive periods with an employer from the business
//! register (never before the business was founded), or voluntary periods
//! without one. Health-insurance cards (thẻ BHYT) go to the insured and also to
//! children, pupils, retirees and households.

use super::business::{Business, Businesses, REORGANIZATION};
use super::rng::Rng;
use super::{
    Citizen, Date, Sex, days_in_month, index_under, largest_first, old_provinces_by_successor,
};
use lgsp_catalogs::health_card_beneficiaries;
use std::collections::{HashMap, HashSet};

/// The month the world's records run up to ("now" for the simulated agency).
pub const AS_OF: Month = Month {
    year: 2025,
    month: 12,
};

/// The social insurance fund was set up on 1995-01-01: no history before it.
const FIRST_MONTH: Month = Month {
    year: 1995,
    month: 1,
};

/// Regional minimum wage (zone I, 2024), the lowest insurable salary here.
pub const MIN_SALARY: u64 = 4_960_000;
/// Highest insurable salary generated.
pub const MAX_SALARY: u64 = 50_000_000;

/// Contribution kind codes (catalog `loai_dong_bhxh`).
pub mod kind {
    /// Bảo hiểm xã hội bắt buộc (through an employer).
    pub const MANDATORY: &str = "01";
    /// Bảo hiểm xã hội tự nguyện (no employer).
    pub const VOLUNTARY: &str = "02";
}

/// A calendar month, the unit contribution periods are counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// Year, e.g. 2015.
    pub year: i32,
    /// 1..=12.
    pub month: u8,
}

impl Month {
    /// Months since year 0, for arithmetic.
    fn key(self) -> i32 {
        self.year * 12 + i32::from(self.month) - 1
    }

    fn from_key(key: i32) -> Self {
        Self {
            year: key.div_euclid(12),
            month: (key.rem_euclid(12) + 1) as u8,
        }
    }

    /// The month containing `date`.
    pub fn of(date: Date) -> Self {
        Self {
            year: date.year,
            month: date.month,
        }
    }

    /// The first day of the month.
    pub fn first_day(self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: 1,
        }
    }

    /// The last day of the month.
    pub fn last_day(self) -> Date {
        Date {
            year: self.year,
            month: self.month,
            day: days_in_month(self.year, self.month),
        }
    }

    /// `MM/yyyy`, as the insurance system prints periods.
    pub fn to_mm_yyyy(self) -> String {
        format!("{:02}/{:04}", self.month, self.year)
    }
}

/// One contribution period (quá trình đóng).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContributionPeriod {
    /// First month contributed.
    pub tu_thang: Month,
    /// Last month contributed; `None` while the period is still running.
    pub den_thang: Option<Month>,
    /// The employer's business code; `None` for voluntary contributions.
    pub ma_so_doanh_nghiep: Option<String>,
    /// The employer's name (as the business register prints it).
    pub ten_don_vi: Option<String>,
    /// Monthly salary the contribution is based on, in VND.
    pub muc_luong: u64,
    /// Contribution kind, code of catalog `loai_dong_bhxh` (see [`kind`]).
    pub ma_loai_dong: &'static str,
}

/// A health-insurance card (thẻ BHYT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCard {
    /// 15 characters: beneficiary code, benefit level, 2025 province, BHXH number.
    pub ma_the: String,
    /// Beneficiary group, code of catalog `doi_tuong_bhyt` (DN, HT, TE...).
    pub ma_doi_tuong: &'static str,
    /// Benefit level 1–5.
    pub muc_huong: u8,
    /// Province (2025 code) printed in the card number.
    pub ma_tinh: String,
    /// First day of validity.
    pub gia_tri_tu: Date,
    /// Last day of validity.
    pub gia_tri_den: Date,
    /// Registered primary-care facility: province code + 3 digits.
    pub ma_noi_dang_ky_kcb: String,
}

/// One person known to the social insurance system.
#[derive(Debug, Clone)]
pub struct InsuredPerson {
    /// Social insurance number: 10 digits, unique.
    pub ma_so_bhxh: String,
    /// The citizen's personal ID.
    pub so_dinh_danh: String,
    /// Full name, as in the population database.
    pub ho_ten: String,
    /// Birth date.
    pub ngay_sinh: Date,
    /// Sex.
    pub gioi_tinh: Sex,
    /// Province (2025 code) of residence.
    pub ma_tinh: String,
    /// Province code as the record holds it: the pre-2025 code for records
    /// created before 2025-07-01, else the 2025 code.
    pub ma_tinh_ghi_nhan: String,
    /// The day the social insurance number was issued (the record's creation).
    pub ngay_cap_so: Date,
    /// Contribution history, oldest first, periods never overlapping.
    pub qua_trinh_dong: Vec<ContributionPeriod>,
    /// The current (or last) health-insurance card, if any.
    pub the_bhyt: Option<HealthCard>,
}

/// The social insurance records of the world.
#[derive(Debug, Default)]
pub struct Insurance {
    persons: Vec<InsuredPerson>,
    by_number: HashMap<String, u32>,
    by_citizen: HashMap<String, u32>,
    by_card: HashMap<String, u32>,
    by_employer: HashMap<String, Vec<u32>>,
}

impl Insurance {
    /// Generates insurance records for some of `citizens`, with employers
    /// taken from `businesses`.
    pub(crate) fn generate(seed: u64, citizens: &[Citizen], businesses: &Businesses) -> Self {
        Self::generate_with(seed, citizens, businesses.all())
    }

    /// [`Self::generate`] over a plain list of businesses (so tests can
    /// supply employers without the business generator).
    pub(crate) fn generate_with(seed: u64, citizens: &[Citizen], businesses: &[Business]) -> Self {
        let root = Rng::new(seed);
        let employers = Employers::new(businesses);
        let old_codes = old_provinces_by_successor();
        let mut taken = HashSet::new();
        let mut persons = Vec::new();
        for (i, citizen) in citizens.iter().enumerate() {
            let mut rng = root.fork(i as u64);
            if let Some(p) = generate_person(&mut rng, citizen, &employers, &old_codes, &mut taken)
            {
                persons.push(p);
            }
        }
        let mut by_number = HashMap::with_capacity(persons.len());
        let mut by_citizen = HashMap::with_capacity(persons.len());
        let mut by_card = HashMap::with_capacity(persons.len());
        let mut by_employer: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, p) in persons.iter().enumerate() {
            let i = i as u32;
            by_number.insert(p.ma_so_bhxh.clone(), i);
            by_citizen.insert(p.so_dinh_danh.clone(), i);
            if let Some(card) = &p.the_bhyt {
                by_card.insert(card.ma_the.clone(), i);
            }
            let mut seen: Vec<&str> = Vec::new();
            for code in p
                .qua_trinh_dong
                .iter()
                .filter_map(|q| q.ma_so_doanh_nghiep.as_deref())
            {
                if !seen.contains(&code) {
                    seen.push(code);
                    index_under(&mut by_employer, code, i);
                }
            }
        }
        Self {
            persons,
            by_number,
            by_citizen,
            by_card,
            by_employer,
        }
    }

    /// Every insured person, in the order of the citizens they belong to.
    pub fn persons(&self) -> &[InsuredPerson] {
        &self.persons
    }

    /// The person with this social insurance number.
    pub fn person(&self, ma_so_bhxh: &str) -> Option<&InsuredPerson> {
        self.by_number
            .get(ma_so_bhxh)
            .map(|&i| &self.persons[i as usize])
    }

    /// The person holding this personal ID, if they are insured.
    pub fn person_by_citizen(&self, so_dinh_danh: &str) -> Option<&InsuredPerson> {
        self.by_citizen
            .get(so_dinh_danh)
            .map(|&i| &self.persons[i as usize])
    }

    /// The holder of the health-insurance card `ma_the`, with the card.
    pub fn card(&self, ma_the: &str) -> Option<(&InsuredPerson, &HealthCard)> {
        let p = &self.persons[*self.by_card.get(ma_the)? as usize];
        p.the_bhyt.as_ref().map(|card| (p, card))
    }

    /// People who ever contributed through employer `ma_so_doanh_nghiep`, in a
    /// stable order (current and former employees).
    pub fn employees(
        &self,
        ma_so_doanh_nghiep: &str,
    ) -> impl ExactSizeIterator<Item = &InsuredPerson> + '_ {
        self.by_employer
            .get(ma_so_doanh_nghiep)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .map(|&i| &self.persons[i as usize])
    }

    /// People whose running (open-ended) period is with `ma_so_doanh_nghiep`.
    pub fn current_employees(
        &self,
        ma_so_doanh_nghiep: &str,
    ) -> impl Iterator<Item = &InsuredPerson> + '_ {
        let code = ma_so_doanh_nghiep.to_owned();
        self.employees(ma_so_doanh_nghiep).filter(move |p| {
            p.qua_trinh_dong.last().is_some_and(|q| {
                q.den_thang.is_none() && q.ma_so_doanh_nghiep.as_deref() == Some(&code)
            })
        })
    }

    /// Employer codes with their number of (current and former) employees,
    /// largest first.
    pub fn employers_by_headcount(&self) -> Vec<(String, usize)> {
        largest_first(&self.by_employer)
    }
}

/// Businesses as employers: sorted by founding month per province, so the
/// ones that existed at a given month are a prefix.
struct Employers<'a> {
    all: Vec<(i32, &'a Business)>,
    by_province: HashMap<&'a str, Vec<usize>>,
}

impl<'a> Employers<'a> {
    fn new(businesses: &'a [Business]) -> Self {
        let mut all: Vec<(i32, &'a Business)> = businesses
            .iter()
            .map(|b| (Month::of(b.ngay_thanh_lap).key(), b))
            .collect();
        all.sort_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| a.1.ma_so_doanh_nghiep.cmp(&b.1.ma_so_doanh_nghiep))
        });
        let mut by_province: HashMap<&'a str, Vec<usize>> = HashMap::new();
        for (i, (_, b)) in all.iter().enumerate() {
            by_province.entry(b.ma_tinh.as_str()).or_default().push(i);
        }
        Self { all, by_province }
    }

    /// An employer founded in a month strictly before `month` (so the period's
    /// first day is after the founding date), preferably in `province`.
    fn pick(&self, rng: &mut Rng, province: &str, month: i32) -> Option<&'a Business> {
        let local = self
            .by_province
            .get(province)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let existing_local = local.partition_point(|&i| self.all[i].0 < month);
        let index = if existing_local > 0 && rng.chance(0.85) {
            local[rng.below(existing_local as u64) as usize]
        } else {
            let existing = self.all.partition_point(|e| e.0 < month);
            if existing == 0 {
                return None;
            }
            rng.below(existing as u64) as usize
        };
        Some(self.all[index].1)
    }
}

fn age_at(birth: Date, on: Date) -> i32 {
    let had_birthday = (on.month, on.day) >= (birth.month, birth.day);
    on.year - birth.year - i32::from(!had_birthday)
}

fn add_days_capped(date: Date, days: u8, cap: Date) -> Date {
    let mut d = date;
    let extra = u32::from(d.day) + u32::from(days);
    let dim = u32::from(days_in_month(d.year, d.month));
    if extra <= dim {
        d.day = extra as u8;
    } else {
        let next = Month::from_key(Month::of(d).key() + 1);
        d = Date {
            year: next.year,
            month: next.month,
            day: ((extra - dim) as u8).min(days_in_month(next.year, next.month)),
        };
    }
    d.min(cap)
}

/// What a person's insurance looks like, decided once per person.
enum Profile {
    /// Contributes (or contributed) while working; `retired` once past retirement age.
    Worker { retired: bool },
    /// Only a health-insurance card with this beneficiary code.
    CardOnly(&'static str),
}

fn profile(rng: &mut Rng, age: i32) -> Option<Profile> {
    use Profile::{CardOnly, Worker};
    Some(match age {
        ..6 => {
            if !rng.chance(0.95) {
                return None;
            }
            CardOnly("TE")
        }
        6..18 => {
            if !rng.chance(0.85) {
                return None;
            }
            CardOnly("HS")
        }
        18..=65 => {
            if rng.chance(0.72) {
                Worker { retired: false }
            } else if age <= 22 && rng.chance(0.5) {
                CardOnly("SV")
            } else if rng.chance(0.35) {
                let code = *rng.pick(&["GD", "GD", "GD", "CN", "HN", "DT"]);
                CardOnly(code)
            } else {
                return None;
            }
        }
        _ => {
            if rng.chance(0.5) {
                Worker { retired: true }
            } else if age >= 80 && rng.chance(0.6) {
                CardOnly("CT")
            } else if rng.chance(0.5) {
                let code = *rng.pick(&["GD", "BT", "CC"]);
                CardOnly(code)
            } else {
                return None;
            }
        }
    })
}

fn generate_person(
    rng: &mut Rng,
    c: &Citizen,
    employers: &Employers<'_>,
    old_codes: &HashMap<String, Vec<String>>,
    taken: &mut HashSet<String>,
) -> Option<InsuredPerson> {
    if c.ngay_mat.is_some() {
        return None;
    }
    let now = AS_OF.last_day();
    let age = age_at(c.ngay_sinh, now);
    let profile = profile(rng, age)?;
    // The number carries the province where it was first issued: the
    // pre-2025 code of the birth registration, as the personal ID does.
    let ma_so_bhxh = insurance_number(rng, &c.so_dinh_danh[1..3], taken);
    let birth_key = Month::of(c.ngay_sinh).key();

    let (qua_trinh_dong, card_code, ngay_cap_so, card_validity) = match profile {
        Profile::Worker { retired } => {
            let retire_age = if c.gioi_tinh == Sex::Male { 60 } else { 55 };
            let retire_key = birth_key + retire_age * 12;
            let retired = retired || retire_key <= AS_OF.key();
            let periods = contribution_history(rng, c, birth_key, retired, retire_key, employers);
            let first = periods.first()?;
            let first_day = first.tu_thang.first_day();
            let issued = add_days_capped(first_day, rng.below(28) as u8, now);
            let last = periods.last().map(|q| q.den_thang);
            let (code, validity) = if retired {
                let start = Month::from_key(retire_key.max(AS_OF.key() - 11)).first_day();
                (
                    "HT",
                    (
                        start,
                        Month {
                            year: 2029,
                            month: 12,
                        }
                        .last_day(),
                    ),
                )
            } else {
                match last.flatten() {
                    // Still contributing: the card runs to the end of the year.
                    None => {
                        let employed = periods
                            .last()
                            .is_some_and(|q| q.ma_so_doanh_nghiep.is_some());
                        let code = if !employed {
                            "GD"
                        } else if rng.chance(0.2) {
                            "HC"
                        } else {
                            "DN"
                        };
                        (
                            code,
                            (
                                Date {
                                    year: 2025,
                                    month: 1,
                                    day: 1,
                                },
                                Date {
                                    year: 2025,
                                    month: 12,
                                    day: 31,
                                },
                            ),
                        )
                    }
                    // Stopped: the card expired with the last period.
                    Some(end) => {
                        let code = if periods
                            .last()
                            .is_some_and(|q| q.ma_so_doanh_nghiep.is_some())
                        {
                            "DN"
                        } else {
                            "GD"
                        };
                        let start = Month::from_key(end.key() - 11).first_day();
                        (code, (start, end.last_day()))
                    }
                }
            };
            (periods, code, issued, validity)
        }
        Profile::CardOnly(code) => {
            let (issued, validity) = match code {
                "TE" => {
                    let issued = add_days_capped(c.ngay_sinh, rng.below(60) as u8, now);
                    let sixth = Date {
                        year: c.ngay_sinh.year + 6,
                        month: c.ngay_sinh.month,
                        day: c
                            .ngay_sinh
                            .day
                            .min(days_in_month(c.ngay_sinh.year + 6, c.ngay_sinh.month)),
                    };
                    let end = Month::from_key(Month::of(sixth).key() - 1).last_day();
                    (issued, (c.ngay_sinh, end))
                }
                _ => {
                    // First joined some time in the last 15 years (or at birth).
                    let first = (AS_OF.key() - rng.below(180) as i32).max(birth_key + 1);
                    let issued = Month::from_key(first).first_day();
                    let start = Month::from_key(AS_OF.key() - rng.below(12) as i32);
                    let end = Month::from_key(start.key() + 11);
                    (issued, (start.first_day(), end.last_day()))
                }
            };
            (Vec::new(), code, issued, validity)
        }
    };

    let ma_tinh_ghi_nhan = if ngay_cap_so < REORGANIZATION {
        let candidates = old_codes
            .get(&c.ma_tinh)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let birth_old = &c.so_dinh_danh[1..3];
        if candidates.iter().any(|o| o == birth_old) {
            birth_old.to_owned()
        } else if candidates.is_empty() {
            c.ma_tinh.clone()
        } else {
            rng.pick(candidates).clone()
        }
    } else {
        c.ma_tinh.clone()
    };

    let muc_huong = health_card_beneficiaries()
        .get(card_code)
        .and_then(|i| i.extra.as_deref())
        .and_then(|e| e.parse().ok())
        .unwrap_or(4);
    let ma_noi_dang_ky_kcb = format!("{}{:03}", c.ma_tinh, 1 + rng.below(150));
    let the_bhyt = HealthCard {
        ma_the: format!("{card_code}{muc_huong}{}{ma_so_bhxh}", c.ma_tinh),
        ma_doi_tuong: card_code,
        muc_huong,
        ma_tinh: c.ma_tinh.clone(),
        gia_tri_tu: card_validity.0,
        gia_tri_den: card_validity.1,
        ma_noi_dang_ky_kcb,
    };
    Some(InsuredPerson {
        ma_so_bhxh,
        so_dinh_danh: c.so_dinh_danh.clone(),
        ho_ten: c.ho_ten.clone(),
        ngay_sinh: c.ngay_sinh,
        gioi_tinh: c.gioi_tinh,
        ma_tinh: c.ma_tinh.clone(),
        ma_tinh_ghi_nhan,
        ngay_cap_so,
        qua_trinh_dong,
        // Some people who stopped contributing long ago have no card any more.
        the_bhyt: Some(the_bhyt).filter(|card| card.gia_tri_den.year >= 2015),
    })
}

/// `PP` + 8 digits, unique.
fn insurance_number(rng: &mut Rng, province: &str, taken: &mut HashSet<String>) -> String {
    let mut serial = rng.below(100_000_000);
    loop {
        let number = format!("{province}{serial:08}");
        if taken.insert(number.clone()) {
            return number;
        }
        serial = (serial + 1) % 100_000_000;
    }
}

fn round_thousand(v: u64) -> u64 {
    (v / 1000 * 1000).clamp(MIN_SALARY, MAX_SALARY)
}

/// Consecutive, non-overlapping periods from the first job until now (open
/// ended) or until the person stopped or retired.
fn contribution_history(
    rng: &mut Rng,
    c: &Citizen,
    birth_key: i32,
    retired: bool,
    retire_key: i32,
    employers: &Employers<'_>,
) -> Vec<ContributionPeriod> {
    let now = AS_OF.key();
    let earliest = (birth_key + 18 * 12).max(FIRST_MONTH.key());
    // The last month contributed, and whether the last period is still running.
    let (end, running) = if retired {
        (retire_key - 1, false)
    } else if rng.chance(0.15) {
        (now - rng.below(60) as i32, false)
    } else {
        (now, true)
    };
    if earliest > end {
        return Vec::new();
    }
    let mut cursor = earliest + rng.below((end - earliest + 1).min(96) as u64) as i32;
    let mut salary = MIN_SALARY as f64 * (1.0 + rng.unit().powf(2.2) * 5.0);
    let mut periods = Vec::new();
    while cursor <= end {
        let length = 6 + rng.below(90) as i32;
        let employer = if rng.chance(0.8) {
            employers.pick(rng, &c.ma_tinh, cursor)
        } else {
            None
        };
        let last = cursor + length > end;
        let den = if last {
            (!running).then_some(end)
        } else {
            Some(cursor + length - 1)
        };
        let (ma_loai_dong, muc_luong) = match employer {
            Some(_) => (kind::MANDATORY, round_thousand(salary as u64)),
            // Voluntary contributors declare a modest income.
            None => (
                kind::VOLUNTARY,
                round_thousand((MIN_SALARY as f64 * (1.0 + rng.unit() * 0.6)) as u64),
            ),
        };
        periods.push(ContributionPeriod {
            tu_thang: Month::from_key(cursor),
            den_thang: den.map(Month::from_key),
            ma_so_doanh_nghiep: employer.map(|b| b.ma_so_doanh_nghiep.clone()),
            ten_don_vi: employer.map(|b| b.ten.clone()),
            muc_luong,
            ma_loai_dong,
        });
        if last {
            break;
        }
        cursor += length;
        if rng.chance(0.3) {
            cursor += 1 + rng.below(18) as i32;
        }
        salary = (salary * (1.0 + rng.below(30) as f64 / 100.0)).min(MAX_SALARY as f64);
    }
    periods
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{World, WorldConfig};
    use lgsp_catalogs::{contribution_types, ids};

    fn world() -> World {
        World::generate(&WorldConfig::scaled(7, 6_000, None))
    }

    /// Businesses made up here, so the employer invariants are tested even
    /// while the business generator is not there yet.
    fn fake_businesses(citizens: &[Citizen]) -> Vec<Business> {
        let mut rng = Rng::new(99);
        (0..400u32)
            .filter_map(|i| {
                let c = &citizens[rng.below(citizens.len() as u64) as usize];
                let code = ids::tax_code_with_check_digit(&format!("01{:07}", 100 + i))?;
                Some(Business {
                    ma_so_doanh_nghiep: code,
                    ngay_thanh_lap: Date {
                        year: 1990 + rng.below(35) as i32,
                        month: 1 + rng.below(12) as u8,
                        day: 1 + rng.below(28) as u8,
                    },
                    ma_tinh: c.ma_tinh.clone(),
                    ma_xa: c.ma_xa.clone(),
                    ten: format!("CÔNG TY TNHH THỬ NGHIỆM {i}"),
                    ..Business::default()
                })
            })
            .collect()
    }

    fn check_invariants(ins: &Insurance, businesses: &[Business]) {
        let by_code: HashMap<&str, &Business> = businesses
            .iter()
            .map(|b| (b.ma_so_doanh_nghiep.as_str(), b))
            .collect();
        let mut numbers = HashSet::new();
        let mut cards = HashSet::new();
        for p in ins.persons() {
            assert!(
                ids::social_insurance_number(&p.ma_so_bhxh).is_ok(),
                "{}",
                p.ma_so_bhxh
            );
            assert!(
                numbers.insert(p.ma_so_bhxh.clone()),
                "duplicate {}",
                p.ma_so_bhxh
            );
            assert_eq!(
                ins.person(&p.ma_so_bhxh).map(|x| &x.so_dinh_danh),
                Some(&p.so_dinh_danh)
            );
            assert_eq!(
                ins.person_by_citizen(&p.so_dinh_danh)
                    .map(|x| &x.ma_so_bhxh),
                Some(&p.ma_so_bhxh)
            );
            assert!(
                ids::province_code(&p.ma_tinh_ghi_nhan).is_ok(),
                "{}",
                p.ma_tinh_ghi_nhan
            );
            if p.ngay_cap_so >= REORGANIZATION {
                assert_eq!(p.ma_tinh_ghi_nhan, p.ma_tinh);
            }
            if let Some(card) = &p.the_bhyt {
                assert!(
                    ids::health_card_number(&card.ma_the).is_ok(),
                    "{}",
                    card.ma_the
                );
                assert!(card.ma_the.ends_with(&p.ma_so_bhxh));
                assert_eq!(&card.ma_the[3..5], p.ma_tinh);
                assert_eq!(&card.ma_the[..2], card.ma_doi_tuong);
                assert!(health_card_beneficiaries().get(card.ma_doi_tuong).is_some());
                assert!(card.gia_tri_tu <= card.gia_tri_den, "{}", card.ma_the);
                assert!(cards.insert(card.ma_the.clone()));
                assert_eq!(
                    ins.card(&card.ma_the).map(|(x, _)| &x.ma_so_bhxh),
                    Some(&p.ma_so_bhxh)
                );
            }
            let mut previous_end: Option<Month> = None;
            for (k, q) in p.qua_trinh_dong.iter().enumerate() {
                assert!(q.tu_thang >= FIRST_MONTH && q.tu_thang <= AS_OF);
                if let Some(end) = previous_end {
                    assert!(q.tu_thang > end, "{} overlaps", p.ma_so_bhxh);
                }
                match q.den_thang {
                    Some(end) => {
                        assert!(end >= q.tu_thang);
                        previous_end = Some(end);
                    }
                    None => assert_eq!(k, p.qua_trinh_dong.len() - 1, "only the last is open"),
                }
                assert!((MIN_SALARY..=MAX_SALARY).contains(&q.muc_luong));
                assert_eq!(q.muc_luong % 1000, 0);
                assert!(contribution_types().get(q.ma_loai_dong).is_some());
                assert_eq!(
                    q.ma_so_doanh_nghiep.is_some(),
                    q.ma_loai_dong == kind::MANDATORY
                );
                if let Some(code) = &q.ma_so_doanh_nghiep {
                    let b = by_code.get(code.as_str()).expect("employer exists");
                    assert!(
                        q.tu_thang.first_day() > b.ngay_thanh_lap,
                        "{} works for {code} from {:?}, founded {:?}",
                        p.ma_so_bhxh,
                        q.tu_thang,
                        b.ngay_thanh_lap
                    );
                    assert!(ins.employees(code).any(|e| e.ma_so_bhxh == p.ma_so_bhxh));
                }
            }
        }
    }

    #[test]
    fn without_businesses_everyone_contributes_voluntarily() {
        let w = world();
        let ins = Insurance::generate_with(0xB4A4, w.citizens(), &[]);
        check_invariants(&ins, &[]);
        assert!(ins.persons().len() > 2_000, "{}", ins.persons().len());
        let periods: Vec<&ContributionPeriod> = ins
            .persons()
            .iter()
            .flat_map(|p| &p.qua_trinh_dong)
            .collect();
        assert!(periods.len() > 1_000);
        assert!(periods.iter().all(|q| q.ma_loai_dong == kind::VOLUNTARY));
    }

    #[test]
    fn records_are_consistent_in_the_world() {
        let w = world();
        let ins = w.insurance();
        check_invariants(ins, w.businesses().all());
        assert!(ins.persons().len() > 2_000, "{}", ins.persons().len());
        // Every person is a living citizen with the same name and birth date.
        for p in ins.persons() {
            let c = w.citizen(&p.so_dinh_danh).expect("a citizen");
            assert!(c.ngay_mat.is_none());
            assert_eq!((&c.ho_ten, c.ngay_sinh), (&p.ho_ten, p.ngay_sinh));
        }
    }

    #[test]
    fn a_majority_of_working_age_citizens_is_insured() {
        let w = world();
        let adults: Vec<&Citizen> = w
            .citizens()
            .iter()
            .filter(|c| {
                c.ngay_mat.is_none() && (18..=65).contains(&age_at(c.ngay_sinh, AS_OF.last_day()))
            })
            .collect();
        let insured = adults
            .iter()
            .filter(|c| w.insurance().person_by_citizen(&c.so_dinh_danh).is_some())
            .count();
        assert!(insured * 2 > adults.len(), "{insured} of {}", adults.len());
        // Histories: some running, some closed, some voluntary; children have cards.
        let ins = w.insurance();
        assert!(ins.persons().iter().any(|p| {
            p.qua_trinh_dong
                .last()
                .is_some_and(|q| q.den_thang.is_none())
        }));
        assert!(ins.persons().iter().any(|p| p.qua_trinh_dong.len() >= 3));
        assert!(
            ins.persons()
                .iter()
                .any(|p| p.the_bhyt.as_ref().is_some_and(|t| t.ma_doi_tuong == "TE"))
        );
        assert!(
            ins.persons()
                .iter()
                .any(|p| p.the_bhyt.as_ref().is_some_and(|t| t.ma_doi_tuong == "HT"))
        );
        assert!(
            ins.persons()
                .iter()
                .any(|p| p.ma_tinh_ghi_nhan != p.ma_tinh)
        );
    }

    #[test]
    fn employers_are_used_only_after_they_were_founded() {
        let w = world();
        let businesses = fake_businesses(w.citizens());
        let ins = Insurance::generate_with(0xB4A4, w.citizens(), &businesses);
        check_invariants(&ins, &businesses);
        let employed = ins
            .persons()
            .iter()
            .flat_map(|p| &p.qua_trinh_dong)
            .filter(|q| q.ma_so_doanh_nghiep.is_some())
            .count();
        assert!(employed > 1_000, "{employed} employer periods");
        let (top, n) = ins.employers_by_headcount()[0].clone();
        assert_eq!(ins.employees(&top).len(), n);
        assert!(ins.current_employees(&top).count() <= n);
        // Most employers are in the employee's province.
        let by_code: HashMap<&str, &Business> = businesses
            .iter()
            .map(|b| (b.ma_so_doanh_nghiep.as_str(), b))
            .collect();
        let (mut local, mut total) = (0, 0);
        for p in ins.persons() {
            for q in &p.qua_trinh_dong {
                if let Some(b) = q.ma_so_doanh_nghiep.as_deref().and_then(|c| by_code.get(c)) {
                    total += 1;
                    local += usize::from(b.ma_tinh == p.ma_tinh);
                }
            }
        }
        assert!(local * 10 > total * 6, "{local} of {total} local");
    }

    #[test]
    fn same_seed_same_records() {
        let a = world();
        let b = world();
        let (a, b) = (a.insurance().persons(), b.insurance().persons());
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b).step_by(97) {
            assert_eq!(x.ma_so_bhxh, y.ma_so_bhxh);
            assert_eq!(x.qua_trinh_dong, y.qua_trinh_dong);
            assert_eq!(x.the_bhyt, y.the_bhyt);
        }
    }

    #[test]
    fn months_print_and_count() {
        let m = Month {
            year: 2019,
            month: 12,
        };
        assert_eq!(
            Month::from_key(m.key() + 1),
            Month {
                year: 2020,
                month: 1
            }
        );
        assert_eq!(m.to_mm_yyyy(), "12/2019");
        assert_eq!(
            Month {
                year: 2024,
                month: 2
            }
            .last_day()
            .day,
            29
        );
    }
}
