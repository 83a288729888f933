//! Environment variables and command-line flags read in the idioms of each
//! language: helpers, derived objects, computed names, docstrings, flags
//! declared without dashes. All fixtures are written for these tests.

mod common;

use common::run;
use mcp_survey_model::{AuthMethod, CredentialSource, Credentials, Kind, Transport};

const PYPROJECT: &str = "[project]\nname = \"fit-mcp\"\ndependencies = [\"mcp>=1.2\"]\n";
const PY_SERVER: &str = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"fit\")\n";

#[test]
fn a_variable_read_through_the_servers_own_helper_is_an_env_var() {
    let helper = "import os\n\ndef get_credential(env_var_name: str) -> str | None:\n    \"\"\"Reads a credential, decrypting it when needed.\"\"\"\n    value = os.environ.get(env_var_name)\n    return value\n\nPASSWORD = get_credential(\"FIT_PASSWORD\")\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/fit/server.py", PY_SERVER),
        ("src/fit/creds.py", helper),
    ]);
    assert!(v.labels.env_vars.contains("FIT_PASSWORD"), "{:?}", v.labels);
    assert!(v.labels.auth_methods.contains(&AuthMethod::Basic));
    // Negative: a function of the same shape that reads a dict, not the env.
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/fit/server.py", PY_SERVER),
        (
            "src/fit/creds.py",
            &helper.replace("os.environ.get(env_var_name)", "CACHE.get(env_var_name)"),
        ),
    ]);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
}

#[test]
fn a_helper_method_reading_a_later_parameter_from_the_environment_names_the_variable() {
    let addon = "import os\n\nclass Bridge:\n    def _setting(self, pref_attr, scene_attr, env_var):\n        \"\"\"Preferences first, then the scene, then the environment.\"\"\"\n        value = getattr(PREFS, pref_attr, \"\")\n        if value:\n            return value\n        if env_var:\n            return os.getenv(env_var, \"\")\n        return \"\"\n\n    def render_key(self):\n        return self._setting(\n            \"render_api_key\",\n            \"scene_render_key\",\n            \"FIT_RENDER_API_KEY\",\n        )\n\n    def render_url(self):\n        return self._setting(\"render_url\", \"scene_url\", str(\"FIT_RENDER_URL\"))\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/fit/server.py", PY_SERVER),
        ("src/fit/bridge.py", addon),
    ]);
    let env = &v.labels.env_vars;
    assert!(env.contains("FIT_RENDER_API_KEY"), "{:?}", v.labels);
    assert!(!env.contains("FIT_RENDER_URL"), "{env:?}");
    assert!(v.labels.auth_methods.contains(&AuthMethod::ApiKey));
    // Negative: the same method looking the name up in a table of its own.
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/fit/server.py", PY_SERVER),
        (
            "src/fit/bridge.py",
            &addon.replace("os.getenv(env_var, \"\")", "TABLE.get(env_var, \"\")"),
        ),
    ]);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
}

#[test]
fn usage_text_in_a_docstring_is_not_an_env_read() {
    let doc = "import os\n\ndef usage():\n    \"\"\"Example:\n        token = os.getenv(\"OTHER_API_KEY\")\n    \"\"\"\n    return None\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/fit/server.py", PY_SERVER),
        ("src/fit/doc.py", doc),
    ]);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
}

#[test]
fn names_destructured_from_an_object_derived_from_the_environment() {
    let pkg = r#"{ "name": "dash-mcp", "bin": { "dash-mcp": "build/index.js" }, "dependencies": { "@modelcontextprotocol/sdk": "^1.20.0" } }"#;
    let server = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"dash\", version: \"1\" });\n";
    let config = "const vars = withoutTemplates(process.env);\nconst {\n  SITE_URL: siteUrl,\n  DASH_PAT_VALUE: patValue,\n} = vars;\nexport const config = { siteUrl, patValue };\n";
    let v = run(&[
        ("package.json", pkg),
        ("src/index.ts", server),
        ("src/config.ts", config),
    ]);
    assert!(
        v.labels.env_vars.contains("DASH_PAT_VALUE"),
        "{:?}",
        v.labels
    );
    assert!(!v.labels.env_vars.contains("SITE_URL"));
    // Negative: destructuring a plain options object.
    let plain =
        "const opts = { DASH_PAT_VALUE: 'x' };\nconst { DASH_PAT_VALUE: patValue } = opts;\n";
    let v = run(&[
        ("package.json", pkg),
        ("src/index.ts", server),
        ("src/config.ts", plain),
    ]);
    assert!(
        !v.labels.env_vars.contains("DASH_PAT_VALUE"),
        "{:?}",
        v.labels
    );
}

