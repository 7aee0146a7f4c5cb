//! Records the population database never re-coded: a few citizens' records
//! were last updated before the 2025 reorganization and still carry the
//! commune and province codes of that time.

use super::rng::Rng;
use super::{Citizen, Date, days_in_month};
use std::collections::HashMap;

/// A commune of the list in force before 2025-07-01, with the 2025 communes
/// it went into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldCommune {
    /// Its 5-digit code before 2025-07-01.
    pub code: String,
    /// Its province's code before 2025-07-01 (one of the 63).
    pub province_code: String,
    /// The 2025 communes it went into: one when it merged whole, several when
    /// it was split.
    pub successors: Vec<String>,
}

/// Share of citizens whose record was last updated before 2025-07-01.
const LEGACY_SHARE: f64 = 0.05;
/// Among the old communes that became part of a commune, how often a split
/// one is chosen when there is one, so that splits show up in every world.
const SPLIT_PREFERENCE: f64 = 0.5;
/// Seed stream of the recorded fields, forked from each citizen's own
/// generator so that adding them reshuffles nothing else.
const RECORD_STREAM: u64 = 0x5EC0_4D00;

/// Legacy records were last updated in the three years before the
/// reorganization (2022-07 to 2025-06), the others since (2025-07 to
/// 2025-12, the world's present).
const LEGACY_FIRST_MONTH: (i32, u8) = (2022, 7);
const LEGACY_MONTHS: u64 = 36;
const CURRENT_FIRST_MONTH: (i32, u8) = (2025, 7);
const CURRENT_MONTHS: u64 = 6;

/// The old communes by the 2025 commune they (partly) went into.
pub(super) struct History<'a> {
    old: &'a [OldCommune],
    by_successor: HashMap<&'a str, Vec<usize>>,
}

impl<'a> History<'a> {
    pub(super) fn new(old: &'a [OldCommune]) -> Self {
        let mut by_successor: HashMap<&'a str, Vec<usize>> = HashMap::new();
        for (i, o) in old.iter().enumerate() {
            for s in &o.successors {
                by_successor.entry(s.as_str()).or_default().push(i);
            }
        }
        Self { old, by_successor }
    }

    /// An old commune that went (wholly or partly) into `current`, split ones
    /// preferred; `None` when no old commune did.
    fn predecessor(&self, rng: &mut Rng, current: &str) -> Option<&'a OldCommune> {
        let all = self.by_successor.get(current)?;
        let splits: Vec<usize> = all
            .iter()
            .copied()
            .filter(|&i| self.old[i].successors.len() > 1)
            .collect();
        let i = if !splits.is_empty() && rng.chance(SPLIT_PREFERENCE) {
            *rng.pick(&splits)
        } else {
            *rng.pick(all)
        };
        Some(&self.old[i])
    }
}

/// Fills the fields as the population database records them: for about 5%
/// of citizens (when `history` is given) the pre-2025 codes of an old
/// commune each address went into and an update date before 2025-07-01; for
/// the rest the current codes and a later date. `citizen_rng` is the
/// citizen's own generator, before any draw.
pub(super) fn record(citizen: &mut Citizen, citizen_rng: &Rng, history: Option<&History<'_>>) {
    let mut rng = citizen_rng.fork(RECORD_STREAM);
    let legacy = history.filter(|_| rng.chance(LEGACY_SHARE)).and_then(|h| {
        // Both addresses of a legacy record carry old codes, so both need an
        // old commune; a citizen whose communes have none stays current.
        let residence = h.predecessor(&mut rng, &citizen.ma_xa)?;
        let home_town = h.predecessor(&mut rng, &citizen.que_quan_ma_xa)?;
        Some((residence, home_town))
    });
    match legacy {
        Some((residence, home_town)) => {
            citizen.ma_xa_ghi_nhan = residence.code.clone();
            citizen.ma_tinh_ghi_nhan = residence.province_code.clone();
            citizen.que_quan_ma_xa_ghi_nhan = home_town.code.clone();
            citizen.que_quan_ma_tinh_ghi_nhan = home_town.province_code.clone();
            citizen.ngay_cap_nhat = day_in(&mut rng, LEGACY_FIRST_MONTH, LEGACY_MONTHS);
        }
        None => {
            citizen.ma_xa_ghi_nhan = citizen.ma_xa.clone();
            citizen.ma_tinh_ghi_nhan = citizen.ma_tinh.clone();
            citizen.que_quan_ma_xa_ghi_nhan = citizen.que_quan_ma_xa.clone();
            citizen.que_quan_ma_tinh_ghi_nhan = citizen.que_quan_ma_tinh.clone();
            citizen.ngay_cap_nhat = day_in(&mut rng, CURRENT_FIRST_MONTH, CURRENT_MONTHS);
        }
    }
}

