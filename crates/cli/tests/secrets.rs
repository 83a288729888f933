//! The token never leaks: the whole binary, run against the simulator over
//! HTTP with debug logging on, never prints, logs, writes or stores a GitHub
//! token, and a secret hard-coded in a surveyed server is stored only as
//! file content and shown only masked.

mod common;

use common::{
    assert_ok, fast_sim, files_under, run_status, run_survey, server_repo, sim, tables_containing,
    text, unique_token,
};
use mcp_survey_ghsim::synthetic;
use mcp_survey_store::testing::TestDb;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_never_printed_logged_or_stored_and_hardcoded_secrets_are_masked() {
    let token = unique_token("ghp_");
    let wrong = unique_token("ghp_");
    assert_eq!(token.len(), 40);
    // A literal key in a server's code (KNOWN_PREFIX shape, no placeholder word).
    let secret = "sk-proj-Q7wZr2Lk9Vx4Tn8Wm3Hs6Pq5Gy1Cb0Jf2Nd7Ka";
    let db = TestDb::create().await.expect("test database");
    let mut corpus = synthetic::generate(40, 7);
    corpus.repos.push(server_repo(
        "acme-labs/weather-mcp-server",
        990_000_001,
        &[(
            "src/index.ts",
            format!(
                "import {{ McpServer }} from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport {{ StdioServerTransport }} from \"@modelcontextprotocol/sdk/server/stdio.js\";\n\nconst API_KEY = \"{secret}\";\n\nconst server = new McpServer({{ name: \"weather\", version: \"1.0.0\" }});\nserver.tool(\"forecast\", {{}}, async () => {{\n  const res = await fetch(\"https://api.weather.io/v1/forecast\", {{ headers: {{ Authorization: `Bearer ${{API_KEY}}` }} }});\n  return {{ content: [{{ type: \"text\", text: await res.text() }}] }};\n}});\nawait server.connect(new StdioServerTransport());\n"
            )
            .into_bytes(),
        )],
    ));
    let sim = sim(corpus, fast_sim(Some(vec![token.clone()]))).await;
    let work = tempfile::tempdir().expect("tempdir");
    let reports = work.path().join("reports");
    let out_arg = reports.to_str().expect("utf-8").to_string();
    let base = sim.base_url();
    let run = |name: &str, token: &str| {
        let env = [("GITHUB_TOKENS", token), ("MCP_SURVEY_LOG", "debug")];
        run_survey(&db.url, &base, work.path(), name, &out_arg, &env)
    };

    let started = Instant::now();
    let good = run("secrets-run", &token).await;
    assert_ok(&good, "run with the right token");
    eprintln!("secrets: good run {:.1}s", started.elapsed().as_secs_f64());
    let bad = run("secrets-wrong", &wrong).await;
    assert!(!bad.status.success(), "a wrong token fails: {}", text(&bad));
    assert!(text(&bad).contains("Bad credentials"), "{}", text(&bad));

    // Debug logging was really on, so the check below covers the logs.
    assert!(
        String::from_utf8_lossy(&good.stderr).contains("DEBUG"),
        "debug logs are written to stderr"
    );
    let pool = &db.store;
    assert_eq!(run_status(pool, "secrets-run").await, "finished");

    // Printed and logged.
    for (what, out) in [("right-token run", &good), ("wrong-token run", &bad)] {
        let all = text(out);
        for needle in [&token, &wrong] {
            assert!(!all.contains(needle.as_str()), "{what} printed a token");
        }
        assert!(!all.contains(secret), "{what} printed a hard-coded secret");
    }
    // Written.
    let report_files = files_under(&reports);
    assert!(
        report_files.iter().any(|p| p.ends_with("report.md")),
        "the report was written: {report_files:?}"
    );
    for p in report_files.iter().chain(files_under(work.path()).iter()) {
        let bytes = std::fs::read(p).expect("read report file");
        let s = String::from_utf8_lossy(&bytes);
        for needle in [token.as_str(), wrong.as_str(), secret] {
            assert!(!s.contains(needle), "{} holds a secret", p.display());
        }
    }
    // Stored. The scan finds what is there (the run's name)...
    assert!(tables_containing(pool, "secrets-run", &[])
        .await
        .contains(&"runs".to_string()));
    // ...and no table holds either token.
    for needle in [&token, &wrong] {
        let hits = tables_containing(pool, needle, &[]).await;
        assert!(hits.is_empty(), "a GitHub token is stored in {hits:?}");
    }
    // The hard-coded secret is in the stored file (the classifier's input)
    // and was found, but every other table holds only its masked form.
    assert_eq!(
        tables_containing(pool, secret, &[]).await,
        vec!["files".to_string()],
        "the secret literal is stored only as file content"
    );
    #[derive(serde::Deserialize)]
    struct Label {
        credential_sources: Vec<String>,
        evidence: String,
    }
    let labels: Vec<Label> = pool
        .inspect(
            "SELECT l.credential_sources, l.evidence::text AS evidence FROM labels l
             JOIN run_repositories rr ON rr.snapshot_id = l.snapshot_id
             WHERE rr.full_name = 'acme-labs/weather-mcp-server'",
            &[],
        )
        .await
        .expect("query");
    let Some(Label {
        credential_sources: sources,
        evidence,
    }) = labels.into_iter().next()
    else {
        panic!("the secret's server was labelled")
    };
    assert!(
        sources.contains(&"hardcoded".to_string()),
        "the literal key was detected: {sources:?} {evidence}"
    );
    assert!(evidence.contains("sk-p…"), "masked evidence: {evidence}");

    sim.shutdown().await;
    db.drop_db().await.expect("drop");
}
