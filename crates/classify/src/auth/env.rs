//! Secrets read from environment variables: reads in code in every language
//! the survey meets, `${VAR}` placeholders in configuration the framework
//! resolves, and names the docs give where the code computes its names.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use mcp_survey_model::CredentialSource;
use regex::Regex;

use super::findings::Findings;
use super::read_checks::{
    assigned_name, checked_later, fails_without_any_of, inside_conditional_block,
    passes_through_when_missing, tested_for_presence_next,
};
use super::{
    camel_to_snake, env_wrappers, first_group, is_comment, is_config_text, settings_objects,
};
use crate::ctx::{in_docstring, re, triple_quote_ends, Ev, File};
use crate::names::{secret_method, NamedSecret};
use crate::snippets::{self, Documented};

/// Environment reads in every language the survey meets; each alternative
/// captures the variable name.
static ENV_READ: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"process\.env\.([A-Za-z_][A-Za-z0-9_]*)"#,
        r#"|process\.env\[\s*['"`]([A-Za-z_][A-Za-z0-9_]*)['"`]\s*\]"#,
        r#"|(?:Deno|Bun)\.env\.get\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"#,
        r#"|import\.meta\.env\.([A-Z_][A-Z0-9_]*)"#,
        r#"|environ\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]"#,
        r#"|environ\.get\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"#,
        r#"|getenv\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"#,
        r#"|os\.(?:Getenv|LookupEnv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#,
        r#"|env::var(?:_os)?\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#,
        r#"|(?:dotenvy?|dotenv)::var\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#,
        r#"|System\.getenv\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#,
        r#"|GetEnvironmentVariable\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#,
        r#"|ENV\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]"#,
        r#"|ENV\.fetch\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"#,
        r#"|\$_(?:ENV|SERVER)\[\s*['"]([A-Z_][A-Z0-9_]*)['"]\s*\]"#,
        r#"|\benv\(\s*['"]([A-Z][A-Z0-9_]+)['"]"#,
        r#"|environment\[\s*['"]([A-Z][A-Z0-9_]+)['"]\s*\]"#,
        r#"|\benv\s*=\s*"([A-Z][A-Z0-9_]+)""#,
        r#"|envvar\s*=\s*['"]([A-Z][A-Z0-9_]+)['"]"#,
        r#"|\benv:\\?"([A-Z][A-Z0-9_]+)"#,
        r#"|\benv\.([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b"#,
        r#"|\benv\[\s*['"]([A-Z][A-Z0-9_]+)['"]\s*\]"#,
        // The npm `env-var` library: `env.get("API_KEY").required().asString()`.
        r#"|\benv(?:Var)?\.get\(\s*['"]([A-Z][A-Z0-9_]+)['"]"#,
        r#"|(?i:get_?env\w*|require_?env\w*|read_?env\w*|must_?env\w*|env_?var\w*|from_?env)\(\s*['"]([A-Z][A-Z0-9_]+)['"]"#,
        r#"|BindEnv\([^)\n]*"([A-Z][A-Z0-9_]+)""#,
        r#"|validation_alias\s*=\s*(?:AliasChoices\()?\s*['"]([A-Z][A-Z0-9_]+)['"]"#,
        r#"|\balias\s*=\s*['"]([A-Z][A-Z0-9_]+)['"]"#,
    ))
});

