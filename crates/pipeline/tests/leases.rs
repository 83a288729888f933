//! Leases under slow work: a fetch that outlives its lease keeps it by
//! renewal, so a second worker never fetches the same repository again; the
//! classify stage stores each verdict once across competing workers.

mod common;

use common::{client_for, run_with};
use mcp_survey_fetch::{fetch_run, FetchOptions};
use mcp_survey_ghsim::{serve, synthetic, FaultConfig, FaultKind, NamedFault, SimConfig};
use mcp_survey_pipeline::{classify_run, ClassifyOptions};
use mcp_survey_store::testing::TestDb;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetch_longer_than_its_lease_is_not_taken_over() {
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let corpus = synthetic::generate(30, 5);
    let slow = corpus
        .repos
        .iter()
        .find(|r| !r.meta.fork)
        .expect("a non-fork repository")
        .meta
        .clone();
    let metas: Vec<_> = corpus.repos.iter().map(|r| r.meta.clone()).collect();
    let mut faults =
        FaultConfig::default().with_named(&slow.full_name, NamedFault::always(FaultKind::Slow));
    // Several lease lengths pass while the slow repository downloads.
    faults.slow_delay = Duration::from_millis(1200);
    let config = SimConfig {
        faults,
        ..SimConfig::unthrottled()
    };
    let sim = serve(
        Arc::new(corpus),
        config,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let client = client_for(&sim.base_url(), |_| {});
    let run_id = run_with(&db.store, "leases", &sim.base_url(), &metas).await;

    let options = |process: &str| {
        let mut o = FetchOptions::new(process);
        o.workers = 2;
        o.lease = Duration::from_millis(600);
        o
    };
    let (oa, ob) = (options("process-a"), options("process-b"));
    let (a, b) = tokio::join!(
        fetch_run(&db.store, &client, run_id, &oa),
        fetch_run(&db.store, &client, run_id, &ob),
    );
    let (a, b) = (a.expect("process a"), b.expect("process b"));
    let stats = sim.stats();
    assert_eq!(
        stats.tarball_downloads.get(&slow.full_name).copied(),
        Some(1),
        "the slow repository was downloaded once, not taken over: {:?}",
        stats.tarball_downloads.get(&slow.full_name)
    );
    let non_forks = metas.iter().filter(|m| !m.fork).count() as u64;
    assert_eq!(
        a.fetched_tarball + a.fetched_trees + a.gone + b.fetched_tarball + b.fetched_trees + b.gone,
        non_forks,
        "each repository fetched by exactly one process"
    );

    // Two classify processes: one label per snapshot, every job done.
    let mut ca = ClassifyOptions::new("classify-a");
    ca.batch = 4;
    let mut cb = ClassifyOptions::new("classify-b");
    cb.batch = 4;
    let (la, lb) = tokio::join!(
        classify_run(&db.store, run_id, &ca),
        classify_run(&db.store, run_id, &cb),
    );
    let (la, lb) = (la.expect("classify a"), lb.expect("classify b"));
    let labels: i64 = db
        .store
        .inspect_one("SELECT count(*) FROM labels", &[])
        .await
        .expect("labels");
    let snapshots: i64 = db
        .store
        .inspect_one(
            "SELECT count(DISTINCT snapshot_id) FROM run_repositories WHERE snapshot_id IS NOT NULL",
            &[],
        )
        .await
        .expect("snapshots");
    assert_eq!(labels, snapshots, "one label per snapshot");
    assert_eq!(
        (la.classified + lb.classified) as i64,
        snapshots,
        "each snapshot classified by exactly one process"
    );
    sim.shutdown().await;
    db.drop_db().await.expect("drop test database");
}
