//! Reading GitHub's response headers: rate-limit state, Retry-After, Link.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

/// What one response's `x-ratelimit-*` headers say.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RateInfo {
    pub limit: u64,
    pub remaining: u64,
    /// Epoch seconds; fractional values are kept because a simulator with
    /// scaled time has windows shorter than a second.
    pub reset_epoch: f64,
    pub resource: Option<String>,
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// The reset as precisely as the server gives it. GitHub sends whole epoch
/// seconds in `x-ratelimit-reset`, and that header alone decides whether
/// there is a reset. The project's simulator, whose scaled windows can be
/// shorter than a second, adds the exact time in `x-sim-ratelimit-reset-ms`:
/// an optional hint that only refines a reset GitHub's header announced
/// (GitHub never sends it, so reading it changes nothing there).
fn reset_epoch(headers: &HeaderMap) -> Option<f64> {
    let whole: f64 = header_str(headers, "x-ratelimit-reset")?.parse().ok()?;
    let hint = header_str(headers, "x-sim-ratelimit-reset-ms")
        .and_then(|v| v.parse::<f64>().ok())
        .map(|ms| ms / 1000.0)
        // A hint that disagrees with the real header by more than its
        // rounding is not trusted.
        .filter(|precise| precise.is_finite() && (precise - whole).abs() <= 1.0);
    let reset = hint.unwrap_or(whole);
    reset.is_finite().then_some(reset)
}

pub(crate) fn rate_info(headers: &HeaderMap) -> Option<RateInfo> {
    let limit = header_str(headers, "x-ratelimit-limit")?.parse().ok()?;
    let remaining = header_str(headers, "x-ratelimit-remaining")?.parse().ok()?;
    let reset_epoch = reset_epoch(headers)?;
    let resource = header_str(headers, "x-ratelimit-resource")
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    Some(RateInfo {
        limit,
        remaining,
        reset_epoch,
        resource,
    })
}

pub(crate) fn remaining_is_zero(headers: &HeaderMap) -> bool {
    header_str(headers, "x-ratelimit-remaining") == Some("0")
}

pub(crate) fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// `Retry-After` as seconds (fractional accepted) or an HTTP date. Only
/// `Retry-After` says whether to wait; the simulator's exact
/// `x-sim-retry-after-ms` is an optional hint that refines its whole
/// seconds under a large time scale.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let raw = header_str(headers, "retry-after")?;
    if let Some(ms) =
        header_str(headers, "x-sim-retry-after-ms").and_then(|v| v.parse::<u64>().ok())
    {
        return Some(Duration::from_millis(ms.min(86_400_000)));
    }
    if let Ok(secs) = raw.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Some(Duration::from_secs_f64(secs.min(86_400.0)));
        }
        return None;
    }
    let when = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    let delta = when.timestamp_millis() as f64 / 1000.0 - now_epoch();
    Some(Duration::from_secs_f64(delta.clamp(0.0, 86_400.0)))
}

/// Time until `x-ratelimit-reset`, if the headers carry one in the future.
pub(crate) fn until_reset(headers: &HeaderMap) -> Option<Duration> {
    let delta = reset_epoch(headers)? - now_epoch();
    (delta.is_finite() && delta > 0.0).then(|| Duration::from_secs_f64(delta.min(86_400.0)))
}

/// The targets of a `Link` header by relation. Parsed by angle brackets
/// rather than by splitting on commas, because a search query in a URL may
/// hold an unencoded comma (`in:name,description`).
pub(crate) fn links(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for value in headers.get_all("link") {
        let Ok(text) = value.to_str() else { continue };
        let mut rest = text;
        while let Some(start) = rest.find('<') {
            let Some(end) = rest[start..].find('>') else {
                break;
            };
            let target = &rest[start + 1..start + end];
            let after = &rest[start + end + 1..];
            let params_end = after.find('<').unwrap_or(after.len());
            let params = &after[..params_end];
            for param in params.split(';') {
                let param = param.trim().trim_end_matches(',').trim();
                if let Some(rel) = param.strip_prefix("rel=") {
                    for r in rel.trim_matches('"').split_whitespace() {
                        out.push((r.to_string(), target.to_string()));
                    }
                }
            }
            rest = &after[params_end..];
        }
    }
    out
}

/// The `page` query parameter of a link target.
pub(crate) fn page_of(target: &str) -> Option<u32> {
    let url = url::Url::parse(target).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn map(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).expect("valid header"));
        }
        h
    }

    #[test]
    fn reads_rate_headers_with_fractional_reset() {
        let h = map(&[
            ("x-ratelimit-limit", "30"),
            ("x-ratelimit-remaining", "29"),
            ("x-ratelimit-reset", "1700000000.25"),
            ("x-ratelimit-resource", "search"),
        ]);
        let info = rate_info(&h).expect("complete headers");
        assert_eq!(info.limit, 30);
        assert_eq!(info.remaining, 29);
        assert_eq!(info.reset_epoch, 1_700_000_000.25);
        assert_eq!(info.resource.as_deref(), Some("search"));
        assert!(rate_info(&map(&[("x-ratelimit-limit", "30")])).is_none());
    }

    #[test]
    fn prefers_the_simulators_exact_times() {
        let h = map(&[
            ("x-ratelimit-limit", "30"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1700000001"),
            ("x-sim-ratelimit-reset-ms", "1700000000250"),
            ("retry-after", "1"),
            ("x-sim-retry-after-ms", "600"),
        ]);
        assert_eq!(
            rate_info(&h).expect("complete").reset_epoch,
            1_700_000_000.25
        );
        assert_eq!(retry_after(&h), Some(Duration::from_millis(600)));
    }

    #[test]
    fn simulator_hints_alone_mean_nothing() {
        // Without GitHub's own headers there is no reset and no Retry-After,
        // whatever the hints say: the client never depends on them.
        let h = map(&[
            ("x-ratelimit-limit", "30"),
            ("x-ratelimit-remaining", "0"),
            ("x-sim-ratelimit-reset-ms", "1700000000250"),
            ("x-sim-retry-after-ms", "600"),
        ]);
        assert!(rate_info(&h).is_none());
        assert_eq!(retry_after(&h), None);
        // A hint far from the real reset is not trusted.
        let far = map(&[
            ("x-ratelimit-limit", "30"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1700000100"),
            ("x-sim-ratelimit-reset-ms", "1700000000250"),
        ]);
        assert_eq!(
            rate_info(&far).expect("complete").reset_epoch,
            1_700_000_100.0
        );
    }

    #[test]
    fn parses_link_with_commas_in_query() {
        let h = map(&[(
            "link",
            r#"<https://api.github.com/search/repositories?q=mcp+in:name,description&page=2>; rel="next", <https://api.github.com/search/repositories?q=mcp+in:name,description&page=34>; rel="last""#,
        )]);
        let l = links(&h);
        assert_eq!(l.len(), 2);
        assert_eq!(l[0].0, "next");
        assert_eq!(page_of(&l[0].1), Some(2));
        assert_eq!(l[1].0, "last");
        assert_eq!(page_of(&l[1].1), Some(34));
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(
            retry_after(&map(&[("retry-after", "7")])),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            retry_after(&map(&[("retry-after", "0.5")])),
            Some(Duration::from_millis(500))
        );
        let past = retry_after(&map(&[("retry-after", "Wed, 21 Oct 2015 07:28:00 GMT")]));
        assert_eq!(past, Some(Duration::ZERO));
        assert_eq!(retry_after(&map(&[("retry-after", "soon")])), None);
    }
}
