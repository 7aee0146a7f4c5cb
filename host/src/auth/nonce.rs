//! Replay protection: a nonce is accepted once while its request's date is
//! inside the clock-skew window. Kept in memory, sharded so that concurrent
//! requests rarely meet on one lock; entries leave once their window closed.
//!
//! Several nodes behind one address each keep their own set, so a replay sent
//! to another node within the window is not caught; that needs the shared
//! (PostgreSQL) store and is listed as open in docs/operations.md.

use std::collections::HashMap;
use std::sync::Mutex;

const SHARDS: usize = 16;
/// Entries a shard holds before it sweeps out the expired ones.
const SWEEP_AT: usize = 4096;

/// Nonces seen, each with the time (unix seconds) after which it may go.
#[derive(Debug)]
pub(crate) struct NonceCache {
    shards: Vec<Mutex<Shard>>,
    window_secs: i64,
}

#[derive(Debug, Default)]
struct Shard {
    seen: HashMap<Box<str>, i64>,
    sweep_at: usize,
}

impl NonceCache {
    pub(crate) fn new(window_secs: i64) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            window_secs,
        }
    }

    /// Records `nonce` (scoped to `access_key`) for a request dated `date`;
    /// false when it was already recorded and has not expired.
    pub(crate) fn first_use(&self, access_key: &str, nonce: &str, date: i64, now: i64) -> bool {
        let key: Box<str> = format!("{access_key}\u{1f}{nonce}").into_boxed_str();
        let shard = &self.shards[shard_of(&key)];
        let mut shard = shard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // A request is accepted while |now - date| <= window, so its nonce
        // must be remembered until date + window has passed.
        let keep_until = date.max(now) + self.window_secs;
        if shard.seen.len() >= shard.sweep_at.max(SWEEP_AT) {
            shard.seen.retain(|_, until| *until >= now);
            shard.sweep_at = shard.seen.len() * 2;
        }
        match shard.seen.get_mut(&key) {
            Some(until) if *until >= now => false,
            Some(until) => {
                *until = keep_until;
                true
            }
            None => {
                shard.seen.insert(key, keep_until);
                true
            }
        }
    }
}

fn shard_of(key: &str) -> usize {
    // FNV-1a: cheap and spreads random nonces evenly.
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as usize % SHARDS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_accepted_once_within_the_window() {
        let cache = NonceCache::new(300);
        assert!(cache.first_use("AK", "n1", 1000, 1000));
        assert!(!cache.first_use("AK", "n1", 1000, 1100));
        // Another key may use the same nonce.
        assert!(cache.first_use("AK2", "n1", 1000, 1100));
        // After the window the request would be refused for its date anyway;
        // the entry may be reused.
        assert!(cache.first_use("AK", "n1", 1400, 1401));
    }

    #[test]
    fn sweeping_keeps_live_entries() {
        let cache = NonceCache::new(300);
        for i in 0..(SWEEP_AT * SHARDS * 2) {
            assert!(cache.first_use("AK", &format!("old{i}"), 0, 0));
        }
        assert!(cache.first_use("AK", "live", 10_000, 10_000));
        for i in 0..(SWEEP_AT * SHARDS * 2) {
            cache.first_use("AK", &format!("new{i}"), 10_000, 10_000);
        }
        assert!(!cache.first_use("AK", "live", 10_000, 10_100));
    }
}
