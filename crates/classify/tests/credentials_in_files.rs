//! Secrets the server reads from a configuration file it parses, from a
//! CLI's saved login, or through an interactive OAuth library: one fixture
//! per idiom plus negatives. All fixtures are written for these tests.

mod common;

use common::run;
use mcp_survey_model::{AuthMethod, CredentialSource, Credentials};

const GO_MOD: &str = "module example.org/zbx\n\nrequire github.com/mark3labs/mcp-go v0.30.0\n";
const GO_MAIN: &str = "package main\nimport \"github.com/mark3labs/mcp-go/server\"\nfunc main() { s := server.NewMCPServer(\"zbx\", \"1\"); server.ServeStdio(s) }\n";

#[test]
fn go_config_struct_decoded_from_a_yaml_file_holds_the_secrets() {
    let config = "package main\nimport (\n  \"os\"\n  \"gopkg.in/yaml.v3\"\n)\ntype Instance struct {\n  URL  string `yaml:\"url\"`\n  User string `yaml:\"username\"`\n  Pass string `yaml:\"password\"`\n  Token string `yaml:\"token\"`\n}\nfunc Load() (*Instance, error) {\n  data, err := os.ReadFile(\"config.yml\")\n  if err != nil { return nil, err }\n  var c Instance\n  return &c, yaml.Unmarshal(data, &c)\n}\n";
    let v = run(&[
        ("go.mod", GO_MOD),
        ("main.go", GO_MAIN),
        ("config.go", config),
    ]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Basic),
        "{:?}",
        v.labels
    );
    assert!(v.labels.auth_methods.contains(&AuthMethod::ApiKey));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
    assert_eq!(v.labels.credentials, Credentials::Required);
    assert!(v.labels.env_vars.is_empty());
    // Negative: the same tags on an API response decoded from a body.
    let response = config
        .replace("os.ReadFile(\"config.yml\")", "io.ReadAll(resp.Body)")
        .replace("\"os\"", "\"io\"");
    let v = run(&[
        ("go.mod", GO_MOD),
        ("main.go", GO_MAIN),
        ("config.go", &response),
    ]);
    assert!(v.labels.auth_methods.is_empty(), "{:?}", v.labels);
}

#[test]
fn dotnet_options_bound_to_a_section_are_config_and_double_underscore_env() {
    let csproj = "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"ModelContextProtocol\" Version=\"0.4.0\" /></ItemGroup></Project>";
    let program = "var builder = Host.CreateApplicationBuilder(args);\nbuilder.Services.AddMcpServer().WithStdioServerTransport().WithToolsFromAssembly();\nbuilder.Services.AddOptions<BookmarksOptions>()\n    .Bind(builder.Configuration.GetSection(\"Bookmarks\"))\n    .ValidateDataAnnotations();\n";
    let options = "public class BookmarksOptions\n{\n    [Required]\n    public string ApiToken { get; set; } = string.Empty;\n    public string BaseUrl { get; set; } = \"https://api.example.org\";\n}\n";
    let v = run(&[
        ("App/App.csproj", csproj),
        ("App/Program.cs", program),
        ("App/BookmarksOptions.cs", options),
    ]);
    assert!(
        v.labels.env_vars.contains("Bookmarks__ApiToken"),
        "{:?}",
        v.labels
    );
    assert!(!v.labels.env_vars.contains("Bookmarks__BaseUrl"));
    assert!(v.labels.credential_sources.contains(&CredentialSource::Env));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
    assert!(v.labels.auth_methods.contains(&AuthMethod::ApiKey));
}

#[test]
fn a_token_cache_with_refresh_tokens_is_oauth_not_an_api_key() {
    let cargo =
        "[package]\nname = \"mail-mcp\"\n[dependencies]\nrmcp = \"0.8\"\nserde_json = \"1\"\n";
    let main = "use rmcp::ServiceExt;\nstruct Mail;\nimpl rmcp::handler::server::ServerHandler for Mail {}\n";
    let cache = "use serde::Deserialize;\n#[derive(Deserialize)]\npub struct Cached {\n    pub access_token: String,\n    pub refresh_token: Option<String>,\n    pub expires_in: u64,\n}\npub fn load(p: &str) -> Cached { serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap() }\n";
    let v = run(&[
        ("Cargo.toml", cargo),
        ("src/main.rs", main),
        ("src/cache.rs", cache),
    ]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Oauth),
        "{:?}",
        v.labels
    );
    assert!(!v.labels.auth_methods.contains(&AuthMethod::ApiKey));
}

