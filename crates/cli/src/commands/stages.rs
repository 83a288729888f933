use super::{open_client, open_store, until_shutdown, worker_id};
use crate::{default_report_dir, ui, Cli};
use anyhow::{bail, Context, Result};
use clap::Args;
use mcp_survey_harvest::{HarvestOptions, SeedFile, DEFAULT_SEEDS};
use mcp_survey_pipeline::{open_run, ClassifyOptions, RunOptions};
use mcp_survey_store::{Run, Stage, Store};
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct HarvestArgs {
    /// Run (snapshot) to harvest into; created if missing, resumed if unfinished. Default: today's UTC date.
    #[arg(long)]
    pub run: Option<String>,
    /// Seed-query file (TOML); default: the built-in seeds/github.toml.
    #[arg(long)]
    pub seeds: Option<PathBuf>,
    /// Print the harvest statistics as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Run whose repositories to fetch; default: the newest run.
    #[arg(long)]
    pub run: Option<String>,
    /// Concurrent fetch workers in this process.
    #[arg(long, default_value_t = 8)]
    pub workers: usize,
    /// Print the fetch statistics as JSON on stdout.
    #[arg(long)]
    pub json: bool,
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
    #[arg(long, conflicts_with = "path")]
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
    #[arg(long)]
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
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Run to describe; default: the newest run.
    #[arg(long)]
    pub run: Option<String>,
}

pub fn load_seeds(path: Option<&PathBuf>) -> Result<SeedFile> {
    Ok(match path {
        Some(path) => SeedFile::read(path)?,
        None => SeedFile::parse(DEFAULT_SEEDS, "seeds/github.toml (built in)")?,
    })
}

pub async fn harvest(cli: &Cli, args: &HarvestArgs) -> Result<()> {
    // Validate the seeds before touching the database or GitHub.
    let seeds = load_seeds(args.seeds.as_ref())?;
    let store = open_store(&cli.database_url).await?;
    let client = open_client(&cli.github_url, &cli.client).await?;
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
    let stats = until_shutdown(&store, async {
        Ok(mcp_survey_harvest::harvest(&store, &client, run.id, &seeds, &options).await?)
    })
    .await?;
    options.progress.finish_and_clear();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        println!(
            "run {}: {} repositories ({} new), {} slices, {} pages this process, {} failed slices",
            run.name,
            stats.repositories_found,
            stats.new_repositories,
            stats.slices.total,
            stats.pages_fetched_this_process,
            stats.failed_slices.len()
        );
        let c = &stats.search_completeness;
        if c.incomplete_pages + c.short_pages + c.unresolved_pages > 0 || stats.gone_hits > 0 {
            println!(
                "search answers: {} incomplete, {} short; {} pages asked again; {} still incomplete; {} code-search hits gone",
                c.incomplete_pages, c.short_pages, c.pages_retried, c.unresolved_pages, stats.gone_hits
            );
        }
    }
    Ok(())
}

async fn pick_run(store: &Store, name: Option<&str>) -> Result<Run> {
    Ok(store.resolve_run(name).await?)
}

