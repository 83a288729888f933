//! Environment reads through the server's own helper: a function one of
//! whose parameters is passed straight to the language's environment read
//! (`def get_credential(name): return os.getenv(name)`, `function env(key)
//! { return process.env[key] }`, `func getEnv(key string) string {
//! os.Getenv(key) }` or the literal `get := func(flag, key string)` bound
//! to a name, a method that tries settings first and
//! `os.getenv(env_var)` last). Each call passing an upper-case literal
//! reads that variable: the other arguments are defaults or setting keys.

use std::sync::LazyLock;

use regex::Regex;

use crate::ctx::{re, File};

/// A function head and its parameter list, in the languages surveyed.
static FUNCTION_HEAD: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"(?m)^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)\(([^()]*)\)"#,
        r#"|\bfunction\s+([A-Za-z_]\w*)\s*\(([^()]*)\)"#,
        r#"|\b(?:const|let)\s+([A-Za-z_]\w*)\s*=\s*(?:async\s*)?\(([^()]*)\)\s*(?::\s*\w+\s*)?=>"#,
        r#"|\bfunc\s+([A-Za-z_]\w*)\(([^()]*)\)"#,
        r#"|\b([A-Za-z_]\w*)\s*:=\s*func\s*\(([^()]*)\)"#,
        r#"|\bfn\s+([a-z_]\w*)\(([^()]*)\)"#,
    ))
});

/// The names a parameter list declares (`key: &str`, `env_var=None`,
/// `name string`), without `self`.
fn parameter_names(list: &str) -> Vec<&str> {
    list.split(',')
        .filter_map(|p| {
            let p = p.trim().trim_start_matches(['*', '&']);
            let end = p
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(p.len());
            let name = &p[..end];
            (!name.is_empty() && name != "self" && name != "mut").then_some(name)
        })
        .collect()
}

/// Environment reads of an identifier: the parameter checked below.
static READ_OF_IDENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:os\.getenv|os\.environ\.get|os\.environ\[|process\.env\[|os\.Getenv|os\.LookupEnv|env::var|System\.getenv|Environment\.GetEnvironmentVariable)\(?\s*([a-z_]\w*)\s*[,)\]]"#,
    )
});

/// A function the code defines: its name, its parameters, and the lines
/// that follow its head (its body, near enough).
struct Function<'t> {
    name: &'t str,
    params: Vec<&'t str>,
    body: &'t str,
}

/// Every function head of the files that read the environment through an
/// identifier.
fn functions<'t>(code: &[&File<'t>]) -> Vec<Function<'t>> {
    let mut out = Vec::new();
    for f in code.iter().filter(|f| READ_OF_IDENT.is_match(f.text)) {
        for c in FUNCTION_HEAD.captures_iter(f.text) {
            let mut groups = c.iter().skip(1).flatten();
            let (Some(name), Some(params)) = (groups.next(), groups.next()) else {
                continue;
            };
            out.push(Function {
                name: name.as_str(),
                params: parameter_names(params.as_str()),
                body: f.window(name.start(), 0, 25),
            });
        }
    }
    out
}

/// Does this body read the environment variable one of `params` names?
fn reads_env_of(body: &str, params: &[&str]) -> bool {
    READ_OF_IDENT
        .captures_iter(body)
        .any(|r| r.get(1).is_some_and(|m| params.contains(&m.as_str())))
}

/// Names of helpers, anywhere in the code, that read the variable one of
/// their arguments names.
pub fn helpers(code: &[&File]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in functions(code) {
        if reads_env_of(f.body, &f.params) && !out.iter().any(|n| n == f.name) {
            out.push(f.name.to_string());
        }
    }
    out
}

/// Calls of those helpers passing an upper-case literal name, or a key
/// of a class of names (`EnvironmentKeys.PROXY_PASSWORD`): (name, offset).
pub fn calls(f: &File, calls_re: &Regex) -> Vec<(String, usize)> {
    static NAME_ARG: LazyLock<Regex> = LazyLock::new(|| {
        re(r#"['"]([A-Z][A-Z0-9_]+)['"]|(?:^|[(,])\s*[A-Z]\w*\.([A-Z][A-Z0-9_]+)\s*(?:[,)]|$)"#)
    });
    calls_re
        .captures_iter(f.text)
        .filter_map(|c| c.get(1))
        .flat_map(|args| {
            NAME_ARG.captures_iter(args.as_str()).filter_map(move |a| {
                a.get(1)
                    .or_else(|| a.get(2))
                    .map(|m| (m.as_str().to_string(), args.start() + m.start()))
            })
        })
        .collect()
}

/// The pattern matching a call of any of the helpers, its arguments in
/// the first group.
pub fn calls_pattern(helpers: &[String]) -> Option<Regex> {
    if helpers.is_empty() {
        return None;
    }
    let names: Vec<String> = helpers.iter().map(|h| regex::escape(h)).collect();
    Regex::new(&format!(
        r#"(?-u:\b)(?:{})\(((?:[^()]|\([^()]*\))*)\)"#,
        names.join("|")
    ))
    .ok()
}

/// Helpers that look a setting up on the command line first and in the
/// environment after (`getConfig(cliKey, envKey)` returning
/// `cliArgs[cliKey] || process.env[envKey]`): their first parameter
/// indexes the parsed arguments, another one the environment.
pub fn flag_helpers(code: &[&File]) -> Vec<String> {
    // A lookup in the parsed arguments, the key it looks up captured.
    static ARGS_LOOKUP: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r#"(?i)\b\w*(?:args|argv|flags|options|opts)\w*\s*(?:\[\s*(\w+)\s*\]|\.get\(\s*(\w+)\b)"#,
        )
    });
    let mut out: Vec<String> = Vec::new();
    for f in functions(code) {
        let [flag, rest @ ..] = f.params.as_slice() else {
            continue;
        };
        let reads_args = ARGS_LOOKUP.captures_iter(f.body).any(|c| {
            c.iter()
                .skip(1)
                .flatten()
                .any(|key| key.as_str().eq_ignore_ascii_case(flag))
        });
        if reads_env_of(f.body, rest) && reads_args && !out.iter().any(|n| n == f.name) {
            out.push(f.name.to_string());
        }
    }
    out
}
