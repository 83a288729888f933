//! `mcp-survey bench harvest|fetch|classify|chaos`: the measurements in
//! BENCHMARKS.md against an in-process simulator, each in throw-away databases on
//! the Postgres server named by MCP_SURVEY_TEST_DATABASE_URL (default: the
//! local one). The work is in the `mcp-survey-bench` crate.

use super::open_store;
use crate::Cli;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use mcp_survey_bench::{
    bench_chaos, bench_classify, bench_fetch, bench_harvest, fetch_child, ChaosOptions,
    ClassifyBenchOptions, FetchBenchOptions, FetchPass, HarvestBenchOptions,
};
use mcp_survey_ghsim::synthetic::Churn;

#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub what: BenchCommand,
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Harvest the seed queries from a synthetic corpus under GitHub's caps: recall, requests vs ideal, limits, kill/resume.
    Harvest(HarvestBenchArgs),
    /// Fetch a synthetic corpus (with huge repositories), then a second snapshot after a week of changes.
    Fetch(FetchBenchArgs),
    /// Classify stored snapshots: repositories and megabytes per second.
    Classify(ClassifyBenchArgs),
    /// Whole runs as separate processes under injected faults, SIGKILLs in every stage, and several processes sharing one run; each compared with an undisturbed run.
    Chaos(ChaosBenchArgs),
    /// Check the error-corrected shares by simulation: seeded trials with a known prevalence and confusion, an audit drawn by `audit draw`'s sampler; coverage of the corrected 95% interval and mean absolute errors.
    Estimator(EstimatorBenchArgs),
    /// Internal: the fetch half of `bench fetch`, in a process of its own.
    #[command(hide = true)]
    FetchChild(FetchChildArgs),
}

