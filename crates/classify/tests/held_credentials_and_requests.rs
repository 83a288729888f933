//! Credentials a server holds (client certificates, Kerberos tickets, saved
//! browser sessions, cloud chains), credentials sent with each request, and
//! flags: one synthetic fixture per rule plus a negative.
//! All fixtures are written for these tests.

mod common;

use common::run;
use mcp_survey_model::{AuthMethod, CredentialSource, Credentials, Kind};

#[test]
fn full_stack_package_with_react_and_express_keeps_its_auth_code_in_scope() {
    let pkg = r#"{ "name": "notes-remote", "dependencies": {
  "@modelcontextprotocol/sdk": "^1.20.0", "express": "^4", "react": "^19", "react-dom": "^19" } }"#;
    let server = r#"import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
export function make() { return new Server({ name: "notes", version: "1" }, {}); }
"#;
    let auth = r#"import { requireBearerAuth } from "@modelcontextprotocol/sdk/server/auth/middleware/bearerAuth.js";
import { mcpAuthRouter } from "@modelcontextprotocol/sdk/server/auth/router.js";
export const guard = requireBearerAuth({ verifier });
app.use(mcpAuthRouter({ provider }));
"#;
    let files = [
        ("package.json", pkg),
        ("src/mcp/services/server.ts", server),
        ("src/auth/index.ts", auth),
    ];
    let v = run(&files);
    assert!(v.labels.auth_methods.contains(&AuthMethod::Oauth));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
    // Negative: a front-end app (react, no web server) with an MCP route
    // keeps only the server folder in scope.
    let v = run(&[
        ("package.json", &pkg.replace("\"express\": \"^4\", ", "")),
        ("src/mcp/services/server.ts", server),
        ("src/auth/index.ts", auth),
    ]);
    assert!(v.labels.auth_methods.is_empty(), "{:?}", v.labels);
}

#[test]
fn oauth_proxy_in_front_of_an_mcp_server_is_a_server() {
    let readme =
        "# MCP OAuth Proxy\n\nAn OAuth 2.1 proxy that adds authentication to MCP servers.\n";
    let main = r#"package proxy
import "net/http/httputil"
type Cmd struct {
	ClientSecret string `name:"oauth-client-secret" env:"OAUTH_CLIENT_SECRET" usage:"client secret" required:"true"`
}
func New(target *url.URL) http.Handler {
	p := httputil.NewSingleHostReverseProxy(target)
	// exchanges grant_type=authorization_code with the provider
	return p
}
"#;
    let files = [
        ("go.mod", "module example.com/mcpgate\n"),
        ("README.md", readme),
        ("pkg/proxy/proxy.go", main),
        (
            "cmd/mcpgate/main.go",
            "package main\n\nfunc main() { serve() }\n",
        ),
    ];
    let v = run(&files);
    assert_eq!(v.labels.kind, Kind::Server);
    assert!(v.labels.auth_methods.contains(&AuthMethod::Oauth));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::CliArg));
    assert!(v.labels.env_vars.contains("OAUTH_CLIENT_SECRET"));
    // Negative: a reverse proxy whose README says nothing of MCP.
    let v = run(&[
        ("go.mod", "module example.com/gate\n"),
        (
            "README.md",
            "# Gate\n\nA small HTTP reverse proxy for web apps.\n",
        ),
        ("pkg/proxy/proxy.go", main),
    ]);
    assert_ne!(v.labels.kind, Kind::Server);
    let _ = Credentials::None;
}

const RB_GEMSPEC: &str =
    "Gem::Specification.new do |s|\n  s.name = 'notes-mcp'\n  s.add_dependency 'mcp'\nend\n";
const RB_SERVER: &str = r#"require "mcp"
server = MCP::Server.new(name: "notes", tools: [ListNotes, EditNote])
class EditNote
  def call(args)
    unless ENV["NOTES_AUTH_TOKEN"]
      return "Edit operations need NOTES_AUTH_TOKEN"
    end
  end
end
"#;

