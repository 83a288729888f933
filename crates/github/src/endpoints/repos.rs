//! `GET /repos/{owner}/{repo}`, its commits and its git trees.

use http::header::ETAG;
use http::StatusCode;
use mcp_survey_model::RepoMeta;
use serde::Deserialize;

use crate::client::GithubClient;
use crate::error::GithubError;
use crate::request::{ref_segments, repo_url, ApiRequest};
use crate::resource::Resource;
use crate::types::{CommitInfo, Conditional, Tree, TreeEntry};

impl GithubClient {
    /// `GET /repos/{owner}/{repo}`, conditional on `etag` (a 304 costs no
    /// quota on GitHub). A renamed repository is followed to its new name.
    pub async fn get_repo(
        &self,
        full_name: &str,
        etag: Option<&str>,
    ) -> Result<Conditional<RepoMeta>, GithubError> {
        let req = ApiRequest::get(
            repo_url(&self.inner.config.base_url, full_name, &[])?,
            Resource::Core,
            format!("repository {full_name} (GET /repos/{full_name})"),
        )
        .if_none_match(etag);
        self.get_decoded(&req, |a| {
            if a.status == StatusCode::NOT_MODIFIED {
                return Ok(Conditional::NotModified);
            }
            let value: RepoMeta = serde_json::from_slice(&a.body)?;
            let etag = a
                .headers
                .get(ETAG)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            Ok(Conditional::Modified { value, etag })
        })
        .await
    }

    /// `GET /repos/{owner}/{repo}/commits/{ref}`: the commit and its tree.
    pub async fn commit(&self, full_name: &str, git_ref: &str) -> Result<CommitInfo, GithubError> {
        let mut tail = vec!["commits"];
        tail.extend(ref_segments(git_ref)?);
        let req = ApiRequest::get(
            repo_url(&self.inner.config.base_url, full_name, &tail)?,
            Resource::Core,
            format!("commit {git_ref} of {full_name} (GET /repos/{full_name}/commits/{git_ref})"),
        );
        #[derive(Deserialize)]
        struct Commit {
            sha: String,
            commit: CommitBody,
        }
        #[derive(Deserialize)]
        struct CommitBody {
            tree: Sha,
        }
        #[derive(Deserialize)]
        struct Sha {
            sha: String,
        }
        self.get_decoded(&req, |a| {
            let c: Commit = serde_json::from_slice(&a.body)?;
            Ok(CommitInfo {
                sha: c.sha,
                tree_sha: c.commit.tree.sha,
            })
        })
        .await
    }

    /// `GET /repos/{owner}/{repo}/git/trees/{sha}?recursive=1`.
    pub async fn tree(&self, full_name: &str, sha: &str) -> Result<Tree, GithubError> {
        self.tree_with(full_name, sha, true).await
    }

    /// `GET /repos/{owner}/{repo}/git/trees/{sha}`, recursive or one level
    /// only: the way through a tree GitHub truncates (over 100,000 entries
    /// or 7 MB), one folder at a time.
    pub async fn tree_with(
        &self,
        full_name: &str,
        sha: &str,
        recursive: bool,
    ) -> Result<Tree, GithubError> {
        let mut tail = vec!["git", "trees"];
        tail.extend(ref_segments(sha)?);
        let mut url = repo_url(&self.inner.config.base_url, full_name, &tail)?;
        if recursive {
            url.query_pairs_mut().append_pair("recursive", "1");
        }
        let req = ApiRequest::get(
            url,
            Resource::Core,
            format!("tree {sha} of {full_name} (GET /repos/{full_name}/git/trees/{sha})"),
        );
        #[derive(Deserialize)]
        struct Raw {
            sha: String,
            #[serde(default)]
            tree: Vec<TreeEntry>,
            #[serde(default)]
            truncated: bool,
        }
        self.get_decoded(&req, |a| {
            let t: Raw = serde_json::from_slice(&a.body)?;
            Ok(Tree {
                sha: t.sha,
                entries: t.tree,
                truncated: t.truncated,
            })
        })
        .await
    }
}
