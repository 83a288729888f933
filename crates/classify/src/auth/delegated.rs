//! Credentials held by another program: the server runs a CLI (`gh`,
//! `glab`, `kubectl`, `gcloud`, `az`, `aws`) that authenticates with the
//! login or configuration the user saved for it. The server itself reads no
//! secret, yet cannot reach its service without that saved login.

use std::sync::LazyLock;

use mcp_survey_model::AuthMethod;
use regex::Regex;

use crate::ctx::{re, File};

/// A process started with one of those programs as the executable.
static CLI_CALL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:exec\.Command(?:Context)?\(\s*(?:ctx\s*,\s*)?|Command::new\(\s*|\bspawn(?:Sync)?\(\s*|\bexec(?:File)?(?:Sync|Async|a)?\(\s*|\$\(\s*|subprocess\.(?:run|call|check_output|check_call|Popen)\(\s*\[?\s*|create_subprocess_exec\(\s*|fileURLWithPath:\s*|arguments\s*=\s*\[\s*|(=)\s*\[\s*)["'`](?:/usr/(?:local/)?bin/)?(gh|glab|kubectl|gcloud|az|aws)["'`\s]"#,
    )
});

pub struct Delegated {
    pub program: String,
    pub method: AuthMethod,
    pub offset: usize,
}

/// What the saved login of each program holds.
fn method_of(program: &str) -> AuthMethod {
    match program {
        // A code host's CLI logs in with a personal token or a browser flow
        // and acts as the user.
        "gh" | "glab" => AuthMethod::Pat,
        // kubeconfig holds client certificates or tokens per cluster.
        "kubectl" => AuthMethod::KeyFile,
        _ => AuthMethod::CloudIam,
    }
}

/// The file starts processes: a bare array naming a program (`cmd =
/// ["glab"] + args`) is a command line only here, not a list of words.
static SPAWNS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"subprocess\.|child_process|\bspawn(?:Sync)?\(|\bexec(?:File)?(?:Sync)?\(|exec\.Command|Command::new|\bProcess\(\)|ProcessBuilder|Runtime\.getRuntime\(\)\.exec"#,
    )
});

/// The first CLI a source file runs whose saved login it relies on.
pub fn find(f: &File) -> Option<Delegated> {
    CLI_CALL.captures_iter(f.text).find_map(|c| {
        if c.get(1).is_some() && !SPAWNS.is_match(f.text) {
            return None;
        }
        let m = c.get(2)?;
        if super::is_comment(f.line_text(m.start())) {
            return None;
        }
        Some(Delegated {
            program: m.as_str().to_string(),
            method: method_of(m.as_str()),
            offset: m.start(),
        })
    })
}
