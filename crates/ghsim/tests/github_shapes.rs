//! The simulator answers in GitHub's documented shapes: search pages with
//! items missing (`incomplete`, `short_page`), blocked repositories, no ETag
//! on search, secondary limits without Retry-After, trees and contents with
//! symlinks and submodules, truncated trees, and repository objects with
//! nullable fields and float scores.

mod common;

use common::*;
use mcp_survey_ghsim::{
    Corpus, FaultConfig, FaultKind, NamedFault, SecondaryLimits, SimConfig, SimLink,
};

/// 250 repositories matching "mcp", one of them with links and a submodule.
fn corpus() -> Corpus {
    let mut repos: Vec<_> = (0..250)
        .map(|i| {
            repo(
                &format!("o/mcp-{i:03}"),
                "an mcp server",
                "2025-01-01T00:00:00Z",
                i,
                &[("README.md", "# mcp\n"), ("package.json", "{}\n")],
            )
        })
        .collect();
    let linked = &mut repos[0];
    linked.links.insert(
        "server.json".into(),
        SimLink::Symlink {
            target: "package.json".into(),
        },
    );
    linked.links.insert(
        "tsconfig.json".into(),
        SimLink::Symlink {
            target: "/etc/tsconfig.json".into(),
        },
    );
    linked.links.insert(
        "vendor/sdk".into(),
        SimLink::Submodule {
            url: "https://github.com/acme/sdk.git".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
        },
    );
    Corpus { repos }
}

fn with_faults(faults: FaultConfig) -> SimConfig {
    SimConfig {
        faults,
        ..SimConfig::unthrottled()
    }
}

