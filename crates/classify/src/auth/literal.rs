//! Secrets written into the code or the configuration it ships with.

use mcp_survey_model::CredentialSource;

use super::findings::Findings;
use super::is_config_text;
use crate::ctx::{Ev, File};
use crate::paths::Role;
use crate::secrets;

pub fn scan(scope: &[&File], found: &mut Findings, ev: &mut Ev) {
    for f in scope
        .iter()
        .filter(|f| f.role == Role::Core && (f.is_source() || is_config_text(f)))
    {
        if let Some(h) = secrets::scan(f).into_iter().next() {
            found.sources.insert(CredentialSource::Hardcoded);
            found.methods.insert(h.method);
            ev.add(
                "credential_sources",
                "hardcoded",
                f.path,
                f.line_of(h.offset),
                h.rule,
                &h.masked,
            );
            return;
        }
    }
    // Literal defaults in the configuration the server reads at start. The
    // setting says where a credential goes, not which scheme it is: only
    // the source is recorded. A demo server's own configuration is what
    // that server runs with.
    for f in scope
        .iter()
        .filter(|f| matches!(f.role, Role::Core | Role::Example))
    {
        if let Some((offset, name, masked)) = secrets::scan_runtime_config(f.path, f.text) {
            found.sources.insert(CredentialSource::Hardcoded);
            ev.add(
                "credential_sources",
                "hardcoded",
                f.path,
                f.line_of(offset),
                &format!("literal default for the setting {name} in run-time configuration"),
                &masked,
            );
            return;
        }
    }
}
