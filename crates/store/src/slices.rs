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
    /// Every page was read, but some answers were incomplete or short: those
    /// pages are asked again (after `not_before`).
    Recheck,
}

impl SliceState {
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "pending" => SliceState::Pending,
            "paging" => SliceState::Paging,
            "done" => SliceState::Done,
            "split" => SliceState::Split,
            "failed" => SliceState::Failed,
            "recheck" => SliceState::Recheck,
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
    /// Pages whose answer was incomplete or short, to be asked again.
    pub recheck_pages: Vec<i32>,
    /// Rounds of re-asking done so far.
    pub recheck_rounds: i32,
}

/// A `search_slices` row with its seed query; `state` is still text until
/// `slice_from_row` reads it.
struct SliceRow {
    id: i64,
    run_id: i64,
    query_name: String,
    endpoint: String,
    base_query: String,
    query: String,
    window_start: Option<DateTime<Utc>>,
    window_end: Option<DateTime<Utc>>,
    size_min: Option<i64>,
    size_max: Option<i64>,
    state: String,
    total_count: Option<i64>,
    pages_done: i32,
    pages_total: Option<i32>,
    error: Option<String>,
    recheck_pages: Vec<i32>,
    recheck_rounds: i32,
}

fn slice_from_row(r: SliceRow) -> Result<Slice> {
    Ok(Slice {
        id: r.id,
        run_id: r.run_id,
        query_name: r.query_name,
        endpoint: r.endpoint,
        base_query: r.base_query,
        query: r.query,
        window_start: r.window_start,
        window_end: r.window_end,
        size_min: r.size_min,
        size_max: r.size_max,
        state: SliceState::parse(&r.state)?,
        total_count: r.total_count,
        pages_done: r.pages_done,
        pages_total: r.pages_total,
        error: r.error,
        recheck_pages: r.recheck_pages,
        recheck_rounds: r.recheck_rounds,
    })
}

/// How complete one search answer was.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageQuality {
    /// GitHub said `incomplete_results: true` (its search timed out).
    pub incomplete: bool,
    /// Fewer items than asked for, yet the `Link` header names a next page.
    pub short: bool,
    /// Items that could not be read and were skipped.
    pub skipped_items: i32,
}

impl PageQuality {
    /// The page may be missing items: ask for it again later.
    pub fn needs_recheck(&self) -> bool {
        self.incomplete || self.short
    }
}

/// How complete a run's searches were: what `harvest --json`, `status` and
/// the report say about pages GitHub answered only in part.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SearchCompleteness {
    /// Answers that carried `incomplete_results: true`.
    pub incomplete_pages: i64,
    /// Answers shorter than a page while a next page was named.
    pub short_pages: i64,
    /// Page requests spent asking such pages again.
    pub pages_retried: i64,
    /// Slices still waiting to ask pages again.
    pub slices_awaiting_retry: i64,
    /// Pages still incomplete or short after the last retry.
    pub unresolved_pages: i64,
    /// The slices those pages belong to: `query (pages 2, 5)`.
    pub unresolved_slices: Vec<String>,
    /// Result items skipped because they could not be read.
    pub skipped_items: i64,
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
    /// All pages read, some to be asked again.
    pub recheck: i64,
    pub over_cap: i64,
    pub pages_done: i64,
    pub pages_planned: i64,
}

