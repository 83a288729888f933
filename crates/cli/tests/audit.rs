//! The audit end to end, through the binary: a synthetic corpus written by
//! `sim --write-corpus` (with the generator's own truth in labels.jsonl) is
//! surveyed over HTTP; `audit draw --n 100` writes the sheet; the sheet is
//! filled from labels.jsonl; `audit score` stores the accuracy; `report`
//! then shows raw and corrected shares with intervals, names the audit as
//! the accuracy source, and says the data is synthetic; `export --all`
//! carries every repository's kind and evidence; every chart is SVG that
//! parses and a PNG.

mod common;

use common::{assert_ok, command, fast_sim, run_cli, run_survey, sim, text};
use mcp_survey_ghsim::Corpus;
use mcp_survey_store::testing::TestDb;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// The fields a person labels, as docs/labels.md names them.
const LABEL_FIELDS: [&str; 8] = [
    "kind",
    "language",
    "sdk",
    "transport",
    "credentials",
    "auth_methods",
    "credential_sources",
    "env_vars",
];

fn read_json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_audit_filled_from_the_truth_corrects_the_report() {
    let db = TestDb::create().await.expect("test database");
    let work = tempfile::tempdir().expect("tempdir");
    let cwd = work.path();
    let corpus_dir = cwd.join("corpus");
    let reports = cwd.join("reports");
    let audit_dir = cwd.join("audit");
    let s = |p: &Path| p.to_str().expect("utf-8 path").to_string();

    // The corpus and its truth, as a person would get them.
    let written = run_cli(command(
        &db.url,
        "http://127.0.0.1:9",
        cwd,
        &[
            "sim",
            "--synthetic",
            "500",
            "--seed",
            "12",
            "--write-corpus",
            &s(&corpus_dir),
        ],
        &[],
    ))
    .await;
    assert_ok(&written, "sim --write-corpus");
    let corpus = Corpus::load_dir(&corpus_dir).expect("the written corpus loads");
    let sim = sim(corpus, fast_sim(None)).await;
    let base = sim.base_url();
    let surveyed = run_survey(
        &db.url,
        &base,
        cwd,
        "audited",
        &s(&reports),
        &[("GITHUB_TOKEN", "t")],
    )
    .await;
    assert_ok(&surveyed, "run");
    sim.shutdown().await;

    // Before any audit the report says plainly that nothing is corrected.
    let before: Value = serde_json::from_str(
        &std::fs::read_to_string(reports.join("audited/summary.json")).expect("summary"),
    )
    .expect("json");
    assert!(before["correction"]["source"].is_null());
    let md = std::fs::read_to_string(reports.join("audited/report.md")).expect("report.md");
    assert!(
        md.contains("No accuracy data was given for this report"),
        "{md}"
    );

    let drew = run_cli(command(
        &db.url,
        &base,
        cwd,
        &[
            "audit",
            "draw",
            "--run",
            "audited",
            "--n",
            "100",
            "--seed",
            "5",
            "--out",
            &s(&audit_dir),
        ],
        &[],
    ))
    .await;
    assert_ok(&drew, "audit draw");
    let sheet = read_json_lines(&audit_dir.join("sheet.jsonl"));
    assert_eq!(sheet.len(), 100);
    assert!(audit_dir.join("sheet.csv").is_file());
    let mut strata: HashMap<String, usize> = HashMap::new();
    for row in &sheet {
        *strata
            .entry(row["stratum"].as_str().expect("stratum").to_string())
            .or_default() += 1;
        for field in [
            "kind",
            "sdk",
            "credentials",
            "auth_methods",
            "credential_sources",
            "env_vars",
            "evidence",
        ] {
            assert!(row["predicted"].get(field).is_some(), "predicted.{field}");
            assert!(
                row["human"].get(field).is_some_and(Value::is_null),
                "human.{field} starts empty"
            );
        }
        let w = row["weight"].as_f64().expect("weight");
        let p = row["inclusion_probability"].as_f64().expect("probability");
        assert!(
            (w * p - 1.0).abs() < 1e-9,
            "weight is the inverse inclusion probability"
        );
        assert!(
            !row["url"].as_str().expect("url").contains("github.com"),
            "no github.com link"
        );
    }
    assert!(
        strata.keys().any(|k| k.starts_with("server/")),
        "{strata:?}"
    );
    assert!(
        strata.len() >= 3,
        "stratified by kind and credential need: {strata:?}"
    );

    // Fill the sheet from the generator's truth; leave one row empty to
    // check that half-filled sheets are scored on the filled rows.
    let truth: HashMap<String, Value> = read_json_lines(&corpus_dir.join("labels.jsonl"))
        .into_iter()
        .map(|l| (l["repo"].as_str().expect("repo").to_string(), l))
        .collect();
    let mut filled = String::new();
    for (i, mut row) in sheet.into_iter().enumerate() {
        if i > 0 {
            let t = &truth[row["repo"].as_str().expect("repo")];
            for field in LABEL_FIELDS {
                row["human"][field] = t[field].clone();
            }
        }
        filled.push_str(&serde_json::to_string(&row).expect("row"));
        filled.push('\n');
    }
    let filled_path = audit_dir.join("filled.jsonl");
    std::fs::write(&filled_path, &filled).expect("write the filled sheet");

    // A malformed row is refused with its line.
    let broken_path = audit_dir.join("broken.jsonl");
    let mut lines: Vec<&str> = filled.lines().collect();
    lines[2] = "{\"repo\": \"oops\"";
    std::fs::write(&broken_path, lines.join("\n")).expect("write");
    let broken = run_cli(command(
        &db.url,
        &base,
        cwd,
        &["audit", "score", "--run", "audited", &s(&broken_path)],
        &[],
    ))
    .await;
    assert!(!broken.status.success());
    assert!(
        text(&broken).contains("broken.jsonl:3:"),
        "{}",
        text(&broken)
    );

    // The spreadsheet form scores the same way: lists joined with `;`.
    let csv_text = std::fs::read_to_string(audit_dir.join("sheet.csv")).expect("sheet.csv");
    let mut records = mcp_survey_report::csv::parse(&csv_text);
    let header = records.remove(0);
    let at = |c: &str| header.iter().position(|h| h == c).expect("column");
    for row in &mut records {
        let t = &truth[&row[at("repo")]];
        for field in LABEL_FIELDS {
            row[at(&format!("human_{field}"))] = match &t[field] {
                Value::Array(values) => values
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(";"),
                v => v.as_str().unwrap_or_default().to_string(),
            };
        }
    }
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    let filled_csv = audit_dir.join("filled.csv");
    std::fs::write(
        &filled_csv,
        mcp_survey_report::csv::table(&header_refs, records),
    )
    .expect("write the filled csv");
    let scored_csv = run_cli(command(
        &db.url,
        &base,
        cwd,
        &["audit", "score", "--run", "audited", &s(&filled_csv)],
        &[],
    ))
    .await;
    assert_ok(&scored_csv, "audit score of the CSV sheet");
    assert!(
        text(&scored_csv).contains("scored 100 of 100 rows"),
        "{}",
        text(&scored_csv)
    );

    let scored = run_cli(command(
        &db.url,
        &base,
        cwd,
        &["audit", "score", "--run", "audited", &s(&filled_path)],
        &[],
    ))
    .await;
    assert_ok(&scored, "audit score");
    assert!(
        text(&scored).contains("scored 99 of 100 rows"),
        "{}",
        text(&scored)
    );

    let reported = run_cli(command(
        &db.url,
        &base,
        cwd,
        &["report", "--run", "audited", "--out", &s(&reports)],
        &[],
    ))
    .await;
    assert_ok(&reported, "report");
    assert!(text(&reported).contains("corrected"), "{}", text(&reported));
    let dir = reports.join("audited");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).expect("summary"))
            .expect("json");
    assert_eq!(summary["correction"]["source"]["kind"], "audit");
    let figures = summary["correction"]["figures"]
        .as_array()
        .expect("figures");
    assert_eq!(figures.len(), 5);
    let mut corrected_any = 0;
    for f in figures {
        for key in ["raw", "n"] {
            assert!(f[key].is_number(), "{key} in {f}");
        }
        assert_eq!(f["accuracy_source"], "audit");
        if let Some(c) = f["corrected"].as_f64() {
            corrected_any += 1;
            let (lo, hi) = (
                f["ci_low"].as_f64().expect("lo"),
                f["ci_high"].as_f64().expect("hi"),
            );
            assert!(lo <= c && c <= hi, "{f}");
        }
    }
    assert!(
        corrected_any >= 3,
        "most figures are corrected: {figures:?}"
    );
    let md = std::fs::read_to_string(dir.join("report.md")).expect("report.md");
    assert!(md.contains("corrected for classifier error"), "{md}");
    assert!(
        md.contains("Accuracy source: the run's audit: 99 of 100"),
        "{md}"
    );
    assert!(md.contains("## Methods"));
    assert!(md.contains("State of MCP Server Security 2025"));
    assert!(md.contains("**Synthetic data.**"));
    assert!(
        !md.contains("github.com/"),
        "a synthetic report links nothing to github.com"
    );

    // Every chart: an SVG and its PNG (drawn from the parsed SVG, so the
    // PNG's presence says the SVG parsed; crates/report's tests parse them too).
    let mut svgs = 0;
    for entry in std::fs::read_dir(&dir).expect("report folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "svg") {
            svgs += 1;
            let text = std::fs::read_to_string(&path).expect("svg");
            assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
            let png = std::fs::read(path.with_extension("png")).expect("a PNG beside each SVG");
            assert!(png.starts_with(b"\x89PNG"), "{} is a PNG", path.display());
        }
    }
    assert!(svgs >= 5, "{svgs} charts");

    // An `eval --json` on the written corpus corrects instead when named.
    let eval_json = cwd.join("eval.json");
    let evaluated = run_cli(command(
        &db.url,
        &base,
        cwd,
        &[
            "eval",
            "--corpus",
            &s(&corpus_dir),
            "--labels",
            &s(&corpus_dir.join("labels.jsonl")),
            "--json",
            &s(&eval_json),
        ],
        &[],
    ))
    .await;
    assert_ok(&evaluated, "eval --json");
    let with_eval = run_cli(command(
        &db.url,
        &base,
        cwd,
        &[
            "report",
            "--run",
            "audited",
            "--accuracy",
            &s(&eval_json),
            "--out",
            &s(&cwd.join("eval-reports")),
        ],
        &[],
    ))
    .await;
    assert_ok(&with_eval, "report --accuracy");
    let summary: Value = serde_json::from_str(
        &std::fs::read_to_string(cwd.join("eval-reports/audited/summary.json")).expect("summary"),
    )
    .expect("json");
    assert_eq!(summary["correction"]["source"]["kind"], "eval");
    assert_eq!(summary["correction"]["source"]["labelled"], 500);

    // The export with non-servers, kind and evidence, one row per repository.
    let exported = run_cli(command(
        &db.url,
        &base,
        cwd,
        &[
            "export", "--run", "audited", "--all", "--format", "jsonl", "--out", "-",
        ],
        &[],
    ))
    .await;
    assert_ok(&exported, "export --all");
    let rows: Vec<Value> = String::from_utf8_lossy(&exported.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("row"))
        .collect();
    let kinds: std::collections::BTreeSet<&str> =
        rows.iter().filter_map(|r| r["kind"].as_str()).collect();
    assert!(kinds.contains("server") && kinds.len() >= 3, "{kinds:?}");
    let repos: std::collections::BTreeSet<&str> =
        rows.iter().filter_map(|r| r["repo"].as_str()).collect();
    assert_eq!(repos.len(), rows.len(), "one row per repository");
    let with_evidence = rows
        .iter()
        .filter(|r| {
            r["evidence"].as_array().is_some_and(|e| {
                e.iter().any(|x| {
                    x["file"].is_string() && x["line"].is_number() && x["rule"].is_string()
                })
            })
        })
        .count();
    assert!(
        with_evidence * 2 > rows.len(),
        "{with_evidence} of {} rows carry evidence",
        rows.len()
    );
    db.store.close().await;
}
