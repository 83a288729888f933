//! The registries as a second source beside search: list each registry of
//! the seed file (only what changed since the last finished listing),
//! store every entry with its server.json, and add the GitHub repository
//! each entry names to the run, where it is fetched and classified like a
//! search hit. Provenance is kept per entry (`run_registry_entries`).

use crate::registry_client::{ListedEntry, RegistryClient, RegistryClientConfig, RegistryError};
use crate::repo_url::{parse_repo_url, RepoUrl};
use crate::seeds::{RegistrySeed, SeedFile};
use crate::HarvestError;
use futures::stream::{self, StreamExt};
use mcp_survey_github::{Conditional, GithubClient};
use mcp_survey_store::{RegistryEntryWrite, RegistryMatch, Store, StoredRegistryEntry};
use serde::Serialize;
use serde_json::Value;

/// How registries are asked.
#[derive(Debug, Clone)]
pub struct RegistryOptions {
    pub client: RegistryClientConfig,
    /// `--registry-url`: every registry of the seed file is asked here.
    pub url_override: Option<String>,
    /// Concurrent GitHub look-ups of the repositories entries name.
    pub lookup_concurrency: usize,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            client: RegistryClientConfig::default(),
            url_override: None,
            lookup_concurrency: 8,
        }
    }
}

/// What one registry's listing did, stored under
/// `runs.stats.harvest.registries`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RegistryStats {
    pub registry: String,
    pub base_url: String,
    /// The `updated_since` sent (None: a full listing).
    pub updated_since: Option<String>,
    pub pages_this_process: u64,
    pub entries_listed_this_process: u64,
    pub requests: u64,
    pub retries: u64,
    pub found: u64,
    pub gone: u64,
    pub not_github: u64,
    pub no_repository: u64,
    pub github_lookups: u64,
    pub error: Option<String>,
}

/// The URL a registry is asked at: `--registry-url` when given; else, when
/// the run talks to a GitHub other than api.github.com (the simulator), that
/// same URL, so a run against the simulator never leaves the machine; else
/// the seed file's.
pub fn registry_base_url(seed: &RegistrySeed, url_override: Option<&str>, github: &str) -> String {
    if let Some(url) = url_override {
        return url.trim_end_matches('/').to_string();
    }
    let github = github.trim_end_matches('/');
    if github != "https://api.github.com" {
        return github.to_string();
    }
    seed.url.clone()
}

/// Lists every registry of the seed file and adds the repositories its
/// entries name to the run. A registry that cannot be listed is recorded as
/// failed (and taken up again by the next harvest of the run); the others
/// go on.
pub async fn harvest_registries(
    store: &Store,
    github: &GithubClient,
    run_id: i64,
    seeds: &SeedFile,
    options: &RegistryOptions,
) -> Result<Vec<RegistryStats>, HarvestError> {
    let github_url = github.config().base_url.to_string();
    let mut all = Vec::new();
    for seed in &seeds.registries {
        let url_override = options
            .url_override
            .as_deref()
            .or(seeds.registry_url_override.as_deref());
        let base = registry_base_url(seed, url_override, &github_url);
        let mut config = options.client.clone();
        if let Some(interval) = seed.min_interval {
            config.min_interval = interval;
        }
        let client =
            RegistryClient::new(config).map_err(|e| HarvestError::Worker(e.to_string()))?;
        let mut stats = RegistryStats {
            registry: seed.name.clone(),
            base_url: base.clone(),
            ..RegistryStats::default()
        };
        let outcome = list_and_match(
            store, github, &client, run_id, seed, &base, options, &mut stats,
        )
        .await;
        stats.requests = client.requests();
        stats.retries = client.retries();
        match outcome {
            Ok(()) => store.finish_registry_listing(run_id, &seed.name).await?,
            Err(Failure::Registry(e)) => {
                tracing::warn!(registry = %seed.name, error = %e, "registry listing failed");
                store
                    .fail_registry_listing(run_id, &seed.name, &e.to_string())
                    .await?;
                stats.error = Some(e.to_string());
            }
            Err(Failure::Harvest(HarvestError::Github(e))) if e.is_transient() => {
                tracing::warn!(registry = %seed.name, error = %e,
                    "looking up a registry entry's repository failed; the next harvest of this run takes it up");
                store
                    .fail_registry_listing(run_id, &seed.name, &e.to_string())
                    .await?;
                stats.error = Some(e.to_string());
            }
            Err(Failure::Harvest(e)) => return Err(e),
        }
        all.push(stats);
    }
    Ok(all)
}

