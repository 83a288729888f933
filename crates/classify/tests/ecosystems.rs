//! Which repositories are MCP servers and on which implementation: one
//! fixture per catalogue entry, modelled on how each library's docs tell
//! users to build a server, plus negatives. All fixtures are written for
//! these tests.

mod common;

use common::run;
use mcp_survey_model::{Kind, Sdk, Transport};

#[test]
fn rust_servers_on_mcp_attr_and_rust_mcp_sdk_are_servers_on_another_sdk() {
    let attr = [
        (
            "Cargo.toml",
            "[package]\nname = \"notes-mcp\"\n[dependencies]\nmcp-attr = \"0.0.5\"\n",
        ),
        (
            "src/main.rs",
            "use mcp_attr::server::{mcp_server, serve_stdio, McpServer};\nstruct Notes;\n#[mcp_server]\nimpl McpServer for Notes {}\n#[tokio::main]\nasync fn main() { serve_stdio(Notes).await.ok(); }\n",
        ),
    ];
    let v = run(&attr);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(v.labels.sdk.contains(&Sdk::Other), "{:?}", v.labels.sdk);

    let sdk = [
        (
            "Cargo.toml",
            "[package]\nname = \"weather\"\n[dependencies]\nrust-mcp-sdk = { version = \"0.7\" }\n",
        ),
        (
            "src/main.rs",
            "use rust_mcp_sdk::mcp_server::{server_runtime, ServerHandler};\nfn main() { let server = server_runtime::create_server(details, transport, handler); }\n",
        ),
    ];
    let v = run(&sdk);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.sdk.contains(&Sdk::Other));
}

#[test]
fn npm_fastmcp_with_a_session_type_argument_is_fastmcp_ts() {
    let files = [
        (
            "package.json",
            r#"{ "name": "crawl-mcp", "bin": { "crawl-mcp": "dist/index.js" }, "dependencies": { "fastmcp": "^3.0.0" } }"#,
        ),
        (
            "src/index.ts",
            "import { FastMCP } from \"fastmcp\";\ntype Session = { key?: string };\nconst server = new FastMCP<Session>({ name: \"crawl\", version: \"1.0.0\" });\nserver.start({ transportType: \"stdio\" });\n",
        ),
    ];
    let v = run(&files);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.sdk.contains(&Sdk::FastmcpTs), "{:?}", v.labels.sdk);
}

#[test]
fn fastapi_mcp_mounts_an_mcp_server_on_the_official_package() {
    let files = [
        ("requirements.txt", "fastapi\nfastapi-mcp\nuvicorn\n"),
        (
            "main.py",
            "from fastapi import FastAPI\nfrom fastapi_mcp import FastApiMCP\napp = FastAPI()\nmcp = FastApiMCP(app)\nmcp.mount_http()\n",
        ),
    ];
    let v = run(&files);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(
        v.labels.sdk.contains(&Sdk::PyOfficial),
        "{:?}",
        v.labels.sdk
    );
    // Negative: a FastAPI app with no MCP at all.
    let v = run(&[
        ("requirements.txt", "fastapi\nuvicorn\n"),
        ("main.py", "from fastapi import FastAPI\napp = FastAPI()\n"),
    ]);
    assert_ne!(v.labels.kind, Kind::Server);
}

#[test]
fn a_registry_server_json_makes_a_wrapper_package_a_server() {
    let files = [
        (
            "package.json",
            r#"{ "name": "@acme/browser-mcp", "bin": { "browser-mcp": "cli.js" }, "dependencies": { "acme-browser": "1.2.0" } }"#,
        ),
        (
            "cli.js",
            "#!/usr/bin/env node\nconst { run } = require('acme-browser/lib/mcp');\nrun(process.argv);\n",
        ),
        (
            "server.json",
            r#"{ "$schema": "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json", "name": "io.github.acme/browser-mcp", "packages": [ { "registryType": "npm", "identifier": "@acme/browser-mcp", "transport": { "type": "stdio" } } ] }"#,
        ),
        ("README.md", "# Browser MCP\n\nA Model Context Protocol server for browsers.\n"),
    ];
    let v = run(&files);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    // Negative: the same wrapper without the registry declaration.
    let v = run(&files[..2]);
    assert_ne!(v.labels.kind, Kind::Server);
}

