//! MCP servers: a spec (language, SDK, transport, how it authenticates) and
//! the files a real repository built that way would hold. The true labels are
//! derived from the same spec, so files and truth cannot disagree.

use std::collections::{BTreeMap, BTreeSet};

use mcp_survey_model::{AuthMethod, CredentialSource, Credentials, Kind, Labels, Sdk, Transport};

use super::catalog::*;
use crate::prng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    TypeScript,
    JavaScript,
    Python,
    Go,
    Rust,
    Java,
    CSharp,
}

impl Lang {
    pub fn github(self) -> &'static str {
        match self {
            Lang::TypeScript => "TypeScript",
            Lang::JavaScript => "JavaScript",
            Lang::Python => "Python",
            Lang::Go => "Go",
            Lang::Rust => "Rust",
            Lang::Java => "Java",
            Lang::CSharp => "C#",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    /// A secret from one environment variable, `pat` says which kind;
    /// `extra` is a non-secret companion (URL, e-mail).
    EnvKey {
        var: String,
        required: bool,
        pat: bool,
        extra: Option<String>,
    },
    Basic {
        user: String,
        pass: String,
    },
    Conn {
        var: String,
        example: String,
    },
    AwsProfile,
    AwsKeys,
    /// An OAuth flow obtaining tokens for a third-party API.
    Delegated {
        prefix: String,
        flow: OAuthFlow,
    },
    /// OAuth resource server under the MCP authorization spec.
    ResourceServer,
    /// A shared bearer token protecting the server's own HTTP endpoint.
    InboundBearer {
        var: String,
    },
    CliArg,
    ConfigFile,
}

#[derive(Debug, Clone)]
pub struct ServerSpec {
    pub lang: Lang,
    pub sdk: Sdk,
    pub transports: BTreeSet<Transport>,
    pub service: Service,
    pub auth: Auth,
    /// Name and description do not say "MCP" (found only by code search).
    pub hidden: bool,
    pub owner: String,
    pub name: String,
    /// Python: a low-level `Server` instead of FastMCP.
    pub low_level: bool,
    pub env_example: bool,
    pub dockerfile: bool,
    pub license: bool,
    pub requirements_txt: bool,
}

impl ServerSpec {
    pub fn labels(&self) -> Labels {
        let mut methods = BTreeSet::new();
        let mut sources = BTreeSet::new();
        let mut vars = BTreeSet::new();
        let credentials;
        {
            let mut add = |m: AuthMethod, s: &[CredentialSource], v: &[&str]| {
                methods.insert(m);
                sources.extend(s.iter().copied());
                vars.extend(v.iter().map(|x| x.to_string()));
            };
            use CredentialSource as S;
            credentials = match &self.auth {
                Auth::None => Credentials::None,
                Auth::EnvKey {
                    var, required, pat, ..
                } => {
                    add(
                        if *pat {
                            AuthMethod::Pat
                        } else {
                            AuthMethod::ApiKey
                        },
                        &[S::Env],
                        &[var],
                    );
                    if *required {
                        Credentials::Required
                    } else {
                        Credentials::Optional
                    }
                }
                Auth::Basic { pass, .. } => {
                    add(AuthMethod::Basic, &[S::Env], &[pass]);
                    Credentials::Required
                }
                Auth::Conn { var, .. } => {
                    add(AuthMethod::ConnectionString, &[S::Env], &[var]);
                    Credentials::Required
                }
                Auth::AwsProfile => {
                    add(AuthMethod::CloudIam, &[S::ConfigFile], &[]);
                    Credentials::Required
                }
                Auth::AwsKeys => {
                    add(
                        AuthMethod::CloudIam,
                        &[S::Env],
                        &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
                    );
                    Credentials::Required
                }
                Auth::Delegated { prefix, flow } => {
                    let secret = format!("{prefix}_CLIENT_SECRET");
                    let refresh = format!("{prefix}_REFRESH_TOKEN");
                    match flow {
                        OAuthFlow::AuthorizationCode => {
                            add(AuthMethod::Oauth, &[S::Env, S::OauthFlow], &[&secret])
                        }
                        OAuthFlow::DeviceCode => add(AuthMethod::Oauth, &[S::OauthFlow], &[]),
                        OAuthFlow::RefreshToken => {
                            add(AuthMethod::Oauth, &[S::Env], &[&secret, &refresh])
                        }
                    }
                    Credentials::Required
                }
                Auth::ResourceServer => {
                    add(AuthMethod::Oauth, &[S::Request], &[]);
                    Credentials::Required
                }
                Auth::InboundBearer { var } => {
                    add(AuthMethod::ApiKey, &[S::Env, S::Request], &[var]);
                    Credentials::Required
                }
                Auth::CliArg => {
                    add(AuthMethod::ApiKey, &[S::CliArg], &[]);
                    Credentials::Required
                }
                Auth::ConfigFile => {
                    add(AuthMethod::ApiKey, &[S::ConfigFile], &[]);
                    Credentials::Required
                }
            };
        }
        Labels {
            kind: Kind::Server,
            language: self.lang.github().to_string(),
            sdk: [self.sdk].into_iter().collect(),
            transport: self.transports.clone(),
            credentials,
            auth_methods: methods,
            credential_sources: sources,
            env_vars: vars,
        }
    }

    pub fn evidence(&self) -> String {
        let main = self.main_path();
        let what = match &self.auth {
            Auth::None => "takes no secret".to_string(),
            Auth::EnvKey {
                var,
                required: true,
                ..
            } => format!("reads {var} from the environment and exits without it"),
            Auth::EnvKey { var, .. } => {
                format!("reads the optional {var} from the environment and works without it")
            }
            Auth::Basic { user, pass } => {
                format!("logs in with {user}/{pass} from the environment")
            }
            Auth::Conn { var, .. } => format!("connects with the connection string in {var}"),
            Auth::AwsProfile => "uses the AWS profile credential chain (~/.aws)".into(),
            Auth::AwsKeys => "reads AWS access keys from the environment".into(),
            Auth::Delegated { flow, .. } => format!("obtains tokens with an OAuth {flow:?} flow"),
            Auth::ResourceServer => "verifies OAuth bearer tokens as a protected resource".into(),
            Auth::InboundBearer { var } => {
                format!("requires the bearer token in {var} on its HTTP endpoint")
            }
            Auth::CliArg => "takes the API key as --api-key".into(),
            Auth::ConfigFile => "reads the API key from a config file in the home directory".into(),
        };
        format!("{main} {what}; README documents the configuration.")
    }

    fn main_path(&self) -> String {
        match self.lang {
            Lang::TypeScript => "src/index.ts".into(),
            Lang::JavaScript => "index.js".into(),
            Lang::Python if self.requirements_txt => "server.py".into(),
            Lang::Python => format!("src/{}/server.py", self.py_pkg()),
            Lang::Go => "main.go".into(),
            Lang::Rust => "src/main.rs".into(),
            Lang::Java => format!(
                "src/main/java/com/{}/mcp/{}Server.java",
                java_pkg(&self.owner),
                self.class_name()
            ),
            Lang::CSharp => "Program.cs".into(),
        }
    }

    fn py_pkg(&self) -> String {
        self.name.replace('-', "_").to_ascii_lowercase()
    }

    fn class_name(&self) -> String {
        camel(self.service.slug)
    }

    fn server_key(&self) -> String {
        self.service.slug.to_string()
    }

    fn http(&self) -> bool {
        self.transports.contains(&Transport::Http) || self.transports.contains(&Transport::Sse)
    }