static DYNAMIC_ENV: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"process\.env\[\s*[A-Za-z_`]|BaseSettings|AutomaticEnv|envconfig|SetEnvPrefix|os\.getenv\(\s*f["']|os\.environ\.get\(\s*f["']|getenv\(\s*[a-z_]+\s*\+|env_prefix|envPrefix|EnvironmentVariablesConfigurationSource|AddEnvironmentVariables\(|env::var\(\s*&?format!|os\.(?:Getenv|LookupEnv)\(\s*(?:fmt\.Sprintf|\w+\s*\+)|(?:getenv|environ\.get)\(\s*\w+\s*\+|environ\[\s*f["']|os\.environ\.items\(\)|env::vars\(\)|os\.Environ\(\)"#,
    )
});

/// `const { A, B } = process.env`
static ENV_DESTRUCTURE: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"\{([^{}]+)\}\s*=\s*(?:process\.env|Deno\.env\.toObject\(\)|([A-Za-z_$][\w$]*))\s*[;\n)]"#)
});

/// `const vars = clean(process.env)`: an object derived from the environment.
static ENV_DERIVED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*[\w<>\[\], ]+)?=\s*[^;\n]*\b(?:process\.env|Deno\.env\.toObject\(\))"#,
    )
});

/// `${NAME}` / `${NAME:default}` placeholders in Spring, compose and YAML configs.
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| re(r#"\$\{([A-Z][A-Z0-9_]+)(:-?[^}]*)?\}"#));

/// A module constant holding a name: `MCP_API_KEY_ENV = "MCP_API_KEY"`,
/// `const TOKEN_HEADER = "x-api-token"`, a comment after it or not (Go's
/// `keyEnvVar = "X_API_KEY" // Deprecated: ...` in a `const (...)` block).
static NAME_CONST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?m)^\s*(?:export\s+)?(?:const\s+|let\s+|var\s+|static\s+final\s+String\s+|private\s+static\s+final\s+String\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[\w&']+\s*)?=\s*["']([A-Za-z][A-Za-z0-9_-]{2,60})["']\s*;?\s*(?://[^\n]*|#[^\n]*)?$"#,
    )
});

/// An environment read whose argument is an identifier.
static ENV_READ_IDENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:os\.getenv|os\.environ\.get|os\.environ\[|process\.env\[|os\.Getenv|os\.LookupEnv|env::var|System\.getenv|Environment\.GetEnvironmentVariable)\(?\s*(?:[A-Za-z_][A-Za-z0-9_]*\.)*([A-Za-z_][A-Za-z0-9_]*)\s*[,)\]]"#,
    )
});

static WHOLE_ENV: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:parse|safeParse|cleanEnv|validate|createEnv|load)\w*\(\s*process\.env\s*[,)]|runtimeEnv:\s*process\.env"#,
    )
});

static OBJECT_KEY: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?m)^\s*([A-Z][A-Z0-9]*_[A-Z0-9_]+)\s*:\s*(?:z\.|str\(|num\(|bool\(|Joi\.|url\(|port\()"#)
});

/// The value is tested and used only when present.
static OPTIONAL_USE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"^\s*(?:if|elif|else if|unless)\b|\bif\s*\(?\s*(?:\w+\s*:?=\s*)?(?:os\.|process\.env|ENV)|:=\s*os\.Getenv\([^)]*\);\s*\w+\s*!=\s*""|\?\s*\{|&&\s*\{|getenv\([^)]*,\s*None\)"#,
    )
});

/// A fallback to a freshly generated random value, in the languages'
/// standard spellings (Node's `crypto`, Python's `secrets`/`uuid`, Rust's
/// `rand`/`uuid`, .NET's `Guid`, Java's `UUID`/`SecureRandom`). Matched
/// from the variable's name on: the fallback must follow the read itself
/// (`X || ..`, `X") or ..`, the getter's default `X", ..`), not another
/// argument of the call the value is passed to.
static RANDOM_FALLBACK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"^\w+(?:["']\s*,|["']?\s*[)\]]?\s*(?:\|\||\?\?|\bor\b|\.unwrap_or_else\b|\.unwrap_or\b|\.orElseGet\b))\s*[^\n]{0,40}?\b(?:randomBytes|randomUUID|token_hex|token_urlsafe|token_bytes|urandom|uuid4|uuidv4|nanoid|new_v4|NewGuid|SecureRandom|thread_rng|gen_random)\b"#,
    )
});

