//! The classify stage: labels the stored snapshots of a run with the
//! classifier, in batches, through the stage driver. It reads only
//! Postgres: a new classifier version re-labels a run without asking
//! GitHub anything.

use mcp_survey_model::RepoFiles;
use mcp_survey_stage::{
    run_stage, CancellationToken, DriverOptions, Progress, StageWork, WorkerCrashed,
};
use mcp_survey_store::{ClaimedJob, JobFailure, NewLabel, Stage, Store, StoreError};
use serde::Serialize;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ClassifyOptions {
    pub workers: usize,
    pub batch: i64,
    pub lease: Duration,
    pub worker_id: String,
    pub progress: Arc<dyn Progress>,
    /// Cancelled: the batches in hand are stored, no new one is taken, and
    /// the stats say `stopped`.
    pub stop: CancellationToken,
}

impl ClassifyOptions {
    pub fn new(worker_id: impl Into<String>) -> Self {
        ClassifyOptions {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            batch: 64,
            lease: Duration::from_secs(300),
            worker_id: worker_id.into(),
            progress: mcp_survey_stage::hidden(),
            stop: CancellationToken::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ClassifyStats {
    pub classified: u64,
    pub already_labelled: u64,
    pub bytes: u64,
    pub classify_seconds: f64,
    pub elapsed_seconds: f64,
    /// A stop was asked for: snapshots may be left unlabelled.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ClassifyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("classify worker crashed: {0}")]
    Worker(String),
}

impl From<WorkerCrashed> for ClassifyError {
    fn from(e: WorkerCrashed) -> Self {
        ClassifyError::Worker(e.0)
    }
}

#[derive(Default)]
struct Counters {
    classified: AtomicU64,
    already: AtomicU64,
    bytes: AtomicU64,
    micros: AtomicU64,
}

/// Labels every snapshot of the run that has no label of the current
/// classifier version. Needs no GitHub request: a new classifier version
/// re-labels stored snapshots (`--reclassify`).
pub async fn classify_run(
    store: &Store,
    run_id: i64,
    options: &ClassifyOptions,
) -> Result<ClassifyStats, ClassifyError> {
    let started = Instant::now();
    store.enqueue_classify_jobs(run_id).await?;
    let depth = store.stage_depth(run_id, Stage::Classify).await?;
    options
        .progress
        .set_length((depth.queued + depth.running + depth.done) as u64);
    options.progress.set_position(depth.done as u64);
    let counters = Arc::new(Counters::default());
    let mut driver = DriverOptions::new("classify", &options.worker_id);
    driver.workers = options.workers.max(1);
    driver.lease = options.lease;
    driver.stop = options.stop.clone();
    driver.progress = options.progress.clone();
    let work = Arc::new(LabelStage {
        store: store.clone(),
        run_id,
        batch: options.batch,
        lease: options.lease,
        counters: counters.clone(),
    });
    let driven = run_stage(work, &driver).await?;
    Ok(ClassifyStats {
        classified: counters.classified.load(Ordering::Relaxed),
        already_labelled: counters.already.load(Ordering::Relaxed),
        bytes: counters.bytes.load(Ordering::Relaxed),
        classify_seconds: counters.micros.load(Ordering::Relaxed) as f64 / 1e6,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        stopped: driven.stopped,
    })
}

/// The classify queue, for the stage driver: batches of jobs, each batch
/// loaded in one query and stored in one transaction.
struct LabelStage {
    store: Store,
    run_id: i64,
    batch: i64,
    lease: Duration,
    counters: Arc<Counters>,
}

impl StageWork for LabelStage {
    type Item = ClaimedJob;
    type Error = ClassifyError;

    async fn claim(&self, worker: &str) -> Result<Vec<ClaimedJob>, ClassifyError> {
        Ok(self
            .store
            .claim_jobs(self.run_id, Stage::Classify, worker, self.batch, self.lease)
            .await?)
    }

    async fn open(&self) -> Result<bool, ClassifyError> {
        Ok(self.store.stage_open(self.run_id, Stage::Classify).await?)
    }

    /// A batch is lost only when every one of its leases is: the verdicts
    /// of jobs another worker took over are not stored (`store_labels`).
    async fn renew(&self, _worker: &str, jobs: &[ClaimedJob]) -> Result<bool, ClassifyError> {
        let mut held = false;
        for job in jobs {
            held |= self.store.renew_job_lease(job, self.lease).await?;
        }
        Ok(held)
    }

    /// Returns the jobs of the batch, labelled or failed.
    async fn work(&self, jobs: &[ClaimedJob]) -> Result<u64, ClassifyError> {
        if let Err(e) = classify_batch(&self.store, jobs, &self.counters).await {
            self.fail_batch(jobs, "classify", e.to_string()).await?;
        }
        Ok(jobs.len() as u64)
    }

    async fn panicked(&self, jobs: &[ClaimedJob], message: String) -> Result<u64, ClassifyError> {
        self.fail_batch(
            jobs,
            "internal",
            format!("labelling the batch panicked: {message}"),
        )
        .await?;
        Ok(jobs.len() as u64)
    }
}

impl LabelStage {
    /// The batch comes back later, up to three attempts.
    async fn fail_batch(
        &self,
        jobs: &[ClaimedJob],
        kind: &str,
        message: String,
    ) -> Result<(), StoreError> {
        let failure = JobFailure {
            kind: kind.into(),
            message,
            permanent: false,
            retry_after: None,
        };
        for job in jobs {
            self.store.fail_job(job, &failure, 3).await?;
        }
        Ok(())
    }
}

/// Labels one claimed batch: one query loads every snapshot's files, the
/// classifier runs on a blocking thread, one transaction stores the verdicts.
async fn classify_batch(
    store: &Store,
    jobs: &[ClaimedJob],
    counters: &Counters,
) -> Result<(), StoreError> {
    let version = mcp_survey_classify::CLASSIFIER_VERSION;
    let snapshot_ids: Vec<i64> = jobs.iter().filter_map(|j| j.snapshot_id).collect();
    let labelled = store.labelled_snapshots(&snapshot_ids, version).await?;
    // Nothing fetched (gone or failed) or already labelled: nothing to do.
    let (todo, nothing): (Vec<&ClaimedJob>, Vec<&ClaimedJob>) = jobs
        .iter()
        .partition(|j| j.snapshot_id.is_some_and(|id| !labelled.contains(&id)));
    let already = nothing.iter().filter(|j| j.snapshot_id.is_some()).count();
    counters
        .already
        .fetch_add(already as u64, Ordering::Relaxed);
    log_lost(&store.complete_jobs(&nothing).await?);
    if todo.is_empty() {
        return Ok(());
    }
    let wanted: Vec<i64> = todo.iter().filter_map(|j| j.snapshot_id).collect();
    let mut files = store.snapshots_files(&wanted).await?;
    let inputs: Vec<(i64, RepoFiles)> = wanted
        .iter()
        .map(|id| (*id, files.remove(id).unwrap_or_default()))
        .collect();
    // The classifier is CPU-bound: keep it off the async reactor.
    let outputs = tokio::task::spawn_blocking(move || {
        inputs
            .into_iter()
            .map(|(id, files)| {
                let bytes: usize = files.files.iter().map(|f| f.text.len()).sum();
                let t = Instant::now();
                let verdict = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    mcp_survey_classify::classify(&files)
                }))
                .map_err(|_| ());
                (id, verdict, bytes as u64, t.elapsed().as_micros() as u64)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("classify thread failed: {e}")))?;
    let mut labels = Vec::with_capacity(todo.len());
    let mut bytes = 0;
    let mut micros = 0;
    for (job, (snapshot_id, verdict, b, m)) in todo.iter().zip(outputs.iter()) {
        bytes += b;
        micros += m;
        match verdict {
            Ok(verdict) => labels.push(NewLabel {
                job,
                snapshot_id: *snapshot_id,
                verdict,
            }),
            Err(_) => {
                // A classifier bug on one repository must not hold up the
                // rest: the job fails with its cause and the run goes on.
                let failure = JobFailure {
                    kind: "classifier_panic".into(),
                    message: format!("the classifier panicked on snapshot {snapshot_id}"),
                    permanent: true,
                    retry_after: None,
                };
                store.fail_job(job, &failure, 1).await?;
            }
        }
    }
    let stored = store.store_labels(version, &labels).await?;
    log_lost(&stored.lease_lost);
    counters
        .classified
        .fetch_add(stored.stored.len() as u64, Ordering::Relaxed);
    counters.bytes.fetch_add(bytes, Ordering::Relaxed);
    counters.micros.fetch_add(micros, Ordering::Relaxed);
    Ok(())
}

fn log_lost(ids: &[i64]) {
    for id in ids {
        tracing::warn!(job = id, "lease lost; another worker owns the job now");
    }
}