#[test]
fn documented_variables_count_only_where_names_are_computed_at_run_time() {
    let readme = "# fit\n\n```json\n{ \"mcpServers\": { \"fit\": { \"command\": \"fit-mcp\", \"env\": { \"FIT_API_KEY\": \"...\" } } } }\n```\n";
    // Loading a .env file is not a dynamic read: the README name is not adopted.
    let plain =
        "import os\nfrom dotenv import load_dotenv\nload_dotenv()\nURL = os.getenv(\"FIT_URL\")\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("README.md", readme),
        ("src/fit/server.py", PY_SERVER),
        ("src/fit/config.py", plain),
    ]);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
    // Nor is copying the environment for a child process.
    let passed_on = "import os\nimport subprocess\n\ndef run(args):\n    env = os.environ.copy()\n    return subprocess.run(args, env=env)\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("README.md", readme),
        ("src/fit/server.py", PY_SERVER),
        ("src/fit/config.py", passed_on),
    ]);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
    // A name computed from a prefix: the documented variable is read.
    let computed = "import os\n\ndef setting(name):\n    return os.getenv(f\"FIT_{name}\")\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("README.md", readme),
        ("src/fit/server.py", PY_SERVER),
        ("src/fit/config.py", computed),
    ]);
    assert!(v.labels.env_vars.contains("FIT_API_KEY"), "{:?}", v.labels);
}

#[test]
fn flags_declared_without_dashes_are_cli_args() {
    let gomod = "module example.org/fl\n\nrequire github.com/mark3labs/mcp-go v0.30.0\n";
    let main = "package main\nimport (\n  \"flag\"\n  \"github.com/mark3labs/mcp-go/server\"\n)\nfunc main() {\n  apiKey := flag.String(\"api-key\", \"\", \"service API key\")\n  flag.Parse()\n  s := server.NewMCPServer(\"fl\", \"1\")\n  server.ServeStdio(s)\n}\n";
    let v = run(&[("go.mod", gomod), ("main.go", main)]);
    assert!(
        v.labels
            .credential_sources
            .contains(&CredentialSource::CliArg),
        "{:?}",
        v.labels
    );
    assert!(v.labels.auth_methods.contains(&AuthMethod::ApiKey));

    let cargo = "[package]\nname = \"fl\"\n[dependencies]\nrmcp = \"0.8\"\nclap = \"4\"\n";
    let rs = "use clap::{Arg, Command};\nstruct S;\nimpl rmcp::handler::server::ServerHandler for S {}\nfn main() {\n  let m = Command::new(\"fl\").arg(Arg::new(\"token\").long(\"token\")).get_matches();\n}\n";
    let v = run(&[("Cargo.toml", cargo), ("src/main.rs", rs)]);
    assert!(
        v.labels
            .credential_sources
            .contains(&CredentialSource::CliArg),
        "{:?}",
        v.labels
    );

    // Negative: a tool's input schema with a `token` property of type string.
    let pkg = r#"{ "name": "fl", "bin": { "fl": "index.js" }, "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
    let ts = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"fl\", version: \"1\" });\nconst schema = { properties: { pageToken: { type: 'string' } } };\n";
    let v = run(&[("package.json", pkg), ("src/index.ts", ts)]);
    assert!(
        !v.labels
            .credential_sources
            .contains(&CredentialSource::CliArg),
        "{:?}",
        v.labels
    );
}

#[test]
fn a_compose_variable_marked_required_makes_the_secret_required() {
    let pkg = r#"{ "name": "budget-mcp", "bin": { "budget-mcp": "dist/index.js" }, "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
    let server = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"budget\", version: \"1\" });\n";
    let compose = "services:\n  mcp:\n    image: budget-mcp\n    environment:\n      - SMTP_PASSWORD=${SMTP_PASSWORD:?SMTP_PASSWORD is required}\n";
    let v = run(&[
        ("package.json", pkg),
        ("src/index.ts", server),
        ("docker-compose.yaml", compose),
    ]);
    assert!(
        v.labels.env_vars.contains("SMTP_PASSWORD"),
        "{:?}",
        v.labels
    );
    assert_eq!(
        v.labels.credentials,
        mcp_survey_model::Credentials::Required
    );
    // Negative: a default value lets the container start without it.
    let v = run(&[
        ("package.json", pkg),
        ("src/index.ts", server),
        (
            "docker-compose.yaml",
            &compose.replace(":?SMTP_PASSWORD is required", ":-"),
        ),
    ]);
    assert_ne!(
        v.labels.credentials,
        mcp_survey_model::Credentials::Required
    );
}

