//! The client: every request goes through `fetch` (or the archive path),
//! which waits at the gate, caps concurrency, reads the answer, feeds the
//! rate-limit headers back and decides whether to retry.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use mcp_survey_model::RepoMeta;
use rand::Rng as _;
use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, ETAG, IF_NONE_MATCH, LOCATION,
    USER_AGENT,
};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Semaphore;
use url::Url;

use crate::archive::TarballStream;
use crate::config::ClientConfig;
use crate::error::GithubError;
use crate::gate::Gate;
use crate::headers::{self, rate_info};
use crate::stats::{ClientStats, StatsCell};
use crate::types::*;

const JSON_ACCEPT: &str = "application/vnd.github+json";
const RAW_ACCEPT: &str = "application/vnd.github.raw+json";
const API_VERSION: &str = "2022-11-28";

/// The bucket every archive download shares, whatever token fetched it:
/// codeload throttles downloads on their own.
const ARCHIVE: &str = "archive";
const ARCHIVE_TOKEN: usize = 0;

/// GitHub's client. Cheap to clone (one `Arc`), usable from many tasks.
#[derive(Clone)]
pub struct GithubClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for GithubClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GithubClient")
            .field("base_url", &self.inner.config.base_url.as_str())
            .field("tokens", &self.inner.config.tokens.len())
            .finish_non_exhaustive()
    }
}

struct Inner {
    config: ClientConfig,
    /// API calls: follows redirects (a renamed repository answers 301).
    api: reqwest::Client,
    /// Tarballs: redirects handled by hand so the download is paced and
    /// counted as an archive request, and no token goes to another host.
    raw: reqwest::Client,
    gate: Arc<Gate>,
    concurrency: Semaphore,
    archive_slots: Arc<Semaphore>,
    archive_pacer: Option<DefaultDirectRateLimiter>,
    /// The download host's answers carry rate-limit headers.
    archive_metered: AtomicBool,
    stats: Arc<StatsCell>,
    token_ids: Vec<usize>,
    /// One per token (or one `None` for anonymous), marked sensitive so no
    /// debug output of reqwest shows it.
    auth: Vec<Option<HeaderValue>>,
}

/// What a call is, for the request and for every message about it.
struct Req<'a> {
    url: Url,
    resource: &'static str,
    /// "repository a/b (GET /repos/a/b)": names the thing and the endpoint.
    what: String,
    accept: &'static str,
    etag: Option<&'a str>,
    /// The search query, for 422 messages.
    query: Option<&'a str>,
    /// Restrict to one token (`rate_limit` checks each).
    token: Option<usize>,
    /// Hand 2xx bodies back unread (archives), and 3xx as answers.
    stream: bool,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// Set for `stream` requests with a 2xx status: the body unread.
    response: Option<reqwest::Response>,
    url: Url,
}

enum Verdict {
    Done,
    Secondary(String),
    Primary,
    Transient(String),
    Fail(GithubError),
}

struct DecodeFailure {
    /// Malformed or cut-off JSON (worth asking again), as opposed to valid
    /// JSON of the wrong shape.
    syntax: bool,
    detail: String,
}

impl From<serde_json::Error> for DecodeFailure {
    fn from(e: serde_json::Error) -> Self {
        use serde_json::error::Category;
        DecodeFailure {
            syntax: matches!(
                e.classify(),
                Category::Syntax | Category::Eof | Category::Io
            ),
            detail: e.to_string(),
        }
    }
}

