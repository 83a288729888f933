//! How code treats a value it has just read: whether it fails without it,
//! tests it for presence first, or checks it later in a config loader.

use std::sync::LazyLock;

use regex::Regex;

use crate::ctx::{re, File};

/// Stops the program or the request outright.
const HARD_STOP_PATTERN: &str = r#"(?i)process\.exit|throw\b|raise\b|sys\.exit|log\.Fatal|Fatalf?\(|panic!?\(|\.expect\(|exit\(1\)|bail!|die\("#;

static HARD_STOP: LazyLock<Regex> = LazyLock::new(|| re(HARD_STOP_PATTERN));

/// Refuses to start or errors without the value: a hard stop, or an error
/// value or message that says the value is missing.
static REQUIRED_HINT: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        "{HARD_STOP_PATTERN}|{}",
        r#"must be (?:set|provided|specified|configured)|is required|are required|is not set|not configured|missing required|errors\.New|fmt\.Errorf|IllegalStateException|IllegalArgumentException|InvalidOperationException|ArgumentNullException|ValueError|RuntimeError|KeyError|anyhow!|\.ok_or|\.min\(1"#
    ))
});

/// Carries on without the value: a warning, a feature skipped or turned off.
static DEGRADES: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\bwarn(?:ing)?\b|\.warn\(|skipping\b|\bskipped\b|will be disabled|\bdisabl(?:ed|ing)\b|not be available|continuing without|falling back|fall back"#,
    )
});

/// Does the code around a read fail when the value is missing? A message
/// such as "X is not configured" says so only when the branch stops the
/// program; logged as a warning before skipping a feature, it says the
/// program runs on without it.
pub(super) fn fails_without(window: &str) -> bool {
    REQUIRED_HINT.is_match(window) && (HARD_STOP.is_match(window) || !DEGRADES.is_match(window))
}

/// The value is stored (`apiKey := os.Getenv(..)`, `APIKey: os.Getenv(..)`,
/// `self.token = os.environ.get(..)`) and a later line in the same file
/// tests that name for absence and fails: a config loader that validates
/// after reading everything. A test inside one mode's branch (`elif
/// client_type == "cloud": if not api_key: raise`) makes the value needed
/// only in that mode.
pub(super) fn checked_later(f: &File, off: usize, name: &str) -> bool {
    let line_end = next_line_start(f, off);
    let rest = &f.text[line_end..];
    let mut pos = line_end;
    for l in rest.split_inclusive('\n').take(60) {
        if l.contains(name)
            && absence_test(l, name)
            && !gated(l)
            && fails_without(f.window(pos, 0, 3))
            && !inside_conditional_block(f, pos)
        {
            return true;
        }
        pos += l.len();
    }
    false
}

/// Is the variable this read assigns tested for being present, before any
/// test for its absence? `if (token) {`, `if token:`, `if token != "" {`,
/// `if let Some(token)` guard code that only runs with the secret set.
pub(super) fn tested_for_presence_next(f: &File, off: usize, name: &str) -> bool {
    for l in f.text[next_line_start(f, off)..]
        .split_inclusive('\n')
        .take(3)
    {
        if !contains_identifier(l, name) {
            continue;
        }
        if absence_test(l, name) {
            return false;
        }
        return presence_test(l, name);
    }
    false
}

/// Where the line after the one holding `off` starts.
fn next_line_start(f: &File, off: usize) -> usize {
    f.text[off..]
        .find('\n')
        .map(|i| off + i + 1)
        .unwrap_or(f.text.len())
}