#[test]
fn the_key_of_the_servers_own_https_listener_is_no_credential() {
    let pkg = r#"{ "name": "tls-mcp", "bin": { "tls-mcp": "dist/index.js" }, "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
    let server = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"tls\", version: \"1\" });\nconst key = process.env.MCP_HTTPS_KEY;\n";
    let v = run(&[("package.json", pkg), ("src/index.ts", server)]);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels);
    assert!(v.labels.auth_methods.is_empty());
}

const TS_PKG: &str = r#"{ "name": "relay-mcp", "bin": { "relay-mcp": "build/index.js" }, "dependencies": { "@modelcontextprotocol/sdk": "^1.20.0" } }"#;
const TS_SERVER: &str = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"relay\", version: \"1\" });\n";

#[test]
fn checks_that_run_only_when_the_secret_is_set_leave_it_optional() {
    let auth = "export function auth() {\n  const token = process.env.PROXY_AUTH_TOKEN;\n  if (token) {\n    if (token.length < 16) {\n      console.error('PROXY_AUTH_TOKEN must be at least 16 characters');\n      process.exit(1);\n    }\n    return { type: 'bearer', token };\n  }\n  return { type: 'none' };\n}\n";
    let v = run(&[
        ("package.json", TS_PKG),
        ("src/index.ts", TS_SERVER),
        ("src/auth.ts", auth),
    ]);
    assert_eq!(
        v.labels.credentials,
        Credentials::Optional,
        "{:?}",
        v.labels
    );
    assert!(v.labels.env_vars.contains("PROXY_AUTH_TOKEN"));
    // Negative: the same checks on the token's absence make it required.
    let strict = auth.replace(
        "if (token) {\n    if (token.length < 16) {",
        "if (!token) {\n    {",
    );
    let v = run(&[
        ("package.json", TS_PKG),
        ("src/index.ts", TS_SERVER),
        ("src/auth.ts", &strict),
    ]);
    assert_eq!(
        v.labels.credentials,
        Credentials::Required,
        "{:?}",
        v.labels
    );
}

#[test]
fn a_value_the_code_names_an_encryption_key_is_no_credential() {
    let go_mod = "module example.org/vault-mcp\n\nrequire github.com/mark3labs/mcp-go v0.30.0\n";
    let main = "package main\n\nimport \"github.com/mark3labs/mcp-go/server\"\n\nfunc main() {\n\ts := server.NewMCPServer(\"vault\", \"1.0\")\n\t_ = s\n}\n";
    let config = "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc (c *Config) Validate() error {\n\tif c.StoreEncryptionKey == \"\" {\n\t\tc.StoreEncryptionKey = os.Getenv(\"VAULT_STORE_KEY\")\n\t}\n\tif c.StoreEncryptionKey == \"\" {\n\t\treturn fmt.Errorf(\"store key is required\")\n\t}\n\treturn nil\n}\n";
    let v = run(&[("go.mod", go_mod), ("main.go", main), ("config.go", config)]);
    // Still a secret the operator sets, but the server needs no credential.
    assert_eq!(
        v.labels.credentials,
        Credentials::Optional,
        "{:?}",
        v.labels
    );
    // Negative: assigned to a field named for a credential, it is one.
    let v = run(&[
        ("go.mod", go_mod),
        ("main.go", main),
        (
            "config.go",
            &config.replace("StoreEncryptionKey", "VaultAPIKey"),
        ),
    ]);
    assert_eq!(
        v.labels.credentials,
        Credentials::Required,
        "{:?}",
        v.labels
    );
}

#[test]
fn a_settings_prefix_in_a_model_config_dict_names_the_variables() {
    let settings = "from pydantic_settings import BaseSettings\n\n\nclass PortalConfig(BaseSettings):\n    portal: str | None = None\n    bearer_token: str | None = None\n\n    model_config = {\n        \"env_prefix\": \"PORTAL_\",\n    }\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/fit/server.py", PY_SERVER),
        ("src/fit/config.py", settings),
    ]);
    assert!(
        v.labels.env_vars.contains("PORTAL_BEARER_TOKEN"),
        "{:?}",
        v.labels.env_vars
    );
    assert!(
        !v.labels.env_vars.contains("BEARER_TOKEN"),
        "{:?}",
        v.labels.env_vars
    );
}

