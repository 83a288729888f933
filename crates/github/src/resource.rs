//! The rate-limit resources a request is counted against, named as GitHub
//! names them in `x-ratelimit-resource` and `GET /rate_limit`.

/// Which budget a request spends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Resource {
    /// Repositories, commits, trees, contents, tarball redirects.
    Core,
    /// `GET /search/repositories`.
    Search,
    /// `GET /search/code` (its own, smaller budget).
    CodeSearch,
    /// `GET /rate_limit`: free on GitHub.
    RateLimit,
    /// Archive downloads, whatever token fetched them: the download host
    /// throttles them on their own.
    Archive,
}

impl Resource {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Resource::Core => "core",
            Resource::Search => "search",
            Resource::CodeSearch => "code_search",
            Resource::RateLimit => "rate_limit",
            Resource::Archive => "archive",
        }
    }
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
