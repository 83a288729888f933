//! Secrets passed on the command line: flags declared through argument
//! parsers in each language (argparse, click, commander, yargs, cobra, Go's
//! flag package, clap), hand-parsed `argv`, and help text naming a flag.

use std::sync::LazyLock;

use mcp_survey_model::{AuthMethod, CredentialSource};
use regex::Regex;

use super::findings::{Findings, FlagUse};
use super::{camel_to_snake, first_group, is_comment, PAT_DOC};
use crate::ctx::{re, Ev, File};
use crate::names::{flag_is_secret, secret_method, NamedSecret};

/// Command-line flags.
static FLAG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:add_argument|\.option|\.requiredOption|Option|option|Flags?\(\)\.\w+|flag\.\w+|\bArg::new|\.long|click\.option|typer\.Option|\bOption<|arg|opt)\s*\(\s*(?:&?[\w.]+\s*,\s*)?(?:['"]-\w['"]\s*,\s*)?['"](--?[a-zA-Z][a-zA-Z0-9_-]*)"#,
    )
});

/// Cobra/pflag flags (`Flags().String("api-key", ...)`) and positional
/// argparse arguments (`add_argument("database_url")`): named without dashes.
static BARE_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"Flags\(\)\.(?:String|StringP|StringVar|StringVarP)\(\s*(?:&[\w.]+\s*,\s*)?"([a-z][a-z0-9-]*)""#,
        r#"|add_argument\(\s*["']([a-z][a-z0-9_]*)["']"#,
        // Go's standard flag package: `flag.String("api-key", "", ...)`.
        r#"|\bflag\.(?:String|StringVar)\(\s*(?:&[\w.]+\s*,\s*)?"([a-zA-Z][a-zA-Z0-9_-]*)""#,
        // urfave/cli: `&cli.StringFlag{Name: "api-key"}`.
        r#"|StringFlag\{\s*Name:\s*"([a-z][a-z0-9_-]*)""#,
        // clap's builder: `Arg::new("token").long("token")`.
        r#"|\.long\(\s*"([a-z][a-z0-9_-]*)"\s*\)"#,
        // yargs: `.option('api-key', { type: 'string' })`.
        r#"|\.option\(\s*['"]([a-zA-Z][a-zA-Z0-9-]*)['"]\s*,\s*\{"#,
    ))
});

/// node:util `parseArgs` and yargs option tables: `token: { type: 'string' }`;
/// stricli's flag specifications (`buildCommand`'s `parameters.flags`):
/// `"api-key": { kind: "parsed", ... }`.
/// A tool's input schema has the same shape, so a table counts only in a
/// file that parses its own command line with one of those libraries, as
/// the camelCase names of the other option forms do.
static OPTION_TABLE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"['"]?([a-zA-Z][a-zA-Z0-9-]*)['"]?\s*:\s*\{\s*(?:type:\s*['"]string['"]|kind:\s*['"]parsed['"])"#,
    )
});

fn parses_own_command_line(f: &File) -> bool {
    ["parseArgs", "yargs", "meow(", "@stricli/core"]
        .iter()
        .any(|lib| f.text.contains(lib))
}

/// Messages telling the user to pass a secret flag
/// ("provide a token with the --access-token flag").
static FLAG_HINT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b(?:provide|pass|use|set|with|via|specify)\b[^\n]{0,30}?[`'" ](--[a-z][a-z0-9-]{2,40})\b"#,
    )
});

/// Go struct tags of flag libraries (kong, go-flags, obot's cmd):
/// `name:"api-key" env:"X" usage:"..."`.
static GO_TAG_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"`[^`\n]*\b(?:name|long):"([a-z][a-z0-9-]+)(?:,[a-z])?"[^`\n]*\b(?:usage|help|description|env):""#,
    )
});

static CLAP_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"#\[(?:arg|clap|structopt)\(([^\]]*)\)\]\s*(?:///[^\n]*\n\s*)*(?:pub\s+)?([a-z_][a-z0-9_]*)\s*:"#,
    )
});

/// The program reads its own command line.
static ARGV: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"args:\s*Array<String>|fromArgs\(|\bsys\.argv\b|\bos\.Args\b|process\.argv|string\[\]\s*args|GetCommandLineArgs|CommandLine\.arguments|ARGV\b|\bargs\[\w+\s*\+\s*1\]"#,
    )
});

/// A quoted option name (`"--api-key"`, `"apiKey"`).
static ARG_LITERAL: LazyLock<Regex> =
    LazyLock::new(|| re(r#"["'](--[a-z][a-z0-9-]{2,40}|[a-z]+(?:[A-Z][a-z]+)+)["']"#));

static CAMEL_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)api_?key|token|passw|secret|credential|private_?key|access_?key|auth_?key"#)
});