#[test]
fn a_settings_field_alias_is_the_variable_in_place_of_its_name() {
    let settings = "from typing import Optional\nfrom pydantic import Field\nfrom pydantic_settings import BaseSettings, SettingsConfigDict\n\n\nclass ModelSettings(BaseSettings):\n    model_config = SettingsConfigDict(env_prefix=\"APP_\", env_nested_delimiter=\"__\")\n    vision__api_key: Optional[str] = Field(\n        default=None,\n        alias=\"VISION_API_KEY\",\n    )\n    speech_token: Optional[str] = Field(default=None, validation_alias=\"speech_service_token\")\n    chat_api_key: Optional[str] = None\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/fit/server.py", PY_SERVER),
        ("src/fit/settings.py", settings),
    ]);
    let env = &v.labels.env_vars;
    assert!(env.contains("VISION_API_KEY"), "{env:?}");
    assert!(env.contains("SPEECH_SERVICE_TOKEN"), "{env:?}");
    assert!(env.contains("APP_CHAT_API_KEY"), "{env:?}");
    assert!(!env.contains("APP_VISION__API_KEY"), "{env:?}");
    assert!(!env.contains("APP_SPEECH_TOKEN"), "{env:?}");
}

#[test]
fn modules_a_web_app_route_imports_are_server_code() {
    let pkg = r#"{ "name": "notes-app", "private": true, "dependencies": { "next": "15.0.0", "react-dom": "19.0.0", "mcp-handler": "^1.0.0", "@modelcontextprotocol/sdk": "^1.20.0" } }"#;
    let route = "import { createMcpHandler } from \"mcp-handler\";\nimport { notes } from \"@/lib/notes\";\n\nconst handler = createMcpHandler((server) => {\n  server.tool(\"list_notes\", {}, async () => notes());\n});\nexport { handler as GET, handler as POST };\n";
    let lib = "const key = process.env.NOTES_SERVICE_API_KEY;\nexport async function notes() {\n  return fetch(\"https://notes.example/api\", { headers: { authorization: `Bearer ${key}` } });\n}\n";
    let v = run(&[
        ("package.json", pkg),
        ("app/[transport]/route.ts", route),
        ("lib/notes.ts", lib),
    ]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(
        v.labels.env_vars.contains("NOTES_SERVICE_API_KEY"),
        "{:?}",
        v.labels
    );
    assert!(
        v.labels.transport.contains(&Transport::Http),
        "{:?}",
        v.labels.transport
    );
}

const GO_MOD: &str =
    "module example.com/fit-mcp\n\ngo 1.23\n\nrequire github.com/mark3labs/mcp-go v0.40.0\n";
const GO_SERVER: &str = "package main\n\nimport \"github.com/mark3labs/mcp-go/server\"\n\nfunc main() {\n\ts := server.NewMCPServer(\"fit\", \"1.0\")\n\tserver.ServeStdio(s)\n}\n";

#[test]
fn go_name_constants_with_trailing_comments_and_lookup_env_reads() {
    let config = "package main\n\nimport \"os\"\n\nconst (\n\tfitURLEnvVar      = \"FIT_URL\"\n\tfitAPIKeyEnvVar   = \"FIT_API_KEY\" // Deprecated: use FIT_SERVICE_TOKEN\n\tfitPasswordEnvVar = \"FIT_PASSWORD\"\n)\n\nfunc credentials() (string, string) {\n\tkey := os.Getenv(fitAPIKeyEnvVar)\n\tpassword, _ := os.LookupEnv(fitPasswordEnvVar)\n\t_ = os.Getenv(fitURLEnvVar)\n\treturn key, password\n}\n";
    let v = run(&[
        ("go.mod", GO_MOD),
        ("main.go", GO_SERVER),
        ("config.go", config),
    ]);
    let env = &v.labels.env_vars;
    assert!(env.contains("FIT_API_KEY"), "{:?}", v.labels);
    assert!(env.contains("FIT_PASSWORD"), "{env:?}");
    assert!(!env.contains("FIT_URL"), "{env:?}");
    assert!(v.labels.auth_methods.contains(&AuthMethod::Basic));
    // Negative: the same constants looked up in a map, not the environment.
    let v = run(&[
        ("go.mod", GO_MOD),
        ("main.go", GO_SERVER),
        (
            "config.go",
            &config
                .replace("os.Getenv(", "settings.Get(")
                .replace("os.LookupEnv(", "settings.Lookup("),
        ),
    ]);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
}

#[test]
fn a_go_function_literal_reading_its_parameter_from_the_environment_is_a_helper() {
    let config = "package main\n\nimport \"os\"\n\nfunc load(flagSecret string) string {\n\tget := func(flagVal, key, fallback string) string {\n\t\tif flagVal != \"\" {\n\t\t\treturn flagVal\n\t\t}\n\t\tif v := os.Getenv(key); v != \"\" {\n\t\t\treturn v\n\t\t}\n\t\treturn fallback\n\t}\n\t_ = get(\"\", \"FIT_PORT\", \"8080\")\n\treturn get(flagSecret, \"FIT_CLIENT_SECRET\", \"\")\n}\n";
    let v = run(&[
        ("go.mod", GO_MOD),
        ("main.go", GO_SERVER),
        ("config.go", config),
    ]);
    let env = &v.labels.env_vars;
    assert!(env.contains("FIT_CLIENT_SECRET"), "{:?}", v.labels);
    assert!(!env.contains("FIT_PORT"), "{env:?}");
    // Negative: a function literal that reads a map it was given.
    let v = run(&[
        ("go.mod", GO_MOD),
        ("main.go", GO_SERVER),
        (
            "config.go",
            &config.replace("os.Getenv(key)", "values[key]"),
        ),
    ]);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
}

const CSPROJ: &str = "<Project Sdk=\"Microsoft.NET.Sdk\">\n  <ItemGroup>\n    <PackageReference Include=\"ModelContextProtocol\" Version=\"0.4.0\" />\n  </ItemGroup>\n</Project>\n";
const CS_SERVER: &str = "var builder = Host.CreateApplicationBuilder(args);\nbuilder.Services.AddMcpServer().WithStdioServerTransport().WithToolsFromAssembly();\nawait builder.Build().RunAsync();\n";

#[test]
fn dotnet_configuration_keys_named_as_environment_variables() {
    let options = "public static class Setup\n{\n    public static void Bind(FitOptions options, IConfiguration configuration)\n    {\n        options.Host = configuration[\"FIT_DB_HOST\"];\n        options.Password = configuration[\"FIT_DB_PASSWORD\"];\n        options.Token = configuration.GetValue<string>(\"Fit:ApiToken\");\n    }\n}\n";
    let v = run(&[
        ("Fit.csproj", CSPROJ),
        ("Program.cs", CS_SERVER),
        ("Setup.cs", options),
    ]);
    let env = &v.labels.env_vars;
    assert!(env.contains("FIT_DB_PASSWORD"), "{:?}", v.labels);
    assert!(env.contains("Fit__ApiToken"), "{env:?}");
    assert!(!env.contains("FIT_DB_HOST"), "{env:?}");
    assert!(v.labels.credential_sources.contains(&CredentialSource::Env));
    assert!(v.labels.auth_methods.contains(&AuthMethod::Basic));
    // Negative: the same keys in a dictionary of its own.
    let v = run(&[
        ("Fit.csproj", CSPROJ),
        ("Program.cs", CS_SERVER),
        (
            "Setup.cs",
            &options
                .replace("configuration[", "defaults[")
                .replace("configuration.GetValue<string>(", "defaults.Lookup("),
        ),
    ]);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
}

#[test]
fn the_env_var_library_reads_a_variable_and_required_makes_it_needed() {
    let config = "import env from \"env-var\";\nexport const config = {\n  apiKey: env.get(\"PANEL_API_KEY\").required().asString(),\n  baseUrl: env.get(\"PANEL_BASE_URL\").default(\"https://panel.example\").asString(),\n};\n";
    let index = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport { config } from \"./config.js\";\nconst server = new McpServer({ name: \"panel\", version: \"1\" });\n";
    let v = run(&[("src/config.ts", config), ("src/index.ts", index)]);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(
        v.labels.env_vars.contains("PANEL_API_KEY"),
        "{:?}",
        v.labels
    );
    assert!(!v.labels.env_vars.contains("PANEL_BASE_URL"));
    assert_eq!(v.labels.credentials, Credentials::Required);
    // Negative: without `.required()` the key may be left out.
    let loose = config.replace(".required()", "");
    let v = run(&[("src/config.ts", loose.as_str()), ("src/index.ts", index)]);
    assert!(v.labels.env_vars.contains("PANEL_API_KEY"));
    assert_ne!(v.labels.credentials, Credentials::Required);
}

#[test]
fn the_shells_working_directory_is_no_password() {
    let session = "import os\n\ndef project_root() -> str:\n    pwd = os.getenv(\"PWD\")\n    if not pwd:\n        raise RuntimeError(\"cannot tell the working directory\")\n    return pwd\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/fit/server.py", PY_SERVER),
        ("src/fit/session.py", session),
    ]);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
    assert_eq!(v.labels.credentials, Credentials::None);
    // Negative: a database's PWD is a password.
    let db = session.replace("\"PWD\"", "\"DB_PWD\"");
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/fit/server.py", PY_SERVER),
        ("src/fit/session.py", db.as_str()),
    ]);
    assert!(v.labels.env_vars.contains("DB_PWD"));
    assert!(v.labels.auth_methods.contains(&AuthMethod::Basic));
}

