pub mod audit;
pub mod bench;
pub mod demo;
pub mod reporting;
pub mod sim;
pub mod stages;
pub mod tokens;

use crate::{Cli, ClientTuning, Command, GithubArgs};
use anyhow::{Context, Result};
use mcp_survey_github::{AppCredentials, ClientConfig, GithubClient, GithubError, Token};
use mcp_survey_stage::CancellationToken;
use mcp_survey_store::Store;
use std::time::Duration;

pub async fn dispatch(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Migrate => {
            let store = open_store(cli.database_url()).await?;
            let runs = store.list_runs().await?;
            println!(
                "database {} is ready ({} runs)",
                mcp_survey_store::redact_url(cli.database_url()),
                runs.len()
            );
            Ok(())
        }
        Command::Sim(args) => sim::run(args).await,
        Command::Harvest(args) => stages::harvest(&cli, args).await,
        Command::Fetch(args) => stages::fetch(&cli, args).await,
        Command::Classify(args) => stages::classify(&cli, args).await,
        Command::Eval(args) => stages::eval(args),
        Command::Report(args) => reporting::report(&cli, args).await,
        Command::Export(args) => reporting::export(&cli, args).await,
        Command::Run(args) => stages::run(&cli, args).await,
        Command::Demo(args) => demo::run(&cli, args).await,
        Command::Runs(args) => stages::runs(&cli, args).await,
        Command::Status(args) => stages::status(&cli, args).await,
        Command::Bench(args) => bench::run(&cli, args).await,
        Command::Audit(args) => audit::run(&cli, args).await,
    }
}

/// The database for a command that writes a survey: created and migrated
/// when missing.
pub async fn open_store(url: &str) -> Result<Store> {
    Ok(mcp_survey_store::connect(url, 16).await?)
}

/// The database for a command that only reads: never created or migrated.
pub async fn open_reader(url: &str) -> Result<Store> {
    Ok(mcp_survey_store::open_existing(url, 4).await?)
}

/// Checks what a command that writes needs before anything is written or
/// asked: a valid database URL, a GitHub URL, and a token when the URL is
/// GitHub's own. Returns the tokens.
pub fn preflight(database_url: &str, github: &GithubArgs) -> Result<Vec<Token>> {
    mcp_survey_store::check_url(database_url)?;
    mcp_survey_github::parse_base_url(&github.github_url)?;
    let found = tokens::resolve();
    // An app authenticates on its own: no token needed, and no stand-in.
    if github.app_id.is_some() && found.tokens.is_empty() {
        return Ok(Vec::new());
    }
    Ok(tokens::for_url(&github.github_url, found)?.tokens)
}

/// The GitHub App of `--app-id` and `--app-private-key`, if given.
fn app_credentials(github: &GithubArgs) -> Result<Option<AppCredentials>> {
    match (github.app_id, &github.app_private_key) {
        (Some(id), Some(key)) => Ok(Some(AppCredentials::from_pem_file(
            id,
            key,
            github.app_installation,
        )?)),
        _ => Ok(None),
    }
}

/// The GitHub client for `--github-url` with `tokens`, checked with one
/// free request (`/rate_limit` does not count) so a wrong token fails at
/// once with a clear message.
pub async fn open_client(github: &GithubArgs, tokens: Vec<Token>) -> Result<GithubClient> {
    let tuning = &github.tuning;
    let seconds = |name: &str, v: f64| -> Result<Duration> {
        Duration::try_from_secs_f64(v)
            .map_err(|_| anyhow::anyhow!("--{name} must be a number of seconds ≥ 0, not {v}"))
    };
    let archive_interval = seconds("archive-interval", tuning.archive_interval)?;
    let archive_max_wait = seconds("archive-max-wait", tuning.archive_max_wait)?;
    let backoff = seconds("backoff", tuning.backoff)?;
    let secondary_wait = seconds("secondary-wait", tuning.secondary_wait)?;
    let app = app_credentials(github)?;
    open_client_with(&github.github_url, tokens, |c| {
        c.app = app;
        c.archive_min_interval = archive_interval;
        c.archive_max_wait = archive_max_wait;
        c.archive_concurrency = tuning.archive_concurrency;
        c.backoff_base = backoff;
        c.secondary_min_wait = secondary_wait;
    })
    .await
}

/// `--download-deadline` and `--min-download-rate` as the fetch stage's
/// download limits.
pub fn download_limits(tuning: &ClientTuning) -> Result<mcp_survey_fetch::DownloadLimits> {
    let deadline = Duration::try_from_secs_f64(tuning.download_deadline)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "--download-deadline must be a number of seconds > 0, not {}",
                tuning.download_deadline
            )
        })?;
    let defaults = mcp_survey_fetch::DownloadLimits::default();
    Ok(mcp_survey_fetch::DownloadLimits {
        deadline,
        // The grace period before throughput counts never exceeds the
        // deadline itself, so a short deadline stays meaningful.
        grace: defaults.grace.min(deadline / 2),
        max_deadline: defaults.max_deadline.max(deadline),
        min_bytes_per_sec: tuning.min_download_rate.saturating_mul(1024),
        ..defaults
    })
}

