//! Primary and secondary rate limits, per (token, resource), with GitHub's
//! fixed windows shortened `time_scale` times.
//!
//! One short-held mutex guards all buckets; every check is O(1) apart from
//! the timestamp log push, so tens of thousands of requests cost nothing
//! noticeable.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// GitHub's rate-limit resources, plus `archive` for codeload downloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Core,
    Search,
    CodeSearch,
    Graphql,
    Archive,
}

impl Resource {
    pub const ALL: &'static [Resource] = &[
        Resource::Core,
        Resource::Search,
        Resource::CodeSearch,
        Resource::Graphql,
        Resource::Archive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Resource::Core => "core",
            Resource::Search => "search",
            Resource::CodeSearch => "code_search",
            Resource::Graphql => "graphql",
            Resource::Archive => "archive",
        }
    }
}

/// A primary limit: `requests` per `window` (before time scaling).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub requests: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn per_minute(requests: u32) -> Limit {
        Limit {
            requests,
            window: Duration::from_secs(60),
        }
    }

    pub const fn per_hour(requests: u32) -> Limit {
        Limit {
            requests,
            window: Duration::from_secs(3600),
        }
    }

    pub const fn unlimited() -> Limit {
        Limit {
            requests: u32::MAX,
            window: Duration::from_secs(3600),
        }
    }
}

/// Per-resource primary limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub core: Limit,
    pub search: Limit,
    pub code_search: Limit,
    pub graphql: Limit,
    pub archive: Limit,
}

impl Limits {
    /// GitHub's limits for a token (a user's personal access token).
    pub const fn github_authenticated() -> Limits {
        Limits {
            core: Limit::per_hour(5000),
            search: Limit::per_minute(30),
            code_search: Limit::per_minute(10),
            graphql: Limit::per_hour(5000),
            // GitHub does not publish codeload's limits; it throttles archive
            // downloads with 429s. This is a conservative stand-in.
            archive: Limit::per_minute(300),
        }
    }

    /// GitHub's limits without a token. Code search and GraphQL need one
    /// (0 = refused with 401).
    pub const fn github_unauthenticated() -> Limits {
        Limits {
            core: Limit::per_hour(60),
            search: Limit::per_minute(10),
            code_search: Limit::per_minute(0),
            graphql: Limit::per_hour(0),
            archive: Limit::per_minute(60),
        }
    }

    pub const fn unlimited() -> Limits {
        Limits {
            core: Limit::unlimited(),
            search: Limit::unlimited(),
            code_search: Limit::unlimited(),
            graphql: Limit::unlimited(),
            archive: Limit::unlimited(),
        }
    }

    pub fn get(&self, r: Resource) -> Limit {
        match r {
            Resource::Core => self.core,
            Resource::Search => self.search,
            Resource::CodeSearch => self.code_search,
            Resource::Graphql => self.graphql,
            Resource::Archive => self.archive,
        }
    }

    pub fn set(&mut self, r: Resource, l: Limit) {
        match r {
            Resource::Core => self.core = l,
            Resource::Search => self.search = l,
            Resource::CodeSearch => self.code_search = l,
            Resource::Graphql => self.graphql = l,
            Resource::Archive => self.archive = l,
        }
    }
}

/// GitHub's secondary limits: concurrency and points per minute.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SecondaryLimits {
    pub enabled: bool,
    /// In-flight requests per token ("no more than 100 concurrent requests").
    pub max_concurrent: u32,
    /// Points per scaled minute per token and resource; a GET costs 1
    /// ("no more than 900 points per minute for REST API endpoints").
    pub points_per_minute: u32,
    /// What Retry-After says (before time scaling), and how long the token is
    /// then blocked on that resource.
    pub retry_after: Duration,
    /// 403 (GitHub's usual answer) or 429.
    pub status: u16,
    /// Share of secondary-limit answers sent without `Retry-After` (GitHub
    /// does not always send it; a client then waits at least a minute and
    /// backs off). The block lasts `retry_after` either way.
    pub without_retry_after: f64,
}

impl Default for SecondaryLimits {
    fn default() -> Self {
        SecondaryLimits {
            enabled: true,
            max_concurrent: 100,
            points_per_minute: 900,
            retry_after: Duration::from_secs(60),
            status: 403,
            without_retry_after: 0.25,
        }
    }
}

