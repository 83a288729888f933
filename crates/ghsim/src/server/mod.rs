//! The HTTP server: GitHub's REST endpoints over the corpus, with GitHub's
//! rejects, rate limits, ETags and injected faults, on 127.0.0.1.
//!
//! A request goes `listener` → `handler` (user agent, token, limits,
//! faults) → `routing` (which endpoint) → `search` or `git` (the answer,
//! objects from `json`) → back through `handler` (ETag, `Link`), with
//! `replies` for GitHub's errors and refusals and `faults` for how an
//! injected fault changes an answer. This file builds the state they share
//! and starts and stops the server.

mod app;
mod config;
mod faults;
mod git;
mod handler;
mod json;
mod listener;
mod registry;
mod replies;
mod routing;
mod search;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use handler::handle;
use listener::{ConnInfo, SimListener};
use search::{Cache, ResultKey};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::corpus::Corpus;
use crate::error::SimError;
use crate::faults::FaultState;
use crate::git::GitModel;
use crate::index::SearchIndex;
use crate::limits::{Limiter, Resource};
use crate::query::QueryError;
use crate::registry::Registry;
use crate::stats::{SimStats, StatsCollector};

pub use app::{installation_id, AppKey, AppStats, INSTALLATION_TOKEN_PREFIX};
pub use config::SimConfig;

struct AppState {
    corpus: Arc<Corpus>,
    index: SearchIndex,
    git: Vec<Option<GitModel>>,
    by_name: HashMap<String, usize>,
    config: SimConfig,
    limiter: Limiter,
    faults: FaultState,
    stats: StatsCollector,
    base_url: String,
    request_seq: AtomicU64,
    results: Cache<ResultKey, Result<Vec<u32>, QueryError>>,
    registry: registry::RegistryState,
    apps: app::AppRegistry,
}

/// A running simulator.
pub struct SimHandle {
    base_url: String,
    addr: SocketAddr,
    state: Arc<AppState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl SimHandle {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn stats(&self) -> SimStats {
        snapshot(&self.state)
    }

    /// Times (seconds since the Unix epoch) of every request counted against
    /// `resource`, all tokens, sorted: for "never more than N in any window"
    /// checks.
    pub fn request_times(&self, resource: Resource) -> Vec<f64> {
        self.state.limiter.request_times(resource)
    }

    /// Stops accepting, lets in-flight requests finish for up to 3 seconds,
    /// then drops the rest.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if tokio::time::timeout(Duration::from_secs(3), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

fn snapshot(st: &AppState) -> SimStats {
    let mut s = st
        .stats
        .snapshot(st.limiter.reports(), st.config.time_scale);
    s.app = st.apps.report();
    s
}

/// Builds the indexes and serves `corpus` on `addr` (port 0 = a free port),
/// on the current tokio runtime, with an empty MCP registry.
pub async fn serve(
    corpus: impl Into<Arc<Corpus>>,
    config: SimConfig,
    addr: SocketAddr,
) -> Result<SimHandle, SimError> {
    serve_with_registry(corpus, Registry::default(), config, addr).await
}

/// As [`serve`], with `registry` listed at `/v0.1/servers`.
pub async fn serve_with_registry(
    corpus: impl Into<Arc<Corpus>>,
    registry: Registry,
    config: SimConfig,
    addr: SocketAddr,
) -> Result<SimHandle, SimError> {
    config.validate()?;
    let corpus: Arc<Corpus> = corpus.into();
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| SimError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| SimError::Bind { addr, source })?;
    let base_url = format!("http://{local}");

    let build_corpus = corpus.clone();
    let max_code = config.code_search_max_file_bytes;
    let (index, git, by_name) = tokio::task::spawn_blocking(move || {
        let index = SearchIndex::build(&build_corpus, max_code);
        let git: Vec<Option<GitModel>> = build_corpus.repos.iter().map(GitModel::build).collect();
        let mut by_name = HashMap::new();
        for (i, r) in build_corpus.repos.iter().enumerate() {
            if by_name
                .insert(r.meta.full_name.to_ascii_lowercase(), i)
                .is_some()
            {
                return Err(SimError::Duplicate(r.meta.full_name.clone()));
            }
        }
        Ok((index, git, by_name))
    })
    .await
    .map_err(|e| SimError::Index(e.to_string()))??;

    let apps = app::AppRegistry::new(&config.apps, config.time_scale)?;
    let state = Arc::new(AppState {
        apps,
        corpus,
        index,
        git,
        by_name,
        limiter: Limiter::new(
            config.limits,
            config.unauthenticated,
            config.secondary,
            config.time_scale,
        ),
        faults: FaultState::new(config.faults.clone()),
        stats: StatsCollector::default(),
        config,
        base_url: base_url.clone(),
        request_seq: AtomicU64::new(1),
        results: Cache::new(),
        registry: registry::RegistryState::new(registry),
    });
    let app = Router::new().fallback(handle).with_state(state.clone());
    let (tx, rx) = oneshot::channel::<()>();
    let listener = SimListener { inner: listener };
    let task = tokio::spawn(async move {
        let served = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<ConnInfo>(),
        )
        .with_graceful_shutdown(async move {
            let _ = rx.await;
        })
        .await;
        if let Err(e) = served {
            tracing::error!("simulator stopped: {e}");
        }
    });
    Ok(SimHandle {
        base_url,
        addr: local,
        state,
        shutdown: Some(tx),
        task,
    })
}
