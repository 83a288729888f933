pub mod bench;
pub mod demo;
pub mod reporting;
pub mod sim;
pub mod stages;

use crate::{Cli, Command};
use anyhow::{Context, Result};
use mcp_survey_github::{ClientConfig, GithubClient, GithubError, Token};
use mcp_survey_store::Store;

pub async fn dispatch(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Migrate => {
            let store = open_store(&cli.database_url).await?;
            let runs = store.list_runs().await?;
            println!(
                "database {} is ready ({} runs)",
                mcp_survey_store::redact_url(&cli.database_url),
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
        Command::Runs => stages::runs(&cli).await,
        Command::Status(args) => stages::status(&cli, args).await,
        Command::Bench(args) => bench::run(&cli, args).await,
    }
}

pub async fn open_store(url: &str) -> Result<Store> {
    Ok(mcp_survey_store::connect(url, 16).await?)
}

/// The GitHub client for `--github-url` with the tokens of GITHUB_TOKENS /
/// GITHUB_TOKEN, checked with one free request (`/rate_limit` does not count)
/// so a wrong token fails at once with a clear message.
pub async fn open_client(github_url: &str) -> Result<GithubClient> {
    open_client_with(github_url, Token::from_env(), |_| {}).await
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
        Err(e @ GithubError::BadCredentials { .. }) => Err(e.into()),
        Err(e) => Err(e).with_context(|| format!("cannot reach the GitHub API at {github_url}")),
    }
}

/// This process's identity in leases: unique per process and machine.
pub fn worker_id() -> String {
    static ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ID.get_or_init(|| {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "host".into());
        format!("{host}-{}", std::process::id())
    })
    .clone()
}

/// Runs a stage until it ends or Ctrl-C / SIGTERM arrives. On a signal the
/// stage is dropped (open transactions roll back) and everything this process
/// leased goes back to the queue at once, so another process, or the next
/// run, takes it up without waiting for the leases to expire.
pub async fn until_shutdown<T>(
    store: &Store,
    work: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        result = work => result,
        signal = shutdown_signal() => {
            let name = signal?;
            eprintln!("{name}: stopping; releasing leased work");
            let (jobs, slices) = store.release_process(&worker_id()).await?;
            anyhow::bail!(
                "stopped by {name}: released {jobs} jobs and {slices} search slices; run the same command again to resume"
            )
        }
    }
}

async fn shutdown_signal() -> Result<&'static str> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => { r.context("cannot listen for Ctrl-C")?; Ok("Ctrl-C") }
            _ = term.recv() => Ok("SIGTERM"),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")?;
        Ok("Ctrl-C")
    }
}
