//! Reads for checking a survey database from outside the pipeline: the
//! crash and scale-out benchmarks compare a database with a clean run's, and
//! tests assert on what a run stored. Built with the `testing` feature only;
//! nothing here writes survey data but `execute_for_test`.

use crate::error::Result;
use crate::Store;
use serde::de::DeserializeOwned;

/// The fetch note and snapshot method of one repository of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchNote {
    pub full_name: String,
    pub fetch_note: Option<String>,
    pub method: Option<String>,
}

/// A repository of a run with its fetch status and labels (NULL when not
/// classified).
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryOutcome {
    pub full_name: String,
    pub fetch_status: String,
    pub kind: Option<String>,
    pub language: Option<String>,
    pub sdk: Option<Vec<String>>,
    pub transport: Option<Vec<String>>,
    pub credentials: Option<String>,
    pub auth_methods: Option<Vec<String>>,
    pub credential_sources: Option<Vec<String>>,
    pub env_vars: Option<Vec<String>>,
}

/// Where a run is, as an operator would read it from the database.
#[derive(Debug, Clone, PartialEq)]
pub struct RunProgress {
    pub status: String,
    /// Search slices still pending or paging.
    pub harvesting: bool,
    pub has_fetch_jobs: bool,
    pub fetching: bool,
    pub classifying: bool,
}

/// The job claims of a run: how many jobs were claimed more than once, and
/// by how many processes.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimCounts {
    pub claimed_twice: i64,
    pub processes: i64,
}

/// What a crash may have left behind.
#[derive(Debug, Clone, PartialEq)]
pub struct Leftovers {
    /// Snapshots stored twice for one (repository, push).
    pub duplicate_snapshots: i64,
    /// Snapshots whose file list is shorter or longer than their count.
    pub half_written_snapshots: i64,
    /// Repositories of the run, not excused, still pending or failed.
    pub unfinished_repositories: i64,
    /// Jobs of the run, not excused, not done.
    pub open_jobs: i64,
}

/// A value bound to a test's statement.
#[derive(Debug, Clone)]
pub enum Param {
    Int(i64),
    Text(String),
    Texts(Vec<String>),
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}

impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_string())
    }
}

impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}

impl From<Vec<String>> for Param {
    fn from(v: Vec<String>) -> Self {
        Param::Texts(v)
    }
}

fn bind_all<'q>(
    mut query: sqlx::query::QueryScalar<
        'q,
        sqlx::Postgres,
        Option<serde_json::Value>,
        sqlx::postgres::PgArguments,
    >,
    params: &[Param],
) -> sqlx::query::QueryScalar<
    'q,
    sqlx::Postgres,
    Option<serde_json::Value>,
    sqlx::postgres::PgArguments,
> {
    for p in params {
        query = match p {
            Param::Int(v) => query.bind(*v),
            Param::Text(v) => query.bind(v.clone()),
            Param::Texts(v) => query.bind(v.clone()),
        };
    }
    query
}

