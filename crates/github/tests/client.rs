//! The client against a small GitHub-like mock on 127.0.0.1 with scaled time
//! (rate-limit windows of a few hundred milliseconds, headers that tell the
//! truth), so pacing, resets, retries and errors are observed for real.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Response, Uri};
use axum::Router;
use futures::StreamExt;
use mcp_survey_github::{ClientConfig, Conditional, GithubClient, GithubError, Token};

fn epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64()
}

#[derive(Clone, Copy)]
struct Limit {
    limit: u64,
    window: Duration,
    /// Requests already used in the first window (another client's).
    pre_used: u64,
}

#[derive(Default)]
struct Win {
    reset: f64,
    used: u64,
    started: bool,
}

#[derive(Default)]
struct MockState {
    limits: HashMap<String, Limit>,
    windows: HashMap<(String, String), Win>,
    /// (resource, token, arrival epoch, path) of every request.
    log: Vec<(String, String, f64, String)>,
    /// Requests that arrived with nothing left (the client's estimate failed).
    refused: u64,
    hits: HashMap<String, u32>,
    if_none_match: Vec<String>,
}

#[derive(Clone, Default)]
struct Mock(Arc<Mutex<MockState>>);

impl Mock {
    fn with_limits(limits: &[(&str, u64, u64, u64)]) -> Self {
        let m = Mock::default();
        {
            let mut s = m.0.lock().expect("lock");
            for (res, limit, window_ms, pre_used) in limits {
                s.limits.insert(
                    res.to_string(),
                    Limit {
                        limit: *limit,
                        window: Duration::from_millis(*window_ms),
                        pre_used: *pre_used,
                    },
                );
            }
        }
        m
    }

    fn hits(&self, path: &str) -> u32 {
        self.0
            .lock()
            .expect("lock")
            .hits
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    fn refused(&self) -> u64 {
        self.0.lock().expect("lock").refused
    }

    fn times(&self, resource: &str) -> Vec<(String, f64)> {
        let s = self.0.lock().expect("lock");
        s.log
            .iter()
            .filter(|(r, ..)| r == resource)
            .map(|(_, t, at, _)| (t.clone(), *at))
            .collect()
    }
}

fn resource_of(path: &str) -> &'static str {
    if path.starts_with("/search/code") {
        "code_search"
    } else if path.starts_with("/search/") {
        "search"
    } else if path.starts_with("/_download/") {
        "archive"
    } else {
        "core"
    }
}

fn json(status: u16, body: serde_json::Value) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .body(Body::from(body.to_string()))
        .expect("response")
}

fn repo_json(full_name: &str) -> serde_json::Value {
    serde_json::json!({
        "id": full_name.len() as i64 * 1000 + 7,
        "full_name": full_name,
        "description": "an MCP server",
        "topics": ["mcp"],
        "language": "TypeScript",
        "stargazers_count": 5,
        "forks_count": 1,
        "fork": false,
        "archived": false,
        "created_at": "2025-01-02T03:04:05Z",
        "pushed_at": "2025-02-02T03:04:05Z",
        "default_branch": "main",
        "size": 120,
        "owner": {"login": "x"},
    })
}

