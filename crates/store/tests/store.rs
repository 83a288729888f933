//! The storage invariants the pipeline relies on, each against a fresh database.

use chrono::{TimeZone, Utc};
use mcp_survey_model::RepoMeta;
use mcp_survey_store::testing::TestDb;
use mcp_survey_store::{NewFile, NewSlice, NewSnapshot, SeedQueryRow, Stage, StoreError};
use std::time::Duration;

/// A connection pool of the test's own to the test database: the store
/// keeps its pool to itself, and these tests age leases and read rows
/// behind its back.
async fn raw(db: &TestDb) -> sqlx::PgPool {
    sqlx::PgPool::connect(&db.url).await.expect("test database")
}

fn meta(id: i64, name: &str) -> RepoMeta {
    RepoMeta {
        id,
        full_name: name.to_string(),
        description: None,
        topics: vec![],
        language: Some("Go".into()),
        stargazers_count: 1,
        forks_count: 0,
        fork: false,
        archived: false,
        created_at: Utc
            .with_ymd_and_hms(2025, 1, 1, 0, 0, 0)
            .single()
            .expect("date"),
        pushed_at: Some(
            Utc.with_ymd_and_hms(2025, 6, 1, 0, 0, 0)
                .single()
                .expect("date"),
        ),
        default_branch: "main".into(),
        size: 10,
    }
}

async fn run_with_slice(db: &TestDb) -> (i64, mcp_survey_store::Slice) {
    let run = db
        .store
        .create_run("r", "http://sim", "v1")
        .await
        .expect("run");
    db.store
        .put_seed_queries(
            run.id,
            &[SeedQueryRow {
                name: "q".into(),
                endpoint: "repositories".into(),
                query: "mcp".into(),
                reason: "test".into(),
            }],
        )
        .await
        .expect("seeds");
    db.store
        .ensure_root_slices(run.id, |q| NewSlice {
            query_name: q.name.clone(),
            query: q.query.clone(),
            window_start: None,
            window_end: None,
            size_min: None,
            size_max: None,
        })
        .await
        .expect("root slice");
    let slice = db
        .store
        .claim_slice(
            run.id,
            "repositories",
            "w:harvest:0",
            Duration::from_secs(60),
        )
        .await
        .expect("claim")
        .expect("a slice");
    (run.id, slice)
}

#[tokio::test]
async fn a_rename_between_pages_keeps_one_row_with_the_new_name() {
    let db = TestDb::create().await.expect("test database");
    let (run_id, slice) = run_with_slice(&db).await;
    db.store
        .store_page(&slice, 1, 2, 2, &[meta(7, "old/name")], false, None)
        .await
        .expect("page 1");
    db.store
        .store_page(
            &slice,
            2,
            2,
            2,
            &[meta(7, "new-owner/new-name")],
            true,
            None,
        )
        .await
        .expect("page 2");
    let rows: Vec<(String,)> = sqlx::query_as("SELECT full_name FROM repositories")
        .fetch_all(&raw(&db).await)
        .await
        .expect("query");
    assert_eq!(rows, vec![("new-owner/new-name".to_string(),)]);
    assert_eq!(
        db.store.run_repository_count(run_id).await.expect("count"),
        1
    );
    // The slice is finished: a resumed harvest claims nothing.
    assert!(db
        .store
        .claim_slice(run_id, "repositories", "other", Duration::from_secs(60))
        .await
        .expect("claim")
        .is_none());
    db.drop_db().await.expect("drop");
}

#[tokio::test]
async fn a_killed_harvesters_slice_resumes_at_its_next_page() {
    let db = TestDb::create().await.expect("test database");
    let (run_id, slice) = run_with_slice(&db).await;
    db.store
        .store_page(&slice, 1, 250, 3, &[meta(1, "a/one")], false, None)
        .await
        .expect("page 1");
    // Leased by a live process: nobody else may take it.
    assert!(db
        .store
        .claim_slice(run_id, "repositories", "other", Duration::from_secs(60))
        .await
        .expect("claim")
        .is_none());
    // The process dies; its lease runs out.
    sqlx::query("UPDATE search_slices SET lease_until = now() - interval '1 second'")
        .execute(&raw(&db).await)
        .await
        .expect("expire");
    let resumed = db
        .store
        .claim_slice(run_id, "repositories", "other", Duration::from_secs(60))
        .await
        .expect("claim")
        .expect("claimable again");
    assert_eq!(resumed.pages_done, 1, "continues at page 2");
    db.drop_db().await.expect("drop");
}

