//! Secrets the MCP client passes as tool arguments: a tool whose input
//! schema asks for a token, key or password gets it with each call, so the
//! credential's source is `request`. The SDKs declare a tool's inputs in
//! one place: a zod shape handed to `server.tool(...)` / `registerTool(...)`
//! (TypeScript SDK) or `addTool({ parameters })` (npm `fastmcp`), and the
//! parameters of a function decorated with `@mcp.tool` (Python SDK and
//! `fastmcp`), which become the tool's JSON schema. Smithery's TypeScript
//! runtime does the same for a whole session: the `configSchema` a server
//! module exports is filled in by each connecting client.

use std::sync::LazyLock;

use mcp_survey_model::AuthMethod;
use regex::Regex;

use super::findings::Findings;
use super::{camel_to_snake, is_comment};
use crate::ctx::{in_docstring, re, triple_quote_ends, Ev, File};
use crate::names::{flag_is_secret, secret_method, NamedSecret};

/// A string field of a zod shape.
static ZOD_STRING: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\b([A-Za-z_][A-Za-z0-9_]*)\s*:\s*z\s*\.\s*string\s*\("#));

/// Where a tool's inputs (or a Smithery session's configuration) are
/// declared, a few lines above the field.
static TOOL_INPUTS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"\.tool\(\s*['"`]|\bregisterTool\(|\binputSchema\s*:|\baddTool\(\s*\{|\bparameters\s*:\s*z\s*\.\s*object|\bexport\s+const\s+configSchema\s*=\s*z\s*\.\s*object"#,
    )
});

/// A function registered as a tool, and its parameter list.
static PY_TOOL_DEF: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?m)^[ \t]*@\w+\.tool\b[^\n]*\n(?:[ \t]*@[^\n]*\n)*[ \t]*(?:async[ \t]+)?def[ \t]+\w+\s*\(([^)]*)\)"#,
    )
});

/// Argument names that carry a credential: tool inputs are named for what
/// they mean, so only the unmistakable names count (`api_key`, `token`,
/// `access_token`, `password`, `client_secret`), never a lookup key
/// (`expr_key`) or a pagination token (`next_token`).
static SECRET_ARGUMENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"^(?:(?:\w+_)?API_?KEY|(?:\w+_)?(?:ACCESS|AUTH|API|BEARER|BOT|USER)_TOKEN|TOKEN|JWT|PAT|(?:\w+_)?PASSWORD|PASSWD|(?:\w+_)?CLIENT_SECRET|SECRET_KEY|(?:\w+_)?ACCESS_KEY|SECRET_ACCESS_KEY|CREDENTIALS?)$"#,
    )
});

/// The secret a tool argument carries, by its name.
fn secret_argument(name: &str) -> Option<AuthMethod> {
    let snake = camel_to_snake(name);
    if !SECRET_ARGUMENT.is_match(&snake) || !flag_is_secret(&snake) {
        return None;
    }
    match secret_method(&snake) {
        Some(NamedSecret::Credential(m)) => Some(m),
        Some(NamedSecret::ServerOwn) => None,
        None => Some(AuthMethod::ApiKey),
    }
}

pub fn scan(code: &[&File], found: &mut Findings, ev: &mut Ev) {
    for f in code {
        let Some((off, method)) = first_secret_argument(f) else {
            continue;
        };
        found.methods.insert(method);
        if !found.request {
            ev.at(
                "credential_sources",
                "request",
                f,
                off,
                "a tool takes a secret as an argument",
            );
        }
        found.request = true;
    }
}

fn first_secret_argument(f: &File) -> Option<(usize, AuthMethod)> {
    match f.lang {
        Some("TypeScript" | "JavaScript") => ZOD_STRING.captures_iter(f.text).find_map(|c| {
            let name = c.get(1)?;
            let method = secret_argument(name.as_str())?;
            let line = f.line_text(name.start());
            (!is_comment(line) && TOOL_INPUTS.is_match(f.window(name.start(), 12, 0)))
                .then_some((name.start(), method))
        }),
        Some("Python") => {
            let quotes = triple_quote_ends(f);
            PY_TOOL_DEF.captures_iter(f.text).find_map(|c| {
                let params = c.get(1)?;
                if in_docstring(&quotes, params.start()) {
                    return None;
                }
                params.as_str().split(',').find_map(|p| {
                    let name = p.split([':', '=']).next()?.trim();
                    let method = secret_argument(name)?;
                    Some((params.start(), method))
                })
            })
        }
        _ => None,
    }
}
