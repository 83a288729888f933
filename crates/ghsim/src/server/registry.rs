//! `GET /v0.1/servers`: the official MCP registry's listing over the
//! simulator's registry, cursor-paged (`limit`, `cursor`), filtered by
//! `updated_since`, with its own rate limit (per address, a fixed window
//! of a scaled minute) and the same transient faults as GitHub's endpoints.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::faults::{scramble_types, truncated_json};
use super::listener::ConnInfo;
use super::replies::json_response;
use super::routing::param;
use super::AppState;
use crate::faults::FaultKind;
use crate::registry::Registry;

/// The API's page size without `limit`, and its largest.
const DEFAULT_LIMIT: usize = 30;
const MAX_LIMIT: usize = 100;

/// The registry and its rate limiter.
pub(super) struct RegistryState {
    registry: Registry,
    windows: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl RegistryState {
    pub(super) fn new(registry: Registry) -> RegistryState {
        RegistryState {
            registry,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request of `peer`; `Err(wait)` when its window is spent.
    fn admit(&self, peer: IpAddr, per_window: u32, window: Duration) -> Result<(), Duration> {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let slot = windows.entry(peer).or_insert((now, 0));
        if now.duration_since(slot.0) >= window {
            *slot = (now, 0);
        }
        if slot.1 >= per_window {
            return Err(window.saturating_sub(now.duration_since(slot.0)));
        }
        slot.1 += 1;
        Ok(())
    }
}

/// Transient faults only: the registry has no repositories to make gone.
fn applies(k: FaultKind) -> bool {
    matches!(
        k,
        FaultKind::ServerError
            | FaultKind::ConnectionReset
            | FaultKind::Slow
            | FaultKind::TruncatedBody
            | FaultKind::MalformedJson
            | FaultKind::WrongTypes
    )
}

fn error(status: StatusCode, detail: &str) -> Response {
    let body = json!({"title": status.canonical_reason().unwrap_or("Error"),
                      "status": status.as_u16(), "detail": detail});
    json_response(status, body.to_string().into_bytes())
}

pub(super) async fn answer(
    st: &AppState,
    conn: &ConnInfo,
    params: &[(String, String)],
) -> Response {
    let per_window = st.config.registry_limit_per_minute;
    let window = Duration::from_secs_f64(60.0 / st.config.time_scale);
    if per_window > 0 {
        if let Err(wait) = st.registry.admit(conn.peer.ip(), per_window, window) {
            st.stats.primary("registry");
            let mut r = error(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded");
            let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
    }
    st.stats.counted("registry");
    let fault = st.faults.decide(None, applies);
    if let Some(f) = fault {
        st.stats.fault(f.as_str());
        match f {
            FaultKind::Slow => tokio::time::sleep(st.faults.slow_delay()).await,
            FaultKind::ServerError => {
                return error(StatusCode::BAD_GATEWAY, "upstream failed");
            }
            FaultKind::ConnectionReset => {
                conn.kill.store(true, Ordering::Release);
                return json_response(StatusCode::INTERNAL_SERVER_ERROR, Vec::new());
            }
            _ => {}
        }
    }
    let mut body = match page(&st.registry.registry, params) {
        Ok(body) => body,
        Err(detail) => return error(StatusCode::BAD_REQUEST, &detail),
    };
    match fault {
        Some(FaultKind::WrongTypes) => {
            scramble_types(&mut body);
            json_response(StatusCode::OK, body.to_string().into_bytes())
        }
        Some(FaultKind::MalformedJson) => {
            let bytes = body.to_string().into_bytes();
            json_response(StatusCode::OK, bytes[..bytes.len() / 2].to_vec())
        }
        Some(FaultKind::TruncatedBody) => {
            truncated_json(StatusCode::OK, body.to_string().into_bytes())
        }
        _ => json_response(StatusCode::OK, body.to_string().into_bytes()),
    }
}

/// The page `params` ask for: entries after `cursor` (in name, version
/// order) updated after `updated_since`, at most `limit`.
fn page(registry: &Registry, params: &[(String, String)]) -> Result<Value, String> {
    let limit = match param(params, "limit") {
        None => DEFAULT_LIMIT,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
            _ => {
                return Err(format!(
                    "limit must be between 1 and {MAX_LIMIT}, got {s:?}"
                ))
            }
        },
    };
    let since: Option<DateTime<Utc>> = match param(params, "updated_since") {
        None | Some("") => None,
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .map_err(|e| format!("updated_since {s:?} is not an RFC 3339 time: {e}"))?
                .with_timezone(&Utc),
        ),
    };
    let cursor = param(params, "cursor").filter(|c| !c.is_empty());
    let mut selected = registry
        .entries
        .iter()
        .filter(|e| cursor.is_none_or(|c| e.cursor().as_str() > c))
        .filter(|e| since.is_none_or(|t| e.updated_at > t));
    let items: Vec<_> = selected.by_ref().take(limit).collect();
    let more = selected.next().is_some();
    let mut metadata = json!({"count": items.len()});
    if more {
        if let Some(last) = items.last() {
            metadata["nextCursor"] = json!(last.cursor());
        }
    }
    Ok(json!({
        "servers": items.iter().map(|e| e.listed()).collect::<Vec<_>>(),
        "metadata": metadata,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::RegistryEntry;
    use chrono::TimeZone;

    fn entry(name: &str, day: u32) -> RegistryEntry {
        let t = Utc
            .with_ymd_and_hms(2026, 10, day, 0, 0, 0)
            .single()
            .expect("time");
        RegistryEntry {
            server: json!({"name": name, "version": "1.0.0"}),
            status: "active".into(),
            is_latest: true,
            published_at: t,
            updated_at: t,
        }
    }

    fn ask(r: &Registry, q: &[(&str, &str)]) -> Value {
        let params: Vec<(String, String)> = q
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        page(r, &params).expect("page")
    }

    #[test]
    fn pages_by_cursor_and_filters_by_updated_since() {
        let r = Registry::new(vec![entry("c", 3), entry("a", 1), entry("b", 2)]);
        let first = ask(&r, &[("limit", "2")]);
        assert_eq!(first["metadata"]["count"], 2);
        assert_eq!(first["servers"][0]["server"]["name"], "a");
        let cursor = first["metadata"]["nextCursor"].as_str().expect("cursor");
        let second = ask(&r, &[("limit", "2"), ("cursor", cursor)]);
        assert_eq!(second["servers"][0]["server"]["name"], "c");
        assert!(second["metadata"].get("nextCursor").is_none());
        let changed = ask(&r, &[("updated_since", "2026-10-01T12:00:00Z")]);
        assert_eq!(changed["metadata"]["count"], 2);
        let bad = vec![("limit".to_string(), "500".to_string())];
        assert!(page(&r, &bad).is_err());
    }
}