pub async fn open_client_with(
    github_url: &str,
    tokens: Vec<Token>,
    tune: impl FnOnce(&mut ClientConfig),
) -> Result<GithubClient> {
    let mut config = ClientConfig::new(github_url, tokens)?;
    tune(&mut config);
    let client = GithubClient::new(config)?;
    match client.rate_limit().await {
        Ok(_) => Ok(client),
        Err(e @ (GithubError::BadCredentials { .. } | GithubError::AppAuth { .. })) => {
            Err(e.into())
        }
        Err(e) => Err(e).with_context(|| format!("cannot reach the GitHub API at {github_url}")),
    }
}

/// Gives back at once what processes of this machine that no longer exist
/// (killed with SIGKILL, or the machine rebooted) still hold: a restart then
/// resumes their work without waiting for the leases to run out. Processes of
/// other machines keep their leases; those expire as usual.
async fn reclaim_from_dead_local_processes(store: &Store) -> Result<()> {
    // Without a trustworthy machine name, "dead" could be another machine's
    // live process: leave every lease to expire (local_pid is then None).
    let me = worker_id();
    for holder in store.lease_holders().await? {
        let Some(pid) = local_pid(&holder) else {
            continue;
        };
        if holder == me || process_alive(pid) {
            continue;
        }
        let (jobs, slices) = store.reclaim_process(&holder).await?;
        if jobs + slices > 0 {
            tracing::warn!(
                process = %holder,
                jobs,
                slices,
                "took back the work of a process of this machine that no longer runs"
            );
        }
    }
    Ok(())
}

/// The process id of a lease holder (`HOST-PID`) of this machine; None for
/// another machine's, or when this machine's name is unknown.
pub(crate) fn local_pid(holder: &str) -> Option<u32> {
    let host = host_name()?;
    let (their_host, pid) = holder.rsplit_once('-')?;
    if their_host != host {
        return None;
    }
    pid.parse().ok()
}

/// The machine's name: HOSTNAME when set (containers set it), else the
/// kernel's. Leases are named after it, so it must differ between machines.
fn host_name() -> Option<&'static str> {
    static HOST: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
            .map(|h| h.trim().replace(':', "_"))
            .filter(|h| !h.is_empty())
    })
    .as_deref()
}

/// Whether a process with this id runs here (a reused id counts as alive:
/// the lease then simply runs out).
pub(crate) fn process_alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// This process's identity in leases: unique per process and machine.
pub fn worker_id() -> String {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| format!("{}-{}", host_name().unwrap_or("host"), std::process::id()))
        .clone()
}

/// Runs a stage until it ends or a signal stops it.
///
/// The first Ctrl-C asks for a graceful stop: `stop` is cancelled, the
/// stage finishes the work in hand, takes no more and returns (its stats
/// say `stopped`). A second Ctrl-C, or SIGTERM, stops at once: the stage is
/// dropped (open transactions roll back) and everything this process leased
/// goes back to the queue, so another process, or the next run, takes it up
/// without waiting for the leases to expire.
pub async fn until_shutdown<T>(
    store: &Store,
    stop: &CancellationToken,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    reclaim_from_dead_local_processes(store).await?;
    let mut signals = Signals::listen()?;
    tokio::pin!(work);
    loop {
        tokio::select! {
            result = &mut work => return result,
            signal = signals.next() => {
                let name = signal?;
                if name == CTRL_C && !stop.is_cancelled() {
                    stop.cancel();
                    eprintln!("Ctrl-C: finishing the work in hand, then stopping; the same command resumes the run (Ctrl-C again stops at once)");
                    continue;
                }
                eprintln!("{name}: stopping; releasing leased work");
                let (jobs, slices) = store.release_process(&worker_id()).await?;
                return Err(Interrupted { signal: name, jobs, slices }.into());
            }
        }
    }
}

/// A stage that finished the work in hand and stopped at the first Ctrl-C,
/// with the command that resumes it. The process exits with 130.
#[derive(Debug)]
pub struct StoppedGracefully {
    pub what: String,
    pub resume: String,
}

impl std::fmt::Display for StoppedGracefully {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; resume with `{}`", self.what, self.resume)
    }
}

impl std::error::Error for StoppedGracefully {}

