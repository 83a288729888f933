//! A repository prepared for the rules: each file with its role, language and
//! a lazily built line index, plus the evidence collected so far.

use std::cell::OnceCell;

use mcp_survey_model::{Evidence, RepoFiles};

use crate::paths::{self, Role};

pub struct File<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub role: Role,
    /// GitHub language when this is a source file.
    pub lang: Option<&'static str>,
    line_starts: OnceCell<Vec<usize>>,
}

impl<'a> File<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Self {
        File {
            path,
            text,
            role: paths::role(path),
            lang: paths::source_language(path),
            line_starts: OnceCell::new(),
        }
    }

    fn starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let mut v = vec![0];
            v.extend(self.text.match_indices('\n').map(|(i, _)| i + 1));
            v
        })
    }

    /// 1-based line of a byte offset.
    pub fn line_of(&self, offset: usize) -> u32 {
        let starts = self.starts();
        let idx = match starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        (idx + 1) as u32
    }

    /// The text of the line holding `offset`.
    pub fn line_text(&self, offset: usize) -> &'a str {
        let starts = self.starts();
        let idx = (self.line_of(offset) - 1) as usize;
        let start = starts[idx];
        let end = starts
            .get(idx + 1)
            .map(|e| e - 1)
            .unwrap_or(self.text.len());
        &self.text[start..end.max(start)]
    }

    /// Text from `before` lines above to `after` lines below `offset`.
    pub fn window(&self, offset: usize, before: usize, after: usize) -> &'a str {
        let starts = self.starts();
        let idx = (self.line_of(offset) - 1) as usize;
        let from = starts[idx.saturating_sub(before)];
        let to = starts
            .get(idx + after + 1)
            .copied()
            .unwrap_or(self.text.len());
        &self.text[from..to.max(from)]
    }

    /// Where the file's unit tests begin: Rust keeps them in a
    /// `#[cfg(test)]` module at the end of the file, compiled only for
    /// `cargo test`. The end of the file for every other language.
    pub fn unit_tests_from(&self) -> usize {
        if self.lang == Some("Rust") {
            self.text.find("#[cfg(test)]").unwrap_or(self.text.len())
        } else {
            self.text.len()
        }
    }

    pub fn is_source(&self) -> bool {
        self.lang.is_some()
    }

    pub fn name_lower(&self) -> String {
        paths::file_name(self.path).to_ascii_lowercase()
    }

    /// Does the file name end in one of these extensions (without the dot),
    /// in any case? `Main.GO` is as much Go as `main.go`.
    pub fn has_ext(&self, exts: &[&str]) -> bool {
        let name = paths::file_name(self.path);
        name.rsplit_once('.').is_some_and(|(stem, ext)| {
            !stem.is_empty() && exts.iter().any(|e| ext.eq_ignore_ascii_case(e))
        })
    }

    pub fn under(&self, root: &str) -> bool {
        root.is_empty() || (self.path.starts_with(root) && self.path[root.len()..].starts_with('/'))
    }
}

pub struct Repo<'a> {
    pub files: Vec<File<'a>>,
    pub description: Option<&'a str>,
    /// `owner/name`, when known.
    pub full_name: Option<&'a str>,
}

/// Evidence collected while the rules run.
#[derive(Default)]
pub struct Ev(pub Vec<Evidence>);

/// Longest `matched` text kept in evidence.
const MATCH_LIMIT: usize = 120;

pub fn short(s: &str) -> String {
    let s = s.trim();
    if s.len() <= MATCH_LIMIT {
        return s.to_string();
    }
    let mut end = MATCH_LIMIT;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

impl<'a> Repo<'a> {
    pub fn new(files: &'a RepoFiles) -> Self {
        let mut v: Vec<File<'a>> = files
            .files
            .iter()
            .map(|f| File::new(f.path.as_str(), f.text.as_str()))
            .collect();
        // Determinism does not depend on the order the caller gave.
        v.sort_by(|a, b| a.path.cmp(b.path));
        Repo {
            files: v,
            description: files.description.as_deref(),
            full_name: files.full_name.as_deref(),
        }
    }
}

impl Ev {
    pub fn add(
        &mut self,
        field: &str,
        value: &str,
        file: &str,
        line: u32,
        rule: &str,
        matched: &str,
    ) {
        self.0.push(Evidence {
            field: field.to_string(),
            value: value.to_string(),
            file: file.to_string(),
            line,
            rule: rule.to_string(),
            matched: short(matched),
        });
    }

    /// Evidence found at a byte offset of a file: its line number and the
    /// line itself are what a reader checks.
    pub fn at(&mut self, field: &str, value: &str, f: &File, offset: usize, rule: &str) {
        self.add(
            field,
            value,
            f.path,
            f.line_of(offset),
            rule,
            f.line_text(offset),
        );
    }
}

/// Compiles a built-in pattern. Word boundaries are ASCII-only: a Unicode
/// `\b` stops the fast DFA on any non-ASCII text (READMEs with emoji), and
/// the fallback engine is an order of magnitude slower.
pub fn re(pattern: &str) -> regex::Regex {
    let p = pattern
        .replace(r"\b", r"(?-u:\b)")
        .replace(r"\w", r"[0-9A-Za-z_]");
    regex::Regex::new(&p).expect("built-in pattern compiles")
}

/// A line that is a comment in the languages and configuration formats the
/// rules read (`//`, `#`, `/* */` and `*` continuation, `<!-- -->`).
pub fn is_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with("//")
        || t.starts_with('#') && !t.starts_with("#[")
        || t.starts_with("* ")
        || t.starts_with("/*")
        || t.starts_with("<!--")
}

/// Where the triple quotes of a Python file end (none for other
/// languages), found once per file for `in_docstring`.
pub fn triple_quote_ends(f: &File) -> Vec<usize> {
    if f.lang != Some("Python") {
        return Vec::new();
    }
    let mut ends: Vec<usize> = f
        .text
        .match_indices("\"\"\"")
        .chain(f.text.match_indices("\'\'\'"))
        .map(|(i, q)| i + q.len())
        .collect();
    ends.sort_unstable();
    ends
}

/// Inside a Python docstring or other triple-quoted string (an odd number
/// of triple quotes before it): usage text, not code that runs.
pub fn in_docstring(quote_ends: &[usize], off: usize) -> bool {
    quote_ends.partition_point(|end| *end <= off) % 2 == 1
}
