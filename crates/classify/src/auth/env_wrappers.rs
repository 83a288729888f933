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

/// Names of helpers, anywhere in the code, that read the variable one of
/// their arguments names.
pub fn helpers(code: &[&File]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in code {
        if !READ_OF_IDENT.is_match(f.text) {
            continue;
        }
        for c in FUNCTION_HEAD.captures_iter(f.text) {
            let mut groups = c.iter().skip(1).flatten();
            let (Some(name), Some(params)) = (groups.next(), groups.next()) else {
                continue;
            };
            let params = parameter_names(params.as_str());
            let body = f.window(name.start(), 0, 25);
            let reads_param = READ_OF_IDENT
                .captures_iter(body)
                .any(|r| r.get(1).is_some_and(|m| params.contains(&m.as_str())));
            if reads_param && !out.iter().any(|n| n == name.as_str()) {
                out.push(name.as_str().to_string());
            }
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
