use super::{
    open_client, open_reader, open_store, preflight, until_shutdown, worker_id, StoppedGracefully,
};
use crate::{default_report_dir, ui, Cli, GithubArgs};
use anyhow::{bail, Context, Result};
use clap::Args;
use mcp_survey_harvest::{HarvestOptions, SeedFile, DEFAULT_SEEDS};
use mcp_survey_label::ClassifyOptions;
use mcp_survey_pipeline::{open_run, PipelineError, RunOptions, StageSummary};
use mcp_survey_stage::CancellationToken;
use mcp_survey_store::{Run, RunStatus, SliceState, Stage, Store};
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

/// A run name as given on the command line: something to show, to find
/// again and to name a report folder after.
pub fn run_name(s: &str) -> Result<String, String> {
    let name = s.trim();
    if name.is_empty() {
        return Err("a run name cannot be empty; give one such as 2026-w48".into());
    }
    if name.chars().any(char::is_control) {
        return Err("a run name cannot hold control characters".into());
    }
    if name.chars().count() > 100 {
        return Err("a run name is at most 100 characters".into());
    }
    Ok(name.to_string())
}

#[derive(Args, Debug)]
pub struct HarvestArgs {
    /// Run (snapshot) to harvest into; created if missing, resumed if unfinished. Default: today's UTC date.
    #[arg(long, value_parser = run_name)]
    pub run: Option<String>,
    /// Seed-query file (TOML); default: the built-in seeds/github.toml.
    #[arg(long)]
    pub seeds: Option<PathBuf>,
    /// Print the harvest statistics as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Ask every [[registry]] of the seed file at this URL instead (a simulator's serves /v0.1/servers). Default: the seed file's URLs against api.github.com, else the --github-url.
    #[arg(long, value_name = "URL")]
    pub registry_url: Option<String>,
    #[command(flatten)]
    pub github: GithubArgs,
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Run whose repositories to fetch; default: the newest run.
    #[arg(long, value_parser = run_name)]
    pub run: Option<String>,
    /// Concurrent fetch workers in this process.
    #[arg(long, default_value_t = 8)]
    pub workers: usize,
    /// Print the fetch statistics as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub github: GithubArgs,
}

#[derive(Args, Debug)]
pub struct ClassifyArgs {
    /// A local checkout to label; prints one JSON verdict (fields as in
    /// docs/labels.md) and touches no database.
    pub path: Option<PathBuf>,
    /// With PATH: the repository it is a checkout of (OWNER/NAME); default: the folder name.
    #[arg(long, requires = "path")]
    pub repo: Option<String>,
    /// Run whose snapshots to label; default: the newest run.
    #[arg(long, conflicts_with = "path", value_parser = run_name)]
    pub run: Option<String>,
    /// Re-label the run's stored snapshots with this build's classifier version (no GitHub request).
    #[arg(long, conflicts_with = "path")]
    pub reclassify: bool,
}

#[derive(Args, Debug)]
pub struct EvalArgs {
    /// Folder with one sub-folder per repository named OWNER__NAME.
    #[arg(long)]
    pub corpus: PathBuf,
    /// JSON-lines labels, one repository a line (docs/labels.md).
    #[arg(long)]
    pub labels: PathBuf,
    /// Also write the scores as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Snapshot name; default: today's UTC date (suffixed when taken). An unfinished run of that name is resumed.
    #[arg(long, value_parser = run_name)]
    pub name: Option<String>,
    /// Seed-query file (TOML); default: the built-in seeds/github.toml.
    #[arg(long)]
    pub seeds: Option<PathBuf>,
    /// Concurrent fetch workers in this process.
    #[arg(long, default_value_t = 8)]
    pub fetch_workers: usize,
    /// Folder the report folder is written under.
    #[arg(long, default_value_os_t = default_report_dir())]
    pub out: PathBuf,
    /// Work on --name alongside other processes (other machines): create it or
    /// join it, and when the others have already finished it, write its
    /// report and exit successfully instead of refusing.
    #[arg(long, requires = "name")]
    pub join: bool,
    /// Ask every [[registry]] of the seed file at this URL instead (a simulator's serves /v0.1/servers). Default: the seed file's URLs against api.github.com, else the --github-url.
    #[arg(long, value_name = "URL")]
    pub registry_url: Option<String>,
    #[command(flatten)]
    pub github: GithubArgs,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Run to describe; default: the newest run.
    #[arg(long, value_parser = run_name)]
    pub run: Option<String>,
    /// Print the status as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RunsArgs {
    /// Print the runs as a JSON array on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `--registry-url`: checked before anything else happens.
fn with_registry_url(seeds: SeedFile, url: Option<&str>) -> Result<SeedFile> {
    let Some(url) = url else { return Ok(seeds) };
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(seeds.with_registry_url(url)),
        _ => anyhow::bail!(
            "--registry-url {url:?} is not an http(s) URL; give a registry's base URL, e.g. http://127.0.0.1:8088"
        ),
    }
}

