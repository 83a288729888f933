use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The seed file shipped with the binary (`seeds/github.toml`).
pub const DEFAULT_SEEDS: &str = include_str!("../../../seeds/github.toml");

/// Qualifiers GitHub's repository search understands.
const REPOSITORY_QUALIFIERS: &[&str] = &[
    "in",
    "created",
    "pushed",
    "stars",
    "topic",
    "topics",
    "language",
    "fork",
    "archived",
    "user",
    "org",
    "repo",
    "size",
    "forks",
    "license",
    "is",
    "mirror",
    "followers",
    "template",
    "good-first-issues",
    "help-wanted",
];

/// Qualifiers GitHub's (REST) code search understands.
const CODE_QUALIFIERS: &[&str] = &[
    "filename",
    "path",
    "extension",
    "language",
    "size",
    "repo",
    "user",
    "org",
    "in",
    "fork",
];

/// The seed file format this build reads (`version = 1` at the top).
pub const SEED_FORMAT_VERSION: u32 = 1;

/// GitHub refuses queries longer than this.
const MAX_QUERY_CHARS: usize = 256;
/// GitHub refuses queries with more AND/OR/NOT operators than this.
const MAX_OPERATORS: usize = 5;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seed file {file}: {detail}")]
    Syntax { file: String, detail: String },
    #[error("seed file {file}, line {line}: query {name:?}: {detail}")]
    Invalid {
        file: String,
        line: usize,
        name: String,
        detail: String,
    },
    #[error("cannot read seed file {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeedFile {
    version: u32,
    #[serde(rename = "query", default)]
    queries: Vec<RawSeedQuery>,
    #[serde(rename = "registry", default)]
    registries: Vec<RawRegistry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    name: String,
    url: String,
    #[serde(default)]
    min_interval_ms: Option<u64>,
}

/// A registry speaking the official MCP Registry API (`GET /v0.1/servers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrySeed {
    /// Short unique name; entries and provenance are stored under it.
    pub name: String,
    /// Base URL, without `/v0.1/servers`.
    pub url: String,
    /// At least this long between two requests (`min_interval_ms`);
    /// None: the client's polite default.
    pub min_interval: Option<std::time::Duration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeedQuery {
    name: String,
    endpoint: String,
    q: String,
    reason: String,
}

/// Which search endpoint a seed query runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Repositories,
    Code,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Repositories => "repositories",
            Endpoint::Code => "code",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedQuery {
    pub name: String,
    pub endpoint: Endpoint,
    pub q: String,
    pub reason: String,
}

/// A validated seed file and the sha256 of its text.
#[derive(Debug, Clone)]
pub struct SeedFile {
    pub queries: Vec<SeedQuery>,
    /// `[[registry]]` entries: a second source beside search.
    pub registries: Vec<RegistrySeed>,
    /// Set by [`SeedFile::with_registry_url`]: every registry is asked here.
    pub registry_url_override: Option<String>,
    pub sha256: String,
}

impl SeedFile {
    pub fn read(path: &std::path::Path) -> Result<SeedFile, SeedError> {
        let text = std::fs::read_to_string(path).map_err(|source| SeedError::Read {
            file: path.display().to_string(),
            source,
        })?;
        SeedFile::parse(&text, &path.display().to_string())
    }

    /// Parses and validates every query; nothing is sent to GitHub before
    /// the whole file is known to be valid.
    pub fn parse(text: &str, file: &str) -> Result<SeedFile, SeedError> {
        let raw: RawSeedFile = toml::from_str(text).map_err(|e| SeedError::Syntax {
            file: file.to_string(),
            detail: e.to_string(),
        })?;
        if raw.version != SEED_FORMAT_VERSION {
            return Err(SeedError::Syntax {
                file: file.to_string(),
                detail: format!(
                    "version = {} is not supported; this build reads version = {SEED_FORMAT_VERSION}",
                    raw.version
                ),
            });
        }
        let mut queries = Vec::with_capacity(raw.queries.len());
        let mut names = std::collections::BTreeSet::new();
        for q in raw.queries {
            let line = line_of(text, &q.name);
            let invalid = |detail: String| SeedError::Invalid {
                file: file.to_string(),
                line,
                name: q.name.clone(),
                detail,
            };
            if !names.insert(q.name.clone()) {
                return Err(invalid(
                    "the name is used twice; names must be unique".into(),
                ));
            }
            let endpoint = match q.endpoint.as_str() {
                "repositories" => Endpoint::Repositories,
                "code" => Endpoint::Code,
                other => {
                    return Err(invalid(format!(
                        "endpoint {other:?} is unknown; use \"repositories\" or \"code\""
                    )))
                }
            };
            validate_query(&q.q, endpoint).map_err(invalid)?;
            if q.reason.trim().is_empty() {
                return Err(invalid("every query needs a reason".into()));
            }
            queries.push(SeedQuery {
                name: q.name,
                endpoint,
                q: q.q,
                reason: q.reason,
            });
        }
        if queries.is_empty() {
            return Err(SeedError::Syntax {
                file: file.to_string(),
                detail: "no [[query]] entries".into(),
            });
        }
        let registries = parse_registries(raw.registries, text, file)?;
        Ok(SeedFile {
            queries,
            registries,
            registry_url_override: None,
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
        })
    }
}