impl Store {
    pub async fn fetch_notes(&self, run: &str) -> Result<Vec<FetchNote>> {
        Ok(sqlx::query_as!(
            FetchNote,
            r#"SELECT rr.full_name, rr.fetch_note, s.method AS "method?"
               FROM run_repositories rr JOIN runs r ON r.id = rr.run_id
               LEFT JOIN snapshots s ON s.id = rr.snapshot_id
               WHERE r.name = $1"#,
            run
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn repository_outcomes(&self, run: &str) -> Result<Vec<RepositoryOutcome>> {
        Ok(sqlx::query_as!(
            RepositoryOutcome,
            r#"SELECT full_name AS "full_name!", fetch_status AS "fetch_status!", kind, language,
                      sdk, transport, credentials, auth_methods, credential_sources, env_vars
               FROM run_labels WHERE run_name = $1"#,
            run
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// None when there is no run of that name yet.
    pub async fn run_progress(&self, run: &str) -> Result<Option<RunProgress>> {
        Ok(sqlx::query_as!(
            RunProgress,
            r#"SELECT r.status,
                      EXISTS (SELECT 1 FROM search_slices s
                              WHERE s.run_id = r.id AND s.state IN ('pending', 'paging')) AS "harvesting!",
                      EXISTS (SELECT 1 FROM jobs j
                              WHERE j.run_id = r.id AND j.stage = 'fetch') AS "has_fetch_jobs!",
                      EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = r.id AND j.stage = 'fetch'
                                                     AND j.state IN ('queued', 'running')) AS "fetching!",
                      EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = r.id AND j.stage = 'classify'
                                                     AND j.state IN ('queued', 'running')) AS "classifying!"
               FROM runs r WHERE r.name = $1"#,
            run
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A claim adds one to a job's attempts: a job claimed once has 1.
    pub async fn claim_counts(&self, run: &str) -> Result<ClaimCounts> {
        Ok(sqlx::query_as!(
            ClaimCounts,
            r#"SELECT count(*) FILTER (WHERE j.attempts <> 1) AS "claimed_twice!",
                      count(DISTINCT split_part(j.worker, ':', 1)) AS "processes!"
               FROM jobs j JOIN runs r ON r.id = j.run_id WHERE r.name = $1"#,
            run
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// What a crash left behind in run `run`, not counting the `excused`
    /// repositories (those expected to fail).
    pub async fn leftovers(&self, run: &str, excused: &[String]) -> Result<Leftovers> {
        Ok(sqlx::query_as!(
            Leftovers,
            r#"SELECT
                 (SELECT count(*) FROM (SELECT 1 FROM snapshots
                                        GROUP BY repository_id, pushed_at HAVING count(*) > 1) d)
                     AS "duplicate_snapshots!",
                 (SELECT count(*) FROM snapshots s
                  WHERE s.file_count <> (SELECT count(*) FROM snapshot_files sf
                                         WHERE sf.snapshot_id = s.id)) AS "half_written_snapshots!",
                 (SELECT count(*) FROM run_repositories rr JOIN runs r ON r.id = rr.run_id
                  WHERE r.name = $1 AND rr.fetch_status IN ('pending', 'failed')
                    AND NOT (rr.full_name = ANY($2))) AS "unfinished_repositories!",
                 (SELECT count(*) FROM jobs j JOIN runs r ON r.id = j.run_id
                  JOIN run_repositories rr ON rr.run_id = j.run_id
                                          AND rr.repository_id = j.repository_id
                  WHERE r.name = $1 AND j.state <> 'done'
                    AND NOT (rr.full_name = ANY($2))) AS "open_jobs!""#,
            run,
            excused
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// The run's status by name.
    pub async fn run_status_by_name(&self, run: &str) -> Result<String> {
        Ok(
            sqlx::query_scalar!("SELECT status FROM runs WHERE name = $1", run)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// A test's own query, each row read by column name into a `T`: the
    /// rows go through `json_agg`, so `T` is a `Deserialize` struct whose
    /// fields are the query's column names.
    pub async fn inspect<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: &[Param],
    ) -> Result<Vec<T>> {
        let sql_body = sql.trim_end().trim_end_matches(';');
        // On lines of their own: the query may end in a `--` comment.
        let wrapped = format!("SELECT json_agg(t) FROM (\n{sql_body}\n) t");
        let rows = bind_all(sqlx::query_scalar(&wrapped), params)
            .fetch_one(&self.pool)
            .await?
            .unwrap_or_else(|| serde_json::Value::Array(Vec::new()));
        serde_json::from_value(rows)
            .map_err(|e| crate::StoreError::Corrupt(format!("test query {sql:?}: {e}")))
    }

    /// A test's own query of one row and one column (a count, a status).
    pub async fn inspect_one<T: DeserializeOwned>(&self, sql: &str, params: &[Param]) -> Result<T> {
        let rows: Vec<serde_json::Map<String, serde_json::Value>> =
            self.inspect(sql, params).await?;
        let value = match rows.as_slice() {
            [row] if row.len() == 1 => row.values().next().cloned(),
            _ => None,
        }
        .ok_or_else(|| {
            crate::StoreError::Corrupt(format!(
                "test query {sql:?} gave {} rows, not one row of one column",
                rows.len()
            ))
        })?;
        serde_json::from_value(value)
            .map_err(|e| crate::StoreError::Corrupt(format!("test query {sql:?}: {e}")))
    }

    /// The column names of a test's query, even when it has no rows.
    pub async fn inspect_columns(&self, sql: &str) -> Result<Vec<String>> {
        use sqlx::{Column, Executor};
        let described = (&self.pool).describe(sql).await?;
        Ok(described
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect())
    }

    /// A test's own statement that sets up or ages a state (an expired
    /// lease, a hand-made row): returns the rows it touched.
    pub async fn execute_for_test(&self, sql: &str, params: &[Param]) -> Result<u64> {
        let mut query = sqlx::query(sql);
        for p in params {
            query = match p {
                Param::Int(v) => query.bind(*v),
                Param::Text(v) => query.bind(v.clone()),
                Param::Texts(v) => query.bind(v.clone()),
            };
        }
        Ok(query.execute(&self.pool).await?.rows_affected())
    }

    /// Public tables with a row whose text form contains `needle`.
    pub async fn tables_containing(&self, needle: &str) -> Result<Vec<String>> {
        let tables = self.table_names().await?;
        let mut hits = Vec::new();
        for table in tables {
            let sql = format!(
                "SELECT count(*) FROM \"{}\" t WHERE strpos(t::text, $1) > 0",
                table.replace('"', "\"\"")
            );
            let n: i64 = sqlx::query_scalar(&sql)
                .bind(needle)
                .fetch_one(&self.pool)
                .await?;
            if n > 0 {
                hits.push(table);
            }
        }
        Ok(hits)
    }

    /// The public tables of the survey database.
    pub async fn table_names(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar!(
            r#"SELECT table_name::text AS "table_name!" FROM information_schema.tables
               WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"#
        )
        .fetch_all(&self.pool)
        .await?)
    }
}