#[test]
fn a_compose_file_that_refuses_to_start_without_the_servers_own_key_needs_no_credential() {
    let server = "import os\nfrom mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"notes\")\n\n@mcp.tool()\ndef add(a: int, b: int) -> int:\n    return a + b\n\nmcp.run()\n";
    // The server, with a compose file that refuses to start without `var`.
    let demanding = |var: &str| {
        let compose = format!("services:\n  notes:\n    build: .\n    environment:\n      {var}: ${{{var}:?set {var}}}\n");
        run(&[("server.py", server), ("docker-compose.yml", &compose)])
    };
    let v = demanding("TOKEN_ENCRYPTION_KEY");
    assert_ne!(
        v.labels.credentials,
        Credentials::Required,
        "{:?}",
        v.evidence
    );
    // Negative: a service's key the compose file demands stops it.
    let v = demanding("NOTES_API_KEY");
    assert_eq!(
        v.labels.credentials,
        Credentials::Required,
        "{:?}",
        v.evidence
    );
    let ev = v
        .evidence
        .iter()
        .find(|e| e.field == "credentials" && e.value == "required")
        .expect("evidence for required");
    assert_eq!(ev.matched, "NOTES_API_KEY");
}

#[test]
fn a_key_flag_whose_default_is_a_plain_word_names_a_field_not_a_secret() {
    let server = "from mcp.server.fastmcp import FastMCP\n\nmcp = FastMCP(\"rows\")\n\n@mcp.tool()\ndef count() -> int:\n    return 0\n\nif __name__ == \"__main__\":\n    mcp.run()\n";
    let split = "import argparse\n\nap = argparse.ArgumentParser()\nap.add_argument(\"--split-key\", default=\"kind\", help=\"column to split by\")\nargs = ap.parse_args()\n";
    let v = run(&[("server.py", server), ("split_rows.py", split)]);
    assert_eq!(v.labels.kind, Kind::Server, "{:?}", v.evidence);
    assert!(v.labels.credential_sources.is_empty(), "{:?}", v.evidence);
    assert_eq!(v.labels.credentials, Credentials::None);
    // Negative: a key flag with no default, or an empty one, is a secret.
    let key = "import argparse\n\nap = argparse.ArgumentParser()\nap.add_argument(\"--service-key\", default=\"\", help=\"key for the rows service\")\nargs = ap.parse_args()\n";
    let v = run(&[("server.py", server), ("split_rows.py", key)]);
    assert!(
        v.labels
            .credential_sources
            .contains(&CredentialSource::CliArg),
        "{:?}",
        v.evidence
    );
}

