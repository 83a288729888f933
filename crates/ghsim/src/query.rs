//! GitHub search query syntax: terms, quoted phrases, AND/OR/NOT and
//! qualifiers with GitHub's range syntax (`a..b`, `>=a`, `<a`, `*`), dates
//! and ISO 8601 date-times.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use crate::tokens::tokenize_to_vec;

/// A refused query: the text becomes the 422 answer's error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError(pub String);

/// An inclusive range of integers (epoch seconds for dates); None = open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Range {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

impl Range {
    pub fn contains(&self, x: i64) -> bool {
        self.min.is_none_or(|m| x >= m) && self.max.is_none_or(|m| x <= m)
    }
}

/// One AND-ed text condition: any of its alternatives (joined by OR), each a
/// token sequence that must appear adjacent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Clause {
    pub alts: Vec<Vec<String>>,
    pub negated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Qualifier {
    pub key: String,
    pub value: String,
    pub negated: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ParsedQuery {
    pub clauses: Vec<Clause>,
    pub quals: Vec<Qualifier>,
}

impl ParsedQuery {
    pub fn has_positive_text(&self) -> bool {
        self.clauses.iter().any(|c| !c.negated)
    }

    pub fn qual(&self, key: &str) -> impl Iterator<Item = &Qualifier> {
        let key = key.to_string();
        self.quals.iter().filter(move |q| q.key == key)
    }
}

#[derive(Debug)]
enum Lex {
    Word(String),
    Phrase(String),
    Qual {
        neg: bool,
        key: String,
        value: String,
    },
    And,
    Or,
    Not,
}

pub const MAX_QUERY_LEN: usize = 256;
pub const MAX_OPERATORS: usize = 5;

/// Parses `q` for a search kind whose qualifiers are `known`.
pub fn parse(q: &str, known: &[&str]) -> Result<ParsedQuery, QueryError> {
    if q.trim().is_empty() {
        return Err(QueryError("q is missing or empty".into()));
    }
    if q.chars().count() > MAX_QUERY_LEN {
        return Err(QueryError(format!(
            "The search is longer than {MAX_QUERY_LEN} characters."
        )));
    }
    let lexed = lex(q)?;
    let ops = lexed
        .iter()
        .filter(|l| matches!(l, Lex::And | Lex::Or | Lex::Not))
        .count();
    if ops > MAX_OPERATORS {
        return Err(QueryError(format!(
            "The search contains more than {MAX_OPERATORS} AND / OR / NOT operators."
        )));
    }
    let mut out = ParsedQuery::default();
    let mut pending_not = false;
    let mut pending_or = false;
    for l in lexed {
        match l {
            Lex::And => {}
            Lex::Not => pending_not = true,
            Lex::Or => {
                if out.clauses.last().is_none_or(|c| c.negated) || pending_or {
                    return Err(QueryError("OR must stand between two search terms".into()));
                }
                pending_or = true;
            }
            Lex::Qual { neg, key, value } => {
                if pending_or {
                    return Err(QueryError(format!(
                        "OR must stand between two search terms, not before the qualifier {key}:"
                    )));
                }
                let key = key.to_ascii_lowercase();
                if !known.contains(&key.as_str()) {
                    return Err(QueryError(format!(
                        "\"{key}:\" is not a qualifier this search understands (known: {})",
                        known.join(", ")
                    )));
                }
                if value.is_empty() {
                    return Err(QueryError(format!("qualifier {key}: has no value")));
                }
                out.quals.push(Qualifier {
                    key,
                    value,
                    negated: neg || pending_not,
                });
                pending_not = false;
            }
            Lex::Word(w) | Lex::Phrase(w) => {
                let toks = tokenize_to_vec(&w);
                if toks.is_empty() {
                    // GitHub ignores pure punctuation.
                    pending_not = false;
                    continue;
                }
                if pending_or {
                    if let Some(last) = out.clauses.last_mut() {
                        last.alts.push(toks);
                    }
                    pending_or = false;
                } else {
                    out.clauses.push(Clause {
                        alts: vec![toks],
                        negated: pending_not,
                    });
                }
                pending_not = false;
            }
        }
    }
    if pending_or || pending_not {
        return Err(QueryError("the query ends with an operator".into()));
    }
    Ok(out)
}

fn lex(q: &str) -> Result<Vec<Lex>, QueryError> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '"' {
            let start = i + 1;
            let end = chars[start..]
                .iter()
                .position(|&c| c == '"')
                .map(|p| start + p)
                .ok_or_else(|| QueryError("unbalanced quotes in the query".into()))?;
            out.push(Lex::Phrase(chars[start..end].iter().collect()));
            i = end + 1;
            continue;
        }
        // A bare word, possibly `key:value` or `key:"quoted value"`.
        let start = i;
        let mut word = String::new();
        let mut quoted_value = None;
        while i < chars.len() && !chars[i].is_whitespace() {
            if chars[i] == '"' {
                if word.ends_with(':') {
                    let vs = i + 1;
                    let ve = chars[vs..]
                        .iter()
                        .position(|&c| c == '"')
                        .map(|p| vs + p)
                        .ok_or_else(|| QueryError("unbalanced quotes in the query".into()))?;
                    quoted_value = Some(chars[vs..ve].iter().collect::<String>());
                    i = ve + 1;
                    break;
                }
                return Err(QueryError("unbalanced quotes in the query".into()));
            }
            word.push(chars[i]);
            i += 1;
        }
        let _ = start;
        match word.as_str() {
            "AND" if quoted_value.is_none() => {
                out.push(Lex::And);
                continue;
            }
            "OR" if quoted_value.is_none() => {
                out.push(Lex::Or);
                continue;
            }
            "NOT" if quoted_value.is_none() => {
                out.push(Lex::Not);
                continue;
            }
            _ => {}
        }
        if let Some((key, value)) = split_qualifier(&word) {
            let (neg, key) = match key.strip_prefix('-') {
                Some(k) => (true, k.to_string()),
                None => (false, key.to_string()),
            };
            let value = quoted_value.unwrap_or_else(|| value.to_string());
            out.push(Lex::Qual { neg, key, value });
        } else {
            out.push(Lex::Word(word));
        }
    }
    Ok(out)
}