/// Checks each `[[registry]]`: a unique name and an http(s) base URL.
fn parse_registries(
    raw: Vec<RawRegistry>,
    text: &str,
    file: &str,
) -> Result<Vec<RegistrySeed>, SeedError> {
    let mut out: Vec<RegistrySeed> = Vec::with_capacity(raw.len());
    for r in raw {
        let invalid = |detail: String| SeedError::Invalid {
            file: file.to_string(),
            line: line_of(text, &r.name),
            name: r.name.clone(),
            detail,
        };
        if r.name.trim().is_empty() {
            return Err(invalid("every [[registry]] needs a name".into()));
        }
        if out.iter().any(|o| o.name == r.name) {
            return Err(invalid(
                "the registry name is used twice; names must be unique".into(),
            ));
        }
        let url = r.url.trim().trim_end_matches('/').to_string();
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.contains(' ') {
            return Err(invalid(format!(
                "url {:?} is not an http(s) base URL such as \"https://registry.modelcontextprotocol.io\"",
                r.url
            )));
        }
        out.push(RegistrySeed {
            name: r.name,
            url,
            min_interval: r.min_interval_ms.map(std::time::Duration::from_millis),
        });
    }
    Ok(out)
}

impl SeedFile {
    /// Points every registry at `url` (`--registry-url`), as `--github-url`
    /// points search at a simulator.
    pub fn with_registry_url(mut self, url: &str) -> SeedFile {
        self.registry_url_override = Some(url.trim_end_matches('/').to_string());
        self
    }
}

/// The 1-based line of a query's `name = "..."`, for error messages.
fn line_of(text: &str, name: &str) -> usize {
    let needle = format!("\"{name}\"");
    text.lines()
        .position(|l| l.trim_start().starts_with("name") && l.contains(&needle))
        .map_or(0, |i| i + 1)
}

/// Checks a query the way GitHub would, so a bad seed fails before any request.
pub fn validate_query(q: &str, endpoint: Endpoint) -> Result<(), String> {
    if q.trim().is_empty() {
        return Err("the query is empty".into());
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(format!(
            "the query has {} characters; GitHub accepts at most {MAX_QUERY_CHARS}",
            q.chars().count()
        ));
    }
    if !q.matches('"').count().is_multiple_of(2) {
        return Err("unbalanced quotes".into());
    }
    let tokens = tokenize(q);
    let operators = tokens
        .iter()
        .filter(|t| matches!(t.as_str(), "AND" | "OR" | "NOT"))
        .count();
    if operators > MAX_OPERATORS {
        return Err(format!(
            "{operators} AND/OR/NOT operators; GitHub accepts at most {MAX_OPERATORS}"
        ));
    }
    let known = match endpoint {
        Endpoint::Repositories => REPOSITORY_QUALIFIERS,
        Endpoint::Code => CODE_QUALIFIERS,
    };
    let mut terms = 0;
    for token in &tokens {
        if token.starts_with('"') {
            terms += 1;
            continue;
        }
        let bare = token.trim_start_matches('-');
        match bare.split_once(':') {
            Some((qualifier, value)) if !qualifier.is_empty() => {
                if !known.contains(&qualifier.to_ascii_lowercase().as_str()) {
                    return Err(format!(
                        "unknown qualifier {qualifier:?} for {} search; known: {}",
                        endpoint.as_str(),
                        known.join(", ")
                    ));
                }
                if value.is_empty() {
                    return Err(format!("qualifier {qualifier:?} has no value"));
                }
                if matches!(qualifier, "created" | "size") {
                    return Err(format!(
                        "{qualifier}: is reserved for the planner's slicing; remove it from the seed"
                    ));
                }
            }
            _ if matches!(token.as_str(), "AND" | "OR" | "NOT") => {}
            _ => terms += 1,
        }
    }
    if endpoint == Endpoint::Code && terms == 0 {
        return Err("code search needs at least one search term besides qualifiers".into());
    }
    Ok(())
}

