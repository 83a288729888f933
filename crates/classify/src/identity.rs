//! What a server is for, in words: the names its repository, manifests and
//! README title give it, whether it calls itself a gateway or proxy, and
//! whether a secret's name points at the service it exists to reach.

/// Words that name no service: what a secret is, not whose.
const GENERIC_WORDS: &[&str] = &[
    // Words that say what a program does or how it is packaged, never
    // which service it serves.
    "search",
    "data",
    "web",
    "docs",
    "doc",
    "file",
    "files",
    "chat",
    "bot",
    "agent",
    "agents",
    "proxy",
    "gateway",
    "bridge",
    "hub",
    "demo",
    "example",
    "examples",
    "template",
    "starter",
    "simple",
    "basic",
    "dev",
    "main",
    "core",
    "cli",
    "kit",
    "lite",
    "my",
    "custom",
    "integration",
    "connector",
    "assistant",
    "manager",
    "helper",
    "utils",
    "mock",
    "ui",
    "api",
    "key",
    "keys",
    "token",
    "tokens",
    "access",
    "secret",
    "personal",
    "auth",
    "mcp",
    "server",
    "servers",
    "client",
    "password",
    "pass",
    "pwd",
    "user",
    "the",
    "for",
    "and",
    "app",
    "private",
    "bearer",
    "value",
    "http",
    "https",
    "id",
    "url",
    "model",
    "context",
    "protocol",
    "org",
    "com",
    "io",
    "lib",
    "src",
    "sdk",
    "tool",
    "tools",
    "service",
    "open",
    "remote",
    "local",
    "node",
    "py",
    "python",
    "ts",
    "js",
    "go",
    "rs",
    "rust",
    "java",
    "kotlin",
    "dotnet",
    "net",
    "csharp",
    "swift",
    "php",
    "ruby",
    "connection",
    "string",
    "database",
    "db",
    "dsn",
    "uri",
    "cookie",
    "session",
    "oauth",
    "oauth2",
    "jwt",
];

