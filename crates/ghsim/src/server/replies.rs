//! GitHub's answers that are not an endpoint's own: errors, rate-limit
//! refusals and headers, ETags, `/rate_limit`.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::listener::ConnInfo;
use super::AppState;
use crate::limits::{RateState, Resource};
use crate::query::QueryError;

pub(super) const DOCS: &str = "https://docs.github.com/rest";

pub(super) enum Reply {
    Json(StatusCode, Value),
    Redirect(String),
    Tarball {
        repo: usize,
        commit: String,
        mtime: u64,
    },
}

pub(super) fn error_json(status: StatusCode, message: &str) -> Reply {
    Reply::Json(
        status,
        json!({"message": message, "documentation_url": DOCS, "status": status.as_u16().to_string()}),
    )
}

pub(super) fn validation_failed(e: &QueryError) -> Reply {
    Reply::Json(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({
            "message": "Validation Failed",
            "errors": [{"message": e.0, "resource": "Search", "field": "q", "code": "invalid"}],
            "documentation_url": "https://docs.github.com/v3/search/",
            "status": "422",
        }),
    )
}

pub(super) fn rate_headers(h: &mut HeaderMap, s: &RateState) {
    let mut set = |k: &'static str, v: String| {
        if let Ok(v) = HeaderValue::from_str(&v) {
            h.insert(k, v);
        }
    };
    set("x-ratelimit-limit", s.limit.to_string());
    set("x-ratelimit-remaining", s.remaining.to_string());
    set("x-ratelimit-used", s.used.to_string());
    set("x-ratelimit-reset", s.reset.to_string());
    set("x-ratelimit-resource", s.resource.as_str().to_string());
    // Not a GitHub header: the exact reset for clients that want sub-second
    // precision under a large --time-scale.
    set("x-sim-ratelimit-reset-ms", s.reset_ms.to_string());
}

pub(super) fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

/// The ETag of a JSON answer. URLs in bodies carry this simulator's
/// address, which changes with every start; GitHub's do not, so the tag is
/// computed as if they were GitHub's, and a re-run against a new simulator
/// instance gets 304s for unchanged resources as it would on GitHub.
pub(super) fn etag_of(body: &[u8], base_url: &str) -> String {
    let text = String::from_utf8_lossy(body);
    let stable = text.replace(base_url, "https://api.github.com");
    format!("W/\"{}\"", hex::encode(Sha256::digest(stable.as_bytes())))
}

pub(super) fn etag_matches(headers: &HeaderMap, etag: &str) -> bool {
    let strip = |s: &str| {
        s.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_string()
    };
    let want = strip(etag);
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|x| x.to_string()).collect::<Vec<_>>())
        .any(|v| v.trim() == "*" || strip(&v) == want)
}

pub(super) fn unreachable_json() -> Response {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        b"{\"message\":\"Server Error\"}".to_vec(),
    )
}

pub(super) fn finish_json(_st: &AppState, reply: Reply, h: HeaderMap) -> Response {
    match reply {
        Reply::Json(status, body) => {
            let mut r = json_response(status, serde_json::to_vec_pretty(&body).unwrap_or_default());
            r.headers_mut().extend(h);
            r
        }
        _ => unreachable_json(),
    }
}

pub(super) fn bad_credentials(st: &AppState, anon_key: &str) -> Response {
    st.stats.reject("bad_credentials");
    let mut h = HeaderMap::new();
    rate_headers(&mut h, &st.limiter.peek(anon_key, false, Resource::Core));
    finish_json(
        st,
        error_json(StatusCode::UNAUTHORIZED, "Bad credentials"),
        h,
    )
}

pub(super) fn unavailable(repo: &str) -> Reply {
    Reply::Json(
        StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS,
        json!({
            "message": "Repository access blocked",
            "block": {"reason": "dmca", "created_at": "2025-06-01T00:00:00Z", "html_url": format!("https://github.com/github/dmca/blob/master/2025/06/2025-06-01-{}.md", repo.replace('/', "-"))},
            "documentation_url": DOCS,
            "status": "451",
        }),
    )
}

