//! What the names and the docs around a secret say about its kind: an
//! access token kept beside its refresh token is OAuth's, a token the docs
//! call personal is a PAT, and a secret's name alone gives its method.

use mcp_survey_model::AuthMethod;

use super::findings::Findings;
use super::PAT_DOC;
use crate::ctx::{Ev, File};
use crate::paths::Role;

pub fn refine(scope: &[&File], docs: &[&File], found: &mut Findings, ev: &mut Ev) {
    // RFC 6749 issues an access token and its refresh token as a pair:
    // whatever its own name says, the access token came out of OAuth.
    let refreshable: Vec<String> = found
        .secrets
        .keys()
        .filter_map(|n| n.strip_suffix("REFRESH_TOKEN").map(str::to_string))
        .collect();
    for (name, s) in found.secrets.iter_mut() {
        if let Some(prefix) = name.strip_suffix("ACCESS_TOKEN") {
            if refreshable.iter().any(|p| p == prefix) {
                s.method = Some(AuthMethod::Oauth);
            }
        }
    }
    for (name, s) in found.secrets.iter_mut() {
        if s.method == Some(AuthMethod::ApiKey) && called_personal(name, scope, docs, ev) {
            s.method = Some(AuthMethod::Pat);
        }
    }
    for s in found.secrets.values() {
        if let Some(m) = s.method {
            found.methods.insert(m);
        }
    }
    for (name, s) in &found.secrets {
        if let Some(m) = s.method {
            if !ev
                .0
                .iter()
                .any(|e| e.field == "auth_methods" && e.value == m.as_str())
            {
                ev.add(
                    "auth_methods",
                    m.as_str(),
                    "",
                    0,
                    "kind of secret named by the variable",
                    name,
                );
            }
        }
    }
    if found.secrets.values().all(|s| s.method.is_none())
        && !found.secrets.is_empty()
        && found.methods.is_empty()
    {
        found.methods.insert(AuthMethod::ApiKey);
    }
}

/// A token the docs call personal (created in the user's own settings), or
/// the server's own help or error text beside the variable ("provide a
/// personal access token with --access-token or set X"), is a PAT whatever
/// its variable is called.
fn called_personal(name: &str, scope: &[&File], docs: &[&File], ev: &mut Ev) -> bool {
    for d in docs {
        if let Some(off) = d.text.find(name) {
            if PAT_DOC.is_match(d.window(off, 5, 3)) {
                ev.at(
                    "auth_methods",
                    "pat",
                    d,
                    off,
                    "documentation calls the token personal",
                );
                return true;
            }
        }
    }
    for f in scope
        .iter()
        .filter(|f| f.role == Role::Core && f.is_source())
    {
        for (off, _) in f.text.match_indices(name).take(20) {
            if PAT_DOC.is_match(f.window(off, 1, 1)) {
                ev.at(
                    "auth_methods",
                    "pat",
                    f,
                    off,
                    "the server's own message calls the token personal",
                );
                return true;
            }
        }
    }
    false
}
