//! Which secrets a server reads, how they work, where they come from, and
//! whether it can run without them.
//!
//! Each module looks for one family of idioms and records what it finds in
//! one `Findings`; `need` then decides whether the server can run without
//! a credential. The order of the passes matters only where a later one
//! reads what an earlier one found (a config loader whose secrets are bound
//! to the environment, an access token beside its refresh token).

mod config;
mod config_fields;
mod delegated;
mod env;
mod env_wrappers;
mod findings;
mod flags;
mod held;
mod literal;
mod markers;
mod naming;
mod need;
mod oauth;
mod read_checks;
mod request;
mod settings_objects;
mod switches;
mod tool_args;

use std::collections::BTreeSet;
use std::sync::LazyLock;

use mcp_survey_model::{AuthMethod, CredentialSource, Credentials};
use regex::Regex;

use crate::ctx::{re, Ev, File};
use findings::Findings;

pub struct AuthResult {
    pub credentials: Credentials,
    /// Required only because clients must log in to the server's endpoint.
    pub required_by_login: bool,
    pub methods: BTreeSet<AuthMethod>,
    pub sources: BTreeSet<CredentialSource>,
    pub env_vars: BTreeSet<String>,
}

/// The credentials of a server: `scope` is the server's own files, `docs`
/// the READMEs and config examples beside it, `identity` the words that
/// name its service (repository and package names).
/// `relays` says the server is also an MCP client of the servers it fronts.
pub fn detect(
    scope: &[&File],
    docs: &[&File],
    identity: &[String],
    relays: bool,
    ev: &mut Ev,
) -> AuthResult {
    let code: Vec<&File> = scope.iter().copied().filter(|f| f.is_source()).collect();
    let mut found = Findings::default();

    env::reads_in_code(&code, &mut found, ev);
    env::config_placeholders(scope, &mut found, ev);
    let documented = env::documented(docs, &mut found, ev);
    config::parsed_fields(&code, &mut found, ev);
    config::dotnet_keys(&code, &mut found, ev);
    flags::scan(&code, docs, &mut found, ev);
    for f in &code {
        markers::apply(f, &mut found.methods, &mut found.sources, ev);
    }
    held::scan(&code, scope, docs, &mut found, ev);
    config::loaders(&code, &mut found, ev);
    request::scan(&code, &mut found, ev);
    tool_args::scan(&code, &mut found, ev);
    oauth::scan(&code, &mut found, ev);
    request::resource_server_config(scope, &mut found, ev);
    oauth::settle(&code, &mut found, ev);
    request::settle(&mut found);
    literal::scan(scope, &mut found, ev);
    naming::refine(scope, docs, &mut found, ev);
    switches::scan(scope, docs, &mut found, ev);
    let need = need::decide(&found, &documented, docs, identity, relays, ev);

    let Findings {
        mut sources,
        methods,
        secrets,
        ..
    } = found;
    if methods.is_empty() {
        sources.clear();
    }
    AuthResult {
        credentials: need.credentials,
        required_by_login: need.by_login,
        methods,
        sources,
        env_vars: secrets.into_keys().collect(),
    }
}

/// In a repository of several servers (templates, samples), a login to one
/// server's endpoint binds that server alone: the repository needs it only
/// when most of its servers do.
pub fn settle_login_across_servers(
    result: &mut AuthResult,
    roots: &BTreeSet<String>,
    scope: &[&File],
    docs: &[&File],
    identity: &[String],
    ev: &mut Ev,
) {
    if !result.required_by_login || roots.len() < 2 || roots.contains("") {
        return;
    }
    let requiring = roots
        .iter()
        .filter(|root| {
            let own: Vec<&File> = scope.iter().copied().filter(|f| f.under(root)).collect();
            let own_docs: Vec<&File> = docs.iter().copied().filter(|f| f.under(root)).collect();
            let mut quiet = Ev::default();
            detect(&own, &own_docs, identity, false, &mut quiet).credentials
                == Credentials::Required
        })
        .count();
    if requiring * 2 <= roots.len() {
        result.credentials = Credentials::Optional;
        ev.add(
            "credentials",
            "optional",
            "",
            0,
            "several servers, and most of them run without a login",
            &format!("{requiring} of {} servers need one", roots.len()),
        );
    }
}

pub(super) static PAT_DOC: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)personal[ -](?:access[ -])?(?:api[ -])?(?:token|key)|\bPAT\b|long[ -]lived (?:access |api )?token|user auth(?:entication)? token|(?:your|user)(?:'s)? (?:profile|account (?:settings|preferences|page))|user(?:'s)? api token"#,
    )
});

/// `apiKey` -> `API_KEY`, `CourtListener` -> `COURT_LISTENER`.
pub(super) fn camel_to_snake(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for ch in s.chars() {
        if ch == '-' || ch == '_' {
            out.push('_');
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        out.push(ch.to_ascii_uppercase());
    }
    out
}

pub(super) fn first_group<'t>(c: &regex::Captures<'t>) -> Option<regex::Match<'t>> {
    c.iter().skip(1).flatten().next()
}

pub(super) fn is_config_text(f: &File) -> bool {
    let n = f.name_lower();
    n.ends_with(".properties")
        || n.ends_with(".yml")
        || n.ends_with(".yaml")
        || n.ends_with(".toml")
        || n.ends_with(".json")
        || n.ends_with(".jsonc")
}

/// Where a pattern first matches outside a comment.
fn first_use(pattern: &Regex, f: &File) -> Option<usize> {
    first_use_where(pattern, f, |_| true)
}

/// Where a pattern first matches outside a comment with a match `keep`
/// accepts.
fn first_use_where(
    pattern: &Regex,
    f: &File,
    keep: impl Fn(&regex::Match) -> bool,
) -> Option<usize> {
    pattern
        .find_iter(f.text)
        .find(|m| !is_comment(f.line_text(m.start())) && keep(m))
        .map(|m| m.start())
}

/// Build files that declare a framework's modules.
fn is_build_file(f: &File) -> bool {
    let n = f.name_lower();
    n == "pom.xml" || n.starts_with("build.gradle")
}

/// A comment, or a line that compiles a pattern: a regular expression
/// describing a credential (a secret scanner's rule) is no use of one.
pub(super) fn is_comment(line: &str) -> bool {
    static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r#"regexp\.(?:MustCompile|Compile)\(|\bre\.compile\(|new RegExp\(|Regex::new\(|Pattern\.compile\(|\bRegex\(\s*@?""#,
        )
    });
    crate::ctx::is_comment(line) || PATTERN.is_match(line)
}