pub async fn fetch(cli: &Cli, args: &FetchArgs) -> Result<()> {
    let store = open_store(&cli.database_url).await?;
    let run = pick_run(&store, args.run.as_deref()).await?;
    let client = open_client(&cli.github_url, &cli.client).await?;
    let mut options = mcp_survey_fetch::FetchOptions::new(worker_id());
    options.workers = args.workers.max(1);
    options.download = super::download_limits(&cli.client)?;
    options.progress = ui::bar("fetch", cli.no_progress);
    let stats = until_shutdown(&store, async {
        Ok(mcp_survey_fetch::fetch_run(&store, &client, run.id, &options).await?)
    })
    .await?;
    options.progress.finish_and_clear();
    store
        .put_run_stats(run.id, "fetch", &serde_json::to_value(&stats)?)
        .await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&stats)?);
    } else {
        println!(
            "run {}: {} fetched by tarball, {} by trees, {} unchanged (reused), {} gone, {} failed",
            run.name,
            stats.fetched_tarball,
            stats.fetched_trees,
            stats.reused,
            stats.gone,
            stats.failed
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
    let store = open_store(&cli.database_url).await?;
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
    let stats = until_shutdown(&store, async {
        Ok(mcp_survey_pipeline::classify_run(&store, run.id, &options).await?)
    })
    .await?;
    options.progress.finish_and_clear();
    println!(
        "run {}: {} snapshots classified ({} already labelled) in {:.1}s",
        run.name, stats.classified, stats.already_labelled, stats.elapsed_seconds
    );
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
    let seeds = load_seeds(args.seeds.as_ref())?;
    let store = open_store(&cli.database_url).await?;
    let client = open_client(&cli.github_url, &cli.client).await?;
    let options = RunOptions {
        name: args.name.clone(),
        seeds,
        report_dir: args.out.clone(),
        worker_id: worker_id(),
        fetch_workers: args.fetch_workers.max(1),
        download: super::download_limits(&cli.client)?,
        join: args.join,
        bars: ui::bar_factory(cli.no_progress),
    };
    let outcome = until_shutdown(&store, async {
        Ok(mcp_survey_pipeline::run_pipeline(&store, &client, &options).await?)
    })
    .await?;
    print!(
        "{}",
        mcp_survey_report::render_table(&outcome.report.summary_value)
    );
    println!("report written to {}", outcome.report.markdown.display());
    Ok(())
}

pub async fn runs(cli: &Cli) -> Result<()> {
    let store = open_store(&cli.database_url).await?;
    let runs = store.list_runs().await?;
    if runs.is_empty() {
        println!("no runs yet; start one with `mcp-survey run` or `mcp-survey demo`");
        return Ok(());
    }
    println!(
        "{:<28} {:<9} {:<20} {:>12} {:<16}",
        "name", "status", "started (UTC)", "repositories", "classifier"
    );
    for run in runs {
        let n = store.run_repository_count(run.id).await?;
        println!(
            "{:<28} {:<9} {:<20} {:>12} {:<16}",
            run.name,
            format!("{:?}", run.status).to_lowercase(),
            run.started_at.format("%Y-%m-%d %H:%M:%S"),
            n,
            run.classifier_version.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

pub async fn status(cli: &Cli, args: &StatusArgs) -> Result<()> {
    let store = open_store(&cli.database_url).await?;
    let run = pick_run(&store, args.run.as_deref()).await?;
    let slices = store.slice_counts(run.id).await?;
    println!("run {} ({:?})", run.name, run.status);
    println!(
        "harvest   slices: {} done, {} pending, {} paging, {} to re-ask, {} split, {} failed; pages {}/{}",
        slices.done,
        slices.pending,
        slices.paging,
        slices.recheck,
        slices.split,
        slices.failed,
        slices.pages_done,
        slices.pages_planned
    );
    let search = store.search_completeness(run.id).await?;
    println!(
        "          search answers: {} incomplete, {} short, {} pages re-asked, {} still incomplete; {} items unreadable; {} code-search hits gone",
        search.incomplete_pages,
        search.short_pages,
        search.pages_retried,
        search.unresolved_pages,
        search.skipped_items,
        store.gone_hits(run.id).await?.len()
    );
    for s in &search.unresolved_slices {
        println!("          still incomplete: {s}");
    }
    for stage in [Stage::Fetch, Stage::Classify] {
        let d = store.stage_depth(run.id, stage).await?;
        println!(
            "{:<9} queued {}, running {}, done {}, failed {}",
            d.stage, d.queued, d.running, d.done, d.failed
        );
    }
    let failures = store.failures_by_cause(run.id).await?;
    if !failures.is_empty() {
        println!("failures by cause:");
        for (stage, state, kind, n) in failures {
            println!("  {stage:<9} {state:<7} {kind:<20} {n}");
        }
    }
    Ok(())
}
