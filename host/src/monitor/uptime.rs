//! Uptime from the stored status changes: online time ÷ observed time in a
//! window, where time before the first decision and time spent unknown is not
//! observed.

use super::Status;
use chrono::{DateTime, Utc};

/// The share of `[start, end]` a service spent online, in percent rounded to
/// three decimals, out of the time its status was known; `None` when it was
/// never known in the window.
///
/// `changes` are `(time, new status)`, oldest first; changes before `start`
/// only set the status the window opens with.
pub(crate) fn percent(
    changes: &[(DateTime<Utc>, Status)],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Option<f64> {
    let mut status = Status::Unknown;
    let mut cursor = start;
    let (mut online, mut observed) = (0_i64, 0_i64);
    let mut count = |status: Status, from: DateTime<Utc>, to: DateTime<Utc>| {
        let span = (to - from).num_milliseconds().max(0);
        if status != Status::Unknown {
            observed += span;
        }
        if status == Status::Online {
            online += span;
        }
    };
    for &(at, to) in changes.iter().take_while(|(at, _)| *at <= end) {
        if at > cursor {
            count(status, cursor, at);
            cursor = at;
        }
        status = to;
    }
    count(status, cursor, end);
    // Millisecond totals over 90 days stay far below 2^53: exact as f64.
    (observed > 0).then(|| (online as f64 * 100_000.0 / observed as f64).round() / 1000.0)
}
