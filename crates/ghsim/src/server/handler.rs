//! The handler every request goes through: user agent, token, rate
//! limits, injected faults, then the endpoint, ETag and `Link`.

use std::ops::ControlFlow::{self, Break, Continue};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::app::{InstallationCaller, INSTALLATION_TOKEN_PREFIX};
use super::faults::{fault_reply, odd_tree_entries, scramble_types, truncated_json};
use super::listener::ConnInfo;
use super::replies::{
    bad_credentials, error_json, etag_matches, etag_of, finish_json, json_response,
    primary_response, rate_headers, rate_limit, secondary_response, Reply,
};
use super::routing::{dispatch, route, Route};
use super::search::link_header;
use super::{snapshot, AppState};
use crate::faults::FaultKind;
use crate::limits::{Decision, InflightGuard, RateState, Resource};
use crate::tarball::{self, top_folder, ArchiveShape, TarballJob};

pub(super) fn token_key(token: &str) -> String {
    format!(
        "sha256:{}",
        &hex::encode(Sha256::digest(token.as_bytes()))[..12]
    )
}

pub(super) fn parse_auth(headers: &HeaderMap) -> Option<Result<String, ()>> {
    let v = headers.get(header::AUTHORIZATION)?;
    let Ok(v) = v.to_str() else {
        return Some(Err(()));
    };
    let v = v.trim();
    let token = v
        .strip_prefix("token ")
        .or_else(|| v.strip_prefix("Token "))
        .or_else(|| v.strip_prefix("Bearer "))
        .or_else(|| v.strip_prefix("bearer "))
        .map(|t| t.trim().to_string());
    Some(match token {
        Some(t) if !t.is_empty() => Ok(t),
        _ => Err(()),
    })
}

pub(super) async fn handle(
    State(st): State<Arc<AppState>>,
    ConnectInfo(conn): ConnectInfo<ConnInfo>,
    req: Request,
) -> Response {
    let method = req.method().clone();
    let uri = req.uri().clone();
    let headers = req.headers().clone();
    drop(req);
    let route = route(uri.path());
    let params: Vec<(String, String)> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let mut resp = handle_inner(&st, &conn, &method, &uri, &headers, route, &params).await;
    let seq = st.request_seq.fetch_add(1, Ordering::Relaxed);
    if let Ok(v) = HeaderValue::from_str(&format!("SIM0:{seq:08X}")) {
        resp.headers_mut().insert("x-github-request-id", v);
    }
    resp.headers_mut().insert(
        "x-github-api-version-selected",
        HeaderValue::from_static("2022-11-28"),
    );
    if resp.status() != StatusCode::UNAUTHORIZED
        && matches!(parse_auth(&headers), Some(Ok(t)) if t.starts_with(NO_SCOPE_TOKEN_PREFIX))
    {
        resp.headers_mut()
            .insert("x-oauth-scopes", HeaderValue::from_static(""));
    }
    st.stats.status(resp.status().as_u16());
    resp
}

/// Tokens starting with this stand for a classic token created with no
/// scope selected: like GitHub, the simulator answers them with an empty
/// `X-OAuth-Scopes` header. Such a token still reads public repositories
/// and searches, which is all a survey needs.
pub const NO_SCOPE_TOKEN_PREFIX: &str = "ghp_noscope";

/// Who is asking, for the rate limiter.
struct Caller {
    /// The token's key, or the address's without a token.
    key: String,
    authed: bool,
}

/// What was asked, as the answer's headers need it.
struct Asked<'a> {
    route: &'a Route,
    params: &'a [(String, String)],
    path: &'a str,
    headers: &'a HeaderMap,
}

