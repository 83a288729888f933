//! The whole pipeline over real HTTP against the simulator, into a fresh
//! database, checked against the synthetic corpus's own ground truth.

mod common;

use common::client_for;
use mcp_survey_ghsim::{serve, synthetic, Corpus, SearchOracle, SimConfig};
use mcp_survey_harvest::{SeedFile, DEFAULT_SEEDS};
use mcp_survey_model::{AuthMethod, Kind};
use mcp_survey_pipeline::{run_pipeline, RunOptions};
use mcp_survey_store::testing::TestDb;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

fn options(name: &str, reports: &std::path::Path) -> RunOptions {
    RunOptions {
        name: Some(name.to_string()),
        seeds: SeedFile::parse(DEFAULT_SEEDS, "seeds").expect("seeds"),
        report_dir: reports.to_path_buf(),
        worker_id: "test".into(),
        fetch_workers: 4,
        download: Default::default(),
        join: false,
        bars: mcp_survey_pipeline::hidden_bars(),
        stop: Default::default(),
    }
}

/// The repositories any seed query matches, uncapped: what a perfect
/// harvest finds.
fn expected_repositories(
    corpus: &Corpus,
    seeds: &SeedFile,
    config: &SimConfig,
) -> BTreeSet<String> {
    let oracle = SearchOracle::for_config(corpus, config);
    let mut all = BTreeSet::new();
    for q in &seeds.queries {
        all.extend(
            oracle
                .matches(q.endpoint.as_str(), &q.q)
                .expect("valid seed query"),
        );
    }
    all
}

#[derive(Debug, PartialEq, serde::Deserialize)]
struct RunRow {
    full_name: String,
    fetch_status: String,
    snapshot_id: Option<i64>,
    kind: Option<String>,
    auth_methods: Option<Vec<String>>,
}

