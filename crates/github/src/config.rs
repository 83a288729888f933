use std::time::Duration;

use url::Url;

use crate::app::AppCredentials;
use crate::error::GithubError;
use crate::token::Token;

/// GitHub's public API.
pub const GITHUB_API_URL: &str = "https://api.github.com";

/// How the client talks to GitHub (or the simulator: only `base_url`
/// differs).
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// API root, e.g. `https://api.github.com` or `http://127.0.0.1:8080`.
    pub base_url: Url,
    /// Tokens to spread requests over; each has its own rate-limit buckets.
    /// Empty: anonymous (GitHub's lowest limits).
    pub tokens: Vec<Token>,
    /// A GitHub App to act as, next to the tokens: its installation token
    /// is one more bucket.
    pub app: Option<AppCredentials>,
    /// Sent in the `x-mcp-survey-client` header of API calls (octocrab
    /// sends its own `User-Agent`) and as the `User-Agent` of downloads.
    pub user_agent: String,
    /// Requests in flight at once, all tokens together. GitHub's secondary
    /// limits allow 100; staying well under keeps us clear of them.
    pub max_concurrency: usize,
    /// Archive downloads in flight at once (each holds its slot until its
    /// stream is dropped).
    pub archive_concurrency: usize,
    /// Minimum time between two archive downloads starting. GitHub does not
    /// publish codeload's limits and answers heavy use with long blocks, so
    /// the default is polite; `Duration::ZERO` turns it off (a simulator).
    pub archive_min_interval: Duration,
    /// How many times faster than an even pace an hourly budget (core,
    /// graphql) may be spent while it lasts. GitHub's secondary limit (900
    /// requests a minute) is about 11 times core's even pace (5,000 an
    /// hour); 4 keeps well clear of it. Per-minute budgets (search) are
    /// always spaced evenly.
    pub hourly_burst: f64,
    /// Attempts after the first for 5xx, network errors, truncated bodies.
    pub max_retries: u32,
    /// Rate-limit answers (primary or secondary) tolerated for one call
    /// before giving up with `RateLimited`.
    pub max_limit_retries: u32,
    /// First back-off step; doubles each attempt, with jitter.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Wait after a secondary limit that gave neither `Retry-After` nor a
    /// reset (GitHub's advice: at least a minute), doubled for each
    /// further hit in the same call.
    pub secondary_min_wait: Duration,
    /// Pause of archive downloads after a 429 without `Retry-After`.
    pub archive_throttle_pause: Duration,
    /// Longest an archive download waits for its budget (a download host
    /// that announces its limits); beyond it the download is refused with
    /// `ArchiveThrottled` so the caller uses the trees API meanwhile.
    pub archive_max_wait: Duration,
    /// Whole-request timeout for API calls (not for archive streams).
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
    /// Longest silence tolerated inside an archive stream.
    pub archive_read_timeout: Duration,
}

impl ClientConfig {
    /// Defaults for `base_url` (checked: a malformed URL is a clear error).
    pub fn new(base_url: &str, tokens: Vec<Token>) -> Result<Self, GithubError> {
        Ok(ClientConfig {
            base_url: parse_base_url(base_url)?,
            tokens,
            app: None,
            user_agent: concat!("mcp-survey/", env!("CARGO_PKG_VERSION")).to_string(),
            max_concurrency: 8,
            archive_concurrency: 2,
            archive_min_interval: Duration::from_secs(1),
            hourly_burst: 4.0,
            max_retries: 5,
            max_limit_retries: 20,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(60),
            secondary_min_wait: Duration::from_secs(60),
            archive_throttle_pause: Duration::from_secs(60),
            archive_max_wait: Duration::from_secs(30),
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
            archive_read_timeout: Duration::from_secs(60),
        })
    }

    /// Defaults for api.github.com.
    pub fn github(tokens: Vec<Token>) -> Self {
        ClientConfig::new(GITHUB_API_URL, tokens)
            .unwrap_or_else(|_| unreachable!("the built-in GitHub URL parses"))
    }

    pub(crate) fn validate(&self) -> Result<(), GithubError> {
        check_base_url(&self.base_url)?;
        if self.max_concurrency == 0 || self.max_concurrency > 100 {
            return Err(GithubError::InvalidConfig(format!(
                "max_concurrency {} is outside 1..=100 (GitHub refuses more than 100 concurrent \
                 requests; 8 is a good value)",
                self.max_concurrency
            )));
        }
        if !(self.hourly_burst.is_finite() && self.hourly_burst >= 1.0) {
            return Err(GithubError::InvalidConfig(format!(
                "hourly_burst {} must be a number of at least 1 (4 is a good value)",
                self.hourly_burst
            )));
        }
        if self.archive_concurrency == 0 {
            return Err(GithubError::InvalidConfig(
                "archive_concurrency must be at least 1".into(),
            ));
        }
        if self.user_agent.trim().is_empty() {
            return Err(GithubError::InvalidConfig(
                "user_agent is empty; GitHub refuses requests without a User-Agent".into(),
            ));
        }
        for (i, t) in self.tokens.iter().enumerate() {
            if t.is_empty() || reqwest::header::HeaderValue::from_str(t.expose()).is_err() {
                return Err(GithubError::InvalidConfig(format!(
                    "token {} of {} is empty or holds characters not allowed in an HTTP header; \
                     check GITHUB_TOKEN / GITHUB_TOKENS",
                    i + 1,
                    self.tokens.len()
                )));
            }
        }
        Ok(())
    }
}

/// Parses `--github-url`, making sure relative API paths join under it
/// (`https://ghe.example/api/v3` keeps its `/api/v3`).
pub fn parse_base_url(raw: &str) -> Result<Url, GithubError> {
    let mut url = Url::parse(raw.trim()).map_err(|e| {
        GithubError::InvalidConfig(format!(
            "malformed GitHub URL {raw:?} ({e}); pass something like {GITHUB_API_URL} or \
             http://127.0.0.1:8080"
        ))
    })?;
    check_base_url(&url)?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    url.set_query(None);
    url.set_fragment(None);
    Ok(url)
}

fn check_base_url(url: &Url) -> Result<(), GithubError> {
    // Checked first so the message below never echoes a password.
    if !url.username().is_empty() || url.password().is_some() {
        return Err(GithubError::InvalidConfig(
            "the GitHub URL must not carry credentials; put the token in GITHUB_TOKEN".into(),
        ));
    }
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(GithubError::InvalidConfig(format!(
            "GitHub URL {:?} must be http:// or https:// with a host, like {GITHUB_API_URL}",
            url.as_str()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        let u = parse_base_url("https://ghe.example/api/v3").expect("valid");
        assert_eq!(
            u.join("rate_limit").expect("joins").as_str(),
            "https://ghe.example/api/v3/rate_limit"
        );
        let e = parse_base_url("not a url").expect_err("malformed");
        assert!(e.to_string().contains("malformed GitHub URL"));
        assert!(parse_base_url("ftp://x").is_err());
        assert!(parse_base_url("https://user:pw@x").is_err());
    }
}