pub fn load_seeds(path: Option<&PathBuf>) -> Result<SeedFile> {
    Ok(match path {
        Some(path) => SeedFile::read(path)?,
        None => SeedFile::parse(DEFAULT_SEEDS, "seeds/github.toml (built in)")?,
    })
}

pub async fn harvest(cli: &Cli, args: &HarvestArgs) -> Result<()> {
    // Validate the seeds before touching the database or GitHub.
    let seeds = with_registry_url(
        load_seeds(args.seeds.as_ref())?,
        args.registry_url.as_deref(),
    )?;
    let tokens = preflight(cli.database_url(), &args.github)?;
    let client = open_client(&args.github, tokens).await?;
    let store = open_store(cli.database_url()).await?;
    let (run, resumed) = open_run(
        &store,
        args.run.as_deref(),
        client.config().base_url.as_str(),
    )
    .await?;
    eprintln!(
        "{} run {}",
        if resumed {
            "resuming"
        } else {
            "harvesting into"
        },
        run.name
    );
    let mut options = HarvestOptions::new(worker_id());
    // An incomplete search answer means GitHub's search is under load, as a
    // secondary limit does: wait as long before asking again.
    options.recheck_delay = client.config().secondary_min_wait;
    options.workers_per_endpoint = client.config().tokens.len().max(1);
    options.progress = ui::bar("harvest", cli.no_progress);
    let stop = CancellationToken::new();
    options.stop = stop.clone();
    let stats = until_shutdown(&store, &stop, async {
        Ok(mcp_survey_harvest::harvest(&store, &client, run.id, &seeds, &options).await?)
    })
    .await?;
    options.progress.finish();
    if stats.stopped {
        return Err(stopped(&run, "harvest", "harvest --run").into());
    }
    let finished = finish_if_complete(&store, &run).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        println!(
            "run {}: {} repositories ({} new), {} slices, {} pages this process, {} failed slices; {}",
            run.name,
            stats.repositories_found,
            stats.new_repositories,
            stats.slices.total,
            stats.pages_fetched_this_process,
            stats.failed_slices.len(),
            time_and_requests(&StageSummary::harvest(&stats))
        );
        let c = &stats.search_completeness;
        if c.incomplete_pages + c.short_pages + c.unresolved_pages > 0 || stats.gone_hits > 0 {
            println!(
                "search answers: {} incomplete, {} short; {} pages asked again; {} still incomplete; {} code-search hits gone",
                c.incomplete_pages, c.short_pages, c.pages_retried, c.unresolved_pages, stats.gone_hits
            );
        }
    }
    if !finished {
        eprintln!(
            "next: `mcp-survey fetch --run {}` (or `mcp-survey run --name {}` for every stage left)",
            run.name, run.name
        );
    }
    Ok(())
}

/// A stage that stopped at the first Ctrl-C, and the command that resumes it.
fn stopped(run: &Run, stage: &str, command: &str) -> StoppedGracefully {
    StoppedGracefully {
        what: format!(
            "run {}: {stage} stopped after finishing the work in hand",
            run.name
        ),
        resume: format!("mcp-survey {command} {}", run.name),
    }
}

/// `in 3.2s, 240 requests`: the time and cost part of a stage's line.
fn time_and_requests(s: &StageSummary) -> String {
    match s.requests {
        Some(r) => format!("in {:.1}s, {r} requests", s.seconds),
        None => format!("in {:.1}s", s.seconds),
    }
}

/// After a stage run on its own: when nothing is left in any stage, the run
/// is finished now, whichever stage came last. Says so, and returns whether
/// the run is finished.
pub async fn finish_if_complete(store: &Store, run: &Run) -> Result<bool> {
    if store.finish_run_if_complete(run.id).await? {
        eprintln!("run {} is finished: every stage is done", run.name);
        return Ok(true);
    }
    Ok(store.run_by_id(run.id).await?.status == RunStatus::Finished)
}

