use super::{open_client_with, open_store, worker_id};
use crate::throwaway::ThrowawayPostgres;
use crate::{default_report_dir, ui, Cli, Command};
use anyhow::{bail, Context, Result};
use clap::Args;
use mcp_survey_ghsim::{serve, synthetic, SimConfig};
use mcp_survey_github::Token;
use mcp_survey_pipeline::RunOptions;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Repositories in the synthetic corpus.
    #[arg(long, default_value_t = 3000)]
    pub repos: usize,
    /// Seed of the synthetic corpus.
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Evolve the corpus this many weeks (each changes ~10% of it), to try snapshot comparisons.
    #[arg(long, default_value_t = 0)]
    pub week: u32,
    /// Shorten GitHub's rate-limit windows this many times (the simulator's headers say so; the client follows them).
    #[arg(long, default_value_t = 120.0)]
    pub time_scale: f64,
    /// Run (snapshot) name; default: demo-<UTC time>.
    #[arg(long, value_parser = super::stages::run_name)]
    pub name: Option<String>,
    /// Folder the report folder is written under.
    #[arg(long, default_value_os_t = default_report_dir())]
    pub out: PathBuf,
}

/// The demo's database when it must bring its own: the demo was asked for
/// with no database named (no --database-url, no DATABASE_URL) and nothing
/// answers where the default URL points. None otherwise, and for every
/// other command.
pub async fn database(cli: &Cli) -> Result<Option<ThrowawayPostgres>> {
    if !matches!(cli.command, Command::Demo(_)) || cli.database_url_given() {
        return Ok(None);
    }
    if ThrowawayPostgres::default_address_answers() {
        return Ok(None);
    }
    eprintln!("no Postgres answers on 127.0.0.1:5432: starting a throw-away one for the demo");
    super::latch_signals()?;
    let started = Instant::now();
    let pg = tokio::select! {
        pg = ThrowawayPostgres::start() => pg?,
        // Dropping the half-started cluster removes what it made.
        signal = super::shutdown_signal() => bail!(
            "stopped by {} while the throw-away Postgres started; it was removed again",
            signal?
        ),
    };
    eprintln!(
        "throw-away {} at {} in {} ({:.1}s); it is stopped and deleted when the demo ends",
        pg.version,
        mcp_survey_store::redact_url(&pg.url),
        pg.folder().display(),
        started.elapsed().as_secs_f64()
    );
    Ok(Some(pg))
}

pub async fn run(cli: &Cli, args: &DemoArgs) -> Result<()> {
    let started = Instant::now();
    let store = open_store(cli.database_url()).await?;
    let mut corpus = synthetic::generate(args.repos, args.seed);
    for week in 0..args.week {
        corpus = synthetic::evolve(&corpus, args.seed.wrapping_add(week as u64 + 1), 0.1).0;
    }
    let config = SimConfig {
        time_scale: args.time_scale,
        ..SimConfig::default()
    };
    let n = corpus.repos.len();
    let sim = serve(corpus, config, "127.0.0.1:0".parse()?)
        .await
        .context("cannot start the built-in GitHub simulator")?;
    eprintln!(
        "simulator: {n} synthetic repositories at {} (GitHub's limits, time x{})",
        sim.base_url(),
        args.time_scale
    );
    let client = open_client_with(&sim.base_url(), vec![Token::new("demo-token")], |c| {
        // The simulator's archive host has no undocumented throttle to be
        // polite to, and its secondary-limit windows are scaled too.
        c.archive_min_interval = Duration::ZERO;
        c.archive_concurrency = 8;
        c.secondary_min_wait = Duration::from_secs_f64((60.0 / args.time_scale).max(0.05));
        c.backoff_base = Duration::from_millis(50);
    })
    .await?;
    let name = args
        .name
        .clone()
        .unwrap_or_else(|| format!("demo-{}", chrono::Utc::now().format("%Y%m%dT%H%M%SZ")));
    let options = RunOptions {
        name: Some(name),
        seeds: super::stages::load_seeds(None)?,
        report_dir: args.out.clone(),
        worker_id: worker_id(),
        fetch_workers: 8,
        download: mcp_survey_fetch::DownloadLimits::default(),
        join: false,
        bars: ui::bar_factory(cli.no_progress),
        stop: mcp_survey_stage::CancellationToken::new(),
    };
    let outcome = super::stages::run_pipeline(&store, &client, &options).await?;
    let stats = sim.stats();
    sim.shutdown().await;
    super::stages::print_outcome(
        &outcome.report,
        stats.requests_total,
        "the simulator",
        started,
    );
    Ok(())
}