#[test]
fn a_server_that_shells_out_to_a_code_host_cli_uses_its_saved_login() {
    let package = "// swift-tools-version:5.9\nimport PackageDescription\nlet package = Package(name: \"lab-mcp\", dependencies: [.package(url: \"https://github.com/modelcontextprotocol/swift-sdk\", from: \"0.9.0\")])\n";
    let server = "import MCP\nlet server = Server(name: \"lab\", version: \"1.0\")\n";
    let cli = "import Foundation\nfunc run(_ args: [String]) throws -> String {\n    let cmd = [\"glab\"] + args\n    let p = Process()\n    p.arguments = cmd\n    return \"\"\n}\n";
    let v = run(&[
        ("Package.swift", package),
        ("Sources/Lab/Server.swift", server),
        ("Sources/Lab/CLI.swift", cli),
    ]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Pat),
        "{:?}",
        v.labels
    );
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
    assert_eq!(v.labels.credentials, Credentials::Required);
    // Negative: running git, which needs no login for local work.
    let v = run(&[
        ("Package.swift", package),
        ("Sources/Lab/Server.swift", server),
        ("Sources/Lab/CLI.swift", &cli.replace("glab", "git")),
    ]);
    assert_eq!(v.labels.credentials, Credentials::None, "{:?}", v.labels);
}

#[test]
fn installed_app_oauth_flows_are_required_logins_with_a_token_file() {
    let pyproject =
        "[project]\nname = \"cal-mcp\"\ndependencies = [\"mcp>=1.2\", \"google-auth-oauthlib\"]\n";
    let server = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"cal\")\n";
    let auth = "from google_auth_oauthlib.flow import InstalledAppFlow\n\ndef login():\n    flow = InstalledAppFlow.from_client_secrets_file(\"credentials.json\", SCOPES)\n    creds = flow.run_local_server(port=0)\n    open(\"token.json\", \"w\").write(creds.to_json())\n";
    let v = run(&[
        ("pyproject.toml", pyproject),
        ("src/cal/server.py", server),
        ("src/cal/auth.py", auth),
    ]);
    assert!(v.labels.auth_methods.contains(&AuthMethod::Oauth));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::OauthFlow));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn snowflake_external_browser_sso_is_an_interactive_oauth_login() {
    let pyproject =
        "[project]\nname = \"sf-mcp\"\ndependencies = [\"mcp\", \"snowflake-connector-python\"]\n";
    let server = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"sf\")\n";
    let conn = "import snowflake.connector\n\ndef connect(user, account):\n    return snowflake.connector.connect(user=user, account=account, authenticator=\"externalbrowser\")\n";
    let v = run(&[
        ("pyproject.toml", pyproject),
        ("src/sf/server.py", server),
        ("src/sf/conn.py", conn),
    ]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Oauth),
        "{:?}",
        v.labels
    );
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::OauthFlow));
}

#[test]
fn literals_in_doc_comments_and_rust_unit_tests_are_not_hardcoded() {
    let cargo = "[package]\nname = \"tok\"\n[dependencies]\nrmcp = \"0.8\"\n";
    let main = "struct S;\nimpl rmcp::handler::server::ServerHandler for S {}\n";
    let code = "/// Example answer:\n///\n/// * \"token\": \"cGBnw3YO7rUhq61EuuHqcGrYkaQWALAgi8szTqRoHA\"\npub fn parse() {}\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn parses() {\n        let token = \"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9aQ7x\";\n    }\n}\n";
    let v = run(&[
        ("Cargo.toml", cargo),
        ("src/main.rs", main),
        ("src/parse.rs", code),
    ]);
    assert!(
        !v.labels
            .credential_sources
            .contains(&CredentialSource::Hardcoded),
        "{:?}",
        v.evidence
    );
    // Negative: the same literal in code that runs is hardcoded.
    let live = "pub fn token() -> &'static str {\n    let token = \"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9aQ7x\";\n    token\n}\n";
    let v = run(&[
        ("Cargo.toml", cargo),
        ("src/main.rs", main),
        ("src/parse.rs", live),
    ]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Hardcoded));
}

