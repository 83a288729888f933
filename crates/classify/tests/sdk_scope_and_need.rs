//! SDK evidence, monorepo scope, and whether a server needs its secrets. Each rule has a positive and a negative fixture,
//! all written for these tests.

mod common;

use common::{run, run_named};
use mcp_survey_model::{CredentialSource, Credentials, Kind, Sdk};

const PY_FASTMCP: &str = "from fastmcp import FastMCP\nmcp = FastMCP(\"x\")\n\n@mcp.tool\ndef ping() -> str:\n    return \"pong\"\n\nmcp.run()\n";

#[test]
fn standalone_fastmcp_hides_the_official_dependency_it_pulls_in() {
    let v = run(&[
        (
            "pyproject.toml",
            "[project]\nname = \"pinger\"\ndependencies = [\n  \"fastmcp>=2\",\n  \"mcp>=1.9\",\n]\n",
        ),
        ("pinger/server.py", PY_FASTMCP),
        ("pinger/types.py", "from mcp.types import TextContent\n"),
    ]);
    assert_eq!(
        v.labels.sdk.iter().copied().collect::<Vec<_>>(),
        vec![Sdk::Fastmcp]
    );
}

#[test]
fn official_server_next_to_fastmcp_keeps_both() {
    let lowlevel = "from mcp.server.fastmcp import FastMCP\napp = FastMCP(\"y\")\n";
    let v = run(&[
        (
            "pyproject.toml",
            "[project]\nname = \"both\"\ndependencies = [\"fastmcp>=2\", \"mcp>=1.9\"]\n",
        ),
        ("both/a.py", PY_FASTMCP),
        ("both/b.py", lowlevel),
    ]);
    assert!(v.labels.sdk.contains(&Sdk::Fastmcp));
    assert!(v.labels.sdk.contains(&Sdk::PyOfficial));
}

#[test]
fn go_sdk_marked_indirect_is_found_through_its_import() {
    let main = "package main\n\nimport \"github.com/modelcontextprotocol/go-sdk/mcp\"\n\nfunc main() {\n\ts := mcp.NewServer(&mcp.Implementation{Name: \"x\"}, nil)\n\t_ = s\n}\n";
    let v = run(&[
        (
            "go.mod",
            "module example.com/x\n\nrequire github.com/modelcontextprotocol/go-sdk v1.0.0 // indirect\n",
        ),
        ("main.go", main),
    ]);
    assert!(
        v.labels.sdk.contains(&Sdk::GoOfficial),
        "{:?}",
        v.labels.sdk
    );
    // Negative: with neither the import nor a direct requirement it is not the official SDK.
    let v = run(&[
        ("go.mod", "module example.com/x\n"),
        (
            "main.go",
            &main.replace("modelcontextprotocol/go-sdk", "acme/mcplib"),
        ),
    ]);
    assert!(!v.labels.sdk.contains(&Sdk::GoOfficial));
}

