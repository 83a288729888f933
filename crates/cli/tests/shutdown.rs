//! Graceful shutdown of the whole binary against the simulator over HTTP:
//! SIGTERM or a second Ctrl-C stops a run within seconds, a first Ctrl-C
//! once the work in hand is done; either leaves nothing leased by the
//! stopped process, and the same command resumes the run to the end, each
//! repository fetched exactly once.

mod common;

use common::{
    assert_ok, command, fast_sim, run_cli, run_status, scalar_i64, send_signal,
    signal_and_wait_exit, sim, wait_until, Killer, HOST,
};
use mcp_survey_ghsim::synthetic;
use mcp_survey_ghsim::{FaultConfig, FaultKind, NamedFault, SimConfig};
use mcp_survey_store::testing::TestDb;
use mcp_survey_store::Store;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// How long a run may take to reach the point where it is signalled.
const START_WITHIN: Duration = Duration::from_secs(30);

/// How long a signalled run may take to exit.
const STOP_WITHIN: Duration = Duration::from_secs(5);

const FETCH_DONE: &str = "SELECT count(*) FROM jobs WHERE stage = 'fetch' AND state = 'done'";

/// One `mcp-survey run` as these tests start it: in the background to be
/// signalled, then again to the end.
struct SurveyRun<'a> {
    db: &'a str,
    cwd: &'a Path,
    name: &'a str,
    fetch_workers: Option<&'a str>,
    token: &'a str,
}

impl SurveyRun<'_> {
    fn command(&self, github: &str) -> Command {
        let mut args = vec!["run", "--name", self.name, "--out", "reports"];
        if let Some(n) = self.fetch_workers {
            args.extend(["--fetch-workers", n]);
        }
        let env = [("GITHUB_TOKENS", self.token)];
        command(self.db, github, self.cwd, &args, &env)
    }

    fn spawn(&self, github: &str) -> Killer {
        Killer::spawn(self.command(github))
    }

    /// The same command again, to the end: it succeeds, the run is
    /// finished and no repository was fetched twice.
    async fn resume(&self, github: &str, pool: &Store) {
        let resumed = run_cli(self.command(github)).await;
        assert_ok(&resumed, "the resumed run");
        assert_eq!(run_status(pool, self.name).await, "finished");
        let dup = scalar_i64(
            pool,
            "SELECT count(*) FROM (SELECT repository_id FROM snapshots GROUP BY 1 HAVING count(*) > 1) d",
        )
        .await;
        assert_eq!(dup, 0, "a repository was fetched twice");
    }
}

/// Jobs still running, or leased by the process `pid`.
async fn jobs_leased(pool: &Store, pid: u32) -> i64 {
    scalar_i64(
        pool,
        &format!(
            "SELECT count(*) FROM jobs WHERE state = 'running' OR (worker LIKE '{HOST}-{pid}:%' AND lease_until > now())"
        ),
    )
    .await
}

