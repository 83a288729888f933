//! Requests to an MCP registry (the official registry API,
//! `GET /v0.1/servers?limit=&cursor=&updated_since=`): its own pacing, its
//! own retries, and a strict reading of each page, so that a garbled answer
//! is asked again rather than stored.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// Where the official registry keeps its own fields in a listed entry.
pub const OFFICIAL_META: &str = "io.modelcontextprotocol.registry/official";

#[derive(Debug, Clone)]
pub struct RegistryClientConfig {
    /// At least this long between two requests to one registry. Registries
    /// publish no limit; one request every half second is polite.
    pub min_interval: Duration,
    /// Entries per page (the API accepts up to 100).
    pub page_limit: u32,
    /// Retries of a transient failure (429, 5xx, a reset, a garbled body).
    pub max_retries: u32,
    /// First back-off; doubled after each retry.
    pub retry_base: Duration,
    /// No single wait (back-off or Retry-After) is longer than this.
    pub max_wait: Duration,
    pub timeout: Duration,
    pub user_agent: String,
}

impl Default for RegistryClientConfig {
    fn default() -> Self {
        RegistryClientConfig {
            min_interval: Duration::from_millis(500),
            page_limit: 100,
            max_retries: 6,
            retry_base: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
            user_agent: concat!("mcp-survey/", env!("CARGO_PKG_VERSION")).to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("registry {url} answered {status}: {body}. Check the [[registry]] url in the seed file (or --registry-url)")]
    Status {
        url: String,
        status: u16,
        body: String,
        retry_after: Option<Duration>,
    },
    #[error("cannot reach registry {url}: {detail}. Check the network and the registry URL")]
    Transport { url: String, detail: String },
    #[error("registry {url} sent a page this client cannot read: {detail}")]
    Body { url: String, detail: String },
    #[error("cannot build the registry client: {0}")]
    Setup(String),
}

impl RegistryError {
    /// Worth asking again: throttling, a server error, a broken
    /// connection, a garbled body.
    pub fn is_transient(&self) -> bool {
        match self {
            RegistryError::Status { status, .. } => *status == 429 || *status >= 500,
            RegistryError::Transport { .. } | RegistryError::Body { .. } => true,
            RegistryError::Setup(_) => false,
        }
    }
}

/// One listed entry: the server.json and the registry's fields about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedEntry {
    pub name: String,
    pub version: String,
    /// The server.json as listed.
    pub server: Value,
    pub status: String,
    pub is_latest: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RegistryPage {
    pub entries: Vec<ListedEntry>,
    pub next_cursor: Option<String>,
}

/// A paced, retrying client for registries. Cheap to share by reference.
#[derive(Debug)]
pub struct RegistryClient {
    http: reqwest::Client,
    config: RegistryClientConfig,
    next_slot: Mutex<Option<Instant>>,
    requests: AtomicU64,
    retries: AtomicU64,
}

impl RegistryClient {
    pub fn new(config: RegistryClientConfig) -> Result<RegistryClient, RegistryError> {
        let http = reqwest::Client::builder()
            .user_agent(config.user_agent.clone())
            .timeout(config.timeout)
            .build()
            .map_err(|e| RegistryError::Setup(e.to_string()))?;
        Ok(RegistryClient {
            http,
            config,
            next_slot: Mutex::new(None),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        })
    }