fn items(v: &serde_json::Value) -> usize {
    v["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn incomplete_and_short_pages_keep_the_link_to_the_next_page() {
    let c = client();
    let url = |base: &str| format!("{base}/search/repositories?q=mcp&per_page=100&page=1");

    let sim = start(
        corpus(),
        with_faults(FaultConfig::default().with_rate(FaultKind::Incomplete, 1.0)),
    )
    .await;
    let (s, h, v) = get_json(&c, &url(&sim.base_url())).await;
    assert_eq!(s, 200);
    assert_eq!(v["incomplete_results"], true);
    assert_eq!(v["total_count"], 250);
    let n = items(&v);
    assert!((75..100).contains(&n), "some items missing: {n}");
    assert!(header(&h, "link").contains("rel=\"next\""));
    assert!(h.get("etag").is_none(), "GitHub sends no ETag with search");
    sim.shutdown().await;

    let sim = start(
        corpus(),
        with_faults(FaultConfig::default().with_rate(FaultKind::ShortPage, 1.0)),
    )
    .await;
    let (_, h, v) = get_json(&c, &url(&sim.base_url())).await;
    assert_eq!(v["incomplete_results"], false);
    assert!(items(&v) < 100);
    assert!(header(&h, "link").contains("rel=\"next\""));
    // The last page has no next one to be short against: it is whole.
    let last = format!(
        "{}/search/repositories?q=mcp&per_page=100&page=3",
        sim.base_url()
    );
    let (_, _, v) = get_json(&c, &last).await;
    assert_eq!(items(&v), 50);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_blocked_repository_answers_403_with_a_block() {
    let faults =
        FaultConfig::default().with_named("o/mcp-007", NamedFault::always(FaultKind::Blocked));
    let sim = start(corpus(), with_faults(faults)).await;
    let c = client();
    let base = sim.base_url();
    for path in ["", "/tarball/main", "/contents/README.md"] {
        let (s, _, v) = get_json(&c, &format!("{base}/repos/o/mcp-007{path}")).await;
        assert_eq!(s, 403, "{path}");
        assert_eq!(v["message"], "Repository access blocked");
        assert_eq!(v["block"]["reason"], "tos");
    }
    // Search still lists it.
    let (_, _, v) = get_json(&c, &format!("{base}/search/repositories?q=mcp-007")).await;
    assert_eq!(v["total_count"], 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn some_secondary_limits_come_without_retry_after() {
    let config = SimConfig {
        secondary: SecondaryLimits {
            without_retry_after: 1.0,
            ..SecondaryLimits::default()
        },
        faults: FaultConfig::default().with_rate(FaultKind::SecondaryLimit, 1.0),
        ..SimConfig::default()
    };
    let sim = start(corpus(), config).await;
    let r = get(&client(), &format!("{}/repos/o/mcp-001", sim.base_url())).await;
    assert_eq!(r.status().as_u16(), 403);
    assert!(r.headers().get("retry-after").is_none());
    assert!(r.headers().get("x-sim-retry-after-ms").is_none());
    let v: serde_json::Value = r.json().await.expect("json");
    assert!(v["message"]
        .as_str()
        .unwrap_or_default()
        .contains("secondary rate limit"));
    sim.shutdown().await;
}

#[tokio::test]
async fn trees_and_contents_show_symlinks_and_submodules_as_github_does() {
    let sim = start(corpus(), SimConfig::unthrottled()).await;
    let c = client();
    let base = sim.base_url();
    let (_, _, tree) = get_json(
        &c,
        &format!("{base}/repos/o/mcp-000/git/trees/main?recursive=1"),
    )
    .await;
    let entry = |p: &str| {
        tree["tree"]
            .as_array()
            .and_then(|a| a.iter().find(|e| e["path"] == p))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(entry("server.json")["mode"], "120000");
    assert_eq!(entry("server.json")["type"], "blob");
    assert_eq!(entry("vendor/sdk")["mode"], "160000");
    assert_eq!(entry("vendor/sdk")["type"], "commit");
    assert!(entry("vendor/sdk").get("size").is_none());
    assert_eq!(tree["truncated"], false);

    // A symlink to a file of the repository answers with that file.
    let (_, _, v) = get_json(&c, &format!("{base}/repos/o/mcp-000/contents/server.json")).await;
    assert_eq!(v["type"], "file");
    assert_eq!(v["path"], "package.json");
    // One that leaves the repository is described.
    let (_, _, v) = get_json(
        &c,
        &format!("{base}/repos/o/mcp-000/contents/tsconfig.json"),
    )
    .await;
    assert_eq!(v["type"], "symlink");
    assert_eq!(v["target"], "/etc/tsconfig.json");
    assert!(v.get("content").is_none());
    let (_, _, v) = get_json(&c, &format!("{base}/repos/o/mcp-000/contents/vendor/sdk")).await;
    assert_eq!(v["type"], "submodule");
    assert_eq!(v["submodule_git_url"], "https://github.com/acme/sdk.git");
    sim.shutdown().await;

    // Past the entry limit the tree is cut and says so.
    let config = SimConfig {
        max_tree_entries: 2,
        ..SimConfig::unthrottled()
    };
    let sim = start(corpus(), config).await;
    let (_, _, tree) = get_json(
        &c,
        &format!(
            "{}/repos/o/mcp-000/git/trees/main?recursive=1",
            sim.base_url()
        ),
    )
    .await;
    assert_eq!(tree["truncated"], true);
    assert_eq!(tree["tree"].as_array().map_or(0, Vec::len), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn repository_objects_carry_githubs_documented_fields() {
    let mut c = corpus();
    c.repos[1].meta.description = None;
    c.repos[1].meta.language = None;
    c.repos[1].meta.pushed_at = None;
    c.repos[1].meta.size = 0;
    let sim = start(c, SimConfig::unthrottled()).await;
    let base = sim.base_url();
    let (_, _, v) = get_json(&client(), &format!("{base}/repos/o/mcp-001")).await;
    for k in ["description", "language", "pushed_at", "mirror_url"] {
        assert!(v[k].is_null(), "{k} is null: {}", v[k]);
    }
    for k in [
        "license",
        "homepage",
        "has_issues",
        "ssh_url",
        "subscribers_count",
        "network_count",
    ] {
        assert!(v.get(k).is_some(), "{k} present");
    }
    assert_eq!(v["size"], 0);
    assert!(matches!(
        v["owner"]["type"].as_str(),
        Some("User" | "Organization")
    ));
    let (_, _, s) = get_json(
        &client(),
        &format!("{base}/search/repositories?q=mcp&per_page=100"),
    )
    .await;
    let scores: Vec<f64> = s["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["score"].as_f64()).collect())
        .unwrap_or_default();
    assert_eq!(scores.len(), 100);
    assert!(scores.iter().any(|x| x.fract() != 0.0), "scores are floats");
    sim.shutdown().await;
}
