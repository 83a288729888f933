//! Configuration loaders, names held in constants, the service a server is
//! for, and words that only look like credentials: one synthetic fixture
//! per rule plus a negative.
//! All fixtures are written for these tests.

mod common;

use common::{repo_named as repo, run};
use mcp_survey_classify::classify;
use mcp_survey_model::{AuthMethod, CredentialSource, Credentials, Kind};

const PY_SERVER: &str = r#"import os
from mcp.server.fastmcp import FastMCP
mcp = FastMCP("widgets")
TOKEN = os.environ.get("WIDGETS_TOKEN", "")
@mcp.tool()
def list_widgets() -> str:
    return "[]"
"#;

#[test]
fn folder_marked_draft_do_not_use_is_not_the_shipped_server() {
    let draft = r#"import os
import keyring
TOKEN = keyring.get_password("widgets", "token")
"#;
    let files = [
        (
            "pyproject.toml",
            "[project]\nname = \"widgets\"\ndependencies = [\"mcp\"]\n",
        ),
        ("widgets/server.py", PY_SERVER),
        ("widgets_draft_do_not_use/auth.py", draft),
    ];
    let v = run(&files);
    assert!(
        !v.labels
            .credential_sources
            .contains(&CredentialSource::Keychain),
        "{:?}",
        v.labels
    );
    // Negative: the same code in an ordinary folder counts.
    let v = run(&[files[0], files[1], ("widgets/auth.py", draft)]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Keychain));
}

const SPRING_POM: &str = r#"<project><artifactId>gadget-mcp</artifactId><dependencies>
<dependency><groupId>org.springframework.ai</groupId><artifactId>spring-ai-starter-mcp-server</artifactId></dependency>
</dependencies></project>"#;
const SPRING_TOOLS: &str = r#"package demo;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.boot.context.properties.ConfigurationProperties;
@ConfigurationProperties("gizmo")
public class GizmoConfig {
    private String apiToken;
    public boolean isConfigured() { return apiToken != null && !apiToken.isEmpty(); }
}
"#;

#[test]
fn spring_properties_bound_to_env_placeholders_are_env_not_config_file() {
    let props = "gizmo.url=${GIZMO_URL:}\ngizmo.api-token=${GIZMO_API_TOKEN:}\n";
    let v = run(&[
        ("pom.xml", SPRING_POM),
        ("src/main/java/acme/GizmoConfig.java", SPRING_TOOLS),
        ("src/main/resources/application.properties", props),
    ]);
    assert!(
        v.labels.credential_sources.contains(&CredentialSource::Env),
        "{:?}",
        v
    );
    assert!(
        !v.labels
            .credential_sources
            .contains(&CredentialSource::ConfigFile),
        "{:?}",
        v.labels
    );
    // Negative: a literal-free property file without placeholders means the
    // operator writes the token into the config file.
    let v = run(&[
        ("pom.xml", SPRING_POM),
        ("src/main/java/acme/GizmoConfig.java", SPRING_TOOLS),
        (
            "src/main/java/acme/Hook.java",
            "package acme;\nclass Hook { String s = System.getenv(\"GIZMO_WEBHOOK_SECRET\"); }\n",
        ),
        (
            "src/main/resources/application.properties",
            "gizmo.url=\ngizmo.api-token=\n",
        ),
    ]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
}

#[test]
fn services_named_in_the_readme_opening_are_the_servers_purpose() {
    let server = r#"import os
from mcp.server.fastmcp import FastMCP
mcp = FastMCP("suite")
TICKETS_TOKEN = os.environ.get("TICKETS_API_TOKEN", "")
@mcp.tool()
def list_tickets() -> str:
    return "[]"
"#;
    let files = [
        ("pyproject.toml", "[project]\nname = \"suite-mcp\"\ndependencies = [\"mcp\"]\n"),
        ("suite/server.py", server),
        (
            "README.md",
            "# Suite MCP Server\n\nA server that connects your assistant to **Tickets** and **Wiki**.\n",
        ),
    ];
    let v = classify(&repo(Some("someone/suite-mcp"), &files));
    assert_eq!(
        v.labels.credentials,
        Credentials::Required,
        "{:?}",
        v.labels
    );
    // Negative: an opening that does not name the service.
    let v = classify(&repo(
        Some("someone/suite-mcp"),
        &[
            files[0],
            files[1],
            (
                "README.md",
                "# Suite MCP Server\n\nA small helper for your assistant.\n",
            ),
        ],
    ));
    assert_eq!(
        v.labels.credentials,
        Credentials::Optional,
        "{:?}",
        v.labels
    );
}

#[test]
fn keychain_word_in_prose_is_not_a_keychain_read() {
    let prose = r#"import os
from mcp.server.fastmcp import FastMCP
mcp = FastMCP("relay")
TOKEN = os.environ.get("RELAY_TOKEN", "")
def ca_bundle():
    """Use the OS trust store
       (macOS Keychain, Windows Cert Store) for TLS."""
    return None
"#;
    let v = run(&[
        (
            "pyproject.toml",
            "[project]\nname = \"relay\"\ndependencies = [\"mcp\"]\n",
        ),
        ("relay/server.py", prose),
    ]);
    assert!(!v
        .labels
        .credential_sources
        .contains(&CredentialSource::Keychain));
    // Negative: the keyring API is a keychain read.
    let v = run(&[
        (
            "pyproject.toml",
            "[project]\nname = \"relay\"\ndependencies = [\"mcp\"]\n",
        ),
        (
            "relay/server.py",
            &prose.replace(
                "return None",
                "import keyring\n    return keyring.get_password('relay', 'token')",
            ),
        ),
    ]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Keychain));
}