#[test]
fn a_variable_read_through_a_shared_map_of_names_is_an_env_var() {
    // The names live in a module of their own; the loader imports the map
    // and refuses to start without the token.
    let names = "export const ENV_VAR_NAMES = {\n  TRACKER_TOKEN: 'TRACKER_TOKEN',\n  TRACKER_ORG_ID: 'TRACKER_ORG_ID',\n} as const;\n";
    let loader = "import { ENV_VAR_NAMES } from './names.js';\n\nexport function loadConfig() {\n  const token = process.env[ENV_VAR_NAMES.TRACKER_TOKEN];\n  if (!token) {\n    throw new Error(`${ENV_VAR_NAMES.TRACKER_TOKEN} is not set`);\n  }\n  return { token };\n}\n";
    let server = "import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';\nimport { loadConfig } from './config/loader.js';\nconst config = loadConfig();\nconst server = new McpServer({ name: 'tracker', version: '1.0.0' });\n";
    let pkg =
        r#"{ "name": "tracker-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1.0.0" } }"#;
    let files = [
        ("package.json", pkg),
        ("src/index.ts", server),
        ("src/config/names.ts", names),
        ("src/config/loader.ts", loader),
    ];
    let v = run(&files);
    assert!(
        v.labels.env_vars.contains("TRACKER_TOKEN"),
        "{:?}",
        v.labels
    );
    assert_eq!(v.labels.credentials, Credentials::Required);
    // Negative: with no map defining the member, its name is not taken
    // for the variable's.
    let v = run(&files[..2]
        .iter()
        .copied()
        .chain([("src/config/loader.ts", loader)])
        .collect::<Vec<_>>());
    assert!(
        !v.labels.env_vars.contains("TRACKER_TOKEN"),
        "{:?}",
        v.labels
    );
}