impl GithubClient {
    /// Checks the configuration (malformed base URL, zero concurrency, a
    /// token that cannot be a header) and builds the HTTP clients.
    pub fn new(config: ClientConfig) -> Result<Self, GithubError> {
        config.validate()?;
        let mut auth = Vec::new();
        for (i, t) in config.tokens.iter().enumerate() {
            let mut v = HeaderValue::from_str(&format!("Bearer {}", t.expose())).map_err(|_| {
                GithubError::InvalidConfig(format!(
                    "token {} of {} holds characters not allowed in an HTTP header",
                    i + 1,
                    config.tokens.len()
                ))
            })?;
            v.set_sensitive(true);
            auth.push(Some(v));
        }
        if auth.is_empty() {
            auth.push(None);
        }
        let ua = HeaderValue::from_str(&config.user_agent).map_err(|_| {
            GithubError::InvalidConfig(format!(
                "user agent {:?} is not a valid HTTP header value",
                config.user_agent
            ))
        })?;
        let mut default_headers = HeaderMap::new();
        default_headers.insert(USER_AGENT, ua);
        default_headers.insert(
            "x-github-api-version",
            HeaderValue::from_static(API_VERSION),
        );
        let build_err = |e: reqwest::Error| {
            GithubError::InvalidConfig(format!("cannot build the HTTP client: {}", error_chain(&e)))
        };
        let api = reqwest::Client::builder()
            .default_headers(default_headers.clone())
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .map_err(build_err)?;
        let raw = reqwest::Client::builder()
            .default_headers(default_headers)
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.archive_read_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .no_gzip()
            .build()
            .map_err(build_err)?;
        let archive_pacer = if config.archive_min_interval.is_zero() {
            None
        } else {
            Quota::with_period(config.archive_min_interval)
                .map(|q| RateLimiter::direct(q.allow_burst(NonZeroU32::MIN)))
        };
        let token_ids = (0..auth.len()).collect();
        Ok(GithubClient {
            inner: Arc::new(Inner {
                concurrency: Semaphore::new(config.max_concurrency),
                archive_slots: Arc::new(Semaphore::new(config.archive_concurrency)),
                archive_pacer,
                archive_metered: AtomicBool::new(false),
                stats: Arc::new(StatsCell::new(auth.len())),
                gate: Gate::new(config.hourly_burst),
                token_ids,
                auth,
                api,
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

    // ----- endpoints -------------------------------------------------------

    /// `GET /search/repositories`. Items GitHub sends in an unexpected shape
    /// are skipped and listed in `skipped`, so one odd repository cannot
    /// fail a page.
    pub async fn search_repositories(
        &self,
        q: &str,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage<RepoMeta>, GithubError> {
        self.search(
            "search/repositories",
            "search",
            "repository search",
            q,
            page,
            per_page,
            |v| {
                v.get("full_name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            },
        )
        .await
    }

    /// `GET /search/code` (its own, smaller `code_search` budget).
    pub async fn search_code(
        &self,
        q: &str,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage<CodeHit>, GithubError> {
        self.search(
            "search/code",
            "code_search",
            "code search",
            q,
            page,
            per_page,
            |v| {
                v.pointer("/repository/full_name")
                    .and_then(Value::as_str)
                    .map(|r| {
                        format!(
                            "{r}:{}",
                            v.get("path").and_then(Value::as_str).unwrap_or("?")
                        )
                    })
            },
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn search<T: DeserializeOwned>(
        &self,
        path: &str,
        resource: &'static str,
        label: &str,
        q: &str,
        page: u32,
        per_page: u32,
        name_of: impl Fn(&Value) -> Option<String>,
    ) -> Result<SearchPage<T>, GithubError> {
        if q.trim().is_empty() {
            return Err(GithubError::InvalidArgument(format!(
                "{label}: the query is empty"
            )));
        }
        let mut url = self.endpoint(path)?;
        url.query_pairs_mut()
            .append_pair("q", q)
            .append_pair("per_page", &per_page.clamp(1, 100).to_string())
            .append_pair("page", &page.max(1).to_string());
        let req = Req {
            what: format!("{label} {q:?} page {page} (GET /{path})"),
            url,
            resource,
            accept: JSON_ACCEPT,
            etag: None,
            query: Some(q),
            token: None,
            stream: false,
        };
        #[derive(Deserialize)]
        struct Envelope {
            total_count: u64,
            #[serde(default)]
            incomplete_results: bool,
            items: Vec<Value>,
        }
        self.get_decoded(&req, |a| {
            let env: Envelope = serde_json::from_slice(&a.body)?;
            let mut items = Vec::with_capacity(env.items.len());
            let mut skipped = Vec::new();
            for (index, v) in env.items.into_iter().enumerate() {
                let name = name_of(&v);
                match serde_json::from_value::<T>(v) {
                    Ok(item) => items.push(item),
                    Err(e) => skipped.push(SkippedItem {
                        index,
                        name,
                        error: e.to_string(),
                    }),
                }
            }
            for s in &skipped {
                tracing::warn!(what = %req.what, index = s.index, name = ?s.name, error = %s.error,
                    "skipped a search result GitHub sent in an unexpected shape");
            }
            let links = headers::links(&a.headers);
            Ok(SearchPage {
                total_count: env.total_count,
                incomplete_results: env.incomplete_results,
                items,
                has_next: links.iter().any(|(rel, _)| rel == "next"),
                last_page: links
                    .iter()
                    .find(|(rel, _)| rel == "last")
                    .and_then(|(_, t)| headers::page_of(t)),
                skipped,
            })
        })
        .await
    }

    /// `GET /repos/{owner}/{repo}`, conditional on `etag` (a 304 costs no
    /// quota on GitHub). A renamed repository is followed to its new name.
    pub async fn get_repo(
        &self,
        full_name: &str,
        etag: Option<&str>,
    ) -> Result<Conditional<RepoMeta>, GithubError> {
        let req = Req {
            url: self.repo_url(full_name, &[])?,
            what: format!("repository {full_name} (GET /repos/{full_name})"),
            resource: "core",
            accept: JSON_ACCEPT,
            etag,
            query: None,
            token: None,
            stream: false,
        };
        self.get_decoded(&req, |a| {
            if a.status == StatusCode::NOT_MODIFIED {
                return Ok(Conditional::NotModified);
            }
            let value: RepoMeta = serde_json::from_slice(&a.body)?;
            let etag = a
                .headers
                .get(ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            Ok(Conditional::Modified { value, etag })
        })
        .await
    }

    /// `GET /repos/{owner}/{repo}/commits/{ref}`: the commit and its tree.
    pub async fn commit(&self, full_name: &str, git_ref: &str) -> Result<CommitInfo, GithubError> {
        let mut tail = vec!["commits"];
        tail.extend(ref_segments(git_ref)?);
        let req = Req {
            url: self.repo_url(full_name, &tail)?,
            what: format!(
                "commit {git_ref} of {full_name} (GET /repos/{full_name}/commits/{git_ref})"
            ),
            resource: "core",
            accept: JSON_ACCEPT,
            etag: None,
            query: None,
            token: None,
            stream: false,
        };
        #[derive(Deserialize)]
        struct Commit {
            sha: String,
            commit: Inner1,
        }
        #[derive(Deserialize)]
        struct Inner1 {
            tree: Sha,
        }
        #[derive(Deserialize)]
        struct Sha {
            sha: String,
        }
        self.get_decoded(&req, |a| {
            let c: Commit = serde_json::from_slice(&a.body)?;
            Ok(CommitInfo {
                sha: c.sha,
                tree_sha: c.commit.tree.sha,
            })
        })
        .await
    }

    /// `GET /repos/{owner}/{repo}/git/trees/{sha}?recursive=1`.
    pub async fn tree(&self, full_name: &str, sha: &str) -> Result<Tree, GithubError> {
        self.tree_with(full_name, sha, true).await
    }

    /// `GET /repos/{owner}/{repo}/git/trees/{sha}`, recursive or one level
    /// only: the way through a tree GitHub truncates (over 100,000 entries
    /// or 7 MB), one folder at a time.
    pub async fn tree_with(
        &self,
        full_name: &str,
        sha: &str,
        recursive: bool,
    ) -> Result<Tree, GithubError> {
        let mut tail = vec!["git", "trees"];
        tail.extend(ref_segments(sha)?);
        let mut url = self.repo_url(full_name, &tail)?;
        if recursive {
            url.query_pairs_mut().append_pair("recursive", "1");
        }
        let req = Req {
            url,
            what: format!("tree {sha} of {full_name} (GET /repos/{full_name}/git/trees/{sha})"),
            resource: "core",
            accept: JSON_ACCEPT,
            etag: None,
            query: None,
            token: None,
            stream: false,
        };
        #[derive(Deserialize)]
        struct Raw {
            sha: String,
            #[serde(default)]
            tree: Vec<TreeEntry>,
            #[serde(default)]
            truncated: bool,
        }
        self.get_decoded(&req, |a| {
            let t: Raw = serde_json::from_slice(&a.body)?;
            Ok(Tree {
                sha: t.sha,
                entries: t.tree,
                truncated: t.truncated,
            })
        })
        .await
    }

    /// `GET /repos/{owner}/{repo}/contents/{path}?ref=`: the file's bytes.
    /// Reads GitHub's base64 envelope, or raw bytes when the server sends
    /// them, and asks for the raw form when a file is too big for the
    /// envelope (over 1 MB GitHub leaves `content` empty).
    pub async fn contents(
        &self,
        full_name: &str,
        path: &str,
        git_ref: &str,
    ) -> Result<Vec<u8>, GithubError> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segments.is_empty() || segments.iter().any(|s| *s == "." || *s == "..") {
            return Err(GithubError::InvalidArgument(format!(
                "file path {path:?} of {full_name} is empty or has . / .. segments"
            )));
        }
        let mut tail = vec!["contents"];
        tail.extend(segments);
        let mut url = self.repo_url(full_name, &tail)?;
        if !git_ref.is_empty() {
            url.query_pairs_mut().append_pair("ref", git_ref);
        }
        let what = format!(
            "file {path} at {git_ref} of {full_name} (GET /repos/{full_name}/contents/{path})"
        );
        let mut req = Req {
            url,
            what,
            resource: "core",
            accept: JSON_ACCEPT,
            etag: None,
            query: None,
            token: None,
            stream: false,
        };
        enum Got {
            Bytes(Vec<u8>),
            NotFile(String),
            TooBigForEnvelope,
        }
        let what = req.what.clone();
        let got = self
            .get_decoded(&req, |a| {
                let is_json = a
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|ct| ct.contains("json"));
                if !is_json {
                    return Ok(Got::Bytes(a.body.to_vec()));
                }
                let v: Value = serde_json::from_slice(&a.body)?;
                decode_contents(&v, &what)
                    .map(|o| o.map_or(Got::TooBigForEnvelope, Got::Bytes))
                    .or_else(|e| match e {
                        // A JSON file served raw (no envelope fields).
                        ContentsShape::NotEnvelope => Ok(Got::Bytes(a.body.to_vec())),
                        ContentsShape::NotFile(kind) => Ok(Got::NotFile(kind)),
                        ContentsShape::Bad(d) => Err(d),
                    })
            })
            .await?;
        match got {
            Got::Bytes(b) => Ok(b),
            Got::NotFile(kind) => Err(GithubError::NotAFile { what, kind }),
            Got::TooBigForEnvelope => {
                req.accept = RAW_ACCEPT;
                self.get_decoded(&req, |a| Ok(a.body.to_vec())).await
            }
        }
    }

    /// `GET /rate_limit` for every token: checks each (401 gives
    /// `BadCredentials` naming which one) and seeds the buckets.
    pub async fn rate_limit(&self) -> Result<RateLimitReport, GithubError> {
        let mut tokens = Vec::new();
        for &t in &self.inner.token_ids {
            let req = Req {
                url: self.endpoint("rate_limit")?,
                what: format!("rate limit of {} (GET /rate_limit)", self.token_label(t)),
                resource: "rate_limit",
                accept: JSON_ACCEPT,
                etag: None,
                query: None,
                token: Some(t),
                stream: false,
            };
            #[derive(Deserialize)]
            struct Raw {
                resources: std::collections::BTreeMap<String, ResourceLimit>,
            }
            let raw: Raw = self
                .get_decoded(&req, |a| Ok(serde_json::from_slice(&a.body)?))
                .await?;
            for (name, r) in &raw.resources {
                self.inner.gate.observe(
                    t,
                    &headers::RateInfo {
                        limit: r.limit,
                        remaining: r.remaining,
                        reset_epoch: r.reset,
                        resource: Some(name.clone()),
                    },
                );
            }
            tokens.push(TokenLimits {
                token: self.token_label(t),
                resources: raw.resources,
            });
        }
        Ok(RateLimitReport { tokens })
    }

    /// `GET /repos/{owner}/{repo}/tarball/{ref}`, following GitHub's 302 to
    /// the download host. The body is handed back as a stream, never
    /// buffered. Downloads are paced and capped in their own `archive`
    /// bucket; while GitHub throttles them (429) this returns
    /// `ArchiveThrottled` at once, without a request, so the caller can use
    /// the trees API instead.
    pub async fn tarball(
        &self,
        full_name: &str,
        git_ref: &str,
    ) -> Result<TarballStream, GithubError> {
        self.check_archive_pause()?;
        let what = format!(
            "tarball of {full_name} at {git_ref} (GET /repos/{full_name}/tarball/{git_ref})"
        );
        let slot = Arc::clone(&self.inner.archive_slots)
            .acquire_owned()
            .await
            .map_err(|_| shut_down(&what))?;
        // The fixed pacer is for a download host that says nothing about
        // its limits; once answers carry rate-limit headers, the gate paces
        // archives by them instead.
        let metered = self.inner.archive_metered.load(Ordering::Relaxed);
        if let (Some(pacer), false) = (&self.inner.archive_pacer, metered) {
            let start = Instant::now();
            pacer.until_ready().await;
            self.inner.stats.waited(ARCHIVE, start.elapsed());
        }
        self.check_archive_pause()?;

        let mut tail = vec!["tarball"];
        tail.extend(ref_segments(git_ref)?);
        let req = Req {
            url: self.repo_url(full_name, &tail)?,
            what: what.clone(),
            resource: "core",
            accept: JSON_ACCEPT,
            etag: None,
            query: None,
            token: None,
            stream: true,
        };
        let answer = self.fetch(&req).await?;
        if let Some(response) = answer.response {
            // The API host sent the archive itself (no redirect).
            return Ok(TarballStream::new(
                response,
                slot,
                Arc::clone(&self.inner.stats),
                what,
            ));
        }
        if !answer.status.is_redirection() {
            return Err(GithubError::UnexpectedStatus {
                what,
                status: answer.status.as_u16(),
                message: "expected a redirect to the archive".into(),
            });
        }
        let location = answer
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| GithubError::Decode {
                what: what.clone(),
                detail: "a redirect without a Location header".into(),
            })?;
        let target = answer.url.join(location).map_err(|e| GithubError::Decode {
            what: what.clone(),
            detail: format!("a redirect to an invalid location ({e})"),
        })?;
        if let Err(reason) =
            crate::redirect::check_archive_redirect(&self.inner.config.base_url, &target)
        {
            tracing::warn!(%what, location = %crate::redirect::describe(&target), %reason, "refused an archive redirect");
            return Err(GithubError::RefusedRedirect {
                what,
                location: crate::redirect::describe(&target),
                reason,
            });
        }
        self.download(target, slot, what).await
    }

    async fn download(
        &self,
        target: Url,
        slot: tokio::sync::OwnedSemaphorePermit,
        what: String,
    ) -> Result<TarballStream, GithubError> {
        let inner = &self.inner;
        // The token goes only to the API's own origin: a download host gets
        // none (GitHub signs private downloads in the URL instead).
        let same_origin = target.origin() == inner.config.base_url.origin();
        let mut failures = 0u32;
        loop {
            self.check_archive_pause()?;
            // A long wait for the archive budget would hold the worker: the
            // caller fetches by the trees API meanwhile.
            let (mut permit, waited) = match inner
                .gate
                .acquire_within(ARCHIVE, &[ARCHIVE_TOKEN], inner.config.archive_max_wait)
                .await
            {
                Ok(reserved) => reserved,
                Err(wait) => {
                    inner
                        .gate
                        .pause(ARCHIVE_TOKEN, ARCHIVE, Instant::now() + wait);
                    tracing::info!(wait = ?wait, "archive budget spent; pausing archive downloads");
                    return Err(GithubError::ArchiveThrottled { retry_after: wait });
                }
            };
            inner.stats.waited(ARCHIVE, waited);
            permit.mark_sent();
            inner.stats.request(ARCHIVE, ARCHIVE_TOKEN);
            let mut rb = inner.raw.get(target.clone());
            if same_origin {
                if let Some(auth) = &inner.auth[ARCHIVE_TOKEN] {
                    rb = rb.header(AUTHORIZATION, auth.clone());
                }
            }
            let detail = match rb.send().await {
                Err(e) => {
                    drop(permit);
                    error_chain(&e)
                }
                Ok(resp) => {
                    let status = resp.status();
                    let info = rate_info(resp.headers());
                    inner
                        .archive_metered
                        .store(info.is_some(), Ordering::Relaxed);
                    permit.complete(info.as_ref(), status.is_success());
                    if status.is_success() {
                        return Ok(TarballStream::new(
                            resp,
                            slot,
                            Arc::clone(&inner.stats),
                            what,
                        ));
                    }
                    let headers = resp.headers().clone();
                    // A 403 is read before deciding: a block (gone for
                    // good), a secondary limit (GitHub does not always send
                    // Retry-After with one), or a refusal.
                    let forbidden = if status == StatusCode::FORBIDDEN {
                        let body = resp.bytes().await.unwrap_or_default();
                        let message = error_message(&body);
                        if let Some(reason) = block_reason(&body) {
                            return Err(GithubError::Blocked {
                                what,
                                message,
                                reason,
                            });
                        }
                        Some(message)
                    } else {
                        None
                    };
                    let secondary = forbidden.as_deref().is_some_and(|m| {
                        let m = m.to_lowercase();
                        m.contains("secondary rate limit") || m.contains("abuse")
                    });
                    if status == StatusCode::TOO_MANY_REQUESTS
                        || (status == StatusCode::FORBIDDEN
                            && (headers.contains_key("retry-after") || secondary))
                    {
                        // A spent archive budget ends at its reset, which
                        // is more precise than a Retry-After in whole seconds.
                        let at_reset = headers::remaining_is_zero(&headers)
                            .then(|| headers::until_reset(&headers))
                            .flatten();
                        // A secondary limit without Retry-After: GitHub's
                        // advice is to wait at least a minute.
                        let fallback = if secondary {
                            inner.config.secondary_min_wait
                        } else {
                            inner.config.archive_throttle_pause
                        };
                        let pause = at_reset
                            .or_else(|| headers::retry_after(&headers))
                            .unwrap_or(fallback);
                        inner
                            .gate
                            .pause(ARCHIVE_TOKEN, ARCHIVE, Instant::now() + pause);
                        inner.stats.secondary(ARCHIVE);
                        tracing::warn!(pause = ?pause, "archive downloads throttled by GitHub; pausing them");
                        return Err(GithubError::ArchiveThrottled { retry_after: pause });
                    }
                    if let Some(message) = forbidden {
                        return Err(GithubError::Forbidden { what, message });
                    }
                    match status.as_u16() {
                        404 | 410 => return Err(GithubError::NotFound { what }),
                        451 => return Err(GithubError::Unavailable451 { what }),
                        s if s >= 500 || s == 408 => format!("HTTP {s} from the download host"),
                        s => {
                            return Err(GithubError::UnexpectedStatus {
                                what,
                                status: s,
                                message: "from the download host".into(),
                            })
                        }
                    }
                }
            };
            inner.stats.transient(ARCHIVE);
            if failures >= inner.config.max_retries {
                return Err(GithubError::Network {
                    what,
                    detail,
                    attempts: failures + 1,
                });
            }
            failures += 1;
            inner.stats.retry(ARCHIVE);
            self.backoff_sleep(ARCHIVE, failures).await;
        }
    }

    fn check_archive_pause(&self) -> Result<(), GithubError> {
        match self.inner.gate.paused_for(ARCHIVE_TOKEN, ARCHIVE) {
            Some(retry_after) if !retry_after.is_zero() => {
                Err(GithubError::ArchiveThrottled { retry_after })
            }
            _ => Ok(()),
        }
    }

    // ----- the request loop -----------------------------------------------

    /// `fetch` plus decoding, asking again when the body was malformed or
    /// cut off (a flaky proxy, an injected fault) and once when it was valid
    /// JSON of the wrong shape, then failing with a `Decode` error naming
    /// the endpoint.
    async fn get_decoded<T>(
        &self,
        req: &Req<'_>,
        decode: impl Fn(&Answer) -> Result<T, DecodeFailure>,
    ) -> Result<T, GithubError> {
        let mut failures = 0u32;
        loop {
            let answer = self.fetch(req).await?;
            match decode(&answer) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    self.inner.stats.transient(req.resource);
                    let limit = if e.syntax {
                        self.inner.config.max_retries
                    } else {
                        1
                    };
                    if failures >= limit {
                        return Err(GithubError::Decode {
                            what: req.what.clone(),
                            detail: e.detail,
                        });
                    }
                    tracing::debug!(what = %req.what, detail = %e.detail, "unreadable answer; asking again");
                    failures += 1;
                    self.inner.stats.retry(req.resource);
                    self.backoff_sleep(req.resource, failures).await;
                }
            }
        }
    }

    /// Sends one logical request: gate, concurrency cap, send, feed the
    /// headers back, classify, retry what is worth retrying.
    async fn fetch(&self, req: &Req<'_>) -> Result<Answer, GithubError> {
        let inner = &self.inner;
        let tokens: Vec<usize> = match req.token {
            Some(t) => vec![t],
            None => inner.token_ids.clone(),
        };
        let mut failures = 0u32;
        let mut limit_hits = 0u32;
        let mut secondary_streak = 0u32;
        loop {
            let (mut permit, waited) = inner.gate.acquire(req.resource, &tokens).await;
            inner.stats.waited(req.resource, waited);
            if waited >= Duration::from_secs(10) {
                tracing::info!(what = %req.what, waited = ?waited, "waited for the {} rate limit", req.resource);
            }
            let _slot = inner
                .concurrency
                .acquire()
                .await
                .map_err(|_| shut_down(&req.what))?;
            let token = permit.token;
            permit.mark_sent();
            inner.stats.request(req.resource, token);
            let client = if req.stream { &inner.raw } else { &inner.api };
            let mut rb = client.get(req.url.clone()).header(ACCEPT, req.accept);
            if let Some(auth) = &inner.auth[token] {
                rb = rb.header(AUTHORIZATION, auth.clone());
            }
            if let Some(etag) = req.etag {
                if let Ok(v) = HeaderValue::from_str(etag) {
                    rb = rb.header(IF_NONE_MATCH, v);
                }
            }
            let outcome = match rb.send().await {
                Err(e) => {
                    drop(permit);
                    Verdict::Transient(error_chain(&e))
                }
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    let url = resp.url().clone();
                    // Only a proper answer without headers marks the
                    // resource unmetered; a proxy's 5xx says nothing.
                    let proper = status.is_success() || status.is_redirection();
                    permit.complete(rate_info(&headers).as_ref(), proper);
                    if req.stream && status.is_success() {
                        return Ok(Answer {
                            status,
                            headers,
                            body: Bytes::new(),
                            response: Some(resp),
                            url,
                        });
                    }
                    match resp.bytes().await {
                        Err(e) => Verdict::Transient(format!(
                            "the answer was cut off: {}",
                            error_chain(&e)
                        )),
                        Ok(body) => {
                            inner.stats.bytes(req.resource, body.len() as u64);
                            let verdict = self.classify(req, token, status, &headers, &body);
                            if let Verdict::Done = verdict {
                                if status == StatusCode::NOT_MODIFIED {
                                    inner.stats.not_modified(req.resource);
                                }
                                return Ok(Answer {
                                    status,
                                    headers,
                                    body,
                                    response: None,
                                    url,
                                });
                            }
                            if let Verdict::Secondary(message) = &verdict {
                                let wait = self.secondary_wait(&headers, secondary_streak);
                                secondary_streak += 1;
                                inner.gate.pause(token, req.resource, Instant::now() + wait);
                                tracing::warn!(what = %req.what, wait = ?wait, %message,
                                    "secondary rate limit; pausing this token's {} requests", req.resource);
                            }
                            if let Verdict::Primary = verdict {
                                // The gate now knows remaining is 0 and waits
                                // for the reset; the pause covers answers
                                // whose reset header was unusable.
                                let wait = headers::until_reset(&headers)
                                    .unwrap_or(Duration::from_secs(1));
                                inner.gate.pause(token, req.resource, Instant::now() + wait);
                            }
                            verdict
                        }
                    }
                }
            };
            match outcome {
                Verdict::Done => unreachable!("returned above"),
                Verdict::Fail(e) => return Err(e),
                Verdict::Secondary(_) | Verdict::Primary => {
                    if matches!(outcome, Verdict::Secondary(_)) {
                        inner.stats.secondary(req.resource);
                    } else {
                        inner.stats.primary(req.resource);
                    }
                    limit_hits += 1;
                    if limit_hits > inner.config.max_limit_retries {
                        return Err(GithubError::RateLimited {
                            what: req.what.clone(),
                            resource: req.resource.to_string(),
                            attempts: limit_hits,
                        });
                    }
                    inner.stats.retry(req.resource);
                }
                Verdict::Transient(detail) => {
                    inner.stats.transient(req.resource);
                    if failures >= inner.config.max_retries {
                        return Err(transient_error(req, detail, failures + 1));
                    }
                    tracing::debug!(what = %req.what, %detail, "transient failure; retrying");
                    failures += 1;
                    inner.stats.retry(req.resource);
                    self.backoff_sleep(req.resource, failures).await;
                }
            }
        }
    }

    fn classify(
        &self,
        req: &Req<'_>,
        token: usize,
        status: StatusCode,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Verdict {
        let s = status.as_u16();
        if status.is_success() || s == 304 || (req.stream && status.is_redirection()) {
            return Verdict::Done;
        }
        let message = error_message(body);
        let what = req.what.clone();
        match s {
            401 => Verdict::Fail(GithubError::BadCredentials {
                token: self.token_label(token),
            }),
            403 | 429 => {
                let lower = message.to_lowercase();
                if let Some(reason) = block_reason(body) {
                    // A blocked repository answers the same to every token:
                    // neither a limit nor a permission problem.
                    Verdict::Fail(GithubError::Blocked {
                        what,
                        message,
                        reason,
                    })
                } else if lower.contains("secondary rate limit") || lower.contains("abuse") {
                    Verdict::Secondary(message)
                } else if headers::remaining_is_zero(headers) {
                    Verdict::Primary
                } else if s == 429 || headers.contains_key("retry-after") {
                    Verdict::Secondary(message)
                } else {
                    Verdict::Fail(GithubError::Forbidden { what, message })
                }
            }
            404 | 410 => Verdict::Fail(GithubError::NotFound { what }),
            409 => Verdict::Fail(GithubError::EmptyRepository { what, message }),
            451 => Verdict::Fail(GithubError::Unavailable451 { what }),
            422 => Verdict::Fail(GithubError::Validation {
                what,
                message,
                query: req.query.unwrap_or(req.url.path()).to_string(),
            }),
            408 | 500..=599 => Verdict::Transient(format!("HTTP {s}")),
            _ => Verdict::Fail(GithubError::UnexpectedStatus {
                what,
                status: s,
                message,
            }),
        }
    }

    /// GitHub's advice for secondary limits: `Retry-After` if given, else
    /// the reset if nothing remains, else at least a minute, doubling.
    fn secondary_wait(&self, headers: &HeaderMap, streak: u32) -> Duration {
        if let Some(d) = headers::retry_after(headers) {
            return d;
        }
        if headers::remaining_is_zero(headers) {
            if let Some(d) = headers::until_reset(headers) {
                return d;
            }
        }
        let base = self.inner.config.secondary_min_wait;
        let d = base.saturating_mul(1u32 << streak.min(5));
        d + jitter(d / 4)
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let cfg = &self.inner.config;
        let cap = cfg
            .backoff_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
            .min(cfg.backoff_max);
        // Equal jitter: at least half the step, so retries from many tasks
        // spread out without collapsing to zero.
        cap / 2 + jitter(cap / 2)
    }

    async fn backoff_sleep(&self, resource: &str, attempt: u32) {
        let d = self.backoff(attempt);
        tokio::time::sleep(d).await;
        self.inner.stats.backoff(resource, d);
    }

    // ----- helpers ---------------------------------------------------------

    fn token_label(&self, token: usize) -> String {
        match self.inner.config.tokens.len() {
            0 => "anonymous access".to_string(),
            1 => "the token (GITHUB_TOKEN)".to_string(),
            n => format!("token {} of {n} (GITHUB_TOKENS)", token + 1),
        }
    }

    fn endpoint(&self, path: &str) -> Result<Url, GithubError> {
        self.inner
            .config
            .base_url
            .join(path)
            .map_err(|e| GithubError::InvalidConfig(format!("cannot build the URL of {path}: {e}")))
    }

    fn repo_url(&self, full_name: &str, tail: &[&str]) -> Result<Url, GithubError> {
        let (owner, name) = split_full_name(full_name)?;
        let mut url = self.inner.config.base_url.clone();
        {
            let mut segs = url.path_segments_mut().map_err(|_| {
                GithubError::InvalidConfig("the GitHub URL cannot hold a path".into())
            })?;
            segs.pop_if_empty();
            segs.push("repos").push(owner).push(name);
            for t in tail {
                segs.push(t);
            }
        }
        Ok(url)
    }
}

enum ContentsShape {
    NotEnvelope,
    /// GitHub's description of a symlink or submodule, not a file.
    NotFile(String),
    Bad(DecodeFailure),
}

/// Reads the contents API's envelope: `Ok(None)` when the file is too big
/// for it and must be asked for raw.
fn decode_contents(v: &Value, what: &str) -> Result<Option<Vec<u8>>, ContentsShape> {
    let bad = |detail: String| {
        ContentsShape::Bad(DecodeFailure {
            syntax: false,
            detail,
        })
    };
    if v.is_array() {
        return Err(bad(format!("{what} is a directory, not a file")));
    }
    let Some(obj) = v.as_object() else {
        return Err(ContentsShape::NotEnvelope);
    };
    // A symlink whose target is not a file in the repository, and a
    // submodule, are described rather than sent: `type` plus `target` or
    // `submodule_git_url`, and no `content`. Read as a file, that
    // description would be stored as the file's bytes.
    let kind = obj.get("type").and_then(Value::as_str);
    let has_sha = obj.get("sha").is_some_and(Value::is_string);
    match kind {
        Some("symlink") if has_sha && obj.contains_key("target") => {
            return Err(ContentsShape::NotFile("symlink".into()))
        }
        Some("submodule")
            if has_sha
                && (obj.contains_key("submodule_git_url") || !obj.contains_key("content")) =>
        {
            return Err(ContentsShape::NotFile("submodule".into()))
        }
        _ => {}
    }
    if !(obj.contains_key("sha") && (obj.contains_key("content") || obj.contains_key("encoding"))) {
        return Err(ContentsShape::NotEnvelope);
    }
    if let Some(kind) = obj.get("type").and_then(Value::as_str) {
        if kind != "file" {
            return Err(bad(format!("{what} is a {kind}, not a file")));
        }
    }
    let encoding = obj
        .get("encoding")
        .and_then(Value::as_str)
        .unwrap_or("base64");
    let content = match obj.get("content") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Null) | None => "",
        Some(_) => return Err(bad("`content` is not a string".into())),
    };
    let size = obj.get("size").and_then(Value::as_u64).unwrap_or(0);
    if encoding == "none" || (content.is_empty() && size > 0) {
        return Ok(None);
    }
    match encoding {
        "base64" => {
            let cleaned: String = content.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(cleaned.as_bytes())
                .map(Some)
                .map_err(|e| bad(format!("`content` is not valid base64: {e}")))
        }
        "utf-8" | "" => Ok(Some(content.as_bytes().to_vec())),
        other => Err(bad(format!("unknown content encoding {other:?}"))),
    }
}

fn split_full_name(full_name: &str) -> Result<(&str, &str), GithubError> {
    match full_name.split_once('/') {
        Some((o, n))
            if !o.is_empty() && !n.is_empty() && !n.contains('/') && o != ".." && n != ".." =>
        {
            Ok((o, n))
        }
        _ => Err(GithubError::InvalidArgument(format!(
            "repository name {full_name:?} is not OWNER/NAME"
        ))),
    }
}

/// A git ref may hold slashes (`feature/x`); each part is a path segment.
fn ref_segments(git_ref: &str) -> Result<Vec<&str>, GithubError> {
    let parts: Vec<&str> = git_ref.split('/').collect();
    if git_ref.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err(GithubError::InvalidArgument(format!(
            "git ref {git_ref:?} is not a valid ref"
        )));
    }
    Ok(parts)
}

/// The `block.reason` of GitHub's "Repository access blocked" answer
/// (`{"message": ..., "block": {"reason": "tos", "created_at": ..., "html_url": ...}}`).
/// A `block` object without a reason still marks a block.
fn block_reason(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let block = v.get("block")?.as_object()?;
    Some(
        block
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string(),
    )
}

fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct E {
        message: String,
    }
    match serde_json::from_slice::<E>(body) {
        Ok(e) => e.message,
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(200)])
            .trim()
            .to_string(),
    }
}

/// The error and its causes, without the URL (a download URL may be signed).
pub(crate) fn error_chain(e: &reqwest::Error) -> String {
    let top = e.to_string();
    let mut out = match top.find(" for url (") {
        Some(i) => top[..i].to_string(),
        None => top,
    };
    if e.is_timeout() {
        out.push_str(" (timed out)");
    }
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

fn transient_error(req: &Req<'_>, detail: String, attempts: u32) -> GithubError {
    match detail
        .strip_prefix("HTTP ")
        .and_then(|s| s.parse::<u16>().ok())
    {
        Some(status) => GithubError::Server {
            what: req.what.clone(),
            status,
            attempts,
        },
        None => GithubError::Network {
            what: req.what.clone(),
            detail,
            attempts,
        },
    }
}

fn shut_down(what: &str) -> GithubError {
    GithubError::Network {
        what: what.to_string(),
        detail: "the client is shutting down".into(),
        attempts: 0,
    }
}

fn jitter(max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    max.mul_f64(rand::rng().random_range(0.0..1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_and_refs() {
        assert!(split_full_name("a/b").is_ok());
        assert!(split_full_name("a").is_err());
        assert!(split_full_name("a/b/c").is_err());
        assert!(split_full_name("/b").is_err());
        assert_eq!(
            ref_segments("feature/x").expect("valid"),
            vec!["feature", "x"]
        );
        assert!(ref_segments("a/../b").is_err());
    }

    #[test]
    fn contents_envelope() {
        let v = serde_json::json!({"type": "file", "encoding": "base64", "sha": "x", "size": 5, "content": "aGVs\nbG8=\n"});
        assert_eq!(
            decode_contents(&v, "f").ok().flatten(),
            Some(b"hello".to_vec())
        );
        let big = serde_json::json!({"type": "file", "encoding": "none", "sha": "x", "size": 5_000_000, "content": ""});
        assert!(matches!(decode_contents(&big, "f"), Ok(None)));
        let pkg = serde_json::json!({"name": "x", "dependencies": {}});
        assert!(matches!(
            decode_contents(&pkg, "f"),
            Err(ContentsShape::NotEnvelope)
        ));
    }
}
