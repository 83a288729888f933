//! Code that makes an MCP server or client: SDK constructors and
//! decorators, hand-rolled JSON-RPC dispatchers, Dockerfiles that run a
//! packaged server, and the few servers whose MCP code lives elsewhere (an
//! auth proxy, a registry entry, a Go server package, a Spring starter).

use std::sync::LazyLock;

use regex::Regex;

use super::readme::{readme_head, root_readme};
use crate::ctx::{in_docstring, re, triple_quote_ends, File, Repo};
use crate::paths::Role;

/// A construct: the file, the rule that matched and where.
pub type Hit<'a> = (&'a File<'a>, &'static str, usize);

/// The server and client constructs of a repository, by role.
pub struct Constructs<'a> {
    pub core_servers: Vec<Hit<'a>>,
    pub example_servers: Vec<Hit<'a>>,
    pub clients: Vec<Hit<'a>>,
}

/// Code that runs an MCP server, by language family.
pub(super) static SERVER_RULES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    vec![
        (
            "ts McpServer",
            re(
                r#"new\s+(?:McpServer|FastMCP|MCPServer)\s*(?:<[^>\n]{0,80}>)?\s*\(|extends\s+(?:McpAgent|MCPTool)\b|createMcpHandler\s*\(|McpAgent\.serve|McpServer\.create\s*\("#,
            ),
        ),
        (
            // xmcp registers tools from files by convention: a tool file
            // imports its schema and metadata types, the app its config
            // type, from the framework; no constructor is ever called.
            "ts xmcp app",
            re(
                r#"import\s+(?:type\s+)?\{[^}]*\b(?:XmcpConfig|InferSchema|ToolMetadata)\b[^}]*\}\s*from\s*['"]xmcp['"]"#,
            ),
        ),
        (
            "py mcp.server",
            re(
                r#"(?m)^[ \t]*from[ \t]+mcp\.server(?:\.fastmcp|\.lowlevel|\.mcpserver)?[ \t]+import[ \t]+[^\n]*\b(?:FastMCP|Server|MCPServer)\b|\bmcp\.server\.stdio\.stdio_server|^[ \t]*from[ \t]+mcp\.server\.stdio[ \t]+import"#,
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

/// The TS SDK's low-level `Server` class: only with the server import,
/// from `sdk/server/index` in v1 or from the `@modelcontextprotocol/server`
/// package that v2 split the server side into.
static TS_LOWLEVEL: LazyLock<[Regex; 2]> = LazyLock::new(|| {
    [
        re(
            r#"from\s+['"](?:npm:)?@modelcontextprotocol/(?:sdk/server/index(?:\.js)?|server)['"]|require\(\s*['"]@modelcontextprotocol/(?:sdk/server/index|server['"])"#,
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

/// Where code branches on an incoming JSON-RPC method name (C#'s
/// `string.Equals(method, "…")` and Java's `"…".equals(method)` included).
const DISPATCH_ON: &str = r#"case\s+["']METHOD["']|\bEquals\(\s*\w+\s*,\s*"METHOD"|"METHOD"\.equals(?:IgnoreCase)?\(\s*\w+\s*\)|(?:^|[^.\w])method\s*===?\s*["']METHOD["']|(?:req|request|msg|message|rpc|body|payload|data|r)\.method\s*===?\s*["']METHOD["']|["']METHOD["']\s*(?:=>|->)|["']METHOD["']\s*:\s*(?:self\.|this\.)?_?handle|["']METHOD["']\s*,\s*(?:self\.|this\.)?_?handle|when\s+["']METHOD["']"#;

/// Hand-rolled servers dispatch on the method name and answer serverInfo.
static HAND_ROLLED: LazyLock<[Regex; 3]> = LazyLock::new(|| {
    [
        re(&DISPATCH_ON.replace("METHOD", "tools/list")),
        re(r#"["']serverInfo["']|\bserverInfo\s*[:=]|server_info\b|ServerInfo\s*\{|"serverInfo"#),
        re(
            r#"(?i)stdin|readline|ListenAndServe|HttpListener|createServer|\.listen\(|app\.(?:post|route)|@app\.(?:post|route)|Console\.In|TcpListener|axum|actix|warp::|hyper::|http\.HandleFunc|uvicorn|aiohttp|flask|fastapi|express\(\)|WebApplication\.Create|\.Map(?:Post|Get)\s*\(|HttpServer\.create\(|@(?:Post|Request)Mapping\b|@RestController\b|@POST\b|@Path\(|\bJsonResponse\(|(?m:^\s*from\s+django\b)"#,
        ),
    ]
});

static CLIENT_RULES: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    vec![
        (
            "ts client import",
            re(
                r#"from\s+['"]@modelcontextprotocol/(?:sdk/)?client|StdioClientTransport|StreamableHTTPClientTransport|SSEClientTransport|experimental_createMCPClient|createMCPClient|@mastra/mcp|@ai-sdk/mcp|MultiServerMCPClient"#,
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
        (
            // The C# SDK connects through `McpClient.CreateAsync` (earlier
            // `McpClientFactory`) over its client transports.
            "c# client",
            re(
                r#"\bMcpClient(?:Factory)?\.CreateAsync\s*\(|\bnew\s+(?:SseClientTransport|HttpClientTransport)\s*\("#,
            ),
        ),
        (
            // The Java SDK's client builder and its client transports.
            "java client",
            re(
                r#"\bMcpClient\.(?:sync|async)\s*\(|HttpClientSseClientTransport|HttpClientStreamableHttpTransport"#,
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

/// A client that speaks JSON-RPC itself builds the requests only a client
/// sends: the handshake, listing or calling tools. A server answers them,
/// dispatching on the method name (`case "tools/list"`,
/// `method == "initialize"`), and never writes one as a field's value.
static CLIENT_REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"["']?\bmethod["']?\s*[:=]\s*["'](?:initialize|tools/list|tools/call)["']|\bMethod:\s*"(?:initialize|tools/list|tools/call)""#,
    )
});

/// Does this core file send MCP requests of its own, outside comments?
pub(super) fn sends_client_requests(f: &File) -> bool {
    f.role == Role::Core
        && f.is_source()
        && CLIENT_REQUEST
            .find_iter(f.text)
            .any(|m| !crate::ctx::is_comment(f.line_text(m.start())))
}

pub fn find<'a>(repo: &'a Repo<'a>) -> Constructs<'a> {
    let (mut found, generic_clients) = scan_files(repo);
    if found.core_servers.is_empty() {
        found.core_servers.extend(proxy_or_gateway(repo));
    }
    if found.core_servers.is_empty() && found.clients.is_empty() {
        found.core_servers.extend(
            registry_declaration(repo)
                .or_else(|| dispatcher_served_elsewhere(repo))
                .or_else(|| go_server_package(repo)),
        );
    }
    if found.core_servers.is_empty() {
        found.core_servers.extend(spring_server_starter(repo));
    }
    if found.clients.is_empty()
        && !generic_clients.is_empty()
        && repo
            .files
            .iter()
            .any(|f| f.is_source() && SPEAKS_MCP.is_match(f.text))
    {
        found.clients = generic_clients;
    }
    found
}

/// Server constructs in every shipped file, and client constructs in the
/// core code; classes merely named like a client come second.
fn scan_files<'a>(repo: &'a Repo<'a>) -> (Constructs<'a>, Vec<Hit<'a>>) {
    let mut found = Constructs {
        core_servers: Vec::new(),
        example_servers: Vec::new(),
        clients: Vec::new(),
    };
    let mut generic_clients: Vec<Hit> = Vec::new();
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
                    Role::Core => found.core_servers.push(hit),
                    _ => found.example_servers.push(hit),
                }
            }
            continue;
        }
        if !f.is_source() {
            continue;
        }
        if let Some((rule, off)) = server_construct(f) {
            match f.role {
                Role::Core => found.core_servers.push((f, rule, off)),
                _ => found.example_servers.push((f, rule, off)),
            }
        }
        if f.role == Role::Core {
            let in_code = |m: &regex::Match| !crate::ctx::is_comment(f.line_text(m.start()));
            let client = CLIENT_RULES
                .iter()
                .find_map(|(rule, r)| r.find_iter(f.text).find(in_code).map(|m| (*rule, m)));
            if let Some((rule, m)) = client {
                found.clients.push((f, rule, m.start()));
            } else if let Some(m) = GENERIC_CLIENT.find_iter(f.text).find(in_code) {
                generic_clients.push((f, "MCP client class", m.start()));
            }
        }
    }
    (found, generic_clients)
}

/// An auth proxy or gateway that fronts an MCP server exposes an MCP
/// endpoint without an MCP SDK: its README calls it one and its code
/// forwards HTTP traffic.
fn proxy_or_gateway<'a>(repo: &'a Repo<'a>) -> Option<Hit<'a>> {
    let lead = root_readme(repo)
        .map(|r| readme_head(r.text, 4))
        .unwrap_or_default();
    if !MCP_PROXY_PHRASE.is_match(&lead) {
        return None;
    }
    repo.files
        .iter()
        .filter(|f| f.role == Role::Core && f.is_source())
        .find_map(|f| REVERSE_PROXY.find(f.text).map(|m| (f, m)))
        .map(|(f, m)| {
            (
                f,
                "MCP auth proxy/gateway forwarding to an MCP server",
                m.start(),
            )
        })
}

/// Publishing to the official MCP registry names the server: a
/// `server.json` of the registry's schema, or the ownership markers the
/// registry checks (`mcpName` in package.json, `mcp-name:` in a PyPI
/// README, the `io.modelcontextprotocol.server.name` image label). A
/// server whose code lives in a dependency is still one.
fn registry_declaration<'a>(repo: &'a Repo<'a>) -> Option<Hit<'a>> {
    repo.files
        .iter()
        .filter(|f| !f.path.contains('/'))
        .find_map(|f| REGISTRY_DECLARATION.find(f.text).map(|m| (f, m)))
        .map(|(f, m)| (f, "published to the MCP registry as a server", m.start()))
}

/// A hand-rolled JSON-RPC dispatcher whose transport lives in another
/// file: a serverless function (Vercel, Netlify, Lambda, Workers) or an
/// HTTP app hands each request body to it.
fn dispatcher_served_elsewhere<'a>(repo: &'a Repo<'a>) -> Option<Hit<'a>> {
    let [_, _, io] = &*HAND_ROLLED;
    // The dispatcher is rare; look for it before scanning for I/O.
    let (f, off) = repo
        .files
        .iter()
        .filter(|f| f.role == Role::Core && f.is_source())
        .find_map(|f| json_rpc_dispatcher(f).map(|off| (f, off)))?;
    let serves = repo.files.iter().any(|g| {
        g.role == Role::Core
            && g.is_source()
            && (io.is_match(g.text) || crate::transport::SERVERLESS_ENTRY.is_match(g.text))
    });
    serves.then_some((
        f,
        "hand-rolled JSON-RPC server (dispatches tools/list, answers serverInfo; served from another file)",
        off,
    ))
}

/// A Go program built on an MCP library the catalogue does not list: it
/// imports that library's `server` package (`…/mcp/server`,
/// `…/mcp-protocol/server`) and has a `main`.
fn go_server_package<'a>(repo: &'a Repo<'a>) -> Option<Hit<'a>> {
    let own = repo
        .files
        .iter()
        .find(|f| f.path == "go.mod")
        .and_then(|f| GO_MODULE.captures(f.text))
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().to_string());
    let is_main = |f: &File| f.text.contains("package main") && f.text.contains("func main(");
    let go_core = || {
        repo.files
            .iter()
            .filter(|f| f.role == Role::Core && f.has_ext(&["go"]))
    };
    if !go_core().any(is_main) {
        return None;
    }
    go_core()
        .find_map(|f| {
            GO_MCP_SERVER_IMPORT
                .captures_iter(f.text)
                .find(|c| own.as_deref().is_none_or(|o| !c[1].starts_with(o)))
                .and_then(|c| c.get(0))
                .map(|m| (f, m))
        })
        .map(|(f, m)| {
            (
                f,
                "Go program importing an MCP library's server package",
                m.start(),
            )
        })
}

/// Spring AI's MCP server starters turn a Spring Boot application into an
/// MCP server: they auto-configure the transport and expose every tool
/// callback bean, so the application itself may hold no MCP call.
fn spring_server_starter<'a>(repo: &'a Repo<'a>) -> Option<Hit<'a>> {
    let (f, m) = repo
        .files
        .iter()
        .filter(|f| f.role == Role::Core && is_jvm_build(f))
        .find_map(|f| SPRING_MCP_SERVER_STARTER.find(f.text).map(|m| (f, m)))?;
    repo.files
        .iter()
        .any(|f| f.role == Role::Core && f.is_source() && f.text.contains("@SpringBootApplication"))
        .then_some((
            f,
            "Spring Boot application with Spring AI's MCP server starter",
            m.start(),
        ))
}

/// Where (if anywhere) a source file constructs an MCP server.
pub(super) fn server_construct(f: &File) -> Option<(&'static str, usize)> {
    // Usage shown in doc comments (`* const server = new McpServer(`) or
    // in a Python docstring is how libraries document themselves, not a
    // server; code inside a template string is what a scaffolding tool
    // writes out, not runs.
    let templates = template_literal_quotes(f);
    let docstrings = triple_quote_ends(f);
    for (rule, r) in SERVER_RULES.iter() {
        if let Some(m) = r.find_iter(f.text).find(|m| {
            !crate::ctx::is_comment(f.line_text(m.start()))
                && templates.partition_point(|q| *q < m.start()) % 2 == 0
                && !in_docstring(&docstrings, m.start())
        }) {
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

/// Where the backticks of a JavaScript or TypeScript file's template
/// strings are (none for other languages): an offset after an odd number of
/// them is inside a string.
fn template_literal_quotes(f: &File) -> Vec<usize> {
    if !matches!(f.lang, Some("TypeScript" | "JavaScript")) {
        return Vec::new();
    }
    let bytes = f.text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'`' && (*i == 0 || bytes[i - 1] != b'\\'))
        .map(|(i, _)| i)
        .collect()
}

/// Where this file dispatches MCP methods itself and answers `serverInfo`,
/// and is neither a UI component nor an MCP client.
pub(super) fn json_rpc_dispatcher(f: &File) -> Option<usize> {
    let [dispatch, info, _] = &*HAND_ROLLED;
    if f.has_ext(&["tsx", "jsx", "vue", "svelte"]) {
        return None;
    }
    // Only a server answers `initialize`: a client sends it. Dispatching
    // it beside `tools/list` says as much as building `serverInfo` here,
    // which a router may leave to the handler it calls.
    static INITIALIZE: LazyLock<Regex> =
        LazyLock::new(|| re(&DISPATCH_ON.replace("METHOD", "initialize")));
    // Answering `initialize` with `serverInfo` is the server's half of the
    // handshake on its own, wherever `tools/list` is dispatched from.
    let answers_info = info.is_match(f.text);
    let initialize = INITIALIZE.find(f.text);
    let at = match dispatch.find(f.text) {
        Some(m) if answers_info || initialize.is_some() => m.start(),
        _ => initialize.filter(|_| answers_info)?.start(),
    };
    (!CLIENT_RULES.iter().any(|(_, r)| r.is_match(f.text))).then_some(at)
}
