//! Whether the server can run without a credential: `required`,
//! `optional` or `none`, from how strictly the code checks its secrets,
//! what the docs say of them, and what the secrets are for.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use mcp_survey_model::{AuthMethod, Credentials};
use regex::Regex;

use super::findings::Findings;
use crate::ctx::{re, Ev, File};
use crate::identity::{names_own_store, serves_purpose};
use crate::snippets::Documented;

static OPTIONAL_DOC: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)optional|higher rate limit|rate limits|increase(?:d)? (?:the )?(?:rate )?limit|not required|if (?:you )?(?:want|need)|only (?:needed|required) (?:for|if|when)|to enable|enables?\b|unlock"#,
    )
});

/// README prose saying the server's key can be left out.
static KEY_OPTIONAL_PROSE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:api[ _-]?key|access token|token)\**\s*\(optional\b|\boptional(?:ly)?,? (?:an? |your )?(?:\w+ )?(?:api[ _-]?key|access token)|(?:api[ _-]?key|token)s? (?:is|are) optional|works? without (?:an? |any )?(?:api[ _-]?key|token)|no (?:api[ _-]?key|token|account) (?:is )?(?:required|needed)|without an? (?:api[ _-]?key|token),? (?:you|it|the server)|(?m:^\s*[-*]\s*`[\w-]+`[^\n]*(?i:requires?|needs?)\b[^\n]{0,20}\b(?:auth(?:entication|orization)?|api)[ _-]?(?:token|key))|\bfree\s*\|\s*with (?:an? |your )?(?:api[ _-]?key|token)"#,
    )
});

static REQUIRED_DOC: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)\brequired\b|\bmust\b|\byes\b|✅|✓"#));

/// Whether the server can run without a credential; `by_login` when all it
/// cannot do without is a client's login to its own endpoint (verified
/// bearer tokens, the server's OAuth flow).
pub struct Need {
    pub credentials: Credentials,
    pub by_login: bool,
}

