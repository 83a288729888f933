//! From a request path to a `Route`, and from a `Route` to the endpoint
//! that answers it.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::json;

use super::git::{
    commit_json, contents_json, download_base, lookup, resolve_ref, tree_json, with_git,
};
use super::json::repo_json;
use super::replies::{error_json, Reply, DOCS};
use super::search::{search_code, search_repositories};
use super::AppState;
use crate::faults::FaultKind;
use crate::limits::Resource;

#[derive(Debug, Clone)]
pub(super) enum Route {
    SimStats,
    RateLimit,
    SearchRepos,
    SearchCode,
    Repo(String),
    Commit(String, String),
    Tarball(String, Option<String>),
    Tree(String, String),
    Contents(String, String),
    Codeload(String, String),
    /// `GET /v0.1/servers`, the MCP registry (server/registry.rs).
    Registry,
    AppInstallations,
    AppAccessToken(u64),
    NotFound,
}

impl Route {
    pub(super) fn endpoint(&self) -> &'static str {
        match self {
            Route::SimStats => "sim_stats",
            Route::RateLimit => "rate_limit",
            Route::SearchRepos => "search_repositories",
            Route::SearchCode => "search_code",
            Route::Repo(_) => "repo",
            Route::Commit(..) => "commit",
            Route::Tarball(..) => "tarball",
            Route::Tree(..) => "tree",
            Route::Contents(..) => "contents",
            Route::Codeload(..) => "codeload",
            Route::Registry => "registry_servers",
            Route::AppInstallations => "app_installations",
            Route::AppAccessToken(_) => "app_access_tokens",
            Route::NotFound => "not_found",
        }
    }

    pub(super) fn resource(&self) -> Resource {
        match self {
            Route::SearchRepos => Resource::Search,
            Route::SearchCode => Resource::CodeSearch,
            Route::Codeload(..) => Resource::Archive,
            _ => Resource::Core,
        }
    }

    pub(super) fn repo(&self) -> Option<&str> {
        match self {
            Route::Repo(r)
            | Route::Commit(r, _)
            | Route::Tarball(r, _)
            | Route::Tree(r, _)
            | Route::Contents(r, _)
            | Route::Codeload(r, _) => Some(r),
            _ => None,
        }
    }

    pub(super) fn is_json(&self) -> bool {
        !matches!(self, Route::Tarball(..) | Route::Codeload(..))
    }

    pub(super) fn fault_applies(&self, k: FaultKind) -> bool {
        match k {
            FaultKind::NotFound | FaultKind::Unavailable => self.repo().is_some(),
            FaultKind::Empty => self.repo().is_some() && !matches!(self, Route::Repo(_)),
            FaultKind::MalformedJson | FaultKind::WrongTypes => self.is_json(),
            FaultKind::TruncatedBody => !matches!(self, Route::Tarball(..)),
            FaultKind::Incomplete | FaultKind::ShortPage => {
                matches!(self, Route::SearchRepos | Route::SearchCode)
            }
            FaultKind::Blocked => self.repo().is_some(),
            FaultKind::BadRedirect => matches!(self, Route::Tarball(..)),
            FaultKind::NulPath => matches!(self, Route::Codeload(..) | Route::Tree(..)),
            FaultKind::Trickle
            | FaultKind::EmptyDeflate
            | FaultKind::FlatArchive
            | FaultKind::TwoTopFolders => matches!(self, Route::Codeload(..)),
            _ => true,
        }
    }
}