/// The value read is compared with a boolean word at once: the variable
/// is an on/off setting. Matched from the variable's name on, like
/// `RANDOM_FALLBACK`.
static BOOLEAN_SWITCH: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)^\w+["']?\s*(?:,\s*["'][^"'\n]*["']\s*)?[)\]]?\s*(?:\.(?:lower|strip|toLowerCase|trim|casefold)\(\)\s*)*(?:===?|!==?|\bin\s*[(\[{])\s*["'](?:true|false|yes|no|on|off|1|0)["']"#,
    )
});

/// The read itself fails when the variable is missing.
static STRICT_READ: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"os\.environ\[\s*['"][A-Z]|env::var\([^)]*\)\s*(?:\?|\.expect|\.context|\.map_err|\.with_context)|ENV\.fetch\(\s*['"][A-Z_]+['"]\s*\)|process\.env\.[A-Z_0-9]+!|\.get\(\s*['"][A-Z][A-Z0-9_]+['"]\s*\)\s*\.required\(\s*(?:true)?\s*\)"#,
    )
});

/// Every place a code file reads a variable: its name and offset.
fn reads(
    f: &File,
    helper_calls: Option<&Regex>,
    shared_names: &BTreeMap<&str, &str>,
) -> Vec<(String, usize)> {
    let mut hits: Vec<(String, usize)> = Vec::new();
    for c in ENV_READ.captures_iter(f.text) {
        if let Some(m) = first_group(&c) {
            hits.push((m.as_str().to_string(), m.start()));
        }
    }
    let derived: Vec<&str> = ENV_DERIVED
        .captures_iter(f.text)
        .filter_map(|c| c.get(1).map(|m| m.as_str()))
        .collect();
    for c in ENV_DESTRUCTURE.captures_iter(f.text) {
        let Some(body) = c.get(1) else { continue };
        if let Some(source) = c.get(2) {
            if !derived.contains(&source.as_str()) {
                continue;
            }
        }
        for part in body.as_str().split(',') {
            let name = part
                .split(':')
                .next()
                .unwrap_or("")
                .split('=')
                .next()
                .unwrap_or("")
                .trim();
            if !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                hits.push((name.to_string(), body.start()));
            }
        }
    }
    hits.extend(pydantic_fields(f));
    if let Some(calls) = helper_calls {
        hits.extend(env_wrappers::calls(f, calls));
    }
    hits.extend(through_constants(f, shared_names));
    // A schema parsed over the whole environment (zod, envalid, joi):
    // its upper-case keys are variable names.
    if WHOLE_ENV.is_match(f.text) {
        for c in OBJECT_KEY.captures_iter(f.text) {
            if let Some(m) = c.get(1) {
                hits.push((m.as_str().to_string(), m.start()));
            }
        }
    }
    hits
}

/// Secret variables read in code, and how strictly each read is checked.
pub fn reads_in_code(code: &[&File], found: &mut Findings, ev: &mut Ev) {
    let helper_calls = env_wrappers::calls_pattern(&env_wrappers::helpers(code));
    let shared_names = shared_name_maps(code);
    let settings = settings_objects::objects(code);
    for f in code {
        // Reads whose names the code computes or a library derives (a
        // settings class, viper's prefix, a computed key). Loading a .env
        // file is not one: the reads that follow are plain. Nor is copying
        // the environment for a child process (`os.environ.copy()`,
        // `{ ...process.env }`): it passes variables on and reads none.
        if DYNAMIC_ENV.is_match(f.text) {
            found.dynamic_env = true;
        }
        let mut hits = reads(f, helper_calls.as_ref(), &shared_names);
        hits.extend(settings_objects::reads(f, &settings));
        let quote_ends = if hits.is_empty() {
            Vec::new()
        } else {
            triple_quote_ends(f)
        };
        // Reads in a file's unit tests set up the tests, not the server.
        let tests_from = f.unit_tests_from();
        for (name, off) in hits {
            let line = f.line_text(off);
            if off >= tests_from || is_comment(line) || in_docstring(&quote_ends, off) {
                continue;
            }
            record_read(f, off, &name, found, ev);
        }
    }
}