#[test]
fn a_lone_redirect_uri_setting_is_no_interactive_flow() {
    let server = r#"import express from "express";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { OAuth2Client } from "google-auth-library";
const CLIENT_SECRET = process.env.ACME_OAUTH_CLIENT_SECRET;
const REDIRECT_URI = process.env.ACME_OAUTH_REDIRECT_URI;
const server = new McpServer({ name: "acme", version: "1" });
app.get('/.well-known/oauth-protected-resource', meta);
export async function check(req) {
  const auth = req.headers.authorization;
  return new OAuth2Client(ID, CLIENT_SECRET, REDIRECT_URI).getTokenInfo(auth);
}
"#;
    let pkg = r#"{ "name": "acme-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1", "express": "^4" } }"#;
    let v = run(&[("package.json", pkg), ("src/index.ts", server)]);
    assert!(v.labels.auth_methods.contains(&AuthMethod::Oauth));
    assert!(
        !v.labels
            .credential_sources
            .contains(&CredentialSource::OauthFlow),
        "{:?}",
        v.labels
    );
    // Negative: an authorize route plus a callback that exchanges the code.
    let flow = format!(
        "{server}\napp.get('/authorize', start);\napp.get('/callback', async (req) => exchange(req.query.code));\n"
    );
    let v = run(&[("package.json", pkg), ("src/index.ts", &flow)]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::OauthFlow));
}

#[test]
fn opening_a_browser_counts_as_login_only_near_login_words() {
    let pkg = r#"{ "name": "board-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
    let base = r#"import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { exec } from "child_process";
const server = new McpServer({ name: "board", version: "1" });
const key = process.env.BOARD_API_KEY;
"#;
    let docs = format!("{base}\nexport function show(p) {{\n  exec(`xdg-open \"${{p}}\"`);\n}}\n");
    let v = run(&[("package.json", pkg), ("src/index.ts", &docs)]);
    assert!(!v
        .labels
        .credential_sources
        .contains(&CredentialSource::OauthFlow));
    let login = format!(
        "{base}\nexport function login(authUrl) {{\n  // open the OAuth consent page\n  const body = {{ grant_type: \"refresh_token\" }};\n  exec(`xdg-open \"${{authUrl}}\"`);\n}}\n"
    );
    let v = run(&[("package.json", pkg), ("src/index.ts", &login)]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::OauthFlow));
}

const TS_PKG: &str =
    r#"{ "name": "larder-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
const TS_SERVER: &str = r#"import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
const server = new McpServer({ name: "larder", version: "1" });
const password = process.env.LARDER_PASSWORD;
"#;

