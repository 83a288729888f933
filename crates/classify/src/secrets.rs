//! Literal credentials in the code. Evidence never holds the secret: only
//! its first four characters, its length and a short hash.

use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};

use crate::ctx::File;

use crate::ctx::re;

/// Tokens whose prefix alone says what they are.
static KNOWN_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"\b(ghp_[A-Za-z0-9]{36}|gho_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,}|sk-(?:proj-|ant-)?[A-Za-z0-9_-]{32,}|xox[bpas]-[A-Za-z0-9-]{20,}|AKIA[0-9A-Z]{16}|glpat-[A-Za-z0-9_-]{20}|AIza[0-9A-Za-z_-]{35})\b"#,
    )
});

/// A comment saying a literal key is public by design.
static PUBLIC_KEY_NOTE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:key|token) is (?:meant to be |intentionally )?public|public (?:api )?key\b|publishable|not a secret"#,
    )
});

/// A secret-named variable or key assigned a string literal.
static ASSIGNED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)["']?([a-z0-9_.-]*(?:api[_-]?key|apikey|secret|token|password|passwd|client[_-]?secret)[a-z0-9_]*)["']?\s*(?::=|=|:|=>)\s*(?:new\s+String\()?["']([^"'\s$%{}<>]{12,200})["']"#,
    )
});

pub struct Hardcoded {
    pub offset: usize,
    pub method: mcp_survey_model::AuthMethod,
    pub masked: String,
    pub rule: &'static str,
}

pub fn mask(secret: &str) -> String {
    let first: String = secret.chars().take(4).collect();
    let digest = Sha256::digest(secret.as_bytes());
    format!(
        "{first}… (len {}, sha256 {})",
        secret.chars().count(),
        &hex::encode(digest)[..12]
    )
}

fn entropy(s: &str) -> f64 {
    let mut counts = [0usize; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = *c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Strings that look like documentation, not a credential.
fn placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    const WORDS: &[&str] = &[
        "your",
        "xxxx",
        "example",
        "changeme",
        "change-me",
        "change_me",
        "placeholder",
        "dummy",
        "fake",
        "test",
        "sample",
        "<",
        "replace",
        "secret",
        "token",
        "password",
        "insert",
        "here",
        "todo",
        "mock",
        "redacted",
        "****",
        "env",
        "abc",
        "1234",
        "demo",
        "default",
        "local",
        "dev",
        "process",
        "config",
        "bearer",
        "http",
        "/",
        "\\",
        ".",
    ];
    WORDS.iter().any(|w| l.contains(w))
}

fn secretish_value(v: &str) -> bool {
    let has_digit = v.bytes().any(|b| b.is_ascii_digit());
    let has_alpha = v.bytes().any(|b| b.is_ascii_alphabetic());
    v.len() >= 16 && has_digit && has_alpha && entropy(v) >= 3.5 && !placeholder(v)
}

/// Literal secrets in one file.
pub fn scan(f: &File) -> Vec<Hardcoded> {
    let mut out = Vec::new();
    for m in KNOWN_PREFIX.find_iter(f.text) {
        let v = m.as_str();
        if placeholder(&v[4..]) || v.contains("xxxx") || v.contains("XXXX") {
            continue;
        }
        // The authors say the key is public (a browser API key shipped to
        // every client on purpose).
        if PUBLIC_KEY_NOTE.is_match(f.window(m.start(), 3, 0)) {
            continue;
        }
        use mcp_survey_model::AuthMethod;
        let method =
            if v.starts_with("gh") || v.starts_with("github_pat_") || v.starts_with("glpat-") {
                AuthMethod::Pat
            } else if v.starts_with("AKIA") {
                AuthMethod::CloudIam
            } else {
                AuthMethod::ApiKey
            };
        out.push(Hardcoded {
            offset: m.start(),
            method,
            masked: mask(v),
            rule: "literal token with a known prefix",
        });
    }
    for c in ASSIGNED.captures_iter(f.text) {
        let (Some(name), Some(val)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let n = name.as_str().to_ascii_lowercase();
        if n.contains("url")
            || n.contains("endpoint")
            || n.contains("path")
            || n.contains("header")
            || n.contains("name")
            || n.contains("type")
            || n.contains("max")
        {
            continue;
        }
        if !secretish_value(val.as_str()) {
            continue;
        }
        if out.iter().any(|h| h.offset == val.start()) {
            continue;
        }
        let method = match crate::names::secret_method(&n.replace(['-', '.'], "_")) {
            Some(Some(m)) => m,
            _ => mcp_survey_model::AuthMethod::ApiKey,
        };
        out.push(Hardcoded {
            offset: val.start(),
            method,
            masked: mask(val.as_str()),
            rule: "high-entropy literal assigned to a secret-named variable",
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_without_leaking() {
        let secret = "ghp_0123456789abcdefABCDEF0123456789abcd";
        let m = mask(secret);
        assert!(m.starts_with("ghp_"));
        assert!(!m.contains("0123456789abcdef"));
        assert!(m.contains("len 40"));
    }

    #[test]
    fn finds_prefixed_and_assigned_literals() {
        let text = "const token = \"ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5b\";\napi_key = \"q8Zr2Lk9Vx4Tn7Wm3Hs6\"\n";
        let f = File::new("src/a.ts", text);
        let found = scan(&f);
        assert_eq!(found.len(), 2);
        assert!(found.iter().all(|h| !h.masked.contains("aB3dE5fG7")));
    }

    #[test]
    fn ignores_placeholders_and_env_reads() {
        let text = "api_key = \"your-api-key-here\"\ntoken = os.environ[\"GITHUB_TOKEN\"]\npassword = \"changeme\"\n";
        let f = File::new("src/a.py", text);
        assert!(scan(&f).is_empty());
    }
}
