//! `GET /repos/{owner}/{repo}/tarball/{ref}` (through octocrab, like every
//! API call) and the download it redirects to (streamed with reqwest, in
//! the `archive` bucket).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::header::{AUTHORIZATION, LOCATION};
use http::{HeaderMap, StatusCode};
use tokio::sync::OwnedSemaphorePermit;
use url::Url;

use crate::archive::TarballStream;
use crate::client::GithubClient;
use crate::error::{reqwest_error_chain, shut_down, GithubError};
use crate::headers::{self, rate_info};
use crate::redirect::{check_archive_redirect, describe};
use crate::request::{ref_segments, repo_url, ApiRequest};
use crate::resource::Resource;
use crate::retry::{block_reason, error_message, mentions_secondary_limit};

/// Archives share one bucket, whatever credential asked for them.
const ARCHIVE_TOKEN: usize = 0;

impl GithubClient {
    /// `GET /repos/{owner}/{repo}/tarball/{ref}`, following GitHub's 302 to
    /// the download host. The body is handed back as a stream, never
    /// buffered. Downloads are paced and capped in their own `archive`
    /// bucket; while GitHub throttles them (429) this returns
    /// `ArchiveThrottled` at once, without a request, so the caller can use
    /// the trees API instead.
    pub async fn tarball(
        &self,
        full_name: &str,
        git_ref: &str,
    ) -> Result<TarballStream, GithubError> {
        let inner = &self.inner;
        self.check_archive_pause()?;
        let what = format!(
            "tarball of {full_name} at {git_ref} (GET /repos/{full_name}/tarball/{git_ref})"
        );
        let slot = Arc::clone(&inner.archive_slots)
            .acquire_owned()
            .await
            .map_err(|_| shut_down(&what))?;
        // The fixed pacer is for a download host that says nothing about
        // its limits; once answers carry rate-limit headers, the gate paces
        // archives by them instead.
        let metered = inner.archive_metered.load(Ordering::Relaxed);
        if let (Some(pacer), false) = (&inner.archive_pacer, metered) {
            let start = Instant::now();
            pacer.until_ready().await;
            inner
                .stats
                .waited(Resource::Archive.as_str(), start.elapsed());
        }
        self.check_archive_pause()?;

        let mut tail = vec!["tarball"];
        tail.extend(ref_segments(git_ref)?);
        let req = ApiRequest::get(
            repo_url(&inner.config.base_url, full_name, &tail)?,
            Resource::Core,
            what.clone(),
        )
        .streamed();
        let answer = self.fetch(&req).await?;
        if let Some(response) = answer.response {
            // The API host sent the archive itself (no redirect).
            return Ok(TarballStream::from_api(
                response,
                slot,
                Arc::clone(&inner.stats),
                what,
            ));
        }
        if !answer.status.is_redirection() {
            return Err(GithubError::UnexpectedStatus {
                what,
                status: answer.status.as_u16(),
                message: "expected a redirect to the archive".into(),
            });
        }
        let location = answer
            .headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| GithubError::Decode {
                what: what.clone(),
                detail: "a redirect without a Location header".into(),
            })?;
        let target = answer.url.join(location).map_err(|e| GithubError::Decode {
            what: what.clone(),
            detail: format!("a redirect to an invalid location ({e})"),
        })?;
        if let Err(reason) = check_archive_redirect(&inner.config.base_url, &target) {
            tracing::warn!(%what, location = %describe(&target), %reason, "refused an archive redirect");
            return Err(GithubError::RefusedRedirect {
                what,
                location: describe(&target),
                reason,
            });
        }
        self.download(target, slot, what).await
    }

    async fn download(
        &self,
        target: Url,
        slot: OwnedSemaphorePermit,
        what: String,
    ) -> Result<TarballStream, GithubError> {
        let inner = &self.inner;
        let archive = Resource::Archive.as_str();
        // The token goes only to the API's own origin: a download host gets
        // none (GitHub signs private downloads in the URL instead).
        let same_origin = target.origin() == inner.config.base_url.origin();
        let mut failures = 0u32;
        loop {
            self.check_archive_pause()?;
            // A long wait for the archive budget would hold the worker: the
            // caller fetches by the trees API meanwhile.
            let (mut permit, waited) = match inner
                .gate
                .acquire_within(archive, &[ARCHIVE_TOKEN], inner.config.archive_max_wait)
                .await
            {
                Ok(reserved) => reserved,
                Err(wait) => {
                    inner
                        .gate
                        .pause(ARCHIVE_TOKEN, archive, Instant::now() + wait);
                    tracing::info!(wait = ?wait, "archive budget spent; pausing archive downloads");
                    return Err(GithubError::ArchiveThrottled { retry_after: wait });
                }
            };
            inner.stats.waited(archive, waited);
            let mut rb = inner.raw.get(target.clone());
            if same_origin {
                let auth = inner
                    .credentials
                    .authorization(ARCHIVE_TOKEN, &inner.octo, &inner.config)
                    .await?;
                if let Some(header) = auth.header {
                    rb = rb.header(AUTHORIZATION, header);
                }
            }
            permit.mark_sent();
            inner.stats.request(archive, ARCHIVE_TOKEN);
            let detail = match rb.send().await {
                Err(e) => {
                    drop(permit);
                    reqwest_error_chain(&e)
                }
                Ok(resp) => {
                    let status = resp.status();
                    let info = rate_info(resp.headers());
                    inner
                        .archive_metered
                        .store(info.is_some(), Ordering::Relaxed);
                    permit.complete(info.as_ref(), status.is_success());
                    if status.is_success() {
                        return Ok(TarballStream::from_download(
                            resp,
                            slot,
                            Arc::clone(&inner.stats),
                            what,
                        ));
                    }
                    self.refused_download(resp, &what).await?
                }
            };
            inner.stats.transient(archive);
            if failures >= inner.config.max_retries {
                return Err(GithubError::Network {
                    what,
                    detail,
                    attempts: failures + 1,
                });
            }
            failures += 1;
            inner.stats.retry(archive);
            self.backoff_sleep(Resource::Archive, failures).await;
        }
    }

    /// A download host's refusal: a typed error, or the detail of a
    /// transient failure worth another attempt.
    async fn refused_download(
        &self,
        resp: reqwest::Response,
        what: &str,
    ) -> Result<String, GithubError> {
        let what = what.to_string();
        let status = resp.status();
        let headers = resp.headers().clone();
        // A 403 is read before deciding: a block (gone for good), a
        // secondary limit (GitHub does not always send Retry-After with
        // one), or a refusal.
        let forbidden = if status == StatusCode::FORBIDDEN {
            let body = resp.bytes().await.unwrap_or_default();
            let message = error_message(&body);
            if let Some(reason) = block_reason(&body) {
                return Err(GithubError::Blocked {
                    what,
                    message,
                    reason,
                });
            }
            Some(message)
        } else {
            None
        };
        let secondary = forbidden.as_deref().is_some_and(mentions_secondary_limit);
        if status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN
                && (headers.contains_key("retry-after") || secondary))
        {
            let pause = self.archive_pause(&headers, secondary);
            return Err(GithubError::ArchiveThrottled { retry_after: pause });
        }
        if let Some(message) = forbidden {
            return Err(GithubError::Forbidden { what, message });
        }
        match status.as_u16() {
            404 | 410 => Err(GithubError::NotFound { what }),
            451 => Err(GithubError::Unavailable451 { what }),
            s if s >= 500 || s == 408 => Ok(format!("HTTP {s} from the download host")),
            s => Err(GithubError::UnexpectedStatus {
                what,
                status: s,
                message: "from the download host".into(),
            }),
        }
    }

    /// Pauses every archive download after the download host throttled one.
    fn archive_pause(&self, headers: &HeaderMap, secondary: bool) -> Duration {
        let inner = &self.inner;
        // A spent archive budget ends at its reset, which is more precise
        // than a Retry-After in whole seconds.
        let at_reset = headers::remaining_is_zero(headers)
            .then(|| headers::until_reset(headers))
            .flatten();
        // A secondary limit without Retry-After: GitHub's advice is to
        // wait at least a minute.
        let fallback = if secondary {
            inner.config.secondary_min_wait
        } else {
            inner.config.archive_throttle_pause
        };
        let pause = at_reset
            .or_else(|| headers::retry_after(headers))
            .unwrap_or(fallback);
        let archive = Resource::Archive.as_str();
        inner
            .gate
            .pause(ARCHIVE_TOKEN, archive, Instant::now() + pause);
        inner.stats.secondary(archive);
        tracing::warn!(pause = ?pause, "archive downloads throttled by GitHub; pausing them");
        pause
    }

    fn check_archive_pause(&self) -> Result<(), GithubError> {
        match self
            .inner
            .gate
            .paused_for(ARCHIVE_TOKEN, Resource::Archive.as_str())
        {
            Some(retry_after) if !retry_after.is_zero() => {
                Err(GithubError::ArchiveThrottled { retry_after })
            }
            _ => Ok(()),
        }
    }
}