/// The words that say what a server is for: its repository name, the names
/// of its packages and its README title, lower-cased and split.
pub fn identity<'a>(
    full_name: Option<&str>,
    manifests: impl Iterator<Item = &'a str>,
    titles: &[String],
) -> Vec<String> {
    static NAME: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        crate::ctx::re(
            r#"(?m)"name"\s*:\s*"([^"]{2,})"|^name\s*=\s*["']([^"']{2,})["']|^module\s+(\S{2,})|<artifactId>([^<]{2,})</artifactId>|rootProject\.name\s*=\s*["']([^"']+)"#,
        )
    });
    let mut text = String::new();
    if let Some(n) = full_name {
        // The owner is an organisation, not the purpose.
        text.push_str(n.rsplit('/').next().unwrap_or(n));
        text.push(' ');
    }
    for m in manifests {
        if let Some(c) = NAME.captures(m) {
            if let Some(v) = c.iter().skip(1).flatten().next() {
                // npm scopes and module hosts name the owner.
                let v = v.as_str();
                let v = if v.starts_with('@') {
                    v.split('/').nth(1).unwrap_or("")
                } else {
                    v.rsplit('/').next().unwrap_or(v)
                };
                text.push_str(v);
                text.push(' ');
            }
        }
    }
    for t in titles {
        // The title, and the opening sentence naming what the server reaches.
        let mut lines = t.lines();
        text.push_str(lines.next().unwrap_or(""));
        text.push(' ');
        if let Some(intro) = lines.next() {
            text.push_str(intro);
            text.push(' ');
        }
    }
    let mut out: Vec<String> = Vec::new();
    // camelCase words split too: "AzSql" -> "az", "sql", and kept whole.
    for w in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        if w.is_empty() {
            continue;
        }
        let lw = w.to_ascii_lowercase();
        let mut parts = vec![lw.clone()];
        let mut cur = String::new();
        for ch in w.chars() {
            if ch.is_ascii_uppercase() && !cur.is_empty() {
                parts.push(cur.to_ascii_lowercase());
                cur.clear();
            }
            cur.push(ch);
        }
        if cur.len() < w.len() {
            parts.push(cur.to_ascii_lowercase());
        }
        for p in parts {
            if p.len() >= 2 && !GENERIC_WORDS.contains(&p.as_str()) && !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// Does the repository call itself a gateway, proxy or aggregator (in its
/// name or its README title)? Those front MCP servers the operator picks.
/// An auth gateway or OAuth proxy is no plain relay: guarding the servers
/// behind it is what it is for.
pub fn calls_itself_a_relay(full_name: Option<&str>, titles: &[String]) -> bool {
    static RELAY: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        crate::ctx::re(
            r#"(?i)proxy|gateway|aggregat|multiplex|\b(?:bridge|router|hub|relay|mux)\b"#,
        )
    });
    static AUTH: std::sync::LazyLock<regex::Regex> =
        std::sync::LazyLock::new(|| crate::ctx::re(r#"(?i)auth"#));
    let name = full_name.map(|n| n.rsplit('/').next().unwrap_or(n));
    let names = name
        .into_iter()
        .chain(titles.iter().map(|t| t.lines().next().unwrap_or("")));
    let (mut relay, mut auth) = (false, false);
    for n in names {
        relay |= RELAY.is_match(n);
        auth |= AUTH.is_match(n);
    }
    relay && !auth
}

/// Is this secret for the service the server exists to reach? Its name
/// starts with, or names, a word of the server's identity
/// (`LINEAR_API_KEY` for a Linear server, `HA_TOKEN` for a Home Assistant
/// `hass-mcp`).
pub fn serves_purpose(var: &str, identity: &[String]) -> bool {
    let words: Vec<String> = name_words(var).collect();
    // The words that can name a service, with where they stand.
    let parts: Vec<(usize, &str)> = words
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.as_str()))
        .filter(|(_, p)| !GENERIC_WORDS.contains(p))
        .collect();
    let Some(&(first_at, first)) = parts.first() else {
        return false;
    };
    // A store named after the word of the server's identity is the
    // server's own: `LINEAR_API_KEY` is Linear's key, `SCRIBE_DB_URL` the
    // database a server called scribe keeps its data in.
    let names_the_service = |i: usize| !store_follows(&words, i);
    identity.iter().any(|w| {
        parts
            .iter()
            .any(|&(i, p)| p.len() >= 3 && (w == p || w.contains(p)) && names_the_service(i))
            || (first.len() >= 2 && w.starts_with(first) && names_the_service(first_at))
    })
}

/// A store named under the server's own prefix (`SCRIBE_DB_URL` for a
/// server called scribe): where the server keeps its data, not a database
/// it exists to reach.
pub fn names_own_store(var: &str, identity: &[String]) -> bool {
    let words: Vec<String> = name_words(var).collect();
    words.iter().enumerate().any(|(i, w)| {
        !GENERIC_WORDS.contains(&w.as_str())
            && w.len() >= 3
            && identity.contains(w)
            && store_follows(&words, i)
    })
}

/// Does a store's word (`db`, `postgres`, …) follow the `i`th word?
fn store_follows(words: &[String], i: usize) -> bool {
    words[i + 1..]
        .iter()
        .any(|p| DATASTORES.contains(&p.as_str()))
}

/// The lower-case words of a variable's name.
fn name_words(var: &str) -> impl Iterator<Item = String> + '_ {
    var.split(['_', '-', '.'])
        .filter(|p| !p.is_empty())
        .map(str::to_ascii_lowercase)
}

/// Stores a server keeps its own data in: named after the server's prefix,
/// they are its storage, not the service it exists to reach.
const DATASTORES: &[&str] = &[
    "db",
    "database",
    "dsn",
    "postgres",
    "postgresql",
    "pg",
    "mysql",
    "mongo",
    "mongodb",
    "redis",
    "sqlite",
    "storage",
];