#[test]
fn an_access_token_kept_beside_its_refresh_token_is_oauth() {
    let pyproject = "[project]\nname = \"mail-mcp\"\ndependencies = [\"mcp\"]\n";
    let server = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"mail\")\n";
    let config = "import os\nACCESS = os.environ[\"MAIL_ACCESS_TOKEN\"]\nREFRESH = os.environ[\"MAIL_REFRESH_TOKEN\"]\n";
    let v = run(&[
        ("pyproject.toml", pyproject),
        ("src/mail/server.py", server),
        ("src/mail/config.py", config),
    ]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Oauth),
        "{:?}",
        v.labels
    );
    assert!(!v.labels.auth_methods.contains(&AuthMethod::ApiKey));
    // Negative: an access token alone is a static key.
    let v = run(&[
        ("pyproject.toml", pyproject),
        ("src/mail/server.py", server),
        (
            "src/mail/config.py",
            "import os\nACCESS = os.environ[\"MAIL_ACCESS_TOKEN\"]\n",
        ),
    ]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::ApiKey),
        "{:?}",
        v.labels
    );
}

#[test]
fn patterns_that_describe_credentials_and_cookies_the_server_sets_are_no_use_of_them() {
    let gomod = "module example.org/px\n\nrequire github.com/mark3labs/mcp-go v0.30.0\n";
    let main = "package main\nimport \"github.com/mark3labs/mcp-go/server\"\nfunc main() { s := server.NewMCPServer(\"px\", \"1\"); server.ServeStdio(s) }\n";
    let scanner = "package detect\nimport \"regexp\"\nvar adc = regexp.MustCompile(`(?i)application_default_credentials\\.json|kubeconfig`)\n";
    let web = "package web\nfunc (h *Handler) done(w http.ResponseWriter) { h.sessions.SetSessionCookie(w, s) }\n";
    let v = run(&[
        ("go.mod", gomod),
        ("main.go", main),
        ("internal/detect/rules.go", scanner),
        ("internal/web/handler.go", web),
    ]);
    assert!(v.labels.auth_methods.is_empty(), "{:?}", v.evidence);
}

#[test]
fn a_list_of_words_is_no_command_line() {
    let pyproject = "[project]\nname = \"lang-mcp\"\ndependencies = [\"mcp\"]\n";
    let server = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"lang\")\n";
    let langs = "LANGS = [\"az\", \"be\", \"de\"]\n";
    let v = run(&[
        ("pyproject.toml", pyproject),
        ("src/lang/server.py", server),
        ("src/lang/langs.py", langs),
    ]);
    assert!(v.labels.auth_methods.is_empty(), "{:?}", v.evidence);
}