pub fn decide(
    found: &Findings,
    documented: &[Documented],
    docs: &[&File],
    identity: &[String],
    relays: bool,
    ev: &mut Ev,
) -> Need {
    let secrets = &found.secrets;
    let methods = &found.methods;
    let documented_optional: BTreeSet<&str> = documented
        .iter()
        .filter(|d| OPTIONAL_DOC.is_match(&d.context))
        .map(|d| d.name.as_str())
        .collect();
    let prose_optional = docs
        .iter()
        .filter(|d| crate::paths::is_readme(d.path))
        .any(|d| KEY_OPTIONAL_PROSE.is_match(d.text));
    let optional_doc = prose_optional
        || secrets
            .keys()
            .any(|name| documented_optional.contains(name.as_str()));
    let required_doc = documented.iter().any(|d| {
        secrets.contains_key(&d.name) && (d.required || REQUIRED_DOC.is_match(&d.context))
    });
    // A secret named for MCP itself (`MCP_TOKEN`, `MCPPROXY_API_KEY`,
    // `FASTMCP_AUTH_TOKEN`) protects the server's own endpoint: it is no
    // service the server exists to reach.
    let purpose = secrets
        .iter()
        .filter(|(_, s)| s.method.is_some())
        .map(|(name, _)| name)
        .find(|name| {
            !name
                .split('_')
                .any(|p| p.to_ascii_lowercase().contains("mcp"))
                && serves_purpose(name, identity)
        });
    if let Some(name) = purpose {
        ev.add(
            "credentials",
            "required",
            "",
            0,
            "secret named for the server's own service",
            name,
        );
    }
    // The credentials whose reads stop the server when they are missing.
    let stopping: BTreeSet<&str> = secrets
        .iter()
        .filter(|(_, s)| s.required && s.method.is_some())
        .map(|(name, _)| name.as_str())
        .chain(found.stopped_by.iter().map(String::as_str))
        .collect();
    let (credentials, why) = if methods.is_empty() {
        (Credentials::None, Reason::NoSecret)
    } else if relays && purpose.is_none() {
        (Credentials::Optional, Reason::Relay)
    } else if found.config_required || !stopping.is_empty() {
        (Credentials::Required, Reason::StopsWithoutSecret)
    } else if !found.auth_opt_in
        && (found.resource_server
            || (methods.contains(&AuthMethod::Oauth) && !found.oauth_flow && secrets.is_empty()))
    {
        (Credentials::Required, Reason::ClientLogin)
    } else if methods.contains(&AuthMethod::Oauth)
        && found.oauth_flow
        && !found.auth_opt_in
        && !optional_doc
        && !found.any_optional_use
    {
        (Credentials::Required, Reason::OauthLogin)
    } else if purpose
        .is_some_and(|name| !prose_optional && !documented_optional.contains(name.as_str()))
    {
        (Credentials::Required, Reason::ServesPurpose)
    } else if (found.any_optional_use && secrets.values().all(|s| s.optional)) || optional_doc {
        (Credentials::Optional, Reason::UsedWhenPresent)
    } else if required_doc {
        (Credentials::Required, Reason::DocumentedRequired)
    } else if secrets.is_empty() && (found.held || found.config_secrets > 0) {
        (Credentials::Required, Reason::HeldCredential)
    } else if secrets.is_empty() && !found.cli_flags.is_empty() {
        (Credentials::Required, Reason::CommandLine)
    } else if secrets.is_empty() && !methods.contains(&AuthMethod::CloudIam) {
        (Credentials::Optional, Reason::Incidental)
    } else if methods.contains(&AuthMethod::CloudIam)
        || secrets.iter().any(|(name, s)| {
            s.method == Some(AuthMethod::ConnectionString) && !names_own_store(name, identity)
        })
    {
        (Credentials::Required, Reason::CloudOrDatabase)
    } else {
        (Credentials::Optional, Reason::SideFeatures)
    };
    // Name the secrets that stop the server, so the label can be checked
    // against the reads that decided it.
    let detail = if why == Reason::StopsWithoutSecret {
        if stopping.is_empty() {
            "a secret setting of a parsed configuration file".to_string()
        } else {
            stopping.into_iter().collect::<Vec<_>>().join(", ")
        }
    } else {
        String::new()
    };
    ev.add(
        "credentials",
        credentials.as_str(),
        "",
        0,
        why.text(),
        &detail,
    );
    Need {
        credentials,
        by_login: matches!(why, Reason::ClientLogin | Reason::OauthLogin),
    }
}

/// Why `decide` chose the need it did; the text is the evidence's rule.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reason {
    NoSecret,
    Relay,
    StopsWithoutSecret,
    ClientLogin,
    OauthLogin,
    ServesPurpose,
    UsedWhenPresent,
    DocumentedRequired,
    HeldCredential,
    CommandLine,
    Incidental,
    CloudOrDatabase,
    SideFeatures,
}

impl Reason {
    fn text(self) -> &'static str {
        match self {
            Reason::NoSecret => "no secret read anywhere in the server",
            Reason::Relay => "a gateway or proxy over other MCP servers: their secrets belong to each upstream and its own endpoint can run open",
            Reason::StopsWithoutSecret => "the server errors or exits without a secret",
            Reason::ClientLogin => "clients must present a verified token",
            Reason::OauthLogin => "the user must log in through the server's OAuth flow",
            Reason::ServesPurpose => "the secret is for the service the server exists to reach",
            Reason::UsedWhenPresent => "secrets are only used when present, or documented as optional",
            Reason::DocumentedRequired => "documentation marks the secret as required",
            Reason::HeldCredential => "the server reaches its service with a held credential (client certificate, Kerberos ticket, saved browser session)",
            Reason::CommandLine => "the secret is passed on the command line to start the server",
            Reason::Incidental => "only incidental secrets",
            Reason::CloudOrDatabase => "the server works through a cloud credential chain or a database connection",
            Reason::SideFeatures => "the secrets serve side features, not the server's own service",
        }
    }
}
