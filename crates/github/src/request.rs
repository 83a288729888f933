//! What one API call is: its URL, resource, media type and conditions,
//! built step by step, and the checked pieces of a URL (repository names,
//! git refs, file paths).

use url::Url;

use crate::error::GithubError;
use crate::resource::Resource;

pub(crate) const JSON_ACCEPT: &str = "application/vnd.github+json";
pub(crate) const RAW_ACCEPT: &str = "application/vnd.github.raw+json";

/// One API call, for the request and for every message about it.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest<'a> {
    pub url: Url,
    pub resource: Resource,
    /// "repository a/b (GET /repos/a/b)": names the thing and the endpoint.
    pub what: String,
    pub accept: &'static str,
    pub etag: Option<&'a str>,
    /// The search query, for 422 messages.
    pub query: Option<&'a str>,
    /// Restrict to one credential (`rate_limit` checks each).
    pub token: Option<usize>,
    /// Hand 2xx bodies back unread (archives), and 3xx as answers.
    pub stream: bool,
}

impl<'a> ApiRequest<'a> {
    /// A JSON `GET` of `url` in `resource`, described as `what`.
    pub(crate) fn get(url: Url, resource: Resource, what: String) -> Self {
        ApiRequest {
            url,
            resource,
            what,
            accept: JSON_ACCEPT,
            etag: None,
            query: None,
            token: None,
            stream: false,
        }
    }

    /// Conditional on `etag`: a 304 costs no quota on GitHub.
    pub(crate) fn if_none_match(mut self, etag: Option<&'a str>) -> Self {
        self.etag = etag;
        self
    }

    pub(crate) fn search_query(mut self, q: &'a str) -> Self {
        self.query = Some(q);
        self
    }

    pub(crate) fn with_token(mut self, token: usize) -> Self {
        self.token = Some(token);
        self
    }

    /// The body is handed back unread, and a redirect as the answer.
    pub(crate) fn streamed(mut self) -> Self {
        self.stream = true;
        self
    }

    pub(crate) fn accepting(mut self, accept: &'static str) -> Self {
        self.accept = accept;
        self
    }
}

/// `base` joined with a relative API path (`rate_limit`, `search/code`).
pub(crate) fn endpoint(base: &Url, path: &str) -> Result<Url, GithubError> {
    base.join(path)
        .map_err(|e| GithubError::InvalidConfig(format!("cannot build the URL of {path}: {e}")))
}

/// `base/repos/{owner}/{name}/{tail...}`, each part one escaped segment.
pub(crate) fn repo_url(base: &Url, full_name: &str, tail: &[&str]) -> Result<Url, GithubError> {
    let (owner, name) = split_full_name(full_name)?;
    let mut url = base.clone();
    {
        let mut segs = url
            .path_segments_mut()
            .map_err(|_| GithubError::InvalidConfig("the GitHub URL cannot hold a path".into()))?;
        segs.pop_if_empty();
        segs.push("repos").push(owner).push(name);
        for t in tail {
            segs.push(t);
        }
    }
    Ok(url)
}

pub(crate) fn split_full_name(full_name: &str) -> Result<(&str, &str), GithubError> {
    match full_name.split_once('/') {
        Some((o, n))
            if !o.is_empty() && !n.is_empty() && !n.contains('/') && o != ".." && n != ".." =>
        {
            Ok((o, n))
        }
        _ => Err(GithubError::InvalidArgument(format!(
            "repository name {full_name:?} is not OWNER/NAME"
        ))),
    }
}

/// A git ref may hold slashes (`feature/x`); each part is a path segment.
pub(crate) fn ref_segments(git_ref: &str) -> Result<Vec<&str>, GithubError> {
    let parts: Vec<&str> = git_ref.split('/').collect();
    if git_ref.is_empty()
        || parts
            .iter()
            .any(|p| p.is_empty() || *p == "." || *p == "..")
    {
        return Err(GithubError::InvalidArgument(format!(
            "git ref {git_ref:?} is not a valid ref"
        )));
    }
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_names_and_refs() {
        assert!(split_full_name("a/b").is_ok());
        assert!(split_full_name("a").is_err());
        assert!(split_full_name("a/b/c").is_err());
        assert!(split_full_name("/b").is_err());
        assert_eq!(
            ref_segments("feature/x").expect("valid"),
            vec!["feature", "x"]
        );
        assert!(ref_segments("a/../b").is_err());
    }

    #[test]
    fn repository_urls_keep_the_base_path() {
        let base = Url::parse("https://ghe.example/api/v3/").expect("valid");
        let url = repo_url(&base, "o/r", &["git", "trees", "abc"]).expect("valid");
        assert_eq!(
            url.as_str(),
            "https://ghe.example/api/v3/repos/o/r/git/trees/abc"
        );
    }
}
