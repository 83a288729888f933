//! Endpoints over a repository's git model: commits, trees, contents and
//! the tarball redirect.

use axum::http::StatusCode;
use base64::Engine;
use serde_json::{json, Value};

use super::replies::{error_json, Reply};
use super::routing::param;
use super::AppState;
use crate::corpus::SimLink;
use crate::git::{
    resolve_link, EntryKind, GitModel, MODE_BLOB, MODE_SUBMODULE, MODE_SYMLINK, MODE_TREE,
};

/// Archives come from another host, as GitHub's come from
/// codeload.github.com: the same loopback listener under its other name
/// (`127.0.0.1` and `localhost`), so a client that sends its token only to
/// the API's origin, or reads the API's rate-limit headers on downloads,
/// shows it here as it would on GitHub.
pub(super) fn download_base(base_url: &str) -> String {
    if base_url.contains("://127.0.0.1:") {
        base_url.replacen("://127.0.0.1:", "://localhost:", 1)
    } else if base_url.contains("://localhost:") {
        base_url.replacen("://localhost:", "://127.0.0.1:", 1)
    } else {
        base_url.to_string()
    }
}

pub(super) fn lookup(st: &AppState, full: &str) -> Option<usize> {
    st.by_name.get(&full.to_ascii_lowercase()).copied()
}

pub(super) fn with_git(
    st: &AppState,
    full: &str,
    f: impl FnOnce(usize, &GitModel) -> Reply,
) -> Reply {
    let Some(i) = lookup(st, full) else {
        return error_json(StatusCode::NOT_FOUND, "Not Found");
    };
    match &st.git[i] {
        Some(g) => f(i, g),
        None => error_json(StatusCode::CONFLICT, "Git Repository is empty."),
    }
}

/// Branch names, `HEAD`, `refs/heads/BRANCH` and the commit sha (or a
/// prefix of at least 7 characters) resolve to the one commit.
pub(super) fn resolve_ref(st: &AppState, i: usize, g: &GitModel, r: &str) -> bool {
    let branch = &st.corpus.repos[i].meta.default_branch;
    r == branch
        || r == "HEAD"
        || r.strip_prefix("refs/heads/") == Some(branch.as_str())
        || (r.len() >= 7 && r.len() <= 40 && g.commit_sha.starts_with(&r.to_ascii_lowercase()))
}

