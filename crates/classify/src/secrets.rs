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
    let mut out = scan_all(f);
    // Example payloads in comments and doc blocks, and Rust unit tests kept
    // at the end of the file (`#[cfg(test)]`), are not what the server runs.
    let tests_from = f.unit_tests_from();
    out.retain(|h| h.offset < tests_from && !crate::ctx::is_comment(f.line_text(h.offset)));
    out
}

fn scan_all(f: &File) -> Vec<Hardcoded> {
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
            Some(crate::names::NamedSecret::Credential(m)) => m,
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

/// A secret-named setting in a file the program reads at run time, with a
/// literal value or a literal default (`${VAR:default}`): the program runs
/// with that credential unless someone overrides it.
static CONFIG_SETTING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?im)^\s*["']?([a-z0-9_.-]*(?:secret|password|passwd|api[_-]?key|apikey|token))["']?\s*[:=]\s*["']?(\$\{[A-Za-z0-9_.-]+:[^}\n]*\}|[^"'\s,#][^"'\n,#]*?)["']?\s*,?\s*$"#,
    )
});

/// A secret flag with a literal value in a launch profile's arguments.
static LAUNCH_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)--(?:api[_-]?key|token|secret|password|access[_-]?token)[= ]([A-Za-z0-9_-]{16,})"#)
});

/// Files the program itself reads at start (not examples, docs or tests):
/// Spring `application*.yml|properties` and .NET `appsettings*.json`, plus
/// launch profiles whose arguments start the server.
fn runtime_config(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    if lower.contains("/test/") || lower.contains("example") || lower.contains("sample") {
        return false;
    }
    (name.starts_with("application")
        && (name.ends_with(".yml") || name.ends_with(".yaml") || name.ends_with(".properties"))
        && !name.contains("test"))
        || (name.starts_with("appsettings") && name.ends_with(".json"))
        || name == "launchsettings.json"
}

/// Values that only stand for a credential someone must supply.
fn documentation_placeholder(v: &str) -> bool {
    let l = v.to_ascii_lowercase();
    v.len() < 6
        || [
            "your", "<", "xxx", "***", "here", "insert", "replace", "todo", "none", "null", "true",
            "false",
        ]
        .iter()
        .any(|w| l.contains(w))
        || v.bytes().all(|b| b.is_ascii_digit())
}

/// Literal credentials a program's own run-time configuration supplies by
/// default. Only the setting's masked value is kept.
pub fn scan_runtime_config(path: &str, text: &str) -> Option<(usize, String, String)> {
    if !runtime_config(path) {
        return None;
    }
    for c in CONFIG_SETTING.captures_iter(text) {
        let (Some(name), Some(val)) = (c.get(1), c.get(2)) else {
            continue;
        };
        let n = name.as_str().to_ascii_lowercase();
        if [
            "url", "uri", "path", "header", "name", "type", "file", "expir", "ttl", "length",
            "enabled", "endpoint", "issuer", "method",
        ]
        .iter()
        .any(|w| n.contains(w))
        {
            continue;
        }
        let raw = val.as_str().trim();
        let value = match raw.strip_prefix("${") {
            // `${VAR:default}`: only the default is literal.
            Some(inner) => inner
                .trim_end_matches('}')
                .split_once(':')
                .map_or("", |(_, d)| d)
                .trim(),
            None => raw,
        };
        // Spring's password encoders mark plain text as `{noop}`.
        let value = value.strip_prefix("{noop}").unwrap_or(value);
        if value.is_empty() || value.contains("${") || documentation_placeholder(value) {
            continue;
        }
        return Some((val.start(), n, mask(value)));
    }
    if path.to_ascii_lowercase().ends_with("launchsettings.json") {
        for c in LAUNCH_FLAG.captures_iter(text) {
            let Some(val) = c.get(1) else { continue };
            if secretish_value(val.as_str()) {
                return Some((val.start(), "--api-key".into(), mask(val.as_str())));
            }
        }
    }
    None
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
    fn runtime_config_defaults_are_literal_credentials() {
        let yml = "spring:\n  security:\n    client-secret: \"{noop}default-secret\"\njwt:\n  secret: ${JWT_SECRET:app-jwt-secret-change-in-production}\n";
        let found = scan_runtime_config("server/src/main/resources/application.yml", yml);
        let (_, name, masked) = found.expect("the client secret");
        assert_eq!(name, "client-secret");
        assert!(!masked.contains("default-secret"));
        let launch = r#"{"profiles": {"p": {"commandLineArgs": "--api-key a9e7b49b7b4879a030789708f07c9a68323ac5ae"}}}"#;
        assert!(scan_runtime_config("App/Properties/launchSettings.json", launch).is_some());
    }

    #[test]
    fn runtime_config_without_a_literal_is_not_hardcoded() {
        let yml = "redis:\n  password: ${REDIS_PASSWORD:}\napi-key: ${API_KEY}\ntoken: \"<your token>\"\npassword: \"\"\ntoken-url: https://x/token\n";
        assert!(scan_runtime_config("src/main/resources/application.yml", yml).is_none());
        let literal = "client-secret: s3cr3t-value-123\n";
        // The same literal in a test profile, an example, or a README is no
        // default the server runs with.
        for path in [
            "src/test/resources/application.yml",
            "src/main/resources/application-test.yml",
            "examples/application.yml",
            "README.md",
        ] {
            assert!(scan_runtime_config(path, literal).is_none(), "{path}");
        }
        let json = r#"{"Api": {"ApiKey": "your-api-key-here", "Token": ""}}"#;
        assert!(scan_runtime_config("appsettings.json", json).is_none());
    }

    #[test]
    fn ignores_placeholders_and_env_reads() {
        let text = "api_key = \"your-api-key-here\"\ntoken = os.environ[\"GITHUB_TOKEN\"]\npassword = \"changeme\"\n";
        let f = File::new("src/a.py", text);
        assert!(scan(&f).is_empty());
    }
}
