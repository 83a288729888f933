use crate::error::Result;
use crate::jobs::{finish_job, ClaimedJob};
use crate::Store;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// One kept file of a snapshot.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub path: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub lossy_utf8: bool,
    pub text: String,
}

impl NewFile {
    /// Decodes `bytes` as UTF-8 (lossily, recording the fact) and addresses
    /// them by the sha256 of the original bytes.
    pub fn from_bytes(path: impl Into<String>, bytes: &[u8]) -> Self {
        let sha256 = hex::encode(Sha256::digest(bytes));
        let (text, lossy) = match std::str::from_utf8(bytes) {
            Ok(text) => (text.to_string(), false),
            Err(_) => (String::from_utf8_lossy(bytes).into_owned(), true),
        };
        // Postgres text cannot hold NUL; the fetch filter skips binaries, this
        // keeps a stray NUL from failing a whole snapshot.
        let text = if text.contains('\0') {
            text.replace('\0', "\u{FFFD}")
        } else {
            text
        };
        NewFile {
            path: path.into(),
            sha256,
            size_bytes: bytes.len() as i64,
            lossy_utf8: lossy,
            text,
        }
    }
}

/// A repository's files at one commit, ready to store.
#[derive(Debug, Clone)]
pub struct NewSnapshot {
    pub repository_id: i64,
    pub commit_sha: Option<String>,
    pub tree_sha: Option<String>,
    pub pushed_at: Option<DateTime<Utc>>,
    /// `tarball` or `trees`.
    pub method: String,
    pub files: Vec<NewFile>,
    /// Entries skipped by the filter or the security checks (a sample).
    pub skipped: serde_json::Value,
    /// What was odd about the fetch though it succeeded (an archive not in
    /// GitHub's layout, a download too slow for the archive path), for the
    /// run's `fetch_note`.
    pub note: Option<String>,
}

/// An earlier snapshot a run may point at instead of fetching again.
#[derive(Debug, Clone, Copy)]
pub struct ReusableSnapshot {
    pub id: i64,
}

