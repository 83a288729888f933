//! `mcp-survey`: the binary. Parses arguments, builds the pieces, and hands
//! over to the library crates; every error ends here as one clear line.

mod commands;
mod throwaway;
mod ui;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/mcp_survey";

#[derive(Parser, Debug)]
#[command(
    name = "mcp-survey",
    version,
    about = "Survey public GitHub for MCP servers and measure how they authenticate",
    long_about = None
)]
pub struct Cli {
    /// Postgres database to use [default: postgres://postgres@127.0.0.1:5432/mcp_survey].
    /// Commands that write a survey create and migrate it when missing;
    /// `runs`, `status`, `report` and `export` only read it.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        hide_env_values = true,
        value_name = "URL"
    )]
    pub database_url: Option<String>,

    /// Plain progress lines instead of progress bars, even on a terminal.
    #[arg(long, global = true)]
    pub no_progress: bool,

    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// `--database-url`, else DATABASE_URL, else the local default.
    pub fn database_url(&self) -> &str {
        self.database_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .unwrap_or(DEFAULT_DATABASE_URL)
    }

    /// Whether the user named a database (flag or environment).
    pub fn database_url_given(&self) -> bool {
        self.database_url
            .as_deref()
            .is_some_and(|u| !u.trim().is_empty())
    }
}

/// Where to find GitHub (or a simulator) and how politely to treat it:
/// only the subcommands that talk to GitHub take these.
#[derive(clap::Args, Debug, Clone)]
#[command(next_help_heading = "GitHub")]
pub struct GithubArgs {
    /// GitHub API base URL (or a simulator's).
    #[arg(long, default_value = mcp_survey_github::GITHUB_API_URL, value_name = "URL")]
    pub github_url: String,

    /// GitHub App to survey as (with --app-private-key): its installation
    /// token is one more rate-limit bucket, next to GITHUB_TOKEN(S) if set.
    #[arg(
        long,
        env = "GITHUB_APP_ID",
        value_name = "ID",
        requires = "app_private_key"
    )]
    pub app_id: Option<u64>,

    /// The GitHub App's private key (PEM), as downloaded from its settings.
    #[arg(
        long,
        env = "GITHUB_APP_PRIVATE_KEY_PATH",
        value_name = "PATH",
        requires = "app_id"
    )]
    pub app_private_key: Option<PathBuf>,

    /// The app's installation to act as [default: the first one GitHub lists].
    #[arg(long, value_name = "ID", requires = "app_id")]
    pub app_installation: Option<u64>,

    #[command(flatten)]
    pub tuning: ClientTuning,
}

/// What `run`, `harvest` and `fetch --help` say about tokens.
pub const TOKEN_HELP: &str = "\
GitHub token, first found: GITHUB_TOKENS (several, comma-separated; each gets its own rate \
limits), GITHUB_TOKEN, GH_TOKEN, else `gh auth token` when the GitHub CLI is installed and \
logged in. api.github.com needs one (code search refuses anonymous requests): create a token \
without scopes at https://github.com/settings/tokens and `export GITHUB_TOKEN=...`. A simulator \
on loopback (`--github-url http://127.0.0.1:PORT`) needs none. A GitHub App can survey instead of, \
or next to, tokens: --app-id and --app-private-key (GITHUB_APP_ID, GITHUB_APP_PRIVATE_KEY_PATH).";

