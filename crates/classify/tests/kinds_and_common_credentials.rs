//! What a repository is (server, client, SDK, list, other) and the most
//! common ways a server takes a secret, one small synthetic repository per
//! rule plus the negatives a keyword crawler meets; also what `load_dir`
//! and `wants` read. All fixtures are written for these tests.

mod common;

use common::run;
use mcp_survey_classify::{load_dir, wants, CLASSIFIER_VERSION, MAX_FILE_BYTES};
use mcp_survey_model::{AuthMethod, CredentialSource, Credentials, Kind, Sdk, Transport};

const TS_PACKAGE: &str = r#"{ "name": "weather-mcp", "bin": {"weather-mcp": "dist/index.js"},
  "dependencies": { "@modelcontextprotocol/sdk": "^1.12.0", "zod": "^3" } }"#;

#[test]
fn ts_server_requiring_an_api_key_from_env() {
    let index = r#"import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";

const apiKey = process.env.WEATHERLY_API_KEY;
if (!apiKey) {
  console.error("WEATHERLY_API_KEY is required");
  process.exit(1);
}
const server = new McpServer({ name: "weather", version: "1.0.0" });
await server.connect(new StdioServerTransport());
"#;
    let v = run(&[
        ("package.json", TS_PACKAGE),
        ("src/index.ts", index),
        (
            "README.md",
            "# Weather MCP server\nAn MCP server for forecasts.\n",
        ),
    ]);
    let l = &v.labels;
    assert_eq!(l.kind, Kind::Server);
    assert_eq!(l.language, "TypeScript");
    assert!(l.sdk.contains(&Sdk::TsOfficial));
    assert!(l.transport.contains(&Transport::Stdio));
    assert_eq!(l.credentials, Credentials::Required);
    assert!(l.auth_methods.contains(&AuthMethod::ApiKey));
    assert!(l.credential_sources.contains(&CredentialSource::Env));
    assert!(l.env_vars.contains("WEATHERLY_API_KEY"));
    // Every label value has evidence.
    for field in [
        "kind",
        "sdk",
        "transport",
        "auth_methods",
        "credential_sources",
        "env_vars",
    ] {
        assert!(
            v.evidence.iter().any(|e| e.field == field),
            "no evidence for {field}"
        );
    }
    let e = v
        .evidence
        .iter()
        .find(|e| e.field == "env_vars")
        .expect("env evidence");
    assert_eq!(e.file, "src/index.ts");
    assert_eq!(e.line, 4);
}

