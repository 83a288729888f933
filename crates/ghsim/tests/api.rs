mod common;

use std::io::Read;

use base64::Engine;
use common::*;
use mcp_survey_ghsim::{blob_sha, synthetic, Corpus, SimConfig};

fn corpus() -> Corpus {
    let mut r = repo(
        "octo/mcp-demo",
        "MCP demo",
        "2025-02-02T02:02:02Z",
        3,
        &[
            ("README.md", "# demo\n"),
            ("src/index.ts", "const key = process.env.DEMO_API_KEY;\n"),
            ("src/lib/util.ts", "export const x = 1;\n"),
            ("package.json", "{}\n"),
        ],
    );
    r.meta.default_branch = "main".into();
    let empty = mcp_survey_ghsim::SimRepo::new("octo/empty", Default::default());
    Corpus {
        repos: vec![r, empty],
    }
}

#[tokio::test]
async fn repo_commit_tree_and_contents() {
    let corpus = corpus();
    let files = corpus.repos[0].files.clone();
    let sha = corpus.repos[0].commit_sha().expect("commit");
    let sim = start(corpus, SimConfig::default()).await;
    let c = client();
    let base = sim.base_url();

    let (s, h, v) = get_json(&c, &format!("{base}/repos/octo/mcp-demo")).await;
    assert_eq!(s, 200);
    assert_eq!(v["full_name"], "octo/mcp-demo");
    assert_eq!(v["default_branch"], "main");
    assert!(header(&h, "etag").starts_with("W/\""));
    // Owner and name are case-insensitive, as on GitHub.
    let (s, _, _) = get_json(&c, &format!("{base}/repos/OCTO/MCP-Demo")).await;
    assert_eq!(s, 200);
    let (s, _, v) = get_json(&c, &format!("{base}/repos/octo/nope")).await;
    assert_eq!((s, v["message"].as_str()), (404, Some("Not Found")));

    for r in ["HEAD", "main", "refs/heads/main", &sha, &sha[..7]] {
        let (s, _, v) = get_json(&c, &format!("{base}/repos/octo/mcp-demo/commits/{r}")).await;
        assert_eq!(s, 200, "{r}");
        assert_eq!(v["sha"], sha.as_str());
        assert_eq!(
            v["commit"]["tree"]["sha"].as_str().map(|s| s.len()),
            Some(40)
        );
    }
    let (s, _, _) = get_json(
        &c,
        &format!("{base}/repos/octo/mcp-demo/commits/nosuchbranch"),
    )
    .await;
    assert_eq!(s, 422);

    let (_, _, v) = get_json(
        &c,
        &format!("{base}/repos/octo/mcp-demo/git/trees/main?recursive=1"),
    )
    .await;
    let tree = v["tree"].as_array().expect("tree");
    let paths: Vec<&str> = tree.iter().filter_map(|e| e["path"].as_str()).collect();
    assert_eq!(
        paths,
        vec![
            "README.md",
            "package.json",
            "src",
            "src/index.ts",
            "src/lib",
            "src/lib/util.ts"
        ]
    );
    assert_eq!(v["truncated"], false);
    for e in tree.iter().filter(|e| e["type"] == "blob") {
        let path = e["path"].as_str().unwrap_or_default();
        assert_eq!(e["sha"].as_str(), Some(blob_sha(&files[path]).as_str()));
        assert_eq!(e["size"].as_u64(), Some(files[path].len() as u64));
        assert_eq!(e["mode"], "100644");
    }
    let src = tree.iter().find(|e| e["path"] == "src").expect("src tree");
    assert_eq!(src["mode"], "040000");
    let (_, _, v) = get_json(
        &c,
        &format!(
            "{base}/repos/octo/mcp-demo/git/trees/{}",
            src["sha"].as_str().unwrap_or("")
        ),
    )
    .await;
    let sub: Vec<&str> = v["tree"]
        .as_array()
        .expect("tree")
        .iter()
        .filter_map(|e| e["path"].as_str())
        .collect();
    assert_eq!(
        sub,
        vec!["index.ts", "lib"],
        "non-recursive, relative paths"
    );

    let (s, _, v) = get_json(
        &c,
        &format!("{base}/repos/octo/mcp-demo/contents/src/index.ts"),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["encoding"], "base64");
    let b64: String = v["content"]
        .as_str()
        .unwrap_or_default()
        .split('\n')
        .collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    assert_eq!(decoded, files["src/index.ts"]);
    let (_, _, v) = get_json(
        &c,
        &format!("{base}/repos/octo/mcp-demo/contents/src?ref=main"),
    )
    .await;
    let kinds: Vec<(String, String)> = v
        .as_array()
        .expect("listing")
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap_or("").into(),
                e["type"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("index.ts".into(), "file".into()),
            ("lib".into(), "dir".into())
        ]
    );
    let (s, _, _) = get_json(
        &c,
        &format!("{base}/repos/octo/mcp-demo/contents/missing.txt"),
    )
    .await;
    assert_eq!(s, 404);

    // An empty repository: 200 for the repository, 409 for its git data.
    let (s, _, _) = get_json(&c, &format!("{base}/repos/octo/empty")).await;
    assert_eq!(s, 200);
    for p in [
        "commits/HEAD",
        "git/trees/main",
        "contents/README.md",
        "tarball",
    ] {
        let (s, _, v) = get_json(&c, &format!("{base}/repos/octo/empty/{p}")).await;
        assert_eq!(
            (s, v["message"].as_str()),
            (409, Some("Git Repository is empty.")),
            "{p}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn tarball_redirects_to_codeload_and_streams_a_github_archive() {
    let corpus = corpus();
    let files = corpus.repos[0].files.clone();
    let sha = corpus.repos[0].commit_sha().expect("commit");
    let sim = start(corpus, SimConfig::default()).await;
    let c = client();
    let base = sim.base_url();
    let r = get(&c, &format!("{base}/repos/octo/mcp-demo/tarball/main")).await;
    assert_eq!(r.status().as_u16(), 302);
    assert_eq!(header(r.headers(), "x-ratelimit-resource"), "core");
    let location = header(r.headers(), "location").to_string();
    // Another host (as codeload.github.com is), and the branch in full.
    let other = base.replacen("127.0.0.1", "localhost", 1);
    assert_ne!(other, base);
    assert_eq!(
        location,
        format!("{other}/_codeload/octo/mcp-demo/legacy.tar.gz/refs/heads/main")
    );
    let r = get(&c, &location).await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers().get("x-ratelimit-resource").is_none()
            && r.headers().get("x-ratelimit-remaining").is_none(),
        "the download host sends no rate-limit headers"
    );
    let gz = r.bytes().await.expect("body");
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut tar_bytes)
        .expect("valid gzip");
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    let mut seen = std::collections::BTreeMap::new();
    let top = format!("octo-mcp-demo-{}", &sha[..7]);
    let mut first = true;
    for entry in archive.entries().expect("entries") {
        let mut entry = entry.expect("entry");
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if first {
            assert_eq!(entry.header().entry_type(), tar::EntryType::XGlobalHeader);
            let mut pax = String::new();
            entry.read_to_string(&mut pax).expect("pax");
            assert_eq!(pax, format!("52 comment={sha}\n"));
            first = false;
            continue;
        }
        assert!(path.starts_with(&format!("{top}/")), "{path}");
        if entry.header().entry_type().is_file() {
            let mut content = Vec::new();
            entry.read_to_end(&mut content).expect("content");
            seen.insert(path[top.len() + 1..].to_string(), content);
        }
    }
    assert_eq!(seen, files);
    // Without a ref: the default branch.
    let r = get(&c, &format!("{base}/repos/octo/mcp-demo/tarball")).await;
    assert!(header(r.headers(), "location").ends_with("/legacy.tar.gz/refs/heads/main"));
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let st = sim.stats();
    assert_eq!(st.tarball_downloads.get("octo/mcp-demo"), Some(&1));
    assert_eq!(st.tarball_completed.get("octo/mcp-demo"), Some(&1));
    assert_eq!(st.tarball_redirects.get("octo/mcp-demo"), Some(&2));
    assert_eq!(st.counted_by_resource.get("archive"), Some(&1));
    assert_eq!(st.counted_by_resource.get("core"), Some(&2));
    sim.shutdown().await;
}