#[test]
fn rmcp_from_workspace_and_kotlin_sdk_import() {
    let v = run(&[
        (
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/srv\"]\n[workspace.dependencies]\nrmcp = \"0.8\"\n",
        ),
        (
            "crates/srv/Cargo.toml",
            "[package]\nname = \"srv\"\n[dependencies]\nrmcp.workspace = true\n",
        ),
        (
            "crates/srv/src/main.rs",
            "struct S;\nimpl ServerHandler for S {}\nfn main() {}\n",
        ),
    ]);
    assert!(v.labels.sdk.contains(&Sdk::RustRmcp), "{:?}", v.labels.sdk);
    let kt = "import io.modelcontextprotocol.kotlin.sdk.server.StdioServerTransport\nimport io.modelcontextprotocol.kotlin.sdk.server.Server\nfun main() {}\n";
    let v = run(&[
        (
            "build.gradle.kts",
            "dependencies { implementation(libs.mcp.sdk) }\n",
        ),
        ("src/main/kotlin/Main.kt", kt),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(
        v.labels.sdk.contains(&Sdk::KotlinOfficial),
        "{:?}",
        v.labels.sdk
    );
}

#[test]
fn type_only_import_does_not_name_the_sdk() {
    let v = run(&[
        ("go.mod", "module example.com/x\n\nrequire github.com/modelcontextprotocol/go-sdk v1.0.0\n"),
        ("main.go", "package main\n\nimport \"github.com/modelcontextprotocol/go-sdk/mcp\"\n\nfunc main() { mcp.NewServer(nil, nil) }\n"),
        ("ui/src/app.ts", "import type { Tool } from \"@modelcontextprotocol/sdk/types.js\";\nexport const t: Tool[] = [];\n"),
    ]);
    assert!(
        !v.labels.sdk.contains(&Sdk::TsOfficial),
        "{:?}",
        v.labels.sdk
    );
}

const SERVER_PKG: &str = r#"{ "name": "@acme/widgets-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1", "@acme/core": "workspace:*" } }"#;
const SERVER_TS: &str = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport { load } from \"@acme/core\";\nconst s = new McpServer({ name: \"w\", version: \"1\" });\n";

#[test]
fn monorepo_packages_the_server_does_not_use_are_out_of_scope() {
    let v = run(&[
        ("package.json", r#"{ "name": "root", "private": true, "workspaces": ["packages/*"] }"#),
        ("packages/mcp/package.json", SERVER_PKG),
        ("packages/mcp/src/index.ts", SERVER_TS),
        ("packages/core/package.json", r#"{ "name": "@acme/core" }"#),
        (
            "packages/core/src/load.ts",
            "export const key = process.env.WIDGETS_API_KEY;\nif (!key) { throw new Error(\"WIDGETS_API_KEY is required\"); }\n",
        ),
        ("packages/cli/package.json", r#"{ "name": "@acme/widgets-cli" }"#),
        ("packages/cli/src/gh.ts", "export const t = process.env.GITHUB_TOKEN;\n"),
    ]);
    assert!(
        v.labels.env_vars.contains("WIDGETS_API_KEY"),
        "{:?}",
        v.labels.env_vars
    );
    assert!(
        !v.labels.env_vars.contains("GITHUB_TOKEN"),
        "{:?}",
        v.labels.env_vars
    );
}

#[test]
fn dotnet_wildcard_project_reference_keeps_tool_packages_in_scope() {
    let server_csproj = r#"<Project><ItemGroup>
<PackageReference Include="ModelContextProtocol" Version="0.4.0" />
<ProjectReference Include="$(RepoRoot)\tools\Acme.*\src\*.csproj" />
</ItemGroup></Project>"#;
    let v = run(&[
        ("servers/Acme.Server/src/Acme.Server.csproj", server_csproj),
        (
            "servers/Acme.Server/src/Program.cs",
            "builder.Services.AddMcpServer().WithStdioServerTransport();\n",
        ),
        (
            "tools/Acme.Weather/src/Acme.Weather.csproj",
            "<Project></Project>",
        ),
        (
            "tools/Acme.Weather/src/Client.cs",
            "var k = Environment.GetEnvironmentVariable(\"WEATHER_API_KEY\");\n",
        ),
        (
            "other/Unrelated/src/Unrelated.csproj",
            "<Project></Project>",
        ),
        (
            "other/Unrelated/src/X.cs",
            "var t = Environment.GetEnvironmentVariable(\"UNRELATED_TOKEN\");\n",
        ),
    ]);
    assert!(
        v.labels.env_vars.contains("WEATHER_API_KEY"),
        "{:?}",
        v.labels.env_vars
    );
    assert!(!v.labels.env_vars.contains("UNRELATED_TOKEN"));
}

const PY_PROJECT: &str = "[project]\nname = \"quill-mcp\"\ndependencies = [\"mcp>=1.9\"]\n";
fn py_server(body: &str) -> String {
    format!("import os\nfrom mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"q\")\n{body}\n")
}

#[test]
fn soft_read_of_the_servers_own_service_key_is_required() {
    let body = "client = Client(api_key=os.environ.get(\"QUILL_API_KEY\"))\n";
    let v = run_named(
        Some("acme/quill-mcp"),
        &[
            ("pyproject.toml", PY_PROJECT),
            ("quill_mcp/server.py", &py_server(body)),
        ],
    );
    assert_eq!(v.labels.credentials, Credentials::Required);
    // Negative: a key for a side service, read softly, leaves the server usable.
    let body = "embedder = Embedder(api_key=os.environ.get(\"OPENAI_API_KEY\"))\n";
    let v = run_named(
        Some("acme/quill-mcp"),
        &[
            ("pyproject.toml", PY_PROJECT),
            ("quill_mcp/server.py", &py_server(body)),
        ],
    );
    assert_eq!(v.labels.credentials, Credentials::Optional);
}

#[test]
fn readme_calling_the_key_optional_overrides_the_purpose_rule() {
    let body = "client = Client(api_key=os.environ.get(\"QUILL_API_KEY\"))\n";
    let v = run_named(
        Some("acme/quill-mcp"),
        &[
            ("pyproject.toml", PY_PROJECT),
            ("quill_mcp/server.py", &py_server(body)),
            (
                "README.md",
                "# Quill MCP\n\n- Quill API key (optional): higher rate limits.\n",
            ),
        ],
    );
    assert_eq!(v.labels.credentials, Credentials::Optional);
}

#[test]
fn a_readme_list_item_calling_the_variable_optional_overrides_the_purpose_rule() {
    let body = "client = Client(api_key=os.environ.get(\"QUILL_API_KEY\"))\n";
    let readme = "# Quill MCP\n\n## Configuration\n\n- `QUILL_URL`: the address of your Quill instance.\n- `QUILL_API_KEY`: (Optional) a key, for instances with authentication on.\n";
    let files = |readme: &str| {
        run_named(
            Some("acme/quill-mcp"),
            &[
                ("pyproject.toml", PY_PROJECT),
                ("quill_mcp/server.py", &py_server(body)),
                ("README.md", readme),
            ],
        )
    };
    assert_eq!(files(readme).labels.credentials, Credentials::Optional);
    // Negative: the same list marking the key required.
    let v = files(&readme.replace("(Optional) a key", "(Required) a key"));
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn inbound_mcp_token_is_not_the_servers_purpose() {
    let body = "token = os.environ.get(\"QUILL_MCP_AUTH_TOKEN\")\n";
    let v = run_named(
        Some("acme/quill-mcp"),
        &[
            ("pyproject.toml", PY_PROJECT),
            ("quill_mcp/server.py", &py_server(body)),
        ],
    );
    assert_eq!(v.labels.credentials, Credentials::Optional);
}

#[test]
fn config_loader_that_validates_after_reading_is_required() {
    let go = r#"package main

import (
	"errors"
	"os"
	"github.com/mark3labs/mcp-go/server"
)

type Config struct{ Host, Key string }

func load() (Config, error) {
	cfg := Config{
		Host: os.Getenv("ACME_HOST"),
		Key:  os.Getenv("SIDECAR_API_KEY"),
	}
	if cfg.Host == "" {
		return cfg, errors.New("ACME_HOST is required")
	}
	if cfg.Key == "" {
		return cfg, errors.New("SIDECAR_API_KEY is required")
	}
	return cfg, nil
}

func main() { s := server.NewMCPServer("x", "1"); _ = s }
"#;
    let v = run(&[
        (
            "go.mod",
            "module x\nrequire github.com/mark3labs/mcp-go v0.30.0\n",
        ),
        ("main.go", go),
    ]);
    assert_eq!(v.labels.credentials, Credentials::Required);
    // Negative: the same loader that only logs when the key is missing.
    let soft = go
        .replace(
            "return cfg, errors.New(\"SIDECAR_API_KEY is required\")",
            "log.Printf(\"no key; some tools disabled\")",
        )
        .replace(
            "\tif cfg.Host == \"\" {\n\t\treturn cfg, errors.New(\"ACME_HOST is required\")\n\t}\n",
            "",
        );
    let v = run(&[
        (
            "go.mod",
            "module x\nrequire github.com/mark3labs/mcp-go v0.30.0\n",
        ),
        ("main.go", &soft),
    ]);
    assert_eq!(v.labels.credentials, Credentials::Optional);
}

#[test]
fn dotnet_configuration_key_is_env_and_config_file() {
    let program = r#"var builder = WebApplication.CreateBuilder(args);
var key = builder.Configuration["Weather:ApiKey"];
builder.Services.AddMcpServer().WithHttpTransport();
"#;
    let csproj = r#"<Project><ItemGroup><PackageReference Include="ModelContextProtocol.AspNetCore" Version="0.4.0" /></ItemGroup></Project>"#;
    let v = run(&[("Srv/Srv.csproj", csproj), ("Srv/Program.cs", program)]);
    assert!(
        v.labels.env_vars.contains("Weather__ApiKey"),
        "{:?}",
        v.labels.env_vars
    );
    assert!(v.labels.credential_sources.contains(&CredentialSource::Env));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
    // Negative: a non-secret key.
    let v = run(&[
        ("Srv/Srv.csproj", csproj),
        ("Srv/Program.cs", &program.replace("ApiKey", "BaseUrl")),
    ]);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
}

#[test]
fn hand_parsed_secret_argument_is_cli_arg_and_required() {
    let kt = r#"import io.modelcontextprotocol.kotlin.sdk.server.Server
fun main(args: Array<String>) {
    val params = args.map { it.split(":") }
    val apiKey = params.find { it[0] == "apiKey" }
}
"#;
    let v = run(&[
        ("build.gradle.kts", "plugins {}\n"),
        ("src/main/kotlin/Main.kt", kt),
    ]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::CliArg));
    assert_eq!(v.labels.credentials, Credentials::Required);
    // Negative: a non-secret argument name.
    let v = run(&[
        ("build.gradle.kts", "plugins {}\n"),
        ("src/main/kotlin/Main.kt", &kt.replace("apiKey", "baseUrl")),
    ]);
    assert!(v.labels.credential_sources.is_empty());
    assert_eq!(v.labels.credentials, Credentials::None);
}

const TS_SERVER_HEAD: &str = "import { Server } from \"@modelcontextprotocol/sdk/server/index.js\";\nimport { StdioServerTransport } from \"@modelcontextprotocol/sdk/server/stdio.js\";\nconst server = new Server({ name: \"papers\", version: \"1\" }, { capabilities: { tools: {} } });\n";

#[test]
fn a_key_checked_only_in_one_tools_branch_is_optional() {
    let handler = format!(
        "{TS_SERVER_HEAD}async function handle(name: string, args: any) {{\n  switch (name) {{\n    case \"search_open\":\n      return searchOpenArchive(args);\n    case \"search_paid\":\n      if (!process.env.PAID_INDEX_API_KEY) {{\n        throw new Error(\"PAID_INDEX_API_KEY is required for this tool\");\n      }}\n      return searchPaid(args, process.env.PAID_INDEX_API_KEY);\n  }}\n}}\nawait server.connect(new StdioServerTransport());\n"
    );
    let v = run(&[("src/index.ts", handler.as_str())]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.env_vars.contains("PAID_INDEX_API_KEY"));
    assert_eq!(v.labels.credentials, Credentials::Optional);
}

#[test]
fn a_key_checked_before_serving_is_required() {
    let main = format!(
        "{TS_SERVER_HEAD}async function main() {{\n  if (!process.env.PAID_INDEX_API_KEY) {{\n    throw new Error(\"PAID_INDEX_API_KEY is required\");\n  }}\n  await server.connect(new StdioServerTransport());\n}}\nmain();\n"
    );
    let v = run(&[("src/index.ts", main.as_str())]);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn a_secret_checked_only_in_one_start_mode_is_optional() {
    // Allman braces: the block's header is the line above its `{`.
    let program = "using ModelContextProtocol.Server;\nvar builder = Host.CreateApplicationBuilder(args);\nbuilder.Services.AddMcpServer().WithStdioServerTransport().WithToolsFromAssembly();\nif (!string.IsNullOrWhiteSpace(pipeName))\n{\n    var pipeToken = Environment.GetEnvironmentVariable(\"WORKER_PIPE_TOKEN\");\n    if (string.IsNullOrWhiteSpace(pipeToken))\n        throw new InvalidOperationException(\"The worker pipe token is not set.\");\n}\nawait builder.Build().RunAsync();\n";
    let v = run(&[
        (
            "Server.csproj",
            "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"ModelContextProtocol\" Version=\"0.4.0\" /></ItemGroup></Project>",
        ),
        ("Program.cs", program),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.env_vars.contains("WORKER_PIPE_TOKEN"));
    assert_ne!(v.labels.credentials, Credentials::Required);
}

#[test]
fn a_web_app_serving_mcp_from_its_route_handler_is_the_server_whole() {
    let package = "{\"name\":\"atlas-web\",\"dependencies\":{\"next\":\"15.0.0\",\"react-dom\":\"19.0.0\",\"mcp-handler\":\"1.0.0\",\"@modelcontextprotocol/sdk\":\"1.20.0\"}}";
    let route = "import { createMcpHandler } from \"mcp-handler\";\nimport { registerTools } from \"../../../mcp/server\";\nconst handler = createMcpHandler((server) => registerTools(server));\nexport { handler as GET, handler as POST };\n";
    let server = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport { ATLAS_API_KEY } from \"../lib/config\";\nexport function build() {\n  return new McpServer({ name: \"atlas\", version: \"1\" });\n}\n";
    let config = "export const ATLAS_API_KEY = process.env.ATLAS_API_KEY ?? \"\";\n";
    let v = run(&[
        ("package.json", package),
        ("app/api/[transport]/route.ts", route),
        ("mcp/server.ts", server),
        ("lib/config.ts", config),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(
        v.labels.env_vars.contains("ATLAS_API_KEY"),
        "{:?}",
        v.labels
    );
    // Negative: no route handler serves MCP; the server folder is its own
    // package inside the web app, and the app's settings are not its own.
    let v = run(&[
        ("package.json", package),
        ("mcp/server.ts", server),
        ("lib/config.ts", config),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
}

#[test]
fn a_shared_package_the_server_imports_is_in_scope_even_with_an_mcp_client_inside() {
    let shared_client = "import { Client } from \"@modelcontextprotocol/sdk/client/index.js\";\nexport const upstream = new Client({ name: \"relay\", version: \"1\" });\n";
    let shared_config = "export const mailKey = process.env.MAIL_API_KEY;\n";
    let files = |server_pkg: &str| {
        run(&[
            (
                "package.json",
                r#"{ "name": "root", "private": true, "workspaces": ["packages/*"] }"#,
            ),
            ("packages/mcp/package.json", server_pkg),
            ("packages/mcp/src/index.ts", SERVER_TS),
            (
                "packages/shared/package.json",
                r#"{ "name": "@acme/shared" }"#,
            ),
            ("packages/shared/src/clients.ts", shared_client),
            ("packages/shared/src/config.ts", shared_config),
        ])
    };
    let depends = r#"{ "name": "@acme/mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1.0.0", "@acme/shared": "*" } }"#;
    let v = files(depends);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.env_vars.contains("MAIL_API_KEY"), "{:?}", v.labels);
    // Negative: the server does not depend on it; it is another package's
    // client.
    let v = files(
        r#"{ "name": "@acme/mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1.0.0" } }"#,
    );
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
}
