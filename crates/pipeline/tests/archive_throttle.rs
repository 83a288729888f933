//! Archive downloads have a budget of their own (GitHub throttles them with
//! 429s, for up to half an hour). When it is spent, archive downloads pause
//! and the affected repositories go through the trees API meanwhile: every
//! repository is still fetched, none waits out the throttle.

mod common;

use common::{client_for, run_with};
use mcp_survey_fetch::{fetch_run, FetchOptions};
use mcp_survey_ghsim::{serve, synthetic, Limit, SimConfig};
use mcp_survey_store::testing::TestDb;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spent_archive_budget_moves_the_rest_to_the_trees_api() {
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let corpus = synthetic::generate(60, 17);
    let metas: Vec<_> = corpus.repos.iter().map(|r| r.meta.clone()).collect();
    let mut config = SimConfig::default();
    // Five archives a minute at GitHub's own time scale: the throttle lasts
    // far longer than this test.
    config.limits.archive = Limit::per_minute(5);
    // The trees API's core requests are not what this test waits for.
    config.limits.core = Limit::per_hour(1_000_000);
    let sim = serve(
        Arc::new(corpus),
        config,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let client = client_for(&sim.base_url(), |c| {
        c.archive_concurrency = 4;
        // Two seconds stand for the default half minute: the budget's next
        // slot (12 s away at five a minute) is too far, so the trees API
        // takes over.
        c.archive_max_wait = Duration::from_secs(2);
    });
    let run_id = run_with(&db.store, "throttled", &sim.base_url(), &metas).await;
    let mut options = FetchOptions::new("throttle-test");
    options.workers = 4;
    let stats = tokio::time::timeout(
        Duration::from_secs(20),
        fetch_run(&db.store, &client, run_id, &options),
    )
    .await
    .expect("the fetch does not wait for the archive throttle to end")
    .expect("fetch");

    let non_forks = metas.iter().filter(|m| !m.fork).count() as u64;
    assert_eq!(
        stats.fetched_tarball + stats.fetched_trees + stats.gone,
        non_forks,
        "every repository fetched one way or the other: {stats:?}"
    );
    assert_eq!(stats.failed, 0, "{stats:?}");
    assert!(
        stats.fetched_tarball <= 5,
        "no more archives than the throttle allows: {stats:?}"
    );
    assert!(
        stats.fetched_trees >= non_forks - 5 - stats.gone,
        "the rest came through the trees API: {stats:?}"
    );
    let sim_stats = sim.stats();
    let refused: u64 = sim_stats
        .primary_refusals
        .get("archive")
        .copied()
        .unwrap_or(0);
    // The simulator announces its archive budget, so the client stops at
    // the budget instead of meeting 429s (GitHub's codeload, which says
    // nothing, answers 429 first: the client pauses then as well).
    assert!(
        refused <= 4,
        "archive downloads stop at the budget, not hammered: {refused} refused; {:?}",
        sim_stats.primary_refusals
    );
    let empty: i64 = db
        .store
        .inspect_one(
            "SELECT count(*) FROM snapshots WHERE method = 'trees' AND file_count = 0",
            &[],
        )
        .await
        .expect("count");
    assert_eq!(empty, 0, "trees snapshots hold the wanted files");
    sim.shutdown().await;
    db.drop_db().await.expect("drop test database");
}