#[tokio::test]
async fn huge_repository_streams_its_filler() {
    let opts = synthetic::GenOptions {
        huge: 1,
        huge_bytes: 40 * 1024 * 1024,
        hostile: false,
    };
    let corpus = synthetic::generate_with(5, 3, &opts);
    let name = synthetic::huge_repo_name(0);
    let huge = corpus.get(&name).expect("huge repo").clone();
    assert!(huge.meta.size >= 40 * 1024);
    let sim = start(corpus, SimConfig::default()).await;
    let c = client();
    let url = format!("{}/_codeload/{name}/legacy.tar.gz/HEAD", sim.base_url());
    let mut r = get(&c, &url).await;
    assert_eq!(r.status().as_u16(), 200);
    let mut compressed = 0usize;
    let mut chunks = 0usize;
    while let Some(chunk) = r.chunk().await.expect("chunk") {
        compressed += chunk.len();
        chunks += 1;
    }
    assert!(chunks > 3, "streamed in many chunks, got {chunks}");
    assert!(compressed < 40 * 1024 * 1024);
    let (_, _, tree) = get_json(
        &c,
        &format!("{}/repos/{name}/git/trees/HEAD?recursive=1", sim.base_url()),
    )
    .await;
    let filler: u64 = tree["tree"]
        .as_array()
        .expect("tree")
        .iter()
        .filter(|e| {
            e["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("assets/filler/"))
                && e["type"] == "blob"
        })
        .filter_map(|e| e["size"].as_u64())
        .sum();
    assert_eq!(filler, 40 * 1024 * 1024);
    sim.shutdown().await;
}

#[tokio::test]
async fn hostile_tarballs_carry_their_entries() {
    let opts = synthetic::GenOptions {
        hostile: true,
        ..Default::default()
    };
    let corpus = synthetic::generate_with(3, 9, &opts);
    let config = SimConfig {
        gzip_bomb_bytes: 64 * 1024 * 1024,
        ..SimConfig::default()
    };
    let sim = start(corpus, config).await;
    let c = client();
    let url = format!(
        "{}/_codeload/sim-hostile/everything/legacy.tar.gz/HEAD",
        sim.base_url()
    );
    let gz = get(&c, &url).await.bytes().await.expect("body");
    assert!(
        gz.len() < 2 * 1024 * 1024,
        "the bomb is small compressed: {} bytes",
        gz.len()
    );
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut tar_bytes)
        .expect("gzip");
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    let mut found = std::collections::BTreeSet::new();
    for entry in archive.entries().expect("entries") {
        let entry = entry.expect("entry");
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let kind = entry.header().entry_type();
        let link = entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned());
        if path.contains("../") || path.starts_with("..") {
            found.insert("traversal");
        }
        if path.starts_with('/') {
            found.insert("absolute");
        }
        if kind == tar::EntryType::Symlink && link.as_deref() == Some("/etc/passwd") {
            found.insert("symlink");
        }
        if kind == tar::EntryType::Link {
            found.insert("hardlink");
        }
        if kind == tar::EntryType::Char || kind == tar::EntryType::Block {
            found.insert("device");
        }
        if path.ends_with("bomb.bin") && entry.header().size().unwrap_or(0) == 64 * 1024 * 1024 {
            found.insert("bomb");
        }
    }
    assert_eq!(found.len(), 6, "{found:?}");
    sim.shutdown().await;
}

