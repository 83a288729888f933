//! The HTTP server: GitHub's REST endpoints over the corpus, with GitHub's
//! rejects, rate limits, ETags and injected faults, on 127.0.0.1.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use axum::Router;
use base64::Engine;
use mcp_survey_model::CODE_SEARCH_MAX_FILE_BYTES;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::corpus::Corpus;
use crate::corpus::SimLink;
use crate::error::SimError;
use crate::faults::{FaultConfig, FaultKind, FaultState};
use crate::git::{
    filler_files, resolve_link, EntryKind, GitModel, MODE_BLOB, MODE_SUBMODULE, MODE_SYMLINK,
    MODE_TREE,
};
use crate::index::{code_in_fields, repo_in_fields, SearchIndex, CODE_QUALIFIERS, REPO_QUALIFIERS};
use crate::limits::{Decision, Limiter, Limits, RateState, Resource, SecondaryLimits};
use crate::query::{parse, ParsedQuery, QueryError};
use crate::stats::{SimStats, StatsCollector};
use crate::tarball::{self, top_folder, ArchiveShape, TarballJob};

/// How the simulator behaves. `Default` is GitHub's real behaviour.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    /// Every rate-limit window is this many times shorter (a minute becomes
    /// 60/K seconds); headers report the scaled reset truthfully.
    pub time_scale: f64,
    /// Primary limits for requests with a token.
    pub limits: Limits,
    /// Primary limits without a token (GitHub's unauthenticated ones).
    pub unauthenticated: Limits,
    pub secondary: SecondaryLimits,
    /// Accepted tokens; None = any token is accepted.
    pub valid_tokens: Option<Vec<String>>,
    pub faults: FaultConfig,
    /// Search results reachable by paging (GitHub: 1000).
    pub result_cap: usize,
    pub max_per_page: usize,
    /// Share of search answers marked `incomplete_results: true`, with the
    /// last quarter of their page missing (as when GitHub's search times out).
    pub incomplete_results_rate: f64,
    /// Code search only covers files smaller than this (GitHub: 384 KB).
    pub code_search_max_file_bytes: u64,
    /// Uncompressed size of a gzip-bomb entry.
    pub gzip_bomb_bytes: u64,
    /// Status of a primary-limit refusal on REST resources: 403 (GitHub's
    /// usual answer) or 429. Archive downloads always get 429.
    pub primary_limit_status: u16,
    pub require_user_agent: bool,
    /// A recursive tree with more entries than this is cut there and marked
    /// `truncated: true` (GitHub: 100,000 entries or 7 MB).
    pub max_tree_entries: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            time_scale: 1.0,
            limits: Limits::github_authenticated(),
            unauthenticated: Limits::github_unauthenticated(),
            secondary: SecondaryLimits::default(),
            valid_tokens: None,
            faults: FaultConfig::default(),
            result_cap: 1000,
            max_per_page: 100,
            incomplete_results_rate: 0.0,
            code_search_max_file_bytes: CODE_SEARCH_MAX_FILE_BYTES,
            gzip_bomb_bytes: 1 << 30,
            primary_limit_status: 403,
            require_user_agent: true,
            max_tree_entries: 100_000,
        }
    }
}

impl SimConfig {
    /// No primary or secondary limits: for throughput benchmarks.
    pub fn unthrottled() -> SimConfig {
        SimConfig {
            limits: Limits::unlimited(),
            unauthenticated: Limits::unlimited(),
            secondary: SecondaryLimits {
                enabled: false,
                ..SecondaryLimits::default()
            },
            ..SimConfig::default()
        }
    }

