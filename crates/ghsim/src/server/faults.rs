//! How an injected fault changes an answer that is otherwise served.

use std::io;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::listener::ConnInfo;
use super::replies::{
    blocked, error_json, finish_json, json_response, secondary_response, unavailable, Reply,
};
use super::routing::Route;
use super::AppState;
use crate::faults::FaultKind;
use crate::limits::RateState;
use crate::tarball;

/// The `nul_path` fault on a tree: entries whose paths hold a NUL, a `..`,
/// and 60 paths of 20 KB (JSON cannot carry bytes that are not UTF-8).
pub(super) fn odd_tree_entries(body: &mut Value) {
    let Some(tree) = body.get_mut("tree").and_then(Value::as_array_mut) else {
        return;
    };
    let blob = |path: String| json!({"path": path, "mode": "100644", "type": "blob", "sha": "0".repeat(40), "size": 22});
    tree.push(blob("src/nul\0path.ts".into()));
    tree.push(blob("src/../../escape.ts".into()));
    for i in 0..60 {
        tree.push(blob(format!("{}{i}/index.ts", "d".repeat(20_000))));
    }
}

/// Numbers and booleans become strings, strings become numbers, nulls
/// become objects: valid JSON a strict client must refuse field by field.
pub(super) fn scramble_types(v: &mut Value) {
    match v {
        Value::Number(n) => *v = Value::String(n.to_string()),
        Value::Bool(b) => *v = Value::String(b.to_string()),
        Value::String(s) => *v = json!(s.len()),
        Value::Null => *v = json!({}),
        Value::Array(a) => a.iter_mut().for_each(scramble_types),
        Value::Object(o) => o.values_mut().for_each(scramble_types),
    }
}

/// A 200 whose body stops halfway: Content-Length promises more than is
/// sent, so the client sees an incomplete body.
pub(super) fn truncated_json(status: StatusCode, bytes: Vec<u8>) -> Response {
    let cut = bytes.len() / 2;
    let first = bytes::Bytes::from(bytes[..cut].to_vec());
    // The pause lets hyper flush the status line, headers and first half
    // before the error aborts the connection, so the client sees a short
    // body rather than no response at all.
    let stream = futures::stream::unfold(Some(first), |state| async move {
        match state {
            Some(first) => Some((Ok::<_, io::Error>(first), None)),
            None => {
                tokio::time::sleep(Duration::from_millis(30)).await;
                Some((Err(io::Error::other("truncated by fault injection")), None))
            }
        }
    });
    let mut r = Response::new(Body::from_stream(stream));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&bytes.len().to_string()) {
        r.headers_mut().insert(header::CONTENT_LENGTH, v);
    }
    r
}

/// The answer of a fault that replaces the endpoint's, or None for one that
/// changes the endpoint's answer (or does nothing here, as `slow`, which
/// the handler waits out).
pub(super) fn fault_reply(
    st: &AppState,
    conn: &ConnInfo,
    route: &Route,
    key: &str,
    rate: &RateState,
    fault: FaultKind,
    h: &HeaderMap,
) -> Option<Response> {
    let json = |reply: Reply| Some(finish_json(st, reply, h.clone()));
    match fault {
        FaultKind::ConnectionReset => {
            conn.kill.store(true, Ordering::Release);
            Some(json_response(StatusCode::INTERNAL_SERVER_ERROR, Vec::new()))
        }
        FaultKind::ServerError => {
            let (status, msg) = match st.faults.draw() % 3 {
                0 => (StatusCode::INTERNAL_SERVER_ERROR, "Server Error"),
                1 => (StatusCode::BAD_GATEWAY, "Bad Gateway"),
                _ => (StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable"),
            };
            json(error_json(status, msg))
        }
        FaultKind::SecondaryLimit => {
            let retry = st.limiter.scaled(st.config.secondary.retry_after);
            st.limiter.block(key, route.resource(), retry);
            Some(secondary_response(st, rate, retry))
        }
        FaultKind::NotFound => json(error_json(StatusCode::NOT_FOUND, "Not Found")),
        FaultKind::Unavailable => json(unavailable(route.repo().unwrap_or_default())),
        FaultKind::Empty => json(error_json(StatusCode::CONFLICT, "Git Repository is empty.")),
        FaultKind::Blocked => json(blocked()),
        FaultKind::BadRedirect => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::FOUND;
            r.headers_mut().insert(
                header::LOCATION,
                HeaderValue::from_static("file:///etc/passwd"),
            );
            r.headers_mut().extend(h.clone());
            Some(r)
        }
        FaultKind::EmptyDeflate => {
            let mut r = Response::new(Body::from_stream(tarball::empty_deflate()));
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-gzip"),
            );
            r.headers_mut().extend(h.clone());
            Some(r)
        }
        FaultKind::Slow
        | FaultKind::TruncatedBody
        | FaultKind::MalformedJson
        | FaultKind::WrongTypes
        | FaultKind::Incomplete
        | FaultKind::ShortPage
        | FaultKind::NulPath
        | FaultKind::Trickle
        | FaultKind::FlatArchive
        | FaultKind::TwoTopFolders => None,
    }
}