async fn pick_run(store: &Store, name: Option<&str>) -> Result<Run> {
    Ok(store.resolve_run(name).await?)
}

pub async fn fetch(cli: &Cli, args: &FetchArgs) -> Result<()> {
    let tokens = preflight(cli.database_url(), &args.github)?;
    let download = super::download_limits(&args.github.tuning)?;
    let client = open_client(&args.github, tokens).await?;
    let store = open_store(cli.database_url()).await?;
    let run = pick_run(&store, args.run.as_deref()).await?;
    let mut options = mcp_survey_fetch::FetchOptions::new(worker_id());
    options.workers = args.workers.max(1);
    options.download = download;
    let requests_before = client.stats().total_requests();
    options.progress = ui::bar("fetch", cli.no_progress);
    let stop = CancellationToken::new();
    options.stop = stop.clone();
    let stats = until_shutdown(&store, &stop, async {
        Ok(mcp_survey_fetch::fetch_run(&store, &client, run.id, &options).await?)
    })
    .await?;
    options.progress.finish();
    store
        .put_run_stats(run.id, "fetch", &serde_json::to_value(&stats)?)
        .await?;
    if stats.stopped {
        return Err(stopped(&run, "fetch", "fetch --run").into());
    }
    let requests = client
        .stats()
        .total_requests()
        .saturating_sub(requests_before);
    finish_if_complete(&store, &run).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        println!(
            "run {}: {} fetched by tarball, {} by trees, {} unchanged (reused), {} gone, {} failed; {}",
            run.name,
            stats.fetched_tarball,
            stats.fetched_trees,
            stats.reused,
            stats.gone,
            stats.failed,
            time_and_requests(&StageSummary::fetch(&stats, requests))
        );
    }
    Ok(())
}

pub async fn classify(cli: &Cli, args: &ClassifyArgs) -> Result<()> {
    if let Some(path) = &args.path {
        if !path.is_dir() {
            bail!(
                "{} is not a folder; give the path of a repository checkout",
                path.display()
            );
        }
        let mut files = mcp_survey_classify::load_dir(path)
            .with_context(|| format!("cannot read the checkout at {}", path.display()))?;
        // The repository's name helps tell a server from its SDK or client.
        let folder = path.canonicalize().unwrap_or_else(|_| path.clone());
        files.full_name = args
            .repo
            .clone()
            .or_else(|| mcp_survey_model::full_name_for_checkout(&folder));
        let verdict = mcp_survey_classify::classify(&files);
        println!("{}", serde_json::to_string_pretty(&verdict)?);
        return Ok(());
    }
    let store = open_store(cli.database_url()).await?;
    let run = pick_run(&store, args.run.as_deref()).await?;
    let version = mcp_survey_classify::CLASSIFIER_VERSION;
    if args.reclassify && run.classifier_version.as_deref() != Some(version) {
        store.set_run_classifier_version(run.id, version).await?;
        eprintln!(
            "run {}: re-labelling with classifier {version} (was {})",
            run.name,
            run.classifier_version.as_deref().unwrap_or("none")
        );
    } else if run.classifier_version.as_deref() != Some(version) {
        bail!(
            "run {} was labelled by classifier {} and this build is {version}; pass --reclassify to re-label it",
            run.name,
            run.classifier_version.as_deref().unwrap_or("none")
        );
    }
    let mut options = ClassifyOptions::new(worker_id());
    options.progress = ui::bar("classify", cli.no_progress);
    let stop = CancellationToken::new();
    options.stop = stop.clone();
    let stats = until_shutdown(&store, &stop, async {
        Ok(mcp_survey_label::classify_run(&store, run.id, &options).await?)
    })
    .await?;
    options.progress.finish();
    if stats.stopped {
        return Err(stopped(&run, "classify", "classify --run").into());
    }
    let finished = finish_if_complete(&store, &run).await?;
    println!(
        "run {}: {} snapshots classified ({} already labelled) in {:.1}s",
        run.name, stats.classified, stats.already_labelled, stats.elapsed_seconds
    );
    if finished {
        eprintln!(
            "next: `mcp-survey report --run {}` writes its report",
            run.name
        );
    }
    Ok(())
}