#[test]
fn readme_marking_some_tools_as_needing_a_token_makes_it_optional() {
    let readme = "# Notes MCP\n\n## Tools\n- `list-notes` - List notes\n- `edit-note` - Edit a note _Requires auth token_\n";
    let v = run(&[
        ("notes-mcp.gemspec", RB_GEMSPEC),
        ("lib/server.rb", RB_SERVER),
        ("README.md", readme),
    ]);
    assert_eq!(v.labels.credentials, Credentials::Optional);
    // Negative: without that note the token for the server's own service
    // is required.
    let v = run(&[
        ("notes-mcp.gemspec", RB_GEMSPEC),
        ("lib/server.rb", RB_SERVER),
        (
            "README.md",
            "# Notes MCP\n\n## Tools\n- `list-notes` - List notes\n",
        ),
    ]);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn readme_free_versus_with_key_table_makes_it_optional() {
    let readme =
        "# Notes MCP\n\n| Feature | Free | With API Key |\n|---|---|---|\n| search | yes | yes |\n";
    let v = run(&[
        ("notes-mcp.gemspec", RB_GEMSPEC),
        ("lib/server.rb", RB_SERVER),
        ("README.md", readme),
    ]);
    assert_eq!(v.labels.credentials, Credentials::Optional);
    let v = run(&[
        ("notes-mcp.gemspec", RB_GEMSPEC),
        ("lib/server.rb", RB_SERVER),
        (
            "README.md",
            "# Notes MCP\n\n| Feature | Plan |\n|---|---|\n",
        ),
    ]);
    assert_eq!(v.labels.credentials, Credentials::Required);
}

#[test]
fn literal_key_the_authors_call_public_is_not_hardcoded() {
    let pkg = r#"{ "name": "page-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
    let index = r#"import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
const server = new McpServer({ name: "page", version: "1" });
// Yes, we know this API key is public.
const url = "https://example.googleapis.com/v1/q?key=AIzaQx7Lm2Np9Rt4Vw6Yz8Bc1De3Fg5Hj7Kl9Mn";
"#;
    let v = run(&[("package.json", pkg), ("src/index.ts", index)]);
    assert!(!v
        .labels
        .credential_sources
        .contains(&CredentialSource::Hardcoded));
    assert_eq!(v.labels.credentials, Credentials::None);
    let v = run(&[
        ("package.json", pkg),
        (
            "src/index.ts",
            &index.replace("Yes, we know this API key is public.", "query endpoint"),
        ),
    ]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Hardcoded));
}

const PYPROJECT: &str = "[project]\nname = \"kvm-mcp\"\ndependencies = [\"mcp>=1.2\"]\n";
const PY_SERVER: &str = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"kvm\")\n";

#[test]
fn client_certificate_for_mutual_tls_is_a_required_key_file_on_disk() {
    let client = r#"import ssl
def ctx(cfg):
    c = ssl.create_default_context(cafile=str(cfg.ca_cert_path))
    c.load_cert_chain(certfile=str(cfg.client_cert_path), keyfile=str(cfg.client_key_path))
    return c
"#;
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/kvm/server.py", PY_SERVER),
        ("src/kvm/client.py", client),
    ]);
    assert!(v.labels.auth_methods.contains(&AuthMethod::KeyFile));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
    assert_eq!(v.labels.credentials, Credentials::Required);
    // Negative: only a CA bundle and the server's own HTTPS certificate.
    let tls = r#"import os, ssl
cafile = os.environ.get("SSL_CERT_FILE")
cert_file = os.environ.get("MCP_TLS_CERT_FILE")
key_file = os.environ.get("MCP_TLS_KEY_FILE")
"#;
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/kvm/server.py", PY_SERVER),
        ("src/kvm/tls.py", tls),
    ]);
    assert!(v.labels.auth_methods.is_empty(), "{:?}", v.labels);
    assert_eq!(v.labels.credentials, Credentials::None);
}

#[test]
fn kerberos_ticket_is_other_from_the_ticket_cache() {
    let client = "from requests_gssapi import HTTPSPNEGOAuth\ndef call(s):\n    return s.post(url, auth=HTTPSPNEGOAuth(opportunistic_auth=True))\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/kvm/server.py", PY_SERVER),
        ("src/kvm/client.py", client),
    ]);
    assert!(v.labels.auth_methods.contains(&AuthMethod::Other));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
    assert_eq!(v.labels.credentials, Credentials::Required);
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/kvm/server.py", PY_SERVER),
        (
            "src/kvm/client.py",
            "import requests\ndef call(s):\n    return s.post(url)\n",
        ),
    ]);
    assert!(v.labels.auth_methods.is_empty());
}

