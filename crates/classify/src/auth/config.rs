//! Secrets kept in configuration files: settings of a parsed config file,
//! .NET configuration keys, and config loaders that read a file from the
//! user's home or beside the binary.

use std::sync::LazyLock;

use mcp_survey_model::CredentialSource;
use regex::Regex;

use super::config_fields;
use super::findings::Findings;
use super::read_checks::{fails_without, mentions_missing};
use super::{camel_to_snake, first_use_where, is_comment};
use crate::ctx::{re, Ev, File};
use crate::names::{secret_method, NamedSecret};

/// `Configuration["Service:ApiKey"]`, `GetValue<string>("Service:Token")`.
static DOTNET_KEY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:Configuration|config|configuration|_config)\s*\[\s*"([A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9]*)+|[A-Z][A-Z0-9]*_[A-Z0-9_]+)"\s*\]|GetValue<string\??>\(\s*"([A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9]*)+|[A-Z][A-Z0-9]*_[A-Z0-9_]+)""#,
    )
});

/// Config files in the user's home or next to the binary holding secrets.
/// A file name ending in `config.json` is one only as a whole word: a
/// compiler's `tsconfig.json` or `jsconfig.json` holds no secret.
static CONFIG_FILE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)expanduser\(\s*['"]~|os\.homedir\(\)|homedir\(\)|UserHomeDir\(\)|home_dir\(\)|Path\.home\(\)|XDG_CONFIG_HOME|user_config_dir|appdirs|platformdirs|envPaths|\.config/|~/\.|credentials\.json|\.tfrc|(?:^|[^a-zA-Z])(?:config|settings)\.(?:json|ya?ml|toml)\b|IConfiguration|IOptions<|configuration\[|GetSection\(|@ConfigurationProperties|UserSecrets|AddUserSecrets|appsettings"#,
    )
});

/// A file parsed as configuration: JSON/YAML/TOML/INI readers, the Rust
/// `config` crate, viper.
static CONFIG_PARSE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"JSON\.parse\(|yaml\.safe_load|yaml\.load\(|tomllib\.load|toml\.loads?\(|toml::from_str|serde_json::from_(?:str|reader|slice)|serde_yaml::from_|json\.load\(|ConfigParser\(|ReadInConfig\(|add_source\(\s*File::"#,
    )
});

/// Values copied from a parsed file into the environment under computed
/// names: the config file can supply every variable the server reads.
static ENV_INJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"process\.env\[\s*\w+\s*\]\s*=[^=]|os\.environ\[\s*\w+\s*\]\s*=[^=]|os\.environ\.setdefault\(\s*\w+\s*,|os\.Setenv\(\s*\w+\s*,|env::set_var\(\s*\w+\s*,"#,
    )
});

/// Secret-named fields of a configuration structure.
static SECRET_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b\w*(?:api[_-]?key|apikey|password|passwd|secret|access[_-]?token|auth[_-]?token|bearer[_-]?token|api[_-]?token|token[_-]?value)\w*\b"#,
    )
});

/// Words naming a secret. A token is one only as a whole word: the
/// `tokens` a model counts and the `tokenizer` that splits text are not.
static SECRET_WORD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"token(?:$|[^a-z])|Token(?:$|[^a-z])|TOKEN(?:$|[^A-Z])|(?i:api[_-]?key|password|secret|credential)"#,
    )
});

/// Secret settings of configuration files the server parses.
pub fn parsed_fields(code: &[&File], found: &mut Findings, ev: &mut Ev) {
    for c in config_fields::collect(code) {
        let f = code[c.file];
        let window = f.window(c.offset, 2, 4);
        let required = fails_without(window) && mentions_missing(window);
        found.config_required |= required;
        found.config_secrets += 1;
        if let Some(m) = c.method {
            if found.methods.insert(m) {
                ev.at("auth_methods", m.as_str(), f, c.offset, c.rule);
            }
        }
        if found.sources.insert(CredentialSource::ConfigFile) {
            ev.at("credential_sources", "config_file", f, c.offset, c.rule);
        }
        if c.env {
            found.sources.insert(CredentialSource::Env);
            found.secret(&c.name, c.method, false).required |= required;
            ev.at("env_vars", &c.name, f, c.offset, c.rule);
        }
    }
}

