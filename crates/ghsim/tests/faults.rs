mod common;

use std::time::{Duration, Instant};

use common::*;
use mcp_survey_ghsim::{Corpus, FaultConfig, FaultKind, NamedFault, SimConfig};

fn corpus() -> Corpus {
    let files = &[
        ("README.md", "# x\n"),
        ("src/index.ts", "console.log(1);\n"),
    ];
    Corpus {
        repos: vec![
            repo("o/ok", "fine", "2025-01-01T00:00:00Z", 1, files),
            repo("o/gone", "deleted", "2025-01-01T00:00:00Z", 1, files),
            repo("o/dmca", "taken down", "2025-01-01T00:00:00Z", 1, files),
            repo("o/empty-ish", "empty", "2025-01-01T00:00:00Z", 1, files),
            repo(
                "o/flaky",
                "truncated once",
                "2025-01-01T00:00:00Z",
                1,
                files,
            ),
        ],
    }
}

fn config(faults: FaultConfig) -> SimConfig {
    SimConfig {
        faults,
        ..SimConfig::default()
    }
}

#[tokio::test]
async fn named_repository_faults() {
    let faults = FaultConfig::default()
        .with_named("o/gone", NamedFault::always(FaultKind::NotFound))
        .with_named("o/dmca", NamedFault::always(FaultKind::Unavailable))
        .with_named("o/empty-ish", NamedFault::always(FaultKind::Empty))
        .with_named("o/flaky", NamedFault::times(FaultKind::TruncatedBody, 1));
    let sim = start(corpus(), config(faults)).await;
    let c = client();
    let base = sim.base_url();
    let (s, _, _) = get_json(&c, &format!("{base}/repos/o/gone")).await;
    assert_eq!(s, 404);
    let (s, _, _) = get_json(&c, &format!("{base}/repos/o/gone/tarball")).await;
    assert_eq!(s, 404);
    // Search still lists it: GitHub's index lags deletions.
    let (_, _, v) = get_json(&c, &format!("{base}/search/repositories?q=deleted")).await;
    assert_eq!(v["total_count"], 1);
    let (s, _, v) = get_json(&c, &format!("{base}/repos/o/dmca/contents/README.md")).await;
    assert_eq!(s, 451);
    assert_eq!(v["block"]["reason"], "dmca");
    let (s, _, _) = get_json(&c, &format!("{base}/repos/o/empty-ish")).await;
    assert_eq!(s, 200, "an empty repository exists");
    let (s, _, v) = get_json(&c, &format!("{base}/repos/o/empty-ish/tarball")).await;
    assert_eq!(
        (s, v["message"].as_str()),
        (409, Some("Git Repository is empty."))
    );

    // Truncated once, then whole.
    let url = format!("{base}/_codeload/o/flaky/legacy.tar.gz/HEAD");
    let r = get(&c, &url).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.bytes().await.is_err(), "the body is cut mid-stream");
    let r = get(&c, &url).await;
    let body = r.bytes().await.expect("second download is whole");
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut out)
        .expect("gzip");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let st = sim.stats();
    assert_eq!(st.tarball_downloads.get("o/flaky"), Some(&2));
    assert_eq!(st.tarball_completed.get("o/flaky"), Some(&1));
    assert_eq!(st.faults_injected.get("truncated_body"), Some(&1));
    assert_eq!(st.faults_injected.get("not_found"), Some(&2));
    sim.shutdown().await;
}

#[tokio::test]
async fn server_errors_and_secondary_limits_by_rate() {
    let sim = start(
        corpus(),
        config(FaultConfig::default().with_rate(FaultKind::ServerError, 1.0)),
    )
    .await;
    let c = client();
    let r = get(&c, &format!("{}/repos/o/ok", sim.base_url())).await;
    assert!([500, 502, 503].contains(&r.status().as_u16()));
    // /rate_limit and /_sim/stats are never faulted.
    assert_eq!(
        get(&c, &format!("{}/rate_limit", sim.base_url()))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        get(&c, &format!("{}/_sim/stats", sim.base_url()))
            .await
            .status()
            .as_u16(),
        200
    );
    sim.shutdown().await;

    let mut cfg = config(FaultConfig::default().with_rate(FaultKind::SecondaryLimit, 1.0));
    cfg.time_scale = 600.0;
    cfg.secondary.without_retry_after = 0.0;
    let sim = start(corpus(), cfg).await;
    let r = get(&c, &format!("{}/repos/o/ok", sim.base_url())).await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(
        header(r.headers(), "retry-after"),
        "1",
        "60 s scaled 600x, rounded up to a whole second"
    );
    assert_eq!(header(r.headers(), "x-sim-retry-after-ms"), "100");
    sim.shutdown().await;
}

