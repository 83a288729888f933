//! Contract tests: GitHub's real response shapes, written from GitHub's REST
//! documentation (docs.github.com/rest: search, repos, git trees, contents,
//! rate limits, archives) and from behaviour observed on api.github.com,
//! field by field with their nullability. Each case serves one recorded
//! shape from a small fixture server on 127.0.0.1 and runs the real client
//! against it.
//!
//! The fixtures send only what GitHub sends: no simulator headers, whole
//! seconds in `x-ratelimit-reset` and `Retry-After`, no `Retry-After` on
//! some secondary limits, no rate-limit headers from the download host.

// GitHub's repository object has more fields than `json!` expands by default.
#![recursion_limit = "256"]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, Response, Uri};
use axum::Router;
use futures::StreamExt;
use mcp_survey_github::{ClientConfig, Conditional, GithubClient, GithubError, Token};
use serde_json::{json, Value};

/// One request as the fixture saw it.
#[derive(Debug, Clone)]
struct Seen {
    path: String,
    query: String,
    host: String,
    authorized: bool,
    if_none_match: Option<String>,
    /// How many requests for this path came before this one.
    nth: usize,
}

type Answer = Arc<dyn Fn(&Seen, &str) -> Response<Body> + Send + Sync>;

#[derive(Clone)]
struct Fixture {
    log: Arc<Mutex<Vec<Seen>>>,
    answer: Answer,
    /// `http://127.0.0.1:PORT`; the same listener answers as
    /// `http://localhost:PORT`, the "other host" of archive downloads.
    base: Arc<Mutex<String>>,
}

impl Fixture {
    fn seen(&self) -> Vec<Seen> {
        self.log.lock().expect("lock").clone()
    }

    fn count(&self, path: &str) -> usize {
        self.seen().iter().filter(|s| s.path == path).count()
    }
}

async fn handle(State(f): State<Fixture>, uri: Uri, headers: HeaderMap) -> Response<Body> {
    let text = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let seen = {
        let mut log = f.log.lock().expect("lock");
        let nth = log.iter().filter(|s| s.path == uri.path()).count();
        let seen = Seen {
            path: uri.path().to_string(),
            query: uri.query().unwrap_or_default().to_string(),
            host: text("host").unwrap_or_default(),
            authorized: headers.contains_key("authorization"),
            if_none_match: text("if-none-match"),
            nth,
        };
        log.push(seen.clone());
        seen
    };
    let base = f.base.lock().expect("lock").clone();
    (f.answer)(&seen, &base)
}

