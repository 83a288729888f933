//! How the simulator behaves: `SimConfig`, GitHub's real behaviour by default.

use mcp_survey_model::CODE_SEARCH_MAX_FILE_BYTES;

use crate::error::SimError;
use crate::faults::FaultConfig;
use crate::limits::{Limits, SecondaryLimits};

use super::app::AppKey;

/// How the simulator behaves. `Default` is GitHub's real behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Every rate-limit window is this many times shorter (a minute becomes
    /// 60/K seconds); headers report the scaled reset truthfully.
    pub time_scale: f64,
    /// Primary limits for requests with a token.
    pub limits: Limits,
    /// Primary limits without a token (GitHub's unauthenticated ones).
    pub unauthenticated: Limits,
    pub secondary: SecondaryLimits,
    /// Accepted tokens; None = any token is accepted.
    pub valid_tokens: Option<Vec<String>>,
    pub faults: FaultConfig,
    /// Search results reachable by paging (GitHub: 1000).
    pub result_cap: usize,
    pub max_per_page: usize,
    /// Share of search answers marked `incomplete_results: true`, with the
    /// last quarter of their page missing (as when GitHub's search times out).
    pub incomplete_results_rate: f64,
    /// Code search only covers files smaller than this (GitHub: 384 KB).
    pub code_search_max_file_bytes: u64,
    /// Uncompressed size of a gzip-bomb entry.
    pub gzip_bomb_bytes: u64,
    /// Status of a primary-limit refusal on REST resources: 403 (GitHub's
    /// usual answer) or 429. Archive downloads always get 429.
    pub primary_limit_status: u16,
    pub require_user_agent: bool,
    /// A recursive tree with more entries than this is cut there and marked
    /// `truncated: true` (GitHub: 100,000 entries or 7 MB).
    pub max_tree_entries: usize,
    /// Requests to the MCP registry (`/v0.1/servers`) one address may send
    /// per (scaled) minute; 0 = no limit.
    pub registry_limit_per_minute: u32,
    /// GitHub Apps that may authenticate (`sim --app ID=PUBLIC_KEY_PEM_PATH`).
    pub apps: Vec<AppKey>,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            time_scale: 1.0,
            limits: Limits::github_authenticated(),
            unauthenticated: Limits::github_unauthenticated(),
            secondary: SecondaryLimits::default(),
            valid_tokens: None,
            faults: FaultConfig::default(),
            result_cap: 1000,
            max_per_page: 100,
            incomplete_results_rate: 0.0,
            code_search_max_file_bytes: CODE_SEARCH_MAX_FILE_BYTES,
            gzip_bomb_bytes: 1 << 30,
            primary_limit_status: 403,
            require_user_agent: true,
            max_tree_entries: 100_000,
            registry_limit_per_minute: 120,
            apps: Vec::new(),
        }
    }
}

impl SimConfig {
    /// No primary or secondary limits: for throughput benchmarks.
    pub fn unthrottled() -> SimConfig {
        SimConfig {
            limits: Limits::unlimited(),
            unauthenticated: Limits::unlimited(),
            registry_limit_per_minute: 0,
            secondary: SecondaryLimits {
                enabled: false,
                ..SecondaryLimits::default()
            },
            ..SimConfig::default()
        }
    }

    pub fn validate(&self) -> Result<(), SimError> {
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(SimError::Config(format!(
                "time_scale must be a positive number, got {}",
                self.time_scale
            )));
        }
        for (k, r) in &self.faults.rates {
            if !(0.0..=1.0).contains(r) {
                return Err(SimError::Config(format!(
                    "fault rate for {} must be within 0..=1, got {r}",
                    k.as_str()
                )));
            }
        }
        let total: f64 = self.faults.rates.values().sum();
        if total > 1.0 {
            return Err(SimError::Config(format!(
                "fault rates add up to {total}, more than 1"
            )));
        }
        if !(0.0..=1.0).contains(&self.secondary.without_retry_after) {
            return Err(SimError::Config(
                "secondary.without_retry_after must be within 0..=1".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.incomplete_results_rate) {
            return Err(SimError::Config(
                "incomplete_results_rate must be within 0..=1".into(),
            ));
        }
        if self.max_per_page == 0 || self.result_cap == 0 {
            return Err(SimError::Config(
                "max_per_page and result_cap must be positive".into(),
            ));
        }
        if self.primary_limit_status != 403 && self.primary_limit_status != 429 {
            return Err(SimError::Config(
                "primary_limit_status must be 403 or 429".into(),
            ));
        }
        if self.secondary.status != 403 && self.secondary.status != 429 {
            return Err(SimError::Config(
                "secondary.status must be 403 or 429".into(),
            ));
        }
        Ok(())
    }
}
