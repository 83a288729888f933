//! What the pipeline's integration tests share: a client tuned for the
//! simulator and a run filled with repositories without a harvest.

#![allow(dead_code)]

use mcp_survey_github::{ClientConfig, GithubClient, Token};
use mcp_survey_model::RepoMeta;
use mcp_survey_pipeline::open_run;
use mcp_survey_store::Store;
use std::time::Duration;

/// The survey's client against the simulator: no politeness pause between
/// archive downloads (the simulator's archive host has no hidden throttle)
/// and short back-offs; `tune` adjusts the rest.
pub fn client_for(base_url: &str, tune: impl FnOnce(&mut ClientConfig)) -> GithubClient {
    let mut config =
        ClientConfig::new(base_url, vec![Token::new("test-token")]).expect("valid URL");
    config.archive_min_interval = Duration::ZERO;
    config.archive_concurrency = 8;
    config.secondary_min_wait = Duration::from_millis(200);
    config.backoff_base = Duration::from_millis(20);
    tune(&mut config);
    GithubClient::new(config).expect("client")
}

/// A new run holding `repositories` as if a harvest had found them.
pub async fn run_with(
    store: &Store,
    name: &str,
    github_url: &str,
    repositories: &[RepoMeta],
) -> i64 {
    let (run, _) = open_run(store, Some(name), github_url).await.expect("run");
    for m in repositories {
        store
            .put_repository(run.id, m, None)
            .await
            .expect("repository");
    }
    run.id
}