    pub fn validate(&self) -> Result<(), SimError> {
        if !(self.time_scale.is_finite() && self.time_scale > 0.0) {
            return Err(SimError::Config(format!(
                "time_scale must be a positive number, got {}",
                self.time_scale
            )));
        }
        for (k, r) in &self.faults.rates {
            if !(0.0..=1.0).contains(r) {
                return Err(SimError::Config(format!(
                    "fault rate for {} must be within 0..=1, got {r}",
                    k.as_str()
                )));
            }
        }
        let total: f64 = self.faults.rates.values().sum();
        if total > 1.0 {
            return Err(SimError::Config(format!(
                "fault rates add up to {total}, more than 1"
            )));
        }
        if !(0.0..=1.0).contains(&self.secondary.without_retry_after) {
            return Err(SimError::Config(
                "secondary.without_retry_after must be within 0..=1".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.incomplete_results_rate) {
            return Err(SimError::Config(
                "incomplete_results_rate must be within 0..=1".into(),
            ));
        }
        if self.max_per_page == 0 || self.result_cap == 0 {
            return Err(SimError::Config(
                "max_per_page and result_cap must be positive".into(),
            ));
        }
        if self.primary_limit_status != 403 && self.primary_limit_status != 429 {
            return Err(SimError::Config(
                "primary_limit_status must be 403 or 429".into(),
            ));
        }
        if self.secondary.status != 403 && self.secondary.status != 429 {
            return Err(SimError::Config(
                "secondary.status must be 403 or 429".into(),
            ));
        }
        Ok(())
    }
}

struct Cache<K, V> {
    map: Mutex<HashMap<K, Arc<V>>>,
}

impl<K: std::hash::Hash + Eq + Clone, V> Cache<K, V> {
    fn new() -> Self {
        Cache {
            map: Mutex::new(HashMap::new()),
        }
    }

    fn get_or(&self, k: &K, f: impl FnOnce() -> V) -> Arc<V> {
        if let Some(v) = self.map.lock().unwrap_or_else(|e| e.into_inner()).get(k) {
            return v.clone();
        }
        // Computed outside the lock: two racing requests may both compute,
        // which is harmless and keeps the lock short.
        let v = Arc::new(f());
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= 1024 {
            m.clear();
        }
        m.insert(k.clone(), v.clone());
        v
    }
}

/// (code search?, q, sort, ascending): pages of one query share its result.
type ResultKey = (bool, String, String, bool);

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
    st.stats
        .snapshot(st.limiter.reports(), st.config.time_scale)
}

/// Builds the indexes and serves `corpus` on `addr` (port 0 = a free port),
/// on the current tokio runtime.
pub async fn serve(
    corpus: impl Into<Arc<Corpus>>,
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

    let state = Arc::new(AppState {
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

// ---------------------------------------------------------------------------
// Connections that a handler can reset (the `connection_reset` fault).

struct SimListener {
    inner: TcpListener,
}

impl Listener for SimListener {
    type Io = KillableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (
                        KillableStream {
                            inner: stream,
                            kill: Arc::new(AtomicBool::new(false)),
                        },
                        addr,
                    );
                }
                // Out of file descriptors and the like: back off as axum does.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

struct KillableStream {
    inner: TcpStream,
    kill: Arc<AtomicBool>,
}

impl KillableStream {
    fn killed(&mut self) -> bool {
        if self.kill.load(Ordering::Acquire) {
            // Linger 0 makes the close send RST, as a reset connection does.
            let _ = socket_linger_zero(&self.inner);
            return true;
        }
        false
    }
}

#[allow(deprecated)]
fn socket_linger_zero(s: &TcpStream) -> io::Result<()> {
    s.set_linger(Some(Duration::ZERO))
}

fn reset_err() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "reset by fault injection")
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(reset_err()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.killed() {
            return Poll::Ready(Err(reset_err()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.killed() {
            return Poll::Ready(Err(reset_err()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[derive(Clone)]
struct ConnInfo {
    peer: SocketAddr,
    kill: Arc<AtomicBool>,
}

impl Connected<IncomingStream<'_, SimListener>> for ConnInfo {
    fn connect_info(stream: IncomingStream<'_, SimListener>) -> Self {
        ConnInfo {
            peer: *stream.remote_addr(),
            kill: stream.io().kill.clone(),
        }
    }
}

// ---------------------------------------------------------------------------
// Routing.

#[derive(Debug, Clone)]
enum Route {
    SimStats,
    RateLimit,
    SearchRepos,
    SearchCode,
    Repo(String),
    Commit(String, String),
    Tarball(String, Option<String>),
    Tree(String, String),
    Contents(String, String),
    Codeload(String, String),
    NotFound,
}

impl Route {
    fn endpoint(&self) -> &'static str {
        match self {
            Route::SimStats => "sim_stats",
            Route::RateLimit => "rate_limit",
            Route::SearchRepos => "search_repositories",
            Route::SearchCode => "search_code",
            Route::Repo(_) => "repo",
            Route::Commit(..) => "commit",
            Route::Tarball(..) => "tarball",
            Route::Tree(..) => "tree",
            Route::Contents(..) => "contents",
            Route::Codeload(..) => "codeload",
            Route::NotFound => "not_found",
        }
    }

    fn resource(&self) -> Resource {
        match self {
            Route::SearchRepos => Resource::Search,
            Route::SearchCode => Resource::CodeSearch,
            Route::Codeload(..) => Resource::Archive,
            _ => Resource::Core,
        }
    }

    fn repo(&self) -> Option<&str> {
        match self {
            Route::Repo(r)
            | Route::Commit(r, _)
            | Route::Tarball(r, _)
            | Route::Tree(r, _)
            | Route::Contents(r, _)
            | Route::Codeload(r, _) => Some(r),
            _ => None,
        }
    }

    fn is_json(&self) -> bool {
        !matches!(self, Route::Tarball(..) | Route::Codeload(..))
    }

    fn fault_applies(&self, k: FaultKind) -> bool {
        match k {
            FaultKind::NotFound | FaultKind::Unavailable => self.repo().is_some(),
            FaultKind::Empty => self.repo().is_some() && !matches!(self, Route::Repo(_)),
            FaultKind::MalformedJson | FaultKind::WrongTypes => self.is_json(),
            FaultKind::TruncatedBody => !matches!(self, Route::Tarball(..)),
            FaultKind::Incomplete | FaultKind::ShortPage => {
                matches!(self, Route::SearchRepos | Route::SearchCode)
            }
            FaultKind::Blocked => self.repo().is_some(),
            FaultKind::BadRedirect => matches!(self, Route::Tarball(..)),
            FaultKind::NulPath => matches!(self, Route::Codeload(..) | Route::Tree(..)),
            FaultKind::Trickle
            | FaultKind::EmptyDeflate
            | FaultKind::FlatArchive
            | FaultKind::TwoTopFolders => matches!(self, Route::Codeload(..)),
            _ => true,
        }
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn route(path: &str) -> Route {
    let trimmed = path.trim_end_matches('/');
    let segs: Vec<String> = trimmed.split('/').skip(1).map(percent_decode).collect();
    let s: Vec<&str> = segs.iter().map(|x| x.as_str()).collect();
    match s.as_slice() {
        ["_sim", "stats"] => Route::SimStats,
        ["rate_limit"] => Route::RateLimit,
        ["search", "repositories"] => Route::SearchRepos,
        ["search", "code"] => Route::SearchCode,
        ["repos", o, r] => Route::Repo(format!("{o}/{r}")),
        ["repos", o, r, "commits", rest @ ..] if !rest.is_empty() => {
            Route::Commit(format!("{o}/{r}"), rest.join("/"))
        }
        ["repos", o, r, "tarball"] => Route::Tarball(format!("{o}/{r}"), None),
        ["repos", o, r, "tarball", rest @ ..] => {
            Route::Tarball(format!("{o}/{r}"), Some(rest.join("/")))
        }
        ["repos", o, r, "git", "trees", rest @ ..] if !rest.is_empty() => {
            Route::Tree(format!("{o}/{r}"), rest.join("/"))
        }
        ["repos", o, r, "contents"] => Route::Contents(format!("{o}/{r}"), String::new()),
        ["repos", o, r, "contents", rest @ ..] => {
            Route::Contents(format!("{o}/{r}"), rest.join("/"))
        }
        ["_codeload", o, r, "legacy.tar.gz", rest @ ..] if !rest.is_empty() => {
            Route::Codeload(format!("{o}/{r}"), rest.join("/"))
        }
        _ => Route::NotFound,
    }
}

// ---------------------------------------------------------------------------
// Responses.

const DOCS: &str = "https://docs.github.com/rest";

enum Reply {
    Json(StatusCode, Value),
    Redirect(String),
    Tarball {
        repo: usize,
        commit: String,
        mtime: u64,
    },
}

fn error_json(status: StatusCode, message: &str) -> Reply {
    Reply::Json(
        status,
        json!({"message": message, "documentation_url": DOCS, "status": status.as_u16().to_string()}),
    )
}

fn validation_failed(e: &QueryError) -> Reply {
    Reply::Json(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "message": "Validation Failed",
            "errors": [{"message": e.0, "resource": "Search", "field": "q", "code": "invalid"}],
            "documentation_url": "https://docs.github.com/v3/search/",
            "status": "422",
        }),
    )
}

fn rate_headers(h: &mut HeaderMap, s: &RateState) {
    let mut set = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    set("x-ratelimit-limit", s.limit.to_string());
    set("x-ratelimit-remaining", s.remaining.to_string());
    set("x-ratelimit-used", s.used.to_string());
    set("x-ratelimit-reset", s.reset.to_string());
    set("x-ratelimit-resource", s.resource.as_str().to_string());
    // Not a GitHub header: the exact reset for clients that want sub-second
    // precision under a large --time-scale.
    set("x-sim-ratelimit-reset-ms", s.reset_ms.to_string());
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// The ETag of a JSON answer. URLs in bodies carry this simulator's
/// address, which changes with every start; GitHub's do not, so the tag is
/// computed as if they were GitHub's, and a re-run against a new simulator
/// instance gets 304s for unchanged resources as it would on GitHub.
fn etag_of(body: &[u8], base_url: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let stable = text.replace(base_url, "https://api.github.com");
    format!("W/\"{}\"", hex::encode(Sha256::digest(stable.as_bytes())))
}

fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    let strip = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    let want = strip(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|x| x.to_string()).collect::<Vec<_>>())
        .any(|v| v.trim() == "*" || strip(&v) == want)
}

fn token_key(token: &str) -> String {
    format!(
        "sha256:{}",
        &hex::encode(Sha256::digest(token.as_bytes()))[..12]
    )
}

fn parse_auth(headers: &HeaderMap) -> Option<Result<String, ()>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let Ok(v) = v.to_str() else {
        return Some(Err(()));
    };
    let v = v.trim();
    let token = v
        .strip_prefix("token ")
        .or_else(|| v.strip_prefix("Token "))
        .or_else(|| v.strip_prefix("Bearer "))
        .or_else(|| v.strip_prefix("bearer "))
        .map(|t| t.trim().to_string());
    Some(match token {
        Some(t) if !t.is_empty() => Ok(t),
        _ => Err(()),
    })
}

// ---------------------------------------------------------------------------
// The handler every request goes through.

async fn handle(
    State(st): State<Arc<AppState>>,
    ConnectInfo(conn): ConnectInfo<ConnInfo>,
    req: Request,
) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    drop(req);
    let route = route(uri.path());
    let params: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let mut resp = handle_inner(&st, &conn, &method, &uri, &headers, route, &params).await;
    let seq = st.request_seq.fetch_add(1, Ordering::Relaxed);
    if let Ok(v) = HeaderValue::from_str(&format!("SIM0:{seq:08X}")) {
        resp.headers_mut().insert("x-github-request-id", v);
    }
    resp.headers_mut().insert(
        "x-github-api-version-selected",
        HeaderValue::from_static("2022-11-28"),
    );
    if resp.status() != StatusCode::UNAUTHORIZED
        && matches!(parse_auth(&headers), Some(Ok(t)) if t.starts_with(NO_SCOPE_TOKEN_PREFIX))
    {
        resp.headers_mut()
            .insert("x-oauth-scopes", HeaderValue::from_static(""));
    }
    st.stats.status(resp.status().as_u16());
    resp
}

/// Tokens starting with this stand for a classic token created with no
/// scope selected: like GitHub, the simulator answers them with an empty
/// `X-OAuth-Scopes` header. Such a token still reads public repositories
/// and searches, which is all a survey needs.
pub const NO_SCOPE_TOKEN_PREFIX: &str = "ghp_noscope";

fn param<'a>(params: &'a [(String, String)], k: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
}

async fn handle_inner(
    st: &Arc<AppState>,
    conn: &ConnInfo,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    route: Route,
    params: &[(String, String)],
) -> Response {
    if let Route::SimStats = route {
        let body = serde_json::to_vec_pretty(&snapshot(st)).unwrap_or_default();
        return json_response(StatusCode::OK, body);
    }
    st.stats.request(route.endpoint());

    if st.config.require_user_agent && !headers.contains_key(header::USER_AGENT) {
        st.stats.reject("no_user_agent");
        let mut r = Response::new(Body::from(
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n",
        ));
        *r.status_mut() = StatusCode::FORBIDDEN;
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return r;
    }

    let anon_key = format!("anonymous@{}", conn.peer.ip());
    let (key, authed) = match parse_auth(headers) {
        None => (anon_key.clone(), false),
        Some(Ok(token)) => {
            let ok = st
                .config
                .valid_tokens
                .as_ref()
                .is_none_or(|v| v.contains(&token));
            if !ok {
                return bad_credentials(st, &anon_key);
            }
            (token_key(&token), true)
        }
        Some(Err(())) => return bad_credentials(st, &anon_key),
    };

    if method != Method::GET && method != Method::HEAD {
        let mut h = HeaderMap::new();
        rate_headers(&mut h, &st.limiter.peek(&key, authed, Resource::Core));
        return finish_json(st, error_json(StatusCode::NOT_FOUND, "Not Found"), h);
    }

    // The download host serves signed URLs without a token: its budget is
    // per address, the size of a token's (GitHub does not publish it).
    let (key, authed) = if let Route::Codeload(..) = route {
        (anon_key.clone(), true)
    } else {
        (key, authed)
    };
    let resource = route.resource();
    if let Route::RateLimit = route {
        return rate_limit(st, &key, authed);
    }

    let _inflight = match st.limiter.enter(&key) {
        Ok(g) => g,
        Err(()) => {
            st.stats.secondary(resource.as_str());
            let s = st.limiter.peek(&key, authed, resource);
            return secondary_response(st, &s, st.limiter.scaled(st.config.secondary.retry_after));
        }
    };

    let rate = match st.limiter.acquire(&key, authed, resource) {
        Decision::Allowed(s) => s,
        Decision::NeedsAuth(s) => {
            st.stats.reject("requires_authentication");
            let mut h = HeaderMap::new();
            rate_headers(&mut h, &s);
            return finish_json(
                st,
                Reply::Json(
                    StatusCode::UNAUTHORIZED,
                    json!({
                        "message": "Requires authentication",
                        "errors": [{"message": "Must be authenticated to access the code search API", "resource": "Search", "field": "q", "code": "invalid"}],
                        "documentation_url": "https://docs.github.com/v3/search/#search-code",
                        "status": "401",
                    }),
                ),
                h,
            );
        }
        Decision::Primary(s) => {
            st.stats.primary(resource.as_str());
            return primary_response(st, &s, authed, conn);
        }
        Decision::Secondary(s, retry) => {
            st.stats.secondary(resource.as_str());
            return secondary_response(st, &s, retry);
        }
    };
    st.stats.counted(resource.as_str());
    let mut h = HeaderMap::new();
    // The download host sends no rate-limit headers (it throttles all the
    // same, with 429s).
    if resource != Resource::Archive {
        rate_headers(&mut h, &rate);
    }

    let fault = st.faults.decide(route.repo(), |k| route.fault_applies(k));
    if let Some(f) = fault {
        st.stats.fault(f.as_str());
        match f {
            FaultKind::Slow => tokio::time::sleep(st.faults.slow_delay()).await,
            FaultKind::ConnectionReset => {
                conn.kill.store(true, Ordering::Release);
                return json_response(StatusCode::INTERNAL_SERVER_ERROR, Vec::new());
            }
            FaultKind::ServerError => {
                let (status, msg) = match st.faults.draw() % 3 {
                    0 => (StatusCode::INTERNAL_SERVER_ERROR, "Server Error"),
                    1 => (StatusCode::BAD_GATEWAY, "Bad Gateway"),
                    _ => (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
                };
                return finish_json(st, error_json(status, msg), h);
            }
            FaultKind::SecondaryLimit => {
                let retry = st.limiter.scaled(st.config.secondary.retry_after);
                st.limiter.block(&key, resource, retry);
                return secondary_response(st, &rate, retry);
            }
            FaultKind::NotFound => {
                return finish_json(st, error_json(StatusCode::NOT_FOUND, "Not Found"), h)
            }
            FaultKind::Unavailable => {
                return finish_json(st, unavailable(route.repo().unwrap_or_default()), h)
            }
            FaultKind::Empty => {
                return finish_json(
                    st,
                    error_json(StatusCode::CONFLICT, "Git Repository is empty."),
                    h,
                )
            }
            FaultKind::Blocked => return finish_json(st, blocked(), h),
            FaultKind::TruncatedBody
            | FaultKind::MalformedJson
            | FaultKind::WrongTypes
            | FaultKind::Incomplete
            | FaultKind::ShortPage => {}
            FaultKind::BadRedirect => {
                let mut r = Response::new(Body::empty());
                *r.status_mut() = StatusCode::FOUND;
                r.headers_mut().insert(
                    header::LOCATION,
                    HeaderValue::from_static("file:///etc/passwd"),
                );
                r.headers_mut().extend(h);
                return r;
            }
            FaultKind::EmptyDeflate => {
                let mut r = Response::new(Body::from_stream(tarball::empty_deflate()));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/x-gzip"),
                );
                r.headers_mut().extend(h);
                return r;
            }
            FaultKind::NulPath
            | FaultKind::Trickle
            | FaultKind::FlatArchive
            | FaultKind::TwoTopFolders => {}
        }
    }

    let reply = dispatch(st, &route, params, uri.path(), fault);
    let reply = match reply {
        Reply::Json(status, mut body) => {
            if fault == Some(FaultKind::NulPath) && status == StatusCode::OK {
                odd_tree_entries(&mut body);
            }
            if fault == Some(FaultKind::WrongTypes) {
                // Keep the pagination fields intact so only types differ.
                let total = body.get("total_count").cloned();
                scramble_types(&mut body);
                if let (Some(t), Some(o)) = (total, body.as_object_mut()) {
                    o.insert("total_count".into(), t);
                }
            }
            let bytes = serde_json::to_vec_pretty(&body).unwrap_or_default();
            // GitHub sends no ETag with search answers (their order and
            // counts change from one ask to the next), so a client cannot
            // get a free 304 for a search page.
            let searches = matches!(route, Route::SearchRepos | Route::SearchCode);
            if status == StatusCode::OK && !searches {
                let etag = etag_of(&bytes, &st.base_url);
                if etag_matches(headers, &etag) {
                    let s = st.limiter.refund(&key, authed, resource);
                    st.stats.uncounted(resource.as_str(), route.endpoint());
                    let mut r = Response::new(Body::empty());
                    *r.status_mut() = StatusCode::NOT_MODIFIED;
                    rate_headers(r.headers_mut(), &s);
                    if let Ok(v) = HeaderValue::from_str(&etag) {
                        r.headers_mut().insert(header::ETAG, v);
                    }
                    return r;
                }
                if let Ok(v) = HeaderValue::from_str(&etag) {
                    h.insert(header::ETAG, v);
                }
            }
            if let Some(link) = link_header(st, &route, params, uri.path(), &body) {
                if let Ok(v) = HeaderValue::from_str(&link) {
                    h.insert(header::LINK, v);
                }
            }
            let mut r = match fault {
                Some(FaultKind::MalformedJson) => {
                    let cut = bytes.len() / 2;
                    json_response(status, bytes[..cut].to_vec())
                }
                Some(FaultKind::TruncatedBody) => truncated_json(status, bytes),
                _ => json_response(status, bytes),
            };
            r.headers_mut().extend(h);
            return r;
        }
        other => other,
    };
    match reply {
        Reply::Redirect(location) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::FOUND;
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r.headers_mut().extend(h);
            r
        }
        Reply::Tarball {
            repo,
            commit,
            mtime,
        } => {
            let full = st.corpus.repos[repo].meta.full_name.clone();
            st.stats.download(&full);
            let truncate = fault == Some(FaultKind::TruncatedBody);
            let top = top_folder(&full, &commit);
            let job = TarballJob {
                corpus: st.corpus.clone(),
                repo,
                commit_sha: commit,
                mtime,
                bomb_bytes: st.config.gzip_bomb_bytes,
                truncate,
                shape: match fault {
                    Some(FaultKind::NulPath) => ArchiveShape::NulPath,
                    Some(FaultKind::FlatArchive) => ArchiveShape::Flat,
                    Some(FaultKind::TwoTopFolders) => ArchiveShape::TwoTopFolders,
                    _ => ArchiveShape::GitHub,
                },
            };
            let st2 = st.clone();
            let rx = tarball::spawn(job, move || st2.stats.completed(&full));
            let guard = _inflight;
            let stream = futures::stream::unfold((rx, guard), |(mut rx, guard)| async move {
                rx.recv().await.map(|chunk| (chunk, (rx, guard)))
            });
            let body = if fault == Some(FaultKind::Trickle) {
                Body::from_stream(tarball::trickle(stream))
            } else {
                Body::from_stream(stream)
            };
            let mut r = Response::new(body);
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-gzip"),
            );
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename={top}.tar.gz")) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r.headers_mut().extend(h);
            r
        }
        Reply::Json(..) => unreachable_json(),
    }
}

/// The `nul_path` fault on a tree: entries whose paths hold a NUL, a `..`,
/// and 60 paths of 20 KB (JSON cannot carry bytes that are not UTF-8).
fn odd_tree_entries(body: &mut Value) {
    let Some(tree) = body.get_mut("tree").and_then(Value::as_array_mut) else {
        return;
    };
    let blob = |path: String| json!({"path": path, "mode": "100644", "type": "blob", "sha": "0".repeat(40), "size": 22});
    tree.push(blob("src/nul\0path.ts".into()));
    tree.push(blob("src/../../escape.ts".into()));
    for i in 0..60 {
        tree.push(blob(format!("{}{i}/index.ts", "d".repeat(20_000))));
    }
}

/// Numbers and booleans become strings, strings become numbers, nulls
/// become objects: valid JSON a strict client must refuse field by field.
fn scramble_types(v: &mut Value) {
    match v {
        Value::Number(n) => *v = Value::String(n.to_string()),
        Value::Bool(b) => *v = Value::String(b.to_string()),
        Value::String(s) => *v = json!(s.len()),
        Value::Null => *v = json!({}),
        Value::Array(a) => a.iter_mut().for_each(scramble_types),
        Value::Object(o) => o.values_mut().for_each(scramble_types),
    }
}

fn unreachable_json() -> Response {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        b"{\"message\":\"Server Error\"}".to_vec(),
    )
}

/// A 200 whose body stops halfway: Content-Length promises more than is
/// sent, so the client sees an incomplete body.
fn truncated_json(status: StatusCode, bytes: Vec<u8>) -> Response {
    let cut = bytes.len() / 2;
    let first = bytes::Bytes::from(bytes[..cut].to_vec());
    // The pause lets hyper flush the status line, headers and first half
    // before the error aborts the connection, so the client sees a short
    // body rather than no response at all.
    let stream = futures::stream::unfold(Some(first), |state| async move {
        match state {
            Some(first) => Some((Ok::<_, io::Error>(first), None)),
            None => {
                tokio::time::sleep(Duration::from_millis(30)).await;
                Some((Err(io::Error::other("truncated by fault injection")), None))
            }
        }
    });
    let mut r = Response::new(Body::from_stream(stream));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&bytes.len().to_string()) {
        r.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    r
}

fn finish_json(_st: &AppState, reply: Reply, h: HeaderMap) -> Response {
    match reply {
        Reply::Json(status, body) => {
            let mut r = json_response(status, serde_json::to_vec_pretty(&body).unwrap_or_default());
            r.headers_mut().extend(h);
            r
        }
        _ => unreachable_json(),
    }
}

fn bad_credentials(st: &AppState, anon_key: &str) -> Response {
    st.stats.reject("bad_credentials");
    let mut h = HeaderMap::new();
    rate_headers(&mut h, &st.limiter.peek(anon_key, false, Resource::Core));
    finish_json(
        st,
        error_json(StatusCode::UNAUTHORIZED, "Bad credentials"),
        h,
    )
}

fn unavailable(repo: &str) -> Reply {
    Reply::Json(
        StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS,
        json!({
            "message": "Repository access blocked",
            "block": {"reason": "dmca", "created_at": "2025-06-01T00:00:00Z", "html_url": format!("https://github.com/github/dmca/blob/master/2025/06/2025-06-01-{}.md", repo.replace('/', "-"))},
            "documentation_url": DOCS,
            "status": "451",
        }),
    )
}

/// GitHub's answer for a repository blocked under its terms of service:
/// 403 with the same message as a DMCA block and a `block` object, on the
/// repository and everything under it.
fn blocked() -> Reply {
    Reply::Json(
        StatusCode::FORBIDDEN,
        json!({
            "message": "Repository access blocked",
            "block": {"reason": "tos", "created_at": "2025-06-01T00:00:00Z", "html_url": Value::Null},
            "documentation_url": DOCS,
            "status": "403",
        }),
    )
}

fn primary_response(st: &AppState, s: &RateState, authed: bool, conn: &ConnInfo) -> Response {
    let (status, msg) = if s.resource == Resource::Archive {
        (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many archive downloads. Please wait before trying again.".to_string(),
        )
    } else {
        let status = if st.config.primary_limit_status == 429 {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::FORBIDDEN
        };
        let msg = if authed {
            "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID and timestamp.".to_string()
        } else {
            format!("API rate limit exceeded for {}. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)", conn.peer.ip())
        };
        (status, msg)
    };
    let mut h = HeaderMap::new();
    if s.resource != Resource::Archive {
        rate_headers(&mut h, s);
    }
    if s.resource == Resource::Archive {
        let wait = s
            .reset_ms
            .saturating_sub(crate::limits::now_ms())
            .div_ceil(1000)
            .max(1);
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            h.insert(header::RETRY_AFTER, v);
        }
    }
    finish_json(
        st,
        Reply::Json(
            status,
            json!({"message": msg, "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting", "status": status.as_u16().to_string()}),
        ),
        h,
    )
}

