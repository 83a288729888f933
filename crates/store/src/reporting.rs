//! The report's reads: counts over the views of
//! `migrations/*_views.sql` and `*_report_views.sql`, one statement each,
//! returned as named rows for `crates/report` to shape into tables. The
//! statements are checked against the schema at compile time (`.sqlx/`),
//! but for the breakdowns, whose grouping column is one of a fixed few.

use crate::error::Result;
use crate::Store;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// The run's servers and how many of them fall under each headline figure.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HeadlineCounts {
    pub servers: i64,
    pub required: i64,
    pub static_key_or_pat: i64,
    pub oauth: i64,
    pub env: i64,
}

/// From repositories found to servers: how many reached each step.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FunnelCounts {
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

/// What a breakdown groups the run's servers by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facet {
    Language,
    Sdk,
    Transport,
    /// Ordered by the bucket's floor, not by size.
    Stars,
    /// Ordered by month, oldest first.
    CreatedMonth,
}

impl Facet {
    /// The (run_id, repository_id, key) rows the facet counts, and the order
    /// of its groups.
    fn source_and_order(self) -> (&'static str, &'static str) {
        const BY_SERVERS: &str = "count(*) DESC, k.key COLLATE \"C\"";
        match self {
            Facet::Language => (
                "SELECT run_id, repository_id, language AS key FROM server_facts",
                BY_SERVERS,
            ),
            Facet::Sdk => (
                "SELECT run_id, repository_id, sdk AS key FROM server_sdks",
                BY_SERVERS,
            ),
            Facet::Transport => (
                "SELECT run_id, repository_id, transport AS key FROM server_transports",
                BY_SERVERS,
            ),
            Facet::Stars => (
                "SELECT run_id, repository_id, stars_bucket AS key, stars_floor FROM server_facts",
                "min(k.stars_floor)",
            ),
            Facet::CreatedMonth => (
                "SELECT run_id, repository_id, created_month AS key FROM server_facts",
                "k.key COLLATE \"C\"",
            ),
        }
    }
}

/// One value of a facet with the headline flags counted among its servers.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FacetCounts {
    pub key: String,
    pub servers: i64,
    pub requires_credentials: i64,
    pub static_key_or_pat: i64,
    pub oauth: i64,
    pub reads_env: i64,
}

/// A value of a list column of the servers (a method, a source) and the
/// servers that have it.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyCount {
    pub key: String,
    pub servers: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct EnvVarCount {
    pub env_var: String,
    pub service: String,
    pub servers: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ServiceCount {
    pub service: String,
    pub servers: i64,
    /// Distinct variable names seen for the service.
    pub env_vars: i64,
}

/// What one seed query found.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedQueryYield {
    pub query_name: String,
    pub endpoint: String,
    pub repositories: i64,
    pub servers: i64,
    /// Servers no other seed query found.
    pub servers_only_this_query: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExclusionCount {
    pub fetch_status: String,
    pub reason: String,
    pub repositories: i64,
}

/// One seed query with the slices the planner made for it.
#[derive(Debug, Clone, PartialEq)]
pub struct SeedSlices {
    pub name: String,
    pub endpoint: String,
    pub query: String,
    pub reason: String,
    pub slices: i64,
    pub slices_split: i64,
    pub results_reported: i64,
    pub slices_over_cap: i64,
}

/// How credentials reach the run's servers, counted.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CredentialSourceTotals {
    pub servers_with_credential_sources: i64,
    pub credential_source_pairs: i64,
    pub env_pairs: i64,
}

/// A repository in either of two runs, with its labels in each.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelPair {
    pub repo: String,
    pub in_a: bool,
    pub in_b: bool,
    pub kind_a: Option<String>,
    pub kind_b: Option<String>,
    pub credentials_a: Option<String>,
    pub credentials_b: Option<String>,
    pub auth_methods_a: Option<Vec<String>>,
    pub auth_methods_b: Option<Vec<String>>,
}

/// A classified repository of a run as `export` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelExport {
    pub repo: String,
    pub run_name: String,
    pub classifier_version: Option<String>,
    pub commit_sha: Option<String>,
    pub kind: Option<String>,
    pub language: Option<String>,
    pub sdk: Option<Vec<String>>,
    pub transport: Option<Vec<String>>,
    pub credentials: Option<String>,
    pub auth_methods: Option<Vec<String>>,
    pub credential_sources: Option<Vec<String>>,
    pub env_vars: Option<Vec<String>>,
    pub repository_id: i64,
    pub github_language: Option<String>,
    pub stargazers_count: i64,
    pub forks_count: i64,
    pub fork: bool,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub pushed_at: Option<DateTime<Utc>>,
    pub description: Option<String>,
    pub topics: Vec<String>,
    pub default_branch: String,
    pub evidence: Option<Value>,
}

