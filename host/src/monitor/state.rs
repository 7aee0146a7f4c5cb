//! The hysteresis: a service changes status only after several consecutive
//! checks agree, so one lost packet does not page anyone.

use super::{Check, Status};
use chrono::{DateTime, Utc};

/// How many consecutive checks it takes to change status.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Thresholds {
    pub(crate) failures_to_offline: u32,
    pub(crate) successes_to_online: u32,
}

/// One service's status and the run of agreeing checks behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceState {
    pub(crate) status: Status,
    /// Consecutive failed checks (0 after a good one).
    pub(crate) failures: u32,
    /// Consecutive good checks (0 after a failed one).
    pub(crate) successes: u32,
    /// When a check result was last kept as a sample.
    pub(crate) last_sample: Option<DateTime<Utc>>,
}

impl Default for ServiceState {
    fn default() -> Self {
        Self {
            status: Status::Unknown,
            failures: 0,
            successes: 0,
            last_sample: None,
        }
    }
}

impl ServiceState {
    /// Counts one check; returns the new status when the run of agreeing
    /// checks reaches its threshold. From unknown the same thresholds apply,
    /// so a new service is not declared up or down on one check either.
    pub(crate) fn observe(&mut self, good: bool, t: Thresholds) -> Option<Status> {
        let (target, run, threshold) = if good {
            self.failures = 0;
            self.successes = self.successes.saturating_add(1);
            (Status::Online, self.successes, t.successes_to_online)
        } else {
            self.successes = 0;
            self.failures = self.failures.saturating_add(1);
            (Status::Offline, self.failures, t.failures_to_offline)
        };
        // A threshold of 0 would mean "change without evidence"; treat it as 1.
        (self.status != target && run >= threshold.max(1)).then(|| {
            self.status = target;
            target
        })
    }

    /// Why the status became `to` after `check`, for people.
    pub(crate) fn reason(&self, to: Status, check: &Check) -> String {
        match to {
            Status::Offline => {
                let last = check
                    .detail
                    .clone()
                    .unwrap_or_else(|| format!("health {}", check.outcome.as_str()));
                format!("{} consecutive failed checks; last: {last}", self.failures)
            }
            Status::Online => format!("{} consecutive good checks", self.successes),
            Status::Unknown => "no longer checked".into(),
        }
    }
}
