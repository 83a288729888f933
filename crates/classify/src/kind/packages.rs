//! Packages: which manifest folder a file belongs to, which packages of a
//! monorepo the servers reach, and whether the repository publishes a
//! library rather than runs a program.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;

use super::constructs::Constructs;
use super::sdk::SDK_RULES;
use crate::ctx::{re, File, Repo};
use crate::paths::{self, Role};

/// The package folders whose files count for the servers.
pub struct ServerScope {
    /// Manifest folders, plus server folders inside a web app.
    pub dirs: BTreeSet<String>,
    /// Folders whose secrets are not the servers'.
    pub excluded: BTreeSet<String>,
}

impl ServerScope {
    /// Packages of a monorepo that only consume MCP (a chat app, a web UI)
    /// hold the client's secrets, not the server's; nor do packages the
    /// servers do not depend on. `narrow` is false where nothing is
    /// excluded (no server, or servers only in examples).
    pub fn draw(
        repo: &Repo,
        manifest_dirs: &BTreeSet<&str>,
        found: &Constructs,
        narrow: bool,
    ) -> Self {
        let mut excluded = BTreeSet::new();
        let mut dirs: BTreeSet<String> = manifest_dirs.iter().map(|d| d.to_string()).collect();
        if !narrow {
            return ServerScope { dirs, excluded };
        }
        let is_frontend = |dir: &str| {
            repo.files.iter().any(|f| {
                paths::parent_dir(f.path) == dir
                    && f.name_lower() == "package.json"
                    && FRONTEND.is_match(f.text)
                    && !BACKEND.is_match(f.text)
            })
        };
        // A web app that serves MCP from one of its own route handlers is
        // the server whole: its other server modules are parts of it.
        let routed: BTreeSet<String> = found
            .core_servers
            .iter()
            .filter(|(f, _, _)| is_web_route_handler(f.path))
            .map(|(f, _, _)| package_root(manifest_dirs, f.path))
            .collect();
        let mut server_pkgs: BTreeSet<String> = BTreeSet::new();
        for (f, _, _) in &found.core_servers {
            let pkg = package_root(manifest_dirs, f.path);
            if is_frontend(&pkg) && !routed.contains(&pkg) {
                // A server folder inside a web app: it is its own package.
                let own = paths::parent_dir(f.path).to_string();
                dirs.insert(own.clone());
                server_pkgs.insert(own);
                excluded.insert(pkg);
            } else {
                server_pkgs.insert(pkg);
            }
        }
        let client_pkgs: BTreeSet<String> = found
            .clients
            .iter()
            .map(|(f, _, _)| package_root(manifest_dirs, f.path))
            .collect();
        let reachable = reachable_packages(repo, manifest_dirs, &server_pkgs);
        for dir in manifest_dirs {
            if server_pkgs.contains(*dir) {
                continue;
            }
            if is_frontend(dir)
                || !reachable.contains(*dir)
                || (client_pkgs.contains(*dir) && dir.is_empty())
            {
                // A client package, or another package of a monorepo (a
                // CLI, an SDK, a docs site) that the servers do not depend
                // on: its secrets are not the server's. A shared library
                // the server imports is the server's, whatever MCP client
                // it also holds.
                excluded.insert(dir.to_string());
            }
        }
        ServerScope { dirs, excluded }
    }
}

/// Nearest ancestor folder holding a manifest, "" for the repository root.
pub(super) fn package_root(manifest_dirs: &BTreeSet<&str>, path: &str) -> String {
    let mut dir = paths::parent_dir(path);
    loop {
        if manifest_dirs.contains(dir) {
            return dir.to_string();
        }
        if dir.is_empty() {
            return String::new();
        }
        dir = paths::parent_dir(dir);
    }
}

/// Next.js and SvelteKit route handlers and Nuxt server routes run in the
/// web app's own server runtime: the app is the MCP server's backend, and
/// the modules the route imports (`lib/`, `src/`) are server code.
fn is_web_route_handler(path: &str) -> bool {
    let name = paths::file_name(path).to_ascii_lowercase();
    let routed = path.starts_with("app/")
        || path.contains("/app/")
        || path.starts_with("src/routes/")
        || path.contains("/src/routes/");
    (routed && (name.starts_with("route.") || name.starts_with("+server.")))
        || path.starts_with("pages/api/")
        || path.contains("/pages/api/")
        || path.starts_with("server/api/")
        || path.starts_with("server/routes/")
}