#[test]
fn an_mtproto_client_with_a_session_name_keeps_its_login_in_a_session_file() {
    let client = "import os\nfrom telethon import TelegramClient\n\nAPI_HASH = os.environ[\"KVM_API_HASH\"]\n\ndef connect(name):\n    return TelegramClient(name, 12345, API_HASH)\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/kvm/server.py", PY_SERVER),
        ("src/kvm/client.py", client),
    ]);
    let sources = &v.labels.credential_sources;
    assert!(
        sources.contains(&CredentialSource::ConfigFile),
        "{:?}",
        v.labels
    );
    assert!(sources.contains(&CredentialSource::Env), "{sources:?}");
    // Negative: a session string from the environment leaves no file.
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/kvm/server.py", PY_SERVER),
        (
            "src/kvm/client.py",
            &client.replace(
                "TelegramClient(name,",
                "TelegramClient(StringSession(os.environ[\"KVM_SESSION\"]),",
            ),
        ),
    ]);
    let sources = &v.labels.credential_sources;
    assert!(
        !sources.contains(&CredentialSource::ConfigFile),
        "{sources:?}"
    );
}

#[test]
fn a_device_paired_by_pin_keeps_its_credentials_in_the_library_storage() {
    let storage = "from pyatv.storage.file_storage import FileStorage\n\nasync def storage(path, loop):\n    s = FileStorage(path, loop)\n    await s.load()\n    return s\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/kvm/server.py", PY_SERVER),
        ("src/kvm/storage.py", storage),
    ]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Other),
        "{:?}",
        v.labels
    );
    let sources = &v.labels.credential_sources;
    assert!(
        sources.contains(&CredentialSource::ConfigFile),
        "{sources:?}"
    );
    assert!(
        sources.contains(&CredentialSource::OauthFlow),
        "{sources:?}"
    );
    assert_eq!(v.labels.credentials, Credentials::Required);
    // Negative: scanning for devices alone holds no credential.
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/kvm/server.py", PY_SERVER),
        (
            "src/kvm/storage.py",
            "import pyatv\n\nasync def devices(loop):\n    return await pyatv.scan(loop)\n",
        ),
    ]);
    assert!(v.labels.auth_methods.is_empty(), "{:?}", v.labels);
    assert_eq!(v.labels.credentials, Credentials::None);
}

#[test]
fn browser_login_with_saved_cookies_is_oauth_flow_and_config_file() {
    let gomod =
        "module example.com/books\n\nrequire github.com/modelcontextprotocol/go-sdk v1.0.0\n";
    let main = "package main\nimport \"github.com/modelcontextprotocol/go-sdk/mcp\"\nfunc main() { s := mcp.NewServer(nil, nil); _ = s }\n";
    let auth = r#"package browser
func New(cm CookieManager) {
	if cm.CookieFileExists() {
		_ = cm.LoadCookies()
	}
	RunVisibleLogin(cm)
}
"#;
    let v = run(&[
        ("go.mod", gomod),
        ("main.go", main),
        ("internal/browser/auth.go", auth),
    ]);
    assert!(v.labels.auth_methods.contains(&AuthMethod::SessionCookie));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::OauthFlow));
    assert_eq!(v.labels.credentials, Credentials::Required);
    // Negative: a login page in a browser without any cookie handling.
    let v = run(&[
        ("go.mod", gomod),
        ("main.go", main),
        (
            "internal/browser/auth.go",
            "package browser\nfunc New() { RunVisibleLogin() }\n",
        ),
    ]);
    assert!(v.labels.credential_sources.is_empty(), "{:?}", v.labels);
}

#[test]
fn aws_sdk_client_reads_the_access_key_variables() {
    let tool = "import boto3\n\ndef client():\n    return boto3.client(\"s3\")\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/kvm/server.py", PY_SERVER),
        ("src/kvm/aws.py", tool),
    ]);
    assert!(v.labels.auth_methods.contains(&AuthMethod::CloudIam));
    assert!(v.labels.credential_sources.contains(&CredentialSource::Env));
    // The SDK's own variables are listed only where the server names them.
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels.env_vars);
    let readme = "# kvm\n\nSet AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.\n";
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("README.md", readme),
        ("src/kvm/server.py", PY_SERVER),
        ("src/kvm/aws.py", tool),
    ]);
    assert!(v.labels.env_vars.contains("AWS_ACCESS_KEY_ID"));
    assert!(v.labels.env_vars.contains("AWS_SECRET_ACCESS_KEY"));
    assert!(!v.labels.env_vars.contains("AWS_SESSION_TOKEN"));
    // Negative: boto3 only named in a list of package names.
    let v = run(&[
        ("pyproject.toml", PYPROJECT),
        ("src/kvm/server.py", PY_SERVER),
        (
            "src/kvm/pkgs.py",
            "KNOWN = [\n    \"boto3\",\n    \"requests\",\n]\n",
        ),
    ]);
    assert!(v.labels.auth_methods.is_empty(), "{:?}", v.labels);
    assert!(v.labels.env_vars.is_empty());
}