/// A stage stopped by a signal, with what this process gave back.
///
/// Dropping the stage's future does not stop the workers it spawned: until
/// the runtime stops they go on, and one may claim a job or a search slice
/// after the release above. So `main`, on this error, stops the runtime
/// (every task of the process) and then calls [`release_after_stop`].
#[derive(Debug)]
pub struct Interrupted {
    pub signal: &'static str,
    pub jobs: u64,
    pub slices: u64,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stopped by {}: released {} jobs and {} search slices; run the same command again to resume",
            self.signal, self.jobs, self.slices
        )
    }
}

impl std::error::Error for Interrupted {}

/// After an [`Interrupted`] stage, once no task of this process runs any
/// more: releases, on a fresh connection, whatever was leased after the
/// first release, so the next run does not wait for those leases to expire.
/// Other errors are returned unchanged.
pub fn release_after_stop(error: anyhow::Error, database_url: &str) -> anyhow::Error {
    let mut stop = match error.downcast::<Interrupted>() {
        Ok(stop) => stop,
        Err(other) => return other,
    };
    let released = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|rt| {
            rt.block_on(async {
                let store = mcp_survey_store::connect(database_url, 1).await?;
                // A claim whose COMMIT left a dropped connection just before
                // the stop can land after a release began: that release's
                // snapshot saw the job still queued and skipped it. Release
                // again after a pause until a pass finds nothing.
                let mut released = (0, 0);
                for pass in 0..5 {
                    let (jobs, slices) = store.release_process(&worker_id()).await?;
                    released.0 += jobs;
                    released.1 += slices;
                    if pass > 0 && jobs == 0 && slices == 0 {
                        break;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                store.close().await;
                anyhow::Ok(released)
            })
        });
    match released {
        Ok((jobs, slices)) => {
            stop.jobs += jobs;
            stop.slices += slices;
            stop.into()
        }
        Err(e) => anyhow::anyhow!(
            "{stop}; work leased during the stop stays leased until its lease expires: {}",
            crate::ui::one_line(&e)
        ),
    }
}

const CTRL_C: &str = "Ctrl-C";

/// How many Ctrl-C / SIGTERM arrived so far, and the last one's name.
type SignalCount = tokio::sync::watch::Receiver<(u64, &'static str)>;

/// Signals remembered from the moment [`latch_signals`] was called.
static LATCH: std::sync::OnceLock<SignalCount> = std::sync::OnceLock::new();

/// From now on every Ctrl-C or SIGTERM is remembered, even one that
/// arrives while no stage listens (between two steps, or while the
/// synthetic corpus is generated): for the demo with its own Postgres,
/// which must always end through the path that stops and deletes it.
/// Without this, a listener installed once and then dropped would swallow
/// such a signal, and without any listener the signal would kill the
/// process and leave the server running.
pub(crate) fn latch_signals() -> Result<()> {
    let count = count_signals()?;
    let _ = LATCH.set(count);
    Ok(())
}

/// A task that counts Ctrl-C and SIGTERM for as long as the process runs.
fn count_signals() -> Result<SignalCount> {
    let (tx, rx) = tokio::sync::watch::channel((0, ""));
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        // Registered here, before returning, so there is no window.
        let mut int = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
        let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        tokio::spawn(async move {
            loop {
                let name = tokio::select! {
                    Some(()) = int.recv() => CTRL_C,
                    Some(()) = term.recv() => "SIGTERM",
                    else => break,
                };
                tx.send_modify(|(n, last)| {
                    *n += 1;
                    *last = name;
                });
            }
            // Keep the sender: a closed channel would read as an error.
            std::future::pending::<()>().await;
        });
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        while tokio::signal::ctrl_c().await.is_ok() {
            tx.send_modify(|(n, last)| {
                *n += 1;
                *last = CTRL_C;
            });
        }
        std::future::pending::<()>().await;
    });
    Ok(rx)
}

/// The signals one command waits for, each seen once.
struct Signals {
    count: SignalCount,
    seen: u64,
}

impl Signals {
    /// The latched signals (counted from the start, so one that came
    /// before is seen), else a listener from now on.
    fn listen() -> Result<Self> {
        let count = match LATCH.get() {
            Some(latched) => latched.clone(),
            None => count_signals()?,
        };
        Ok(Signals { count, seen: 0 })
    }

    /// The next signal not seen yet.
    async fn next(&mut self) -> Result<&'static str> {
        loop {
            let (n, name) = *self.count.borrow_and_update();
            if n > self.seen {
                self.seen += 1;
                return Ok(name);
            }
            self.count
                .changed()
                .await
                .context("the signal listener stopped")?;
        }
    }
}

/// The first Ctrl-C or SIGTERM (one latched before counts).
pub(crate) async fn shutdown_signal() -> Result<&'static str> {
    Signals::listen()?.next().await
}
