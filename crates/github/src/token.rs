use std::fmt;
use std::str::FromStr;

/// A GitHub token. It only leaves this type as an `Authorization` header
/// (marked sensitive), so `Debug`, `Display`, logs and error messages can
/// never show it, whatever struct it ends up inside.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token, trimming the whitespace an environment variable or a
    /// file often carries.
    pub fn new(secret: impl Into<String>) -> Self {
        Token(secret.into().trim().to_string())
    }

    /// Reads a comma- or whitespace-separated list, as `GITHUB_TOKENS` holds,
    /// skipping empty entries (a trailing comma is common).
    pub fn parse_list(list: &str) -> Vec<Token> {
        list.split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
            .map(Token::new)
            .collect()
    }

    /// Tokens from the environment: `GITHUB_TOKENS` (several) if set and not
    /// empty, else `GITHUB_TOKEN`, else none (anonymous, GitHub's lowest
    /// limits).
    pub fn from_env() -> Vec<Token> {
        let many = std::env::var("GITHUB_TOKENS").unwrap_or_default();
        let tokens = Token::parse_list(&many);
        if !tokens.is_empty() {
            return tokens;
        }
        Token::parse_list(&std::env::var("GITHUB_TOKEN").unwrap_or_default())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for Token {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Token::new(s))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let t = Token::new(" ghp_secret123 ");
        assert_eq!(format!("{t}"), "***");
        assert_eq!(format!("{t:?}"), "Token(***)");
        assert_eq!(t.expose(), "ghp_secret123");
    }

    #[test]
    fn parses_lists() {
        let list = Token::parse_list("a, b,,c\n");
        assert_eq!(list.len(), 3);
        assert_eq!(list[2].expose(), "c");
        assert!(Token::parse_list(" , ").is_empty());
    }
}