    fn stdio(&self) -> bool {
        self.transports.contains(&Transport::Stdio)
    }
}

pub fn camel(s: &str) -> String {
    s.split(['-', '_'])
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

fn java_pkg(owner: &str) -> String {
    owner.replace(['-', '.'], "").to_ascii_lowercase()
}

/// Draws a server spec. `lang` and `sdk` fixed by the caller when evolving.
pub fn draw_spec(rng: &mut Rng, owner: &str, hidden: bool, lang: Option<Lang>) -> ServerSpec {
    let lang = lang.unwrap_or_else(|| {
        const LANGS: &[Lang] = &[
            Lang::TypeScript,
            Lang::JavaScript,
            Lang::Python,
            Lang::Go,
            Lang::Rust,
            Lang::Java,
            Lang::CSharp,
        ];
        LANGS[rng.weighted(&[40.0, 8.0, 33.0, 8.0, 4.0, 4.0, 3.0])]
    });
    let sdk = match lang {
        Lang::TypeScript => {
            if rng.chance(0.12) {
                Sdk::FastmcpTs
            } else {
                Sdk::TsOfficial
            }
        }
        Lang::JavaScript => Sdk::TsOfficial,
        Lang::Python => {
            if rng.chance(0.3) {
                Sdk::Fastmcp
            } else {
                Sdk::PyOfficial
            }
        }
        Lang::Go => {
            if rng.chance(0.7) {
                Sdk::McpGo
            } else {
                Sdk::GoOfficial
            }
        }
        Lang::Rust => Sdk::RustRmcp,
        Lang::Java => {
            if rng.chance(0.6) {
                Sdk::SpringAi
            } else {
                Sdk::JavaOfficial
            }
        }
        Lang::CSharp => Sdk::CsharpOfficial,
    };
    let rich = matches!(lang, Lang::TypeScript | Lang::JavaScript | Lang::Python);
    // Auth scheme shares, tuned so the headline figures land near the
    // study's (about 88% of servers need credentials, half on static keys
    // or PATs, under a tenth on OAuth).
    let weights: &[f64] = if rich {
        &[
            7.0, 26.0, 11.0, 5.0, 6.0, 10.0, 3.0, 3.0, 9.0, 2.0, 4.0, 3.0, 3.0,
        ]
    } else {
        &[
            10.0, 45.0, 12.0, 6.0, 8.0, 12.0, 0.0, 0.0, 0.0, 0.0, 3.0, 4.0, 0.0,
        ]
    };
    let mut service;
    let auth = match rng.weighted(weights) {
        0 => {
            service = *rng.pick(FREE_SERVICES);
            Auth::None
        }
        1 => {
            let (s, var) = *rng.pick(API_KEY_SERVICES);
            service = s;
            Auth::EnvKey {
                var: var.into(),
                required: true,
                pat: false,
                extra: None,
            }
        }
        2 => {
            let (s, var, extra) = *rng.pick(PAT_SERVICES);
            service = s;
            Auth::EnvKey {
                var: var.into(),
                required: true,
                pat: true,
                extra: extra.map(|e| e.to_string()),
            }
        }
        3 => {
            let (s, var, pat) = *rng.pick(OPTIONAL_SERVICES);
            service = s;
            Auth::EnvKey {
                var: var.into(),
                required: false,
                pat,
                extra: None,
            }
        }
        4 => {
            let (s, user, pass) = *rng.pick(BASIC_SERVICES);
            service = s;
            Auth::Basic {
                user: user.into(),
                pass: pass.into(),
            }
        }
        5 => {
            let (s, var, example) = *rng.pick(CONN_SERVICES);
            service = s;
            Auth::Conn {
                var: var.into(),
                example: example.into(),
            }
        }
        6 => {
            service = *rng.pick(AWS_SERVICES);
            Auth::AwsProfile
        }
        7 => {
            service = *rng.pick(AWS_SERVICES);
            Auth::AwsKeys
        }
        8 => {
            let (s, prefix, flow) = *rng.pick(OAUTH_SERVICES);
            service = s;
            Auth::Delegated {
                prefix: prefix.into(),
                flow,
            }
        }
        9 => {
            service = *rng.pick(HOSTED_SERVICES);
            Auth::ResourceServer
        }
        10 => {
            let (s, _) = *rng.pick(API_KEY_SERVICES);
            service = s;
            Auth::CliArg
        }
        11 => {
            service = *rng.pick(HOSTED_SERVICES);
            Auth::InboundBearer {
                var: (*rng.pick(&[
                    "MCP_AUTH_TOKEN",
                    "MCP_API_KEY",
                    "API_TOKEN",
                    "SERVER_AUTH_TOKEN",
                ]))
                .into(),
            }
        }
        _ => {
            let (s, _) = *rng.pick(API_KEY_SERVICES);
            service = s;
            Auth::ConfigFile
        }
    };
    // Other SDKs only get the schemes their templates render.
    if !supported(lang, &auth) {
        let (s, var) = *rng.pick(API_KEY_SERVICES);
        service = s;
        let auth = Auth::EnvKey {
            var: var.into(),
            required: true,
            pat: false,
            extra: None,
        };
        return finish_spec(rng, owner, hidden, lang, sdk, service, auth);
    }
    finish_spec(rng, owner, hidden, lang, sdk, service, auth)
}

fn supported(lang: Lang, auth: &Auth) -> bool {
    match lang {
        Lang::TypeScript | Lang::JavaScript | Lang::Python => true,
        Lang::Go => matches!(
            auth,
            Auth::None
                | Auth::EnvKey { .. }
                | Auth::Basic { .. }
                | Auth::Conn { .. }
                | Auth::CliArg
                | Auth::InboundBearer { .. }
        ),
        Lang::Rust => matches!(
            auth,
            Auth::None | Auth::EnvKey { .. } | Auth::Basic { .. } | Auth::CliArg
        ),
        Lang::Java | Lang::CSharp => matches!(
            auth,
            Auth::None | Auth::EnvKey { .. } | Auth::Basic { .. } | Auth::Conn { .. }
        ),
    }
}

fn finish_spec(
    rng: &mut Rng,
    owner: &str,
    hidden: bool,
    lang: Lang,
    sdk: Sdk,
    service: Service,
    auth: Auth,
) -> ServerSpec {
    let needs_http = matches!(auth, Auth::ResourceServer | Auth::InboundBearer { .. });
    let mut transports = BTreeSet::new();
    if needs_http {
        transports.insert(Transport::Http);
    } else {
        match rng.weighted(&[74.0, 14.0, 6.0, 6.0]) {
            0 => {
                transports.insert(Transport::Stdio);
            }
            1 => {
                transports.insert(Transport::Http);
            }
            2 => {
                transports.insert(Transport::Sse);
            }
            _ => {
                transports.insert(Transport::Stdio);
                transports.insert(Transport::Http);
            }
        }
    }
    // SDK capabilities: Spring AI here renders stdio or SSE, rmcp stdio only.
    if sdk == Sdk::SpringAi && transports.contains(&Transport::Http) {
        transports = [Transport::Sse].into_iter().collect();
    }
    if sdk == Sdk::RustRmcp || sdk == Sdk::JavaOfficial {
        transports = [Transport::Stdio].into_iter().collect();
    }
    if sdk == Sdk::GoOfficial && transports.contains(&Transport::Sse) {
        transports = [Transport::Http].into_iter().collect();
    }
    let slug = service.slug;
    let name = if hidden {
        match rng.below(4) {
            0 => format!("{slug}-tools"),
            1 => format!("{slug}-for-claude"),
            2 => format!("{slug}-assistant-bridge"),
            _ => format!("claude-{slug}"),
        }
    } else {
        match rng.below(7) {
            0 | 1 => format!("{slug}-mcp-server"),
            2 | 3 => format!("mcp-server-{slug}"),
            4 => format!("{slug}-mcp"),
            5 => format!("mcp-{slug}"),
            _ => format!("{}-{slug}-mcp", rng.pick(ADJECTIVES)),
        }
    };
    // GitHub allows dots, underscores, capitals and double dashes; a few
    // names use them so clients must not assume kebab-case.
    let name = match rng.below(60) {
        0 => format!("{name}.{}", rng.pick(&["js", "py", "go", "net"])),
        1 => format!("{}_v2", name.replace('-', "_")),
        2 => name.to_ascii_uppercase(),
        3 => format!("{name}--next"),
        _ => name,
    };
    ServerSpec {
        lang,
        sdk,
        transports,
        service,
        auth,
        hidden,
        owner: owner.to_string(),
        name,
        low_level: rng.chance(0.2),
        env_example: rng.chance(0.4),
        dockerfile: rng.chance(0.25),
        license: rng.chance(0.5),
        requirements_txt: rng.chance(0.3),
    }
}

pub fn description(spec: &ServerSpec, rng: &mut Rng) -> String {
    let d = spec.service.display;
    let p = spec.service.purpose;
    // Some descriptions carry emoji or CJK text, as many real ones do.
    match rng.below(40) {
        0 => return format!("🚀 {d} MCP server ✨"),
        1 => return format!("{d} 的 MCP 服务器 (Model Context Protocol server)"),
        2 if spec.hidden => return format!("{d} ツール for Claude"),
        _ => {}
    }
    if spec.hidden {
        return match rng.below(3) {
            0 => format!("{d} integration for Claude Desktop and other AI assistants"),
            1 => format!("Let your AI assistant {p}"),
            _ => format!("Tools to {p} from Claude, Cursor and friends"),
        };
    }
    match rng.below(5) {
        0 => format!("MCP server for {d}: {p}"),
        1 => format!("A Model Context Protocol server that lets LLMs {p}"),
        2 => format!("{d} MCP server"),
        3 => format!("Model Context Protocol (MCP) server to {p}"),
        _ => format!("An MCP server to {p} from Claude Desktop, Cursor and other MCP clients"),
    }
}

// ---------------------------------------------------------------------------
// Rendering.

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
fn env_lines(spec: &ServerSpec) -> Vec<(String, String)> {
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

fn placeholder(var: &str) -> String {
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

fn readme(spec: &ServerSpec, description: &str, rng: &mut Rng) -> String {
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

fn dockerfile(spec: &ServerSpec) -> String {
    match spec.lang {
        Lang::TypeScript | Lang::JavaScript => "FROM node:22-alpine\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build --if-present\nENTRYPOINT [\"node\", \"dist/index.js\"]\n".into(),
        Lang::Python => "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir .\nCMD [\"python\", \"-m\", \"server\"]\n".into(),
        Lang::Go => "FROM golang:1.23 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -o /server .\nFROM gcr.io/distroless/base\nCOPY --from=build /server /server\nENTRYPOINT [\"/server\"]\n".into(),
        Lang::Rust => "FROM rust:1.85 AS build\nWORKDIR /src\nCOPY . .\nRUN cargo build --release\nFROM debian:bookworm-slim\nCOPY --from=build /src/target/release/server /server\nENTRYPOINT [\"/server\"]\n".into(),
        Lang::Java => "FROM eclipse-temurin:21-jre\nCOPY target/*.jar /app.jar\nENTRYPOINT [\"java\", \"-jar\", \"/app.jar\"]\n".into(),
        Lang::CSharp => "FROM mcr.microsoft.com/dotnet/sdk:9.0\nWORKDIR /app\nCOPY . .\nRUN dotnet publish -c Release -o out\nENTRYPOINT [\"dotnet\", \"out/Server.dll\"]\n".into(),
    }
}

// --- Node ------------------------------------------------------------------

fn node_auth(spec: &ServerSpec) -> (Vec<String>, String, Vec<(&'static str, &'static str)>) {
    let mut imports = Vec::new();
    let mut deps = Vec::new();
    let host = spec.service.host;
    let slug = spec.service.slug;
    let code = match &spec.auth {
        Auth::None => "async function authHeaders() {\n  return {};\n}\n".to_string(),
        Auth::EnvKey { var, required: true, pat, extra } => {
            let mut s = format!(
                "const API_TOKEN = process.env.{var};\nif (!API_TOKEN) {{\n  console.error(\"Error: {var} environment variable is required\");\n  process.exit(1);\n}}\n"
            );
            match extra {
                Some(e) if e.contains("EMAIL") || e.contains("USERNAME") => s.push_str(&format!(
                    "const ACCOUNT = process.env.{e};\n\nasync function authHeaders() {{\n  const basic = Buffer.from(`${{ACCOUNT}}:${{API_TOKEN}}`).toString(\"base64\");\n  return {{ Authorization: `Basic ${{basic}}` }};\n}}\n"
                )),
                Some(e) => s.push_str(&format!(
                    "const BASE_URL = process.env.{e} ?? \"https://{host}\";\n\nasync function authHeaders() {{\n  return {{ Authorization: `Bearer ${{API_TOKEN}}` }};\n}}\n"
                )),
                None if *pat => s.push_str("\nasync function authHeaders() {\n  return { Authorization: `token ${API_TOKEN}` };\n}\n"),
                None => s.push_str("\nasync function authHeaders() {\n  return { \"X-API-Key\": API_TOKEN, Authorization: `Bearer ${API_TOKEN}` };\n}\n"),
            }
            s
        }
        Auth::EnvKey { var, .. } => format!(
            "// Optional: without {var} requests are anonymous and rate-limited.\nconst TOKEN = process.env.{var};\n\nasync function authHeaders() {{\n  return TOKEN ? {{ Authorization: `Bearer ${{TOKEN}}` }} : {{}};\n}}\n"
        ),
        Auth::Basic { user, pass } => format!(
            "const USERNAME = process.env.{user};\nconst PASSWORD = process.env.{pass};\nif (!USERNAME || !PASSWORD) {{\n  console.error(\"{user} and {pass} must be set\");\n  process.exit(1);\n}}\n\nasync function authHeaders() {{\n  const basic = Buffer.from(`${{USERNAME}}:${{PASSWORD}}`).toString(\"base64\");\n  return {{ Authorization: `Basic ${{basic}}` }};\n}}\n"
        ),
        Auth::Conn { var, example } => {
            let (imp, dep, connect) = if example.starts_with("postgres") {
                ("import pg from \"pg\";", ("pg", "^8.13.1"), "const db = new pg.Pool({ connectionString });")
            } else if example.starts_with("mysql") {
                ("import mysql from \"mysql2/promise\";", ("mysql2", "^3.11.0"), "const db = mysql.createPool(connectionString);")
            } else if example.starts_with("mongodb") {
                ("import { MongoClient } from \"mongodb\";", ("mongodb", "^6.10.0"), "const db = new MongoClient(connectionString);")
            } else if example.starts_with("redis") {
                ("import { createClient } from \"redis\";", ("redis", "^4.7.0"), "const db = createClient({ url: connectionString });")
            } else {
                ("import amqp from \"amqplib\";", ("amqplib", "^0.10.4"), "const db = await amqp.connect(connectionString);")
            };
            imports.push(imp.to_string());
            deps.push(dep);
            format!(
                "const connectionString = process.env.{var};\nif (!connectionString) {{\n  console.error(\"Please set {var}, e.g. {example}\");\n  process.exit(1);\n}}\n{connect}\n\nasync function authHeaders() {{\n  return {{}};\n}}\n"
            )
        }
        Auth::AwsProfile => {
            imports.push("import { S3Client, ListObjectsV2Command } from \"@aws-sdk/client-s3\";".into());
            imports.push("import { fromIni } from \"@aws-sdk/credential-providers\";".into());
            deps.push(("@aws-sdk/client-s3", "^3.700.0"));
            deps.push(("@aws-sdk/credential-providers", "^3.700.0"));
            "const client = new S3Client({\n  region: process.env.AWS_REGION ?? \"us-east-1\",\n  credentials: fromIni({ profile: process.env.AWS_PROFILE ?? \"default\" }),\n});\n\nasync function authHeaders() {\n  return {};\n}\n".to_string()
        }
        Auth::AwsKeys => {
            imports.push("import { S3Client, ListObjectsV2Command } from \"@aws-sdk/client-s3\";".into());
            deps.push(("@aws-sdk/client-s3", "^3.700.0"));
            "const accessKeyId = process.env.AWS_ACCESS_KEY_ID;\nconst secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;\nif (!accessKeyId || !secretAccessKey) {\n  console.error(\"AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required\");\n  process.exit(1);\n}\nconst client = new S3Client({\n  region: process.env.AWS_REGION ?? \"us-east-1\",\n  credentials: { accessKeyId, secretAccessKey },\n});\n\nasync function authHeaders() {\n  return {};\n}\n".to_string()
        }
        Auth::Delegated { prefix, flow: OAuthFlow::AuthorizationCode } if prefix == "GOOGLE" => {
            imports.push("import { OAuth2Client } from \"google-auth-library\";".into());
            imports.push("import open from \"open\";".into());
            imports.push("import http from \"node:http\";".into());
            deps.push(("google-auth-library", "^9.15.0"));
            deps.push(("open", "^10.1.0"));
            "const oauth2 = new OAuth2Client(\n  process.env.GOOGLE_CLIENT_ID,\n  process.env.GOOGLE_CLIENT_SECRET,\n  \"http://localhost:3000/oauth2callback\",\n);\n\nasync function authorize() {\n  const url = oauth2.generateAuthUrl({ access_type: \"offline\", scope: SCOPES });\n  await open(url);\n  const code = await new Promise((resolve) => {\n    const srv = http.createServer((req, res) => {\n      const c = new URL(req.url, \"http://localhost:3000\").searchParams.get(\"code\");\n      res.end(\"Authentication complete, you can close this tab.\");\n      srv.close();\n      resolve(c);\n    }).listen(3000);\n  });\n  const { tokens } = await oauth2.getToken(code);\n  oauth2.setCredentials(tokens);\n}\n\nconst SCOPES = [\"https://www.googleapis.com/auth/drive.readonly\"];\n\nasync function authHeaders() {\n  if (!oauth2.credentials?.access_token) await authorize();\n  const { token } = await oauth2.getAccessToken();\n  return { Authorization: `Bearer ${token}` };\n}\n".to_string()
        }
        Auth::Delegated { prefix, flow: OAuthFlow::AuthorizationCode } => {
            imports.push("import open from \"open\";".into());
            imports.push("import http from \"node:http\";".into());
            deps.push(("open", "^10.1.0"));
            format!(
                "const CLIENT_ID = process.env.{prefix}_CLIENT_ID;\nconst CLIENT_SECRET = process.env.{prefix}_CLIENT_SECRET;\nconst REDIRECT_URI = \"http://localhost:8765/callback\";\nlet accessToken;\n\n// Authorization code flow: open the consent page, catch the redirect, trade the code.\nasync function login() {{\n  const authUrl = `https://{host}/oauth2/authorize?response_type=code&client_id=${{CLIENT_ID}}&redirect_uri=${{encodeURIComponent(REDIRECT_URI)}}`;\n  await open(authUrl);\n  const code = await new Promise((resolve) => {{\n    const srv = http.createServer((req, res) => {{\n      resolve(new URL(req.url, REDIRECT_URI).searchParams.get(\"code\"));\n      res.end(\"Signed in.\");\n      srv.close();\n    }}).listen(8765);\n  }});\n  const res = await fetch(\"https://{host}/oauth2/token\", {{\n    method: \"POST\",\n    body: new URLSearchParams({{ grant_type: \"authorization_code\", code, client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uri: REDIRECT_URI }}),\n  }});\n  accessToken = (await res.json()).access_token;\n}}\n\nasync function authHeaders() {{\n  if (!accessToken) await login();\n  return {{ Authorization: `Bearer ${{accessToken}}` }};\n}}\n"
            )
        }
        Auth::Delegated { prefix, flow: OAuthFlow::DeviceCode } => {
            imports.push("import { PublicClientApplication } from \"@azure/msal-node\";".into());
            deps.push(("@azure/msal-node", "^2.16.0"));
            format!(
                "const pca = new PublicClientApplication({{\n  auth: {{\n    clientId: process.env.{prefix}_CLIENT_ID ?? \"14d82eec-204b-4c2f-b7e8-296a70dab67e\",\n    authority: \"https://login.microsoftonline.com/common\",\n  }},\n}});\nlet token;\n\nasync function authHeaders() {{\n  if (!token) {{\n    // Device code flow: the user signs in on another device.\n    const result = await pca.acquireTokenByDeviceCode({{\n      scopes: [\"Mail.Read\", \"Files.Read\"],\n      deviceCodeCallback: (response) => console.error(response.message),\n    }});\n    token = result.accessToken;\n  }}\n  return {{ Authorization: `Bearer ${{token}}` }};\n}}\n"
            )
        }
        Auth::Delegated { prefix, .. } => format!(
            "const CLIENT_ID = process.env.{prefix}_CLIENT_ID;\nconst CLIENT_SECRET = process.env.{prefix}_CLIENT_SECRET;\nconst REFRESH_TOKEN = process.env.{prefix}_REFRESH_TOKEN;\nif (!CLIENT_ID || !CLIENT_SECRET || !REFRESH_TOKEN) {{\n  console.error(\"{prefix}_CLIENT_ID, {prefix}_CLIENT_SECRET and {prefix}_REFRESH_TOKEN are required\");\n  process.exit(1);\n}}\n\n// Trade the long-lived refresh token for a short-lived access token.\nasync function authHeaders() {{\n  const res = await fetch(\"https://accounts.{host}/api/token\", {{\n    method: \"POST\",\n    headers: {{ Authorization: \"Basic \" + Buffer.from(`${{CLIENT_ID}}:${{CLIENT_SECRET}}`).toString(\"base64\") }},\n    body: new URLSearchParams({{ grant_type: \"refresh_token\", refresh_token: REFRESH_TOKEN }}),\n  }});\n  const {{ access_token }} = await res.json();\n  return {{ Authorization: `Bearer ${{access_token}}` }};\n}}\n"
        ),
        Auth::ResourceServer => {
            imports.push("import { createRemoteJWKSet, jwtVerify } from \"jose\";".into());
            deps.push(("jose", "^5.9.6"));
            "const ISSUER = process.env.AUTH_ISSUER_URL ?? \"https://auth.example.com\";\nconst RESOURCE_URL = process.env.RESOURCE_URL ?? \"http://localhost:8080\";\nconst JWKS = createRemoteJWKSet(new URL(`${ISSUER}/.well-known/jwks.json`));\n\n// MCP authorization: this server is an OAuth protected resource.\nasync function requireBearer(req, res, next) {\n  const header = req.headers.authorization ?? \"\";\n  if (!header.startsWith(\"Bearer \")) {\n    res.set(\"WWW-Authenticate\", `Bearer resource_metadata=\"${RESOURCE_URL}/.well-known/oauth-protected-resource\"`);\n    return res.status(401).json({ error: \"unauthorized\" });\n  }\n  try {\n    await jwtVerify(header.slice(7), JWKS, { issuer: ISSUER, audience: RESOURCE_URL });\n    next();\n  } catch {\n    res.status(401).json({ error: \"invalid_token\" });\n  }\n}\n\nasync function authHeaders() {\n  return {};\n}\n".to_string()
        }
        Auth::InboundBearer { var } => format!(
            "const AUTH_TOKEN = process.env.{var};\nif (!AUTH_TOKEN) {{\n  console.error(\"{var} must be set to protect the HTTP endpoint\");\n  process.exit(1);\n}}\n\nfunction requireBearer(req, res, next) {{\n  if (req.headers.authorization !== `Bearer ${{AUTH_TOKEN}}`) {{\n    return res.status(401).json({{ error: \"unauthorized\" }});\n  }}\n  next();\n}}\n\nasync function authHeaders() {{\n  return {{}};\n}}\n"
        ),
        Auth::CliArg => "const keyIndex = process.argv.indexOf(\"--api-key\");\nconst API_KEY = keyIndex > -1 ? process.argv[keyIndex + 1] : undefined;\nif (!API_KEY) {\n  console.error(\"Usage: server --api-key <key>\");\n  process.exit(1);\n}\n\nasync function authHeaders() {\n  return { Authorization: `Bearer ${API_KEY}` };\n}\n".to_string(),
        Auth::ConfigFile => {
            imports.push("import { readFileSync } from \"node:fs\";".into());
            imports.push("import { homedir } from \"node:os\";".into());
            imports.push("import { join } from \"node:path\";".into());
            format!(
                "const configPath = join(homedir(), \".config\", \"{slug}\", \"config.json\");\nlet API_KEY;\ntry {{\n  API_KEY = JSON.parse(readFileSync(configPath, \"utf8\")).apiKey;\n}} catch {{\n  API_KEY = undefined;\n}}\nif (!API_KEY) {{\n  console.error(`Put {{\"apiKey\": \"...\"}} in ${{configPath}}`);\n  process.exit(1);\n}}\n\nasync function authHeaders() {{\n  return {{ Authorization: `Bearer ${{API_KEY}}` }};\n}}\n"
            )
        }
    };
    (imports, code, deps)
}

fn node_tool_body(spec: &ServerSpec) -> String {
    let host = spec.service.host;
    match &spec.auth {
        Auth::Conn { example, .. } if example.starts_with("postgres") || example.starts_with("mysql") => {
            "const result = await db.query(input);\n    return { content: [{ type: \"text\", text: JSON.stringify(result.rows ?? result[0], null, 2) }] };".into()
        }
        Auth::Conn { .. } => "const result = await db.connect?.();\n    return { content: [{ type: \"text\", text: JSON.stringify({ ok: true, input, result: String(result) }) }] };".into(),
        Auth::AwsProfile | Auth::AwsKeys => "const out = await client.send(new ListObjectsV2Command({ Bucket: input }));\n    return { content: [{ type: \"text\", text: JSON.stringify(out.Contents ?? [], null, 2) }] };".into(),
        Auth::ResourceServer | Auth::InboundBearer { .. } => "const hits = store.filter((item) => item.text.includes(input));\n    return { content: [{ type: \"text\", text: JSON.stringify(hits) }] };".into(),
        _ if host.is_empty() => "const result = run(input);\n    return { content: [{ type: \"text\", text: String(result) }] };".into(),
        _ => {
            let base = match &spec.auth {
                Auth::EnvKey { extra: Some(e), .. } if !(e.contains("EMAIL") || e.contains("USERNAME")) => "${BASE_URL}".to_string(),
                _ => format!("https://{host}"),
            };
            format!(
                "const res = await fetch(`{base}/v1/{}?q=${{encodeURIComponent(input)}}`, {{ headers: await authHeaders() }});\n    if (!res.ok) throw new Error(`{} API error: ${{res.status}}`);\n    const data = await res.json();\n    return {{ content: [{{ type: \"text\", text: JSON.stringify(data, null, 2) }}] }};",
                spec.service.tool, spec.service.display
            )
        }
    }
}

fn node_files(spec: &ServerSpec, description: &str, files: &mut BTreeMap<String, String>) {
    let ts = spec.lang == Lang::TypeScript;
    let (auth_imports, auth_code, mut deps) = node_auth(spec);
    let tool = spec.service.tool;
    let tdesc = spec.service.tool_desc;
    let body = node_tool_body(spec);
    let mut src = String::from("#!/usr/bin/env node\n");
    let needs_store = matches!(spec.auth, Auth::ResourceServer | Auth::InboundBearer { .. });
    let local = spec.service.host.is_empty() && matches!(spec.auth, Auth::None);
    if spec.sdk == Sdk::FastmcpTs {
        src.push_str("import { FastMCP } from \"fastmcp\";\nimport { z } from \"zod\";\n");
        deps.push(("fastmcp", "^3.8.0"));
    } else {
        src.push_str("import { McpServer } from \"@modelcontextprotocol/sdk/server/mcp.js\";\n");
        if spec.stdio() {
            src.push_str("import { StdioServerTransport } from \"@modelcontextprotocol/sdk/server/stdio.js\";\n");
        }
        if spec.transports.contains(&Transport::Http) {
            src.push_str("import { StreamableHTTPServerTransport } from \"@modelcontextprotocol/sdk/server/streamableHttp.js\";\n");
        }
        if spec.transports.contains(&Transport::Sse) {
            src.push_str(
                "import { SSEServerTransport } from \"@modelcontextprotocol/sdk/server/sse.js\";\n",
            );
        }
        if spec.http() {
            src.push_str("import express from \"express\";\n");
            deps.push(("express", "^5.1.0"));
        }
        src.push_str("import { z } from \"zod\";\n");
        deps.push(("@modelcontextprotocol/sdk", "^1.17.0"));
    }
    deps.push(("zod", "^3.24.1"));
    for i in &auth_imports {
        src.push_str(i);
        src.push('\n');
    }
    src.push('\n');
    src.push_str(&auth_code);
    src.push('\n');
    if needs_store {
        src.push_str("const store = [];\n\n");
    }
    if local {
        src.push_str("function run(input) {\n  return `processed: ${input}`;\n}\n\n");
    }
    let input_ty = if ts { ": { input: string }" } else { "" };
    if spec.sdk == Sdk::FastmcpTs {
        src.push_str(&format!(
            "const server = new FastMCP({{ name: \"{}\", version: \"1.0.0\" }});\n\nserver.addTool({{\n  name: \"{tool}\",\n  description: \"{tdesc}\",\n  parameters: z.object({{ input: z.string() }}),\n  execute: async ({{ input }}{input_ty}) => {{\n    {}\n  }},\n}});\n\n",
            spec.name,
            body.replace("return { content: [{ type: \"text\", text: ", "return (").replace(" }] };", ");")
        ));
        if spec.stdio() {
            src.push_str("server.start({ transportType: \"stdio\" });\n");
        } else {
            src.push_str("server.start({ transportType: \"httpStream\", httpStream: { port: Number(process.env.PORT ?? 8080) } });\n");
        }
    } else {
        src.push_str(&format!(
            "const server = new McpServer({{ name: \"{}\", version: \"1.0.0\" }});\n\nserver.tool(\n  \"{tool}\",\n  \"{tdesc}\",\n  {{ input: z.string().describe(\"What to look up\") }},\n  async ({{ input }}{input_ty}) => {{\n    {body}\n  }},\n);\n\n",
            spec.name
        ));
        let guard = if needs_store { "requireBearer, " } else { "" };
        if spec.http() {
            src.push_str("const app = express();\napp.use(express.json());\n");
            if spec.auth == Auth::ResourceServer {
                src.push_str("app.get(\"/.well-known/oauth-protected-resource\", (_req, res) => {\n  res.json({ resource: RESOURCE_URL, authorization_servers: [ISSUER], bearer_methods_supported: [\"header\"] });\n});\n");
            }
        }
        if spec.transports.contains(&Transport::Http) {
            src.push_str(&format!(
                "app.post(\"/mcp\", {guard}async (req, res) => {{\n  const transport = new StreamableHTTPServerTransport({{ sessionIdGenerator: undefined }});\n  res.on(\"close\", () => transport.close());\n  await server.connect(transport);\n  await transport.handleRequest(req, res, req.body);\n}});\n"
            ));
        }
        if spec.transports.contains(&Transport::Sse) {
            src.push_str(&format!(
                "const transports = {{}};\napp.get(\"/sse\", {guard}async (_req, res) => {{\n  const transport = new SSEServerTransport(\"/messages\", res);\n  transports[transport.sessionId] = transport;\n  await server.connect(transport);\n}});\napp.post(\"/messages\", {guard}async (req, res) => {{\n  const transport = transports[req.query.sessionId];\n  await transport.handlePostMessage(req, res, req.body);\n}});\n"
            ));
        }
        if spec.stdio() && spec.http() {
            src.push_str("\nif (process.argv.includes(\"--http\")) {\n  app.listen(Number(process.env.PORT ?? 8080));\n} else {\n  const transport = new StdioServerTransport();\n  await server.connect(transport);\n  console.error(\"Server running on stdio\");\n}\n");
        } else if spec.http() {
            src.push_str(&format!(
                "\nconst port = Number(process.env.PORT ?? 8080);\napp.listen(port, () => console.log(`{} listening on ${{port}}`));\n",
                spec.name
            ));
        } else {
            src.push_str(&format!(
                "async function main() {{\n  const transport = new StdioServerTransport();\n  await server.connect(transport);\n  console.error(\"{} running on stdio\");\n}}\n\nmain().catch((error) => {{\n  console.error(\"Fatal error:\", error);\n  process.exit(1);\n}});\n",
                spec.service.display
            ));
        }
    }
    let main = if ts { "src/index.ts" } else { "index.js" };
    files.insert(main.into(), src);
    deps.sort();
    deps.dedup();
    let dep_lines: Vec<String> = deps
        .iter()
        .map(|(k, v)| format!("    \"{k}\": \"{v}\""))
        .collect();
    let (bin, scripts, dev) = if ts {
        (
            "dist/index.js",
            "    \"build\": \"tsc && chmod 755 dist/index.js\",\n    \"start\": \"node dist/index.js\"",
            ",\n  \"devDependencies\": {\n    \"@types/node\": \"^22.10.0\",\n    \"typescript\": \"^5.7.2\"\n  }",
        )
    } else {
        ("index.js", "    \"start\": \"node index.js\"", "")
    };
    let keywords = if spec.hidden {
        "\"claude\", \"ai\""
    } else {
        "\"mcp\", \"model-context-protocol\", \"claude\""
    };
    files.insert(
        "package.json".into(),
        format!(
            "{{\n  \"name\": \"{}\",\n  \"version\": \"0.{}.0\",\n  \"description\": \"{}\",\n  \"type\": \"module\",\n  \"bin\": {{\n    \"{}\": \"{bin}\"\n  }},\n  \"keywords\": [{keywords}],\n  \"scripts\": {{\n{scripts}\n  }},\n  \"dependencies\": {{\n{}\n  }}{dev},\n  \"license\": \"MIT\"\n}}\n",
            spec.name,
            spec.name.len() % 9 + 1,
            description.replace('"', "'"),
            spec.name,
            dep_lines.join(",\n")
        ),
    );
    if ts {
        files.insert(
            "tsconfig.json".into(),
            "{\n  \"compilerOptions\": {\n    \"target\": \"ES2022\",\n    \"module\": \"Node16\",\n    \"moduleResolution\": \"Node16\",\n    \"outDir\": \"./dist\",\n    \"rootDir\": \"./src\",\n    \"strict\": false,\n    \"esModuleInterop\": true\n  },\n  \"include\": [\"src/**/*\"]\n}\n".into(),
        );
    }
}

// --- Python ----------------------------------------------------------------

fn python_auth(spec: &ServerSpec) -> (Vec<&'static str>, String, Vec<&'static str>) {
    let host = spec.service.host;
    let slug = spec.service.slug;
    let mut imports = vec!["import os", "import sys"];
    let mut deps = vec!["httpx>=0.28.1"];
    let code = match &spec.auth {
        Auth::None => "def auth_headers() -> dict:\n    return {}\n".to_string(),
        Auth::EnvKey { var, required: true, extra, .. } => {
            let mut s = format!(
                "API_TOKEN = os.environ.get(\"{var}\")\nif not API_TOKEN:\n    print(\"Error: {var} environment variable is required\", file=sys.stderr)\n    sys.exit(1)\n"
            );
            if let Some(e) = extra {
                s.push_str(&format!("{} = os.environ.get(\"{e}\", \"https://{host}\")\n", if e.contains("EMAIL") || e.contains("USERNAME") { "ACCOUNT" } else { "BASE_URL" }));
            }
            s.push_str("\n\ndef auth_headers() -> dict:\n    return {\"Authorization\": f\"Bearer {API_TOKEN}\"}\n");
            s
        }
        Auth::EnvKey { var, .. } => format!(
            "# Optional: anonymous requests work, {var} only raises the rate limit.\nTOKEN = os.getenv(\"{var}\")\n\n\ndef auth_headers() -> dict:\n    return {{\"Authorization\": f\"Bearer {{TOKEN}}\"}} if TOKEN else {{}}\n"
        ),
        Auth::Basic { user, pass } => format!(
            "USERNAME = os.environ[\"{user}\"]\nPASSWORD = os.environ[\"{pass}\"]\n\n\ndef auth() -> httpx.BasicAuth:\n    return httpx.BasicAuth(USERNAME, PASSWORD)\n\n\ndef auth_headers() -> dict:\n    return {{}}\n"
        ),
        Auth::Conn { var, example } => {
            if example.starts_with("postgres") {
                imports.push("import psycopg");
                deps.push("psycopg[binary]>=3.2");
                format!("DATABASE_URL = os.environ.get(\"{var}\")\nif not DATABASE_URL:\n    raise SystemExit(\"{var} is not set\")\n\n\ndef connect():\n    return psycopg.connect(DATABASE_URL)\n\n\ndef auth_headers() -> dict:\n    return {{}}\n")
            } else if example.starts_with("mongodb") {
                imports.push("from pymongo import MongoClient");
                deps.push("pymongo>=4.10");
                format!("client = MongoClient(os.environ[\"{var}\"])\n\n\ndef auth_headers() -> dict:\n    return {{}}\n")
            } else {
                imports.push("import sqlalchemy");
                deps.push("sqlalchemy>=2.0");
                format!("engine = sqlalchemy.create_engine(os.environ[\"{var}\"])\n\n\ndef auth_headers() -> dict:\n    return {{}}\n")
            }
        }
        Auth::AwsProfile => {
            imports.push("import boto3");
            deps.push("boto3>=1.35");
            "session = boto3.Session(profile_name=os.getenv(\"AWS_PROFILE\", \"default\"), region_name=os.getenv(\"AWS_REGION\", \"us-east-1\"))\ns3 = session.client(\"s3\")\n\n\ndef auth_headers() -> dict:\n    return {}\n".to_string()
        }
        Auth::AwsKeys => {
            imports.push("import boto3");
            deps.push("boto3>=1.35");
            "s3 = boto3.client(\n    \"s3\",\n    aws_access_key_id=os.environ[\"AWS_ACCESS_KEY_ID\"],\n    aws_secret_access_key=os.environ[\"AWS_SECRET_ACCESS_KEY\"],\n    region_name=os.getenv(\"AWS_REGION\", \"us-east-1\"),\n)\n\n\ndef auth_headers() -> dict:\n    return {}\n".to_string()
        }
        Auth::Delegated { prefix, flow: OAuthFlow::AuthorizationCode } => {
            imports.push("from google_auth_oauthlib.flow import InstalledAppFlow");
            deps.push("google-auth-oauthlib>=1.2");
            format!(
                "SCOPES = [\"https://www.googleapis.com/auth/drive.readonly\"]\n_creds = None\n\n\ndef credentials():\n    \"\"\"Run the OAuth authorization code flow in a browser on first use.\"\"\"\n    global _creds\n    if _creds is None:\n        flow = InstalledAppFlow.from_client_config(\n            {{\n                \"installed\": {{\n                    \"client_id\": os.environ[\"{prefix}_CLIENT_ID\"],\n                    \"client_secret\": os.environ[\"{prefix}_CLIENT_SECRET\"],\n                    \"auth_uri\": \"https://{host}/o/oauth2/auth\",\n                    \"token_uri\": \"https://{host}/token\",\n                }}\n            }},\n            SCOPES,\n        )\n        _creds = flow.run_local_server(port=0)\n    return _creds\n\n\ndef auth_headers() -> dict:\n    return {{\"Authorization\": f\"Bearer {{credentials().token}}\"}}\n"
            )
        }
        Auth::Delegated { prefix, flow: OAuthFlow::DeviceCode } => {
            imports.push("import msal");
            deps.push("msal>=1.31");
            format!(
                "app = msal.PublicClientApplication(\n    os.getenv(\"{prefix}_CLIENT_ID\", \"14d82eec-204b-4c2f-b7e8-296a70dab67e\"),\n    authority=\"https://login.microsoftonline.com/common\",\n)\n_token = None\n\n\ndef auth_headers() -> dict:\n    global _token\n    if _token is None:\n        flow = app.initiate_device_flow(scopes=[\"Mail.Read\"])\n        print(flow[\"message\"], file=sys.stderr)\n        _token = app.acquire_token_by_device_flow(flow)[\"access_token\"]\n    return {{\"Authorization\": f\"Bearer {{_token}}\"}}\n"
            )
        }
        Auth::Delegated { prefix, .. } => format!(
            "CLIENT_ID = os.environ[\"{prefix}_CLIENT_ID\"]\nCLIENT_SECRET = os.environ[\"{prefix}_CLIENT_SECRET\"]\nREFRESH_TOKEN = os.environ[\"{prefix}_REFRESH_TOKEN\"]\n\n\ndef auth_headers() -> dict:\n    # Exchange the refresh token for a fresh access token.\n    resp = httpx.post(\n        \"https://accounts.{host}/api/token\",\n        data={{\"grant_type\": \"refresh_token\", \"refresh_token\": REFRESH_TOKEN}},\n        auth=(CLIENT_ID, CLIENT_SECRET),\n    )\n    resp.raise_for_status()\n    return {{\"Authorization\": f\"Bearer {{resp.json()['access_token']}}\"}}\n"
        ),
        Auth::ResourceServer => {
            imports.push("from mcp.server.auth.settings import AuthSettings");
            imports.push("from mcp.server.auth.provider import AccessToken, TokenVerifier");
            "ISSUER = os.getenv(\"AUTH_ISSUER_URL\", \"https://auth.example.com\")\nRESOURCE_URL = os.getenv(\"RESOURCE_URL\", \"http://localhost:8000\")\n\n\nclass IntrospectionVerifier(TokenVerifier):\n    \"\"\"Validates bearer tokens with the authorization server (RFC 7662).\"\"\"\n\n    async def verify_token(self, token: str) -> AccessToken | None:\n        async with httpx.AsyncClient() as client:\n            resp = await client.post(f\"{ISSUER}/introspect\", data={\"token\": token})\n        data = resp.json()\n        if not data.get(\"active\"):\n            return None\n        return AccessToken(token=token, client_id=data[\"client_id\"], scopes=data.get(\"scope\", \"\").split())\n\n\ndef auth_headers() -> dict:\n    return {}\n".to_string()
        }
        Auth::InboundBearer { var } => format!(
            "AUTH_TOKEN = os.environ.get(\"{var}\")\nif not AUTH_TOKEN:\n    sys.exit(\"{var} must be set: the HTTP endpoint refuses to run unprotected\")\n\n\ndef auth_headers() -> dict:\n    return {{}}\n"
        ),
        Auth::CliArg => {
            imports.push("import argparse");
            "parser = argparse.ArgumentParser()\nparser.add_argument(\"--api-key\", required=True, help=\"Your API key\")\nARGS = parser.parse_args()\n\n\ndef auth_headers() -> dict:\n    return {\"Authorization\": f\"Bearer {ARGS.api_key}\"}\n".to_string()
        }
        Auth::ConfigFile => {
            imports.push("import json");
            imports.push("from pathlib import Path");
            format!(
                "CONFIG = Path.home() / \".config\" / \"{slug}\" / \"config.json\"\ntry:\n    API_KEY = json.loads(CONFIG.read_text())[\"api_key\"]\nexcept (OSError, KeyError):\n    sys.exit(f\"Put {{{{\\\"api_key\\\": \\\"...\\\"}}}} in {{CONFIG}}\")\n\n\ndef auth_headers() -> dict:\n    return {{\"Authorization\": f\"Bearer {{API_KEY}}\"}}\n"
            )
        }
    };
    (imports, code, deps)
}

fn python_tool_body(spec: &ServerSpec) -> String {
    let host = spec.service.host;
    match &spec.auth {
        Auth::Conn { example, .. } if example.starts_with("postgres") => "with connect() as conn:\n        rows = conn.execute(query).fetchall()\n    return str(rows)".into(),
        Auth::Conn { example, .. } if example.starts_with("mongodb") => "docs = client.get_default_database()[\"items\"].find({\"$text\": {\"$search\": query}})\n    return str(list(docs))".into(),
        Auth::Conn { .. } => "with engine.connect() as conn:\n        rows = conn.execute(sqlalchemy.text(query)).fetchall()\n    return str(rows)".into(),
        Auth::AwsProfile | Auth::AwsKeys => "resp = s3.list_objects_v2(Bucket=query)\n    return str([o[\"Key\"] for o in resp.get(\"Contents\", [])])".into(),
        Auth::ResourceServer | Auth::InboundBearer { .. } => "return str([item for item in STORE if query in item])".into(),
        Auth::Basic { .. } => format!("async with httpx.AsyncClient(auth=auth()) as client:\n        resp = await client.get(\"https://{host}/api/search\", params={{\"q\": query}})\n    resp.raise_for_status()\n    return resp.text"),
        _ if host.is_empty() => "return f\"processed: {query}\"".into(),
        _ => format!("async with httpx.AsyncClient() as client:\n        resp = await client.get(\"https://{host}/v1/{}\", params={{\"q\": query}}, headers=auth_headers())\n    resp.raise_for_status()\n    return resp.text", spec.service.tool),
    }
}

fn python_files(spec: &ServerSpec, description: &str, files: &mut BTreeMap<String, String>) {
    let (auth_imports, auth_code, mut deps) = python_auth(spec);
    let tool = spec.service.tool;
    let tdesc = spec.service.tool_desc;
    let body = python_tool_body(spec);
    let fast = spec.sdk == Sdk::Fastmcp;
    let low = spec.low_level
        && !fast
        && spec.stdio()
        && !spec.http()
        && spec.auth != Auth::ResourceServer;
    let mut src = format!("\"\"\"{description}.\"\"\"\n\n");
    for i in &auth_imports {
        src.push_str(i);
        src.push('\n');
    }
    src.push_str("\nimport httpx\n");
    if fast {
        src.push_str("from fastmcp import FastMCP\n");
        deps.insert(0, "fastmcp>=2.10.0");
    } else if low {
        src.push_str("import anyio\nimport mcp.types as types\nfrom mcp.server.lowlevel import Server\nfrom mcp.server.stdio import stdio_server\n");
        deps.insert(0, "mcp>=1.10.0");
    } else {
        src.push_str("from mcp.server.fastmcp import FastMCP\n");
        deps.insert(0, "mcp[cli]>=1.10.0");
    }
    src.push('\n');
    src.push_str(&auth_code);
    if matches!(spec.auth, Auth::ResourceServer | Auth::InboundBearer { .. }) {
        src.push_str("\nSTORE: list[str] = []\n");
    }
    src.push('\n');
    if low {
        src.push_str(&format!(
            "server = Server(\"{}\")\n\n\n@server.list_tools()\nasync def list_tools() -> list[types.Tool]:\n    return [\n        types.Tool(\n            name=\"{tool}\",\n            description=\"{tdesc}\",\n            inputSchema={{\"type\": \"object\", \"properties\": {{\"query\": {{\"type\": \"string\"}}}}, \"required\": [\"query\"]}},\n        )\n    ]\n\n\n@server.call_tool()\nasync def call_tool(name: str, arguments: dict) -> list[types.TextContent]:\n    return [types.TextContent(type=\"text\", text=await {tool}(arguments[\"query\"]))]\n\n\nasync def {tool}(query: str) -> str:\n    {body}\n\n\nasync def run() -> None:\n    async with stdio_server() as (read, write):\n        await server.run(read, write, server.create_initialization_options())\n\n\ndef main() -> None:\n    anyio.run(run)\n\n\nif __name__ == \"__main__\":\n    main()\n",
            spec.name
        ));
    } else {
        let ctor = match &spec.auth {
            Auth::ResourceServer => format!(
                "mcp = FastMCP(\n    \"{}\",\n    token_verifier=IntrospectionVerifier(),\n    auth=AuthSettings(issuer_url=ISSUER, resource_server_url=RESOURCE_URL, required_scopes=[\"read\"]),\n)\n",
                spec.name
            ),
            _ => format!("mcp = FastMCP(\"{}\")\n", spec.name),
        };
        src.push_str(&ctor);
        src.push_str(&format!(
            "\n\n@mcp.tool()\nasync def {tool}(query: str) -> str:\n    \"\"\"{tdesc}.\"\"\"\n    {body}\n\n\n"
        ));
        let run = if spec.stdio() && spec.http() {
            "    if \"--http\" in sys.argv:\n        mcp.run(transport=\"streamable-http\")\n    else:\n        mcp.run()\n".to_string()
        } else if spec.transports.contains(&Transport::Http) {
            if let Auth::InboundBearer { .. } = spec.auth {
                "    import uvicorn\n    from starlette.middleware.base import BaseHTTPMiddleware\n    from starlette.responses import JSONResponse\n\n    async def require_token(request, call_next):\n        if request.headers.get(\"authorization\") != f\"Bearer {AUTH_TOKEN}\":\n            return JSONResponse({\"error\": \"unauthorized\"}, status_code=401)\n        return await call_next(request)\n\n    app = mcp.streamable_http_app()\n    app.add_middleware(BaseHTTPMiddleware, dispatch=require_token)\n    uvicorn.run(app, host=\"0.0.0.0\", port=int(os.getenv(\"PORT\", \"8000\")))\n".to_string()
            } else {
                "    mcp.run(transport=\"streamable-http\")\n".to_string()
            }
        } else if spec.transports.contains(&Transport::Sse) {
            "    mcp.run(transport=\"sse\")\n".to_string()
        } else {
            "    mcp.run()\n".to_string()
        };
        src.push_str(&format!(
            "def main() -> None:\n{run}\n\nif __name__ == \"__main__\":\n    main()\n"
        ));
    }
    if spec.requirements_txt {
        files.insert("server.py".into(), src);
        let mut r = String::new();
        for d in &deps {
            r.push_str(d);
            r.push('\n');
        }
        files.insert("requirements.txt".into(), r);
    } else {
        let pkg = spec.py_pkg();
        files.insert(format!("src/{pkg}/server.py"), src);
        files.insert(
            format!("src/{pkg}/__init__.py"),
            "from .server import main\n\n__all__ = [\"main\"]\n".to_string(),
        );
        let dep_lines: Vec<String> = deps.iter().map(|d| format!("    \"{d}\",")).collect();
        files.insert(
            "pyproject.toml".into(),
            format!(
                "[project]\nname = \"{}\"\nversion = \"0.{}.0\"\ndescription = \"{}\"\nreadme = \"README.md\"\nrequires-python = \">=3.10\"\ndependencies = [\n{}\n]\n\n[project.scripts]\n{} = \"{pkg}.server:main\"\n\n[build-system]\nrequires = [\"hatchling\"]\nbuild-backend = \"hatchling.build\"\n",
                spec.name,
                spec.name.len() % 7 + 1,
                description.replace('"', "'"),
                dep_lines.join("\n"),
                spec.name
            ),
        );
    }
}

// --- Go --------------------------------------------------------------------

fn go_files(spec: &ServerSpec, files: &mut BTreeMap<String, String>) {
    let host = spec.service.host;
    let tool = spec.service.tool;
    let tdesc = spec.service.tool_desc;
    let mut imports = vec![
        "\"context\"",
        "\"fmt\"",
        "\"log\"",
        "\"net/http\"",
        "\"os\"",
    ];
    let mut extra_require = Vec::new();
    let (setup, call) = match &spec.auth {
        Auth::None => (String::new(), format!("resp, err := http.Get(\"https://{}/api?q=\" + query)", if host.is_empty() { "localhost" } else { host })),
        Auth::EnvKey { var, required: true, .. } => (
            format!("\tapiKey := os.Getenv(\"{var}\")\n\tif apiKey == \"\" {{\n\t\tlog.Fatal(\"{var} environment variable is required\")\n\t}}\n"),
            format!("req, _ := http.NewRequestWithContext(ctx, \"GET\", \"https://{host}/v1/{tool}?q=\"+query, nil)\n\t\treq.Header.Set(\"Authorization\", \"Bearer \"+apiKey)\n\t\tresp, err := http.DefaultClient.Do(req)"),
        ),
        Auth::EnvKey { var, .. } => (
            format!("\t// Optional: only raises the rate limit.\n\ttoken := os.Getenv(\"{var}\")\n"),
            format!("req, _ := http.NewRequestWithContext(ctx, \"GET\", \"https://{host}/v1/{tool}?q=\"+query, nil)\n\t\tif token != \"\" {{\n\t\t\treq.Header.Set(\"Authorization\", \"Bearer \"+token)\n\t\t}}\n\t\tresp, err := http.DefaultClient.Do(req)"),
        ),
        Auth::Basic { user, pass } => (
            format!("\tuser, password := os.Getenv(\"{user}\"), os.Getenv(\"{pass}\")\n\tif user == \"\" || password == \"\" {{\n\t\tlog.Fatal(\"{user} and {pass} must be set\")\n\t}}\n"),
            format!("req, _ := http.NewRequestWithContext(ctx, \"GET\", \"https://{host}/api/search?q=\"+query, nil)\n\t\treq.SetBasicAuth(user, password)\n\t\tresp, err := http.DefaultClient.Do(req)"),
        ),
        Auth::Conn { var, .. } => {
            imports.push("\"database/sql\"");
            imports.push("_ \"github.com/lib/pq\"");
            extra_require.push("\tgithub.com/lib/pq v1.10.9");
            (
                format!("\tdsn := os.Getenv(\"{var}\")\n\tif dsn == \"\" {{\n\t\tlog.Fatal(\"{var} is required\")\n\t}}\n\tdb, err := sql.Open(\"postgres\", dsn)\n\tif err != nil {{\n\t\tlog.Fatal(err)\n\t}}\n"),
                "rows, err := db.QueryContext(ctx, query)\n\t\tif err == nil {\n\t\t\trows.Close()\n\t\t}\n\t\tresp := (*http.Response)(nil)".into(),
            )
        }
        Auth::CliArg => {
            imports.push("\"flag\"");
            (
                "\tapiKey := flag.String(\"api-key\", \"\", \"API key\")\n\tflag.Parse()\n\tif *apiKey == \"\" {\n\t\tlog.Fatal(\"--api-key is required\")\n\t}\n".into(),
                format!("req, _ := http.NewRequestWithContext(ctx, \"GET\", \"https://{host}/v1/{tool}?q=\"+query, nil)\n\t\treq.Header.Set(\"Authorization\", \"Bearer \"+*apiKey)\n\t\tresp, err := http.DefaultClient.Do(req)"),
            )
        }
        Auth::InboundBearer { var } => (
            format!("\tauthToken := os.Getenv(\"{var}\")\n\tif authToken == \"\" {{\n\t\tlog.Fatal(\"{var} must be set\")\n\t}}\n"),
            "resp := (*http.Response)(nil)\n\t\tvar err error".into(),
        ),
        _ => (String::new(), "resp, err := http.Get(\"https://example.com\")".into()),
    };
    let handler_body = format!(
        "\t\t{call}\n\t\tif err != nil {{\n\t\t\treturn nil, fmt.Errorf(\"{tool}: %w\", err)\n\t\t}}\n\t\t_ = resp\n\t\treturn mcp.NewToolResultText(fmt.Sprintf(\"results for %s\", query)), nil\n"
    );
    let mut src = String::from("package main\n\nimport (\n");
    let (module_req, sdk_imports) = if spec.sdk == Sdk::McpGo {
        (
            "\tgithub.com/mark3labs/mcp-go v0.32.0",
            vec![
                "\"github.com/mark3labs/mcp-go/mcp\"",
                "\"github.com/mark3labs/mcp-go/server\"",
            ],
        )
    } else {
        (
            "\tgithub.com/modelcontextprotocol/go-sdk v0.2.0",
            vec!["\"github.com/modelcontextprotocol/go-sdk/mcp\""],
        )
    };
    for i in &imports {
        src.push_str(&format!("\t{i}\n"));
    }
    src.push('\n');
    for i in &sdk_imports {
        src.push_str(&format!("\t{i}\n"));
    }
    src.push_str(")\n\n");
    let wrap = if let Auth::InboundBearer { .. } = spec.auth {
        "func requireToken(token string, next http.Handler) http.Handler {\n\treturn http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {\n\t\tif r.Header.Get(\"Authorization\") != \"Bearer \"+token {\n\t\t\thttp.Error(w, \"unauthorized\", http.StatusUnauthorized)\n\t\t\treturn\n\t\t}\n\t\tnext.ServeHTTP(w, r)\n\t})\n}\n\n"
    } else {
        ""
    };
    src.push_str(wrap);
    if spec.sdk == Sdk::McpGo {
        src.push_str(&format!(
            "func main() {{\n{setup}\n\ts := server.NewMCPServer(\"{}\", \"1.0.0\", server.WithToolCapabilities(true))\n\n\ttool := mcp.NewTool(\"{tool}\",\n\t\tmcp.WithDescription(\"{tdesc}\"),\n\t\tmcp.WithString(\"query\", mcp.Required(), mcp.Description(\"What to look up\")),\n\t)\n\ts.AddTool(tool, func(ctx context.Context, request mcp.CallToolRequest) (*mcp.CallToolResult, error) {{\n\t\tquery, err := request.RequireString(\"query\")\n\t\tif err != nil {{\n\t\t\treturn mcp.NewToolResultError(err.Error()), nil\n\t\t}}\n{handler_body}\t}})\n\n",
            spec.name
        ));
        if let Auth::InboundBearer { .. } = spec.auth {
            src.push_str("\thttpServer := server.NewStreamableHTTPServer(s)\n\tlog.Fatal(http.ListenAndServe(\":8080\", requireToken(authToken, httpServer)))\n}\n");
        } else if spec.transports.contains(&Transport::Http) && spec.stdio() {
            src.push_str("\tif len(os.Args) > 1 && os.Args[1] == \"http\" {\n\t\tif err := server.NewStreamableHTTPServer(s).Start(\":8080\"); err != nil {\n\t\t\tlog.Fatal(err)\n\t\t}\n\t\treturn\n\t}\n\tif err := server.ServeStdio(s); err != nil {\n\t\tlog.Fatalf(\"server error: %v\", err)\n\t}\n}\n");
        } else if spec.transports.contains(&Transport::Http) {
            src.push_str("\thttpServer := server.NewStreamableHTTPServer(s)\n\tif err := httpServer.Start(\":8080\"); err != nil {\n\t\tlog.Fatal(err)\n\t}\n}\n");
        } else if spec.transports.contains(&Transport::Sse) {
            src.push_str("\tsse := server.NewSSEServer(s, server.WithBaseURL(\"http://localhost:8080\"))\n\tif err := sse.Start(\":8080\"); err != nil {\n\t\tlog.Fatal(err)\n\t}\n}\n");
        } else {
            src.push_str("\tif err := server.ServeStdio(s); err != nil {\n\t\tlog.Fatalf(\"server error: %v\", err)\n\t}\n}\n");
        }
    } else {
        let body = handler_body
            .replace("mcp.NewToolResultText(fmt.Sprintf(\"results for %s\", query)), nil", "&mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: \"results for \" + query}}}, nil, nil")
            .replace("return nil, fmt.Errorf", "return nil, nil, fmt.Errorf");
        src.push_str(&format!(
            "type Args struct {{\n\tQuery string `json:\"query\" jsonschema:\"what to look up\"`\n}}\n\nfunc main() {{\n{setup}\n\ts := mcp.NewServer(&mcp.Implementation{{Name: \"{}\", Version: \"v1.0.0\"}}, nil)\n\tmcp.AddTool(s, &mcp.Tool{{Name: \"{tool}\", Description: \"{tdesc}\"}}, func(ctx context.Context, req *mcp.CallToolRequest, args Args) (*mcp.CallToolResult, any, error) {{\n\t\tquery := args.Query\n{body}\t}})\n\n",
            spec.name
        ));
        if let Auth::InboundBearer { .. } = spec.auth {
            src.push_str("\thandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)\n\tlog.Fatal(http.ListenAndServe(\":8080\", requireToken(authToken, handler)))\n}\n");
        } else if spec.transports.contains(&Transport::Http) && !spec.stdio() {
            src.push_str("\thandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)\n\tlog.Fatal(http.ListenAndServe(\":8080\", handler))\n}\n");
        } else if spec.transports.contains(&Transport::Http) {
            src.push_str("\tif len(os.Args) > 1 && os.Args[1] == \"http\" {\n\t\thandler := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)\n\t\tlog.Fatal(http.ListenAndServe(\":8080\", handler))\n\t}\n\tif err := s.Run(context.Background(), &mcp.StdioTransport{}); err != nil {\n\t\tlog.Fatal(err)\n\t}\n}\n");
        } else {
            src.push_str("\tif err := s.Run(context.Background(), &mcp.StdioTransport{}); err != nil {\n\t\tlog.Fatal(err)\n\t}\n}\n");
        }
    }
    files.insert("main.go".into(), src);
    let mut req = vec![module_req.to_string()];
    req.extend(extra_require.iter().map(|s| s.to_string()));
    files.insert(
        "go.mod".into(),
        format!(
            "module github.com/{}/{}\n\ngo 1.23\n\nrequire (\n{}\n)\n",
            spec.owner,
            spec.name,
            req.join("\n")
        ),
    );
}

// --- Rust ------------------------------------------------------------------

fn rust_files(spec: &ServerSpec, description: &str, files: &mut BTreeMap<String, String>) {
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

// --- Java ------------------------------------------------------------------

fn java_files(spec: &ServerSpec, description: &str, files: &mut BTreeMap<String, String>) {
    let pkg = java_pkg(&spec.owner);
    let class = spec.class_name();
    let host = if spec.service.host.is_empty() {
        "localhost"
    } else {
        spec.service.host
    };
    let tool = spec.service.tool;
    let tdesc = spec.service.tool_desc;
    let (fields, ctor, header) = match &spec.auth {
        Auth::EnvKey { var, required: true, .. } => (
            "    private final String apiKey;\n".to_string(),
            format!("        this.apiKey = System.getenv(\"{var}\");\n        if (apiKey == null || apiKey.isBlank()) {{\n            throw new IllegalStateException(\"{var} environment variable is required\");\n        }}\n"),
            ".header(\"Authorization\", \"Bearer \" + apiKey)".to_string(),
        ),
        Auth::EnvKey { var, .. } => (
            "    private final String token;\n".to_string(),
            format!("        // Optional: anonymous access works with lower limits.\n        this.token = System.getenv(\"{var}\");\n"),
            "".to_string(),
        ),
        Auth::Basic { user, pass } => (
            "    private final String credentials;\n".to_string(),
            format!("        String user = System.getenv(\"{user}\");\n        String password = System.getenv(\"{pass}\");\n        if (user == null || password == null) {{\n            throw new IllegalStateException(\"{user} and {pass} are required\");\n        }}\n        this.credentials = java.util.Base64.getEncoder().encodeToString((user + \":\" + password).getBytes());\n"),
            ".header(\"Authorization\", \"Basic \" + credentials)".to_string(),
        ),
        Auth::Conn { var, .. } => (
            "    private final java.sql.Connection connection;\n".to_string(),
            format!("        String url = System.getenv(\"{var}\");\n        if (url == null) {{\n            throw new IllegalStateException(\"{var} is required\");\n        }}\n        try {{\n            this.connection = java.sql.DriverManager.getConnection(url);\n        }} catch (java.sql.SQLException e) {{\n            throw new IllegalStateException(e);\n        }}\n"),
            "".to_string(),
        ),
        _ => (String::new(), String::new(), String::new()),
    };
    let method = format!(
        "    public String {}(String query) throws Exception {{\n        HttpRequest request = HttpRequest.newBuilder(URI.create(\"https://{host}/v1/{tool}?q=\" + query)){header}.build();\n        return http.send(request, HttpResponse.BodyHandlers.ofString()).body();\n    }}\n",
        camel_lower(tool)
    );
    let main_path = format!("src/main/java/com/{pkg}/mcp/{class}Server.java");
    let (src, pom_dep, props) = if spec.sdk == Sdk::SpringAi {
        let src = format!(
            "package com.{pkg}.mcp;\n\nimport java.net.URI;\nimport java.net.http.HttpClient;\nimport java.net.http.HttpRequest;\nimport java.net.http.HttpResponse;\n\nimport org.springframework.ai.tool.ToolCallbackProvider;\nimport org.springframework.ai.tool.annotation.Tool;\nimport org.springframework.ai.tool.method.MethodToolCallbackProvider;\nimport org.springframework.boot.SpringApplication;\nimport org.springframework.boot.autoconfigure.SpringBootApplication;\nimport org.springframework.context.annotation.Bean;\nimport org.springframework.stereotype.Service;\n\n@SpringBootApplication\npublic class {class}Server {{\n\n    public static void main(String[] args) {{\n        SpringApplication.run({class}Server.class, args);\n    }}\n\n    @Bean\n    public ToolCallbackProvider tools({class}Service service) {{\n        return MethodToolCallbackProvider.builder().toolObjects(service).build();\n    }}\n\n    @Service\n    public static class {class}Service {{\n        private final HttpClient http = HttpClient.newHttpClient();\n    {fields}\n        public {class}Service() {{\n    {ctor}        }}\n\n        @Tool(description = \"{tdesc}\")\n    {method}    }}\n}}\n"
        );
        let starter = if spec.transports.contains(&Transport::Sse) {
            "spring-ai-starter-mcp-server-webmvc"
        } else {
            "spring-ai-starter-mcp-server"
        };
        let dep = format!("        <dependency>\n            <groupId>org.springframework.ai</groupId>\n            <artifactId>{starter}</artifactId>\n        </dependency>\n");
        let props = if spec.transports.contains(&Transport::Sse) {
            format!("spring.ai.mcp.server.name={}\nspring.ai.mcp.server.version=1.0.0\nserver.port=8080\n", spec.name)
        } else {
            format!("spring.ai.mcp.server.name={}\nspring.ai.mcp.server.version=1.0.0\nspring.ai.mcp.server.stdio=true\nspring.main.web-application-type=none\nspring.main.banner-mode=off\nlogging.pattern.console=\n", spec.name)
        };
        (src, dep, Some(props))
    } else {
        let src = format!(
            "package com.{pkg}.mcp;\n\nimport java.net.URI;\nimport java.net.http.HttpClient;\nimport java.net.http.HttpRequest;\nimport java.net.http.HttpResponse;\nimport java.util.List;\n\nimport com.fasterxml.jackson.databind.ObjectMapper;\nimport io.modelcontextprotocol.server.McpServer;\nimport io.modelcontextprotocol.server.McpServerFeatures;\nimport io.modelcontextprotocol.server.transport.StdioServerTransportProvider;\nimport io.modelcontextprotocol.spec.McpSchema;\n\npublic class {class}Server {{\n    private final HttpClient http = HttpClient.newHttpClient();\n{fields}\n    public {class}Server() {{\n{ctor}    }}\n\n{method}\n    public static void main(String[] args) {{\n        {class}Server self = new {class}Server();\n        var transport = new StdioServerTransportProvider(new ObjectMapper());\n        var tool = new McpSchema.Tool(\"{tool}\", \"{tdesc}\", \"{{\\\"type\\\":\\\"object\\\",\\\"properties\\\":{{\\\"query\\\":{{\\\"type\\\":\\\"string\\\"}}}}}}\");\n        McpServer.sync(transport)\n            .serverInfo(\"{}\", \"1.0.0\")\n            .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())\n            .tools(new McpServerFeatures.SyncToolSpecification(tool, (exchange, arguments) -> {{\n                try {{\n                    String text = self.{}((String) arguments.get(\"query\"));\n                    return new McpSchema.CallToolResult(List.of(new McpSchema.TextContent(text)), false);\n                }} catch (Exception e) {{\n                    return new McpSchema.CallToolResult(List.of(new McpSchema.TextContent(e.getMessage())), true);\n                }}\n            }}))\n            .build();\n    }}\n}}\n",
            spec.name,
            camel_lower(tool)
        );
        let dep = "        <dependency>\n            <groupId>io.modelcontextprotocol.sdk</groupId>\n            <artifactId>mcp</artifactId>\n            <version>0.11.0</version>\n        </dependency>\n".to_string();
        (src, dep, None)
    };
    files.insert(main_path, src);
    if let Some(p) = props {
        files.insert("src/main/resources/application.properties".into(), p);
    }
    let bom = if spec.sdk == Sdk::SpringAi {
        "    <dependencyManagement>\n        <dependencies>\n            <dependency>\n                <groupId>org.springframework.ai</groupId>\n                <artifactId>spring-ai-bom</artifactId>\n                <version>1.0.1</version>\n                <type>pom</type>\n                <scope>import</scope>\n            </dependency>\n        </dependencies>\n    </dependencyManagement>\n"
    } else {
        ""
    };
    files.insert(
        "pom.xml".into(),
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\">\n    <modelVersion>4.0.0</modelVersion>\n    <groupId>com.{pkg}</groupId>\n    <artifactId>{}</artifactId>\n    <version>0.1.0</version>\n    <description>{}</description>\n    <properties>\n        <java.version>21</java.version>\n    </properties>\n{bom}    <dependencies>\n{pom_dep}    </dependencies>\n</project>\n",
            spec.name,
            description.replace('&', "and").replace(['<', '>'], "")
        ),
    );
}

fn camel_lower(s: &str) -> String {
    let c = camel(s);
    let mut chars = c.chars();
    match chars.next() {
        Some(f) => f.to_ascii_lowercase().to_string() + chars.as_str(),
        None => c,
    }
}

// --- C# --------------------------------------------------------------------

fn csharp_files(spec: &ServerSpec, description: &str, files: &mut BTreeMap<String, String>) {
    let class = spec.class_name();
    let host = if spec.service.host.is_empty() {
        "localhost"
    } else {
        spec.service.host
    };
    let tool = camel(spec.service.tool);
    let tdesc = spec.service.tool_desc;
    let (setup, header) = match &spec.auth {
        Auth::EnvKey { var, required: true, .. } => (
            format!("var apiKey = Environment.GetEnvironmentVariable(\"{var}\")\n    ?? throw new InvalidOperationException(\"{var} environment variable is required\");\n"),
            "http.DefaultRequestHeaders.Authorization = new(\"Bearer\", apiKey);".to_string(),
        ),
        Auth::EnvKey { var, .. } => (
            format!("// Optional: raises the rate limit when set.\nvar token = Environment.GetEnvironmentVariable(\"{var}\");\n"),
            "if (!string.IsNullOrEmpty(token)) http.DefaultRequestHeaders.Authorization = new(\"Bearer\", token);".to_string(),
        ),
        Auth::Basic { user, pass } => (
            format!("var user = Environment.GetEnvironmentVariable(\"{user}\") ?? throw new InvalidOperationException(\"{user} is required\");\nvar password = Environment.GetEnvironmentVariable(\"{pass}\") ?? throw new InvalidOperationException(\"{pass} is required\");\n"),
            "http.DefaultRequestHeaders.Authorization = new(\"Basic\", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($\"{user}:{password}\")));".to_string(),
        ),
        Auth::Conn { var, .. } => (
            format!("var connectionString = Environment.GetEnvironmentVariable(\"{var}\")\n    ?? throw new InvalidOperationException(\"{var} is required\");\nawait using var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString);\n"),
            String::new(),
        ),
        _ => (String::new(), String::new()),
    };
    let http =
        spec.transports.contains(&Transport::Http) || spec.transports.contains(&Transport::Sse);
    let host_setup = if http {
        "var builder = WebApplication.CreateBuilder(args);\nbuilder.Services.AddHttpClient();\nbuilder.Services.AddMcpServer()\n    .WithHttpTransport()\n    .WithToolsFromAssembly();\nvar app = builder.Build();\napp.MapMcp();\nawait app.RunAsync();\n"
    } else {
        "var builder = Host.CreateApplicationBuilder(args);\nbuilder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);\nbuilder.Services.AddSingleton(http);\nbuilder.Services.AddMcpServer()\n    .WithStdioServerTransport()\n    .WithToolsFromAssembly();\nawait builder.Build().RunAsync();\n"
    };
    let src = format!(
        "using System.ComponentModel;\nusing Microsoft.Extensions.DependencyInjection;\nusing Microsoft.Extensions.Hosting;\nusing Microsoft.Extensions.Logging;\nusing ModelContextProtocol.Server;\n\n{setup}var http = new HttpClient {{ BaseAddress = new Uri(\"https://{host}/\") }};\n{header}\n\n{host_setup}\n[McpServerToolType]\npublic static class {class}Tools\n{{\n    [McpServerTool, Description(\"{tdesc}\")]\n    public static async Task<string> {tool}(HttpClient http, [Description(\"What to look up\")] string query)\n    {{\n        return await http.GetStringAsync($\"v1/{}?q={{Uri.EscapeDataString(query)}}\");\n    }}\n}}\n",
        spec.service.tool
    );
    files.insert("Program.cs".into(), src);
    let sdk_pkg = if http {
        "ModelContextProtocol.AspNetCore"
    } else {
        "ModelContextProtocol"
    };
    let npgsql = if matches!(spec.auth, Auth::Conn { .. }) {
        "    <PackageReference Include=\"Npgsql\" Version=\"9.0.2\" />\n"
    } else {
        ""
    };
    files.insert(
        format!("{}.csproj", camel(&spec.name)),
        format!(
            "<Project Sdk=\"Microsoft.NET.Sdk{}\">\n  <PropertyGroup>\n    <OutputType>Exe</OutputType>\n    <TargetFramework>net9.0</TargetFramework>\n    <Description>{}</Description>\n  </PropertyGroup>\n  <ItemGroup>\n    <PackageReference Include=\"{sdk_pkg}\" Version=\"0.3.0-preview.4\" />\n    <PackageReference Include=\"Microsoft.Extensions.Hosting\" Version=\"9.0.0\" />\n{npgsql}  </ItemGroup>\n</Project>\n",
            if http { ".Web" } else { "" },
            description.replace('&', "and").replace(['<', '>'], "")
        ),
    );
}
