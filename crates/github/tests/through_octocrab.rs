//! Every API call leaves through octocrab: against the simulator, each
//! endpoint's requests carry octocrab's `User-Agent`, and only archive
//! downloads (streamed by reqwest) carry the project's own.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::StreamExt;
use mcp_survey_ghsim::{serve, synthetic, SimConfig};
use mcp_survey_github::{ClientConfig, Conditional, GithubClient, Token};

#[tokio::test]
async fn every_api_endpoint_is_called_through_octocrab() {
    let corpus = synthetic::generate(6, 11);
    let repo = corpus.repos[0].meta.full_name.clone();
    let sim = serve(
        corpus,
        SimConfig::unthrottled(),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let mut config =
        ClientConfig::new(&sim.base_url(), vec![Token::new("ghp_octocrab")]).expect("config");
    config.archive_min_interval = Duration::ZERO;
    let user_agent = config.user_agent.clone();
    let client = GithubClient::new(config).expect("client");

    client.rate_limit().await.expect("rate limit");
    let page = client
        .search_repositories("mcp", 1, 10)
        .await
        .expect("repository search");
    assert!(page.total_count > 0);
    client.search_code("mcp", 1, 10).await.expect("code search");
    let Conditional::Modified { value, etag } =
        client.get_repo(&repo, None).await.expect("repository")
    else {
        panic!("a first request is never a 304");
    };
    let etag = etag.expect("an ETag");
    assert!(matches!(
        client.get_repo(&repo, Some(&etag)).await.expect("again"),
        Conditional::NotModified
    ));
    let commit = client
        .commit(&repo, &value.default_branch)
        .await
        .expect("commit");
    let tree = client.tree(&repo, &commit.tree_sha).await.expect("tree");
    let file = tree
        .entries
        .iter()
        .find(|e| e.kind == "blob")
        .expect("a file");
    client
        .contents(&repo, &file.path, &commit.sha)
        .await
        .expect("contents");
    let mut archive = client
        .tarball(&repo, &value.default_branch)
        .await
        .expect("tarball");
    let mut bytes = 0;
    while let Some(chunk) = archive.next().await {
        bytes += chunk.expect("chunk").len();
    }
    assert!(bytes > 0);

    let stats = sim.stats();
    let endpoints: BTreeSet<&str> = stats
        .requests_by_user_agent
        .keys()
        .map(String::as_str)
        .collect();
    for want in [
        "rate_limit",
        "search_repositories",
        "search_code",
        "repo",
        "commit",
        "tree",
        "contents",
        "tarball",
        "codeload",
    ] {
        assert!(endpoints.contains(want), "{want} was called: {endpoints:?}");
    }
    for (endpoint, agents) in &stats.requests_by_user_agent {
        let expected = if endpoint == "codeload" {
            user_agent.as_str()
        } else {
            "octocrab"
        };
        assert_eq!(
            agents.keys().collect::<Vec<_>>(),
            vec![expected],
            "{endpoint}: {agents:?}"
        );
        assert_eq!(
            agents.values().sum::<u64>(),
            stats.requests_by_endpoint[endpoint],
            "{endpoint}: every request counted"
        );
    }
    sim.shutdown().await;
}
