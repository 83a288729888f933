//! The fetch's numbers: core requests per newly fetched repository, the cost
//! of a second snapshot after a week of changes, peak memory of the fetch
//! over huge repositories, throughput and where the time goes.

use crate::{cpu_seconds, peak_rss_kib, sim_client, with_db, BenchError, BENCH_TOKEN};
use mcp_survey_fetch::{fetch_run, FetchOptions, FetchStats};
use mcp_survey_ghsim::synthetic::{self, Churn, GenOptions};
use mcp_survey_ghsim::{serve, Corpus, SimConfig, SimHandle};
use mcp_survey_github::GithubClient;
use mcp_survey_harvest::{harvest, HarvestOptions, SeedFile, DEFAULT_SEEDS};
use mcp_survey_pipeline::open_run;
use mcp_survey_store::Store;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct FetchBenchOptions {
    pub repos: usize,
    pub seed: u64,
    /// Huge repositories added to the corpus (each `huge_bytes` of filler).
    pub huge: usize,
    pub huge_bytes: u64,
    /// What changes before the second snapshot (shares of the corpus).
    pub churn: Churn,
    pub workers: usize,
    /// Run the first fetch as `EXE --database-url .. --github-url ..
    /// bench fetch-child --run ..`, so that its peak memory is the fetch's
    /// alone and not the in-process simulator's. None: in-process.
    pub fetch_exe: Option<PathBuf>,
}

impl Default for FetchBenchOptions {
    fn default() -> Self {
        FetchBenchOptions {
            repos: 10_000,
            seed: 2025,
            huge: 3,
            huge_bytes: 500 * 1024 * 1024,
            // "A second snapshot where 10% of repositories changed".
            churn: Churn {
                changed: 0.1,
                removed: 0.0,
                added: 0.0,
            },
            workers: 8,
            fetch_exe: None,
        }
    }
}

/// What `bench fetch-child` prints: the fetch's statistics and what the
/// process that ran it used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FetchChildReport {
    pub stats: serde_json::Value,
    pub peak_rss_kib: Option<u64>,
    pub cpu_seconds: Option<f64>,
}

