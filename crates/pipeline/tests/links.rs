//! Symlinks and submodules: the tarball path skips them (a link is no file
//! of the repository; a submodule's files are not in the archive), so the
//! trees and contents path must skip them too. Otherwise the contents API
//! answers a link with its target's file, or with a JSON description of the
//! link, and the two paths store different files for one repository.

mod common;

use common::{client_for, run_with};
use mcp_survey_fetch::{fetch_run, FetchOptions};
use mcp_survey_ghsim::{serve, Corpus, SimConfig, SimLink, SimRepo};
use mcp_survey_store::testing::TestDb;
use std::collections::BTreeMap;
use std::sync::Arc;

fn linked_repo() -> SimRepo {
    let mut files = BTreeMap::new();
    files.insert(
        "package.json".to_string(),
        br#"{"name": "linked", "dependencies": {"@modelcontextprotocol/sdk": "^1.0.0"}}"#.to_vec(),
    );
    files.insert(
        "README.md".to_string(),
        b"# linked\nAn MCP server.\n".to_vec(),
    );
    files.insert(
        "src/index.ts".to_string(),
        b"import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\n".to_vec(),
    );
    files.insert(
        ".gitmodules".to_string(),
        b"[submodule \"vendor/sdk\"]\n\tpath = vendor/sdk\n\turl = https://github.com/acme/sdk.git\n"
            .to_vec(),
    );
    let mut repo = SimRepo::new("acme/linked", files);
    let link = |t: &str| SimLink::Symlink {
        target: t.to_string(),
    };
    // A link to a file of the repository: the contents API would send
    // package.json's bytes under this name.
    repo.links
        .insert("server.json".into(), link("package.json"));
    repo.links
        .insert("docs/README.md".into(), link("../README.md"));
    // A link out of the repository: the contents API describes it in JSON.
    repo.links
        .insert("tsconfig.json".into(), link("/etc/mcp/tsconfig.json"));
    repo.links.insert(
        "vendor/sdk".into(),
        SimLink::Submodule {
            url: "https://github.com/acme/sdk.git".into(),
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
        },
    );
    repo
}

/// Fetches the repository into a database of its own (so the second path
/// cannot reuse the first one's snapshot) and returns its method and files.
async fn snapshot(trees: bool, max_tree_entries: usize) -> (String, Vec<(String, String)>) {
    let corpus = Corpus {
        repos: vec![linked_repo()],
    };
    let metas: Vec<_> = corpus.repos.iter().map(|r| r.meta.clone()).collect();
    let db = TestDb::create()
        .await
        .expect("test database (is Postgres running?)");
    let config = SimConfig {
        max_tree_entries,
        ..SimConfig::unthrottled()
    };
    let sim = serve(
        Arc::new(corpus),
        config,
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("simulator");
    let client = client_for(&sim.base_url(), |_| {});
    let run_id = run_with(&db.store, "links", &sim.base_url(), &metas).await;
    let mut options = FetchOptions::new("links-test");
    if trees {
        options.trees_threshold_kb = -1;
    }
    let stats = fetch_run(&db.store, &client, run_id, &options)
        .await
        .expect("fetch");
    assert_eq!(stats.failed, 0, "{stats:?}");
    let method: String = db
        .store
        .inspect_one("SELECT method FROM snapshots", &[])
        .await
        .expect("one snapshot");
    #[derive(serde::Deserialize)]
    struct File {
        path: String,
        sha256: String,
    }
    let files: Vec<File> = db
        .store
        .inspect("SELECT path, sha256 FROM snapshot_files ORDER BY path", &[])
        .await
        .expect("files");
    let files = files.into_iter().map(|f| (f.path, f.sha256)).collect();
    db.drop_db().await.expect("drop");
    (method, files)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trees_and_tarball_store_the_same_files() {
    let (tar_method, tar_files) = snapshot(false, 100_000).await;
    let (trees_method, trees_files) = snapshot(true, 100_000).await;
    assert_eq!(tar_method, "tarball");
    assert_eq!(trees_method, "trees");
    let paths: Vec<&str> = tar_files.iter().map(|(p, _)| p.as_str()).collect();
    assert!(paths.contains(&"package.json"), "{paths:?}");
    for link in [
        "server.json",
        "docs/README.md",
        "tsconfig.json",
        "vendor/sdk",
    ] {
        assert!(!paths.contains(&link), "{link} is not a file: {paths:?}");
    }
    assert_eq!(tar_files, trees_files, "both paths store the same files");
}

/// GitHub truncates a recursive tree past 100,000 entries: the fetcher then
/// lists it folder by folder and still stores every file. Here the limit is
/// 6 entries: the recursive listing (11 entries) stops before
/// `src/index.ts`, and even the root's own listing (8 entries) is cut after
/// `src`; the folders below it are listed on their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_tree_is_listed_folder_by_folder() {
    let (_, tar_files) = snapshot(false, 100_000).await;
    let (method, trees_files) = snapshot(true, 6).await;
    assert_eq!(method, "trees");
    assert!(
        trees_files.iter().any(|(p, _)| p == "src/index.ts"),
        "{trees_files:?}"
    );
    assert_eq!(tar_files, trees_files, "no file lost to the truncation");
}
