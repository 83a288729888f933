//! The harvest's numbers: discovery recall against the uncapped truth, search
//! requests against the ideal, secondary-limit refusals and the busiest
//! rate-limit window (both from the simulator's own log), and kill/resume.

use crate::{run_repository_names, sim_client, with_db, BenchError};
use futures::FutureExt;
use mcp_survey_ghsim::{
    serve, synthetic, Corpus, FaultConfig, Limits, SearchOracle, SimConfig, SimStats,
};
use mcp_survey_github::GithubClient;
use mcp_survey_harvest::{harvest, HarvestOptions, HarvestStats, SeedFile, DEFAULT_SEEDS};
use mcp_survey_pipeline::open_run;
use mcp_survey_store::Store;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct HarvestBenchOptions {
    pub repos: usize,
    pub seed: u64,
    /// Every rate-limit window of the simulator is this many times shorter.
    pub time_scale: f64,
    /// Also run the harvest a second time, abort it mid-way, resume it, and
    /// compare with the uninterrupted run.
    pub kill_check: bool,
    /// Share of the uninterrupted run's search requests after which the
    /// interrupted run is killed.
    pub kill_at: f64,
    /// Slice lease of the harvests: after a kill, the slice that was being
    /// paged is taken up again once its lease expires.
    pub lease: Duration,
    /// Faults the simulator injects (e.g. `incomplete` and `short_page`
    /// search answers); none by default.
    pub faults: FaultConfig,
}

