//! The GitHub App flow as GitHub enforces it: an RS256 JWT signed with the
//! app's key, `iat` not in the future, `exp` at most ten minutes on; the
//! installation token it buys expires with the scaled hour and is then
//! refused with 401.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcp_survey_ghsim::app_keys::openssl_key_pair;
use mcp_survey_ghsim::{installation_id, serve, synthetic, AppKey, SimConfig, SimHandle};
use serde_json::{json, Value};

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

fn jwt(key: &EncodingKey, iss: u64, iat: i64, exp: i64) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::RS256),
        &json!({"iss": iss, "iat": iat, "exp": exp}),
        key,
    )
    .expect("signed")
}

async fn call(sim: &SimHandle, post: bool, path: &str, bearer: &str) -> (u16, Value) {
    let http = reqwest::Client::new();
    let url = format!("{}{path}", sim.base_url());
    let req = if post { http.post(url) } else { http.get(url) };
    let r = req
        .header("user-agent", "app-flow-test")
        .header("authorization", format!("Bearer {bearer}"))
        .send()
        .await
        .expect("answer");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn jwt_rules_token_creation_and_expiry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = openssl_key_pair(dir.path()).expect("openssl");
    let pem = std::fs::read(&keys.private_key).expect("key");
    let key = EncodingKey::from_rsa_pem(&pem).expect("an openssl genrsa key");
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = openssl_key_pair(other_dir.path()).expect("openssl");
    let other_key =
        EncodingKey::from_rsa_pem(&std::fs::read(&other.private_key).expect("key")).expect("key");
    let config = SimConfig {
        // An hour becomes 0.5 s.
        time_scale: 7200.0,
        apps: vec![AppKey::parse_spec(&format!("5={}", keys.public_key.display())).expect("pem")],
        ..SimConfig::default()
    };
    let sim = serve(
        synthetic::generate(3, 2),
        config,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let t = now();
    let good = jwt(&key, 5, t - 60, t + 540);
    let refused = [
        ("too long", jwt(&key, 5, t - 60, t + 600)),
        ("expired", jwt(&key, 5, t - 700, t - 100)),
        ("issued in the future", jwt(&key, 5, t + 300, t + 500)),
        ("another key", jwt(&other_key, 5, t - 60, t + 540)),
        ("unknown app", jwt(&key, 6, t - 60, t + 540)),
        ("not a JWT", "ghp_token".to_string()),
    ];
    for (why, bad) in &refused {
        let (status, body) = call(&sim, false, "/app/installations", bad).await;
        assert_eq!(status, 401, "{why}: {body}");
    }
    assert_eq!(sim.stats().app.jwt_refusals, refused.len() as u64);

    let (status, list) = call(&sim, false, "/app/installations", &good).await;
    assert_eq!(status, 200, "{list}");
    let id = list[0]["id"].as_u64().expect("an installation id");
    assert_eq!(id, installation_id(5));
    let path = format!("/app/installations/{id}/access_tokens");
    let (status, created) = call(&sim, true, &path, &good).await;
    assert_eq!(status, 201, "{created}");
    let token = created["token"].as_str().expect("token").to_string();
    assert!(token.starts_with("ghs_"));
    assert!(created["expires_at"].as_str().is_some());
    let (status, _) = call(&sim, false, "/rate_limit", &token).await;
    assert_eq!(status, 200, "a fresh token is accepted");
    let (status, _) = call(&sim, true, "/app/installations/1/access_tokens", &good).await;
    assert_eq!(status, 404, "not this app's installation");

    tokio::time::sleep(Duration::from_millis(700)).await;
    let (status, body) = call(&sim, false, "/rate_limit", &token).await;
    assert_eq!(status, 401, "an expired token: {body}");
    let app = sim.stats().app;
    assert_eq!(app.tokens_issued, 1);
    assert_eq!(app.expired_token_requests, 1);
    assert_eq!(app.expired_after_first_refresh, 0, "only one token issued");
    sim.shutdown().await;
}
