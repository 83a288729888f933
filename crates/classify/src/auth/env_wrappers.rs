//! Environment reads through the server's own helper: a function whose
//! parameter is passed straight to the language's environment read
//! (`def get_credential(name): return os.getenv(name)`, `function env(key)
//! { return process.env[key] }`, `func getEnv(key string) string {
//! os.Getenv(key) }`). Each call with a literal name reads that variable.

use std::sync::LazyLock;

use regex::Regex;

use crate::ctx::{re, File};

/// A function head and its first parameter, in the languages surveyed.
static FUNCTION_HEAD: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"(?m)^\s*(?:async\s+)?def\s+([A-Za-z_]\w*)\(\s*([a-z_]\w*)"#,
        r#"|\bfunction\s+([A-Za-z_]\w*)\s*\(\s*([a-z_]\w*)"#,
        r#"|\b(?:const|let)\s+([A-Za-z_]\w*)\s*=\s*(?:async\s*)?\(\s*([a-z_]\w*)\s*(?::\s*string\s*)?[,)=]"#,
        r#"|\bfunc\s+([A-Za-z_]\w*)\(\s*([a-z_]\w*)\s+string"#,
        r#"|\bfn\s+([a-z_]\w*)\(\s*([a-z_]\w*)\s*:\s*&str"#,
    ))
});

/// Environment reads of an identifier: the parameter checked below.
static READ_OF_IDENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:os\.getenv|os\.environ\.get|os\.environ\[|process\.env\[|os\.Getenv|os\.LookupEnv|env::var|System\.getenv|Environment\.GetEnvironmentVariable)\(?\s*([a-z_]\w*)\s*[,)\]]"#,
    )
});

/// Names of helpers, anywhere in the code, that read the variable their
/// first argument names.
pub fn helpers(code: &[&File]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in code {
        if !READ_OF_IDENT.is_match(f.text) {
            continue;
        }
        for c in FUNCTION_HEAD.captures_iter(f.text) {
            let mut groups = c.iter().skip(1).flatten();
            let (Some(name), Some(param)) = (groups.next(), groups.next()) else {
                continue;
            };
            let body = f.window(name.start(), 0, 25);
            let reads_param = READ_OF_IDENT
                .captures_iter(body)
                .any(|r| r.get(1).is_some_and(|m| m.as_str() == param.as_str()));
            if reads_param && !out.iter().any(|n| n == name.as_str()) {
                out.push(name.as_str().to_string());
            }
        }
    }
    out
}

/// Calls of those helpers with a literal variable name, or a key of a
/// class of names (`EnvironmentKeys.PROXY_PASSWORD`): (name, offset).
pub fn calls(f: &File, calls_re: &Regex) -> Vec<(String, usize)> {
    calls_re
        .captures_iter(f.text)
        .filter_map(|c| {
            c.get(1)
                .or_else(|| c.get(2))
                .map(|m| (m.as_str().to_string(), m.start()))
        })
        .collect()
}

/// The pattern matching a call of any of the helpers.
pub fn calls_pattern(helpers: &[String]) -> Option<Regex> {
    if helpers.is_empty() {
        return None;
    }
    let names: Vec<String> = helpers.iter().map(|h| regex::escape(h)).collect();
    Regex::new(&format!(
        r#"(?-u:\b)(?:{})\(\s*(?:['"]([A-Z][A-Z0-9_]+)['"]|[A-Z]\w*\.([A-Z][A-Z0-9_]+)\s*[,)])"#,
        names.join("|")
    ))
    .ok()
}
