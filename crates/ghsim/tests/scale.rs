//! Scale checks at the benchmark's size (30,000 repositories). Ignored by
//! default: run with `cargo test -p mcp-survey-ghsim --release --test scale -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use common::*;
use mcp_survey_ghsim::{synthetic, Limits, SimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn thirty_thousand_repositories() {
    let t = Instant::now();
    let corpus = synthetic::generate(30_000, 1);
    eprintln!("generate(30000): {:?}", t.elapsed());
    let t = Instant::now();
    let config = SimConfig {
        limits: Limits::unlimited(),
        ..SimConfig::unthrottled()
    };
    let sim = start(corpus, config).await;
    eprintln!("serve (index build): {:?}", t.elapsed());
    let c = client();
    let base = sim.base_url();
    let queries = [
        "mcp server in:name,description,readme",
        "mcp in:name,description,readme created:2025-05-21",
        "mcp in:name,description,readme created:2026-09-01..2026-09-30",
        "topic:mcp-server",
    ];
    for q in queries {
        let t = Instant::now();
        let (s, _, v) = get_json(
            &c,
            &format!("{base}/search/repositories?q={}&per_page=100", enc(q)),
        )
        .await;
        let first = t.elapsed();
        let t = Instant::now();
        let _ = get_json(
            &c,
            &format!(
                "{base}/search/repositories?q={}&per_page=100&page=2",
                enc(q)
            ),
        )
        .await;
        eprintln!(
            "{q:?}: {s} total {} in {first:?}, next page {:?}",
            v["total_count"],
            t.elapsed()
        );
    }
    for q in [
        "\"@modelcontextprotocol/sdk\" filename:package.json",
        "mcp filename:pyproject.toml size:1000..2000",
        "BRAVE_API_KEY",
    ] {
        let t = Instant::now();
        let (s, _, v) =
            get_json(&c, &format!("{base}/search/code?q={}&per_page=100", enc(q))).await;
        eprintln!(
            "code {q:?}: {s} total {} in {:?}",
            v["total_count"],
            t.elapsed()
        );
    }
    let t = Instant::now();
    for _ in 0..2000 {
        let r = get(&c, &format!("{base}/repos/alex-agents/exa-mcp-server")).await;
        let _ = r.bytes().await;
    }
    eprintln!("2000 repo requests: {:?}", t.elapsed());
    sim.shutdown().await;
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
