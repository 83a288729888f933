//! The repository's kind, from the code it holds and what it says of
//! itself. Code outranks words: a server construct in the core code makes a
//! server unless the repository presents and packages itself as a library.

use mcp_survey_model::Kind;

use super::constructs::{Constructs, Hit};
use super::packages::{builds_on_mcp, publishes_library};
use super::readme::Signals;
use crate::ctx::{Ev, Repo};

/// The kind, and whether the servers found live only in examples.
pub fn kind(repo: &Repo, found: &Constructs, s: &Signals, ev: &mut Ev) -> (Kind, bool) {
    // Scans every shipped source for an entry point: only asked for where
    // the decision depends on it.
    let library = std::cell::OnceCell::new();
    let is_library = || *library.get_or_init(|| publishes_library(repo));
    let readme = |ev: &mut Ev, kind: Kind, rule: &str, text: &str| {
        ev.add("kind", kind.as_str(), s.readme_path, 0, rule, text);
        kind
    };
    let code = |ev: &mut Ev, kind: Kind, hit: Hit, rule: &str| {
        let (f, _, off) = hit;
        ev.at("kind", kind.as_str(), f, off, rule);
        kind
    };
    let sdk_phrase = s.sdk_phrase.as_deref();
    if let Some(&first) = found.core_servers.first() {
        // A framework's own classes look like servers; its README or its
        // packaging says what it is meant for.
        let kind = if let Some(manifest) = declares_server_entrypoint(repo) {
            // FastMCP's project file names the server this repository
            // runs: whatever its README calls it, it is deployed as one.
            let (f, _, off) = first;
            ev.at(
                "kind",
                Kind::Server.as_str(),
                f,
                off,
                &format!("{}; {manifest} names it the entrypoint to run", first.1),
            );
            Kind::Server
        } else if let Some(p) = s.client_phrase.as_deref().filter(|_| {
            !s.server_phrase
                && !found.clients.is_empty()
                && found
                    .core_servers
                    .iter()
                    .all(|(f, _, _)| in_bundled_servers_folder(f.path))
        }) {
            // A client or host whose servers sit in a folder of servers
            // to try it with (`src/servers/echo.ts`): it consumes them.
            readme(
                ev,
                Kind::Client,
                "README presents an MCP client; its servers are bundled to exercise it",
                p,
            )
        } else if (s.mcp_mentioned || sdk_phrase.is_some()) && !s.server_phrase && is_library() {
            readme(
                ev,
                Kind::Sdk,
                "publishes a library and runs no program of its own",
                first.0.path,
            )
        } else if let Some(p) = sdk_phrase.filter(|_| !s.server_phrase) {
            readme(ev, Kind::Sdk, "README presents a library/SDK/framework", p)
        } else if let Some(name) = named_as_sdk(repo).filter(|_| !s.server_phrase) {
            readme(
                ev,
                Kind::Sdk,
                "the repository is named as an SDK; its servers show how to use it",
                name,
            )
        } else {
            code(ev, Kind::Server, first, first.1)
        };
        return (kind, false);
    }
    if let Some(&first) = found.example_servers.first() {
        // Servers only in examples, beside a published library built on
        // MCP: the examples show how to use the library.
        if sdk_phrase.is_none()
            && s.list_phrase.is_none()
            && (found.clients.is_empty() || s.client_phrase.is_none())
            && !(is_library() && builds_on_mcp(repo))
        {
            let rule = format!("{} (runnable example/template)", first.1);
            return (code(ev, Kind::Server, first, &rule), true);
        }
    }
    let kind = if let Some(p) = s
        .docs_phrase
        .as_deref()
        .filter(|_| found.example_servers.is_empty() && found.clients.is_empty() && !is_library())
    {
        // Documentation, a tutorial or notes about MCP with no server or
        // client of its own (a docs site's code only renders the pages).
        readme(ev, Kind::List, "README presents documentation about MCP", p)
    } else if let Some(p) =
        sdk_phrase.filter(|_| s.mcp_mentioned || !found.example_servers.is_empty())
    {
        readme(ev, Kind::Sdk, "README presents a library/SDK/framework", p)
    } else if is_library() && builds_on_mcp(repo) {
        readme(
            ev,
            Kind::Sdk,
            "a published library built on an MCP SDK or implementing the protocol",
            "",
        )
    } else if s.registry_dump && s.mcp_mentioned {
        readme(
            ev,
            Kind::List,
            "registry dump: hundreds of data entries, little code",
            &format!("{} data files", s.data_files),
        )
    } else if let Some(p) = s.list_phrase.as_deref().filter(|_| {
        s.mcp_mentioned
            && (s.doc_bytes * 2 > s.code_bytes || s.title.to_ascii_lowercase().contains("awesome"))
    }) {
        readme(ev, Kind::List, "README is a list/registry/specification", p)
    } else if let Some(&first) = found.clients.first() {
        if is_library() {
            let rule = format!("{}, in a published library that runs no program", first.1);
            code(ev, Kind::Sdk, first, &rule)
        } else {
            code(ev, Kind::Client, first, first.1)
        }
    } else if let Some(p) = s.client_phrase.as_deref().filter(|_| s.code_bytes > 0) {
        readme(ev, Kind::Client, "README presents an MCP client/host", p)
    } else if s.mcp_mentioned && is_mostly_documentation(s) {
        readme(
            ev,
            Kind::List,
            "documentation only, about MCP",
            "no server or client code",
        )
    } else {
        readme(
            ev,
            Kind::Other,
            "no Model Context Protocol server or client code",
            "",
        )
    };
    (kind, false)
}

/// Documentation with at most a little code beside it (the scripts that
/// build or check the pages). A program comes with documentation too, often
/// as much as its code: only when the docs outweigh the code several times
/// over is the repository the documentation.
fn is_mostly_documentation(s: &Signals) -> bool {
    s.doc_bytes > 3 * s.code_bytes
}

/// A repository whose name calls it an SDK (`mcp-sdk`, `mcp-php-sdk`,
/// `north-mcp-python-sdk`): the author's own word for what it is for.
fn named_as_sdk<'r>(repo: &Repo<'r>) -> Option<&'r str> {
    let name = repo.full_name?.rsplit('/').next()?;
    name.to_ascii_lowercase()
        .split(['-', '_', '.'])
        .any(|w| w == "sdk")
        .then_some(name)
}

/// FastMCP's `fastmcp.json` at the top of the repository, naming the
/// server's entrypoint: the declarative configuration `fastmcp run` and
/// `fastmcp deploy` read to start that server.
fn declares_server_entrypoint<'r>(repo: &Repo<'r>) -> Option<&'r str> {
    repo.files
        .iter()
        .find(|f| f.path == "fastmcp.json" && f.text.contains("\"entrypoint\""))
        .map(|f| f.path)
}

/// A file in a folder named for the servers a client is tried with.
fn in_bundled_servers_folder(path: &str) -> bool {
    path.split('/').rev().skip(1).any(|d| {
        matches!(
            d,
            "servers" | "mcp-servers" | "mcp_servers" | "test-servers" | "demo-servers"
        )
    })
}
