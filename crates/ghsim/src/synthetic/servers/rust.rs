//! Rust servers.

use std::collections::BTreeMap;

use super::{Auth, ServerSpec};

pub(super) fn rust_files(
    spec: &ServerSpec,
    description: &str,
    files: &mut BTreeMap<String, String>,
) {
    let host = spec.service.host;
    let tool = spec.service.tool;
    let tdesc = spec.service.tool_desc;
    let st = format!("{}Server", spec.class_name());
    let (field, init, header, cli) = match &spec.auth {
        Auth::EnvKey { var, required: true, .. } => (
            "api_key: String,",
            format!("let api_key = std::env::var(\"{var}\").context(\"{var} must be set\")?;"),
            ".bearer_auth(&self.api_key)".to_string(),
            false,
        ),
        Auth::EnvKey { var, .. } => (
            "token: Option<String>,",
            format!("// Optional: only raises the rate limit.\n    let token = std::env::var(\"{var}\").ok();"),
            "".to_string(),
            false,
        ),
        Auth::Basic { user, pass } => (
            "user: String,\n    password: String,",
            format!("let user = std::env::var(\"{user}\").context(\"{user} must be set\")?;\n    let password = std::env::var(\"{pass}\").context(\"{pass} must be set\")?;"),
            ".basic_auth(&self.user, Some(&self.password))".to_string(),
            false,
        ),
        Auth::CliArg => (
            "api_key: String,",
            "let args = Args::parse();\n    let api_key = args.api_key;".to_string(),
            ".bearer_auth(&self.api_key)".to_string(),
            true,
        ),
        _ => ("", String::new(), "".to_string(), false),
    };
    let ctor_args: String = field
        .lines()
        .filter_map(|l| l.trim().split(':').next())
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let host = if host.is_empty() { "localhost" } else { host };
    let mut src = String::from("use anyhow::Context;\n");
    if cli {
        src.push_str("use clap::Parser;\n");
    }
    src.push_str("use rmcp::{\n    handler::server::{router::tool::ToolRouter, wrapper::Parameters},\n    model::{CallToolResult, Content, ServerCapabilities, ServerInfo},\n    schemars, tool, tool_handler, tool_router,\n    transport::stdio,\n    ErrorData as McpError, ServerHandler, ServiceExt,\n};\n\n");
    if cli {
        src.push_str("#[derive(Parser)]\nstruct Args {\n    /// API key for the service\n    #[arg(long)]\n    api_key: String,\n}\n\n");
    }
    src.push_str(&format!(
        "#[derive(Debug, serde::Deserialize, schemars::JsonSchema)]\npub struct QueryArgs {{\n    /// What to look up\n    pub query: String,\n}}\n\n#[derive(Clone)]\npub struct {st} {{\n    http: reqwest::Client,\n    {field}\n    tool_router: ToolRouter<Self>,\n}}\n\n#[tool_router]\nimpl {st} {{\n    pub fn new({}) -> Self {{\n        Self {{ http: reqwest::Client::new(), {}tool_router: Self::tool_router() }}\n    }}\n\n    #[tool(description = \"{tdesc}\")]\n    async fn {tool}(&self, Parameters(args): Parameters<QueryArgs>) -> Result<CallToolResult, McpError> {{\n        let resp = self\n            .http\n            .get(format!(\"https://{host}/v1/{tool}?q={{}}\", args.query))\n            {header}\n            .send()\n            .await\n            .map_err(|e| McpError::internal_error(e.to_string(), None))?;\n        let text = resp.text().await.unwrap_or_default();\n        Ok(CallToolResult::success(vec![Content::text(text)]))\n    }}\n}}\n\n#[tool_handler]\nimpl ServerHandler for {st} {{\n    fn get_info(&self) -> ServerInfo {{\n        ServerInfo {{\n            instructions: Some(\"{description}\".into()),\n            capabilities: ServerCapabilities::builder().enable_tools().build(),\n            ..Default::default()\n        }}\n    }}\n}}\n\n#[tokio::main]\nasync fn main() -> anyhow::Result<()> {{\n    {init}\n    let service = {st}::new({ctor_args}).serve(stdio()).await?;\n    service.waiting().await?;\n    Ok(())\n}}\n",
        field.lines().map(|l| l.trim().to_string()).filter(|l| !l.is_empty()).map(|l| l.trim_end_matches(',').to_string()).collect::<Vec<_>>().join(", "),
        if ctor_args.is_empty() { String::new() } else { format!("{ctor_args}, ") },
    ));
    files.insert("src/main.rs".into(), src);
    files.insert(
        "Cargo.toml".into(),
        format!(
            "[package]\nname = \"{}\"\nversion = \"0.1.0\"\nedition = \"2021\"\ndescription = \"{}\"\n\n[dependencies]\nrmcp = {{ version = \"0.6\", features = [\"server\", \"transport-io\", \"macros\"] }}\ntokio = {{ version = \"1\", features = [\"full\"] }}\nserde = {{ version = \"1\", features = [\"derive\"] }}\nschemars = \"1\"\nanyhow = \"1\"\nreqwest = {{ version = \"0.12\", features = [\"json\"] }}\n{}",
            spec.name,
            description.replace('"', "'"),
            if cli { "clap = { version = \"4\", features = [\"derive\"] }\n" } else { "" }
        ),
    );
}
