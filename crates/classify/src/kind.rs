//! What a repository is (server, client, SDK, list, other), which MCP
//! implementation its servers use, and its main language.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use mcp_survey_model::{Kind, Sdk};
use regex::Regex;

use crate::ctx::{Ev, File, Repo};
use crate::paths::{self, Role};

use crate::ctx::re;

/// SDK dependencies as they appear in manifests and imports.
struct SdkRule {
    sdk: Sdk,
    rule: &'static str,
    re: Regex,
    /// Applies to manifests (true) or to source imports (false).
    manifest: bool,
}

static SDK_RULES: LazyLock<Vec<SdkRule>> = LazyLock::new(|| {
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
            "npm mcp-framework or easy-mcp",
            r#""(?:mcp-framework|@mcp-framework/[a-z-]+|easy-mcp|mcp-use)"\s*:\s*""#,
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

/// Code that runs an MCP server, by language family.
static SERVER_RULES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    vec![
        (
            "ts McpServer",
            re(
                r#"new\s+(?:McpServer|FastMCP|MCPServer)\s*(?:<[^>\n]{0,80}>)?\s*\(|extends\s+(?:McpAgent|MCPTool)\b|createMcpHandler\s*\(|McpAgent\.serve|McpServer\.create\s*\("#,
            ),
        ),
        (
            "py mcp.server",
            re(
                r#"(?m)^[ \t]*from[ \t]+mcp\.server(?:\.fastmcp|\.lowlevel)?[ \t]+import[ \t]+[^\n]*\b(?:FastMCP|Server)\b|\bmcp\.server\.stdio\.stdio_server|^[ \t]*from[ \t]+mcp\.server\.stdio[ \t]+import"#,
            ),
        ),
        (
            "py FastMCP",
            re(
                r#"(?m)^[ \t]*from[ \t]+fastmcp[ \t]+import[ \t]+[^\n]*\bFastMCP\b|\bFastMCP(?:Proxy)?\s*\(|FastMCP\.(?:from_|as_proxy)|@(?:mcp|server|app)\.tool\b|@(?:mcp|server|app)\.list_tools\b|\bFastApiMCP\s*\("#,
            ),
        ),
        (
            "go server",
            re(
                r#"server\.NewMCPServer\s*\(|mcp\.NewServer\s*\(|server\.ServeStdio\s*\(|mcp_golang\.NewServer\s*\("#,
            ),
        ),
        (
            "rust rmcp server",
            re(
                r#"impl\s+(?:rmcp::)?(?:handler::server::)?ServerHandler\s+for|#\[tool_router|#\[tool_handler|\.serve\(\s*[\w:]*stdio\(\)|StreamableHttpService::new|server_runtime::create_server\s*\(|hyper_server::create_server\s*\(|#\[mcp_server\]|mcp_attr::server::serve_stdio|\bserve_stdio\(\s*\w+\s*\)\.await"#,
            ),
        ),
        (
            "java/kotlin server",
            re(
                r#"McpServer\.(?:sync|async)\s*\(|@McpTool\b|MethodToolCallbackProvider|io\.quarkiverse\.mcp\.server\.Tool\b|io\.modelcontextprotocol\.kotlin\.sdk\.server|org\.springframework\.ai\.tool\.annotation\.Tool\b"#,
            ),
        ),
        (
            "csharp server",
            re(
                r#"\[McpServerTool(?:Type)?\b|\.AddMcpServer\s*\(|WithStdioServerTransport|\.MapMcp\s*\("#,
            ),
        ),
        (
            "swift server",
            re(r#"\bServer\s*\(\s*name:\s*"[^"]*",\s*version:"#),
        ),
        (
            "php server",
            re(
                r#"PhpMcp\\Server|use\s+Mcp\\Server|McpServer\s*::|new\s+McpServer\s*\(|Server::make\(\)"#,
            ),
        ),
        (
            "ruby server",
            re(r#"MCP::Server\.new|FastMcp::Server|MCP::Server::Transports"#),
        ),
    ]
});

/// The TS SDK's low-level `Server` class: only with the server import.
static TS_LOWLEVEL: LazyLock<[Regex; 2]> = LazyLock::new(|| {
    [
        re(
            r#"from\s+['"](?:npm:)?@modelcontextprotocol/sdk/server/index(?:\.js)?['"]|require\(\s*['"]@modelcontextprotocol/sdk/server/index"#,
        ),
        re(r#"new\s+Server\s*\("#),
    ]
});

/// Deployments that install and run packaged MCP servers (gateways).
static DOCKER_SERVER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:pip3? install|uv pip install|pipx install|uvx|uv tool install)\s+[^\n]*\bmcp-server-[a-z]|npx\s+(?:-y\s+)?@modelcontextprotocol/server-|npm (?:install|i)\s+(?:-g\s+)?@modelcontextprotocol/server-"#,
    )
});

