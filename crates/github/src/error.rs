use std::time::Duration;

/// Everything a GitHub request can end in. Every message says what failed
/// and what to do about it; none contains a token (requests carry it in a
/// header only, and URLs in messages are stripped of their query when they
/// point at a download host that may sign them).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GithubError {
    #[error("invalid GitHub client configuration: {0}")]
    InvalidConfig(String),

    #[error("invalid argument: {0}")]
    InvalidArgument(String),

    #[error(
        "GitHub rejected {token} with 401 Bad credentials: the token is expired, revoked or \
         mistyped; set a valid one in GITHUB_TOKEN (or GITHUB_TOKENS)"
    )]
    BadCredentials { token: String },

    /// The GitHub App could not authenticate: its JWT was refused, the
    /// installation is missing, or no installation token could be created.
    #[error(
        "GitHub App {app_id}: {detail}; check --app-id, that --app-private-key is a current \
         private key of that app, and --app-installation"
    )]
    AppAuth { app_id: u64, detail: String },

    #[error("{what}: not found on GitHub (404); it was deleted, made private or never existed")]
    NotFound { what: String },

    #[error("{what}: unavailable for legal reasons (451, e.g. a DMCA takedown); skip it")]
    Unavailable451 { what: String },

    #[error("{what}: the repository is empty (409 {message}); there is nothing to fetch")]
    EmptyRepository { what: String, message: String },

    #[error(
        "{what}: GitHub refused access (403 {message}); the token may lack access or the \
         repository is blocked"
    )]
    Forbidden { what: String, message: String },

    /// 403 "Repository access blocked" with a `block` object (GitHub's
    /// answer for a repository disabled under its terms of service, or
    /// another block): the repository is gone for every client and token,
    /// unlike a permission error.
    #[error(
        "{what}: GitHub blocks access to this repository (403 {message}, reason {reason:?}); \
         it is gone for every token, skip it"
    )]
    Blocked {
        what: String,
        message: String,
        reason: String,
    },

    /// The path is a symbolic link or a submodule, not a file: GitHub
    /// describes it instead of sending content. The tarball holds no file
    /// there either, so callers skip the path.
    #[error("{what} is a {kind}, not a regular file; it has no content to fetch")]
    NotAFile { what: String, kind: String },

    #[error("{what}: GitHub refused the request (422 {message}) for {query:?}; fix the query")]
    Validation {
        what: String,
        message: String,
        query: String,
    },

    #[error(
        "{what}: gave up after {attempts} attempts, GitHub kept rate-limiting the {resource} \
         resource; wait for the limit to reset or add tokens with GITHUB_TOKENS"
    )]
    RateLimited {
        what: String,
        resource: String,
        attempts: u32,
    },

    #[error(
        "archive downloads are throttled by GitHub (429) for another {retry_after:?}; use the \
         trees and contents API for this repository meanwhile"
    )]
    ArchiveThrottled { retry_after: Duration },

    #[error(
        "{what}: GitHub answered {status} after {attempts} attempts; it may be down, retry later"
    )]
    Server {
        what: String,
        status: u16,
        attempts: u32,
    },

    #[error("{what}: unexpected HTTP status {status} ({message})")]
    UnexpectedStatus {
        what: String,
        status: u16,
        message: String,
    },

    #[error(
        "{what}: network error after {attempts} attempts ({detail}); check the connection and \
         --github-url"
    )]
    Network {
        what: String,
        detail: String,
        attempts: u32,
    },

    #[error(
        "{what}: GitHub's answer could not be read ({detail}); the API may have changed, report it"
    )]
    Decode { what: String, detail: String },
    #[error(
        "{what}: refused the redirect to {location} ({reason}); archives are downloaded only from \
         GitHub's download host or the API's own host"
    )]
    RefusedRedirect {
        what: String,
        location: String,
        reason: String,
    },
}

impl GithubError {
    /// True for answers that say the repository itself is gone or unusable
    /// (the caller records it as such and moves on), as opposed to failures
    /// that a later retry may overcome.
    pub fn is_repository_gone(&self) -> bool {
        matches!(
            self,
            GithubError::NotFound { .. }
                | GithubError::Unavailable451 { .. }
                | GithubError::EmptyRepository { .. }
                | GithubError::Blocked { .. }
        )
    }

    /// True for failures worth retrying later (limits, outages, network).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            GithubError::RateLimited { .. }
                | GithubError::ArchiveThrottled { .. }
                | GithubError::Server { .. }
                | GithubError::Network { .. }
        )
    }
}

/// An error and its causes, without any URL (a download URL may be signed).
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let strip = |s: String| match s.find(" for url (") {
        Some(i) => s[..i].to_string(),
        None => s,
    };
    let mut out = strip(e.to_string());
    let mut source = e.source();
    while let Some(s) = source {
        let text = strip(s.to_string());
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

/// A reqwest error's chain, marking timeouts.
pub(crate) fn reqwest_error_chain(e: &reqwest::Error) -> String {
    let mut out = error_chain(e);
    if e.is_timeout() {
        out.push_str(" (timed out)");
    }
    out
}

/// The error after `attempts` transient failures: `Server` for an HTTP
/// status (`detail` "HTTP 502"), `Network` for anything else.
pub(crate) fn transient_error(what: &str, detail: String, attempts: u32) -> GithubError {
    match detail
        .strip_prefix("HTTP ")
        .and_then(|s| s.parse::<u16>().ok())
    {
        Some(status) => GithubError::Server {
            what: what.to_string(),
            status,
            attempts,
        },
        None => GithubError::Network {
            what: what.to_string(),
            detail,
            attempts,
        },
    }
}

pub(crate) fn shut_down(what: &str) -> GithubError {
    GithubError::Network {
        what: what.to_string(),
        detail: "the client is shutting down".into(),
        attempts: 0,
    }
}