#[test]
fn rust_config_module_holds_the_fields_the_loader_decodes() {
    let cargo = "[package]\nname = \"relay\"\n[dependencies]\nrmcp = \"0.8\"\nserde = \"1\"\nserde_yaml = \"0.9\"\n";
    let main = "struct S;\nimpl rmcp::handler::server::ServerHandler for S {}\n";
    let schema = "use serde::Deserialize;\n#[derive(Deserialize)]\npub struct WebUi {\n    pub port: u16,\n    pub api_key: Option<String>,\n}\n";
    let loader = "use std::fs;\npub fn load(path: &str) -> crate::config::schema::WebUi {\n    let text = fs::read_to_string(path).expect(\"config\");\n    serde_yaml::from_str(&text).expect(\"yaml\")\n}\n";
    let v = run(&[
        ("Cargo.toml", cargo),
        ("src/main.rs", main),
        ("src/config/schema.rs", schema),
        ("src/loader.rs", loader),
    ]);
    assert!(
        v.labels
            .credential_sources
            .contains(&CredentialSource::ConfigFile),
        "{:?}",
        v.labels
    );
    assert!(v.labels.auth_methods.contains(&AuthMethod::ApiKey));
    // Negative: the config module fills its struct from the environment.
    let from_env = schema.replace(
        "pub struct WebUi {",
        "pub fn from_env() -> Option<String> { std::env::var(\"WEB_API_KEY\").ok() }\npub struct WebUi {",
    );
    let v = run(&[
        ("Cargo.toml", cargo),
        ("src/main.rs", main),
        ("src/config/schema.rs", &from_env),
        ("src/loader.rs", loader),
    ]);
    assert!(
        !v.labels
            .credential_sources
            .contains(&CredentialSource::ConfigFile),
        "{:?}",
        v.labels
    );
    // Negative: no file of the crate decodes a configuration document.
    let v = run(&[
        ("Cargo.toml", cargo),
        ("src/main.rs", main),
        ("src/config/schema.rs", schema),
    ]);
    assert!(v.labels.auth_methods.is_empty(), "{:?}", v.labels);
}

#[test]
fn a_model_loader_reading_its_tokenizer_is_no_secret_config() {
    // A model's files name "tokens" and a "tokenizer": no secret lives
    // beside its config.json.
    let assets = "package main\nimport \"os\"\nfunc loadModel(dir string) ([]byte, []byte) {\n  cfg, _ := os.ReadFile(dir + \"/config.json\")\n  tok, _ := os.ReadFile(dir + \"/tokenizer.json\")\n  return cfg, tok\n}\n";
    let config_file = |model: &str| {
        run(&[
            ("go.mod", GO_MOD),
            ("main.go", GO_MAIN),
            ("model.go", model),
        ])
        .evidence
        .iter()
        .any(|e| e.value == "config_file")
    };
    assert!(!config_file(assets));
    // Negative: a token read beside the same file is one.
    assert!(config_file(&assets.replace("tokenizer.json", "api_token")));
}

#[test]
fn opening_the_page_where_a_token_is_created_is_no_login() {
    // A setup step opens the page where the user makes a token to paste.
    let wizard = "package main\nimport \"github.com/pkg/browser\"\nfunc setup(host string) {\n  // create a personal access token, then paste it below\n  _ = browser.OpenURL(host + \"/-/user_settings/personal_access_tokens\")\n}\n";
    let flow = |code: &str| {
        run(&[("go.mod", GO_MOD), ("main.go", GO_MAIN), ("setup.go", code)])
            .evidence
            .iter()
            .any(|e| e.value == "oauth_flow")
    };
    assert!(!flow(wizard));
    // Negative: the same call opening a sign-in page is a login.
    assert!(flow(&wizard.replace(
        "create a personal access token, then paste it below",
        "sign in to continue"
    )));
}

#[test]
fn a_comment_about_browser_logins_is_no_login() {
    let server = |line: &str| {
        format!("import os\nfrom mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"site\")\nCOOKIE = os.environ[\"SITE_SESSION_COOKIE\"]\n{line}\nmcp.run()\n")
    };
    let flow = |code: &str| {
        run(&[("server.py", code)])
            .evidence
            .iter()
            .any(|e| e.value == "oauth_flow")
    };
    assert!(!flow(&server("# the cookie replaces an interactive login")));
    // Negative: a browser the server waits on for the login is one.
    assert!(flow(&server(
        "LOGIN_TIMEOUT = 120  # seconds to finish the browser login"
    )));
}

#[test]
fn a_service_account_key_opened_by_its_path_is_a_key_file_from_config() {
    // (key_file among the methods, config_file among the sources)
    let labels = |line: &str| {
        let server = format!("import {{ McpServer }} from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport {{ readFileSync }} from \"node:fs\";\nconst server = new McpServer({{ name: \"ads\", version: \"1\" }});\n{line}\n");
        let v = run(&[("src/index.ts", &server)]);
        (
            v.labels.auth_methods.contains(&AuthMethod::KeyFile),
            v.labels
                .credential_sources
                .contains(&CredentialSource::ConfigFile),
        )
    };
    assert_eq!(
        labels("const key = JSON.parse(readFileSync(process.env.ADS_SERVICE_ACCOUNT_FILE!, \"utf8\"));"),
        (true, true)
    );
    // Negative: the key's JSON handed over in memory comes from no file.
    assert_eq!(
        labels("const key: ServiceAccountCredentials = JSON.parse(process.env.ADS_SERVICE_ACCOUNT_JSON!);"),
        (true, false)
    );
}

