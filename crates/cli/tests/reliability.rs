//! Reliability of the whole binary against the simulator over HTTP: the
//! token never leaks, a signal stops a run cleanly and the run resumes to
//! exactly-once, hostile repositories cannot hurt it, and a token with no
//! scopes is enough for public data.

use mcp_survey_ghsim::synthetic::{self, GenOptions};
use mcp_survey_ghsim::{
    serve, Corpus, FaultConfig, FaultKind, NamedFault, SimConfig, SimHandle, SimRepo,
};
use mcp_survey_store::testing::TestDb;
use sqlx::PgPool;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Client tuning for a simulator: no politeness pauses, short back-offs.
const FAST: &[&str] = &[
    "--no-progress",
    "--archive-interval",
    "0",
    "--archive-concurrency",
    "8",
    "--backoff",
    "0.05",
    "--secondary-wait",
    "0.2",
];

/// Identity the child processes put in their leases (`HOSTNAME-pid:...`).
const HOST: &str = "reltest";

fn command(db: &str, github: &str, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcp-survey"));
    cmd.arg("--database-url")
        .arg(db)
        .arg("--github-url")
        .arg(github)
        .args(FAST)
        .args(args)
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_TOKENS")
        .env_remove("MCP_SURVEY_LOG")
        .env_remove("RUST_LOG")
        .env("HOSTNAME", HOST);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

async fn run_cli(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("command thread")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn assert_ok(out: &Output, what: &str) {
    let all = text(out);
    assert!(out.status.success(), "{what} must succeed: {all}");
    assert!(!all.contains("panicked"), "{what}: no panic: {all}");
}

async fn sim(corpus: Corpus, config: SimConfig) -> SimHandle {
    serve(corpus, config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator")
}

fn fast_sim(tokens: Option<Vec<String>>) -> SimConfig {
    SimConfig {
        time_scale: 600.0,
        valid_tokens: tokens,
        ..SimConfig::default()
    }
}

/// `prefix` followed by pseudo-random alphanumerics up to 40 characters:
/// the shape of a classic PAT, distinct per call.
fn unique_token(prefix: &str) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(1);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x =
        nanos ^ (u64::from(std::process::id()) << 32) ^ N.fetch_add(0x9e37, Ordering::Relaxed);
    const ALPHA: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut s = prefix.to_string();
    while s.len() < 40 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push(ALPHA[(x % ALPHA.len() as u64) as usize] as char);
    }
    s
}

/// Every regular file under `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(p),
                Ok(_) => out.push(p),
                Err(_) => {}
            }
        }
    }
    out
}

/// Tables (public schema) with a row whose text form contains `needle`.
async fn tables_containing(pool: &PgPool, needle: &str, except: &[&str]) -> Vec<String> {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    assert!(tables.len() >= 10, "the schema is there: {tables:?}");
    let mut hits = Vec::new();
    for (t,) in tables {
        if except.contains(&t.as_str()) {
            continue;
        }
        let (n,): (i64,) = sqlx::query_as(&format!(
            "SELECT count(*) FROM \"{t}\" t WHERE strpos(t::text, $1) > 0"
        ))
        .bind(needle)
        .fetch_one(pool)
        .await
        .expect("scan");
        if n > 0 {
            hits.push(t);
        }
    }
    hits
}