#[tokio::test]
async fn etag_304_is_not_counted() {
    let sim = start(corpus(), SimConfig::default()).await;
    let c = client();
    let url = format!("{}/repos/octo/mcp-demo", sim.base_url());
    let r = get(&c, &url).await;
    let etag = header(r.headers(), "etag").to_string();
    let used: u32 = header(r.headers(), "x-ratelimit-used")
        .parse()
        .expect("used");
    assert_eq!(used, 1);
    let r = c
        .get(&url)
        .header("authorization", format!("token {TOKEN}"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 304);
    assert_eq!(header(r.headers(), "x-ratelimit-used"), "1");
    assert_eq!(header(r.headers(), "x-ratelimit-remaining"), "4999");
    assert_eq!(header(r.headers(), "etag"), etag);
    let r = c
        .get(&url)
        .header("authorization", format!("token {TOKEN}"))
        .header("if-none-match", "W/\"stale\"")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(header(r.headers(), "x-ratelimit-used"), "2");
    let st = sim.stats();
    assert_eq!(st.not_modified, 1);
    assert_eq!(st.counted_by_resource.get("core"), Some(&2));
    sim.shutdown().await;
}

#[tokio::test]
async fn rejects_what_github_rejects() {
    let config = SimConfig {
        valid_tokens: Some(vec![TOKEN.to_string()]),
        ..SimConfig::default()
    };
    let sim = start(corpus(), config).await;
    let base = sim.base_url();
    let bare = reqwest::Client::new();
    let r = bare
        .get(format!("{base}/repos/octo/mcp-demo"))
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 403, "no User-Agent");
    let c = client();
    let r = c
        .get(format!("{base}/repos/octo/mcp-demo"))
        .header("authorization", "token wrong")
        .send()
        .await
        .expect("send");
    assert_eq!(r.status().as_u16(), 401);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["message"], "Bad credentials");
    let (s, _, _) = get_json(&c, &format!("{base}/repos/octo/mcp-demo")).await;
    assert_eq!(s, 200, "the valid token works");
    // Anonymous requests get the unauthenticated limit.
    let r = c
        .get(format!("{base}/repos/octo/mcp-demo"))
        .send()
        .await
        .expect("send");
    assert_eq!(header(r.headers(), "x-ratelimit-limit"), "60");
    let st = sim.stats();
    assert_eq!(st.rejects.get("no_user_agent"), Some(&1));
    assert_eq!(st.rejects.get("bad_credentials"), Some(&1));
    // Stats never show a token.
    let json = serde_json::to_string(&st).expect("json");
    assert!(!json.contains(TOKEN));
    let stats_http: serde_json::Value = c
        .get(format!("{base}/_sim/stats"))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("json");
    assert_eq!(stats_http["requests_by_endpoint"]["repo"], 4);
    sim.shutdown().await;
}
