//! What a new user meets in the first hour: bad database URLs and other bad
//! input refused before anything is written (checked by listing Postgres's
//! databases and tables before and after), read-only commands that create
//! nothing, tokens found where people keep them, stages run one by one
//! that finish their run, and logs without escape codes.

mod common;

use common::{assert_ok, bare as mcp_survey, command, fast_sim, run_cli, sim, text};
use mcp_survey_ghsim::synthetic;
use mcp_survey_store::testing::{self, admin_url, TestDb};
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// A database name no other test uses, for URLs that must not create it.
fn unique_db(what: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "mcp_first_hour_{what}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// `postgres://USER@HOST:PORT/` of the test server, with `database` added.
fn url_for(database: &str) -> String {
    let admin = url::Url::parse(&admin_url()).expect("admin URL");
    format!(
        "postgres://{}@{}:{}/{database}",
        admin.username(),
        admin.host_str().unwrap_or("127.0.0.1"),
        admin.port().unwrap_or(5432)
    )
}

/// What this test could have created: the server's databases (other
/// tests' own throw-away ones left out, as they come and go meanwhile) and
/// the tables of its maintenance and template databases.
async fn postgres_contents() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for name in testing::server_databases().await.expect("databases") {
        if !name.starts_with("mcp_survey_test_") && !name.starts_with("_sqlx_test") {
            out.insert(format!("database {name}"));
        }
    }
    for db in ["postgres", "template1"] {
        for (schema, table) in testing::user_tables(db).await.expect("tables") {
            out.insert(format!("table {db}.{schema}.{table}"));
        }
    }
    out
}

/// Fails with a message holding every one of `expected`, and no panic.
fn assert_refused(out: &Output, expected: &[&str]) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "must fail: {err}");
    assert!(!err.contains("panicked"), "no panic: {err}");
    for e in expected {
        assert!(err.contains(e), "{e:?} in {err}");
    }
}

/// One bad input: the arguments, what the message must name, and the
/// environment it runs with.
struct Case {
    args: Vec<String>,
    expected: Vec<&'static str>,
    env: Vec<(&'static str, String)>,
}

/// Every bad input a new user may try.
fn bad_inputs(empty_path: &str) -> Vec<Case> {
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let mut cases = vec![
        (
            s(&[
                "--database-url",
                &format!("mysql://postgres@127.0.0.1:5432/{}", unique_db("mysql")),
                "migrate",
            ]),
            vec![
                "invalid database URL",
                "\"mysql\" is not Postgres's",
                "postgres://USER",
            ],
            vec![],
        ),
        (
            s(&["--database-url", "notaurl", "migrate"]),
            vec!["invalid database URL \"notaurl\"", "not a URL"],
            vec![],
        ),
        (
            s(&["--database-url", &url_for(""), "migrate"]),
            vec!["names no database"],
            vec![],
        ),
        (
            s(&[
                "--database-url",
                &url_for("postgres"),
                "run",
                "--github-url",
                "http://127.0.0.1:1",
            ]),
            vec!["\"postgres\" is one of Postgres's own databases"],
            vec![],
        ),
        (
            s(&["--database-url", &url_for("template1"), "migrate"]),
            vec!["\"template1\" is one of Postgres's own databases"],
            vec![],
        ),
        (
            s(&[
                "--database-url",
                "mysql://me:hunter2@127.0.0.1/x",
                "migrate",
            ]),
            vec!["me:***@127.0.0.1"],
            vec![],
        ),
        (
            s(&[
                "--database-url",
                &url_for(&unique_db("name")),
                "run",
                "--name",
                "",
                "--github-url",
                "http://127.0.0.1:1",
            ]),
            vec!["a run name cannot be empty"],
            vec![],
        ),
        (
            s(&[
                "--database-url",
                &url_for(&unique_db("token")),
                "run",
                "--name",
                "x",
            ]),
            vec![
                "no GitHub token",
                "GITHUB_TOKEN",
                "GH_TOKEN",
                "gh auth login",
            ],
            vec![("PATH", empty_path.to_string())],
        ),
    ];
    for sub in ["runs", "status", "export", "report"] {
        let db = unique_db(sub);
        let mut args = s(&["--database-url", &url_for(&db), sub]);
        if sub == "export" {
            args.extend(s(&["--out", "-"]));
        }
        cases.push((args, vec!["does not exist", "only reads"], vec![]));
    }
    let role = format!("no_such_role_{}", std::process::id());
    let admin = url::Url::parse(&admin_url()).expect("admin URL");
    cases.push((
        s(&[
            "--database-url",
            &format!(
                "postgres://{role}:pw@{}:{}/{}",
                admin.host_str().unwrap_or("127.0.0.1"),
                admin.port().unwrap_or(5432),
                unique_db("role")
            ),
            "migrate",
        ]),
        vec!["refused the role", "createuser"],
        vec![],
    ));
    cases
        .into_iter()
        .map(|(args, expected, env)| Case {
            args,
            expected,
            env,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_creates_nothing_in_postgres() {
    let empty = tempfile::tempdir().expect("tempdir");
    let empty_path = empty.path().to_str().expect("utf-8").to_string();
    let before = postgres_contents().await;
    for Case {
        args,
        expected,
        env,
    } in bad_inputs(&empty_path)
    {
        let out = tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            (mcp_survey(&args, &env), args.join(" "))
        })
        .await
        .expect("command thread");
        let (out, line) = out;
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains("hunter2"),
            "{line}: the password is never echoed"
        );
        assert_refused(&out, &expected);
        let after = postgres_contents().await;
        let created: Vec<_> = after.difference(&before).collect();
        assert!(created.is_empty(), "`{line}` created {created:?}");
    }
}

#[test]
fn eval_refuses_to_score_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let corpus = dir.path().join("corpus");
    std::fs::create_dir_all(&corpus).expect("mkdir");
    let labels = dir.path().join("labels.jsonl");
    std::fs::write(&labels, "").expect("write");
    let args = |labels: &Path| {
        vec![
            "eval".to_string(),
            "--corpus".into(),
            corpus.display().to_string(),
            "--labels".into(),
            labels.display().to_string(),
        ]
    };
    let run = |a: Vec<String>| mcp_survey(&a.iter().map(String::as_str).collect::<Vec<_>>(), &[]);
    assert_refused(&run(args(&labels)), &["holds no labelled repository"]);
    std::fs::write(
        &labels,
        r#"{"repo":"acme/one","kind":"other","language":"Go","credentials":"none"}"#,
    )
    .expect("write");
    assert_refused(
        &run(args(&labels)),
        &["none of the 1 repositories", "acme__one"],
    );
}

