//! Credentials the server holds rather than reads by name: a CLI's saved
//! login it shells out to, a client certificate for mutual TLS, a Kerberos
//! ticket, browser session cookies kept between runs, a client library's
//! saved session or pairing, and the AWS SDK's default credential chain.

use std::sync::LazyLock;

use mcp_survey_model::{AuthMethod, CredentialSource};
use regex::Regex;

use super::findings::Findings;
use super::{delegated, first_use, first_use_where, is_comment};
use crate::ctx::{re, Ev, File};

/// Mutual TLS: the server authenticates to its service with a client
/// certificate kept on disk.
static CLIENT_CERT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)client[_-]?cert(?:ificate)?[_-]?(?:path|file)|client[_-]?key[_-]?(?:path|file)|load_cert_chain\(\s*certfile\s*=\s*[\w.(]*client|\bmutual[ -]tls\b|\bmTLS\b"#,
    )
});

/// The certificate's path comes from an environment variable
/// (`os.getenv("JIRA_CLIENT_CERT")`): the operator sets it in the
/// environment, not in a config file.
static CERT_ENV: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:getenv|environ(?:\.get)?|process\.env|Getenv|env::var|GetEnvironmentVariable)\W{1,4}[A-Z0-9_]*(?:CLIENT_CERT|CLIENT_KEY|SSL_CERT|SSL_KEY|TLS_CERT|TLS_KEY|CERT_PATH|CERT_FILE)"#,
    )
});

/// Kerberos: the ticket cache `kinit` leaves behind.
static KERBEROS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"HTTPSPNEGOAuth|HTTPKerberosAuth|requests_kerberos|requests_gssapi|\bimport gssapi\b|\bkrb5\b|KerberosAuth"#,
    )
});

/// Session cookies kept in a file between runs.
static COOKIE_FILE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:save|load|store|persist|restore|write|read)_?cookies|storage_?state|cookies\.json|cookie_?file|cookie_?path|session_?file|user_?data_?dir"#,
    )
});

/// The user logs in by hand in a browser the server opens.
static BROWSER_LOGIN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:visible|manual|interactive|browser)[ _-]?login|login[ _-]?(?:in|with|via)?[ _-]?(?:the |a )?browser|ChromeForLogin|login_?timeout|wait(?:ing)? for (?:the )?(?:user|you) to log ?in"#,
    )
});

/// A browser the server drives. A login timeout is how long the user gets
/// to log in only beside one: database drivers (pymssql, ODBC, JDBC) have
/// a login timeout of their own.
static DRIVEN_BROWSER: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)browser|playwright|puppeteer|selenium|chromium|headless|webdriver"#)
});

fn is_browser_login(f: &File, m: &regex::Match) -> bool {
    let timeout_only = m.as_str().to_ascii_lowercase().replace('_', "") == "logintimeout";
    !timeout_only || DRIVEN_BROWSER.is_match(f.window(m.start(), 10, 10))
}

/// A client library that logs in once and keeps the session on disk for
/// later runs: Telethon and Pyrogram write an MTProto `.session` file unless
/// given a `StringSession`; pyatv pairs with a device by an on-screen PIN
/// and keeps the protocol credentials in its `FileStorage` (`~/.pyatv.conf`).
struct LibrarySession {
    pattern: &'static str,
    method: AuthMethod,
    /// The first login happens in front of the user (a PIN, a code).
    interactive: bool,
    why: &'static str,
}

const LIBRARY_SESSIONS: &[LibrarySession] = &[
    LibrarySession {
        pattern: r#"\bTelegramClient\(\s*(?:[a-z_][\w.]*|["'][^"']+["'])\s*,"#,
        method: AuthMethod::SessionCookie,
        interactive: false,
        why: "Telethon keeps the login in a .session file",
    },
    LibrarySession {
        pattern: r#"(?m)^\s*from pyrogram import\b[^\n]*\bClient\b"#,
        method: AuthMethod::SessionCookie,
        interactive: false,
        why: "Pyrogram keeps the login in a .session file",
    },
    LibrarySession {
        pattern: r#"\bpyatv\.storage\b|\bpyatv\.pair\("#,
        method: AuthMethod::Other,
        interactive: true,
        why: "pyatv pairs by PIN and keeps the credentials in its file storage",
    },
];

static LIBRARY_SESSION: LazyLock<Vec<Regex>> =
    LazyLock::new(|| LIBRARY_SESSIONS.iter().map(|l| re(l.pattern)).collect());

fn library_sessions(code: &[&File], found: &mut Findings, ev: &mut Ev) {
    for (lib, pattern) in LIBRARY_SESSIONS.iter().zip(LIBRARY_SESSION.iter()) {
        let Some((f, m)) = code
            .iter()
            .find_map(|f| first_use(pattern, f).map(|m| (f, m)))
        else {
            continue;
        };
        found.methods.insert(lib.method);
        found.sources.insert(CredentialSource::ConfigFile);
        if lib.interactive {
            found.sources.insert(CredentialSource::OauthFlow);
        }
        found.held = true;
        ev.at("credential_sources", "config_file", f, m, lib.why);
    }
}

/// A cloud SDK's credential chain whose first link reads secrets from
/// environment variables the SDK names itself.
struct EnvChain {
    sdk: LazyLock<Regex>,
    /// The variables that carry a secret (paths and ids are no secret).
    variables: &'static [&'static str],
    source_why: &'static str,
    method_why: &'static str,
}