#[derive(Args, Debug)]
pub struct EstimatorBenchArgs {
    /// Seeded trials.
    #[arg(long, default_value_t = 100)]
    pub trials: usize,
    /// Servers in each trial's population.
    #[arg(long, default_value_t = 2000)]
    pub population: usize,
    /// True share of the figure.
    #[arg(long, default_value_t = 0.6)]
    pub prevalence: f64,
    /// Chance the classifier finds the figure where it is.
    #[arg(long, default_value_t = 0.8)]
    pub sensitivity: f64,
    /// Chance the classifier rejects the figure where it is not.
    #[arg(long, default_value_t = 0.9)]
    pub specificity: f64,
    /// Repositories in each trial's audit sample.
    #[arg(long, default_value_t = 200)]
    pub audit: usize,
    /// Bootstrap replicates per interval.
    #[arg(long, default_value_t = mcp_survey_report::correction::BOOTSTRAP_REPLICATES)]
    pub replicates: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print the full result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct HarvestBenchArgs {
    /// Repositories in the synthetic corpus.
    #[arg(long, default_value_t = 30_000)]
    pub synthetic: usize,
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Shorten every rate-limit window this many times.
    #[arg(long, default_value_t = 200.0)]
    pub time_scale: f64,
    /// Skip the kill/resume check (it harvests everything a second time).
    #[arg(long)]
    pub no_kill_check: bool,
    /// Inject one fault kind at a rate into the harvest's simulator, e.g.
    /// `incomplete=0.1` or `short_page=0.1`; repeatable.
    #[arg(long = "fault", value_name = "KIND=RATE", value_parser = super::sim::parse_fault_rate)]
    pub faults: Vec<(mcp_survey_ghsim::FaultKind, f64)>,
    /// Print the full result as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct FetchBenchArgs {
    /// Repositories in the synthetic corpus.
    #[arg(long, default_value_t = 10_000)]
    pub synthetic: usize,
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Huge repositories added to the corpus.
    #[arg(long, default_value_t = 3)]
    pub huge: usize,
    /// Size of each huge repository, MiB.
    #[arg(long, default_value_t = 500)]
    pub huge_mib: u64,
    /// Accepted for symmetry; the fetch benchmark runs unthrottled.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Concurrent fetch workers.
    #[arg(long, default_value_t = 8)]
    pub workers: usize,
    /// Share of the repositories changed before the second snapshot.
    #[arg(long, default_value_t = 0.1)]
    pub changed: f64,
    /// Share of the corpus added (new repositories) before the second snapshot.
    #[arg(long, default_value_t = 0.0)]
    pub added: f64,
    /// Share of the corpus deleted before the second snapshot.
    #[arg(long, default_value_t = 0.0)]
    pub removed: f64,
    /// Fetch in this process instead of a child (peak memory then includes the simulator).
    #[arg(long)]
    pub in_process: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ClassifyBenchArgs {
    /// Repositories generated and fetched before classifying their snapshots.
    #[arg(long, default_value_t = 20_000)]
    pub synthetic: usize,
    #[arg(long, default_value_t = 2025)]
    pub seed: u64,
    /// Accepted for symmetry; classification asks GitHub nothing.
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ChaosBenchArgs {
    /// Repositories in the synthetic corpus.
    #[arg(long, default_value_t = 2000)]
    pub synthetic: usize,
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Share of requests answered with a transient fault in the chaos run.
    #[arg(long, default_value_t = 0.05)]
    pub fault_rate: f64,
    /// Repositories answering 404, 451 and 409 (each) in the chaos run.
    #[arg(long, default_value_t = 3)]
    pub gone_each: usize,
    /// SIGKILLs in the crash runs: rounds of one kill in each of harvest, fetch, classify and report.
    #[arg(long, default_value_t = 12)]
    pub crashes: usize,
    /// Processes sharing the scale-out run.
    #[arg(long, default_value_t = 3)]
    pub processes: usize,
    /// Shorten every rate-limit window this many times.
    #[arg(long, default_value_t = 600.0)]
    pub time_scale: f64,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct FetchChildArgs {
    #[arg(long)]
    pub run: String,
    /// The simulator to fetch from.
    #[arg(long)]
    pub github_url: String,
    #[arg(long, default_value_t = 8)]
    pub workers: usize,
}

pub async fn run(cli: &Cli, args: &BenchArgs) -> Result<()> {
    match &args.what {
        BenchCommand::Harvest(a) => harvest(a).await,
        BenchCommand::Fetch(a) => fetch(a).await,
        BenchCommand::Classify(a) => classify(a).await,
        BenchCommand::Chaos(a) => chaos(a).await,
        BenchCommand::Estimator(a) => estimator(a),
        BenchCommand::FetchChild(a) => {
            let store = open_store(cli.database_url()).await?;
            let report = fetch_child(&store, &a.github_url, &a.run, a.workers).await?;
            println!("{}", serde_json::to_string(&report)?);
            Ok(())
        }
    }
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

async fn harvest(a: &HarvestBenchArgs) -> Result<()> {
    let options = HarvestBenchOptions {
        repos: a.synthetic,
        seed: a.seed,
        time_scale: a.time_scale,
        kill_check: !a.no_kill_check,
        faults: a
            .faults
            .iter()
            .fold(mcp_survey_ghsim::FaultConfig::default(), |f, (k, r)| {
                f.with_rate(*k, *r)
            }),
        ..HarvestBenchOptions::default()
    };
    let b = bench_harvest(&options)
        .await
        .context("the harvest benchmark failed")?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&b)?);
        return Ok(());
    }
    let r = &b.requests;
    println!(
        "corpus {} repositories (seed {}), time x{}",
        b.corpus_repositories, b.seed, b.time_scale
    );
    println!(
        "discovery recall: {} ({} of {} matched by some seed query; {} in the run)",
        pct(b.recall),
        b.found_in_union,
        b.oracle_union,
        b.found_total
    );
    println!(
        "one-query baseline: {} ({} reachable of {:?})",
        pct(b.one_query_baseline.share),
        b.one_query_baseline.reachable,
        b.one_query_baseline.query
    );
    println!(
        "search requests: {} (search {}, code {}); ideal {} pages + {} counting = budget {:.0} (1.2 x ideal + counting): {}",
        r.search_total,
        r.search,
        r.code_search,
        r.ideal_pages,
        r.counting_requests,
        r.budget,
        if r.within_budget { "within" } else { "OVER" }
    );
    println!("core requests (code-hit look-ups): {}", r.core);
    let c = &b.harvest.search_completeness;
    println!(
        "search answers: {} incomplete, {} short; {} pages asked again; {} still incomplete",
        c.incomplete_pages, c.short_pages, c.pages_retried, c.unresolved_pages
    );
    println!("secondary-limit refusals: {:?}", b.secondary_refusals);
    for w in &b.windows {
        println!(
            "max {} requests in any {:.2}s window: {} (limit {}){}",
            w.resource,
            w.window_seconds,
            w.max_in_window,
            w.limit,
            if w.within_limit { "" } else { " OVER" }
        );
    }
    println!(
        "projected on GitHub with one token: {:.0}s; elapsed here {:.1}s",
        b.projected_seconds_one_token, b.elapsed_seconds
    );
    if let Some(k) = &b.kill_resume {
        println!(
            "kill/resume: killed after {} search requests; same repositories: {} ({}); requests {} vs {} uninterrupted ({:+}); pages stored {} vs {}",
            k.killed_after_requests,
            k.same_repositories,
            k.repositories,
            k.search_requests_killed_and_resumed,
            k.search_requests_uninterrupted,
            k.repeated_requests,
            k.pages_stored_killed_and_resumed,
            k.pages_stored_uninterrupted
        );
    }
    Ok(())
}

fn print_pass(label: &str, p: &FetchPass) {
    println!(
        "{label}: {} repositories in run {}; {} fetched, {} reused in {:.1}s ({:.1} repos/s)",
        p.repositories_in_run,
        p.run,
        p.newly_fetched,
        p.reused,
        p.fetch_seconds,
        p.repositories_per_second
    );
    println!(
        "  core requests: fetch {:?}, harvest {:?}; {:.3} per newly fetched, {:.3} per repository (harvest + fetch)",
        p.fetch_counted, p.harvest_counted, p.core_per_new_repository, p.core_per_repository
    );
    if let Some(rss) = p.fetch_peak_rss_mib {
        println!(
            "  fetch peak RSS {:.1} MiB ({}), CPU {:.1}s",
            rss,
            if p.fetch_in_child_process {
                "fetch process alone"
            } else {
                "simulator included"
            },
            p.fetch_cpu_seconds.unwrap_or(0.0)
        );
    }
    if let Some(phases) = p.fetch.get("phases") {
        println!("  worker-seconds by phase: {phases}");
    }
}

async fn fetch(a: &FetchBenchArgs) -> Result<()> {
    let exe = if a.in_process {
        None
    } else {
        Some(std::env::current_exe().context("cannot find this program's path to run the fetch")?)
    };
    let options = FetchBenchOptions {
        repos: a.synthetic,
        seed: a.seed,
        huge: a.huge,
        huge_bytes: a.huge_mib * 1024 * 1024,
        workers: a.workers.max(1),
        fetch_exe: exe,
        churn: Churn {
            changed: a.changed,
            added: a.added,
            removed: a.removed,
        },
    };
    let b = bench_fetch(&options)
        .await
        .context("the fetch benchmark failed")?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&b)?);
        return Ok(());
    }
    println!(
        "corpus {} repositories incl. {} of {} MiB (seed {}), {} cores",
        b.corpus_repositories,
        b.huge_repositories,
        b.huge_bytes / (1024 * 1024),
        b.seed,
        b.cores
    );
    print_pass("first snapshot", &b.first);
    println!(
        "evolved: {} changed, {} added, {} removed",
        b.changed_repositories, b.added_repositories, b.removed_repositories
    );
    print_pass("second snapshot", &b.second);
    Ok(())
}

