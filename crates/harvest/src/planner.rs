//! The query planner: slices a seed query until every slice reports at most
//! GitHub's 1,000 reachable results.
//!
//! Repository searches are sliced by `created:` windows, code searches by
//! `size:` ranges. A window that is over the cap is split into several
//! children at once, at the quantiles of the creation dates its first result
//! page showed (best-match order is close to a random sample in time), so
//! skewed distributions (most MCP repositories are recent) need few counting
//! requests. Sizes carry no sample in code-search results, so size ranges are
//! bisected.

use chrono::{DateTime, Duration, TimeZone, Utc};
use mcp_survey_model::CODE_SEARCH_MAX_FILE_BYTES;
use mcp_survey_store::{NewSlice, Slice};

/// GitHub serves at most this many results of one search.
pub const RESULT_CAP: i64 = 1000;
/// Results per page (GitHub's maximum).
pub const PER_PAGE: u32 = 100;
/// Code search only indexes files below this size: the upper end of the
/// `size:` range code queries are sliced over.
pub const MAX_CODE_FILE_BYTES: i64 = CODE_SEARCH_MAX_FILE_BYTES as i64;
/// Children aim at this many results each, leaving room for a skewed sample.
const TARGET_PER_SLICE: i64 = 700;
const MAX_CHILDREN: i64 = 32;