/// Serves `answer(request, base_url)` on 127.0.0.1 and returns a client for it.
async fn fixture(
    answer: impl Fn(&Seen, &str) -> Response<Body> + Send + Sync + 'static,
) -> (Fixture, GithubClient) {
    let fixture = Fixture {
        log: Arc::default(),
        answer: Arc::new(answer),
        base: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let base = format!("http://{addr}");
    *fixture.base.lock().expect("lock") = base.clone();
    let app = Router::new().fallback(handle).with_state(fixture.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut c = ClientConfig::new(&base, vec![Token::new("ghp_contract")]).expect("config");
    c.backoff_base = Duration::from_millis(10);
    c.backoff_max = Duration::from_millis(50);
    c.secondary_min_wait = Duration::from_millis(300);
    c.archive_min_interval = Duration::ZERO;
    c.max_retries = 2;
    let client = GithubClient::new(c).expect("client");
    (fixture, client)
}

fn epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A JSON answer with GitHub's headers: the resource's real limit and
/// window, the reset in whole epoch seconds. `remaining` is capped by the
/// limit.
fn github(status: u16, resource: &str, remaining: u64, body: &Value) -> Response<Body> {
    let (limit, window) = match resource {
        "search" => (30, 60),
        "code_search" => (10, 60),
        _ => (5000, 3600),
    };
    let remaining = remaining.min(limit);
    Response::builder()
        .status(status)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-github-api-version-selected", "2022-11-28")
        .header("x-ratelimit-limit", limit.to_string())
        .header("x-ratelimit-remaining", remaining.to_string())
        .header("x-ratelimit-used", (limit - remaining).to_string())
        .header("x-ratelimit-reset", (epoch() + window).to_string())
        .header("x-ratelimit-resource", resource)
        .body(Body::from(body.to_string()))
        .expect("response")
}

fn ok(resource: &str, body: &Value) -> Response<Body> {
    github(200, resource, 4999, body)
}

fn not_found() -> Response<Body> {
    github(
        404,
        "core",
        4999,
        &json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"}),
    )
}

/// GitHub's full repository object (`GET /repos/{owner}/{repo}`) with every
/// nullable field null: a fresh repository of an organisation, never pushed
/// to, with no description, language, license or homepage, and size 0.
fn bare_org_repo(id: i64, full_name: &str) -> Value {
    let (owner, name) = full_name.split_once('/').expect("OWNER/NAME");
    json!({
        "id": id,
        "node_id": "R_kgDOLcontract",
        "name": name,
        "full_name": full_name,
        "private": false,
        "owner": {
            "login": owner, "id": 9919, "node_id": "O_kgDOABCD", "avatar_url": "https://avatars.githubusercontent.com/u/9919?v=4",
            "gravatar_id": "", "url": format!("https://api.github.com/users/{owner}"),
            "html_url": format!("https://github.com/{owner}"), "type": "Organization",
            "user_view_type": "public", "site_admin": false
        },
        "html_url": format!("https://github.com/{full_name}"),
        "description": null,
        "fork": false,
        "url": format!("https://api.github.com/repos/{full_name}"),
        "created_at": "2025-03-04T05:06:07Z",
        "updated_at": "2025-03-04T05:06:07Z",
        "pushed_at": null,
        "git_url": format!("git://github.com/{full_name}.git"),
        "ssh_url": format!("git@github.com:{full_name}.git"),
        "clone_url": format!("https://github.com/{full_name}.git"),
        "svn_url": format!("https://github.com/{full_name}"),
        "homepage": null,
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": null,
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": true,
        "has_pages": false,
        "has_discussions": false,
        "forks_count": 0,
        "mirror_url": null,
        "archived": false,
        "disabled": false,
        "open_issues_count": 0,
        "license": null,
        "allow_forking": true,
        "is_template": false,
        "web_commit_signoff_required": false,
        "topics": [],
        "visibility": "public",
        "forks": 0,
        "open_issues": 0,
        "watchers": 0,
        "default_branch": "main",
        "temp_clone_token": null,
        "network_count": 0,
        "subscribers_count": 1
    })
}

/// A repository as search lists it: the full object plus a float `score`,
/// with a license object and a homepage that is an empty string.
fn search_item(id: i64, full_name: &str, score: f64) -> Value {
    let mut v = bare_org_repo(id, full_name);
    let o = v.as_object_mut().expect("object");
    for k in ["temp_clone_token", "network_count", "subscribers_count"] {
        o.remove(k);
    }
    o.insert("score".into(), json!(score));
    o.insert("description".into(), json!("An MCP server"));
    o.insert("language".into(), json!("TypeScript"));
    o.insert("homepage".into(), json!(""));
    o.insert("pushed_at".into(), json!("2025-06-01T10:00:00Z"));
    o.insert("size".into(), json!(1234));
    o.insert(
        "license".into(),
        json!({"key": "mit", "name": "MIT License", "spdx_id": "MIT", "url": "https://api.github.com/licenses/mit", "node_id": "MDc6TGljZW5zZTEz"}),
    );
    v
}

fn link(base: &str, path: &str, q: &str, next: u32, last: u32) -> String {
    let enc = |p: u32| format!("<{base}{path}?q={q}&per_page=100&page={p}>");
    format!("{}; rel=\"next\", {}; rel=\"last\"", enc(next), enc(last))
}

// ----- repository objects -------------------------------------------------

#[tokio::test]
async fn repository_object_with_every_nullable_field_null() {
    let (_, client) = fixture(|s, _| match s.path.as_str() {
        "/repos/acme-org/fresh" => ok("core", &bare_org_repo(77, "acme-org/fresh")),
        _ => not_found(),
    })
    .await;
    let got = client
        .get_repo("acme-org/fresh", None)
        .await
        .expect("a repository with nulls is read")
        .modified()
        .expect("200");
    assert_eq!(got.id, 77);
    assert_eq!(got.full_name, "acme-org/fresh");
    assert_eq!(got.description, None);
    assert_eq!(got.language, None);
    assert_eq!(got.pushed_at, None);
    assert_eq!(got.size, 0);
    assert_eq!(got.default_branch, "main");
    assert!(got.topics.is_empty());
}

#[tokio::test]
async fn search_items_with_float_scores_licenses_and_org_owners() {
    let (_, client) = fixture(|s, _| match s.path.as_str() {
        "/search/repositories" => ok(
            "search",
            &json!({"total_count": 2, "incomplete_results": false, "items": [
                search_item(1, "acme-org/one", 41.723_41),
                search_item(2, "acme-org/two", 1.0e-3),
            ]}),
        ),
        _ => not_found(),
    })
    .await;
    let page = client
        .search_repositories("mcp", 1, 100)
        .await
        .expect("search");
    assert_eq!(page.total_count, 2);
    assert!(!page.incomplete_results);
    assert_eq!(page.items.len(), 2, "skipped: {:?}", page.skipped);
    assert!(page.skipped.is_empty());
    assert_eq!(page.items[0].language.as_deref(), Some("TypeScript"));
    assert!(!page.has_next);
}

#[tokio::test]
async fn an_item_of_the_wrong_shape_is_skipped_and_counted() {
    let (_, client) = fixture(|s, _| match s.path.as_str() {
        "/search/repositories" => {
            let mut bad = search_item(3, "acme-org/odd", 2.5);
            bad["id"] = json!("not-a-number");
            ok(
                "search",
                &json!({"total_count": 2, "incomplete_results": false,
                        "items": [search_item(1, "acme-org/one", 3.5), bad]}),
            )
        }
        _ => not_found(),
    })
    .await;
    let page = client
        .search_repositories("mcp", 1, 100)
        .await
        .expect("search");
    assert_eq!(page.items.len(), 1);
    assert_eq!(page.skipped.len(), 1);
    assert_eq!(page.skipped[0].name.as_deref(), Some("acme-org/odd"));
}

// ----- search paging --------------------------------------------------------

#[tokio::test]
async fn incomplete_results_and_a_short_page_that_names_a_next_one() {
    // GitHub's search timed out: 97 of 100 items, `incomplete_results`, and
    // still a Link to page 2 of 3.
    let (_, client) = fixture(|s, base| match s.path.as_str() {
        "/search/repositories" => {
            let items: Vec<Value> = (0..97)
                .map(|i| search_item(100 + i, &format!("o/r{i}"), 1.5))
                .collect();
            let mut r = ok(
                "search",
                &json!({"total_count": 250, "incomplete_results": true, "items": items}),
            );
            let l = link(base, "/search/repositories", "mcp", 2, 3);
            r.headers_mut()
                .insert("link", l.parse().expect("header value"));
            r
        }
        _ => not_found(),
    })
    .await;
    let page = client
        .search_repositories("mcp", 1, 100)
        .await
        .expect("search");
    assert!(page.incomplete_results);
    assert_eq!(page.items.len(), 97);
    assert!(
        page.has_next,
        "the Link header, not the item count, says more"
    );
    assert_eq!(page.last_page, Some(3));
}

#[tokio::test]
async fn past_the_thousandth_result_is_a_validation_error() {
    let (f, client) = fixture(|s, _| match s.path.as_str() {
        "/search/code" => github(
            422,
            "code_search",
            9,
            &json!({"message": "Only the first 1000 search results are available",
                    "documentation_url": "https://docs.github.com/v3/search/", "status": "422"}),
        ),
        _ => not_found(),
    })
    .await;
    let e = client
        .search_code("mcp filename:go.mod", 11, 100)
        .await
        .expect_err("422");
    assert!(
        matches!(&e, GithubError::Validation { message, .. } if message.contains("first 1000")),
        "{e:?}"
    );
    assert_eq!(f.count("/search/code"), 1, "a 422 is never retried");
}

// ----- limits --------------------------------------------------------------

fn secondary(retry_after: Option<&str>) -> Response<Body> {
    let mut r = github(
        403,
        "search",
        25,
        &json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 1234:5678.",
                "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                "status": "403"}),
    );
    if let Some(v) = retry_after {
        r.headers_mut()
            .insert("retry-after", v.parse().expect("header value"));
    }
    r
}

#[tokio::test]
async fn secondary_limit_with_retry_after_waits_that_long() {
    let (f, client) = fixture(|s, _| match (s.path.as_str(), s.nth) {
        ("/search/repositories", 0) => secondary(Some("1")),
        ("/search/repositories", _) => ok(
            "search",
            &json!({"total_count": 0, "incomplete_results": false, "items": []}),
        ),
        _ => not_found(),
    })
    .await;
    let start = Instant::now();
    client
        .search_repositories("mcp", 1, 100)
        .await
        .expect("retried after the wait");
    assert!(
        start.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 honoured, waited {:?}",
        start.elapsed()
    );
    assert_eq!(f.count("/search/repositories"), 2);
    assert_eq!(client.stats().resource("search").secondary_limit_hits, 1);
}

#[tokio::test]
async fn secondary_limit_without_retry_after_backs_off_on_its_own() {
    let (f, client) = fixture(|s, _| match (s.path.as_str(), s.nth) {
        ("/search/repositories", 0) => secondary(None),
        ("/search/repositories", _) => ok(
            "search",
            &json!({"total_count": 0, "incomplete_results": false, "items": []}),
        ),
        _ => not_found(),
    })
    .await;
    let start = Instant::now();
    client
        .search_repositories("mcp", 1, 100)
        .await
        .expect("retried after the client's own wait");
    // The configured minimum (a minute on GitHub, 300 ms here).
    assert!(start.elapsed() >= Duration::from_millis(290));
    assert_eq!(f.count("/search/repositories"), 2);
}

// ----- gone repositories -----------------------------------------------------

#[tokio::test]
async fn access_blocked_is_a_gone_repository_not_a_permission_error() {
    let (f, client) = fixture(|s, _| match s.path.as_str() {
        "/repos/someone/blocked" => github(
            403,
            "core",
            4990,
            &json!({"message": "Repository access blocked",
                    "block": {"reason": "tos", "created_at": "2024-08-20T14:03:11Z", "html_url": null},
                    "documentation_url": "https://docs.github.com/rest", "status": "403"}),
        ),
        _ => not_found(),
    })
    .await;
    let e = client
        .get_repo("someone/blocked", None)
        .await
        .expect_err("blocked");
    assert!(
        matches!(&e, GithubError::Blocked { reason, .. } if reason == "tos"),
        "{e:?}"
    );
    assert!(e.is_repository_gone());
    assert!(!e.is_transient());
    assert_eq!(f.count("/repos/someone/blocked"), 1, "never retried");
}

#[tokio::test]
async fn unavailable_for_legal_reasons_is_gone() {
    let (_, client) = fixture(|s, _| match s.path.as_str() {
        "/repos/someone/dmca" => github(
            451,
            "core",
            4990,
            &json!({"message": "Repository access blocked",
                    "block": {"reason": "dmca", "created_at": "2023-01-01T00:00:00Z",
                              "html_url": "https://github.com/github/dmca/blob/master/2023/01/2023-01-01-x.md"}}),
        ),
        _ => not_found(),
    })
    .await;
    let e = client
        .get_repo("someone/dmca", None)
        .await
        .expect_err("451");
    assert!(matches!(e, GithubError::Unavailable451 { .. }), "{e:?}");
    assert!(e.is_repository_gone());
}

#[tokio::test]
async fn a_renamed_repository_answers_301_and_is_followed() {
    let (_, client) = fixture(|s, base| match s.path.as_str() {
        "/repos/old-owner/old-name" => Response::builder()
            .status(301)
            .header("location", format!("{base}/repositories/4242"))
            .header("content-type", "application/json; charset=utf-8")
            .body(Body::from(
                json!({"message": "Moved Permanently", "url": format!("{base}/repositories/4242"),
                       "documentation_url": "https://docs.github.com/v3/#http-redirects"})
                .to_string(),
            ))
            .expect("response"),
        "/repositories/4242" => ok("core", &bare_org_repo(4242, "new-owner/new-name")),
        _ => not_found(),
    })
    .await;
    let got = client
        .get_repo("old-owner/old-name", None)
        .await
        .expect("followed")
        .modified()
        .expect("200");
    assert_eq!(got.id, 4242);
    assert_eq!(got.full_name, "new-owner/new-name");
}

#[tokio::test]
async fn not_modified_has_no_body() {
    let (f, client) = fixture(|s, _| match s.path.as_str() {
        "/repos/acme-org/fresh" if s.if_none_match.is_some() => Response::builder()
            .status(304)
            .header("etag", "\"abc\"")
            .header("x-ratelimit-limit", "5000")
            .header("x-ratelimit-remaining", "4999")
            .header("x-ratelimit-reset", (epoch() + 3600).to_string())
            .header("x-ratelimit-resource", "core")
            .body(Body::empty())
            .expect("response"),
        "/repos/acme-org/fresh" => {
            let mut r = ok("core", &bare_org_repo(77, "acme-org/fresh"));
            r.headers_mut()
                .insert("etag", "\"abc\"".parse().expect("header"));
            r
        }
        _ => not_found(),
    })
    .await;
    let first = client.get_repo("acme-org/fresh", None).await.expect("200");
    let Conditional::Modified { etag, .. } = first else {
        panic!("first answer is a 200");
    };
    let etag = etag.expect("GitHub sends an ETag with a repository");
    let again = client
        .get_repo("acme-org/fresh", Some(&etag))
        .await
        .expect("304 read");
    assert_eq!(again, Conditional::NotModified);
    assert_eq!(f.seen()[1].if_none_match.as_deref(), Some("\"abc\""));
    assert_eq!(client.stats().resource("core").not_modified, 1);
}

// ----- trees and contents ------------------------------------------------------

#[tokio::test]
async fn a_truncated_tree_with_a_submodule_and_a_symlink() {
    let (_, client) = fixture(|s, _| match s.path.as_str() {
        "/repos/o/r/git/trees/t1" => ok(
            "core",
            &json!({"sha": "t1", "url": "https://api.github.com/repos/o/r/git/trees/t1", "truncated": true, "tree": [
                {"path": "README.md", "mode": "100644", "type": "blob", "sha": "a1", "size": 30, "url": "https://api.github.com/repos/o/r/git/blobs/a1"},
                {"path": "src", "mode": "040000", "type": "tree", "sha": "b2", "url": "https://api.github.com/repos/o/r/git/trees/b2"},
                {"path": "src/index.ts", "mode": "100755", "type": "blob", "sha": "c3", "size": 120, "url": "https://api.github.com/repos/o/r/git/blobs/c3"},
                {"path": "package.json", "mode": "120000", "type": "blob", "sha": "d4", "size": 17, "url": "https://api.github.com/repos/o/r/git/blobs/d4"},
                {"path": "vendor/sdk", "mode": "160000", "type": "commit", "sha": "e5"}
            ]}),
        ),
        _ => not_found(),
    })
    .await;
    let tree = client.tree("o/r", "t1").await.expect("tree");
    assert!(tree.truncated);
    assert_eq!(tree.entries.len(), 5);
    let by = |p: &str| {
        tree.entries
            .iter()
            .find(|e| e.path == p)
            .expect("entry present")
    };
    assert!(by("README.md").is_file());
    assert!(by("src/index.ts").is_file(), "executable files are files");
    assert!(!by("src").is_file());
    let link = by("package.json");
    assert!(link.is_blob() && link.is_symlink() && !link.is_file());
    let sub = by("vendor/sdk");
    assert!(sub.is_submodule() && !sub.is_file());
    assert_eq!(sub.size, None);
}

fn contents_entry(kind: &str, path: &str, sha: &str, size: u64) -> Value {
    let url = format!("https://api.github.com/repos/o/r/contents/{path}?ref=main");
    json!({
        "type": kind, "name": path.rsplit('/').next().unwrap_or(path), "path": path, "sha": sha, "size": size,
        "url": url, "html_url": format!("https://github.com/o/r/blob/main/{path}"),
        "git_url": format!("https://api.github.com/repos/o/r/git/blobs/{sha}"),
        "download_url": format!("https://raw.githubusercontent.com/o/r/main/{path}"),
        "_links": {"self": url, "git": format!("https://api.github.com/repos/o/r/git/blobs/{sha}"),
                   "html": format!("https://github.com/o/r/blob/main/{path}")}
    })
}

#[tokio::test]
async fn contents_of_a_symlink_or_submodule_are_not_file_bytes() {
    let (_, client) = fixture(|s, _| match s.path.as_str() {
        // A symlink whose target is not a file of the repository.
        "/repos/o/r/contents/config.json" => {
            let mut v = contents_entry("symlink", "config.json", "d4", 23);
            v["target"] = json!("/etc/mcp/config.json");
            ok("core", &v)
        }
        "/repos/o/r/contents/vendor/sdk" => {
            let mut v = contents_entry("submodule", "vendor/sdk", "e5", 0);
            v["submodule_git_url"] = json!("git://github.com/acme/sdk.git");
            v["download_url"] = Value::Null;
            ok("core", &v)
        }
        // A symlink to a file of the repository: GitHub sends that file.
        "/repos/o/r/contents/README" => {
            let mut v = contents_entry("file", "README.md", "a1", 6);
            v["content"] = json!("aGVsbG8K\n");
            v["encoding"] = json!("base64");
            ok("core", &v)
        }
        _ => not_found(),
    })
    .await;
    let link = client
        .contents("o/r", "config.json", "main")
        .await
        .expect_err("a symlink is no file");
    assert!(
        matches!(&link, GithubError::NotAFile { kind, .. } if kind == "symlink"),
        "{link:?}"
    );
    let sub = client
        .contents("o/r", "vendor/sdk", "main")
        .await
        .expect_err("a submodule is no file");
    assert!(
        matches!(&sub, GithubError::NotAFile { kind, .. } if kind == "submodule"),
        "{sub:?}"
    );
    let followed = client
        .contents("o/r", "README", "main")
        .await
        .expect("the link's target file");
    assert_eq!(followed, b"hello\n");
}

// ----- archives --------------------------------------------------------------

fn tiny_tarball() -> Vec<u8> {
    use flate2::write::GzEncoder;
    let mut b = tar::Builder::new(GzEncoder::new(Vec::new(), flate2::Compression::fast()));
    let mut h = tar::Header::new_gnu();
    h.set_size(5);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "o-r-abc1234/README.md", &b"hello"[..])
        .expect("entry");
    b.into_inner().expect("tar").finish().expect("gzip")
}

#[tokio::test]
async fn archive_redirects_to_another_host_that_sends_no_rate_limit_headers() {
    let archive = tiny_tarball();
    let (f, client) = fixture(move |s, base| match s.path.as_str() {
        "/repos/o/r/tarball/main" => {
            let other = base.replace("127.0.0.1", "localhost");
            Response::builder()
                .status(302)
                .header(
                    "location",
                    format!("{other}/codeload/o/r/legacy.tar.gz/refs/heads/main"),
                )
                .header("x-ratelimit-limit", "5000")
                .header("x-ratelimit-remaining", "4990")
                .header("x-ratelimit-reset", (epoch() + 3600).to_string())
                .header("x-ratelimit-resource", "core")
                .body(Body::empty())
                .expect("response")
        }
        "/codeload/o/r/legacy.tar.gz/refs/heads/main" => Response::builder()
            .status(200)
            .header("content-type", "application/x-gzip")
            .header(
                "content-disposition",
                "attachment; filename=o-r-abc1234.tar.gz",
            )
            .body(Body::from(archive.clone()))
            .expect("response"),
        _ => not_found(),
    })
    .await;
    let stream = client
        .tarball("o/r", "main")
        .await
        .expect("redirect followed");
    let chunks: Vec<_> = stream.collect().await;
    let mut body = Vec::new();
    for chunk in chunks {
        body.extend_from_slice(&chunk.expect("chunk"));
    }
    assert_eq!(body, tiny_tarball());
    let seen = f.seen();
    let download = seen
        .iter()
        .find(|s| s.path.starts_with("/codeload/"))
        .expect("download requested");
    assert!(download.host.starts_with("localhost:"), "{download:?}");
    assert!(
        !download.authorized,
        "the token goes to the API's host only, never to the download host"
    );
    assert!(download.query.is_empty());
    assert!(seen[0].authorized);
}

#[tokio::test]
async fn a_secondary_limit_from_the_download_host_throttles_archives() {
    // Neither Retry-After nor rate-limit headers: still a limit, not a
    // refusal of this repository.
    let (_, client) = fixture(|s, base| match s.path.as_str() {
        "/repos/o/r/tarball/main" => Response::builder()
            .status(302)
            .header(
                "location",
                format!(
                    "{}/codeload/o/r/legacy.tar.gz/refs/heads/main",
                    base.replace("127.0.0.1", "localhost")
                ),
            )
            .body(Body::empty())
            .expect("response"),
        "/codeload/o/r/legacy.tar.gz/refs/heads/main" => Response::builder()
            .status(403)
            .header("content-type", "application/json; charset=utf-8")
            .body(Body::from(
                json!({"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."})
                    .to_string(),
            ))
            .expect("response"),
        _ => not_found(),
    })
    .await;
    let e = client.tarball("o/r", "main").await.expect_err("throttled");
    assert!(matches!(e, GithubError::ArchiveThrottled { .. }), "{e:?}");
    assert!(e.is_transient());
}