#[test]
fn inbound_authorization_header_in_express_hono_and_axum_is_request() {
    let pkg = r#"{ "name": "db-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
    let head = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"db\", version: \"1\" });\nconst TOKEN = process.env.DB_MCP_AUTH_TOKEN;\n";
    for read in [
        "app.use((req, res, next) => { if (req.get(\"Authorization\") !== `Bearer ${TOKEN}`) res.status(401).end(); });\n",
        "app.use(async (c, next) => { const auth = c.req.header(\"authorization\"); if (auth !== TOKEN) return c.text(\"no\", 401); });\n",
    ] {
        let v = run(&[("package.json", pkg), ("src/index.ts", &format!("{head}{read}"))]);
        assert!(
            v.labels
                .credential_sources
                .contains(&CredentialSource::Request),
            "{read}"
        );
    }
    // Negative: an outbound request builder setting the header.
    let out = "const r = await fetch(url).header(\"Authorization\", `Bearer ${TOKEN}`);\n";
    let v = run(&[
        ("package.json", pkg),
        ("src/index.ts", &format!("{head}{out}")),
    ]);
    assert!(!v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
}

#[test]
fn protected_resource_metadata_means_tokens_come_with_each_request() {
    let gomod = "module example.com/srv\n\nrequire github.com/modelcontextprotocol/go-sdk v1.0.0\n";
    let main = "package main\nimport \"github.com/modelcontextprotocol/go-sdk/mcp\"\nfunc main() { s := mcp.NewServer(nil, nil); _ = s }\n";
    let meta = "package oauth\nfunc Meta() any {\n\treturn ProtectedResourceMetadata{BearerMethodsSupported: []string{\"header\"}}\n}\n";
    let v = run(&[
        ("go.mod", gomod),
        ("main.go", main),
        ("pkg/oauth/meta.go", meta),
    ]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
    assert!(v.labels.auth_methods.contains(&AuthMethod::Oauth));
    let v = run(&[("go.mod", gomod), ("main.go", main)]);
    assert!(v.labels.credential_sources.is_empty());
}

#[test]
fn cobra_flags_positional_arguments_and_flag_hints_are_cli_arg() {
    let gomod = "module example.com/srv\n\nrequire github.com/modelcontextprotocol/go-sdk v1.0.0\n";
    let main = "package main\nimport \"github.com/modelcontextprotocol/go-sdk/mcp\"\nfunc main() {\n\ts := mcp.NewServer(nil, nil); _ = s\n\tcmd.Flags().String(\"api-token\", \"\", \"token for the service\")\n}\n";
    let v = run(&[("go.mod", gomod), ("main.go", main)]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::CliArg));
    let v = run(&[
        ("go.mod", gomod),
        ("main.go", &main.replace("api-token", "log-level")),
    ]);
    assert!(v.labels.credential_sources.is_empty());

    let pyproject = "[project]\nname = \"pg-mcp\"\ndependencies = [\"mcp>=1.2\"]\n";
    let server = "import argparse\nfrom mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"pg\")\np = argparse.ArgumentParser()\np.add_argument(\"database_url\", nargs=\"?\")\n";
    let v = run(&[("pyproject.toml", pyproject), ("src/pg/server.py", server)]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::CliArg));
    assert!(v
        .labels
        .auth_methods
        .contains(&AuthMethod::ConnectionString));
    let v = run(&[
        ("pyproject.toml", pyproject),
        (
            "src/pg/server.py",
            &server.replace("database_url", "schema_name"),
        ),
    ]);
    assert!(v.labels.credential_sources.is_empty());

    let pkg = r#"{ "name": "hub-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
    let index = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"hub\", version: \"1\" });\nif (!opts.accessToken) throw new Error(\"Please provide a token with the --access-token flag\");\n";
    let v = run(&[("package.json", pkg), ("src/index.ts", index)]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::CliArg));
    let v = run(&[
        ("package.json", pkg),
        (
            "src/index.ts",
            &index.replace("--access-token", "--verbose"),
        ),
    ]);
    assert!(!v
        .labels
        .credential_sources
        .contains(&CredentialSource::CliArg));
}

#[test]
fn ssl_and_tls_key_variables_are_key_files() {
    let pkg = r#"{ "name": "sql-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
    let index = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"sql\", version: \"1\" });\nconst ssl = { key: process.env.SQLDB_SSL_KEY };\n";
    let v = run(&[("package.json", pkg), ("src/index.ts", index)]);
    assert!(v.labels.auth_methods.contains(&AuthMethod::KeyFile));
    let v = run(&[
        ("package.json", pkg),
        (
            "src/index.ts",
            &index.replace("SQLDB_SSL_KEY", "SQLDB_API_KEY"),
        ),
    ]);
    assert!(!v.labels.auth_methods.contains(&AuthMethod::KeyFile));
    assert!(v.labels.auth_methods.contains(&AuthMethod::ApiKey));
}

