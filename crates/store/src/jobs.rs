use crate::error::{Result, StoreError};
use crate::Store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::time::Duration;

/// A stage of the pipeline that runs through the job queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Fetch,
    Classify,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Fetch => "fetch",
            Stage::Classify => "classify",
        }
    }
}

/// A job leased to one worker, with what the worker needs to do it.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    pub id: i64,
    pub run_id: i64,
    pub repository_id: i64,
    pub attempts: i32,
    pub full_name: String,
    pub default_branch: String,
    pub size_kb: i64,
    pub pushed_at: Option<DateTime<Utc>>,
    pub snapshot_id: Option<i64>,
    pub worker: String,
}

/// Why a job failed, for retries and for `status` by cause.
#[derive(Debug, Clone)]
pub struct JobFailure {
    pub kind: String,
    pub message: String,
    /// Final failures are not retried (404, 451, ...).
    pub permanent: bool,
    /// Earliest retry; None means the default back-off.
    pub retry_after: Option<Duration>,
}

/// Queue depth of one stage of one run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueueDepth {
    pub run: String,
    pub stage: String,
    pub queued: i64,
    pub running: i64,
    pub done: i64,
    pub failed: i64,
}

/// A claimed job as the claim query returns it, before the worker is added.
struct ClaimRow {
    id: i64,
    run_id: i64,
    repository_id: i64,
    attempts: i32,
    full_name: String,
    default_branch: String,
    size_kb: i64,
    pushed_at: Option<DateTime<Utc>>,
    snapshot_id: Option<i64>,
}

/// Job counts of one stage of one run by state.
struct DepthRow {
    name: String,
    queued: i64,
    running: i64,
    done: i64,
    failed: i64,
}