/// README lead naming the repository a proxy or gateway for MCP servers.
static MCP_PROXY_PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b(?:mcp|model context protocol)\b[^\n.]{0,30}\b(?:oauth|auth|authentication|security)?\s*(?:proxy|gateway)\b|\b(?:proxy|gateway)\b[^\n.]{0,40}\b(?:for|to|in front of)\b[^\n.]{0,20}\b(?:mcp|model context protocol)\b"#,
    )
});

/// The markers of the official MCP registry's publishing flow.
static REGISTRY_DECLARATION: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"static\.modelcontextprotocol\.io/schemas/[^"\s]*/server\.schema\.json|"mcpName"\s*:\s*"[^"]+"|(?m)^\s*<!--\s*mcp-name:\s*\S+|io\.modelcontextprotocol\.server\.name"#,
    )
});

static GO_MODULE: LazyLock<Regex> = LazyLock::new(|| re(r#"(?m)^module\s+(\S+)"#));

/// An import of the `server` package of a Go module named for MCP.
static GO_MCP_SERVER_IMPORT: LazyLock<Regex> =
    LazyLock::new(|| re(r#""((?:[\w.-]+/)+[\w.-]*mcp[\w.-]*)(?:/[\w.-]+)*/server(?:/[\w.-]+)?""#));

/// Spring AI's MCP server starters, old and new artifact names.
static SPRING_MCP_SERVER_STARTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"spring-ai-starter-mcp-server\b|spring-ai-mcp-server(?:-webflux|-webmvc)?-spring-boot-starter"#,
    )
});

fn is_jvm_build(f: &File) -> bool {
    matches!(
        f.name_lower().as_str(),
        "pom.xml" | "build.gradle" | "build.gradle.kts"
    )
}

/// Code forwarding HTTP requests to an upstream server.
static REVERSE_PROXY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"httputil\.(?:NewSingleHostReverseProxy|ReverseProxy)|createProxyMiddleware\s*\(|httpProxy\.createProxyServer|require\(\s*['"]http-proxy['"]\s*\)|ProxyPass\b|\bYarp\b|AddReverseProxy\s*\("#,
    )
});

/// Hand-rolled servers dispatch on the method name and answer serverInfo.
static HAND_ROLLED: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    [
        re(
            r#"case\s+["']tools/list["']|(?:^|[^.\w])method\s*===?\s*["']tools/list["']|(?:req|request|msg|message|rpc|body|payload|data|r)\.method\s*===?\s*["']tools/list["']|["']tools/list["']\s*(?:=>|->)|["']tools/list["']\s*:\s*(?:self\.|this\.)?_?handle|["']tools/list["']\s*,\s*(?:self\.|this\.)?_?handle|when\s+["']tools/list["']"#,
        ),
        re(r#"["']serverInfo["']|\bserverInfo\s*[:=]|server_info\b|ServerInfo\s*\{|"serverInfo"#),
        re(
            r#"(?i)stdin|readline|ListenAndServe|HttpListener|createServer|\.listen\(|app\.(?:post|route)|@app\.(?:post|route)|Console\.In|TcpListener|axum|actix|warp::|hyper::|http\.HandleFunc|uvicorn|aiohttp|flask|fastapi|express\(\)"#,
        ),
    ]
});

