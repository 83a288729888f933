//! A spec rendered into files: the parts every language shares (README,
//! `.env.example`, Dockerfile), then the language's own.

use std::collections::BTreeMap;

use mcp_survey_model::Transport;

use super::csharp::csharp_files;
use super::go::go_files;
use super::java::java_files;
use super::node::node_files;
use super::python::python_files;
use super::rust::rust_files;
use super::{Auth, Lang, ServerSpec};
use crate::prng::Rng;
use crate::synthetic::catalog::*;

pub fn render(spec: &ServerSpec, description: &str, rng: &mut Rng) -> BTreeMap<String, Vec<u8>> {
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    match spec.lang {
        Lang::TypeScript | Lang::JavaScript => node_files(spec, description, &mut files),
        Lang::Python => python_files(spec, description, &mut files),
        Lang::Go => go_files(spec, &mut files),
        Lang::Rust => rust_files(spec, description, &mut files),
        Lang::Java => java_files(spec, description, &mut files),
        Lang::CSharp => csharp_files(spec, description, &mut files),
    }
    files.insert("README.md".into(), readme(spec, description, rng));
    if spec.env_example {
        let vars = env_lines(spec);
        if !vars.is_empty() {
            let mut s = String::from("# Copy to .env and fill in\n");
            for (k, v) in vars {
                s.push_str(&format!("{k}={v}\n"));
            }
            files.insert(".env.example".into(), s);
        }
    }
    if spec.dockerfile {
        files.insert("Dockerfile".into(), dockerfile(spec));
    }
    if spec.license {
        files.insert("LICENSE".into(), format!("MIT License\n\nCopyright (c) 2025 {}\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this software and associated documentation files (the \"Software\"), to deal\nin the Software without restriction.\n", spec.owner));
    }
    files.insert(
        ".gitignore".into(),
        match spec.lang {
            Lang::TypeScript | Lang::JavaScript => "node_modules/\ndist/\n.env\n",
            Lang::Python => "__pycache__/\n.venv/\n.env\n*.egg-info/\n",
            Lang::Go => "/bin/\n.env\n",
            Lang::Rust => "/target\n.env\n",
            Lang::Java => "target/\n.idea/\n",
            Lang::CSharp => "bin/\nobj/\n",
        }
        .into(),
    );
    files
        .into_iter()
        .map(|(k, v)| (k, v.into_bytes()))
        .collect()
}

/// Environment variables the README config block and .env.example show:
/// (name, placeholder).
pub(super) fn env_lines(spec: &ServerSpec) -> Vec<(String, String)> {
    let mut v = Vec::new();
    match &spec.auth {
        Auth::None | Auth::CliArg | Auth::ConfigFile | Auth::ResourceServer => {}
        Auth::EnvKey { var, extra, .. } => {
            v.push((var.clone(), placeholder(var)));
            if let Some(e) = extra {
                let val = if e.contains("EMAIL") || e.contains("USERNAME") {
                    "you@example.com".to_string()
                } else if e.contains("ORG") {
                    "your-org".to_string()
                } else {
                    format!("https://{}", spec.service.host)
                };
                v.push((e.clone(), val));
            }
        }
        Auth::Basic { user, pass } => {
            v.push((user.clone(), "your-username".into()));
            v.push((pass.clone(), "your-password".into()));
        }
        Auth::Conn { var, example } => v.push((var.clone(), example.clone())),
        Auth::AwsProfile => {
            v.push(("AWS_PROFILE".into(), "default".into()));
            v.push(("AWS_REGION".into(), "us-east-1".into()));
        }
        Auth::AwsKeys => {
            v.push(("AWS_ACCESS_KEY_ID".into(), "AKIA...".into()));
            v.push((
                "AWS_SECRET_ACCESS_KEY".into(),
                "your-secret-access-key".into(),
            ));
            v.push(("AWS_REGION".into(), "us-east-1".into()));
        }
        Auth::Delegated { prefix, flow } => {
            v.push((format!("{prefix}_CLIENT_ID"), "your-client-id".into()));
            if *flow != OAuthFlow::DeviceCode {
                v.push((
                    format!("{prefix}_CLIENT_SECRET"),
                    "your-client-secret".into(),
                ));
            }
            if *flow == OAuthFlow::RefreshToken {
                v.push((
                    format!("{prefix}_REFRESH_TOKEN"),
                    "your-refresh-token".into(),
                ));
            }
        }
        Auth::InboundBearer { var } => v.push((var.clone(), "a-long-random-string".into())),
    }
    v
}

