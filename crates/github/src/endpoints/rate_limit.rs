//! `GET /rate_limit`, once per credential.

use serde::Deserialize;

use crate::client::GithubClient;
use crate::error::GithubError;
use crate::headers::RateInfo;
use crate::request::{endpoint, ApiRequest};
use crate::resource::Resource;
use crate::types::{RateLimitReport, ResourceLimit, TokenLimits};

impl GithubClient {
    /// `GET /rate_limit` for every credential: checks each (401 gives
    /// `BadCredentials` naming which one; a GitHub App gets its first
    /// installation token here) and seeds the buckets.
    pub async fn rate_limit(&self) -> Result<RateLimitReport, GithubError> {
        let mut tokens = Vec::new();
        for &t in &self.inner.token_ids {
            let req = ApiRequest::get(
                endpoint(&self.inner.config.base_url, "rate_limit")?,
                Resource::RateLimit,
                format!("rate limit of {} (GET /rate_limit)", self.token_label(t)),
            )
            .with_token(t);
            #[derive(Deserialize)]
            struct Raw {
                resources: std::collections::BTreeMap<String, ResourceLimit>,
            }
            let raw: Raw = self
                .get_decoded(&req, |a| Ok(serde_json::from_slice(&a.body)?))
                .await?;
            for (name, r) in &raw.resources {
                self.inner.gate.observe(
                    t,
                    &RateInfo {
                        limit: r.limit,
                        remaining: r.remaining,
                        reset_epoch: r.reset,
                        resource: Some(name.clone()),
                    },
                );
            }
            tokens.push(TokenLimits {
                token: self.token_label(t),
                resources: raw.resources,
            });
        }
        Ok(RateLimitReport { tokens })
    }
}