#[test]
fn hand_parsed_flag_the_readme_calls_personal_is_a_pat() {
    let kt = "import io.modelcontextprotocol.kotlin.sdk.server.Server\nfun main(args: Array<String>) {\n    val params = args.map { it.split(\":\") }\n    val apiKey = params.find { it[0] == \"apiKey\" }\n}\n";
    let readme = "# Tracker MCP\n\n| Arg | Meaning |\n|---|---|\n| `apiKey` | API token, generate it in your profile's security settings |\n";
    let files = [
        ("build.gradle.kts", "plugins {}\n"),
        ("src/main/kotlin/Main.kt", kt),
        ("README.md", readme),
    ];
    let v = run(&files);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Pat),
        "{:?}",
        v.labels
    );
    let v = run(&[
        ("build.gradle.kts", "plugins {}\n"),
        ("src/main/kotlin/Main.kt", kt),
        (
            "README.md",
            "# Tracker MCP\n\n| Arg | Meaning |\n|---|---|\n| `apiKey` | key from the admin console |\n",
        ),
    ]);
    assert!(v.labels.auth_methods.contains(&AuthMethod::ApiKey));
    assert!(!v.labels.auth_methods.contains(&AuthMethod::Pat));
}

#[test]
fn a_static_token_wrapped_by_the_oauth2_package_is_no_oauth() {
    let go_mod = "module github.com/acme/gh-mcp\n\nrequire (\n\tgithub.com/mark3labs/mcp-go v0.30.0\n\tgolang.org/x/oauth2 v0.20.0\n)\n";
    let main = "package main\n\nimport (\n\t\"context\"\n\t\"os\"\n\n\t\"github.com/mark3labs/mcp-go/server\"\n\t\"golang.org/x/oauth2\"\n)\n\nfunc main() {\n\tts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: os.Getenv(\"GITHUB_PERSONAL_ACCESS_TOKEN\")})\n\t_ = oauth2.NewClient(context.Background(), ts)\n\ts := server.NewMCPServer(\"gh\", \"1.0\")\n\tserver.ServeStdio(s)\n}\n";
    let v = run(&[("go.mod", go_mod), ("main.go", main)]);
    assert!(
        !v.labels.auth_methods.contains(&AuthMethod::Oauth),
        "{:?}",
        v.labels
    );
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Pat),
        "{:?}",
        v.labels
    );
    // Negative: an oauth2.Config runs a real flow.
    let flow = main.replace(
        "ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: os.Getenv(\"GITHUB_PERSONAL_ACCESS_TOKEN\")})",
        "conf := &oauth2.Config{ClientID: os.Getenv(\"GH_CLIENT_ID\")}\n\tts := conf.TokenSource(context.Background(), nil)",
    );
    let v = run(&[("go.mod", go_mod), ("main.go", flow.as_str())]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Oauth),
        "{:?}",
        v.labels
    );
}

#[test]
fn an_llm_provider_class_and_a_profile_variable_are_no_login() {
    let pyproject =
        "[project]\nname = \"cad-mcp\"\ndependencies = [\"mcp>=1.2\", \"pydantic-ai\"]\n";
    let server = "import os\nfrom mcp.server.fastmcp import FastMCP\nfrom pydantic_ai.providers.github import GitHubProvider\n\nmcp = FastMCP(\"cad\")\nprofile_name = None\nprovider = GitHubProvider(api_key=os.getenv(\"GITHUB_API_KEY\"))\n";
    let v = run(&[("pyproject.toml", pyproject), ("src/cad/server.py", server)]);
    assert!(
        !v.labels.auth_methods.contains(&AuthMethod::Oauth),
        "{:?}",
        v.labels
    );
    assert!(
        !v.labels.auth_methods.contains(&AuthMethod::CloudIam),
        "{:?}",
        v.labels
    );
}