#[test]
fn config_loader_parsing_a_file_with_secret_fields_is_config_file() {
    let loader = r#"import { readFileSync } from "fs";
import { join } from "path";
export function readConfig(dir: string) {
  const raw = readFileSync(join(dir, "config.json"), "utf-8");
  const parsed = JSON.parse(raw);
  return { email: parsed.email, password: parsed.password };
}
"#;
    let v = run(&[
        ("package.json", TS_PKG),
        ("src/index.ts", TS_SERVER),
        ("src/config.ts", loader),
    ]);
    assert!(
        v.labels
            .credential_sources
            .contains(&CredentialSource::ConfigFile),
        "{:?}",
        v.labels
    );
    // Negative: a parsed config file with no secret fields.
    let plain = loader.replace("password: parsed.password", "theme: parsed.theme");
    let v = run(&[
        ("package.json", TS_PKG),
        ("src/index.ts", TS_SERVER),
        ("src/config.ts", &plain),
    ]);
    assert!(!v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
}

#[test]
fn global_config_file_copied_into_the_environment_is_config_file() {
    let loader = r#"import fs from "fs";
import os from "os";
import path from "path";
export function loadGlobal() {
  const p = path.join(os.homedir(), ".larder", "settings.json");
  const cfg = JSON.parse(fs.readFileSync(p, "utf8"));
  for (const [name, value] of Object.entries(cfg.environment)) {
    if (process.env[name] === undefined) {
      process.env[name] = String(value);
    }
  }
}
"#;
    let v = run(&[
        ("package.json", TS_PKG),
        ("src/index.ts", TS_SERVER),
        ("src/global.ts", loader),
    ]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
    // Negative: the parsed values are only logged.
    let v = run(&[
        ("package.json", TS_PKG),
        ("src/index.ts", TS_SERVER),
        (
            "src/global.ts",
            &loader.replace("process.env[name] = String(value);", "console.log(value);"),
        ),
    ]);
    assert!(!v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
}

#[test]
fn client_certificate_located_by_env_vars_is_not_config_file() {
    let code = r#"import os
from mcp.server.fastmcp import FastMCP
mcp = FastMCP("ledger")
TOKEN = os.environ["LEDGER_TOKEN"]
client_cert_path = os.getenv("LEDGER_CLIENT_CERT")
client_key_path = os.getenv("LEDGER_CLIENT_KEY")
session.cert = (client_cert_path, client_key_path)
"#;
    let pyproject = "[project]\nname = \"ledger\"\ndependencies = [\"mcp\"]\n";
    let v = run(&[("pyproject.toml", pyproject), ("ledger/server.py", code)]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::KeyFile),
        "{:?}",
        v.labels
    );
    assert!(!v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
    // Negative: certificates kept in the tool's own config folder.
    let dir = code
        .replace(
            "os.getenv(\"LEDGER_CLIENT_CERT\")",
            "CERT_DIR + \"/client.pem\"",
        )
        .replace(
            "os.getenv(\"LEDGER_CLIENT_KEY\")",
            "CERT_DIR + \"/client.key\"",
        );
    let v = run(&[("pyproject.toml", pyproject), ("ledger/server.py", &dir)]);
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::ConfigFile));
}

#[test]
fn env_and_header_names_held_in_constants_are_resolved() {
    let code = r#"import os
from mcp.server.fastmcp import FastMCP
mcp = FastMCP("lamp")
GATE_KEY_ENV = "LAMP_GATE_KEY"
GATE_HEADER = "x-lamp-api-key"
async def gate(scope, receive, send):
    expected = os.getenv(GATE_KEY_ENV)
    headers = dict(scope["headers"])
    provided = headers.get(GATE_HEADER.encode(), b"").decode()
"#;
    let pyproject = "[project]\nname = \"lamp\"\ndependencies = [\"mcp\"]\n";
    let v = run(&[("pyproject.toml", pyproject), ("lamp/server.py", code)]);
    assert!(
        v.labels.env_vars.contains("LAMP_GATE_KEY"),
        "{:?}",
        v.labels
    );
    assert!(v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
    // Negative: constants naming ordinary settings and headers.
    let plain = code
        .replace("\"LAMP_GATE_KEY\"", "\"LAMP_LOG_LEVEL\"")
        .replace("\"x-lamp-api-key\"", "\"x-request-id\"");
    let v = run(&[("pyproject.toml", pyproject), ("lamp/server.py", &plain)]);
    assert!(!v.labels.env_vars.contains("LAMP_LOG_LEVEL"));
    assert!(!v
        .labels
        .credential_sources
        .contains(&CredentialSource::Request));
}

#[test]
fn key_for_your_account_is_an_api_key_but_one_from_account_settings_is_a_pat() {
    let code = r#"import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
const server = new McpServer({ name: "chirp", version: "1" });
const key = process.env.CHIRP_API_KEY;
if (!key) { throw new Error("CHIRP_API_KEY is required"); }
"#;
    let pkg = r#"{ "name": "chirp-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
    let readme = |line: &str| {
        format!(
            "# Chirp MCP\n\n{line}\n\n```json\n{{ \"mcpServers\": {{ \"chirp\": {{ \"command\": \"npx\", \"env\": {{ \"CHIRP_API_KEY\": \"...\" }} }} }} }}\n```\n"
        )
    };
    let org = readme("Set CHIRP_API_KEY to the key of a service integration for your account.");
    let v = run(&[
        ("package.json", pkg),
        ("src/index.ts", code),
        ("README.md", &org),
    ]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::ApiKey),
        "{:?}",
        v.labels
    );
    assert!(!v.labels.auth_methods.contains(&AuthMethod::Pat));
    let own = readme("Create CHIRP_API_KEY under your account settings, Tokens tab.");
    let v = run(&[
        ("package.json", pkg),
        ("src/index.ts", code),
        ("README.md", &own),
    ]);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Pat),
        "{:?}",
        v.labels
    );
}

