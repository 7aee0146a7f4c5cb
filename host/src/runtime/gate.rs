//! What the host does to stay polite to an agency's system: a token bucket and
//! a cap on concurrent calls shared by every request to one connector, and a
//! per-query budget of upstream calls.
//!
//! The connector cannot bypass either: its outgoing HTTP goes through the host
//! (`outbound.rs`), which passes each request through the gate.

use super::manifest::UpstreamLimits;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// Lowest rate a manifest may state (one call a day).
pub(crate) const MIN_RATE: f64 = 1.0 / 86_400.0;
/// Highest rate a manifest may state.
pub(crate) const MAX_RATE: f64 = 1_000_000.0;

/// Whether a manifest's `requests_per_second` is one the gate can enforce.
pub(crate) fn is_valid_rate(rate: f64) -> bool {
    rate.is_finite() && (MIN_RATE..=MAX_RATE).contains(&rate)
}

const RATE_REFUSAL: &str =
    "the agency's rate limit would hold this call past the call deadline (its system is saturated)";
const CONCURRENCY_REFUSAL: &str =
    "every call the agency allows at once stayed busy until the call deadline";

/// Rate and concurrency limits of one connector's upstream, shared by all requests.
#[derive(Debug)]
pub(crate) struct UpstreamGate {
    concurrency: Option<std::sync::Arc<Semaphore>>,
    bucket: Option<Mutex<TokenBucket>>,
}

/// A token bucket kept as the time its next token is free ("virtual
/// scheduling"): a caller reserves the next slot under the lock and sleeps
/// outside it, so waiting callers are served in arrival order.
#[derive(Debug)]
struct TokenBucket {
    interval: Duration,
    burst: u32,
    /// The next free slot; `None` while the bucket has never been used (full).
    next_free: Option<Instant>,
}

impl TokenBucket {
    /// A full bucket: `burst` calls at once, then one per `interval`.
    fn new(interval: Duration, burst: u32) -> Self {
        Self {
            interval,
            burst,
            next_free: None,
        }
    }

    /// The instant at which the caller may send, reserved only when it is
    /// no later than `latest`: a caller that would have to give up anyway
    /// takes no slot, so the schedule never runs further ahead than one
    /// call deadline, however many callers time out.
    fn reserve(&mut self, now: Instant, latest: Instant) -> Option<Instant> {
        // Capacity for `burst` immediate sends: the schedule may lag `now` by
        // up to burst - 1 intervals.
        let earliest = self
            .interval
            .checked_mul(self.burst.saturating_sub(1))
            .and_then(|lag| now.checked_sub(lag))
            .unwrap_or(now);
        let slot = self.next_free.map_or(earliest, |n| n.max(earliest));
        if slot > latest {
            return None;
        }
        self.next_free = Some(slot.checked_add(self.interval).unwrap_or(slot));
        Some(slot.max(now))
    }
}

impl UpstreamGate {
    pub(crate) fn new(limits: &UpstreamLimits) -> Self {
        // The manifest's values are checked at load (`UpstreamLimits::problems`);
        // the rate again here, as `Duration::from_secs_f64` panics on a bad one.
        let bucket = limits
            .requests_per_second
            .filter(|&r| is_valid_rate(r))
            .map(|rate| {
                Mutex::new(TokenBucket::new(
                    Duration::from_secs_f64(1.0 / rate),
                    limits.burst.unwrap_or(1).max(1),
                ))
            });
        Self {
            concurrency: limits
                .max_concurrent
                .map(|n| std::sync::Arc::new(Semaphore::new(n.max(1) as usize))),
            bucket,
        }
    }

    /// Waits for a concurrency slot, then for a token, at most `max_wait` in
    /// all. The permit is held until the call's connection is closed.
    ///
    /// # Errors
    /// Why the call would wait longer than `max_wait`.
    pub(crate) async fn admit(
        &self,
        max_wait: Duration,
    ) -> Result<Option<OwnedSemaphorePermit>, &'static str> {
        let latest = Instant::now() + max_wait;
        // The slot first, then the token: a token taken while queueing for a
        // slot would let queued calls go out back to back past the burst.
        let permit = match &self.concurrency {
            Some(s) => Some(
                tokio::time::timeout_at(latest, s.clone().acquire_owned())
                    .await
                    .map_err(|_| CONCURRENCY_REFUSAL)?
                    .map_err(|_| CONCURRENCY_REFUSAL)?,
            ),
            None => None,
        };
        if let Some(bucket) = &self.bucket {
            let at = bucket
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .reserve(Instant::now(), latest)
                .ok_or(RATE_REFUSAL)?;
            tokio::time::sleep_until(at).await;
        }
        Ok(permit)
    }
}

/// How many upstream calls one query may make to one connector's upstream.
#[derive(Debug)]
pub(crate) struct CallBudget {
    used: AtomicU32,
    max: u32,
}

impl CallBudget {
    pub(crate) fn new(max: u32) -> Self {
        Self {
            used: AtomicU32::new(0),
            max,
        }
    }

    /// Takes one call from the budget; false when it is spent.
    pub(crate) fn take(&self) -> bool {
        self.used
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < self.max).then_some(n + 1)
            })
            .is_ok()
    }

    /// The ceiling.
    pub(crate) fn max(&self) -> u32 {
        self.max
    }

    /// Calls made so far.
    pub(crate) fn used(&self) -> u32 {
        self.used.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_spaces_calls_after_the_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Duration::from_millis(100), 3);
        let latest = start + Duration::from_secs(60);
        let slots: Vec<u128> = (0..6)
            .map(|_| {
                bucket
                    .reserve(start, latest)
                    .map_or(u128::MAX, |at| at.duration_since(start).as_millis())
            })
            .collect();
        assert_eq!(slots, [0, 0, 0, 100, 200, 300]);
    }

    #[test]
    fn an_idle_bucket_refills_only_up_to_the_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Duration::from_millis(100), 2);
        assert!(
            bucket
                .reserve(start, start + Duration::from_secs(1))
                .is_some()
        );
        let later = start + Duration::from_secs(10);
        let latest = later + Duration::from_secs(60);
        let slots: Vec<u128> = (0..4)
            .map(|_| {
                bucket
                    .reserve(later, latest)
                    .map_or(u128::MAX, |at| at.duration_since(later).as_millis())
            })
            .collect();
        assert_eq!(slots, [0, 0, 100, 200]);
    }

    #[test]
    fn a_caller_that_would_wait_past_its_deadline_takes_no_slot() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(Duration::from_millis(100), 1);
        let latest = start + Duration::from_millis(250);
        let slots: Vec<Option<u128>> = (0..5)
            .map(|_| {
                bucket
                    .reserve(start, latest)
                    .map(|at| at.duration_since(start).as_millis())
            })
            .collect();
        // Refused callers did not push the schedule: the next one still gets 300.
        assert_eq!(slots, [Some(0), Some(100), Some(200), None, None]);
        assert_eq!(
            bucket
                .reserve(start, start + Duration::from_secs(1))
                .map(|at| at.duration_since(start).as_millis()),
            Some(300)
        );
    }

    #[test]
    fn the_budget_stops_at_its_ceiling() {
        let budget = CallBudget::new(2);
        assert!(budget.take());
        assert!(budget.take());
        assert!(!budget.take());
        assert_eq!(budget.used(), 2);
    }
}