/// One read of a secret-named variable at `off`.
fn record_read(f: &File, off: usize, name: &str, found: &mut Findings, ev: &mut Ev) {
    let line = f.line_text(off);
    let Some(mut method) = secret_method(name).map(NamedSecret::method) else {
        return;
    };
    // A value the server makes up when it is unset (`process.env.X ||
    // crypto.randomBytes(32)`, `os.getenv("X") or secrets.token_hex()`) is
    // its own key, and nothing the person who runs it must supply: no
    // service issues a credential that a random number can stand in for.
    let rest_of_line = f.text[off..].split('\n').next().unwrap_or("");
    if RANDOM_FALLBACK.is_match(rest_of_line) {
        found.made_up.insert(name.to_string());
        return;
    }
    // A value compared with a boolean word is a switch
    // (`os.getenv("REQUIRE_CREDENTIALS", "true").lower() == "true"`),
    // whatever its name says.
    if BOOLEAN_SWITCH.is_match(rest_of_line) {
        return;
    }
    // The code's own name for the value can say it is the server's
    // own key: `c.CredentialEncryptionKey = os.Getenv("APP_CRED_KEY")`.
    let target = assigned_name(f, off);
    // Or that the variable holds where a credentials file lies
    // (`const credentialsPath = process.env.GOOGLE_OAUTH_CREDENTIALS`):
    // the file is the source, and a path is no secret.
    if target.is_some_and(names_a_path) {
        return;
    }
    if target.is_some_and(|target| {
        secret_method(&camel_to_snake(target)) == Some(NamedSecret::ServerOwn)
    }) {
        method = None;
    }
    let window = f.window(off, 1, 5);
    if OPTIONAL_USE.is_match(line) {
        found.any_optional_use = true;
    }
    // `const t = env.X; if (t) { ...exit on a malformed t... }`: the
    // checks inside run only when the value is there.
    let used_if_present = target.is_some_and(|t| {
        tested_for_presence_next(f, off, t) || passes_through_when_missing(f, off, t)
    });
    if used_if_present {
        found.any_optional_use = true;
    }
    let names: Vec<&str> = std::iter::once(name).chain(target).collect();
    let required = (STRICT_READ.is_match(line)
        || !used_if_present
            && (fails_without_any_of(window, &names)
                || target.is_some_and(|t| checked_later(f, off, t))))
        && !inside_conditional_block(f, off);
    // Only a credential makes the server need one; its own signing
    // key is configuration, however strictly it is checked.
    if required && method.is_some() {
        found.stopped_by.insert(name.to_string());
    }
    let entry = found.secret(name, method, true);
    entry.required |= required;
    entry.optional &= OPTIONAL_USE.is_match(line) || used_if_present;
    if !found.sources.contains(&CredentialSource::Env) {
        ev.add(
            "credential_sources",
            "env",
            f.path,
            f.line_of(off),
            "secret read from the environment",
            line,
        );
    }
    if !ev
        .0
        .iter()
        .any(|e| e.field == "env_vars" && e.value == name)
    {
        ev.add(
            "env_vars",
            name,
            f.path,
            f.line_of(off),
            if required {
                "secret env var read; errors without it"
            } else {
                "secret env var read in server code"
            },
            line,
        );
    }
    found.sources.insert(CredentialSource::Env);
}

/// An identifier for a file's location: `credentialsPath`, `key_file`,
/// `tokenFilename`, `CONFIG_DIR`.
fn names_a_path(identifier: &str) -> bool {
    let snake = camel_to_snake(identifier);
    let last = snake.rsplit('_').next().unwrap_or("");
    matches!(
        last.to_ascii_lowercase().as_str(),
        "path" | "file" | "filename" | "filepath" | "dir" | "directory"
    )
}