#[test]
fn camel_case_lookup_key_argument_is_no_secret_flag() {
    let pkg = r#"{ "name": "trail-mcp", "dependencies": { "@modelcontextprotocol/sdk": "^1" } }"#;
    let code = r#"import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
const server = new McpServer({ name: "trail", version: "1" });
const password = process.env.TRAIL_PASSWORD;
const mode = process.argv[2];
export function handle(args) {
  const typeKey = getStringParam(args, 'typeKey', '');
  return typeKey;
}
"#;
    let v = run(&[("package.json", pkg), ("src/index.ts", code)]);
    assert!(
        !v.labels
            .credential_sources
            .contains(&CredentialSource::CliArg),
        "{:?}",
        v.labels
    );
    assert!(!v.labels.auth_methods.contains(&AuthMethod::ApiKey));
    // Negative: a camelCase option naming an API key is a secret flag.
    let v = run(&[
        ("package.json", pkg),
        ("src/index.ts", &code.replace("'typeKey'", "'apiKey'")),
    ]);
    assert!(
        v.labels
            .credential_sources
            .contains(&CredentialSource::CliArg),
        "{:?}",
        v.labels
    );
}

#[test]
fn spring_ai_app_without_a_web_server_is_stdio() {
    let pom = r#"<project><artifactId>ledger-mcp</artifactId><dependencies>
<dependency><groupId>org.springframework.ai</groupId><artifactId>spring-ai-starter-mcp-server</artifactId></dependency>
</dependencies></project>"#;
    let tools = "package acme;\nimport org.springframework.ai.tool.annotation.Tool;\nclass Tools { @Tool String ping() { return \"ok\"; } }\n";
    let v = run(&[
        ("pom.xml", pom),
        ("src/main/java/acme/Tools.java", tools),
        (
            "src/main/resources/application.properties",
            "spring.main.web-application-type=none\n",
        ),
    ]);
    assert!(
        v.labels
            .transport
            .contains(&mcp_survey_model::Transport::Stdio),
        "{:?}",
        v.labels
    );
    // Negative: a servlet app keeps the starter's HTTP default.
    let v = run(&[
        ("pom.xml", pom),
        ("src/main/java/acme/Tools.java", tools),
        (
            "src/main/resources/application.properties",
            "spring.main.web-application-type=servlet\n",
        ),
    ]);
    assert!(!v
        .labels
        .transport
        .contains(&mcp_survey_model::Transport::Stdio));
}

#[test]
fn another_secret_documented_as_optional_leaves_the_services_own_key_required() {
    let server = r#"import os
from mcp.server.fastmcp import FastMCP
mcp = FastMCP("tickets")
TICKETS_TOKEN = os.environ.get("TICKETS_API_TOKEN", "")
SUMMARY_KEY = os.environ.get("SUMMARY_API_KEY")
@mcp.tool()
def list_tickets() -> str:
    return "[]"
"#;
    let readme = |summary_row: &str| {
        format!(
            "# Tickets MCP Server\n\nConnects your assistant to **Tickets**.\n\n## Configuration\n\n| Variable | Description |\n| --- | --- |\n| `TICKETS_API_TOKEN` | Tickets API token |\n| `SUMMARY_API_KEY` | {summary_row} |\n"
        )
    };
    let files = |readme: String| {
        vec![
            (
                "pyproject.toml".to_string(),
                "[project]\nname = \"tickets-mcp\"\ndependencies = [\"mcp\"]\n".to_string(),
            ),
            ("tickets/server.py".to_string(), server.to_string()),
            ("README.md".to_string(), readme),
        ]
    };
    let run = |files: Vec<(String, String)>| {
        let borrowed: Vec<(&str, &str)> = files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        classify(&repo(Some("someone/tickets-mcp"), &borrowed))
    };
    let v = run(files(readme(
        "Optional: summaries through a language model",
    )));
    assert_eq!(
        v.labels.credentials,
        Credentials::Required,
        "{:?}",
        v.labels
    );
    // Negative: the service's own token documented as optional.
    let v = run(files(readme("Summary key").replace(
        "Tickets API token",
        "Optional: raises the Tickets rate limit",
    )));
    assert_eq!(
        v.labels.credentials,
        Credentials::Optional,
        "{:?}",
        v.labels
    );
}

