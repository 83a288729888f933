//! The eval report's JSON shape on a tiny synthetic corpus.

use mcp_survey_classify::eval::evaluate;

#[test]
fn evaluate_scores_present_repos_and_reports_missing_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("corpus");
    let srv = corpus.join("acme__weather-mcp");
    std::fs::create_dir_all(srv.join("src")).expect("mkdir");
    std::fs::write(
        srv.join("package.json"),
        r#"{"name":"w","dependencies":{"@modelcontextprotocol/sdk":"^1"}}"#,
    )
    .expect("write");
    std::fs::write(
        srv.join("src/index.ts"),
        "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst k = process.env.ACME_API_KEY;\nif (!k) { throw new Error(\"ACME_API_KEY is required\"); }\nnew McpServer({});\n",
    )
    .expect("write");
    let list = corpus.join("acme__awesome-mcp");
    std::fs::create_dir_all(&list).expect("mkdir");
    std::fs::write(
        list.join("README.md"),
        "# Awesome MCP\nA curated list of Model Context Protocol servers.\n",
    )
    .expect("write");

    let labels = dir.path().join("labels.jsonl");
    std::fs::write(
        &labels,
        concat!(
            r#"{"repo":"acme/weather-mcp","kind":"server","language":"TypeScript","sdk":["ts-official"],"transport":["stdio"],"credentials":"required","auth_methods":["api_key"],"credential_sources":["env"],"env_vars":["ACME_API_KEY"]}"#,
            "\n",
            r#"{"repo":"acme/awesome-mcp","kind":"list","language":"Markdown","credentials":"none"}"#,
            "\n",
            r#"{"repo":"acme/gone","kind":"other","language":"Go","credentials":"none"}"#,
            "\n"
        ),
    )
    .expect("write");

    let report = evaluate(&corpus, &labels).expect("evaluates");
    assert_eq!(report.missing, vec!["acme/gone".to_string()]);
    let j = report.to_json();
    assert_eq!(j["repos"], 2);
    assert_eq!(j["kind"]["accuracy"], 1.0);
    assert_eq!(j["is_server"]["f1"], 1.0);
    assert_eq!(j["credentials"]["accuracy"], 1.0);
    assert_eq!(j["auth_methods"]["per_label"]["api_key"]["support"], 1);
    assert!(j["credential_sources"]["micro_f1"].is_number());
    assert!(j["sdk"]["per_label"].is_object());
    assert!(j["transport"]["per_label"].is_object());
    assert_eq!(j["env_vars"]["micro_f1"], 1.0);
    for h in ["required", "static_key_or_pat", "oauth", "env"] {
        assert!(j["headline"][h]["labels"].is_number(), "{h}");
        assert!(j["headline"][h]["predicted"].is_number(), "{h}");
    }
    assert!(j["mismatches"].is_array());
    assert_eq!(j["missing"], serde_json::json!(["acme/gone"]));
    let table = report.render_table();
    assert!(table.contains("missing from the corpus folder (skipped, not scored): 1"));
    assert!(table.contains("missing: acme/gone"));

    assert!(evaluate(&dir.path().join("nope"), &labels).is_err());
    assert!(evaluate(&corpus, &dir.path().join("nope.jsonl")).is_err());
}

/// Scores over nothing would print 1.000 everywhere: an empty labels file,
/// or labels none of which has a folder, is an error that says why.
#[test]
fn evaluate_refuses_to_score_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(corpus.join("acme__other")).expect("mkdir");

    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "\n\n").expect("write");
    let e = evaluate(&corpus, &empty).expect_err("no labels");
    assert!(
        e.to_string().contains("holds no labelled repository"),
        "{e}"
    );

    let unmatched = dir.path().join("unmatched.jsonl");
    std::fs::write(
        &unmatched,
        concat!(
            r#"{"repo":"acme/one","kind":"other","language":"Go","credentials":"none"}"#,
            "\n",
            r#"{"repo":"acme/two","kind":"other","language":"Go","credentials":"none"}"#,
            "\n"
        ),
    )
    .expect("write");
    let e = evaluate(&corpus, &unmatched).expect_err("nothing matched");
    let text = e.to_string();
    assert!(text.contains("none of the 2 repositories"), "{text}");
    assert!(
        text.contains("acme__one"),
        "names the folder it looked for: {text}"
    );
}