/// A default that is a plain lower-case word (`default="kind"`).
static WORD_DEFAULT: LazyLock<Regex> =
    LazyLock::new(|| re(r#"\bdefault\s*[=:]\s*["'][a-z][a-z_]{0,23}["']"#));

/// "Key" names a lookup key as often as a secret: a `--split-key` or
/// `--sort-key` whose default is a plain word (`default="kind"`) names a
/// column or field, where a secret's default is empty or absent.
fn names_a_field(name: &str, line: &str) -> bool {
    let last_word = name.rsplit(['-', '_']).next().unwrap_or(name);
    last_word.eq_ignore_ascii_case("key") && WORD_DEFAULT.is_match(line)
}

/// Calls of the server's own (flag, variable) helpers:
/// `getConfig("job-token", "GITLAB_JOB_TOKEN")`, the flag in the first group.
fn flag_helper_calls(code: &[&File]) -> Option<Regex> {
    let helpers = super::env_wrappers::flag_helpers(code);
    if helpers.is_empty() {
        return None;
    }
    let names: Vec<String> = helpers.iter().map(|h| regex::escape(h)).collect();
    Regex::new(&format!(
        r#"(?-u:\b)(?:{})\(\s*['"]([a-z][a-z0-9_-]*)['"]\s*,\s*['"][A-Z][A-Z0-9_]*['"]"#,
        names.join("|")
    ))
    .ok()
}

/// Every secret flag a code file declares or parses; `helper_calls`
/// matches calls of the server's own (flag, variable) helpers.
fn declared<'a>(f: &File<'a>, helper_calls: Option<&Regex>, out: &mut Vec<FlagUse<'a>>) {
    let mut add = |name: &str, off: usize| {
        let line = f.line_text(off);
        if !names_a_field(name, line) {
            out.push((name.to_string(), f.path, f.line_of(off), line));
        }
    };
    // Hand-parsed command lines: the program's own arguments compared
    // with a secret flag or option name.
    if ARGV.is_match(f.text) {
        for c in ARG_LITERAL.captures_iter(f.text) {
            let Some(m) = c.get(1) else { continue };
            let name = m.as_str();
            let up = camel_to_snake(name.trim_start_matches('-'));
            if (name.starts_with("--") || name.chars().any(|ch| ch.is_ascii_uppercase()))
                && flag_is_secret(&up)
                // `typeKey`, `sortKey`: a bare `Key` in a camelCase
                // option is a lookup key, not a secret.
                && (name.starts_with("--") || CAMEL_SECRET.is_match(name))
                && !is_comment(f.line_text(m.start()))
            {
                add(name.trim_start_matches('-'), m.start());
            }
        }
    }
    for c in FLAG.captures_iter(f.text) {
        let Some(m) = c.get(1) else { continue };
        if flag_is_secret(m.as_str()) && !is_comment(f.line_text(m.start())) {
            add(m.as_str(), m.start());
        }
    }
    let parses_cli = parses_own_command_line(f);
    let tables = parses_cli
        .then(|| OPTION_TABLE.captures_iter(f.text))
        .into_iter()
        .flatten();
    for c in BARE_FLAG.captures_iter(f.text).chain(tables) {
        let Some(m) = first_group(&c) else { continue };
        // camelCase names are as often a tool's inputs: only where the
        // program parses its own command line.
        if m.as_str().contains(|c: char| c.is_ascii_uppercase()) && !parses_cli {
            continue;
        }
        if flag_is_secret(&camel_to_snake(m.as_str())) && !is_comment(f.line_text(m.start())) {
            add(m.as_str(), m.start());
        }
    }
    let helper_calls = helper_calls
        .into_iter()
        .flat_map(|calls| calls.captures_iter(f.text));
    for c in FLAG_HINT.captures_iter(f.text).chain(helper_calls) {
        let Some(m) = c.get(1) else { continue };
        if flag_is_secret(m.as_str()) && !is_comment(f.line_text(m.start())) {
            add(m.as_str(), m.start());
        }
    }
    if f.lang == Some("Go") {
        for c in GO_TAG_FLAG.captures_iter(f.text) {
            let Some(m) = c.get(1) else { continue };
            if flag_is_secret(m.as_str()) && !is_comment(f.line_text(m.start())) {
                add(m.as_str(), m.start());
            }
        }
    }
    for c in CLAP_FIELD.captures_iter(f.text) {
        let (Some(attr), Some(field)) = (c.get(1), c.get(2)) else {
            continue;
        };
        if attr.as_str().contains("long") && flag_is_secret(field.as_str()) {
            add(field.as_str(), field.start());
        }
    }
}

/// Secret command-line flags, and the kind of secret each names.
pub fn scan<'a>(code: &[&File<'a>], docs: &[&File], found: &mut Findings<'a>, ev: &mut Ev) {
    let mut flags = Vec::new();
    let helper_calls = flag_helper_calls(code);
    for f in code {
        declared(f, helper_calls.as_ref(), &mut flags);
    }
    found.cli_flags.extend(flags);
    let Some((flag, path, line, text)) = found.cli_flags.iter().next() else {
        return;
    };
    found.sources.insert(CredentialSource::CliArg);
    ev.add(
        "credential_sources",
        "cli_arg",
        path,
        *line,
        &format!("secret command-line flag {flag}"),
        text,
    );
    for (flag, _, _, line_text) in &found.cli_flags {
        if let Some(NamedSecret::Credential(m)) =
            secret_method(&camel_to_snake(flag.trim_start_matches('-')))
        {
            // A flag the docs, or the line that names it, describe as a
            // personal token is a PAT.
            let personal = m == AuthMethod::ApiKey
                && (PAT_DOC.is_match(line_text)
                    || docs.iter().any(|d| {
                        d.text
                            .find(flag.trim_start_matches('-'))
                            .is_some_and(|off| PAT_DOC.is_match(d.window(off, 1, 2)))
                    }));
            found
                .methods
                .insert(if personal { AuthMethod::Pat } else { m });
        }
    }
}
