//! Delivering the outbox: each queued notification is POSTed to its
//! recipient, signed, until it answers 2xx, with a growing delay between
//! attempts. A recipient hears of its events in order and, once it has
//! answered 2xx, never again of the same event (a crash between its answer
//! and the database write is the one case of a repeat; `x-lgsp-event-id`
//! lets it tell).

use super::store::Pending;
use super::{Monitor, MonitorError, delta, shift};
use chrono::{DateTime, Utc};
use std::time::Duration;

/// How long one delivery attempt may take: a slow receiver must not hold up
/// the others for long.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Delay after the first failed attempt; doubles with each further failure.
const FIRST_RETRY: Duration = Duration::from_secs(5);

/// The longest delay between attempts.
const MAX_RETRY: Duration = Duration::from_secs(3600);

/// The header carrying the signer's signature of the body.
pub(crate) const SIGNATURE_HEADER: &str = "x-lgsp-signature";

/// The header carrying the change's event id.
pub(crate) const EVENT_ID_HEADER: &str = "x-lgsp-event-id";

/// The HTTP client for webhooks. No redirects: a notification goes where the
/// manifest or the configuration says, nowhere else.
pub(super) fn client() -> Result<reqwest::Client, MonitorError> {
    reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(MonitorError::Client)
}

/// The delay before attempt `failures + 1`.
fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(20);
    FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_RETRY)
}

impl Monitor {
    /// Sends every queued notification that is due at `now`, each
    /// recipient's in order, different recipients at once. A failed attempt
    /// is retried after 5 s, 10 s, 20 s... up to an hour apart, until the
    /// recipient answers 2xx or retention deletes it.
    ///
    /// Returns how many were delivered.
    ///
    /// # Errors
    /// When the outbox cannot be read or updated; an unreachable recipient
    /// is not an error (it is logged and retried).
    pub async fn deliver_due(&self, now: DateTime<Utc>) -> Result<usize, MonitorError> {
        let _one_run = self.delivery.lock().await;
        let mut delivered = 0;
        // Each round sends the head of each recipient's queue; a success
        // makes the next one the head, a failure postpones the recipient.
        loop {
            let heads = self.store.due(now).await?;
            if heads.is_empty() {
                return Ok(delivered);
            }
            let results = futures::future::join_all(heads.iter().map(|n| self.post(n))).await;
            for (n, result) in heads.iter().zip(results) {
                match result {
                    Ok(()) => {
                        self.store.delivered(n.id, now).await?;
                        delivered += 1;
                    }
                    Err(error) => {
                        let retry = backoff(n.attempts + 1);
                        tracing::warn!(url = %n.url, event_id = %n.event_id, attempt = n.attempts + 1,
                            %error, retry_in = ?retry, "status notification not delivered");
                        self.store
                            .failed(n.id, shift(now, delta(retry)), &error)
                            .await?;
                    }
                }
            }
        }
    }

    /// One attempt; `Err` says why it did not count as delivered.
    async fn post(&self, n: &Pending) -> Result<(), String> {
        let signature = (self.signer)(n.body.as_bytes());
        let response = self
            .http
            .post(&n.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(SIGNATURE_HEADER, signature)
            .header(EVENT_ID_HEADER, &n.event_id)
            .body(n.body.clone())
            .send()
            .await
            .map_err(|e| format!("{e}"))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("answered {status}"))
        }
    }

    /// How many notifications are waiting for delivery.
    ///
    /// # Errors
    /// When the outbox cannot be read.
    pub async fn undelivered(&self) -> Result<u64, MonitorError> {
        self.store.undelivered().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(4), Duration::from_secs(40));
        assert_eq!(backoff(30), MAX_RETRY);
        assert_eq!(backoff(u32::MAX), MAX_RETRY);
    }
}
