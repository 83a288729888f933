use crate::error::Result;
use crate::Store;
use mcp_survey_model::RepoMeta;
use sqlx::{Postgres, Transaction};

/// Writes GitHub's view of a repository, keyed by id so that a rename or a
/// transfer (same id, new name) updates the one row instead of adding one.
pub(crate) async fn upsert_repository(
    tx: &mut Transaction<'_, Postgres>,
    meta: &RepoMeta,
    etag: Option<&str>,
) -> Result<()> {
    // Free text from GitHub: a NUL would make Postgres refuse the page.
    let description = meta.description.as_deref().map(crate::clean::message);
    let topics: Vec<String> = meta
        .topics
        .iter()
        .map(|t| crate::clean::message(t))
        .collect();
    let language = meta.language.as_deref().map(crate::clean::message);
    sqlx::query!(
        "INSERT INTO repositories (id, full_name, description, topics, language, stargazers_count,
             forks_count, fork, archived, created_at, pushed_at, default_branch, size_kb, etag)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (id) DO UPDATE SET
             full_name = EXCLUDED.full_name, description = EXCLUDED.description,
             topics = EXCLUDED.topics, language = EXCLUDED.language,
             stargazers_count = EXCLUDED.stargazers_count, forks_count = EXCLUDED.forks_count,
             fork = EXCLUDED.fork, archived = EXCLUDED.archived, created_at = EXCLUDED.created_at,
             pushed_at = EXCLUDED.pushed_at, default_branch = EXCLUDED.default_branch,
             size_kb = EXCLUDED.size_kb,
             etag = COALESCE(EXCLUDED.etag, repositories.etag),
             updated_at = now()",
        meta.id,
        &meta.full_name,
        description,
        &topics,
        language,
        meta.stargazers_count,
        meta.forks_count,
        meta.fork,
        meta.archived,
        meta.created_at,
        meta.pushed_at,
        &meta.default_branch,
        meta.size,
        etag
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Adds a repository to a run with the metadata this run saw. A repository
/// met again later in the same run (another query, a rename between pages)
/// keeps one row whose metadata is the newest.
pub(crate) async fn add_to_run(
    tx: &mut Transaction<'_, Postgres>,
    run_id: i64,
    meta: &RepoMeta,
) -> Result<bool> {
    let inserted = sqlx::query_scalar!(
        r#"INSERT INTO run_repositories (run_id, repository_id, full_name, stargazers_count, fork, archived, pushed_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (run_id, repository_id) DO UPDATE SET
               full_name = EXCLUDED.full_name, stargazers_count = EXCLUDED.stargazers_count,
               fork = EXCLUDED.fork, archived = EXCLUDED.archived, pushed_at = EXCLUDED.pushed_at
           RETURNING (xmax = 0) AS "fresh!""#,
        run_id,
        meta.id,
        &meta.full_name,
        meta.stargazers_count,
        meta.fork,
        meta.archived,
        meta.pushed_at
    )
    .fetch_optional(&mut **tx)
    .await?;
    Ok(inserted.unwrap_or(false))
}

/// What the harvest knows of a repository before asking GitHub for it again.
#[derive(Debug, Clone)]
pub struct KnownRepository {
    pub meta: RepoMeta,
    pub etag: Option<String>,
    pub in_run: bool,
}

/// A `repositories` row with whether the run already holds it.
struct KnownRepositoryRow {
    id: i64,
    full_name: String,
    description: Option<String>,
    topics: Vec<String>,
    language: Option<String>,
    stargazers_count: i64,
    forks_count: i64,
    fork: bool,
    archived: bool,
    created_at: chrono::DateTime<chrono::Utc>,
    pushed_at: Option<chrono::DateTime<chrono::Utc>>,
    default_branch: String,
    size_kb: i64,
    etag: Option<String>,
    in_run: bool,
}

impl Store {
    /// Stores repositories found outside a search page (e.g. the metadata
    /// fetched for code-search hits) and adds them to the run.
    pub async fn put_repository(
        &self,
        run_id: i64,
        meta: &RepoMeta,
        etag: Option<&str>,
    ) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        upsert_repository(&mut tx, meta, etag).await?;
        let new = add_to_run(&mut tx, run_id, meta).await?;
        tx.commit().await?;
        Ok(new)
    }

    /// The stored metadata of a repository, by id, and whether `run_id`
    /// already holds it.
    pub async fn known_repository(&self, run_id: i64, id: i64) -> Result<Option<KnownRepository>> {
        let row = sqlx::query_as!(
            KnownRepositoryRow,
            r#"SELECT r.id, r.full_name, r.description, r.topics, r.language, r.stargazers_count,
                      r.forks_count, r.fork, r.archived, r.created_at, r.pushed_at, r.default_branch,
                      r.size_kb, r.etag,
                      EXISTS (SELECT 1 FROM run_repositories rr
                              WHERE rr.run_id = $1 AND rr.repository_id = r.id) AS "in_run!"
               FROM repositories r WHERE r.id = $2"#,
            run_id,
            id
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| KnownRepository {
            meta: RepoMeta {
                id: r.id,
                full_name: r.full_name,
                description: r.description,
                topics: r.topics,
                language: r.language,
                stargazers_count: r.stargazers_count,
                forks_count: r.forks_count,
                fork: r.fork,
                archived: r.archived,
                created_at: r.created_at,
                pushed_at: r.pushed_at,
                default_branch: r.default_branch,
                size: r.size_kb,
            },
            etag: r.etag,
            in_run: r.in_run,
        }))
    }

    /// Adds an already stored repository to a run unchanged (a 304 answer).
    pub async fn add_known_to_run(&self, run_id: i64, meta: &RepoMeta) -> Result<bool> {
        let mut tx = self.pool.begin().await?;
        let new = add_to_run(&mut tx, run_id, meta).await?;
        tx.commit().await?;
        Ok(new)
    }

    pub async fn run_repository_count(&self, run_id: i64) -> Result<i64> {
        Ok(sqlx::query_scalar!(
            r#"SELECT count(*) AS "n!" FROM run_repositories WHERE run_id = $1"#,
            run_id
        )
        .fetch_one(&self.pool)
        .await?)
    }
}

impl Store {
    /// Repositories in the run, and how many of them no earlier run had.
    pub async fn run_found_and_new(&self, run_id: i64) -> Result<(i64, i64)> {
        let row = sqlx::query!(
            r#"SELECT count(*) AS "found!",
                      count(*) FILTER (WHERE NOT EXISTS (
                          SELECT 1 FROM run_repositories older
                          WHERE older.repository_id = rr.repository_id
                            AND older.run_id < rr.run_id)) AS "new!"
               FROM run_repositories rr WHERE rr.run_id = $1"#,
            run_id
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.found, row.new))
    }
}
