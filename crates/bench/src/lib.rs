//! Benchmarks of the harvest, fetch and classify stages against the GitHub
//! simulator, each in a throw-away database: the numbers BENCHMARKS.md reports,
//! computed against the simulator's own accounting (not the client's),
//! so a client that miscounts cannot flatter itself.
//!
//! Every benchmark starts its simulator in-process on 127.0.0.1 and talks to
//! it over real HTTP with the same client the survey uses on GitHub.

mod chaos;
mod classify;
mod fetch;
mod harvest;

pub use chaos::{bench_chaos, ChaosBench, ChaosOptions};
pub use classify::{bench_classify, ClassifyBench, ClassifyBenchOptions};
pub use fetch::{
    bench_fetch, fetch_child, FetchBench, FetchBenchOptions, FetchChildReport, FetchPass,
};
pub use harvest::{bench_harvest, HarvestBench, HarvestBenchOptions, KillResume};

use mcp_survey_github::{ClientConfig, GithubClient, GithubError, Token};
use mcp_survey_store::testing::TestDb;
use mcp_survey_store::StoreError;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("GitHub client: {0}")]
    Github(#[from] GithubError),
    #[error("simulator: {0}")]
    Sim(#[from] mcp_survey_ghsim::SimError),
    #[error("harvest: {0}")]
    Harvest(#[from] mcp_survey_harvest::HarvestError),
    #[error("fetch: {0}")]
    Fetch(#[from] mcp_survey_fetch::FetchError),
    #[error("classify: {0}")]
    Classify(#[from] mcp_survey_label::ClassifyError),
    #[error("seed queries: {0}")]
    Seeds(#[from] mcp_survey_harvest::SeedError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Failed(String),
}

/// The token the benchmarks send; the simulator accepts any by default.
pub const BENCH_TOKEN: &str = "bench-token";

/// A client tuned for the simulator the way `mcp-survey demo` tunes it:
/// the rate limits are followed from the headers as on GitHub, but the
/// politeness towards codeload (whose limits GitHub does not publish) is
/// off, and the secondary-limit fallback wait is scaled like the windows.
pub fn sim_client(base_url: &str, time_scale: f64) -> Result<GithubClient, BenchError> {
    let mut c = ClientConfig::new(base_url, vec![Token::new(BENCH_TOKEN)])?;
    c.archive_min_interval = Duration::ZERO;
    c.archive_concurrency = 8;
    c.secondary_min_wait = Duration::from_secs_f64((60.0 / time_scale.max(1.0)).max(0.05));
    c.backoff_base = Duration::from_millis(50);
    Ok(GithubClient::new(c)?)
}

/// A fresh, migrated database that is dropped even when the benchmark fails.
pub(crate) async fn with_db<T, F, Fut>(f: F) -> Result<T, BenchError>
where
    F: FnOnce(TestDb) -> Fut,
    Fut: std::future::Future<Output = (TestDb, Result<T, BenchError>)>,
{
    let db = TestDb::create().await?;
    let (db, result) = f(db).await;
    if let Err(e) = db.drop_db().await {
        tracing::warn!(error = %e, "could not drop the benchmark database");
    }
    result
}

/// Peak resident set size of this process in KiB (`VmHWM`), if readable.
pub fn peak_rss_kib() -> Option<u64> {
    proc_status_kib("VmHWM:")
}

fn proc_status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

/// CPU seconds (user + system) this process has used so far.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some((utime + stime) / 100.0)
}

/// Full names of a run's repositories.
pub(crate) async fn run_repository_names(
    store: &mcp_survey_store::Store,
    run_id: i64,
) -> Result<std::collections::BTreeSet<String>, BenchError> {
    Ok(store
        .run_repository_names(run_id)
        .await?
        .into_iter()
        .collect())
}
