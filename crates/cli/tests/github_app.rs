//! A survey run as a GitHub App, with no token: an RSA key made by
//! `openssl genrsa`, the simulator started with the app's public key, and
//! time scaled so installation tokens expire several times during the run.
//! It labels the corpus exactly as a run with a personal access token does,
//! and never sends an expired token once it has renewed one.

mod common;

use common::{assert_ok, command, fast_sim, run_cli, run_status, sim, text};
use mcp_survey_ghsim::app_keys::openssl_key_pair;
use mcp_survey_ghsim::{synthetic, AppKey, SimConfig};
use mcp_survey_store::testing::TestDb;
use mcp_survey_store::Store;
use std::time::Instant;

/// Every repository's labels, one line each.
async fn labels(store: &Store) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Line {
        line: String,
    }
    let rows: Vec<Line> = store
        .inspect(
            "SELECT rr.full_name || ' ' || l.kind || ' ' || l.credentials || ' ' \
                    || array_to_string(l.auth_methods, ',') || ' ' \
                    || array_to_string(l.env_vars, ',') || ' ' \
                    || array_to_string(l.transport, ',') AS line \
             FROM run_repositories rr JOIN labels l ON l.snapshot_id = rr.snapshot_id \
             ORDER BY 1",
            &[],
        )
        .await
        .expect("labels");
    rows.into_iter().map(|r| r.line).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_as_a_github_app_labels_as_a_token_run_does() {
    // Big enough that the app run outlasts several token lifetimes even
    // where the time scale is capped (at 300 repositories a fast machine
    // finished it within two and the check below failed now and then).
    let corpus = synthetic::generate(600, 21);
    let keys_dir = tempfile::tempdir().expect("tempdir");
    let keys = openssl_key_pair(keys_dir.path()).expect("openssl makes the key pair");

    // The same corpus with a token (the simulator's stand-in), timed.
    let pat_db = TestDb::create().await.expect("test database");
    let pat_sim = sim(corpus.clone(), fast_sim(None)).await;
    let work = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let args = ["run", "--name", "pat", "--out", "reports"];
    let out = run_cli(command(
        &pat_db.url,
        &pat_sim.base_url(),
        work.path(),
        &args,
        &[],
    ))
    .await;
    let pat_took = started.elapsed();
    assert_ok(&out, "the token run");
    pat_sim.shutdown().await;

    // Tokens live an eighth of that run: they expire at least twice.
    let time_scale = (3600.0 * 8.0 / pat_took.as_secs_f64()).clamp(600.0, 7200.0);
    let app = AppKey::parse_spec(&format!("1={}", keys.public_key.display())).expect("pub.pem");
    let app_sim = sim(
        corpus,
        SimConfig {
            apps: vec![app],
            time_scale,
            ..fast_sim(None)
        },
    )
    .await;
    let app_db = TestDb::create().await.expect("test database");
    let key = keys.private_key.to_string_lossy().into_owned();
    let args = [
        "run",
        "--name",
        "app",
        "--out",
        "reports",
        "--app-id",
        "1",
        "--app-private-key",
        &key,
    ];
    let work = tempfile::tempdir().expect("tempdir");
    let out = run_cli(command(
        &app_db.url,
        &app_sim.base_url(),
        work.path(),
        &args,
        &[],
    ))
    .await;
    assert_ok(&out, "the app run");
    let all = text(&out);
    assert!(
        !all.contains("ghs_"),
        "no installation token printed: {all}"
    );
    assert!(!all.contains("PRIVATE KEY"), "no key printed");

    let stats = app_sim.stats();
    assert!(
        stats.app.tokens_issued >= 3,
        "tokens expired at least twice during the run (time scale {time_scale}, token run {pat_took:?}): {:?}",
        stats.app
    );
    assert_eq!(stats.app.expired_after_first_refresh, 0, "{:?}", stats.app);
    assert_eq!(stats.app.jwt_refusals, 0);
    // Only the app authenticated: no token's bucket, one installation's.
    assert_eq!(stats.rejects.get("bad_credentials"), None);
    assert_eq!(run_status(&app_db.store, "app").await, "finished");
    let with_token = labels(&pat_db.store).await;
    let as_app = labels(&app_db.store).await;
    assert!(with_token.len() >= 10, "{with_token:?}");
    assert_eq!(as_app, with_token);

    app_sim.shutdown().await;
    pat_db.drop_db().await.expect("drop");
    app_db.drop_db().await.expect("drop");
}