#[tokio::test]
async fn jobs_go_to_one_worker_and_a_stale_worker_cannot_store() {
    let db = TestDb::create().await.expect("test database");
    let (run_id, slice) = run_with_slice(&db).await;
    let repos: Vec<_> = (1..=5).map(|i| meta(i, &format!("o/r{i}"))).collect();
    db.store
        .store_page(&slice, 1, 5, 1, &repos, true, None)
        .await
        .expect("page");
    assert_eq!(
        db.store.enqueue_fetch_jobs(run_id).await.expect("enqueue"),
        5
    );
    let lease = Duration::from_secs(60);
    let a = db
        .store
        .claim_jobs(run_id, Stage::Fetch, "a", 3, lease)
        .await
        .expect("a");
    let b = db
        .store
        .claim_jobs(run_id, Stage::Fetch, "b", 3, lease)
        .await
        .expect("b");
    assert_eq!(a.len(), 3);
    assert_eq!(b.len(), 2);
    assert!(
        a.iter().all(|ja| b.iter().all(|jb| ja.id != jb.id)),
        "no job twice"
    );

    // Worker a dies holding its jobs; after the lease, c takes one over.
    sqlx::query("UPDATE jobs SET lease_until = now() - interval '1 second' WHERE worker = 'a'")
        .execute(&raw(&db).await)
        .await
        .expect("expire");
    let c = db
        .store
        .claim_jobs(run_id, Stage::Fetch, "c", 1, lease)
        .await
        .expect("c");
    assert_eq!(c.len(), 1);
    let stale = a.iter().find(|j| j.id == c[0].id).expect("one of a's jobs");
    let snapshot = |text: &str| NewSnapshot {
        repository_id: stale.repository_id,
        commit_sha: Some("abc".into()),
        tree_sha: None,
        pushed_at: stale.pushed_at,
        method: "tarball".into(),
        files: vec![
            NewFile::from_bytes("LICENSE", b"MIT License"),
            NewFile::from_bytes("index.ts", text.as_bytes()),
        ],
        skipped: serde_json::json!({}),
        note: None,
    };
    // The stale worker finishes late: its result is refused, nothing stored.
    let late = db.store.store_snapshot(stale, &snapshot("late")).await;
    assert!(matches!(late, Err(StoreError::LeaseLost(_))), "{late:?}");
    db.store
        .store_snapshot(&c[0], &snapshot("fresh"))
        .await
        .expect("owner stores");
    // Another repository with the same LICENSE: its content is stored once.
    db.store
        .store_snapshot(
            &b[0],
            &NewSnapshot {
                repository_id: b[0].repository_id,
                ..snapshot("other")
            },
        )
        .await
        .expect("store");
    let (snapshots, files, licenses): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM snapshots), (SELECT count(*) FROM files),
                (SELECT count(*) FROM files WHERE content = 'MIT License')",
    )
    .fetch_one(&raw(&db).await)
    .await
    .expect("counts");
    assert_eq!(snapshots, 2, "exactly one snapshot per stored job");
    assert_eq!(licenses, 1, "content-addressed");
    assert_eq!(files, 3);
    // Each stored snapshot queued its classify job.
    let depth = db
        .store
        .stage_depth(run_id, Stage::Classify)
        .await
        .expect("depth");
    assert_eq!(depth.queued, 2);
    db.drop_db().await.expect("drop");
}

