//! One bad repository never stops the stage: a corpus with one
//! repository of each archive fault (NUL and over-long paths, a trickling
//! download, a gzip stream of empty deflate blocks, a flat archive, two top
//! folders, a redirect to `file://`) is fetched and classified within the
//! clean run's time plus the download deadline; every healthy repository is
//! labelled as in a clean run; each faulty one is recorded as failed or as
//! fetched with a note saying what was odd; and a resumed run does not
//! stumble on them.

mod common;

use common::{client_for, run_with};
use mcp_survey_fetch::{fetch_run, DownloadLimits, FetchOptions, FetchStats};
use mcp_survey_ghsim::{serve, synthetic, FaultConfig, FaultKind, NamedFault, SimConfig};
use mcp_survey_model::RepoMeta;
use mcp_survey_pipeline::{classify_run, ClassifyOptions};
use mcp_survey_store::testing::TestDb;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Short limits so the test stays fast: a download gets two seconds plus
/// its size, and must reach 4 KiB/s after half a second (the simulator
/// sends a healthy archive in milliseconds; the trickle sends 256 B/s).
fn limits() -> DownloadLimits {
    DownloadLimits {
        deadline: Duration::from_secs(2),
        per_mib: Duration::from_millis(100),
        max_deadline: Duration::from_secs(4),
        min_bytes_per_sec: 4 * 1024,
        grace: Duration::from_millis(500),
    }
}

/// (status, note, labels) per repository.
type Table = BTreeMap<String, (String, Option<String>, Option<String>)>;

struct Outcome {
    table: Table,
    stats: FetchStats,
    seconds: f64,
}

async fn fetch_and_classify(
    db: &TestDb,
    metas: &[RepoMeta],
    faults: FaultConfig,
    resume: bool,
) -> Outcome {
    let corpus = Arc::new(synthetic::generate(40, 23));
    let config = SimConfig {
        faults,
        ..SimConfig::unthrottled()
    };
    let sim = serve(corpus, config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("simulator");
    let client = client_for(&sim.base_url(), |c| c.archive_concurrency = 4);
    let run_id = run_with(&db.store, "run", &sim.base_url(), metas).await;
    let mut options = FetchOptions::new("hostile-test");
    options.workers = 4;
    options.download = limits();
    options.max_attempts = 2;
    let started = Instant::now();
    let stats = fetch_run(&db.store, &client, run_id, &options)
        .await
        .expect("the fetch stage ends normally");
    let seconds = started.elapsed().as_secs_f64();
    classify_run(&db.store, run_id, &ClassifyOptions::new("hostile-test"))
        .await
        .expect("classify");
    if resume {
        // A second process resumes the same run: the faulty repositories are
        // done with (failed or fetched), nothing crashes on them.
        let again = fetch_run(&db.store, &client, run_id, &options)
            .await
            .expect("a resumed fetch does not crash");
        assert_eq!(
            again.fetched_tarball + again.fetched_trees,
            0,
            "nothing left to fetch: {again:?}"
        );
        classify_run(&db.store, run_id, &ClassifyOptions::new("hostile-test"))
            .await
            .expect("a resumed classify does not crash");
    }
    #[derive(serde::Deserialize)]
    struct Row {
        full_name: String,
        fetch_status: String,
        fetch_note: Option<String>,
        labels: Option<String>,
    }
    let rows: Vec<Row> = db
        .store
        .inspect(
            "SELECT rl.full_name, rl.fetch_status, rr.fetch_note,
                    rl.kind || ' ' || rl.credentials || ' ' || array_to_string(rl.auth_methods, ',')
                        || ' ' || array_to_string(rl.env_vars, ',') AS labels
             FROM run_labels rl
             JOIN run_repositories rr ON rr.run_id = rl.run_id AND rr.full_name = rl.full_name
             WHERE rl.run_id = $1",
            &[run_id.into()],
        )
        .await
        .expect("labels");
    sim.shutdown().await;
    Outcome {
        table: rows
            .into_iter()
            .map(|r| (r.full_name, (r.fetch_status, r.fetch_note, r.labels)))
            .collect(),
        stats,
        seconds,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_repository_of_each_archive_fault_fails_alone() {
    let corpus = synthetic::generate(40, 23);
    let metas: Vec<RepoMeta> = corpus.repos.iter().map(|r| r.meta.clone()).collect();
    let clean_db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let clean = fetch_and_classify(&clean_db, &metas, FaultConfig::default(), false).await;
    clean_db.drop_db().await.expect("drop");

    // One labelled repository per fault kind.
    let mut faulty = BTreeMap::new();
    let mut healthy = clean
        .table
        .iter()
        .filter(|(_, (status, _, labels))| status == "fetched" && labels.is_some())
        .map(|(name, _)| name.clone());
    for kind in FaultKind::ARCHIVE {
        let name = healthy.next().expect("enough labelled repositories");
        faulty.insert(name, *kind);
    }
    let mut faults = FaultConfig::default();
    for (name, kind) in &faulty {
        faults = faults.with_named(name, NamedFault::always(*kind));
    }
    let db = TestDb::create().await.expect("test database");
    let hostile = fetch_and_classify(&db, &metas, faults, true).await;

    let slack = 10.0;
    let budget = clean.seconds + limits().max_deadline.as_secs_f64() + slack;
    assert!(
        hostile.seconds < budget,
        "the faults cost at most the download deadline: {:.1} s against {:.1} s clean",
        hostile.seconds,
        clean.seconds
    );
    for (name, expected) in &clean.table {
        let got = hostile.table.get(name).expect("every repository recorded");
        match faulty.get(name) {
            None => assert_eq!(
                (&got.0, &got.2),
                (&expected.0, &expected.2),
                "{name}: a healthy repository is labelled as in the clean run"
            ),
            Some(kind) => {
                let (status, note, _) = got;
                eprintln!(
                    "{kind:?} {name}: {status} ({})",
                    note.as_deref().unwrap_or("")
                );
                let recorded = (status == "failed" || status == "fetched")
                    && note.as_deref().is_some_and(|n| !n.is_empty());
                assert!(
                    recorded,
                    "{name} ({kind:?}): recorded as failed or fetched with a reason, got {got:?}"
                );
                if *kind == FaultKind::BadRedirect {
                    assert_eq!(status, "failed", "{note:?}");
                    assert!(note.as_deref().unwrap_or("").contains("redirect"));
                }
            }
        }
    }
    // The refused redirect was not retried.
    let redirected = faulty
        .iter()
        .find(|(_, k)| **k == FaultKind::BadRedirect)
        .map(|(n, _)| n.as_str())
        .unwrap_or_default();
    let attempts: i32 = db
        .store
        .inspect_one(
            "SELECT j.attempts FROM jobs j JOIN run_repositories rr
                 ON rr.run_id = j.run_id AND rr.repository_id = j.repository_id
             WHERE j.stage = 'fetch' AND rr.full_name = $1",
            &[redirected.into()],
        )
        .await
        .expect("attempts");
    assert_eq!(attempts, 1, "a refused redirect fails at once");
    // Nothing hostile reached the database raw, nor grew without bound.
    let biggest_sample: Option<i32> = db
        .store
        .inspect_one("SELECT max(pg_column_size(skipped)) FROM snapshots", &[])
        .await
        .expect("sizes");
    assert!(
        biggest_sample.unwrap_or(0) < 64 * 1024,
        "skipped samples stay small: {biggest_sample:?}"
    );
    assert!(
        hostile.stats.with_oddities >= 4,
        "flat, two folders, trickle and empty deflate were recorded: {:?}",
        hostile.stats
    );
    db.drop_db().await.expect("drop");
}
