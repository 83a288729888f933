//! GitHub's repository and owner objects, with the fields a client meets.

use mcp_survey_model::RepoMeta;
use serde_json::{json, Value};

use super::AppState;

pub(super) fn owner_json(st: &AppState, login: &str) -> Value {
    let hash = crate::prng::fnv1a(login.as_bytes());
    let id = (hash % 200_000_000) as i64 + 1000;
    // About one owner in five is an organisation, as on GitHub, where
    // servers are often published by companies.
    let org = (hash >> 32).is_multiple_of(5);
    json!({
        "login": login,
        "id": id,
        "node_id": format!("{}_sim{id}", if org { "O" } else { "U" }),
        "type": if org { "Organization" } else { "User" },
        "user_view_type": "public",
        "gravatar_id": "",
        "followers_url": format!("{}/users/{login}/followers", st.base_url),
        "repos_url": format!("{}/users/{login}/repos", st.base_url),
        "site_admin": false,
        "url": format!("{}/users/{login}", st.base_url),
        "html_url": format!("https://github.com/{login}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
    })
}

/// The short form of a repository that GitHub nests in other objects (a
/// code search item's `repository`); the full form adds to it.
fn repo_summary_json(st: &AppState, m: &RepoMeta) -> Value {
    let api = format!("{}/repos/{}", st.base_url, m.full_name);
    json!({
        "id": m.id,
        "node_id": format!("R_sim{}", m.id),
        "name": m.name(),
        "full_name": m.full_name,
        "private": false,
        "owner": owner_json(st, m.owner()),
        "html_url": format!("https://github.com/{}", m.full_name),
        "description": m.description,
        "fork": m.fork,
        "url": api,
    })
}

pub(super) fn repo_json(st: &AppState, i: usize, search: bool) -> Value {
    let m = &st.corpus.repos[i].meta;
    let api = format!("{}/repos/{}", st.base_url, m.full_name);
    let mut v = repo_summary_json(st, m);
    let details = json!({
        "tarball_url": format!("{api}/tarball/{{/ref}}"),
        "trees_url": format!("{api}/git/trees{{/sha}}"),
        "contents_url": format!("{api}/contents/{{+path}}"),
        "created_at": m.created_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "updated_at": m.pushed_at.unwrap_or(m.created_at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "pushed_at": m.pushed_at.map(|p| p.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        "git_url": format!("git://github.com/{}.git", m.full_name),
        "clone_url": format!("https://github.com/{}.git", m.full_name),
        "homepage": homepage(m),
        "size": m.size,
        "stargazers_count": m.stargazers_count,
        "watchers_count": m.stargazers_count,
        "language": m.language,
        "forks_count": m.forks_count,
        "archived": m.archived,
        "disabled": false,
        "open_issues_count": 0,
        "license": license_json(m),
        "topics": m.topics,
        "visibility": "public",
        "forks": m.forks_count,
        "open_issues": 0,
        "watchers": m.stargazers_count,
        "default_branch": m.default_branch,
    });
    // The rest of GitHub's documented fields (objects of their own: one macro
    // call this long exceeds serde_json's recursion limit).
    let more = json!({
        "mirror_url": Value::Null,
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": true,
        "has_pages": false,
        "has_discussions": false,
        "allow_forking": true,
        "is_template": false,
        "web_commit_signoff_required": false,
        "ssh_url": format!("git@github.com:{}.git", m.full_name),
        "svn_url": format!("https://github.com/{}", m.full_name),
    });
    if let (Some(o), Value::Object(details), Value::Object(more)) =
        (v.as_object_mut(), details, more)
    {
        o.extend(details);
        o.extend(more);
    }
    if search {
        // GitHub's relevance score is a float, rarely a whole number.
        v["score"] = json!(score_of(m.id));
    } else {
        v["network_count"] = json!(m.forks_count);
        v["subscribers_count"] = json!(0);
        v["temp_clone_token"] = Value::Null;
    }
    v
}

/// A stable, fractional relevance score per repository.
pub(super) fn score_of(id: i64) -> f64 {
    1.0 + (crate::prng::mix(id as u64) % 100_000) as f64 / 1000.0
}

/// Most repositories have no homepage (`null`); some an empty string, as
/// GitHub sends when one was set and cleared; a few a URL.
pub(super) fn homepage(m: &RepoMeta) -> Value {
    match crate::prng::mix(m.id as u64 ^ 0x686f6d65) % 10 {
        0 => json!(""),
        1 => json!(format!("https://{}.example.org", m.name())),
        _ => Value::Null,
    }
}

/// GitHub's license object, or `null` when it detected none (about a third
/// of repositories), or "Other" with a null `spdx_id`-like `NOASSERTION`.
pub(super) fn license_json(m: &RepoMeta) -> Value {
    let (key, name, spdx) = match crate::prng::mix(m.id as u64 ^ 0x6c6963) % 6 {
        0 | 1 => return Value::Null,
        2 => ("apache-2.0", "Apache License 2.0", "Apache-2.0"),
        3 => ("other", "Other", "NOASSERTION"),
        _ => ("mit", "MIT License", "MIT"),
    };
    json!({
        "key": key,
        "name": name,
        "spdx_id": spdx,
        "url": if key == "other" { Value::Null } else { json!(format!("https://api.github.com/licenses/{key}")) },
        "node_id": format!("MDc6TGljZW5zZ{key}"),
    })
}

/// One item of a code search answer: the file, and a short form of its
/// repository.
pub(super) fn code_item_json(st: &AppState, file: u32) -> Value {
    let (ri, path) = st.index.code_file(file);
    let m = &st.corpus.repos[ri].meta;
    let sha = st.git[ri]
        .as_ref()
        .and_then(|g| g.blobs.get(path))
        .map(|(s, _)| s.clone())
        .unwrap_or_default();
    let commit = st.git[ri]
        .as_ref()
        .map(|g| g.commit_sha.as_str())
        .unwrap_or("");
    let api = format!("{}/repos/{}", st.base_url, m.full_name);
    json!({
        "name": path.rsplit('/').next().unwrap_or(path),
        "path": path,
        "sha": sha,
        "url": format!("{api}/contents/{path}?ref={commit}"),
        "git_url": format!("{api}/git/blobs/{sha}"),
        "html_url": format!("https://github.com/{}/blob/{}/{path}", m.full_name, m.default_branch),
        "repository": repo_summary_json(st, m),
        "score": 1.0,
    })
}