pub(super) fn placeholder(var: &str) -> String {
    if var.contains("GITHUB") {
        "ghp_xxxxxxxxxxxxxxxxxxxx".into()
    } else if var.contains("GITLAB") {
        "glpat-xxxxxxxxxxxxxxxx".into()
    } else if var.contains("SLACK") {
        "xoxb-your-bot-token".into()
    } else if var.contains("STRIPE") {
        "sk_test_...".into()
    } else {
        format!("your-{}", var.to_ascii_lowercase().replace('_', "-"))
    }
}

pub(super) fn readme(spec: &ServerSpec, description: &str, rng: &mut Rng) -> String {
    let d = spec.service.display;
    let title = if spec.hidden {
        format!("{d} tools for Claude")
    } else {
        match rng.below(3) {
            0 => format!("{d} MCP Server"),
            1 => spec.name.clone(),
            _ => format!("mcp-server-{}", spec.service.slug),
        }
    };
    let mut s = format!("# {title}\n\n{description}.\n\n");
    s.push_str(&format!(
        "## Tools\n\n- `{}`: {}\n\n",
        spec.service.tool, spec.service.tool_desc
    ));
    // Installation.
    let (command, args): (&str, Vec<String>) = match spec.lang {
        Lang::TypeScript | Lang::JavaScript => ("npx", vec!["-y".into(), spec.name.clone()]),
        Lang::Python => ("uvx", vec![spec.name.clone()]),
        Lang::Go => (spec.name.as_str(), vec![]),
        Lang::Rust => (spec.name.as_str(), vec![]),
        Lang::Java => (
            "java",
            vec!["-jar".into(), format!("target/{}-0.1.0.jar", spec.name)],
        ),
        Lang::CSharp => (
            "dotnet",
            vec![
                "run".into(),
                "--project".into(),
                format!("/path/to/{}", spec.name),
            ],
        ),
    };
    s.push_str("## Installation\n\n");
    match spec.lang {
        Lang::TypeScript | Lang::JavaScript => {
            s.push_str(&format!("```bash\nnpm install -g {}\n```\n\n", spec.name))
        }
        Lang::Python => s.push_str(&format!("```bash\nuv pip install {}\n```\n\n", spec.name)),
        Lang::Go => s.push_str(&format!(
            "```bash\ngo install github.com/{}/{}@latest\n```\n\n",
            spec.owner, spec.name
        )),
        Lang::Rust => s.push_str(&format!(
            "```bash\ncargo install --git https://github.com/{}/{}\n```\n\n",
            spec.owner, spec.name
        )),
        Lang::Java => s.push_str("```bash\n./mvnw clean package\n```\n\n"),
        Lang::CSharp => s.push_str("```bash\ndotnet build\n```\n\n"),
    }
    s.push_str("## Configuration\n\n");
    let prose = match &spec.auth {
        Auth::None => "No API key or account is needed.".to_string(),
        Auth::EnvKey { var, required: true, pat: false, .. } => format!("Get an API key from your {d} dashboard and set it as `{var}`. The server will not start without it."),
        Auth::EnvKey { var, required: true, pat: true, .. } => format!("Create a personal access token in your {d} account settings and set it as `{var}`."),
        Auth::EnvKey { var, required: false, .. } => format!("`{var}` is optional: without it the server uses anonymous access with lower rate limits; set it for higher limits."),
        Auth::Basic { user, pass } => format!("Set `{user}` and `{pass}` to the account you want the server to use."),
        Auth::Conn { var, .. } => format!("Set `{var}` to the connection string of your database, including user and password."),
        Auth::AwsProfile => "Credentials come from your AWS CLI configuration (`aws configure`); pick a profile with `AWS_PROFILE`.".to_string(),
        Auth::AwsKeys => "Set `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` for an IAM user with read access.".to_string(),
        Auth::Delegated { flow: OAuthFlow::AuthorizationCode, prefix } => format!("Create OAuth client credentials, set `{prefix}_CLIENT_ID` and `{prefix}_CLIENT_SECRET`; on first run a browser window opens so you can sign in."),
        Auth::Delegated { flow: OAuthFlow::DeviceCode, .. } => "On first use the server prints a device code: open the link, enter the code and sign in with your Microsoft account.".to_string(),
        Auth::Delegated { flow: OAuthFlow::RefreshToken, prefix } => format!("Register an app, run the included helper once to get a refresh token, and set `{prefix}_CLIENT_ID`, `{prefix}_CLIENT_SECRET` and `{prefix}_REFRESH_TOKEN`."),
        Auth::ResourceServer => "The server is an OAuth 2.1 protected resource: clients discover the authorization server from `/.well-known/oauth-protected-resource` and must send a valid bearer token.".to_string(),
        Auth::InboundBearer { var } => format!("Set `{var}`; clients must send it as `Authorization: Bearer <token>`. The server refuses to start without it."),
        Auth::CliArg => "Pass your API key with `--api-key`.".to_string(),
        Auth::ConfigFile => format!("Put your API key in `~/.config/{}/config.json` as `{{\"apiKey\": \"...\"}}`.", spec.service.slug),
    };
    s.push_str(&prose);
    s.push_str("\n\n");
    let client = if spec.hidden {
        "Claude Desktop"
    } else {
        *rng.pick(&["Claude Desktop", "Cursor", "VS Code", "Windsurf"])
    };
    s.push_str(&format!(
        "Add this to your {client} configuration:\n\n```json\n"
    ));
    let env = env_lines(spec);
    let mut cfg = String::new();
    if spec.http() && !spec.stdio() {
        cfg.push_str(&format!(
            "{{\n  \"mcpServers\": {{\n    \"{}\": {{\n      \"url\": \"http://localhost:8080/{}\"",
            spec.server_key(),
            if spec.transports.contains(&Transport::Sse) {
                "sse"
            } else {
                "mcp"
            }
        ));
        if let Auth::InboundBearer { var } = &spec.auth {
            cfg.push_str(&format!(
                ",\n      \"headers\": {{ \"Authorization\": \"Bearer ${{{var}}}\" }}"
            ));
        }
        cfg.push_str("\n    }\n  }\n}\n");
    } else {
        let mut args = args;
        if spec.auth == Auth::CliArg {
            args.push("--api-key".into());
            args.push("YOUR_API_KEY".into());
        }
        let args_json: Vec<String> = args.iter().map(|a| format!("\"{a}\"")).collect();
        cfg.push_str(&format!(
            "{{\n  \"mcpServers\": {{\n    \"{}\": {{\n      \"command\": \"{command}\",\n      \"args\": [{}]",
            spec.server_key(),
            args_json.join(", ")
        ));
        if !env.is_empty() {
            let e: Vec<String> = env
                .iter()
                .map(|(k, v)| format!("        \"{k}\": \"{v}\""))
                .collect();
            cfg.push_str(&format!(
                ",\n      \"env\": {{\n{}\n      }}",
                e.join(",\n")
            ));
        }
        cfg.push_str("\n    }\n  }\n}\n");
    }
    s.push_str(&cfg);
    s.push_str("```\n\n");
    if spec.http() {
        let mut run = String::new();
        for (k, v) in &env {
            run.push_str(&format!("{k}={v} "));
        }
        s.push_str(&format!(
            "To run the HTTP server:\n\n```bash\n{run}PORT=8080 {}\n```\n\n",
            spec.name
        ));
    }
    if spec.license {
        s.push_str("## License\n\nMIT\n");
    }
    s
}

pub(super) fn dockerfile(spec: &ServerSpec) -> String {
    match spec.lang {
        Lang::TypeScript | Lang::JavaScript => "FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build --if-present\nENTRYPOINT [\"node\", \"dist/index.js\"]\n".into(),
        Lang::Python => "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir .\nCMD [\"python\", \"-m\", \"server\"]\n".into(),
        Lang::Go => "FROM golang:1.23 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /server .\nFROM gcr.io/distroless/base\nCOPY --from=build /server /server\nENTRYPOINT [\"/server\"]\n".into(),
        Lang::Rust => "FROM rust:1.85 AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release\nFROM debian:bookworm-slim\nCOPY --from=build /src/target/release/server /server\nENTRYPOINT [\"/server\"]\n".into(),
        Lang::Java => "FROM eclipse-temurin:21-jre\nCOPY target/*.jar /app.jar\nENTRYPOINT [\"java\", \"-jar\", \"/app.jar\"]\n".into(),
        Lang::CSharp => "FROM mcr.microsoft.com/dotnet/sdk:9.0\nWORKDIR /app\nCOPY . .\nRUN dotnet publish -c Release -o out\nENTRYPOINT [\"dotnet\", \"out/Server.dll\"]\n".into(),
    }
}
