use crate::stats::wilson_interval;
use mcp_survey_store::{FunnelCounts, Store, StoreError};
use serde::Serialize;

/// Astrix Security, *State of MCP Server Security 2025*: the published
/// figures our headline table stands beside.
pub const PUBLISHED: PublishedFigures = PublishedFigures {
    servers: 5205,
    required: 0.88,
    static_key_or_pat: 0.53,
    oauth: 0.085,
    env: 0.79,
};

#[derive(Debug, Clone, Copy, Serialize)]
pub struct PublishedFigures {
    pub servers: i64,
    pub required: f64,
    pub static_key_or_pat: f64,
    pub oauth: f64,
    pub env: f64,
}

/// One share with its exact numerator and denominator.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Share {
    pub numerator: i64,
    pub denominator: i64,
    /// 0 when the denominator is 0 (no division by zero, ever).
    pub share: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
}

impl Share {
    pub fn new(numerator: i64, denominator: i64) -> Self {
        let share = if denominator > 0 {
            numerator as f64 / denominator as f64
        } else {
            0.0
        };
        let (ci95_low, ci95_high) = wilson_interval(numerator, denominator);
        Share {
            numerator,
            denominator,
            share,
            ci95_low,
            ci95_high,
        }
    }
}

/// The study's headline figures for one run. Every share's denominator is
/// the run's MCP servers (repositories labelled `server`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Headline {
    pub servers: i64,
    pub required: Share,
    pub static_key_or_pat: Share,
    pub oauth: Share,
    pub env: Share,
}

/// Loads the headline figures with the same SQL as `queries/headline.sql`.
pub async fn headline(store: &Store, run_id: i64) -> Result<Headline, StoreError> {
    let counts = store.headline_counts(run_id).await?;
    let servers = counts.servers;
    Ok(Headline {
        servers,
        required: Share::new(counts.required, servers),
        static_key_or_pat: Share::new(counts.static_key_or_pat, servers),
        oauth: Share::new(counts.oauth, servers),
        env: Share::new(counts.env, servers),
    })
}

/// From repositories found to servers, with what left at each step.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Funnel {
    pub found: i64,
    pub excluded_forks: i64,
    pub gone: i64,
    pub fetch_failed: i64,
    pub not_fetched_yet: i64,
    pub fetched: i64,
    pub classified: i64,
    pub servers: i64,
    pub clients: i64,
    pub sdks: i64,
    pub lists: i64,
    pub other: i64,
    pub archived_servers: i64,
}

impl From<FunnelCounts> for Funnel {
    fn from(c: FunnelCounts) -> Self {
        Funnel {
            found: c.found,
            excluded_forks: c.excluded_forks,
            gone: c.gone,
            fetch_failed: c.fetch_failed,
            not_fetched_yet: c.not_fetched_yet,
            fetched: c.fetched,
            classified: c.classified,
            servers: c.servers,
            clients: c.clients,
            sdks: c.sdks,
            lists: c.lists,
            other: c.other,
            archived_servers: c.archived_servers,
        }
    }
}

pub async fn funnel(store: &Store, run_id: i64) -> Result<Funnel, StoreError> {
    Ok(store.funnel_counts(run_id).await?.into())
}
