//! Two runs over real HTTP against the simulator (a synthetic corpus, then
//! the same corpus evolved a week), into a fresh database; then:
//! - every file in queries/ is run and its rows must equal the report's CSV
//!   file cell by cell (and the CSV files equal summary.json and report.md);
//! - `compare` must name exactly the repositories `evolve` changed.

use mcp_survey_ghsim::{serve, synthetic, Corpus, SearchOracle, SimConfig, SimRepo};
use mcp_survey_github::{ClientConfig, GithubClient, Token};
use mcp_survey_harvest::{SeedFile, DEFAULT_SEEDS};
use mcp_survey_model::{RepoFile, RepoFiles};
use mcp_survey_pipeline::{run_pipeline, RunOptions};
use mcp_survey_report::{csv, ChangeKind, Comparison};
use mcp_survey_store::testing::TestDb;
use mcp_survey_store::Store;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn client_for(base_url: &str) -> GithubClient {
    let mut config =
        ClientConfig::new(base_url, vec![Token::new("test-token")]).expect("valid URL");
    config.archive_min_interval = Duration::ZERO;
    config.archive_concurrency = 8;
    config.secondary_min_wait = Duration::from_millis(100);
    config.backoff_base = Duration::from_millis(20);
    GithubClient::new(config).expect("client")
}

fn seeds() -> SeedFile {
    SeedFile::parse(DEFAULT_SEEDS, "seeds").expect("seeds")
}

async fn run_on(store: &Store, corpus: Arc<Corpus>, name: &str, reports: &Path) {
    let config = SimConfig {
        time_scale: 1000.0,
        ..SimConfig::default()
    };
    let sim = serve(corpus, config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator");
    let options = RunOptions {
        name: Some(name.to_string()),
        seeds: seeds(),
        report_dir: reports.to_path_buf(),
        worker_id: "test".into(),
        fetch_workers: 8,
        download: Default::default(),
        join: false,
        bars: mcp_survey_pipeline::hidden_bars(),
        stop: Default::default(),
    };
    run_pipeline(store, &client_for(&sim.base_url()), &options)
        .await
        .expect("pipeline run");
    sim.shutdown().await;
}

fn queries_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries")
}

/// Runs a queries/ file and returns its column names and rows as text
/// (NULL as ""), the way a CSV file holds them.
async fn run_query(
    store: &Store,
    file: &Path,
    vars: &BTreeMap<&str, &str>,
) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(file).expect("query file");
    let first = text.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("-- Question:"),
        "{} must start with a `-- Question:` comment",
        file.display()
    );
    let sql = mcp_survey_report::queries::render(&text, vars).expect("variables");
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = store
        .inspect(&sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{} failed: {e}", file.display()));
    // Column names come from a zero-row describe, so empty results still have them.
    let columns = store.inspect_columns(&sql).await.expect("describe");
    let text_rows = rows
        .iter()
        .map(|r| columns.iter().map(|c| cell(r.get(c))).collect())
        .collect();
    (columns, text_rows)
}

fn cell(v: Option<&serde_json::Value>) -> String {
    match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = csv::parse(&text);
    assert!(!rows.is_empty(), "{} has a header", path.display());
    let header = rows.remove(0);
    (header, rows)
}

fn sorted(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.sort();
    rows
}

/// A Wilson bound computed in float by Postgres and by Rust may round to
/// neighbouring tenths in a tie; everything else must match exactly.
fn assert_headline_equal(sql: &[Vec<String>], csv_rows: &[Vec<String>]) {
    assert_eq!(sql.len(), csv_rows.len());
    for (s, c) in sql.iter().zip(csv_rows) {
        assert_eq!(s[..5], c[..5], "headline row");
        for i in 5..7 {
            let a: f64 = s[i].parse().expect("number");
            let b: f64 = c[i].parse().expect("number");
            assert!((a - b).abs() <= 0.1 + 1e-9, "CI bound {} vs {}", s[i], c[i]);
        }
    }
}