async fn classify(a: &ClassifyBenchArgs) -> Result<()> {
    let options = ClassifyBenchOptions {
        repos: a.synthetic,
        seed: a.seed,
        workers: None,
    };
    let b = bench_classify(&options)
        .await
        .context("the classify benchmark failed")?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&b)?);
        return Ok(());
    }
    println!(
        "classified {} snapshots in {:.1}s with {} workers on {} cores: {:.0} repos/s, {:.1} MB/s (classifier alone {:.1} worker-s); 20,000 would take {:.0}s",
        b.snapshots,
        b.seconds,
        b.workers,
        b.cores,
        b.repositories_per_second,
        b.megabytes_per_second,
        b.classifier_seconds,
        b.projected_seconds_for_20000
    );
    Ok(())
}

async fn chaos(a: &ChaosBenchArgs) -> Result<()> {
    if !(0.0..=1.0).contains(&a.fault_rate) {
        anyhow::bail!("--fault-rate must be between 0 and 1, got {}", a.fault_rate);
    }
    let exe = std::env::current_exe().context("cannot find this program's path to run it")?;
    let mut options = ChaosOptions::new(exe);
    options.repos = a.synthetic;
    options.seed = a.seed;
    options.fault_rate = a.fault_rate;
    options.gone_each = a.gone_each;
    options.crashes = a.crashes;
    options.processes = a.processes.max(1);
    options.time_scale = a.time_scale;
    let b = bench_chaos(&options)
        .await
        .context("the chaos benchmark failed")?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&b)?);
    } else {
        println!(
            "corpus {} repositories (seed {}); clean run {:.1}s, {} repositories, {} labelled, {} requests",
            b.corpus_repositories, b.seed, b.clean.seconds, b.clean.repositories, b.clean.labelled, b.clean.requests
        );
        let c = &b.chaos;
        println!(
            "chaos (fault rate {}): {:.1}s ({:.2}× the clean run), {} requests, {} faults injected {:?}",
            c.fault_rate, c.seconds, c.overhead, c.requests, c.faults_total, c.faults_injected
        );
        println!(
            "  gone on GitHub: {} named, {} recorded as gone, {} left out by the harvest (look-up answered gone); labels lost {}, mismatches {}",
            c.gone_named,
            c.gone_recorded_as_gone,
            c.gone_left_out_by_harvest,
            c.integrity.labels_lost,
            c.integrity.mismatches.len()
        );
        println!(
            "  hostile archives: {} named, {} recorded as failed, fetched with a note, or fetched by trees while archives were paused",
            c.hostile_named, c.hostile_recorded
        );
        for (name, outcome) in &c.hostile {
            println!("    {name}: {outcome}");
        }
        let k = &b.crash;
        println!(
            "crash: {} SIGKILLs over {} starts in {} fresh databases, {:.1}s; labels lost {}, mismatches {}, duplicate snapshots {}, half-written {}",
            k.kills,
            k.starts,
            k.rounds,
            k.seconds,
            k.integrity.labels_lost,
            k.integrity.mismatches.len(),
            k.integrity.duplicate_snapshots,
            k.integrity.half_written_snapshots
        );
        println!(
            "  search pages: {} vs {} in the clean run ({:+}; {} kills during the harvest)",
            k.search_requests,
            b.clean.search_requests,
            k.search_requests_over_clean,
            k.kills_in_harvest
        );
        for p in &k.points {
            println!(
                "  target {:<8} killed in {:<14} after {:.2}s",
                p.target_stage,
                p.killed_in.as_deref().unwrap_or("(finished first)"),
                p.after_seconds
            );
        }
        let s = &b.scale_out;
        println!(
            "scale-out: {} processes ({} did work) in {:.1}s; {} downloads, {} repositories downloaded twice, {} jobs claimed twice; mismatches {}",
            s.processes,
            s.processes_that_worked,
            s.seconds,
            s.downloads,
            s.downloaded_twice.len(),
            s.jobs_claimed_twice,
            s.integrity.mismatches.len()
        );
        for m in c
            .integrity
            .mismatches
            .iter()
            .chain(&k.integrity.mismatches)
            .chain(&s.integrity.mismatches)
            .take(20)
        {
            println!("  mismatch: {m}");
        }
    }
    if !b.passed() {
        anyhow::bail!("the chaos benchmark found lost, duplicated or changed results (see above)");
    }
    Ok(())
}

