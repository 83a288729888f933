use crate::archive::{extract, Caps, ExtractError, Extracted, Layout};
use crate::download::{self, DownloadLimits, StopFlag, Stopped};
use futures::stream::{self, StreamExt};
use mcp_survey_github::{GithubClient, GithubError};
use mcp_survey_stage::{
    run_stage, CancellationToken, DriverOptions, Progress, StageWork, WorkerCrashed,
};
use mcp_survey_store::{
    clean, ClaimedJob, JobFailure, NewFile, NewSnapshot, Stage, Store, StoreError,
};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("fetch worker crashed: {0}")]
    Worker(String),
    #[error(transparent)]
    Github(#[from] GithubError),
}

impl From<WorkerCrashed> for FetchError {
    fn from(e: WorkerCrashed) -> Self {
        FetchError::Worker(e.0)
    }
}

#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Concurrent fetch workers in this process.
    pub workers: usize,
    /// Repositories above this reported size (KiB) go through the trees API.
    pub trees_threshold_kb: i64,
    /// Files fetched one by one through the contents API, at most, per
    /// repository. High on purpose: the classifier must see every file it
    /// reads (a monorepo of 3,000 wanted files costs 3,000 core requests,
    /// still under an hour's budget); the cap only stops a pathological tree.
    pub max_tree_files: usize,
    pub caps: Caps,
    /// Deadline and minimum throughput of one archive download.
    pub download: DownloadLimits,
    pub lease: Duration,
    pub max_attempts: i32,
    pub worker_id: String,
    pub progress: Arc<dyn Progress>,
    /// Cancelled: the jobs in hand are finished, no new one is taken, and
    /// the stats say `stopped`.
    pub stop: CancellationToken,
}

impl FetchOptions {
    pub fn new(worker_id: impl Into<String>) -> Self {
        FetchOptions {
            workers: 8,
            trees_threshold_kb: 200 * 1024,
            max_tree_files: 5000,
            caps: Caps::default(),
            download: DownloadLimits::default(),
            lease: Duration::from_secs(600),
            max_attempts: 5,
            worker_id: worker_id.into(),
            progress: mcp_survey_stage::hidden(),
            stop: CancellationToken::new(),
        }
    }
}

/// What one fetch pass did (this process only).
#[derive(Debug, Clone, Default, Serialize)]
pub struct FetchStats {
    pub fetched_tarball: u64,
    pub fetched_trees: u64,
    /// Fetched, with something odd recorded in the run's `fetch_note` (an
    /// archive not in GitHub's layout, an archive too slow or too large
    /// that the trees API replaced).
    pub with_oddities: u64,
    pub reused: u64,
    pub gone: u64,
    pub failed: u64,
    pub retried: u64,
    pub files_kept: u64,
    pub bytes_kept: u64,
    pub entries_skipped: u64,
    pub elapsed_seconds: f64,
    /// Where the workers' time went, summed over workers.
    pub phases: FetchPhases,
    /// A stop was asked for: jobs may be left in the queue.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
}

/// Worker-seconds per phase of a fetch, summed over all workers: a cheap
/// profile that says whether Postgres, GitHub or our own code is the limit.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FetchPhases {
    /// Claiming jobs from the queue (Postgres), idle waits included.
    pub claim: f64,
    /// Looking for a reusable earlier snapshot (Postgres).
    pub reuse_check: f64,
    /// From the tarball request to the first byte of the archive (HTTP).
    pub tarball_open: f64,
    /// Reading the archive: download, gunzip, tar parsing and filtering,
    /// which run together as the bytes stream in.
    pub tarball_read: f64,
    /// The trees + contents fallback (HTTP).
    pub trees: f64,
    /// Storing snapshots, files and the follow-up job (Postgres).
    pub store: f64,
}