fn secondary_response(st: &AppState, s: &RateState, retry: Duration) -> Response {
    let mut h = HeaderMap::new();
    if s.resource != Resource::Archive {
        rate_headers(&mut h, s);
    }
    let share = st.config.secondary.without_retry_after;
    let silent = share > 0.0 && ((st.faults.draw() >> 11) as f64 / (1u64 << 53) as f64) < share;
    if silent {
        st.stats.reject("secondary_without_retry_after");
    } else {
        let secs = retry.as_secs_f64().ceil().max(1.0) as u64;
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            h.insert(header::RETRY_AFTER, v);
        }
        // Not a GitHub header: the exact wait under a large --time-scale,
        // an optional hint beside Retry-After (never sent without it).
        if let Ok(v) = HeaderValue::from_str(&retry.as_millis().to_string()) {
            h.insert("x-sim-retry-after-ms", v);
        }
    }
    let status = if st.config.secondary.status == 429 {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::FORBIDDEN
    };
    finish_json(
        st,
        Reply::Json(
            status,
            json!({
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
                "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                "status": status.as_u16().to_string(),
            }),
        ),
        h,
    )
}

fn rate_limit(st: &AppState, key: &str, authed: bool) -> Response {
    let mut resources = serde_json::Map::new();
    for r in Resource::ALL {
        let s = st.limiter.peek(key, authed, *r);
        resources.insert(
            r.as_str().to_string(),
            json!({"limit": s.limit, "used": s.used, "remaining": s.remaining, "reset": s.reset, "resource": r.as_str()}),
        );
    }
    let core = resources.get("core").cloned().unwrap_or(Value::Null);
    let body = json!({"resources": resources, "rate": core});
    let mut r = json_response(
        StatusCode::OK,
        serde_json::to_vec_pretty(&body).unwrap_or_default(),
    );
    rate_headers(
        r.headers_mut(),
        &st.limiter.peek(key, authed, Resource::Core),
    );
    r
}

