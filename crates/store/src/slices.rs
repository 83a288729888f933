use crate::error::{Result, StoreError};
use crate::repos::{add_to_run, upsert_repository};
use crate::Store;
use chrono::{DateTime, Utc};
use mcp_survey_model::RepoMeta;
use serde::Serialize;

/// A seed query as stored with its run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeedQueryRow {
    pub name: String,
    /// `repositories` or `code`.
    pub endpoint: String,
    pub query: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SliceState {
    Pending,
    Paging,
    Done,
    Split,
    Failed,
}

impl SliceState {
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => SliceState::Pending,
            "paging" => SliceState::Paging,
            "done" => SliceState::Done,
            "split" => SliceState::Split,
            "failed" => SliceState::Failed,
            other => {
                return Err(StoreError::Corrupt(format!(
                    "unknown slice state {other:?}"
                )))
            }
        })
    }
}

/// A slice to insert: a seed query narrowed to a window or a size range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSlice {
    pub query_name: String,
    pub query: String,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub size_min: Option<i64>,
    pub size_max: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Slice {
    pub id: i64,
    pub run_id: i64,
    pub query_name: String,
    pub endpoint: String,
    pub base_query: String,
    pub query: String,
    pub window_start: Option<DateTime<Utc>>,
    pub window_end: Option<DateTime<Utc>>,
    pub size_min: Option<i64>,
    pub size_max: Option<i64>,
    pub state: SliceState,
    pub total_count: Option<i64>,
    pub pages_done: i32,
    pub pages_total: Option<i32>,
    pub error: Option<String>,
}

type SliceRow = (
    i64,
    i64,
    String,
    String,
    String,
    String,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
    Option<i64>,
    Option<i64>,
    String,
    Option<i64>,
    i32,
    Option<i32>,
    Option<String>,
);

const SLICE_COLUMNS: &str = "s.id, s.run_id, s.query_name, q.endpoint, q.query, s.query, s.window_start, s.window_end, s.size_min, s.size_max, s.state, s.total_count, s.pages_done, s.pages_total, s.error";

fn slice_from_row(r: SliceRow) -> Result<Slice> {
    Ok(Slice {
        id: r.0,
        run_id: r.1,
        query_name: r.2,
        endpoint: r.3,
        base_query: r.4,
        query: r.5,
        window_start: r.6,
        window_end: r.7,
        size_min: r.8,
        size_max: r.9,
        state: SliceState::parse(&r.10)?,
        total_count: r.11,
        pages_done: r.12,
        pages_total: r.13,
        error: r.14,
    })
}

/// Counts of a run's slices, for progress and statistics.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SliceCounts {
    pub total: i64,
    pub pending: i64,
    pub paging: i64,
    pub done: i64,
    pub split: i64,
    pub failed: i64,
    pub over_cap: i64,
    pub pages_done: i64,
    pub pages_planned: i64,
}

