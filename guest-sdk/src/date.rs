//! Calendar dates as Arrow stores them (days since 1970-01-01), with the parsers
//! Vietnamese systems need (`dd/mm/yyyy`, `yyyy-mm-dd`).

use std::fmt;

/// A calendar date (proleptic Gregorian).
///
/// # Examples
/// ```
/// use lgsp_guest::Date;
/// let d = Date::parse_dmy("15/03/1985").unwrap();
/// assert_eq!(d, Date::from_ymd(1985, 3, 15).unwrap());
/// assert_eq!(d.to_string(), "1985-03-15");
/// assert_eq!(Date::from_ymd(1970, 1, 1).unwrap().days_since_epoch(), 0);
/// assert!(Date::from_ymd(2023, 2, 29).is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i32);

impl Date {
    /// The date `year-month-day`, or `None` if there is no such day. A
    /// `const fn`, so that fixed dates can be constants.
    pub const fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        if month < 1 || month > 12 || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Self(days_from_civil(year, month, day)))
    }

    /// From days since 1970-01-01.
    pub const fn from_days_since_epoch(days: i32) -> Self {
        Self(days)
    }

    /// Today in Vietnam (UTC+7), from the system clock (in the platform,
    /// WASI's wall clock). A clock set before 1970 reads as 1970-01-01.
    pub fn today() -> Self {
        const VIETNAM_OFFSET_SECS: u64 = 7 * 3600;
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let days = (secs + VIETNAM_OFFSET_SECS) / 86_400;
        Self(i32::try_from(days).unwrap_or(i32::MAX))
    }

    /// Days since 1970-01-01 (Arrow `Date32`).
    pub fn days_since_epoch(self) -> i32 {
        self.0
    }

    /// Parses `dd/mm/yyyy` (also `d/m/yyyy`).
    pub fn parse_dmy(s: &str) -> Option<Self> {
        let mut it = s.trim().split('/');
        let day = it.next()?.parse().ok()?;
        let month = it.next()?.parse().ok()?;
        let year = it.next()?.parse().ok()?;
        if it.next().is_some() {
            return None;
        }
        Self::from_ymd(year, month, day)
    }

    /// Parses `yyyy-mm-dd`.
    pub fn parse_iso(s: &str) -> Option<Self> {
        let mut it = s.trim().split('-');
        let year = it.next()?.parse().ok()?;
        let month = it.next()?.parse().ok()?;
        let day = it.next()?.parse().ok()?;
        if it.next().is_some() {
            return None;
        }
        Self::from_ymd(year, month, day)
    }

    /// `(year, month, day)`.
    pub fn to_ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.0)
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.to_ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

const fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

// Howard Hinnant's days_from_civil / civil_from_days algorithms.
const fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400) as u32;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe as i32 - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe as i32 + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_across_centuries() {
        for days in (-50_000..60_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(
            Date::from_ymd(2000, 3, 1).map(Date::days_since_epoch),
            Some(11_017)
        );
    }

    #[test]
    fn today_is_after_the_2025_reorganization() {
        // The machine's clock is at least as late as this code.
        assert!(Date::today() >= Date::from_days_since_epoch(20_270));
        assert!(Date::today() < Date::from_days_since_epoch(20_270 + 365 * 100));
    }

    #[test]
    fn rejects_garbage() {
        assert!(Date::parse_dmy("31/02/2020").is_none());
        assert!(Date::parse_dmy("1985-03-15").is_none());
        assert!(Date::parse_iso("15/03/1985").is_none());
        assert!(Date::parse_dmy("01/01/2020/1").is_none());
    }
}
