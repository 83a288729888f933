//! Environment variables the documentation tells users to set: README
//! `mcpServers` blocks, smithery.yaml, the registry's server.json, desktop
//! extension manifests and `.env.example` templates.

use std::sync::LazyLock;

use regex::Regex;

use crate::ctx::File;
use crate::paths;

use crate::ctx::re;

pub struct Documented {
    pub name: String,
    pub file: String,
    pub line: u32,
    pub rule: &'static str,
    pub matched: String,
    /// The surrounding text, to tell "optional" from "required".
    pub context: String,
    /// The format itself flags it required (server.json isRequired,
    /// manifest "required": true).
    pub required: bool,
}

/// `"env": { ... }` blocks in JSON snippets.
static ENV_BLOCK: LazyLock<Regex> = LazyLock::new(|| re(r#""env"\s*:\s*\{([^{}]*)\}"#));
static JSON_KEY: LazyLock<Regex> = LazyLock::new(|| re(r#""([A-Z][A-Z0-9_]{2,})"\s*:"#));
/// `-e NAME=` docker flags, `export NAME=` and `NAME=` lines.
static SHELL_VAR: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?m)(?:-e\s+|--env\s+|export\s+|^\s*)([A-Z][A-Z0-9_]{2,})=(\S*)"#));
static TABLE_ROW: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?m)^\|\s*`?([A-Z][A-Z0-9_]{2,})`?\s*\|(.*)$"#));
/// A README list item defining a variable: "- `API_KEY`: (Optional) ...",
/// "* **API_KEY** - required ...".
static LIST_ITEM: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?m)^\s*[-*+]\s+(?:\*\*)?`?([A-Z][A-Z0-9]*_[A-Z0-9_]+)`?(?:\*\*)?\s*(?:[:\u{2013}\u{2014}-]|\()(.*)$"#,
    )
});
static SERVER_JSON_VAR: LazyLock<Regex> =
    LazyLock::new(|| re(r#""name"\s*:\s*"([A-Z][A-Z0-9_]{2,})""#));
static YAML_KEY: LazyLock<Regex> = LazyLock::new(|| re(r#"(?m)^\s*([A-Z][A-Z0-9_]{2,})\s*:"#));

pub fn collect(docs: &[&File]) -> Vec<Documented> {
    let mut out = Vec::new();
    for f in docs {
        let name = f.name_lower();
        if name.starts_with(".env") || name.ends_with(".env.example") || name.starts_with("env.") {
            for c in SHELL_VAR.captures_iter(f.text) {
                let Some(m) = c.get(1) else { continue };
                let line = f.line_text(m.start());
                if line.trim_start().starts_with('#') {
                    continue;
                }
                if c.get(2).is_some_and(|v| is_switch_value(v.as_str())) {
                    continue;
                }
                let ctx = f.window(m.start(), 2, 0).to_string();
                push(
                    &mut out,
                    f,
                    m,
                    "documented in .env template",
                    line,
                    ctx,
                    false,
                );
            }
        } else if name == "server.json" {
            for c in SERVER_JSON_VAR.captures_iter(f.text) {
                let Some(m) = c.get(1) else { continue };
                let ctx = f.window(m.start(), 3, 6).to_string();
                let required =
                    ctx.contains("\"isRequired\": true") || ctx.contains("\"isRequired\":true");
                push(
                    &mut out,
                    f,
                    m,
                    "server.json environmentVariables",
                    f.line_text(m.start()),
                    ctx,
                    required,
                );
            }
        } else if name.starts_with("smithery") {
            for c in YAML_KEY.captures_iter(f.text) {
                let Some(m) = c.get(1) else { continue };
                let required = f.text.contains("required:");
                push(
                    &mut out,
                    f,
                    m,
                    "smithery.yaml env mapping",
                    f.line_text(m.start()),
                    f.line_text(m.start()).to_string(),
                    required,
                );
            }
        } else if name == "manifest.json"
            || paths::is_readme(f.path)
            || name.ends_with(".md")
            || name.ends_with(".json")
        {
            for block in ENV_BLOCK.captures_iter(f.text) {
                let Some(body) = block.get(1) else { continue };
                for c in JSON_KEY.captures_iter(body.as_str()) {
                    let Some(k) = c.get(1) else { continue };
                    let off = body.start() + k.start();
                    let ctx = f.window(off, 0, 0).to_string();
                    out.push(Documented {
                        name: k.as_str().to_string(),
                        file: f.path.to_string(),
                        line: f.line_of(off),
                        rule: "mcpServers env block",
                        matched: crate::ctx::short(f.line_text(off)),
                        context: ctx,
                        required: false,
                    });
                }
            }
            if name.ends_with(".md") {
                // A table row or list item names the variable first and
                // describes it in the rest of the line.
                for (pattern, rule) in [
                    (&TABLE_ROW, "README configuration table"),
                    (&LIST_ITEM, "README list of variables"),
                ] {
                    for c in pattern.captures_iter(f.text) {
                        let Some(m) = c.get(1) else { continue };
                        let ctx = c.get(2).map(|r| r.as_str().to_string()).unwrap_or_default();
                        push(&mut out, f, m, rule, f.line_text(m.start()), ctx, false);
                    }
                }
                for c in SHELL_VAR.captures_iter(f.text) {
                    let Some(m) = c.get(1) else { continue };
                    if c.get(2).is_some_and(|v| is_switch_value(v.as_str())) {
                        continue;
                    }
                    let ctx = f.window(m.start(), 1, 0).to_string();
                    push(
                        &mut out,
                        f,
                        m,
                        "README shell example",
                        f.line_text(m.start()),
                        ctx,
                        false,
                    );
                }
            }
        }
    }
    out
}

/// A documented value that turns something on or off (`REQUIRE_AUTH=true`):
/// the variable is a switch, whatever its name says.
fn is_switch_value(value: &str) -> bool {
    let v = value.trim_matches(['"', '\'']).to_ascii_lowercase();
    matches!(v.as_str(), "true" | "false" | "yes" | "no" | "on" | "off")
}

fn push(
    out: &mut Vec<Documented>,
    f: &File,
    m: regex::Match,
    rule: &'static str,
    line: &str,
    context: String,
    required: bool,
) {
    out.push(Documented {
        name: m.as_str().to_string(),
        file: f.path.to_string(),
        line: f.line_of(m.start()),
        rule,
        matched: crate::ctx::short(line),
        context,
        required,
    });
}