/// A classified repository of a run with its labels, as an audit draws it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifiedLabels {
    pub full_name: String,
    pub commit_sha: Option<String>,
    pub kind: String,
    pub language: String,
    pub sdk: Vec<String>,
    pub transport: Vec<String>,
    pub credentials: String,
    pub auth_methods: Vec<String>,
    pub credential_sources: Vec<String>,
    pub env_vars: Vec<String>,
    pub evidence: Value,
}

/// A scored audit sheet as stored; `accuracy` and `items` are the report's
/// JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditScoreRecord {
    pub sheet_path: String,
    pub sheet_sha256: String,
    pub rows_total: i32,
    pub rows_filled: i32,
    pub classifier_version: Option<String>,
    pub accuracy: Value,
    pub items: Value,
}

impl Store {
    pub async fn headline_counts(&self, run_id: i64) -> Result<HeadlineCounts> {
        Ok(sqlx::query_as!(
            HeadlineCounts,
            r#"SELECT count(*) AS "servers!",
                      count(*) FILTER (WHERE credentials = 'required') AS "required!",
                      count(*) FILTER (WHERE auth_methods && ARRAY['api_key', 'pat']) AS "static_key_or_pat!",
                      count(*) FILTER (WHERE 'oauth' = ANY(auth_methods)) AS "oauth!",
                      count(*) FILTER (WHERE 'env' = ANY(credential_sources)) AS "env!"
               FROM run_servers WHERE run_id = $1"#,
            run_id
        )
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn funnel_counts(&self, run_id: i64) -> Result<FunnelCounts> {
        Ok(sqlx::query_as!(
            FunnelCounts,
            r#"SELECT count(*) AS "found!",
                      count(*) FILTER (WHERE fetch_status = 'excluded') AS "excluded_forks!",
                      count(*) FILTER (WHERE fetch_status = 'gone') AS "gone!",
                      count(*) FILTER (WHERE fetch_status = 'failed') AS "fetch_failed!",
                      count(*) FILTER (WHERE fetch_status = 'pending') AS "not_fetched_yet!",
                      count(*) FILTER (WHERE fetch_status IN ('fetched', 'reused')) AS "fetched!",
                      count(*) FILTER (WHERE kind IS NOT NULL) AS "classified!",
                      count(*) FILTER (WHERE kind = 'server') AS "servers!",
                      count(*) FILTER (WHERE kind = 'client') AS "clients!",
                      count(*) FILTER (WHERE kind = 'sdk') AS "sdks!",
                      count(*) FILTER (WHERE kind = 'list') AS "lists!",
                      count(*) FILTER (WHERE kind = 'other') AS "other!",
                      count(*) FILTER (WHERE kind = 'server' AND archived) AS "archived_servers!"
               FROM run_labels WHERE run_id = $1"#,
            run_id
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// The flags of `server_facts`, counted per value of `facet`.
    pub async fn facet_counts(&self, run_id: i64, facet: Facet) -> Result<Vec<FacetCounts>> {
        let (source, order) = facet.source_and_order();
        let sql = format!(
            "SELECT k.key,
                    count(*) AS servers,
                    count(*) FILTER (WHERE f.requires_credentials) AS requires_credentials,
                    count(*) FILTER (WHERE f.static_key_or_pat) AS static_key_or_pat,
                    count(*) FILTER (WHERE f.oauth) AS oauth,
                    count(*) FILTER (WHERE f.reads_env) AS reads_env
             FROM ({source}) AS k
             JOIN server_facts f ON f.run_id = k.run_id AND f.repository_id = k.repository_id
             WHERE k.run_id = $1
             GROUP BY k.key
             ORDER BY {order}"
        );
        Ok(sqlx::query_as(&sql)
            .bind(run_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The run's servers.
    pub async fn server_count(&self, run_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM run_servers WHERE run_id = $1"#,
            run_id
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Servers per auth method, most common first.
    pub async fn auth_method_counts(&self, run_id: i64) -> Result<Vec<KeyCount>> {
        Ok(sqlx::query_as!(
            KeyCount,
            r#"SELECT auth_method AS "key!", count(DISTINCT repository_id) AS "servers!"
               FROM server_auth_methods WHERE run_id = $1
               GROUP BY auth_method ORDER BY 2 DESC, auth_method COLLATE "C""#,
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Servers per credential source, most common first.
    pub async fn credential_source_counts(&self, run_id: i64) -> Result<Vec<KeyCount>> {
        Ok(sqlx::query_as!(
            KeyCount,
            r#"SELECT credential_source AS "key!", count(DISTINCT repository_id) AS "servers!"
               FROM server_credential_sources WHERE run_id = $1
               GROUP BY credential_source ORDER BY 2 DESC, credential_source COLLATE "C""#,
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn env_var_counts(&self, run_id: i64) -> Result<Vec<EnvVarCount>> {
        Ok(sqlx::query_as!(
            EnvVarCount,
            r#"SELECT env_var AS "env_var!", service AS "service!",
                      count(DISTINCT repository_id) AS "servers!"
               FROM server_env_var_services WHERE run_id = $1
               GROUP BY env_var, service ORDER BY 3 DESC, env_var COLLATE "C""#,
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn service_counts(&self, run_id: i64) -> Result<Vec<ServiceCount>> {
        Ok(sqlx::query_as!(
            ServiceCount,
            r#"SELECT service AS "service!", count(DISTINCT repository_id) AS "servers!",
                      count(DISTINCT env_var) AS "env_vars!"
               FROM server_env_var_services WHERE run_id = $1
               GROUP BY service ORDER BY 2 DESC, service COLLATE "C""#,
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn seed_query_yields(&self, run_id: i64) -> Result<Vec<SeedQueryYield>> {
        Ok(sqlx::query_as!(
            SeedQueryYield,
            r#"WITH found AS (
                   SELECT q.repository_id, q.query_name,
                          count(*) OVER (PARTITION BY q.repository_id) AS queries,
                          EXISTS (SELECT 1 FROM run_servers s
                                  WHERE s.run_id = q.run_id AND s.repository_id = q.repository_id) AS server
                   FROM repository_seed_queries q WHERE q.run_id = $1)
               SELECT sq.name AS "query_name!", sq.endpoint AS "endpoint!",
                      count(f.repository_id) AS "repositories!",
                      count(f.repository_id) FILTER (WHERE f.server) AS "servers!",
                      count(f.repository_id) FILTER (WHERE f.server AND f.queries = 1)
                          AS "servers_only_this_query!"
               FROM seed_queries sq
               LEFT JOIN found f ON f.query_name = sq.name
               WHERE sq.run_id = $1
               GROUP BY sq.name, sq.endpoint
               ORDER BY 4 DESC, sq.name COLLATE "C""#,
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Repositories that did not reach the classifier, by status and note.
    pub async fn exclusion_counts(&self, run_id: i64) -> Result<Vec<ExclusionCount>> {
        Ok(sqlx::query_as!(
            ExclusionCount,
            r#"SELECT fetch_status AS "fetch_status!",
                      coalesce(nullif(fetch_note, ''), '(no note)') AS "reason!",
                      count(*) AS "repositories!"
               FROM run_repositories
               WHERE run_id = $1 AND fetch_status IN ('excluded', 'gone', 'failed', 'pending')
               GROUP BY 1, 2
               ORDER BY fetch_status COLLATE "C", count(*) DESC,
                        coalesce(nullif(fetch_note, ''), '(no note)') COLLATE "C""#,
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Each seed query of the run with its slices, by name.
    pub async fn seed_slices(&self, run_id: i64) -> Result<Vec<SeedSlices>> {
        Ok(sqlx::query_as!(
            SeedSlices,
            r#"SELECT sq.name, sq.endpoint, sq.query, sq.reason,
                      count(sl.id) AS "slices!",
                      count(sl.id) FILTER (WHERE sl.state = 'split') AS "slices_split!",
                      coalesce(sum(sl.total_count) FILTER (WHERE sl.state <> 'split'), 0)::bigint
                          AS "results_reported!",
                      count(sl.id) FILTER (WHERE sl.state <> 'split' AND sl.total_count > 1000)
                          AS "slices_over_cap!"
               FROM seed_queries sq
               LEFT JOIN search_slices sl ON sl.run_id = sq.run_id AND sl.query_name = sq.name
               WHERE sq.run_id = $1
               GROUP BY sq.name, sq.endpoint, sq.query, sq.reason
               ORDER BY sq.name COLLATE "C""#,
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn credential_source_totals(&self, run_id: i64) -> Result<CredentialSourceTotals> {
        Ok(sqlx::query_as!(
            CredentialSourceTotals,
            r#"SELECT count(*) FILTER (WHERE cardinality(credential_sources) > 0)
                          AS "servers_with_credential_sources!",
                      coalesce(sum(cardinality(credential_sources)), 0)::bigint
                          AS "credential_source_pairs!",
                      count(*) FILTER (WHERE 'env' = ANY(credential_sources)) AS "env_pairs!"
               FROM run_servers WHERE run_id = $1"#,
            run_id
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Every repository of run `a` or run `b`, with its labels in each.
    pub async fn label_pairs(&self, a: i64, b: i64) -> Result<Vec<LabelPair>> {
        Ok(sqlx::query_as!(
            LabelPair,
            r#"WITH a AS (SELECT * FROM run_labels WHERE run_id = $1),
                    b AS (SELECT * FROM run_labels WHERE run_id = $2)
               SELECT coalesce(b.full_name, a.full_name) AS "repo!",
                      a.repository_id IS NOT NULL AS "in_a!", b.repository_id IS NOT NULL AS "in_b!",
                      a.kind AS kind_a, b.kind AS kind_b,
                      a.credentials AS credentials_a, b.credentials AS credentials_b,
                      a.auth_methods AS auth_methods_a, b.auth_methods AS auth_methods_b
               FROM a FULL JOIN b ON a.repository_id = b.repository_id"#,
            a,
            b
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The run's servers, or with `all` every classified repository, by
    /// repository name (byte order).
    pub async fn label_exports(&self, run_id: i64, all: bool) -> Result<Vec<LabelExport>> {
        Ok(sqlx::query_as!(
            LabelExport,
            r#"SELECT repo AS "repo!", run_name AS "run_name!", classifier_version, commit_sha,
                      kind, language, sdk, transport, credentials, auth_methods,
                      credential_sources, env_vars, repository_id AS "repository_id!",
                      github_language, stargazers_count AS "stargazers_count!",
                      forks_count AS "forks_count!", fork AS "fork!", archived AS "archived!",
                      created_at AS "created_at!", pushed_at, description,
                      topics AS "topics!", default_branch AS "default_branch!", evidence
               FROM labels_export WHERE run_id = $1 AND ($2 OR kind = 'server')
               ORDER BY repo COLLATE "C", repository_id"#,
            run_id,
            all
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The run's classified repositories with their labels, in repository
    /// name byte order.
    pub async fn classified_labels(&self, run_id: i64) -> Result<Vec<ClassifiedLabels>> {
        Ok(sqlx::query_as!(
            ClassifiedLabels,
            r#"SELECT rl.full_name AS "full_name!", s.commit_sha AS "commit_sha?",
                      rl.kind AS "kind!", rl.language AS "language!", rl.sdk AS "sdk!",
                      rl.transport AS "transport!", rl.credentials AS "credentials!",
                      rl.auth_methods AS "auth_methods!",
                      rl.credential_sources AS "credential_sources!",
                      rl.env_vars AS "env_vars!", rl.evidence AS "evidence!"
               FROM run_labels rl LEFT JOIN snapshots s ON s.id = rl.snapshot_id
               WHERE rl.run_id = $1 AND rl.kind IS NOT NULL
               ORDER BY rl.full_name COLLATE "C", rl.repository_id"#,
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn insert_audit_score(&self, run_id: i64, score: &AuditScoreRecord) -> Result<()> {
        sqlx::query!(
            "INSERT INTO audit_scores (run_id, sheet_path, sheet_sha256, rows_total, rows_filled,
                                       classifier_version, accuracy, items)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            run_id,
            score.sheet_path,
            score.sheet_sha256,
            score.rows_total,
            score.rows_filled,
            score.classifier_version,
            score.accuracy,
            score.items
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The run's newest stored audit score, if any.
    pub async fn latest_audit_score(&self, run_id: i64) -> Result<Option<AuditScoreRecord>> {
        Ok(sqlx::query_as!(
            AuditScoreRecord,
            "SELECT sheet_path, sheet_sha256, rows_total, rows_filled, classifier_version,
                    accuracy, items
             FROM audit_scores WHERE run_id = $1 ORDER BY scored_at DESC, id DESC LIMIT 1",
            run_id
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// The names of the run's repositories, in no particular order.
    pub async fn run_repository_names(&self, run_id: i64) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar!(
            "SELECT r.full_name FROM run_repositories rr
             JOIN repositories r ON r.id = rr.repository_id WHERE rr.run_id = $1",
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