/// A TypeScript server signing its own share links.
fn link_signing_server(read: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "package.json",
            r#"{ "name": "notes", "dependencies": { "@modelcontextprotocol/sdk": "^1.12.0" } }"#
                .to_string(),
        ),
        (
            "src/index.ts",
            format!(
                r#"import {{ McpServer }} from "@modelcontextprotocol/sdk/server/mcp.js";
import {{ StdioServerTransport }} from "@modelcontextprotocol/sdk/server/stdio.js";
import crypto from "node:crypto";

const LINK_SECRET =
  {read};

const server = new McpServer({{ name: "notes", version: "1.0.0" }});
server.tool("share", {{}}, async () => ({{
  content: [{{ type: "text", text: crypto.createHmac("sha256", LINK_SECRET).update("n").digest("hex") }}],
}}));
await server.connect(new StdioServerTransport());
"#
            ),
        ),
    ]
}

#[test]
fn a_secret_that_falls_back_to_a_random_value_is_the_servers_own_key() {
    for read in [
        r#"process.env.LINK_SECRET || crypto.randomBytes(32).toString("hex")"#,
        r#"process.env.LINK_SECRET ?? crypto.randomUUID()"#,
    ] {
        let files = link_signing_server(read);
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let v = run(&files);
        assert_eq!(v.labels.kind, Kind::Server);
        assert!(v.labels.auth_methods.is_empty(), "{read}: {:?}", v.labels);
        assert!(v.labels.env_vars.is_empty(), "{read}: {:?}", v.labels);
        assert_eq!(v.labels.credentials, Credentials::None, "{read}");
    }
}

#[test]
fn a_secret_with_a_fixed_fallback_is_still_a_credential() {
    // A constant fallback is a default someone chose, not a key made up
    // on the spot: the value may be a service's key. Nor is a random value
    // passed beside the secret to the same call a fallback for it.
    for read in [
        r#"process.env.LINK_SECRET || "change-me""#,
        r#"new Signer(process.env.LINK_SECRET, crypto.randomUUID())"#,
    ] {
        let files = link_signing_server(read);
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
        let v = run(&files);
        assert!(!v.labels.auth_methods.is_empty(), "{read}: {:?}", v.labels);
    }
}

#[test]
fn a_made_up_key_stays_out_even_where_the_readme_lists_it() {
    // Settings read under computed names let the README's table name
    // variables the code reads; the key the code makes up is not one.
    let mut files = link_signing_server(
        r#"process.env.LINK_SECRET || crypto.randomBytes(32).toString("hex");
const region = process.env[`NOTES_${"REGION"}`]"#,
    );
    files.push((
        "README.md",
        "# notes\n\n| variable | required | meaning |\n| --- | --- | --- |\n| `LINK_SECRET` | no | HMAC key for share links. Random if unset. |\n"
            .to_string(),
    ));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let v = run(&files);
    assert!(v.labels.env_vars.is_empty(), "{:?}", v.labels);
    assert_eq!(v.labels.credentials, Credentials::None);
}

#[test]
fn a_database_named_under_the_servers_own_prefix_is_its_own_store() {
    let pyproject = "[project]\nname = \"ledger-mcp\"\ndependencies = [\"mcp>=1.2\"]\n";
    let server = "from mcp.server.fastmcp import FastMCP\nmcp = FastMCP(\"ledger\")\n";
    // Postgres when a URL is given, SQLite in the project folder otherwise.
    let settings = |var: &str| {
        format!("import os\n\ndef storage():\n    db_url = os.environ.get(\"{var}\")\n    backend = \"postgres\" if db_url else \"sqlite\"\n    return backend, db_url\n")
    };
    let need = |var: &str| {
        let settings = settings(var);
        classify(&repo(
            Some("someone/ledger-mcp"),
            &[
                ("pyproject.toml", pyproject),
                ("ledger/server.py", server),
                ("ledger/settings.py", &settings),
            ],
        ))
        .labels
    };
    let own = need("LEDGER_DB_URL");
    assert!(own.env_vars.contains("LEDGER_DB_URL"), "{own:?}");
    assert_eq!(own.credentials, Credentials::Optional);
    // A database under another name is one the server exists to reach.
    let reached = need("WAREHOUSE_DB_URL");
    assert_eq!(reached.credentials, Credentials::Required);
}
