use indicatif::ProgressBar;
use mcp_survey_store::{ClaimedJob, JobFailure, Stage, Store, StoreError};
use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ClassifyOptions {
    pub workers: usize,
    pub batch: i64,
    pub lease: Duration,
    pub worker_id: String,
    pub progress: ProgressBar,
}

impl ClassifyOptions {
    pub fn new(worker_id: impl Into<String>) -> Self {
        ClassifyOptions {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            batch: 16,
            lease: Duration::from_secs(300),
            worker_id: worker_id.into(),
            progress: ProgressBar::hidden(),
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
) -> Result<ClassifyStats, StoreError> {
    let started = Instant::now();
    store.enqueue_classify_jobs(run_id).await?;
    let depth = store.stage_depth(run_id, Stage::Classify).await?;
    options
        .progress
        .set_length((depth.queued + depth.running + depth.done) as u64);
    options.progress.set_position(depth.done as u64);
    let counters = Arc::new(Counters::default());
    let mut handles = Vec::new();
    for n in 0..options.workers.max(1) {
        let store = store.clone();
        let options = options.clone();
        let counters = counters.clone();
        let worker = format!("{}:classify:{n}", options.worker_id);
        handles.push(tokio::spawn(async move {
            classify_worker(&store, run_id, &worker, &options, &counters).await
        }));
    }
    for h in handles {
        h.await
            .map_err(|e| StoreError::Corrupt(format!("classify worker crashed: {e}")))??;
    }
    Ok(ClassifyStats {
        classified: counters.classified.load(Ordering::Relaxed),
        already_labelled: counters.already.load(Ordering::Relaxed),
        bytes: counters.bytes.load(Ordering::Relaxed),
        classify_seconds: counters.micros.load(Ordering::Relaxed) as f64 / 1e6,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

async fn classify_worker(
    store: &Store,
    run_id: i64,
    worker: &str,
    options: &ClassifyOptions,
    counters: &Counters,
) -> Result<(), StoreError> {
    let version = mcp_survey_classify::CLASSIFIER_VERSION;
    loop {
        let jobs = store
            .claim_jobs(
                run_id,
                Stage::Classify,
                worker,
                options.batch,
                options.lease,
            )
            .await?;
        if jobs.is_empty() {
            if !store.stage_open(run_id, Stage::Classify).await? {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        for job in jobs {
            match classify_job(store, &job, version, counters).await {
                Ok(()) => {}
                Err(StoreError::LeaseLost(id)) => {
                    tracing::warn!(job = id, "lease lost; another worker owns the job now");
                }
                Err(e) => {
                    let failure = JobFailure {
                        kind: "classify".into(),
                        message: e.to_string(),
                        permanent: false,
                        retry_after: None,
                    };
                    store.fail_job(&job, &failure, 3).await?;
                }
            }
            options.progress.inc(1);
        }
    }
}

async fn classify_job(
    store: &Store,
    job: &ClaimedJob,
    version: &str,
    counters: &Counters,
) -> Result<(), StoreError> {
    let Some(snapshot_id) = job.snapshot_id else {
        // Nothing was fetched for it (gone or failed): nothing to label.
        return store.complete_job(job).await;
    };
    if store.has_label(snapshot_id, version).await? {
        counters.already.fetch_add(1, Ordering::Relaxed);
        return store.complete_job(job).await;
    }
    let files = store.snapshot_files(snapshot_id).await?;
    let bytes: usize = files.files.iter().map(|f| f.text.len()).sum();
    // The classifier is CPU-bound: keep it off the async reactor.
    let (verdict, micros) = tokio::task::spawn_blocking(move || {
        let t = Instant::now();
        let verdict = mcp_survey_classify::classify(&files);
        (verdict, t.elapsed().as_micros() as u64)
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("classifier panicked: {e}")))?;
    store
        .store_label(job, snapshot_id, version, &verdict)
        .await?;
    counters.classified.fetch_add(1, Ordering::Relaxed);
    counters.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
    counters.micros.fetch_add(micros, Ordering::Relaxed);
    Ok(())
}
