//! Gateways and proxies: servers whose own code is also an MCP client of
//! the servers they front. The upstreams' secrets belong to each upstream
//! the operator configures, so the gateway itself runs without them; an
//! auth gateway, whose purpose is to guard, keeps its secrets required.
//! Fixtures are written for these tests.

mod common;

use common::run_named;
use mcp_survey_model::{Credentials, Kind};

const PACKAGE: &str =
    r#"{ "name": "toolbelt", "dependencies": { "@modelcontextprotocol/sdk": "^1.12.0" } }"#;

/// A TypeScript server that connects to every upstream in its config and
/// refuses to start without a token for its upstream registry.
const GATEWAY: &str = r#"import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const token = process.env.REGISTRY_TOKEN;
if (!token) {
  console.error("REGISTRY_TOKEN is required");
  process.exit(1);
}

const server = new McpServer({ name: "toolbelt", version: "1.0.0" });
for (const upstream of loadUpstreams(token)) {
  const client = new Client({ name: "toolbelt", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: upstream.command, args: upstream.args }));
  mirrorTools(server, client);
}
await server.connect(new StdioServerTransport());
"#;

#[test]
fn a_gateway_over_other_servers_runs_without_their_secrets() {
    let v = run_named(
        Some("someone/toolbelt-gateway"),
        &[("package.json", PACKAGE), ("src/index.ts", GATEWAY)],
    );
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.env_vars.contains("REGISTRY_TOKEN"));
    assert_eq!(v.labels.credentials, Credentials::Optional);
}

#[test]
fn the_same_code_not_presented_as_a_gateway_keeps_its_secret_required() {
    // A server that happens to call another MCP server is no relay.
    let v = run_named(
        Some("someone/toolbelt"),
        &[("package.json", PACKAGE), ("src/index.ts", GATEWAY)],
    );
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn an_auth_gateway_keeps_its_secret_required() {
    let v = run_named(
        Some("someone/mcp-auth-gateway"),
        &[("package.json", PACKAGE), ("src/index.ts", GATEWAY)],
    );
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn a_gateway_that_serves_code_without_an_mcp_client_is_not_a_relay() {
    // Named a proxy, but nothing in it connects to another MCP server.
    let server = GATEWAY
        .replace("new StdioClientTransport", "new LocalPipe")
        .replace(
            "import { Client } from \"@modelcontextprotocol/sdk/client/index.js\";\n",
            "",
        )
        .replace(
            "import { StdioClientTransport } from \"@modelcontextprotocol/sdk/client/stdio.js\";\n",
            "",
        );
    let v = run_named(
        Some("someone/toolbelt-proxy"),
        &[("package.json", PACKAGE), ("src/index.ts", &server)],
    );
    assert_eq!(v.labels.kind, Kind::Server);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn csharp_and_java_sdk_clients_make_a_client() {
    let cs = "using ModelContextProtocol.Client;\nvar transport = new StdioClientTransport(new() { Command = \"npx\" });\nawait using var client = await McpClient.CreateAsync(transport);\nforeach (var tool in await client.ListToolsAsync()) Console.WriteLine(tool.Name);\n";
    let v = run_named(
        Some("someone/tool-lister"),
        &[
            (
                "Lister.csproj",
                "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"ModelContextProtocol\" Version=\"0.4.0\" /></ItemGroup></Project>",
            ),
            ("Program.cs", cs),
        ],
    );
    assert_eq!(v.labels.kind, Kind::Client);
    let java = "import io.modelcontextprotocol.client.McpClient;\npublic class Lister {\n  public static void main(String[] a) {\n    var client = McpClient.sync(transport).build();\n    client.initialize();\n    client.listTools();\n  }\n}\n";
    let v = run_named(
        Some("someone/tool-lister-java"),
        &[
            (
                "pom.xml",
                "<project><artifactId>tool-lister</artifactId><dependencies><dependency><groupId>io.modelcontextprotocol.sdk</groupId><artifactId>mcp</artifactId></dependency></dependencies></project>",
            ),
            ("src/main/java/lister/Lister.java", java),
        ],
    );
    assert_eq!(v.labels.kind, Kind::Client);
}

/// A Go server that speaks JSON-RPC itself, and opens each upstream it is
/// configured with by sending the handshake a client sends.
const HAND_ROLLED_HUB: &str = r#"package main

import (
	"bufio"
	"encoding/json"
	"log"
	"os"
	"os/exec"
)

func main() {
	token := os.Getenv("REGISTRY_TOKEN")
	if token == "" {
		log.Fatal("REGISTRY_TOKEN is required")
	}
	for _, up := range loadUpstreams(token) {
		cmd := exec.Command(up.Command, up.Args...)
		in, _ := cmd.StdinPipe()
		_ = cmd.Start()
		hello := map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{}}
		_ = json.NewEncoder(in).Encode(hello)
	}
	scanner := bufio.NewScanner(os.Stdin)
	for scanner.Scan() {
		var req request
		_ = json.Unmarshal(scanner.Bytes(), &req)
		switch req.Method {
		case "initialize":
			reply(req.ID, map[string]any{"protocolVersion": "2025-06-18", "serverInfo": map[string]any{"name": "hub"}})
		case "tools/list":
			reply(req.ID, map[string]any{"tools": mergedTools()})
		case "tools/call":
			reply(req.ID, forward(req))
		}
	}
}
"#;

#[test]
fn a_hand_rolled_hub_that_opens_its_upstreams_is_a_relay() {
    let v = run_named(
        Some("someone/tool-hub"),
        &[
            ("go.mod", "module example.com/hub\n"),
            ("main.go", HAND_ROLLED_HUB),
        ],
    );
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(v.labels.env_vars.contains("REGISTRY_TOKEN"));
    assert_eq!(v.labels.credentials, Credentials::Optional);
}

#[test]
fn a_hand_rolled_server_that_only_answers_requests_is_no_relay() {
    // The same hub without the handshake it sends upstream: it dispatches
    // on method names, as every server does.
    let server = HAND_ROLLED_HUB.replace(
        "hello := map[string]any{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"initialize\", \"params\": map[string]any{}}",
        "hello := map[string]any{\"ready\": true}",
    );
    assert_ne!(server, HAND_ROLLED_HUB);
    let v = run_named(
        Some("someone/tool-hub"),
        &[("go.mod", "module example.com/hub\n"), ("main.go", &server)],
    );
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert_eq!(v.labels.credentials, Credentials::Required);
}
