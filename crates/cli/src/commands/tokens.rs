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

/// The tokens for `github_url`: those [`resolve`] finds; with none,
/// api.github.com is refused before any request (its code search refuses
/// anonymous requests, and 60 anonymous core requests an hour cannot fetch
/// a survey), while a simulator on loopback gets a stand-in token, since it
/// refuses anonymous code search as GitHub does but accepts any token
/// unless started with `--tokens`. Other hosts (GitHub Enterprise) are
/// asked anonymously, as configured.
pub fn for_url(github_url: &str, found: Tokens) -> Result<Tokens> {
    if !found.tokens.is_empty() {
        tracing::debug!(source = found.source, "GitHub token");
        return Ok(found);
    }
    let url = url::Url::parse(github_url.trim()).ok();
    let host = url.as_ref().and_then(|u| u.host());
    let loopback = match host {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if loopback {
        return Ok(Tokens {
            tokens: vec![Token::new("loopback-simulator")],
            source: "a stand-in for a simulator on loopback",
        });
    }
    if matches!(host, Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("api.github.com")) {
        bail!(
            "no GitHub token: api.github.com's code search needs one (and anonymous requests are \
             limited to 60 an hour). Create a token without scopes at \
             https://github.com/settings/tokens and `export GITHUB_TOKEN=...` (GH_TOKEN, or \
             GITHUB_TOKENS=tok1,tok2 for several, work too), or log in with `gh auth login`; \
             `mcp-survey demo` needs none"
        );
    }
    Ok(found)
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
        let e = for_url("https://api.github.com", none())
            .err()
            .expect("refused");
        assert!(e.to_string().contains("GITHUB_TOKEN"), "{e}");
        assert!(for_url("https://API.github.com/", none()).is_err());
        for local in [
            "http://127.0.0.1:8088",
            "http://localhost:1",
            "http://[::1]:2",
        ] {
            let t = for_url(local, none()).expect("a simulator needs none");
            assert_eq!(t.tokens.len(), 1, "{local}: a stand-in token");
        }
        let enterprise = for_url("https://ghe.example/api/v3", none()).expect("anonymous");
        assert!(enterprise.tokens.is_empty());
        let one = Tokens {
            tokens: vec![Token::new("ghp_x")],
            source: "GITHUB_TOKEN",
        };
        let t = for_url("https://api.github.com", one).expect("has a token");
        assert_eq!(t.source, "GITHUB_TOKEN");
    }
}