#[tokio::test]
async fn connection_resets_malformed_json_truncation_and_slowness() {
    let c = client();

    let sim = start(
        corpus(),
        config(FaultConfig::default().with_rate(FaultKind::ConnectionReset, 1.0)),
    )
    .await;
    let err = c
        .get(format!("{}/repos/o/ok", sim.base_url()))
        .header("authorization", format!("token {TOKEN}"))
        .send()
        .await;
    assert!(err.is_err(), "connection reset before any response");
    assert_eq!(
        sim.stats().faults_injected.get("connection_reset"),
        Some(&1)
    );
    sim.shutdown().await;

    let sim = start(
        corpus(),
        config(FaultConfig::default().with_rate(FaultKind::MalformedJson, 1.0)),
    )
    .await;
    let r = get(&c, &format!("{}/repos/o/ok", sim.base_url())).await;
    assert_eq!(r.status().as_u16(), 200);
    let text = r.text().await.expect("complete body");
    assert!(serde_json::from_str::<serde_json::Value>(&text).is_err());
    sim.shutdown().await;

    let sim = start(
        corpus(),
        config(FaultConfig::default().with_rate(FaultKind::TruncatedBody, 1.0)),
    )
    .await;
    let r = get(&c, &format!("{}/repos/o/ok", sim.base_url())).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.bytes().await.is_err(), "body shorter than Content-Length");
    sim.shutdown().await;

    let mut faults = FaultConfig::default().with_rate(FaultKind::Slow, 1.0);
    faults.slow_delay = Duration::from_millis(300);
    let sim = start(corpus(), config(faults)).await;
    let t = Instant::now();
    let r = get(&c, &format!("{}/repos/o/ok", sim.base_url())).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    sim.shutdown().await;
}

#[tokio::test]
async fn uniform_fault_rate_spreads_over_transient_kinds() {
    let mut faults = FaultConfig::uniform(0.5);
    faults.slow_delay = Duration::from_millis(1);
    let mut cfg = config(faults);
    cfg.secondary.enabled = false;
    cfg.time_scale = 1000.0;
    let sim = start(corpus(), cfg).await;
    let c = client();
    let mut ok = 0;
    for _ in 0..200 {
        if let Ok(r) = c
            .get(format!("{}/repos/o/ok", sim.base_url()))
            .header("authorization", format!("token {TOKEN}"))
            .send()
            .await
        {
            if r.status().as_u16() == 200 && r.json::<serde_json::Value>().await.is_ok() {
                ok += 1;
            }
        }
    }
    let st = sim.stats();
    let injected: u64 = st.faults_injected.values().sum();
    assert!(
        (60..=140).contains(&injected),
        "about half of 200: {injected}"
    );
    assert!(st.faults_injected.len() >= 5, "{:?}", st.faults_injected);
    assert!(ok >= 50, "{ok}");
    sim.shutdown().await;
}

#[test]
fn fault_specs_parse() {
    let (repo, f) = NamedFault::parse_spec("octo/x=451").expect("parses");
    assert_eq!(
        (repo.as_str(), f.kind, f.times),
        ("octo/x", FaultKind::Unavailable, None)
    );
    let (_, f) = NamedFault::parse_spec("octo/x=truncate:2").expect("parses");
    assert_eq!((f.kind, f.times), (FaultKind::TruncatedBody, Some(2)));
    assert!(NamedFault::parse_spec("octo/x=explode").is_err());
    assert!(NamedFault::parse_spec("nonsense").is_err());
}

#[tokio::test]
async fn wrong_types_keep_json_valid_but_break_the_schema() {
    let sim = start(
        corpus(),
        config(
            FaultConfig::default().with_named("o/ok", NamedFault::times(FaultKind::WrongTypes, 1)),
        ),
    )
    .await;
    let c = client();
    let (s, _, v) = get_json(&c, &format!("{}/repos/o/ok", sim.base_url())).await;
    assert_eq!(s, 200);
    assert!(v["id"].is_string(), "{v}");
    assert!(v["full_name"].is_number());
    assert!(v["fork"].is_string());
    let (_, _, v) = get_json(&c, &format!("{}/repos/o/ok", sim.base_url())).await;
    assert!(v["id"].is_number(), "second answer is normal");
    sim.shutdown().await;
}

#[tokio::test]
async fn odd_names_are_served_and_found() {
    let corpus = Corpus {
        repos: vec![
            repo(
                "Odd.Owner/my.repo_name--v2",
                "🚀 MCP サーバー",
                "2025-01-01T00:00:00Z",
                1,
                &[("README.md", "x")],
            ),
            repo(
                "o/UPPER",
                "MCP upper",
                "2025-01-01T00:00:00Z",
                1,
                &[("README.md", "x")],
            ),
        ],
    };
    let sim = start(corpus, SimConfig::default()).await;
    let c = client();
    let (s, _, v) = get_json(
        &c,
        &format!("{}/repos/Odd.Owner/my.repo_name--v2", sim.base_url()),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["description"], "🚀 MCP サーバー");
    let (s, _, _) = get_json(
        &c,
        &format!(
            "{}/repos/odd.owner/MY.REPO_NAME--V2/tarball",
            sim.base_url()
        ),
    )
    .await;
    assert_eq!(s, 302);
    let (_, _, v) = get_json(
        &c,
        &format!(
            "{}/search/repositories?q=%E3%82%B5%E3%83%BC%E3%83%90%E3%83%BC",
            sim.base_url()
        ),
    )
    .await;
    assert_eq!(v["total_count"], 1, "unicode terms match");
    let (_, _, v) = get_json(
        &c,
        &format!("{}/search/repositories?q=repo_name", sim.base_url()),
    )
    .await;
    assert_eq!(v["total_count"], 1);
    sim.shutdown().await;
}
