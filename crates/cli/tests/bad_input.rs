//! Bad input at the binary's edge: one clear line, a non-zero exit, no panic,
//! nothing half-written.

mod common;

use common::bare as mcp_survey;
use mcp_survey_ghsim::{serve, synthetic, SimConfig};
use mcp_survey_store::testing::TestDb;
use std::process::Output;

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_clean_failure(out: &Output, expected: &str) {
    let err = stderr(out);
    assert!(!out.status.success(), "must fail: {err}");
    assert!(!err.contains("panicked"), "no panic: {err}");
    let error_lines: Vec<_> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error_lines.len(), 1, "one error line: {err}");
    assert!(error_lines[0].contains(expected), "{expected:?} in {err}");
}

#[test]
fn an_unreachable_database_is_one_clear_line() {
    let out = mcp_survey(
        &[
            "--database-url",
            "postgres://postgres@127.0.0.1:1/nothing",
            "migrate",
        ],
        &[],
    );
    assert_clean_failure(
        &out,
        "cannot connect to Postgres at postgres://postgres@127.0.0.1:1/nothing",
    );
    assert!(stderr(&out).contains("--database-url"), "says what to do");
}

#[test]
fn a_malformed_database_url_is_one_clear_line() {
    let out = mcp_survey(&["--database-url", "mysql://x", "migrate"], &[]);
    assert_clean_failure(&out, "invalid database URL \"mysql://x\"");
    assert!(
        stderr(&out).contains("postgres://USER"),
        "shows the expected form"
    );
}

#[test]
fn an_unknown_subcommand_is_refused() {
    let out = mcp_survey(&["harvset"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("unrecognized subcommand 'harvset'"));
}

#[test]
fn a_seed_file_with_an_unknown_qualifier_is_refused_before_any_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let seeds = dir.path().join("seeds.toml");
    std::fs::write(
        &seeds,
        "version = 1\n\n[[query]]\nname = \"typo\"\nendpoint = \"repositories\"\nq = \"mcp lang:go\"\nreason = \"x\"\n",
    )
    .expect("write");
    // No database and no GitHub are reachable: the seed check comes first.
    let out = mcp_survey(
        &[
            "--database-url",
            "postgres://postgres@127.0.0.1:1/x",
            "harvest",
            "--github-url",
            "http://127.0.0.1:1",
            "--seeds",
            seeds.to_str().expect("utf-8 path"),
        ],
        &[],
    );
    assert_clean_failure(&out, "line 4");
    assert!(stderr(&out).contains("lang"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_github_url_and_a_wrong_token_fail_cleanly_and_write_no_run() {
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let config = SimConfig {
        valid_tokens: Some(vec!["the-right-token".into()]),
        ..SimConfig::default()
    };
    let sim = serve(
        synthetic::generate(20, 1),
        config,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let url = db.url.clone();
    let base = sim.base_url();
    let (malformed, wrong_token) = tokio::task::spawn_blocking(move || {
        let malformed = mcp_survey(
            &[
                "--database-url",
                &url,
                "run",
                "--github-url",
                "htp:/nowhere",
            ],
            &[],
        );
        let wrong = mcp_survey(
            &["--database-url", &url, "run", "--github-url", &base],
            &[("GITHUB_TOKEN", "ghp_wrongwrongwrong")],
        );
        (malformed, wrong)
    })
    .await
    .expect("commands ran");
    assert_clean_failure(&malformed, "GitHub URL \"htp:/nowhere\"");
    assert_clean_failure(&wrong_token, "Bad credentials");
    assert!(
        !stderr(&wrong_token).contains("ghp_wrongwrongwrong"),
        "the token is never printed"
    );
    let runs: i64 = db
        .store
        .inspect_one("SELECT count(*) FROM runs", &[])
        .await
        .expect("count");
    assert_eq!(runs, 0, "no run row is left behind");
    sim.shutdown().await;
    db.drop_db().await.expect("drop");
}
