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

/// Classifies the atlas server package with `setup` as its summaries
/// setup function's body.
fn run_atlas(setup: &str) -> mcp_survey_model::Verdict {
    run(&[
        ("pyproject.toml", PY_PROJECT),
        ("atlas_mcp/server.py", &py_server(setup)),
    ])
}

#[test]
fn a_feature_that_warns_and_skips_without_its_key_is_optional() {
    let setup = "    if not os.getenv(\"OPENAI_API_KEY\"):\n        logger.warning(\"Skipping summaries because OPENAI_API_KEY is not configured\")\n        return None\n    return Summarizer()\n";
    let v = run_atlas(setup);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.env_vars.contains("OPENAI_API_KEY"));
    assert_eq!(v.labels.credentials, Credentials::Optional);
    // Negative: the same message, but the program stops.
    let setup = "    if not os.getenv(\"OPENAI_API_KEY\"):\n        raise RuntimeError(\"OPENAI_API_KEY is not configured\")\n    return Summarizer()\n";
    let v = run_atlas(setup);
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

#[test]
fn an_auth_flag_to_turn_on_means_auth_ships_off() {
    let index = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport { requireBearerAuth } from \"@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js\";\nimport yargs from \"yargs\";\nconst argv = yargs(process.argv.slice(2)).options({\n  port: { type: \"number\", default: 3050 },\n  \"enable-auth\": { type: \"boolean\", default: false, describe: \"Require OAuth bearer tokens\" },\n}).parseSync();\nconst server = new McpServer({ name: \"atlas\", version: \"1\" });\nconst verifier = new ProxyOAuthServerProvider({ endpoints, verifyAccessToken });\nconst app = express();\nif (argv[\"enable-auth\"]) {\n  app.use(requireBearerAuth({ verifier }));\n}\napp.listen(argv.port);\n";
    let v = run(&[("src/index.ts", index)]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.auth_methods.contains(&AuthMethod::Oauth));
    assert_ne!(v.labels.credentials, Credentials::Required);
    // Negative: no flag, the bearer check always runs.
    let always = index
        .replace("  \"enable-auth\": { type: \"boolean\", default: false, describe: \"Require OAuth bearer tokens\" },\n", "")
        .replace("if (argv[\"enable-auth\"]) {\n  app.use(requireBearerAuth({ verifier }));\n}", "app.use(requireBearerAuth({ verifier }));");
    let v = run(&[("src/index.ts", always.as_str())]);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn an_auth_mode_that_defaults_to_none_ships_off() {
    let config = "import os\nfrom dataclasses import dataclass\n\n@dataclass\nclass Settings:\n    auth_mode: str = os.getenv(\"ATLAS_AUTH_MODE\", \"none\")\n    issuer: str | None = os.getenv(\"ATLAS_OAUTH_ISSUER\")\n";
    let server = "from mcp.server.fastmcp import FastMCP\nfrom mcp.server.auth.provider import TokenVerifier\nfrom atlas_mcp.config import Settings\n\nclass JwtVerifier(TokenVerifier):\n    async def verify_token(self, token: str):\n        return decode(token)\n\nsettings = Settings()\nverifier = JwtVerifier() if settings.auth_mode == \"oauth\" else None\nmcp = FastMCP(\"atlas\", token_verifier=verifier)\n\n@mcp.tool()\ndef area(w: float, h: float) -> float:\n    return w * h\n";
    let files = |config: &str| {
        run(&[
            ("pyproject.toml", PY_PROJECT),
            ("atlas_mcp/config.py", config),
            ("atlas_mcp/server.py", server),
        ])
    };
    let v = files(config);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.auth_methods.contains(&AuthMethod::Oauth));
    assert_ne!(v.labels.credentials, Credentials::Required);
    // Negative: the mode defaults to OAuth.
    let v = files(&config.replace("\"none\")", "\"oauth\")"));
    assert_eq!(v.labels.credentials, Credentials::Required);
    // An auth type read with an empty fallback, or an authentication flag
    // that defaults to false, ships off as well.
    let empty = "import os\nfrom dataclasses import dataclass\n\n@dataclass\nclass Settings:\n    auth_mode: str = (os.environ.get(\"ATLAS_AUTH_TYPE\") or \"\").lower()\n    issuer: str | None = os.getenv(\"ATLAS_OAUTH_ISSUER\")\n";
    assert_ne!(files(empty).labels.credentials, Credentials::Required);
    let flag = "import os\nfrom dataclasses import dataclass\n\n@dataclass\nclass Settings:\n    auth_mode: str = \"oauth\" if os.environ.get(\"ATLAS_AUTHENTICATION_FLAG\", \"false\") == \"true\" else \"\"\n    issuer: str | None = os.getenv(\"ATLAS_OAUTH_ISSUER\")\n";
    assert_ne!(files(flag).labels.credentials, Credentials::Required);
    // Negative: an auth type that falls back to OAuth.
    let oauth = empty.replace("or \"\")", "or \"oauth\")");
    assert_eq!(files(&oauth).labels.credentials, Credentials::Required);
}

