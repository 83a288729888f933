//! GitHub App authentication against the simulator (real RS256 JWTs, keys
//! made by `openssl`) and against a fixture that refuses a token.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderMap, Method, Response, Uri};
use axum::Router;
use mcp_survey_ghsim::app_keys::{openssl_key_pair, AppKeyFiles};
use mcp_survey_ghsim::{installation_id, serve, synthetic, AppKey, SimConfig};
use mcp_survey_github::{AppCredentials, ClientConfig, Conditional, GithubClient, GithubError};

fn key_pair(dir: &tempfile::TempDir) -> AppKeyFiles {
    openssl_key_pair(dir.path()).expect("openssl makes a key pair")
}

fn app_client(
    base: &str,
    keys: &AppKeyFiles,
    app_id: u64,
    installation: Option<u64>,
) -> GithubClient {
    let mut config = ClientConfig::new(base, Vec::new()).expect("config");
    config.app =
        Some(AppCredentials::from_pem_file(app_id, &keys.private_key, installation).expect("key"));
    config.backoff_base = Duration::from_millis(10);
    config.backoff_max = Duration::from_millis(50);
    GithubClient::new(config).expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn installation_tokens_are_renewed_before_they_expire() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = key_pair(&dir);
    let corpus = synthetic::generate(4, 5);
    let repo = corpus.repos[0].meta.full_name.clone();
    let config = SimConfig {
        // An hour becomes 1.5 seconds: tokens expire during the test.
        time_scale: 2400.0,
        apps: vec![
            AppKey::parse_spec(&format!("7={}", keys.public_key.display())).expect("public key"),
        ],
        ..SimConfig::default()
    };
    let sim = serve(corpus, config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator");
    let client = app_client(&sim.base_url(), &keys, 7, None);
    let report = client.rate_limit().await.expect("the app authenticates");
    assert!(report.tokens[0].token.contains("GitHub App 7"));
    let started = Instant::now();
    let mut answers = 0;
    while started.elapsed() < Duration::from_secs(4) {
        let got = client.get_repo(&repo, None).await.expect("repository");
        assert!(matches!(got, Conditional::Modified { .. }));
        answers += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stats = sim.stats();
    assert!(answers > 20, "{answers}");
    assert!(
        stats.app.tokens_issued >= 3,
        "tokens were renewed at least twice: {:?}",
        stats.app
    );
    assert_eq!(stats.app.expired_token_requests, 0, "{:?}", stats.app);
    assert_eq!(stats.app.jwt_refusals, 0);
    assert_eq!(stats.requests_by_endpoint["app_installations"], 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_or_installation_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = key_pair(&dir);
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = key_pair(&other_dir);
    let config = SimConfig {
        apps: vec![
            AppKey::parse_spec(&format!("3={}", keys.public_key.display())).expect("public key"),
        ],
        ..SimConfig::default()
    };
    let sim = serve(
        synthetic::generate(2, 1),
        config,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let wrong_key = app_client(&sim.base_url(), &other, 3, None);
    let e = wrong_key
        .rate_limit()
        .await
        .expect_err("signed with another key");
    assert!(matches!(e, GithubError::AppAuth { app_id: 3, .. }), "{e}");
    assert!(e.to_string().contains("--app-private-key"), "{e}");
    let wrong_installation = app_client(&sim.base_url(), &keys, 3, Some(installation_id(3) + 1));
    let e = wrong_installation
        .rate_limit()
        .await
        .expect_err("not installed there");
    assert!(e.to_string().contains("404"), "{e}");
    let right = app_client(&sim.base_url(), &keys, 3, Some(installation_id(3)));
    right
        .rate_limit()
        .await
        .expect("the right key and installation");
    assert_eq!(sim.stats().app.jwt_refusals, 1);
    sim.shutdown().await;
}

#[test]
fn a_key_file_that_is_not_a_key_names_the_file_not_its_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("key.pem");
    std::fs::write(&path, "ghp_not_a_key_at_all").expect("write");
    let e = AppCredentials::from_pem_file(1, &path, None).expect_err("not a key");
    let text = e.to_string();
    assert!(
        text.contains("key.pem") && text.contains("RSA private key"),
        "{text}"
    );
    assert!(!text.contains("ghp_not_a_key_at_all"), "{text}");
    let keys = key_pair(&dir);
    let creds = AppCredentials::from_pem_file(1, &keys.private_key, None).expect("key");
    let pem = std::fs::read_to_string(&keys.private_key).expect("pem");
    let line = pem.lines().nth(1).expect("a body line");
    assert!(!format!("{creds:?}").contains(line));
}

/// A server that issues tokens `ghs_1`, `ghs_2`, ... and refuses every
/// token below `accept_from` with 401 Bad credentials.
async fn refusing_server(accept_from: u32) -> (String, Arc<AtomicU32>) {
    let issued = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&issued);
    let app = Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap| {
        let counter = Arc::clone(&counter);
        async move {
            let json = |status: u16, body: serde_json::Value| {
                Response::builder()
                    .status(status)
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .expect("response")
            };
            if method == Method::POST && uri.path() == "/app/installations/9/access_tokens" {
                let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                let expires = chrono::Utc::now() + chrono::Duration::hours(1);
                return json(201, serde_json::json!({"token": format!("ghs_{n}"), "expires_at": expires.to_rfc3339(), "permissions": {"metadata": "read"}}));
            }
            let token = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Bearer ghs_"))
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(0);
            if token < accept_from {
                return json(401, serde_json::json!({"message": "Bad credentials"}));
            }
            json(200, serde_json::json!({"resources": {"core": {"limit": 5000, "remaining": 4999, "reset": 4102444800u64, "used": 1}}}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, issued)
}

#[tokio::test]
async fn a_refused_installation_token_is_replaced_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = key_pair(&dir);
    let (base, issued) = refusing_server(2).await;
    let client = app_client(&base, &keys, 9, Some(9));
    client
        .rate_limit()
        .await
        .expect("the second token is accepted");
    assert_eq!(issued.load(Ordering::SeqCst), 2);

    let (base, issued) = refusing_server(u32::MAX).await;
    let client = app_client(&base, &keys, 9, Some(9));
    let e = client.rate_limit().await.expect_err("every token refused");
    assert!(matches!(e, GithubError::BadCredentials { .. }), "{e}");
    assert!(e.to_string().contains("GitHub App 9"), "{e}");
    assert_eq!(issued.load(Ordering::SeqCst), 2, "one renewal, not a loop");
}
