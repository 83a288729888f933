//! MCP servers: a spec (language, SDK, transport, how it authenticates) and
//! the files a real repository built that way would hold. The true labels are
//! derived from the same spec, so files and truth cannot disagree.
//!
//! The spec is drawn here; `render` turns it into files, with one module
//! per language for what only that language has.

mod csharp;
mod go;
mod java;
mod node;
mod python;
mod render;
mod rust;

use std::collections::BTreeSet;

use mcp_survey_model::{AuthMethod, CredentialSource, Credentials, Kind, Labels, Sdk, Transport};

use super::catalog::*;
use crate::prng::Rng;

pub use render::render;

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
    let lang = lang.unwrap_or_else(|| draw_lang(rng));
    let sdk = draw_sdk(rng, lang);
    let rich = matches!(lang, Lang::TypeScript | Lang::JavaScript | Lang::Python);
    let (service, auth) = draw_auth(rng, rich);
    // Other SDKs only get the schemes their templates render.
    let (service, auth) = if supported(lang, &auth) {
        (service, auth)
    } else {
        let (s, var) = *rng.pick(API_KEY_SERVICES);
        let auth = Auth::EnvKey {
            var: var.into(),
            required: true,
            pat: false,
            extra: None,
        };
        (s, auth)
    };
    finish_spec(rng, owner, hidden, lang, sdk, service, auth)
}

/// A server's language, in the ecosystem's proportions.
fn draw_lang(rng: &mut Rng) -> Lang {
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
}

/// The SDK a server in `lang` is built on.
fn draw_sdk(rng: &mut Rng, lang: Lang) -> Sdk {
    match lang {
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
    }
}

/// The service a server wraps and how it authenticates; `rich` languages
/// (TypeScript, JavaScript, Python) have templates for every scheme.
fn draw_auth(rng: &mut Rng, rich: bool) -> (Service, Auth) {
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
    let service;
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
    (service, auth)
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