#[test]
fn an_option_table_is_a_command_line_only_where_the_program_parses_one() {
    let pkg = r#"{ "name": "crm-mcp", "bin": { "crm-mcp": "dist/index.js" }, "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
    let server = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"crm\", version: \"1\" });\nconst apiKey = process.env.CRM_API_KEY;\n";
    // A tool that logs in to a second system takes the password as an
    // input: a property of its schema, nothing the operator passes.
    let tool = "export const loginTool = {\n  name: 'login',\n  inputSchema: {\n    type: 'object',\n    properties: {\n      username: { type: 'string' },\n      password: { type: 'string', description: 'Account password' },\n    },\n  },\n};\n";
    let takes_cli_arg = |extra: (&str, &str)| {
        run(&[("package.json", pkg), ("src/index.ts", server), extra])
            .labels
            .credential_sources
            .contains(&CredentialSource::CliArg)
    };
    assert!(!takes_cli_arg(("src/tools/login.ts", tool)));
    // node:util parseArgs reads the same shape from the command line.
    let cli = "import { parseArgs } from 'node:util';\nconst { values } = parseArgs({\n  options: {\n    password: { type: 'string' },\n  },\n});\n";
    assert!(takes_cli_arg(("src/cli.ts", cli)));
}

#[test]
fn a_stricli_flag_specification_is_a_command_line_option() {
    let pkg = r#"{ "name": "crm-mcp", "bin": { "crm-mcp": "bin/mcp-server.js" }, "dependencies": { "@modelcontextprotocol/sdk": "^1", "@stricli/core": "^1" } }"#;
    let server = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nexport function createServer(apiKey: string) {\n  return new McpServer({ name: \"crm\", version: \"1\" });\n}\n";
    let command = |kind: &str| {
        format!("import {{ buildCommand }} from \"@stricli/core\";\nexport const startCommand = buildCommand({{\n  loader: async () => (await import(\"./impl.js\")).main,\n  parameters: {{\n    flags: {{\n      \"api-key\": {{\n        kind: \"{kind}\",\n        brief: \"Sets the API key\",\n        optional: true,\n        parse: String,\n      }},\n    }},\n  }},\n  docs: {{ brief: \"Run the server\" }},\n}});\n")
    };
    let sources = |kind: &str| {
        run(&[
            ("package.json", pkg),
            ("src/server.ts", server),
            ("src/cli/start/command.ts", &command(kind)),
        ])
        .labels
        .credential_sources
    };
    assert!(sources("parsed").contains(&CredentialSource::CliArg));
    // Negative: a boolean switch of the same name takes no value.
    assert!(!sources("boolean").contains(&CredentialSource::CliArg));
}

/// The labels of the relay server with one more TypeScript module.
fn relay_with(path: &str, module: &str) -> mcp_survey_model::Labels {
    run(&[
        ("package.json", TS_PKG),
        ("src/index.ts", TS_SERVER),
        (path, module),
    ])
    .labels
}

#[test]
fn a_variable_the_code_calls_a_path_holds_no_secret() {
    let loader = |target: &str| {
        format!("import {{ readFileSync }} from 'fs';\nexport function load() {{\n  const {target} = process.env.CAL_OAUTH_CREDENTIALS;\n  return {target};\n}}\n")
    };
    let l = relay_with("src/auth.ts", &loader("credentialsPath"));
    assert!(
        !l.env_vars.contains("CAL_OAUTH_CREDENTIALS"),
        "{:?}",
        l.env_vars
    );
    assert!(!l.credential_sources.contains(&CredentialSource::Env));
    // Negative: the variable holds the credentials themselves.
    let l = relay_with("src/auth.ts", &loader("credentialsJson"));
    assert!(
        l.env_vars.contains("CAL_OAUTH_CREDENTIALS"),
        "{:?}",
        l.env_vars
    );
}

#[test]
fn keys_read_through_a_dynaconf_object_are_its_prefixed_variables() {
    let labels = |config: &str, client: &str| {
        run(&[
            ("pyproject.toml", PYPROJECT),
            ("src/fit/server.py", PY_SERVER),
            ("src/fit/config.py", config),
            ("src/fit/client.py", client),
        ])
        .labels
    };
    let client = "from fit.config import settings\n\ndef headers():\n    return {\"Authorization\": settings.get(\"API_KEY\")}\n";
    let bare = "from dynaconf import Dynaconf\nsettings = Dynaconf(\n    envvar_prefix=False,\n    settings_files=[\"settings.toml\"],\n)\n";
    let l = labels(bare, client);
    assert!(l.env_vars.contains("API_KEY"), "{:?}", l.env_vars);
    let prefixed =
        "from dynaconf import Dynaconf\nsettings = Dynaconf(\n    envvar_prefix=\"fit\",\n)\n";
    let l = labels(prefixed, client);
    assert!(l.env_vars.contains("FIT_API_KEY"), "{:?}", l.env_vars);
    let default =
        "from dynaconf import Dynaconf\nsettings = Dynaconf(settings_files=[\"settings.toml\"])\n";
    let l = labels(default, client);
    assert!(l.env_vars.contains("DYNACONF_API_KEY"), "{:?}", l.env_vars);
    // Negative: a settings object of another kind.
    let other = "class Settings(dict):\n    pass\nsettings = Settings()\n";
    let l = labels(other, client);
    assert!(l.env_vars.is_empty(), "{:?}", l.env_vars);
}

#[test]
fn a_variable_compared_with_a_boolean_word_is_a_switch() {
    let labels = |access: &str, template: &str| {
        run(&[
            ("pyproject.toml", PYPROJECT),
            ("src/fit/server.py", PY_SERVER),
            ("src/fit/access.py", access),
            (".env.example", template),
        ])
        .labels
    };
    let switch = "import os\n\ndef enforced():\n    return os.getenv(\"FIT_REQUIRE_CREDENTIALS\", \"true\").lower() == \"true\"\n";
    let l = labels(switch, "FIT_REQUIRE_CREDENTIALS=true\n");
    assert!(l.env_vars.is_empty(), "{:?}", l.env_vars);
    // Negative: the same name read for its value, and documented with one.
    let value = "import os\n\ndef credentials():\n    return os.getenv(\"FIT_REQUIRE_CREDENTIALS\", \"\")\n";
    let l = labels(value, "FIT_REQUIRE_CREDENTIALS=your-credentials\n");
    assert!(
        l.env_vars.contains("FIT_REQUIRE_CREDENTIALS"),
        "{:?}",
        l.env_vars
    );
}

#[test]
fn a_helper_reading_a_flag_then_a_variable_names_a_command_line_option() {
    let config = |lookup: &str| {
        format!("const cliArgs = parse(process.argv.slice(2));\nconst defaults = {{}};\nexport function getConfig(cliKey: string, envKey: string) {{\n  return {lookup}[cliKey] || process.env[envKey];\n}}\nexport const API_TOKEN = getConfig(\"api-token\", \"CRM_API_TOKEN\");\n")
    };
    let l = relay_with("src/config.ts", &config("cliArgs"));
    assert!(
        l.credential_sources.contains(&CredentialSource::CliArg),
        "{l:?}"
    );
    assert!(l.env_vars.contains("CRM_API_TOKEN"), "{:?}", l.env_vars);
    // Negative: the first key indexes a table of defaults, no command line.
    let l = relay_with("src/config.ts", &config("defaults"));
    assert!(
        !l.credential_sources.contains(&CredentialSource::CliArg),
        "{l:?}"
    );
    assert!(l.env_vars.contains("CRM_API_TOKEN"), "{:?}", l.env_vars);
}

#[test]
fn reads_in_a_rust_files_unit_tests_set_up_the_tests() {
    let cargo = "[package]\nname = \"mail-mcp\"\nversion = \"0.1.0\"\n\n[dependencies]\nrmcp = { version = \"0.8\", features = [\"server\"] }\n";
    let main = |tests: &str| {
        format!("use rmcp::{{ServiceExt, transport::stdio}};\n\n#[tokio::main]\nasync fn main() -> anyhow::Result<()> {{\n    let service = Mail::new().serve(stdio()).await?;\n    Ok(())\n}}\n{tests}")
    };
    let tests = "\n#[cfg(test)]\nmod tests {\n    fn fixture_pass() -> String {\n        std::env::var(\"FIXTURE_PASS\").unwrap_or_else(|_| \"test\".to_owned())\n    }\n}\n";
    let l = run(&[("Cargo.toml", cargo), ("src/main.rs", &main(tests))]).labels;
    assert!(l.env_vars.is_empty(), "{:?}", l.env_vars);
    // Negative: the same read in the server's own code.
    let own = tests.replace("#[cfg(test)]\n", "");
    let l = run(&[("Cargo.toml", cargo), ("src/main.rs", &main(&own))]).labels;
    assert!(l.env_vars.contains("FIXTURE_PASS"), "{:?}", l.env_vars);
}