async fn handle(State(mock): State<Mock>, uri: Uri, headers: HeaderMap) -> Response<Body> {
    let path = uri.path().to_string();
    let query: HashMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    if !headers.contains_key("user-agent") {
        return json(403, serde_json::json!({"message": "no User-Agent"}));
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim_start_matches("Bearer ")
        .to_string();
    let resource = resource_of(&path);

    // Rate limiting, GitHub style: a window starts at the first request
    // after the previous one reset.
    let mut rate_headers: Vec<(&str, String)> = Vec::new();
    let hit;
    {
        let mut s = mock.0.lock().expect("lock");
        let now = epoch();
        s.log
            .push((resource.to_string(), token.clone(), now, path.clone()));
        *s.hits.entry(path.clone()).or_default() += 1;
        hit = s.hits[&path];
        if token.contains("bad") {
            return json(401, serde_json::json!({"message": "Bad credentials"}));
        }
        if let Some(v) = headers.get("if-none-match").and_then(|v| v.to_str().ok()) {
            s.if_none_match.push(v.to_string());
        }
        if let Some(limit) = s.limits.get(resource).copied() {
            let w = s
                .windows
                .entry((resource.to_string(), token.clone()))
                .or_default();
            if !w.started || now >= w.reset {
                w.used = if w.started { 0 } else { limit.pre_used };
                w.started = true;
                w.reset = now + limit.window.as_secs_f64();
            }
            let refused = w.used >= limit.limit;
            if !refused {
                w.used += 1;
            }
            let remaining = limit.limit - w.used;
            let reset = w.reset;
            rate_headers = vec![
                ("x-ratelimit-limit", limit.limit.to_string()),
                ("x-ratelimit-remaining", remaining.to_string()),
                ("x-ratelimit-reset", format!("{reset:.3}")),
                ("x-ratelimit-resource", resource.to_string()),
            ];
            if refused {
                s.refused += 1;
                let mut r = json(
                    403,
                    serde_json::json!({"message": "API rate limit exceeded"}),
                );
                for (k, v) in &rate_headers {
                    r.headers_mut().insert(*k, v.parse().expect("header"));
                }
                return r;
            }
        }
    }
    let mut resp = route(&path, &query, &headers, hit);
    for (k, v) in &rate_headers {
        resp.headers_mut().insert(*k, v.parse().expect("header"));
    }
    resp
}

fn route(
    path: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    hit: u32,
) -> Response<Body> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match parts.as_slice() {
        ["rate_limit"] => json(
            200,
            serde_json::json!({"resources": {
                "core": {"limit": 5000, "remaining": 4999, "reset": epoch() + 3600.0, "used": 1},
                "search": {"limit": 30, "remaining": 0, "reset": epoch() + 0.3, "used": 30}
            }}),
        ),
        ["search", "repositories"] => {
            let q = query.get("q").cloned().unwrap_or_default();
            let page: u32 = query.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
            match q.as_str() {
                "bad query" => json(422, serde_json::json!({"message": "Validation Failed"})),
                "broken envelope" => {
                    json(200, serde_json::json!({"total_count": "many", "items": []}))
                }
                _ => {
                    let mut items = vec![repo_json("a/one"), repo_json("b/two")];
                    if q == "odd item" {
                        items.push(serde_json::json!({"id": "seven", "full_name": "c/odd", "created_at": 5}));
                    }
                    let mut r = json(
                        200,
                        serde_json::json!({"total_count": 250, "incomplete_results": false, "items": items}),
                    );
                    if page < 3 {
                        let link = format!(
                            "<http://x/search/repositories?q=mcp+in:name,description&page={}>; rel=\"next\", <http://x/search/repositories?q=mcp&page=3>; rel=\"last\"",
                            page + 1
                        );
                        r.headers_mut()
                            .insert("link", link.parse().expect("header"));
                    }
                    r
                }
            }
        }
        ["search", "code"] => json(
            200,
            serde_json::json!({"total_count": 1, "incomplete_results": true, "items": [{
                "name": "package.json", "path": "package.json", "sha": "abc", "score": 1.0,
                "repository": {"id": 9, "full_name": "a/one", "name": "one", "owner": {"login": "a"}, "private": false}
            }]}),
        ),
        ["repos", owner, name, rest @ ..] => {
            let full = format!("{owner}/{name}");
            match *owner {
                "gone" => return json(404, serde_json::json!({"message": "Not Found"})),
                "dmca" => {
                    return json(
                        451,
                        serde_json::json!({"message": "Repository access blocked"}),
                    )
                }
                "empty" => {
                    return json(
                        409,
                        serde_json::json!({"message": "Git Repository is empty."}),
                    )
                }
                "invalid" => return json(422, serde_json::json!({"message": "No commit found"})),
                "down" => return json(502, serde_json::json!({"message": "Bad gateway"})),
                "flaky" if hit <= 2 => return json(500, serde_json::json!({"message": "oops"})),
                "secondary" if hit == 1 => {
                    let mut r = json(
                        403,
                        serde_json::json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."}),
                    );
                    r.headers_mut()
                        .insert("retry-after", "0.3".parse().expect("header"));
                    return r;
                }
                "throttle429" if hit == 1 => {
                    return json(429, serde_json::json!({"message": "Too many requests"}))
                }
                "cut" if hit == 1 => {
                    return Response::builder()
                        .status(200)
                        .header("content-type", "application/json")
                        .body(Body::from("{\"id\": 12, \"full_na"))
                        .expect("response")
                }
                "wrongtype" => {
                    let mut v = repo_json(&full);
                    v["id"] = serde_json::json!("not a number");
                    return json(200, v);
                }
                _ => {}
            }
            match rest {
                [] => {
                    if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some("\"v1\"")
                    {
                        return Response::builder()
                            .status(304)
                            .header("etag", "\"v1\"")
                            .body(Body::empty())
                            .expect("response");
                    }
                    let mut r = json(200, repo_json(&full));
                    r.headers_mut()
                        .insert("etag", "\"v1\"".parse().expect("header"));
                    r
                }
                ["commits", _r @ ..] => json(
                    200,
                    serde_json::json!({"sha": "c0ffee", "commit": {"tree": {"sha": "7ree"}}}),
                ),
                ["git", "trees", sha] => json(
                    200,
                    serde_json::json!({"sha": sha, "truncated": false, "tree": [
                        {"path": "src", "mode": "040000", "type": "tree", "sha": "t1"},
                        {"path": "src/index.ts", "mode": "100644", "type": "blob", "sha": "b1", "size": 42}
                    ]}),
                ),
                ["contents", "raw.txt"] => Response::builder()
                    .status(200)
                    .header("content-type", "application/vnd.github.raw")
                    .body(Body::from("raw bytes"))
                    .expect("response"),
                ["contents", "big.bin"] => {
                    if headers.get("accept").and_then(|v| v.to_str().ok())
                        == Some("application/vnd.github.raw+json")
                    {
                        return Response::builder()
                            .status(200)
                            .header("content-type", "application/octet-stream")
                            .body(Body::from("big file"))
                            .expect("response");
                    }
                    json(
                        200,
                        serde_json::json!({"type": "file", "encoding": "none", "size": 2_000_000, "sha": "s", "content": ""}),
                    )
                }
                ["contents", ..] => json(
                    200,
                    serde_json::json!({"type": "file", "encoding": "base64", "size": 11, "sha": "s", "content": "aGVsbG8g\nd29ybGQ=\n"}),
                ),
                ["tarball", r @ ..] => Response::builder()
                    .status(302)
                    .header(
                        "location",
                        format!("/_download/{owner}/{name}/{}", r.join("/")),
                    )
                    .body(Body::empty())
                    .expect("response"),
                _ => json(404, serde_json::json!({"message": "Not Found"})),
            }
        }
        ["_download", owner, ..] => {
            if *owner == "throttled" {
                let mut r = json(429, serde_json::json!({"message": "too many downloads"}));
                r.headers_mut()
                    .insert("retry-after", "5".parse().expect("header"));
                return r;
            }
            // 1 MiB in 64 chunks, streamed.
            let chunks = futures::stream::iter(
                (0..64u8).map(|i| Ok::<_, std::io::Error>(vec![i; 16 * 1024])),
            );
            Response::builder()
                .status(200)
                .header("content-type", "application/x-gzip")
                .body(Body::from_stream(chunks))
                .expect("response")
        }
        _ => json(404, serde_json::json!({"message": "Not Found"})),
    }
}

