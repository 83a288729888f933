//! Authentication the operator turns on: a switch such as `UseAuth`,
//! `MCP_AUTH_ENABLED` or `auth.enabled` that ships off.
//!
//! Templates and gateways often carry a full OAuth resource server or an
//! inbound-token check behind such a switch. Clients then reach the server
//! without a token unless the operator sets the switch, so the check alone
//! does not make the server need a credential; the secrets of the service
//! it reaches still do.

use std::sync::LazyLock;

use regex::Regex;

use super::findings::Findings;
use super::{first_use, first_use_where, is_config_text};
use crate::ctx::{re, Ev, File};
use crate::paths::Role;

/// A configuration entry that turns authentication on, set off:
/// `"UseAuth": false`, `auth.enabled=false`, `MCP_REQUIRE_AUTH=false`,
/// `enable_oauth: no`.
static SWITCH_OFF_IN_CONFIG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?im)^[ \t]*["']?[\w.-]*?(?:\b|_|\.)(?:use|enable|enabled|require|requires)[_.-]?(?:auth|authentication|authorization|oauth)["']?[ \t]*[:=][ \t]*["']?(?:false|off|no|0)\b|^[ \t]*["']?[\w.-]*?(?:\b|_|\.)(?:auth|authentication|authorization|oauth)[_.-]?(?:enabled|required|enable)["']?[ \t]*[:=][ \t]*["']?(?:false|off|no|0)\b"#,
    )
});

/// Code that turns authentication on only when a variable says so:
/// `process.env.MCP_AUTH_ENABLED === "true"`, `getenv("AUTH_ENABLED", "false")`,
/// `get("X_AUTHENTICATION_FLAG", "false")`.
static SWITCH_OFF_IN_CODE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b\w*(?:AUTH|OAUTH|AUTHENTICATION)_(?:ENABLED|REQUIRED|ENABLE)\b\s*===?\s*["']true["']|\b(?:ENABLE|REQUIRE|USE)_\w*(?:AUTH|OAUTH|AUTHENTICATION)\b\s*===?\s*["']true["']|["']\w*(?:AUTH|OAUTH|AUTHENTICATION)_(?:ENABLED|REQUIRED|ENABLE|FLAG)["']\s*,\s*["']?(?:false|0)["']?\s*\)|["'](?:ENABLE|REQUIRE|USE)_\w*(?:AUTH|OAUTH|AUTHENTICATION)["']\s*,\s*["']?(?:false|0)["']?\s*\)"#,
    )
});

/// A command-line flag that turns authentication on (`--enable-auth`,
/// `--require-auth`, `--use-oauth`): a flag to turn it on means it ships
/// off. Or an authentication mode whose default is no authentication:
/// `auth: str = "none"`, `AUTH_MODE_DEFAULT = "none"`,
/// `getenv("X_AUTH_MODE", "none")`, `default="none"` on an `--auth` option,
/// `env.get("X_AUTH_TYPE") or ""` (no mode set, no authentication).
static OPT_IN_FLAG_OR_MODE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)["'](?:--)?(?:enable|require|use)-(?:auth|oauth|authentication)["']|\b(?:\w*_)?auth(?:_?mode)?(?:_default)?["']?\s*(?::\s*[\w|\[\] ]+?\s*)?(?:=|:|,)\s*["'](?:none|off|disabled|noauth|no-auth)["']|["']--auth["'][^\n]{0,80}default\s*[:=]\s*["'](?:none|off|disabled)["']|["']\w*AUTH_(?:TYPE|MODE)["']\s*\)\s*(?:\bor\b|\|\||\?\?)\s*["'](?:none|off|disabled)?["']"#,
    )
});

/// Marks the server's inbound authentication as opt-in when a shipped
/// configuration file, an environment template or the code's own default
/// leaves its switch off.
pub fn scan(scope: &[&File], docs: &[&File], found: &mut Findings, ev: &mut Ev) {
    let config = scope
        .iter()
        .filter(|f| f.role == Role::Core && is_config_text(f))
        .chain(
            docs.iter()
                .filter(|f| crate::paths::is_env_template_name(&f.name_lower())),
        )
        .find_map(|f| first_use(&SWITCH_OFF_IN_CONFIG, f).map(|off| (*f, off)));
    let code = || {
        scope
            .iter()
            .filter(|f| f.role == Role::Core && f.is_source())
            .find_map(|f| {
                switch_in_code(&SWITCH_OFF_IN_CODE, f)
                    .or_else(|| switch_in_code(&OPT_IN_FLAG_OR_MODE, f))
                    .map(|off| (*f, off))
            })
    };
    if let Some((f, off)) = config.or_else(code) {
        found.auth_opt_in = true;
        ev.at(
            "credentials",
            "optional",
            f,
            off,
            "inbound authentication ships switched off",
        );
    }
}

/// Where a switch first shows in code, outside comments. A switch for a
/// test mode (`ENABLE_LOAD_TEST_AUTH`) turns on an extra way in for test
/// runs; it says nothing of how the server's own authentication ships.
fn switch_in_code(pattern: &Regex, f: &File) -> Option<usize> {
    first_use_where(pattern, f, |m| {
        !m.as_str()
            .to_ascii_uppercase()
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|p| p == "TEST")
    })
}