/// `key:value` where key is a plain identifier (so `http://x` or `a:b:c`
/// inside code terms are not mistaken for qualifiers only when the key is
/// not a word).
fn split_qualifier(word: &str) -> Option<(&str, &str)> {
    let (key, value) = word.split_once(':')?;
    let bare = key.strip_prefix('-').unwrap_or(key);
    if bare.is_empty()
        || !bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    if value.starts_with("//") {
        return None;
    }
    Some((key, value))
}

/// An interval a single bound stands for: a day, a minute, a second, or a
/// number.
fn bound(s: &str, dates: bool) -> Result<(i64, i64), QueryError> {
    if dates {
        parse_date_bound(s)
    } else {
        let n: i64 = s
            .trim()
            .parse()
            .map_err(|_| QueryError(format!("{s:?} is not a number")))?;
        Ok((n, n))
    }
}

pub fn parse_range(value: &str, dates: bool) -> Result<Range, QueryError> {
    let v = value.trim();
    let open = |s: &str| s == "*";
    if let Some((a, b)) = v.split_once("..") {
        let min = if open(a) {
            None
        } else {
            Some(bound(a, dates)?.0)
        };
        let max = if open(b) {
            None
        } else {
            Some(bound(b, dates)?.1)
        };
        return Ok(Range { min, max });
    }
    if let Some(rest) = v.strip_prefix(">=") {
        return Ok(Range {
            min: Some(bound(rest, dates)?.0),
            max: None,
        });
    }
    if let Some(rest) = v.strip_prefix("<=") {
        return Ok(Range {
            min: None,
            max: Some(bound(rest, dates)?.1),
        });
    }
    if let Some(rest) = v.strip_prefix('>') {
        return Ok(Range {
            min: Some(bound(rest, dates)?.1 + 1),
            max: None,
        });
    }
    if let Some(rest) = v.strip_prefix('<') {
        return Ok(Range {
            min: None,
            max: Some(bound(rest, dates)?.0 - 1),
        });
    }
    let (lo, hi) = bound(v, dates)?;
    Ok(Range {
        min: Some(lo),
        max: Some(hi),
    })
}

