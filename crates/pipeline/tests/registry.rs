//! The MCP registry as a second source, against the simulator's registry
//! over real HTTP: every repository a registry lists that exists on GitHub
//! is found (also those no seed query matches), both sources are recorded
//! where both found a repository, a later run asks only for what changed,
//! transient faults change no stored entry, and the report's tables agree
//! with queries/*.sql.

mod common;

use common::client_for;
use mcp_survey_ghsim::synthetic::registry::{registry_only_names, with_registry, RegistryGen};
use mcp_survey_ghsim::{
    serve_with_registry, synthetic, Corpus, FaultConfig, Registry, SearchOracle, SimConfig,
};
use mcp_survey_harvest::repo_url::{parse_repo_url, RepoUrl};
use mcp_survey_harvest::{harvest, HarvestOptions, HarvestStats, SeedFile, DEFAULT_SEEDS};
use mcp_survey_pipeline::{open_run, run_pipeline, RunOptions};
use mcp_survey_store::testing::TestDb;
use mcp_survey_store::StoredRegistryEntry;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

/// The shipped seeds without the registry's politeness pause (the
/// simulator's registry has a limit of its own).
fn seeds() -> SeedFile {
    let text = DEFAULT_SEEDS.replace("min_interval_ms = 500", "min_interval_ms = 0");
    SeedFile::parse(&text, "seeds").expect("seeds")
}

fn corpus_with_registry(n: usize, seed: u64) -> (Corpus, Corpus, Registry) {
    let plain = synthetic::generate(n, seed);
    let (corpus, registry) = with_registry(plain.clone(), seed, &RegistryGen::with_share(0.3));
    (plain, corpus, registry)
}

fn config() -> SimConfig {
    SimConfig {
        time_scale: 600.0,
        ..SimConfig::default()
    }
}

