//! What a repository is (`server`, `client`, `sdk`, `list`, `other`), which
//! MCP SDKs its servers are built on, and which of its files are the
//! servers' own.
//!
//! `constructs` finds server and client code, `readme` reads what the
//! repository says of itself, `decide` weighs the two, `sdk` names the
//! SDKs, and `packages` draws the servers' part of a monorepo.

mod constructs;
mod decide;
mod packages;
mod readme;
mod sdk;

use std::collections::{BTreeMap, BTreeSet};

use mcp_survey_model::{Kind, Sdk};

use crate::ctx::{Ev, File, Repo};
use crate::paths::{self, Role};

pub use readme::readme_head;

pub struct KindResult {
    pub kind: Kind,
    pub sdk: BTreeSet<Sdk>,
    /// Package roots of the servers: their secrets are the ones that count.
    pub server_roots: BTreeSet<String>,
    /// Whether the servers found live only in examples (then examples count).
    pub examples_count: bool,
    /// Folders holding a manifest (package roots).
    pub manifest_dirs: BTreeSet<String>,
    /// Package roots that only consume MCP servers.
    pub excluded: BTreeSet<String>,
    /// The server's own code is also an MCP client: with a name that says
    /// so, a gateway, proxy or aggregator over other MCP servers.
    pub also_a_client: bool,
}

impl KindResult {
    /// Does this file's secrets count for the server?
    pub fn in_scope(&self, f: &File) -> bool {
        if self.examples_count {
            return f.role == Role::Example && self.server_roots.iter().any(|r| f.under(r));
        }
        if f.role != Role::Core {
            return false;
        }
        let mut dir = paths::parent_dir(f.path);
        loop {
            if self.manifest_dirs.contains(dir) {
                return !self.excluded.contains(dir);
            }
            if dir.is_empty() {
                return !self.excluded.contains("");
            }
            dir = paths::parent_dir(dir);
        }
    }
}

pub fn detect(repo: &Repo, ev: &mut Ev) -> KindResult {
    let manifest_dirs: BTreeSet<&str> = repo
        .files
        .iter()
        .filter(|f| paths::is_manifest(f.path))
        .map(|f| paths::parent_dir(f.path))
        .collect();
    let found = constructs::find(repo);
    let signals = readme::Signals::read(repo);
    let (kind, examples_count) = decide::kind(repo, &found, &signals, ev);

    let mut sdk = BTreeSet::new();
    let mut server_roots = BTreeSet::new();
    if kind == Kind::Server {
        let servers = if found.core_servers.is_empty() {
            &found.example_servers
        } else {
            &found.core_servers
        };
        for (f, _, _) in servers {
            server_roots.insert(packages::package_root(&manifest_dirs, f.path));
        }
        sdk = sdk::detect(repo, &server_roots, servers, examples_count, ev);
    }
    let scope = packages::ServerScope::draw(
        repo,
        &manifest_dirs,
        &found,
        kind == Kind::Server && !examples_count,
    );
    let mut result = KindResult {
        kind,
        sdk,
        server_roots,
        examples_count,
        manifest_dirs: scope.dirs,
        excluded: scope.excluded,
        also_a_client: false,
    };
    result.also_a_client = kind == Kind::Server
        && !examples_count
        && (found.clients.iter().any(|(f, _, _)| result.in_scope(f))
            || repo
                .files
                .iter()
                .any(|f| result.in_scope(f) && constructs::sends_client_requests(f)));
    result
}

/// Main language of the code, by source bytes; "Markdown" for prose only.
pub fn language(repo: &Repo, roots: &BTreeSet<String>) -> String {
    let mut bytes: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut header_bytes = 0usize;
    let scoped = !roots.is_empty() && !roots.contains("");
    for f in &repo.files {
        let Some(lang) = f.lang else { continue };
        if matches!(f.role, Role::Test | Role::Doc | Role::Script) {
            continue;
        }
        if scoped && !roots.iter().any(|r| f.under(r)) {
            continue;
        }
        if f.has_ext(&["h"]) {
            header_bytes += f.text.len();
            continue;
        }
        *bytes.entry(lang).or_default() += f.text.len();
    }
    if header_bytes > 0 {
        let target = if bytes.contains_key("C++") || bytes.contains_key("Objective-C") {
            "C++"
        } else {
            "C"
        };
        *bytes.entry(target).or_default() += header_bytes;
    }
    match bytes
        .into_iter()
        .max_by_key(|(l, b)| (*b, std::cmp::Reverse(*l)))
    {
        Some((lang, b)) if b > 0 => lang.to_string(),
        _ => "Markdown".to_string(),
    }
}