fn estimator(a: &EstimatorBenchArgs) -> Result<()> {
    for (name, v) in [
        ("prevalence", a.prevalence),
        ("sensitivity", a.sensitivity),
        ("specificity", a.specificity),
    ] {
        if !(0.0..=1.0).contains(&v) {
            anyhow::bail!("--{name} must be between 0 and 1, not {v}");
        }
    }
    if a.trials == 0 || a.population == 0 || a.audit == 0 {
        anyhow::bail!("--trials, --population and --audit must be at least 1");
    }
    let spec = mcp_survey_report::correction::SimulationSpec {
        trials: a.trials,
        population: a.population,
        prevalence: a.prevalence,
        sensitivity: a.sensitivity,
        specificity: a.specificity,
        audit: a.audit,
        replicates: a.replicates,
        seed: a.seed,
    };
    let started = std::time::Instant::now();
    let r = mcp_survey_report::correction::simulate(&spec);
    let seconds = started.elapsed().as_secs_f64();
    if a.json {
        let mut v = serde_json::to_value(&r)?;
        v["seconds"] = serde_json::json!(seconds);
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    println!(
        "{} trials: {} servers each, prevalence {}, sensitivity {}, specificity {}, audit of {} (stratified by prediction), {} bootstrap replicates, seed {}",
        a.trials, a.population, a.prevalence, a.sensitivity, a.specificity, a.audit, a.replicates, a.seed
    );
    println!(
        "corrected 95% interval held the true share in {} of {} trials (correction defined in {}); mean width {:.1} points",
        r.covered,
        a.trials,
        r.corrected_trials,
        r.mean_ci_width * 100.0
    );
    println!(
        "corrected 95% interval held the generating prevalence {} in {} of {}",
        a.prevalence, r.covered_prevalence, a.trials
    );
    println!(
        "raw Wilson interval held the true share in {} of {}",
        r.raw_covered, a.trials
    );
    println!(
        "mean absolute error: raw {:.2} points, corrected {:.2} points",
        r.mae_raw * 100.0,
        r.mae_corrected * 100.0
    );
    println!("{seconds:.1}s");
    Ok(())
}
