//! Reliability under faults, crashes and concurrency: the whole pipeline, as
//! real `mcp-survey run` processes, against the simulator, compared with an
//! undisturbed run of the same corpus.
//!
//! - chaos: transient faults on every endpoint at a set rate, plus named
//!   repositories that answer 404, 451 or 409 for good, and one repository
//!   of each hostile archive fault (NUL paths, a trickle, empty deflate
//!   blocks, a flat archive, two top folders, a redirect to `file://`);
//! - crash: the process is killed with SIGKILL in each stage in turn
//!   (harvest, fetch, classify, report) and started again;
//! - scale-out: several processes share one run from the start.
//!
//! Every scenario gets its own database and simulator, so the simulator's
//! counts (downloads per repository, faults injected) belong to it alone.

mod scenario;

use crate::{BenchError, BENCH_TOKEN};
use mcp_survey_ghsim::synthetic;
use mcp_survey_ghsim::{
    serve, Corpus, FaultConfig, FaultKind, NamedFault, Rng, SimConfig, SimHandle,
};
use mcp_survey_store::testing::TestDb;
use mcp_survey_store::Store;
use scenario::{run_table, Scenario};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ChaosOptions {
    /// The `mcp-survey` binary whose `run` is exercised.
    pub exe: PathBuf,
    pub repos: usize,
    pub seed: u64,
    /// Share of requests answered with a transient fault in the chaos run.
    pub fault_rate: f64,
    /// Repositories made to answer 404, 451 and 409 (each) in the chaos run.
    pub gone_each: usize,
    /// SIGKILLs in the crash scenario, cycling through the stages.
    pub crashes: usize,
    /// Processes sharing the scale-out run.
    pub processes: usize,
    /// The simulator's rate-limit windows are this many times shorter.
    pub time_scale: f64,
    /// Longest a single `mcp-survey run` may take before the bench gives up.
    pub timeout: Duration,
}

impl ChaosOptions {
    pub fn new(exe: PathBuf) -> Self {
        ChaosOptions {
            exe,
            repos: 2000,
            seed: 7,
            fault_rate: 0.05,
            gone_each: 3,
            crashes: 12,
            processes: 3,
            time_scale: 600.0,
            timeout: Duration::from_secs(600),
        }
    }
}

/// One repository of a finished run as the comparison sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepoOutcome {
    pub fetch_status: String,
    pub labels: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Integrity {
    /// Repositories of the clean run missing or unlabelled here (not gone).
    pub labels_lost: usize,
    /// Repositories with different labels or status than the clean run.
    pub mismatches: Vec<String>,
    /// More than one snapshot of a repository at the same pushed_at.
    pub duplicate_snapshots: i64,
    /// Snapshots whose file list is shorter or longer than they claim.
    pub half_written_snapshots: i64,
    /// Repositories the run left pending or failed.
    pub unfinished_repositories: i64,
    /// Jobs not done (queued, running, failed) when the run ended.
    pub open_jobs: i64,
    /// The report's summary.json says the run finished.
    pub report_complete: bool,
}

impl Integrity {
    /// Adds another database's findings to these.
    pub fn absorb(&mut self, other: Integrity) {
        self.labels_lost += other.labels_lost;
        self.mismatches.extend(other.mismatches);
        self.duplicate_snapshots += other.duplicate_snapshots;
        self.half_written_snapshots += other.half_written_snapshots;
        self.unfinished_repositories += other.unfinished_repositories;
        self.open_jobs += other.open_jobs;
        self.report_complete &= other.report_complete;
    }

