//! Batched reads and writes for the classify stage: one round trip loads the
//! files of many snapshots, one transaction stores many verdicts. Per-job
//! queries made Postgres latency, not the classifier, the stage's limit.

use crate::error::{Result, StoreError};
use crate::jobs::ClaimedJob;
use crate::Store;
use mcp_survey_model::{set_to_strings, RepoFile, RepoFiles, Verdict};
use std::collections::{HashMap, HashSet};

/// A verdict ready to store for the job that produced it.
#[derive(Debug)]
pub struct NewLabel<'a> {
    pub job: &'a ClaimedJob,
    pub snapshot_id: i64,
    pub verdict: &'a Verdict,
}

/// What a batched store did: the jobs it completed and those another worker
/// had taken over (their verdicts were not stored by this worker).
#[derive(Debug, Default, Clone)]
pub struct StoredLabels {
    pub stored: Vec<i64>,
    pub lease_lost: Vec<i64>,
}

impl Store {
    /// The files of many snapshots in two queries, keyed by snapshot id.
    /// A snapshot id with no row (deleted meanwhile) is absent from the map.
    pub async fn snapshots_files(&self, snapshot_ids: &[i64]) -> Result<HashMap<i64, RepoFiles>> {
        let metas = sqlx::query!(
            "SELECT s.id, r.full_name, r.description FROM snapshots s
             JOIN repositories r ON r.id = s.repository_id
             WHERE s.id = ANY($1)",
            snapshot_ids
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out: HashMap<i64, RepoFiles> = metas
            .into_iter()
            .map(|m| {
                (
                    m.id,
                    RepoFiles {
                        full_name: Some(m.full_name),
                        description: m.description,
                        files: Vec::new(),
                    },
                )
            })
            .collect();
        let rows = sqlx::query!(
            "SELECT sf.snapshot_id, sf.path, f.content FROM snapshot_files sf
             JOIN files f ON f.sha256 = sf.sha256
             WHERE sf.snapshot_id = ANY($1) ORDER BY sf.snapshot_id, sf.path",
            snapshot_ids
        )
        .fetch_all(&self.pool)
        .await?;
        for row in rows {
            if let Some(files) = out.get_mut(&row.snapshot_id) {
                files.files.push(RepoFile {
                    path: row.path,
                    text: row.content,
                });
            }
        }
        Ok(out)
    }

    /// The snapshots among `snapshot_ids` that already have a label of
    /// `classifier_version`.
    pub async fn labelled_snapshots(
        &self,
        snapshot_ids: &[i64],
        classifier_version: &str,
    ) -> Result<HashSet<i64>> {
        let ids = sqlx::query_scalar!(
            "SELECT snapshot_id FROM labels WHERE snapshot_id = ANY($1) AND classifier_version = $2",
            snapshot_ids,
            classifier_version
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().collect())
    }

    /// Marks many jobs done that needed no stored output; returns the ids
    /// this worker no longer held.
    pub async fn complete_jobs(&self, jobs: &[&ClaimedJob]) -> Result<Vec<i64>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.pool.begin().await?;
        let lost = finish_jobs(&mut tx, jobs).await?;
        tx.commit().await?;
        Ok(lost)
    }

    /// Stores many verdicts and completes their jobs in one transaction.
    /// Only the jobs this worker still holds are completed, and only their
    /// verdicts are stored: a job another worker took over is left to it.
    pub async fn store_labels(
        &self,
        classifier_version: &str,
        labels: &[NewLabel<'_>],
    ) -> Result<StoredLabels> {
        if labels.is_empty() {
            return Ok(StoredLabels::default());
        }
        let jobs: Vec<&ClaimedJob> = labels.iter().map(|l| l.job).collect();
        let mut tx = self.pool.begin().await?;
        let lease_lost = finish_jobs(&mut tx, &jobs).await?;
        let lost: HashSet<i64> = lease_lost.iter().copied().collect();
        let mut rows = Vec::with_capacity(labels.len());
        let mut stored = Vec::with_capacity(labels.len());
        for l in labels.iter().filter(|l| !lost.contains(&l.job.id)) {
            let v = &l.verdict.labels;
            let evidence = serde_json::to_value(&l.verdict.evidence)
                .map_err(|e| StoreError::Corrupt(format!("evidence is not serialisable: {e}")))?;
            rows.push(serde_json::json!({
                "snapshot_id": l.snapshot_id,
                "kind": v.kind.as_str(),
                "language": v.language,
                "sdk": set_to_strings(&v.sdk),
                "transport": set_to_strings(&v.transport),
                "credentials": v.credentials.as_str(),
                "auth_methods": set_to_strings(&v.auth_methods),
                "credential_sources": set_to_strings(&v.credential_sources),
                "env_vars": v.env_vars.iter().collect::<Vec<_>>(),
                "evidence": evidence,
            }));
            stored.push(l.job.id);
        }
        if !rows.is_empty() {
            sqlx::query!(
                "INSERT INTO labels (snapshot_id, classifier_version, kind, language, sdk, transport, credentials,
                     auth_methods, credential_sources, env_vars, evidence)
                 SELECT (x->>'snapshot_id')::bigint, $2, x->>'kind', x->>'language',
                     ARRAY(SELECT jsonb_array_elements_text(x->'sdk')),
                     ARRAY(SELECT jsonb_array_elements_text(x->'transport')),
                     x->>'credentials',
                     ARRAY(SELECT jsonb_array_elements_text(x->'auth_methods')),
                     ARRAY(SELECT jsonb_array_elements_text(x->'credential_sources')),
                     ARRAY(SELECT jsonb_array_elements_text(x->'env_vars')),
                     x->'evidence'
                 FROM jsonb_array_elements($1) AS x
                 ON CONFLICT (snapshot_id, classifier_version) DO NOTHING",
                serde_json::Value::Array(rows),
                classifier_version
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(StoredLabels { stored, lease_lost })
    }
}

/// Marks the jobs done inside the caller's transaction; returns the ids the
/// worker no longer held (their lease ran out and another worker took them).
async fn finish_jobs(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    jobs: &[&ClaimedJob],
) -> Result<Vec<i64>> {
    let ids: Vec<i64> = jobs.iter().map(|j| j.id).collect();
    let workers: Vec<&str> = jobs.iter().map(|j| j.worker.as_str()).collect();
    let done = sqlx::query_scalar!(
        "UPDATE jobs j SET state = 'done', lease_until = NULL, last_error = NULL, error_kind = NULL, updated_at = now()
         FROM UNNEST($1::bigint[], $2::text[]) AS t(id, worker)
         WHERE j.id = t.id AND j.worker = t.worker AND j.state = 'running'
         RETURNING j.id",
        &ids,
        &workers[..] as &[&str]
    )
    .fetch_all(&mut **tx)
    .await?;
    let done: HashSet<i64> = done.into_iter().collect();
    Ok(ids.into_iter().filter(|id| !done.contains(id)).collect())
}
