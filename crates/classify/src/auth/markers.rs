//! Code that by itself shows one way the server gets or uses a credential:
//! a keychain or secret-manager client, a cloud credential chain, a key or
//! certificate file, browser session cookies. One table, one loop: each
//! marker is recorded once, from its first match outside a comment.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use mcp_survey_model::{AuthMethod, CredentialSource};
use regex::Regex;

use crate::ctx::{Ev, File};

/// What a marker says about the server.
#[derive(Clone, Copy)]
enum Marks {
    Method(AuthMethod),
    Source(CredentialSource),
}

struct Marker {
    regex: &'static LazyLock<Regex>,
    marks: Marks,
    /// A source that comes with the method (cloud chains read files).
    also: Option<CredentialSource>,
    why: &'static str,
}

static MARKERS: [Marker; 4] = [
    Marker {
        regex: &super::KEYCHAIN,
        marks: Marks::Source(CredentialSource::Keychain),
        also: None,
        why: "OS keychain or secret manager",
    },
    Marker {
        regex: &super::CLOUD,
        marks: Marks::Method(AuthMethod::CloudIam),
        also: Some(CredentialSource::ConfigFile),
        why: "cloud provider credential chain",
    },
    Marker {
        regex: &super::KEY_FILE,
        marks: Marks::Method(AuthMethod::KeyFile),
        also: None,
        why: "private key, certificate or service-account file",
    },
    Marker {
        regex: &super::SESSION_COOKIE,
        marks: Marks::Method(AuthMethod::SessionCookie),
        also: None,
        why: "browser session cookies",
    },
];

/// Records every marker this file shows that is not recorded yet.
pub fn apply(
    f: &File,
    methods: &mut BTreeSet<AuthMethod>,
    sources: &mut BTreeSet<CredentialSource>,
    ev: &mut Ev,
) {
    for marker in &MARKERS {
        let recorded = match marker.marks {
            Marks::Method(m) => methods.contains(&m),
            Marks::Source(s) => sources.contains(&s),
        };
        if recorded {
            continue;
        }
        let Some(m) = marker
            .regex
            .find_iter(f.text)
            .find(|m| !super::is_comment(f.line_text(m.start())))
        else {
            continue;
        };
        let (field, value) = match marker.marks {
            Marks::Method(x) => {
                methods.insert(x);
                ("auth_methods", x.as_str())
            }
            Marks::Source(x) => {
                sources.insert(x);
                ("credential_sources", x.as_str())
            }
        };
        if let Some(s) = marker.also {
            sources.insert(s);
        }
        ev.add(
            field,
            value,
            f.path,
            f.line_of(m.start()),
            marker.why,
            f.line_text(m.start()),
        );
    }
}
