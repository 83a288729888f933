mod common;

use common::*;
use mcp_survey_ghsim::{Corpus, Limit, SimConfig};

fn small_corpus() -> Corpus {
    let mut a = repo(
        "alice/weather-mcp-server",
        "MCP server for OpenWeather forecasts",
        "2025-03-01T10:00:00Z",
        50,
        &[
            (
                "README.md",
                "# Weather\n\nA Model Context Protocol server.\n",
            ),
            (
                "package.json",
                "{\"dependencies\": {\"@modelcontextprotocol/sdk\": \"^1.0.0\"}}",
            ),
        ],
    );
    a.meta.topics = vec!["mcp-server".into(), "weather".into()];
    a.meta.language = Some("TypeScript".into());
    let mut b = repo(
        "bob/claude-tools",
        "Tools for Claude",
        "2025-03-01T12:30:00Z",
        5,
        &[
            (
                "README.md",
                "# tools\n\nThis is an mcp server hidden in the readme.\n",
            ),
            (
                "pyproject.toml",
                "[project]\ndependencies = [\"mcp>=1.2\"]\n",
            ),
        ],
    );
    b.meta.language = Some("Python".into());
    let mut c = repo(
        "carol/mcp-server-forked",
        "MCP server fork",
        "2025-03-02T00:00:00Z",
        1,
        &[("README.md", "fork")],
    );
    c.meta.fork = true;
    let mut d = repo(
        "dave/old-mcp",
        "Old MCP server",
        "2024-12-31T23:59:59Z",
        900,
        &[("README.md", "old")],
    );
    d.meta.archived = true;
    let e = repo(
        "erin/minecraft-mcp-mod",
        "Minecraft mod built with MCP (Mod Coder Pack)",
        "2025-04-15T08:00:00Z",
        12,
        &[("README.md", "mod"), ("big.txt", &"x ".repeat(200_000))],
    );
    Corpus {
        repos: vec![a, b, c, d, e],
    }
}