/// The state the x-ratelimit-* headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateState {
    pub resource: Resource,
    pub limit: u32,
    pub used: u32,
    pub remaining: u32,
    /// Epoch seconds, rounded up so that at that second the window has reset.
    pub reset: u64,
    pub reset_ms: u64,
}

#[derive(Debug)]
pub enum Decision {
    Allowed(RateState),
    /// Primary limit exhausted.
    Primary(RateState),
    /// Secondary limit hit; retry after this long (already scaled).
    Secondary(RateState, Duration),
    /// The resource needs a token (limit 0).
    NeedsAuth(RateState),
}

#[derive(Default)]
struct Bucket {
    window_end_ms: u64,
    used: u32,
    points_end_ms: u64,
    points: u32,
    blocked_until_ms: u64,
    /// Accepted, counted requests (ms since the Unix epoch).
    log_counted: Vec<u64>,
}

pub struct Limiter {
    auth: Limits,
    unauth: Limits,
    secondary: SecondaryLimits,
    time_scale: f64,
    buckets: Mutex<HashMap<(String, Resource), Bucket>>,
    inflight: Mutex<HashMap<String, Arc<AtomicU32>>>,
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Holds one in-flight slot of a token until dropped.
pub struct InflightGuard(Arc<AtomicU32>);

impl Drop for InflightGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A token's requests on one resource, for stats.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BucketReport {
    pub token: String,
    pub resource: Resource,
    pub counted: u64,
    /// Most counted requests in any sliding window of the resource's
    /// (scaled) window length.
    pub max_in_window: u64,
    pub window_secs: f64,
}

impl Limiter {
    pub fn new(
        auth: Limits,
        unauth: Limits,
        secondary: SecondaryLimits,
        time_scale: f64,
    ) -> Limiter {
        Limiter {
            auth,
            unauth,
            secondary,
            time_scale,
            buckets: Mutex::new(HashMap::new()),
            inflight: Mutex::new(HashMap::new()),
        }
    }

    pub fn scaled(&self, d: Duration) -> Duration {
        Duration::from_secs_f64(d.as_secs_f64() / self.time_scale)
    }

    fn limit(&self, authed: bool, r: Resource) -> Limit {
        if authed {
            self.auth.get(r)
        } else {
            self.unauth.get(r)
        }
    }

    fn window_ms(&self, l: Limit) -> u64 {
        ((l.window.as_millis() as f64 / self.time_scale).ceil() as u64).max(1)
    }

    fn state(&self, b: &Bucket, l: Limit, r: Resource, now: u64) -> RateState {
        let (used, end) = if now >= b.window_end_ms {
            (0, now + self.window_ms(l))
        } else {
            (b.used, b.window_end_ms)
        };
        RateState {
            resource: r,
            limit: l.requests,
            used,
            remaining: l.requests.saturating_sub(used),
            reset: end.div_ceil(1000),
            reset_ms: end,
        }
    }

    /// The current state without counting anything (for /rate_limit and
    /// refusals that happen before accounting).
    pub fn peek(&self, key: &str, authed: bool, r: Resource) -> RateState {
        let l = self.limit(authed, r);
        let now = now_ms();
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        match buckets.get(&(key.to_string(), r)) {
            Some(b) => self.state(b, l, r, now),
            None => self.state(&Bucket::default(), l, r, now),
        }
    }

    /// Takes an in-flight slot; None when the token already has
    /// `max_concurrent` requests in flight (a secondary limit).
    pub fn enter(&self, key: &str) -> Result<InflightGuard, ()> {
        let counter = {
            let mut m = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            m.entry(key.to_string()).or_default().clone()
        };
        let n = counter.fetch_add(1, Ordering::AcqRel) + 1;
        let guard = InflightGuard(counter);
        if self.secondary.enabled && n > self.secondary.max_concurrent {
            return Err(());
        }
        Ok(guard)
    }