/// `${VAR}` placeholders in configuration files.
///
/// Spring and MicroProfile resolve `${VAR}` in every properties or YAML
/// file they load, and compose files pass `${VAR}` into the container;
/// only the framework's own configuration refuses to start without one.
pub fn config_placeholders(scope: &[&File], found: &mut Findings, ev: &mut Ev) {
    for f in scope
        .iter()
        .filter(|f| is_config_text(f) && !f.path.ends_with(".json") && !f.path.ends_with(".jsonc"))
    {
        let n = f.name_lower();
        let framework_config = n.starts_with("application")
            || n.starts_with("bootstrap")
            || n.ends_with(".properties");
        for c in PLACEHOLDER.captures_iter(f.text) {
            let Some(m) = c.get(1) else { continue };
            let name = m.as_str();
            if is_comment(f.line_text(m.start())) {
                continue;
            }
            let Some(method) = secret_method(name).map(NamedSecret::method) else {
                continue;
            };
            // Compose and the shell refuse to start on `${VAR:?message}`.
            let required = (framework_config && c.get(2).is_none())
                || c.get(2).is_some_and(|d| d.as_str().starts_with(":?"));
            found.secret(name, method, true).required |= required;
            // As for reads: only a credential makes the server need one.
            if required && method.is_some() {
                found.stopped_by.insert(name.to_string());
            }
            ev.at(
                "env_vars",
                name,
                f,
                m.start(),
                "secret placeholder in application config",
            );
            found.sources.insert(CredentialSource::Env);
            found.bound_to_env = true;
        }
    }
}

/// Documented configuration: README `mcpServers` env blocks, smithery,
/// server.json, `.env.example`. A name counts when the code also reads it,
/// or reads names it computes.
pub fn documented(docs: &[&File], found: &mut Findings, ev: &mut Ev) -> Vec<Documented> {
    let documented = snippets::collect(docs);
    for d in &documented {
        let Some(method) = secret_method(&d.name).map(NamedSecret::method) else {
            continue;
        };
        if found.secrets.contains_key(&d.name)
            || !found.dynamic_env
            || found.made_up.contains(&d.name)
        {
            continue;
        }
        found.secret(&d.name, method, true);
        ev.add(
            "env_vars",
            &d.name,
            &d.file,
            d.line,
            &format!("{} (read through dynamic env loading)", d.rule),
            &d.matched,
        );
        found.sources.insert(CredentialSource::Env);
    }
    documented
}

/// Module constants that hold a name: `MCP_API_KEY_ENV = "MCP_API_KEY"`.
pub(super) fn name_constants<'t>(f: &File<'t>) -> BTreeMap<&'t str, &'t str> {
    NAME_CONST
        .captures_iter(f.text)
        .filter_map(|c| Some((c.get(1)?.as_str(), c.get(2)?.as_str())))
        .collect()
}

/// Maps of variable names kept in a module of their own and imported where
/// the environment is read (`export const ENV_VAR_NAMES = { GITLAB_TOKEN:
/// 'GITLAB_TOKEN' }`, `class EnvKeys: API_KEY = "SERVICE_API_KEY"`): each
/// upper-case member that holds an upper-case name, from every code file.
fn shared_name_maps<'t>(code: &[&File<'t>]) -> BTreeMap<&'t str, &'t str> {
    static MEMBER: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r#"(?m)^\s*([A-Z][A-Z0-9_]{2,})\s*[:=]\s*['"]([A-Z][A-Z0-9_]{2,})['"]\s*(?:as\s+const\s*)?[,;]?\s*$"#,
        )
    });
    let mut out = BTreeMap::new();
    for f in code {
        for c in MEMBER.captures_iter(f.text) {
            if let (Some(k), Some(v)) = (c.get(1), c.get(2)) {
                out.entry(k.as_str()).or_insert(v.as_str());
            }
        }
    }
    out
}

