//! Limits failed API-key exchanges per key id and per client address (a sliding minute), so a
//! leaked key id or a scanning client cannot grind through secrets or burn the CPU on scrypt.
//!
//! State is per process: with several instances the limit applies per instance.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(60);
/// Above this many tracked subjects, idle ones are dropped, so memory stays bounded.
const MAX_SUBJECTS: usize = 100_000;
/// Subject strings are truncated: an attacker chooses the header value.
const MAX_SUBJECT_LEN: usize = 64;

pub struct FailureLimiter {
    limit: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl FailureLimiter {
    /// `limit` failures per minute per subject; 0 turns the limiter off.
    pub fn new(limit: u32) -> Self {
        Self {
            limit: limit as usize,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn subjects(key_id: &str, client: &str) -> [String; 2] {
        let cut = |s: &str| s.chars().take(MAX_SUBJECT_LEN).collect::<String>();
        [
            format!("key:{}", cut(key_id)),
            format!("addr:{}", cut(client)),
        ]
    }

    /// `Err(seconds until a retry may succeed)` when either subject is over the limit.
    pub fn check(&self, key_id: &str, client: &str) -> Result<(), u64> {
        self.check_at(key_id, client, Instant::now())
    }

    fn check_at(&self, key_id: &str, client: &str, now: Instant) -> Result<(), u64> {
        if self.limit == 0 {
            return Ok(());
        }
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = 0u64;
        for subject in Self::subjects(key_id, client) {
            if let Some(q) = map.get_mut(&subject) {
                prune(q, now);
                if q.len() >= self.limit {
                    let oldest = q[q.len() - self.limit];
                    let until = (oldest + WINDOW).saturating_duration_since(now);
                    wait = wait.max(until.as_secs() + 1);
                }
            }
        }
        if wait > 0 {
            Err(wait)
        } else {
            Ok(())
        }
    }

    pub fn record_failure(&self, key_id: &str, client: &str) {
        self.record_at(key_id, client, Instant::now())
    }

    fn record_at(&self, key_id: &str, client: &str, now: Instant) {
        if self.limit == 0 {
            return;
        }
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_SUBJECTS {
            map.retain(|_, q| {
                prune(q, now);
                !q.is_empty()
            });
        }
        for subject in Self::subjects(key_id, client) {
            let q = map.entry(subject).or_default();
            prune(q, now);
            q.push_back(now);
            while q.len() > self.limit {
                q.pop_front();
            }
        }
    }
}

fn prune(q: &mut VecDeque<Instant>, now: Instant) {
    while q
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
    {
        q.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_and_per_address_then_forgets() {
        let l = FailureLimiter::new(3);
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(l.check_at("k", "a", t0).is_ok(), "attempt {i}");
            l.record_at("k", "a", t0);
        }
        let wait = l.check_at("k", "other-addr", t0).unwrap_err();
        assert!((1..=61).contains(&wait), "per key: {wait}");
        assert!(l.check_at("other-key", "a", t0).is_err(), "per address");
        assert!(l.check_at("other-key", "other-addr", t0).is_ok());
        assert!(l.check_at("k", "a", t0 + WINDOW).is_ok(), "window passed");
    }

    #[test]
    fn zero_turns_it_off() {
        let l = FailureLimiter::new(0);
        for _ in 0..100 {
            l.record_failure("k", "a");
        }
        assert!(l.check("k", "a").is_ok());
    }
}
