//! What the passes of `detect` have found so far: the secrets by name, the
//! methods and sources, and the facts `need` weighs.

use std::collections::{BTreeMap, BTreeSet};

use mcp_survey_model::{AuthMethod, CredentialSource};

#[derive(Debug, Clone)]
pub struct Secret {
    /// `None` for the server's own secret (see `NamedSecret::ServerOwn`).
    pub method: Option<AuthMethod>,
    pub required: bool,
    /// Every read tests the value and uses it only when present.
    pub optional: bool,
}

/// A secret command-line flag: its name, file, line and the line's text.
pub type FlagUse<'a> = (String, &'a str, u32, &'a str);

#[derive(Default)]
pub struct Findings<'a> {
    pub secrets: BTreeMap<String, Secret>,
    pub methods: BTreeSet<AuthMethod>,
    pub sources: BTreeSet<CredentialSource>,
    /// Credentials whose reads fail the server when they are missing, by
    /// the name read (whatever method an earlier sighting recorded).
    pub stopped_by: BTreeSet<String>,
    /// Variable names are computed or derived by a library (a settings
    /// class, viper's prefix), so documented names may be read too.
    pub dynamic_env: bool,
    /// Some read uses the value only when it is present.
    pub any_optional_use: bool,
    /// Framework configuration takes its secrets from `${VAR}` placeholders.
    pub bound_to_env: bool,
    /// Variables the server fills with a random value when they are unset:
    /// its own keys, which no document makes a credential.
    pub made_up: BTreeSet<String>,
    /// Secret settings of a parsed configuration file.
    pub config_secrets: usize,
    pub config_required: bool,
    pub cli_flags: BTreeSet<FlagUse<'a>>,
    /// An OAuth construct (a flow, a provider, resource-server metadata).
    pub oauth: bool,
    /// The OAuth login runs at run time, in front of the user.
    pub oauth_flow: bool,
    /// A credential arrives with each request.
    pub request: bool,
    /// Each request's bearer token is verified as an OAuth resource server.
    pub resource_server: bool,
    /// Inbound authentication ships switched off: the operator turns it on.
    pub auth_opt_in: bool,
    /// The server reaches its service with a credential another tool or an
    /// earlier login left (a CLI's login, a client certificate, a ticket).
    pub held: bool,
}

impl Findings<'_> {
    /// Records a secret the first time its name is seen; later sightings
    /// keep the first one's method.
    pub fn secret(
        &mut self,
        name: &str,
        method: Option<AuthMethod>,
        optional: bool,
    ) -> &mut Secret {
        self.secrets.entry(name.to_string()).or_insert(Secret {
            method,
            required: false,
            optional,
        })
    }
}
