//! The request loop every API call goes through: gate, concurrency cap,
//! credential, octocrab's raw `GET`, rate-limit headers fed back, then the
//! retry decision (`retry.rs`) and, when worth it, another attempt.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, IF_NONE_MATCH, LOCATION};
use http::{HeaderMap, HeaderValue, StatusCode};
use http_body_util::BodyExt as _;
use url::Url;

use crate::client::GithubClient;
use crate::error::{error_chain, shut_down, transient_error, GithubError};
use crate::headers::{self, rate_info};
use crate::request::ApiRequest;
use crate::resource::Resource;
use crate::retry::{self, DecodeFailure, RetryDecision};

/// octocrab's response body.
pub(crate) type ApiBody = http_body_util::combinators::BoxBody<Bytes, octocrab::Error>;

/// Redirects followed for one API call (a renamed repository answers 301).
const MAX_REDIRECTS: usize = 5;

/// An answer worth handing to the caller.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// Set for `stream` requests with a 2xx status: the body unread.
    pub response: Option<http::Response<ApiBody>>,
    /// Where the answer came from, after redirects.
    pub url: Url,
}

/// How one call has gone so far.
#[derive(Default)]
struct Attempts {
    failures: u32,
    limit_hits: u32,
    secondary_streak: u32,
    reauthenticated: bool,
}

impl GithubClient {
    /// `fetch` plus decoding, asking again when the body was malformed or
    /// cut off (a flaky proxy, an injected fault) and once when it was valid
    /// JSON of the wrong shape, then failing with a `Decode` error naming
    /// the endpoint.
    pub(crate) async fn get_decoded<T>(
        &self,
        req: &ApiRequest<'_>,
        decode: impl Fn(&Answer) -> Result<T, DecodeFailure>,
    ) -> Result<T, GithubError> {
        let resource = req.resource.as_str();
        let mut failures = 0u32;
        loop {
            let answer = self.fetch(req).await?;
            match decode(&answer) {
                Ok(v) => return Ok(v),
                Err(e) => {
                    self.inner.stats.transient(resource);
                    let limit = if e.syntax {
                        self.inner.config.max_retries
                    } else {
                        1
                    };
                    if failures >= limit {
                        return Err(GithubError::Decode {
                            what: req.what.clone(),
                            detail: e.detail,
                        });
                    }
                    tracing::debug!(what = %req.what, detail = %e.detail, "unreadable answer; asking again");
                    failures += 1;
                    self.inner.stats.retry(resource);
                    self.backoff_sleep(req.resource, failures).await;
                }
            }
        }
    }