#[test]
fn a_custom_credential_header_read_from_a_headers_map_is_a_request_credential() {
    let pkg = r#"{ "name": "campus-mcp", "bin": { "campus-mcp": "dist/index.js" }, "dependencies": { "@modelcontextprotocol/sdk": "^1.22.0" } }"#;
    let server = "import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\nconst server = new McpServer({ name: \"campus\", version: \"1\" });\n";
    let context = "import type { IncomingHttpHeaders } from 'node:http';\nexport const readContext = (headers: IncomingHttpHeaders) => ({\n  accessToken: headers['x-campus-access-token'],\n});\n";
    let v = run(&[
        ("package.json", pkg),
        ("src/server.ts", server),
        ("src/context.ts", context),
    ]);
    assert!(
        v.labels
            .credential_sources
            .contains(&CredentialSource::Request),
        "{:?}",
        v.labels
    );
    // Negative: a header an upstream answered with is no request credential.
    let upstream = "export async function login(response: Response) {\n  return response.headers['x-access-token'];\n}\n";
    let v = run(&[
        ("package.json", pkg),
        ("src/server.ts", server),
        ("src/upstream.ts", upstream),
    ]);
    assert!(
        !v.labels
            .credential_sources
            .contains(&CredentialSource::Request),
        "{:?}",
        v.labels
    );
}