impl Store {
    /// Records the run's seed queries; on a resumed run the stored ones win.
    pub async fn put_seed_queries(&self, run_id: i64, queries: &[SeedQueryRow]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for q in queries {
            sqlx::query(
                "INSERT INTO seed_queries (run_id, name, endpoint, query, reason) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (run_id, name) DO NOTHING",
            )
            .bind(run_id)
            .bind(&q.name)
            .bind(&q.endpoint)
            .bind(&q.query)
            .bind(&q.reason)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn seed_queries(&self, run_id: i64) -> Result<Vec<SeedQueryRow>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT name, endpoint, query, reason FROM seed_queries WHERE run_id = $1 ORDER BY name",
        )
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(name, endpoint, query, reason)| SeedQueryRow {
                name,
                endpoint,
                query,
                reason,
            })
            .collect())
    }

    /// Inserts the first slice of every seed query that has none yet.
    /// `root` builds it; idempotent, so a resumed harvest calls it again safely.
    pub async fn ensure_root_slices<F>(&self, run_id: i64, root: F) -> Result<()>
    where
        F: Fn(&SeedQueryRow) -> NewSlice,
    {
        let mut tx = self.pool.begin().await?;
        // Serialise concurrent harvesters of one run on this step.
        sqlx::query("SELECT id FROM runs WHERE id = $1 FOR UPDATE")
            .bind(run_id)
            .execute(&mut *tx)
            .await?;
        let missing: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT q.name, q.endpoint, q.query, q.reason FROM seed_queries q
             WHERE q.run_id = $1
               AND NOT EXISTS (SELECT 1 FROM search_slices s WHERE s.run_id = q.run_id AND s.query_name = q.name)
             ORDER BY q.name",
        )
        .bind(run_id)
        .fetch_all(&mut *tx)
        .await?;
        for (name, endpoint, query, reason) in missing {
            let slice = root(&SeedQueryRow {
                name,
                endpoint,
                query,
                reason,
            });
            insert_slice(&mut tx, run_id, None, &slice).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Leases the next unfinished slice of `endpoint` to `worker`. Slices
    /// held by a live lease are skipped; an expired lease (a killed process)
    /// makes a slice claimable again, resuming at its next unfetched page.
    pub async fn claim_slice(
        &self,
        run_id: i64,
        endpoint: &str,
        worker: &str,
        lease: std::time::Duration,
    ) -> Result<Option<Slice>> {
        let lease_secs = lease.as_secs_f64();
        let row: Option<SliceRow> = sqlx::query_as(&format!(
            "WITH next AS (
                 SELECT s.id FROM search_slices s JOIN seed_queries q
                   ON q.run_id = s.run_id AND q.name = s.query_name
                 WHERE s.run_id = $1 AND q.endpoint = $2 AND s.state IN ('pending', 'paging')
                   AND (s.lease_until IS NULL OR s.lease_until < now())
                 ORDER BY s.id
                 LIMIT 1
                 FOR UPDATE OF s SKIP LOCKED
             ), claimed AS (
                 UPDATE search_slices s SET lease_until = now() + make_interval(secs => $4), worker = $3
                 FROM next WHERE s.id = next.id
                 RETURNING s.*
             )
             SELECT {SLICE_COLUMNS} FROM claimed s JOIN seed_queries q
               ON q.run_id = s.run_id AND q.name = s.query_name"
        ))
        .bind(run_id)
        .bind(endpoint)
        .bind(worker)
        .bind(lease_secs)
        .fetch_optional(&self.pool)
        .await?;
        row.map(slice_from_row).transpose()
    }

    /// True while some slice of the run is unfinished (claimable or leased).
    pub async fn has_open_slices(&self, run_id: i64, endpoint: &str) -> Result<bool> {
        let (open,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM search_slices s JOIN seed_queries q
                 ON q.run_id = s.run_id AND q.name = s.query_name
             WHERE s.run_id = $1 AND q.endpoint = $2 AND s.state IN ('pending', 'paging'))",
        )
        .bind(run_id)
        .bind(endpoint)
        .fetch_one(&self.pool)
        .await?;
        Ok(open)
    }

    /// Replaces a slice that is over the cap by its children, atomically.
    pub async fn split_slice(
        &self,
        slice_id: i64,
        total_count: i64,
        children: &[NewSlice],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let (run_id,): (i64,) = sqlx::query_as(
            "UPDATE search_slices SET state = 'split', total_count = $2, lease_until = NULL, updated_at = now()
             WHERE id = $1 RETURNING run_id",
        )
        .bind(slice_id)
        .bind(total_count)
        .fetch_one(&mut *tx)
        .await?;
        for child in children {
            insert_slice(&mut tx, run_id, Some(slice_id), child).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores one result page of a slice in one transaction: the
    /// repositories, their membership in the run, the hits, and the page
    /// counter. A crash before commit leaves the page to be fetched again;
    /// after commit it is never fetched again. Returns how many repositories
    /// were new to the run.
    #[allow(clippy::too_many_arguments)]
    pub async fn store_page(
        &self,
        slice: &Slice,
        page: i32,
        total_count: i64,
        pages_total: i32,
        repos: &[RepoMeta],
        finished: bool,
        note: Option<&str>,
    ) -> Result<u64> {
        // Lock rows in id order: concurrent pages (repository and code search
        // run side by side) meeting the same repositories cannot deadlock.
        let mut ordered: Vec<&RepoMeta> = repos.iter().collect();
        ordered.sort_by_key(|r| r.id);
        ordered.dedup_by_key(|r| r.id);
        let mut tx = self.pool.begin().await?;
        let mut new_in_run = 0;
        for meta in ordered {
            upsert_repository(&mut tx, meta, None).await?;
            if add_to_run(&mut tx, slice.run_id, meta).await? {
                new_in_run += 1;
            }
            sqlx::query(
                "INSERT INTO hits (run_id, slice_id, repository_id, page) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (slice_id, repository_id) DO NOTHING",
            )
            .bind(slice.run_id)
            .bind(slice.id)
            .bind(meta.id)
            .bind(page)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE search_slices SET pages_done = $2, total_count = $3, pages_total = $4,
                 state = CASE WHEN $5 THEN 'done' ELSE 'paging' END,
                 lease_until = CASE WHEN $5 THEN NULL ELSE lease_until END,
                 error = COALESCE($6, error), updated_at = now()
             WHERE id = $1",
        )
        .bind(slice.id)
        .bind(page)
        .bind(total_count)
        .bind(pages_total)
        .bind(finished)
        .bind(note)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(new_in_run)
    }

    pub async fn fail_slice(&self, slice_id: i64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE search_slices SET state = 'failed', error = $2, lease_until = NULL, updated_at = now() WHERE id = $1",
        )
        .bind(slice_id)
        .bind(error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives a slice back to the queue (on shutdown) without losing pages.
    pub async fn release_slice(&self, slice_id: i64) -> Result<()> {
        sqlx::query("UPDATE search_slices SET lease_until = NULL WHERE id = $1")
            .bind(slice_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn renew_slice_lease(&self, slice_id: i64, lease: std::time::Duration) -> Result<()> {
        sqlx::query("UPDATE search_slices SET lease_until = now() + make_interval(secs => $2) WHERE id = $1")
            .bind(slice_id)
            .bind(lease.as_secs_f64())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn slices(&self, run_id: i64) -> Result<Vec<Slice>> {
        let rows: Vec<SliceRow> = sqlx::query_as(&format!(
            "SELECT {SLICE_COLUMNS} FROM search_slices s JOIN seed_queries q
               ON q.run_id = s.run_id AND q.name = s.query_name
             WHERE s.run_id = $1 ORDER BY s.id"
        ))
        .bind(run_id)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(slice_from_row).collect()
    }

    pub async fn slice_counts(&self, run_id: i64) -> Result<SliceCounts> {
        let row: (i64, i64, i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
            "SELECT count(*),
                    count(*) FILTER (WHERE state = 'pending'),
                    count(*) FILTER (WHERE state = 'paging'),
                    count(*) FILTER (WHERE state = 'done'),
                    count(*) FILTER (WHERE state = 'split'),
                    count(*) FILTER (WHERE state = 'failed'),
                    count(*) FILTER (WHERE state = 'done' AND total_count > 1000),
                    coalesce(sum(pages_done), 0)::bigint,
                    coalesce(sum(pages_total) FILTER (WHERE state <> 'split'), 0)::bigint
             FROM search_slices WHERE run_id = $1",
        )
        .bind(run_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(SliceCounts {
            total: row.0,
            pending: row.1,
            paging: row.2,
            done: row.3,
            split: row.4,
            failed: row.5,
            over_cap: row.6,
            pages_done: row.7,
            pages_planned: row.8,
        })
    }
}

async fn insert_slice(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    run_id: i64,
    parent: Option<i64>,
    slice: &NewSlice,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO search_slices (run_id, query_name, parent_id, query, window_start, window_end, size_min, size_max)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(run_id)
    .bind(&slice.query_name)
    .bind(parent)
    .bind(&slice.query)
    .bind(slice.window_start)
    .bind(slice.window_end)
    .bind(slice.size_min)
    .bind(slice.size_max)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