#[test]
fn optional_token_that_only_raises_rate_limits() {
    let server = r#"from mcp.server.fastmcp import FastMCP
import os

mcp = FastMCP("papers")
TOKEN = os.getenv("PAPERINDEX_TOKEN")

def headers():
    if TOKEN:
        return {"Authorization": f"Bearer {TOKEN}"}
    return {}

if __name__ == "__main__":
    mcp.run()
"#;
    let readme = "# Papers MCP server\nA Model Context Protocol server for papers.\n\n| Variable | Description |\n|---|---|\n| `PAPERINDEX_TOKEN` | Optional. Gives higher rate limits. |\n";
    let v = run(&[
        (
            "pyproject.toml",
            "[project]\nname = \"papers-mcp\"\ndependencies = [\"mcp[cli]>=1.2\"]\n",
        ),
        ("src/papers/server.py", server),
        ("README.md", readme),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert_eq!(v.labels.language, "Python");
    assert!(v.labels.sdk.contains(&Sdk::PyOfficial));
    assert_eq!(v.labels.credentials, Credentials::Optional);
    assert!(v.labels.env_vars.contains("PAPERINDEX_TOKEN"));
    // The outbound Authorization header is not a per-request credential.
    assert!(!v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
}

#[test]
fn keyless_server_needs_nothing() {
    let server = r#"from fastmcp import FastMCP
mcp = FastMCP("calc")

@mcp.tool
def add(a: int, b: int) -> int:
    return a + b

mcp.run()
"#;
    let v = run(&[
        (
            "pyproject.toml",
            "[project]\nname = \"calc\"\ndependencies = [\"fastmcp>=2\"]\n",
        ),
        ("calc/server.py", server),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.sdk.contains(&Sdk::Fastmcp));
    assert!(!v.labels.sdk.contains(&Sdk::PyOfficial));
    assert_eq!(v.labels.credentials, Credentials::None);
    assert!(v.labels.auth_methods.is_empty());
    assert!(v.labels.env_vars.is_empty());
}

#[test]
fn go_server_with_personal_access_token() {
    let main = r#"package main

import (
	"log"
	"os"

	"github.com/mark3labs/mcp-go/server"
)

func main() {
	token := os.Getenv("FORGEHUB_PERSONAL_ACCESS_TOKEN")
	if token == "" {
		log.Fatal("FORGEHUB_PERSONAL_ACCESS_TOKEN not set")
	}
	s := server.NewMCPServer("forge", "1.0.0")
	server.ServeStdio(s)
}
"#;
    let v = run(&[
        (
            "go.mod",
            "module example.com/forge\n\nrequire github.com/mark3labs/mcp-go v0.30.0\n",
        ),
        ("main.go", main),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert_eq!(v.labels.language, "Go");
    assert!(v.labels.sdk.contains(&Sdk::McpGo));
    assert_eq!(v.labels.credentials, Credentials::Required);
    assert!(v.labels.auth_methods.contains(&AuthMethod::Pat));
    assert!(!v.labels.auth_methods.contains(&AuthMethod::ApiKey));
}

#[test]
fn rust_clap_flag_with_env_fallback_and_password() {
    let main = r#"use clap::Parser;
use rmcp::{ServiceExt, transport::stdio};

#[derive(Parser)]
struct Args {
    /// Password of the hypervisor API user
    #[arg(long, env = "HYPERV_PASSWORD")]
    password: String,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let service = Hyper::new(args.password).serve(stdio()).await?;
    Ok(())
}
"#;
    let v = run(&[
        ("Cargo.toml", "[package]\nname = \"hyper-mcp\"\n\n[dependencies]\nrmcp = { version = \"0.8\", features = [\"transport-io\"] }\n"),
        ("src/main.rs", main),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.sdk.contains(&Sdk::RustRmcp));
    assert!(v.labels.auth_methods.contains(&AuthMethod::Basic));
    assert!(v.labels.credential_sources.contains(&CredentialSource::Env));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::CliArg));
    assert!(v.labels.env_vars.contains("HYPERV_PASSWORD"));
}

#[test]
fn connection_string_from_env() {
    let index = r#"import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import pg from "pg";
const url = process.env.DATABASE_URL;
if (!url) throw new Error("DATABASE_URL must be set, e.g. postgres://user:pass@host/db");
const server = new Server({ name: "pg", version: "0.1.0" }, { capabilities: { tools: {} } });
"#;
    let v = run(&[("package.json", TS_PACKAGE), ("src/index.ts", index)]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert_eq!(v.labels.credentials, Credentials::Required);
    assert!(v
        .labels
        .auth_methods
        .contains(&AuthMethod::ConnectionString));
    assert!(v.labels.env_vars.contains("DATABASE_URL"));
}

#[test]
fn oauth_resource_server_takes_bearer_tokens_per_request() {
    let index = r#"import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import { mcpAuthMetadataRouter } from "@modelcontextprotocol/sdk/server/auth/router.js";

app.use(mcpAuthMetadataRouter({ oauthMetadata, resourceServerUrl }));
app.get("/.well-known/oauth-protected-resource", metadataHandler);
app.post("/mcp", requireBearerAuth({ verifier }), handler);
const server = new McpServer({ name: "notes", version: "1.0.0" });
"#;
    let v = run(&[("package.json", TS_PACKAGE), ("src/index.ts", index)]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.transport.contains(&Transport::Http));
    assert!(v.labels.auth_methods.contains(&AuthMethod::Oauth));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn hardcoded_github_token_is_masked_in_evidence() {
    let secret = "ghp_Zx8Qw2Er4Ty6Ui8Op0As2Df4Gh6Jk8Lz1Xc3";
    let index = format!(
        "import {{ McpServer }} from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst GITHUB_TOKEN = \"{secret}\";\nconst server = new McpServer({{ name: \"gh\", version: \"1\" }});\n"
    );
    let v = run(&[
        ("package.json", TS_PACKAGE),
        ("src/index.ts", index.as_str()),
    ]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Hardcoded));
    let e = v
        .evidence
        .iter()
        .find(|e| e.value == "hardcoded")
        .expect("hardcoded evidence");
    assert!(e.matched.starts_with("ghp_"));
    assert!(e.matched.contains("len 40"));
    let json = serde_json::to_string(&v).expect("serialises");
    assert!(
        !json.contains(&secret[4..]),
        "the secret leaked into the verdict"
    );
}

#[test]
fn mcp23017_driver_is_other() {
    let v = run(&[
        ("README.md", "# Adafruit-style MCP23017 Library\nThis is a library for the MCP23017 I2C port expander.\n"),
        ("src/MCP23017.cpp", "#include \"MCP23017.h\"\nvoid MCP23017::begin() { Wire.begin(); }\n"),
        ("src/MCP23017.h", "class MCP23017 { public: void begin(); };\n"),
    ]);
    assert_eq!(v.labels.kind, Kind::Other);
    assert_eq!(v.labels.language, "C++");
    assert_eq!(v.labels.credentials, Credentials::None);
    assert!(v.labels.sdk.is_empty());
}

#[test]
fn minecraft_coder_pack_tool_is_other() {
    let v = run(&[
        (
            "README.md",
            "# MCInjector\nPublic tools from the MCP team (Mod Coder Pack) for Minecraft.\n",
        ),
        (
            "src/main/java/de/mcp/Injector.java",
            "package de.mcp;\npublic class Injector { public static void main(String[] a) {} }\n",
        ),
    ]);
    assert_eq!(v.labels.kind, Kind::Other);
    assert_eq!(v.labels.language, "Java");
}

#[test]
fn awesome_list_is_list() {
    let readme = "# Awesome MCP Servers\nA curated list of Model Context Protocol servers.\n\n- [fs](https://github.com/a/fs) - files\n- [git](https://github.com/a/git) - git\n";
    let v = run(&[
        ("README.md", readme),
        ("CONTRIBUTING.md", "Open a pull request.\n"),
    ]);
    assert_eq!(v.labels.kind, Kind::List);
    assert_eq!(v.labels.language, "Markdown");
}

#[test]
fn client_using_client_session_is_client() {
    let app = r#"from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

async def main():
    async with stdio_client(StdioServerParameters(command="npx", args=["srv"])) as (r, w):
        async with ClientSession(r, w) as session:
            await session.initialize()
"#;
    let v = run(&[
        (
            "pyproject.toml",
            "[project]\nname = \"chat\"\ndependencies = [\"mcp>=1.0\"]\n",
        ),
        ("chat/app.py", app),
        (
            "README.md",
            "# Chat\nA terminal chat that connects to MCP servers.\n",
        ),
    ]);
    assert_eq!(v.labels.kind, Kind::Client);
    assert!(
        v.labels.sdk.is_empty(),
        "per-server fields stay empty for clients"
    );
}

#[test]
fn ts_client_with_stdio_client_transport_is_client() {
    let app = "import { Client } from \"@modelcontextprotocol/sdk/client/index.js\";\nimport { StdioClientTransport } from \"@modelcontextprotocol/sdk/client/stdio.js\";\nconst client = new Client({ name: \"c\", version: \"1\" });\n";
    let v = run(&[("package.json", TS_PACKAGE), ("src/app.ts", app)]);
    assert_eq!(v.labels.kind, Kind::Client);
}

#[test]
fn sdk_library_with_toy_examples_is_sdk() {
    let readme = "# Acme MCP SDK for Zig\nA library for building Model Context Protocol servers and clients.\n";
    let lib = "pub const Server = struct { name: []const u8 };\n";
    let example = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"echo\")\n";
    let v = run(&[
        ("README.md", readme),
        ("src/server.zig", lib),
        ("examples/echo/server.py", example),
    ]);
    assert_eq!(v.labels.kind, Kind::Sdk);
}

#[test]
fn runnable_example_server_counts_without_sdk_wording() {
    let example = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"echo\")\nmcp.run()\n";
    let v = run(&[
        ("README.md", "# Echo demo\nTry the echo server.\n"),
        ("examples/echo/server.py", example),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
}

#[test]
fn hand_rolled_json_rpc_server() {
    let main = r#"package main

import ("bufio"; "os"; "encoding/json")

func main() {
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		var req Request
		json.Unmarshal(scanner.Bytes(), &req)
		switch req.Method {
		case "initialize":
			reply(map[string]any{"protocolVersion": "2024-11-05", "serverInfo": info})
		case "tools/list":
			reply(tools)
		}
	}
}
"#;
    let v = run(&[("go.mod", "module example.com/x\n"), ("main.go", main)]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.sdk.contains(&Sdk::HandRolled));
    assert!(v.labels.transport.contains(&Transport::Stdio));
}

#[test]
fn inbound_static_bearer_token_is_api_key_from_env_and_request() {
    let index = r#"import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
const expected = process.env.MCP_AUTH_TOKEN;
app.use((req, res, next) => {
  if (req.headers.authorization !== `Bearer ${expected}`) return res.status(401).end();
  next();
});
const server = new McpServer({ name: "x", version: "1" });
"#;
    let v = run(&[("package.json", TS_PACKAGE), ("src/http.ts", index)]);
    assert!(v.labels.auth_methods.contains(&AuthMethod::ApiKey));
    assert!(v.labels.credential_sources.contains(&CredentialSource::Env));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
    assert!(v.labels.env_vars.contains("MCP_AUTH_TOKEN"));
}

#[test]
fn secrets_only_in_tests_do_not_count() {
    let server = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"t\")\nmcp.run()\n";
    let test = "import os\nKEY = os.environ[\"OPENAI_API_KEY\"]\n";
    let v = run(&[
        (
            "pyproject.toml",
            "[project]\nname = \"t\"\ndependencies = [\"mcp\"]\n",
        ),
        ("t/server.py", server),
        ("tests/test_server.py", test),
        ("scripts/eval.py", test),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert_eq!(v.labels.credentials, Credentials::None);
    assert!(v.labels.env_vars.is_empty());
}

#[test]
fn cloud_credential_chain_is_cloud_iam() {
    let server = "import boto3\nfrom mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"s3\")\nsession = boto3.Session(profile_name=os.getenv(\"AWS_PROFILE\"))\nmcp.run()\n";
    let v = run(&[
        (
            "pyproject.toml",
            "[project]\nname = \"s3\"\ndependencies = [\"mcp\", \"boto3\"]\n",
        ),
        ("s3/server.py", server),
    ]);
    assert!(v.labels.auth_methods.contains(&AuthMethod::CloudIam));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
    assert!(
        !v.labels.env_vars.contains("AWS_PROFILE"),
        "a profile name is not a secret"
    );
}

#[test]
fn classify_is_deterministic_and_order_independent() {
    let files = [
        ("package.json", TS_PACKAGE),
        ("src/a.ts", "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst k = process.env.FOO_API_KEY;\nnew McpServer({});\n"),
        ("src/b.ts", "const t = process.env.BAR_TOKEN;\n"),
    ];
    let a = run(&files);
    let mut rev = files;
    rev.reverse();
    let b = run(&rev);
    assert_eq!(a, b);
    assert!(!CLASSIFIER_VERSION.is_empty());
}

#[test]
fn wants_filters_dependencies_and_output() {
    assert!(wants("src/server.py"));
    assert!(wants("smithery.yaml"));
    assert!(wants(".env.example"));
    assert!(!wants(
        "node_modules/@modelcontextprotocol/sdk/dist/server/index.js"
    ));
    assert!(!wants("web/app.min.js"));
    assert!(!wants("assets/logo.png"));
}

#[test]
fn load_dir_applies_wants_size_and_binary_filters() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).expect("mkdir");
    std::fs::create_dir_all(root.join("node_modules/x")).expect("mkdir");
    std::fs::write(root.join("src/index.ts"), "export const a = 1;\n").expect("write");
    std::fs::write(root.join("node_modules/x/index.js"), "x").expect("write");
    std::fs::write(root.join("src/blob.ts"), b"a\0b").expect("write");
    // A file past the cap keeps its head, cut after the last whole line.
    let line = format!("{}\n", "a".repeat(99));
    let big = line.repeat(MAX_FILE_BYTES as usize / 100 + 10);
    std::fs::write(root.join("src/big.ts"), &big).expect("write");
    std::fs::write(root.join("README.md"), "# hi\n").expect("write");
    let files = load_dir(root).expect("loads");
    let paths: Vec<&str> = files.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, vec!["README.md", "src/big.ts", "src/index.ts"]);
    let head = &files.files[1].text;
    assert!(head.len() as u64 <= MAX_FILE_BYTES, "{}", head.len());
    assert!(head.len() as u64 > MAX_FILE_BYTES - 100);
    assert!(head.ends_with('\n') && big.starts_with(head.as_str()));
    assert!(load_dir(&root.join("missing")).is_err());
}

/// Evidence cites only files the repository has: an empty checkout, or one
/// without a README, gets evidence that names no file.
#[test]
fn evidence_never_cites_a_file_the_repository_lacks() {
    for files in [
        &[][..],
        &[("main.go", "package main\n\nfunc main() {}\n")][..],
    ] {
        let v = run(files);
        assert_eq!(v.labels.kind, Kind::Other);
        for e in &v.evidence {
            assert!(
                e.file.is_empty() || files.iter().any(|(p, _)| *p == e.file),
                "{e:?} cites a file not in {files:?}"
            );
        }
        assert!(!v.evidence.is_empty(), "the kind is explained");
    }
}

#[test]
fn a_router_dispatching_initialize_and_tools_list_is_a_hand_rolled_server() {
    let router = "use axum::{Json, Router, routing::post};\n\nasync fn rpc(Json(req): Json<Request>) -> Json<Response> {\n    match req.method.as_str() {\n        \"initialize\" => Json(handlers::initialize(req.id)),\n        \"tools/list\" => Json(handlers::tools(req.id)),\n        \"tools/call\" => Json(handlers::call(req.id, req.params)),\n        _ => Json(Response::method_not_found(req.id)),\n    }\n}\n\npub fn app() -> Router {\n    Router::new().route(\"/mcp\", post(rpc))\n}\n";
    let v = run(&[
        (
            "Cargo.toml",
            "[package]\nname = \"relay\"\n[dependencies]\naxum = \"0.8\"\n",
        ),
        ("src/router.rs", router),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(
        v.labels.sdk.contains(&Sdk::HandRolled),
        "{:?}",
        v.labels.sdk
    );
    // Negative: a client that sends both methods dispatches neither.
    let client = "use reqwest::Client;\n\npub async fn probe(c: &Client) {\n    send(c, \"initialize\").await;\n    send(c, \"tools/list\").await;\n}\n";
    let v = run(&[
        (
            "Cargo.toml",
            "[package]\nname = \"relay\"\n[dependencies]\nreqwest = \"0.12\"\n",
        ),
        ("src/probe.rs", client),
    ]);
    assert_ne!(v.labels.kind, Kind::Server);
}

#[test]
fn a_tutorial_site_about_mcp_with_no_server_of_its_own_is_a_list() {
    let readme = "# FastMCP Tutorial\n\nA translated tutorial site for building MCP servers, rendered with Next.js.\n";
    let page = "export default function Page({ params }: { params: { file: string } }) {\n  return <article>{render(params.file)}</article>;\n}\n";
    let pkg =
        r#"{ "name": "fastmcp-tutorial", "private": true, "dependencies": { "next": "15.0.0" } }"#;
    let v = run(&[
        ("README.md", readme),
        ("package.json", pkg),
        ("src/app/page.tsx", page),
    ]);
    assert_eq!(v.labels.kind, Kind::List);
    // A chip's part number is no MCP: its docs are a driver's.
    let chip = "# Adafruit MCP23017 Arduino Library [![Docs](https://example.org/badge.svg)]\n\nDriver for the MCP23017 I2C GPIO expander.\n";
    let v = run(&[
        ("README.md", chip),
        ("src/Adafruit_MCP23X17.cpp", "#include \"Adafruit_MCP23X17.h\"\nbool Adafruit_MCP23X17::begin_I2C() { return true; }\n"),
    ]);
    assert_eq!(v.labels.kind, Kind::Other);
    // A tutorial that ships a runnable server is a server.
    let server = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"notes\")\n\n@mcp.tool()\ndef add(a: int, b: int) -> int:\n    return a + b\n\nif __name__ == \"__main__\":\n    mcp.run()\n";
    let v = run(&[
        ("README.md", readme),
        (
            "pyproject.toml",
            "[project]\nname = \"notes\"\ndependencies = [\"mcp\"]\n",
        ),
        ("server.py", server),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
}

#[test]
fn a_repository_named_as_an_sdk_is_an_sdk_even_with_server_classes() {
    let server = "using ModelContextProtocol.Server;\nvar server = new McpServer(options);\nawait server.RunAsync();\n";
    let files = [
        (
            "README.md",
            "# Acme MCP\n\nTools for Model Context Protocol servers in several languages.\n",
        ),
        (
            "dotnet/Acme.Mcp.csproj",
            "<Project Sdk=\"Microsoft.NET.Sdk.Web\"></Project>",
        ),
        ("dotnet/Server.cs", server),
    ];
    let v = common::run_named(Some("acme/mcp-sdk"), &files);
    assert_eq!(v.labels.kind, Kind::Sdk);
    // The same code under another name is a server.
    let v = common::run_named(Some("acme/mcp-tools"), &files);
    assert_eq!(v.labels.kind, Kind::Server);
}

#[test]
fn a_swift_package_whose_products_are_libraries_is_an_sdk_despite_its_macro_and_tool_targets() {
    let manifest = |products: &str| {
        format!(
            "// swift-tools-version: 6.0\nimport PackageDescription\nlet package = Package(\n    name: \"EasyMCP\",\n    products: [\n{products}    ],\n    dependencies: [.package(url: \"https://github.com/modelcontextprotocol/swift-sdk\", from: \"0.9.0\")],\n    targets: [\n        .target(name: \"EasyMCP\", dependencies: [.product(name: \"MCP\", package: \"swift-sdk\")]),\n        .macro(name: \"EasyMCPMacros\"),\n        .executableTarget(name: \"EasyMCPGen\", path: \"Tools/EasyMCPGen\"),\n    ]\n)\n"
        )
    };
    let server = "import MCP\n\npublic final class EasyServer {\n    public let server = Server(name: \"easy\", version: \"1.0.0\")\n}\n";
    let macro_impl = "import SwiftCompilerPlugin\nimport SwiftSyntaxMacros\n\n@main\nstruct EasyMCPPlugin: CompilerPlugin {\n    let providingMacros: [Macro.Type] = []\n}\n";
    let generator = "print(\"generating tool schemas\")\n";
    let readme = "# EasyMCP\n\nSwift helpers around the MCP Swift SDK.\n";
    let library = manifest("        .library(name: \"EasyMCP\", targets: [\"EasyMCP\"]),\n");
    let files = |manifest: &str| {
        run(&[
            ("Package.swift", manifest),
            ("Sources/EasyMCP/EasyServer.swift", server),
            ("Sources/EasyMCPMacros/Plugin.swift", macro_impl),
            ("Tools/EasyMCPGen/main.swift", generator),
            ("README.md", readme),
        ])
    };
    let v = files(&library);
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
    // Negative: a product that is an executable runs a server.
    let app = manifest(
        "        .library(name: \"EasyMCP\", targets: [\"EasyMCP\"]),\n        .executable(name: \"easy-server\", targets: [\"EasyMCPGen\"]),\n",
    );
    let v = files(&app);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}

#[test]
fn a_workspace_publishing_only_libraries_with_example_servers_is_an_sdk() {
    let root = r#"{ "name": "lite-monorepo", "private": true, "workspaces": ["packages/*", "examples/*"] }"#;
    let core = |extra: &str| {
        format!(
            r#"{{ "name": "lite-mcp", "version": "0.4.0", "type": "module", "exports": {{ ".": "./dist/index.js" }}{extra} }}"#
        )
    };
    let core_src = "export class McpServer {\n  handle(msg) {\n    switch (msg.method) {\n      case \"initialize\": return { protocolVersion: \"2025-06-18\" };\n      case \"tools/call\": return this.call(msg.params);\n    }\n  }\n}\n";
    let init = r#"{ "name": "create-lite-mcp", "version": "0.4.0", "bin": { "create-lite-mcp": "./dist/index.js" } }"#;
    let init_src = "#!/usr/bin/env node\nconsole.log(\"scaffolding a project\");\n";
    let example = "import { McpServer } from \"lite-mcp\";\nconst mcp = new McpServer({ name: \"echo\", version: \"1.0.0\" });\n";
    let files = |core_manifest: &str| {
        run(&[
            ("package.json", root),
            ("packages/core/package.json", core_manifest),
            ("packages/core/src/index.ts", core_src),
            ("packages/create-lite-mcp/package.json", init),
            ("packages/create-lite-mcp/src/index.ts", init_src),
            (
                "examples/echo/package.json",
                r#"{ "name": "echo", "private": true }"#,
            ),
            ("examples/echo/src/index.ts", example),
        ])
    };
    let v = files(&core(""));
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
    // Negative: the published package is a command, so the example runs.
    let v = files(&core(r#", "bin": { "lite-mcp": "./dist/cli.js" }"#));
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}

#[test]
fn a_notice_pointing_to_another_server_does_not_make_a_library_a_server() {
    let readme = |notice: &str| {
        format!(
            "{notice}# Cache MCP Java\n\nA Java implementation of MCP tools for a cache, meant to be used as a library to build your own tools.\n"
        )
    };
    let tool = "import io.modelcontextprotocol.server.McpServer;\nclass App { void run() { var server = McpServer.sync(transport).serverInfo(\"cache\", \"1\").build(); } }\n";
    let files = |readme: &str| {
        run(&[
            ("README.md", readme),
            ("core/src/main/java/org/cache/App.java", tool),
        ])
    };
    let v = files(&readme(
        "> **Beta**: for the official cache MCP server, see the vendor's project.\n\n",
    ));
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
    // Negative: the same words in the README's own opening.
    let v = files(&readme(
        "For the official cache MCP server, see the vendor's project.\n\n",
    ));
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}

#[test]
fn a_library_providing_annotations_for_implementing_servers_is_an_sdk() {
    let pom = "<project>\n  <groupId>org.acme</groupId>\n  <artifactId>mcp-annotations</artifactId>\n  <packaging>jar</packaging>\n</project>\n";
    let api = "package org.acme.mcp;\n\npublic @interface Tool {\n    String name() default \"\";\n    String description() default \"\";\n}\n";
    let files = |readme: &str| {
        run(&[
            ("README.md", readme),
            ("pom.xml", pom),
            ("api/src/main/java/org/acme/mcp/Tool.java", api),
        ])
    };
    let v = files("# Acme MCP Annotations\n\nA portable Java library providing core annotations and APIs for implementing Model Context Protocol (MCP) servers and clients.\n");
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
    // Negative: a library providing annotations, with no word of building anything.
    let v = files("# Acme MCP Annotations\n\nA Java library providing core annotations, as used by our Model Context Protocol tools.\n");
    assert_ne!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
}

#[test]
fn a_title_naming_the_repository_a_framework_presents_an_sdk() {
    let package = r#"{ "name": "acme-oauth", "exports": { "./core": "./dist/core/index.js" }, "dependencies": { "fastmcp": "^3.0.0" } }"#;
    let server = "import { FastMCP } from \"fastmcp\";\nexport class OAuthServer {\n  start() {\n    this.server = new FastMCP({ name: \"acme\", version: \"1.0.0\" });\n  }\n}\n";
    let files = |readme: &str| {
        run(&[
            ("README.md", readme),
            ("package.json", package),
            ("src/mcp/server.ts", server),
        ])
    };
    let v = files(
        "# Acme OAuth Framework with Token Exchange\n\nAdd token exchange to your servers.\n",
    );
    assert_eq!(v.labels.kind, Kind::Sdk);
    let v = files("# Acme OAuth\n\nHigh-performance TypeScript implementation of the Model Context Protocol (MCP)\n");
    assert_eq!(v.labels.kind, Kind::Sdk);
    // Negative: the title names a server, framework or not.
    let v = files("# Acme Server for the Laravel framework\n\nAdd token exchange to your app.\n");
    assert_eq!(v.labels.kind, Kind::Server);
}

#[test]
fn a_program_with_long_docs_that_mention_mcp_is_other_not_documentation() {
    // A command-line tool with a user guide as long as its code; MCP comes
    // up only as something its users may pair it with.
    let guide = format!(
        "# Previz Studio\n\nTurns shot lists into camera sequences.\n\n{}",
        "## Usage\nRun `previz render shots.yaml`; pair it with an MCP server for your editor if you like.\n"
            .repeat(12)
    );
    let cli = "import argparse\n\ndef main():\n    p = argparse.ArgumentParser()\n    p.add_argument('shots')\n    args = p.parse_args()\n    render(args.shots)\n\n".repeat(4);
    let program = [
        ("README.md", guide.as_str()),
        (
            "pyproject.toml",
            "[project]\nname = \"previz\"\n[project.scripts]\nprevize = \"previz.cli:main\"\n",
        ),
        ("previz/cli.py", cli.as_str()),
    ];
    assert_eq!(run(&program).labels.kind, Kind::Other);

    // The same words with only a page-building script beside them are
    // documentation.
    let notes = guide.repeat(4);
    let site = [
        ("README.md", notes.as_str()),
        ("docs/guide.md", notes.as_str()),
        ("scripts/build.py", "def build():\n    pass\n"),
    ];
    assert_eq!(run(&site).labels.kind, Kind::List);
}

#[test]
fn a_fastmcp_project_file_naming_its_entrypoint_makes_a_server() {
    let readme =
        "# Orbit\n\nOrbit is a comprehensive MCP framework for calendar work, with 40 tools.\n";
    let pyproject = "[project]\nname = \"orbit\"\ndependencies = [\"fastmcp>=2.12\"]\n";
    let server = "from fastmcp import FastMCP\n\nmcp = FastMCP(name=\"orbit\")\n\n@mcp.tool\ndef today() -> str:\n    return \"2026-01-01\"\n\nif __name__ == \"__main__\":\n    mcp.run()\n";
    let project = "{\n  \"$schema\": \"https://gofastmcp.com/public/schemas/fastmcp.json/v1.json\",\n  \"source\": { \"path\": \"server.py\", \"entrypoint\": \"mcp\" }\n}\n";
    let kind = |extra: Option<(&str, &str)>| {
        let mut files = vec![
            ("README.md", readme),
            ("pyproject.toml", pyproject),
            ("server.py", server),
        ];
        files.extend(extra);
        run(&files).labels.kind
    };
    assert_eq!(kind(Some(("fastmcp.json", project))), Kind::Server);
    // Negative: without it the README's word for itself decides.
    assert_eq!(kind(None), Kind::Sdk);
}

#[test]
fn a_client_that_bundles_servers_to_try_it_with_is_a_client() {
    let readme =
        "# Relay Desk\n\nA desktop MCP client: chat with any MCP server from one window.\n";
    let pkg =
        r#"{ "name": "relay-desk", "dependencies": { "@modelcontextprotocol/sdk": "^1.20.0" } }"#;
    let app = "import { Client } from \"@modelcontextprotocol/sdk/client/index.js\";\nimport { StdioClientTransport } from \"@modelcontextprotocol/sdk/client/stdio.js\";\nexport async function connect(command: string) {\n  const client = new Client({ name: \"relay-desk\", version: \"1\" });\n  await client.connect(new StdioClientTransport({ command }));\n  return client.listTools();\n}\n";
    let echo = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"echo\", version: \"1\" });\n";
    let kind = |server_path: &str| {
        run(&[
            ("README.md", readme),
            ("package.json", pkg),
            ("src/app/connect.ts", app),
            (server_path, echo),
        ])
        .labels
        .kind
    };
    assert_eq!(kind("src/servers/echo.ts"), Kind::Client);
    // Negative: a server of its own beside the client code.
    assert_eq!(kind("src/bridge/server.ts"), Kind::Server);
}
