//! How the servers talk to their clients: stdio, streamable HTTP, SSE.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use mcp_survey_model::{Sdk, Transport};
use regex::Regex;

use crate::ctx::{Ev, File};

use crate::ctx::re;

static RULES: LazyLock<Vec<(Transport, &'static str, Regex)>> = LazyLock::new(|| {
    vec![
        (
            Transport::Stdio,
            "stdio server transport",
            re(
                r#"StdioServerTransport|stdio_server\s*\(|ServeStdio\s*\(|mcp\.StdioTransport|StdioTransport\s*[({]|WithStdioServerTransport|\.serve\(\s*(?:rmcp::transport::)?stdio\(\)|transport-io|transport\s*=\s*["']stdio["']|["']stdio["']\s*[,)\]:]|spring\.ai\.mcp\.server\.stdio\s*[=:]\s*true|web-application-type\s*[=:]\s*["']?none\b|stdio:\s*true|run_stdio_async|StdioServerTransportProvider|serve_stdio|stdio\(\)"#,
            ),
        ),
        (
            Transport::Http,
            "streamable HTTP transport",
            re(
                r#"(?i)StreamableHTTPServerTransport|streamable[-_]?http|StreamableHttp(?:Server|Handler|Service)|WithHttpTransport|NewStreamableHTTPServer|transport\s*=\s*["']http["']|http_app\s*\(|@hono/mcp|protocol\s*[=:]\s*STREAMABLE|protocol\s*[=:]\s*STATELESS|mcp-server-webmvc|WebMvcStreamable|StreamableHTTPSessionManager|httputil\.NewSingleHostReverseProxy|httputil\.ReverseProxy\b|createProxyMiddleware\s*\(|createMcpHandler\s*\("#,
            ),
        ),
        (
            Transport::Sse,
            "SSE transport",
            re(
                r#"SSEServerTransport|SseServerTransport|sse_app\s*\(|NewSSEServer|transport\s*=\s*["']sse["']|["']sse["']\s*[,)\]:]|SseServer|transport-sse-server|WebFluxSseServerTransport|WebMvcSseServerTransport|protocol\s*[=:]\s*SSE\b|SseServerTransportProvider|"/sse""#,
            ),
        ),
    ]
});

/// FastMCP's `run()` without arguments serves stdio.
static DEFAULT_STDIO: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?m)\b(?:mcp|server|app)\.run\(\s*\)|\.run_stdio_async\(|mcp\.run\(\s*transport=args"#)
});

/// Reading requests line by line from standard input.
static STDIN_READ: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"process\.stdin|sys\.stdin|readline\.createInterface|os\.Stdin|io::stdin\(|Console\.In\b|Console\.ReadLine|OpenStandardInput|System\.in\b|\$stdin|STDIN"#,
    )
});

/// Serving HTTP: a listener, a web framework's route, or a serverless
/// function's request handler.
static HTTP_HANDLER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"\.listen\(|ListenAndServe|createServer\(|app\.(?:post|route)\(|@app\.(?:post|route)\(|HttpListener|axum::|actix_web|uvicorn|Flask\(|FastAPI\(|express\(\)|new\s+Hono\("#,
    )
});

/// Request handlers of serverless platforms: Vercel and Next.js route
/// handlers, Netlify and AWS Lambda functions, Cloudflare Workers.
pub(crate) static SERVERLESS_ENTRY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"export\s+default\s+(?:async\s+)?function\s+handler\s*\(|export\s+(?:async\s+)?function\s+(?:POST|GET)\s*\(|exports\.handler\s*=|export\s+(?:const|async function)\s+handler\b|def\s+lambda_handler\s*\(|export\s+default\s*\{\s*(?:async\s+)?fetch\s*\("#,
    )
});

pub fn detect(files: &[&File], sdk: &BTreeSet<Sdk>, ev: &mut Ev) -> BTreeSet<Transport> {
    let mut out = BTreeSet::new();
    for f in files {
        let is_config = !f.is_source();
        for (t, rule, r) in RULES.iter() {
            if out.contains(t) {
                continue;
            }
            // Config files only name protocols in the Spring/Cargo forms.
            if is_config
                && !(f.has_ext(&["properties", "yml", "yaml", "xml", "gradle", "kts"])
                    || f.name_lower() == "cargo.toml")
            {
                continue;
            }
            if let Some(m) = r
                .find_iter(f.text)
                .find(|m| !crate::ctx::is_comment(f.line_text(m.start())))
            {
                ev.at("transport", t.as_str(), f, m.start(), rule);
                out.insert(*t);
            }
        }
        if !out.contains(&Transport::Stdio) && f.is_source() {
            if let Some(m) = DEFAULT_STDIO.find(f.text) {
                ev.at(
                    "transport",
                    "stdio",
                    f,
                    m.start(),
                    "server run() defaults to stdio",
                );
                out.insert(Transport::Stdio);
            }
        }
    }
    if out.is_empty() {
        // Every SDK's default is stdio; Spring AI's web starters are HTTP.
        // A hand-rolled server speaks whatever its own I/O is: an HTTP
        // handler that never reads stdin takes JSON-RPC over HTTP posts.
        let t = if sdk.contains(&Sdk::SpringAi) {
            Transport::Sse
        } else if sdk.contains(&Sdk::HandRolled)
            && !files
                .iter()
                .any(|f| f.is_source() && STDIN_READ.is_match(f.text))
            && files.iter().any(|f| {
                f.is_source()
                    && (HTTP_HANDLER.is_match(f.text) || SERVERLESS_ENTRY.is_match(f.text))
            })
        {
            Transport::Http
        } else {
            Transport::Stdio
        };
        out.insert(t);
        ev.add(
            "transport",
            t.as_str(),
            "",
            0,
            "default transport of the SDK",
            "",
        );
    }
    out
}