static CLIENT_RULES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    vec![
        (
            "ts client import",
            re(
                r#"from\s+['"]@modelcontextprotocol/sdk/client|StdioClientTransport|StreamableHTTPClientTransport|SSEClientTransport|experimental_createMCPClient|createMCPClient|@mastra/mcp|@ai-sdk/mcp|MultiServerMCPClient"#,
            ),
        ),
        (
            "py client",
            re(
                r#"\bClientSession\s*\(|\bstdio_client\b|\bsse_client\b|\bstreamablehttp_client\b|streamable_http_client|MultiServerMCPClient|MCPServerStdio|MCPStdioTool|MCPStreamableHTTPTool|from\s+fastmcp\s+import\s+Client\b|chuk_mcp|from\s+mcp\s+import\s+[^\n]*ClientSession"#,
            ),
        ),
        (
            "go client",
            re(
                r#"client\.New(?:Stdio|SSE|StreamableHttp)MCPClient|mcp\.NewClient\s*\(|mcpclient\.|mark3labs/mcp-go/client"#,
            ),
        ),
        (
            "rust client",
            re(
                r#"ClientHandler\s+for|\.serve\(\s*TokioChildProcess|rmcp::transport::child_process"#,
            ),
        ),
    ]
});

/// Class names alone say little (an "McpClient" may call Claude's API):
/// they count only where MCP's methods are spoken.
static GENERIC_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"\bMCPClient\b|\bMcpClient\b|\bmcp_client\b|McpClientBuilder|\bmcp_dart\b|mcp_client:"#)
});
static SPEAKS_MCP: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"tools/call|tools/list|callTool|call_tool|listTools|list_tools|modelcontextprotocol"#)
});

static README_CLIENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b(?:mcp|model context protocol)\s*(?:\(mcp\)\s*)?(?:client|host|inspector)\b|client (?:for|of) (?:the )?(?:mcp|model context protocol)|connects? (?:to|with) (?:any |remote |external |multiple )?(?:mcp|model context protocol)(?: \(mcp\))? servers?|(?:interact|chat|talk) with (?:any )?mcp servers"#,
    )
});

static README_SDK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?im)\b(?:sdk|library|framework|extension|toolkit)\s+(?:for|to)\s+(?:build|building|creat|develop|implement|writ|easily)|\b(?:server|client|authentication|oauth[\w. ]*|authorization server)\s+library\b|^#\s*[\w .-]*\bsdk\b\s*(?:for\b|$)|\bis\s+(?:a|an|the)\s+(?:[\w-]+,?\s+){0,4}(?:sdk|framework|library)\b|\bprovides\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}sdk\b|install it as a dependency|\b(?:used|use it|consumed) as (?:a |an )?(?:library|dependency)\b|implementation of the model context protocol(?:\s*\(mcp\))?\s*(?:with|in|for\s+\w+\s+\w+)|\bthis (?:\w+\s+)?extension provides|\bthis library\b|(?:^|[.!]\s+)(?:an?|the)\s+(?:[\w-]+\s+){0,5}sdk\b|\bsdk implementation\b"#,
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

static MCP_WORDS: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)model\s*context\s*protocol|modelcontextprotocol|\bmcp\s+server|\bmcpServers\b"#)
});

