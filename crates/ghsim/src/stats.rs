//! Request accounting, served at GET /_sim/stats and by `SimHandle::stats`.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::limits::BucketReport;
use crate::server::AppStats;

/// What the simulator has served so far.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SimStats {
    /// Every request received, /_sim/* excluded.
    pub requests_total: u64,
    /// Every request received, by endpoint (`search_repositories`,
    /// `search_code`, `repo`, `commit`, `tarball`, `codeload`, `tree`,
    /// `contents`, `rate_limit`, `not_found`).
    pub requests_by_endpoint: BTreeMap<String, u64>,
    /// Requests counted against a rate limit, by resource (`core`, `search`,
    /// `code_search`, `graphql`, `archive`); 304s are not counted.
    pub counted_by_resource: BTreeMap<String, u64>,
    /// 304 Not Modified answers (not counted against any limit).
    pub not_modified: u64,
    pub not_modified_by_endpoint: BTreeMap<String, u64>,
    /// Responses by HTTP status.
    pub responses_by_status: BTreeMap<u16, u64>,
    /// Injected faults by kind.
    pub faults_injected: BTreeMap<String, u64>,
    /// Primary-limit refusals (403/429 with remaining 0), by resource.
    pub primary_refusals: BTreeMap<String, u64>,
    /// Secondary-limit refusals (403 with Retry-After), by resource; injected
    /// `secondary_limit` faults are counted under faults only.
    pub secondary_refusals: BTreeMap<String, u64>,
    /// Requests refused before rate limiting: `no_user_agent`,
    /// `bad_credentials`, `requires_authentication`, `validation_failed`,
    /// `result_cap`.
    pub rejects: BTreeMap<String, u64>,
    /// GET /repos/{o}/{r}/tarball redirects, by repository.
    pub tarball_redirects: BTreeMap<String, u64>,
    /// Codeload downloads started (200 sent), by repository.
    pub tarball_downloads: BTreeMap<String, u64>,
    /// Codeload downloads whose whole archive was sent, by repository.
    pub tarball_completed: BTreeMap<String, u64>,
    /// Per token (as `sha256:` prefix, never the token) and resource: counted
    /// requests and the most in any sliding window of the resource's scaled
    /// window length.
    pub buckets: Vec<BucketReport>,
    /// Per resource: the highest `max_in_window` over all tokens.
    pub max_in_window: BTreeMap<String, u64>,
    pub time_scale: f64,
    /// Every request received, by endpoint and `User-Agent`: which client
    /// sent what.
    #[serde(default)]
    pub requests_by_user_agent: BTreeMap<String, BTreeMap<String, u64>>,
    /// The GitHub App flow: tokens issued, JWTs refused, expired tokens used.
    #[serde(default)]
    pub app: AppStats,
}

#[derive(Default)]
pub struct StatsCollector {
    inner: Mutex<SimStats>,
}

fn bump<K: Ord>(m: &mut BTreeMap<K, u64>, k: K) {
    *m.entry(k).or_default() += 1;
}

impl StatsCollector {
    fn with(&self, f: impl FnOnce(&mut SimStats)) {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut s);
    }

    pub fn request(&self, endpoint: &str) {
        self.with(|s| {
            s.requests_total += 1;
            bump(&mut s.requests_by_endpoint, endpoint.to_string());
        });
    }

    pub fn user_agent(&self, endpoint: &str, user_agent: &str) {
        self.with(|s| {
            bump(
                s.requests_by_user_agent
                    .entry(endpoint.to_string())
                    .or_default(),
                user_agent.to_string(),
            )
        });
    }

    pub fn counted(&self, resource: &str) {
        self.with(|s| bump(&mut s.counted_by_resource, resource.to_string()));
    }

    pub fn uncounted(&self, resource: &str, endpoint: &str) {
        self.with(|s| {
            if let Some(c) = s.counted_by_resource.get_mut(resource) {
                *c = c.saturating_sub(1);
            }
            s.not_modified += 1;
            bump(&mut s.not_modified_by_endpoint, endpoint.to_string());
        });
    }

    pub fn status(&self, status: u16) {
        self.with(|s| bump(&mut s.responses_by_status, status));
    }

    pub fn fault(&self, kind: &str) {
        self.with(|s| bump(&mut s.faults_injected, kind.to_string()));
    }

    pub fn primary(&self, resource: &str) {
        self.with(|s| bump(&mut s.primary_refusals, resource.to_string()));
    }

    pub fn secondary(&self, resource: &str) {
        self.with(|s| bump(&mut s.secondary_refusals, resource.to_string()));
    }

    pub fn reject(&self, why: &str) {
        self.with(|s| bump(&mut s.rejects, why.to_string()));
    }

    pub fn redirect(&self, repo: &str) {
        self.with(|s| bump(&mut s.tarball_redirects, repo.to_string()));
    }

    pub fn download(&self, repo: &str) {
        self.with(|s| bump(&mut s.tarball_downloads, repo.to_string()));
    }

    pub fn completed(&self, repo: &str) {
        self.with(|s| bump(&mut s.tarball_completed, repo.to_string()));
    }

    pub fn snapshot(&self, buckets: Vec<BucketReport>, time_scale: f64) -> SimStats {
        let mut s = self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone();
        s.max_in_window.clear();
        for b in &buckets {
            let e = s
                .max_in_window
                .entry(b.resource.as_str().to_string())
                .or_default();
            *e = (*e).max(b.max_in_window);
        }
        s.buckets = buckets;
        s.time_scale = time_scale;
        s
    }
}
