//! The client: its shared state and how it is built. API calls go through
//! octocrab (`transport.rs`), archive downloads through reqwest
//! (`endpoints/tarball.rs`); both wait at the same gate.

use std::num::NonZeroU32;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use http::header::{HeaderName, USER_AGENT};
use http::HeaderValue;
use octocrab::Octocrab;
use tokio::sync::Semaphore;

use crate::config::ClientConfig;
use crate::credentials::Credentials;
use crate::error::{error_chain, reqwest_error_chain, GithubError};
use crate::gate::Gate;
use crate::stats::{ClientStats, StatsCell};

/// Sent with every API request through octocrab (whose own user agent is
/// `octocrab`), naming the project to GitHub.
pub const CLIENT_HEADER: &str = "x-mcp-survey-client";

/// GitHub's client. Cheap to clone (one `Arc`), usable from many tasks.
#[derive(Clone)]
pub struct GithubClient {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubClient")
            .field("base_url", &self.inner.config.base_url.as_str())
            .field("credentials", &self.inner.credentials.len())
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub config: ClientConfig,
    /// API calls. Its own retries and redirect following are off: the
    /// gate, `retry.rs` and `transport.rs` do both.
    pub octo: Octocrab,
    /// Archive downloads: streamed, redirects never followed, no token
    /// to another host.
    pub raw: reqwest::Client,
    pub gate: Arc<Gate>,
    pub concurrency: Semaphore,
    pub archive_slots: Arc<Semaphore>,
    pub archive_pacer: Option<DefaultDirectRateLimiter>,
    /// The download host's answers carry rate-limit headers.
    pub archive_metered: AtomicBool,
    pub stats: Arc<StatsCell>,
    pub credentials: Credentials,
    pub token_ids: Vec<usize>,
}

impl GithubClient {
    /// Checks the configuration (malformed base URL, zero concurrency, a
    /// token that cannot be a header) and builds the HTTP clients.
    pub fn new(config: ClientConfig) -> Result<Self, GithubError> {
        config.validate()?;
        // octocrab runs its connection pool on a task of the current runtime.
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(GithubError::InvalidConfig(
                "the GitHub client must be built inside a tokio runtime".into(),
            ));
        }
        let credentials = Credentials::new(&config)?;
        let ua = HeaderValue::from_str(&config.user_agent).map_err(|_| {
            GithubError::InvalidConfig(format!(
                "user agent {:?} is not a valid HTTP header value",
                config.user_agent
            ))
        })?;
        let octo = Octocrab::builder()
            .base_uri(config.base_url.as_str())
            .and_then(|b| {
                b.add_header(
                    HeaderName::from_static(CLIENT_HEADER),
                    config.user_agent.clone(),
                )
                .set_connect_timeout(Some(config.connect_timeout))
                .set_read_timeout(Some(config.request_timeout))
                .build()
            })
            .map_err(|e| {
                GithubError::InvalidConfig(format!(
                    "cannot build the GitHub API client: {}",
                    error_chain(&e)
                ))
            })?;
        let mut default_headers = http::HeaderMap::new();
        default_headers.insert(USER_AGENT, ua);
        let raw = reqwest::Client::builder()
            .default_headers(default_headers)
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.archive_read_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_gzip()
            .build()
            .map_err(|e| {
                GithubError::InvalidConfig(format!(
                    "cannot build the download client: {}",
                    reqwest_error_chain(&e)
                ))
            })?;
        let archive_pacer = if config.archive_min_interval.is_zero() {
            None
        } else {
            Quota::with_period(config.archive_min_interval)
                .map(|q| RateLimiter::direct(q.allow_burst(NonZeroU32::MIN)))
        };
        let token_ids = (0..credentials.len()).collect();
        Ok(GithubClient {
            inner: Arc::new(Inner {
                concurrency: Semaphore::new(config.max_concurrency),
                archive_slots: Arc::new(Semaphore::new(config.archive_concurrency)),
                archive_pacer,
                archive_metered: AtomicBool::new(false),
                stats: Arc::new(StatsCell::new(credentials.len())),
                gate: Gate::new(config.hourly_burst),
                token_ids,
                credentials,
                octo,
                raw,
                config,
            }),
        })
    }

    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Counters so far: requests, 304s, retries and limit hits per resource,
    /// time spent waiting for limits.
    pub fn stats(&self) -> ClientStats {
        self.inner.stats.snapshot()
    }

    pub(crate) fn token_label(&self, token: usize) -> String {
        self.inner.credentials.label(token)
    }
}
