//! What a repository says of itself: its README's first lines, its
//! description, its manifest's description, and how much of it is prose.

use std::sync::LazyLock;

use regex::Regex;

use super::sdk::defines_known_sdk;
use crate::ctx::{re, File, Repo};
use crate::paths::{self, Role};

static README_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b(?:mcp|model context protocol)\s*(?:\(mcp\)\s*)?(?:client|host|inspector)\b|client (?:for|of) (?:the )?(?:mcp|model context protocol)|connects? (?:to|with) (?:any |remote |external |multiple )?(?:mcp|model context protocol)(?: \(mcp\))? servers?|(?:interact|chat|talk) with (?:any )?mcp servers"#,
    )
});

static README_SDK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?im)\b(?:sdk|library|framework|extension|toolkit)\s+(?:(?:providing|that provides|offering)\s+(?:[\w-]+\s+){0,5})?(?:for|to)\s+(?:build|building|creat|develop|implement|writ|easily)|\b(?:server|client|authentication|oauth[\w. ]*|authorization server)\s+library\b|^#\s*[\w .-]*\bsdk\b\s*(?:for\b|$)|^#[ \t]*(?:[\w.-]+[ \t]+){0,3}(?:framework|library)[ \t]*(?:for\b|with\b|$)|\bis\s+(?:a|an|the)\s+(?:[\w-]+,?\s+){0,4}(?:sdk|framework|library)\b|\bprovides\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}sdk\b|install it as a dependency|\b(?:used|use it|consumed) as (?:a |an )?(?:library|dependency)\b|implementation of the model context protocol(?:\s*\(mcp\))?\s*(?:with|in|for\s+\w+\s+\w+|\**\s*$)|\bthis (?:\w+\s+)?extension provides|\bthis library\b|(?:^|[.!]\s+)(?:an?|the)\s+(?:[\w-]+\s+){0,5}sdk\b|\bsdk implementation\b|(?:^|[.!]\s+)(?:the|an?)\s+(?:[\w.+#-]+\s+){0,3}(?:sdk|framework|library|toolkit)\s+for\s+(?:the\s+)?(?:mcp|model context protocol)(?:\s*\(mcp\))?\s*(?:$|[.,;:!])"#,
    )
});

static README_SERVER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?im)(?:\b(?:an?|the|this)\s+|^)(?:[\w-]+\s+){0,5}(?:mcp|model context protocol)\s*(?:\(mcp\)\s*)?server\b"#,
    )
});

static README_LIST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\bawesome\b|curated (?:list|collection)|\bregistry (?:for|of)\b|\blist of\b|\bdirectory of\b|\bspecification\b"#,
    )
});

/// A title naming documentation or teaching material: "FastMCP Tutorial",
/// "MCP notes", "A guide to MCP servers".
static README_DOCS: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)\b(?:tutorials?|documentation|docs|guide|handbook|course|notes|learning)\b"#)
});

/// MCP named in a title: "FastMCP", "MCP servers", not a chip's part
/// number ("MCP23017").
static MCP_IN_TITLE: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)mcp\b|model\s*context\s*protocol"#));

static MCP_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)model\s*context\s*protocol|modelcontextprotocol|\bmcp\s+server|\bmcpServers\b"#)
});

