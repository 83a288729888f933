//! Hostile repositories cannot hurt the whole binary, run against the
//! simulator over HTTP: unsafe paths, links, device files, a gzip bomb, odd
//! names, invalid UTF-8 and a 10 MB line (kept as its head) go through every stage without a
//! file written outside the report folder, a hostile path stored, or a
//! slow classification; every skip is recorded with its reason.

mod common;

use common::{
    assert_ok, fast_sim, files_under, run_status, run_survey, scalar_i64, server_repo, sim,
};
use mcp_survey_ghsim::synthetic::{self, GenOptions};
use mcp_survey_ghsim::SimConfig;
use mcp_survey_store::testing::TestDb;
use std::path::PathBuf;
use std::time::Instant;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_repositories_go_through_the_whole_pipeline_harmlessly() {
    let db = TestDb::create().await.expect("test database");
    let mut corpus = synthetic::generate_with(
        20,
        5,
        &GenOptions {
            hostile: true,
            ..GenOptions::default()
        },
    );
    let odd = "Odd.Owner/my.repo_name--v2";
    let huge_line = {
        let mut v = b"export const blob = \"".to_vec();
        while v.len() < 10 * 1024 * 1024 {
            v.extend_from_slice(b"mcp server auth token ");
        }
        v.extend_from_slice(b"\";");
        v
    };
    let mut odd_repo = server_repo(
        odd,
        990_000_101,
        &[
            ("src/huge.ts", huge_line),
            (
                "src/latin1.ts",
                b"// Caf\xe9 M\xfcnchen \xff\xfe server\nexport const greeting = \"gr\xfc\xdf dich\";\n"
                    .to_vec(),
            ),
        ],
    );
    odd_repo.meta.description = Some("🚀 MCP server サーバー".into());
    corpus.repos.push(odd_repo);
    corpus
        .repos
        .push(server_repo("o/UPPER.mcp_server-", 990_000_102, &[]));
    let config = SimConfig {
        gzip_bomb_bytes: 64 * 1024 * 1024,
        ..fast_sim(None)
    };
    let sim = sim(corpus, config).await;
    let work = tempfile::tempdir().expect("tempdir");
    let cwd = work.path().join("a").join("b");
    std::fs::create_dir_all(&cwd).expect("cwd");
    // The run works two folders deep, so `../..` entries would land in
    // `work`, which is searched below; the absolute one names /tmp.
    let outside: Vec<PathBuf> = [
        "/tmp/mcp-survey-sim-absolute.txt",
        "/tmp/mcp-survey-sim-traversal.txt",
        "/tmp/mcp-survey-sim-traversal-2.txt",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    let modified = |ps: &[PathBuf]| -> Vec<Option<std::time::SystemTime>> {
        ps.iter()
            .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .collect()
    };
    let outside_before = modified(&outside);

    let started = Instant::now();
    let out = run_survey(
        &db.url,
        &sim.base_url(),
        &cwd,
        "hostile",
        "reports",
        &[("GITHUB_TOKENS", "ghp_hostiletest")],
    )
    .await;
    let took = started.elapsed();
    assert_ok(&out, "the run over hostile repositories");
    let pool = &db.store;
    assert_eq!(run_status(pool, "hostile").await, "finished");

    // Nothing was written outside the report folder.
    for p in files_under(work.path()) {
        assert!(
            p.starts_with(cwd.join("reports")),
            "unexpected file {}",
            p.display()
        );
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(!name.starts_with("mcp-survey-sim-"), "{}", p.display());
    }
    assert_eq!(
        modified(&outside),
        outside_before,
        "no entry was written outside the work folder"
    );
    let bad_paths = scalar_i64(
        pool,
        "SELECT count(*) FROM snapshot_files WHERE path LIKE '/%' OR path LIKE '%..%' OR path LIKE '%mcp-survey-sim-%'",
    )
    .await;
    assert_eq!(bad_paths, 0, "no hostile path was stored");

    // Every hostile repository got a snapshot, with what was skipped and why.
    for (repo, reason) in [
        ("sim-hostile/path-traversal", "unsafe path"),
        ("sim-hostile/absolute-path", "unsafe path"),
        ("sim-hostile/symlink", "link"),
        ("sim-hostile/hardlink", "link"),
        ("sim-hostile/device-file", "not a regular file"),
    ] {
        #[derive(serde::Deserialize)]
        struct Skipped {
            fetch_status: String,
            skipped: serde_json::Value,
        }
        let rows: Vec<Skipped> = pool
            .inspect(
                "SELECT rr.fetch_status, s.skipped FROM run_repositories rr
                 JOIN snapshots s ON s.id = rr.snapshot_id WHERE rr.full_name = $1",
                &[repo.into()],
            )
            .await
            .expect("query");
        let Some(Skipped {
            fetch_status: status,
            skipped,
        }) = rows.into_iter().next()
        else {
            panic!("{repo} has no snapshot")
        };
        assert_eq!(status, "fetched", "{repo}");
        assert!(
            skipped["count"].as_u64().unwrap_or(0) > 0,
            "{repo}: {skipped}"
        );
        let sample = skipped["sample"].as_array().cloned().unwrap_or_default();
        assert!(
            sample
                .iter()
                .any(|e| e["reason"].as_str().unwrap_or("").contains(reason)),
            "{repo} records {reason:?}: {skipped}"
        );
    }
    // The bomb's archive passes the decompression cap, so those two are
    // read through the trees API instead, without the bomb.
    for repo in ["sim-hostile/gzip-bomb", "sim-hostile/everything"] {
        #[derive(serde::Deserialize)]
        struct Fetched {
            fetch_status: String,
            method: String,
        }
        let rows: Vec<Fetched> = pool
            .inspect(
                "SELECT rr.fetch_status, s.method FROM run_repositories rr
                 JOIN snapshots s ON s.id = rr.snapshot_id WHERE rr.full_name = $1",
                &[repo.into()],
            )
            .await
            .expect("query");
        let Some(Fetched {
            fetch_status: status,
            method,
        }) = rows.into_iter().next()
        else {
            panic!("{repo} has no snapshot")
        };
        assert_eq!(
            (status.as_str(), method.as_str()),
            ("fetched", "trees"),
            "{repo}"
        );
    }
    let bombs = scalar_i64(
        pool,
        "SELECT count(*) FROM snapshot_files WHERE path LIKE '%bomb%'",
    )
    .await;
    assert_eq!(bombs, 0, "the bomb is not stored");

    // The odd names were found, fetched and labelled.
    for name in [odd, "o/UPPER.mcp_server-"] {
        let n = scalar_i64(
            pool,
            &format!(
                "SELECT count(*) FROM run_repositories rr JOIN labels l ON l.snapshot_id = rr.snapshot_id
                 WHERE rr.full_name = '{name}' AND rr.fetch_status = 'fetched'"
            ),
        )
        .await;
        assert_eq!(n, 1, "{name} fetched and labelled");
    }
    // Invalid UTF-8 is kept, decoded lossily and flagged.
    #[derive(serde::Deserialize)]
    struct StoredFile {
        lossy_utf8: bool,
        content: String,
    }
    let files: Vec<StoredFile> = pool
        .inspect(
            "SELECT f.lossy_utf8, f.content FROM run_repositories rr
             JOIN snapshot_files sf ON sf.snapshot_id = rr.snapshot_id
             JOIN files f ON f.sha256 = sf.sha256
             WHERE rr.full_name = $1 AND sf.path = 'src/latin1.ts'",
            &[odd.into()],
        )
        .await
        .expect("query");
    let Some(StoredFile {
        lossy_utf8: lossy,
        content,
    }) = files.into_iter().next()
    else {
        panic!("the latin-1 file is not stored")
    };
    assert!(lossy, "flagged lossy");
    assert!(content.contains('\u{FFFD}') && content.contains("greeting"));
    // Only the head of the 10 MB line is stored, as the classifier reads it.
    let stored_huge = scalar_i64(
        pool,
        "SELECT coalesce(max(f.size_bytes), 0)::bigint FROM snapshot_files sf
         JOIN files f ON f.sha256 = sf.sha256 WHERE sf.path = 'src/huge.ts'",
    )
    .await;
    assert_eq!(
        stored_huge,
        256 * 1024,
        "the 10 MB file is kept as its 256 KiB head"
    );
    let biggest = scalar_i64(
        pool,
        "SELECT coalesce(max(greatest(size_bytes, octet_length(content))), 0)::bigint FROM files",
    )
    .await;
    assert!(biggest <= 256 * 1024, "a stored file has {biggest} bytes");
    // Classification finished quickly.
    let classify_secs: f64 = pool
        .inspect_one(
            "SELECT (stats->'classify'->>'elapsed_seconds')::float8 FROM runs WHERE name = 'hostile'",
            &[],
        )
        .await
        .expect("classify stats");
    assert!(classify_secs < 10.0, "classify took {classify_secs}s");
    eprintln!(
        "hostile: run {:.1}s, classify {classify_secs:.2}s",
        took.as_secs_f64()
    );
    sim.shutdown().await;
    db.drop_db().await.expect("drop");
}