#[tokio::test]
async fn a_failed_job_retries_with_its_error_then_gives_up() {
    let db = TestDb::create().await.expect("test database");
    let (run_id, slice) = run_with_slice(&db).await;
    db.store
        .store_page(&slice, 1, 1, 1, &[meta(1, "o/r")], true, None)
        .await
        .expect("page");
    db.store.enqueue_fetch_jobs(run_id).await.expect("enqueue");
    let failure = mcp_survey_store::JobFailure {
        kind: "server_error".into(),
        message: "503".into(),
        permanent: false,
        retry_after: Some(Duration::ZERO),
    };
    for attempt in 1..=2 {
        let jobs = db
            .store
            .claim_jobs(run_id, Stage::Fetch, "w", 1, Duration::from_secs(60))
            .await
            .expect("claim");
        assert_eq!(jobs[0].attempts, attempt);
        db.store
            .fail_job(&jobs[0], &failure, 2)
            .await
            .expect("fail");
    }
    let depth = db
        .store
        .stage_depth(run_id, Stage::Fetch)
        .await
        .expect("depth");
    assert_eq!((depth.queued, depth.failed), (0, 1));
    let causes = db.store.failures_by_cause(run_id).await.expect("causes");
    assert_eq!(
        causes,
        vec![("fetch".into(), "failed".into(), "server_error".into(), 1)]
    );
    db.drop_db().await.expect("drop");
}

#[tokio::test]
async fn a_job_whose_process_dies_each_time_fails_after_max_attempts() {
    let db = TestDb::create().await.expect("test database");
    let (run_id, slice) = run_with_slice(&db).await;
    db.store
        .store_page(&slice, 1, 1, 1, &[meta(1, "o/r")], true, None)
        .await
        .expect("page");
    db.store.enqueue_fetch_jobs(run_id).await.expect("enqueue");
    let pool = &raw(&db).await;
    for crash in 1..=3 {
        let process = format!("host-{crash}");
        let jobs = db
            .store
            .claim_jobs(
                run_id,
                Stage::Fetch,
                &format!("{process}:fetch:0"),
                1,
                Duration::from_secs(60),
            )
            .await
            .expect("claim");
        assert_eq!(jobs.len(), 1, "handed out again after crash {crash}");
        // The process dies; the next start takes back its lease.
        let (jobs, _) = db.store.reclaim_process(&process).await.expect("reclaim");
        assert_eq!(jobs, 1);
        sqlx::query("UPDATE jobs SET not_before = now()")
            .execute(pool)
            .await
            .expect("skip the back-off");
        assert_eq!(
            db.store
                .fail_exhausted_jobs(run_id, Stage::Fetch, 3)
                .await
                .expect("exhausted"),
            u64::from(crash == 3),
            "the attempt of a dead process counts"
        );
    }
    let depth = db
        .store
        .stage_depth(run_id, Stage::Fetch)
        .await
        .expect("depth");
    assert_eq!((depth.queued, depth.failed), (0, 1));
    let (status,): (String,) =
        sqlx::query_as("SELECT fetch_status FROM run_repositories WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(pool)
            .await
            .expect("status");
    assert_eq!(status, "failed");
    db.drop_db().await.expect("drop");
}

#[tokio::test]
async fn nul_bytes_from_outside_are_escaped_not_refused() {
    let db = TestDb::create().await.expect("test database");
    let (run_id, slice) = run_with_slice(&db).await;
    db.store
        .store_page(
            &slice,
            1,
            1,
            1,
            &[RepoMeta {
                description: Some("a\0description".into()),
                topics: vec!["mcp\0".into()],
                ..meta(1, "o/r")
            }],
            true,
            None,
        )
        .await
        .expect("page");
    db.store.enqueue_fetch_jobs(run_id).await.expect("enqueue");
    let job = db
        .store
        .claim_jobs(run_id, Stage::Fetch, "w", 1, Duration::from_secs(60))
        .await
        .expect("claim")
        .remove(0);
    let snapshot = NewSnapshot {
        repository_id: job.repository_id,
        commit_sha: Some("ab\0c".into()),
        tree_sha: None,
        pushed_at: job.pushed_at,
        method: "tarball".into(),
        files: vec![NewFile::from_bytes("src/a\0b.ts", b"x")],
        skipped: serde_json::json!({"sample": [{"path": "x\0y", "reason": "unsafe"}]}),
        note: Some("odd\0note".into()),
    };
    db.store
        .store_snapshot(&job, &snapshot)
        .await
        .expect("stored despite the NULs");
    let (path, sample): (String, String) = sqlx::query_as(
        "SELECT sf.path, s.skipped::text FROM snapshot_files sf JOIN snapshots s ON s.id = sf.snapshot_id",
    )
    .fetch_one(&raw(&db).await)
    .await
    .expect("row");
    assert_eq!(path, "src/a\\x00b.ts");
    assert!(sample.contains("x\\\\x00y"), "{sample}");
    db.drop_db().await.expect("drop");
}