    /// Requests sent so far, retries included.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// One page of `GET {base}/v0.1/servers`, retried while transient.
    pub async fn list_page(
        &self,
        base: &str,
        cursor: Option<&str>,
        updated_since: Option<DateTime<Utc>>,
    ) -> Result<RegistryPage, RegistryError> {
        let url = page_url(base, self.config.page_limit, cursor, updated_since)?;
        let mut attempt = 0;
        loop {
            match self.ask(&url).await {
                Ok(page) => return Ok(page),
                Err(e) if e.is_transient() && attempt < self.config.max_retries => {
                    let backoff = self.config.retry_base * 2u32.saturating_pow(attempt);
                    let wait = match &e {
                        RegistryError::Status {
                            retry_after: Some(after),
                            ..
                        } => *after,
                        _ => backoff,
                    }
                    .min(self.config.max_wait);
                    tracing::info!(url = %url, error = %e, wait_ms = wait.as_millis() as u64,
                        "registry page failed; asking again");
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn ask(&self, url: &str) -> Result<RegistryPage, RegistryError> {
        self.pace().await;
        self.requests.fetch_add(1, Ordering::Relaxed);
        let transport = |e: reqwest::Error| RegistryError::Transport {
            url: url.to_string(),
            detail: e.to_string(),
        };
        let response = self
            .http
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(transport)?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let bytes = response.bytes().await.map_err(|e| RegistryError::Body {
            url: url.to_string(),
            detail: format!("the body broke off: {e}"),
        })?;
        if !status.is_success() {
            let body = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]).into_owned();
            return Err(RegistryError::Status {
                url: url.to_string(),
                status: status.as_u16(),
                body,
                retry_after,
            });
        }
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| RegistryError::Body {
            url: url.to_string(),
            detail: format!("not JSON: {e}"),
        })?;
        read_page(&value).map_err(|detail| RegistryError::Body {
            url: url.to_string(),
            detail,
        })
    }

    /// Waits for this client's next request slot.
    async fn pace(&self) {
        let mut slot = self.next_slot.lock().await;
        let now = Instant::now();
        if let Some(at) = *slot {
            if at > now {
                tokio::time::sleep_until(at).await;
            }
        }
        *slot = Some(Instant::now() + self.config.min_interval);
    }
}

fn page_url(
    base: &str,
    limit: u32,
    cursor: Option<&str>,
    updated_since: Option<DateTime<Utc>>,
) -> Result<String, RegistryError> {
    let mut url = url::Url::parse(&format!("{}/v0.1/servers", base.trim_end_matches('/')))
        .map_err(|e| RegistryError::Setup(format!("registry URL {base:?}: {e}")))?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("limit", &limit.to_string());
        if let Some(c) = cursor {
            q.append_pair("cursor", c);
        }
        if let Some(t) = updated_since {
            q.append_pair(
                "updated_since",
                &t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            );
        }
    }
    Ok(url.to_string())
}

/// Reads a page strictly: every field this harvest relies on must have its
/// documented type, or the whole page is refused (and asked again).
pub fn read_page(v: &Value) -> Result<RegistryPage, String> {
    let servers = v
        .get("servers")
        .and_then(Value::as_array)
        .ok_or("no servers array")?;
    let metadata = v.get("metadata");
    let next_cursor = match metadata.and_then(|m| m.get("nextCursor")) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(other) => return Err(format!("metadata.nextCursor is {other}, not a string")),
    };
    match metadata.and_then(|m| m.get("count")) {
        None => {}
        Some(Value::Number(n)) if n.as_u64() == Some(servers.len() as u64) => {}
        Some(other) => {
            return Err(format!(
                "metadata.count is {other}, the page holds {}",
                servers.len()
            ))
        }
    }
    let entries = servers
        .iter()
        .enumerate()
        .map(|(i, item)| read_entry(item).map_err(|e| format!("servers[{i}]: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RegistryPage {
        entries,
        next_cursor,
    })
}

fn read_entry(item: &Value) -> Result<ListedEntry, String> {
    let server = item.get("server").ok_or("no server object")?;
    let text = |field: &str| -> Result<String, String> {
        server
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or(format!("server.{field} is not a string"))
    };
    let name = text("name")?;
    let version = text("version")?;
    if let Some(repository) = server.get("repository") {
        if !repository.is_object() {
            return Err("server.repository is not an object".into());
        }
        for field in ["url", "subfolder"] {
            if !matches!(repository.get(field), None | Some(Value::String(_))) {
                return Err(format!("server.repository.{field} is not a string"));
            }
        }
    }
    for list in ["packages", "remotes"] {
        if !matches!(server.get(list), None | Some(Value::Array(_))) {
            return Err(format!("server.{list} is not an array"));
        }
    }
    let official = item.get("_meta").and_then(|m| m.get(OFFICIAL_META));
    let (status, is_latest, updated_at) = match official {
        None => ("active".to_string(), true, None),
        Some(meta) => {
            let status = match meta.get("status") {
                None => "active".to_string(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => return Err(format!("status is {other}, not a string")),
            };
            let is_latest = match meta.get("isLatest") {
                None => true,
                Some(Value::Bool(b)) => *b,
                Some(other) => return Err(format!("isLatest is {other}, not a boolean")),
            };
            let updated_at = match meta.get("updatedAt") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(
                    DateTime::parse_from_rfc3339(s)
                        .map_err(|e| format!("updatedAt {s:?}: {e}"))?
                        .with_timezone(&Utc),
                ),
                Some(other) => return Err(format!("updatedAt is {other}, not a time")),
            };
            (status, is_latest, updated_at)
        }
    };
    Ok(ListedEntry {
        name,
        version,
        server: server.clone(),
        status,
        is_latest,
        updated_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_page_and_its_cursor() {
        let page = read_page(&json!({
            "servers": [{
                "server": {"name": "io.github.octo/weather", "version": "1.0.0",
                           "repository": {"url": "https://github.com/octo/weather", "source": "github"}},
                "_meta": {OFFICIAL_META: {"status": "active", "isLatest": true,
                                          "updatedAt": "2026-10-01T12:00:00Z"}}
            }],
            "metadata": {"count": 1, "nextCursor": "io.github.octo/weather:1.0.0"}
        }))
        .expect("page");
        assert_eq!(
            page.next_cursor.as_deref(),
            Some("io.github.octo/weather:1.0.0")
        );
        assert_eq!(page.entries[0].name, "io.github.octo/weather");
        assert_eq!(
            page.entries[0].updated_at.map(|t| t.to_rfc3339()),
            Some("2026-10-01T12:00:00+00:00".into())
        );
    }

    #[test]
    fn refuses_a_page_whose_types_are_wrong() {
        let scrambled = json!({
            "servers": [{"server": {"name": 22, "version": "1"}}],
            "metadata": {"count": 1}
        });
        assert!(read_page(&scrambled)
            .expect_err("name")
            .contains("server.name"));
        let count = json!({"servers": [], "metadata": {"count": "0"}});
        assert!(read_page(&count).expect_err("count").contains("count"));
        let cursor = json!({"servers": [], "metadata": {"nextCursor": 7}});
        assert!(read_page(&cursor).is_err());
    }

    #[test]
    fn page_urls_carry_limit_cursor_and_updated_since() {
        let since = DateTime::parse_from_rfc3339("2026-11-01T00:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let url = page_url("http://r.example/", 100, Some("a/b:1.0"), Some(since)).expect("url");
        assert_eq!(
            url,
            "http://r.example/v0.1/servers?limit=100&cursor=a%2Fb%3A1.0&updated_since=2026-11-01T00%3A00%3A00.000000Z"
        );
    }
}
