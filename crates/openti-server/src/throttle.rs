//! Per-caller throttling: one token bucket per authenticated principal.
//!
//! Each caller (an API token, or a JWT subject) owns a bucket of `burst` requests that refills
//! at `rate` requests per second. A request that finds the bucket empty is answered `429
//! TooManyRequests` with `Retry-After` (whole seconds until one request is available again)
//! and the Graph error envelope, like Graph's own throttling.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Throttle settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ThrottleConfig {
    /// Sustained requests per second per caller; `0` disables throttling.
    pub rate: f64,
    /// Bucket size: requests a caller may send at once.
    pub burst: u32,
}

impl Default for ThrottleConfig {
    /// 2000 requests per second sustained (Graph's historical per-application figure),
    /// bursts of 5000: a well-behaved client, even a tight sequential loop, is never throttled,
    /// while a runaway one is held to a bounded share of the server.
    fn default() -> Self {
        ThrottleConfig {
            rate: 2000.0,
            burst: 5000,
        }
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Buckets by caller key.
pub struct Throttle {
    config: ThrottleConfig,
    buckets: Mutex<HashMap<String, Bucket>>,
}

/// Buckets idle for this long are forgotten (they would be full again anyway).
const IDLE: Duration = Duration::from_secs(600);

impl Throttle {
    /// A throttle with empty state.
    pub fn new(config: ThrottleConfig) -> Self {
        Throttle {
            config,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from `key`'s bucket. `Err(wait)` when the bucket is empty, with the
    /// time until the next request is allowed.
    pub fn acquire(&self, key: &str) -> Result<(), Duration> {
        self.acquire_at(key, Instant::now())
    }

    fn acquire_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let ThrottleConfig { rate, burst } = self.config;
        if rate <= 0.0 || burst == 0 {
            return Ok(());
        }
        let cap = f64::from(burst);
        // A poisoned lock only means another request panicked mid-update; the map is still
        // usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > 10_000 {
            buckets.retain(|_, b| now.duration_since(b.updated) < IDLE);
        }
        let b = buckets.entry(key.to_string()).or_insert(Bucket {
            tokens: cap,
            updated: now,
        });
        let elapsed = now.duration_since(b.updated).as_secs_f64();
        b.tokens = (b.tokens + elapsed * rate).min(cap);
        b.updated = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / rate))
        }
    }
}

/// `Retry-After` in whole seconds (at least 1).
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs_f64().ceil().max(1.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_empties_and_refills() {
        let t = Throttle::new(ThrottleConfig {
            rate: 2.0,
            burst: 3,
        });
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(t.acquire_at("a", t0).is_ok());
        }
        let wait = t.acquire_at("a", t0).unwrap_err();
        assert_eq!(retry_after_secs(wait), 1);
        assert!(t.acquire_at("b", t0).is_ok(), "buckets are per caller");
        assert!(t.acquire_at("a", t0 + Duration::from_millis(600)).is_ok());
        assert!(t.acquire_at("a", t0 + Duration::from_millis(600)).is_err());
    }

    #[test]
    fn zero_rate_disables() {
        let t = Throttle::new(ThrottleConfig {
            rate: 0.0,
            burst: 1,
        });
        for _ in 0..100 {
            assert!(t.acquire("a").is_ok());
        }
    }
}