pub(super) fn commit_json(st: &AppState, i: usize, g: &GitModel) -> Value {
    let m = &st.corpus.repos[i].meta;
    let api = format!("{}/repos/{}", st.base_url, m.full_name);
    let date = chrono::DateTime::from_timestamp(g.commit_time, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let who = json!({"name": "mcp-survey-sim", "email": "sim@users.noreply.invalid", "date": date});
    json!({
        "sha": g.commit_sha,
        "node_id": format!("C_sim{}", &g.commit_sha[..12]),
        "commit": {
            "author": who,
            "committer": who,
            "message": format!("Snapshot of {}", m.full_name),
            "tree": {"sha": g.root_tree, "url": format!("{api}/git/trees/{}", g.root_tree)},
            "url": format!("{api}/git/commits/{}", g.commit_sha),
            "comment_count": 0,
        },
        "url": format!("{api}/commits/{}", g.commit_sha),
        "html_url": format!("https://github.com/{}/commit/{}", m.full_name, g.commit_sha),
        "parents": [],
    })
}

pub(super) fn tree_json(
    st: &AppState,
    i: usize,
    g: &GitModel,
    sha: &str,
    params: &[(String, String)],
) -> Reply {
    let root = if g.trees.contains_key(sha) {
        sha.to_string()
    } else if resolve_ref(st, i, g, sha) {
        g.root_tree.clone()
    } else {
        return error_json(StatusCode::NOT_FOUND, "Not Found");
    };
    let recursive =
        param(params, "recursive").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let m = &st.corpus.repos[i].meta;
    let api = format!("{}/repos/{}", st.base_url, m.full_name);
    let mut walked = g.walk(&root, recursive);
    let truncated = walked.len() > st.config.max_tree_entries;
    walked.truncate(st.config.max_tree_entries);
    let entries: Vec<Value> = walked
        .into_iter()
        .map(|(path, e)| match e.kind {
            EntryKind::Blob => json!({"path": path, "mode": MODE_BLOB, "type": "blob", "sha": e.sha, "size": e.size, "url": format!("{api}/git/blobs/{}", e.sha)}),
            EntryKind::Tree => json!({"path": path, "mode": MODE_TREE, "type": "tree", "sha": e.sha, "url": format!("{api}/git/trees/{}", e.sha)}),
            // A symlink is a blob holding its target, told apart by mode only.
            EntryKind::Symlink => json!({"path": path, "mode": MODE_SYMLINK, "type": "blob", "sha": e.sha, "size": e.size, "url": format!("{api}/git/blobs/{}", e.sha)}),
            // A submodule is the commit it pins, with neither size nor url.
            EntryKind::Submodule => json!({"path": path, "mode": MODE_SUBMODULE, "type": "commit", "sha": e.sha}),
        })
        .collect();
    Reply::Json(
        StatusCode::OK,
        json!({"sha": root, "url": format!("{api}/git/trees/{root}"), "tree": entries, "truncated": truncated}),
    )
}

pub(super) fn content_entry(
    st: &AppState,
    full: &str,
    path: &str,
    kind: &str,
    sha: &str,
    size: u64,
    branch: &str,
) -> Value {
    let api = format!("{}/repos/{full}", st.base_url);
    let name = path.rsplit('/').next().unwrap_or(path);
    let git_url = format!(
        "{api}/git/{}/{sha}",
        if kind == "dir" { "trees" } else { "blobs" }
    );
    let html_url = format!(
        "https://github.com/{full}/{}/{branch}/{path}",
        if kind == "dir" { "tree" } else { "blob" }
    );
    let url = format!("{api}/contents/{path}?ref={branch}");
    json!({
        "type": kind,
        "name": name,
        "path": path,
        "sha": sha,
        "size": size,
        "url": url,
        "html_url": html_url,
        "git_url": git_url,
        "download_url": if kind == "file" { json!(format!("https://raw.githubusercontent.com/{full}/{branch}/{path}")) } else { Value::Null },
        "_links": {"self": url, "git": git_url, "html": html_url},
    })
}

pub(super) fn contents_json(st: &AppState, i: usize, g: &GitModel, path: &str) -> Reply {
    let repo = &st.corpus.repos[i];
    let full = &repo.meta.full_name;
    let branch = &repo.meta.default_branch;
    let mut path = path.trim_matches('/').to_string();
    match g.links.get(&path) {
        // GitHub answers a symlink to a file in the repository with that
        // file; any other symlink and a submodule with a description.
        Some(SimLink::Symlink { target }) => {
            match resolve_link(&path, target).filter(|t| g.blobs.contains_key(t)) {
                Some(file) => path = file,
                None => {
                    let sha = crate::git::blob_sha(target.as_bytes());
                    let mut v = content_entry(
                        st,
                        full,
                        &path,
                        "symlink",
                        &sha,
                        target.len() as u64,
                        branch,
                    );
                    v["target"] = json!(target);
                    v["download_url"] = json!(format!(
                        "https://raw.githubusercontent.com/{full}/{branch}/{path}"
                    ));
                    return Reply::Json(StatusCode::OK, v);
                }
            }
        }
        Some(SimLink::Submodule { url, commit }) => {
            let mut v = content_entry(st, full, &path, "submodule", commit, 0, branch);
            v["submodule_git_url"] = json!(url);
            return Reply::Json(StatusCode::OK, v);
        }
        None => {}
    }
    let path = path.as_str();
    if let Some((sha, size)) = g.blobs.get(path) {
        let mut v = content_entry(st, full, path, "file", sha, *size, branch);
        match repo.files.get(path) {
            // GitHub omits the content of files over 1 MB (encoding "none").
            Some(bytes) if bytes.len() <= 1024 * 1024 => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
                let wrapped: Vec<&str> = b64
                    .as_bytes()
                    .chunks(60)
                    .map(|c| std::str::from_utf8(c).unwrap_or_default())
                    .collect();
                let mut content = wrapped.join("\n");
                content.push('\n');
                v["content"] = json!(content);
                v["encoding"] = json!("base64");
            }
            _ => {
                v["content"] = json!("");
                v["encoding"] = json!("none");
            }
        }
        return Reply::Json(StatusCode::OK, v);
    }
    // A directory: find its tree.
    let tree = if path.is_empty() {
        Some(g.root_tree.clone())
    } else {
        g.walk(&g.root_tree, true)
            .into_iter()
            .find(|(p, e)| p == path && e.kind == EntryKind::Tree)
            .map(|(_, e)| e.sha)
    };
    let Some(tree) = tree else {
        return error_json(StatusCode::NOT_FOUND, "Not Found");
    };
    let list: Vec<Value> = g
        .walk(&tree, false)
        .into_iter()
        .map(|(name, e)| {
            let p = if path.is_empty() {
                name
            } else {
                format!("{path}/{name}")
            };
            match e.kind {
                EntryKind::Blob => content_entry(st, full, &p, "file", &e.sha, e.size, branch),
                EntryKind::Tree => content_entry(st, full, &p, "dir", &e.sha, 0, branch),
                // GitHub lists a symlink in a folder as a `file`.
                EntryKind::Symlink => content_entry(st, full, &p, "file", &e.sha, e.size, branch),
                // ... and a submodule too, "for backwards compatibility".
                EntryKind::Submodule => content_entry(st, full, &p, "file", &e.sha, 0, branch),
            }
        })
        .collect();
    Reply::Json(StatusCode::OK, Value::Array(list))
}