async fn stop_mid_fetch_then_resume(signal: &str, said: &str) {
    let db = TestDb::create().await.expect("test database");
    let pool = db.store.clone();
    let corpus = synthetic::generate(30, 11);
    // Every repository request hangs for a long time: fetch jobs stay running.
    let mut faults = FaultConfig {
        slow_delay: Duration::from_secs(60),
        ..FaultConfig::default()
    };
    for r in &corpus.repos {
        faults = faults.with_named(r.full_name(), NamedFault::always(FaultKind::Slow));
    }
    let fine = sim(corpus.clone(), fast_sim(None)).await;
    let slow = sim(
        corpus,
        SimConfig {
            faults,
            ..fast_sim(None)
        },
    )
    .await;
    let work = tempfile::tempdir().expect("tempdir");
    let name = format!("stop-{}", signal.trim_start_matches('-').to_lowercase());
    let run = SurveyRun {
        db: &db.url,
        cwd: work.path(),
        name: &name,
        fetch_workers: Some("4"),
        token: "ghp_shutdowntest",
    };
    // The harvest (which asks /repos/... for code-search hits) runs at
    // full speed; the run then resumes it against the slow simulator.
    let harvested = run_cli(command(
        &db.url,
        &fine.base_url(),
        work.path(),
        &["harvest", "--run", &name],
        &[("GITHUB_TOKENS", run.token)],
    ))
    .await;
    assert_ok(&harvested, "the harvest");
    let mut child = run.spawn(&slow.base_url());
    let pid = child.id();

    // Wait until fetch jobs are leased.
    wait_until(
        &mut child,
        &pool,
        "SELECT count(*) FROM jobs WHERE stage = 'fetch' AND state = 'running'",
        1,
        "a fetch job started",
        START_WITHIN,
    )
    .await;
    if signal == "-INT" {
        // The first Ctrl-C waits for the fetches in hand, which hang.
        send_signal(&child, signal);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            child.try_wait().expect("try_wait").is_none(),
            "the first Ctrl-C finishes the work in hand: {}",
            child.output()
        );
    }
    let signalled = Instant::now();
    let exit = signal_and_wait_exit(&mut child, signal, STOP_WITHIN).await;
    let stopped_in = signalled.elapsed();
    let out = child.output();
    assert!(
        !exit.success(),
        "an interrupted run is not a success: {out}"
    );
    if signal == "-INT" {
        assert_eq!(exit.code(), Some(130), "{out}");
        assert!(out.contains("finishing the work in hand"), "{out}");
    }
    assert!(!out.contains("panicked"), "{out}");
    assert!(out.contains(&format!("stopped by {said}")), "{out}");

    // Nothing stays leased by the dead process.
    let held_jobs = jobs_leased(&pool, pid).await;
    assert_eq!(held_jobs, 0, "jobs still leased after {signal}");
    let held_slices = scalar_i64(
        &pool,
        "SELECT count(*) FROM search_slices WHERE lease_until > now()",
    )
    .await;
    assert_eq!(held_slices, 0, "search slices still leased after {signal}");
    assert_eq!(run_status(&pool, &name).await, "running");
    slow.shutdown().await;

    // The same command resumes the run to the end, each repository once.
    run.resume(&fine.base_url(), &pool).await;
    let fetch_jobs = scalar_i64(&pool, "SELECT count(*) FROM jobs WHERE stage = 'fetch'").await;
    assert!(fetch_jobs > 10, "the run had work: {fetch_jobs}");
    let not_done = scalar_i64(&pool, "SELECT count(*) FROM jobs WHERE state <> 'done'").await;
    assert_eq!(not_done, 0, "every job is done");
    let fetched = scalar_i64(
        &pool,
        "SELECT count(*) FROM run_repositories WHERE fetch_status = 'fetched'",
    )
    .await;
    let snapshots = scalar_i64(&pool, "SELECT count(*) FROM snapshots").await;
    assert_eq!(fetched, snapshots, "one snapshot per fetched repository");
    let pending = scalar_i64(
        &pool,
        "SELECT count(*) FROM run_repositories WHERE fetch_status = 'pending'",
    )
    .await;
    assert_eq!(pending, 0);
    let unlabelled = scalar_i64(
        &pool,
        "SELECT count(*) FROM run_repositories rr WHERE rr.snapshot_id IS NOT NULL
         AND (SELECT count(*) FROM labels l WHERE l.snapshot_id = rr.snapshot_id) <> 1",
    )
    .await;
    assert_eq!(unlabelled, 0, "each snapshot labelled exactly once");
    eprintln!("{signal}: stopped in {:.2}s", stopped_in.as_secs_f64());
    fine.shutdown().await;
    drop(pool);
    db.drop_db().await.expect("drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_fetch_releases_every_lease_and_the_run_resumes_exactly_once() {
    stop_mid_fetch_then_resume("-TERM", "SIGTERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_mid_fetch_releases_every_lease_and_the_run_resumes_exactly_once() {
    stop_mid_fetch_then_resume("-INT", "Ctrl-C").await;
}

/// A signal while fetch workers are busy claiming and storing jobs (not all
/// stuck in one slow request): a job claimed around the signal must not stay
/// leased by the dead process, or the resumed run waits out its lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_jobs_churn_leaves_nothing_leased() {
    signal_while_jobs_churn("-TERM", "churn", 21).await;
}

