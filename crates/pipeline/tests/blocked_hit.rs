//! A code-search hit whose repository GitHub blocks (403 "Repository access
//! blocked", `--fault-repo OWNER/NAME=blocked` in the simulator): the
//! harvest completes, records that repository as gone, and keeps every
//! other hit of the same page.

mod common;

use common::client_for;
use mcp_survey_ghsim::{serve, Corpus, FaultConfig, FaultKind, NamedFault, SimConfig, SimRepo};
use mcp_survey_harvest::{harvest, HarvestOptions, SeedFile};
use mcp_survey_pipeline::open_run;
use mcp_survey_store::testing::TestDb;
use std::collections::BTreeMap;
use std::sync::Arc;

fn sdk_user(full_name: &str) -> SimRepo {
    let mut files = BTreeMap::new();
    files.insert(
        "package.json".to_string(),
        br#"{"dependencies": {"@modelcontextprotocol/sdk": "^1.2.0"}}"#.to_vec(),
    );
    SimRepo::new(full_name, files)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_code_search_hit_is_gone_and_its_slice_completes() {
    let names: Vec<String> = (0..12).map(|i| format!("dev{i}/tool-{i}")).collect();
    let corpus = Corpus {
        repos: names.iter().map(|n| sdk_user(n)).collect(),
    };
    let blocked = "dev5/tool-5";
    let config = SimConfig {
        faults: FaultConfig::default().with_named(blocked, NamedFault::always(FaultKind::Blocked)),
        ..SimConfig::unthrottled()
    };
    let sim = serve(
        Arc::new(corpus),
        config,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let client = client_for(&sim.base_url(), |_| {});
    let seeds = SeedFile::parse(
        "version = 1\n[[query]]\nname = \"code-ts-sdk\"\nendpoint = \"code\"\n\
         q = \"\\\"@modelcontextprotocol/sdk\\\" filename:package.json\"\nreason = \"test\"\n",
        "test.toml",
    )
    .expect("seeds");
    let (run, _) = open_run(&db.store, Some("blocked"), &sim.base_url())
        .await
        .expect("run");
    let stats = harvest(
        &db.store,
        &client,
        run.id,
        &seeds,
        &HarvestOptions::new("blocked-test"),
    )
    .await
    .expect("the harvest completes");

    assert!(stats.failed_slices.is_empty(), "{:?}", stats.failed_slices);
    assert_eq!(stats.slices.done, stats.slices.total, "{:?}", stats.slices);
    assert_eq!(
        db.store.gone_hits(run.id).await.expect("gone hits"),
        vec![(blocked.to_string(), "blocked".to_string())]
    );
    let mut stored: Vec<String> = db
        .store
        .run_repository_names(run.id)
        .await
        .expect("repositories");
    stored.sort();
    let mut others: Vec<String> = names.into_iter().filter(|n| n != blocked).collect();
    others.sort();
    assert_eq!(stored, others, "every other hit of the page is stored");
    sim.shutdown().await;
    db.drop_db().await.expect("drop");
}
