use std::fs;
use std::time::Instant;

use mcp_survey_ghsim::synthetic::{self, GenOptions};
use mcp_survey_ghsim::{Corpus, HostileEntry, SimError};

#[test]
fn synthetic_is_deterministic_fast_and_round_trips() {
    let t = Instant::now();
    let a = synthetic::generate(3000, 11);
    let took = t.elapsed();
    // Debug builds are several times slower than release; the bound is loose.
    assert!(took.as_secs_f64() < 5.0, "generate(3000) took {took:?}");
    assert_eq!(a, synthetic::generate(3000, 11));
    assert_eq!(a.repos.len(), 3000);

    let opts = GenOptions {
        huge: 1,
        huge_bytes: 123 * 1024 * 1024,
        hostile: true,
    };
    let b = synthetic::generate_with(50, 5, &opts);
    assert_eq!(b.repos.len(), 50 + 1 + HostileEntry::ALL.len() + 1);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("corpus");
    b.write_dir(&path).expect("write");
    let back = Corpus::load_dir(&path).expect("load");
    assert_eq!(back, b, "write_dir then load_dir gives the same corpus");
    let huge = back.get(&synthetic::huge_repo_name(0)).expect("huge");
    assert_eq!(huge.filler_bytes, 123 * 1024 * 1024);
    let everything = back.get("sim-hostile/everything").expect("hostile");
    assert_eq!(everything.hostile, HostileEntry::ALL.to_vec());
    // Writing into a non-empty directory is refused.
    assert!(matches!(b.write_dir(&path), Err(SimError::NotEmpty(_))));
}

#[test]
fn load_dir_fills_missing_metadata_deterministically() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    fs::create_dir_all(root.join("octo__weather-mcp/src")).expect("mkdir");
    fs::write(
        root.join("octo__weather-mcp/README.md"),
        "# Weather MCP\n\nAn MCP server for the weather.\n",
    )
    .expect("write");
    fs::write(
        root.join("octo__weather-mcp/src/index.ts"),
        "const k = process.env.KEY;\n".repeat(20),
    )
    .expect("write");
    fs::create_dir_all(root.join("acme__tool/.git")).expect("mkdir");
    fs::write(root.join("acme__tool/.git/HEAD"), "ref: refs/heads/main\n").expect("write");
    fs::write(root.join("acme__tool/main.py"), "print(1)\n").expect("write");
    // A partial line: only stars and topics given.
    fs::write(
        root.join("meta.jsonl"),
        "{\"full_name\": \"acme/tool\", \"stargazers_count\": 42, \"topics\": [\"mcp\"]}\n\n{\"full_name\": \"ghost/empty\", \"id\": 7, \"created_at\": \"2025-01-02T03:04:05Z\", \"pushed_at\": null}\n",
    )
    .expect("write");
    fs::write(
        root.join("labels.jsonl"),
        "{\"repo\": \"octo/weather-mcp\", \"kind\": \"server\", \"language\": \"TypeScript\", \"credentials\": \"required\", \"auth_methods\": [\"api_key\"], \"credential_sources\": [\"env\"], \"env_vars\": [\"KEY\"]}\n",
    )
    .expect("write");

    let c = Corpus::load_dir(root).expect("load");
    let names: Vec<&str> = c.repos.iter().map(|r| r.meta.full_name.as_str()).collect();
    assert_eq!(
        names,
        vec!["acme/tool", "ghost/empty", "octo/weather-mcp"],
        "meta.jsonl order first"
    );
    let tool = &c.repos[0];
    assert_eq!(tool.meta.stargazers_count, 42);
    assert_eq!(tool.meta.topics, vec!["mcp"]);
    assert_eq!(tool.meta.language.as_deref(), Some("Python"));
    assert!(
        !tool.files.keys().any(|k| k.starts_with(".git")),
        ".git is not content"
    );
    let empty = &c.repos[1];
    assert_eq!(empty.meta.id, 7);
    assert!(empty.files.is_empty());
    assert!(empty.commit_sha().is_none());
    let weather = &c.repos[2];
    assert_eq!(weather.meta.language.as_deref(), Some("TypeScript"));
    assert_eq!(
        weather.meta.description.as_deref(),
        Some("An MCP server for the weather")
    );
    assert!(weather.truth.is_some());
    assert!(weather.meta.id > 0);
    // Defaults are stable across loads.
    assert_eq!(Corpus::load_dir(root).expect("load"), c);
}

#[test]
fn load_dir_errors_say_what_is_wrong() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::create_dir_all(dir.path().join("not-a-repo-name")).expect("mkdir");
    let err = Corpus::load_dir(dir.path()).expect_err("bad folder");
    assert!(err.to_string().contains("OWNER__NAME"), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(
        dir.path().join("meta.jsonl"),
        "{\"full_name\": \"a/b\"}\n{oops\n",
    )
    .expect("write");
    let err = Corpus::load_dir(dir.path()).expect_err("bad json");
    assert!(err.to_string().contains("meta.jsonl:2"), "{err}");

    let err = Corpus::load_dir(&dir.path().join("missing")).expect_err("missing dir");
    assert!(
        err.to_string().contains("cannot read corpus directory"),
        "{err}"
    );
}

#[test]
fn read_labels_attaches_truth_by_name() {
    let mut c = synthetic::generate(20, 3);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("labels.jsonl");
    let name = c.repos[4].meta.full_name.clone();
    let truth = c.repos[4].truth.clone().expect("truth");
    fs::write(
        &path,
        format!(
            "{}\n{{\"repo\": \"someone/else\", \"kind\": \"list\", \"credentials\": \"none\"}}\n",
            serde_json::to_string(&truth).expect("json")
        ),
    )
    .expect("write");
    for r in &mut c.repos {
        r.truth = None;
    }
    assert_eq!(c.read_labels(&path).expect("labels"), 1);
    assert_eq!(c.get(&name).and_then(|r| r.truth.clone()), Some(truth));
    assert!(c.read_labels(&dir.path().join("nope.jsonl")).is_err());
}