enum Failure {
    Registry(RegistryError),
    Harvest(HarvestError),
}

impl From<HarvestError> for Failure {
    fn from(e: HarvestError) -> Self {
        Failure::Harvest(e)
    }
}

impl From<mcp_survey_store::StoreError> for Failure {
    fn from(e: mcp_survey_store::StoreError) -> Self {
        Failure::Harvest(e.into())
    }
}

#[allow(clippy::too_many_arguments)]
async fn list_and_match(
    store: &Store,
    github: &GithubClient,
    client: &RegistryClient,
    run_id: i64,
    seed: &RegistrySeed,
    base: &str,
    options: &RegistryOptions,
    stats: &mut RegistryStats,
) -> Result<(), Failure> {
    let listing = store
        .open_registry_listing(run_id, &seed.name, base)
        .await?;
    stats.updated_since = listing.updated_since.map(|t| t.to_rfc3339());
    if listing.state == "done" {
        return Ok(());
    }
    if listing.state == "paging" {
        let mut cursor = listing.next_cursor.clone();
        loop {
            let page = client
                .list_page(base, cursor.as_deref(), listing.updated_since)
                .await
                .map_err(Failure::Registry)?;
            let writes: Vec<RegistryEntryWrite> = page.entries.iter().map(entry_write).collect();
            store
                .store_registry_page(run_id, &seed.name, &writes, page.next_cursor.as_deref())
                .await?;
            stats.pages_this_process += 1;
            stats.entries_listed_this_process += writes.len() as u64;
            match page.next_cursor {
                // A registry that hands back the cursor it was given would
                // page forever.
                Some(next) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
                Some(_) => {
                    return Err(Failure::Registry(RegistryError::Body {
                        url: base.to_string(),
                        detail: "nextCursor repeats the cursor asked for".into(),
                    }))
                }
                None => break,
            }
        }
    }
    let entries = store.registry_entries_to_match(run_id, &seed.name).await?;
    let lookups = entries.into_iter().map(|entry| {
        let store = store.clone();
        let github = github.clone();
        async move {
            let outcome = match_entry(&store, &github, run_id, &entry).await;
            (entry, outcome)
        }
    });
    let mut results = stream::iter(lookups).buffer_unordered(options.lookup_concurrency.max(1));
    while let Some((_, outcome)) = results.next().await {
        let outcome = outcome?;
        stats.github_lookups += u64::from(outcome.looked_up);
        match outcome.kind {
            "found" => stats.found += 1,
            "gone" => stats.gone += 1,
            "not_github" => stats.not_github += 1,
            _ => stats.no_repository += 1,
        }
    }
    Ok(())
}

/// What the harvest stores of a listed entry: the repository URL read
/// once, here, so every query sees the same normalised name.
fn entry_write(e: &ListedEntry) -> RegistryEntryWrite {
    let repository = e.server.get("repository");
    let url = repository
        .and_then(|r| r.get("url"))
        .and_then(Value::as_str)
        .filter(|u| !u.trim().is_empty())
        .map(str::to_string);
    let declared_subfolder = repository
        .and_then(|r| r.get("subfolder"))
        .and_then(Value::as_str)
        .map(|s| s.trim_matches('/').to_string())
        .filter(|s| !s.is_empty());
    let (name, url_subfolder) = match url.as_deref().and_then(parse_repo_url) {
        Some(RepoUrl::Github(r)) => (Some(r.full_name), r.subfolder),
        _ => (None, None),
    };
    RegistryEntryWrite {
        server_name: e.name.clone(),
        version: e.version.clone(),
        status: e.status.clone(),
        is_latest: e.is_latest,
        updated_at: e.updated_at,
        repository_url: url,
        repository_name: name,
        subfolder: declared_subfolder.or(url_subfolder),
        server_json: e.server.clone(),
    }
}

struct Matched {
    kind: &'static str,
    looked_up: bool,
}