#[test]
fn inbound_auth_that_passes_requests_through_without_its_token_is_optional() {
    let index = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"atlas\", version: \"1\" });\nconst app = express();\nfunction auth(req, res, next) {\n  const expected = process.env.ATLAS_ACCESS_TOKEN;\n  // Not configured: every request passes\n  if (!expected) {\n    return next();\n  }\n  const header = req.headers.authorization;\n  if (header !== `Bearer ${expected}`) {\n    return res.status(401).json({ error: \"missing or invalid token\" });\n  }\n  next();\n}\napp.use(auth);\napp.listen(3000);\n";
    let v = run(&[("src/index.ts", index)]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.env_vars.contains("ATLAS_ACCESS_TOKEN"));
    assert_ne!(v.labels.credentials, Credentials::Required);
    // Negative: without the token the server refuses to start.
    let strict = index.replace(
        "  // Not configured: every request passes\n  if (!expected) {\n    return next();\n  }\n",
        "  if (!expected) {\n    throw new Error(\"ATLAS_ACCESS_TOKEN is not configured\");\n  }\n",
    );
    let v = run(&[("src/index.ts", strict.as_str())]);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn a_check_of_another_setting_does_not_make_the_key_required() {
    let setup = "    api_key = os.environ.get(\"OPENAI_API_KEY\")\n    base_url = os.environ.get(\"SUMMARY_BASE_URL\")\n    if not base_url:\n        raise ValueError(\"SUMMARY_BASE_URL is required\")\n    return Summarizer(base_url, api_key=api_key)\n";
    let v = run_atlas(setup);
    assert!(v.labels.env_vars.contains("OPENAI_API_KEY"));
    assert_ne!(v.labels.credentials, Credentials::Required);
    // Negative: the key itself is checked.
    let setup = setup.replace("if not base_url:", "if not api_key:");
    let v = run_atlas(&setup);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn a_comment_beside_a_read_is_no_check_of_it() {
    let index = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"atlas\", version: \"1\" });\nconst key = process.env.WEATHER_API_KEY;\n// throw on a rejected key; a missing key means the free tier\nconst client = new Weather({ key });\n";
    let v = run(&[("src/index.ts", index)]);
    assert!(v.labels.env_vars.contains("WEATHER_API_KEY"));
    assert_ne!(v.labels.credentials, Credentials::Required);
    // Negative: code that throws when the key is missing.
    let strict = index.replace(
        "// throw on a rejected key; a missing key means the free tier\n",
        "if (!key) throw new Error(\"missing key\");\n",
    );
    let v = run(&[("src/index.ts", strict.as_str())]);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn a_switch_for_a_test_mode_says_nothing_of_the_servers_auth() {
    let index = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport { requireBearerAuth } from \"@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js\";\nconst server = new McpServer({ name: \"atlas\", version: \"1\" });\nconst verifier = new ProxyOAuthServerProvider({ endpoints, verifyAccessToken });\nconst app = express();\nconst loadTestAuth = process.env.ENABLE_LOAD_TEST_AUTH === \"true\";\napp.use(requireBearerAuth({ verifier }));\napp.listen(3000);\n";
    let v = run(&[("src/index.ts", index)]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert_eq!(v.labels.credentials, Credentials::Required);
    // Negative: the switch of the server's own authentication.
    let off = index.replace("ENABLE_LOAD_TEST_AUTH", "ENABLE_MCP_AUTH");
    let v = run(&[("src/index.ts", off.as_str())]);
    assert_ne!(v.labels.credentials, Credentials::Required);
}

#[test]
fn a_key_checked_only_when_another_setting_turns_its_feature_on_is_optional() {
    let setup = "    use_cloud = os.getenv(\"SUMMARY_USE_CLOUD\") == \"1\"\n    key = os.getenv(\"SUMMARY_CLOUD_KEY\")\n    if use_cloud and not key:\n        raise RuntimeError(\"SUMMARY_CLOUD_KEY is required when SUMMARY_USE_CLOUD is set\")\n    return key\n";
    let v = run_atlas(setup);
    assert!(v.labels.env_vars.contains("SUMMARY_CLOUD_KEY"));
    assert_ne!(v.labels.credentials, Credentials::Required);
    // Negative: two keys both tested for absence are both needed.
    let setup = setup.replace("if use_cloud and not key:", "if not key and not use_cloud:");
    let v = run_atlas(&setup);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn the_evidence_for_a_hard_stop_names_the_secret_that_stops_the_server() {
    let setup = "    key = os.getenv(\"OPENAI_API_KEY\")\n    if not key:\n        raise RuntimeError(\"OPENAI_API_KEY is not configured\")\n    token = os.getenv(\"SLACK_TOKEN\")\n    return Summarizer(key, token)\n";
    let v = run_atlas(setup);
    assert_eq!(v.labels.credentials, Credentials::Required);
    let stop = v
        .evidence
        .iter()
        .find(|e| e.field == "credentials" && e.rule.contains("errors or exits"))
        .expect("a hard-stop evidence line");
    assert_eq!(stop.matched, "OPENAI_API_KEY");
}

#[test]
fn a_key_checked_only_in_one_modes_branch_is_optional() {
    let body = |check: &str| {
        format!("    key = os.getenv(\"OPENAI_API_KEY\")\n    mode = os.getenv(\"SUMMARY_MODE\", \"local\")\n    model = os.getenv(\"SUMMARY_MODEL\", \"small\")\n    size = 10\n    logger.info(\"summaries: %s %s\", mode, model)\n{check}    return CloudSummarizer(key)\n")
    };
    let in_mode = "    if mode == \"local\":\n        return LocalSummarizer(model)\n    elif mode == \"cloud\":\n        if not key:\n            raise RuntimeError(\"OPENAI_API_KEY is required in cloud mode\")\n";
    let v = run_atlas(&body(in_mode));
    assert!(v.labels.env_vars.contains("OPENAI_API_KEY"));
    assert_eq!(v.labels.credentials, Credentials::Optional);
    // Negative: the same check made whatever the mode.
    let always = "    if not key:\n        raise RuntimeError(\"OPENAI_API_KEY is required\")\n";
    let v = run_atlas(&body(always));
    assert_eq!(v.labels.credentials, Credentials::Required);
}
