use crate::error::{Result, StoreError};
use crate::Store;
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Finished,
    Failed,
}

impl RunStatus {
    fn parse(s: &str) -> Result<Self> {
        match s {
            "running" => Ok(RunStatus::Running),
            "finished" => Ok(RunStatus::Finished),
            "failed" => Ok(RunStatus::Failed),
            other => Err(StoreError::Corrupt(format!("unknown run status {other:?}"))),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Run {
    pub id: i64,
    pub name: String,
    pub status: RunStatus,
    pub github_url: String,
    pub seed_file_hash: Option<String>,
    pub classifier_version: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub stats: serde_json::Value,
}

/// A `runs` row as stored; `status` is still text until `into_run` reads it.
struct RunRecord {
    id: i64,
    name: String,
    status: String,
    github_url: String,
    seed_file_hash: Option<String>,
    classifier_version: Option<String>,
    started_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    stats: serde_json::Value,
}

impl RunRecord {
    fn into_run(self) -> Result<Run> {
        Ok(Run {
            id: self.id,
            name: self.name,
            status: RunStatus::parse(&self.status)?,
            github_url: self.github_url,
            seed_file_hash: self.seed_file_hash,
            classifier_version: self.classifier_version,
            started_at: self.started_at,
            finished_at: self.finished_at,
            stats: self.stats,
        })
    }
}

impl Store {
    /// Creates a new run; fails with `RunExists` when the name is taken.
    pub async fn create_run(
        &self,
        name: &str,
        github_url: &str,
        classifier_version: &str,
    ) -> Result<Run> {
        let row = sqlx::query_as!(
            RunRecord,
            "INSERT INTO runs (name, github_url, classifier_version) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO NOTHING
             RETURNING id, name, status, github_url, seed_file_hash, classifier_version,
                       started_at, finished_at, stats",
            name,
            github_url,
            classifier_version
        )
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => row.into_run(),
            None => Err(StoreError::RunExists(name.to_string())),
        }
    }

    pub async fn run_by_name(&self, name: &str) -> Result<Run> {
        let row = sqlx::query_as!(
            RunRecord,
            "SELECT id, name, status, github_url, seed_file_hash, classifier_version,
                    started_at, finished_at, stats
             FROM runs WHERE name = $1",
            name
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(RunRecord::into_run)
            .unwrap_or_else(|| Err(StoreError::NoSuchRun(name.to_string())))
    }

    pub async fn run_by_id(&self, id: i64) -> Result<Run> {
        let row = sqlx::query_as!(
            RunRecord,
            "SELECT id, name, status, github_url, seed_file_hash, classifier_version,
                    started_at, finished_at, stats
             FROM runs WHERE id = $1",
            id
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(RunRecord::into_run)
            .unwrap_or_else(|| Err(StoreError::NoSuchRun(format!("#{id}"))))
    }

    /// The newest run, finished or not.
    pub async fn latest_run(&self) -> Result<Run> {
        let row = sqlx::query_as!(
            RunRecord,
            "SELECT id, name, status, github_url, seed_file_hash, classifier_version,
                    started_at, finished_at, stats
             FROM runs ORDER BY started_at DESC, id DESC LIMIT 1"
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(RunRecord::into_run)
            .unwrap_or(Err(StoreError::NoRuns))
    }

    /// The newest run whose every stage finished.
    pub async fn latest_finished_run(&self) -> Result<Run> {
        let row = sqlx::query_as!(
            RunRecord,
            "SELECT id, name, status, github_url, seed_file_hash, classifier_version,
                    started_at, finished_at, stats
             FROM runs WHERE status = 'finished'
             ORDER BY started_at DESC, id DESC LIMIT 1"
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(RunRecord::into_run)
            .unwrap_or(Err(StoreError::NoRuns))
    }

    /// A run by name, or the newest one when no name is given.
    pub async fn resolve_run(&self, name: Option<&str>) -> Result<Run> {
        match name {
            Some(name) => self.run_by_name(name).await,
            None => self.latest_run().await,
        }
    }

    pub async fn list_runs(&self) -> Result<Vec<Run>> {
        let rows = sqlx::query_as!(
            RunRecord,
            "SELECT id, name, status, github_url, seed_file_hash, classifier_version,
                    started_at, finished_at, stats
             FROM runs ORDER BY started_at, id"
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(RunRecord::into_run).collect()
    }

    pub async fn set_run_seed_hash(&self, run_id: i64, hash: &str) -> Result<()> {
        sqlx::query!(
            "UPDATE runs SET seed_file_hash = $2 WHERE id = $1",
            run_id,
            hash
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn set_run_status(&self, run_id: i64, status: RunStatus) -> Result<()> {
        let status_text = match status {
            RunStatus::Running => "running",
            RunStatus::Finished => "finished",
            RunStatus::Failed => "failed",
        };
        sqlx::query!(
            "UPDATE runs SET status = $2,
                 finished_at = CASE WHEN $2 = 'running' THEN NULL ELSE now() END
             WHERE id = $1",
            run_id,
            status_text
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Merges `value` under `stats[key]`, so each stage owns its own key.
    pub async fn put_run_stats(
        &self,
        run_id: i64,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<()> {
        sqlx::query!(
            "UPDATE runs SET stats = jsonb_set(stats, ARRAY[$2], $3, true) WHERE id = $1",
            run_id,
            key,
            value
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

impl Store {
    /// Points a run at another classifier version (re-labelling).
    pub async fn set_run_classifier_version(&self, run_id: i64, version: &str) -> Result<()> {
        sqlx::query!(
            "UPDATE runs SET classifier_version = $2 WHERE id = $1",
            run_id,
            version
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