#[test]
fn request_headers_taken_whole_through_a_framework_accessor_carry_a_credential() {
    let pyproject = "[project]\nname = \"deck-mcp\"\ndependencies = [\"mcp>=1.9\"]\n";
    let server = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"deck\")\n\n@mcp.tool()\ndef cards() -> list[str]:\n    return []\n";
    // A raw ASGI middleware in front of the app, as the ASGI spec hands
    // headers over: a list of byte pairs in the connection scope.
    let asgi = "class KeyGuard:\n    def __init__(self, app, key):\n        self.app, self.key = app, key\n\n    async def __call__(self, scope, receive, send):\n        for name, value in scope.get(\"headers\", []):\n            if name == b\"authorization\" and value == b\"Bearer \" + self.key:\n                return await self.app(scope, receive, send)\n        await deny(send)\n";
    let v = run(&[
        ("pyproject.toml", pyproject),
        ("deck_mcp/server.py", server),
        ("deck_mcp/guard.py", asgi),
    ]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
    // Negative: the same middleware looking only at the content type.
    let v = run(&[
        ("pyproject.toml", pyproject),
        ("deck_mcp/server.py", server),
        (
            "deck_mcp/guard.py",
            &asgi.replace("b\"authorization\"", "b\"content-type\""),
        ),
    ]);
    assert!(!v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
}

#[test]
fn php_reads_of_the_authorization_header_are_request_credentials() {
    let composer = r#"{ "name": "shop/mcp-shop", "require": { "mcp/sdk": "^0.1" } }"#;
    let server = "<?php\nuse Mcp\\Server;\n$server = Server::builder()->setServerInfo('shop', '1.0')->build();\n$server->run($transport);\n";
    for read in [
        "$auth = $_SERVER['HTTP_AUTHORIZATION'] ?? '';",
        "$auth = $request->get_header('authorization');",
    ] {
        let guard = format!(
            "<?php\nfunction guard($request) {{\n  {read}\n  return check_token($auth);\n}}\n"
        );
        let v = run(&[
            ("composer.json", composer),
            ("src/server.php", server),
            ("src/guard.php", &guard),
        ]);
        assert!(
            v.labels
                .credential_sources
                .contains(&CredentialSource::Request),
            "{read}: {:?}",
            v.labels
        );
    }
}

#[test]
fn a_secret_declared_as_a_tool_argument_comes_with_each_request() {
    let pkg = r#"{ "name": "ledger-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1", "zod": "^3" } }"#;
    let server = |field: &str| {
        format!("import {{ McpServer }} from \"@modelcontextprotocol/sdk/server/mcp.js\";\nimport {{ z }} from \"zod\";\nconst server = new McpServer({{ name: \"ledger\", version: \"1\" }});\nserver.tool(\n  \"balance\",\n  \"Balance of an account\",\n  {{\n    account: z.string(),\n    {field}: z.string().describe(\"sent by the client\"),\n  }},\n  async ({{ account }}) => ({{ content: [] }})\n);\n")
    };
    let v = run(&[("package.json", pkg), ("src/index.ts", &server("apiKey"))]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
    assert!(v.labels.auth_methods.contains(&AuthMethod::ApiKey));
    // Negative: a pagination token is no credential.
    let v = run(&[
        ("package.json", pkg),
        ("src/index.ts", &server("nextToken")),
    ]);
    assert!(v.labels.credential_sources.is_empty(), "{:?}", v.labels);

    let pyproject = "[project]\nname = \"ledger-mcp\"\ndependencies = [\"mcp>=1.9\"]\n";
    let py = |param: &str| {
        format!("from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"ledger\")\n\n@mcp.tool()\ndef balance(account: str, {param}: str) -> float:\n    return 0.0\n")
    };
    let v = run(&[
        ("pyproject.toml", pyproject),
        ("ledger/server.py", &py("password")),
    ]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
    assert!(v.labels.auth_methods.contains(&AuthMethod::Basic));
    // Negative: a lookup key names a record, not a secret.
    let v = run(&[
        ("pyproject.toml", pyproject),
        ("ledger/server.py", &py("entry_key")),
    ]);
    assert!(v.labels.credential_sources.is_empty(), "{:?}", v.labels);
}

#[test]
fn go_server_reading_credential_headers_through_a_table_of_header_constants() {
    let go_mod = "module example.org/dc\n\nrequire github.com/modelcontextprotocol/go-sdk v1.0.0\n";
    let main = "package main\n\nimport \"github.com/modelcontextprotocol/go-sdk/mcp\"\n\nfunc main() {\n\tserver := mcp.NewServer(&mcp.Implementation{Name: \"dc\"}, nil)\n\t_ = server\n}\n";
    let headers = |wiki: &str| {
        format!(
            "package main\n\nimport \"net/http\"\n\nconst (\n\tTrackerTokenHeader = \"Tracker-Token\"\n\tWikiHeader = \"{wiki}\"\n)\n\ntype spec struct{{ headerKey string }}\n\nfunc tokens(r *http.Request) map[string]string {{\n\tout := map[string]string{{}}\n\tfor _, svc := range []spec{{{{headerKey: TrackerTokenHeader}}, {{headerKey: WikiHeader}}}} {{\n\t\tout[svc.headerKey] = r.Header.Get(svc.headerKey)\n\t}}\n\treturn out\n}}\n"
        )
    };
    let v = run(&[
        ("go.mod", go_mod),
        ("main.go", main),
        ("headers.go", &headers("Wiki-Token")),
    ]);
    assert!(
        v.labels
            .credential_sources
            .contains(&CredentialSource::Request),
        "{:?}",
        v.labels
    );
    // Negative: the constants name no credential header.
    let plain = headers("Wiki-Space").replace("Tracker-Token", "Tracker-Project");
    let v = run(&[
        ("go.mod", go_mod),
        ("main.go", main),
        ("headers.go", &plain),
    ]);
    assert!(
        !v.labels
            .credential_sources
            .contains(&CredentialSource::Request),
        "{:?}",
        v.labels
    );
}

#[test]
fn a_login_one_sample_server_demands_does_not_bind_the_other_samples() {
    let gomod = |name: &str| {
        format!(
            "module example.com/{name}\n\nrequire github.com/modelcontextprotocol/go-sdk v1.0.0\n"
        )
    };
    let main = "package main\nimport \"github.com/modelcontextprotocol/go-sdk/mcp\"\nfunc main() { s := mcp.NewServer(nil, nil); _ = s }\n";
    let meta = "package main\nfunc Meta() any {\n\treturn ProtectedResourceMetadata{BearerMethodsSupported: []string{\"header\"}}\n}\n";
    let (clock, notes, secured) = (gomod("clock"), gomod("notes"), gomod("secured"));
    let mut files = vec![
        ("samples/clock/go.mod", clock.as_str()),
        ("samples/clock/main.go", main),
        ("samples/notes/go.mod", notes.as_str()),
        ("samples/notes/main.go", main),
        ("samples/secured/go.mod", secured.as_str()),
        ("samples/secured/main.go", main),
        ("samples/secured/meta.go", meta),
    ];
    let v = run(&files);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Oauth),
        "{:?}",
        v.labels
    );
    assert_eq!(
        v.labels.credentials,
        Credentials::Optional,
        "{:?}",
        v.evidence
    );
    // Negative: when most of the samples demand the login, the repository does.
    files.push(("samples/notes/meta.go", meta));
    let v = run(&files);
    assert_eq!(
        v.labels.credentials,
        Credentials::Required,
        "{:?}",
        v.evidence
    );
}

#[test]
fn headers_the_server_sets_and_tokens_it_fetches_are_outbound() {
    let server = "import os\nfrom fastmcp import FastMCP\nmcp = FastMCP(\"kvm\")\nKEY = os.environ[\"KVM_API_KEY\"]\n";
    let has_request = |client: &str| {
        run(&[
            ("pyproject.toml", PYPROJECT),
            ("src/kvm/server.py", server),
            ("src/kvm/client.py", client),
        ])
        .labels
        .credential_sources
        .contains(&CredentialSource::Request)
    };
    // An event hook adding the key to each outgoing request.
    assert!(!has_request(
        "def sign(request):\n    request.headers[\"X-API-Key\"] = KEY\n"
    ));
    // A client's own token manager.
    assert!(!has_request(
        "async def call(auth_manager):\n    access_token = await auth_manager.get_access_token()\n    return access_token\n"
    ));
    // Negative: FastMCP's dependency returning the caller's token, and an
    // inbound header read.
    assert!(has_request(
        "from fastmcp.server.dependencies import get_access_token\n\ndef caller():\n    token = get_access_token()\n    return token.client_id\n"
    ));
    assert!(has_request(
        "def check(request):\n    return request.headers[\"X-API-Key\"] == KEY\n"
    ));
}

/// Whether the server's sources include a login at run time.
fn logs_in_at_run_time(files: &[(&str, &str)]) -> bool {
    run(files)
        .labels
        .credential_sources
        .contains(&CredentialSource::OauthFlow)
}

#[test]
fn a_login_timeout_is_a_browser_login_only_beside_a_browser() {
    // The session the server keeps between runs, the same in both.
    let cookies = "import json\n\nasync def restore(context, path):\n    await context.add_cookies(json.load(open(path)))\n";
    // The time the user gets to log in, in the browser the server drives.
    let browser = "from playwright.async_api import async_playwright\n\nLOGIN_TIMEOUT = 300\n\nasync def login(page):\n    await page.goto(LOGIN_URL)\n    await page.wait_for_url(HOME, timeout=LOGIN_TIMEOUT * 1000)\n";
    // A database driver's own login timeout is no login by anyone.
    let database = "import pymssql\n\ndef connect(host, user):\n    return pymssql.connect(server=host, user=user, login_timeout=15)\n";
    let mut files = [
        ("pyproject.toml", PYPROJECT),
        ("src/kvm/server.py", PY_SERVER),
        ("src/kvm/cookies.py", cookies),
        ("src/kvm/session.py", browser),
    ];
    assert!(logs_in_at_run_time(&files));
    files[3].1 = database;
    assert!(!logs_in_at_run_time(&files));
}

#[test]
fn an_interactive_credential_the_chain_excludes_is_no_login() {
    let csproj = r#"<Project Sdk="Microsoft.NET.Sdk"><PropertyGroup><OutputType>Exe</OutputType></PropertyGroup><ItemGroup><PackageReference Include="ModelContextProtocol" Version="0.4.0" /><PackageReference Include="Azure.Identity" Version="1.13.0" /></ItemGroup></Project>"#;
    let program = "var builder = Host.CreateApplicationBuilder(args);\nbuilder.Services.AddMcpServer().WithStdioServerTransport().WithToolsFromAssembly();\nawait builder.Build().RunAsync();\n";
    let excluded = "using Azure.Identity;\nstatic class Credentials {\n  public static DefaultAzureCredential Create() => new(new DefaultAzureCredentialOptions {\n    ExcludeInteractiveBrowserCredential = true,\n  });\n}\n";
    let interactive = "using Azure.Identity;\nstatic class Credentials {\n  public static InteractiveBrowserCredential Create() => new(new InteractiveBrowserCredentialOptions());\n}\n";
    let mut files = [
        ("Vault.csproj", csproj),
        ("Program.cs", program),
        ("Credentials.cs", excluded),
    ];
    assert!(!logs_in_at_run_time(&files));
    files[2].1 = interactive;
    assert!(logs_in_at_run_time(&files));
}

#[test]
fn azure_default_credential_reads_the_client_secret_variable() {
    let azure = |credential: &str| {
        format!("from azure.identity import {credential}\n\ndef credential():\n    return {credential}()\n")
    };
    let readme = "# kvm\n\nFor a service principal set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET.\n";
    let labels = |credential: &str| {
        run(&[
            ("pyproject.toml", PYPROJECT),
            ("README.md", readme),
            ("src/kvm/server.py", PY_SERVER),
            ("src/kvm/azure.py", &azure(credential)),
        ])
        .labels
    };
    let l = labels("DefaultAzureCredential");
    assert!(l.auth_methods.contains(&AuthMethod::CloudIam));
    assert!(l.credential_sources.contains(&CredentialSource::Env));
    assert!(
        l.env_vars.contains("AZURE_CLIENT_SECRET"),
        "{:?}",
        l.env_vars
    );
    // Negative: a managed identity reads no secret from the environment.
    let l = labels("ManagedIdentityCredential");
    assert!(l.auth_methods.contains(&AuthMethod::CloudIam));
    assert!(!l.credential_sources.contains(&CredentialSource::Env));
    assert!(l.env_vars.is_empty(), "{:?}", l.env_vars);
}