/// The first repository on GitHub was created in 2007; nothing is older.
pub fn github_epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2007, 10, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn window_query(base: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> String {
    format!(
        "{base} created:{}..{}",
        format_time(start),
        format_time(end)
    )
}

pub fn size_query(base: &str, min: i64, max: i64) -> String {
    format!("{base} size:{min}..{max}")
}

/// The first slice of a seed query: every creation date up to `now` (plus a
/// day of slack for clock skew), or every indexable file size.
pub fn root_slice(query_name: &str, endpoint: &str, base: &str, now: DateTime<Utc>) -> NewSlice {
    if endpoint == "code" {
        size_slice(query_name, base, 0, MAX_CODE_FILE_BYTES)
    } else {
        window_slice(query_name, base, github_epoch(), now + Duration::days(1))
    }
}

fn window_slice(name: &str, base: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> NewSlice {
    NewSlice {
        query_name: name.to_string(),
        query: window_query(base, start, end),
        window_start: Some(start),
        window_end: Some(end),
        size_min: None,
        size_max: None,
    }
}

fn size_slice(name: &str, base: &str, min: i64, max: i64) -> NewSlice {
    NewSlice {
        query_name: name.to_string(),
        query: size_query(base, min, max),
        window_start: None,
        window_end: None,
        size_min: Some(min),
        size_max: Some(max),
    }
}

/// Whether a slice over the cap can still be narrowed (a window of one
/// second, or a single byte size, cannot).
pub fn can_split(slice: &Slice) -> bool {
    match (
        slice.window_start,
        slice.window_end,
        slice.size_min,
        slice.size_max,
    ) {
        (Some(start), Some(end), _, _) => end > start,
        (_, _, Some(min), Some(max)) => max > min,
        _ => false,
    }
}

/// How many children a slice of `total` results is split into.
pub fn child_count(total: i64) -> i64 {
    ((total + TARGET_PER_SLICE - 1) / TARGET_PER_SLICE).clamp(2, MAX_CHILDREN)
}

/// Splits an over-cap slice into contiguous, non-overlapping children that
/// cover it exactly. `sample` holds creation dates seen on the slice's
/// first page (ignored for size ranges).
pub fn split(slice: &Slice, total: i64, sample: &[DateTime<Utc>]) -> Vec<NewSlice> {
    let k = child_count(total);
    match (
        slice.window_start,
        slice.window_end,
        slice.size_min,
        slice.size_max,
    ) {
        (Some(start), Some(end), _, _) => split_window(slice, start, end, k, sample),
        (_, _, Some(min), Some(max)) => split_sizes(slice, min, max),
        _ => Vec::new(),
    }
}

fn split_window(
    slice: &Slice,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    k: i64,
    sample: &[DateTime<Utc>],
) -> Vec<NewSlice> {
    let start_s = start.timestamp();
    let end_s = end.timestamp();
    let mut inside: Vec<i64> = sample
        .iter()
        .map(|t| t.timestamp())
        .filter(|t| (start_s..=end_s).contains(t))
        .collect();
    inside.sort_unstable();
    // Cut points: quantiles of the sample when it is informative, else even
    // steps. Each cut c ends one child at c and starts the next at c + 1 s
    // (created: ranges are inclusive at both ends).
    let mut cuts: Vec<i64> = if inside.len() as i64 >= k * 2 {
        (1..k)
            .map(|i| inside[(i as usize * inside.len()) / k as usize])
            .collect()
    } else {
        (1..k)
            .map(|i| start_s + (end_s - start_s) * i / k)
            .collect()
    };
    cuts.retain(|c| *c >= start_s && *c < end_s);
    cuts.dedup();
    if cuts.is_empty() {
        cuts.push(start_s + (end_s - start_s) / 2);
    }
    let mut children = Vec::with_capacity(cuts.len() + 1);
    let mut lo = start_s;
    for cut in cuts {
        if cut < lo {
            continue;
        }
        children.push((lo, cut));
        lo = cut + 1;
    }
    children.push((lo, end_s));
    children
        .into_iter()
        .filter(|(a, b)| a <= b)
        .filter_map(|(a, b)| {
            let a = Utc.timestamp_opt(a, 0).single()?;
            let b = Utc.timestamp_opt(b, 0).single()?;
            Some(window_slice(&slice.query_name, &slice.base_query, a, b))
        })
        .collect()
}

fn split_sizes(slice: &Slice, min: i64, max: i64) -> Vec<NewSlice> {
    let mid = min + (max - min) / 2;
    vec![
        size_slice(&slice.query_name, &slice.base_query, min, mid),
        size_slice(&slice.query_name, &slice.base_query, mid + 1, max),
    ]
}

/// Pages a slice needs: GitHub serves at most the first 1,000 results.
pub fn pages_needed(total: i64) -> i32 {
    let reachable = total.clamp(0, RESULT_CAP);
    ((reachable + PER_PAGE as i64 - 1) / PER_PAGE as i64).max(1) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_survey_store::SliceState;

    fn slice_of(new: &NewSlice) -> Slice {
        Slice {
            id: 1,
            run_id: 1,
            query_name: new.query_name.clone(),
            endpoint: if new.size_min.is_some() {
                "code"
            } else {
                "repositories"
            }
            .into(),
            base_query: "mcp".into(),
            query: new.query.clone(),
            window_start: new.window_start,
            window_end: new.window_end,
            size_min: new.size_min,
            size_max: new.size_max,
            state: SliceState::Pending,
            total_count: None,
            pages_done: 0,
            pages_total: None,
            error: None,
            recheck_pages: Vec::new(),
            recheck_rounds: 0,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
            .single()
            .expect("valid date")
    }

    #[test]
    fn root_slices_cover_everything() {
        let repo = root_slice("q", "repositories", "mcp", now());
        assert_eq!(repo.window_start, Some(github_epoch()));
        assert!(repo.query.starts_with("mcp created:2007-10-01T00:00:00Z.."));
        let code = root_slice("c", "code", "mcp filename:go.mod", now());
        assert_eq!(code.query, "mcp filename:go.mod size:0..393216");
    }

    #[test]
    fn window_split_is_contiguous_and_follows_the_sample() {
        let root = slice_of(&root_slice("q", "repositories", "mcp", now()));
        // A sample concentrated in the last year, as MCP repositories are.
        let recent = Utc
            .with_ymd_and_hms(2025, 6, 1, 0, 0, 0)
            .single()
            .expect("date");
        let sample: Vec<_> = (0..100).map(|i| recent + Duration::days(i * 3)).collect();
        let children = split(&root, 5000, &sample);
        assert_eq!(children.len() as i64, child_count(5000));
        assert_eq!(children[0].window_start, root.window_start);
        assert_eq!(children.last().and_then(|c| c.window_end), root.window_end);
        for pair in children.windows(2) {
            let end = pair[0].window_end.expect("end");
            let next = pair[1].window_start.expect("start");
            assert_eq!(next, end + Duration::seconds(1), "no gap, no overlap");
        }
        // Most children fall in the sampled year, not spread over 2007-2026.
        let in_sample_year = children
            .iter()
            .filter(|c| {
                c.window_start
                    .is_some_and(|s| s >= recent - Duration::days(1))
            })
            .count();
        assert!(in_sample_year >= children.len() - 2, "{children:?}");
    }

    #[test]
    fn a_one_second_window_cannot_be_split() {
        let t = now();
        let mut s = slice_of(&window_slice("q", "mcp", t, t + Duration::seconds(1)));
        assert!(can_split(&s));
        let children = split(&s, 3000, &[]);
        assert_eq!(children.len(), 2);
        assert_eq!(children[0].window_end, Some(t));
        assert_eq!(children[1].window_start, Some(t + Duration::seconds(1)));
        s.window_end = Some(t);
        assert!(!can_split(&s));
    }

    #[test]
    fn size_ranges_bisect_without_gaps() {
        let root = slice_of(&root_slice("c", "code", "mcp filename:a", now()));
        let children = split(&root, 2500, &[]);
        assert_eq!(children.len(), 2);
        assert_eq!(children[0].size_min, Some(0));
        assert_eq!(children[1].size_max, Some(MAX_CODE_FILE_BYTES));
        assert_eq!(
            children[0].size_max.map(|m| m + 1),
            children[1].size_min,
            "contiguous"
        );
        let single = slice_of(&size_slice("c", "x", 7, 7));
        assert!(!can_split(&single));
    }

    #[test]
    fn pages_respect_the_cap() {
        assert_eq!(pages_needed(0), 1);
        assert_eq!(pages_needed(100), 1);
        assert_eq!(pages_needed(101), 2);
        assert_eq!(pages_needed(5000), 10);
    }
}
