//! Scale checks at the benchmark's size (30,000 repositories): every answer
//! is correct at that size (totals equal the uncapped oracle's, pages are
//! full), and the timings are printed. Ignored by default: run with
//! `cargo test -p mcp-survey-ghsim --release --test scale -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use common::*;
use mcp_survey_ghsim::{synthetic, Limits, SearchOracle, SimConfig};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn thirty_thousand_repositories() {
    let t = Instant::now();
    let corpus = synthetic::generate(30_000, 1);
    eprintln!("generate(30000): {:?}", t.elapsed());
    assert_eq!(corpus.repos.len(), 30_000);
    let config = SimConfig {
        limits: Limits::unlimited(),
        ..SimConfig::unthrottled()
    };
    let oracle = SearchOracle::for_config(&corpus, &config);
    let truth = |endpoint: &str, q: &str| oracle.matches(endpoint, q).expect("valid query");
    let repo_truth: Vec<usize> = REPO_QUERIES
        .iter()
        .map(|q| truth("repositories", q).len())
        .collect();
    let code_truth: Vec<usize> = CODE_QUERIES
        .iter()
        .map(|q| truth("code", q).len())
        .collect();
    let t = Instant::now();
    // A repository the corpus holds, for the repeated-request timing.
    let known = corpus.repos[corpus.repos.len() / 2].meta.full_name.clone();
    let sim = start(corpus, config).await;
    eprintln!("serve (index build): {:?}", t.elapsed());
    let c = client();
    let base = sim.base_url();
    for (q, want) in REPO_QUERIES.iter().zip(repo_truth) {
        let t = Instant::now();
        let (s, _, v) = get_json(
            &c,
            &format!("{base}/search/repositories?q={}&per_page=100", enc(q)),
        )
        .await;
        let first = t.elapsed();
        assert_eq!(s, 200, "{q}");
        assert_eq!(v["total_count"], want, "{q}: served total = uncapped truth");
        assert!(
            want > 0,
            "{q} matches something in a 30,000-repository corpus"
        );
        assert_eq!(
            v["items"].as_array().map(Vec::len),
            Some(want.min(100)),
            "{q}"
        );
        let t = Instant::now();
        let (s2, _, v2) = get_json(
            &c,
            &format!(
                "{base}/search/repositories?q={}&per_page=100&page=2",
                enc(q)
            ),
        )
        .await;
        assert_eq!(s2, 200, "{q} page 2");
        let second = want.saturating_sub(100).min(100);
        assert_eq!(
            v2["items"].as_array().map(Vec::len),
            Some(second),
            "{q} page 2"
        );
        eprintln!(
            "{q:?}: {s} total {} in {first:?}, next page {:?}",
            v["total_count"],
            t.elapsed()
        );
    }
    for (q, want) in CODE_QUERIES.iter().zip(code_truth) {
        let t = Instant::now();
        let (s, _, v) =
            get_json(&c, &format!("{base}/search/code?q={}&per_page=100", enc(q))).await;
        assert_eq!(s, 200, "{q}");
        // The oracle counts repositories; the API counts files, at least
        // one per matching repository and none when no repository matches.
        let files = v["total_count"].as_u64().expect("total_count") as usize;
        assert!(
            files >= want && (files == 0) == (want == 0),
            "code {q}: {files} files, {want} repositories"
        );
        eprintln!(
            "code {q:?}: {s} total {} in {:?}",
            v["total_count"],
            t.elapsed()
        );
    }
    let t = Instant::now();
    for _ in 0..2000 {
        let r = get(&c, &format!("{base}/repos/{known}")).await;
        assert_eq!(r.status(), 200);
        let _ = r.bytes().await;
    }
    eprintln!("2000 repo requests: {:?}", t.elapsed());
    sim.shutdown().await;
}

const REPO_QUERIES: [&str; 4] = [
    "mcp server in:name,description,readme",
    "mcp in:name,description,readme created:2025-05-21",
    "mcp in:name,description,readme created:2026-09-01..2026-09-30",
    "topic:mcp-server",
];

const CODE_QUERIES: [&str; 3] = [
    "\"@modelcontextprotocol/sdk\" filename:package.json",
    "mcp filename:pyproject.toml size:1000..2000",
    "BRAVE_API_KEY",
];

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
