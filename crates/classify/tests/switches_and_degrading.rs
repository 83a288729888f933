//! Secrets a server can start without: a feature that logs a warning and
//! turns itself off when its key is missing, inbound authentication that
//! ships switched off, and code that only benchmarks the server. Each rule
//! has a positive and a negative fixture, all written for these tests.

mod common;

use common::run;
use mcp_survey_model::{AuthMethod, Credentials, Kind};

const PY_PROJECT: &str = "[project]\nname = \"atlas-mcp\"\ndependencies = [\"mcp>=1.9\"]\n";

fn py_server(setup: &str) -> String {
    format!(
        "import os\nimport logging\nfrom mcp.server.fastmcp import FastMCP\nlogger = logging.getLogger(__name__)\nmcp = FastMCP(\"atlas\")\n\n@mcp.tool()\ndef area(w: float, h: float) -> float:\n    return w * h\n\ndef setup_summaries():\n{setup}\nif __name__ == \"__main__\":\n    setup_summaries()\n    mcp.run()\n"
    )
}

#[test]
fn a_feature_that_warns_and_skips_without_its_key_is_optional() {
    let setup = "    if not os.getenv(\"OPENAI_API_KEY\"):\n        logger.warning(\"Skipping summaries because OPENAI_API_KEY is not configured\")\n        return None\n    return Summarizer()\n";
    let v = run(&[
        ("pyproject.toml", PY_PROJECT),
        ("atlas_mcp/server.py", &py_server(setup)),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.env_vars.contains("OPENAI_API_KEY"));
    assert_eq!(v.labels.credentials, Credentials::Optional);
    // Negative: the same message, but the program stops.
    let setup = "    if not os.getenv(\"OPENAI_API_KEY\"):\n        raise RuntimeError(\"OPENAI_API_KEY is not configured\")\n    return Summarizer()\n";
    let v = run(&[
        ("pyproject.toml", PY_PROJECT),
        ("atlas_mcp/server.py", &py_server(setup)),
    ]);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

const CSPROJ: &str = "<Project Sdk=\"Microsoft.NET.Sdk.Web\"><ItemGroup><PackageReference Include=\"ModelContextProtocol.AspNetCore\" Version=\"0.4.0\" /><PackageReference Include=\"Microsoft.Identity.Web\" Version=\"3.0.0\" /></ItemGroup></Project>";
const PROGRAM: &str = "using ModelContextProtocol.Server;\nvar builder = WebApplication.CreateBuilder(args);\nbuilder.Services.AddMcpServer().WithHttpTransport().WithToolsFromAssembly();\nif (builder.Configuration.GetValue<bool>(\"UseAuth\"))\n{\n    builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)\n        .AddMicrosoftIdentityWebApi(builder.Configuration.GetSection(\"AzureAd\"));\n}\nvar app = builder.Build();\napp.MapMcp();\napp.Run();\n";

#[test]
fn a_resource_server_behind_a_switch_that_ships_off_is_optional() {
    let v = run(&[
        ("Server.csproj", CSPROJ),
        ("Program.cs", PROGRAM),
        (
            "appsettings.json",
            "{\n  \"UseAuth\": false,\n  \"AzureAd\": { \"Instance\": \"https://login.microsoftonline.com/\" }\n}\n",
        ),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.auth_methods.contains(&AuthMethod::Oauth));
    assert_eq!(v.labels.credentials, Credentials::Optional);
    // Negative: the shipped setting turns it on.
    let v = run(&[
        ("Server.csproj", CSPROJ),
        ("Program.cs", PROGRAM),
        (
            "appsettings.json",
            "{\n  \"UseAuth\": true,\n  \"AzureAd\": { \"Instance\": \"https://login.microsoftonline.com/\" }\n}\n",
        ),
    ]);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn an_auth_switch_read_as_opt_in_from_the_environment_is_optional() {
    let index = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport { requireBearerAuth } from \"@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js\";\nconst server = new McpServer({ name: \"atlas\", version: \"1\" });\nconst verifier = new ProxyOAuthServerProvider({ endpoints, verifyAccessToken });\nconst app = express();\nconst authEnabled = process.env.MCP_AUTH_ENABLED === \"true\";\nif (authEnabled) {\n  app.use(requireBearerAuth({ verifier }));\n}\napp.listen(3000);\n";
    let v = run(&[("src/index.ts", index)]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert_ne!(v.labels.credentials, Credentials::Required);
    let always = index.replace("process.env.MCP_AUTH_ENABLED === \"true\"", "true");
    let v = run(&[("src/index.ts", always.as_str())]);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn a_benchmark_folder_is_not_the_server() {
    let bench = "import google.auth\ncredentials, _ = google.auth.default()\n";
    let server = py_server("    return None\n");
    let v = run(&[
        ("pyproject.toml", PY_PROJECT),
        ("atlas_mcp/server.py", &server),
        ("bench/load.py", bench),
    ]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert_eq!(v.labels.credentials, Credentials::None);
    let v = run(&[
        ("pyproject.toml", PY_PROJECT),
        ("atlas_mcp/server.py", &server),
        ("atlas_mcp/cloud.py", bench),
    ]);
    assert!(v.labels.auth_methods.contains(&AuthMethod::CloudIam));
}