/// One harvest + fetch pass (one snapshot) and what it cost.
#[derive(Debug, Clone, Serialize)]
pub struct FetchPass {
    pub run: String,
    pub repositories_in_run: i64,
    pub harvest_seconds: f64,
    /// Requests the simulator counted during the harvest, by resource.
    pub harvest_counted: BTreeMap<String, u64>,
    pub harvest_not_modified: u64,
    pub fetch_seconds: f64,
    /// Requests the simulator counted during the fetch, by resource
    /// (`core` includes GET /repos/{o}/{r}/tarball; `archive` is the
    /// codeload download it redirects to, not under the REST limit).
    pub fetch_counted: BTreeMap<String, u64>,
    /// Requests during the fetch by endpoint (counted or not).
    pub fetch_by_endpoint: BTreeMap<String, u64>,
    pub fetch: serde_json::Value,
    pub newly_fetched: u64,
    pub reused: u64,
    /// fetch core / newly fetched (target ≤ 1.05).
    pub core_per_new_repository: f64,
    /// (harvest core + fetch core) / repositories in the run (second
    /// snapshot target ≤ 0.15).
    pub core_per_repository: f64,
    pub fetch_core_per_repository: f64,
    /// Newly fetched + reused repositories per second of the fetch.
    pub repositories_per_second: f64,
    pub fetch_peak_rss_mib: Option<f64>,
    pub fetch_cpu_seconds: Option<f64>,
    /// Whether the fetch ran in a process of its own.
    pub fetch_in_child_process: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FetchBench {
    pub corpus_repositories: usize,
    pub huge_repositories: usize,
    pub huge_bytes: u64,
    pub seed: u64,
    pub cores: usize,
    pub first: FetchPass,
    pub changed_repositories: usize,
    pub added_repositories: usize,
    pub removed_repositories: usize,
    pub second: FetchPass,
    /// Peak RSS of the benchmark process (simulator included).
    pub bench_process_peak_rss_mib: Option<f64>,
    pub elapsed_seconds: f64,
}

fn diff(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0).min(*v)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

fn core(m: &BTreeMap<String, u64>) -> u64 {
    m.get("core").copied().unwrap_or(0)
}

fn addr() -> Result<std::net::SocketAddr, BenchError> {
    "127.0.0.1:0"
        .parse()
        .map_err(|e| BenchError::Failed(format!("bad address: {e}")))
}

pub async fn bench_fetch(options: &FetchBenchOptions) -> Result<FetchBench, BenchError> {
    let started = Instant::now();
    let gen = GenOptions {
        huge: options.huge,
        huge_bytes: options.huge_bytes,
        hostile: false,
    };
    let corpus = synthetic::generate_with(options.repos, options.seed, &gen);
    let n = corpus.repos.len();
    let (evolved, changes) =
        synthetic::evolve_with(&corpus, options.seed.wrapping_add(1), &options.churn);
    let result = with_db(|db| async {
        let r = async {
            let (first, at) = snapshot_pass(
                &db.store,
                &db.url,
                corpus,
                "bench-fetch-1",
                addr()?,
                options,
            )
            .await?;
            // Same address as the week before, as api.github.com is: the
            // bodies (and so the ETags) name the API's URL.
            let (second, _) =
                snapshot_pass(&db.store, &db.url, evolved, "bench-fetch-2", at, options).await?;
            Ok::<_, BenchError>((first, second))
        }
        .await;
        (db, r)
    })
    .await;
    let (first, second) = result?;
    Ok(FetchBench {
        corpus_repositories: n,
        huge_repositories: options.huge,
        huge_bytes: options.huge_bytes,
        seed: options.seed,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        first,
        changed_repositories: changes.changed.len(),
        added_repositories: changes.added.len(),
        removed_repositories: changes.removed.len(),
        second,
        bench_process_peak_rss_mib: peak_rss_kib().map(|k| k as f64 / 1024.0),
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

/// Serves `corpus`, harvests it into a new run and fetches the run.
async fn snapshot_pass(
    store: &Store,
    db_url: &str,
    corpus: Corpus,
    run_name: &str,
    at: std::net::SocketAddr,
    options: &FetchBenchOptions,
) -> Result<(FetchPass, std::net::SocketAddr), BenchError> {
    let sim = serve(corpus, SimConfig::unthrottled(), at).await?;
    let bound = sim.local_addr();
    let out = pass_on(store, db_url, &sim, run_name, options).await;
    sim.shutdown().await;
    Ok((out?, bound))
}

async fn pass_on(
    store: &Store,
    db_url: &str,
    sim: &SimHandle,
    run_name: &str,
    options: &FetchBenchOptions,
) -> Result<FetchPass, BenchError> {
    let client = sim_client(&sim.base_url(), 1.0)?;
    let seeds = SeedFile::parse(DEFAULT_SEEDS, "seeds/github.toml (built in)")?;
    let (run, _) = open_run(store, Some(run_name), &sim.base_url()).await?;

    let s0 = sim.stats();
    let t = Instant::now();
    harvest(
        store,
        &client,
        run.id,
        &seeds,
        &HarvestOptions::new("bench"),
    )
    .await?;
    let harvest_seconds = t.elapsed().as_secs_f64();
    let s1 = sim.stats();

    let t = Instant::now();
    let (fetch, peak, cpu, child) = match &options.fetch_exe {
        Some(exe) => {
            let report = run_child(exe, db_url, &sim.base_url(), run_name, options.workers).await?;
            (report.stats, report.peak_rss_kib, report.cpu_seconds, true)
        }
        None => {
            let cpu0 = cpu_seconds();
            let stats = fetch_in_process(store, &client, run.id, options.workers).await?;
            let cpu = cpu_seconds().zip(cpu0).map(|(a, b)| a - b);
            (
                serde_json::to_value(&stats).unwrap_or_default(),
                peak_rss_kib(),
                cpu,
                false,
            )
        }
    };
    let fetch_seconds = t.elapsed().as_secs_f64();
    let s2 = sim.stats();

    let harvest_counted = diff(&s1.counted_by_resource, &s0.counted_by_resource);
    let fetch_counted = diff(&s2.counted_by_resource, &s1.counted_by_resource);
    let num = |k: &str| fetch.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let newly_fetched = num("fetched_tarball") + num("fetched_trees");
    let reused = num("reused");
    let repos = store.run_repository_count(run.id).await?;
    Ok(FetchPass {
        run: run_name.to_string(),
        repositories_in_run: repos,
        harvest_seconds,
        harvest_not_modified: s1.not_modified - s0.not_modified,
        fetch_seconds,
        core_per_new_repository: core(&fetch_counted) as f64 / newly_fetched.max(1) as f64,
        core_per_repository: (core(&harvest_counted) + core(&fetch_counted)) as f64
            / repos.max(1) as f64,
        fetch_core_per_repository: core(&fetch_counted) as f64 / repos.max(1) as f64,
        repositories_per_second: (newly_fetched + reused) as f64 / fetch_seconds.max(1e-9),
        fetch_by_endpoint: diff(&s2.requests_by_endpoint, &s1.requests_by_endpoint),
        harvest_counted,
        fetch_counted,
        fetch,
        newly_fetched,
        reused,
        fetch_peak_rss_mib: peak.map(|k| k as f64 / 1024.0),
        fetch_cpu_seconds: cpu,
        fetch_in_child_process: child,
    })
}

async fn fetch_in_process(
    store: &Store,
    client: &GithubClient,
    run_id: i64,
    workers: usize,
) -> Result<FetchStats, BenchError> {
    let mut o = FetchOptions::new("bench");
    o.workers = workers.max(1);
    let stats = fetch_run(store, client, run_id, &o).await?;
    Ok(stats)
}

async fn run_child(
    exe: &PathBuf,
    db_url: &str,
    github_url: &str,
    run: &str,
    workers: usize,
) -> Result<FetchChildReport, BenchError> {
    let out = tokio::process::Command::new(exe)
        .arg("--database-url")
        .arg(db_url)
        .arg("--no-progress")
        .args(["bench", "fetch-child", "--run", run, "--workers"])
        .arg(workers.to_string())
        .arg("--github-url")
        .arg(github_url)
        .env("GITHUB_TOKEN", BENCH_TOKEN)
        .env_remove("GITHUB_TOKENS")
        .stderr(std::process::Stdio::inherit())
        .output()
        .await
        .map_err(|source| BenchError::Io {
            what: format!("cannot start {} for the fetch", exe.display()),
            source,
        })?;
    if !out.status.success() {
        return Err(BenchError::Failed(format!(
            "the fetch process {} exited with {}; its error is above",
            exe.display(),
            out.status
        )));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        BenchError::Failed(format!(
            "the fetch process printed something other than its report ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
                .chars()
                .take(300)
                .collect::<String>()
        ))
    })
}

/// The body of `bench fetch-child`: fetches a run with a client tuned for
/// the simulator and reports the process's peak memory and CPU time.
pub async fn fetch_child(
    store: &Store,
    github_url: &str,
    run: &str,
    workers: usize,
) -> Result<FetchChildReport, BenchError> {
    let run = store.run_by_name(run).await?;
    let client = sim_client(github_url, 1.0)?;
    let stats = fetch_in_process(store, &client, run.id, workers).await?;
    Ok(FetchChildReport {
        stats: serde_json::to_value(&stats).unwrap_or_default(),
        peak_rss_kib: peak_rss_kib(),
        cpu_seconds: cpu_seconds(),
    })
}
