use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What the client did, for `harvest --json` and the benchmarks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClientStats {
    /// Per rate-limit resource (`core`, `search`, `code_search`, `graphql`,
    /// `archive`).
    pub resources: BTreeMap<String, ResourceStats>,
    /// Requests sent with each token, in `tokens` order ("anonymous" when
    /// none is configured).
    pub requests_per_token: Vec<u64>,
}

impl ClientStats {
    pub fn total_requests(&self) -> u64 {
        self.resources.values().map(|r| r.requests).sum()
    }

    pub fn resource(&self, name: &str) -> ResourceStats {
        self.resources.get(name).cloned().unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceStats {
    /// HTTP requests sent, retries included.
    pub requests: u64,
    /// 304 answers to conditional requests (free on GitHub).
    pub not_modified: u64,
    /// Requests sent again after a failure or a limit.
    pub retries: u64,
    /// 403/429 answers that were secondary limits (should stay 0).
    pub secondary_limit_hits: u64,
    /// 403/429 answers with remaining 0 (the client's estimate was off).
    pub primary_limit_hits: u64,
    /// 5xx answers, network errors, truncated or malformed bodies.
    pub transient_errors: u64,
    /// Seconds spent waiting for this resource's limits (pacing, resets,
    /// Retry-After, back-off).
    pub wait_seconds: f64,
    /// Seconds spent backing off after 5xx, network errors and unreadable
    /// answers.
    pub backoff_seconds: f64,
    /// Bytes of bodies received (archives included).
    pub bytes: u64,
}

#[derive(Debug, Default)]
pub(crate) struct StatsCell {
    inner: Mutex<ClientStats>,
}

impl StatsCell {
    pub fn new(tokens: usize) -> Self {
        StatsCell {
            inner: Mutex::new(ClientStats {
                resources: BTreeMap::new(),
                requests_per_token: vec![0; tokens.max(1)],
            }),
        }
    }

    fn with(&self, resource: &str, f: impl FnOnce(&mut ResourceStats)) {
        // A poisoned lock only means a panic elsewhere while counting; the
        // counters are still usable.
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(guard.resources.entry(resource.to_string()).or_default());
    }

    pub fn request(&self, resource: &str, token: usize) {
        self.with(resource, |r| r.requests += 1);
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = guard.requests_per_token.get_mut(token) {
            *slot += 1;
        }
    }

    pub fn not_modified(&self, resource: &str) {
        self.with(resource, |r| r.not_modified += 1);
    }

    pub fn retry(&self, resource: &str) {
        self.with(resource, |r| r.retries += 1);
    }

    pub fn secondary(&self, resource: &str) {
        self.with(resource, |r| r.secondary_limit_hits += 1);
    }

    pub fn primary(&self, resource: &str) {
        self.with(resource, |r| r.primary_limit_hits += 1);
    }

    pub fn transient(&self, resource: &str) {
        self.with(resource, |r| r.transient_errors += 1);
    }

    pub fn waited(&self, resource: &str, d: Duration) {
        if !d.is_zero() {
            self.with(resource, |r| r.wait_seconds += d.as_secs_f64());
        }
    }

    pub fn backoff(&self, resource: &str, d: Duration) {
        self.with(resource, |r| r.backoff_seconds += d.as_secs_f64());
    }

    pub fn bytes(&self, resource: &str, n: u64) {
        self.with(resource, |r| r.bytes += n);
    }

    pub fn snapshot(&self) -> ClientStats {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