/// .NET configuration keys (`Configuration["Service:ApiKey"]`): set from
/// appsettings, user secrets or the `Service__ApiKey` variable.
pub fn dotnet_keys(code: &[&File], found: &mut Findings, ev: &mut Ev) {
    for f in code.iter().filter(|f| f.lang == Some("C#")) {
        for c in DOTNET_KEY.captures_iter(f.text) {
            let Some(m) = c.get(1).or_else(|| c.get(2)) else {
                continue;
            };
            let key = m.as_str();
            let last = key.rsplit(':').next().unwrap_or(key);
            let Some(method) = secret_method(&camel_to_snake(last)).map(NamedSecret::method) else {
                continue;
            };
            // A sectioned key lives in appsettings as much as in a
            // `Section__Key` variable; an upper-case flat key names the
            // variable the environment provider serves it from.
            let sectioned = key.contains(':');
            let name = key.replace(':', "__");
            found.secret(&name, method, false);
            found.sources.insert(CredentialSource::Env);
            if sectioned {
                found.sources.insert(CredentialSource::ConfigFile);
            }
            ev.add(
                "env_vars",
                &name,
                f.path,
                f.line_of(m.start()),
                if sectioned {
                    ".NET configuration key, bound from config files and Section__Key variables"
                } else {
                    ".NET configuration key named as an environment variable"
                },
                f.line_text(m.start()),
            );
        }
    }
}

/// A match that is part of a glob (`"*.settings.json"`): a filter for
/// files of that kind, as a tool that lists or hides files writes it, not
/// a file the server reads.
fn is_glob(text: &str, at: usize) -> bool {
    text[..at].trim_end_matches('.').ends_with('*')
}

/// The MCP host's own configuration (`claude_desktop_config.json`), which
/// a server's docs and templates name to show where to register it.
fn is_host_config(text: &str, at: usize) -> bool {
    text[..at].ends_with("claude_desktop")
}

/// A glob or the host's configuration: files a name like `config.json`
/// may stand in without being the server's own.
fn names_other_files(text: &str, at: usize) -> bool {
    is_glob(text, at) || is_host_config(text, at)
}

/// Config files the server locates and reads its secrets from.
pub fn loaders(code: &[&File], found: &mut Findings, ev: &mut Ev) {
    for f in code {
        if !found.sources.contains(&CredentialSource::ConfigFile) {
            if let Some(off) = first_use_where(&CONFIG_FILE, f, |m| {
                !names_other_files(f.text, m.start())
                    && SECRET_WORD.is_match(f.window(m.start(), 4, 4))
                    // Spring properties whose secrets are `${ENV}`
                    // placeholders are set through the environment.
                    && !(found.bound_to_env && m.as_str() == "@ConfigurationProperties")
            }) {
                found.sources.insert(CredentialSource::ConfigFile);
                ev.at(
                    "credential_sources",
                    "config_file",
                    f,
                    off,
                    "secrets loaded from a config file",
                );
            }
        }
        // A config loader: the file locates a config file, parses it, and
        // deals in secret-named fields.
        if !found.sources.contains(&CredentialSource::ConfigFile) && CONFIG_PARSE.is_match(f.text) {
            let located = CONFIG_FILE
                .find_iter(f.text)
                .chain(CONFIG_PARSE.find_iter(f.text).filter(|m| {
                    m.as_str().starts_with("add_source") || m.as_str().starts_with("ReadInConfig")
                }))
                .find(|m| {
                    !is_comment(f.line_text(m.start()))
                        && !is_host_config(f.text, m.start())
                        && !found.bound_to_env
                });
            if let Some(m) = located {
                if SECRET_FIELD.is_match(f.text) || ENV_INJECT.is_match(f.text) {
                    found.sources.insert(CredentialSource::ConfigFile);
                    ev.at(
                        "credential_sources",
                        "config_file",
                        f,
                        m.start(),
                        "config loader parses a config file with secret fields",
                    );
                }
            }
        }
    }
}
