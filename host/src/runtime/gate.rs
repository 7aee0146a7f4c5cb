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
    /// The instant at which the caller may send.
    fn reserve(&mut self, now: Instant) -> Instant {
        // Capacity for `burst` immediate sends: the schedule may lag `now` by
        // up to burst - 1 intervals.
        let earliest = now
            .checked_sub(self.interval * self.burst.saturating_sub(1))
            .unwrap_or(now);
        let slot = self.next_free.map_or(earliest, |n| n.max(earliest));
        self.next_free = Some(slot + self.interval);
        slot.max(now)
    }
}

impl UpstreamGate {
    pub(crate) fn new(limits: &UpstreamLimits) -> Self {
        let bucket = limits
            .requests_per_second
            .filter(|r| r.is_finite() && *r > 0.0)
            .map(|rate| {
                Mutex::new(TokenBucket {
                    interval: Duration::from_secs_f64(1.0 / rate),
                    burst: limits.burst.unwrap_or(1).max(1),
                    next_free: None,
                })
            });
        Self {
            concurrency: limits
                .max_concurrent
                .map(|n| std::sync::Arc::new(Semaphore::new(n.max(1) as usize))),
            bucket,
        }
    }

    /// Waits for a token and a concurrency slot. The permit is held until the
    /// call's connection is closed.
    pub(crate) async fn admit(&self) -> Option<OwnedSemaphorePermit> {
        if let Some(bucket) = &self.bucket {
            let at = bucket
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .reserve(Instant::now());
            tokio::time::sleep_until(at).await;
        }
        match &self.concurrency {
            // The semaphore is never closed, so acquiring only waits.
            Some(s) => s.clone().acquire_owned().await.ok(),
            None => None,
        }
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
        let mut bucket = TokenBucket {
            interval: Duration::from_millis(100),
            burst: 3,
            next_free: None,
        };
        let slots: Vec<u128> = (0..6)
            .map(|_| bucket.reserve(start).duration_since(start).as_millis())
            .collect();
        assert_eq!(slots, [0, 0, 0, 100, 200, 300]);
    }

    #[test]
    fn an_idle_bucket_refills_only_up_to_the_burst() {
        let start = Instant::now();
        let mut bucket = TokenBucket {
            interval: Duration::from_millis(100),
            burst: 2,
            next_free: None,
        };
        let later = start + Duration::from_secs(10);
        let slots: Vec<u128> = (0..4)
            .map(|_| bucket.reserve(later).duration_since(later).as_millis())
            .collect();
        assert_eq!(slots, [0, 0, 100, 200]);
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