// ---------------------------------------------------------------------------
// Endpoints.

fn dispatch(
    st: &Arc<AppState>,
    route: &Route,
    params: &[(String, String)],
    _path: &str,
    fault: Option<FaultKind>,
) -> Reply {
    match route {
        Route::SearchRepos => search_repositories(st, params, fault),
        Route::SearchCode => search_code(st, params, fault),
        Route::Repo(r) => match lookup(st, r) {
            Some(i) => Reply::Json(StatusCode::OK, repo_json(st, i, false)),
            None => error_json(StatusCode::NOT_FOUND, "Not Found"),
        },
        Route::Commit(r, git_ref) => with_git(st, r, |i, g| match resolve_ref(st, i, g, git_ref) {
            true => Reply::Json(StatusCode::OK, commit_json(st, i, g)),
            false => Reply::Json(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"message": format!("No commit found for SHA: {git_ref}"), "documentation_url": DOCS, "status": "422"}),
            ),
        }),
        Route::Tarball(r, git_ref) => with_git(st, r, |i, g| {
            let meta = &st.corpus.repos[i].meta;
            // GitHub names a branch in full in the download URL
            // (`legacy.tar.gz/refs/heads/main`); a sha stays a sha.
            let want = match git_ref.as_deref() {
                None => format!("refs/heads/{}", meta.default_branch),
                Some(r) if r == meta.default_branch => format!("refs/heads/{r}"),
                Some(r) => r.to_string(),
            };
            if !resolve_ref(st, i, g, &want) {
                return error_json(StatusCode::NOT_FOUND, "Not Found");
            }
            st.stats.redirect(&meta.full_name);
            Reply::Redirect(format!(
                "{}/_codeload/{}/legacy.tar.gz/{}",
                download_base(&st.base_url),
                meta.full_name,
                want
            ))
        }),
        Route::Codeload(r, git_ref) => with_git(st, r, |i, g| {
            if !resolve_ref(st, i, g, git_ref) {
                return error_json(StatusCode::NOT_FOUND, "Not Found");
            }
            Reply::Tarball {
                repo: i,
                commit: g.commit_sha.clone(),
                mtime: g.commit_time.max(0) as u64,
            }
        }),
        Route::Tree(r, sha) => with_git(st, r, |i, g| tree_json(st, i, g, sha, params)),
        Route::Contents(r, path) => with_git(st, r, |i, g| {
            if let Some(want) = param(params, "ref") {
                if !resolve_ref(st, i, g, want) {
                    return error_json(
                        StatusCode::NOT_FOUND,
                        &format!("No commit found for the ref {want}"),
                    );
                }
            }
            contents_json(st, i, g, path)
        }),
        Route::NotFound | Route::SimStats | Route::RateLimit => {
            error_json(StatusCode::NOT_FOUND, "Not Found")
        }
    }
}