static HTML_TAG: LazyLock<Regex> = LazyLock::new(|| re(r#"<[^>]*>"#));

static MD_LINK: LazyLock<Regex> = LazyLock::new(|| re(r#"\[([^\]]*)\]\([^)]*\)"#));

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

fn root_readme<'a>(repo: &'a Repo<'a>) -> Option<&'a File<'a>> {
    repo.files
        .iter()
        .filter(|f| !f.path.contains('/') && paths::is_readme(f.path))
        .min_by_key(|f| (!f.path.to_ascii_lowercase().ends_with(".md"), f.path.len()))
}

/// Nearest ancestor folder holding a manifest, "" for the repository root.
pub fn package_root(manifest_dirs: &BTreeSet<&str>, path: &str) -> String {
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

pub fn detect(repo: &Repo, ev: &mut Ev) -> KindResult {
    let manifest_dirs: BTreeSet<&str> = repo
        .files
        .iter()
        .filter(|f| paths::is_manifest(f.path))
        .map(|f| paths::parent_dir(f.path))
        .collect();

    // Server and client constructs, by role.
    let mut core_servers: Vec<(&File, &str, usize)> = Vec::new();
    let mut example_servers: Vec<(&File, &str, usize)> = Vec::new();
    let mut clients: Vec<(&File, &str, usize)> = Vec::new();
    let mut generic_clients: Vec<(&File, &str, usize)> = Vec::new();
    for f in repo.files.iter() {
        if matches!(f.role, Role::Test | Role::Script | Role::Doc) {
            continue;
        }
        if f.name_lower().starts_with("dockerfile") {
            if let Some(m) = DOCKER_SERVER.find(f.text) {
                let hit = (
                    f,
                    "Dockerfile installs and runs a packaged MCP server",
                    m.start(),
                );
                match f.role {
                    Role::Core => core_servers.push(hit),
                    _ => example_servers.push(hit),
                }
            }
            continue;
        }
        if !f.is_source() {
            continue;
        }
        let hit = server_construct(f);
        if let Some((rule, off)) = hit {
            match f.role {
                Role::Core => core_servers.push((f, rule, off)),
                _ => example_servers.push((f, rule, off)),
            }
        }
        if f.role == Role::Core {
            let mut found = false;
            let in_code = |m: &regex::Match| !crate::ctx::is_comment(f.line_text(m.start()));
            for (rule, r) in CLIENT_RULES.iter() {
                if let Some(m) = r.find_iter(f.text).find(in_code) {
                    clients.push((f, rule, m.start()));
                    found = true;
                    break;
                }
            }
            if !found {
                if let Some(m) = GENERIC_CLIENT.find_iter(f.text).find(in_code) {
                    generic_clients.push((f, "MCP client class", m.start()));
                }
            }
        }
    }
    // An auth proxy or gateway that fronts an MCP server exposes an MCP
    // endpoint without an MCP SDK: its README calls it one and its code
    // forwards HTTP traffic.
    if core_servers.is_empty() {
        let lead = root_readme(repo)
            .map(|r| readme_head(r.text, 4))
            .unwrap_or_default();
        if MCP_PROXY_PHRASE.is_match(&lead) {
            if let Some((f, m)) = repo
                .files
                .iter()
                .filter(|f| f.role == Role::Core && f.is_source())
                .find_map(|f| REVERSE_PROXY.find(f.text).map(|m| (f, m)))
            {
                core_servers.push((
                    f,
                    "MCP auth proxy/gateway forwarding to an MCP server",
                    m.start(),
                ));
            }
        }
    }
    // Publishing to the official MCP registry names the server: a
    // `server.json` of the registry's schema, or the ownership markers the
    // registry checks (`mcpName` in package.json, `mcp-name:` in a PyPI
    // README, the `io.modelcontextprotocol.server.name` image label). A
    // server whose code lives in a dependency is still one.
    if core_servers.is_empty() && clients.is_empty() {
        if let Some((f, m)) = repo
            .files
            .iter()
            .filter(|f| !f.path.contains('/'))
            .find_map(|f| REGISTRY_DECLARATION.find(f.text).map(|m| (f, m)))
        {
            core_servers.push((f, "published to the MCP registry as a server", m.start()));
        }
    }
    // A hand-rolled JSON-RPC dispatcher whose transport lives in another
    // file: a serverless function (Vercel, Netlify, Lambda, Workers) or an
    // HTTP app hands each request body to it.
    if core_servers.is_empty() && clients.is_empty() {
        let [_, _, io] = &*HAND_ROLLED;
        // The dispatcher is rare; look for it before scanning for I/O.
        let candidate = repo
            .files
            .iter()
            .filter(|f| f.role == Role::Core && f.is_source())
            .find_map(|f| json_rpc_dispatcher(f).map(|off| (f, off)));
        if let Some((f, off)) = candidate {
            let serves = repo.files.iter().any(|g| {
                g.role == Role::Core
                    && g.is_source()
                    && (io.is_match(g.text) || crate::transport::SERVERLESS_ENTRY.is_match(g.text))
            });
            if serves {
                core_servers.push((
                    f,
                    "hand-rolled JSON-RPC server (dispatches tools/list, answers serverInfo; served from another file)",
                    off,
                ));
            }
        }
    }
    // A Go program built on an MCP library the catalogue does not list:
    // it imports that library's `server` package (`…/mcp/server`,
    // `…/mcp-protocol/server`) and has a `main`.
    if core_servers.is_empty() && clients.is_empty() {
        let own = repo
            .files
            .iter()
            .find(|f| f.path == "go.mod")
            .and_then(|f| GO_MODULE.captures(f.text))
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_string());
        let is_main = |f: &&File| f.text.contains("package main") && f.text.contains("func main(");
        if repo
            .files
            .iter()
            .any(|f| f.role == Role::Core && f.has_ext(&["go"]) && is_main(&f))
        {
            if let Some((f, m)) = repo
                .files
                .iter()
                .filter(|f| f.role == Role::Core && f.has_ext(&["go"]))
                .find_map(|f| {
                    GO_MCP_SERVER_IMPORT
                        .captures_iter(f.text)
                        .find(|c| own.as_deref().is_none_or(|o| !c[1].starts_with(o)))
                        .and_then(|c| c.get(0))
                        .map(|m| (f, m))
                })
            {
                core_servers.push((
                    f,
                    "Go program importing an MCP library's server package",
                    m.start(),
                ));
            }
        }
    }
    // Spring AI's MCP server starters turn a Spring Boot application into an
    // MCP server: they auto-configure the transport and expose every tool
    // callback bean, so the application itself may hold no MCP call.
    if core_servers.is_empty() {
        if let Some((f, m)) = repo
            .files
            .iter()
            .filter(|f| f.role == Role::Core && is_jvm_build(f))
            .find_map(|f| SPRING_MCP_SERVER_STARTER.find(f.text).map(|m| (f, m)))
        {
            if repo.files.iter().any(|f| {
                f.role == Role::Core && f.is_source() && f.text.contains("@SpringBootApplication")
            }) {
                core_servers.push((
                    f,
                    "Spring Boot application with Spring AI's MCP server starter",
                    m.start(),
                ));
            }
        }
    }
    if clients.is_empty()
        && !generic_clients.is_empty()
        && repo
            .files
            .iter()
            .any(|f| f.is_source() && SPEAKS_MCP.is_match(f.text))
    {
        clients = generic_clients;
    }

    let readme = root_readme(repo);
    let head = readme.map(|r| readme_head(r.text, 8)).unwrap_or_default();
    // A README too big to read (a list of thousands of entries) leaves the
    // root manifest's description.
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
    let sdk_phrase = own_sdk
        .clone()
        .or_else(|| README_SDK.find(&head).map(|m| m.as_str().to_string()));
    let lead: String = head.lines().take(3).collect::<Vec<_>>().join("\n");
    let server_phrase = README_SERVER.is_match(&lead) && own_sdk.is_none();
    let title = head.lines().next().unwrap_or("").to_string();
    let list_phrase = README_LIST.find(&title).map(|m| m.as_str().to_string());
    let client_phrase = README_CLIENT.find(&head).map(|m| m.as_str().to_string());

    // Bytes of code vs prose decide lists and docs-only repositories.
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
    // Without a README the evidence names no file rather than one that is
    // not there.
    let readme_path = readme.map(|r| r.path).unwrap_or("");
    // Registry dumps: hundreds of JSON/YAML entries, little code.
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
    let registry_dump = data_files >= 200 && data_files > 5 * source_files;

    let mut examples_count = false;
    // Scans every shipped source for an entry point: only asked for where
    // the decision depends on it.
    let library = std::cell::OnceCell::new();
    let is_library = || *library.get_or_init(|| publishes_library(repo));
    let kind = if !core_servers.is_empty() {
        // A framework's own classes look like servers; its README or its
        // packaging says what it is meant for.
        if (mcp_mentioned || sdk_phrase.is_some()) && !server_phrase && is_library() {
            ev.add(
                "kind",
                "sdk",
                readme_path,
                0,
                "publishes a library and runs no program of its own",
                f_name_of_server(&core_servers),
            );
            Kind::Sdk
        } else if sdk_phrase.is_some() && !server_phrase {
            let p = sdk_phrase.clone().unwrap_or_default();
            ev.add(
                "kind",
                "sdk",
                readme_path,
                0,
                "README presents a library/SDK/framework",
                &p,
            );
            Kind::Sdk
        } else {
            let (f, rule, off) = core_servers[0];
            ev.add(
                "kind",
                "server",
                f.path,
                f.line_of(off),
                rule,
                f.line_text(off),
            );
            Kind::Server
        }
    } else if !example_servers.is_empty()
        && sdk_phrase.is_none()
        && list_phrase.is_none()
        && (clients.is_empty() || client_phrase.is_none())
    {
        let (f, rule, off) = example_servers[0];
        examples_count = true;
        ev.add(
            "kind",
            "server",
            f.path,
            f.line_of(off),
            &format!("{rule} (runnable example/template)"),
            f.line_text(off),
        );
        Kind::Server
    } else if sdk_phrase.is_some() && (mcp_mentioned || !example_servers.is_empty()) {
        ev.add(
            "kind",
            "sdk",
            readme_path,
            0,
            "README presents a library/SDK/framework",
            sdk_phrase.as_deref().unwrap_or(""),
        );
        Kind::Sdk
    } else if is_library() && builds_on_mcp(repo) {
        ev.add(
            "kind",
            "sdk",
            readme_path,
            0,
            "a published library built on an MCP SDK or implementing the protocol",
            "",
        );
        Kind::Sdk
    } else if registry_dump && mcp_mentioned {
        ev.add(
            "kind",
            "list",
            readme_path,
            0,
            "registry dump: hundreds of data entries, little code",
            &format!("{data_files} data files"),
        );
        Kind::List
    } else if list_phrase.is_some()
        && mcp_mentioned
        && (doc_bytes * 2 > code_bytes || title.to_ascii_lowercase().contains("awesome"))
    {
        ev.add(
            "kind",
            "list",
            readme_path,
            0,
            "README is a list/registry/specification",
            list_phrase.as_deref().unwrap_or(""),
        );
        Kind::List
    } else if !clients.is_empty() && is_library() {
        let (f, rule, off) = clients[0];
        ev.add(
            "kind",
            "sdk",
            f.path,
            f.line_of(off),
            &format!("{rule}, in a published library that runs no program"),
            f.line_text(off),
        );
        Kind::Sdk
    } else if !clients.is_empty() {
        let (f, rule, off) = clients[0];
        ev.add(
            "kind",
            "client",
            f.path,
            f.line_of(off),
            rule,
            f.line_text(off),
        );
        Kind::Client
    } else if let Some(p) = client_phrase.filter(|_| code_bytes > 0) {
        ev.add(
            "kind",
            "client",
            readme_path,
            0,
            "README presents an MCP client/host",
            &p,
        );
        Kind::Client
    } else if mcp_mentioned && doc_bytes > code_bytes {
        ev.add(
            "kind",
            "list",
            readme_path,
            0,
            "documentation only, about MCP",
            "no server or client code",
        );
        Kind::List
    } else {
        ev.add(
            "kind",
            "other",
            readme_path,
            0,
            "no Model Context Protocol server or client code",
            "",
        );
        Kind::Other
    };

    let mut sdk = BTreeSet::new();
    let mut server_roots = BTreeSet::new();
    if kind == Kind::Server {
        let servers = if core_servers.is_empty() {
            &example_servers
        } else {
            &core_servers
        };
        for (f, _, _) in servers {
            server_roots.insert(package_root(&manifest_dirs, f.path));
        }
        sdk = detect_sdk(repo, &server_roots, servers, examples_count, ev);
    }
    // Packages of a monorepo that only consume MCP (a chat app, a web UI)
    // hold the client's secrets, not the server's.
    let mut excluded = BTreeSet::new();
    let mut dirs: BTreeSet<String> = manifest_dirs.iter().map(|d| d.to_string()).collect();
    if kind == Kind::Server && !examples_count {
        let is_frontend = |dir: &str| {
            repo.files.iter().any(|f| {
                paths::parent_dir(f.path) == dir
                    && f.name_lower() == "package.json"
                    && FRONTEND.is_match(f.text)
                    && !BACKEND.is_match(f.text)
            })
        };
        let mut server_pkgs: BTreeSet<String> = BTreeSet::new();
        for (f, _, _) in &core_servers {
            let pkg = package_root(&manifest_dirs, f.path);
            if is_frontend(&pkg) && !is_web_route_handler(f.path) {
                // A server folder inside a web app: it is its own package.
                let own = paths::parent_dir(f.path).to_string();
                dirs.insert(own.clone());
                server_pkgs.insert(own);
                excluded.insert(pkg);
            } else {
                server_pkgs.insert(pkg);
            }
        }
        let client_pkgs: BTreeSet<String> = clients
            .iter()
            .map(|(f, _, _)| package_root(&manifest_dirs, f.path))
            .collect();
        let reachable = reachable_packages(repo, &manifest_dirs, &server_pkgs);
        for dir in &manifest_dirs {
            if server_pkgs.contains(*dir) {
                continue;
            }
            if is_frontend(dir) || client_pkgs.contains(*dir) {
                excluded.insert(dir.to_string());
            } else if !reachable.contains(*dir) {
                // Another package of a monorepo (a CLI, an SDK, a docs
                // site) that the servers do not depend on: its secrets are
                // not the server's.
                excluded.insert(dir.to_string());
            }
        }
    }
    KindResult {
        kind,
        sdk,
        server_roots,
        examples_count,
        manifest_dirs: dirs,
        excluded,
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
fn builds_on_mcp(repo: &Repo) -> bool {
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

fn f_name_of_server<'a>(servers: &[(&'a File, &str, usize)]) -> &'a str {
    servers.first().map(|(f, _, _)| f.path).unwrap_or("")
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

/// The repository is itself one of the MCP SDKs (its manifest publishes the
/// package others depend on).
fn defines_known_sdk(repo: &Repo) -> Option<String> {
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
            OWN.find(f.text)
                .map(|m| format!("{}: {}", f.path, m.as_str()))
        })
}

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
fn publishes_library(repo: &Repo) -> bool {
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
        // SwiftPM products: libraries and no executable.
        "package.swift" => {
            f.text.contains(".library(")
                && !f.text.contains(".executable(")
                && !f.text.contains(".executableTarget(")
        }
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

/// Where (if anywhere) a source file constructs an MCP server.
fn server_construct(f: &File) -> Option<(&'static str, usize)> {
    // Usage shown in doc comments (`* const server = new McpServer(`) is
    // how libraries document themselves, not a server.
    for (rule, r) in SERVER_RULES.iter() {
        if let Some(m) = r
            .find_iter(f.text)
            .find(|m| !crate::ctx::is_comment(f.line_text(m.start())))
        {
            return Some((*rule, m.start()));
        }
    }
    let [imp, new_server] = &*TS_LOWLEVEL;
    if imp.is_match(f.text) {
        if let Some(m) = new_server.find(f.text) {
            return Some(("ts low-level Server with the SDK server import", m.start()));
        }
    }
    let [_, _, io] = &*HAND_ROLLED;
    let off = json_rpc_dispatcher(f)?;
    io.is_match(f.text).then_some((
        "hand-rolled JSON-RPC server (dispatches tools/list, answers serverInfo)",
        off,
    ))
}

/// Where this file dispatches MCP methods itself and answers `serverInfo`,
/// and is neither a UI component nor an MCP client.
fn json_rpc_dispatcher(f: &File) -> Option<usize> {
    let [dispatch, info, _] = &*HAND_ROLLED;
    if f.has_ext(&["tsx", "jsx", "vue", "svelte"]) {
        return None;
    }
    let m = dispatch.find(f.text)?;
    (info.is_match(f.text) && !CLIENT_RULES.iter().any(|(_, r)| r.is_match(f.text)))
        .then_some(m.start())
}

fn detect_sdk(
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
            ev.add(
                "sdk",
                s.as_str(),
                f.path,
                f.line_of(*off),
                rule,
                f.line_text(*off),
            );
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