/// OWNER/NAME (lower case) of every repository the registry's latest
/// entries name that the corpus holds: what a perfect second source finds.
fn live_registry_repositories(corpus: &Corpus, registry: &Registry) -> BTreeSet<String> {
    registry
        .entries
        .iter()
        .filter(|e| e.is_latest && e.status != "deleted")
        .filter_map(|e| e.server.pointer("/repository/url").and_then(Value::as_str))
        .filter_map(|url| match parse_repo_url(url) {
            Some(RepoUrl::Github(r)) => Some(r.full_name),
            _ => None,
        })
        .filter(|name| corpus.get(name).is_some())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_finds_what_search_cannot_and_the_report_says_so() {
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let (plain, corpus, registry) = corpus_with_registry(300, 7);
    let hidden = registry_only_names(&plain, &corpus);
    assert_eq!(hidden.len(), 6);
    let seeds = seeds();
    let oracle = SearchOracle::for_config(&corpus, &config());
    for q in &seeds.queries {
        let matched = oracle.matches(q.endpoint.as_str(), &q.q).expect("query");
        for name in &hidden {
            assert!(
                !matched.contains(name),
                "{name} is meant for the registry only, but {} matches it",
                q.name
            );
        }
    }
    let expected = live_registry_repositories(&corpus, &registry);
    let sim = serve_with_registry(
        Arc::new(corpus),
        registry.clone(),
        config(),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let client = client_for(&sim.base_url(), |_| {});
    let reports = tempfile::tempdir().expect("tempdir");
    let options = RunOptions {
        name: Some("first".into()),
        seeds,
        report_dir: reports.path().to_path_buf(),
        worker_id: "test".into(),
        fetch_workers: 4,
        download: Default::default(),
        join: false,
        bars: mcp_survey_pipeline::hidden_bars(),
        stop: Default::default(),
    };
    let outcome = run_pipeline(&db.store, &client, &options)
        .await
        .expect("run");
    let run_id = outcome.run.id;

    let sources = db.store.repository_sources(run_id).await.expect("sources");
    let by_name: BTreeMap<String, _> = sources
        .iter()
        .map(|s| (s.full_name.to_ascii_lowercase(), s))
        .collect();
    let missing: Vec<_> = expected
        .iter()
        .filter(|n| !by_name.get(*n).is_some_and(|s| s.by_registry))
        .collect();
    assert!(
        missing.is_empty(),
        "recall of registry-listed live repositories is not 100%: {missing:?}"
    );
    for name in &hidden {
        let s = by_name[&name.to_ascii_lowercase()];
        assert!(s.by_registry && !s.by_search, "{name}: {s:?}");
        assert_eq!(s.registries, vec!["official".to_string()]);
    }
    let both: Vec<_> = sources
        .iter()
        .filter(|s| s.by_search && s.by_registry)
        .collect();
    assert!(both.len() > 20, "both sources recorded: {}", both.len());
    assert!(both.iter().all(|s| !s.seed_queries.is_empty()));

    let matches = db
        .store
        .run_registry_entries(run_id)
        .await
        .expect("entries");
    let count = |outcome: &str| matches.iter().filter(|m| m.outcome == outcome).count();
    assert_eq!(count("gone"), 3);
    assert_eq!(count("not_github"), 1);
    assert_eq!(count("no_repository"), 2);
    assert_eq!(matches.iter().filter(|m| m.subfolder.is_some()).count(), 3);

    // The report's tables, and queries/*.sql giving the same rows.
    let summary = &outcome.report.summary_value;
    // The six hidden servers, and any listed server no seed query matches.
    assert!(summary.sources.overlap.registry_only >= 6);
    assert!(summary.sources.overlap.both > 20);
    let agreement: i64 = summary
        .sources
        .secret_agreement
        .iter()
        .filter(|r| r.agreement != "neither")
        .map(|r| r.env_vars)
        .sum();
    assert!(agreement > 20, "{:?}", summary.sources.secret_agreement);
    let markdown = std::fs::read_to_string(&outcome.report.markdown).expect("report.md");
    assert!(markdown.contains("## Sources: search and the registries"));
    assert!(markdown.contains("| a registry only |"), "{markdown}");
    assert!(markdown.contains("declared secret, the classifier missed it"));
    for (file, from_store) in [
        (
            "source_overlap",
            serde_json::to_value(vec![summary.sources.overlap]),
        ),
        (
            "registry_missed_by_search",
            serde_json::to_value(&summary.sources.missed_by_search),
        ),
        (
            "headline_by_source",
            serde_json::to_value(&summary.sources.headline_by_source),
        ),
        (
            "secret_agreement",
            serde_json::to_value(&summary.sources.secret_agreement),
        ),
    ] {
        let text = std::fs::read_to_string(format!(
            "{}/../../queries/{file}.sql",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("query file");
        let vars = BTreeMap::from([("run", "first")]);
        let sql = mcp_survey_report::queries::render(&text, &vars).expect("variables");
        let rows = Value::Array(db.store.inspect::<Value>(&sql, &[]).await.expect(file));
        assert_eq!(rows, from_store.expect("json"), "queries/{file}.sql");
        let csv = std::fs::read_to_string(outcome.report.dir.join(format!("{file}.csv")))
            .expect("csv file");
        assert_eq!(
            csv.lines().count(),
            rows.as_array().map_or(0, Vec::len) + 1,
            "{file}.csv"
        );
    }
    sim.shutdown().await;
}

fn harvest_options() -> HarvestOptions {
    let mut o = HarvestOptions::new("registry-test");
    o.recheck_delay = Duration::from_millis(50);
    o.registry.client.retry_base = Duration::from_millis(10);
    o.registry.client.max_wait = Duration::from_millis(200);
    o
}

async fn harvest_once(
    db: &TestDb,
    name: &str,
    corpus: Arc<Corpus>,
    registry: Registry,
    config: SimConfig,
    options: &HarvestOptions,
) -> (HarvestStats, u64) {
    let sim = serve_with_registry(
        corpus,
        registry,
        config,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let client = client_for(&sim.base_url(), |_| {});
    let (run, _) = open_run(&db.store, Some(name), &sim.base_url())
        .await
        .expect("run");
    let stats = harvest(&db.store, &client, run.id, &seeds(), options)
        .await
        .expect("harvest");
    let asked = sim
        .stats()
        .requests_by_endpoint
        .get("registry_servers")
        .copied()
        .unwrap_or(0);
    sim.shutdown().await;
    (stats, asked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_asks_only_for_what_changed() {
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let (_, corpus, registry) = corpus_with_registry(1200, 5);
    let corpus = Arc::new(corpus);
    let listed = registry.entries.len() as u64;
    let (first, asked_first) = harvest_once(
        &db,
        "week-1",
        corpus.clone(),
        registry.clone(),
        config(),
        &harvest_options(),
    )
    .await;
    let r = &first.registries[0];
    assert!(r.error.is_none(), "{r:?}");
    assert_eq!(r.updated_since, None, "the first listing is a full one");
    assert_eq!(r.entries_listed_this_process, listed);
    assert_eq!(asked_first, listed.div_ceil(100));

    // A week later five entries changed.
    let mut changed = registry.clone();
    let now = chrono::Utc::now();
    for e in changed.entries.iter_mut().filter(|e| e.is_latest).take(5) {
        e.updated_at = now;
        e.server["description"] = Value::String("Now with OAuth".into());
    }
    let (second, asked_second) = harvest_once(
        &db,
        "week-2",
        corpus.clone(),
        changed.clone(),
        config(),
        &harvest_options(),
    )
    .await;
    let r = &second.registries[0];
    assert!(r.updated_since.is_some());
    assert_eq!(r.entries_listed_this_process, 5);
    assert_eq!(asked_second, 1, "one page holds the five changes");
    println!(
        "registry listing of {listed} entries: first run {asked_first} requests, \
         second run (5 changed) {asked_second} request(s)"
    );
    // The second run still holds every repository the registry names.
    let first_found = db
        .store
        .run_registry_entries(first_run(&db, "week-1").await)
        .await
        .expect("entries");
    let second_found = db
        .store
        .run_registry_entries(first_run(&db, "week-2").await)
        .await
        .expect("entries");
    assert_eq!(first_found.len(), second_found.len());
    let stored = db.store.registry_entries("official").await.expect("stored");
    let descriptions = stored
        .iter()
        .filter(|e| e.server_json["description"] == "Now with OAuth")
        .count();
    assert_eq!(descriptions, 5);
}

async fn first_run(db: &TestDb, name: &str) -> i64 {
    db.store.run_by_name(name).await.expect("run").id
}

fn comparable(entries: Vec<StoredRegistryEntry>) -> Vec<(String, String, Value, Option<String>)> {
    entries
        .into_iter()
        .map(|e| (e.server_name, e.version, e.server_json, e.repository_name))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_registry_faults_change_no_stored_entry() {
    let (_, corpus, registry) = corpus_with_registry(400, 9);
    let corpus = Arc::new(corpus);
    // Small pages: many requests, so the 5% of faults hit a good number.
    let mut options = harvest_options();
    options.registry.client.page_limit = 5;

    let clean_db = TestDb::create().await.expect("test database");
    let (clean, _) = harvest_once(
        &clean_db,
        "clean",
        corpus.clone(),
        registry.clone(),
        config(),
        &options,
    )
    .await;
    assert_eq!(clean.registries[0].retries, 0);

    let faulty_db = TestDb::create().await.expect("test database");
    let faulty_config = SimConfig {
        faults: FaultConfig::uniform(0.05),
        ..config()
    };
    let (faulty, _) = harvest_once(
        &faulty_db,
        "faulty",
        corpus.clone(),
        registry.clone(),
        faulty_config,
        &options,
    )
    .await;
    let r = &faulty.registries[0];
    assert!(r.error.is_none(), "{r:?}");
    assert!(
        r.retries > 0,
        "faults were injected into the listing: {r:?}"
    );
    let clean_entries = clean_db
        .store
        .registry_entries("official")
        .await
        .expect("entries");
    assert_eq!(clean_entries.len(), registry.entries.len());
    let faulty_entries = faulty_db
        .store
        .registry_entries("official")
        .await
        .expect("entries");
    assert_eq!(comparable(faulty_entries), comparable(clean_entries));
}