/// The shipped code depends on an MCP SDK, or speaks the protocol itself
/// (its method names and handshake fields).
pub(super) fn builds_on_mcp(repo: &Repo) -> bool {
    static PROTOCOL: LazyLock<Regex> =
        LazyLock::new(|| re(r#""notifications/initialized"|"protocolVersion"|"tools/call""#));
    repo.files.iter().filter(|f| f.role == Role::Core).any(|f| {
        let manifest = paths::is_manifest(f.path) || f.name_lower().ends_with(".props");
        (f.is_source() || manifest)
            && (SDK_RULES
                .iter()
                .any(|r| r.manifest == manifest && r.re.is_match(f.text))
                || (f.is_source() && PROTOCOL.is_match(f.text)))
    })
}

/// The name a package is published or referenced under, from its manifest.
fn package_names(f: &File) -> Vec<String> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| {
        re(r#"(?m)"name"\s*:\s*"([^"]{2,})"|^name\s*=\s*["']([^"']{2,})["']|^module\s+(\S{2,})"#)
    });
    let lower = f.name_lower();
    let mut out = Vec::new();
    if lower.ends_with(".csproj") || lower.ends_with(".fsproj") {
        let stem = paths::file_name(f.path);
        out.push(stem[..stem.len() - 7].to_string());
    } else if matches!(
        lower.as_str(),
        "package.json" | "cargo.toml" | "pyproject.toml" | "go.mod" | "deno.json"
    ) {
        if let Some(m) = NAME
            .captures(f.text)
            .and_then(|c| c.iter().skip(1).flatten().next())
        {
            out.push(m.as_str().to_string());
            // Python packages are imported with underscores.
            if lower == "pyproject.toml" {
                out.push(m.as_str().replace('-', "_"));
            }
        }
    } else {
        let dir = paths::parent_dir(f.path);
        let last = paths::file_name(dir);
        if last.len() >= 3 {
            out.push(format!(":{last}"));
            out.push(format!("<artifactId>{last}<"));
        }
    }
    out
}

/// A wildcard project reference (`tools\Azure.*\src\*.csproj`): the folder
/// part before the file name.
static PROJECT_GLOB: LazyLock<Regex> =
    LazyLock::new(|| re(r#"ProjectReference\s+Include="([^"]*\*[^"]*?)[\\/][^\\/"]*\.csproj""#));

/// Does the folder pattern (with `*`, maybe prefixed by `$(Root)` or `../`)
/// match the end of this repository folder?
fn glob_suffix_match(glob: &str, dir: &str) -> bool {
    let g = glob
        .rsplit(')')
        .next()
        .unwrap_or(glob)
        .trim_start_matches('/')
        .trim_start_matches("../")
        .trim_start_matches("./");
    let g = format!("{}/", g.trim_end_matches('/'));
    let parts: Vec<&str> = g.split('*').collect();
    // Anchor the first literal anywhere a folder starts, then match in order.
    let first = parts[0];
    let starts: Vec<usize> = if first.is_empty() {
        vec![0]
    } else {
        dir.match_indices(first)
            .map(|(i, _)| i)
            .filter(|i| *i == 0 || dir.as_bytes()[i - 1] == b'/')
            .collect()
    };
    starts.into_iter().any(|st| {
        let mut pos = st + first.len();
        for (k, p) in parts.iter().enumerate().skip(1) {
            let last = k == parts.len() - 1;
            if last {
                return dir[pos..].ends_with(p) && !dir[pos..dir.len() - p.len()].contains('/');
            }
            match dir[pos..].find(p) {
                Some(i) if !dir[pos..pos + i].contains('/') => pos += i + p.len(),
                _ => return false,
            }
        }
        pos == dir.len()
    })
}

/// Packages the server packages depend on (by name in their manifests or
/// imports), transitively. Only these share the servers' secrets.
fn reachable_packages(
    repo: &Repo,
    manifest_dirs: &BTreeSet<&str>,
    server_pkgs: &BTreeSet<String>,
) -> BTreeSet<String> {
    let mut names: Vec<(String, String)> = Vec::new();
    for f in repo.files.iter().filter(|f| paths::is_manifest(f.path)) {
        let dir = paths::parent_dir(f.path);
        if server_pkgs.contains(dir) {
            continue;
        }
        for n in package_names(f) {
            names.push((dir.to_string(), n));
        }
    }
    // Packages that wrap a server package (a CLI or app that builds and
    // runs the server another package defines) run it too.
    let mut server_names: Vec<String> = Vec::new();
    for f in repo.files.iter().filter(|f| paths::is_manifest(f.path)) {
        if server_pkgs.contains(paths::parent_dir(f.path)) {
            server_names.extend(
                package_names(f)
                    .into_iter()
                    .filter(|n| !n.starts_with([':', '<'])),
            );
        }
    }
    let mut reached: BTreeSet<String> = server_pkgs.clone();
    for f in repo.files.iter().filter(|f| paths::is_manifest(f.path)) {
        let dir = paths::parent_dir(f.path);
        if !dir.is_empty()
            && server_names.iter().any(|n| {
                f.text.contains(&format!("\"{n}\"")) || f.text.contains(&format!("{n}.csproj"))
            })
        {
            reached.insert(dir.to_string());
        }
    }
    if names.is_empty() {
        return reached;
    }
    // One pass over the files: each package's manifests and core sources.
    let mut texts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in &repo.files {
        if paths::is_manifest(f.path) {
            texts
                .entry(paths::parent_dir(f.path))
                .or_default()
                .push(f.text);
        } else if f.is_source() && f.role == Role::Core {
            let root = package_root(manifest_dirs, f.path);
            if let Some(k) = manifest_dirs.get(root.as_str()) {
                texts.entry(k).or_default().push(f.text);
            } else if root.is_empty() {
                texts.entry("").or_default().push(f.text);
            }
        }
    }
    // One regex naming every other package, the way manifests and imports
    // refer to them.
    let mut by_name: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (dir, name) in &names {
        by_name.entry(name.as_str()).or_default().push(dir.as_str());
    }
    let plain: Vec<String> = by_name
        .keys()
        .filter(|n| !n.starts_with([':', '<']))
        .map(|n| regex::escape(n))
        .collect();
    let marked: Vec<String> = by_name
        .keys()
        .filter(|n| n.starts_with([':', '<']))
        .map(|n| regex::escape(n))
        .collect();
    let mut alts = Vec::new();
    if !plain.is_empty() {
        let p = plain.join("|");
        alts.push(format!(
            r#"["']({p})["'/]|(?:import|from)\s+({p})\b|({p})\.csproj"#
        ));
    }
    if !marked.is_empty() {
        alts.push(format!("({})", marked.join("|")));
    }
    let Ok(refs) = regex::Regex::new(&alts.join("|")) else {
        return reached;
    };
    let mut frontier: Vec<String> = reached.iter().cloned().collect();
    while let Some(pkg) = frontier.pop() {
        let Some(ts) = texts.get(pkg.as_str()) else {
            continue;
        };
        let mut hits: BTreeSet<String> = BTreeSet::new();
        for t in ts {
            for c in PROJECT_GLOB.captures_iter(t) {
                if let Some(g) = c.get(1) {
                    let g = g.as_str().replace('\\', "/");
                    for (dir, _) in &names {
                        if glob_suffix_match(&g, &format!("{dir}/")) {
                            hits.insert(dir.clone());
                        }
                    }
                }
            }
            for c in refs.captures_iter(t) {
                if let Some(m) = c.iter().skip(1).flatten().next() {
                    for d in by_name.get(m.as_str()).into_iter().flatten() {
                        hits.insert(d.to_string());
                    }
                }
            }
        }
        for d in hits {
            if reached.insert(d.clone()) {
                frontier.push(d);
            }
        }
    }
    reached
}

static FRONTEND: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#""(?:next|react-dom|vue|svelte|@sveltejs/kit|@angular/core|react-native|expo|nuxt|@remix-run/react|electron)"\s*:"#,
    )
});