/// Splits on whitespace, keeping quoted phrases (with their quotes) whole.
fn tokenize(q: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in q.chars() {
        match c {
            '"' => {
                current.push(c);
                quoted = !quoted;
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_seed_file_is_valid() {
        let seeds = SeedFile::parse(DEFAULT_SEEDS, "seeds/github.toml").expect("valid");
        assert!(seeds.queries.len() >= 10);
        assert!(seeds.queries.iter().any(|q| q.endpoint == Endpoint::Code));
        assert_eq!(seeds.sha256.len(), 64);
        assert_eq!(seeds.registries.len(), 1, "the official registry");
    }

    #[test]
    fn refuses_an_unknown_qualifier_naming_the_line() {
        let text = "version = 1\n\n[[query]]\nname = \"bad\"\nendpoint = \"repositories\"\nq = \"mcp stras:>5\"\nreason = \"x\"\n";
        let err = SeedFile::parse(text, "s.toml").expect_err("unknown qualifier");
        let msg = err.to_string();
        assert!(msg.contains("line 4"), "{msg}");
        assert!(msg.contains("stras"), "{msg}");
    }

    #[test]
    fn refuses_unbalanced_quotes_and_qualifier_only_code_queries() {
        assert!(
            validate_query("\"model context protocol", Endpoint::Repositories)
                .expect_err("quotes")
                .contains("unbalanced")
        );
        assert!(validate_query("filename:package.json", Endpoint::Code)
            .expect_err("no term")
            .contains("search term"));
        assert!(validate_query("mcp created:>2024-01-01", Endpoint::Repositories).is_err());
        assert!(validate_query("a OR b OR c OR d OR e OR f OR g", Endpoint::Repositories).is_err());
        assert!(validate_query(&"x".repeat(300), Endpoint::Repositories).is_err());
        validate_query(
            "\"@modelcontextprotocol/sdk\" filename:package.json",
            Endpoint::Code,
        )
        .expect("valid code query");
        validate_query("topic:mcp-server -topic:minecraft", Endpoint::Repositories)
            .expect("negated qualifier");
    }

    #[test]
    fn refuses_a_format_version_it_does_not_read_naming_the_one_it_does() {
        let text = "version = 2\n[[query]]\nname = \"a\"\nendpoint = \"code\"\nq = \"x filename:a\"\nreason = \"r\"\n";
        let msg = SeedFile::parse(text, "s.toml")
            .expect_err("version 2")
            .to_string();
        assert!(msg.contains("version = 2 is not supported"), "{msg}");
        assert!(msg.contains("reads version = 1"), "{msg}");
    }

    #[test]
    fn reads_registries_and_refuses_bad_ones() {
        let ok = "version = 1\n[[query]]\nname = \"a\"\nendpoint = \"code\"\nq = \"x filename:a\"\nreason = \"r\"\n[[registry]]\nname = \"official\"\nurl = \"https://registry.example/\"\n";
        let seeds = SeedFile::parse(ok, "s").expect("valid");
        assert_eq!(
            seeds.registries,
            vec![RegistrySeed {
                name: "official".into(),
                url: "https://registry.example".into(),
                min_interval: None,
            }]
        );
        let moved = seeds.with_registry_url("http://127.0.0.1:9/");
        assert_eq!(
            moved.registry_url_override.as_deref(),
            Some("http://127.0.0.1:9")
        );
        let bad = ok.replace("https://registry.example/", "ftp://x");
        let msg = SeedFile::parse(&bad, "s").expect_err("ftp").to_string();
        assert!(msg.contains("ftp://x") && msg.contains("official"), "{msg}");
        let twice = format!("{ok}[[registry]]\nname = \"official\"\nurl = \"https://b.example\"\n");
        assert!(SeedFile::parse(&twice, "s")
            .expect_err("dup")
            .to_string()
            .contains("twice"));
    }

    #[test]
    fn refuses_duplicate_names_and_unknown_endpoints() {
        let dup = "version = 1\n[[query]]\nname = \"a\"\nendpoint = \"code\"\nq = \"x filename:a\"\nreason = \"r\"\n[[query]]\nname = \"a\"\nendpoint = \"code\"\nq = \"y filename:a\"\nreason = \"r\"\n";
        assert!(SeedFile::parse(dup, "s")
            .expect_err("dup")
            .to_string()
            .contains("twice"));
        let bad = "version = 1\n[[query]]\nname = \"a\"\nendpoint = \"graphql\"\nq = \"x\"\nreason = \"r\"\n";
        assert!(SeedFile::parse(bad, "s")
            .expect_err("endpoint")
            .to_string()
            .contains("graphql"));
    }
}
