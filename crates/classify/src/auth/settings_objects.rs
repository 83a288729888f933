//! Environment reads through a settings object that maps its keys onto
//! environment variables. Dynaconf (`settings = Dynaconf(envvar_prefix=
//! "APP")`) answers `settings.get("API_KEY")`, `settings["API_KEY"]` and
//! `settings.API_KEY` from `APP_API_KEY`; its default prefix is
//! `DYNACONF`, and `envvar_prefix=False` reads the bare name.

use std::sync::LazyLock;

use regex::Regex;

use crate::ctx::{re, File};

/// A settings object bound to a name, the prefix its variables carry,
/// and the pattern of its key lookups (the key in one of its groups).
pub struct SettingsObject {
    name: String,
    prefix: String,
    keys: Regex,
}

static DYNACONF: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?m)^\s*([A-Za-z_]\w*)\s*=\s*Dynaconf\("#));

static PREFIX: LazyLock<Regex> =
    LazyLock::new(|| re(r#"envvar_prefix\s*=\s*(?:False|['"]([A-Za-z0-9_]*)['"])"#));

/// Every Dynaconf object the code builds.
pub fn objects(code: &[&File]) -> Vec<SettingsObject> {
    let mut out = Vec::new();
    for f in code.iter().filter(|f| f.path.ends_with(".py")) {
        for c in DYNACONF.captures_iter(f.text) {
            let Some(name) = c.get(1) else { continue };
            // The constructor's arguments: up to the line that closes it.
            let args = f.window(name.start(), 0, 40);
            let args = args.split("\n)").next().unwrap_or(args);
            let prefix = match PREFIX.captures(args) {
                Some(p) => p
                    .get(1)
                    .map(|m| format!("{}_", m.as_str().to_ascii_uppercase()))
                    .unwrap_or_default(),
                None => "DYNACONF_".to_string(),
            };
            let prefix = if prefix == "_" { String::new() } else { prefix };
            let Ok(keys) = Regex::new(&format!(
                r#"\b{}(?:\.get\(\s*['"]([A-Z][A-Z0-9_]+)['"]|\[\s*['"]([A-Z][A-Z0-9_]+)['"]\s*\]|\.([A-Z][A-Z0-9_]+)\b)"#,
                regex::escape(name.as_str())
            )) else {
                continue;
            };
            out.push(SettingsObject {
                name: name.as_str().to_string(),
                prefix,
                keys,
            });
        }
    }
    out
}

/// The variables this file reads through those objects: (name, offset).
pub fn reads(f: &File, objects: &[SettingsObject]) -> Vec<(String, usize)> {
    if !f.path.ends_with(".py") {
        return Vec::new();
    }
    let mut hits = Vec::new();
    let builds_one = DYNACONF.is_match(f.text);
    for o in objects {
        // The object is this file's own, or imported by its name: another
        // file's `settings` may be any other settings class.
        let imported = f.text.lines().any(|l| {
            let l = l.trim_start();
            (l.starts_with("from ") || l.starts_with("import "))
                && l.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .any(|w| w == o.name)
        });
        if !(builds_one || imported) {
            continue;
        }
        for c in o.keys.captures_iter(f.text) {
            if let Some(m) = c.iter().skip(1).flatten().next() {
                hits.push((format!("{}{}", o.prefix, m.as_str()), m.start()));
            }
        }
    }
    hits
}