pub(super) async fn handle_inner(
    st: &Arc<AppState>,
    conn: &ConnInfo,
    method: &Method,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    route: Route,
    params: &[(String, String)],
) -> Response {
    if let Route::SimStats = route {
        let body = serde_json::to_vec_pretty(&snapshot(st)).unwrap_or_default();
        return json_response(StatusCode::OK, body);
    }
    st.stats.request(route.endpoint());
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("(none)");
    st.stats.user_agent(route.endpoint(), user_agent);
    if let Route::Registry = route {
        return super::registry::answer(st, conn, params).await;
    }

    if st.config.require_user_agent && !headers.contains_key(header::USER_AGENT) {
        st.stats.reject("no_user_agent");
        return no_user_agent();
    }

    if let Some(reply) = super::app::answer(st, &route, method, headers) {
        return reply;
    }

    let anon_key = format!("anonymous@{}", conn.peer.ip());
    let caller = match identify(st, headers, &anon_key) {
        Continue(caller) => caller,
        Break(refusal) => return refusal,
    };

    if method != Method::GET && method != Method::HEAD {
        let mut h = HeaderMap::new();
        rate_headers(
            &mut h,
            &st.limiter.peek(&caller.key, caller.authed, Resource::Core),
        );
        return finish_json(st, error_json(StatusCode::NOT_FOUND, "Not Found"), h);
    }

    // The download host serves signed URLs without a token: its budget is
    // per address, the size of a token's (GitHub does not publish it).
    let caller = if let Route::Codeload(..) = route {
        Caller {
            key: anon_key,
            authed: true,
        }
    } else {
        caller
    };
    let resource = route.resource();
    if let Route::RateLimit = route {
        return rate_limit(st, &caller.key, caller.authed);
    }

    let (inflight, rate) = match admit(st, conn, &caller, resource) {
        Continue(admitted) => admitted,
        Break(refusal) => return refusal,
    };
    st.stats.counted(resource.as_str());
    let mut h = HeaderMap::new();
    // The download host sends no rate-limit headers (it throttles all the
    // same, with 429s).
    if resource != Resource::Archive {
        rate_headers(&mut h, &rate);
    }

    let fault = st.faults.decide(route.repo(), |k| route.fault_applies(k));
    if let Some(f) = fault {
        st.stats.fault(f.as_str());
        if f == FaultKind::Slow {
            tokio::time::sleep(st.faults.slow_delay()).await;
        } else if let Some(r) = fault_reply(st, conn, &route, &caller.key, &rate, f, &h) {
            return r;
        }
    }

    let asked = Asked {
        route: &route,
        params,
        path: uri.path(),
        headers,
    };
    match dispatch(st, &route, params, uri.path(), fault) {
        Reply::Json(status, body) => json_answer(st, &asked, &caller, fault, status, body, h),
        Reply::Redirect(location) => redirect(&location, h),
        Reply::Tarball {
            repo,
            commit,
            mtime,
        } => tarball_answer(st, (repo, commit, mtime), fault, inflight, h),
    }
}

