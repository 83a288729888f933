//! The MCP registries: listings with their cursor (resume), entries with
//! their raw server.json (kept across runs, so a later listing asks only
//! for what changed), which repository each entry led to, and the figures
//! the report draws from them.

use crate::error::Result;
use crate::Store;
use chrono::{DateTime, Utc};
use sqlx::FromRow;

/// One run's listing of one registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryListing {
    pub run_id: i64,
    pub registry: String,
    pub base_url: String,
    /// `paging`, `mapping`, `done` or `failed`.
    pub state: String,
    pub updated_since: Option<DateTime<Utc>>,
    pub next_cursor: Option<String>,
    pub pages_done: i32,
    pub entries_seen: i32,
    pub error: Option<String>,
}

/// An entry of a listed page, with what the harvest read from it.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryEntryWrite {
    pub server_name: String,
    pub version: String,
    pub status: String,
    pub is_latest: bool,
    pub updated_at: Option<DateTime<Utc>>,
    pub repository_url: Option<String>,
    /// OWNER/NAME when the URL names a GitHub repository.
    pub repository_name: Option<String>,
    pub subfolder: Option<String>,
    pub server_json: serde_json::Value,
}

/// A stored entry, as the mapping to repositories and the tests read it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRegistryEntry {
    pub registry: String,
    pub server_name: String,
    pub version: String,
    pub status: String,
    pub is_latest: bool,
    pub updated_at: Option<DateTime<Utc>>,
    pub repository_url: Option<String>,
    pub repository_name: Option<String>,
    pub subfolder: Option<String>,
    pub server_json: serde_json::Value,
}

/// Where one registry entry led in one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryMatch<'a> {
    pub registry: &'a str,
    pub server_name: &'a str,
    pub version: &'a str,
    pub repository_name: Option<&'a str>,
    pub subfolder: Option<&'a str>,
    pub repository_id: Option<i64>,
    /// `found`, `gone`, `not_github` or `no_repository`.
    pub outcome: &'static str,
    pub note: Option<&'a str>,
}

/// A row of `run_registry_entries`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRegistryEntry {
    pub registry: String,
    pub server_name: String,
    pub repository_name: Option<String>,
    pub subfolder: Option<String>,
    pub repository_id: Option<i64>,
    pub outcome: String,
    pub note: Option<String>,
}

/// Which sources found a repository of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepositorySources {
    pub repository_id: i64,
    pub full_name: String,
    pub by_search: bool,
    pub by_registry: bool,
    pub seed_queries: Vec<String>,
    pub registries: Vec<String>,
}

/// Servers (or repositories) by the sources that found them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct SourceOverlap {
    pub search_only: i64,
    pub registry_only: i64,
    pub both: i64,
}

/// Why search missed registry-listed repositories, one row per reason.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct MissedByReason {
    /// `found_by_search`, `no_seed_word`, `fork`, `archived`, `gone`,
    /// `not_github` or `no_repository`.
    pub reason: String,
    pub repositories: i64,
}

/// The headline shares for one source.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct SourceHeadline {
    /// `search`, `registry` or `union`.
    pub source: String,
    pub servers: i64,
    pub requires_credentials: i64,
    pub static_key_or_pat: i64,
    pub oauth: i64,
    pub reads_env: i64,
}

/// Env vars of servers with a registry entry, by agreement class.
#[derive(Debug, Clone, PartialEq, Eq, FromRow, serde::Serialize)]
pub struct SecretAgreement {
    /// `both`, `registry_only`, `classifier_only` or `neither`.
    pub agreement: String,
    pub env_vars: i64,
    pub servers: i64,
}

/// The report's queries below start after a `params` CTE naming the run;
/// queries/*.sql hold the same bodies after a `params` CTE that resolves a
/// run name, and a test checks both give the same rows.
fn with_run(body: &str) -> String {
    format!("WITH params AS (SELECT $1::bigint AS run_id),\n{body}")
}

/// Servers by source. queries/source_overlap.sql.
pub const SOURCE_OVERLAP: &str = "\
found AS (
    SELECT s.by_search, s.by_registry
    FROM run_servers rs
    JOIN params p ON p.run_id = rs.run_id
    JOIN repository_sources s ON s.run_id = rs.run_id AND s.repository_id = rs.repository_id
)
SELECT count(*) FILTER (WHERE by_search AND NOT by_registry) AS search_only,
       count(*) FILTER (WHERE by_registry AND NOT by_search) AS registry_only,
       count(*) FILTER (WHERE by_search AND by_registry) AS both