    /// Counts one request against (token, resource): secondary checks first,
    /// then the primary window.
    pub fn acquire(&self, key: &str, authed: bool, r: Resource) -> Decision {
        let l = self.limit(authed, r);
        let now = now_ms();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry((key.to_string(), r)).or_default();
        if now >= b.window_end_ms {
            b.window_end_ms = now + self.window_ms(l);
            b.used = 0;
        }
        if l.requests == 0 {
            return Decision::NeedsAuth(self.state(b, l, r, now));
        }
        if self.secondary.enabled {
            let retry = self.scaled(self.secondary.retry_after);
            if now < b.blocked_until_ms {
                let left = Duration::from_millis(b.blocked_until_ms - now);
                return Decision::Secondary(self.state(b, l, r, now), left);
            }
            if now >= b.points_end_ms {
                b.points_end_ms = now + self.window_ms(Limit::per_minute(0));
                b.points = 0;
            }
            if b.points >= self.secondary.points_per_minute {
                b.blocked_until_ms = now + retry.as_millis() as u64;
                return Decision::Secondary(self.state(b, l, r, now), retry);
            }
            b.points += 1;
        }
        if b.used >= l.requests {
            return Decision::Primary(self.state(b, l, r, now));
        }
        b.used += 1;
        b.log_counted.push(now);
        Decision::Allowed(self.state(b, l, r, now))
    }

    /// Gives back a counted request (a 304 does not count against the limit).
    pub fn refund(&self, key: &str, authed: bool, r: Resource) -> RateState {
        let l = self.limit(authed, r);
        let now = now_ms();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry((key.to_string(), r)).or_default();
        if now < b.window_end_ms && b.used > 0 {
            b.used -= 1;
            b.log_counted.pop();
        }
        if self.secondary.enabled && b.points > 0 {
            b.points -= 1;
        }
        self.state(b, l, r, now)
    }

    /// Blocks a token on a resource as a secondary limit would (used by the
    /// injected `secondary_limit` fault so a client that ignores Retry-After
    /// keeps being refused).
    pub fn block(&self, key: &str, r: Resource, d: Duration) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry((key.to_string(), r)).or_default();
        b.blocked_until_ms = b.blocked_until_ms.max(now_ms() + d.as_millis() as u64);
    }

    pub fn reports(&self) -> Vec<BucketReport> {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<BucketReport> = buckets
            .iter()
            .map(|((key, r), b)| {
                let l = self.limit(!key.starts_with("anonymous"), *r);
                let w = self.window_ms(l);
                BucketReport {
                    token: key.clone(),
                    resource: *r,
                    counted: b.log_counted.len() as u64,
                    max_in_window: max_in_window(&b.log_counted, w),
                    window_secs: w as f64 / 1000.0,
                }
            })
            .collect();
        out.sort_by(|a, b| a.token.cmp(&b.token).then(a.resource.cmp(&b.resource)));
        out
    }

    /// Counted request times of every token on a resource, seconds since the
    /// Unix epoch, sorted.
    pub fn request_times(&self, r: Resource) -> Vec<f64> {
        let buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let mut v: Vec<f64> = buckets
            .iter()
            .filter(|((_, res), _)| *res == r)
            .flat_map(|(_, b)| b.log_counted.iter().map(|ms| *ms as f64 / 1000.0))
            .collect();
        v.sort_by(|a, b| a.total_cmp(b));
        v
    }
}

/// The most timestamps in any half-open window [t, t + w).
pub fn max_in_window(times: &[u64], w: u64) -> u64 {
    let mut best = 0;
    let mut lo = 0;
    for hi in 0..times.len() {
        while times[hi] >= times[lo] + w {
            lo += 1;
        }
        best = best.max(hi - lo + 1);
    }
    best as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sliding_window_peak() {
        assert_eq!(max_in_window(&[0, 10, 20, 1000, 1001], 1000), 4);
        assert_eq!(max_in_window(&[0, 10, 20, 1010, 2000], 1000), 3);
        assert_eq!(max_in_window(&[], 1000), 0);
    }

    #[test]
    fn primary_limit_and_refund() {
        let mut auth = Limits::github_authenticated();
        auth.search = Limit::per_minute(2);
        let l = Limiter::new(
            auth,
            Limits::github_unauthenticated(),
            SecondaryLimits::default(),
            1.0,
        );
        assert!(
            matches!(l.acquire("t", true, Resource::Search), Decision::Allowed(s) if s.remaining == 1)
        );
        assert!(
            matches!(l.acquire("t", true, Resource::Search), Decision::Allowed(s) if s.remaining == 0)
        );
        assert!(matches!(
            l.acquire("t", true, Resource::Search),
            Decision::Primary(_)
        ));
        let s = l.refund("t", true, Resource::Search);
        assert_eq!(s.remaining, 1);
        assert!(matches!(
            l.acquire("other", true, Resource::Search),
            Decision::Allowed(_)
        ));
        assert!(matches!(
            l.acquire("a", false, Resource::CodeSearch),
            Decision::NeedsAuth(_)
        ));
    }
}
