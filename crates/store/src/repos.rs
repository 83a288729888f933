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
    sqlx::query(
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
    )
    .bind(meta.id)
    .bind(&meta.full_name)
    // Free text from GitHub: a NUL would make Postgres refuse the page.
    .bind(meta.description.as_deref().map(crate::clean::message))
    .bind(
        meta.topics
            .iter()
            .map(|t| crate::clean::message(t))
            .collect::<Vec<_>>(),
    )
    .bind(meta.language.as_deref().map(crate::clean::message))
    .bind(meta.stargazers_count)
    .bind(meta.forks_count)
    .bind(meta.fork)
    .bind(meta.archived)
    .bind(meta.created_at)
    .bind(meta.pushed_at)
    .bind(&meta.default_branch)
    .bind(meta.size)
    .bind(etag)
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
    let inserted: Option<(bool,)> = sqlx::query_as(
        "INSERT INTO run_repositories (run_id, repository_id, full_name, stargazers_count, fork, archived, pushed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (run_id, repository_id) DO UPDATE SET
             full_name = EXCLUDED.full_name, stargazers_count = EXCLUDED.stargazers_count,
             fork = EXCLUDED.fork, archived = EXCLUDED.archived, pushed_at = EXCLUDED.pushed_at
         RETURNING (xmax = 0)",
    )
    .bind(run_id)
    .bind(meta.id)
    .bind(&meta.full_name)
    .bind(meta.stargazers_count)
    .bind(meta.fork)
    .bind(meta.archived)
    .bind(meta.pushed_at)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(inserted.is_some_and(|(fresh,)| fresh))
}

/// What the harvest knows of a repository before asking GitHub for it again.
#[derive(Debug, Clone)]
pub struct KnownRepository {
    pub meta: RepoMeta,
    pub etag: Option<String>,
    pub in_run: bool,
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
        type Row = (
            i64,
            String,
            Option<String>,
            Vec<String>,
            Option<String>,
            i64,
            i64,
            bool,
            bool,
            chrono::DateTime<chrono::Utc>,
            Option<chrono::DateTime<chrono::Utc>>,
            String,
            i64,
            Option<String>,
            bool,
        );
        let row: Option<Row> = sqlx::query_as(
            "SELECT r.id, r.full_name, r.description, r.topics, r.language, r.stargazers_count,
                    r.forks_count, r.fork, r.archived, r.created_at, r.pushed_at, r.default_branch,
                    r.size_kb, r.etag,
                    EXISTS (SELECT 1 FROM run_repositories rr WHERE rr.run_id = $1 AND rr.repository_id = r.id)
             FROM repositories r WHERE r.id = $2",
        )
        .bind(run_id)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| KnownRepository {
            meta: RepoMeta {
                id: r.0,
                full_name: r.1,
                description: r.2,
                topics: r.3,
                language: r.4,
                stargazers_count: r.5,
                forks_count: r.6,
                fork: r.7,
                archived: r.8,
                created_at: r.9,
                pushed_at: r.10,
                default_branch: r.11,
                size: r.12,
            },
            etag: r.13,
            in_run: r.14,
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
        let (n,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM run_repositories WHERE run_id = $1")
                .bind(run_id)
                .fetch_one(&self.pool)
                .await?;
        Ok(n)
    }
}

impl Store {
    /// Repositories in the run, and how many of them no earlier run had.
    pub async fn run_found_and_new(&self, run_id: i64) -> Result<(i64, i64)> {
        Ok(sqlx::query_as(
            "SELECT count(*),
                    count(*) FILTER (WHERE NOT EXISTS (
                        SELECT 1 FROM run_repositories older
                        WHERE older.repository_id = rr.repository_id AND older.run_id < rr.run_id))
             FROM run_repositories rr WHERE rr.run_id = $1",
        )
        .bind(run_id)
        .fetch_one(&self.pool)
        .await?)
    }
}