    /// Sends one logical request: gate, concurrency cap, send, feed the
    /// headers back, decide, retry what is worth retrying.
    pub(crate) async fn fetch(&self, req: &ApiRequest<'_>) -> Result<Answer, GithubError> {
        let inner = &self.inner;
        let resource = req.resource.as_str();
        let tokens: Vec<usize> = match req.token {
            Some(t) => vec![t],
            None => inner.token_ids.clone(),
        };
        let mut attempts = Attempts::default();
        loop {
            let (mut permit, waited) = inner.gate.acquire(resource, &tokens).await;
            inner.stats.waited(resource, waited);
            if waited >= Duration::from_secs(10) {
                tracing::info!(what = %req.what, waited = ?waited, "waited for the {resource} rate limit");
            }
            let _slot = inner
                .concurrency
                .acquire()
                .await
                .map_err(|_| shut_down(&req.what))?;
            let token = permit.token;
            let auth = inner
                .credentials
                .authorization(token, &inner.octo, &inner.config)
                .await?;
            permit.mark_sent();
            inner.stats.request(resource, token);
            let decision = match self.send(req, auth.header.as_ref()).await {
                Err(detail) => {
                    drop(permit);
                    RetryDecision::Transient(detail)
                }
                Ok((response, url)) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    // Only a proper answer without headers marks the
                    // resource unmetered; a proxy's 5xx says nothing.
                    let proper = status.is_success() || status.is_redirection();
                    permit.complete(rate_info(&headers).as_ref(), proper);
                    if req.stream && status.is_success() {
                        return Ok(Answer {
                            status,
                            headers,
                            body: Bytes::new(),
                            response: Some(response),
                            url,
                        });
                    }
                    let renewable = auth.generation.is_some() && !attempts.reauthenticated;
                    match self.read(req, response).await {
                        Err(detail) => RetryDecision::Transient(detail),
                        Ok(body) => {
                            let decision =
                                retry::decide(req, status, &headers, &body, renewable, || {
                                    self.token_label(token)
                                });
                            if let RetryDecision::Done = decision {
                                if status == StatusCode::NOT_MODIFIED {
                                    inner.stats.not_modified(resource);
                                }
                                return Ok(Answer {
                                    status,
                                    headers,
                                    body,
                                    response: None,
                                    url,
                                });
                            }
                            self.pause_for_limit(req, token, &decision, &headers, &mut attempts);
                            decision
                        }
                    }
                }
            };
            self.after_failure(req, token, auth.generation, decision, &mut attempts)
                .await?;
        }
    }

    /// Pauses `token`'s requests in the resource after a limit answer.
    fn pause_for_limit(
        &self,
        req: &ApiRequest<'_>,
        token: usize,
        decision: &RetryDecision,
        headers: &HeaderMap,
        attempts: &mut Attempts,
    ) {
        let inner = &self.inner;
        let resource = req.resource.as_str();
        let wait = match decision {
            RetryDecision::SecondaryLimit(message) => {
                let wait = retry::secondary_wait(&inner.config, headers, attempts.secondary_streak);
                attempts.secondary_streak += 1;
                tracing::warn!(what = %req.what, wait = ?wait, %message,
                    "secondary rate limit; pausing this token's {resource} requests");
                wait
            }
            // The gate now knows remaining is 0 and waits for the reset;
            // the pause covers answers whose reset header was unusable.
            RetryDecision::PrimaryLimit => {
                headers::until_reset(headers).unwrap_or(Duration::from_secs(1))
            }
            _ => return,
        };
        inner.gate.pause(token, resource, Instant::now() + wait);
    }

    /// Counts a failed attempt and either returns its error or lets the
    /// loop try again (after a back-off for transient failures).
    async fn after_failure(
        &self,
        req: &ApiRequest<'_>,
        token: usize,
        generation: Option<u64>,
        decision: RetryDecision,
        attempts: &mut Attempts,
    ) -> Result<(), GithubError> {
        let inner = &self.inner;
        let resource = req.resource.as_str();
        match decision {
            RetryDecision::Done => Ok(()),
            RetryDecision::Fail(e) => Err(e),
            RetryDecision::Reauthenticate => {
                attempts.reauthenticated = true;
                inner.credentials.discard(token, generation).await;
                inner.stats.retry(resource);
                tracing::info!(what = %req.what, "GitHub refused the installation token (401); creating a new one");
                Ok(())
            }
            RetryDecision::SecondaryLimit(_) | RetryDecision::PrimaryLimit => {
                if matches!(decision, RetryDecision::SecondaryLimit(_)) {
                    inner.stats.secondary(resource);
                } else {
                    inner.stats.primary(resource);
                }
                attempts.limit_hits += 1;
                if attempts.limit_hits > inner.config.max_limit_retries {
                    return Err(GithubError::RateLimited {
                        what: req.what.clone(),
                        resource: resource.to_string(),
                        attempts: attempts.limit_hits,
                    });
                }
                inner.stats.retry(resource);
                Ok(())
            }
            RetryDecision::Transient(detail) => {
                inner.stats.transient(resource);
                if attempts.failures >= inner.config.max_retries {
                    return Err(transient_error(&req.what, detail, attempts.failures + 1));
                }
                tracing::debug!(what = %req.what, %detail, "transient failure; retrying");
                attempts.failures += 1;
                inner.stats.retry(resource);
                self.backoff_sleep(req.resource, attempts.failures).await;
                Ok(())
            }
        }
    }

    /// One `GET` through octocrab, following same-origin redirects unless
    /// the request hands them back (`stream`). Err: why nothing came back.
    async fn send(
        &self,
        req: &ApiRequest<'_>,
        auth: Option<&HeaderValue>,
    ) -> Result<(http::Response<ApiBody>, Url), String> {
        let inner = &self.inner;
        let mut url = req.url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut headers = HeaderMap::new();
            headers.insert(ACCEPT, HeaderValue::from_static(req.accept));
            if let Some(auth) = auth {
                headers.insert(AUTHORIZATION, auth.clone());
            }
            if let Some(etag) = req.etag.and_then(|e| HeaderValue::from_str(e).ok()) {
                headers.insert(IF_NONE_MATCH, etag);
            }
            let sent = tokio::time::timeout(
                inner.config.request_timeout,
                inner.octo._get_with_headers(url.as_str(), Some(headers)),
            )
            .await;
            let response = match sent {
                Err(_) => return Err("no answer in time (timed out)".into()),
                Ok(Err(e)) => return Err(error_chain(&e)),
                Ok(Ok(r)) => r,
            };
            let followed = matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308);
            if req.stream || !followed {
                return Ok((response, url));
            }
            let next = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|l| url.join(l).ok());
            match next {
                // Never send the token to another origin.
                Some(next) if next.origin() == url.origin() => url = next,
                _ => return Ok((response, url)),
            }
        }
        Err(format!("more than {MAX_REDIRECTS} redirects"))
    }

    /// The whole body, within the request timeout.
    async fn read(
        &self,
        req: &ApiRequest<'_>,
        response: http::Response<ApiBody>,
    ) -> Result<Bytes, String> {
        let collected = tokio::time::timeout(
            self.inner.config.request_timeout,
            response.into_body().collect(),
        )
        .await;
        match collected {
            Err(_) => Err("the answer was cut off: timed out".into()),
            Ok(Err(e)) => Err(format!("the answer was cut off: {}", error_chain(&e))),
            Ok(Ok(body)) => {
                let body = body.to_bytes();
                self.inner
                    .stats
                    .bytes(req.resource.as_str(), body.len() as u64);
                Ok(body)
            }
        }
    }

    pub(crate) async fn backoff_sleep(&self, resource: Resource, attempt: u32) {
        let d = retry::backoff(&self.inner.config, attempt);
        tokio::time::sleep(d).await;
        self.inner.stats.backoff(resource.as_str(), d);
    }
}