/// Archives come from another host, as GitHub's come from
/// codeload.github.com: the same loopback listener under its other name
/// (`127.0.0.1` and `localhost`), so a client that sends its token only to
/// the API's origin, or reads the API's rate-limit headers on downloads,
/// shows it here as it would on GitHub.
fn download_base(base_url: &str) -> String {
    if base_url.contains("://127.0.0.1:") {
        base_url.replacen("://127.0.0.1:", "://localhost:", 1)
    } else if base_url.contains("://localhost:") {
        base_url.replacen("://localhost:", "://127.0.0.1:", 1)
    } else {
        base_url.to_string()
    }
}

fn lookup(st: &AppState, full: &str) -> Option<usize> {
    st.by_name.get(&full.to_ascii_lowercase()).copied()
}

fn with_git(st: &AppState, full: &str, f: impl FnOnce(usize, &GitModel) -> Reply) -> Reply {
    let Some(i) = lookup(st, full) else {
        return error_json(StatusCode::NOT_FOUND, "Not Found");
    };
    match &st.git[i] {
        Some(g) => f(i, g),
        None => error_json(StatusCode::CONFLICT, "Git Repository is empty."),
    }
}

/// Branch names, `HEAD`, `refs/heads/BRANCH` and the commit sha (or a
/// prefix of at least 7 characters) resolve to the one commit.
fn resolve_ref(st: &AppState, i: usize, g: &GitModel, r: &str) -> bool {
    let branch = &st.corpus.repos[i].meta.default_branch;
    r == branch
        || r == "HEAD"
        || r.strip_prefix("refs/heads/") == Some(branch.as_str())
        || (r.len() >= 7 && r.len() <= 40 && g.commit_sha.starts_with(&r.to_ascii_lowercase()))
}