FROM found";

/// Registry-listed repositories by why search missed them.
/// queries/registry_missed_by_search.sql.
pub const MISSED_BY_SEARCH: &str = "\
listed AS (
    -- One row per repository an entry led to; entries that led to none
    -- count one each.
    SELECT DISTINCT ON (coalesce(e.repository_id::text, e.registry || ' ' || e.server_name))
           e.run_id, e.outcome, e.repository_id
    FROM run_registry_entries e
    JOIN params p ON p.run_id = e.run_id
    ORDER BY coalesce(e.repository_id::text, e.registry || ' ' || e.server_name), e.outcome
),
reasons AS (
    SELECT CASE WHEN l.outcome <> 'found' THEN l.outcome
                WHEN s.by_search THEN 'found_by_search'
                WHEN rr.fork THEN 'fork'
                WHEN rr.archived THEN 'archived'
                ELSE 'no_seed_word' END AS reason
    FROM listed l
    LEFT JOIN repository_sources s ON s.run_id = l.run_id AND s.repository_id = l.repository_id
    LEFT JOIN run_repositories rr ON rr.run_id = l.run_id AND rr.repository_id = l.repository_id
)
SELECT k.reason, count(r.reason) AS repositories
FROM (VALUES (1, 'found_by_search'), (2, 'no_seed_word'), (3, 'fork'), (4, 'archived'),
             (5, 'gone'), (6, 'not_github'), (7, 'no_repository')) AS k(ord, reason)
LEFT JOIN reasons r ON r.reason = k.reason
GROUP BY k.ord, k.reason
ORDER BY k.ord";

/// The four headline counts per source. queries/headline_by_source.sql.
pub const HEADLINE_BY_SOURCE: &str = "\
facts AS (
    SELECT f.*, s.by_search, s.by_registry
    FROM server_facts f
    JOIN params p ON p.run_id = f.run_id
    JOIN repository_sources s ON s.run_id = f.run_id AND s.repository_id = f.repository_id
)
SELECT src.source,
       count(f.repository_id) AS servers,
       count(*) FILTER (WHERE f.requires_credentials) AS requires_credentials,
       count(*) FILTER (WHERE f.static_key_or_pat) AS static_key_or_pat,
       count(*) FILTER (WHERE f.oauth) AS oauth,
       count(*) FILTER (WHERE f.reads_env) AS reads_env
FROM (VALUES (1, 'search'), (2, 'registry'), (3, 'union')) AS src(ord, source)
LEFT JOIN facts f ON (src.source = 'search' AND f.by_search)
                  OR (src.source = 'registry' AND f.by_registry)
                  OR src.source = 'union'
GROUP BY src.ord, src.source
ORDER BY src.ord";

/// Declared against classified secrets. queries/secret_agreement.sql.
pub const SECRET_AGREEMENT: &str = "\
agreement AS (
    SELECT a.* FROM registry_secret_agreement a JOIN params p ON p.run_id = a.run_id
)
SELECT k.agreement,
       count(a.env_var) AS env_vars,
       count(DISTINCT a.repository_id) AS servers
FROM (VALUES (1, 'both'), (2, 'registry_only'), (3, 'classifier_only'), (4, 'neither'))
     AS k(ord, agreement)
LEFT JOIN agreement a ON a.agreement = k.agreement
GROUP BY k.ord, k.agreement
ORDER BY k.ord";

impl Store {
    /// The run's listing of `registry`, created on first call. A new
    /// listing asks only for entries updated since the high-water mark of
    /// the newest finished listing of the same registry in another run.
    pub async fn open_registry_listing(
        &self,
        run_id: i64,
        registry: &str,
        base_url: &str,
    ) -> Result<RegistryListing> {
        sqlx::query!(
            "INSERT INTO registry_listings (run_id, registry, base_url, updated_since)
             VALUES ($1, $2, $3, (SELECT high_water FROM registry_listings
                                  WHERE registry = $2 AND run_id <> $1 AND state = 'done'
                                  ORDER BY finished_at DESC LIMIT 1))
             ON CONFLICT (run_id, registry) DO UPDATE SET
                 -- A failed listing is taken up again where it stopped:
                 -- at its cursor, or at the mapping after its last page.
                 state = CASE WHEN registry_listings.pages_done > 0
                                   AND registry_listings.next_cursor IS NULL
                              THEN 'mapping' ELSE 'paging' END,
                 error = NULL, base_url = EXCLUDED.base_url
             WHERE registry_listings.state = 'failed'",
            run_id,
            registry,
            base_url
        )
        .execute(&self.pool)
        .await?;
        Ok(sqlx::query_as!(
            RegistryListing,
            "SELECT run_id, registry, base_url, state, updated_since, next_cursor, pages_done,
                    entries_seen, error
             FROM registry_listings WHERE run_id = $1 AND registry = $2",
            run_id,
            registry
        )
        .fetch_one(&self.pool)
        .await?)
    }

