use mcp_survey_fetch::{fetch_run, DownloadLimits, FetchError, FetchOptions, FetchStats};
use mcp_survey_github::GithubClient;
use mcp_survey_harvest::{harvest, HarvestError, HarvestOptions, HarvestStats, SeedFile};
use mcp_survey_label::{classify_run, ClassifyError, ClassifyOptions, ClassifyStats};
use mcp_survey_report::{write_report, ReportError, ReportFiles};
use mcp_survey_stage::{CancellationToken, Progress};
use mcp_survey_store::{Run, RunStatus, Store, StoreError};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("harvest failed: {0}")]
    Harvest(#[from] HarvestError),
    #[error("fetch failed: {0}")]
    Fetch(#[from] FetchError),
    #[error("classify failed: {0}")]
    Classify(#[from] ClassifyError),
    /// A stop was asked for ([`RunOptions::stop`]): the stage finished the
    /// work in hand and the next stage was not started. The run is still
    /// running; running it again resumes it.
    #[error("run {run} stopped during {stage}; the work in hand was finished and nothing is lost")]
    Stopped { run: String, stage: &'static str },
    #[error("report failed: {0}")]
    Report(#[from] ReportError),
}

/// Makes the progress bar of a stage (hidden ones when not on a terminal).
pub type BarFactory = Arc<dyn Fn(&'static str) -> Arc<dyn Progress> + Send + Sync>;

/// Bars nobody sees: for tests and benchmarks.
pub fn hidden_bars() -> BarFactory {
    Arc::new(|_| mcp_survey_stage::hidden())
}

/// What one finished stage did: the front end turns it into one line.
#[derive(Debug, Clone, PartialEq)]
pub struct StageSummary {
    pub stage: &'static str,
    /// How many `unit`s the stage handled.
    pub items: u64,
    pub unit: &'static str,
    pub seconds: f64,
    /// GitHub requests this process sent for the stage; None for a stage
    /// that sends none.
    pub requests: Option<u64>,
    /// What else deserves a mention (failures), or empty.
    pub detail: String,
}

impl StageSummary {
    pub fn harvest(stats: &HarvestStats) -> Self {
        let failed = stats.failed_slices.len();
        StageSummary {
            stage: "harvest",
            items: stats.repositories_found.max(0) as u64,
            unit: "repositories",
            seconds: stats.elapsed_seconds,
            requests: Some(stats.requests.values().sum()),
            detail: if failed > 0 {
                format!("{failed} search slices failed")
            } else {
                String::new()
            },
        }
    }

    /// `requests`: the client's request count over the stage.
    pub fn fetch(stats: &FetchStats, requests: u64) -> Self {
        let mut detail = Vec::new();
        if stats.gone > 0 {
            detail.push(format!("{} gone", stats.gone));
        }
        if stats.failed > 0 {
            detail.push(format!("{} failed", stats.failed));
        }
        StageSummary {
            stage: "fetch",
            items: stats.fetched_tarball + stats.fetched_trees + stats.reused,
            unit: "repositories",
            seconds: stats.elapsed_seconds,
            requests: Some(requests),
            detail: detail.join(", "),
        }
    }

    pub fn classify(stats: &ClassifyStats) -> Self {
        StageSummary {
            stage: "classify",
            items: stats.classified,
            unit: "snapshots",
            seconds: stats.elapsed_seconds,
            requests: None,
            detail: if stats.already_labelled > 0 {
                format!("{} already labelled", stats.already_labelled)
            } else {
                String::new()
            },
        }
    }
}

#[derive(Clone)]
pub struct RunOptions {
    /// Snapshot name; None = today's UTC date (with a suffix when taken).
    pub name: Option<String>,
    pub seeds: SeedFile,
    pub report_dir: PathBuf,
    pub worker_id: String,
    pub fetch_workers: usize,
    /// Deadline and minimum throughput of each archive download.
    pub download: DownloadLimits,
    /// Another process may finish the run first: a finished run is then
    /// reported, not refused.
    pub join: bool,
    pub bars: BarFactory,
    /// Cancelled: the current stage finishes the work in hand, no further
    /// stage starts, and the run stays unfinished ([`PipelineError::Stopped`]).
    pub stop: CancellationToken,
}

#[derive(Debug)]
pub struct RunOutcome {
    pub run: Run,
    pub resumed: bool,
    pub harvest: HarvestStats,
    pub fetch: FetchStats,
    pub classify: ClassifyStats,
    pub report: ReportFiles,
}

/// Picks the run to work on: a named run that is still running is resumed;
/// a finished one is never touched again. Without a name, today's date is
/// used, suffixed (`-2`, `-3`, ...) when a finished run already has it.
pub async fn open_run(
    store: &Store,
    name: Option<&str>,
    github_url: &str,
) -> Result<(Run, bool), StoreError> {
    let version = mcp_survey_classify::CLASSIFIER_VERSION;
    if let Some(name) = name {
        return match store.run_by_name(name).await {
            Ok(run) if run.status == RunStatus::Running => Ok((run, true)),
            Ok(_) => Err(StoreError::RunFinished(name.to_string())),
            Err(StoreError::NoSuchRun(_)) => {
                match store.create_run(name, github_url, version).await {
                    Ok(run) => Ok((run, false)),
                    // Another process created it between our two statements:
                    // join it.
                    Err(StoreError::RunExists(_)) => match store.run_by_name(name).await? {
                        run if run.status == RunStatus::Running => Ok((run, true)),
                        _ => Err(StoreError::RunFinished(name.to_string())),
                    },
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        };
    }
    let base = chrono::Utc::now().format("%Y-%m-%d").to_string();
    for n in 1.. {
        let candidate = if n == 1 {
            base.clone()
        } else {
            format!("{base}-{n}")
        };
        match store.run_by_name(&candidate).await {
            Ok(run) if run.status == RunStatus::Running => return Ok((run, true)),
            Ok(_) => continue,
            Err(StoreError::NoSuchRun(_)) => {
                match store.create_run(&candidate, github_url, version).await {
                    Ok(run) => return Ok((run, false)),
                    // Another process took the name between our two statements.
                    Err(StoreError::RunExists(_)) => continue,
                    Err(e) => return Err(e),
                }
            }
            Err(e) => return Err(e),
        }
    }
    unreachable!("the loop above returns")
}

/// Harvest → fetch → classify → report for one run, resuming it when it was
/// interrupted. The run is marked finished only when every stage is done.
pub async fn run_pipeline(
    store: &Store,
    client: &GithubClient,
    options: &RunOptions,
) -> Result<RunOutcome, PipelineError> {
    run_pipeline_reporting(store, client, options, &|_| {}).await
}

/// [`run_pipeline`], calling `stage_done` as each stage finishes.
pub async fn run_pipeline_reporting(
    store: &Store,
    client: &GithubClient,
    options: &RunOptions,
    stage_done: &(dyn Fn(&StageSummary) + Send + Sync),
) -> Result<RunOutcome, PipelineError> {
    let github_url = client.config().base_url.to_string();
    if let Some(outcome) = finish_interrupted_report(store, options).await? {
        return Ok(outcome);
    }
    let (run, resumed) = open_run(store, options.name.as_deref(), &github_url).await?;
    if resumed {
        tracing::info!(run = %run.name, "resuming the unfinished run");
    }
    let stopped = |stage| PipelineError::Stopped {
        run: run.name.clone(),
        stage,
    };
    let mut harvest_options = HarvestOptions::new(&options.worker_id);
    // An incomplete search answer means GitHub's search is under load, as a
    // secondary limit does: wait as long before asking again.
    harvest_options.recheck_delay = client.config().secondary_min_wait;
    harvest_options.workers_per_endpoint = client.config().tokens.len().max(1);
    harvest_options.progress = (options.bars)("harvest");
    harvest_options.stop = options.stop.clone();
    let harvest_stats = harvest(store, client, run.id, &options.seeds, &harvest_options).await?;
    harvest_options.progress.finish();
    if harvest_stats.stopped {
        return Err(stopped("harvest"));
    }
    stage_done(&StageSummary::harvest(&harvest_stats));

    let mut fetch_options = FetchOptions::new(&options.worker_id);
    fetch_options.workers = options.fetch_workers;
    fetch_options.download = options.download;
    fetch_options.progress = (options.bars)("fetch");
    fetch_options.stop = options.stop.clone();
    let requests_before = client.stats().total_requests();
    let fetch_stats = fetch_run(store, client, run.id, &fetch_options).await?;
    fetch_options.progress.finish();
    store
        .put_run_stats(
            run.id,
            "fetch",
            &serde_json::to_value(&fetch_stats).unwrap_or_default(),
        )
        .await?;
    if fetch_stats.stopped {
        return Err(stopped("fetch"));
    }
    stage_done(&StageSummary::fetch(
        &fetch_stats,
        client
            .stats()
            .total_requests()
            .saturating_sub(requests_before),
    ));

    let mut classify_options = ClassifyOptions::new(&options.worker_id);
    classify_options.progress = (options.bars)("classify");
    classify_options.stop = options.stop.clone();
    let classify_stats = classify_run(store, run.id, &classify_options).await?;
    classify_options.progress.finish();
    if classify_stats.stopped {
        return Err(stopped("classify"));
    }
    stage_done(&StageSummary::classify(&classify_stats));
    store
        .put_run_stats(
            run.id,
            "classify",
            &serde_json::to_value(&classify_stats).unwrap_or_default(),
        )
        .await?;

    store.set_run_status(run.id, RunStatus::Finished).await?;
    let run = store.run_by_id(run.id).await?;
    let report = write_report(store, &run, &options.report_dir).await?;
    Ok(RunOutcome {
        run,
        resumed,
        harvest: harvest_stats,
        fetch: fetch_stats,
        classify: classify_stats,
        report,
    })
}

/// A process killed after marking its run finished but before the report's
/// last file (summary.json, written last) was in place left a finished run
/// without a complete report: the restart writes the report and stops there.
async fn finish_interrupted_report(
    store: &Store,
    options: &RunOptions,
) -> Result<Option<RunOutcome>, PipelineError> {
    let Some(name) = options.name.as_deref() else {
        return Ok(None);
    };
    let run = match store.run_by_name(name).await {
        Ok(run) if run.status == RunStatus::Finished => run,
        Ok(_) | Err(StoreError::NoSuchRun(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let complete = mcp_survey_report::report_is_complete(&options.report_dir, &run.name);
    if complete && !options.join {
        // Finished and reported: open_run refuses to touch it again.
        return Ok(None);
    }
    tracing::info!(run = %run.name, "the run finished but its report was not written: writing it");
    let report = write_report(store, &run, &options.report_dir).await?;
    Ok(Some(RunOutcome {
        run,
        resumed: true,
        harvest: HarvestStats::default(),
        fetch: FetchStats::default(),
        classify: ClassifyStats::default(),
        report,
    }))
}
