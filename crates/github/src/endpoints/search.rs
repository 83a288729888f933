//! `GET /search/repositories` and `GET /search/code`.

use mcp_survey_model::RepoMeta;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::client::GithubClient;
use crate::error::GithubError;
use crate::headers;
use crate::request::{endpoint, ApiRequest};
use crate::resource::Resource;
use crate::types::{CodeHit, SearchPage, SkippedItem};

/// One of GitHub's two searches.
struct Search {
    path: &'static str,
    resource: Resource,
    label: &'static str,
    /// The item's name for a warning about an item of the wrong shape.
    name_of: fn(&Value) -> Option<String>,
}

impl GithubClient {
    /// `GET /search/repositories`. Items GitHub sends in an unexpected shape
    /// are skipped and listed in `skipped`, so one odd repository cannot
    /// fail a page.
    pub async fn search_repositories(
        &self,
        q: &str,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage<RepoMeta>, GithubError> {
        let search = Search {
            path: "search/repositories",
            resource: Resource::Search,
            label: "repository search",
            name_of: |v| {
                v.get("full_name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            },
        };
        self.search(&search, q, page, per_page).await
    }

    /// `GET /search/code` (its own, smaller `code_search` budget).
    pub async fn search_code(
        &self,
        q: &str,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage<CodeHit>, GithubError> {
        let search = Search {
            path: "search/code",
            resource: Resource::CodeSearch,
            label: "code search",
            name_of: |v| {
                v.pointer("/repository/full_name")
                    .and_then(Value::as_str)
                    .map(|r| {
                        format!(
                            "{r}:{}",
                            v.get("path").and_then(Value::as_str).unwrap_or("?")
                        )
                    })
            },
        };
        self.search(&search, q, page, per_page).await
    }

    async fn search<T: DeserializeOwned>(
        &self,
        search: &Search,
        q: &str,
        page: u32,
        per_page: u32,
    ) -> Result<SearchPage<T>, GithubError> {
        if q.trim().is_empty() {
            return Err(GithubError::InvalidArgument(format!(
                "{}: the query is empty",
                search.label
            )));
        }
        let mut url = endpoint(&self.inner.config.base_url, search.path)?;
        url.query_pairs_mut()
            .append_pair("q", q)
            .append_pair("per_page", &per_page.clamp(1, 100).to_string())
            .append_pair("page", &page.max(1).to_string());
        let what = format!("{} {q:?} page {page} (GET /{})", search.label, search.path);
        let req = ApiRequest::get(url, search.resource, what).search_query(q);
        #[derive(Deserialize)]
        struct Envelope {
            total_count: u64,
            #[serde(default)]
            incomplete_results: bool,
            items: Vec<Value>,
        }
        self.get_decoded(&req, |a| {
            let env: Envelope = serde_json::from_slice(&a.body)?;
            let mut items = Vec::with_capacity(env.items.len());
            let mut skipped = Vec::new();
            for (index, v) in env.items.into_iter().enumerate() {
                let name = (search.name_of)(&v);
                match serde_json::from_value::<T>(v) {
                    Ok(item) => items.push(item),
                    Err(e) => skipped.push(SkippedItem {
                        index,
                        name,
                        error: e.to_string(),
                    }),
                }
            }
            for s in &skipped {
                tracing::warn!(what = %req.what, index = s.index, name = ?s.name, error = %s.error,
                    "skipped a search result GitHub sent in an unexpected shape");
            }
            let links = headers::links(&a.headers);
            Ok(SearchPage {
                total_count: env.total_count,
                incomplete_results: env.incomplete_results,
                items,
                has_next: links.iter().any(|(rel, _)| rel == "next"),
                last_page: links
                    .iter()
                    .find(|(rel, _)| rel == "last")
                    .and_then(|(_, t)| headers::page_of(t)),
                skipped,
            })
        })
        .await
    }
}