/// A web server framework among a package's dependencies: a web app that
/// also serves its own HTTP API (express + react) is a full-stack server
/// package, not a front end.
static BACKEND: LazyLock<Regex> = LazyLock::new(|| {
    re(r#""(?:express|fastify|koa|hono|@hono/node-server|@fastify/[a-z-]+)"\s*:"#)
});

/// A program entry point: something in the repository runs.
static ENTRY_POINT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?m)^if\s+__name__\s*==\s*['"]__main__['"]|^func\s+main\s*\(\s*\)|\bfn\s+main\s*\(|static\s+(?:async\s+)?(?:void|int|Task)\s+Main\s*\(|public\s+static\s+void\s+main\s*\(|^fun\s+main\s*\(|@SpringBootApplication|@QuarkusMain|^@main\b|\bHost\.CreateApplicationBuilder|WebApplication\.CreateBuilder|^#!\s*/usr/bin/env"#,
    )
});

/// The repository publishes a library for others to depend on, and runs
/// nothing itself: npm packages with `exports`/`main` and no `bin`, gems
/// without executables, crates without a binary, JVM builds without an
/// application plugin or main class, and no program entry point anywhere
/// in the shipped code. Purpose decides `kind`: such a repository is an SDK
/// even when it defines server or client classes.
pub(super) fn publishes_library(repo: &Repo) -> bool {
    static NPM_LIBRARY: LazyLock<Regex> =
        LazyLock::new(|| re(r#""(?:exports|module|types|typings)"\s*:"#));
    // An app has a command, a start script, or is never published.
    static NPM_APP: LazyLock<Regex> =
        LazyLock::new(|| re(r#""bin"\s*:|"private"\s*:\s*true|"start"\s*:|"electron"\s*:"#));
    static JVM_APP: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r#"spring-boot-maven-plugin|org\.springframework\.boot['"]?\)?\s*(?:version|$)|id\s*\(?\s*['"]org\.springframework\.boot|\bapplication\b\s*\{|mainClass|Main-Class|quarkus-maven-plugin|io\.quarkus['"]?\s*\)"#,
        )
    });
    static COMPOSER_APP: LazyLock<Regex> =
        LazyLock::new(|| re(r#""type"\s*:\s*"project"|"bin"\s*:"#));
    if is_app_plugin(repo) {
        return false;
    }
    let root: Vec<&File> = repo
        .files
        .iter()
        .filter(|f| !f.path.contains('/') && paths::is_manifest(f.path))
        .collect();
    let has_projects = repo
        .files
        .iter()
        .any(|f| f.name_lower().ends_with(".csproj"));
    if root.is_empty() && !has_projects {
        return false;
    }
    if let Some(published) = npm_workspace_publishes_library(repo, &root) {
        return published;
    }
    // SwiftPM publishes only what its products name: `@main` in a macro
    // or build-plugin target, or a generator executable no product lists,
    // is run by the compiler or the build, never by a user.
    if let Some(manifest) = root.iter().find(|f| f.name_lower() == "package.swift") {
        return swift_publishes_library(manifest.text);
    }
    let runs = repo.files.iter().any(|f| {
        (f.role == Role::Core
            && f.is_source()
            && (ENTRY_POINT.is_match(f.text)
                // The conventional entry files of each toolchain.
                || matches!(
                    f.name_lower().as_str(),
                    "program.cs" | "__main__.py" | "main.rs" | "main.go" | "main.swift" | "main.kt"
                )))
            || (f.role == Role::Core && f.name_lower().starts_with("dockerfile"))
            || ((f.path.starts_with("bin/") || f.path.starts_with("exe/")) && f.role == Role::Core)
    });
    if runs {
        return false;
    }
    // .NET: every project a class library (no executable, no web host).
    let projects: Vec<&File> = repo
        .files
        .iter()
        .filter(|f| f.role == Role::Core && f.name_lower().ends_with(".csproj"))
        .collect();
    if !projects.is_empty()
        && projects.iter().all(|f| {
            !f.text.contains("<OutputType>Exe") && !f.text.contains("Microsoft.NET.Sdk.Web")
        })
    {
        return true;
    }
    root.iter().any(|f| match f.name_lower().as_str() {
        "package.json" => NPM_LIBRARY.is_match(f.text) && !NPM_APP.is_match(f.text),
        n if n.ends_with(".gemspec") => !f.text.contains("executables"),
        // Go builds commands only from `package main`, and none ships here.
        "go.mod" => true,
        // Composer's default type is "library"; applications say "project"
        // or ship commands under "bin".
        "composer.json" => !COMPOSER_APP.is_match(f.text),
        "cargo.toml" => !f.text.contains("[[bin]]"),
        "build.gradle"
        | "build.gradle.kts"
        | "settings.gradle"
        | "settings.gradle.kts"
        | "pom.xml" => !repo
            .files
            .iter()
            .filter(|g| paths::is_manifest(g.path) && g.role == Role::Core)
            .any(|g| JVM_APP.is_match(g.text)),
        _ => false,
    })
}

/// A plugin of a host application: installed into the application, which
/// loads and runs it, never depended on by developers. Each host declares
/// its plugins its own way: the IntelliJ Platform by `META-INF/plugin.xml`
/// and its Gradle plugin, Atlassian hosts by `atlassian-plugin.xml` and
/// that Maven packaging, Jenkins by the `hpi` packaging, Sweet Home 3D by
/// `ApplicationPlugin.properties`, VS Code by an `engines.vscode` entry,
/// Obsidian by a manifest with `minAppVersion`, and PHP hosts by Composer
/// installer types (`drupal-module`, `wordpress-plugin`).
fn is_app_plugin(repo: &Repo) -> bool {
    static HOST_MANIFEST: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r#"org\.jetbrains\.intellij|<packaging>\s*(?:atlassian-plugin|hpi)\s*</packaging>|"engines"\s*:\s*\{[^}]*"vscode"\s*:|"type"\s*:\s*"(?:drupal|wordpress|magento2?|shopware|typo3-cms|joomla)-[a-z-]+""#,
        )
    });
    repo.files.iter().filter(|f| f.role == Role::Core).any(|f| {
        let name = f.name_lower();
        f.path.ends_with("META-INF/plugin.xml")
            || name == "atlassian-plugin.xml"
            || name == "applicationplugin.properties"
            || (name == "manifest.json" && f.text.contains("\"minAppVersion\""))
            || (paths::is_manifest(f.path) && HOST_MANIFEST.is_match(f.text))
    })
}