async fn scalar_i64(pool: &PgPool, sql: &str) -> i64 {
    let (n,): (i64,) = sqlx::query_as(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    n
}

async fn run_status(pool: &PgPool, name: &str) -> String {
    let (s,): (String,) = sqlx::query_as("SELECT status FROM runs WHERE name = $1")
        .bind(name)
        .fetch_one(pool)
        .await
        .expect("run row");
    s
}

/// A small TypeScript MCP server; `extra` files are added to it.
fn server_repo(full_name: &str, id: i64, extra: &[(&str, Vec<u8>)]) -> SimRepo {
    let name = full_name.split('/').nth(1).unwrap_or(full_name);
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    files.insert(
        "README.md".into(),
        format!("# {name}\n\nAn MCP server for reliability tests.\n\nRun it with `npx {name}`.\n")
            .into_bytes(),
    );
    files.insert(
        "package.json".into(),
        format!(
            "{{\n  \"name\": \"{}\",\n  \"version\": \"1.0.0\",\n  \"type\": \"module\",\n  \"dependencies\": {{ \"@modelcontextprotocol/sdk\": \"^1.12.0\" }}\n}}\n",
            name.to_ascii_lowercase()
        )
        .into_bytes(),
    );
    files.insert(
        "src/index.ts".into(),
        b"import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport { StdioServerTransport } from \"@modelcontextprotocol/sdk/server/stdio.js\";\n\nconst server = new McpServer({ name: \"weather\", version: \"1.0.0\" });\nserver.tool(\"forecast\", {}, async () => ({ content: [{ type: \"text\", text: \"sunny\" }] }));\nawait server.connect(new StdioServerTransport());\n"
            .to_vec(),
    );
    for (p, c) in extra {
        files.insert((*p).to_string(), c.clone());
    }
    let mut repo = SimRepo::new(full_name, files);
    repo.meta.id = id;
    repo.meta.topics = vec!["mcp-server".into()];
    repo
}

// ---------------------------------------------------------------------------
// 1. Secrets

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

    let started = Instant::now();
    let good = run_cli(command(
        &db.url,
        &sim.base_url(),
        work.path(),
        &["run", "--name", "secrets-run", "--out", &out_arg],
        &[("GITHUB_TOKENS", &token), ("MCP_SURVEY_LOG", "debug")],
    ))
    .await;
    assert_ok(&good, "run with the right token");
    eprintln!("secrets: good run {:.1}s", started.elapsed().as_secs_f64());
    let bad = run_cli(command(
        &db.url,
        &sim.base_url(),
        work.path(),
        &["run", "--name", "secrets-wrong", "--out", &out_arg],
        &[("GITHUB_TOKENS", &wrong), ("MCP_SURVEY_LOG", "debug")],
    ))
    .await;
    assert!(!bad.status.success(), "a wrong token fails: {}", text(&bad));
    assert!(text(&bad).contains("Bad credentials"), "{}", text(&bad));

    // Debug logging was really on, so the check below covers the logs.
    assert!(
        String::from_utf8_lossy(&good.stderr).contains("DEBUG"),
        "debug logs are written to stderr"
    );
    let pool = db.store.pool();
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
    let (sources, evidence): (Vec<String>, String) = sqlx::query_as(
        "SELECT l.credential_sources, l.evidence::text FROM labels l
         JOIN run_repositories rr ON rr.snapshot_id = l.snapshot_id
         WHERE rr.full_name = 'acme-labs/weather-mcp-server'",
    )
    .fetch_one(pool)
    .await
    .expect("the secret's server was labelled");
    assert!(
        sources.contains(&"hardcoded".to_string()),
        "the literal key was detected: {sources:?} {evidence}"
    );
    assert!(evidence.contains("sk-p…"), "masked evidence: {evidence}");

    sim.shutdown().await;
    db.drop_db().await.expect("drop");
}

// ---------------------------------------------------------------------------
// 2. Graceful shutdown

fn spawn_run(db: &str, github: &str, cwd: &Path, name: &str) -> Child {
    command(
        db,
        github,
        cwd,
        &[
            "run",
            "--name",
            name,
            "--fetch-workers",
            "4",
            "--out",
            "reports",
        ],
        &[("GITHUB_TOKENS", "ghp_shutdowntest")],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn")
}

/// Kills the child if the test fails while it runs.
struct Killer(Option<Child>);

impl Killer {
    fn id(&self) -> u32 {
        self.0.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    fn try_wait(&mut self) -> std::io::Result<Option<std::process::ExitStatus>> {
        match self.0.as_mut() {
            Some(c) => c.try_wait(),
            None => Ok(None),
        }
    }

    fn output(mut self) -> String {
        self.0.take().map(child_output).unwrap_or_default()
    }
}

impl Drop for Killer {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn child_output(mut child: Child) -> String {
    let mut s = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut s);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut s);
    }
    s
}