#[test]
fn run_help_names_the_token_variables() {
    let out = mcp_survey(&["run", "--help"], &[]);
    let help = String::from_utf8_lossy(&out.stdout);
    for var in [
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "GITHUB_TOKENS",
        "gh auth token",
        "--github-url",
    ] {
        assert!(help.contains(var), "{var} in {help}");
    }
    // Commands that never talk to GitHub do not offer its flags.
    let out = mcp_survey(&["status", "--help"], &[]);
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(!help.contains("--archive-interval"), "{help}");
    assert!(!help.contains("--github-url"), "{help}");
}

/// A fake `gh` on an otherwise empty PATH that prints `token`.
fn fake_gh(dir: &Path, token: &str) {
    use std::os::unix::fs::PermissionsExt;
    let gh = dir.join("gh");
    std::fs::write(
        &gh,
        format!("#!/bin/sh\n[ \"$1 $2\" = \"auth token\" ] && echo {token} && exit 0\nexit 1\n"),
    )
    .expect("write gh");
    std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_come_from_gh_token_and_from_the_github_cli() {
    let db = TestDb::create().await.expect("test database");
    let token = common::unique_token("gho_");
    let sim = sim(
        synthetic::generate(10, 3),
        fast_sim(Some(vec![token.clone()])),
    )
    .await;
    let bin = tempfile::tempdir().expect("tempdir");
    fake_gh(bin.path(), &token);
    let cwd = tempfile::tempdir().expect("tempdir");
    let path = bin.path().to_str().expect("utf-8").to_string();
    let base = sim.base_url();
    // `fetch --run nope` checks the token with GitHub, then finds no run:
    // the second error proves the token was accepted.
    let args = ["fetch", "--run", "nope"];
    for env in [
        vec![("GH_TOKEN", token.as_str())],
        vec![("PATH", path.as_str())],
    ] {
        let out = run_cli(command(&db.url, &base, cwd.path(), &args, &env)).await;
        let all = text(&out);
        assert!(!out.status.success());
        assert!(all.contains("no run named \"nope\""), "{env:?}: {all}");
        assert!(!all.contains("Bad credentials"), "{env:?}: {all}");
    }
    sim.shutdown().await;
}

async fn run_status(pool: &mcp_survey_store::Store, name: &str) -> String {
    common::run_status(pool, name).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stages_run_one_by_one_finish_the_run_and_export_picks_it() {
    let db = TestDb::create().await.expect("test database");
    let token = common::unique_token("ghp_");
    let sim = sim(synthetic::generate(60, 5), fast_sim(None)).await;
    let cwd = tempfile::tempdir().expect("tempdir");
    let base = sim.base_url();
    let env = [("GITHUB_TOKEN", token.as_str())];
    let pool = db.store.clone();
    let step =
        |args: &'static [&'static str]| run_cli(command(&db.url, &base, cwd.path(), args, &env));

    let out = step(&["harvest", "--run", "staged"]).await;
    assert_ok(&out, "harvest");
    assert_eq!(run_status(&pool, "staged").await, "running");
    let out = step(&["status", "--run", "staged", "--json"]).await;
    assert_ok(&out, "status --json");
    let status: serde_json::Value = serde_json::from_slice(&out.stdout).expect("status JSON");
    let pages = &status["harvest"]["pages"];
    assert_eq!(pages["left"], 0, "{status}");
    assert_eq!(pages["done"], pages["planned"], "pages add up: {status}");
    assert_eq!(
        status["status"], "stopped",
        "nobody works on it now: {status}"
    );

    assert_ok(&step(&["fetch", "--run", "staged"]).await, "fetch");
    assert_eq!(run_status(&pool, "staged").await, "running");
    let out = step(&["classify", "--run", "staged"]).await;
    assert_ok(&out, "classify");
    assert!(
        text(&out).contains("run staged is finished"),
        "{}",
        text(&out)
    );
    assert_eq!(run_status(&pool, "staged").await, "finished");

    let out = step(&["report", "--run", "staged", "--out", "reports"]).await;
    assert_ok(&out, "report");
    assert!(!text(&out).contains("partial"), "{}", text(&out));
    let report =
        std::fs::read_to_string(cwd.path().join("reports/staged/report.md")).expect("report.md");
    assert!(!report.contains("Partial report"), "{report}");

    let out = step(&["export"]).await;
    assert_ok(&out, "export");
    assert!(
        text(&out).contains("exporting run staged, the newest finished run"),
        "{}",
        text(&out)
    );
    assert!(cwd.path().join("reports/staged/servers.csv").is_file());

    let out = step(&["runs", "--json"]).await;
    assert_ok(&out, "runs --json");
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("runs JSON");
    assert_eq!(runs[0]["name"], "staged");
    assert_eq!(runs[0]["status"], "finished");

    // The same survey in one go, its stderr to a file as cron keeps it.
    let log_path = cwd.path().join("run.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut cmd = command(
        &db.url,
        &base,
        cwd.path(),
        &["run", "--name", "logged", "--out", "reports"],
        &[("GITHUB_TOKEN", token.as_str()), ("MCP_SURVEY_LOG", "info")],
    );
    cmd.stderr(Stdio::from(log)).stdout(Stdio::piped());
    let out = run_cli(cmd).await;
    let logged = std::fs::read(&log_path).expect("log");
    let logged_text = String::from_utf8_lossy(&logged);
    assert!(out.status.success(), "run: {logged_text}");
    assert!(
        !logged.contains(&0x1b),
        "no escape byte in the log: {logged_text}"
    );
    for stage in ["harvest", "fetch", "classify"] {
        assert!(
            logged_text.contains(&format!("{stage:<9} done: ")),
            "one summary line for {stage}: {logged_text}"
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("requests to GitHub;"),
        "run ends with the summary: {stdout}"
    );

    let out = step(&[
        "report",
        "--compare",
        "staged",
        "logged",
        "--out",
        "reports",
    ])
    .await;
    assert_ok(&out, "compare");
    assert!(text(&out).contains("staged (the older"), "{}", text(&out));
    let out = step(&[
        "report",
        "--compare",
        "logged",
        "staged",
        "--out",
        "reports",
    ])
    .await;
    assert_ok(&out, "compare backwards");
    assert!(text(&out).contains("logged (started"), "{}", text(&out));
    assert!(
        text(&out).contains("is newer than staged"),
        "{}",
        text(&out)
    );
    sim.shutdown().await;
}

/// A simulator on loopback refuses anonymous code search as GitHub does,
/// yet `run` against it works with no token set at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_simulator_on_loopback_needs_no_token() {
    let db = TestDb::create().await.expect("test database");
    let sim = sim(synthetic::generate(20, 9), fast_sim(None)).await;
    let cwd = tempfile::tempdir().expect("tempdir");
    let empty = tempfile::tempdir().expect("tempdir");
    let path = empty.path().to_str().expect("utf-8");
    let args = ["run", "--name", "anonymous", "--out", "reports"];
    let out = run_cli(command(
        &db.url,
        &sim.base_url(),
        cwd.path(),
        &args,
        &[("PATH", path)],
    ))
    .await;
    assert_ok(&out, "run against the simulator without a token");
    assert_eq!(run_status(&db.store, "anonymous").await, "finished");
    sim.shutdown().await;
}