    pub async fn registry_listings(&self, run_id: i64) -> Result<Vec<RegistryListing>> {
        Ok(sqlx::query_as!(
            RegistryListing,
            "SELECT run_id, registry, base_url, state, updated_since, next_cursor, pages_done,
                    entries_seen, error
             FROM registry_listings WHERE run_id = $1 ORDER BY registry",
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Stores one page's entries and the cursor past it in one transaction.
    /// The last page (`next_cursor` None) moves the listing on to mapping
    /// and records its high-water mark.
    pub async fn store_registry_page(
        &self,
        run_id: i64,
        registry: &str,
        entries: &[RegistryEntryWrite],
        next_cursor: Option<&str>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        for e in entries {
            sqlx::query!(
                "INSERT INTO registry_entries (registry, server_name, version, status, is_latest,
                     updated_at, repository_url, repository_name, subfolder, server_json,
                     first_run_id, last_run_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
                 ON CONFLICT (registry, server_name, version) DO UPDATE SET
                     status = EXCLUDED.status, is_latest = EXCLUDED.is_latest,
                     updated_at = EXCLUDED.updated_at, repository_url = EXCLUDED.repository_url,
                     repository_name = EXCLUDED.repository_name, subfolder = EXCLUDED.subfolder,
                     server_json = EXCLUDED.server_json, last_run_id = EXCLUDED.last_run_id",
                registry,
                crate::clean::message(&e.server_name),
                crate::clean::message(&e.version),
                crate::clean::message(&e.status),
                e.is_latest,
                e.updated_at,
                e.repository_url.as_deref().map(crate::clean::message),
                e.repository_name.as_deref(),
                e.subfolder.as_deref().map(crate::clean::message),
                &e.server_json,
                run_id
            )
            .execute(&mut *tx)
            .await?;
        }
        // A newer version marked latest demotes the others of its server.
        for e in entries.iter().filter(|e| e.is_latest) {
            sqlx::query!(
                "UPDATE registry_entries SET is_latest = false
                 WHERE registry = $1 AND server_name = $2 AND version <> $3 AND is_latest",
                registry,
                crate::clean::message(&e.server_name),
                crate::clean::message(&e.version)
            )
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query!(
            "UPDATE registry_listings SET
                 next_cursor = $3::text, pages_done = pages_done + 1, entries_seen = entries_seen + $4,
                 state = CASE WHEN $3 IS NULL THEN 'mapping' ELSE state END,
                 high_water = CASE WHEN $3 IS NULL THEN
                     (SELECT max(updated_at) FROM registry_entries WHERE registry = $2)
                     ELSE high_water END
             WHERE run_id = $1 AND registry = $2",
            run_id,
            registry,
            next_cursor,
            i32::try_from(entries.len()).unwrap_or(i32::MAX)
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn fail_registry_listing(
        &self,
        run_id: i64,
        registry: &str,
        error: &str,
    ) -> Result<()> {
        sqlx::query!(
            "UPDATE registry_listings SET state = 'failed', error = $3
             WHERE run_id = $1 AND registry = $2",
            run_id,
            registry,
            crate::clean::message(error)
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn finish_registry_listing(&self, run_id: i64, registry: &str) -> Result<()> {
        sqlx::query!(
            "UPDATE registry_listings SET state = 'done', finished_at = now()
             WHERE run_id = $1 AND registry = $2",
            run_id,
            registry
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every stored entry of a registry, ordered by server name and version.
    pub async fn registry_entries(&self, registry: &str) -> Result<Vec<StoredRegistryEntry>> {
        Ok(sqlx::query_as!(
            StoredRegistryEntry,
            "SELECT registry, server_name, version, status, is_latest, updated_at, repository_url,
                    repository_name, subfolder, server_json
             FROM registry_entries WHERE registry = $1 ORDER BY server_name, version",
            registry
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The latest, not deleted version of each server of a registry that the
    /// run has not matched to a repository yet.
    pub async fn registry_entries_to_match(
        &self,
        run_id: i64,
        registry: &str,
    ) -> Result<Vec<StoredRegistryEntry>> {
        Ok(sqlx::query_as!(
            StoredRegistryEntry,
            "SELECT DISTINCT ON (e.server_name) e.registry, e.server_name, e.version, e.status,
                    e.is_latest, e.updated_at, e.repository_url, e.repository_name, e.subfolder,
                    e.server_json
             FROM registry_entries e
             WHERE e.registry = $2 AND e.status <> 'deleted'
               AND NOT EXISTS (SELECT 1 FROM run_registry_entries m
                               WHERE m.run_id = $1 AND m.registry = e.registry
                                 AND m.server_name = e.server_name)
             ORDER BY e.server_name, e.is_latest DESC, e.updated_at DESC NULLS LAST, e.version DESC",
            run_id,
            registry
        )
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn record_registry_match(&self, run_id: i64, m: &RegistryMatch<'_>) -> Result<()> {
        sqlx::query!(
            "INSERT INTO run_registry_entries (run_id, registry, server_name, version,
                 repository_name, subfolder, repository_id, outcome, note)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (run_id, registry, server_name) DO UPDATE SET
                 version = EXCLUDED.version, repository_name = EXCLUDED.repository_name,
                 subfolder = EXCLUDED.subfolder, repository_id = EXCLUDED.repository_id,
                 outcome = EXCLUDED.outcome, note = EXCLUDED.note",
            run_id,
            m.registry,
            m.server_name,
            m.version,
            m.repository_name,
            m.subfolder,
            m.repository_id,
            m.outcome,
            m.note.map(crate::clean::message)
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The id of a stored repository by OWNER/NAME (any case).
    pub async fn repository_id_by_name(&self, full_name: &str) -> Result<Option<i64>> {
        Ok(sqlx::query_scalar!(
            "SELECT id FROM repositories WHERE lower(full_name) = lower($1)
             ORDER BY updated_at DESC LIMIT 1",
            full_name
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn run_registry_entries(&self, run_id: i64) -> Result<Vec<RunRegistryEntry>> {
        Ok(sqlx::query_as!(
            RunRegistryEntry,
            "SELECT registry, server_name, repository_name, subfolder, repository_id, outcome, note
             FROM run_registry_entries WHERE run_id = $1 ORDER BY registry, server_name",
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every repository of the run with the sources that found it.
    pub async fn repository_sources(&self, run_id: i64) -> Result<Vec<RepositorySources>> {
        Ok(sqlx::query_as!(
            RepositorySources,
            r#"SELECT repository_id AS "repository_id!", full_name AS "full_name!",
                      by_search AS "by_search!", by_registry AS "by_registry!",
                      seed_queries AS "seed_queries!", registries AS "registries!"
               FROM repository_sources WHERE run_id = $1 ORDER BY repository_id"#,
            run_id
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The run's servers by source: search only, registry only, both.
    pub async fn server_source_overlap(&self, run_id: i64) -> Result<SourceOverlap> {
        // Runtime SQL: the body is shared with queries/*.sql, which a test compares.
        Ok(sqlx::query_as(&with_run(SOURCE_OVERLAP))
            .bind(run_id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Registry-listed repositories (one row per repository or, when none,
    /// per entry) by whether search found them and, if not, why.
    pub async fn registry_missed_by_search(&self, run_id: i64) -> Result<Vec<MissedByReason>> {
        // Runtime SQL: the body is shared with queries/*.sql, which a test compares.
        Ok(sqlx::query_as(&with_run(MISSED_BY_SEARCH))
            .bind(run_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// The headline counts for servers found by search, by a registry, and
    /// by either.
    pub async fn headline_by_source(&self, run_id: i64) -> Result<Vec<SourceHeadline>> {
        // Runtime SQL: the body is shared with queries/*.sql, which a test compares.
        Ok(sqlx::query_as(&with_run(HEADLINE_BY_SOURCE))
            .bind(run_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// How the secrets registry entries declare agree with the classifier's.
    pub async fn secret_agreement(&self, run_id: i64) -> Result<Vec<SecretAgreement>> {
        // Runtime SQL: the body is shared with queries/*.sql, which a test compares.
        Ok(sqlx::query_as(&with_run(SECRET_AGREEMENT))
            .bind(run_id)
            .fetch_all(&self.pool)
            .await?)
    }
}