/// How politely the client treats the archive host and how long it waits
/// after errors. GitHub's defaults suit api.github.com; a simulator or a
/// GitHub Enterprise server may allow more.
#[derive(clap::Args, Debug, Clone)]
pub struct ClientTuning {
    /// Minimum seconds between two archive downloads per token (codeload has
    /// its own unpublished throttle).
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    pub archive_interval: f64,
    /// Longest wait for the archive budget before a repository is fetched by the trees API instead.
    #[arg(long, default_value_t = 30.0, value_name = "SECONDS")]
    pub archive_max_wait: f64,
    /// Archive downloads in flight at once.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub archive_concurrency: usize,
    /// First back-off after a 5xx or a reset connection, doubled per retry.
    #[arg(long, default_value_t = 1.0, value_name = "SECONDS")]
    pub backoff: f64,
    /// Wait after a secondary-limit 403 that carries no Retry-After.
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS")]
    pub secondary_wait: f64,
    /// Deadline of one archive download, plus a second per MiB of the
    /// repository's size (at most 15 minutes); a download past it gives its
    /// slot back and the repository is fetched through the trees API.
    #[arg(long, default_value_t = 120.0, value_name = "SECONDS")]
    pub download_deadline: f64,
    /// Slowest average rate an archive download may keep after its first
    /// seconds before it is given up for the trees API.
    #[arg(long, default_value_t = 16, value_name = "KIB_PER_SECOND")]
    pub min_download_rate: u64,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create the database if needed and apply the schema migrations.
    Migrate,
    /// Serve the GitHub API simulator.
    Sim(commands::sim::SimArgs),
    /// Harvest: run the seed queries (sliced under the 1,000-result cap) into a run.
    #[command(after_help = TOKEN_HELP)]
    Harvest(commands::stages::HarvestArgs),
    /// Fetch snapshots of a run's repositories.
    #[command(after_help = TOKEN_HELP)]
    Fetch(commands::stages::FetchArgs),
    /// Classify a local checkout (PATH), or a run's stored snapshots.
    Classify(commands::stages::ClassifyArgs),
    /// Score the classifier against labelled repositories.
    Eval(commands::stages::EvalArgs),
    /// Write the report of a run under reports/<run>/, or with --compare A B what changed between two runs.
    Report(commands::reporting::ReportArgs),
    /// Export a run's labelled servers (with --all every classified repository), one row each with the evidence, as CSV or JSON lines.
    Export(commands::reporting::ExportArgs),
    /// Harvest, fetch, classify and report in one go (a new snapshot).
    #[command(after_help = TOKEN_HELP)]
    Run(commands::stages::RunArgs),
    /// Try it now: a simulator with a synthetic corpus, the whole pipeline, the headline table.
    Demo(commands::demo::DemoArgs),
    /// List the runs (snapshots).
    Runs(commands::stages::RunsArgs),
    /// Queue depth per stage and failures by cause.
    Status(commands::stages::StatusArgs),
    /// Benchmarks against the built-in simulator: harvest, fetch, classify, chaos.
    Bench(commands::bench::BenchArgs),
    /// Audit a run's labels by hand: draw a stratified sample as a labelling sheet, then score the filled sheet.
    Audit(commands::audit::AuditArgs),
}

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    ui::init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Lives until the very end: dropping it stops and deletes the demo's
    // own Postgres, after every task that used it has stopped.
    let throwaway = match runtime.block_on(commands::demo::database(&cli)) {
        Ok(pg) => pg,
        Err(e) => {
            eprintln!("error: {}", ui::one_line(&e));
            return ExitCode::FAILURE;
        }
    };
    if let Some(pg) = &throwaway {
        cli.database_url = Some(pg.url.clone());
    }
    let database_url = cli.database_url().to_string();
    let code = match runtime.block_on(commands::dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Stopped by Ctrl-C, at once or after the work in hand: 130,
            // as a shell reports a command Ctrl-C ended.
            let graceful = e.is::<commands::StoppedGracefully>();
            let by_ctrl_c = graceful
                || e.downcast_ref::<commands::Interrupted>()
                    .is_some_and(|stop| stop.signal == "Ctrl-C");
            let e = if e.is::<commands::Interrupted>() {
                // End the downloads blocking threads are reading (they
                // would poll them after the runtime's timers are gone), stop
                // every task (workers outlive the dropped stage), then
                // release what they leased after the stage's own release.
                runtime.block_on(mcp_survey_fetch::download::abort_downloads(
                    std::time::Duration::from_millis(1500),
                ));
                runtime.shutdown_timeout(std::time::Duration::from_secs(2));
                match (&throwaway, e.downcast_ref::<commands::Interrupted>()) {
                    // The whole database is about to go: nothing to release,
                    // and nothing to resume.
                    (Some(_), Some(stop)) => anyhow::anyhow!(
                        "stopped by {}; the demo's throw-away database goes with what it did",
                        stop.signal
                    ),
                    _ => commands::release_after_stop(e, &database_url),
                }
            } else if throwaway.is_some() && graceful {
                drop(runtime);
                anyhow::anyhow!(
                    "stopped by Ctrl-C; the demo's throw-away database goes with what it did"
                )
            } else {
                drop(runtime);
                e
            };
            let what = if graceful { "stopped" } else { "error" };
            eprintln!("{what}: {}", ui::one_line(&e));
            if by_ctrl_c {
                ExitCode::from(130)
            } else {
                ExitCode::FAILURE
            }
        }
    };
    if let Some(pg) = throwaway {
        let folder = pg.folder().display().to_string();
        drop(pg);
        eprintln!("throw-away Postgres stopped and {folder} deleted");
    }
    code
}

pub fn default_report_dir() -> PathBuf {
    PathBuf::from("reports")
}
