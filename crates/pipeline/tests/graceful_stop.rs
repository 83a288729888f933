//! A stop asked for in the middle of the fetch: the fetch finishes the
//! repositories in hand and takes no more, classify does not start, the run
//! stays unfinished with nothing leased, and running it again finishes it
//! with the labels of a run never stopped.

mod common;

use common::client_for;
use mcp_survey_ghsim::{serve, synthetic, Corpus, SimConfig, SimHandle};
use mcp_survey_harvest::{SeedFile, DEFAULT_SEEDS};
use mcp_survey_pipeline::{run_pipeline, BarFactory, PipelineError, RunOptions};
use mcp_survey_stage::{CancellationToken, Progress};
use mcp_survey_store::testing::TestDb;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const RUN: &str = "graceful";

/// A fetch bar that asks for the stop once `after` repositories are done.
#[derive(Debug)]
struct StopAfter {
    done: AtomicU64,
    after: u64,
    stop: CancellationToken,
}

impl Progress for StopAfter {
    fn set_length(&self, _: u64) {}
    fn set_position(&self, _: u64) {}
    fn inc(&self, delta: u64) {
        if self.done.fetch_add(delta, Ordering::SeqCst) + delta >= self.after {
            self.stop.cancel();
        }
    }
    fn inc_length(&self, _: u64) {}
    fn finish(&self) {}
}

fn options(reports: &std::path::Path, worker_id: &str, bars: BarFactory) -> RunOptions {
    RunOptions {
        name: Some(RUN.to_string()),
        seeds: SeedFile::parse(DEFAULT_SEEDS, "seeds").expect("seeds"),
        report_dir: reports.to_path_buf(),
        worker_id: worker_id.into(),
        fetch_workers: 4,
        download: Default::default(),
        join: false,
        bars,
        stop: CancellationToken::new(),
    }
}

async fn simulator(corpus: Arc<Corpus>) -> SimHandle {
    let config = SimConfig {
        time_scale: 600.0,
        ..SimConfig::default()
    };
    serve(corpus, config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator")
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct Labelled {
    full_name: String,
    fetch_status: String,
    kind: Option<String>,
    auth_methods: Option<Vec<String>>,
}

async fn labelled(db: &TestDb) -> Vec<Labelled> {
    db.store
        .inspect(
            "SELECT full_name, fetch_status, kind, auth_methods FROM run_labels
             WHERE run_name = $1 ORDER BY full_name",
            &[RUN.into()],
        )
        .await
        .expect("labels")
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    db.store.inspect_one(sql, &[]).await.expect(sql)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_mid_fetch_leaves_a_resumable_run_with_the_same_labels() {
    let corpus = Arc::new(synthetic::generate(120, 17));

    // The reference: the same corpus, never stopped.
    let whole_db = TestDb::create().await.expect("test database");
    let whole_sim = simulator(corpus.clone()).await;
    let whole_reports = tempfile::tempdir().expect("tempdir");
    let whole = options(
        whole_reports.path(),
        "whole",
        mcp_survey_pipeline::hidden_bars(),
    );
    let client = client_for(&whole_sim.base_url(), |_| {});
    run_pipeline(&whole_db.store, &client, &whole)
        .await
        .expect("the run never stopped");
    let expected = labelled(&whole_db).await;

    let db = TestDb::create().await.expect("test database");
    let sim = simulator(corpus).await;
    let reports = tempfile::tempdir().expect("tempdir");
    let stop = CancellationToken::new();
    let bar = Arc::new(StopAfter {
        done: AtomicU64::new(0),
        after: 5,
        stop: stop.clone(),
    });
    let bars: BarFactory = Arc::new(move |stage| -> Arc<dyn Progress> {
        if stage == "fetch" {
            bar.clone()
        } else {
            mcp_survey_stage::hidden()
        }
    });
    let mut stopping = options(reports.path(), "stopper", bars);
    stopping.stop = stop;
    let client = client_for(&sim.base_url(), |_| {});
    match run_pipeline(&db.store, &client, &stopping).await {
        Err(PipelineError::Stopped { run, stage }) => {
            assert_eq!((run.as_str(), stage), (RUN, "fetch"));
        }
        other => panic!("expected a stop during the fetch, got {other:?}"),
    }

    assert_eq!(
        db.store.run_status_by_name(RUN).await.expect("status"),
        "running"
    );
    let total = count(&db, "SELECT count(*) FROM jobs WHERE stage = 'fetch'").await;
    let done = count(
        &db,
        "SELECT count(*) FROM jobs WHERE stage = 'fetch' AND state IN ('done', 'failed')",
    )
    .await;
    assert!(
        (5..total).contains(&done),
        "stopped after the 5th fetch with work left: {done} of {total} done"
    );
    // The repositories in hand were finished: nothing stays leased.
    let leased = count(&db, "SELECT count(*) FROM jobs WHERE state = 'running'").await;
    assert_eq!(leased, 0, "jobs left leased by the stopped run");
    let slices = count(
        &db,
        "SELECT count(*) FROM search_slices WHERE lease_until > now()",
    )
    .await;
    assert_eq!(slices, 0, "search slices left leased");
    assert_eq!(
        count(&db, "SELECT count(*) FROM labels").await,
        0,
        "classify did not start"
    );

    // The same run again, by another process: it finishes.
    let resumed = options(
        reports.path(),
        "resumer",
        mcp_survey_pipeline::hidden_bars(),
    );
    let outcome = run_pipeline(&db.store, &client, &resumed)
        .await
        .expect("the resumed run");
    assert!(outcome.resumed);
    assert_eq!(
        db.store.run_status_by_name(RUN).await.expect("status"),
        "finished"
    );
    assert_eq!(
        labelled(&db).await,
        expected,
        "the labels of an unstopped run"
    );
    for (repo, n) in &sim.stats().tarball_downloads {
        assert_eq!(*n, 1, "{repo} downloaded {n} times");
    }
    sim.shutdown().await;
    whole_sim.shutdown().await;
}