fn owner_json(st: &AppState, login: &str) -> Value {
    let hash = crate::prng::fnv1a(login.as_bytes());
    let id = (hash % 200_000_000) as i64 + 1000;
    // About one owner in five is an organisation, as on GitHub, where
    // servers are often published by companies.
    let org = (hash >> 32).is_multiple_of(5);
    json!({
        "login": login,
        "id": id,
        "node_id": format!("{}_sim{id}", if org { "O" } else { "U" }),
        "type": if org { "Organization" } else { "User" },
        "user_view_type": "public",
        "gravatar_id": "",
        "followers_url": format!("{}/users/{login}/followers", st.base_url),
        "repos_url": format!("{}/users/{login}/repos", st.base_url),
        "site_admin": false,
        "url": format!("{}/users/{login}", st.base_url),
        "html_url": format!("https://github.com/{login}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
    })
}

fn repo_json(st: &AppState, i: usize, search: bool) -> Value {
    let m = &st.corpus.repos[i].meta;
    let api = format!("{}/repos/{}", st.base_url, m.full_name);
    let mut v = json!({
        "id": m.id,
        "node_id": format!("R_sim{}", m.id),
        "name": m.name(),
        "full_name": m.full_name,
        "private": false,
        "owner": owner_json(st, m.owner()),
        "html_url": format!("https://github.com/{}", m.full_name),
        "description": m.description,
        "fork": m.fork,
        "url": api,
        "tarball_url": format!("{api}/tarball/{{/ref}}"),
        "trees_url": format!("{api}/git/trees{{/sha}}"),
        "contents_url": format!("{api}/contents/{{+path}}"),
        "created_at": m.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "updated_at": m.pushed_at.unwrap_or(m.created_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "pushed_at": m.pushed_at.map(|p| p.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "git_url": format!("git://github.com/{}.git", m.full_name),
        "clone_url": format!("https://github.com/{}.git", m.full_name),
        "homepage": homepage(m),
        "size": m.size,
        "stargazers_count": m.stargazers_count,
        "watchers_count": m.stargazers_count,
        "language": m.language,
        "forks_count": m.forks_count,
        "archived": m.archived,
        "disabled": false,
        "open_issues_count": 0,
        "license": license_json(m),
        "topics": m.topics,
        "visibility": "public",
        "forks": m.forks_count,
        "open_issues": 0,
        "watchers": m.stargazers_count,
        "default_branch": m.default_branch,
    });
    // The rest of GitHub's documented fields (a second object: one macro
    // call this long exceeds serde_json's recursion limit).
    let more = json!({
        "mirror_url": Value::Null,
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": true,
        "has_pages": false,
        "has_discussions": false,
        "allow_forking": true,
        "is_template": false,
        "web_commit_signoff_required": false,
        "ssh_url": format!("git@github.com:{}.git", m.full_name),
        "svn_url": format!("https://github.com/{}", m.full_name),
    });
    if let (Some(o), Value::Object(more)) = (v.as_object_mut(), more) {
        o.extend(more);
    }
    if search {
        // GitHub's relevance score is a float, rarely a whole number.
        v["score"] = json!(score_of(m.id));
    } else {
        v["network_count"] = json!(m.forks_count);
        v["subscribers_count"] = json!(0);
        v["temp_clone_token"] = Value::Null;
    }
    v
}

/// A stable, fractional relevance score per repository.
fn score_of(id: i64) -> f64 {
    1.0 + (crate::prng::mix(id as u64) % 100_000) as f64 / 1000.0
}

/// Most repositories have no homepage (`null`); some an empty string, as
/// GitHub sends when one was set and cleared; a few a URL.
fn homepage(m: &mcp_survey_model::RepoMeta) -> Value {
    match crate::prng::mix(m.id as u64 ^ 0x686f6d65) % 10 {
        0 => json!(""),
        1 => json!(format!("https://{}.example.org", m.name())),
        _ => Value::Null,
    }
}

/// GitHub's license object, or `null` when it detected none (about a third
/// of repositories), or "Other" with a null `spdx_id`-like `NOASSERTION`.
fn license_json(m: &mcp_survey_model::RepoMeta) -> Value {
    let (key, name, spdx) = match crate::prng::mix(m.id as u64 ^ 0x6c6963) % 6 {
        0 | 1 => return Value::Null,
        2 => ("apache-2.0", "Apache License 2.0", "Apache-2.0"),
        3 => ("other", "Other", "NOASSERTION"),
        _ => ("mit", "MIT License", "MIT"),
    };
    json!({
        "key": key,
        "name": name,
        "spdx_id": spdx,
        "url": if key == "other" { Value::Null } else { json!(format!("https://api.github.com/licenses/{key}")) },
        "node_id": format!("MDc6TGljZW5zZ{key}"),
    })
}

fn per_page_and_page(st: &AppState, params: &[(String, String)]) -> (usize, usize) {
    let per_page = param(params, "per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(30)
        .min(st.config.max_per_page);
    let page = param(params, "page")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    (per_page, page)
}

fn cap_refusal() -> Reply {
    Reply::Json(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"message": "Only the first 1000 search results are available", "documentation_url": "https://docs.github.com/v3/search/", "status": "422"}),
    )
}

fn search_repositories(
    st: &Arc<AppState>,
    params: &[(String, String)],
    fault: Option<FaultKind>,
) -> Reply {
    let q = param(params, "q").unwrap_or_default().to_string();
    let parsed = match parse(&q, REPO_QUALIFIERS) {
        Ok(p) => p,
        Err(e) => {
            st.stats.reject("validation_failed");
            return validation_failed(&e);
        }
    };
    let in_query_sort = parsed.qual("sort").next().map(|s| s.value.clone());
    let sort_raw = param(params, "sort")
        .map(|s| s.to_string())
        .or(in_query_sort);
    let (sort, ascending) = match sort_raw
        .as_deref()
        .map(|s| s.split_once('-').map_or((s, None), |(a, b)| (a, Some(b))))
    {
        Some((s, dir)) => (
            Some(s.to_string()),
            dir == Some("asc") || (dir.is_none() && param(params, "order") == Some("asc")),
        ),
        None => (None, param(params, "order") == Some("asc")),
    };
    if let Some(s) = &sort {
        if !matches!(
            s.as_str(),
            "stars" | "forks" | "updated" | "help-wanted-issues"
        ) {
            st.stats.reject("validation_failed");
            return validation_failed(&QueryError(format!(
                "sort={s} is not one of stars, forks, help-wanted-issues, updated"
            )));
        }
    }
    let (per_page, page) = per_page_and_page(st, params);
    let start = (page - 1).saturating_mul(per_page);
    if start >= st.config.result_cap {
        st.stats.reject("result_cap");
        return cap_refusal();
    }
    let key = (
        false,
        q.clone(),
        sort.clone().unwrap_or_default(),
        ascending,
    );
    let results = st.results.get_or(&key, || {
        let fields = repo_in_fields(&parsed)?;
        let text = st.index.repo_text_matches(&st.corpus, &parsed, &fields);
        let mut ids = st.index.repo_filter(&parsed, text.as_deref())?;
        st.index
            .sort_repos(&mut ids, sort.as_deref(), ascending, &st.corpus);
        Ok(ids)
    });
    let ids = match results.as_ref() {
        Ok(ids) => ids,
        Err(e) => {
            st.stats.reject("validation_failed");
            return validation_failed(e);
        }
    };
    let end = (start + per_page).min(ids.len()).min(st.config.result_cap);
    let mut page_ids: Vec<u32> = if start < end {
        ids[start..end].to_vec()
    } else {
        Vec::new()
    };
    let has_next = end < ids.len().min(st.config.result_cap);
    let incomplete = incomplete(st, &mut page_ids, fault, has_next);
    let items: Vec<Value> = page_ids
        .iter()
        .map(|i| repo_json(st, *i as usize, true))
        .collect();
    Reply::Json(
        StatusCode::OK,
        json!({"total_count": ids.len(), "incomplete_results": incomplete, "items": items}),
    )
}

/// Drops items of a search page for the `incomplete` and `short_page`
/// faults (the latter only on a page that has a next one) (and `incomplete_results_rate`); true when the answer is to say
/// `incomplete_results`. `total_count` and the `Link` header stay as they
/// were, as on GitHub, so only a client that reads `incomplete_results` and
/// follows `Link` rather than counting items notices and asks again.
fn incomplete(
    st: &AppState,
    page: &mut Vec<u32>,
    fault: Option<FaultKind>,
    has_next: bool,
) -> bool {
    match fault {
        Some(FaultKind::Incomplete) => {
            drop_some(st, page);
            return true;
        }
        // Only a page with a next one: a short last page is a page like
        // any other and no client could tell.
        Some(FaultKind::ShortPage) if has_next => {
            drop_some(st, page);
            return false;
        }
        _ => {}
    }
    if st.config.incomplete_results_rate <= 0.0 {
        return false;
    }
    let x = (st.faults.draw() >> 11) as f64 / (1u64 << 53) as f64;
    if x >= st.config.incomplete_results_rate {
        return false;
    }
    let keep = page.len() - page.len() / 4;
    page.truncate(keep);
    true
}

/// Removes between one and a quarter of a page's items (at least one),
/// from random places: GitHub's dropped items are not only the last ones.
fn drop_some(st: &AppState, page: &mut Vec<u32>) {
    if page.is_empty() {
        return;
    }
    let most = (page.len() / 4).max(1);
    let n = 1 + (st.faults.draw() as usize) % most;
    for _ in 0..n {
        if page.is_empty() {
            break;
        }
        let at = (st.faults.draw() as usize) % page.len();
        page.remove(at);
    }
}

fn search_code(st: &Arc<AppState>, params: &[(String, String)], fault: Option<FaultKind>) -> Reply {
    let q = param(params, "q").unwrap_or_default().to_string();
    let parsed: ParsedQuery = match parse(&q, CODE_QUALIFIERS) {
        Ok(p) => p,
        Err(e) => {
            st.stats.reject("validation_failed");
            return validation_failed(&e);
        }
    };
    if !parsed.has_positive_text() {
        st.stats.reject("validation_failed");
        return validation_failed(&QueryError(
            "Code search needs at least one search term; qualifiers alone are not enough".into(),
        ));
    }
    let (per_page, page) = per_page_and_page(st, params);
    let start = (page - 1).saturating_mul(per_page);
    if start >= st.config.result_cap {
        st.stats.reject("result_cap");
        return cap_refusal();
    }
    let key = (true, q.clone(), String::new(), false);
    let results = st.results.get_or(&key, || {
        let (in_file, in_path) = code_in_fields(&parsed)?;
        let text = st
            .index
            .code_text_matches(&st.corpus, &parsed, in_file, in_path);
        st.index.code_filter(&st.corpus, &parsed, &text)
    });
    let ids = match results.as_ref() {
        Ok(ids) => ids,
        Err(e) => {
            st.stats.reject("validation_failed");
            return validation_failed(e);
        }
    };
    let end = (start + per_page).min(ids.len()).min(st.config.result_cap);
    let mut page_ids: Vec<u32> = if start < end {
        ids[start..end].to_vec()
    } else {
        Vec::new()
    };
    let has_next = end < ids.len().min(st.config.result_cap);
    let incomplete = incomplete(st, &mut page_ids, fault, has_next);
    let items: Vec<Value> = page_ids
        .iter()
        .map(|f| {
            let (ri, path) = st.index.code_file(*f);
            let m = &st.corpus.repos[ri].meta;
            let sha = st.git[ri]
                .as_ref()
                .and_then(|g| g.blobs.get(path))
                .map(|(s, _)| s.clone())
                .unwrap_or_default();
            let api = format!("{}/repos/{}", st.base_url, m.full_name);
            json!({
                "name": path.rsplit('/').next().unwrap_or(path),
                "path": path,
                "sha": sha,
                "url": format!("{api}/contents/{path}?ref={}", st.git[ri].as_ref().map(|g| g.commit_sha.as_str()).unwrap_or("")),
                "git_url": format!("{api}/git/blobs/{sha}"),
                "html_url": format!("https://github.com/{}/blob/{}/{path}", m.full_name, m.default_branch),
                "repository": {
                    "id": m.id,
                    "node_id": format!("R_sim{}", m.id),
                    "name": m.name(),
                    "full_name": m.full_name,
                    "private": false,
                    "owner": owner_json(st, m.owner()),
                    "html_url": format!("https://github.com/{}", m.full_name),
                    "description": m.description,
                    "fork": m.fork,
                    "url": api,
                },
                "score": 1.0,
            })
        })
        .collect();
    Reply::Json(
        StatusCode::OK,
        json!({"total_count": ids.len(), "incomplete_results": incomplete, "items": items}),
    )
}

/// GitHub's pagination header: next/last, and prev/first after page 1;
/// last never points past the result cap.
fn link_header(
    st: &AppState,
    route: &Route,
    params: &[(String, String)],
    path: &str,
    body: &Value,
) -> Option<String> {
    if !matches!(route, Route::SearchRepos | Route::SearchCode) {
        return None;
    }
    let total = body.get("total_count")?.as_u64()? as usize;
    let (per_page, page) = per_page_and_page(st, params);
    let reachable = total.min(st.config.result_cap);
    let last = reachable.div_ceil(per_page);
    if last <= 1 && page <= 1 {
        return None;
    }
    let url = |p: usize| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params.iter().filter(|(k, _)| k != "page") {
            ser.append_pair(k, v);
        }
        ser.append_pair("page", &p.to_string());
        format!("{}{path}?{}", st.base_url, ser.finish())
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!(
            "<{}>; rel=\"prev\"",
            url((page - 1).min(last.max(1)))
        ));
    }
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", url(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", url(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"first\"", url(1)));
    }
    if links.is_empty() {
        None
    } else {
        Some(links.join(", "))
    }
}