#[test]
fn globs_that_filter_secret_files_name_no_key_and_no_config_file() {
    let csproj = "<Project Sdk=\"Microsoft.NET.Sdk\"><ItemGroup><PackageReference Include=\"ModelContextProtocol\" /></ItemGroup></Project>\n";
    let program = "var builder = Host.CreateApplicationBuilder(args);\nbuilder.Services.AddMcpServer().WithStdioServerTransport().WithToolsFromAssembly();\nawait builder.Build().RunAsync();\n";
    let denylist = "namespace Vault.Security;\n\n// Files the vault tools never open: they may hold secrets.\npublic static class SecretDenylist\n{\n    public static readonly string[] Patterns =\n    {\n        \".env*\", \"*.pem\", \"*.key\", \"*.pfx\", \"*.p12\",\n        \"*.settings.json\", \"*.keystore\", \"*.pkcs12\",\n    };\n}\n";
    let files = [
        ("Vault/Vault.csproj", csproj),
        ("Vault/Program.cs", program),
        ("Vault/Security/SecretDenylist.cs", denylist),
    ];
    let v = run(&files);
    assert!(v.labels.auth_methods.is_empty(), "{:?}", v.evidence);
    assert!(v.labels.credential_sources.is_empty(), "{:?}", v.evidence);
    assert_eq!(v.labels.credentials, Credentials::None);
    // Negative: a certificate the server opens by its file name is a key file.
    let cert = "namespace Vault.Security;\n\npublic static class ClientCert\n{\n    public static X509Certificate2 Load() => X509Certificate2.CreateFromPemFile(\"certs/client.p12\");\n}\n";
    let v = run(&[files[0], files[1], ("Vault/Security/ClientCert.cs", cert)]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::KeyFile),
        "{:?}",
        v.evidence
    );
}

#[test]
fn a_compilers_config_and_the_hosts_config_are_not_the_servers_config_file() {
    let index = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport { StdioServerTransport } from \"@modelcontextprotocol/sdk/server/stdio.js\";\nconst server = new McpServer({ name: \"scaffold\", version: \"1.0.0\" });\nconst registryKey = process.env.SCAFFOLD_API_KEY;\nawait server.connect(new StdioServerTransport());\n";
    let scaffold = "import { readFileSync, writeFileSync } from \"node:fs\";\n\nexport function scaffold(dir: string, spec: { apiKey?: string }) {\n  const pkg = JSON.parse(readFileSync(\"package.json\", \"utf8\"));\n  writeFileSync(`${dir}/tsconfig.json`, JSON.stringify(pkg.tsconfig));\n  return \"Register the server in claude_desktop_config.json; pass apiKey in its env block.\";\n}\n";
    let files = |scaffold: &str| run(&[("src/index.ts", index), ("src/scaffold.ts", scaffold)]);
    let v = files(scaffold);
    assert!(
        !v.labels
            .credential_sources
            .contains(&CredentialSource::ConfigFile),
        "{:?}",
        v.evidence
    );
    // Negative: a config file of the server's own in the user's home.
    let own = "import { readFileSync } from \"node:fs\";\nimport { homedir } from \"node:os\";\nimport { join } from \"node:path\";\n\nexport function loadKey(): string {\n  const cfg = JSON.parse(readFileSync(join(homedir(), \".scaffold\", \"config.json\"), \"utf8\"));\n  return cfg.apiKey;\n}\n";
    let v = files(own);
    assert!(
        v.labels
            .credential_sources
            .contains(&CredentialSource::ConfigFile),
        "{:?}",
        v.evidence
    );
}
