//! A token with no scopes is enough for public data: the simulator answers
//! it as GitHub does (an empty X-OAuth-Scopes header), and the whole binary
//! runs the survey with it to the end without printing it.

mod common;

use common::{assert_ok, fast_sim, run_status, run_survey, scalar_i64, sim, text, unique_token};
use mcp_survey_ghsim::synthetic;
use mcp_survey_store::testing::TestDb;
use std::io::{Read, Write};
use std::time::Duration;

/// The response head of GET `path` with `token`, over a plain socket.
fn raw_head(base: &str, path: &str, token: &str) -> String {
    let addr = base.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).ok();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: reltest\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .expect("write");
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    let text = String::from_utf8_lossy(&buf).into_owned();
    text.split("\r\n\r\n").next().unwrap_or("").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_with_no_scopes_reads_public_data_and_runs_the_survey() {
    let token = unique_token("ghp_noscope");
    let db = TestDb::create().await.expect("test database");
    let sim = sim(
        synthetic::generate(20, 3),
        fast_sim(Some(vec![token.clone()])),
    )
    .await;
    // The simulator answers this token as GitHub answers a token with no
    // scope: an empty X-OAuth-Scopes header.
    let base = sim.base_url();
    let t = token.clone();
    let heads = tokio::task::spawn_blocking(move || {
        [
            raw_head(&base, "/rate_limit", &t),
            raw_head(&base, "/search/repositories?q=mcp", &t),
        ]
    })
    .await
    .expect("raw requests");
    for head in &heads {
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        let scopes: Vec<&str> = head
            .lines()
            .filter_map(|l| l.split_once(':'))
            .filter(|(k, _)| k.eq_ignore_ascii_case("x-oauth-scopes"))
            .map(|(_, v)| v.trim())
            .collect();
        assert_eq!(scopes, vec![""], "empty scopes header: {head}");
    }
    let work = tempfile::tempdir().expect("tempdir");
    let out = run_survey(
        &db.url,
        &sim.base_url(),
        work.path(),
        "noscope",
        "reports",
        &[("GITHUB_TOKENS", &token)],
    )
    .await;
    assert_ok(&out, "a run with a no-scope token");
    assert!(!text(&out).contains(&token));
    let pool = &db.store;
    assert_eq!(run_status(pool, "noscope").await, "finished");
    let fetched = scalar_i64(
        pool,
        "SELECT count(*) FROM run_repositories WHERE fetch_status = 'fetched'",
    )
    .await;
    assert!(fetched >= 5, "public repositories were fetched: {fetched}");
    let not_done = scalar_i64(pool, "SELECT count(*) FROM jobs WHERE state <> 'done'").await;
    assert_eq!(not_done, 0);
    sim.shutdown().await;
    db.drop_db().await.expect("drop");
}