/// A day in the `months` months from `first` (year, month).
fn day_in(rng: &mut Rng, first: (i32, u8), months: u64) -> Date {
    let index = (first.0 * 12 + i32::from(first.1) - 1) + rng.below(months) as i32;
    let year = index.div_euclid(12);
    let month = (index.rem_euclid(12) + 1) as u8;
    let day = 1 + rng.below(u64::from(days_in_month(year, month))) as u8;
    Date { year, month, day }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::{World, WorldConfig};
    use std::collections::HashSet;

    /// An old-commune list over the synthetic communes (`9PPNN`), shaped like
    /// the real one: most 2025 communes absorbed two or three old ones whole,
    /// and every fifth old commune was split between two 2025 communes.
    fn synthetic_history(world: &World) -> Vec<OldCommune> {
        let communes = world.communes();
        let mut old = Vec::new();
        for (i, c) in communes.iter().enumerate() {
            let province = format!("{:02}", 1 + i % 63);
            for k in 0..(2 + i % 2) {
                let n = old.len();
                let mut successors = vec![c.code.clone()];
                if n % 5 == 0 {
                    let neighbour = &communes[(i + 1) % communes.len()];
                    successors.push(neighbour.code.clone());
                }
                old.push(OldCommune {
                    code: format!("{:05}", 10 * i + k),
                    province_code: province.clone(),
                    successors,
                });
            }
        }
        old
    }

    fn worlds() -> (World, World, Vec<OldCommune>) {
        let plain = World::generate(&WorldConfig::scaled(5, 20_000, None));
        let old = synthetic_history(&plain);
        let with_history = World::generate(&WorldConfig {
            old_communes: Some(old.clone()),
            ..WorldConfig::scaled(5, 20_000, None)
        });
        (plain, with_history, old)
    }

    fn is_legacy(c: &Citizen) -> bool {
        c.recorded_before_reorganization()
    }

    #[test]
    fn about_five_percent_of_records_keep_old_codes() {
        let (plain, world, old) = worlds();
        let by_code: HashMap<&str, &OldCommune> =
            old.iter().map(|o| (o.code.as_str(), o)).collect();
        let legacy: Vec<&Citizen> = world.citizens().iter().filter(|c| is_legacy(c)).collect();
        let share = legacy.len() as f64 / world.citizens().len() as f64;
        assert!((0.04..0.06).contains(&share), "legacy share {share}");
        let mut splits = 0;
        for c in &legacy {
            let o = by_code[c.ma_xa_ghi_nhan.as_str()];
            assert!(o.successors.contains(&c.ma_xa), "{} ↛ {}", o.code, c.ma_xa);
            assert_eq!(c.ma_tinh_ghi_nhan, o.province_code);
            let q = by_code[c.que_quan_ma_xa_ghi_nhan.as_str()];
            assert!(q.successors.contains(&c.que_quan_ma_xa));
            assert_eq!(c.que_quan_ma_tinh_ghi_nhan, q.province_code);
            assert!(
                c.ngay_cap_nhat
                    >= Date {
                        year: 2022,
                        month: 7,
                        day: 1
                    }
            );
            splits += usize::from(o.successors.len() > 1);
        }
        assert!(splits > 0, "no legacy record names a split commune");
        assert!(
            splits < legacy.len(),
            "every legacy record names a split commune"
        );
        // The truth and everything generated before are untouched.
        for (a, b) in plain.citizens().iter().zip(world.citizens()) {
            assert_eq!(a.so_dinh_danh, b.so_dinh_danh);
            assert_eq!(a.ma_xa, b.ma_xa);
            assert_eq!(a.que_quan_ma_xa, b.que_quan_ma_xa);
            assert_eq!(a.ma_ho, b.ma_ho);
        }
    }

    #[test]
    fn other_records_carry_current_codes_and_later_dates() {
        let (plain, world, _) = worlds();
        let last = Date {
            year: 2025,
            month: 12,
            day: 31,
        };
        for c in world.citizens().iter().filter(|c| !is_legacy(c)) {
            assert_eq!(c.ma_xa_ghi_nhan, c.ma_xa);
            assert_eq!(c.ma_tinh_ghi_nhan, c.ma_tinh);
            assert_eq!(c.que_quan_ma_xa_ghi_nhan, c.que_quan_ma_xa);
            assert_eq!(c.que_quan_ma_tinh_ghi_nhan, c.que_quan_ma_tinh);
            assert!(c.ngay_cap_nhat <= last);
        }
        // Without history nobody is legacy, but every record has a date.
        assert!(plain.citizens().iter().all(|c| !is_legacy(c)));
        let dates: HashSet<Date> = plain.citizens().iter().map(|c| c.ngay_cap_nhat).collect();
        assert!(dates.len() > 100, "{} distinct dates", dates.len());
    }

    #[test]
    fn a_commune_without_old_communes_gets_no_legacy_record() {
        let plain = World::generate(&WorldConfig::scaled(5, 5_000, None));
        let mut old = synthetic_history(&plain);
        let orphan = plain.communes_by_population()[0].0.clone();
        old.retain(|o| !o.successors.contains(&orphan));
        let world = World::generate(&WorldConfig {
            old_communes: Some(old),
            ..WorldConfig::scaled(5, 5_000, None)
        });
        assert!(world.citizens().iter().any(is_legacy));
        assert!(
            world
                .residents(&orphan)
                .chain(
                    world
                        .citizens()
                        .iter()
                        .filter(|c| c.que_quan_ma_xa == orphan)
                )
                .all(|c| !is_legacy(c))
        );
    }

    #[test]
    fn split_communes_are_preferred_when_there_are_some() {
        let old = vec![
            OldCommune {
                code: "00001".into(),
                province_code: "01".into(),
                successors: vec!["10001".into()],
            },
            OldCommune {
                code: "00002".into(),
                province_code: "01".into(),
                successors: vec!["10001".into()],
            },
            OldCommune {
                code: "00003".into(),
                province_code: "01".into(),
                successors: vec!["10001".into(), "10002".into()],
            },
        ];
        let history = History::new(&old);
        let mut rng = Rng::new(1);
        let picks: Vec<&str> = (0..3000)
            .filter_map(|_| history.predecessor(&mut rng, "10001"))
            .map(|o| o.code.as_str())
            .collect();
        let split = picks.iter().filter(|c| **c == "00003").count();
        // Half the time a split one, else any of the three: two thirds.
        assert!((1800..2200).contains(&split), "{split} of 3000");
        assert!(history.predecessor(&mut rng, "10003").is_none());
        assert!(
            (0..100)
                .filter_map(|_| history.predecessor(&mut rng, "10002"))
                .all(|o| o.code == "00003")
        );
    }
}
