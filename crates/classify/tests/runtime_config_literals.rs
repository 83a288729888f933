//! Literal credential defaults in the configuration a server runs with, and
//! tokens the server's own messages call personal: one synthetic fixture per
//! rule plus negatives.
//! All fixtures are written for these tests.

mod common;

use common::run;
use mcp_survey_model::CredentialSource;

const POM: &str = r#"<project><artifactId>forecast-mcp</artifactId><dependencies>
<dependency><groupId>org.springframework.ai</groupId><artifactId>spring-ai-starter-mcp-server-webflux</artifactId></dependency>
</dependencies></project>"#;
const TOOLS: &str = r#"package forecast;
import org.springframework.ai.tool.annotation.Tool;
public class ForecastTools {
    @Tool(description = "Forecast for a city")
    public String forecast(String city) { return "sunny"; }
}
"#;

fn spring_server(
    config_path: &'static str,
    config: &'static str,
) -> Vec<(&'static str, &'static str)> {
    vec![
        ("pom.xml", POM),
        ("src/main/java/forecast/ForecastTools.java", TOOLS),
        (config_path, config),
    ]
}

#[test]
fn a_literal_default_for_a_secret_setting_is_hardcoded_and_masked() {
    let yml = "forecast:\n  jwt:\n    secret: ${JWT_SECRET:forecast-jwt-signing-value-2024}\n";
    let v = run(&spring_server("src/main/resources/application.yml", yml));
    assert!(
        v.labels
            .credential_sources
            .contains(&CredentialSource::Hardcoded),
        "{:?}",
        v.labels
    );
    let ev = v
        .evidence
        .iter()
        .find(|e| e.value == "hardcoded")
        .expect("evidence for hardcoded");
    assert_eq!(ev.file, "src/main/resources/application.yml");
    assert!(
        !ev.matched.contains("signing-value"),
        "masked: {}",
        ev.matched
    );
}

#[test]
fn settings_without_a_literal_default_or_outside_the_runtime_config_are_not() {
    for (path, config) in [
        // No default: the credential must come from the environment.
        (
            "src/main/resources/application.yml",
            "forecast:\n  jwt:\n    secret: ${JWT_SECRET}\n  redis:\n    password: ${REDIS_PASSWORD:}\n",
        ),
        // A placeholder someone must replace.
        (
            "src/main/resources/application.yml",
            "forecast:\n  api-key: \"<your api key>\"\n",
        ),
        // The test profile is not what the server runs with.
        (
            "src/test/resources/application.yml",
            "forecast:\n  api-key: q8Zr2Lk9Vx4Tn7Wm3Hs6\n",
        ),
        // An example configuration documents, it does not configure.
        (
            "examples/application.yml",
            "forecast:\n  api-key: q8Zr2Lk9Vx4Tn7Wm3Hs6\n",
        ),
    ] {
        let v = run(&spring_server(path, config));
        assert!(
            !v.labels
                .credential_sources
                .contains(&CredentialSource::Hardcoded),
            "{path}: {:?}",
            v.labels
        );
    }
}

fn ts_server(message: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "package.json",
            r#"{"name": "gizmo-mcp", "dependencies": {"@modelcontextprotocol/sdk": "^1.0.0"}}"#
                .to_string(),
        ),
        (
            "src/index.ts",
            format!(
                r#"import {{ McpServer }} from "@modelcontextprotocol/sdk/server/mcp.js";
import {{ StdioServerTransport }} from "@modelcontextprotocol/sdk/server/stdio.js";
const token = process.env.GIZMO_ACCESS_TOKEN;
if (!token) {{
  console.error("{message} with --access-token or set the GIZMO_ACCESS_TOKEN environment variable");
  process.exit(1);
}}
const server = new McpServer({{ name: "gizmo", version: "1.0.0" }});
await server.connect(new StdioServerTransport());
"#
            ),
        ),
    ]
}

#[test]
fn the_servers_own_message_calling_the_token_personal_makes_it_a_pat() {
    use mcp_survey_model::AuthMethod;
    let files = ts_server("Please provide a personal access token (PAT)");
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let v = run(&borrowed);
    assert!(
        v.labels.auth_methods.contains(&AuthMethod::Pat),
        "{:?}",
        v.labels
    );
    assert!(
        !v.labels.auth_methods.contains(&AuthMethod::ApiKey),
        "{:?}",
        v.labels
    );
    // Negative: the same message without saying whose token it is.
    let files = ts_server("Please provide an access token");
    let borrowed: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let v = run(&borrowed);
    assert!(
        !v.labels.auth_methods.contains(&AuthMethod::Pat),
        "{:?}",
        v.labels
    );
}