/// Adds the repository an entry names to the run: free when the run holds
/// it already, conditional when an earlier run stored it.
async fn match_entry(
    store: &Store,
    github: &GithubClient,
    run_id: i64,
    entry: &StoredRegistryEntry,
) -> Result<Matched, HarvestError> {
    let mut m = RegistryMatch {
        registry: &entry.registry,
        server_name: &entry.server_name,
        version: &entry.version,
        repository_name: entry.repository_name.as_deref(),
        subfolder: entry.subfolder.as_deref(),
        repository_id: None,
        outcome: "no_repository",
        note: None,
    };
    let Some(full_name) = entry.repository_name.as_deref() else {
        if entry.repository_url.is_some() {
            m.outcome = "not_github";
            m.note = entry.repository_url.as_deref();
        }
        store.record_registry_match(run_id, &m).await?;
        return Ok(Matched {
            kind: m.outcome,
            looked_up: false,
        });
    };
    let known = match store.repository_id_by_name(full_name).await? {
        Some(id) => store.known_repository(run_id, id).await?,
        None => None,
    };
    if let Some(k) = known.as_ref().filter(|k| k.in_run) {
        m.repository_id = Some(k.meta.id);
        m.outcome = "found";
        store.record_registry_match(run_id, &m).await?;
        return Ok(Matched {
            kind: "found",
            looked_up: false,
        });
    }
    let etag = known.as_ref().and_then(|k| k.etag.as_deref());
    match github.get_repo(full_name, etag).await {
        Ok(Conditional::NotModified) => {
            if let Some(k) = &known {
                store.add_known_to_run(run_id, &k.meta).await?;
                m.repository_id = Some(k.meta.id);
                m.outcome = "found";
            }
        }
        Ok(Conditional::Modified { value, etag }) => {
            store
                .put_repository(run_id, &value, etag.as_deref())
                .await?;
            m.repository_id = Some(value.id);
            m.outcome = "found";
        }
        Err(e) if e.is_repository_gone() => {
            m.outcome = "gone";
            m.note = Some(crate::harvest::gone_reason(&e));
        }
        Err(e) => return Err(e.into()),
    }
    store.record_registry_match(run_id, &m).await?;
    Ok(Matched {
        kind: m.outcome,
        looked_up: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_against_another_github_asks_its_registry_there() {
        let seed = RegistrySeed {
            name: "official".into(),
            url: "https://registry.modelcontextprotocol.io".into(),
            min_interval: None,
        };
        assert_eq!(
            registry_base_url(&seed, None, "https://api.github.com/"),
            "https://registry.modelcontextprotocol.io"
        );
        assert_eq!(
            registry_base_url(&seed, None, "http://127.0.0.1:8088/"),
            "http://127.0.0.1:8088"
        );
        assert_eq!(
            registry_base_url(&seed, Some("http://127.0.0.1:9/"), "https://api.github.com"),
            "http://127.0.0.1:9"
        );
    }

    #[test]
    fn a_declared_subfolder_wins_over_the_url_path() {
        let listed = |repository: Value| ListedEntry {
            name: "io.github.acme/db".into(),
            version: "1.0.0".into(),
            server: serde_json::json!({"name": "io.github.acme/db", "version": "1.0.0", "repository": repository}),
            status: "active".into(),
            is_latest: true,
            updated_at: None,
        };
        let w = entry_write(&listed(serde_json::json!({
            "url": "https://github.com/Acme/Servers/tree/main/src/db", "source": "github"
        })));
        assert_eq!(w.repository_name.as_deref(), Some("acme/servers"));
        assert_eq!(w.subfolder.as_deref(), Some("src/db"));
        let w = entry_write(&listed(serde_json::json!({
            "url": "https://github.com/acme/servers.git", "subfolder": "/packages/db/"
        })));
        assert_eq!(w.subfolder.as_deref(), Some("packages/db"));
        let w = entry_write(&listed(
            serde_json::json!({"url": "https://gitlab.com/acme/db"}),
        ));
        assert_eq!(w.repository_name, None);
        assert_eq!(
            w.repository_url.as_deref(),
            Some("https://gitlab.com/acme/db")
        );
    }
}