async fn serve(mock: &Mock) -> String {
    let app = Router::new().fallback(handle).with_state(mock.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://{addr}")
}

fn config(base: &str, tokens: &[&str]) -> ClientConfig {
    let mut c =
        ClientConfig::new(base, tokens.iter().map(|t| Token::new(*t)).collect()).expect("config");
    c.backoff_base = Duration::from_millis(10);
    c.backoff_max = Duration::from_millis(50);
    c.secondary_min_wait = Duration::from_millis(200);
    c.archive_min_interval = Duration::ZERO;
    c.max_retries = 3;
    c
}

async fn client(mock: &Mock, tokens: &[&str]) -> GithubClient {
    let base = serve(mock).await;
    GithubClient::new(config(&base, tokens)).expect("client")
}

/// Largest number of requests of one token in any window of `len`.
fn max_in_window(times: &[(String, f64)], len: Duration) -> usize {
    let mut by_token: HashMap<&str, Vec<f64>> = HashMap::new();
    for (t, at) in times {
        by_token.entry(t).or_default().push(*at);
    }
    let mut worst = 0;
    for v in by_token.values_mut() {
        v.sort_by(|a, b| a.total_cmp(b));
        for (i, start) in v.iter().enumerate() {
            let n = v[i..]
                .iter()
                .take_while(|t| **t < start + len.as_secs_f64())
                .count();
            worst = worst.max(n);
        }
    }
    worst
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paces_by_the_headers_not_by_hard_coded_limits() {
    // 5 searches per 300 ms: GitHub's 30/min scaled 40x.
    let mock = Mock::with_limits(&[("search", 5, 300, 0)]);
    let c = client(&mock, &["t1"]).await;
    let start = Instant::now();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move { c.search_repositories(&format!("mcp {i}"), 1, 100).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("joins").expect("search succeeds");
    }
    let elapsed = start.elapsed();
    assert_eq!(mock.refused(), 0, "a request was sent with nothing left");
    let worst = max_in_window(&mock.times("search"), Duration::from_millis(300));
    assert!(worst <= 5, "{worst} requests in one 300 ms window");
    // 20 requests at 5 per 300 ms need just over 3 windows; a client pacing
    // at GitHub's real 30/min would need 40 s.
    assert!(
        elapsed >= Duration::from_millis(850),
        "too fast: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_millis(2500),
        "too slow: {elapsed:?}"
    );
    let stats = c.stats();
    assert_eq!(stats.resource("search").requests, 20);
    assert_eq!(stats.resource("search").primary_limit_hits, 0);
    assert!(stats.resource("search").wait_seconds > 0.5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sleeps_until_reset_when_nothing_remains() {
    // Another client already used 4 of 5: one request left for 400 ms.
    let mock = Mock::with_limits(&[("core", 5, 400, 4)]);
    let c = client(&mock, &["t1"]).await;
    let start = Instant::now();
    c.get_repo("a/one", None).await.expect("first");
    c.get_repo("a/two", None)
        .await
        .expect("second waits for the reset");
    assert!(
        start.elapsed() >= Duration::from_millis(380),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(mock.refused(), 0);
    assert!(c.stats().resource("core").wait_seconds >= 0.3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn honours_retry_after_on_a_secondary_limit() {
    let mock = Mock::default();
    let c = client(&mock, &["t1"]).await;
    let start = Instant::now();
    let repo = c
        .get_repo("secondary/x", None)
        .await
        .expect("succeeds after waiting");
    assert!(matches!(repo, Conditional::Modified { .. }));
    assert!(
        start.elapsed() >= Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(mock.hits("/repos/secondary/x"), 2);
    let s = c.stats().resource("core");
    assert_eq!(s.secondary_limit_hits, 1);
    assert_eq!(s.retries, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waits_at_least_the_minimum_on_a_bare_429() {
    let mock = Mock::default();
    let c = client(&mock, &["t1"]).await;
    let start = Instant::now();
    c.get_repo("throttle429/x", None)
        .await
        .expect("succeeds after waiting");
    assert!(
        start.elapsed() >= Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(c.stats().resource("core").secondary_limit_hits, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backs_off_on_5xx_then_succeeds_or_gives_up() {
    let mock = Mock::default();
    let c = client(&mock, &["t1"]).await;
    c.get_repo("flaky/x", None)
        .await
        .expect("third attempt succeeds");
    assert_eq!(mock.hits("/repos/flaky/x"), 3);
    let s = c.stats().resource("core");
    assert_eq!(s.transient_errors, 2);
    assert_eq!(s.retries, 2);

    let err = c.get_repo("down/x", None).await.expect_err("always 502");
    assert!(
        matches!(
            err,
            GithubError::Server {
                status: 502,
                attempts: 4,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(mock.hits("/repos/down/x"), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_errors_are_typed_and_never_retried() {
    let mock = Mock::default();
    let c = client(&mock, &["t1"]).await;
    let e = c.get_repo("gone/x", None).await.expect_err("404");
    assert!(matches!(e, GithubError::NotFound { .. }), "{e:?}");
    assert!(e.is_repository_gone());
    let e = c.get_repo("dmca/x", None).await.expect_err("451");
    assert!(matches!(e, GithubError::Unavailable451 { .. }), "{e:?}");
    let e = c.commit("empty/x", "main").await.expect_err("409");
    assert!(matches!(e, GithubError::EmptyRepository { .. }), "{e:?}");
    let e = c.commit("invalid/x", "nope").await.expect_err("422");
    assert!(matches!(e, GithubError::Validation { .. }), "{e:?}");
    let e = c
        .search_repositories("bad query", 1, 10)
        .await
        .expect_err("422");
    match &e {
        GithubError::Validation { query, .. } => assert_eq!(query, "bad query"),
        other => panic!("expected Validation, got {other:?}"),
    }
    assert!(e.to_string().contains("bad query"));
    for path in [
        "/repos/gone/x",
        "/repos/dmca/x",
        "/repos/empty/x/commits/main",
        "/repos/invalid/x/commits/nope",
        "/search/repositories",
    ] {
        assert_eq!(mock.hits(path), 1, "{path} was retried");
    }
    assert_eq!(c.stats().resource("core").retries, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_is_one_clear_error_and_never_shown() {
    let secret = "ghp_badSECRETvalue123";
    let mock = Mock::default();
    let base = serve(&mock).await;
    let cfg = config(&base, &[secret]);
    assert!(!format!("{cfg:?}").contains("SECRET"));
    let c = GithubClient::new(cfg).expect("client");
    assert!(!format!("{c:?}").contains("SECRET"));
    let e = c.rate_limit().await.expect_err("401");
    assert!(matches!(e, GithubError::BadCredentials { .. }), "{e:?}");
    for shown in [e.to_string(), format!("{e:?}")] {
        assert!(!shown.contains("SECRET"), "token leaked: {shown}");
    }
    assert!(e.to_string().contains("GITHUB_TOKEN"));
    assert_eq!(mock.hits("/rate_limit"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_reports_each_token() {
    let mock = Mock::default();
    let c = client(&mock, &["t1", "t2"]).await;
    let report = c.rate_limit().await.expect("rate limit");
    assert_eq!(report.tokens.len(), 2);
    assert_eq!(report.tokens[1].token, "token 2 of 2 (GITHUB_TOKENS)");
    assert_eq!(report.tokens[0].resources["core"].remaining, 4999);
    // The report said both tokens' search budgets are spent for 300 ms.
    let start = Instant::now();
    c.search_repositories("mcp", 1, 10).await.expect("search");
    assert!(
        start.elapsed() >= Duration::from_millis(250),
        "{:?}",
        start.elapsed()
    );
    // Core was not touched by the report: no wait there.
    let start = Instant::now();
    c.get_repo("a/one", None).await.expect("repo");
    assert!(
        start.elapsed() < Duration::from_millis(200),
        "{:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hourly_budgets_are_spent_faster_than_even_but_never_exceeded() {
    // Core: 20 per second. Even spacing would take a second for 20; an
    // hourly budget may go 4 times faster, and no further than it allows.
    let mock = Mock::with_limits(&[("core", 20, 1000, 0)]);
    let c = client(&mock, &["t1"]).await;
    let start = Instant::now();
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                c.get_repo(&format!("a/r{i}"), None)
                    .await
                    .map(|_| Instant::now())
            })
        })
        .collect();
    let mut done = Vec::new();
    for t in tasks {
        done.push(t.await.expect("joins").expect("repo").duration_since(start));
    }
    done.sort();
    assert_eq!(mock.refused(), 0);
    assert!(
        done[19] < Duration::from_millis(700),
        "20th at {:?}",
        done[19]
    );
    assert!(
        done[20] >= Duration::from_millis(950),
        "21st at {:?}",
        done[20]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conditional_requests_count_304s() {
    let mock = Mock::default();
    let c = client(&mock, &["t1"]).await;
    let first = c.get_repo("a/one", None).await.expect("200");
    let Conditional::Modified { value, etag } = first else {
        panic!("first answer must be a 200")
    };
    assert_eq!(value.full_name, "a/one");
    assert_eq!(etag.as_deref(), Some("\"v1\""));
    let again = c.get_repo("a/one", etag.as_deref()).await.expect("304");
    assert_eq!(again, Conditional::NotModified);
    assert_eq!(
        mock.0.lock().expect("lock").if_none_match,
        vec!["\"v1\"".to_string()]
    );
    let s = c.stats().resource("core");
    assert_eq!(s.requests, 2);
    assert_eq!(s.not_modified, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_tokens_share_the_load() {
    // 3 searches per 300 ms per token.
    let mock = Mock::with_limits(&[("search", 3, 300, 0)]);
    let c = client(&mock, &["t1", "t2"]).await;
    let start = Instant::now();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move { c.search_repositories(&format!("q{i}"), 1, 10).await })
        })
        .collect();
    for t in tasks {
        t.await.expect("joins").expect("search");
    }
    let elapsed = start.elapsed();
    let per_token = c.stats().requests_per_token;
    assert_eq!(per_token.iter().sum::<u64>(), 12);
    assert!(per_token.iter().all(|n| *n >= 5), "uneven: {per_token:?}");
    assert_eq!(mock.refused(), 0);
    assert!(max_in_window(&mock.times("search"), Duration::from_millis(300)) <= 3);
    // One token alone would need over 3 windows (> 900 ms).
    assert!(elapsed < Duration::from_millis(900), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tarball_follows_the_redirect_and_streams() {
    let mock = Mock::default();
    let c = client(&mock, &["t1"]).await;
    let stream = c.tarball("a/one", "main").await.expect("tarball");
    let chunks: Vec<_> = stream.collect().await;
    let mut total = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        let chunk = chunk.as_ref().expect("chunk");
        assert!(chunk.iter().all(|b| *b == chunk[0]), "chunk {i} mixed");
        total += chunk.len();
    }
    assert_eq!(total, 1024 * 1024);
    assert_eq!(mock.hits("/repos/a/one/tarball/main"), 1);
    assert_eq!(mock.hits("/_download/a/one/main"), 1);
    let s = c.stats();
    assert_eq!(s.resource("core").requests, 1);
    assert_eq!(s.resource("archive").requests, 1);
    assert_eq!(s.resource("archive").bytes, 1024 * 1024);

    // The AsyncRead form reads the same bytes.
    let mut reader = c
        .tarball("a/one", "feature/x")
        .await
        .expect("tarball")
        .into_async_read();
    let mut buf = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut buf)
        .await
        .expect("reads");
    assert_eq!(buf.len(), 1024 * 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archive_429_pauses_archives_only() {
    let mock = Mock::default();
    let c = client(&mock, &["t1"]).await;
    let e = c.tarball("throttled/x", "main").await.expect_err("429");
    match e {
        GithubError::ArchiveThrottled { retry_after } => {
            assert!(retry_after > Duration::from_secs(4) && retry_after <= Duration::from_secs(5))
        }
        other => panic!("expected ArchiveThrottled, got {other:?}"),
    }
    // Archives stay paused, answered at once without asking GitHub...
    let start = Instant::now();
    let e = c.tarball("a/one", "main").await.expect_err("paused");
    assert!(matches!(e, GithubError::ArchiveThrottled { .. }), "{e:?}");
    assert!(start.elapsed() < Duration::from_millis(100));
    assert_eq!(mock.hits("/repos/a/one/tarball/main"), 0);
    // ...while the API goes on.
    c.tree("a/one", "7ree").await.expect("core still works");
    assert_eq!(c.stats().resource("archive").secondary_limit_hits, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_types_are_decode_errors_naming_the_endpoint() {
    let mock = Mock::default();
    let c = client(&mock, &["t1"]).await;
    let e = c
        .get_repo("wrongtype/x", None)
        .await
        .expect_err("wrong type");
    match &e {
        GithubError::Decode { what, detail } => {
            assert!(what.contains("/repos/wrongtype/x"), "{what}");
            assert!(detail.contains("invalid type"), "{detail}");
        }
        other => panic!("expected Decode, got {other:?}"),
    }
    // Valid JSON of the wrong shape is asked for once more, not five times.
    assert_eq!(mock.hits("/repos/wrongtype/x"), 2);

    let e = c
        .search_repositories("broken envelope", 1, 10)
        .await
        .expect_err("bad envelope");
    assert!(
        matches!(e, GithubError::Decode { ref what, .. } if what.contains("/search/repositories")),
        "{e:?}"
    );

    // One odd item does not fail the page.
    let page = c
        .search_repositories("odd item", 1, 10)
        .await
        .expect("page");
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.skipped.len(), 1);
    assert_eq!(page.skipped[0].name.as_deref(), Some("c/odd"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_json_body_is_asked_again() {
    let mock = Mock::default();
    let c = client(&mock, &["t1"]).await;
    let repo = c
        .get_repo("cut/x", None)
        .await
        .expect("second answer is whole");
    assert_eq!(repo.modified().expect("200").full_name, "cut/x");
    assert_eq!(mock.hits("/repos/cut/x"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoints_parse_githubs_shapes() {
    let mock = Mock::default();
    let c = client(&mock, &["t1"]).await;

    let page = c
        .search_repositories("mcp server", 1, 100)
        .await
        .expect("search");
    assert_eq!(page.total_count, 250);
    assert!(page.has_next);
    assert_eq!(page.last_page, Some(3));
    assert_eq!(page.items[0].full_name, "a/one");
    let last = c
        .search_repositories("mcp server", 3, 100)
        .await
        .expect("search");
    assert!(!last.has_next);

    let code = c
        .search_code("modelcontextprotocol filename:package.json", 1, 100)
        .await
        .expect("code");
    assert!(code.incomplete_results);
    assert_eq!(code.items[0].repository.full_name, "a/one");
    assert_eq!(code.items[0].path, "package.json");
    assert_eq!(c.stats().resource("code_search").requests, 1);

    let commit = c.commit("a/one", "main").await.expect("commit");
    assert_eq!(
        (commit.sha.as_str(), commit.tree_sha.as_str()),
        ("c0ffee", "7ree")
    );
    let tree = c.tree("a/one", "7ree").await.expect("tree");
    assert_eq!(tree.entries.len(), 2);
    assert!(tree.entries[1].is_blob());
    assert_eq!(tree.entries[1].size, Some(42));

    assert_eq!(
        c.contents("a/one", "src/index.ts", "main")
            .await
            .expect("file"),
        b"hello world"
    );
    assert_eq!(
        c.contents("a/one", "raw.txt", "main").await.expect("raw"),
        b"raw bytes"
    );
    assert_eq!(
        c.contents("a/one", "big.bin", "main").await.expect("big"),
        b"big file"
    );
    assert!(matches!(
        c.contents("a/one", "../etc", "main").await,
        Err(GithubError::InvalidArgument(_))
    ));
    assert!(matches!(
        c.get_repo("no-slash", None).await,
        Err(GithubError::InvalidArgument(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_configuration_is_refused_clearly() {
    let e = ClientConfig::new("htp:/nowhere", vec![]).expect_err("bad scheme");
    assert!(e.to_string().contains("http"), "{e}");
    let e = ClientConfig::new("", vec![]).expect_err("empty");
    assert!(e.to_string().contains("malformed GitHub URL"), "{e}");
    let mut cfg = ClientConfig::new("http://127.0.0.1:1", vec![]).expect("valid");
    cfg.max_concurrency = 0;
    assert!(matches!(
        GithubClient::new(cfg),
        Err(GithubError::InvalidConfig(_))
    ));
    let cfg = ClientConfig::new("http://127.0.0.1:1", vec![Token::new("a\nb")]).expect("valid");
    assert!(matches!(
        GithubClient::new(cfg),
        Err(GithubError::InvalidConfig(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_is_a_network_error_after_retries() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let mut cfg = config(&format!("http://{addr}"), &["t1"]);
    cfg.max_retries = 1;
    let c = GithubClient::new(cfg).expect("client");
    let e = c.get_repo("a/one", None).await.expect_err("refused");
    assert!(
        matches!(e, GithubError::Network { attempts: 2, .. }),
        "{e:?}"
    );
    assert!(e.is_transient());
}
