//! The harvest against GitHub's real search behaviour, served by a small
//! fixture on 127.0.0.1: pages that come back short or `incomplete_results`
//! while the `Link` header names the next one, and a code-search hit whose
//! repository is blocked. Each test asserts what ends up stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{Response, Uri};
use axum::Router;
use mcp_survey_github::{ClientConfig, GithubClient, Token};
use mcp_survey_harvest::{harvest, HarvestOptions, SeedFile};
use mcp_survey_store::testing::TestDb;
use serde_json::{json, Value};

type Answer =
    Arc<dyn Fn(&str, &HashMap<String, String>, usize, &str) -> Response<Body> + Send + Sync>;

#[derive(Clone)]
struct Fixture {
    /// How often each path and query was asked.
    asked: Arc<Mutex<HashMap<String, usize>>>,
    answer: Answer,
    base: Arc<Mutex<String>>,
}

async fn handle(State(f): State<Fixture>, uri: Uri) -> Response<Body> {
    let params: HashMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let key = format!("{}?{}", uri.path(), uri.query().unwrap_or_default());
    let nth = {
        let mut asked = f.asked.lock().expect("lock");
        let n = asked.entry(key).or_default();
        *n += 1;
        *n - 1
    };
    let base = f.base.lock().expect("lock").clone();
    (f.answer)(uri.path(), &params, nth, &base)
}

