//! How GitHub's search splits text into tokens. The index tokenizes what it
//! indexes and the query parser what it looks for, with this one function.

/// GitHub-style tokens: runs of letters, digits and `_`, lower-cased. Every
/// other character separates tokens, so `@modelcontextprotocol/sdk` is the
/// sequence `modelcontextprotocol sdk` and `mcp-server` is `mcp server`.
pub fn tokenize(text: &str, mut f: impl FnMut(&str)) {
    let mut buf = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            buf.push(c.to_ascii_lowercase());
        } else if c.is_alphanumeric() {
            buf.extend(c.to_lowercase());
        } else if !buf.is_empty() {
            f(&buf);
            buf.clear();
        }
    }
    if !buf.is_empty() {
        f(&buf);
    }
}

pub fn tokenize_to_vec(text: &str) -> Vec<String> {
    let mut v = Vec::new();
    tokenize(text, |t| v.push(t.to_string()));
    v
}
