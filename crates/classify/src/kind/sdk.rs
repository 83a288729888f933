//! Which MCP SDKs a server is built on: the catalogue of SDKs by the names
//! their packages have in each manifest format and the import paths their
//! code uses, and the rules for reading them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use mcp_survey_model::Sdk;
use regex::Regex;

use super::constructs::SERVER_RULES;
use crate::ctx::{re, Ev, File, Repo};
use crate::paths::{self, Role};

/// SDK dependencies as they appear in manifests and imports.
pub(super) struct SdkRule {
    pub(super) sdk: Sdk,
    pub(super) rule: &'static str,
    pub(super) re: Regex,
    /// Applies to manifests (true) or to source imports (false).
    pub(super) manifest: bool,
}

pub(super) static SDK_RULES: LazyLock<Vec<SdkRule>> = LazyLock::new(|| {
    let r = |sdk, rule, pat: &str, manifest| SdkRule {
        sdk,
        rule,
        re: re(pat),
        manifest,
    };
    vec![
        r(
            Sdk::TsOfficial,
            "npm @modelcontextprotocol/sdk",
            r#""@modelcontextprotocol/sdk"\s*:"#,
            true,
        ),
        r(
            Sdk::TsOfficial,
            "deno import @modelcontextprotocol/sdk",
            r#"npm:@modelcontextprotocol/sdk"#,
            true,
        ),
        r(
            Sdk::TsOfficial,
            "npm agents (Cloudflare, wraps the TS SDK)",
            r#""agents"\s*:\s*""#,
            true,
        ),
        r(
            Sdk::TsOfficial,
            "npm @modelcontextprotocol/server",
            r#""@modelcontextprotocol/(?:server|node|express|hono)"\s*:"#,
            true,
        ),
        r(
            Sdk::TsOfficial,
            "import @modelcontextprotocol/sdk",
            r#"from\s+['"](?:npm:)?@modelcontextprotocol/sdk"#,
            false,
        ),
        r(
            Sdk::TsOfficial,
            "Dockerfile runs an official TS server package",
            r#"@modelcontextprotocol/server-[a-z]"#,
            true,
        ),
        r(
            Sdk::PyOfficial,
            "Dockerfile installs a python mcp-server package",
            r#"(?:pip3? install|uvx|pipx install|uv tool install)\s+[^\n]*\bmcp-server-[a-z]"#,
            true,
        ),
        r(Sdk::FastmcpTs, "npm fastmcp", r#""fastmcp"\s*:\s*""#, true),
        // Frameworks the schema has no name for: their own crates, modules
        // and npm packages, as their READMEs tell users to depend on them.
        r(
            Sdk::Other,
            "crate rust-mcp-sdk or mcp-attr",
            r#"(?m)^\s*(?:rust-mcp-sdk|mcp-attr|mcp-core|mcpr)\s*=|\[dependencies\.(?:rust-mcp-sdk|mcp-attr)\]"#,
            true,
        ),
        r(
            Sdk::Other,
            "go module metoro-io/mcp-golang",
            r#"github\.com/metoro-io/mcp-golang"#,
            true,
        ),
        r(
            Sdk::Other,
            "npm mcp-framework, easy-mcp, mcp-use or xmcp",
            r#""(?:mcp-framework|@mcp-framework/[a-z-]+|easy-mcp|mcp-use|xmcp)"\s*:\s*""#,
            true,
        ),
        r(
            Sdk::PyOfficial,
            "python dependency mcp",
            r#"(?m)(?:^|["'\s,\[])mcp(?:\[[a-z,\s]+\])?\s*(?:[<>=~!]=?|["',]|$)"#,
            true,
        ),
        r(
            Sdk::PyOfficial,
            "python fastapi-mcp (built on the mcp package)",
            r#"(?m)^\s*(?:from\s+fastapi_mcp\s+import|import\s+fastapi_mcp)"#,
            false,
        ),
        r(
            Sdk::PyOfficial,
            "import mcp.server",
            r#"(?m)^\s*(?:from\s+mcp(?:\.server)?(?:\.[a-z_.]+)?\s+import|import\s+mcp\.server)"#,
            false,
        ),
        r(
            Sdk::Fastmcp,
            "python dependency fastmcp",
            r#"(?m)(?:^|["'\s,\[])fastmcp\s*(?:[<>=~!]=?|["',]|$)"#,
            true,
        ),
        r(
            Sdk::Fastmcp,
            "import fastmcp",
            r#"(?m)^\s*(?:from\s+fastmcp(?:\.[a-z_.]+)?\s+import|import\s+fastmcp)"#,
            false,
        ),
        r(
            Sdk::GoOfficial,
            "go module modelcontextprotocol/go-sdk",
            r#"github\.com/modelcontextprotocol/go-sdk"#,
            true,
        ),
        r(
            Sdk::McpGo,
            "go module mark3labs/mcp-go",
            r#"github\.com/mark3labs/mcp-go"#,
            true,
        ),
        r(
            Sdk::RustRmcp,
            "crate rmcp",
            r#"(?m)^\s*rmcp\s*(?:=|\.workspace\s*=)|\[dependencies\.rmcp\]"#,
            true,
        ),
        r(Sdk::RustRmcp, "use rmcp", r#"(?m)^\s*use\s+rmcp::"#, false),
        r(
            Sdk::GoOfficial,
            "go import modelcontextprotocol/go-sdk",
            r#""github\.com/modelcontextprotocol/go-sdk/"#,
            false,
        ),
        r(
            Sdk::McpGo,
            "go import mark3labs/mcp-go",
            r#""github\.com/mark3labs/mcp-go/"#,
            false,
        ),
        r(
            Sdk::KotlinOfficial,
            "kotlin import io.modelcontextprotocol.kotlin.sdk",
            r#"(?m)^\s*import\s+io\.modelcontextprotocol\.kotlin\.sdk"#,
            false,
        ),
        r(
            Sdk::SpringAi,
            "spring-ai mcp server starter",
            r#"spring-ai-(?:starter-)?mcp-server|spring-ai-mcp"#,
            true,
        ),
        r(
            Sdk::Quarkus,
            "quarkus mcp server extension",
            r#"quarkus-mcp-server"#,
            true,
        ),
        r(
            Sdk::JavaOfficial,
            "java io.modelcontextprotocol.sdk",
            r#"io\.modelcontextprotocol\.sdk|<groupId>io\.modelcontextprotocol"#,
            true,
        ),
        r(
            Sdk::KotlinOfficial,
            "kotlin sdk",
            r#"io\.modelcontextprotocol:kotlin-sdk|modelcontextprotocol\.kotlin"#,
            true,
        ),
        r(
            Sdk::CsharpOfficial,
            "nuget ModelContextProtocol",
            r#"Include="ModelContextProtocol(?:\.AspNetCore|\.Core)?""#,
            true,
        ),
        r(
            Sdk::SwiftOfficial,
            "swift package modelcontextprotocol/swift-sdk",
            r#"modelcontextprotocol/swift-sdk"#,
            true,
        ),
        r(
            Sdk::Php,
            "composer php mcp",
            r#""(?:php-mcp/server|logiscape/mcp-sdk-php|mcp/sdk)"\s*:"#,
            true,
        ),
        r(
            Sdk::Ruby,
            "ruby gem mcp",
            r#"(?m)(?:gem|add_dependency|add_runtime_dependency)\s*\(?\s*['"](?:mcp|fast-mcp|mcp-rb|model-context-protocol-rb)['"]"#,
            true,
        ),
    ]
});

pub(super) fn detect(
    repo: &Repo,
    roots: &BTreeSet<String>,
    servers: &[(&File, &str, usize)],
    examples_count: bool,
    ev: &mut Ev,
) -> BTreeSet<Sdk> {
    let mut found: BTreeMap<Sdk, (String, u32, &'static str, String)> = BTreeMap::new();
    let in_scope = |f: &File| -> bool {
        roots.iter().any(|r| f.under(r))
            && match f.role {
                Role::Core => true,
                Role::Example => examples_count,
                _ => false,
            }
    };
    for f in repo.files.iter().filter(|f| in_scope(f)) {
        let docker = f.name_lower().starts_with("dockerfile");
        let manifest = paths::is_manifest(f.path)
            || docker
            || f.path.ends_with("requirements.txt")
            || f.name_lower().ends_with(".props");
        if !manifest && !f.is_source() {
            continue;
        }
        for rule in SDK_RULES.iter() {
            if rule.manifest != manifest || found.contains_key(&rule.sdk) {
                continue;
            }
            // Dockerfiles only name packaged servers.
            if docker != rule.rule.starts_with("Dockerfile") {
                continue;
            }
            // A python "mcp" dependency only means something in python manifests.
            if manifest && !docker && matches!(rule.sdk, Sdk::PyOfficial | Sdk::Fastmcp) {
                let n = f.name_lower();
                if !(n == "pyproject.toml"
                    || n.starts_with("requirements")
                    || n == "setup.py"
                    || n == "setup.cfg"
                    || n == "pipfile")
                {
                    continue;
                }
                if n == "pyproject.toml" && !pyproject_dep(f.text, rule.sdk) {
                    continue;
                }
            }
            if manifest && rule.sdk == Sdk::McpGo && f.name_lower() != "go.mod" {
                continue;
            }
            if manifest && rule.sdk == Sdk::GoOfficial && f.name_lower() != "go.mod" {
                continue;
            }
            // Type-only imports, commented lines and indirect dependencies
            // do not make a server use an SDK.
            let hit = rule.re.find_iter(f.text).find(|m| {
                let line = f.line_text(m.start()).trim_start();
                !(line.contains("// indirect")
                    || line.starts_with("import type")
                    || crate::ctx::is_comment(line))
            });
            if let Some(m) = hit {
                let line = f.line_text(m.start());
                found.insert(
                    rule.sdk,
                    (
                        f.path.to_string(),
                        f.line_of(m.start()),
                        rule.rule,
                        line.to_string(),
                    ),
                );
            }
        }
    }
    // The Python SDK bundles FastMCP: an import of mcp.server.fastmcp is the
    // official SDK, not the standalone package.
    let mut out: BTreeSet<Sdk> = found.keys().copied().collect();
    // Spring AI and Quarkus build on the Java SDK; the label names the framework.
    if out.contains(&Sdk::SpringAi) || out.contains(&Sdk::Quarkus) {
        out.remove(&Sdk::JavaOfficial);
    }
    if out.contains(&Sdk::KotlinOfficial) {
        out.remove(&Sdk::JavaOfficial);
    }
    // The standalone FastMCP depends on the official package and re-exports
    // its types: the official SDK counts only when a server is built on it.
    if out.contains(&Sdk::Fastmcp) && out.contains(&Sdk::PyOfficial) {
        let official_server = repo.files.iter().filter(|f| in_scope(f)).any(|f| {
            f.lang == Some("Python")
                && SERVER_RULES
                    .iter()
                    .any(|(rule, r)| *rule == "py mcp.server" && r.is_match(f.text))
        });
        if !official_server {
            out.remove(&Sdk::PyOfficial);
        }
    }
    if out.is_empty() {
        let hand = servers
            .iter()
            .any(|(_, rule, _)| rule.starts_with("hand-rolled"));
        let s = if hand { Sdk::HandRolled } else { Sdk::Other };
        if let Some((f, rule, off)) = servers.first() {
            ev.at("sdk", s.as_str(), f, *off, rule);
        }
        out.insert(s);
        return out;
    }
    for (sdk, (file, line, rule, text)) in &found {
        if out.contains(sdk) {
            ev.add("sdk", sdk.as_str(), file, *line, rule, text);
        }
    }
    out
}

/// Is `mcp` / `fastmcp` a dependency in pyproject.toml (not the package's own name)?
fn pyproject_dep(text: &str, sdk: Sdk) -> bool {
    static DEP_MCP: LazyLock<Regex> = LazyLock::new(|| {
        re(r#"(?m)^\s*["']mcp(?:\[[a-z,\s]+\])?\s*(?:[<>=~!]=?[^"']*)?["']|^\s*mcp\s*=\s*[{"']"#)
    });
    static DEP_FASTMCP: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r#"(?m)^\s*["']fastmcp(?:\[[a-z,\s]+\])?\s*(?:[<>=~!]=?[^"']*)?["']|^\s*fastmcp\s*=\s*[{"']"#,
        )
    });
    match sdk {
        Sdk::PyOfficial => DEP_MCP.is_match(text),
        _ => DEP_FASTMCP.is_match(text),
    }
}

/// The repository is itself one of the MCP SDKs (its manifest publishes the
/// package others depend on).
pub(super) fn defines_known_sdk(repo: &Repo) -> Option<String> {
    static OWN: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r#"(?m)^name\s*=\s*["'](?:mcp|fastmcp|rmcp|mcp-sdk)["']|"name"\s*:\s*"(?:@modelcontextprotocol/sdk|fastmcp|@modelcontextprotocol/server|mcp-framework)"|^module\s+github\.com/(?:mark3labs/mcp-go|modelcontextprotocol/go-sdk|metoro-io/mcp-golang)\s*$|<artifactId>mcp-bom</artifactId>|"name"\s*:\s*"(?:php-mcp/server|mcp/sdk|logiscape/mcp-sdk-php)""#,
        )
    });
    repo.files
        .iter()
        .filter(|f| paths::is_manifest(f.path) && f.role == Role::Core)
        .filter(|f| f.path.matches('/').count() <= 2)
        .find_map(|f| {
            OWN.find_iter(f.text)
                .find(|m| !in_maven_dependency(f.text, m.start()))
                .map(|m| format!("{}: {}", f.path, m.as_str()))
        })
}

/// Inside a `<dependency>` element of a Maven build: an artifact this
/// build imports (the Java SDK's BOM in `dependencyManagement`), not the
/// one it publishes.
fn in_maven_dependency(text: &str, at: usize) -> bool {
    let before = &text[..at];
    before
        .rfind("<dependency>")
        .is_some_and(|open| !before[open..].contains("</dependency>"))
}
