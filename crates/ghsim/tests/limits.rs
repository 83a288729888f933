mod common;

use std::time::{Duration, Instant};

use common::*;
use mcp_survey_ghsim::{Corpus, Limit, Resource, SecondaryLimits, SimConfig};

fn corpus() -> Corpus {
    Corpus {
        repos: vec![repo(
            "o/mcp-a",
            "an MCP server",
            "2025-01-01T00:00:00Z",
            1,
            &[("README.md", "x")],
        )],
    }
}

fn num(h: &reqwest::header::HeaderMap, k: &str) -> u64 {
    header(h, k).parse().unwrap_or(u64::MAX)
}

#[tokio::test]
async fn primary_limit_headers_and_time_scale() {
    // A minute becomes 60/120 = 0.5 s; search allows 3 per window here.
    let mut config = SimConfig {
        time_scale: 120.0,
        ..SimConfig::default()
    };
    config.limits.search = Limit::per_minute(3);
    let sim = start(corpus(), config).await;
    let c = client();
    let url = format!("{}/search/repositories?q=mcp", sim.base_url());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    for i in 1..=3u64 {
        let r = get(&c, &url).await;
        assert_eq!(r.status().as_u16(), 200);
        let h = r.headers();
        assert_eq!(header(h, "x-ratelimit-resource"), "search");
        assert_eq!(num(h, "x-ratelimit-limit"), 3);
        assert_eq!(num(h, "x-ratelimit-used"), i);
        assert_eq!(num(h, "x-ratelimit-remaining"), 3 - i);
        // The scaled window ends within a second or two, not a minute.
        let reset = num(h, "x-ratelimit-reset");
        assert!(
            reset >= started && reset <= started + 2,
            "reset {reset} vs now {started}"
        );
    }
    let r = get(&c, &url).await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(header(r.headers(), "x-ratelimit-remaining"), "0");
    let reset_ms = num(r.headers(), "x-sim-ratelimit-reset-ms");
    let v: serde_json::Value = r.json().await.expect("json");
    assert!(v["message"]
        .as_str()
        .unwrap_or("")
        .starts_with("API rate limit exceeded"));
    // Other resources are separate buckets.
    let r = get(&c, &format!("{}/repos/o/mcp-a", sim.base_url())).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(r.headers(), "x-ratelimit-resource"), "core");
    assert_eq!(header(r.headers(), "x-ratelimit-limit"), "5000");
    // Sleeping to the reset the headers announced is enough.
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;
    tokio::time::sleep(Duration::from_millis(reset_ms.saturating_sub(now_ms) + 20)).await;
    let r = get(&c, &url).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(r.headers(), "x-ratelimit-used"), "1");

    // /rate_limit tells the same story and is not counted.
    let (s, _, v) = get_json(&c, &format!("{}/rate_limit", sim.base_url())).await;
    assert_eq!(s, 200);
    assert_eq!(v["resources"]["search"]["used"], 1);
    assert_eq!(v["resources"]["core"]["used"], 1);
    assert_eq!(v["resources"]["code_search"]["limit"], 10);
    let st = sim.stats();
    assert_eq!(st.primary_refusals.get("search"), Some(&1));
    assert_eq!(st.counted_by_resource.get("search"), Some(&4));
    assert_eq!(st.counted_by_resource.get("core"), Some(&1));
    sim.shutdown().await;
}

#[tokio::test]
async fn unauthenticated_limits_are_githubs() {
    let mut config = SimConfig::default();
    config.unauthenticated.search = Limit::per_minute(2);
    let sim = start(corpus(), config).await;
    let c = client();
    let url = format!("{}/search/repositories?q=mcp", sim.base_url());
    for _ in 0..2 {
        assert_eq!(
            c.get(&url).send().await.expect("send").status().as_u16(),
            200
        );
    }
    let r = c.get(&url).send().await.expect("send");
    assert_eq!(r.status().as_u16(), 403);
    let v: serde_json::Value = r.json().await.expect("json");
    assert!(v["message"]
        .as_str()
        .unwrap_or("")
        .contains("Authenticated requests get a higher rate limit"));
    // A token has its own, larger bucket.
    assert_eq!(get(&c, &url).await.status().as_u16(), 200);
    let r = c
        .get(format!("{}/repos/o/mcp-a", sim.base_url()))
        .send()
        .await
        .expect("send");
    assert_eq!(header(r.headers(), "x-ratelimit-limit"), "60");
    sim.shutdown().await;
}