impl Store {
    /// The newest snapshot of a repository taken at the same `pushed_at`:
    /// nothing was pushed since, so its files are still current.
    pub async fn reusable_snapshot(
        &self,
        repository_id: i64,
        pushed_at: Option<DateTime<Utc>>,
    ) -> Result<Option<ReusableSnapshot>> {
        let Some(pushed_at) = pushed_at else {
            return Ok(None);
        };
        let id = sqlx::query_scalar!(
            "SELECT id FROM snapshots WHERE repository_id = $1 AND pushed_at = $2
             ORDER BY fetched_at DESC, id DESC LIMIT 1",
            repository_id,
            pushed_at
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(id.map(|id| ReusableSnapshot { id }))
    }

    /// Stores a fetched snapshot, its files (content-addressed), the run's
    /// pointer to it, the job's completion and the follow-up classify job in
    /// one transaction: a crash leaves either all of it or none.
    pub async fn store_snapshot(&self, job: &ClaimedJob, snapshot: &NewSnapshot) -> Result<i64> {
        let mut tx = self.pool.begin().await?;
        let mut shas = Vec::with_capacity(snapshot.files.len());
        let mut sizes = Vec::with_capacity(snapshot.files.len());
        let mut lossy = Vec::with_capacity(snapshot.files.len());
        let mut texts = Vec::with_capacity(snapshot.files.len());
        let mut paths = Vec::with_capacity(snapshot.files.len());
        // Paths come from archives and APIs: a NUL or a stray byte would
        // make Postgres refuse the whole snapshot.
        let clean_paths: Vec<std::borrow::Cow<'_, str>> = snapshot
            .files
            .iter()
            .map(|f| {
                if crate::clean::is_clean(&f.path) {
                    std::borrow::Cow::Borrowed(f.path.as_str())
                } else {
                    std::borrow::Cow::Owned(crate::clean::escape_str(&f.path))
                }
            })
            .collect();
        for (f, path) in snapshot.files.iter().zip(&clean_paths) {
            shas.push(f.sha256.as_str());
            sizes.push(f.size_bytes);
            lossy.push(f.lossy_utf8);
            texts.push(f.text.as_str());
            paths.push(path.as_ref());
        }
        sqlx::query!(
            "INSERT INTO files (sha256, size_bytes, lossy_utf8, content)
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bool[], $4::text[])
             ON CONFLICT (sha256) DO NOTHING",
            &shas[..] as &[&str],
            &sizes,
            &lossy,
            &texts[..] as &[&str]
        )
        .execute(&mut *tx)
        .await?;
        let bytes_kept: i64 = sizes.iter().sum();
        let snapshot_id = sqlx::query_scalar!(
            "INSERT INTO snapshots (repository_id, commit_sha, tree_sha, pushed_at, method, file_count, bytes_kept, skipped)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            snapshot.repository_id,
            snapshot.commit_sha.as_deref().map(crate::clean::message),
            snapshot.tree_sha.as_deref().map(crate::clean::message),
            snapshot.pushed_at,
            &snapshot.method,
            snapshot.files.len() as i32,
            bytes_kept,
            crate::clean::json(&snapshot.skipped)
        )
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query!(
            "INSERT INTO snapshot_files (snapshot_id, path, sha256)
             SELECT $1, p, s FROM UNNEST($2::text[], $3::text[]) AS t(p, s)
             ON CONFLICT DO NOTHING",
            snapshot_id,
            &paths[..] as &[&str],
            &shas[..] as &[&str]
        )
        .execute(&mut *tx)
        .await?;
        let note = snapshot.note.as_deref().map(crate::clean::message);
        point_run_at_snapshot(&mut tx, job, snapshot_id, "fetched", note.as_deref()).await?;
        finish_job(&mut tx, job).await?;
        tx.commit().await?;
        Ok(snapshot_id)
    }

    /// Points the run at an earlier snapshot (the repository is unchanged).
    pub async fn reuse_snapshot(&self, job: &ClaimedJob, snapshot_id: i64) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        point_run_at_snapshot(&mut tx, job, snapshot_id, "reused", None).await?;
        finish_job(&mut tx, job).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that a repository cannot be fetched for good (deleted,
    /// private, DMCA, empty): the job is done, the run says why.
    pub async fn mark_repository_gone(&self, job: &ClaimedJob, note: &str) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query!(
            "UPDATE run_repositories SET fetch_status = 'gone', fetch_note = $3
             WHERE run_id = $1 AND repository_id = $2",
            job.run_id,
            job.repository_id,
            crate::clean::message(note)
        )
        .execute(&mut *tx)
        .await?;
        finish_job(&mut tx, job).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records a fetch that gave up after its retries.
    pub async fn mark_fetch_failed(
        &self,
        run_id: i64,
        repository_id: i64,
        note: &str,
    ) -> Result<()> {
        sqlx::query!(
            "UPDATE run_repositories SET fetch_status = 'failed', fetch_note = $3
             WHERE run_id = $1 AND repository_id = $2",
            run_id,
            repository_id,
            crate::clean::message(note)
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

async fn point_run_at_snapshot(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    job: &ClaimedJob,
    snapshot_id: i64,
    status: &str,
    note: Option<&str>,
) -> Result<()> {
    sqlx::query!(
        "UPDATE run_repositories SET snapshot_id = $3, fetch_status = $4, fetch_note = $5
         WHERE run_id = $1 AND repository_id = $2",
        job.run_id,
        job.repository_id,
        snapshot_id,
        status,
        note
    )
    .execute(&mut **tx)
    .await?;
    sqlx::query!(
        "INSERT INTO jobs (run_id, stage, repository_id) VALUES ($1, 'classify', $2)
         ON CONFLICT (run_id, stage, repository_id) DO NOTHING",
        job.run_id,
        job.repository_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}