async fn serve(
    answer: impl Fn(&str, &HashMap<String, String>, usize, &str) -> Response<Body>
        + Send
        + Sync
        + 'static,
) -> (Fixture, GithubClient) {
    let f = Fixture {
        asked: Arc::default(),
        answer: Arc::new(answer),
        base: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    *f.base.lock().expect("lock") = base.clone();
    let app = Router::new().fallback(handle).with_state(f.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let mut c = ClientConfig::new(&base, vec![Token::new("ghp_fixture")]).expect("config");
    c.backoff_base = Duration::from_millis(10);
    c.backoff_max = Duration::from_millis(50);
    c.secondary_min_wait = Duration::from_millis(100);
    c.archive_min_interval = Duration::ZERO;
    (f, GithubClient::new(c).expect("client"))
}

fn json_answer(resource: &str, body: &Value, link: Option<String>) -> Response<Body> {
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 60;
    let mut b = Response::builder()
        .status(200)
        .header("content-type", "application/json; charset=utf-8")
        .header("x-ratelimit-limit", "5000")
        .header("x-ratelimit-remaining", "4000")
        .header("x-ratelimit-reset", reset.to_string())
        .header("x-ratelimit-resource", resource);
    if let Some(l) = link {
        b = b.header("link", l);
    }
    b.body(Body::from(body.to_string())).expect("response")
}

fn status(code: u16, body: Value) -> Response<Body> {
    Response::builder()
        .status(code)
        .header("content-type", "application/json; charset=utf-8")
        .body(Body::from(body.to_string()))
        .expect("response")
}

fn repo(id: i64) -> Value {
    json!({
        "id": id, "node_id": format!("R_{id}"), "name": format!("r{id}"), "full_name": format!("o/r{id}"),
        "private": false, "owner": {"login": "o", "id": 1, "type": "Organization"},
        "description": null, "fork": false, "created_at": "2025-01-02T03:04:05Z",
        "updated_at": "2025-01-02T03:04:05Z", "pushed_at": null, "homepage": null, "size": 0,
        "stargazers_count": 0, "watchers_count": 0, "language": null, "forks_count": 0,
        "archived": false, "disabled": false, "license": null, "topics": [],
        "visibility": "public", "default_branch": "main", "score": 1.25
    })
}

/// GitHub's Link header for `page` of `last`, per_page 100.
fn link(
    base: &str,
    path: &str,
    params: &HashMap<String, String>,
    page: usize,
    last: usize,
) -> Option<String> {
    if page >= last {
        return None;
    }
    let url = |p: usize| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        s.append_pair("q", params.get("q").map(String::as_str).unwrap_or(""));
        s.append_pair("per_page", "100");
        s.append_pair("page", &p.to_string());
        format!("<{base}{path}?{}>", s.finish())
    };
    Some(format!(
        "{}; rel=\"next\", {}; rel=\"last\"",
        url(page + 1),
        url(last)
    ))
}

fn seeds(endpoint: &str, q: &str) -> SeedFile {
    let text = format!(
        "version = 1\n[[query]]\nname = \"q\"\nendpoint = \"{endpoint}\"\nq = {q:?}\nreason = \"test\"\n"
    );
    SeedFile::parse(&text, "test.toml").expect("valid seeds")
}

fn options() -> HarvestOptions {
    let mut o = HarvestOptions::new("shapes-test");
    o.recheck_delay = Duration::from_millis(50);
    o
}

async fn run_id(db: &TestDb, base: &str) -> i64 {
    db.store
        .create_run("shapes", base, "test")
        .await
        .expect("run")
        .id
}

/// 250 results over three pages; page 1 first comes back with three items
/// missing and `incomplete_results: true`, or (`flag` false) just short,
/// every time (`always`) or only the first time.
async fn three_pages(flag: bool, always: bool) -> (i64, mcp_survey_harvest::HarvestStats, TestDb) {
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let (_, client) = serve(move |path, params, nth, base| {
        if path != "/search/repositories" {
            return status(404, json!({"message": "Not Found"}));
        }
        let page: usize = params.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let ids: Vec<i64> = match page {
            1 => (1..=100).collect(),
            2 => (101..=200).collect(),
            3 => (201..=250).collect(),
            _ => Vec::new(),
        };
        let degraded = page == 1 && (always || nth == 0);
        let items: Vec<Value> = ids
            .iter()
            .filter(|id| !(degraded && [10, 20, 30].contains(*id)))
            .map(|id| repo(*id))
            .collect();
        json_answer(
            "search",
            &json!({"total_count": 250, "incomplete_results": degraded && flag, "items": items}),
            link(base, path, params, page, 3),
        )
    })
    .await;
    let run = run_id(&db, client.config().base_url.as_str()).await;
    let stats = harvest(
        &db.store,
        &client,
        run,
        &seeds("repositories", "mcp"),
        &options(),
    )
    .await
    .expect("harvest");
    (run, stats, db)
}

#[tokio::test]
async fn an_incomplete_first_page_is_asked_again_and_nothing_is_lost() {
    let (run, stats, db) = three_pages(true, false).await;
    assert_eq!(stats.repositories_found, 250, "{stats:?}");
    assert_eq!(
        db.store.run_repository_count(run).await.expect("count"),
        250
    );
    let c = &stats.search_completeness;
    assert_eq!(c.incomplete_pages, 1, "{c:?}");
    assert_eq!(c.pages_retried, 1, "{c:?}");
    assert_eq!(c.unresolved_pages, 0, "{c:?}");
    assert!(stats.failed_slices.is_empty());
    db.drop_db().await.expect("drop");
}

#[tokio::test]
async fn a_short_page_does_not_end_the_slice() {
    let (run, stats, db) = three_pages(false, false).await;
    assert_eq!(
        db.store.run_repository_count(run).await.expect("count"),
        250
    );
    let c = &stats.search_completeness;
    assert_eq!(c.short_pages, 1, "{c:?}");
    assert_eq!(c.incomplete_pages, 0, "{c:?}");
    assert_eq!(c.pages_retried, 1, "{c:?}");
    db.drop_db().await.expect("drop");
}

#[tokio::test]
async fn a_page_short_every_time_is_reported_unresolved() {
    let (run, stats, db) = three_pages(true, true).await;
    // Pages 2 and 3 are read in full: only page 1's three items are missing.
    assert_eq!(
        db.store.run_repository_count(run).await.expect("count"),
        247
    );
    let c = &stats.search_completeness;
    assert_eq!(c.unresolved_pages, 1, "{c:?}");
    assert_eq!(c.pages_retried, 3, "three rounds: {c:?}");
    assert_eq!(c.incomplete_pages, 4, "{c:?}");
    assert_eq!(c.unresolved_slices.len(), 1);
    assert!(c.unresolved_slices[0].contains("(pages 1)"), "{c:?}");
    assert_eq!(stats.slices.done, 1);
    db.drop_db().await.expect("drop");
}

#[tokio::test]
async fn a_blocked_code_search_hit_is_gone_and_its_page_is_kept() {
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let (_, client) = serve(|path, _params, _nth, _base| match path {
        "/search/code" => {
            let hit = |id: i64, name: &str| {
                json!({"name": "package.json", "path": "package.json", "sha": format!("s{id}"),
                       "url": "https://api.github.com/x", "git_url": "https://api.github.com/y",
                       "html_url": "https://github.com/z", "score": 1.0,
                       "repository": {"id": id, "node_id": "R", "name": name, "full_name": format!("o/{name}"),
                                      "private": false, "owner": {"login": "o", "id": 1, "type": "User"},
                                      "html_url": "https://github.com/o", "description": null, "fork": false,
                                      "url": "https://api.github.com/repos/o"}})
            };
            json_answer(
                "code_search",
                &json!({"total_count": 3, "incomplete_results": false,
                        "items": [hit(1, "r1"), hit(2, "blocked"), hit(3, "r3")]}),
                None,
            )
        }
        "/repos/o/r1" => json_answer("core", &repo(1), None),
        "/repos/o/r3" => json_answer("core", &repo(3), None),
        "/repos/o/blocked" => status(
            403,
            json!({"message": "Repository access blocked",
                   "block": {"reason": "tos", "created_at": "2024-08-20T14:03:11Z", "html_url": null}}),
        ),
        _ => status(404, json!({"message": "Not Found"})),
    })
    .await;
    let run = run_id(&db, client.config().base_url.as_str()).await;
    let stats = harvest(
        &db.store,
        &client,
        run,
        &seeds("code", "mcp filename:package.json"),
        &options(),
    )
    .await
    .expect("harvest completes");
    assert!(stats.failed_slices.is_empty(), "{stats:?}");
    assert_eq!(stats.gone_hits, 1);
    assert_eq!(db.store.run_repository_count(run).await.expect("count"), 2);
    assert_eq!(
        db.store.gone_hits(run).await.expect("gone"),
        vec![("o/blocked".to_string(), "blocked".to_string())]
    );
    db.drop_db().await.expect("drop");
}