pub(super) fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn route(path: &str) -> Route {
    let trimmed = path.trim_end_matches('/');
    let segs: Vec<String> = trimmed.split('/').skip(1).map(percent_decode).collect();
    let s: Vec<&str> = segs.iter().map(|x| x.as_str()).collect();
    match s.as_slice() {
        ["_sim", "stats"] => Route::SimStats,
        ["rate_limit"] => Route::RateLimit,
        ["app", "installations"] => Route::AppInstallations,
        ["app", "installations", id, "access_tokens"] => match id.parse() {
            Ok(id) => Route::AppAccessToken(id),
            Err(_) => Route::NotFound,
        },
        ["search", "repositories"] => Route::SearchRepos,
        ["search", "code"] => Route::SearchCode,
        ["v0.1", "servers"] => Route::Registry,
        ["repos", o, r] => Route::Repo(format!("{o}/{r}")),
        ["repos", o, r, "commits", rest @ ..] if !rest.is_empty() => {
            Route::Commit(format!("{o}/{r}"), rest.join("/"))
        }
        ["repos", o, r, "tarball"] => Route::Tarball(format!("{o}/{r}"), None),
        ["repos", o, r, "tarball", rest @ ..] => {
            Route::Tarball(format!("{o}/{r}"), Some(rest.join("/")))
        }
        ["repos", o, r, "git", "trees", rest @ ..] if !rest.is_empty() => {
            Route::Tree(format!("{o}/{r}"), rest.join("/"))
        }
        ["repos", o, r, "contents"] => Route::Contents(format!("{o}/{r}"), String::new()),
        ["repos", o, r, "contents", rest @ ..] => {
            Route::Contents(format!("{o}/{r}"), rest.join("/"))
        }
        ["_codeload", o, r, "legacy.tar.gz", rest @ ..] if !rest.is_empty() => {
            Route::Codeload(format!("{o}/{r}"), rest.join("/"))
        }
        _ => Route::NotFound,
    }
}

pub(super) fn param<'a>(params: &'a [(String, String)], k: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(key, _)| key == k)
        .map(|(_, v)| v.as_str())
}

pub(super) fn dispatch(
    st: &Arc<AppState>,
    route: &Route,
    params: &[(String, String)],
    _path: &str,
    fault: Option<FaultKind>,
) -> Reply {
    match route {
        Route::SearchRepos => search_repositories(st, params, fault),
        Route::SearchCode => search_code(st, params, fault),
        Route::Repo(r) => match lookup(st, r) {
            Some(i) => Reply::Json(StatusCode::OK, repo_json(st, i, false)),
            None => error_json(StatusCode::NOT_FOUND, "Not Found"),
        },
        Route::Commit(r, git_ref) => with_git(st, r, |i, g| match resolve_ref(st, i, g, git_ref) {
            true => Reply::Json(StatusCode::OK, commit_json(st, i, g)),
            false => Reply::Json(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"message": format!("No commit found for SHA: {git_ref}"), "documentation_url": DOCS, "status": "422"}),
            ),
        }),
        Route::Tarball(r, git_ref) => with_git(st, r, |i, g| {
            let meta = &st.corpus.repos[i].meta;
            // GitHub names a branch in full in the download URL
            // (`legacy.tar.gz/refs/heads/main`); a sha stays a sha.
            let want = match git_ref.as_deref() {
                None => format!("refs/heads/{}", meta.default_branch),
                Some(r) if r == meta.default_branch => format!("refs/heads/{r}"),
                Some(r) => r.to_string(),
            };
            if !resolve_ref(st, i, g, &want) {
                return error_json(StatusCode::NOT_FOUND, "Not Found");
            }
            st.stats.redirect(&meta.full_name);
            Reply::Redirect(format!(
                "{}/_codeload/{}/legacy.tar.gz/{}",
                download_base(&st.base_url),
                meta.full_name,
                want
            ))
        }),
        Route::Codeload(r, git_ref) => with_git(st, r, |i, g| {
            if !resolve_ref(st, i, g, git_ref) {
                return error_json(StatusCode::NOT_FOUND, "Not Found");
            }
            Reply::Tarball {
                repo: i,
                commit: g.commit_sha.clone(),
                mtime: g.commit_time.max(0) as u64,
            }
        }),
        Route::Tree(r, sha) => with_git(st, r, |i, g| tree_json(st, i, g, sha, params)),
        Route::Contents(r, path) => with_git(st, r, |i, g| {
            if let Some(want) = param(params, "ref") {
                if !resolve_ref(st, i, g, want) {
                    return error_json(
                        StatusCode::NOT_FOUND,
                        &format!("No commit found for the ref {want}"),
                    );
                }
            }
            contents_json(st, i, g, path)
        }),
        Route::NotFound
        | Route::SimStats
        | Route::RateLimit
        | Route::Registry
        | Route::AppInstallations
        | Route::AppAccessToken(_) => error_json(StatusCode::NOT_FOUND, "Not Found"),
    }
}