/// What the fetcher keeps of a repository, as the classifier reads it.
fn stored_files(repo: &SimRepo) -> RepoFiles {
    let mut files: Vec<RepoFile> = repo
        .files
        .iter()
        .filter(|(path, _)| mcp_survey_classify::wants(path))
        .filter_map(|(path, bytes)| {
            Some(RepoFile {
                path: path.clone(),
                text: mcp_survey_classify::readable_head(bytes)?,
            })
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    RepoFiles {
        full_name: Some(repo.meta.full_name.clone()),
        description: repo.meta.description.clone(),
        files,
    }
}

fn set(v: &[String]) -> BTreeSet<String> {
    v.iter().cloned().collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_queries_and_snapshot_diff_agree() {
    let started = Instant::now();
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let reports = tempfile::tempdir().expect("tempdir");
    let before = Arc::new(synthetic::generate(400, 6));
    let (after, changes) = synthetic::evolve(&before, 7, 0.15);
    let after = Arc::new(after);
    run_on(&db.store, before.clone(), "week-1", reports.path()).await;
    run_on(&db.store, after.clone(), "week-2", reports.path()).await;
    let pipeline_secs = started.elapsed().as_secs_f64();

    // Report of the newest run (the queries' default), written again here to time it.
    let run = db.store.run_by_name("week-2").await.expect("run");
    let t = Instant::now();
    let files = mcp_survey_report::write_report(&db.store, &run, reports.path())
        .await
        .expect("report");
    let report_secs = t.elapsed().as_secs_f64();
    let dir = files.dir.clone();
    let summary = &files.summary_value;
    assert!(!summary.partial);
    assert!(
        summary.headline.servers > 100,
        "{} servers",
        summary.headline.servers
    );
    for svg in [
        "headline.svg",
        "by_language.svg",
        "by_sdk.svg",
        "auth_methods.svg",
        "credential_sources.svg",
        "by_created_month.svg",
    ] {
        let text = std::fs::read_to_string(dir.join(svg)).unwrap_or_else(|e| panic!("{svg}: {e}"));
        assert!(
            text.contains("<svg") && text.contains("</svg>"),
            "{svg} is an SVG"
        );
    }
    // Every SVG the report wrote parses as XML, and has its PNG.
    let mut parsed = 0;
    for entry in std::fs::read_dir(&dir).expect("report folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "svg") {
            let text = std::fs::read_to_string(&path).expect("svg");
            let doc = roxmltree::Document::parse(&text)
                .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
            assert_eq!(doc.root_element().tag_name().name(), "svg");
            assert!(
                doc.descendants().any(|n| n.has_tag_name("text")),
                "{} has its labels as text",
                path.display()
            );
            let png = std::fs::read(path.with_extension("png")).expect("a PNG beside the SVG");
            assert!(
                png.starts_with(b"\x89PNG\r\n"),
                "{} is a PNG",
                path.display()
            );
            parsed += 1;
        }
    }
    assert_eq!(parsed, 6, "six charts");
    let markdown = std::fs::read_to_string(&files.markdown).expect("report.md");
    assert!(markdown.contains("![Headline shares"));

    // The comparison of the two runs.
    let a = db.store.run_by_name("week-1").await.expect("run a");
    let comparison = mcp_survey_report::compare(&db.store, &a, &run)
        .await
        .expect("compare");
    let cmp_files =
        mcp_survey_report::write_comparison(&comparison, reports.path()).expect("write comparison");

    // Every file in queries/ against the report.
    let env_vars = read_csv(&dir.join("env_vars.csv")).1;
    let top_var = env_vars.first().expect("some env var").clone();
    let vars = BTreeMap::from([
        ("run", ""),
        ("a", ""),
        ("b", ""),
        ("env_var", top_var[0].as_str()),
    ]);
    let mut checked = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(queries_dir())
        .expect("queries/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    entries.sort();
    assert!(entries.len() >= 10, "queries/ has its files");
    for path in &entries {
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let (columns, rows) = run_query(&db.store, path, &vars).await;
        match stem.as_str() {
            "snapshot_diff" => {
                let (header, csv_rows) = read_csv(&cmp_files.changes_csv);
                assert_eq!(columns, header, "{stem}: columns");
                assert_eq!(sorted(rows), sorted(csv_rows), "{stem}: rows");
            }
            "snapshot_shares" => {
                let (header, csv_rows) = read_csv(&cmp_files.shares_csv);
                assert_eq!(columns, header, "{stem}: columns");
                assert_eq!(rows, csv_rows, "{stem}: rows");
            }
            "servers_reading_env_var" => {
                let servers: usize = top_var[2].parse().expect("count");
                assert_eq!(
                    rows.len(),
                    servers,
                    "{stem}: as many servers as env_vars.csv says"
                );
                let exported = mcp_survey_report::export_rows(&db.store, &run)
                    .await
                    .expect("export");
                let expected: BTreeSet<String> = exported
                    .iter()
                    .filter(|r| {
                        r.env_vars
                            .iter()
                            .any(|v| v.eq_ignore_ascii_case(&top_var[0]))
                    })
                    .map(|r| r.repo.clone())
                    .collect();
                let got: BTreeSet<String> = rows.iter().map(|r| r[0].clone()).collect();
                assert_eq!(got, expected, "{stem}: the servers the export lists");
            }
            "runs" => {
                let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
                assert_eq!(names, ["week-1", "week-2"]);
                let servers_col = columns
                    .iter()
                    .position(|c| c == "servers")
                    .expect("servers column");
                assert_eq!(rows[1][servers_col], summary.headline.servers.to_string());
                assert_eq!(rows[0][servers_col], comparison.a.servers.to_string());
            }
            "headline" => {
                let (header, csv_rows) = read_csv(&dir.join("headline.csv"));
                assert_eq!(columns, header, "{stem}: columns");
                assert_headline_equal(&rows, &csv_rows);
            }
            other => {
                let csv_path = dir.join(format!("{other}.csv"));
                assert!(
                    csv_path.exists(),
                    "queries/{other}.sql has no matching report file {other}.csv: give it one or a check here"
                );
                let (header, csv_rows) = read_csv(&csv_path);
                assert_eq!(columns, header, "{stem}: columns");
                assert_eq!(rows, csv_rows, "{stem}: rows (in order)");
                assert!(!rows.is_empty() || other == "exclusions", "{stem} has rows");
            }
        }
        checked.push(stem);
    }

    // summary.json holds the same numbers as the CSV files.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&files.summary).expect("summary.json"))
            .expect("json");
    let b = &json["breakdowns"];
    let tables: [(&str, &str, &str); 11] = [
        ("by_language", "language", "language"),
        ("by_sdk", "sdk", "sdk"),
        ("by_transport", "transport", "transport"),
        ("by_stars", "stars", "stars_bucket"),
        ("by_created_month", "created_month", "created_month"),
        ("auth_methods", "auth_methods", "auth_method"),
        (
            "credential_sources",
            "credential_sources",
            "credential_source",
        ),
        ("env_vars", "env_vars", "env_var"),
        ("services", "services", "service"),
        ("seed_queries", "seed_queries", "query_name"),
        ("exclusions", "exclusions", "fetch_status"),
    ];
    for (file, field, key_column) in tables {
        let (header, csv_rows) = read_csv(&dir.join(format!("{file}.csv")));
        let items = b[field]
            .as_array()
            .unwrap_or_else(|| panic!("summary.json breakdowns.{field}"));
        assert_eq!(items.len(), csv_rows.len(), "{file}: rows in summary.json");
        for (item, row) in items.iter().zip(&csv_rows) {
            for (column, value) in header.iter().zip(row) {
                let name = if column == key_column && item.get(column).is_none() {
                    "key"
                } else {
                    column.as_str()
                };
                assert_eq!(
                    &cell(item.get(name)),
                    value,
                    "{file}.{column} in summary.json"
                );
            }
        }
    }
    let (_, headline_rows) = read_csv(&dir.join("headline.csv"));
    for (row, field) in headline_rows
        .iter()
        .zip(["required", "static_key_or_pat", "oauth", "env"])
    {
        assert_eq!(cell(json["headline"][field].get("numerator")), row[2]);
        assert_eq!(cell(json["headline"][field].get("denominator")), row[3]);
        // report.md shows the same share, counts and interval.
        let md_cell = format!(
            "{}% ({} / {}; 95% CI {}%–{}%)",
            row[4], row[2], row[3], row[5], row[6]
        );
        assert!(markdown.contains(&md_cell), "report.md shows {md_cell}");
    }
    for file in [
        "by_language",
        "by_sdk",
        "by_transport",
        "by_stars",
        "by_created_month",
    ] {
        for r in read_csv(&dir.join(format!("{file}.csv"))).1 {
            let line = format!(
                "| {} | {} | {} ({}%) | {} ({}%) | {} ({}%) | {} ({}%) |",
                r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9]
            );
            assert!(markdown.contains(&line), "report.md has {line}");
        }
    }
    for r in read_csv(&dir.join("funnel.csv")).1 {
        assert_eq!(
            cell(json["funnel"].get(funnel_field(&r[0]))),
            r[1],
            "funnel {}",
            r[0]
        );
    }

    check_diff_against_changes(&db.store, &comparison, &before, &after, &changes).await;

    eprintln!(
        "diff: {} repositories new, {} gone, {} servers new, {} gone, {} auth changed (evolve: {} added, {} removed, {} changed, {} relabelled)",
        comparison.count(ChangeKind::RepositoryNew),
        comparison.count(ChangeKind::RepositoryGone),
        comparison.count(ChangeKind::ServerNew),
        comparison.count(ChangeKind::ServerGone),
        comparison.count(ChangeKind::AuthChanged),
        changes.added.len(),
        changes.removed.len(),
        changes.changed.len(),
        changes.relabelled.len()
    );
    eprintln!(
        "two pipeline runs {pipeline_secs:.1}s, report {report_secs:.2}s, {} query files checked ({}), total {:.1}s",
        checked.len(),
        checked.join(", "),
        started.elapsed().as_secs_f64()
    );
    db.drop_db().await.expect("drop test database");
}

fn funnel_field(step: &str) -> &str {
    match step {
        "excluded_fork" => "excluded_forks",
        "not_fetched_yet" => "not_fetched_yet",
        "client" => "clients",
        "sdk" => "sdks",
        "list" => "lists",
        "server" => "servers",
        "server_archived" => "archived_servers",
        other => other,
    }
}

/// The diff names exactly the repositories `evolve` touched:
/// - a repository is new (gone) only if evolve added (removed) it, or changed
///   its files so that the seed queries now match it (no longer match it);
///   every added (removed) repository the queries match (matched) is new (gone);
/// - a server is new or gone only when its repository was added, removed or
///   changed, and every added server and removed server is listed;
/// - an auth change is listed exactly for the changed repositories that are
///   servers in both runs and whose files, classified, give other auth
///   methods or another credential need (true labels can change without the
///   classifier seeing it, and back, so the classifier's view is the truth here).
async fn check_diff_against_changes(
    store: &Store,
    c: &Comparison,
    before: &Corpus,
    after: &Corpus,
    changes: &synthetic::Changes,
) {
    let added = set(&changes.added);
    let removed = set(&changes.removed);
    let changed = set(&changes.changed);
    let names =
        |kind| -> BTreeSet<String> { c.repos(kind).into_iter().map(str::to_string).collect() };
    let found = |run: &'static str| async move {
        let v = store.repository_outcomes(run).await.expect("run rows");
        v.into_iter()
            .map(|r| (r.full_name, r.kind))
            .collect::<BTreeMap<String, Option<String>>>()
    };
    let found_a = found("week-1").await;
    let found_b = found("week-2").await;
    let oracle_names = |corpus: &Corpus| {
        let oracle = SearchOracle::new(corpus);
        let mut all = BTreeSet::new();
        for q in &seeds().queries {
            all.extend(
                oracle
                    .matches(q.endpoint.as_str(), &q.q)
                    .expect("seed query"),
            );
        }
        all
    };
    let expected_a = oracle_names(before);
    let expected_b = oracle_names(after);

    let new = names(ChangeKind::RepositoryNew);
    let gone = names(ChangeKind::RepositoryGone);
    assert!(
        !new.is_empty() && !gone.is_empty(),
        "evolve added and removed repositories the queries find"
    );
    assert_eq!(
        new,
        expected_b.difference(&expected_a).cloned().collect(),
        "new repositories"
    );
    assert_eq!(
        gone,
        expected_a.difference(&expected_b).cloned().collect(),
        "gone repositories"
    );
    let touched: BTreeSet<String> = added.union(&changed).cloned().collect();
    assert!(
        new.is_subset(&touched),
        "only added or changed repositories are new: {:?}",
        new.difference(&touched).collect::<Vec<_>>()
    );
    let touched_gone: BTreeSet<String> = removed.union(&changed).cloned().collect();
    assert!(
        gone.is_subset(&touched_gone),
        "only removed or changed repositories are gone"
    );
    let added_found: BTreeSet<String> = added.intersection(&expected_b).cloned().collect();
    assert!(
        added_found.is_subset(&new),
        "every added repository the queries match is new"
    );
    let removed_found: BTreeSet<String> = removed.intersection(&expected_a).cloned().collect();
    assert_eq!(
        removed_found,
        gone.difference(&changed).cloned().collect(),
        "gone = removed (plus changed ones the queries lost)"
    );

    let is_server = |m: &BTreeMap<String, Option<String>>, r: &str| {
        m.get(r).is_some_and(|k| k.as_deref() == Some("server"))
    };
    let server_new = names(ChangeKind::ServerNew);
    let server_gone = names(ChangeKind::ServerGone);
    assert!(!server_new.is_empty(), "some added repository is a server");
    assert!(
        server_new.is_subset(&touched),
        "a server is new only when evolve touched it"
    );
    assert!(
        server_gone.is_subset(&touched_gone),
        "a server is gone only when evolve touched it"
    );
    for r in added.iter().filter(|r| is_server(&found_b, r)) {
        assert!(server_new.contains(r), "added server {r} is listed as new");
    }
    for r in removed.iter().filter(|r| is_server(&found_a, r)) {
        assert!(
            server_gone.contains(r),
            "removed server {r} is listed as gone"
        );
    }

    let by_name = |corpus: &Corpus| -> BTreeMap<String, SimRepo> {
        corpus
            .repos
            .iter()
            .map(|r| (r.meta.full_name.clone(), r.clone()))
            .collect()
    };
    let old = by_name(before);
    let new_corpus = by_name(after);
    let mut expected_auth = BTreeSet::new();
    for r in &changed {
        if !(is_server(&found_a, r) && is_server(&found_b, r)) {
            continue;
        }
        let (Some(x), Some(y)) = (old.get(r), new_corpus.get(r)) else {
            continue;
        };
        let lx = mcp_survey_classify::classify(&stored_files(x)).labels;
        let ly = mcp_survey_classify::classify(&stored_files(y)).labels;
        if lx.auth_methods != ly.auth_methods || lx.credentials != ly.credentials {
            expected_auth.insert(r.clone());
        }
    }
    let auth = names(ChangeKind::AuthChanged);
    assert!(!auth.is_empty(), "some rewrite changed a server's auth");
    assert_eq!(auth, expected_auth, "auth changes");
    let relabelled = set(&changes.relabelled);
    assert!(
        auth.is_subset(&relabelled),
        "auth changed only where the true labels changed: {:?}",
        auth.difference(&relabelled).collect::<Vec<_>>()
    );
}