#[tokio::test]
async fn secondary_limit_on_bursts_with_retry_after() {
    let config = SimConfig {
        time_scale: 60.0,
        secondary: SecondaryLimits {
            points_per_minute: 5,
            without_retry_after: 0.0,
            ..SecondaryLimits::default()
        },
        ..SimConfig::default()
    };
    let sim = start(corpus(), config).await;
    let c = client();
    let url = format!("{}/repos/o/mcp-a", sim.base_url());
    for _ in 0..5 {
        assert_eq!(get(&c, &url).await.status().as_u16(), 200);
    }
    let r = get(&c, &url).await;
    assert_eq!(r.status().as_u16(), 403);
    // 60 s of Retry-After scaled 60 times.
    assert_eq!(header(r.headers(), "retry-after"), "1");
    assert_eq!(header(r.headers(), "x-sim-retry-after-ms"), "1000");
    assert_ne!(
        header(r.headers(), "x-ratelimit-remaining"),
        "0",
        "primary budget is not the problem"
    );
    let v: serde_json::Value = r.json().await.expect("json");
    assert!(v["message"]
        .as_str()
        .unwrap_or("")
        .contains("secondary rate limit"));
    // Still blocked until Retry-After has passed, then fine.
    assert_eq!(get(&c, &url).await.status().as_u16(), 403);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(get(&c, &url).await.status().as_u16(), 200);
    assert!(
        sim.stats()
            .secondary_refusals
            .get("core")
            .copied()
            .unwrap_or(0)
            >= 2
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn secondary_limit_on_concurrency() {
    let mut config = SimConfig {
        secondary: SecondaryLimits {
            max_concurrent: 2,
            ..SecondaryLimits::default()
        },
        ..SimConfig::default()
    };
    config.faults = mcp_survey_ghsim::FaultConfig::default().with_named(
        "o/mcp-a",
        mcp_survey_ghsim::NamedFault::always(mcp_survey_ghsim::FaultKind::Slow),
    );
    config.faults.slow_delay = Duration::from_millis(400);
    let sim = start(corpus(), config).await;
    let c = client();
    let url = format!("{}/repos/o/mcp-a", sim.base_url());
    let reqs: Vec<_> = (0..4).map(|_| get(&c, &url)).collect();
    let statuses: Vec<u16> = futures::future::join_all(reqs)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let refused = statuses.iter().filter(|s| **s == 403).count();
    assert_eq!(refused, 2, "{statuses:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_client_pacing_by_the_headers_never_exceeds_the_window() {
    // 5 searches per scaled minute of 0.25 s; the client sleeps to reset
    // whenever remaining hits 0, as the harvester does.
    let mut config = SimConfig {
        time_scale: 240.0,
        ..SimConfig::default()
    };
    config.limits.search = Limit::per_minute(5);
    let sim = start(corpus(), config).await;
    let c = client();
    let url = format!("{}/search/repositories?q=mcp", sim.base_url());
    let t = Instant::now();
    let mut ok = 0;
    while ok < 23 {
        let r = get(&c, &url).await;
        assert_eq!(
            r.status().as_u16(),
            200,
            "a well-paced client is never refused"
        );
        ok += 1;
        if header(r.headers(), "x-ratelimit-remaining") == "0" {
            let reset_ms = num(r.headers(), "x-sim-ratelimit-reset-ms");
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("clock")
                .as_millis() as u64;
            tokio::time::sleep(Duration::from_millis(reset_ms.saturating_sub(now) + 5)).await;
        }
    }
    assert!(t.elapsed() >= Duration::from_millis(4 * 250 - 50));
    let st = sim.stats();
    // Fixed windows allow up to 2x in a sliding window straddling a reset;
    // the log lets a benchmark check that figure exactly.
    let peak = st.max_in_window.get("search").copied().unwrap_or(0);
    assert!((5..=10).contains(&peak), "peak {peak}");
    assert_eq!(st.secondary_refusals.len(), 0);
    let times = sim.request_times(Resource::Search);
    assert_eq!(times.len(), 23);
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    sim.shutdown().await;
}