/// GitHub's answer for a repository blocked under its terms of service:
/// 403 with the same message as a DMCA block and a `block` object, on the
/// repository and everything under it.
pub(super) fn blocked() -> Reply {
    Reply::Json(
        StatusCode::FORBIDDEN,
        json!({
            "message": "Repository access blocked",
            "block": {"reason": "tos", "created_at": "2025-06-01T00:00:00Z", "html_url": Value::Null},
            "documentation_url": DOCS,
            "status": "403",
        }),
    )
}

pub(super) fn primary_response(
    st: &AppState,
    s: &RateState,
    authed: bool,
    conn: &ConnInfo,
) -> Response {
    let (status, msg) = if s.resource == Resource::Archive {
        (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many archive downloads. Please wait before trying again.".to_string(),
        )
    } else {
        let status = if st.config.primary_limit_status == 429 {
            StatusCode::TOO_MANY_REQUESTS
        } else {
            StatusCode::FORBIDDEN
        };
        let msg = if authed {
            "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID and timestamp.".to_string()
        } else {
            format!("API rate limit exceeded for {}. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)", conn.peer.ip())
        };
        (status, msg)
    };
    let mut h = HeaderMap::new();
    if s.resource != Resource::Archive {
        rate_headers(&mut h, s);
    }
    if s.resource == Resource::Archive {
        let wait = s
            .reset_ms
            .saturating_sub(crate::limits::now_ms())
            .div_ceil(1000)
            .max(1);
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            h.insert(header::RETRY_AFTER, v);
        }
    }
    finish_json(
        st,
        Reply::Json(
            status,
            json!({"message": msg, "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting", "status": status.as_u16().to_string()}),
        ),
        h,
    )
}

pub(super) fn secondary_response(st: &AppState, s: &RateState, retry: Duration) -> Response {
    let mut h = HeaderMap::new();
    if s.resource != Resource::Archive {
        rate_headers(&mut h, s);
    }
    let share = st.config.secondary.without_retry_after;
    let silent = share > 0.0 && ((st.faults.draw() >> 11) as f64 / (1u64 << 53) as f64) < share;
    if silent {
        st.stats.reject("secondary_without_retry_after");
    } else {
        let secs = retry.as_secs_f64().ceil().max(1.0) as u64;
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            h.insert(header::RETRY_AFTER, v);
        }
        // Not a GitHub header: the exact wait under a large --time-scale,
        // an optional hint beside Retry-After (never sent without it).
        if let Ok(v) = HeaderValue::from_str(&retry.as_millis().to_string()) {
            h.insert("x-sim-retry-after-ms", v);
        }
    }
    let status = if st.config.secondary.status == 429 {
        StatusCode::TOO_MANY_REQUESTS
    } else {
        StatusCode::FORBIDDEN
    };
    finish_json(
        st,
        Reply::Json(
            status,
            json!({
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
                "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                "status": status.as_u16().to_string(),
            }),
        ),
        h,
    )
}

pub(super) fn rate_limit(st: &AppState, key: &str, authed: bool) -> Response {
    let mut resources = serde_json::Map::new();
    for r in Resource::ALL {
        let s = st.limiter.peek(key, authed, *r);
        resources.insert(
            r.as_str().to_string(),
            json!({"limit": s.limit, "used": s.used, "remaining": s.remaining, "reset": s.reset, "resource": r.as_str()}),
        );
    }
    let core = resources.get("core").cloned().unwrap_or(Value::Null);
    let body = json!({"resources": resources, "rate": core});
    let mut r = json_response(
        StatusCode::OK,
        serde_json::to_vec_pretty(&body).unwrap_or_default(),
    );
    rate_headers(
        r.headers_mut(),
        &st.limiter.peek(key, authed, Resource::Core),
    );
    r
}