/// Env reads through name constants: `os.getenv(API_KEY_ENV)`, defined in
/// the same file or in a shared map of names
/// (`process.env[ENV_VAR_NAMES.GITLAB_TOKEN]`).
fn through_constants(f: &File, shared: &BTreeMap<&str, &str>) -> Vec<(String, usize)> {
    if !ENV_READ_IDENT.is_match(f.text) {
        return Vec::new();
    }
    let defs = name_constants(f);
    if defs.is_empty() && shared.is_empty() {
        return Vec::new();
    }
    ENV_READ_IDENT
        .captures_iter(f.text)
        .filter_map(|c| {
            let id = c.get(1)?;
            let v = defs.get(id.as_str()).or_else(|| shared.get(id.as_str()))?;
            v.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                .then(|| (v.to_string(), id.start()))
        })
        .collect()
}

/// Settings classes (pydantic-settings) turn fields into env vars.
fn pydantic_fields(f: &File) -> Vec<(String, usize)> {
    static CLASS: LazyLock<Regex> =
        LazyLock::new(|| re(r#"(?m)^class\s+\w+\s*\(\s*(?:\w+\.)?BaseSettings\s*\)\s*:"#));
    static PREFIX: LazyLock<Regex> =
        // `env_prefix="LM_"` in `SettingsConfigDict(...)` or a v1 `Config`
        // class, `"env_prefix": "LM_"` in a plain `model_config` dict.
        LazyLock::new(|| re(r#"['"]?env_prefix['"]?\s*[=:]\s*['"]([A-Za-z0-9_]*)['"]"#));
    static FIELD: LazyLock<Regex> =
        LazyLock::new(|| re(r#"^    ([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^=\n]+)"#));
    static FIELD_ALIAS: LazyLock<Regex> = LazyLock::new(|| {
        re(r#"\b(?:validation_)?alias\s*=\s*(?:AliasChoices\(\s*)?['"]([A-Za-z][A-Za-z0-9_]*)['"]"#)
    });
    let mut out = Vec::new();
    for m in CLASS.find_iter(f.text) {
        let body_start = m.end();
        let rest = &f.text[body_start..];
        // The body runs to the next line that is not indented.
        let mut end = rest.len();
        let mut pos = 0;
        for line in rest.split_inclusive('\n') {
            if pos > 0
                && !line.trim().is_empty()
                && !line.starts_with(' ')
                && !line.starts_with('\t')
            {
                end = pos;
                break;
            }
            pos += line.len();
        }
        let body = &rest[..end];
        let prefix = PREFIX
            .captures(body)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_ascii_uppercase())
            .unwrap_or_default();
        let fields: Vec<(usize, regex::Match)> = {
            let mut off = 0;
            let mut found = Vec::new();
            for line in body.split_inclusive('\n') {
                if let Some(name) = FIELD.captures(line).and_then(|c| c.get(1)) {
                    found.push((off, name));
                }
                off += line.len();
            }
            found
        };
        for (i, (line_at, name)) in fields.iter().enumerate() {
            if name.as_str() == "model_config" {
                continue;
            }
            // An alias replaces the field's name and the prefix as the
            // variable pydantic-settings reads (matched without regard to
            // case); it may sit on a continuation line of `Field(...)`.
            let decl_end = fields.get(i + 1).map_or(body.len(), |(at, _)| *at);
            let decl = &body[*line_at..decl_end];
            let at = body_start + line_at + name.start();
            match FIELD_ALIAS.captures(decl).and_then(|c| c.get(1)) {
                Some(alias) => out.push((alias.as_str().to_ascii_uppercase(), at)),
                None => out.push((
                    format!("{prefix}{}", name.as_str().to_ascii_uppercase()),
                    at,
                )),
            }
        }
    }
    out
}
