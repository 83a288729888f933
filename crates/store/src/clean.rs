//! Text from outside (archive paths, API strings, error messages that quote
//! them) made fit for Postgres and for logs: Postgres refuses NUL in `text`
//! and `\u0000` in `jsonb`, and one hostile value must not become a
//! megabyte-long row or log line.
//!
//! Nothing is dropped silently: a NUL, a control character or a byte that is
//! not UTF-8 becomes a visible `\xNN` escape, and a cut value ends in `…`.

/// Longest error message or note stored (characters).
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// Longest path kept in a sample of skipped entries (characters).
pub const MAX_SAMPLE_PATH_CHARS: usize = 256;

/// Escapes `bytes` as UTF-8 text: invalid bytes, NUL and other control
/// characters (tab and newline too: a path holding them would split a log
/// line) become `\xNN`. A path refused for a backslash never reaches here,
/// so an escape cannot be confused with a real file name.
pub fn escape_bytes(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        escape_str_into(chunk.valid(), &mut out);
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// [`escape_bytes`] for text that is already UTF-8.
pub fn escape_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_str_into(s, &mut out);
    out
}

fn escape_str_into(s: &str, out: &mut String) {
    for c in s.chars() {
        if c.is_control() {
            for b in c.to_string().bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            out.push(c);
        }
    }
}

/// True when `s` can go to Postgres and a log as it is.
pub fn is_clean(s: &str) -> bool {
    !s.chars().any(char::is_control)
}

/// Cuts `s` to at most `max` characters, marking the cut with `…`.
pub fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if s[i..].chars().nth(1).is_some() => format!("{}…", &s[..i]),
        _ => s.to_string(),
    }
}

/// A message for Postgres or a log: NUL and invalid text escaped (newlines
/// kept, they are ours), capped at [`MAX_MESSAGE_CHARS`].
pub fn message(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_MESSAGE_CHARS));
    for c in s.chars() {
        if c == '\0' {
            out.push_str("\\x00");
        } else {
            out.push(c);
        }
    }
    truncate(&out, MAX_MESSAGE_CHARS)
}

/// A path for a sample of skipped entries: escaped and capped at
/// [`MAX_SAMPLE_PATH_CHARS`].
pub fn sample_path(s: &str) -> String {
    truncate(&escape_str(s), MAX_SAMPLE_PATH_CHARS)
}

/// A JSON value for a `jsonb` column: every string (and key) escaped, so a
/// NUL anywhere cannot fail the insert.
pub fn json(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Value::String(s.replace('\0', "\\x00")),
        Value::Array(a) => Value::Array(a.iter().map(json).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (k.replace('\0', "\\x00"), json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_instead_of_dropping() {
        assert_eq!(escape_bytes(b"src/a\0b.ts"), "src/a\\x00b.ts");
        assert_eq!(escape_bytes(b"caf\xe9.ts"), "caf\\xe9.ts");
        assert_eq!(escape_bytes("ü/ok.ts".as_bytes()), "ü/ok.ts");
        assert_eq!(escape_str("a\nb"), "a\\x0ab");
        assert!(is_clean("ü/ok.ts"));
        assert!(!is_clean("a\0b"));
    }

    #[test]
    fn truncates_on_character_boundaries() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(truncate("üüüü", 2), "ü…");
        assert_eq!(sample_path(&"a".repeat(10_000)).chars().count(), 256);
        assert_eq!(message(&"x\0".repeat(5000)).chars().count(), 2000);
    }

    #[test]
    fn json_strings_lose_their_nuls() {
        let v = serde_json::json!({"sample": [{"path": "a\0b"}], "k\0": 1});
        let text = json(&v).to_string();
        assert!(!text.contains("\\u0000"), "{text}");
    }
}