static HTML_TAG: LazyLock<Regex> = LazyLock::new(|| re(r#"<[^>]*>"#));

static MD_LINK: LazyLock<Regex> = LazyLock::new(|| re(r#"\[([^\]]*)\]\([^)]*\)"#));

/// The repository's words about itself, and the size of its code and prose.
pub struct Signals<'a> {
    /// The README, when there is one: evidence names it.
    pub readme_path: &'a str,
    pub title: String,
    /// The repository presents a library, SDK or framework.
    pub sdk_phrase: Option<String>,
    /// Its first lines call it a server.
    pub server_phrase: bool,
    pub list_phrase: Option<String>,
    /// Its title names documentation or teaching material about MCP.
    pub docs_phrase: Option<String>,
    pub client_phrase: Option<String>,
    /// MCP is named in its docs, manifests or description.
    pub mcp_mentioned: bool,
    pub code_bytes: usize,
    pub doc_bytes: usize,
    /// Data files (JSON/YAML entries) outside manifests.
    pub data_files: usize,
    /// Hundreds of data entries and little code: a registry dump.
    pub registry_dump: bool,
}

impl<'a> Signals<'a> {
    pub fn read(repo: &'a Repo<'a>) -> Self {
        let readme = root_readme(repo);
        let head = readme.map(|r| readme_head(r.text, 8)).unwrap_or_default();
        // A README too big to read (a list of thousands of entries) leaves
        // the root manifest's description.
        let head = if head.is_empty() {
            manifest_description(repo)
        } else {
            head
        };
        let head = match repo.description {
            Some(d) if head.is_empty() => d.to_string(),
            Some(d) => format!("{d}\n{head}"),
            None => head,
        };
        let own_sdk = defines_known_sdk(repo);
        let server_phrase = {
            // A blockquote is a notice (beta warnings, pointers to other
            // projects), not how the repository describes itself.
            let lead: String = head
                .lines()
                .filter(|l| !l.starts_with('>'))
                .take(3)
                .collect::<Vec<_>>()
                .join("\n");
            README_SERVER.is_match(&lead) && own_sdk.is_none()
        };
        let sdk_phrase = own_sdk.or_else(|| README_SDK.find(&head).map(|m| m.as_str().to_string()));
        let title = head.lines().next().unwrap_or("").to_string();
        let list_phrase = README_LIST.find(&title).map(|m| m.as_str().to_string());
        let docs_phrase = README_DOCS
            .find(&title)
            .filter(|_| MCP_IN_TITLE.is_match(&title))
            .map(|m| m.as_str().to_string());
        let client_phrase = README_CLIENT.find(&head).map(|m| m.as_str().to_string());

        let mut code_bytes = 0usize;
        let mut doc_bytes = 0usize;
        for f in &repo.files {
            if f.is_source() && !matches!(f.role, Role::Doc | Role::Test) {
                code_bytes += f.text.len();
            } else if f.role == Role::Doc {
                doc_bytes += f.text.len();
            }
        }
        let mcp_mentioned = repo
            .files
            .iter()
            .filter(|f| f.role == Role::Doc || paths::is_manifest(f.path))
            .any(|f| MCP_WORDS.is_match(f.text))
            || repo.description.is_some_and(|d| MCP_WORDS.is_match(d));
        let data_files = repo
            .files
            .iter()
            .filter(|f| {
                f.role == Role::Core
                    && !f.is_source()
                    && !paths::is_manifest(f.path)
                    && f.has_ext(&["json", "yaml", "yml"])
            })
            .count();
        let source_files = repo
            .files
            .iter()
            .filter(|f| f.is_source() && f.role == Role::Core)
            .count();
        Signals {
            readme_path: readme.map(|r| r.path).unwrap_or(""),
            title,
            sdk_phrase,
            server_phrase,
            list_phrase,
            docs_phrase,
            client_phrase,
            mcp_mentioned,
            code_bytes,
            doc_bytes,
            data_files,
            registry_dump: data_files >= 200 && data_files > 5 * source_files,
        }
    }
}

/// The headline of a README: its title and first paragraphs, links reduced to
/// their text, badges and HTML dropped.
pub fn readme_head(text: &str, lines: usize) -> String {
    let mut out = String::new();
    let mut n = 0;
    let mut in_code = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let stripped = HTML_TAG.replace_all(t, "");
        let t = stripped.trim();
        if in_code
            || t.is_empty()
            || t.starts_with("![")
            || t.starts_with("[![")
            || t.starts_with('|')
            || t.starts_with("---")
        {
            continue;
        }
        let t = MD_LINK.replace_all(t, "$1");
        out.push_str(&t);
        out.push('\n');
        n += 1;
        if n >= lines {
            break;
        }
    }
    out
}

pub(super) fn root_readme<'a>(repo: &'a Repo<'a>) -> Option<&'a File<'a>> {
    repo.files
        .iter()
        .filter(|f| !f.path.contains('/') && paths::is_readme(f.path))
        .min_by_key(|f| (!f.path.to_ascii_lowercase().ends_with(".md"), f.path.len()))
}

fn manifest_description(repo: &Repo) -> String {
    static DESC: LazyLock<Regex> =
        LazyLock::new(|| re(r#"(?m)^\s*"?description"?\s*[:=]\s*["']([^"'\n]+)["']"#));
    repo.files
        .iter()
        .filter(|f| !f.path.contains('/') && paths::is_manifest(f.path))
        .find_map(|f| {
            DESC.captures(f.text)
                .and_then(|c| c.get(1))
                .map(|m| m.as_str().to_string())
        })
        .unwrap_or_default()
}