/// An npm, Yarn, pnpm or Bun workspace: a private root whose member
/// packages are what gets published. Each published member's manifest
/// says whether it is a library (`exports`/`main`/`types`) or a command
/// (`bin`); `create-*` packages are the initializers `npm init <name>` runs
/// to scaffold a project, not programs of the library. `None` when the
/// root is no workspace.
fn npm_workspace_publishes_library(repo: &Repo, root: &[&File]) -> Option<bool> {
    static WORKSPACES: LazyLock<Regex> = LazyLock::new(|| re(r#""workspaces"\s*:"#));
    static PRIVATE: LazyLock<Regex> = LazyLock::new(|| re(r#""private"\s*:\s*true"#));
    static LIBRARY: LazyLock<Regex> =
        LazyLock::new(|| re(r#""(?:exports|main|module|types|typings)"\s*:"#));
    let manifest = root.iter().find(|f| f.name_lower() == "package.json")?;
    let pnpm = repo.files.iter().any(|f| f.path == "pnpm-workspace.yaml");
    if !PRIVATE.is_match(manifest.text) || !(WORKSPACES.is_match(manifest.text) || pnpm) {
        return None;
    }
    if repo
        .files
        .iter()
        .any(|f| !f.path.contains('/') && f.name_lower().starts_with("dockerfile"))
    {
        return Some(false);
    }
    let members: Vec<&File> = repo
        .files
        .iter()
        .filter(|f| {
            f.path.contains('/')
                && f.role == Role::Core
                && f.name_lower() == "package.json"
                && !PRIVATE.is_match(f.text)
        })
        .filter(|f| {
            !package_names(f).iter().any(|name| {
                name.rsplit('/')
                    .next()
                    .unwrap_or(name)
                    .starts_with("create-")
            })
        })
        .collect();
    if members.is_empty() {
        return Some(false);
    }
    let entry_points: Vec<&File> = repo
        .files
        .iter()
        .filter(|f| f.role == Role::Core && f.is_source() && ENTRY_POINT.is_match(f.text))
        .collect();
    let runs = |member: &File| {
        let dir = paths::parent_dir(member.path);
        entry_points.iter().any(|f| f.under(dir))
    };
    Some(
        members
            .iter()
            .all(|f| LIBRARY.is_match(f.text) && !f.text.contains("\"bin\"") && !runs(f)),
    )
}

/// A SwiftPM manifest whose products are libraries and no executable.
fn swift_publishes_library(manifest: &str) -> bool {
    manifest.contains(".library(") && !manifest.contains(".executable(")
}

#[cfg(test)]
mod tests {
    use super::glob_suffix_match;

    #[test]
    fn wildcard_project_folders() {
        assert!(glob_suffix_match(
            "$(RepoRoot)/tools/Azure.*/src",
            "tools/Azure.Mcp.Tools.Kv/src/"
        ));
        assert!(glob_suffix_match("../../tools/*", "tools/Weather/"));
        assert!(!glob_suffix_match(
            "$(RepoRoot)/tools/Azure.*/src",
            "tools/Fabric.Tools/src/"
        ));
        assert!(!glob_suffix_match(
            "tools/Azure.*/src",
            "tools/Azure.X/sub/src/"
        ));
    }
}
