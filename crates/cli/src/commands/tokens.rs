//! Where the GitHub token comes from: the variables people already have
//! set for other tools, then the GitHub CLI's stored login.

use anyhow::{bail, Result};
use mcp_survey_github::Token;
use std::process::{Command, Stdio};

/// The tokens found and where they came from (for messages; never the
/// tokens themselves).
pub struct Tokens {
    pub tokens: Vec<Token>,
    pub source: &'static str,
}

/// GITHUB_TOKENS (a list), else GITHUB_TOKEN, else GH_TOKEN (the GitHub
/// CLI's variable), else what `gh auth token` prints when the GitHub CLI is
/// installed and logged in, else none.
pub fn resolve() -> Tokens {
    for var in ["GITHUB_TOKENS", "GITHUB_TOKEN", "GH_TOKEN"] {
        let tokens = Token::parse_list(&std::env::var(var).unwrap_or_default());
        if !tokens.is_empty() {
            return Tokens {
                tokens,
                source: var,
            };
        }
    }
    match gh_auth_token() {
        Some(token) => Tokens {
            tokens: vec![token],
            source: "`gh auth token`",
        },
        None => Tokens {
            tokens: Vec::new(),
            source: "none",
        },
    }
}

/// The GitHub CLI's token, when `gh` is on the PATH and logged in. Any
/// failure (not installed, not logged in) simply means no token.
fn gh_auth_token() -> Option<Token> {
    let out = Command::new("gh")
        .args(["auth", "token"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    let token = Token::new(text.lines().next().unwrap_or_default());
    (!token.is_empty()).then_some(token)
}

/// Refuses to start against api.github.com without a token: GitHub's code
/// search refuses anonymous requests, and anonymous core requests (60 an
/// hour) cannot fetch a survey. A simulator or another host is left alone.
pub fn require_for(github_url: &str, tokens: &Tokens) -> Result<()> {
    let host = url::Url::parse(github_url.trim())
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    if tokens.tokens.is_empty() && host.as_deref() == Some("api.github.com") {
        bail!(
            "no GitHub token: api.github.com's code search needs one (and anonymous requests are \
             limited to 60 an hour). Create a token without scopes at \
             https://github.com/settings/tokens and `export GITHUB_TOKEN=...` (GH_TOKEN, or \
             GITHUB_TOKENS=tok1,tok2 for several, work too), or log in with `gh auth login`; \
             `mcp-survey demo` needs none"
        );
    }
    tracing::debug!(source = tokens.source, "GitHub token");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Tokens {
        Tokens {
            tokens: Vec::new(),
            source: "none",
        }
    }

    #[test]
    fn github_itself_needs_a_token_a_simulator_does_not() {
        let e = require_for("https://api.github.com", &none()).expect_err("refused");
        assert!(e.to_string().contains("GITHUB_TOKEN"), "{e}");
        assert!(require_for("https://API.github.com/", &none()).is_err());
        assert!(require_for("http://127.0.0.1:8088", &none()).is_ok());
        let one = Tokens {
            tokens: vec![Token::new("ghp_x")],
            source: "GITHUB_TOKEN",
        };
        assert!(require_for("https://api.github.com", &one).is_ok());
    }
}