#[derive(Default)]
struct Counters {
    tarball: AtomicU64,
    trees: AtomicU64,
    oddities: AtomicU64,
    reused: AtomicU64,
    gone: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    files: AtomicU64,
    bytes: AtomicU64,
    skipped: AtomicU64,
    phases: [AtomicU64; 6],
}

#[derive(Clone, Copy)]
enum Phase {
    Claim = 0,
    ReuseCheck = 1,
    TarballOpen = 2,
    TarballRead = 3,
    Trees = 4,
    Store = 5,
}

impl Counters {
    fn time(&self, phase: Phase, since: Instant) {
        self.phases[phase as usize]
            .fetch_add(since.elapsed().as_micros() as u64, Ordering::Relaxed);
    }

    fn phases(&self) -> FetchPhases {
        let s = |p: Phase| self.phases[p as usize].load(Ordering::Relaxed) as f64 / 1e6;
        FetchPhases {
            claim: s(Phase::Claim),
            reuse_check: s(Phase::ReuseCheck),
            tarball_open: s(Phase::TarballOpen),
            tarball_read: s(Phase::TarballRead),
            trees: s(Phase::Trees),
            store: s(Phase::Store),
        }
    }
}

/// Fetches every queued repository of a run. Several processes may run this
/// on one database: the queue hands each job to one worker at a time.
pub async fn fetch_run(
    store: &Store,
    client: &GithubClient,
    run_id: i64,
    options: &FetchOptions,
) -> Result<FetchStats, FetchError> {
    let started = Instant::now();
    store.enqueue_fetch_jobs(run_id).await?;
    let counters = Arc::new(Counters::default());
    // A job handed out max_attempts times that never finished killed or
    // stalled its worker each time: it fails here instead of again.
    let exhausted = store
        .fail_exhausted_jobs(run_id, Stage::Fetch, options.max_attempts)
        .await?;
    if exhausted > 0 {
        tracing::warn!(
            jobs = exhausted,
            "failed jobs that were started too often without finishing"
        );
        counters.failed.fetch_add(exhausted, Ordering::Relaxed);
    }
    let depth = store.stage_depth(run_id, Stage::Fetch).await?;
    options
        .progress
        .set_length((depth.queued + depth.running + depth.done + depth.failed) as u64);
    options
        .progress
        .set_position(depth.done as u64 + depth.failed as u64);
    let mut driver = DriverOptions::new("fetch", &options.worker_id);
    driver.workers = options.workers.max(1);
    driver.lease = options.lease;
    driver.stop = options.stop.clone();
    driver.progress = options.progress.clone();
    let work = Arc::new(FetchStage {
        store: store.clone(),
        client: client.clone(),
        run_id,
        options: options.clone(),
        counters: counters.clone(),
    });
    let driven = run_stage(work, &driver).await?;
    let c = &counters;
    let mut phases = c.phases();
    // Waiting for jobs leased elsewhere or backing off is claiming too.
    phases.claim += driven.idle_seconds;
    Ok(FetchStats {
        fetched_tarball: c.tarball.load(Ordering::Relaxed),
        fetched_trees: c.trees.load(Ordering::Relaxed),
        with_oddities: c.oddities.load(Ordering::Relaxed),
        reused: c.reused.load(Ordering::Relaxed),
        gone: c.gone.load(Ordering::Relaxed),
        failed: c.failed.load(Ordering::Relaxed),
        retried: c.retried.load(Ordering::Relaxed),
        files_kept: c.files.load(Ordering::Relaxed),
        bytes_kept: c.bytes.load(Ordering::Relaxed),
        entries_skipped: c.skipped.load(Ordering::Relaxed),
        elapsed_seconds: started.elapsed().as_secs_f64(),
        phases,
        stopped: driven.stopped,
    })
}

/// The fetch queue and the work on one job, for the stage driver: a job at
/// a time per worker, its lease renewed while a large archive streams in.
struct FetchStage {
    store: Store,
    client: GithubClient,
    run_id: i64,
    options: FetchOptions,
    counters: Arc<Counters>,
}

