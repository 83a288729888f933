//! When a run is finished, whichever command completed its last stage, and
//! who is still working on it.

use crate::error::Result;
use crate::Store;
use chrono::{DateTime, Utc};

impl Store {
    /// Marks a running run finished when nothing is left to do in any
    /// stage: the harvest planned slices and none is open, no repository
    /// waits for a fetch, no job is queued or leased, and every snapshot
    /// has a label of the run's classifier version (or its classify job
    /// gave up). One statement, so two processes finishing the last jobs at
    /// once cannot both miss it. Returns whether this call finished it.
    pub async fn finish_run_if_complete(&self, run_id: i64) -> Result<bool> {
        let finished = sqlx::query!(
            "UPDATE runs r SET status = 'finished', finished_at = now()
             WHERE r.id = $1 AND r.status = 'running'
               AND EXISTS (SELECT 1 FROM search_slices s WHERE s.run_id = r.id)
               AND NOT EXISTS (SELECT 1 FROM search_slices s WHERE s.run_id = r.id
                                AND s.state IN ('pending', 'paging', 'recheck'))
               AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = r.id
                                AND j.state IN ('queued', 'running'))
               AND NOT EXISTS (
                   SELECT 1 FROM run_repositories rr WHERE rr.run_id = r.id
                     AND rr.fetch_status = 'pending'
                     AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = r.id
                                      AND j.stage = 'fetch' AND j.repository_id = rr.repository_id
                                      AND j.state = 'failed'))
               AND NOT EXISTS (
                   SELECT 1 FROM run_repositories rr WHERE rr.run_id = r.id
                     AND rr.snapshot_id IS NOT NULL
                     AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.snapshot_id = rr.snapshot_id
                                      AND l.classifier_version = r.classifier_version)
                     AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.run_id = r.id
                                      AND j.stage = 'classify' AND j.repository_id = rr.repository_id
                                      AND j.state = 'failed'))",
            run_id
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(finished == 1)
    }

    /// The workers (`PROCESS:stage:n`) holding a lease on the run's jobs or
    /// search slices, with when that lease runs out.
    pub async fn run_leases(&self, run_id: i64) -> Result<Vec<(String, DateTime<Utc>)>> {
        let rows = sqlx::query!(
            r#"SELECT worker AS "worker!", lease_until AS "lease_until!" FROM jobs
                WHERE run_id = $1 AND state = 'running' AND worker IS NOT NULL AND lease_until IS NOT NULL
               UNION ALL
               SELECT worker, lease_until FROM search_slices
                WHERE run_id = $1 AND worker IS NOT NULL AND lease_until IS NOT NULL"#,
            run_id
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.worker, r.lease_until))
            .collect())
    }
}