#[test]
fn a_published_client_library_that_runs_nothing_is_an_sdk() {
    let pkg = r#"{ "name": "use-tools", "type": "module", "exports": { ".": "./dist/index.js" }, "types": "./dist/index.d.ts", "peerDependencies": { "react": ">=18" }, "dependencies": { "@modelcontextprotocol/sdk": "^1.20.0" } }"#;
    let hook = "import { Client } from \"@modelcontextprotocol/sdk/client/index.js\";\nimport { StreamableHTTPClientTransport } from \"@modelcontextprotocol/sdk/client/streamableHttp.js\";\nexport function useTools(url) { const t = new StreamableHTTPClientTransport(new URL(url)); }\n";
    let v = run(&[("package.json", pkg), ("src/index.ts", hook)]);
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
    // Negative: the same code in an app with a start script is a client.
    let app = r#"{ "name": "chat", "scripts": { "start": "node dist/index.js" }, "main": "dist/index.js", "dependencies": { "@modelcontextprotocol/sdk": "^1.20.0" } }"#;
    let v = run(&[("package.json", app), ("src/index.ts", hook)]);
    assert_eq!(v.labels.kind, Kind::Client);
}

#[test]
fn spring_initializr_com_example_packages_are_the_application_not_samples() {
    let build = "plugins { id(\"org.springframework.boot\") version \"3.5.0\" }\ndependencies {\n  implementation(\"org.springframework.ai:spring-ai-starter-mcp-server-webmvc\")\n  implementation(\"org.springframework.boot:spring-boot-starter-security-oauth2-resource-server\")\n}\n";
    let server = "package com.example\nimport org.springframework.ai.mcp.annotation.McpTool\n@SpringBootApplication\nclass Server {\n  @McpTool(description = \"add\") fun add(a: Int, b: Int) = a + b\n}\n";
    let props = "spring.security.oauth2.resourceserver.jwt.issuer-uri=${ISSUER_URI:https://login.example.org}\n";
    let v = run(&[
        ("build.gradle.kts", build),
        ("src/main/kotlin/com/example/Server.kt", server),
        ("src/main/resources/application.properties", props),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(
        !v.evidence
            .iter()
            .any(|e| e.rule.contains("runnable example")),
        "{:?}",
        v.evidence
    );
    assert!(v
        .labels
        .auth_methods
        .contains(&mcp_survey_model::AuthMethod::Oauth));
    assert_eq!(
        v.labels.credentials,
        mcp_survey_model::Credentials::Required
    );
}

#[test]
fn commented_out_transports_and_packages_do_not_count() {
    let csproj = "<Project Sdk=\"Microsoft.NET.Sdk\">\n<ItemGroup>\n<PackageReference Include=\"ModelContextProtocol\" Version=\"0.4.0\" />\n<!-- <PackageReference Include=\"ModelContextProtocol.AspNetCore\" Version=\"0.3.0\" /> -->\n</ItemGroup>\n</Project>\n";
    let program = "var builder = Host.CreateApplicationBuilder(args);\nbuilder.Services.AddMcpServer()\n    .WithStdioServerTransport()\n    // .WithHttpTransport()\n    .WithToolsFromAssembly();\n";
    let v = run(&[
        ("Notes/Notes.csproj", csproj),
        ("Notes/Program.cs", program),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    let t: Vec<&str> = v.labels.transport.iter().map(|t| t.as_str()).collect();
    assert_eq!(t, vec!["stdio"]);
}

#[test]
fn an_extension_library_for_mcp_clients_is_an_sdk() {
    let build = "plugins { `java-library` }\ndependencies {\n  api(\"io.modelcontextprotocol.sdk:mcp:0.12.0\")\n  implementation(\"software.amazon.awssdk:auth:2.30.0\")\n}\n";
    let signer = "package org.acme.mcp.sigv4;\nimport io.modelcontextprotocol.client.transport.customizer.McpSyncHttpClientRequestCustomizer;\npublic final class SigV4Customizer implements McpSyncHttpClientRequestCustomizer {}\n";
    let v = run(&[
        ("build.gradle.kts", build),
        (
            "src/main/java/org/acme/mcp/sigv4/SigV4Customizer.java",
            signer,
        ),
        (
            "README.md",
            "# MCP SigV4\n\nSigns MCP HTTP requests with AWS Signature Version 4.\n",
        ),
    ]);
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
    // Negative: the same build as a Spring Boot application is no library.
    let app = build.replace(
        "`java-library`",
        "id(\"org.springframework.boot\") version \"3.5.0\"",
    );
    let v = run(&[
        ("build.gradle.kts", &app),
        (
            "src/main/java/org/acme/mcp/sigv4/SigV4Customizer.java",
            signer,
        ),
    ]);
    assert_ne!(v.labels.kind, Kind::Sdk);
}

#[test]
fn class_libraries_that_implement_the_protocol_are_an_sdk() {
    let csproj = "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net9.0</TargetFramework></PropertyGroup></Project>";
    let types = "namespace Mcp.Abstractions;\npublic static class Methods\n{\n    public const string Initialized = \"notifications/initialized\";\n    public const string CallTool = \"tools/call\";\n}\n";
    let v = run(&[
        ("src/Abstractions/Abstractions.csproj", csproj),
        ("src/Abstractions/Methods.cs", types),
    ]);
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
    // Negative: an executable project with the same constants is not.
    let exe = csproj.replace(
        "<TargetFramework>",
        "<OutputType>Exe</OutputType><TargetFramework>",
    );
    let v = run(&[
        ("src/Abstractions/Abstractions.csproj", &exe),
        ("src/Abstractions/Methods.cs", types),
    ]);
    assert_ne!(v.labels.kind, Kind::Sdk);
}

#[test]
fn a_spring_boot_application_with_the_mcp_server_starter_is_a_server() {
    let gradle = "plugins { id 'org.springframework.boot' version '3.4.0' }\ndependencies {\n    implementation 'org.springframework.ai:spring-ai-starter-mcp-server-webflux'\n}\n";
    let app = "package org.acme.books;\n\nimport org.springframework.boot.SpringApplication;\nimport org.springframework.boot.autoconfigure.SpringBootApplication;\n\n@SpringBootApplication\npublic class BooksApplication {\n    public static void main(String[] args) { SpringApplication.run(BooksApplication.class, args); }\n}\n";
    let tools = "package org.acme.books;\n\nimport org.springframework.ai.tool.ToolCallback;\n\npublic class CatalogCallback implements ToolCallback {\n}\n";
    let files = [
        ("build.gradle", gradle),
        ("src/main/java/org/acme/books/BooksApplication.java", app),
        ("src/main/java/org/acme/books/CatalogCallback.java", tools),
    ];
    let v = run(&files);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(v.labels.sdk.contains(&Sdk::SpringAi), "{:?}", v.labels.sdk);
    // Negative: the client starter makes a client, not a server.
    let client = gradle.replace("mcp-server-webflux", "mcp-client-webflux");
    let v = run(&[files[0], files[1], files[2]].map(|(p, t)| {
        if p == "build.gradle" {
            (p, client.as_str())
        } else {
            (p, t)
        }
    }));
    assert_ne!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}

#[test]
fn a_json_rpc_dispatcher_behind_a_serverless_handler_is_an_http_server() {
    let pkg = r#"{ "name": "issues-bridge", "dependencies": { "zod": "^3.23.0" } }"#;
    let router = "export async function handleRpc(body: { method: string; id: number }) {\n  if (body.method === \"initialize\") {\n    return { protocolVersion: \"2025-06-18\", serverInfo: { name: \"issues-bridge\", version: \"0.1.0\" } };\n  }\n  if (body.method === \"tools/list\") {\n    return { tools: [] };\n  }\n}\n";
    let handler = "import { handleRpc } from \"../src/router\";\n\nexport default async function handler(req: any, res: any) {\n  res.end(JSON.stringify(await handleRpc(req.body)));\n}\n";
    let v = run(&[
        ("package.json", pkg),
        ("src/router.ts", router),
        ("api/rpc.ts", handler),
    ]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(
        v.labels.sdk.contains(&Sdk::HandRolled),
        "{:?}",
        v.labels.sdk
    );
    assert_eq!(
        v.labels.transport.iter().collect::<Vec<_>>(),
        [&Transport::Http]
    );
    // Negative: with nothing that serves requests it is no server.
    let v = run(&[("package.json", pkg), ("src/router.ts", router)]);
    assert_ne!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}

#[test]
fn answering_initialize_with_server_info_is_a_server_when_tools_are_dispatched_elsewhere() {
    let go_mod = "module github.com/acme/editor-bridge\n\ngo 1.23\n";
    let stdio = "package stdio\n\nimport (\n\t\"bufio\"\n\t\"os\"\n)\n\nfunc (s *Server) Run() {\n\tscanner := bufio.NewScanner(os.Stdin)\n\tfor scanner.Scan() {\n\t\ts.handle(scanner.Bytes())\n\t}\n}\n\nfunc (s *Server) route(msg Request) any {\n\tswitch msg.Method {\n\tcase \"initialize\":\n\t\treturn map[string]any{\"protocolVersion\": \"2025-06-18\", \"serverInfo\": map[string]any{\"name\": \"editor-bridge\"}}\n\tdefault:\n\t\treturn shared.Dispatch(msg)\n\t}\n}\n";
    let v = run(&[("go.mod", go_mod), ("transport/stdio/server.go", stdio)]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(
        v.labels.sdk.contains(&Sdk::HandRolled),
        "{:?}",
        v.labels.sdk
    );
    // Negative: sending `initialize` with its own `clientInfo` is a client's half.
    let client = stdio.replace("serverInfo", "clientInfo");
    let v = run(&[("go.mod", go_mod), ("transport/stdio/server.go", &client)]);
    assert_ne!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}

#[test]
fn a_go_program_on_an_uncatalogued_mcp_librarys_server_package_is_a_server() {
    let go_mod =
        "module github.com/acme/ledger-tools\n\ngo 1.23\n\nrequire github.com/someone/mcp v0.8.2\n";
    let main = "package main\n\nimport (\n\t\"net/http\"\n\n\tmcpserver \"github.com/someone/mcp/server\"\n)\n\nfunc main() {\n\tsrv := mcpserver.New()\n\thttp.ListenAndServe(\":8080\", srv)\n}\n";
    let v = run(&[("go.mod", go_mod), ("cmd/ledger/main.go", main)]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(v.labels.sdk.contains(&Sdk::Other), "{:?}", v.labels.sdk);
    // Negative: the library itself importing its own server package.
    let own = go_mod.replace("github.com/acme/ledger-tools", "github.com/someone/mcp");
    let v = run(&[("go.mod", own.as_str()), ("cmd/ledger/main.go", main)]);
    assert!(
        !v.evidence
            .iter()
            .any(|e| e.rule == "Go program importing an MCP library's server package"),
        "{:?}",
        v.evidence
    );
}

#[test]
fn protocol_libraries_in_go_php_and_swift_are_sdks() {
    let go = [
        ("go.mod", "module github.com/someone/mcp-kit\n\ngo 1.23\n"),
        (
            "README.md",
            "# mcp-kit\n\nBuild Model Context Protocol servers in Go.\n",
        ),
        (
            "mcp/server.go",
            "package mcp\n\nconst methodToolsCall = \"tools/call\"\n\ntype Server struct{}\n\nfunc (s *Server) handle(method string) {}\n",
        ),
    ];
    assert_eq!(run(&go).labels.kind, Kind::Sdk);
    let php = [
        (
            "composer.json",
            r#"{ "name": "someone/mcp-php", "description": "Model Context Protocol for PHP", "autoload": { "psr-4": { "Mcp\\": "src/" } } }"#,
        ),
        (
            "src/Protocol.php",
            "<?php\nnamespace Mcp;\nfinal class Protocol {\n    public const CALL = \"tools/call\";\n    public const VERSION_KEY = \"protocolVersion\";\n}\n",
        ),
    ];
    assert_eq!(run(&php).labels.kind, Kind::Sdk);
    // Negative: a Composer project is an application.
    let app = php[0]
        .1
        .replace("\"name\"", "\"type\": \"project\", \"name\"");
    assert_ne!(
        run(&[("composer.json", app.as_str()), php[1]]).labels.kind,
        Kind::Sdk
    );
}

#[test]
fn usage_in_a_doc_comment_is_not_a_server() {
    let pkg = r#"{ "name": "tiny-mcp", "description": "A small MCP server library", "exports": { ".": "./dist/index.js" }, "types": "./dist/index.d.ts" }"#;
    let core = "/**\n * Example:\n * const server = new McpServer({ name: \"demo\" });\n */\nexport class McpServer {\n  constructor(private opts: { name: string }) {}\n  handle(method: string) { if (method === \"tools/call\") { return; } }\n}\n";
    let v = run(&[("package.json", pkg), ("src/core.ts", core)]);
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
}

#[test]
fn a_struct_named_client_session_in_rust_is_not_the_python_sdks_client() {
    let cargo = "[package]\nname = \"relay\"\n[dependencies]\naxum = \"0.8\"\n";
    let code = "pub struct ClientSession {\n    id: u64,\n}\nfn main() {}\n";
    let v = run(&[("Cargo.toml", cargo), ("src/main.rs", code)]);
    assert_ne!(v.labels.kind, Kind::Client, "{:?}", v.evidence);
    // Negative: the Python SDK's client session is a client.
    let py = "from mcp import ClientSession, StdioServerParameters\nfrom mcp.client.stdio import stdio_client\n\nasync def main(params):\n    async with stdio_client(params) as (read, write):\n        async with ClientSession(read, write) as session:\n            await session.initialize()\n";
    let v = run(&[
        (
            "pyproject.toml",
            "[project]\nname = \"agent\"\ndependencies = [\"mcp\"]\n",
        ),
        ("agent/main.py", py),
    ]);
    assert_eq!(v.labels.kind, Kind::Client, "{:?}", v.evidence);
}

#[test]
fn server_code_a_scaffolder_writes_out_is_not_a_server() {
    let pkg = r#"{ "name": "create-tiny-mcp", "bin": { "create-tiny-mcp": "dist/cli.js" }, "dependencies": { "prompts": "^2" } }"#;
    let cli = "import { writeFileSync } from \"node:fs\";\nconst serverTemplate = `import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"${name}\", version: \"0.1.0\" });\n`;\nwriteFileSync(\"src/index.ts\", serverTemplate);\n";
    let v = run(&[("package.json", pkg), ("src/cli.ts", cli)]);
    assert_ne!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    // Negative: the same construct as code is a server.
    let server = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport { StdioServerTransport } from \"@modelcontextprotocol/sdk/server/stdio.js\";\nconst server = new McpServer({ name: \"tiny\", version: \"0.1.0\" });\nawait server.connect(new StdioServerTransport());\n";
    let v = run(&[("package.json", pkg), ("src/cli.ts", server)]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}

#[test]
fn a_published_library_with_servers_only_in_its_examples_is_an_sdk() {
    let pkg = r#"{ "name": "tiny-mcp-kit", "exports": { ".": "./dist/index.js" }, "types": "./dist/index.d.ts", "dependencies": { "@modelcontextprotocol/sdk": "^1.20.0" } }"#;
    let lib = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nexport function defineTools(server: McpServer) { return server; }\n";
    let example = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport { StdioServerTransport } from \"@modelcontextprotocol/sdk/server/stdio.js\";\nconst server = new McpServer({ name: \"demo\", version: \"1\" });\nawait server.connect(new StdioServerTransport());\n";
    let files = [
        ("package.json", pkg),
        ("src/index.ts", lib),
        ("examples/demo/index.ts", example),
    ];
    let v = run(&files);
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
    // Negative: without the library, the example is the repository's server.
    let v = run(&files[2..]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}

#[test]
fn server_usage_shown_in_a_python_docstring_is_no_server() {
    let usage = r#"    from mcp.server.fastmcp import FastMCP
    mcp = FastMCP("notes")

    @mcp.tool()
    def add(a: int, b: int) -> int:
        return a + b
"#;
    let module = format!(
        "\"\"\"Helpers for tool results.\n\nExample:\n\n{usage}\"\"\"\n\ndef text(value: str) -> dict:\n    return {{\"type\": \"text\", \"text\": value}}\n"
    );
    let v = run(&[("src/notes_helpers/results.py", &module)]);
    assert_ne!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    // Negative: the same lines as code make a server.
    let code = format!(
        "{}\nif __name__ == \"__main__\":\n    mcp.run()\n",
        usage.replace("\n    ", "\n").trim_start()
    );
    let v = run(&[("src/notes_helpers/results.py", &code)]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}

#[test]
fn a_lead_calling_the_repository_a_framework_for_mcp_presents_an_sdk() {
    let server = "from mcp.server.fastmcp import FastMCP\n\nclass AppServer(FastMCP):\n    def __init__(self, name: str):\n        super().__init__(name)\n";
    let files = |readme: &str| run(&[("README.md", readme), ("acme/server.py", server)]);
    let v = files("# acme\n\nThe Python framework for MCP\nBuild and ship apps for agents.\n");
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
    // Negative: a framework for testing MCP servers builds none.
    let v = files("# acme\n\nA testing framework for MCP servers.\n");
    assert_ne!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
}

#[test]
fn servers_on_the_split_v2_packages_of_the_official_sdks_are_servers() {
    // The TypeScript SDK's v2 moved the server side into the
    // `@modelcontextprotocol/server` package, the client side into
    // `@modelcontextprotocol/client`.
    let pkg = r#"{ "name": "tracker-mcp", "bin": { "tracker-mcp": "dist/index.js" }, "dependencies": { "@modelcontextprotocol/server": "^2.0.0" } }"#;
    let server = "import { Server } from '@modelcontextprotocol/server';\nimport { StdioServerTransport } from '@modelcontextprotocol/server';\n\nconst server = new Server({ name: 'tracker', version: '1.0.0' }, { capabilities: { tools: {} } });\nawait server.connect(new StdioServerTransport());\n";
    let dev_client = "import { Client } from '@modelcontextprotocol/client';\nimport { StdioClientTransport } from '@modelcontextprotocol/client';\n\nexport async function connect() {\n  const client = new Client({ name: 'dev', version: '1.0.0' });\n  await client.connect(new StdioClientTransport({ command: 'node', args: ['dist/index.js'] }));\n}\n";
    let v = run(&[
        ("package.json", pkg),
        ("src/index.ts", server),
        ("src/dev/client.ts", dev_client),
    ]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(
        v.labels.sdk.contains(&Sdk::TsOfficial),
        "{:?}",
        v.labels.sdk
    );
    // Negative: a program on the v2 client package alone is a client.
    let client_pkg = pkg.replace(
        "@modelcontextprotocol/server",
        "@modelcontextprotocol/client",
    );
    let v = run(&[("package.json", &client_pkg), ("src/index.ts", dev_client)]);
    assert_eq!(v.labels.kind, Kind::Client, "{:?}", v.evidence);

    // The Python SDK's v2 renamed its bundled FastMCP to `MCPServer`, in
    // `mcp.server.mcpserver`.
    let pyproject = "[project]\nname = \"mesh-tools\"\ndependencies = [\"mcp>=2.0.0\"]\n[project.scripts]\nmesh-mcp = \"tools.serve:main\"\n";
    let serve = "from mcp.server.mcpserver import MCPServer\n\nsrv = MCPServer(\"mesh\")\n\n@srv.tool()\ndef measure(path: str) -> dict:\n    return {}\n\ndef main():\n    srv.run(\"stdio\")\n";
    let v = run(&[("pyproject.toml", pyproject), ("tools/serve.py", serve)]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(
        v.labels.sdk.contains(&Sdk::PyOfficial),
        "{:?}",
        v.labels.sdk
    );
}

#[test]
fn string_equality_on_the_method_name_is_a_hand_rolled_dispatcher_in_csharp_and_java() {
    let csproj = "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>\n";
    let program = "var app = WebApplication.Create(args);\napp.MapPost(\"/mcp\", async (HttpContext ctx) => {\n    var doc = await JsonDocument.ParseAsync(ctx.Request.Body);\n    var method = doc.RootElement.GetProperty(\"method\").GetString();\n    if (string.Equals(method, \"initialize\", StringComparison.Ordinal))\n        return Results.Json(new { serverInfo = new { name = \"cad-bridge\", version = \"1.0.0\" } });\n    if (string.Equals(method, \"tools/list\", StringComparison.OrdinalIgnoreCase))\n        return Results.Json(new { tools = Array.Empty<object>() });\n    return Results.NotFound();\n});\napp.Run();\n";
    let v = run(&[
        ("CadBridge/CadBridge.csproj", csproj),
        ("CadBridge/Program.cs", program),
    ]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(
        v.labels.sdk.contains(&Sdk::HandRolled),
        "{:?}",
        v.labels.sdk
    );

    let pom = "<project><groupId>org.acme</groupId><artifactId>rpc-bridge</artifactId></project>\n";
    let java = "public class Handler {\n  public Object handle(String method) {\n    if (\"initialize\".equals(method)) {\n      return Map.of(\"serverInfo\", Map.of(\"name\", \"rpc-bridge\"));\n    }\n    if (\"tools/list\".equals(method)) {\n      return Map.of(\"tools\", List.of());\n    }\n    return null;\n  }\n  public static void main(String[] args) throws Exception {\n    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));\n    String line = in.readLine();\n  }\n}\n";
    let v = run(&[
        ("pom.xml", pom),
        ("src/main/java/org/acme/Handler.java", java),
    ]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    // Negative: a test comparing a recorded request's method is no server.
    let test = "public class ProtocolTest {\n  void check(String method) {\n    assertTrue(\"tools/list\".equals(method));\n  }\n}\n";
    let v = run(&[
        ("pom.xml", pom),
        ("src/test/java/org/acme/ProtocolTest.java", test),
    ]);
    assert_ne!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}

#[test]
fn an_xmcp_app_registers_tools_from_files_and_is_a_server() {
    let pkg = r#"{ "name": "greeter", "private": true, "scripts": { "dev": "xmcp dev", "build": "xmcp build" }, "dependencies": { "xmcp": "^0.6.0", "zod": "^3.25.0" } }"#;
    let config = "import { type XmcpConfig } from \"xmcp\";\n\nconst config: XmcpConfig = {\n  http: { port: 3001 },\n};\n\nexport default config;\n";
    let tool = "import { z } from \"zod\";\nimport { type InferSchema, type ToolMetadata } from \"xmcp\";\n\nexport const schema = { name: z.string() };\n\nexport const metadata: ToolMetadata = { name: \"greet\", description: \"Greet someone\" };\n\nexport default function greet({ name }: InferSchema<typeof schema>) {\n  return `Hello, ${name}!`;\n}\n";
    let v = run(&[
        ("package.json", pkg),
        ("xmcp.config.ts", config),
        ("src/tools/greet.ts", tool),
    ]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(v.labels.sdk.contains(&Sdk::Other), "{:?}", v.labels.sdk);
    // Negative: zod schemas and a default export alone are no server.
    let plain = tool.replace(
        "import { type InferSchema, type ToolMetadata } from \"xmcp\";\n",
        "",
    );
    let v = run(&[
        ("package.json", &pkg.replace("\"xmcp\": \"^0.6.0\", ", "")),
        ("src/tools/greet.ts", &plain),
    ]);
    assert_ne!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}

#[test]
fn a_plugin_of_a_host_application_that_embeds_a_server_is_a_server() {
    // An IntelliJ Platform plugin: built like a library (no application
    // plugin, no main class), installed into the IDE, which runs it.
    let gradle = "plugins {\n    id(\"org.jetbrains.kotlin.jvm\") version \"2.1.0\"\n    id(\"org.jetbrains.intellij.platform\") version \"2.5.0\"\n}\ndependencies {\n    implementation(\"io.modelcontextprotocol:kotlin-sdk-server:0.7.2\")\n}\n";
    let plugin_xml =
        "<idea-plugin>\n  <id>org.acme.index-mcp</id>\n  <name>Index MCP</name>\n</idea-plugin>\n";
    let server = "package org.acme.indexmcp\n\nimport io.modelcontextprotocol.kotlin.sdk.server.Server\n\nclass IndexServer {\n    val server = Server(Implementation(\"index\", \"1.0\"), ServerOptions(capabilities))\n}\n";
    let readme = "# Index MCP\n\nCode search over the Model Context Protocol.\n";
    let v = run(&[
        ("README.md", readme),
        ("build.gradle.kts", gradle),
        ("src/main/kotlin/org/acme/indexmcp/IndexServer.kt", server),
        ("src/main/resources/META-INF/plugin.xml", plugin_xml),
    ]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    // Negative: the same build without the platform's plugin is a library.
    let library = gradle.replace(
        "    id(\"org.jetbrains.intellij.platform\") version \"2.5.0\"\n",
        "",
    );
    let v = run(&[
        ("README.md", readme),
        ("build.gradle.kts", &library),
        ("src/main/kotlin/org/acme/indexmcp/IndexServer.kt", server),
    ]);
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);

    // A plugin for a Java host with a JSON-RPC endpoint of its own behind
    // JAX-RS: the plugin packaging says it is installed, not depended on.
    let pom = "<project>\n  <groupId>org.acme</groupId>\n  <artifactId>tracker-mcp</artifactId>\n  <packaging>atlassian-plugin</packaging>\n</project>\n";
    let handler = "package org.acme.mcp;\n\npublic class JsonRpcHandler {\n  public ObjectNode handle(String method, JsonNode id) {\n    switch (method) {\n      case \"initialize\": return initialize(id);\n      case \"tools/list\": return listTools(id);\n      default: return error(id);\n    }\n  }\n  private ObjectNode initialize(JsonNode id) {\n    ObjectNode result = mapper.createObjectNode();\n    result.set(\"serverInfo\", info);\n    return result;\n  }\n}\n";
    let resource = "package org.acme.mcp;\n\n@Path(\"/mcp\")\npublic class McpResource {\n  @POST\n  public Response post(String body) {\n    return Response.ok(handler.handle(method(body), id(body))).build();\n  }\n}\n";
    let v = run(&[
        ("pom.xml", pom),
        ("src/main/java/org/acme/mcp/JsonRpcHandler.java", handler),
        ("src/main/java/org/acme/mcp/McpResource.java", resource),
    ]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(
        v.labels.sdk.contains(&Sdk::HandRolled),
        "{:?}",
        v.labels.sdk
    );
    // Negative: the same code as a plain jar is a library implementing MCP.
    let jar = pom.replace("atlassian-plugin", "jar");
    let v = run(&[
        ("README.md", readme),
        ("pom.xml", &jar),
        ("src/main/java/org/acme/mcp/JsonRpcHandler.java", handler),
        ("src/main/java/org/acme/mcp/McpResource.java", resource),
    ]);
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
}

#[test]
fn importing_the_java_sdks_bom_is_no_claim_to_be_the_sdk() {
    let pom = "<project>\n  <groupId>org.acme</groupId>\n  <artifactId>api-gateway</artifactId>\n  <dependencyManagement>\n    <dependencies>\n      <dependency>\n        <groupId>io.modelcontextprotocol.sdk</groupId>\n        <artifactId>mcp-bom</artifactId>\n        <version>0.11.0</version>\n        <type>pom</type>\n        <scope>import</scope>\n      </dependency>\n    </dependencies>\n  </dependencyManagement>\n  <build>\n    <plugins>\n      <plugin>\n        <groupId>org.springframework.boot</groupId>\n        <artifactId>spring-boot-maven-plugin</artifactId>\n      </plugin>\n    </plugins>\n  </build>\n</project>\n";
    let readme = "# API Gateway\n\nExposes registered HTTP APIs as Model Context Protocol tools.\n";
    let controller = "package org.acme.gateway;\n\n@RestController\npublic class McpController {\n  @PostMapping(\"/mcp\")\n  public Map<String, Object> rpc(@RequestBody Map<String, Object> req) {\n    String method = (String) req.get(\"method\");\n    switch (method) {\n      case \"initialize\": return Map.of(\"serverInfo\", Map.of(\"name\", \"gateway\"));\n      case \"tools/list\": return Map.of(\"tools\", registry.tools());\n      default: return Map.of();\n    }\n  }\n}\n";
    let files = |pom: &str| {
        run(&[
            ("README.md", readme),
            ("pom.xml", pom),
            (
                "src/main/java/org/acme/gateway/McpController.java",
                controller,
            ),
        ])
    };
    let v = files(pom);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    // Negative: the BOM's own build publishes the SDK.
    let own = "<project>\n  <groupId>io.modelcontextprotocol.sdk</groupId>\n  <artifactId>mcp-bom</artifactId>\n  <packaging>pom</packaging>\n</project>\n";
    let v = files(own);
    assert_eq!(v.labels.kind, Kind::Sdk, "{:?}", v.evidence);
}

#[test]
fn a_json_rpc_endpoint_in_a_django_view_is_a_served_dispatcher() {
    let pyproject = "[project]\nname = \"admin-mcp\"\ndependencies = [\"django>=5.0\"]\n";
    let views = "import json\nfrom django.http import JsonResponse\nfrom django.views import View\n\nfrom .manifest import initialize_result, tool_list\n\n\nclass McpEndpointView(View):\n    def post(self, request):\n        rpc = parse(request.body)\n        if rpc.method == \"initialize\":\n            return JsonResponse(initialize_result(rpc.id))\n        if rpc.method == \"tools/list\":\n            return JsonResponse(tool_list(rpc.id))\n        return JsonResponse({\"error\": \"unknown method\"}, status=404)\n";
    let v = run(&[
        ("pyproject.toml", pyproject),
        ("admin_mcp/server/views.py", views),
    ]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(
        v.labels.sdk.contains(&Sdk::HandRolled),
        "{:?}",
        v.labels.sdk
    );
    // Negative: the same dispatch in a module that serves nothing.
    let plain = views
        .replace(
            "from django.http import JsonResponse\nfrom django.views import View\n",
            "",
        )
        .replace("JsonResponse(", "dict(");
    let v = run(&[
        ("pyproject.toml", pyproject),
        ("admin_mcp/server/views.py", &plain),
    ]);
    assert_ne!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
}