    pub fn is_clean(&self) -> bool {
        self.labels_lost == 0
            && self.mismatches.is_empty()
            && self.duplicate_snapshots == 0
            && self.half_written_snapshots == 0
            && self.unfinished_repositories == 0
            && self.open_jobs == 0
            && self.report_complete
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CleanRun {
    pub seconds: f64,
    pub repositories: usize,
    pub labelled: usize,
    pub requests: u64,
    /// Search and code-search requests (one per page).
    pub search_requests: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChaosRun {
    pub fault_rate: f64,
    pub seconds: f64,
    /// Chaos run time over clean run time.
    pub overhead: f64,
    pub requests: u64,
    pub faults_injected: BTreeMap<String, u64>,
    pub faults_total: u64,
    /// Repositories named to answer 404/451/409, and how the run recorded
    /// them: fetch status "gone", or never added (a code-search hit whose
    /// repository look-up already answered 404 is not part of the run).
    pub gone_named: usize,
    pub gone_recorded_as_gone: usize,
    pub gone_left_out_by_harvest: usize,
    /// Repositories given a hostile archive, and how the run recorded each
    /// ("kind: status by method (note)"); recorded = failed, fetched with a
    /// note, or fetched through the trees API without meeting the archive
    /// (archive downloads were paused by injected 429s meanwhile).
    pub hostile: BTreeMap<String, String>,
    pub hostile_named: usize,
    pub hostile_recorded: usize,
    pub integrity: Integrity,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrashPoint {
    pub target_stage: String,
    /// The stage the database showed when the SIGKILL was sent; None when the
    /// process finished before reaching the target.
    pub killed_in: Option<String>,
    pub after_seconds: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CrashRun {
    /// Fresh databases the kills were spread over (one kill per stage each).
    pub rounds: usize,
    pub points: Vec<CrashPoint>,
    pub kills: usize,
    /// Search pages requested over all starts, and how many more than the
    /// clean run (a page in flight at a SIGKILL was never stored and is
    /// asked again: at most one per kill during the harvest).
    pub search_requests: u64,
    pub search_requests_over_clean: i64,
    pub kills_in_harvest: usize,
    pub starts: usize,
    pub seconds: f64,
    pub integrity: Integrity,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScaleOutRun {
    pub processes: usize,
    pub seconds: f64,
    /// Archive downloads counted by the simulator, and repositories
    /// downloaded more than once (must be 0).
    pub downloads: u64,
    pub downloaded_twice: Vec<String>,
    /// Fetch or classify jobs claimed more than once (must be 0).
    pub jobs_claimed_twice: i64,
    /// Distinct processes that completed jobs.
    pub processes_that_worked: i64,
    pub integrity: Integrity,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChaosBench {
    pub corpus_repositories: usize,
    pub seed: u64,
    pub clean: CleanRun,
    pub chaos: ChaosRun,
    pub crash: CrashRun,
    pub scale_out: ScaleOutRun,
}

impl ChaosBench {
    /// Everything the reliability requirements ask for held.
    pub fn passed(&self) -> bool {
        self.chaos.integrity.is_clean()
            && self.chaos.gone_recorded_as_gone + self.chaos.gone_left_out_by_harvest
                == self.chaos.gone_named
            && self.chaos.hostile_recorded == self.chaos.hostile_named
            && self.crash.integrity.is_clean()
            && self.scale_out.integrity.is_clean()
            && self.scale_out.downloaded_twice.is_empty()
            && self.scale_out.jobs_claimed_twice == 0
    }
}

pub async fn bench_chaos(options: &ChaosOptions) -> Result<ChaosBench, BenchError> {
    let corpus = synthetic::generate(options.repos, options.seed);
    let work = std::env::temp_dir().join(format!("mcp-survey-chaos-{}", std::process::id()));
    let result = scenarios(options, &corpus, &work).await;
    let _ = std::fs::remove_dir_all(&work);
    result
}

async fn scenarios(
    options: &ChaosOptions,
    corpus: &Corpus,
    work: &Path,
) -> Result<ChaosBench, BenchError> {
    // Clean: the reference every other scenario is compared with.
    let s = Scenario::start(options, corpus, FaultConfig::default(), work, "clean").await?;
    let r = clean_scenario(&s).await;
    s.finish().await;
    let (clean_table, clean) = r?;

    // Chaos: transient faults everywhere, some repositories gone for good.
    let named = pick_gone(options, &clean_table);
    let hostile = pick_hostile(options, &clean_table, &named);
    // Search answers with items missing (incomplete or short pages) at the
    // same rate: the harvest must ask again and lose nothing.
    let mut faults = FaultConfig::uniform(options.fault_rate)
        .with_rate(FaultKind::Incomplete, options.fault_rate)
        .with_rate(FaultKind::ShortPage, options.fault_rate);
    faults.slow_delay = Duration::from_millis(300);
    faults.seed = options.seed;
    for (name, kind) in named.iter().chain(&hostile) {
        faults = faults.with_named(name, NamedFault::always(*kind));
    }
    let s = Scenario::start(options, corpus, faults, work, "chaos").await?;
    let r = chaos_scenario(&s, &clean_table, &clean, &named, &hostile).await;
    s.finish().await;
    let chaos = r?;

    let crash = crash_rounds(options, corpus, work, &clean_table, &clean).await?;

    let s = Scenario::start(options, corpus, FaultConfig::default(), work, "scale").await?;
    let r = scale_out_scenario(&s, &clean_table).await;
    s.finish().await;
    let scale_out = r?;

    Ok(ChaosBench {
        corpus_repositories: corpus.repos.len(),
        seed: options.seed,
        clean,
        chaos,
        crash,
        scale_out,
    })
}

type Table = BTreeMap<String, RepoOutcome>;

async fn clean_scenario(s: &Scenario<'_>) -> Result<(Table, CleanRun), BenchError> {
    let t = Instant::now();
    s.run_to_end("clean", "clean").await?;
    let seconds = t.elapsed().as_secs_f64();
    let table = run_table(&s.store, "clean").await?;
    let labelled = table.values().filter(|o| o.labels.is_some()).count();
    let stats = s.sim.stats();
    let clean = CleanRun {
        seconds,
        repositories: table.len(),
        labelled,
        requests: stats.requests_total,
        search_requests: search_requests(&stats),
    };
    if labelled == 0 {
        return Err(BenchError::Failed(
            "the clean run labelled no repository: nothing to compare".into(),
        ));
    }
    Ok((table, clean))
}

/// Labelled repositories of the clean run made to answer 404, 451 and 409.
fn pick_gone(options: &ChaosOptions, clean: &Table) -> BTreeMap<String, FaultKind> {
    let mut rng = Rng::new(options.seed ^ 0xc4a0_5000);
    let mut candidates: Vec<&String> = clean
        .iter()
        .filter(|(_, o)| o.labels.is_some())
        .map(|(name, _)| name)
        .collect();
    let mut named = BTreeMap::new();
    for kind in [
        FaultKind::NotFound,
        FaultKind::Unavailable,
        FaultKind::Empty,
        FaultKind::Blocked,
    ] {
        for _ in 0..options.gone_each {
            if candidates.is_empty() {
                break;
            }
            let i = rng.below(candidates.len() as u64) as usize;
            named.insert(candidates.swap_remove(i).clone(), kind);
        }
    }
    named
}

/// One labelled repository of the clean run, not among `gone`, per hostile
/// archive fault.
fn pick_hostile(
    options: &ChaosOptions,
    clean: &Table,
    gone: &BTreeMap<String, FaultKind>,
) -> BTreeMap<String, FaultKind> {
    let mut rng = Rng::new(options.seed ^ 0x0dd_a4c1);
    let mut candidates: Vec<&String> = clean
        .iter()
        .filter(|(name, o)| o.labels.is_some() && !gone.contains_key(*name))
        .map(|(name, _)| name)
        .collect();
    let mut hostile = BTreeMap::new();
    for kind in FaultKind::ARCHIVE {
        if candidates.is_empty() {
            break;
        }
        let i = rng.below(candidates.len() as u64) as usize;
        hostile.insert(candidates.swap_remove(i).clone(), *kind);
    }
    hostile
}

async fn chaos_scenario(
    s: &Scenario<'_>,
    clean_table: &Table,
    clean: &CleanRun,
    named: &BTreeMap<String, FaultKind>,
    hostile: &BTreeMap<String, FaultKind>,
) -> Result<ChaosRun, BenchError> {
    let t = Instant::now();
    s.run_to_end("chaos", "chaos").await?;
    let seconds = t.elapsed().as_secs_f64();
    let table = run_table(&s.store, "chaos").await?;
    // Gone repositories must be recorded as gone; hostile ones are checked
    // on their own below, and left out of the comparison.
    let gone: BTreeSet<String> = named.keys().cloned().collect();
    let excused: BTreeSet<String> = hostile.keys().cloned().collect();
    let integrity = s
        .integrity_excusing("chaos", clean_table, &table, &gone, &excused)
        .await?;
    let notes = hostile_notes(&s.store, "chaos").await?;
    let mut hostile_report = BTreeMap::new();
    let mut hostile_recorded = 0;
    for (name, kind) in hostile {
        let status = table
            .get(name)
            .map(|o| o.fetch_status.as_str())
            .unwrap_or("missing");
        let (note, method) = notes.get(name).cloned().unwrap_or_default();
        let noted = note.as_deref().is_some_and(|n| !n.is_empty());
        let by_trees = method.as_deref() == Some("trees");
        if status == "failed" && noted || status == "fetched" && (noted || by_trees) {
            hostile_recorded += 1;
        }
        hostile_report.insert(
            name.clone(),
            format!(
                "{}: {status} by {} ({})",
                kind.as_str(),
                method.unwrap_or_else(|| "-".into()),
                note.unwrap_or_default()
            ),
        );
    }
    let stats = s.sim.stats();
    let recorded = named
        .keys()
        .filter(|name| table.get(*name).is_some_and(|o| o.fetch_status == "gone"))
        .count();
    let left_out = named
        .keys()
        .filter(|name| !table.contains_key(*name))
        .count();
    Ok(ChaosRun {
        fault_rate: s.options.fault_rate,
        seconds,
        overhead: seconds / clean.seconds.max(1e-9),
        requests: stats.requests_total,
        faults_total: stats.faults_injected.values().sum(),
        faults_injected: stats.faults_injected,
        gone_named: named.len(),
        gone_recorded_as_gone: recorded,
        gone_left_out_by_harvest: left_out,
        hostile_named: hostile.len(),
        hostile_recorded,
        hostile: hostile_report,
        integrity,
    })
}

/// The `fetch_note` and snapshot method of each repository of a run.
type NoteAndMethod = (Option<String>, Option<String>);

async fn hostile_notes(
    store: &Store,
    run: &str,
) -> Result<BTreeMap<String, NoteAndMethod>, BenchError> {
    Ok(store
        .fetch_notes(run)
        .await?
        .into_iter()
        .map(|r| (r.full_name, (r.fetch_note, r.method)))
        .collect())
}

/// SIGKILLs in rounds: each round is a fresh database and simulator whose
/// run is killed once in each stage, in order, at a random moment inside the
/// stage, and restarted each time; the round's final database is compared
/// with the clean run's.
async fn crash_rounds(
    options: &ChaosOptions,
    corpus: &Corpus,
    work: &Path,
    clean_table: &Table,
    clean: &CleanRun,
) -> Result<CrashRun, BenchError> {
    let t = Instant::now();
    let mut rng = Rng::new(options.seed ^ 0xdead);
    let mut crash = CrashRun {
        rounds: 0,
        points: Vec::new(),
        kills: 0,
        search_requests: 0,
        search_requests_over_clean: 0,
        kills_in_harvest: 0,
        starts: 0,
        seconds: 0.0,
        integrity: Integrity {
            report_complete: true,
            ..Integrity::default()
        },
    };
    let stages = ["harvest", "fetch", "classify", "report"];
    while crash.points.len() < options.crashes {
        crash.rounds += 1;
        let name = format!("crash-{}", crash.rounds);
        let s = Scenario::start(options, corpus, FaultConfig::default(), work, &name).await?;
        let r = async {
            for target in stages.iter().take(options.crashes - crash.points.len()) {
                crash.starts += 1;
                let point = s.kill_in_stage("crash", target, clean, &mut rng).await?;
                let finished = point.killed_in.is_none();
                crash.points.push(point);
                if finished && s.finished_and_reported("crash").await? {
                    break;
                }
            }
            if !s.finished_and_reported("crash").await? {
                crash.starts += 1;
                s.run_to_end("crash", &format!("{name}-last")).await?;
            }
            let table = run_table(&s.store, "crash").await?;
            let integrity = s
                .integrity("crash", clean_table, &table, &BTreeSet::new())
                .await?;
            crash.integrity.absorb(integrity);
            let searched = search_requests(&s.sim.stats());
            crash.search_requests += searched;
            crash.search_requests_over_clean += searched as i64 - clean.search_requests as i64;
            Ok::<_, BenchError>(())
        }
        .await;
        s.finish().await;
        r?;
    }
    crash.kills = crash
        .points
        .iter()
        .filter(|p| p.killed_in.is_some())
        .count();
    crash.kills_in_harvest = crash
        .points
        .iter()
        .filter(|p| p.killed_in.as_deref() == Some("harvest"))
        .count();
    crash.seconds = t.elapsed().as_secs_f64();
    Ok(crash)
}

async fn scale_out_scenario(
    s: &Scenario<'_>,
    clean_table: &Table,
) -> Result<ScaleOutRun, BenchError> {
    let t = Instant::now();
    let processes = s.options.processes.max(1);
    let mut children = Vec::new();
    for p in 0..processes {
        children.push(s.spawn_with("scale", &format!("scale-{p}"), &["--join"])?);
    }
    for child in children {
        s.wait(child).await?;
    }
    let seconds = t.elapsed().as_secs_f64();
    let table = run_table(&s.store, "scale").await?;
    let integrity = s
        .integrity("scale", clean_table, &table, &BTreeSet::new())
        .await?;
    let stats = s.sim.stats();
    let downloaded_twice = stats
        .tarball_downloads
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(name, n)| format!("{name} ({n}×)"))
        .collect();
    // A claim adds one to attempts: a job claimed once has attempts = 1.
    let claims = s.store.claim_counts("scale").await?;
    let (claimed_twice, workers) = (claims.claimed_twice, claims.processes);
    Ok(ScaleOutRun {
        processes,
        seconds,
        downloads: stats.tarball_downloads.values().sum(),
        downloaded_twice,
        jobs_claimed_twice: claimed_twice,
        processes_that_worked: workers,
        integrity,
    })
}

fn search_requests(stats: &mcp_survey_ghsim::SimStats) -> u64 {
    ["search", "code_search"]
        .iter()
        .filter_map(|r| stats.counted_by_resource.get(*r))
        .sum()
}