impl Default for HarvestBenchOptions {
    fn default() -> Self {
        HarvestBenchOptions {
            repos: 30_000,
            seed: 2025,
            time_scale: 200.0,
            kill_check: true,
            kill_at: 0.5,
            lease: Duration::from_secs(5),
            faults: FaultConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QueryTruth {
    pub name: String,
    pub endpoint: String,
    /// Repositories the bare seed query matches, uncapped.
    pub matches: usize,
    /// Pages an ideal harvester needs for it: ceil(matches / 100).
    pub ideal_pages: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub query: String,
    /// Results one unsliced query can reach (GitHub stops at 1,000).
    pub reachable: usize,
    /// Share of the union of all seed queries' matches.
    pub share: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RequestCounts {
    /// Counted by the simulator.
    pub search: u64,
    pub code_search: u64,
    pub search_total: u64,
    /// Core requests (repository look-ups for code-search hits).
    pub core: u64,
    /// Σ over seed queries of ceil(matches / 100).
    pub ideal_pages: u64,
    /// First pages of slices that came back over the cap and were split:
    /// the counting requests slicing needs (their hits are kept too).
    pub counting_requests: u64,
    /// 1.2 × ideal + counting: the harvest's request budget.
    pub budget: f64,
    pub within_budget: bool,
    /// (search_total - counting) / ideal.
    pub paging_over_ideal: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct WindowCheck {
    pub resource: String,
    /// Most counted requests in any sliding window (the simulator's log).
    pub max_in_window: u64,
    pub limit: u32,
    /// The window length in seconds after scaling.
    pub window_seconds: f64,
    pub within_limit: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct KillResume {
    /// Search requests (both endpoints) the simulator had counted when the
    /// harvest was killed.
    pub killed_after_requests: u64,
    pub resumed_slices_pending_at_kill: i64,
    pub same_repositories: bool,
    pub repositories: usize,
    pub missing: Vec<String>,
    pub extra: Vec<String>,
    pub search_requests_uninterrupted: u64,
    pub search_requests_killed_and_resumed: u64,
    /// Requests beyond the uninterrupted run: at most the pages that were in
    /// flight at the kill (answered but not stored, so legitimately asked
    /// again); a stored page is never asked again.
    pub repeated_requests: i64,
    pub pages_stored_uninterrupted: i64,
    pub pages_stored_killed_and_resumed: i64,
    pub elapsed_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct HarvestBench {
    pub corpus_repositories: usize,
    pub seed: u64,
    pub time_scale: f64,
    pub queries: Vec<QueryTruth>,
    pub oracle_union: usize,
    pub found_in_union: usize,
    pub found_total: usize,
    /// found_in_union / oracle_union (target ≥ 0.999).
    pub recall: f64,
    pub missed_sample: Vec<String>,
    pub one_query_baseline: Baseline,
    pub requests: RequestCounts,
    /// 403s for secondary limits, by resource (target: none).
    pub secondary_refusals: BTreeMap<String, u64>,
    pub primary_refusals: BTreeMap<String, u64>,
    pub windows: Vec<WindowCheck>,
    pub projected_seconds_one_token: f64,
    pub elapsed_seconds: f64,
    pub harvest: HarvestStats,
    pub kill_resume: Option<KillResume>,
}

/// What the seed queries match in the corpus, uncapped.
pub struct Truth {
    pub queries: Vec<QueryTruth>,
    pub union: BTreeSet<String>,
    pub largest: (String, usize),
}

pub fn truth(corpus: &Corpus, seeds: &SeedFile, config: &SimConfig) -> Result<Truth, BenchError> {
    let oracle = SearchOracle::for_config(corpus, config);
    let mut queries = Vec::new();
    let mut union = BTreeSet::new();
    let mut largest = (String::new(), 0);
    for q in &seeds.queries {
        let matches = oracle.matches(q.endpoint.as_str(), &q.q)?;
        if matches.len() > largest.1 {
            largest = (q.q.clone(), matches.len());
        }
        queries.push(QueryTruth {
            name: q.name.clone(),
            endpoint: q.endpoint.as_str().to_string(),
            matches: matches.len(),
            ideal_pages: (matches.len() as u64).div_ceil(100),
        });
        union.extend(matches);
    }
    Ok(Truth {
        queries,
        union,
        largest,
    })
}

fn search_requests(s: &SimStats) -> u64 {
    s.counted_by_resource.get("search").copied().unwrap_or(0)
        + s.counted_by_resource
            .get("code_search")
            .copied()
            .unwrap_or(0)
}

fn bench_seeds() -> Result<SeedFile, BenchError> {
    Ok(SeedFile::parse(
        DEFAULT_SEEDS,
        "seeds/github.toml (built in)",
    )?)
}

fn harvest_options(worker: &str, lease: Duration, time_scale: f64) -> HarvestOptions {
    let mut o = HarvestOptions::new(worker);
    o.lease = lease;
    // The wait before asking incomplete pages again, on the simulator's clock.
    o.recheck_delay = o.recheck_delay.div_f64(time_scale.max(1.0));
    o
}

async fn split_slices(store: &Store, run_id: i64) -> Result<i64, BenchError> {
    Ok(store.slice_counts(run_id).await?.split)
}

pub async fn bench_harvest(options: &HarvestBenchOptions) -> Result<HarvestBench, BenchError> {
    let started = Instant::now();
    let seeds = bench_seeds()?;
    let corpus = synthetic::generate(options.repos, options.seed);
    let n = corpus.repos.len();
    let config = SimConfig {
        time_scale: options.time_scale,
        faults: options.faults.clone(),
        ..SimConfig::default()
    };
    let truth = truth(&corpus, &seeds, &config)?;
    let limits = config.limits;
    let sim = serve(
        corpus.clone(),
        config.clone(),
        "127.0.0.1:0"
            .parse()
            .map_err(|e| BenchError::Failed(format!("bad address: {e}")))?,
    )
    .await?;
    let client = sim_client(&sim.base_url(), options.time_scale)?;

    let (sim_ref, client_ref, seeds_ref) = (&sim, &client, &seeds);
    let reference = with_db(|db| async move {
        let r = async {
            let (run, _) = open_run(&db.store, Some("bench-harvest"), &sim_ref.base_url()).await?;
            let h = harvest(
                &db.store,
                client_ref,
                run.id,
                seeds_ref,
                &harvest_options("bench", options.lease, options.time_scale),
            )
            .await?;
            let names = run_repository_names(&db.store, run.id).await?;
            let split = split_slices(&db.store, run.id).await?;
            let sim_stats = sim_ref.stats();
            Ok::<_, BenchError>((h, names, split, sim_stats))
        }
        .await;
        (db, r)
    })
    .await;
    sim.shutdown().await;
    let (stats, names, split, sim_stats) = reference?;

    let found_in_union = truth.union.iter().filter(|n| names.contains(*n)).count();
    let missed_sample = truth
        .union
        .iter()
        .filter(|n| !names.contains(*n))
        .take(20)
        .cloned()
        .collect();
    let union = truth.union.len().max(1);
    let ideal: u64 = truth.queries.iter().map(|q| q.ideal_pages).sum();
    let search_total = search_requests(&sim_stats);
    let counting = split as u64;
    let budget = 1.2 * ideal as f64 + counting as f64;
    let windows = window_checks(&sim_stats, &limits, options.time_scale);

    let kill_resume = if options.kill_check {
        Some(
            kill_and_resume(
                &corpus,
                options,
                search_total,
                &names,
                stats.slices.pages_done,
            )
            .await?,
        )
    } else {
        None
    };

    Ok(HarvestBench {
        corpus_repositories: n,
        seed: options.seed,
        time_scale: options.time_scale,
        oracle_union: truth.union.len(),
        found_in_union,
        found_total: names.len(),
        recall: found_in_union as f64 / union as f64,
        missed_sample,
        one_query_baseline: Baseline {
            query: truth.largest.0.clone(),
            reachable: truth.largest.1.min(1000),
            share: truth.largest.1.min(1000) as f64 / union as f64,
        },
        requests: RequestCounts {
            search: sim_stats
                .counted_by_resource
                .get("search")
                .copied()
                .unwrap_or(0),
            code_search: sim_stats
                .counted_by_resource
                .get("code_search")
                .copied()
                .unwrap_or(0),
            search_total,
            core: sim_stats
                .counted_by_resource
                .get("core")
                .copied()
                .unwrap_or(0),
            ideal_pages: ideal,
            counting_requests: counting,
            budget,
            within_budget: search_total as f64 <= budget,
            paging_over_ideal: search_total.saturating_sub(counting) as f64 / ideal.max(1) as f64,
        },
        secondary_refusals: sim_stats.secondary_refusals.clone(),
        primary_refusals: sim_stats.primary_refusals.clone(),
        windows,
        projected_seconds_one_token: stats.projected_seconds_one_token,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        queries: truth.queries,
        harvest: stats,
        kill_resume,
    })
}

fn window_checks(s: &SimStats, limits: &Limits, time_scale: f64) -> Vec<WindowCheck> {
    [
        ("search", limits.search),
        ("code_search", limits.code_search),
        ("core", limits.core),
    ]
    .into_iter()
    .map(|(name, limit)| {
        let max = s.max_in_window.get(name).copied().unwrap_or(0);
        WindowCheck {
            resource: name.to_string(),
            max_in_window: max,
            limit: limit.requests,
            window_seconds: limit.window.as_secs_f64() / time_scale,
            within_limit: max <= limit.requests as u64,
        }
    })
    .collect()
}

/// Harvests the same corpus into a fresh database, aborts the harvest once
/// the simulator has counted `kill_at` of the reference run's search
/// requests (the task is dropped mid-request, its open transaction rolled
/// back, as a killed process's would be), resumes it with another worker id,
/// and compares the outcome with the uninterrupted run.
pub async fn kill_and_resume(
    corpus: &Corpus,
    options: &HarvestBenchOptions,
    reference_requests: u64,
    reference_names: &BTreeSet<String>,
    reference_pages: i64,
) -> Result<KillResume, BenchError> {
    let started = Instant::now();
    let seeds = bench_seeds()?;
    let config = SimConfig {
        time_scale: options.time_scale,
        ..SimConfig::default()
    };
    let sim = serve(
        corpus.clone(),
        config,
        "127.0.0.1:0"
            .parse()
            .map_err(|e| BenchError::Failed(format!("bad address: {e}")))?,
    )
    .await?;
    let client = sim_client(&sim.base_url(), options.time_scale)?;
    let target = ((reference_requests as f64) * options.kill_at)
        .ceil()
        .max(1.0) as u64;
    let out = with_db(|db| async {
        let r = kill_resume_in(&db.store, &sim, &client, &seeds, options, target).await;
        (db, r)
    })
    .await;
    sim.shutdown().await;
    let (killed_after, pending_at_kill, names, total, pages) = out?;
    let missing: Vec<String> = reference_names
        .difference(&names)
        .take(20)
        .cloned()
        .collect();
    let extra: Vec<String> = names
        .difference(reference_names)
        .take(20)
        .cloned()
        .collect();
    Ok(KillResume {
        killed_after_requests: killed_after,
        resumed_slices_pending_at_kill: pending_at_kill,
        same_repositories: missing.is_empty() && extra.is_empty(),
        repositories: names.len(),
        missing,
        extra,
        search_requests_uninterrupted: reference_requests,
        search_requests_killed_and_resumed: total,
        repeated_requests: total as i64 - reference_requests as i64,
        pages_stored_uninterrupted: reference_pages,
        pages_stored_killed_and_resumed: pages,
        elapsed_seconds: started.elapsed().as_secs_f64(),
    })
}

type KillOutcome = (u64, i64, BTreeSet<String>, u64, i64);

async fn kill_resume_in(
    store: &Store,
    sim: &mcp_survey_ghsim::SimHandle,
    client: &GithubClient,
    seeds: &SeedFile,
    options: &HarvestBenchOptions,
    target: u64,
) -> Result<KillOutcome, BenchError> {
    let (run, _) = open_run(store, Some("bench-harvest-killed"), &sim.base_url()).await?;
    let first = {
        let store = store.clone();
        let client = client.clone();
        let seeds = seeds.clone();
        let opts = harvest_options("bench-first", options.lease, options.time_scale);
        let run_id = run.id;
        tokio::spawn(async move { harvest(&store, &client, run_id, &seeds, &opts).await }.boxed())
    };
    loop {
        if first.is_finished() || search_requests(&sim.stats()) >= target {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    if first.is_finished() {
        return Err(BenchError::Failed(
            "the harvest finished before it could be killed; use a larger corpus or a lower --time-scale".into(),
        ));
    }
    first.abort();
    let _ = first.await;
    let killed_after = search_requests(&sim.stats());
    let counts = store.slice_counts(run.id).await?;
    let pending = counts.pending + counts.paging;
    harvest(
        store,
        client,
        run.id,
        seeds,
        &harvest_options("bench-second", options.lease, options.time_scale),
    )
    .await?;
    let names = run_repository_names(store, run.id).await?;
    let pages = store.slice_counts(run.id).await?.pages_done;
    Ok((
        killed_after,
        pending,
        names,
        search_requests(&sim.stats()),
        pages,
    ))
}
