//! Traffic control per application: a per-minute rate from its tier (GCRA,
//! through `governor`, so bursts up to the tier are allowed and the rate is
//! smooth after) and an optional daily quota. Counted per node.

use super::error::AuthError;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use lgsp_access::Application;
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One application's counters.
#[derive(Debug)]
struct Meter {
    per_minute: u32,
    limiter: DefaultDirectRateLimiter,
    per_day: Option<u64>,
    day: i64,
    used_today: u64,
}

/// Every application's counters.
#[derive(Debug, Default)]
pub(crate) struct RateLimits {
    meters: Mutex<HashMap<String, Arc<Mutex<Meter>>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl RateLimits {
    /// Counts one request of `app` made on local day `day` (days since the
    /// epoch, UTC+7) with `until_midnight` left in it.
    ///
    /// # Errors
    /// `RateLimited` or `QuotaExceeded`, each with when to retry.
    pub(crate) fn admit(
        &self,
        app: &Application,
        day: i64,
        until_midnight: Duration,
    ) -> Result<(), AuthError> {
        let per_minute = app.tier.per_minute.max(1);
        let meter = {
            let mut meters = lock(&self.meters);
            let meter = meters
                .entry(app.id.clone())
                .or_insert_with(|| Arc::new(Mutex::new(Meter::new(per_minute, app.tier.per_day))));
            meter.clone()
        };
        let mut meter = lock(&meter);
        // A tier changed by an admin applies from the next request.
        if meter.per_minute != per_minute {
            *meter = Meter::new(per_minute, app.tier.per_day);
        }
        meter.per_day = app.tier.per_day;
        if meter.day != day {
            meter.day = day;
            meter.used_today = 0;
        }
        if let Some(limit) = meter.per_day
            && meter.used_today >= limit
        {
            return Err(AuthError::QuotaExceeded {
                limit,
                retry_after: until_midnight,
            });
        }
        if let Err(not_until) = meter.limiter.check() {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            return Err(AuthError::RateLimited {
                limit: per_minute,
                retry_after: wait,
            });
        }
        meter.used_today += 1;
        Ok(())
    }
}

impl Meter {
    fn new(per_minute: u32, per_day: Option<u64>) -> Self {
        let rate = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self {
            per_minute,
            limiter: RateLimiter::direct(Quota::per_minute(rate)),
            per_day,
            day: i64::MIN,
            used_today: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lgsp_access::{AppStatus, Tier};

    fn app(per_minute: u32, per_day: Option<u64>) -> Application {
        Application {
            id: "app_test".into(),
            agency: "000.00.00.H49".parse().expect("code"),
            name: "test".into(),
            status: AppStatus::Active,
            legacy_sha1: false,
            tier: Tier {
                per_minute,
                per_day,
            },
            created_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_daily_quota_refuses_until_the_next_day() {
        let limits = RateLimits::default();
        let app = app(1000, Some(2));
        let midnight = Duration::from_secs(3600);
        assert!(limits.admit(&app, 1, midnight).is_ok());
        assert!(limits.admit(&app, 1, midnight).is_ok());
        match limits.admit(&app, 1, midnight) {
            Err(AuthError::QuotaExceeded { limit, retry_after }) => {
                assert_eq!(limit, 2);
                assert_eq!(retry_after, midnight);
            }
            other => panic!("expected quota_exceeded, got {other:?}"),
        }
        // A new day starts a new count.
        assert!(limits.admit(&app, 2, midnight).is_ok());
    }

    #[test]
    fn the_minute_rate_allows_its_burst_then_refuses_with_a_wait() {
        let limits = RateLimits::default();
        let app = app(5, None);
        for _ in 0..5 {
            assert!(limits.admit(&app, 1, Duration::from_secs(60)).is_ok());
        }
        match limits.admit(&app, 1, Duration::from_secs(60)) {
            Err(AuthError::RateLimited { limit, retry_after }) => {
                assert_eq!(limit, 5);
                assert!(retry_after <= Duration::from_secs(12), "{retry_after:?}");
            }
            other => panic!("expected rate_limited, got {other:?}"),
        }
        // A higher tier set by an admin applies at once.
        let upgraded = self::app(1000, None);
        assert!(limits.admit(&upgraded, 1, Duration::from_secs(60)).is_ok());
    }
}
