//! The two search endpoints, one paginator, GitHub's result cap and `Link`
//! header, and the cache that lets the pages of one query share a result.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::http::StatusCode;
use serde_json::{json, Value};

use super::json::{code_item_json, repo_json};
use super::replies::{validation_failed, Reply};
use super::routing::{param, Route};
use super::AppState;
use crate::faults::FaultKind;
use crate::index::{code_in_fields, repo_in_fields, CODE_QUALIFIERS, REPO_QUALIFIERS};
use crate::query::{parse, ParsedQuery, QueryError};

pub(super) struct Cache<K, V> {
    map: Mutex<HashMap<K, Arc<V>>>,
}

impl<K: std::hash::Hash + Eq + Clone, V> Cache<K, V> {
    pub(super) fn new() -> Self {
        Cache {
            map: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn get_or(&self, k: &K, f: impl FnOnce() -> V) -> Arc<V> {
        if let Some(v) = self.map.lock().unwrap_or_else(|e| e.into_inner()).get(k) {
            return v.clone();
        }
        // Computed outside the lock: two racing requests may both compute,
        // which is harmless and keeps the lock short.
        let v = Arc::new(f());
        let mut m = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= 1024 {
            m.clear();
        }
        m.insert(k.clone(), v.clone());
        v
    }
}

/// (code search?, q, sort, ascending): pages of one query share its result.
pub(super) type ResultKey = (bool, String, String, bool);

pub(super) fn per_page_and_page(st: &AppState, params: &[(String, String)]) -> (usize, usize) {
    let per_page = param(params, "per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(30)
        .min(st.config.max_per_page);
    let page = param(params, "page")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(1);
    (per_page, page)
}

/// Where the asked page starts and how long it is, or GitHub's refusal of
/// a page past the result cap.
fn page_start(st: &AppState, params: &[(String, String)]) -> Result<(usize, usize), Reply> {
    let (per_page, page) = per_page_and_page(st, params);
    let start = (page - 1).saturating_mul(per_page);
    if start >= st.config.result_cap {
        st.stats.reject("result_cap");
        return Err(cap_refusal());
    }
    Ok((start, per_page))
}

/// The one paginator of both search endpoints: the page of a query's
/// result (or its refusal) from `start`, cut at the result cap, with the
/// `incomplete` faults applied, each id shown by `item`. `total_count` is
/// the uncapped total, as on GitHub.
fn page_of(
    st: &AppState,
    results: &Result<Vec<u32>, QueryError>,
    (start, per_page): (usize, usize),
    fault: Option<FaultKind>,
    item: impl Fn(u32) -> Value,
) -> Reply {
    let ids = match results {
        Ok(ids) => ids,
        Err(e) => {
            st.stats.reject("validation_failed");
            return validation_failed(e);
        }
    };
    let reachable = ids.len().min(st.config.result_cap);
    let end = (start + per_page).min(reachable);
    let mut page_ids: Vec<u32> = if start < end {
        ids[start..end].to_vec()
    } else {
        Vec::new()
    };
    let incomplete = incomplete(st, &mut page_ids, fault, end < reachable);
    let items: Vec<Value> = page_ids.into_iter().map(item).collect();
    Reply::Json(
        StatusCode::OK,
        json!({"total_count": ids.len(), "incomplete_results": incomplete, "items": items}),
    )
}

pub(super) fn cap_refusal() -> Reply {
    Reply::Json(
        StatusCode::UNPROCESSABLE_ENTITY,
        json!({"message": "Only the first 1000 search results are available", "documentation_url": "https://docs.github.com/v3/search/", "status": "422"}),
    )
}

pub(super) fn search_repositories(
    st: &Arc<AppState>,
    params: &[(String, String)],
    fault: Option<FaultKind>,
) -> Reply {
    let q = param(params, "q").unwrap_or_default().to_string();
    let parsed = match parse(&q, REPO_QUALIFIERS) {
        Ok(p) => p,
        Err(e) => {
            st.stats.reject("validation_failed");
            return validation_failed(&e);
        }
    };
    let in_query_sort = parsed.qual("sort").next().map(|s| s.value.clone());
    let sort_raw = param(params, "sort")
        .map(|s| s.to_string())
        .or(in_query_sort);
    let (sort, ascending) = match sort_raw
        .as_deref()
        .map(|s| s.split_once('-').map_or((s, None), |(a, b)| (a, Some(b))))
    {
        Some((s, dir)) => (
            Some(s.to_string()),
            dir == Some("asc") || (dir.is_none() && param(params, "order") == Some("asc")),
        ),
        None => (None, param(params, "order") == Some("asc")),
    };
    if let Some(s) = &sort {
        if !matches!(
            s.as_str(),
            "stars" | "forks" | "updated" | "help-wanted-issues"
        ) {
            st.stats.reject("validation_failed");
            return validation_failed(&QueryError(format!(
                "sort={s} is not one of stars, forks, help-wanted-issues, updated"
            )));
        }
    }
    let (start, per_page) = match page_start(st, params) {
        Ok(at) => at,
        Err(refusal) => return refusal,
    };
    let key = (
        false,
        q.clone(),
        sort.clone().unwrap_or_default(),
        ascending,
    );
    let results = st.results.get_or(&key, || {
        let fields = repo_in_fields(&parsed)?;
        let text = st.index.repo_text_matches(&st.corpus, &parsed, &fields);
        let mut ids = st.index.repo_filter(&parsed, text.as_deref())?;
        st.index
            .sort_repos(&mut ids, sort.as_deref(), ascending, &st.corpus);
        Ok(ids)
    });
    page_of(st, results.as_ref(), (start, per_page), fault, |i| {
        repo_json(st, i as usize, true)
    })
}

/// Drops items of a search page for the `incomplete` and `short_page`
/// faults (the latter only on a page that has a next one) (and `incomplete_results_rate`); true when the answer is to say
/// `incomplete_results`. `total_count` and the `Link` header stay as they
/// were, as on GitHub, so only a client that reads `incomplete_results` and
/// follows `Link` rather than counting items notices and asks again.
pub(super) fn incomplete(
    st: &AppState,
    page: &mut Vec<u32>,
    fault: Option<FaultKind>,
    has_next: bool,
) -> bool {
    match fault {
        Some(FaultKind::Incomplete) => {
            drop_some(st, page);
            return true;
        }
        // Only a page with a next one: a short last page is a page like
        // any other and no client could tell.
        Some(FaultKind::ShortPage) if has_next => {
            drop_some(st, page);
            return false;
        }
        _ => {}
    }
    if st.config.incomplete_results_rate <= 0.0 {
        return false;
    }
    let x = (st.faults.draw() >> 11) as f64 / (1u64 << 53) as f64;
    if x >= st.config.incomplete_results_rate {
        return false;
    }
    let keep = page.len() - page.len() / 4;
    page.truncate(keep);
    true
}

/// Removes between one and a quarter of a page's items (at least one),
/// from random places: GitHub's dropped items are not only the last ones.
pub(super) fn drop_some(st: &AppState, page: &mut Vec<u32>) {
    if page.is_empty() {
        return;
    }
    let most = (page.len() / 4).max(1);
    let n = 1 + (st.faults.draw() as usize) % most;
    for _ in 0..n {
        if page.is_empty() {
            break;
        }
        let at = (st.faults.draw() as usize) % page.len();
        page.remove(at);
    }
}

pub(super) fn search_code(
    st: &Arc<AppState>,
    params: &[(String, String)],
    fault: Option<FaultKind>,
) -> Reply {
    let q = param(params, "q").unwrap_or_default().to_string();
    let parsed: ParsedQuery = match parse(&q, CODE_QUALIFIERS) {
        Ok(p) => p,
        Err(e) => {
            st.stats.reject("validation_failed");
            return validation_failed(&e);
        }
    };
    if !parsed.has_positive_text() {
        st.stats.reject("validation_failed");
        return validation_failed(&QueryError(
            "Code search needs at least one search term; qualifiers alone are not enough".into(),
        ));
    }
    let (start, per_page) = match page_start(st, params) {
        Ok(at) => at,
        Err(refusal) => return refusal,
    };
    let key = (true, q.clone(), String::new(), false);
    let results = st.results.get_or(&key, || {
        let (in_file, in_path) = code_in_fields(&parsed)?;
        let text = st
            .index
            .code_text_matches(&st.corpus, &parsed, in_file, in_path);
        st.index.code_filter(&st.corpus, &parsed, &text)
    });
    page_of(st, results.as_ref(), (start, per_page), fault, |f| {
        code_item_json(st, f)
    })
}

/// GitHub's pagination header: next/last, and prev/first after page 1;
/// last never points past the result cap.
pub(super) fn link_header(
    st: &AppState,
    route: &Route,
    params: &[(String, String)],
    path: &str,
    body: &Value,
) -> Option<String> {
    if !matches!(route, Route::SearchRepos | Route::SearchCode) {
        return None;
    }
    let total = body.get("total_count")?.as_u64()? as usize;
    let (per_page, page) = per_page_and_page(st, params);
    let reachable = total.min(st.config.result_cap);
    let last = reachable.div_ceil(per_page);
    if last <= 1 && page <= 1 {
        return None;
    }
    let url = |p: usize| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params.iter().filter(|(k, _)| k != "page") {
            ser.append_pair(k, v);
        }
        ser.append_pair("page", &p.to_string());
        format!("{}{path}?{}", st.base_url, ser.finish())
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!(
            "<{}>; rel=\"prev\"",
            url((page - 1).min(last.max(1)))
        ));
    }
    if page < last {
        links.push(format!("<{}>; rel=\"next\"", url(page + 1)));
        links.push(format!("<{}>; rel=\"last\"", url(last)));
    }
    if page > 1 {
        links.push(format!("<{}>; rel=\"first\"", url(1)));
    }
    if links.is_empty() {
        None
    } else {
        Some(links.join(", "))
    }
}
