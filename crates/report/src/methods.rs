//! What the report's methods section needs beyond the rest of the summary:
//! each seed query with its search slices, and how credentials reach the
//! servers (`crate::markdown::methods` writes the section).

use mcp_survey_store::{Store, StoreError};
use serde::Serialize;

/// The source study, cited by title wherever a figure is set beside it.
pub const SOURCE_TITLE: &str = "State of MCP Server Security 2025";

/// One seed query of the run, with what GitHub said about it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SeedMethod {
    pub name: String,
    pub endpoint: String,
    pub query: String,
    pub reason: String,
    /// Slices the planner made (a split slice and its children all count).
    pub slices: i64,
    /// Slices that were over the 1,000-result cap and were split.
    pub slices_split: i64,
    /// Results GitHub reported over the final slices (total_count summed).
    pub results_reported: i64,
    /// Final slices still over the cap (results beyond 1,000 unreadable).
    pub slices_over_cap: i64,
}

/// The facts the methods section needs beyond the rest of the summary.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Methods {
    pub seeds: Vec<SeedMethod>,
    /// Servers that read at least one secret from anywhere.
    pub servers_with_credential_sources: i64,
    /// (server, credential source) pairs: each way credentials reach a server.
    pub credential_source_pairs: i64,
    /// Of those pairs, the environment.
    pub env_pairs: i64,
}

pub async fn methods(store: &Store, run_id: i64) -> Result<Methods, StoreError> {
    let seeds = store.seed_slices(run_id).await?;
    let totals = store.credential_source_totals(run_id).await?;
    Ok(Methods {
        seeds: seeds
            .into_iter()
            .map(|s| SeedMethod {
                name: s.name,
                endpoint: s.endpoint,
                query: s.query,
                reason: s.reason,
                slices: s.slices,
                slices_split: s.slices_split,
                results_reported: s.results_reported,
                slices_over_cap: s.slices_over_cap,
            })
            .collect(),
        servers_with_credential_sources: totals.servers_with_credential_sources,
        credential_source_pairs: totals.credential_source_pairs,
        env_pairs: totals.env_pairs,
    })
}
