//! What the tests of the whole binary against the simulator over HTTP share:
//! starting the CLI, starting a simulator, a child process that is killed if
//! the test fails, signalling it, and looking into the database.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use mcp_survey_ghsim::{serve, Corpus, SimConfig, SimHandle, SimRepo};
use mcp_survey_store::Store;
use std::collections::BTreeMap;
use std::future::Future;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// Client tuning for a simulator: no politeness pauses, short back-offs.
pub const FAST: &[&str] = &[
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
pub const HOST: &str = "reltest";

/// The subcommands that talk to GitHub, and so take `--github-url` and the
/// client tuning.
const TALK_TO_GITHUB: &[&str] = &["run", "harvest", "fetch"];

/// The binary against `db` and the simulator at `github`, in `cwd`, with
/// none of the caller's configuration and only `env` set. `args` starts
/// with the subcommand.
pub fn command(db: &str, github: &str, cwd: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcp-survey"));
    cmd.arg("--database-url").arg(db).arg("--no-progress");
    if let Some((sub, rest)) = args.split_first() {
        cmd.arg(sub);
        if TALK_TO_GITHUB.contains(sub) {
            cmd.arg("--github-url").arg(github).args(FAST);
        }
        cmd.args(rest);
    }
    cmd.current_dir(cwd)
        .env_remove("DATABASE_URL")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_TOKENS")
        .env_remove("GITHUB_APP_ID")
        .env_remove("GITHUB_APP_PRIVATE_KEY_PATH")
        .env_remove("GH_TOKEN")
        .env_remove("NO_COLOR")
        .env_remove("MCP_SURVEY_LOG")
        .env_remove("RUST_LOG")
        .env("HOSTNAME", HOST);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// The binary with `args` as given, none of the caller's database or token
/// settings, and only `env` set; run to the end.
pub fn bare(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_mcp-survey"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_TOKENS")
        .env_remove("GITHUB_APP_ID")
        .env_remove("GITHUB_APP_PRIVATE_KEY_PATH")
        .env_remove("GH_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

/// Runs `cmd` to the end off the async runtime.
pub async fn run_cli(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().expect("the binary runs"))
        .await
        .expect("command thread")
}

/// `mcp-survey run --name NAME --out OUT` to the end (see [`command`]).
/// The future holds no borrow: the command is built before it starts.
pub fn run_survey(
    db: &str,
    github: &str,
    cwd: &Path,
    name: &str,
    out: &str,
    env: &[(&str, &str)],
) -> impl Future<Output = Output> + 'static {
    let args = ["run", "--name", name, "--out", out];
    run_cli(command(db, github, cwd, &args, env))
}

/// Standard output then standard error.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

pub fn assert_ok(out: &Output, what: &str) {
    let all = text(out);
    assert!(out.status.success(), "{what} must succeed: {all}");
    assert!(!all.contains("panicked"), "{what}: no panic: {all}");
}

pub async fn sim(corpus: Corpus, config: SimConfig) -> SimHandle {
    serve(corpus, config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator")
}

/// A simulator whose clock runs 600 times faster, accepting `tokens` (any
/// token when `None`).
pub fn fast_sim(tokens: Option<Vec<String>>) -> SimConfig {
    SimConfig {
        time_scale: 600.0,
        valid_tokens: tokens,
        ..SimConfig::default()
    }
}

/// `prefix` followed by pseudo-random alphanumerics up to 40 characters:
/// the shape of a classic PAT, distinct per call.
pub fn unique_token(prefix: &str) -> String {
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
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
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
pub async fn tables_containing(store: &Store, needle: &str, except: &[&str]) -> Vec<String> {
    let tables = store.table_names().await.expect("tables");
    assert!(tables.len() >= 10, "the schema is there: {tables:?}");
    store
        .tables_containing(needle)
        .await
        .expect("scan")
        .into_iter()
        .filter(|t| !except.contains(&t.as_str()))
        .collect()
}

/// A count for an assertion.
pub async fn scalar_i64(store: &Store, sql: &str) -> i64 {
    store
        .inspect_one(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

pub async fn run_status(store: &Store, name: &str) -> String {
    store.run_status_by_name(name).await.expect("run row")
}

/// A small TypeScript MCP server; `extra` files are added to it.
pub fn server_repo(full_name: &str, id: i64, extra: &[(&str, Vec<u8>)]) -> SimRepo {
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

/// A child process with its output piped, killed if the test fails while
/// it runs.
pub struct Killer(Option<Child>);

impl Killer {
    pub fn spawn(mut cmd: Command) -> Killer {
        Killer(Some(
            cmd.stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn"),
        ))
    }

    pub fn id(&self) -> u32 {
        self.0.as_ref().map(|c| c.id()).unwrap_or(0)
    }

    pub fn try_wait(&mut self) -> std::io::Result<Option<ExitStatus>> {
        match self.0.as_mut() {
            Some(c) => c.try_wait(),
            None => Ok(None),
        }
    }

    /// Everything the child printed, standard output then standard error.
    /// A child still running is killed first, so this never waits for it.
    pub fn output(&mut self) -> String {
        let Some(mut child) = self.0.take() else {
            return String::new();
        };
        let _ = child.kill();
        let mut s = String::new();
        if let Some(mut o) = child.stdout.take() {
            let _ = o.read_to_string(&mut s);
        }
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut s);
        }
        let _ = child.wait();
        s
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

/// Polls `sql` (a count) until it is at least `at_least`, while `child`
/// runs; fails if the child ends first or `within` passes. `what` says
/// what is awaited.
pub async fn wait_until(
    child: &mut Killer,
    pool: &Store,
    sql: &str,
    at_least: i64,
    what: &str,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("the run ended before {what} ({status}): {}", child.output());
        }
        if scalar_i64(pool, sql).await >= at_least {
            return;
        }
        assert!(Instant::now() < deadline, "not within {within:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Sends `signal` (as `kill` takes it: `-TERM`, `-INT`) to `child`.
pub fn send_signal(child: &Killer, signal: &str) {
    let status = Command::new("kill")
        .arg(signal)
        .arg(child.id().to_string())
        .status()
        .expect("kill");
    assert!(status.success());
}

/// Sends `signal` (as `kill` takes it: `-TERM`, `-INT`) to `child` and
/// waits for it to exit; fails if it still runs after `within`.
pub async fn signal_and_wait_exit(
    child: &mut Killer,
    signal: &str,
    within: Duration,
) -> ExitStatus {
    send_signal(child, signal);
    let signalled = Instant::now();
    loop {
        if let Some(exit) = child.try_wait().expect("try_wait") {
            return exit;
        }
        if signalled.elapsed() > within {
            panic!(
                "still running {within:?} after {signal}: {}",
                child.output()
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