pub fn eval(args: &EvalArgs) -> Result<()> {
    let report = mcp_survey_classify::eval::evaluate(&args.corpus, &args.labels)?;
    println!("{}", report.render_table());
    if let Some(out) = &args.json {
        let text = serde_json::to_string_pretty(&report.to_json())?;
        std::fs::write(out, text).with_context(|| format!("cannot write {}", out.display()))?;
    }
    Ok(())
}

pub async fn run(cli: &Cli, args: &RunArgs) -> Result<()> {
    let started = Instant::now();
    let seeds = with_registry_url(
        load_seeds(args.seeds.as_ref())?,
        args.registry_url.as_deref(),
    )?;
    let tokens = preflight(cli.database_url(), &args.github)?;
    let download = super::download_limits(&args.github.tuning)?;
    let client = open_client(&args.github, tokens).await?;
    let store = open_store(cli.database_url()).await?;
    let options = RunOptions {
        name: args.name.clone(),
        seeds,
        report_dir: args.out.clone(),
        worker_id: worker_id(),
        fetch_workers: args.fetch_workers.max(1),
        download,
        join: args.join,
        bars: ui::bar_factory(cli.no_progress),
        stop: CancellationToken::new(),
    };
    let outcome = run_pipeline(&store, &client, &options).await?;
    print_outcome(
        &outcome.report,
        client.stats().total_requests(),
        "GitHub",
        started,
    );
    Ok(())
}

/// Every stage of a run, each leaving its summary line, until done or
/// until Ctrl-C / SIGTERM (see [`until_shutdown`]).
pub async fn run_pipeline(
    store: &Store,
    client: &mcp_survey_github::GithubClient,
    options: &RunOptions,
) -> Result<mcp_survey_pipeline::RunOutcome> {
    until_shutdown(store, &options.stop, async {
        match mcp_survey_pipeline::run_pipeline_reporting(store, client, options, &ui::print_stage)
            .await
        {
            Ok(outcome) => Ok(outcome),
            Err(PipelineError::Stopped { run, stage }) => Err(StoppedGracefully {
                what: format!("run {run}: {stage} stopped after finishing the work in hand; the run is not finished"),
                resume: format!("mcp-survey run --name {run}"),
            }
            .into()),
            Err(e) => Err(e.into()),
        }
    })
    .await
}

/// The end of `run` and `demo`: the headline table, then one line with the
/// funnel, the requests and the time, then where the report is.
pub fn print_outcome(
    report: &mcp_survey_report::ReportFiles,
    requests: u64,
    to: &str,
    started: Instant,
) {
    let summary = &report.summary_value;
    print!("{}", mcp_survey_report::render_table(summary));
    println!(
        "{} repositories found, {} fetched, {} servers; {requests} requests to {to}; {:.1}s",
        summary.funnel.found,
        summary.funnel.fetched,
        summary.headline.servers,
        started.elapsed().as_secs_f64()
    );
    println!("report written to {}", report.markdown.display());
}

/// What `runs` and `status` call a run: its stored status, except that an
/// unfinished run nobody works on is `stopped`, not `running`.
async fn state(store: &Store, run: &Run) -> Result<&'static str> {
    Ok(match run.status {
        RunStatus::Finished => "finished",
        RunStatus::Failed => "failed",
        RunStatus::Running if being_worked_on(store, run).await? => "running",
        RunStatus::Running => "stopped",
    })
}

/// Whether some process holds part of the run's work: a lease of a live
/// process of this machine, or an unexpired lease of another machine's.
async fn being_worked_on(store: &Store, run: &Run) -> Result<bool> {
    let now = chrono::Utc::now();
    for (worker, until) in store.run_leases(run.id).await? {
        let process = worker.split(':').next().unwrap_or_default();
        let live = match super::local_pid(process) {
            Some(pid) => super::process_alive(pid),
            None => until > now,
        };
        if live {
            return Ok(true);
        }
    }
    Ok(false)
}

