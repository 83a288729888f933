//! Reports of runs that do not exist, are empty, or are still running: a
//! clear message or a report marked partial, never a panic or a NaN.

use mcp_survey_report::{ChangeKind, ExportFormat};
use mcp_survey_store::testing::TestDb;
use mcp_survey_store::{RunStatus, StoreError};

#[tokio::test]
async fn missing_empty_and_unfinished_runs() {
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let store = &db.store;
    let out = tempfile::tempdir().expect("tempdir");

    // No run at all, then a name that does not exist.
    let err = store.resolve_run(None).await.expect_err("no runs yet");
    assert!(matches!(err, StoreError::NoRuns), "{err}");
    assert!(
        err.to_string().contains("mcp-survey run"),
        "says what to do: {err}"
    );
    let err = store.run_by_name("nope").await.expect_err("no such run");
    assert!(
        err.to_string().contains("mcp-survey runs"),
        "says what to do: {err}"
    );

    // An empty finished run: every share is 0 of 0.
    let empty = store
        .create_run("empty", "http://sim", "v1")
        .await
        .expect("run");
    store
        .set_run_status(empty.id, RunStatus::Finished)
        .await
        .expect("status");
    let empty = store.run_by_id(empty.id).await.expect("run");
    let files = mcp_survey_report::write_report(store, &empty, out.path())
        .await
        .expect("report of an empty run");
    let s = &files.summary_value;
    assert_eq!(s.headline.servers, 0);
    for share in [
        &s.headline.required,
        &s.headline.static_key_or_pat,
        &s.headline.oauth,
        &s.headline.env,
    ] {
        assert_eq!((share.numerator, share.denominator), (0, 0));
        assert!(share.share == 0.0 && share.ci95_low == 0.0 && share.ci95_high == 0.0);
    }
    let md = std::fs::read_to_string(&files.markdown).expect("report.md");
    assert!(md.contains("No MCP servers in this run"), "{md}");
    assert!(!md.contains("NaN") && !md.contains("inf"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files.summary).expect("summary.json"))
            .expect("json");
    for figure in ["required", "static_key_or_pat", "oauth", "env"] {
        // serde_json writes NaN as null: a number here means no NaN.
        assert_eq!(
            json["headline"][figure]["share"].as_f64(),
            Some(0.0),
            "{figure}"
        );
    }
    let headline_csv =
        std::fs::read_to_string(files.dir.join("headline.csv")).expect("headline.csv");
    assert!(
        headline_csv.contains("requires_credentials,88.0,0,0,0.0,0.0,0.0"),
        "{headline_csv}"
    );
    let mut buf = Vec::new();
    let n = mcp_survey_report::write_export(&[], ExportFormat::Csv, &mut buf).expect("export");
    assert_eq!(n, 0);
    assert!(
        String::from_utf8_lossy(&buf).starts_with("repo,run,"),
        "header only"
    );

    // A run still in progress with one repository found and not fetched yet.
    let running = store
        .create_run("running", "http://sim", "v1")
        .await
        .expect("run");
    let meta: mcp_survey_model::RepoMeta = serde_json::from_value(serde_json::json!({
        "id": 1, "full_name": "o/r", "stargazers_count": 3,
        "created_at": "2026-11-01T00:00:00Z", "pushed_at": null
    }))
    .expect("repository metadata");
    store
        .put_repository(running.id, &meta, None)
        .await
        .expect("run repository");
    let files = mcp_survey_report::write_report(store, &running, out.path())
        .await
        .expect("partial report");
    assert!(files.summary_value.partial);
    assert_eq!(files.summary_value.funnel.found, 1);
    assert_eq!(files.summary_value.funnel.not_fetched_yet, 1);
    let md = std::fs::read_to_string(&files.markdown).expect("report.md");
    assert!(
        md.contains("**Partial report.**") && md.contains("`running`"),
        "{md}"
    );
    assert!(md.contains("| not fetched yet | 1 |"));

    // Comparing the empty run with the running one: one new repository, no servers, no NaN.
    let c = mcp_survey_report::compare(store, &empty, &running)
        .await
        .expect("compare");
    assert_eq!(c.repos(ChangeKind::RepositoryNew), ["o/r"]);
    assert_eq!(c.changes.len(), 1);
    assert!(c.b.partial && !c.a.partial);
    assert!(c
        .shares
        .iter()
        .all(|s| s.change_pct_points.to_string() == "0.0"));
    let written = mcp_survey_report::write_comparison(&c, out.path()).expect("write comparison");
    let md = std::fs::read_to_string(&written.markdown).expect("comparison.md");
    assert!(md.contains("**Partial.** Run `running`"), "{md}");
    assert!(written.dir.ends_with("empty..running"));

    // A run name that would escape the reports folder stays inside it.
    let dots = store
        .create_run("..", "http://sim", "v1")
        .await
        .expect("run");
    let files = mcp_survey_report::write_report(store, &dots, out.path())
        .await
        .expect("report");
    assert!(files.dir.starts_with(out.path()) && files.dir != out.path().join(".."));

    db.drop_db().await.expect("drop test database");
}