async fn run_rows(db: &TestDb, run: &str) -> Vec<RunRow> {
    db.store
        .inspect(
            "SELECT full_name, fetch_status, snapshot_id, kind, auth_methods FROM run_labels
             WHERE run_name = $1 ORDER BY full_name",
            &[run.into()],
        )
        .await
        .expect("query")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_finds_fetches_and_labels_every_repository_once() {
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let corpus = Arc::new(synthetic::generate(400, 11));
    let seeds = SeedFile::parse(DEFAULT_SEEDS, "seeds").expect("seeds");
    let config = SimConfig {
        time_scale: 600.0,
        ..SimConfig::default()
    };
    let expected = expected_repositories(&corpus, &seeds, &config);
    assert!(
        expected.len() > 250,
        "the corpus is mostly reachable: {}",
        expected.len()
    );
    let sim = serve(corpus.clone(), config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator");
    let client = client_for(&sim.base_url(), |_| {});
    let reports = tempfile::tempdir().expect("tempdir");

    let first = run_pipeline(&db.store, &client, &options("first", reports.path()))
        .await
        .expect("first run");
    assert!(!first.resumed);
    assert!(first.report.markdown.exists());

    // Discovery: exactly the repositories the seed queries match, each once.
    let rows = run_rows(&db, "first").await;
    let found: BTreeSet<String> = rows.iter().map(|r| r.full_name.clone()).collect();
    assert_eq!(rows.len(), found.len(), "no repository twice");
    let missing: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    assert!(
        missing.is_empty(),
        "harvest lost {} repositories: {missing:?}",
        missing.len()
    );
    assert!(extra.is_empty(), "harvest invented repositories: {extra:?}");

    // Fetch: every non-fork repository fetched exactly once, each snapshot labelled once.
    let truth: BTreeMap<&str, &mcp_survey_ghsim::SimRepo> = corpus
        .repos
        .iter()
        .map(|r| (r.meta.full_name.as_str(), r))
        .collect();
    let forks = rows
        .iter()
        .filter(|r| truth[r.full_name.as_str()].meta.fork)
        .count();
    let excluded = rows.iter().filter(|r| r.fetch_status == "excluded").count();
    assert_eq!(excluded, forks);
    let fetched: Vec<_> = rows
        .iter()
        .filter(|r| r.fetch_status == "fetched")
        .collect();
    assert_eq!(
        fetched.len() + excluded,
        rows.len(),
        "every other repository fetched: {:?}",
        rows.iter()
            .filter(|r| r.fetch_status != "fetched" && r.fetch_status != "excluded")
            .collect::<Vec<_>>()
    );
    assert!(
        fetched
            .iter()
            .all(|r| r.snapshot_id.is_some() && r.kind.is_some()),
        "fetched means labelled"
    );
    let stats = sim.stats();
    for r in &fetched {
        assert_eq!(
            stats.tarball_downloads.get(&r.full_name).copied(),
            Some(1),
            "{} downloaded once",
            r.full_name
        );
    }
    let snapshots: i64 = db
        .store
        .inspect_one("SELECT count(*) FROM snapshots", &[])
        .await
        .expect("snapshots");
    let labels: i64 = db
        .store
        .inspect_one("SELECT count(*) FROM labels", &[])
        .await
        .expect("labels");
    assert_eq!(snapshots as usize, fetched.len());
    assert_eq!(labels as usize, fetched.len());

    // Against the corpus's true labels: the plumbing loses nothing, so the
    // counts differ only by classifier error, which is small on this corpus.
    let true_servers = fetched
        .iter()
        .filter(|r| {
            truth[r.full_name.as_str()]
                .truth
                .as_ref()
                .is_some_and(|t| t.labels.kind == Kind::Server)
        })
        .count();
    let predicted_servers = fetched
        .iter()
        .filter(|r| r.kind.as_deref() == Some("server"))
        .count();
    assert_eq!(
        first.report.summary_value.headline.servers as usize,
        predicted_servers
    );
    let tolerance = |n: usize| (n as f64 * 0.1).ceil() as usize + 3;
    assert!(
        predicted_servers.abs_diff(true_servers) <= tolerance(true_servers),
        "servers: predicted {predicted_servers}, true {true_servers}"
    );
    for method in [
        AuthMethod::ApiKey,
        AuthMethod::Pat,
        AuthMethod::Oauth,
        AuthMethod::Basic,
    ] {
        let truth_n = fetched
            .iter()
            .filter(|r| {
                truth[r.full_name.as_str()].truth.as_ref().is_some_and(|t| {
                    t.labels.kind == Kind::Server && t.labels.auth_methods.contains(&method)
                })
            })
            .count();
        let predicted_n = fetched
            .iter()
            .filter(|r| r.kind.as_deref() == Some("server"))
            .filter(|r| {
                r.auth_methods
                    .as_ref()
                    .is_some_and(|m| m.iter().any(|x| x == method.as_str()))
            })
            .count();
        assert!(
            predicted_n.abs_diff(truth_n) <= tolerance(truth_n),
            "{method}: predicted {predicted_n}, true {truth_n}"
        );
    }

    // A second run is a new snapshot; the first run's rows stay as they were.
    let before = run_rows(&db, "first").await;
    let second = run_pipeline(&db.store, &client, &options("second", reports.path()))
        .await
        .expect("second run");
    assert_ne!(second.run.id, first.run.id);
    assert_eq!(run_rows(&db, "first").await, before, "first run untouched");
    let second_rows = run_rows(&db, "second").await;
    assert_eq!(second_rows.len(), rows.len());
    // Nothing changed on GitHub: every snapshot is reused, no archive downloaded again.
    assert_eq!(second.fetch.fetched_tarball, 0);
    assert_eq!(
        second_rows
            .iter()
            .filter(|r| r.fetch_status == "reused")
            .count(),
        fetched.len()
    );
    let after = sim.stats();
    assert_eq!(
        after.tarball_downloads.values().sum::<u64>(),
        stats.tarball_downloads.values().sum::<u64>(),
        "the second run downloaded no archive"
    );
    let snapshots_after: i64 = db
        .store
        .inspect_one("SELECT count(*) FROM snapshots", &[])
        .await
        .expect("count");
    assert_eq!(
        snapshots_after, snapshots,
        "no new snapshot for unchanged repositories"
    );

    sim.shutdown().await;
    db.drop_db().await.expect("drop test database");
}
