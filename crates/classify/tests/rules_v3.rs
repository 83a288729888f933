//! Rules added in 2026.11.3: one synthetic fixture per rule plus a negative.
//! All fixtures are written for these tests.

use mcp_survey_classify::classify;
use mcp_survey_model::{
    AuthMethod, CredentialSource, Credentials, Kind, RepoFile, RepoFiles, Verdict,
};

fn repo(files: &[(&str, &str)]) -> RepoFiles {
    RepoFiles {
        full_name: None,
        description: None,
        files: files
            .iter()
            .map(|(p, t)| RepoFile {
                path: p.to_string(),
                text: t.to_string(),
            })
            .collect(),
    }
}

fn run(files: &[(&str, &str)]) -> Verdict {
    classify(&repo(files))
}

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