/// The identifier a read on this line is assigned to: `const token =`,
/// `token := os.Getenv(`, `self.token = os.environ.get(`.
pub(super) fn assigned_name<'t>(f: &'t File, off: usize) -> Option<&'t str> {
    static TARGET: LazyLock<Regex> =
        LazyLock::new(|| re(r#"([A-Za-z_][A-Za-z0-9_]*)["']?\s*(?::=|=|:)\s*[^=:]*$"#));
    let line_start = f.text[..off].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let name = TARGET.captures(&f.text[line_start..off])?.get(1)?.as_str();
    if name.len() < 3 || matches!(name, "const" | "let" | "var" | "val" | "return" | "env") {
        return None;
    }
    Some(name)
}

fn contains_identifier(line: &str, name: &str) -> bool {
    line.match_indices(name).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + name.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Does this line branch on `name` being set: `if (name)`, `if name:`,
/// `if (name &&`, `if name != ""`, `name is not None`, `if let Some(name)`?
fn presence_test(line: &str, name: &str) -> bool {
    let t = line.trim_start();
    let Some(rest) = t
        .strip_prefix("if")
        .or_else(|| t.strip_prefix("} else if"))
        .or_else(|| t.strip_prefix("elif"))
    else {
        return false;
    };
    let cond = rest.trim_start().trim_start_matches('(').trim_start();
    if let Some(after) = cond.strip_prefix(name) {
        let after = after.trim_start();
        return after.starts_with(')')
            || after.starts_with(':')
            || after.starts_with("&&")
            || after.starts_with("and ")
            || after.starts_with('{')
            || after.starts_with("!= \"\"")
            || after.starts_with("!== \"\"")
            || after.starts_with("!= ''")
            || after.starts_with("!== ''")
            || after.starts_with("!= nil")
            || after.starts_with("is not None")
            || after.starts_with("!= null")
            || after.starts_with("!== undefined");
    }
    cond.starts_with(&format!("let Some({name})"))
}

/// Does this line test `name` for being missing or empty?
fn absence_test(line: &str, name: &str) -> bool {
    let Some(i) = line.find(name) else {
        return false;
    };
    let before = line[..i].trim_end();
    let after = line[i + name.len()..].trim_start();
    // The match must be the whole identifier.
    if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        return false;
    }
    before.ends_with('!')
        || before.ends_with("not")
        || before.ends_with("unless")
        || before.contains("IsNullOrEmpty(")
        || before.contains("IsNullOrWhiteSpace(")
        || before.ends_with("isBlank(")
        || after.starts_with("== \"\"")
        || after.starts_with("=== \"\"")
        || after.starts_with("== ''")
        || after.starts_with("=== ''")
        || after.starts_with("== nil")
        || after.starts_with("is None")
        || after.starts_with("== null")
        || after.starts_with("=== undefined")
        || after.starts_with(".is_empty()")
        || after.starts_with(".isEmpty()")
        || after.starts_with(".isBlank()")
        || after.starts_with(".blank?")
        || after.starts_with(".nil?")
}

/// Does the code of the window (comments left out) fail when one of
/// `names` is missing, testing that value itself for absence?
pub(super) fn fails_without_any_of(window: &str, names: &[&str]) -> bool {
    let code = code_lines(window);
    fails_without(&code) && mentions_missing_of(&code, names)
}

/// The lines of a window that are code: a comment ("auth not configured,
/// pass through") describes the branch, it does not stop the program.
fn code_lines(window: &str) -> String {
    window
        .split_inclusive('\n')
        .filter(|l| !crate::ctx::is_comment(l))
        .collect()
}

/// Some line of the window that names the value (the variable read, or
/// the name it is stored under) tests it for absence: a check of another
/// setting nearby says nothing of this one. A test gated by another
/// setting (`if enabled && !token`) makes it needed only in that mode.
fn mentions_missing_of(window: &str, names: &[&str]) -> bool {
    let named = window
        .lines()
        .filter(|l| names.iter().any(|n| contains_identifier(l, n)));
    let (mut missing, mut gated_test) = (false, false);
    for l in named {
        missing |= mentions_missing(l);
        gated_test |= names.iter().any(|n| absence_test(l, n)) && gated(l);
    }
    missing && !gated_test
}

/// A test for absence joined by "and" to a condition that is no absence
/// test itself: `if (enabled && !token)`, `if use_cloud and not key:`. The
/// value is needed only when that other setting turns its feature on.
fn gated(line: &str) -> bool {
    static AND: LazyLock<Regex> = LazyLock::new(|| re(r#"&&|\band\b|\bAndAlso\b"#));
    let parts: Vec<&str> = AND.split(line).collect();
    parts.len() > 1
        && parts
            .iter()
            .any(|p| !mentions_missing(p) && !p.contains("==") && !p.contains("!="))
}

/// The value's absence lets the request through: `if (!token) return
/// next();`, `if not expected: return await call_next(request)`,
/// `if (!secret) return true;`. Inbound authentication that is off until
/// the operator sets its token.
pub(super) fn passes_through_when_missing(f: &File, off: usize, name: &str) -> bool {
    static PASS: LazyLock<Regex> =
        LazyLock::new(|| re(r#"\b(?:next|call_next|handler|done)\(|\breturn\s+(?:true|True)\b"#));
    let lines: Vec<&str> = f.text[next_line_start(f, off)..]
        .split_inclusive('\n')
        .take(4)
        .collect();
    lines.iter().enumerate().any(|(i, l)| {
        absence_test(l, name)
            && lines[i..(i + 3).min(lines.len())]
                .iter()
                .any(|l| PASS.is_match(l) && !HARD_STOP.is_match(l))
    })
}

/// The window tests for absence of the value, not merely uses it.
pub(super) fn mentions_missing(window: &str) -> bool {
    static MISSING: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r#"(?i)if\s*\(?\s*!|if\s+not\b|is None|== ?None|===?\s*(?:undefined|null|''|"")|==\s*""|\.is_empty\(\)|isEmpty\(\)|IsNullOrEmpty|IsNullOrWhiteSpace|\bblank\b|unless\b|\?\?\s*(?:throw|die)|\|\|\s*(?:die|throw)|\.expect\(|\.ok_or|missing|required|not set|must\b|== ?nil|\bnull\b"#,
        )
    });
    MISSING.is_match(window)
}

/// Is the line holding `off` inside a block that runs only in some mode or
/// for some tool: its nearest enclosing line (less indented, above it) is a
/// branch (`if`, `else`, `case`, `when`, `match` arm)? A secret checked
/// there is needed only on that path: the program starts and serves without
/// it. A `__main__` guard or a function definition is no such branch.
pub(super) fn inside_conditional_block(f: &File, off: usize) -> bool {
    enclosing_line(f, off).is_some_and(is_branch)
}

/// The nearest line above `off` that is less indented (the header of the
/// block holding it), trimmed; the line above a lone `{`.
fn enclosing_line<'t>(f: &File<'t>, off: usize) -> Option<&'t str> {
    let line_start = f.text[..off].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let indent = |l: &str| l.len() - l.trim_start().len();
    let own = indent(&f.text[line_start..]);
    if own == 0 {
        return None;
    }
    let mut brace_line = false;
    let mut pos = line_start;
    for _ in 0..80 {
        if pos == 0 {
            break;
        }
        let end = pos - 1;
        let start = f.text[..end].rfind('\n').map(|i| i + 1).unwrap_or(0);
        pos = start;
        let l = &f.text[start..end];
        let t = l.trim();
        if t.is_empty() || crate::ctx::is_comment(l) {
            continue;
        }
        if brace_line || indent(l) < own {
            if t == "{" {
                brace_line = true;
                continue;
            }
            return Some(t);
        }
    }
    None
}

fn is_branch(t: &str) -> bool {
    static BRANCH: LazyLock<Regex> = LazyLock::new(|| {
        re(r#"^(?:\}\s*)?(?:if\b|else\b|elif\b|elsif\b|case\b|when\b|unless\b)|=>\s*\{?\s*$"#)
    });
    static ENTRY_GUARD: LazyLock<Regex> =
        LazyLock::new(|| re(r#"__name__|require\.main|import\.meta\.main"#));
    BRANCH.is_match(t) && !ENTRY_GUARD.is_match(t)
}