/// `YYYY-MM-DD`, or with `THH:MM[:SS]` and an optional `Z` / `±HH:MM`
/// offset (no offset = UTC). Returns the epoch-second interval it covers.
pub fn parse_date_bound(s: &str) -> Result<(i64, i64), QueryError> {
    let bad = || {
        QueryError(format!(
            "{s:?} is not a date (YYYY-MM-DD) or ISO 8601 date-time (YYYY-MM-DDTHH:MM:SS+00:00)"
        ))
    };
    let s = s.trim();
    if s.len() < 10 || !s.is_char_boundary(10) {
        return Err(bad());
    }
    let date = NaiveDate::parse_from_str(&s[..10], "%Y-%m-%d").map_err(|_| bad())?;
    let rest = &s[10..];
    if rest.is_empty() {
        let lo = date.and_time(NaiveTime::MIN).and_utc().timestamp();
        return Ok((lo, lo + 86_399));
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix(' '))
        .ok_or_else(bad)?;
    // Split off the zone designator.
    let (time, offset_secs) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0i64)
    } else if let Some(pos) = rest.rfind(['+', '-']) {
        let (t, z) = rest.split_at(pos);
        let sign = if z.starts_with('-') { -1 } else { 1 };
        let z = &z[1..];
        let (hh, mm) = match z.split_once(':') {
            Some((h, m)) => (h, m),
            None if z.len() == 4 => z.split_at(2),
            None => (z, "0"),
        };
        let hh: i64 = hh.parse().map_err(|_| bad())?;
        let mm: i64 = mm.parse().map_err(|_| bad())?;
        if hh > 23 || mm > 59 {
            return Err(bad());
        }
        (t, sign * (hh * 3600 + mm * 60))
    } else {
        (rest, 0)
    };
    let (naive, span) = if let Ok(t) = NaiveTime::parse_from_str(time, "%H:%M:%S") {
        (NaiveDateTime::new(date, t), 0)
    } else if let Ok(t) = NaiveTime::parse_from_str(time, "%H:%M") {
        (NaiveDateTime::new(date, t), 59)
    } else {
        return Err(bad());
    };
    let lo = naive.and_utc().timestamp() - offset_secs;
    Ok((lo, lo + span))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: &[&str] = &["in", "created", "stars", "topic"];

    #[test]
    fn parses_terms_phrases_and_qualifiers() {
        let q = parse(
            r#"mcp "model context" server in:name,readme -topic:x stars:>=5"#,
            KNOWN,
        )
        .unwrap();
        assert_eq!(q.clauses.len(), 3);
        assert_eq!(q.clauses[1].alts[0], vec!["model", "context"]);
        assert_eq!(q.quals.len(), 3);
        assert!(q.quals[1].negated);
    }

    #[test]
    fn or_and_not() {
        let q = parse("mcp OR modelcontextprotocol NOT minecraft", KNOWN).unwrap();
        assert_eq!(q.clauses.len(), 2);
        assert_eq!(q.clauses[0].alts.len(), 2);
        assert!(q.clauses[1].negated);
    }

    #[test]
    fn rejects_bad_queries() {
        assert!(parse("\"mcp server", KNOWN).is_err());
        assert!(parse("mcp bogus:1", KNOWN).is_err());
        assert!(parse("", KNOWN).is_err());
        assert!(parse(&"a ".repeat(200), KNOWN).is_err());
        assert!(parse("a OR b OR c OR d OR e OR f OR g", KNOWN).is_err());
    }

    #[test]
    fn ranges() {
        let r = parse_range("10..20", false).unwrap();
        assert!(r.contains(10) && r.contains(20) && !r.contains(21));
        let r = parse_range(">5", false).unwrap();
        assert!(!r.contains(5) && r.contains(6));
        let r = parse_range("<5", false).unwrap();
        assert!(r.contains(4) && !r.contains(5));
        let r = parse_range("*..5", false).unwrap();
        assert!(r.contains(-100));
        let day = parse_range("2025-01-02", true).unwrap();
        assert_eq!(day.max.unwrap() - day.min.unwrap(), 86_399);
        let gt = parse_range(">2025-01-02", true).unwrap();
        assert_eq!(gt.min.unwrap(), day.max.unwrap() + 1);
        let dt = parse_range("2025-01-02T10:00:00Z..2025-01-02T11:59:59Z", true).unwrap();
        assert_eq!(dt.max.unwrap() - dt.min.unwrap(), 2 * 3600 - 1);
        let off = parse_date_bound("2025-01-02T10:00:00+02:00").unwrap();
        let utc = parse_date_bound("2025-01-02T08:00:00Z").unwrap();
        assert_eq!(off, utc);
        assert!(parse_range("2025-13-01", true).is_err());
    }
}