/// One Ctrl-C while fetch workers are busy: they finish the jobs in hand,
/// take no more, and the run stops unfinished with nothing leased, telling
/// how to resume it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_ctrl_c_finishes_the_work_in_hand_and_the_run_resumes() {
    signal_while_jobs_churn("-INT", "ctrl-c", 29).await;
}

async fn signal_while_jobs_churn(signal: &str, name: &str, seed: u64) {
    let db = TestDb::create().await.expect("test database");
    let pool = db.store.clone();
    let corpus = synthetic::generate(150, seed);
    let fine = sim(corpus, fast_sim(None)).await;
    let work = tempfile::tempdir().expect("tempdir");
    let token = format!("ghp_{}test", name.replace('-', ""));
    let run = SurveyRun {
        db: &db.url,
        cwd: work.path(),
        name,
        fetch_workers: Some("8"),
        token: &token,
    };
    let mut child = run.spawn(&fine.base_url());
    let pid = child.id();
    wait_until(
        &mut child,
        &pool,
        FETCH_DONE,
        3,
        "3 fetch jobs were done",
        START_WITHIN,
    )
    .await;
    let total = scalar_i64(&pool, "SELECT count(*) FROM jobs WHERE stage = 'fetch'").await;
    let exit = signal_and_wait_exit(&mut child, signal, STOP_WITHIN).await;
    let out = child.output();
    let done = scalar_i64(&pool, FETCH_DONE).await;
    assert!(
        !exit.success() && done < total,
        "the signal came before the fetch ended ({done}/{total}): {out}"
    );
    assert!(!out.contains("panicked"), "{out}");
    let held = jobs_leased(&pool, pid).await;
    assert_eq!(held, 0, "jobs left leased by the stopped process: {out}");
    if signal == "-INT" {
        // A graceful stop: the fetches in hand ended, classify never began.
        assert_eq!(exit.code(), Some(130), "{out}");
        let resume = format!("resume with `mcp-survey run --name {name}`");
        assert!(out.contains(&resume), "{out}");
        assert_eq!(run_status(&pool, name).await, "running");
        let labels = scalar_i64(&pool, "SELECT count(*) FROM labels").await;
        assert_eq!(labels, 0, "classify did not start: {out}");
    }
    run.resume(&fine.base_url(), &pool).await;
    fine.shutdown().await;
    drop(pool);
    db.drop_db().await.expect("drop");
}

/// A signal while the harvest pages through search results: no search
/// slice stays leased, and the run resumes to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_the_harvest_leaves_no_slice_leased() {
    let db = TestDb::create().await.expect("test database");
    let pool = db.store.clone();
    let corpus = synthetic::generate(150, 23);
    // Search budgets refill 60 times faster than GitHub's: the harvest
    // takes a few seconds, long enough to be interrupted.
    let paced = sim(
        corpus,
        SimConfig {
            time_scale: 60.0,
            ..SimConfig::default()
        },
    )
    .await;
    let work = tempfile::tempdir().expect("tempdir");
    let run = SurveyRun {
        db: &db.url,
        cwd: work.path(),
        name: "harvest-stop",
        fetch_workers: None,
        token: "ghp_harveststop",
    };
    let mut child = run.spawn(&paced.base_url());
    let pid = child.id();
    wait_until(
        &mut child,
        &pool,
        "SELECT count(*) FROM search_slices WHERE pages_done > 0",
        2,
        "2 search slices had a page",
        START_WITHIN,
    )
    .await;
    signal_and_wait_exit(&mut child, "-TERM", STOP_WITHIN).await;
    let out = child.output();
    assert!(out.contains("stopped by SIGTERM"), "{out}");
    let fetch_jobs = scalar_i64(&pool, "SELECT count(*) FROM jobs").await;
    assert_eq!(fetch_jobs, 0, "the signal came during the harvest: {out}");
    let held = scalar_i64(
        &pool,
        &format!(
            "SELECT count(*) FROM search_slices WHERE lease_until > now() OR (state = 'paging' AND worker LIKE '{HOST}-{pid}:%' AND lease_until IS NOT NULL)"
        ),
    )
    .await;
    assert_eq!(held, 0, "search slices left leased: {out}");
    run.resume(&paced.base_url(), &pool).await;
    paced.shutdown().await;
    drop(pool);
    db.drop_db().await.expect("drop");
}