impl Store {
    /// Records the run's seed queries; on a resumed run the stored ones win.
    pub async fn put_seed_queries(&self, run_id: i64, queries: &[SeedQueryRow]) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for q in queries {
            sqlx::query!(
                "INSERT INTO seed_queries (run_id, name, endpoint, query, reason) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (run_id, name) DO NOTHING",
                run_id,
                &q.name,
                &q.endpoint,
                &q.query,
                &q.reason
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn seed_queries(&self, run_id: i64) -> Result<Vec<SeedQueryRow>> {
        Ok(sqlx::query_as!(
            SeedQueryRow,
            "SELECT name, endpoint, query, reason FROM seed_queries WHERE run_id = $1 ORDER BY name",
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Inserts the first slice of every seed query that has none yet.
    /// `root` builds it; idempotent, so a resumed harvest calls it again safely.
    pub async fn ensure_root_slices<F>(&self, run_id: i64, root: F) -> Result<()>
    where
        F: Fn(&SeedQueryRow) -> NewSlice,
    {
        let mut tx = self.pool.begin().await?;
        // Serialise concurrent harvesters of one run on this step.
        sqlx::query!("SELECT id FROM runs WHERE id = $1 FOR UPDATE", run_id)
            .fetch_optional(&mut *tx)
            .await?;
        let missing = sqlx::query_as!(
            SeedQueryRow,
            "SELECT q.name, q.endpoint, q.query, q.reason FROM seed_queries q
             WHERE q.run_id = $1
               AND NOT EXISTS (SELECT 1 FROM search_slices s WHERE s.run_id = q.run_id AND s.query_name = q.name)
             ORDER BY q.name",
            run_id
        )
        .fetch_all(&mut *tx)
        .await?;
        for seed in missing {
            let slice = root(&seed);
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
        let row = sqlx::query_as!(
            SliceRow,
            r#"WITH next AS (
                 SELECT s.id FROM search_slices s JOIN seed_queries q
                   ON q.run_id = s.run_id AND q.name = s.query_name
                 WHERE s.run_id = $1 AND q.endpoint = $2 AND s.state IN ('pending', 'paging', 'recheck')
                   AND (s.lease_until IS NULL OR s.lease_until < now())
                   AND (s.not_before IS NULL OR s.not_before <= now())
                 ORDER BY s.state = 'recheck', s.id
                 LIMIT 1
                 FOR UPDATE OF s SKIP LOCKED
             ), claimed AS (
                 UPDATE search_slices s SET lease_until = now() + make_interval(secs => $4), worker = $3
                 FROM next WHERE s.id = next.id
                 RETURNING s.*
             )
             SELECT s.id AS "id!", s.run_id AS "run_id!", s.query_name AS "query_name!",
                    q.endpoint, q.query AS base_query, s.query AS "query!",
                    s.window_start, s.window_end, s.size_min, s.size_max, s.state AS "state!",
                    s.total_count, s.pages_done AS "pages_done!", s.pages_total, s.error,
                    s.recheck_pages AS "recheck_pages!", s.recheck_rounds AS "recheck_rounds!"
             FROM claimed s JOIN seed_queries q
               ON q.run_id = s.run_id AND q.name = s.query_name"#,
            run_id,
            endpoint,
            worker,
            lease.as_secs_f64()
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(slice_from_row).transpose()
    }

    /// True while some slice of the run is unfinished (claimable or leased).
    pub async fn has_open_slices(&self, run_id: i64, endpoint: &str) -> Result<bool> {
        Ok(sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM search_slices s JOIN seed_queries q
                 ON q.run_id = s.run_id AND q.name = s.query_name
             WHERE s.run_id = $1 AND q.endpoint = $2 AND s.state IN ('pending', 'paging', 'recheck')) AS "open!""#,
            run_id,
            endpoint
        )
        .fetch_one(&self.pool)
        .await?)
    }

    /// Replaces a slice that is over the cap by its children, atomically.
    pub async fn split_slice(
        &self,
        slice_id: i64,
        total_count: i64,
        children: &[NewSlice],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        let run_id = sqlx::query_scalar!(
            "UPDATE search_slices SET state = 'split', total_count = $2, lease_until = NULL, updated_at = now()
             WHERE id = $1 RETURNING run_id",
            slice_id,
            total_count
        )
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
        let write = PageWrite {
            page,
            total_count,
            pages_total,
            repos,
            finished,
            note,
            quality: PageQuality::default(),
            recheck_pages: &[],
            recheck_delay: std::time::Duration::ZERO,
        };
        self.store_page_checked(slice, &write).await
    }

    /// `store_page` with what the answer said about its own completeness:
    /// the counters grow, and a finished slice with pages to ask again goes
    /// to `recheck` (claimable after `recheck_delay`) instead of `done`.
    pub async fn store_page_checked(&self, slice: &Slice, w: &PageWrite<'_>) -> Result<u64> {
        let (page, total_count, pages_total, repos, finished, note) = (
            w.page,
            w.total_count,
            w.pages_total,
            w.repos,
            w.finished,
            w.note,
        );
        let state = match (finished, w.recheck_pages.is_empty()) {
            (false, _) => "paging",
            (true, true) => "done",
            (true, false) => "recheck",
        };
        let mut tx = self.pool.begin().await?;
        let new_in_run = insert_hits(&mut tx, slice, page, repos).await?;
        sqlx::query!(
            "UPDATE search_slices SET pages_done = $2, total_count = $3, pages_total = $4,
                 state = $5,
                 lease_until = CASE WHEN $5 = 'paging' THEN lease_until ELSE NULL END,
                 error = COALESCE($6, error),
                 incomplete_pages = incomplete_pages + $7::int,
                 short_pages = short_pages + $8::int,
                 skipped_items = skipped_items + $9,
                 recheck_pages = $10,
                 not_before = CASE WHEN $5 = 'recheck' THEN now() + make_interval(secs => $11) ELSE NULL END,
                 updated_at = now()
             WHERE id = $1",
            slice.id,
            page,
            total_count,
            pages_total,
            state,
            note,
            w.quality.incomplete as i32,
            w.quality.short as i32,
            w.quality.skipped_items,
            w.recheck_pages,
            w.recheck_delay.as_secs_f64()
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(new_in_run)
    }

    /// Stores a page asked again: its hits (ones already stored are kept),
    /// its quality counters, and the pages still to ask again. Idempotent,
    /// so a crash in between only asks the page once more.
    pub async fn store_rechecked_page(
        &self,
        slice: &Slice,
        page: i32,
        repos: &[RepoMeta],
        quality: PageQuality,
        remaining: &[i32],
    ) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        let new_in_run = insert_hits(&mut tx, slice, page, repos).await?;
        sqlx::query!(
            "UPDATE search_slices SET
                 incomplete_pages = incomplete_pages + $2::int,
                 short_pages = short_pages + $3::int,
                 skipped_items = skipped_items + $4,
                 pages_rechecked = pages_rechecked + 1,
                 recheck_pages = $5,
                 updated_at = now()
             WHERE id = $1",
            slice.id,
            quality.incomplete as i32,
            quality.short as i32,
            quality.skipped_items,
            remaining
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(new_in_run)
    }

    /// Ends a round of re-asking: `done` when nothing is left or `give_up`
    /// (the pages left are recorded as unresolved, with a note), else back
    /// to `recheck`, claimable after `delay`.
    pub async fn finish_recheck_round(
        &self,
        slice_id: i64,
        remaining: &[i32],
        give_up: bool,
        delay: std::time::Duration,
    ) -> Result<()> {
        let done = remaining.is_empty() || give_up;
        let note = (give_up && !remaining.is_empty()).then(|| {
            let pages: Vec<String> = remaining.iter().map(|p| p.to_string()).collect();
            format!(
                "GitHub answered page(s) {} incomplete or short every time they were asked; \
                 items missing from them are not in this run",
                pages.join(", ")
            )
        });
        sqlx::query!(
            "UPDATE search_slices SET
                 recheck_rounds = recheck_rounds + 1,
                 state = CASE WHEN $3 THEN 'done' ELSE 'recheck' END,
                 recheck_pages = CASE WHEN $3 THEN '{}' ELSE $2::int[] END,
                 unresolved_pages = CASE WHEN $3 THEN $2 ELSE unresolved_pages END,
                 error = COALESCE($5, error),
                 lease_until = NULL,
                 not_before = CASE WHEN $3 THEN NULL ELSE now() + make_interval(secs => $4) END,
                 updated_at = now()
             WHERE id = $1",
            slice_id,
            remaining,
            done,
            delay.as_secs_f64(),
            note
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records a code-search hit whose repository is gone.
    pub async fn record_gone_hit(
        &self,
        slice: &Slice,
        repository_id: i64,
        full_name: &str,
        reason: &str,
    ) -> Result<()> {
        sqlx::query!(
            "INSERT INTO gone_hits (run_id, slice_id, repository_id, full_name, reason)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (run_id, repository_id) DO UPDATE SET reason = EXCLUDED.reason",
            slice.run_id,
            slice.id,
            repository_id,
            full_name,
            reason
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gone code-search hits of a run: (OWNER/NAME, reason), by name.
    pub async fn gone_hits(&self, run_id: i64) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query!(
            "SELECT full_name, reason FROM gone_hits WHERE run_id = $1 ORDER BY full_name",
            run_id
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| (r.full_name, r.reason)).collect())
    }

    /// How complete the run's search answers were.
    pub async fn search_completeness(&self, run_id: i64) -> Result<SearchCompleteness> {
        let totals = sqlx::query!(
            r#"SELECT coalesce(sum(incomplete_pages), 0)::bigint AS "incomplete!",
                      coalesce(sum(short_pages), 0)::bigint AS "short!",
                      coalesce(sum(pages_rechecked), 0)::bigint AS "retried!",
                      count(*) FILTER (WHERE state = 'recheck') AS "awaiting!",
                      coalesce(sum(cardinality(unresolved_pages)), 0)::bigint AS "unresolved!",
                      coalesce(sum(skipped_items), 0)::bigint AS "skipped!"
               FROM search_slices WHERE run_id = $1"#,
            run_id
        )
        .fetch_one(&self.pool)
        .await?;
        let rows = sqlx::query!(
            "SELECT query, unresolved_pages FROM search_slices
             WHERE run_id = $1 AND cardinality(unresolved_pages) > 0 ORDER BY id",
            run_id
        )
        .fetch_all(&self.pool)
        .await?;
        let unresolved_slices = rows
            .into_iter()
            .map(|r| {
                let pages: Vec<String> = r.unresolved_pages.iter().map(|p| p.to_string()).collect();
                format!("{} (pages {})", r.query, pages.join(", "))
            })
            .collect();
        Ok(SearchCompleteness {
            incomplete_pages: totals.incomplete,
            short_pages: totals.short,
            pages_retried: totals.retried,
            slices_awaiting_retry: totals.awaiting,
            unresolved_pages: totals.unresolved,
            unresolved_slices,
            skipped_items: totals.skipped,
        })
    }

    pub async fn fail_slice(&self, slice_id: i64, error: &str) -> Result<()> {
        sqlx::query!(
            "UPDATE search_slices SET state = 'failed', error = $2, lease_until = NULL, updated_at = now() WHERE id = $1",
            slice_id,
            error
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives a slice back to the queue (on shutdown) without losing pages.
    pub async fn release_slice(&self, slice_id: i64) -> Result<()> {
        sqlx::query!(
            "UPDATE search_slices SET lease_until = NULL WHERE id = $1",
            slice_id
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Extends `worker`'s lease of a slice. False when the worker no longer
    /// holds it: finished, split, failed, released, or taken over after the
    /// lease ran out. A renewal that waited for the slice's last page to
    /// commit therefore leaves the finished slice unleased.
    pub async fn renew_slice_lease(
        &self,
        slice_id: i64,
        worker: &str,
        lease: std::time::Duration,
    ) -> Result<bool> {
        let n = sqlx::query!(
            "UPDATE search_slices SET lease_until = now() + make_interval(secs => $3)
             WHERE id = $1 AND worker = $2 AND lease_until IS NOT NULL",
            slice_id,
            worker,
            lease.as_secs_f64()
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    pub async fn slices(&self, run_id: i64) -> Result<Vec<Slice>> {
        let rows = sqlx::query_as!(
            SliceRow,
            "SELECT s.id, s.run_id, s.query_name, q.endpoint, q.query AS base_query, s.query,
                    s.window_start, s.window_end, s.size_min, s.size_max, s.state, s.total_count,
                    s.pages_done, s.pages_total, s.error, s.recheck_pages, s.recheck_rounds
             FROM search_slices s JOIN seed_queries q
               ON q.run_id = s.run_id AND q.name = s.query_name
             WHERE s.run_id = $1 ORDER BY s.id",
            run_id
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(slice_from_row).collect()
    }

    pub async fn slice_counts(&self, run_id: i64) -> Result<SliceCounts> {
        Ok(sqlx::query_as!(
            SliceCounts,
            r#"SELECT count(*) AS "total!",
                      count(*) FILTER (WHERE state = 'pending') AS "pending!",
                      count(*) FILTER (WHERE state = 'paging') AS "paging!",
                      count(*) FILTER (WHERE state = 'done') AS "done!",
                      count(*) FILTER (WHERE state = 'split') AS "split!",
                      count(*) FILTER (WHERE state = 'failed') AS "failed!",
                      count(*) FILTER (WHERE state = 'done' AND total_count > 1000) AS "over_cap!",
                      coalesce(sum(pages_done), 0)::bigint AS "pages_done!",
                      coalesce(sum(pages_total) FILTER (WHERE state <> 'split'), 0)::bigint AS "pages_planned!",
                      count(*) FILTER (WHERE state = 'recheck') AS "recheck!"
               FROM search_slices WHERE run_id = $1"#,
            run_id
        )
        .fetch_one(&self.pool)
        .await?)
    }
}

/// One page to store with `store_page_checked`.
#[derive(Debug, Clone)]
pub struct PageWrite<'a> {
    pub page: i32,
    pub total_count: i64,
    pub pages_total: i32,
    pub repos: &'a [RepoMeta],
    /// No next page: the slice is done, or goes to `recheck`.
    pub finished: bool,
    pub note: Option<&'a str>,
    pub quality: PageQuality,
    /// Every page of the slice to ask again so far, this one included.
    pub recheck_pages: &'a [i32],
    /// How long a slice waits before its pages are asked again.
    pub recheck_delay: std::time::Duration,
}

/// The repositories of a page, their membership in the run and the hits,
/// in id order (concurrent pages meeting the same repositories cannot
/// deadlock). Returns how many repositories were new to the run.
async fn insert_hits(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    slice: &Slice,
    page: i32,
    repos: &[RepoMeta],
) -> Result<u64> {
    let mut ordered: Vec<&RepoMeta> = repos.iter().collect();
    ordered.sort_by_key(|r| r.id);
    ordered.dedup_by_key(|r| r.id);
    let mut new_in_run = 0;
    for meta in ordered {
        upsert_repository(tx, meta, None).await?;
        if add_to_run(tx, slice.run_id, meta).await? {
            new_in_run += 1;
        }
        sqlx::query!(
            "INSERT INTO hits (run_id, slice_id, repository_id, page) VALUES ($1, $2, $3, $4)
             ON CONFLICT (slice_id, repository_id) DO NOTHING",
            slice.run_id,
            slice.id,
            meta.id,
            page
        )
        .execute(&mut **tx)
        .await?;
    }
    Ok(new_in_run)
}

async fn insert_slice(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    run_id: i64,
    parent: Option<i64>,
    slice: &NewSlice,
) -> Result<()> {
    sqlx::query!(
        "INSERT INTO search_slices (run_id, query_name, parent_id, query, window_start, window_end, size_min, size_max)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        run_id,
        &slice.query_name,
        parent,
        &slice.query,
        slice.window_start,
        slice.window_end,
        slice.size_min,
        slice.size_max
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
