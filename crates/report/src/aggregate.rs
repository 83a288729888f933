//! The report's tables beyond the headline: breakdowns, credential sources,
//! environment variables, seed queries and exclusions. Each loader is one
//! SQL statement over the views of `migrations/*_report_views.sql`; the
//! matching file in `queries/` computes the same rows, and a test checks
//! that they agree.

use crate::stats::Percent;
use mcp_survey_store::{Store, StoreError};
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

type FacetSqlRow = (String, i64, i64, i64, i64, i64);

fn facet_row(r: FacetSqlRow) -> FacetRow {
    let (key, n, req, stat, oauth, env) = r;
    FacetRow {
        key,
        servers: n,
        requires_credentials: req,
        requires_credentials_pct: Percent::of(req, n),
        static_key_or_pat: stat,
        static_key_or_pat_pct: Percent::of(stat, n),
        oauth,
        oauth_pct: Percent::of(oauth, n),
        reads_env: env,
        reads_env_pct: Percent::of(env, n),
    }
}

/// The flags of `server_facts`, counted per key. `source` yields
/// (run_id, repository_id, key) rows.
async fn facet(
    store: &Store,
    run_id: i64,
    source: &str,
    order: &str,
) -> Result<Vec<FacetRow>, StoreError> {
    let sql = format!(
        "SELECT k.key,
                count(*),
                count(*) FILTER (WHERE f.requires_credentials),
                count(*) FILTER (WHERE f.static_key_or_pat),
                count(*) FILTER (WHERE f.oauth),
                count(*) FILTER (WHERE f.reads_env)
         FROM ({source}) AS k
         JOIN server_facts f ON f.run_id = k.run_id AND f.repository_id = k.repository_id
         WHERE k.run_id = $1
         GROUP BY k.key
         ORDER BY {order}"
    );
    let rows: Vec<FacetSqlRow> = sqlx::query_as(&sql)
        .bind(run_id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.into_iter().map(facet_row).collect())
}

const BY_SERVERS: &str = "count(*) DESC, k.key COLLATE \"C\"";

pub async fn breakdowns(store: &Store, run_id: i64) -> Result<Breakdowns, StoreError> {
    let language = facet(
        store,
        run_id,
        "SELECT run_id, repository_id, language AS key FROM server_facts",
        BY_SERVERS,
    )
    .await?;
    let sdk = facet(
        store,
        run_id,
        "SELECT run_id, repository_id, sdk AS key FROM server_sdks",
        BY_SERVERS,
    )
    .await?;
    let transport = facet(
        store,
        run_id,
        "SELECT run_id, repository_id, transport AS key FROM server_transports",
        BY_SERVERS,
    )
    .await?;
    let stars = facet(
        store,
        run_id,
        "SELECT run_id, repository_id, stars_bucket AS key, stars_floor FROM server_facts",
        "min(k.stars_floor)",
    )
    .await?;
    let created_month = facet(
        store,
        run_id,
        "SELECT run_id, repository_id, created_month AS key FROM server_facts",
        "k.key COLLATE \"C\"",
    )
    .await?;
    Ok(Breakdowns {
        language,
        sdk,
        transport,
        stars,
        created_month,
        auth_methods: counts(store, run_id, "server_auth_methods", "auth_method").await?,
        credential_sources: counts(
            store,
            run_id,
            "server_credential_sources",
            "credential_source",
        )
        .await?,
        env_vars: env_vars(store, run_id).await?,
        services: services(store, run_id).await?,
        seed_queries: seed_queries(store, run_id).await?,
        exclusions: exclusions(store, run_id).await?,
    })
}

async fn servers(store: &Store, run_id: i64) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM run_servers WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(store.pool())
            .await?,
    )
}

async fn counts(
    store: &Store,
    run_id: i64,
    view: &str,
    column: &str,
) -> Result<Vec<CountRow>, StoreError> {
    let total = servers(store, run_id).await?;
    let rows: Vec<(String, i64)> = sqlx::query_as(&format!(
        "SELECT {column}, count(DISTINCT repository_id) AS n FROM {view} WHERE run_id = $1
         GROUP BY {column} ORDER BY n DESC, {column} COLLATE \"C\""
    ))
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(key, n)| CountRow {
            key,
            servers: n,
            servers_pct: Percent::of(n, total),
        })
        .collect())
}

async fn env_vars(store: &Store, run_id: i64) -> Result<Vec<EnvVarRow>, StoreError> {
    let total = servers(store, run_id).await?;
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT env_var, service, count(DISTINCT repository_id) AS n FROM server_env_var_services
         WHERE run_id = $1 GROUP BY env_var, service ORDER BY n DESC, env_var COLLATE \"C\"",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(env_var, service, n)| EnvVarRow {
            env_var,
            service,
            servers: n,
            servers_pct: Percent::of(n, total),
        })
        .collect())
}

async fn services(store: &Store, run_id: i64) -> Result<Vec<ServiceRow>, StoreError> {
    let total = servers(store, run_id).await?;
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT service, count(DISTINCT repository_id) AS n, count(DISTINCT env_var)
         FROM server_env_var_services WHERE run_id = $1
         GROUP BY service ORDER BY n DESC, service COLLATE \"C\"",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(service, n, vars)| ServiceRow {
            service,
            servers: n,
            servers_pct: Percent::of(n, total),
            env_vars: vars,
        })
        .collect())
}

async fn seed_queries(store: &Store, run_id: i64) -> Result<Vec<SeedQueryRow>, StoreError> {
    let rows: Vec<(String, String, i64, i64, i64)> = sqlx::query_as(
        "WITH found AS (
             SELECT q.repository_id, q.query_name,
                    count(*) OVER (PARTITION BY q.repository_id) AS queries,
                    EXISTS (SELECT 1 FROM run_servers s
                            WHERE s.run_id = q.run_id AND s.repository_id = q.repository_id) AS server
             FROM repository_seed_queries q WHERE q.run_id = $1)
         SELECT sq.name, sq.endpoint,
                count(f.repository_id),
                count(f.repository_id) FILTER (WHERE f.server),
                count(f.repository_id) FILTER (WHERE f.server AND f.queries = 1)
         FROM seed_queries sq
         LEFT JOIN found f ON f.query_name = sq.name
         WHERE sq.run_id = $1
         GROUP BY sq.name, sq.endpoint
         ORDER BY 4 DESC, sq.name COLLATE \"C\"",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(query_name, endpoint, repositories, servers, only)| SeedQueryRow {
                query_name,
                endpoint,
                repositories,
                servers,
                servers_only_this_query: only,
            },
        )
        .collect())
}

async fn exclusions(store: &Store, run_id: i64) -> Result<Vec<ExclusionRow>, StoreError> {
    let rows: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT fetch_status, coalesce(nullif(fetch_note, ''), '(no note)') AS reason, count(*) AS n
         FROM run_repositories
         WHERE run_id = $1 AND fetch_status IN ('excluded', 'gone', 'failed', 'pending')
         GROUP BY fetch_status, reason ORDER BY fetch_status COLLATE \"C\", n DESC, coalesce(nullif(fetch_note, ''), '(no note)') COLLATE \"C\"",
    )
    .bind(run_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(fetch_status, reason, repositories)| ExclusionRow {
            fetch_status,
            reason,
            repositories,
        })
        .collect())
}
