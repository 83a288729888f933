//! The report's tables beyond the headline: breakdowns, credential sources,
//! environment variables, seed queries and exclusions. Each loader is one
//! SQL statement over the views of `migrations/*_report_views.sql`; the
//! matching file in `queries/` computes the same rows, and a test checks
//! that they agree.

use crate::stats::Percent;
use mcp_survey_store::{Facet, FacetCounts, KeyCount, Store, StoreError};
use serde::Serialize;

/// One value of a breakdown (a language, an SDK, a month...) with the
/// headline counts among the servers that have it. The shares' denominator is
/// `servers` of this row.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FacetRow {
    pub key: String,
    pub servers: i64,
    pub requires_credentials: i64,
    pub requires_credentials_pct: Percent,
    pub static_key_or_pat: i64,
    pub static_key_or_pat_pct: Percent,
    pub oauth: i64,
    pub oauth_pct: Percent,
    pub reads_env: i64,
    pub reads_env_pct: Percent,
}

/// A count of servers with a share of all the run's servers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CountRow {
    pub key: String,
    pub servers: i64,
    /// Of all the run's servers.
    pub servers_pct: Percent,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EnvVarRow {
    pub env_var: String,
    pub service: String,
    pub servers: i64,
    pub servers_pct: Percent,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServiceRow {
    pub service: String,
    pub servers: i64,
    pub servers_pct: Percent,
    /// Distinct variable names seen for the service.
    pub env_vars: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SeedQueryRow {
    pub query_name: String,
    pub endpoint: String,
    pub repositories: i64,
    pub servers: i64,
    /// Servers no other seed query found: what dropping the query would lose.
    pub servers_only_this_query: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExclusionRow {
    pub fetch_status: String,
    pub reason: String,
    pub repositories: i64,
}

/// Every breakdown of the report.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Breakdowns {
    pub language: Vec<FacetRow>,
    pub sdk: Vec<FacetRow>,
    pub transport: Vec<FacetRow>,
    pub stars: Vec<FacetRow>,
    /// Ordered by month, oldest first: how the shares move over time.
    pub created_month: Vec<FacetRow>,
    pub auth_methods: Vec<CountRow>,
    pub credential_sources: Vec<CountRow>,
    pub env_vars: Vec<EnvVarRow>,
    pub services: Vec<ServiceRow>,
    pub seed_queries: Vec<SeedQueryRow>,
    pub exclusions: Vec<ExclusionRow>,
}

fn facet_row(c: FacetCounts) -> FacetRow {
    let n = c.servers;
    FacetRow {
        key: c.key,
        servers: n,
        requires_credentials: c.requires_credentials,
        requires_credentials_pct: Percent::of(c.requires_credentials, n),
        static_key_or_pat: c.static_key_or_pat,
        static_key_or_pat_pct: Percent::of(c.static_key_or_pat, n),
        oauth: c.oauth,
        oauth_pct: Percent::of(c.oauth, n),
        reads_env: c.reads_env,
        reads_env_pct: Percent::of(c.reads_env, n),
    }
}

async fn facet(store: &Store, run_id: i64, facet: Facet) -> Result<Vec<FacetRow>, StoreError> {
    Ok(store
        .facet_counts(run_id, facet)
        .await?
        .into_iter()
        .map(facet_row)
        .collect())
}

fn count_rows(rows: Vec<KeyCount>, total: i64) -> Vec<CountRow> {
    rows.into_iter()
        .map(|r| CountRow {
            key: r.key,
            servers: r.servers,
            servers_pct: Percent::of(r.servers, total),
        })
        .collect()
}

pub async fn breakdowns(store: &Store, run_id: i64) -> Result<Breakdowns, StoreError> {
    let total = store.server_count(run_id).await?;
    Ok(Breakdowns {
        language: facet(store, run_id, Facet::Language).await?,
        sdk: facet(store, run_id, Facet::Sdk).await?,
        transport: facet(store, run_id, Facet::Transport).await?,
        stars: facet(store, run_id, Facet::Stars).await?,
        created_month: facet(store, run_id, Facet::CreatedMonth).await?,
        auth_methods: count_rows(store.auth_method_counts(run_id).await?, total),
        credential_sources: count_rows(store.credential_source_counts(run_id).await?, total),
        env_vars: store
            .env_var_counts(run_id)
            .await?
            .into_iter()
            .map(|r| EnvVarRow {
                env_var: r.env_var,
                service: r.service,
                servers: r.servers,
                servers_pct: Percent::of(r.servers, total),
            })
            .collect(),
        services: store
            .service_counts(run_id)
            .await?
            .into_iter()
            .map(|r| ServiceRow {
                service: r.service,
                servers: r.servers,
                servers_pct: Percent::of(r.servers, total),
                env_vars: r.env_vars,
            })
            .collect(),
        seed_queries: store
            .seed_query_yields(run_id)
            .await?
            .into_iter()
            .map(|r| SeedQueryRow {
                query_name: r.query_name,
                endpoint: r.endpoint,
                repositories: r.repositories,
                servers: r.servers,
                servers_only_this_query: r.servers_only_this_query,
            })
            .collect(),
        exclusions: store
            .exclusion_counts(run_id)
            .await?
            .into_iter()
            .map(|r| ExclusionRow {
                fetch_status: r.fetch_status,
                reason: r.reason,
                repositories: r.repositories,
            })
            .collect(),
    })
}
