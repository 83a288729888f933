//! What to do with an answer: done, wait out a limit, retry a transient
//! failure, authenticate again, or fail with a typed error; and how long
//! to wait before the next attempt.

use std::time::Duration;

use http::{HeaderMap, StatusCode};
use rand::Rng as _;
use serde::Deserialize;
use serde_json::Value;

use crate::config::ClientConfig;
use crate::error::GithubError;
use crate::headers;
use crate::request::ApiRequest;

/// The decision about one HTTP answer (not to be confused with the
/// classifier's verdict about a repository).
#[derive(Debug)]
pub(crate) enum RetryDecision {
    Done,
    /// A secondary limit (403/429 with a message or `Retry-After`).
    SecondaryLimit(String),
    /// The primary budget is spent (`x-ratelimit-remaining: 0`).
    PrimaryLimit,
    /// 5xx, 408, a network error or a cut-off body.
    Transient(String),
    /// 401 with a credential that can be renewed (an installation token).
    Reauthenticate,
    Fail(GithubError),
}

/// Decides about an answer of `req`. `renewable`: the credential used can
/// be renewed once; `credential` names it for a 401 message.
pub(crate) fn decide(
    req: &ApiRequest<'_>,
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    renewable: bool,
    credential: impl FnOnce() -> String,
) -> RetryDecision {
    let s = status.as_u16();
    if status.is_success() || s == 304 || (req.stream && status.is_redirection()) {
        return RetryDecision::Done;
    }
    let message = error_message(body);
    let what = req.what.clone();
    match s {
        401 if renewable => RetryDecision::Reauthenticate,
        401 => RetryDecision::Fail(GithubError::BadCredentials {
            token: credential(),
        }),
        403 | 429 => {
            if let Some(reason) = block_reason(body) {
                // A blocked repository answers the same to every token:
                // neither a limit nor a permission problem.
                RetryDecision::Fail(GithubError::Blocked {
                    what,
                    message,
                    reason,
                })
            } else if mentions_secondary_limit(&message) {
                RetryDecision::SecondaryLimit(message)
            } else if headers::remaining_is_zero(headers) {
                RetryDecision::PrimaryLimit
            } else if s == 429 || headers.contains_key("retry-after") {
                RetryDecision::SecondaryLimit(message)
            } else {
                RetryDecision::Fail(GithubError::Forbidden { what, message })
            }
        }
        404 | 410 => RetryDecision::Fail(GithubError::NotFound { what }),
        409 => RetryDecision::Fail(GithubError::EmptyRepository { what, message }),
        451 => RetryDecision::Fail(GithubError::Unavailable451 { what }),
        422 => RetryDecision::Fail(GithubError::Validation {
            what,
            message,
            query: req.query.unwrap_or(req.url.path()).to_string(),
        }),
        408 | 500..=599 => RetryDecision::Transient(format!("HTTP {s}")),
        _ => RetryDecision::Fail(GithubError::UnexpectedStatus {
            what,
            status: s,
            message,
        }),
    }
}

/// GitHub's advice for secondary limits: `Retry-After` if given, else the
/// reset if nothing remains, else at least a minute, doubling.
pub(crate) fn secondary_wait(config: &ClientConfig, headers: &HeaderMap, streak: u32) -> Duration {
    if let Some(d) = headers::retry_after(headers) {
        return d;
    }
    if headers::remaining_is_zero(headers) {
        if let Some(d) = headers::until_reset(headers) {
            return d;
        }
    }
    let base = config.secondary_min_wait;
    let d = base.saturating_mul(1u32 << streak.min(5));
    d + jitter(d / 4)
}

/// Exponential back-off with equal jitter: at least half the step, so
/// retries from many tasks spread out without collapsing to zero.
pub(crate) fn backoff(config: &ClientConfig, attempt: u32) -> Duration {
    let cap = config
        .backoff_base
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(16))
        .min(config.backoff_max);
    cap / 2 + jitter(cap / 2)
}

fn jitter(max: Duration) -> Duration {
    if max.is_zero() {
        return Duration::ZERO;
    }
    max.mul_f64(rand::rng().random_range(0.0..1.0))
}

/// Why an answer could not be decoded.
pub(crate) struct DecodeFailure {
    /// Malformed or cut-off JSON (worth asking again), as opposed to valid
    /// JSON of the wrong shape.
    pub syntax: bool,
    pub detail: String,
}

impl From<serde_json::Error> for DecodeFailure {
    fn from(e: serde_json::Error) -> Self {
        use serde_json::error::Category;
        DecodeFailure {
            syntax: matches!(
                e.classify(),
                Category::Syntax | Category::Eof | Category::Io
            ),
            detail: e.to_string(),
        }
    }
}

/// The `block.reason` of GitHub's "Repository access blocked" answer
/// (`{"message": ..., "block": {"reason": "tos", "created_at": ..., "html_url": ...}}`).
/// A `block` object without a reason still marks a block.
pub(crate) fn block_reason(body: &[u8]) -> Option<String> {
    let v: Value = serde_json::from_slice(body).ok()?;
    let block = v.get("block")?.as_object()?;
    Some(
        block
            .get("reason")
            .and_then(Value::as_str)
            .unwrap_or("unknown")
            .to_string(),
    )
}

pub(crate) fn error_message(body: &[u8]) -> String {
    #[derive(Deserialize)]
    struct E {
        message: String,
    }
    match serde_json::from_slice::<E>(body) {
        Ok(e) => e.message,
        Err(_) => String::from_utf8_lossy(&body[..body.len().min(200)])
            .trim()
            .to_string(),
    }
}

/// A secondary limit's message as GitHub words it.
pub(crate) fn mentions_secondary_limit(message: &str) -> bool {
    let m = message.to_lowercase();
    m.contains("secondary rate limit") || m.contains("abuse")
}
