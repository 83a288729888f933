use crate::stats::wilson_interval;
use mcp_survey_store::{Store, StoreError};
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
    let row: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*),
                count(*) FILTER (WHERE credentials = 'required'),
                count(*) FILTER (WHERE auth_methods && ARRAY['api_key', 'pat']),
                count(*) FILTER (WHERE 'oauth' = ANY(auth_methods)),
                count(*) FILTER (WHERE 'env' = ANY(credential_sources))
         FROM run_servers WHERE run_id = $1",
    )
    .bind(run_id)
    .fetch_one(store.pool())
    .await?;
    let servers = row.0;
    Ok(Headline {
        servers,
        required: Share::new(row.1, servers),
        static_key_or_pat: Share::new(row.2, servers),
        oauth: Share::new(row.3, servers),
        env: Share::new(row.4, servers),
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

type FunnelRow = (
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
);

pub async fn funnel(store: &Store, run_id: i64) -> Result<Funnel, StoreError> {
    let row: FunnelRow = sqlx::query_as(
        "SELECT count(*),
                count(*) FILTER (WHERE fetch_status = 'excluded'),
                count(*) FILTER (WHERE fetch_status = 'gone'),
                count(*) FILTER (WHERE fetch_status = 'failed'),
                count(*) FILTER (WHERE fetch_status = 'pending'),
                count(*) FILTER (WHERE fetch_status IN ('fetched', 'reused')),
                count(*) FILTER (WHERE kind IS NOT NULL),
                count(*) FILTER (WHERE kind = 'server'),
                count(*) FILTER (WHERE kind = 'client'),
                count(*) FILTER (WHERE kind = 'sdk'),
                count(*) FILTER (WHERE kind = 'list'),
                count(*) FILTER (WHERE kind = 'other'),
                count(*) FILTER (WHERE kind = 'server' AND archived)
         FROM run_labels WHERE run_id = $1",
    )
    .bind(run_id)
    .fetch_one(store.pool())
    .await?;
    Ok(Funnel {
        found: row.0,
        excluded_forks: row.1,
        gone: row.2,
        fetch_failed: row.3,
        not_fetched_yet: row.4,
        fetched: row.5,
        classified: row.6,
        servers: row.7,
        clients: row.8,
        sdks: row.9,
        lists: row.10,
        other: row.11,
        archived_servers: row.12,
    })
}