impl Store {
    /// Queues a job for every repository of the run that the stage has not
    /// done. Idempotent: existing jobs are kept as they are.
    pub async fn enqueue_fetch_jobs(&self, run_id: i64) -> Result<u64> {
        let mut tx = self.pool.begin().await?;
        // Forks are not separate implementations: they are excluded, not fetched.
        sqlx::query!(
            "UPDATE run_repositories SET fetch_status = 'excluded', fetch_note = 'fork'
             WHERE run_id = $1 AND fork AND fetch_status = 'pending'",
            run_id
        )
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query!(
            "INSERT INTO jobs (run_id, stage, repository_id)
             SELECT run_id, 'fetch', repository_id FROM run_repositories
             WHERE run_id = $1 AND fetch_status = 'pending'
             ORDER BY repository_id
             ON CONFLICT (run_id, stage, repository_id) DO NOTHING",
            run_id
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(inserted)
    }

    /// Queues classify jobs for every snapshot of the run lacking a label of
    /// the run's classifier version (used by `--reclassify` and on resume).
    pub async fn enqueue_classify_jobs(&self, run_id: i64) -> Result<u64> {
        let inserted = sqlx::query!(
            "INSERT INTO jobs (run_id, stage, repository_id)
             SELECT rr.run_id, 'classify', rr.repository_id
             FROM run_repositories rr JOIN runs r ON r.id = rr.run_id
             WHERE rr.run_id = $1 AND rr.snapshot_id IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.snapshot_id = rr.snapshot_id
                                AND l.classifier_version = r.classifier_version)
             ORDER BY rr.repository_id
             ON CONFLICT (run_id, stage, repository_id) DO UPDATE
                 SET state = 'queued', attempts = 0, lease_until = NULL, not_before = now(), updated_at = now()
                 WHERE jobs.state = 'done' OR jobs.state = 'failed'",
            run_id
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(inserted)
    }

    /// Leases up to `limit` jobs of `stage` to `worker` with
    /// `FOR UPDATE SKIP LOCKED`: concurrent workers never get the same job,
    /// and a job whose lease ran out (its worker died) is claimable again.
    pub async fn claim_jobs(
        &self,
        run_id: i64,
        stage: Stage,
        worker: &str,
        limit: i64,
        lease: Duration,
    ) -> Result<Vec<ClaimedJob>> {
        let rows = sqlx::query_as!(
            ClaimRow,
            r#"WITH next AS (
                 SELECT id FROM jobs
                 WHERE run_id = $1 AND stage = $2
                   AND ((state = 'queued' AND not_before <= now())
                        OR (state = 'running' AND lease_until < now()))
                 ORDER BY id
                 LIMIT $3
                 FOR UPDATE SKIP LOCKED
             ), claimed AS (
                 UPDATE jobs j SET state = 'running', attempts = j.attempts + 1,
                     lease_until = now() + make_interval(secs => $5), worker = $4, updated_at = now()
                 FROM next WHERE j.id = next.id
                 RETURNING j.id, j.run_id, j.repository_id, j.attempts
             )
             SELECT c.id AS "id!", c.run_id AS "run_id!", c.repository_id AS "repository_id!",
                    c.attempts AS "attempts!", rr.full_name, r.default_branch, r.size_kb,
                    rr.pushed_at, rr.snapshot_id
             FROM claimed c
             JOIN run_repositories rr ON rr.run_id = c.run_id AND rr.repository_id = c.repository_id
             JOIN repositories r ON r.id = c.repository_id
             ORDER BY c.id"#,
            run_id,
            stage.as_str(),
            limit,
            worker,
            lease.as_secs_f64()
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| ClaimedJob {
                id: r.id,
                run_id: r.run_id,
                repository_id: r.repository_id,
                attempts: r.attempts,
                full_name: r.full_name,
                default_branch: r.default_branch,
                size_kb: r.size_kb,
                pushed_at: r.pushed_at,
                snapshot_id: r.snapshot_id,
                worker: worker.to_string(),
            })
            .collect())
    }

    pub async fn renew_job_lease(&self, job: &ClaimedJob, lease: Duration) -> Result<bool> {
        let n = sqlx::query!(
            "UPDATE jobs SET lease_until = now() + make_interval(secs => $3)
             WHERE id = $1 AND worker = $2 AND state = 'running'",
            job.id,
            &job.worker,
            lease.as_secs_f64()
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Records a failure: retried with back-off until `max_attempts`, then
    /// (or at once when permanent) marked failed with its cause.
    pub async fn fail_job(
        &self,
        job: &ClaimedJob,
        failure: &JobFailure,
        max_attempts: i32,
    ) -> Result<()> {
        let give_up = failure.permanent || job.attempts >= max_attempts;
        let backoff = failure.retry_after.unwrap_or_else(|| {
            Duration::from_secs_f64((2f64).powi(job.attempts.clamp(0, 8)).min(300.0))
        });
        sqlx::query!(
            "UPDATE jobs SET state = CASE WHEN $3 THEN 'failed' ELSE 'queued' END,
                 lease_until = NULL, last_error = $4, error_kind = $5,
                 not_before = now() + make_interval(secs => $6), updated_at = now()
             WHERE id = $1 AND worker = $2 AND state = 'running'",
            job.id,
            &job.worker,
            give_up,
            crate::clean::message(&failure.message),
            crate::clean::message(&failure.kind),
            backoff.as_secs_f64()
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Gives back everything a process holds (its workers are named
    /// `PROCESS:stage:n`): leased jobs return to the queue without counting
    /// the attempt, leased slices become claimable at once. Used on Ctrl-C.
    pub async fn release_process(&self, process: &str) -> Result<(u64, u64)> {
        let pattern = format!("{}:%", process.replace('%', "\\%").replace('_', "\\_"));
        let jobs = sqlx::query!(
            "UPDATE jobs SET state = 'queued', lease_until = NULL, attempts = greatest(attempts - 1, 0), updated_at = now()
             WHERE worker LIKE $1 AND state = 'running'",
            &pattern
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        let slices = sqlx::query!(
            "UPDATE search_slices SET lease_until = NULL WHERE worker LIKE $1 AND lease_until IS NOT NULL",
            &pattern
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok((jobs, slices))
    }

    /// Takes back what a process that died holds (killed, crashed, the
    /// machine rebooted). Unlike [`Store::release_process`] the attempt
    /// counts: a job that kills its worker would otherwise be handed out
    /// forever. The job waits the usual back-off first, so the rest of the
    /// queue goes before a repository that may kill the next process too,
    /// with jitter, so the jobs that died together are handed out apart and
    /// an innocent one does not share the culprit's next crash.
    pub async fn reclaim_process(&self, process: &str) -> Result<(u64, u64)> {
        let pattern = format!("{}:%", process.replace('%', "\\%").replace('_', "\\_"));
        let jobs = sqlx::query!(
            "UPDATE jobs SET state = 'queued', lease_until = NULL,
                 not_before = now() + make_interval(secs => least(power(2, least(attempts, 8)) * (1 + random()), 300)),
                 last_error = 'the process working on it stopped without finishing it',
                 error_kind = 'worker_died', updated_at = now()
             WHERE worker LIKE $1 AND state = 'running'",
            &pattern
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        let slices = sqlx::query!(
            "UPDATE search_slices SET lease_until = NULL WHERE worker LIKE $1 AND lease_until IS NOT NULL",
            &pattern
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok((jobs, slices))
    }

    /// Fails the jobs of a stage that were handed out `max_attempts` times
    /// and never finished (their worker died or lost the lease each time),
    /// instead of handing them out again; a fetch job also marks its
    /// repository failed. Returns how many were failed.
    pub async fn fail_exhausted_jobs(
        &self,
        run_id: i64,
        stage: Stage,
        max_attempts: i32,
    ) -> Result<u64> {
        let note = format!(
            "started {max_attempts} times and never finished: the process working on it stopped or lost its lease each time"
        );
        let mut tx = self.pool.begin().await?;
        let failed = sqlx::query_scalar!(
            "UPDATE jobs SET state = 'failed', lease_until = NULL, error_kind = 'never_finished',
                 last_error = $4, updated_at = now()
             WHERE run_id = $1 AND stage = $2 AND attempts >= $3
               AND (state = 'queued' OR (state = 'running' AND lease_until < now()))
             RETURNING repository_id",
            run_id,
            stage.as_str(),
            max_attempts,
            &note
        )
        .fetch_all(&mut *tx)
        .await?;
        if stage == Stage::Fetch && !failed.is_empty() {
            sqlx::query!(
                "UPDATE run_repositories SET fetch_status = 'failed', fetch_note = $3
                 WHERE run_id = $1 AND repository_id = ANY($2)",
                run_id,
                &failed,
                &note
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(failed.len() as u64)
    }

    /// The processes (`PROCESS` of workers named `PROCESS:stage:n`) that
    /// hold a job or a search slice lease now.
    pub async fn lease_holders(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar!(
            r#"SELECT split_part(worker, ':', 1) AS "process!" FROM jobs WHERE state = 'running' AND worker IS NOT NULL
               UNION
               SELECT split_part(worker, ':', 1) FROM search_slices WHERE lease_until IS NOT NULL AND worker IS NOT NULL"#
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Marks a job done when it needed no stored output.
    pub async fn complete_job(&self, job: &ClaimedJob) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        finish_job(&mut tx, job).await?;
        tx.commit().await?;
        Ok(())
    }

    /// True while the stage has work that is queued or leased.
    pub async fn stage_open(&self, run_id: i64, stage: Stage) -> Result<bool> {
        Ok(sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM jobs WHERE run_id = $1 AND stage = $2 AND state IN ('queued', 'running')) AS "open!""#,
            run_id,
            stage.as_str()
        )
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn stage_depth(&self, run_id: i64, stage: Stage) -> Result<QueueDepth> {
        let row = sqlx::query_as!(
            DepthRow,
            r#"SELECT r.name,
                      count(j.id) FILTER (WHERE j.state = 'queued') AS "queued!",
                      count(j.id) FILTER (WHERE j.state = 'running') AS "running!",
                      count(j.id) FILTER (WHERE j.state = 'done') AS "done!",
                      count(j.id) FILTER (WHERE j.state = 'failed') AS "failed!"
               FROM runs r LEFT JOIN jobs j ON j.run_id = r.id AND j.stage = $2
               WHERE r.id = $1 GROUP BY r.name"#,
            run_id,
            stage.as_str()
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(QueueDepth {
            run: row.name,
            stage: stage.as_str().to_string(),
            queued: row.queued,
            running: row.running,
            done: row.done,
            failed: row.failed,
        })
    }

    /// Failed and retrying jobs of a run grouped by stage and cause.
    pub async fn failures_by_cause(
        &self,
        run_id: i64,
    ) -> Result<Vec<(String, String, String, i64)>> {
        let rows = sqlx::query!(
            r#"SELECT stage, state, coalesce(error_kind, 'unknown') AS "kind!", count(*) AS "jobs!"
               FROM jobs WHERE run_id = $1 AND last_error IS NOT NULL AND state <> 'done'
               GROUP BY 1, 2, 3 ORDER BY 4 DESC"#,
            run_id
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.stage, r.state, r.kind, r.jobs))
            .collect())
    }
}

/// Marks the job done inside the caller's transaction, so the job and its
/// output commit together. Fails when the worker no longer holds the lease
/// (another worker took it over): the caller's transaction then rolls back and
/// the output is stored exactly once.
pub(crate) async fn finish_job(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    job: &ClaimedJob,
) -> Result<()> {
    let n = sqlx::query!(
        "UPDATE jobs SET state = 'done', lease_until = NULL, last_error = NULL, error_kind = NULL, updated_at = now()
         WHERE id = $1 AND worker = $2 AND state = 'running'",
        job.id,
        &job.worker
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(StoreError::LeaseLost(job.id));
    }
    Ok(())
}