fn commit_json(st: &AppState, i: usize, g: &GitModel) -> Value {
    let m = &st.corpus.repos[i].meta;
    let api = format!("{}/repos/{}", st.base_url, m.full_name);
    let date = chrono::DateTime::from_timestamp(g.commit_time, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let who = json!({"name": "mcp-survey-sim", "email": "sim@users.noreply.invalid", "date": date});
    json!({
        "sha": g.commit_sha,
        "node_id": format!("C_sim{}", &g.commit_sha[..12]),
        "commit": {
            "author": who,
            "committer": who,
            "message": format!("Snapshot of {}", m.full_name),
            "tree": {"sha": g.root_tree, "url": format!("{api}/git/trees/{}", g.root_tree)},
            "url": format!("{api}/git/commits/{}", g.commit_sha),
            "comment_count": 0,
        },
        "url": format!("{api}/commits/{}", g.commit_sha),
        "html_url": format!("https://github.com/{}/commit/{}", m.full_name, g.commit_sha),
        "parents": [],
    })
}

fn tree_json(
    st: &AppState,
    i: usize,
    g: &GitModel,
    sha: &str,
    params: &[(String, String)],
) -> Reply {
    let root = if g.trees.contains_key(sha) {
        sha.to_string()
    } else if resolve_ref(st, i, g, sha) {
        g.root_tree.clone()
    } else {
        return error_json(StatusCode::NOT_FOUND, "Not Found");
    };
    let recursive =
        param(params, "recursive").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let m = &st.corpus.repos[i].meta;
    let api = format!("{}/repos/{}", st.base_url, m.full_name);
    let mut walked = g.walk(&root, recursive);
    let truncated = walked.len() > st.config.max_tree_entries;
    walked.truncate(st.config.max_tree_entries);
    let entries: Vec<Value> = walked
        .into_iter()
        .map(|(path, e)| match e.kind {
            EntryKind::Blob => json!({"path": path, "mode": MODE_BLOB, "type": "blob", "sha": e.sha, "size": e.size, "url": format!("{api}/git/blobs/{}", e.sha)}),
            EntryKind::Tree => json!({"path": path, "mode": MODE_TREE, "type": "tree", "sha": e.sha, "url": format!("{api}/git/trees/{}", e.sha)}),
            // A symlink is a blob holding its target, told apart by mode only.
            EntryKind::Symlink => json!({"path": path, "mode": MODE_SYMLINK, "type": "blob", "sha": e.sha, "size": e.size, "url": format!("{api}/git/blobs/{}", e.sha)}),
            // A submodule is the commit it pins, with neither size nor url.
            EntryKind::Submodule => json!({"path": path, "mode": MODE_SUBMODULE, "type": "commit", "sha": e.sha}),
        })
        .collect();
    Reply::Json(
        StatusCode::OK,
        json!({"sha": root, "url": format!("{api}/git/trees/{root}"), "tree": entries, "truncated": truncated}),
    )
}

fn content_entry(
    st: &AppState,
    full: &str,
    path: &str,
    kind: &str,
    sha: &str,
    size: u64,
    branch: &str,
) -> Value {
    let api = format!("{}/repos/{full}", st.base_url);
    let name = path.rsplit('/').next().unwrap_or(path);
    let git_url = format!(
        "{api}/git/{}/{sha}",
        if kind == "dir" { "trees" } else { "blobs" }
    );
    let html_url = format!(
        "https://github.com/{full}/{}/{branch}/{path}",
        if kind == "dir" { "tree" } else { "blob" }
    );
    let url = format!("{api}/contents/{path}?ref={branch}");
    json!({
        "type": kind,
        "name": name,
        "path": path,
        "sha": sha,
        "size": size,
        "url": url,
        "html_url": html_url,
        "git_url": git_url,
        "download_url": if kind == "file" { json!(format!("https://raw.githubusercontent.com/{full}/{branch}/{path}")) } else { Value::Null },
        "_links": {"self": url, "git": git_url, "html": html_url},
    })
}

fn contents_json(st: &AppState, i: usize, g: &GitModel, path: &str) -> Reply {
    let repo = &st.corpus.repos[i];
    let full = &repo.meta.full_name;
    let branch = &repo.meta.default_branch;
    let mut path = path.trim_matches('/').to_string();
    match g.links.get(&path) {
        // GitHub answers a symlink to a file in the repository with that
        // file; any other symlink and a submodule with a description.
        Some(SimLink::Symlink { target }) => {
            match resolve_link(&path, target).filter(|t| g.blobs.contains_key(t)) {
                Some(file) => path = file,
                None => {
                    let sha = crate::git::blob_sha(target.as_bytes());
                    let mut v = content_entry(
                        st,
                        full,
                        &path,
                        "symlink",
                        &sha,
                        target.len() as u64,
                        branch,
                    );
                    v["target"] = json!(target);
                    v["download_url"] = json!(format!(
                        "https://raw.githubusercontent.com/{full}/{branch}/{path}"
                    ));
                    return Reply::Json(StatusCode::OK, v);
                }
            }
        }
        Some(SimLink::Submodule { url, commit }) => {
            let mut v = content_entry(st, full, &path, "submodule", commit, 0, branch);
            v["submodule_git_url"] = json!(url);
            return Reply::Json(StatusCode::OK, v);
        }
        None => {}
    }
    let path = path.as_str();
    if let Some((sha, size)) = g.blobs.get(path) {
        let mut v = content_entry(st, full, path, "file", sha, *size, branch);
        match repo.files.get(path) {
            // GitHub omits the content of files over 1 MB (encoding "none").
            Some(bytes) if bytes.len() <= 1024 * 1024 => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                let wrapped: Vec<&str> = b64
                    .as_bytes()
                    .chunks(60)
                    .map(|c| std::str::from_utf8(c).unwrap_or_default())
                    .collect();
                let mut content = wrapped.join("\n");
                content.push('\n');
                v["content"] = json!(content);
                v["encoding"] = json!("base64");
            }
            _ => {
                v["content"] = json!("");
                v["encoding"] = json!("none");
            }
        }
        return Reply::Json(StatusCode::OK, v);
    }
    // A directory: find its tree.
    let tree = if path.is_empty() {
        Some(g.root_tree.clone())
    } else {
        g.walk(&g.root_tree, true)
            .into_iter()
            .find(|(p, e)| p == path && e.kind == EntryKind::Tree)
            .map(|(_, e)| e.sha)
    };
    let Some(tree) = tree else {
        return error_json(StatusCode::NOT_FOUND, "Not Found");
    };
    let list: Vec<Value> = g
        .walk(&tree, false)
        .into_iter()
        .map(|(name, e)| {
            let p = if path.is_empty() {
                name
            } else {
                format!("{path}/{name}")
            };
            match e.kind {
                EntryKind::Blob => content_entry(st, full, &p, "file", &e.sha, e.size, branch),
                EntryKind::Tree => content_entry(st, full, &p, "dir", &e.sha, 0, branch),
                // GitHub lists a symlink in a folder as a `file`.
                EntryKind::Symlink => content_entry(st, full, &p, "file", &e.sha, e.size, branch),
                // ... and a submodule too, "for backwards compatibility".
                EntryKind::Submodule => content_entry(st, full, &p, "file", &e.sha, 0, branch),
            }
        })
        .collect();
    let _ = filler_files;
    Reply::Json(StatusCode::OK, Value::Array(list))
}