pub async fn runs(cli: &Cli, args: &RunsArgs) -> Result<()> {
    let store = open_reader(cli.database_url()).await?;
    let runs = store.list_runs().await?;
    let mut rows = Vec::new();
    for run in runs {
        let n = store.run_repository_count(run.id).await?;
        let state = state(&store, &run).await?;
        rows.push((run, state, n));
    }
    if args.json {
        let list: Vec<_> = rows
            .iter()
            .map(|(run, state, n)| {
                json!({
                    "name": run.name,
                    "status": state,
                    "started_at": run.started_at,
                    "finished_at": run.finished_at,
                    "repositories": n,
                    "classifier_version": run.classifier_version,
                    "github_url": run.github_url,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(());
    }
    if rows.is_empty() {
        println!("no runs yet; start one with `mcp-survey run` or `mcp-survey demo`");
        return Ok(());
    }
    println!(
        "{:<28} {:<9} {:<20} {:>12} {:<16}",
        "name", "status", "started (UTC)", "repositories", "classifier"
    );
    for (run, state, n) in rows {
        println!(
            "{:<28} {:<9} {:<20} {:>12} {:<16}",
            run.name,
            state,
            run.started_at.format("%Y-%m-%d %H:%M:%S"),
            n,
            run.classifier_version.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

/// Search pages of a run that add up: `done` read by the slices that make
/// up the harvest now, `left` still to read (at least one for a slice that
/// has not read its first), `before_split` read by slices later split into
/// smaller ones (their results are kept, but they are no longer planned).
#[derive(Debug, Default, PartialEq, serde::Serialize)]
struct Pages {
    done: i64,
    left: i64,
    planned: i64,
    before_split: i64,
}

fn pages(slices: &[mcp_survey_store::Slice]) -> Pages {
    let mut p = Pages::default();
    for s in slices {
        let done = i64::from(s.pages_done.max(0));
        match s.state {
            SliceState::Split => p.before_split += done,
            SliceState::Pending | SliceState::Paging => {
                p.done += done;
                let total = s.pages_total.map(i64::from).unwrap_or(0);
                p.left += (total - done).max(1);
            }
            SliceState::Recheck => {
                p.done += done;
                p.left += s.recheck_pages.len() as i64;
            }
            SliceState::Done | SliceState::Failed => p.done += done,
        }
    }
    p.planned = p.done + p.left;
    p
}

pub async fn status(cli: &Cli, args: &StatusArgs) -> Result<()> {
    let store = open_reader(cli.database_url()).await?;
    let run = pick_run(&store, args.run.as_deref()).await?;
    let state = state(&store, &run).await?;
    let slices = store.slice_counts(run.id).await?;
    let pages = pages(&store.slices(run.id).await?);
    let search = store.search_completeness(run.id).await?;
    let gone = store.gone_hits(run.id).await?.len();
    let mut depths = Vec::new();
    for stage in [Stage::Fetch, Stage::Classify] {
        depths.push(store.stage_depth(run.id, stage).await?);
    }
    let failures = store.failures_by_cause(run.id).await?;
    if args.json {
        let value = json!({
            "run": run.name,
            "status": state,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "harvest": { "slices": slices, "pages": pages, "search": search, "gone_hits": gone },
            "queues": depths.iter().map(|d| json!({
                "stage": d.stage, "queued": d.queued, "running": d.running,
                "done": d.done, "failed": d.failed,
            })).collect::<Vec<_>>(),
            "failures": failures.iter().map(|(stage, state, kind, n)| json!({
                "stage": stage, "state": state, "cause": kind, "jobs": n,
            })).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&value)?);
        return Ok(());
    }
    println!("run {} ({state})", run.name);
    if state == "stopped" {
        println!(
            "          no process is working on it (the last one stopped or was killed); resume it with `mcp-survey run --name {}`",
            run.name
        );
    }
    println!(
        "harvest   slices: {} done, {} pending, {} paging, {} to re-ask, {} split, {} failed; pages {} of {} read, {} left",
        slices.done,
        slices.pending,
        slices.paging,
        slices.recheck,
        slices.split,
        slices.failed,
        pages.done,
        pages.planned,
        pages.left
    );
    if pages.before_split > 0 {
        println!(
            "          (and {} pages read by slices later split into smaller ones)",
            pages.before_split
        );
    }
    println!(
        "          search answers: {} incomplete, {} short, {} pages re-asked, {} still incomplete; {} items unreadable; {} code-search hits gone",
        search.incomplete_pages,
        search.short_pages,
        search.pages_retried,
        search.unresolved_pages,
        search.skipped_items,
        gone
    );
    for s in &search.unresolved_slices {
        println!("          still incomplete: {s}");
    }
    for d in &depths {
        println!(
            "{:<9} queued {}, running {}, done {}, failed {}",
            d.stage, d.queued, d.running, d.done, d.failed
        );
    }
    if !failures.is_empty() {
        println!("failures by cause:");
        for (stage, state, kind, n) in failures {
            println!("  {stage:<9} {state:<7} {kind:<20} {n}");
        }
    }
    Ok(())
}