async fn stop_mid_fetch_then_resume(signal: &str, said: &str) {
    let db = TestDb::create().await.expect("test database");
    let pool = db.store.pool().clone();
    let corpus = synthetic::generate(30, 11);
    // Every repository request hangs for a long time: fetch jobs stay running.
    let mut faults = FaultConfig {
        slow_delay: Duration::from_secs(60),
        ..FaultConfig::default()
    };
    for r in &corpus.repos {
        faults = faults.with_named(r.full_name(), NamedFault::always(FaultKind::Slow));
    }
    let fine = sim(corpus.clone(), fast_sim(None)).await;
    let slow = sim(
        corpus,
        SimConfig {
            faults,
            ..fast_sim(None)
        },
    )
    .await;
    let work = tempfile::tempdir().expect("tempdir");
    let name = format!("stop-{}", signal.trim_start_matches('-').to_lowercase());
    // The harvest (which asks /repos/... for code-search hits) runs at
    // full speed; the run then resumes it against the slow simulator.
    let harvested = run_cli(command(
        &db.url,
        &fine.base_url(),
        work.path(),
        &["harvest", "--run", &name],
        &[("GITHUB_TOKENS", "ghp_shutdowntest")],
    ))
    .await;
    assert_ok(&harvested, "the harvest");
    let mut child = Killer(Some(spawn_run(
        &db.url,
        &slow.base_url(),
        work.path(),
        &name,
    )));
    let pid = child.id();

    // Wait until fetch jobs are leased.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the run ended early ({status}): {}", child.output());
        }
        let running = scalar_i64(
            &pool,
            "SELECT count(*) FROM jobs WHERE stage = 'fetch' AND state = 'running'",
        )
        .await;
        if running > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "no fetch job started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = Command::new("kill")
        .arg(signal)
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let signalled = Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if signalled.elapsed() > Duration::from_secs(5) {
            panic!("still running 5 s after {signal}: {}", child.output());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let stopped_in = signalled.elapsed();
    let out = child.output();
    assert!(
        !exit.success(),
        "an interrupted run is not a success: {out}"
    );
    assert!(!out.contains("panicked"), "{out}");
    assert!(out.contains(&format!("stopped by {said}")), "{out}");

    // Nothing stays leased by the dead process.
    let held_jobs = scalar_i64(
        &pool,
        &format!(
            "SELECT count(*) FROM jobs WHERE state = 'running' OR (worker LIKE '{HOST}-{pid}:%' AND lease_until > now())"
        ),
    )
    .await;
    assert_eq!(held_jobs, 0, "jobs still leased after {signal}");
    let held_slices = scalar_i64(
        &pool,
        "SELECT count(*) FROM search_slices WHERE lease_until > now()",
    )
    .await;
    assert_eq!(held_slices, 0, "search slices still leased after {signal}");
    assert_eq!(run_status(&pool, &name).await, "running");
    slow.shutdown().await;

    // The same command resumes the run to the end, each repository once.
    let resumed = run_cli(command(
        &db.url,
        &fine.base_url(),
        work.path(),
        &[
            "run",
            "--name",
            &name,
            "--fetch-workers",
            "4",
            "--out",
            "reports",
        ],
        &[("GITHUB_TOKENS", "ghp_shutdowntest")],
    ))
    .await;
    assert_ok(&resumed, "the resumed run");
    assert_eq!(run_status(&pool, &name).await, "finished");
    let fetch_jobs = scalar_i64(&pool, "SELECT count(*) FROM jobs WHERE stage = 'fetch'").await;
    assert!(fetch_jobs > 10, "the run had work: {fetch_jobs}");
    let not_done = scalar_i64(&pool, "SELECT count(*) FROM jobs WHERE state <> 'done'").await;
    assert_eq!(not_done, 0, "every job is done");
    let dup = scalar_i64(
        &pool,
        "SELECT count(*) FROM (SELECT repository_id FROM snapshots GROUP BY 1 HAVING count(*) > 1) d",
    )
    .await;
    assert_eq!(dup, 0, "a repository was fetched twice");
    let fetched = scalar_i64(
        &pool,
        "SELECT count(*) FROM run_repositories WHERE fetch_status = 'fetched'",
    )
    .await;
    let snapshots = scalar_i64(&pool, "SELECT count(*) FROM snapshots").await;
    assert_eq!(fetched, snapshots, "one snapshot per fetched repository");
    let pending = scalar_i64(
        &pool,
        "SELECT count(*) FROM run_repositories WHERE fetch_status = 'pending'",
    )
    .await;
    assert_eq!(pending, 0);
    let unlabelled = scalar_i64(
        &pool,
        "SELECT count(*) FROM run_repositories rr WHERE rr.snapshot_id IS NOT NULL
         AND (SELECT count(*) FROM labels l WHERE l.snapshot_id = rr.snapshot_id) <> 1",
    )
    .await;
    assert_eq!(unlabelled, 0, "each snapshot labelled exactly once");
    eprintln!("{signal}: stopped in {:.2}s", stopped_in.as_secs_f64());
    fine.shutdown().await;
    drop(pool);
    db.drop_db().await.expect("drop");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_fetch_releases_every_lease_and_the_run_resumes_exactly_once() {
    stop_mid_fetch_then_resume("-TERM", "SIGTERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_mid_fetch_releases_every_lease_and_the_run_resumes_exactly_once() {
    stop_mid_fetch_then_resume("-INT", "Ctrl-C").await;
}

/// A signal while fetch workers are busy claiming and storing jobs (not all
/// stuck in one slow request): a job claimed around the signal must not stay
/// leased by the dead process, or the resumed run waits out its lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_while_jobs_churn_leaves_nothing_leased() {
    let db = TestDb::create().await.expect("test database");
    let pool = db.store.pool().clone();
    let corpus = synthetic::generate(150, 21);
    let fine = sim(corpus, fast_sim(None)).await;
    let work = tempfile::tempdir().expect("tempdir");
    let mut child = Killer(Some(
        command(
            &db.url,
            &fine.base_url(),
            work.path(),
            &[
                "run",
                "--name",
                "churn",
                "--fetch-workers",
                "8",
                "--out",
                "reports",
            ],
            &[("GITHUB_TOKENS", "ghp_churntest")],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn"),
    ));
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!(
                "the run ended before the signal ({status}): {}",
                child.output()
            );
        }
        let done = scalar_i64(
            &pool,
            "SELECT count(*) FROM jobs WHERE stage = 'fetch' AND state = 'done'",
        )
        .await;
        if done >= 3 {
            break;
        }
        assert!(Instant::now() < deadline, "fetch never got going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let total = scalar_i64(&pool, "SELECT count(*) FROM jobs WHERE stage = 'fetch'").await;
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let signalled = Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            break s;
        }
        if signalled.elapsed() > Duration::from_secs(5) {
            panic!("still running 5 s after SIGTERM: {}", child.output());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let out = child.output();
    let done = scalar_i64(
        &pool,
        "SELECT count(*) FROM jobs WHERE stage = 'fetch' AND state = 'done'",
    )
    .await;
    assert!(
        !exit.success() && done < total,
        "the signal came before the fetch ended ({done}/{total}): {out}"
    );
    let held = scalar_i64(
        &pool,
        &format!(
            "SELECT count(*) FROM jobs WHERE state = 'running' OR (worker LIKE '{HOST}-{pid}:%' AND lease_until > now())"
        ),
    )
    .await;
    assert_eq!(held, 0, "jobs left leased by the stopped process: {out}");
    let resumed = run_cli(command(
        &db.url,
        &fine.base_url(),
        work.path(),
        &[
            "run",
            "--name",
            "churn",
            "--fetch-workers",
            "8",
            "--out",
            "reports",
        ],
        &[("GITHUB_TOKENS", "ghp_churntest")],
    ))
    .await;
    assert_ok(&resumed, "the resumed run");
    assert_eq!(run_status(&pool, "churn").await, "finished");
    let dup = scalar_i64(
        &pool,
        "SELECT count(*) FROM (SELECT repository_id FROM snapshots GROUP BY 1 HAVING count(*) > 1) d",
    )
    .await;
    assert_eq!(dup, 0, "a repository was fetched twice");
    fine.shutdown().await;
    drop(pool);
    db.drop_db().await.expect("drop");
}

/// A signal while the harvest pages through search results: no search
/// slice stays leased, and the run resumes to the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_during_the_harvest_leaves_no_slice_leased() {
    let db = TestDb::create().await.expect("test database");
    let pool = db.store.pool().clone();
    let corpus = synthetic::generate(150, 23);
    // Search budgets refill 60 times faster than GitHub's: the harvest
    // takes a few seconds, long enough to be interrupted.
    let paced = sim(
        corpus,
        SimConfig {
            time_scale: 60.0,
            ..SimConfig::default()
        },
    )
    .await;
    let work = tempfile::tempdir().expect("tempdir");
    let args = ["run", "--name", "harvest-stop", "--out", "reports"];
    let env = [("GITHUB_TOKENS", "ghp_harveststop")];
    let mut child = Killer(Some(
        command(&db.url, &paced.base_url(), work.path(), &args, &env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn"),
    ));
    let pid = child.id();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!(
                "the run ended before the signal ({status}): {}",
                child.output()
            );
        }
        let paged = scalar_i64(
            &pool,
            "SELECT count(*) FROM search_slices WHERE pages_done > 0",
        )
        .await;
        if paged >= 2 {
            break;
        }
        assert!(Instant::now() < deadline, "the harvest never got going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(pid.to_string())
        .status()
        .expect("kill");
    assert!(status.success());
    let signalled = Instant::now();
    while child.try_wait().expect("try_wait").is_none() {
        if signalled.elapsed() > Duration::from_secs(5) {
            panic!("still running 5 s after SIGTERM: {}", child.output());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out = child.output();
    assert!(out.contains("stopped by SIGTERM"), "{out}");
    let fetch_jobs = scalar_i64(&pool, "SELECT count(*) FROM jobs").await;
    assert_eq!(fetch_jobs, 0, "the signal came during the harvest: {out}");
    let held = scalar_i64(
        &pool,
        &format!(
            "SELECT count(*) FROM search_slices WHERE lease_until > now() OR (state = 'paging' AND worker LIKE '{HOST}-{pid}:%' AND lease_until IS NOT NULL)"
        ),
    )
    .await;
    assert_eq!(held, 0, "search slices left leased: {out}");
    let resumed = run_cli(command(
        &db.url,
        &paced.base_url(),
        work.path(),
        &args,
        &env,
    ))
    .await;
    assert_ok(&resumed, "the resumed run");
    assert_eq!(run_status(&pool, "harvest-stop").await, "finished");
    let dup = scalar_i64(
        &pool,
        "SELECT count(*) FROM (SELECT repository_id FROM snapshots GROUP BY 1 HAVING count(*) > 1) d",
    )
    .await;
    assert_eq!(dup, 0, "a repository was fetched twice");
    paced.shutdown().await;
    drop(pool);
    db.drop_db().await.expect("drop");
}

// ---------------------------------------------------------------------------
// 3. Hostile input

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_repositories_go_through_the_whole_pipeline_harmlessly() {
    let db = TestDb::create().await.expect("test database");
    let mut corpus = synthetic::generate_with(
        20,
        5,
        &GenOptions {
            hostile: true,
            ..GenOptions::default()
        },
    );
    let odd = "Odd.Owner/my.repo_name--v2";
    let huge_line = {
        let mut v = b"export const blob = \"".to_vec();
        while v.len() < 10 * 1024 * 1024 {
            v.extend_from_slice(b"mcp server auth token ");
        }
        v.extend_from_slice(b"\";");
        v
    };
    let mut odd_repo = server_repo(
        odd,
        990_000_101,
        &[
            ("src/huge.ts", huge_line),
            (
                "src/latin1.ts",
                b"// Caf\xe9 M\xfcnchen \xff\xfe server\nexport const greeting = \"gr\xfc\xdf dich\";\n"
                    .to_vec(),
            ),
        ],
    );
    odd_repo.meta.description = Some("🚀 MCP server サーバー".into());
    corpus.repos.push(odd_repo);
    corpus
        .repos
        .push(server_repo("o/UPPER.mcp_server-", 990_000_102, &[]));
    let config = SimConfig {
        gzip_bomb_bytes: 64 * 1024 * 1024,
        ..fast_sim(None)
    };
    let sim = sim(corpus, config).await;
    let work = tempfile::tempdir().expect("tempdir");
    let cwd = work.path().join("a").join("b");
    std::fs::create_dir_all(&cwd).expect("cwd");
    // The run works two folders deep, so `../..` entries would land in
    // `work`, which is searched below; the absolute one names /tmp.
    let outside: Vec<PathBuf> = [
        "/tmp/mcp-survey-sim-absolute.txt",
        "/tmp/mcp-survey-sim-traversal.txt",
        "/tmp/mcp-survey-sim-traversal-2.txt",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    let modified = |ps: &[PathBuf]| -> Vec<Option<std::time::SystemTime>> {
        ps.iter()
            .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .collect()
    };
    let outside_before = modified(&outside);

    let started = Instant::now();
    let out = run_cli(command(
        &db.url,
        &sim.base_url(),
        &cwd,
        &["run", "--name", "hostile", "--out", "reports"],
        &[("GITHUB_TOKENS", "ghp_hostiletest")],
    ))
    .await;
    let took = started.elapsed();
    assert_ok(&out, "the run over hostile repositories");
    let pool = db.store.pool();
    assert_eq!(run_status(pool, "hostile").await, "finished");

    // Nothing was written outside the report folder.
    for p in files_under(work.path()) {
        assert!(
            p.starts_with(cwd.join("reports")),
            "unexpected file {}",
            p.display()
        );
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(!name.starts_with("mcp-survey-sim-"), "{}", p.display());
    }
    assert_eq!(
        modified(&outside),
        outside_before,
        "no entry was written outside the work folder"
    );
    let bad_paths = scalar_i64(
        pool,
        "SELECT count(*) FROM snapshot_files WHERE path LIKE '/%' OR path LIKE '%..%' OR path LIKE '%mcp-survey-sim-%'",
    )
    .await;
    assert_eq!(bad_paths, 0, "no hostile path was stored");

    // Every hostile repository got a snapshot, with what was skipped and why.
    for (repo, reason) in [
        ("sim-hostile/path-traversal", "unsafe path"),
        ("sim-hostile/absolute-path", "unsafe path"),
        ("sim-hostile/symlink", "link"),
        ("sim-hostile/hardlink", "link"),
        ("sim-hostile/device-file", "not a regular file"),
    ] {
        let row: Option<(String, serde_json::Value)> = sqlx::query_as(
            "SELECT rr.fetch_status, s.skipped FROM run_repositories rr
             JOIN snapshots s ON s.id = rr.snapshot_id WHERE rr.full_name = $1",
        )
        .bind(repo)
        .fetch_optional(pool)
        .await
        .expect("query");
        let (status, skipped) = row.unwrap_or_else(|| panic!("{repo} has no snapshot"));
        assert_eq!(status, "fetched", "{repo}");
        assert!(
            skipped["count"].as_u64().unwrap_or(0) > 0,
            "{repo}: {skipped}"
        );
        let sample = skipped["sample"].as_array().cloned().unwrap_or_default();
        assert!(
            sample
                .iter()
                .any(|e| e["reason"].as_str().unwrap_or("").contains(reason)),
            "{repo} records {reason:?}: {skipped}"
        );
    }
    // The bomb's archive passes the decompression cap, so those two are
    // read through the trees API instead, without the bomb.
    for repo in ["sim-hostile/gzip-bomb", "sim-hostile/everything"] {
        let (status, method): (String, String) = sqlx::query_as(
            "SELECT rr.fetch_status, s.method FROM run_repositories rr
             JOIN snapshots s ON s.id = rr.snapshot_id WHERE rr.full_name = $1",
        )
        .bind(repo)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{repo} has no snapshot: {e}"));
        assert_eq!(
            (status.as_str(), method.as_str()),
            ("fetched", "trees"),
            "{repo}"
        );
    }
    let bombs = scalar_i64(
        pool,
        "SELECT count(*) FROM snapshot_files WHERE path LIKE '%bomb%'",
    )
    .await;
    assert_eq!(bombs, 0, "the bomb is not stored");

    // The odd names were found, fetched and labelled.
    for name in [odd, "o/UPPER.mcp_server-"] {
        let n = scalar_i64(
            pool,
            &format!(
                "SELECT count(*) FROM run_repositories rr JOIN labels l ON l.snapshot_id = rr.snapshot_id
                 WHERE rr.full_name = '{name}' AND rr.fetch_status = 'fetched'"
            ),
        )
        .await;
        assert_eq!(n, 1, "{name} fetched and labelled");
    }
    // Invalid UTF-8 is kept, decoded lossily and flagged.
    let (lossy, content): (bool, String) = sqlx::query_as(
        "SELECT f.lossy_utf8, f.content FROM run_repositories rr
         JOIN snapshot_files sf ON sf.snapshot_id = rr.snapshot_id
         JOIN files f ON f.sha256 = sf.sha256
         WHERE rr.full_name = $1 AND sf.path = 'src/latin1.ts'",
    )
    .bind(odd)
    .fetch_one(pool)
    .await
    .expect("the latin-1 file is stored");
    assert!(lossy, "flagged lossy");
    assert!(content.contains('\u{FFFD}') && content.contains("greeting"));
    // The 10 MB line is not stored; its skip is recorded.
    let stored_huge = scalar_i64(
        pool,
        "SELECT count(*) FROM snapshot_files WHERE path = 'src/huge.ts'",
    )
    .await;
    assert_eq!(stored_huge, 0, "the 10 MB file is not stored");
    let biggest = scalar_i64(
        pool,
        "SELECT coalesce(max(greatest(size_bytes, octet_length(content))), 0)::bigint FROM files",
    )
    .await;
    assert!(biggest <= 256 * 1024, "a stored file has {biggest} bytes");
    let (skipped,): (serde_json::Value,) = sqlx::query_as(
        "SELECT s.skipped FROM run_repositories rr JOIN snapshots s ON s.id = rr.snapshot_id
         WHERE rr.full_name = $1",
    )
    .bind(odd)
    .fetch_one(pool)
    .await
    .expect("snapshot");
    assert!(
        skipped["sample"]
            .as_array()
            .is_some_and(|a| a.iter().any(|e| e["path"] == "src/huge.ts"
                && e["reason"].as_str().unwrap_or("").contains("size cap"))),
        "the oversize skip is recorded: {skipped}"
    );
    // Classification finished quickly.
    let (classify_secs,): (f64,) = sqlx::query_as(
        "SELECT (stats->'classify'->>'elapsed_seconds')::float8 FROM runs WHERE name = 'hostile'",
    )
    .fetch_one(pool)
    .await
    .expect("classify stats");
    assert!(classify_secs < 10.0, "classify took {classify_secs}s");
    eprintln!(
        "hostile: run {:.1}s, classify {classify_secs:.2}s",
        took.as_secs_f64()
    );
    sim.shutdown().await;
    db.drop_db().await.expect("drop");
}

// ---------------------------------------------------------------------------
// 4. A token with no scopes

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
    let out = run_cli(command(
        &db.url,
        &sim.base_url(),
        work.path(),
        &["run", "--name", "noscope", "--out", "reports"],
        &[("GITHUB_TOKENS", &token)],
    ))
    .await;
    assert_ok(&out, "a run with a no-scope token");
    assert!(!text(&out).contains(&token));
    let pool = db.store.pool();
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
