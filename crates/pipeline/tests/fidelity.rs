//! Fetch fidelity: what the tarball filter keeps must be everything the
//! classifier reads. For every repository of a corpus folder served by the
//! simulator, the labels computed from the fetched snapshot must equal the
//! labels `classify PATH` computes from the full folder.
//!
//! CI runs it on a synthetic corpus written to disk. The same test measures a
//! real corpus (e.g. the materialized dev corpus) when pointed at it:
//!
//!     MCP_SURVEY_FIDELITY_CORPUS=/tmp/dev-corpus \
//!         cargo test --release -p mcp-survey-pipeline --test fidelity -- --ignored --nocapture

use mcp_survey_fetch::{fetch_run, FetchOptions};
use mcp_survey_ghsim::{serve, synthetic, Corpus, SimConfig};
use mcp_survey_github::{ClientConfig, GithubClient, Token};
use mcp_survey_model::{
    strings_to_set, AuthMethod, CredentialSource, Credentials, Kind, Labels, Sdk, Transport,
};
use mcp_survey_pipeline::{classify_run, ClassifyOptions};
use mcp_survey_store::testing::TestDb;
use mcp_survey_store::ClassifiedLabels;
use std::path::Path;
use std::time::Duration;

fn labels_from_row(r: &ClassifiedLabels) -> Labels {
    Labels {
        kind: r.kind.parse::<Kind>().expect("kind"),
        language: r.language.clone(),
        sdk: strings_to_set::<Sdk>(&r.sdk).expect("sdk"),
        transport: strings_to_set::<Transport>(&r.transport).expect("transport"),
        credentials: r.credentials.parse::<Credentials>().expect("credentials"),
        auth_methods: strings_to_set::<AuthMethod>(&r.auth_methods).expect("auth"),
        credential_sources: strings_to_set::<CredentialSource>(&r.credential_sources)
            .expect("sources"),
        env_vars: r.env_vars.iter().cloned().collect(),
    }
}

/// Serves `dir`, fetches and classifies every repository in it, and returns
/// (repositories compared, repositories whose labels differ).
async fn fidelity(dir: &Path) -> (usize, Vec<String>) {
    let corpus = Corpus::load_dir(dir).expect("corpus folder");
    let metas: Vec<_> = corpus.repos.iter().map(|r| r.meta.clone()).collect();
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let sim = serve(
        corpus,
        SimConfig::unthrottled(),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let mut config = ClientConfig::new(&sim.base_url(), vec![Token::new("t")]).expect("url");
    config.archive_min_interval = Duration::ZERO;
    config.archive_concurrency = 4;
    let client = GithubClient::new(config).expect("client");
    let run = db
        .store
        .create_run(
            "fidelity",
            &sim.base_url(),
            mcp_survey_classify::CLASSIFIER_VERSION,
        )
        .await
        .expect("run");
    for meta in &metas {
        // Forks are excluded from fetching; fidelity is about every repository.
        let mut meta = meta.clone();
        meta.fork = false;
        db.store
            .put_repository(run.id, &meta, None)
            .await
            .expect("repository");
    }
    let mut fetch = FetchOptions::new("fidelity");
    fetch.workers = 4;
    fetch_run(&db.store, &client, run.id, &fetch)
        .await
        .expect("fetch");
    classify_run(&db.store, run.id, &ClassifyOptions::new("fidelity"))
        .await
        .expect("classify");
    let rows = db.store.classified_labels(run.id).await.expect("labels");
    let mut differing = Vec::new();
    for row in &rows {
        let folder = dir.join(mcp_survey_model::folder_name(&row.full_name));
        // The same metadata on both sides (the folder names the repository, as
        // in `classify PATH`; the description is GitHub's): only the files differ.
        let mut files = mcp_survey_classify::load_dir(&folder).expect("checkout");
        files.full_name = mcp_survey_model::full_name_for_checkout(&folder);
        files.description = metas
            .iter()
            .find(|m| m.full_name == row.full_name)
            .and_then(|m| m.description.clone());
        let full = mcp_survey_classify::classify(&files);
        let fetched = labels_from_row(row);
        if fetched != full.labels {
            eprintln!(
                "{}: fetched {fetched:?}\n    full {:?}",
                row.full_name, full.labels
            );
            differing.push(row.full_name.clone());
        }
    }
    let compared = rows.len();
    sim.shutdown().await;
    db.drop_db().await.expect("drop");
    assert_eq!(
        compared,
        metas.len(),
        "every repository fetched and labelled"
    );
    (compared, differing)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_snapshots_label_like_full_checkouts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus_dir = dir.path().join("corpus");
    synthetic::generate(120, 5)
        .write_dir(&corpus_dir)
        .expect("write corpus");
    let (compared, differing) = fidelity(&corpus_dir).await;
    assert!(compared >= 100);
    assert!(differing.is_empty(), "labels differ for {differing:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measures a corpus folder named by MCP_SURVEY_FIDELITY_CORPUS"]
async fn fidelity_on_a_corpus_folder() {
    let Ok(dir) = std::env::var("MCP_SURVEY_FIDELITY_CORPUS") else {
        panic!("set MCP_SURVEY_FIDELITY_CORPUS to a corpus folder (OWNER__NAME sub-folders)");
    };
    let (compared, differing) = fidelity(Path::new(&dir)).await;
    println!(
        "fidelity: {} of {compared} repositories label the same from the fetched snapshot as from the full folder; differing: {differing:?}",
        compared - differing.len()
    );
    assert!(differing.is_empty());
}