/// AWS SDKs read the access keys; Azure Identity's `EnvironmentCredential`,
/// the first link of `DefaultAzureCredential`, reads a client secret, a
/// certificate's password or a user's password.
static ENV_CHAINS: [EnvChain; 2] = [
    EnvChain {
        sdk: LazyLock::new(|| {
            re(
                r#"(?m)^\s*(?:import\s+boto3|from\s+boto3\b|import\s+aioboto3)|\bboto3\.(?:client|resource|Session|session)\b|@aws-sdk/|aws-sdk-go|aws_config::|aws-sdk-java|software\.amazon\.awssdk|AWSSDK\."#,
            )
        }),
        variables: &[
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ],
        source_why: "AWS SDK reads the access keys from the environment",
        method_why: "AWS SDK signs with the default credential chain",
    },
    EnvChain {
        sdk: LazyLock::new(|| re(r#"\b(?:DefaultAzureCredential|EnvironmentCredential)\b"#)),
        variables: &[
            "AZURE_CLIENT_SECRET",
            "AZURE_CLIENT_CERTIFICATE_PASSWORD",
            "AZURE_PASSWORD",
        ],
        source_why:
            "Azure Identity's EnvironmentCredential reads the client secret from the environment",
        method_why: "Azure Identity's default credential chain",
    },
];

pub fn scan(code: &[&File], scope: &[&File], docs: &[&File], found: &mut Findings, ev: &mut Ev) {
    let cert_via_env = code.iter().any(|f| CERT_ENV.is_match(f.text));
    if let Some((f, d)) = code.iter().find_map(|f| delegated::find(f).map(|d| (f, d))) {
        found.methods.insert(d.method);
        found.sources.insert(CredentialSource::ConfigFile);
        found.held = true;
        ev.at(
            "auth_methods",
            d.method.as_str(),
            f,
            d.offset,
            &format!("runs {} with the login the user saved for it", d.program),
        );
    }
    let mut cookie_file = false;
    let mut browser_login = false;
    for f in code {
        if let Some(m) = first_use(&CLIENT_CERT, f) {
            if !found.held {
                ev.add(
                    "auth_methods",
                    "key_file",
                    f.path,
                    f.line_of(m),
                    "client certificate for mutual TLS, read from disk",
                    f.line_text(m),
                );
            }
            found.methods.insert(AuthMethod::KeyFile);
            if !cert_via_env {
                found.sources.insert(CredentialSource::ConfigFile);
            }
            found.held = true;
        }
        if let Some(m) = first_use(&KERBEROS, f) {
            if !found.methods.contains(&AuthMethod::Other) {
                ev.at(
                    "auth_methods",
                    "other",
                    f,
                    m,
                    "Kerberos ticket from the kinit cache",
                );
            }
            found.methods.insert(AuthMethod::Other);
            found.sources.insert(CredentialSource::ConfigFile);
            found.held = true;
        }
        if !cookie_file {
            if let Some(m) = COOKIE_FILE.find(f.text) {
                if super::markers::SESSION_COOKIE.is_match(f.text)
                    && !is_comment(f.line_text(m.start()))
                {
                    cookie_file = true;
                    ev.at(
                        "credential_sources",
                        "config_file",
                        f,
                        m.start(),
                        "session cookies kept in a file between runs",
                    );
                }
            }
        }
        if !browser_login {
            if let Some(off) = first_use_where(&BROWSER_LOGIN, f, |m| is_browser_login(f, m)) {
                browser_login = true;
                ev.at(
                    "credential_sources",
                    "oauth_flow",
                    f,
                    off,
                    "the user logs in by hand in a browser",
                );
            }
        }
    }
    if found.methods.contains(&AuthMethod::SessionCookie) {
        if cookie_file {
            found.sources.insert(CredentialSource::ConfigFile);
            found.held = true;
        }
        if browser_login {
            found.sources.insert(CredentialSource::OauthFlow);
            found.held = true;
        }
    }
    library_sessions(code, found, ev);
    env_chains(code, scope, docs, found, ev);
}

/// A cloud SDK client signs with its standard credential chain, whose
/// first link is the secret environment variables. The variables are the
/// SDK's, not named by the server: they are listed only where the server's
/// code or docs tell the operator to set them.
fn env_chains(code: &[&File], scope: &[&File], docs: &[&File], found: &mut Findings, ev: &mut Ev) {
    for chain in &ENV_CHAINS {
        let Some((f, m)) = code
            .iter()
            .find_map(|f| first_use(&chain.sdk, f).map(|m| (f, m)))
        else {
            continue;
        };
        if found.sources.insert(CredentialSource::Env) {
            ev.at("credential_sources", "env", f, m, chain.source_why);
        }
        if found.methods.insert(AuthMethod::CloudIam) {
            ev.at("auth_methods", "cloud_iam", f, m, chain.method_why);
        }
        for &name in chain.variables {
            if found.secrets.contains_key(name) {
                continue;
            }
            if let Some(d) = docs
                .iter()
                .chain(scope.iter())
                .find(|d| d.text.contains(name))
            {
                found.secret(name, Some(AuthMethod::CloudIam), true);
                let off = d.text.find(name).unwrap_or(0);
                ev.at(
                    "env_vars",
                    name,
                    d,
                    off,
                    "cloud credential variable the server's docs or code name",
                );
            }
        }
    }
}