/// GitHub's refusal of a request without a `User-Agent`.
fn no_user_agent() -> Response {
    let mut r = Response::new(Body::from(
        "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n",
    ));
    *r.status_mut() = StatusCode::FORBIDDEN;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// The caller of a request with no token, an accepted one, or the refusal
/// of a token that is not.
fn identify(st: &AppState, headers: &HeaderMap, anon_key: &str) -> ControlFlow<Response, Caller> {
    match parse_auth(headers) {
        None => Continue(Caller {
            key: anon_key.to_string(),
            authed: false,
        }),
        Some(Ok(token)) if st.apps.enabled() && token.starts_with(INSTALLATION_TOKEN_PREFIX) => {
            // An installation's tokens share its rate limits, as on GitHub.
            match st.apps.check_token(&token) {
                InstallationCaller::Valid { installation } => Continue(Caller {
                    key: token_key(&format!("installation:{installation}")),
                    authed: true,
                }),
                InstallationCaller::Expired => {
                    st.stats.reject("expired_token");
                    Break(bad_credentials(st, anon_key))
                }
                InstallationCaller::Unknown => Break(bad_credentials(st, anon_key)),
            }
        }
        Some(Ok(token)) => {
            let ok = st
                .config
                .valid_tokens
                .as_ref()
                .is_none_or(|v| v.contains(&token));
            if !ok {
                return Break(bad_credentials(st, anon_key));
            }
            Continue(Caller {
                key: token_key(&token),
                authed: true,
            })
        }
        Some(Err(())) => Break(bad_credentials(st, anon_key)),
    }
}

/// Counts the request against the caller's concurrency and primary and
/// secondary limits, or answers with the limit it hit.
fn admit(
    st: &AppState,
    conn: &ConnInfo,
    caller: &Caller,
    resource: Resource,
) -> ControlFlow<Response, (InflightGuard, RateState)> {
    let (key, authed) = (caller.key.as_str(), caller.authed);
    let inflight = match st.limiter.enter(key) {
        Ok(g) => g,
        Err(()) => {
            st.stats.secondary(resource.as_str());
            let s = st.limiter.peek(key, authed, resource);
            let retry = st.limiter.scaled(st.config.secondary.retry_after);
            return Break(secondary_response(st, &s, retry));
        }
    };
    match st.limiter.acquire(key, authed, resource) {
        Decision::Allowed(s) => Continue((inflight, s)),
        Decision::NeedsAuth(s) => {
            st.stats.reject("requires_authentication");
            let mut h = HeaderMap::new();
            rate_headers(&mut h, &s);
            Break(finish_json(
                st,
                Reply::Json(
                    StatusCode::UNAUTHORIZED,
                    json!({
                        "message": "Requires authentication",
                        "errors": [{"message": "Must be authenticated to access the code search API", "resource": "Search", "field": "q", "code": "invalid"}],
                        "documentation_url": "https://docs.github.com/v3/search/#search-code",
                        "status": "401",
                    }),
                ),
                h,
            ))
        }
        Decision::Primary(s) => {
            st.stats.primary(resource.as_str());
            Break(primary_response(st, &s, authed, conn))
        }
        Decision::Secondary(s, retry) => {
            st.stats.secondary(resource.as_str());
            Break(secondary_response(st, &s, retry))
        }
    }
}

/// A JSON answer: with the body-changing faults applied, an ETag (and a
/// 304 when the client already has it) except on searches, and `Link`.
fn json_answer(
    st: &AppState,
    asked: &Asked<'_>,
    caller: &Caller,
    fault: Option<FaultKind>,
    status: StatusCode,
    mut body: Value,
    mut h: HeaderMap,
) -> Response {
    let route = asked.route;
    if fault == Some(FaultKind::NulPath) && status == StatusCode::OK {
        odd_tree_entries(&mut body);
    }
    if fault == Some(FaultKind::WrongTypes) {
        // Keep the pagination fields intact so only types differ.
        let total = body.get("total_count").cloned();
        scramble_types(&mut body);
        if let (Some(t), Some(o)) = (total, body.as_object_mut()) {
            o.insert("total_count".into(), t);
        }
    }
    let bytes = serde_json::to_vec_pretty(&body).unwrap_or_default();
    // GitHub sends no ETag with search answers (their order and
    // counts change from one ask to the next), so a client cannot
    // get a free 304 for a search page.
    let searches = matches!(route, Route::SearchRepos | Route::SearchCode);
    if status == StatusCode::OK && !searches {
        let etag = etag_of(&bytes, &st.base_url);
        if etag_matches(asked.headers, &etag) {
            let resource = route.resource();
            let s = st.limiter.refund(&caller.key, caller.authed, resource);
            st.stats.uncounted(resource.as_str(), route.endpoint());
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            rate_headers(r.headers_mut(), &s);
            if let Ok(v) = HeaderValue::from_str(&etag) {
                r.headers_mut().insert(header::ETAG, v);
            }
            return r;
        }
        if let Ok(v) = HeaderValue::from_str(&etag) {
            h.insert(header::ETAG, v);
        }
    }
    if let Some(link) = link_header(st, route, asked.params, asked.path, &body) {
        if let Ok(v) = HeaderValue::from_str(&link) {
            h.insert(header::LINK, v);
        }
    }
    let mut r = match fault {
        Some(FaultKind::MalformedJson) => {
            let cut = bytes.len() / 2;
            json_response(status, bytes[..cut].to_vec())
        }
        Some(FaultKind::TruncatedBody) => truncated_json(status, bytes),
        _ => json_response(status, bytes),
    };
    r.headers_mut().extend(h);
    r
}

fn redirect(location: &str, h: HeaderMap) -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::FOUND;
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut().extend(h);
    r
}

/// A tarball streamed from its generator. The in-flight guard goes with
/// the stream: a download counts against concurrency until its last byte.
fn tarball_answer(
    st: &Arc<AppState>,
    (repo, commit, mtime): (usize, String, u64),
    fault: Option<FaultKind>,
    inflight: InflightGuard,
    h: HeaderMap,
) -> Response {
    let full = st.corpus.repos[repo].meta.full_name.clone();
    st.stats.download(&full);
    let truncate = fault == Some(FaultKind::TruncatedBody);
    let top = top_folder(&full, &commit);
    let job = TarballJob {
        corpus: st.corpus.clone(),
        repo,
        commit_sha: commit,
        mtime,
        bomb_bytes: st.config.gzip_bomb_bytes,
        truncate,
        shape: match fault {
            Some(FaultKind::NulPath) => ArchiveShape::NulPath,
            Some(FaultKind::FlatArchive) => ArchiveShape::Flat,
            Some(FaultKind::TwoTopFolders) => ArchiveShape::TwoTopFolders,
            _ => ArchiveShape::GitHub,
        },
    };
    let st2 = st.clone();
    let rx = tarball::spawn(job, move || st2.stats.completed(&full));
    let stream = futures::stream::unfold((rx, inflight), |(mut rx, guard)| async move {
        rx.recv().await.map(|chunk| (chunk, (rx, guard)))
    });
    let body = if fault == Some(FaultKind::Trickle) {
        Body::from_stream(tarball::trickle(stream))
    } else {
        Body::from_stream(stream)
    };
    let mut r = Response::new(body);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-gzip"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename={top}.tar.gz")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r.headers_mut().extend(h);
    r
}