fn names(v: &serde_json::Value) -> Vec<String> {
    v["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["full_name"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn repository_search_qualifiers() {
    let sim = start(small_corpus(), SimConfig::default()).await;
    let c = client();
    let base = sim.base_url();
    let q = |q: &str| format!("{base}/search/repositories?q={}", urlenc(q));

    // Default fields (name, description, topics): the README-only match is
    // missing, forks are excluded.
    let (s, _, v) = get_json(&c, &q("mcp server")).await;
    assert_eq!(s, 200);
    let mut n = names(&v);
    n.sort();
    assert_eq!(n, vec!["alice/weather-mcp-server", "dave/old-mcp"]);
    assert_eq!(v["total_count"], 2);
    assert_eq!(v["incomplete_results"], false);

    let (_, _, v) = get_json(&c, &q("mcp server in:name,description,readme")).await;
    assert_eq!(v["total_count"], 3, "{v}");
    let (_, _, v) = get_json(&c, &q("mcp server fork:true")).await;
    assert_eq!(v["total_count"], 3);
    let (_, _, v) = get_json(&c, &q("mcp fork:only")).await;
    assert_eq!(names(&v), vec!["carol/mcp-server-forked"]);
    let (_, _, v) = get_json(&c, &q("\"model context protocol\" in:readme")).await;
    assert_eq!(names(&v), vec!["alice/weather-mcp-server"]);
    let (_, _, v) = get_json(&c, &q("\"protocol context\" in:readme")).await;
    assert_eq!(v["total_count"], 0);
    let (_, _, v) = get_json(&c, &q("topic:mcp-server")).await;
    assert_eq!(names(&v), vec!["alice/weather-mcp-server"]);
    let (_, _, v) = get_json(&c, &q("mcp language:python in:readme")).await;
    assert_eq!(names(&v), vec!["bob/claude-tools"]);
    let (_, _, v) = get_json(&c, &q("mcp stars:>=50")).await;
    assert_eq!(v["total_count"], 2);
    let (_, _, v) = get_json(&c, &q("mcp stars:10..60")).await;
    let mut n = names(&v);
    n.sort();
    assert_eq!(
        n,
        vec!["alice/weather-mcp-server", "erin/minecraft-mcp-mod"]
    );
    let (_, _, v) = get_json(&c, &q("mcp archived:false")).await;
    assert!(!names(&v).contains(&"dave/old-mcp".to_string()));
    let (_, _, v) = get_json(&c, &q("mcp user:erin")).await;
    assert_eq!(names(&v), vec!["erin/minecraft-mcp-mod"]);
    let (_, _, v) = get_json(&c, &q("mcp NOT minecraft")).await;
    assert!(!names(&v).contains(&"erin/minecraft-mcp-mod".to_string()));
    let (_, _, v) = get_json(&c, &q("mcp -topic:mcp-server")).await;
    assert!(!names(&v).contains(&"alice/weather-mcp-server".to_string()));
    let (_, _, v) = get_json(&c, &q("weather OR minecraft")).await;
    assert_eq!(v["total_count"], 2);

    // Sorting: stars descending by default with sort=stars, ascending with order=asc.
    let (_, _, v) = get_json(&c, &format!("{}&sort=stars", q("mcp"))).await;
    assert_eq!(names(&v)[0], "dave/old-mcp");
    let (_, _, v) = get_json(&c, &format!("{}&sort=stars&order=asc", q("mcp"))).await;
    assert_eq!(names(&v)[0], "erin/minecraft-mcp-mod");

    // The repository object uses GitHub's field names.
    let item = &v["items"][0];
    for k in [
        "id",
        "full_name",
        "description",
        "topics",
        "language",
        "stargazers_count",
        "forks_count",
        "fork",
        "archived",
        "created_at",
        "pushed_at",
        "default_branch",
        "size",
    ] {
        assert!(item.get(k).is_some(), "missing {k}");
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn created_windows_with_dates_and_date_times() {
    let sim = start(small_corpus(), SimConfig::default()).await;
    let c = client();
    let base = sim.base_url();
    let count = |q: String| {
        let c = c.clone();
        let url = format!("{base}/search/repositories?q={}", urlenc(&q));
        async move {
            let (s, _, v) = get_json(&c, &url).await;
            assert_eq!(s, 200, "{q}: {v}");
            v["total_count"].as_u64().unwrap_or(u64::MAX)
        }
    };
    assert_eq!(count("mcp created:2025-03-01".into()).await, 1);
    assert_eq!(
        count("mcp created:2025-03-01 in:name,description,readme".into()).await,
        2
    );
    assert_eq!(
        count("mcp created:2025-03-01T10:00:00Z..2025-03-01T10:00:00Z".into()).await,
        1
    );
    assert_eq!(
        count(
            "mcp created:2025-03-01T10:00:01Z..2025-03-01T23:59:59Z in:name,description,readme"
                .into()
        )
        .await,
        1
    );
    assert_eq!(
        count("mcp created:2025-03-01T11:00:00+01:00..2025-03-01T11:00:00+01:00".into()).await,
        1
    );
    assert_eq!(count("mcp created:>=2025-03-01".into()).await, 2);
    assert_eq!(count("mcp created:>2025-03-01".into()).await, 1);
    assert_eq!(count("mcp created:<2025-01-01".into()).await, 1);
    assert_eq!(count("mcp created:<=2024-12-31T23:59:58Z".into()).await, 0);
    assert_eq!(count("mcp created:*..2025-03-01".into()).await, 2);
    assert_eq!(count("mcp created:2025-01-01..*".into()).await, 2);
    assert_eq!(count("mcp pushed:2025-03-02".into()).await, 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn result_cap_422_and_link_headers() {
    let repos = (0..1205)
        .map(|i| {
            repo(
                &format!("o{}/mcp-server-{i}", i % 7),
                "an MCP server",
                "2025-05-01T00:00:00Z",
                i,
                &[("README.md", "x")],
            )
        })
        .collect();
    let sim = start(Corpus { repos }, SimConfig::default()).await;
    let c = client();
    let base = sim.base_url();
    let url = |rest: &str| format!("{base}/search/repositories?q=mcp{rest}");

    let (s, h, v) = get_json(&c, &url("&per_page=100")).await;
    assert_eq!(s, 200);
    assert_eq!(v["total_count"], 1205);
    assert_eq!(v["items"].as_array().map(|a| a.len()), Some(100));
    let link = header(&h, "link");
    assert!(link.contains("page=2>; rel=\"next\""), "{link}");
    assert!(
        link.contains("page=10>; rel=\"last\""),
        "last is capped at 1000 results: {link}"
    );
    assert!(!link.contains("rel=\"prev\""));

    let (_, h, _) = get_json(&c, &url("&per_page=100&page=5")).await;
    let link = header(&h, "link");
    for rel in ["prev", "next", "last", "first"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{rel} in {link}");
    }
    let (s, h, v) = get_json(&c, &url("&per_page=100&page=10")).await;
    assert_eq!(s, 200);
    assert_eq!(v["items"].as_array().map(|a| a.len()), Some(100));
    assert!(!header(&h, "link").contains("rel=\"next\""));

    let (s, _, v) = get_json(&c, &url("&per_page=100&page=11")).await;
    assert_eq!(s, 422);
    assert_eq!(
        v["message"],
        "Only the first 1000 search results are available"
    );

    // per_page 30: page 34 holds results 991..1000.
    let (s, _, v) = get_json(&c, &url("&page=34")).await;
    assert_eq!(s, 200);
    assert_eq!(v["items"].as_array().map(|a| a.len()), Some(10));
    let (s, _, _) = get_json(&c, &url("&page=35")).await;
    assert_eq!(s, 422);
    // per_page above 100 is clamped to 100.
    let (_, _, v) = get_json(&c, &url("&per_page=500")).await;
    assert_eq!(v["items"].as_array().map(|a| a.len()), Some(100));

    // Paging is stable: the 10 pages hold 1000 distinct repositories.
    let mut seen = std::collections::HashSet::new();
    for p in 1..=10 {
        let (_, _, v) = get_json(&c, &url(&format!("&per_page=100&sort=stars&page={p}"))).await;
        for n in names(&v) {
            assert!(seen.insert(n));
        }
    }
    assert_eq!(seen.len(), 1000);
    sim.shutdown().await;
}

#[tokio::test]
async fn code_search_tokens_qualifiers_and_rejects() {
    // GitHub's 10 code searches a minute would stop this test half-way.
    let mut config = SimConfig::default();
    config.limits.code_search = Limit::per_minute(100);
    let sim = start(small_corpus(), config).await;
    let c = client();
    let base = sim.base_url();
    let q = |q: &str| format!("{base}/search/code?q={}", urlenc(q));

    let (s, _, v) = get_json(
        &c,
        &q("\"@modelcontextprotocol/sdk\" filename:package.json"),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["total_count"], 1);
    let item = &v["items"][0];
    assert_eq!(item["path"], "package.json");
    assert_eq!(item["name"], "package.json");
    assert_eq!(item["repository"]["full_name"], "alice/weather-mcp-server");
    assert!(item["repository"].get("stargazers_count").is_none());
    assert_eq!(item["sha"].as_str().map(|s| s.len()), Some(40));
    // The same tokens in another order do not match a phrase.
    let (_, _, v) = get_json(&c, &q("\"sdk modelcontextprotocol\"")).await;
    assert_eq!(v["total_count"], 0);
    let (_, _, v) = get_json(&c, &q("mcp filename:pyproject.toml")).await;
    assert_eq!(v["total_count"], 1);
    let (_, _, v) = get_json(&c, &q("mcp extension:toml")).await;
    assert_eq!(v["total_count"], 1);
    let (_, _, v) = get_json(&c, &q("mcp extension:toml size:<10")).await;
    assert_eq!(v["total_count"], 0);
    let (_, _, v) = get_json(&c, &q("mcp extension:toml size:10..1000")).await;
    assert_eq!(v["total_count"], 1);
    let (_, _, v) = get_json(&c, &q("mcp repo:bob/claude-tools")).await;
    assert_eq!(v["total_count"], 2, "README and pyproject.toml");
    let (_, _, v) = get_json(&c, &q("server language:markdown")).await;
    assert_eq!(v["total_count"], 2, "the two READMEs saying server");
    // Files of 384 KB and more are not indexed; forks are not either.
    let (_, _, v) = get_json(&c, &q("x filename:big.txt")).await;
    assert_eq!(v["total_count"], 0);
    let (_, _, v) = get_json(&c, &q("fork repo:carol/mcp-server-forked")).await;
    assert_eq!(v["total_count"], 0);

    let (s, _, v) = get_json(&c, &q("filename:package.json")).await;
    assert_eq!(s, 422, "a qualifier alone is refused: {v}");
    let r = c.get(q("mcp")).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 401, "code search needs a token");
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["message"], "Requires authentication");
    sim.shutdown().await;
}

#[tokio::test]
async fn malformed_queries_are_422() {
    let sim = start(small_corpus(), SimConfig::default()).await;
    let c = client();
    let base = sim.base_url();
    for bad in [
        "\"mcp server",
        "mcp bogus:1",
        "mcp created:2025-13-45",
        "mcp stars:lots",
        "",
        "mcp in:body",
    ] {
        let (s, _, v) =
            get_json(&c, &format!("{base}/search/repositories?q={}", urlenc(bad))).await;
        assert_eq!(s, 422, "{bad:?} -> {v}");
        assert_eq!(v["message"], "Validation Failed");
    }
    let long = "a ".repeat(130);
    let (s, _, _) = get_json(
        &c,
        &format!("{base}/search/repositories?q={}", urlenc(&long)),
    )
    .await;
    assert_eq!(s, 422);
    assert!(
        sim.stats()
            .rejects
            .get("validation_failed")
            .copied()
            .unwrap_or(0)
            >= 7
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn incomplete_results_drop_part_of_the_page() {
    let repos = (0..40)
        .map(|i| {
            repo(
                &format!("o/mcp-{i}"),
                "mcp",
                "2025-05-01T00:00:00Z",
                i,
                &[("README.md", "x")],
            )
        })
        .collect();
    let config = SimConfig {
        incomplete_results_rate: 1.0,
        ..SimConfig::default()
    };
    let sim = start(Corpus { repos }, config).await;
    let (_, _, v) = get_json(
        &client(),
        &format!("{}/search/repositories?q=mcp&per_page=20", sim.base_url()),
    )
    .await;
    assert_eq!(v["incomplete_results"], true);
    assert_eq!(v["total_count"], 40);
    assert_eq!(v["items"].as_array().map(|a| a.len()), Some(15));
    sim.shutdown().await;
}

pub fn urlenc(s: &str) -> String {
    url_encode(s)
}

fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