impl StageWork for FetchStage {
    type Item = ClaimedJob;
    type Error = FetchError;

    async fn claim(&self, worker: &str) -> Result<Vec<ClaimedJob>, FetchError> {
        let claim = Instant::now();
        let jobs = self
            .store
            .claim_jobs(self.run_id, Stage::Fetch, worker, 1, self.options.lease)
            .await?;
        self.counters.time(Phase::Claim, claim);
        Ok(jobs)
    }

    async fn open(&self) -> Result<bool, FetchError> {
        let open = Instant::now();
        let result = self.store.stage_open(self.run_id, Stage::Fetch).await?;
        self.counters.time(Phase::Claim, open);
        Ok(result)
    }

    async fn renew(&self, _worker: &str, jobs: &[ClaimedJob]) -> Result<bool, FetchError> {
        for job in jobs {
            match self.store.renew_job_lease(job, self.options.lease).await {
                Ok(true) => {}
                Ok(false) => return Ok(false),
                Err(e) if e.is_unavailable() => return Err(e.into()),
                // Postgres refused the renewal itself: the job is treated
                // as lost and handed out again once its lease runs out.
                Err(e) => {
                    tracing::warn!(repo = %job.full_name, error = %e, "renewing a fetch lease failed");
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    async fn work(&self, jobs: &[ClaimedJob]) -> Result<u64, FetchError> {
        let mut done = 0;
        for job in jobs {
            let result = fetch_one(
                &self.store,
                &self.client,
                job,
                &self.options,
                &self.counters,
            )
            .await;
            done += self.settle(job, result).await?;
        }
        Ok(done)
    }

    /// A panic while fetching one repository fails that job, not the stage.
    async fn panicked(&self, jobs: &[ClaimedJob], message: String) -> Result<u64, FetchError> {
        let mut done = 0;
        for job in jobs {
            let failure = Outcome::Retry(JobFailure {
                kind: "internal".into(),
                message: format!("fetching it panicked: {message}"),
                permanent: false,
                retry_after: None,
            });
            done += self.settle(job, Err(failure)).await?;
        }
        Ok(done)
    }
}

impl FetchStage {
    /// Records how one fetch ended. Returns 1 when the job is finished for
    /// good (fetched, gone, or failed too often), 0 when it comes back.
    async fn settle(
        &self,
        job: &ClaimedJob,
        result: Result<(), Outcome>,
    ) -> Result<u64, FetchError> {
        let (store, counters) = (&self.store, &self.counters);
        let failure = match result {
            Ok(()) => return Ok(1),
            Err(Outcome::Store(StoreError::LeaseLost(id))) => {
                tracing::warn!(job = id, "lease lost; another worker owns the job now");
                return Ok(0);
            }
            Err(Outcome::Store(e)) if e.is_unavailable() => return Err(e.into()),
            // Postgres refused what this repository brought (a value, a
            // constraint): this job fails, the stage goes on.
            Err(Outcome::Store(e)) => JobFailure {
                kind: "store".into(),
                message: format!("storing the snapshot failed: {e}"),
                permanent: false,
                retry_after: None,
            },
            Err(Outcome::Gone(e)) => {
                counters.gone.fetch_add(1, Ordering::Relaxed);
                return match store.mark_repository_gone(job, &e.to_string()).await {
                    Ok(()) => Ok(1),
                    Err(e) => survivable(e, job).map(|()| 0),
                };
            }
            Err(Outcome::Fatal(e)) => return Err(FetchError::Github(e)),
            Err(Outcome::Retry(failure)) => failure,
        };
        match record_failure(store, job, &failure, &self.options, counters).await {
            Ok(gave_up) => Ok(u64::from(gave_up)),
            Err(e) => survivable(e, job).map(|()| 0),
        }
    }
}

/// Records a failed attempt: retried later, or given up and the repository
/// marked failed. Returns whether it was given up.
async fn record_failure(
    store: &Store,
    job: &ClaimedJob,
    failure: &JobFailure,
    options: &FetchOptions,
    counters: &Counters,
) -> Result<bool, StoreError> {
    let give_up = failure.permanent || job.attempts >= options.max_attempts;
    tracing::warn!(
        repo = %job.full_name,
        attempt = job.attempts,
        kind = %failure.kind,
        error = %clean::truncate(&clean::escape_str(&failure.message), 500),
        "fetch failed"
    );
    store.fail_job(job, failure, options.max_attempts).await?;
    if give_up {
        counters.failed.fetch_add(1, Ordering::Relaxed);
        store
            .mark_fetch_failed(job.run_id, job.repository_id, &failure.message)
            .await?;
    } else {
        counters.retried.fetch_add(1, Ordering::Relaxed);
    }
    Ok(give_up)
}

/// A store error while recording one job's end ends the worker only when
/// Postgres is unreachable. Otherwise the job keeps its lease until it
/// expires; it is then handed out again, and counted against
/// `max_attempts` like any other attempt.
fn survivable(e: StoreError, job: &ClaimedJob) -> Result<(), FetchError> {
    if e.is_unavailable() {
        return Err(e.into());
    }
    tracing::warn!(repo = %job.full_name, error = %clean::truncate(&clean::escape_str(&e.to_string()), 500),
        "could not record the end of a fetch; the job is retried when its lease expires");
    Ok(())
}

enum Outcome {
    Store(StoreError),
    Gone(GithubError),
    Fatal(GithubError),
    Retry(JobFailure),
}

impl From<StoreError> for Outcome {
    fn from(e: StoreError) -> Self {
        Outcome::Store(e)
    }
}

fn classify_github_error(e: GithubError) -> Outcome {
    if e.is_repository_gone() {
        return Outcome::Gone(e);
    }
    if matches!(e, GithubError::BadCredentials { .. }) {
        return Outcome::Fatal(e);
    }
    let kind = match &e {
        GithubError::RateLimited { .. } => "rate_limit",
        GithubError::Server { .. } => "server_error",
        GithubError::Network { .. } => "network",
        GithubError::Decode { .. } => "decode",
        GithubError::Forbidden { .. } => "forbidden",
        GithubError::RefusedRedirect { .. } => "refused_redirect",
        _ => "github",
    };
    Outcome::Retry(JobFailure {
        kind: kind.into(),
        message: e.to_string(),
        // Asking again cannot change these answers.
        permanent: matches!(
            e,
            GithubError::Forbidden { .. }
                | GithubError::InvalidArgument(_)
                | GithubError::RefusedRedirect { .. }
        ),
        retry_after: None,
    })
}

async fn fetch_one(
    store: &Store,
    client: &GithubClient,
    job: &ClaimedJob,
    options: &FetchOptions,
    counters: &Counters,
) -> Result<(), Outcome> {
    // Nothing pushed since an earlier snapshot: point at it, ask GitHub nothing.
    let check = Instant::now();
    let previous = store
        .reusable_snapshot(job.repository_id, job.pushed_at)
        .await?;
    counters.time(Phase::ReuseCheck, check);
    if let Some(previous) = previous {
        let reuse = Instant::now();
        store.reuse_snapshot(job, previous.id).await?;
        counters.time(Phase::Store, reuse);
        counters.reused.fetch_add(1, Ordering::Relaxed);
        return Ok(());
    }
    let snapshot = if job.size_kb > options.trees_threshold_kb {
        let t = Instant::now();
        let s = fetch_trees(client, job, options).await;
        counters.time(Phase::Trees, t);
        s?
    } else {
        match fetch_tarball(client, job, options, counters).await {
            Ok(snapshot) => snapshot,
            // Archive downloads are throttled: the trees API is a separate
            // budget.
            Err(TarballFailure::Throttled) => {
                let t = Instant::now();
                let s = fetch_trees(client, job, options).await;
                counters.time(Phase::Trees, t);
                s?
            }
            // This archive is too big, or its download too slow: the slot
            // is given back, and the trees API never holds a whole
            // repository nor one long download.
            Err(TarballFailure::Replace(why)) => {
                let t = Instant::now();
                let s = fetch_trees(client, job, options).await;
                counters.time(Phase::Trees, t);
                let mut s = s?;
                let replaced = format!("{why}; fetched through the trees API");
                s.note = Some(match s.note.take() {
                    Some(more) => format!("{replaced}; {more}"),
                    None => replaced,
                });
                s
            }
            Err(TarballFailure::Other(outcome)) => return Err(outcome),
        }
    };
    if snapshot.note.is_some() {
        counters.oddities.fetch_add(1, Ordering::Relaxed);
    }
    counters
        .files
        .fetch_add(snapshot.files.len() as u64, Ordering::Relaxed);
    counters.bytes.fetch_add(
        snapshot.files.iter().map(|f| f.size_bytes as u64).sum(),
        Ordering::Relaxed,
    );
    if snapshot.method == "tarball" {
        counters.tarball.fetch_add(1, Ordering::Relaxed);
    } else {
        counters.trees.fetch_add(1, Ordering::Relaxed);
    }
    if let Some(n) = snapshot.skipped.get("count").and_then(|c| c.as_u64()) {
        counters.skipped.fetch_add(n, Ordering::Relaxed);
    }
    let t = Instant::now();
    store.store_snapshot(job, &snapshot).await?;
    counters.time(Phase::Store, t);
    Ok(())
}

enum TarballFailure {
    Throttled,
    /// Too large or too slow for the archive path, and why.
    Replace(String),
    Other(Outcome),
}

async fn fetch_tarball(
    client: &GithubClient,
    job: &ClaimedJob,
    options: &FetchOptions,
    counters: &Counters,
) -> Result<NewSnapshot, TarballFailure> {
    let deadline = options.download.deadline_for(job.size_kb);
    let open = Instant::now();
    let opened = tokio::time::timeout(
        deadline,
        client.tarball(&job.full_name, &job.default_branch),
    )
    .await;
    counters.time(Phase::TarballOpen, open);
    let stream = match opened {
        Ok(Ok(stream)) => stream,
        Ok(Err(GithubError::ArchiveThrottled { .. })) => return Err(TarballFailure::Throttled),
        Ok(Err(e)) => return Err(TarballFailure::Other(classify_github_error(e))),
        Err(_) => {
            return Err(TarballFailure::Replace(format!(
                "the archive download did not start within its deadline of {deadline:?}"
            )))
        }
    };
    let caps = options.caps;
    if let Some(length) = stream.content_length() {
        if length > caps.max_compressed_bytes {
            return Err(TarballFailure::Replace(format!(
                "the archive announced {length} bytes, over the {} byte cap",
                caps.max_compressed_bytes
            )));
        }
    }
    let remaining = deadline.saturating_sub(open.elapsed());
    let stopped = StopFlag::default();
    let watched = download::watch(stream, options.download, remaining, stopped.clone());
    let reader = tokio_util::io::SyncIoBridge::new(tokio_util::io::StreamReader::new(watched));
    let read = Instant::now();
    let extracted = tokio::task::spawn_blocking(move || {
        let _reading = download::Reading::start();
        extract(reader, &caps, mcp_survey_classify::wants)
    })
    .await
    .map_err(|e| {
        TarballFailure::Other(Outcome::Retry(JobFailure {
            kind: "internal".into(),
            message: format!("archive reader crashed: {e}"),
            permanent: false,
            retry_after: None,
        }))
    })?;
    counters.time(Phase::TarballRead, read);
    if let Some(why) = stopped.get() {
        let why = match why {
            Stopped::Deadline => {
                format!("the archive download passed its deadline of {deadline:?}")
            }
            Stopped::TooSlow => format!(
                "the archive download ran under the minimum of {} bytes/s",
                options.download.min_bytes_per_sec
            ),
        };
        return Err(TarballFailure::Replace(why));
    }
    match extracted {
        Ok(extracted) => Ok(snapshot_from(job, extracted)),
        Err(ExtractError::TooLarge { cap }) => Err(TarballFailure::Replace(format!(
            "the archive passed the {cap} byte cap on decompressed bytes"
        ))),
        Err(ExtractError::CompressedTooLarge { cap }) => Err(TarballFailure::Replace(format!(
            "the archive passed the {cap} byte cap on compressed bytes (it may inflate to almost nothing)"
        ))),
        // A download cut off mid-stream: nothing was stored; try again later.
        Err(ExtractError::Corrupt(detail)) => {
            Err(TarballFailure::Other(Outcome::Retry(JobFailure {
                kind: "truncated_archive".into(),
                message: format!(
                    "archive of {} was cut off or corrupt: {detail}",
                    job.full_name
                ),
                permanent: false,
                retry_after: None,
            })))
        }
    }
}

fn snapshot_from(job: &ClaimedJob, extracted: Extracted) -> NewSnapshot {
    let mut oddities = Vec::new();
    if let Layout::Flat { reason } = &extracted.layout {
        oddities.push(format!(
            "the archive is not in GitHub's layout ({reason}); read as a flat archive, paths kept whole"
        ));
    }
    if extracted.odd_entries > 0 {
        oddities.push(format!(
            "{} entries with unsafe, over-long or repeated paths skipped (a sample is in snapshots.skipped)",
            extracted.odd_entries
        ));
    }
    let note = (!oddities.is_empty()).then(|| oddities.join("; "));
    let mut skipped = serde_json::json!({
        "count": extracted.skipped_count,
        "ignored": extracted.ignored_count,
        "sample": extracted.skipped,
    });
    if let (Some(map), Ok(layout)) = (
        skipped.as_object_mut(),
        serde_json::to_value(&extracted.layout),
    ) {
        if extracted.layout != Layout::TopFolder {
            map.insert("layout".into(), layout);
        }
    }
    NewSnapshot {
        repository_id: job.repository_id,
        commit_sha: extracted.commit_sha,
        tree_sha: None,
        pushed_at: job.pushed_at,
        method: "tarball".into(),
        files: extracted
            .files
            .into_iter()
            .map(|(path, bytes)| NewFile::from_bytes(path, &bytes))
            .collect(),
        skipped,
        note,
    }
}

/// Files up to this many times the per-file cap are downloaded through the
/// contents API and cut to their head; bigger ones are skipped.
const TREES_MAX_DOWNLOAD_FACTOR: u64 = 32;

/// The fallback: one request for the commit, one for the recursive tree,
/// one per wanted file (bounded by `max_tree_files`).
async fn fetch_trees(
    client: &GithubClient,
    job: &ClaimedJob,
    options: &FetchOptions,
) -> Result<NewSnapshot, Outcome> {
    let commit = client
        .commit(&job.full_name, &job.default_branch)
        .await
        .map_err(classify_github_error)?;
    let tree = client
        .tree(&job.full_name, &commit.tree_sha)
        .await
        .map_err(classify_github_error)?;
    let (entries, truncated) =
        crate::trees::complete_tree(client, &job.full_name, &commit.tree_sha, tree)
            .await
            .map_err(classify_github_error)?;
    let mut skipped = Vec::new();
    let mut wanted = Vec::new();
    let mut odd_entries = 0usize;
    let mut skip = |path: &str, reason: &str| {
        if reason.starts_with("unsafe") || reason == "path too long" {
            odd_entries += 1;
        }
        skipped.push(serde_json::json!({"path": clean::sample_path(path), "reason": reason}));
    };
    for entry in &entries {
        // Links and submodules are skipped as the tarball path skips them,
        // so both paths store the same files: a symlink is a `blob` of mode
        // 120000 in the tree, and asking the contents API for it would
        // answer the target's file or a JSON description of the link.
        if entry.is_symlink() || entry.is_submodule() {
            if mcp_survey_classify::wants(&entry.path) {
                let reason = if entry.is_symlink() {
                    "link"
                } else {
                    "submodule"
                };
                skip(&entry.path, reason);
            }
            continue;
        }
        if !entry.is_file() {
            continue;
        }
        // The same checks as an archive's paths: nothing that could leave
        // the repository, nothing Postgres refuses, nothing unbounded.
        let parts = match crate::archive::split_path(entry.path.as_bytes()) {
            Ok(parts) if !parts.is_empty() => parts,
            Ok(_) => continue,
            Err(reason) => {
                skip(&entry.path, reason);
                continue;
            }
        };
        if parts.join("/") != entry.path {
            skip(&entry.path, "unsafe path (not in canonical form)");
            continue;
        }
        if entry.path.len() > options.caps.max_path_bytes {
            skip(&entry.path, "path too long");
            continue;
        }
        if !mcp_survey_classify::wants(&entry.path) {
            continue;
        }
        // The contents API sends a file whole; past this size the head the
        // classifier reads is not worth the download.
        if entry.size.unwrap_or(0) > TREES_MAX_DOWNLOAD_FACTOR * options.caps.max_file_bytes {
            skip(&entry.path, "too big to download through the contents API");
            continue;
        }
        wanted.push(entry.path.clone());
    }
    let over = wanted.len().saturating_sub(options.max_tree_files);
    // Shallow paths first: manifests and READMEs at the root decide most labels.
    wanted.sort_by_key(|p| (p.matches('/').count(), p.clone()));
    wanted.truncate(options.max_tree_files);
    let sha = commit.sha.clone();
    let results: Vec<(String, Result<Vec<u8>, GithubError>)> = stream::iter(wanted)
        .map(|path| {
            let sha = sha.clone();
            async move {
                let bytes = client.contents(&job.full_name, &path, &sha).await;
                (path, bytes)
            }
        })
        .buffer_unordered(4)
        .collect()
        .await;
    let mut files = Vec::new();
    for (path, result) in results {
        match result {
            Ok(bytes) if mcp_survey_classify::head_bytes(&bytes).contains(&0) => {
                skipped.push(
                    serde_json::json!({"path": clean::sample_path(&path), "reason": "binary"}),
                );
            }
            Ok(bytes) => files.push(NewFile::from_bytes(
                path,
                mcp_survey_classify::head_bytes(&bytes),
            )),
            // The tree said file, the contents API says link or submodule
            // (the tree changed, or GitHub disagrees with itself): no file.
            Err(GithubError::NotAFile { kind, .. }) => {
                skipped
                    .push(serde_json::json!({"path": clean::sample_path(&path), "reason": kind}));
            }
            Err(e) => return Err(classify_github_error(e)),
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let count = skipped.len() + over;
    Ok(NewSnapshot {
        repository_id: job.repository_id,
        commit_sha: Some(commit.sha),
        tree_sha: Some(commit.tree_sha),
        pushed_at: job.pushed_at,
        method: "trees".into(),
        files,
        skipped: serde_json::json!({
            "count": count,
            "over_file_limit": over,
            "truncated_tree": truncated,
            "sample": skipped.into_iter().take(options.caps.max_skipped_recorded).collect::<Vec<_>>(),
        }),
        note: (odd_entries > 0).then(|| {
            format!("{odd_entries} tree entries with unsafe or over-long paths skipped (a sample is in snapshots.skipped)")
        }),
    })
}
