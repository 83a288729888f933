//! OAuth: the constructs of the protocol and of the libraries that run it,
//! and whether the login happens at run time in front of the user.

use std::sync::LazyLock;

use mcp_survey_model::{AuthMethod, CredentialSource};
use regex::Regex;

use super::findings::Findings;
use super::{first_use, first_use_where, is_comment};
use crate::ctx::{re, Ev, File};

/// Interactive OAuth logins and the libraries that run them: each is both
/// an OAuth method and a login at run time, so `OAUTH` and `OAUTH_FLOW`
/// share them.
const INTERACTIVE_OAUTH: &str = r#"device_code|DeviceCodeCredential|InteractiveBrowserCredential|mcpAuthRouter|OAuthProxy|OIDCProxy|fastmcp\.server\.auth\.providers\.(?:github|google|azure|workos|auth0|aws|descope|scalekit)\b|(?:Azure|GitHub|Google|WorkOS|Auth0)Provider\(\s*client_id|authenticator\s*=\s*["']externalbrowser|InstalledAppFlow|AuthorizationCodeInstalledApp|@google-cloud/local-auth|acquire_token_interactive|initiate_device_flow|acquireTokenInteractive|acquireTokenByDeviceCode"#;

static OAUTH: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r#"(?i){}|{INTERACTIVE_OAUTH}"#,
        r#"authorization_endpoint|oauth-protected-resource|oauth-authorization-server|protected_resource_metadata|ProtectedResourceMetadata|grant_type|client_credentials|refresh_token|OAuthServerProvider|ProxyOAuthServerProvider|OAuthProvider|oauth2ResourceServer|mcpServerOAuth2|AddMicrosoftIdentityWebApi|AcquireTokenOnBehalfOf|on_behalf_of|oauth2\.Config\b|clientcredentials\.Config|openid-client|oauth4webapi|simple-oauth2|\b(?:authlib|requests_oauthlib|oauthlib|httpx_auth|msal|google_auth_oauthlib|spotipy)\b|GoogleAuthorizationCodeFlow|GoogleCredential|OAuth2Client\b|SpotifyOAuth|PublicClientApplication|ConfidentialClientApplication|code_challenge|JWTVerifier|RemoteAuthProvider|auth_server_provider|AuthSettings|spring-boot-starter-oauth2|\.well-known/openid-configuration"#
    ))
});

/// The OAuth dance happens at run time in front of the user: a device code,
/// an interactive credential, a browser the server opens, a login command.
static OAUTH_FLOW: LazyLock<Regex> = LazyLock::new(|| {
    re(&format!(
        r#"(?i){}|{INTERACTIVE_OAUTH}"#,
        r#"open\(\s*(?:auth|authorization|login|verification)\w*(?:Url|_url|URL|Uri)|handleAuthorize|authorizeHandler|--login\b|\bSpotifyOAuth\(|run_local_server\(|LocalServerReceiver"#
    ))
});

/// Where an OAuth login keeps its tokens between runs: the libraries'
/// token caches and the files their quick-starts name.
static TOKEN_STORE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"CacheFileHandler|FileDataStoreFactory|\btoken\.(?:json|pickle)\b|\btokens\.json\b|\.credentials/|SerializableTokenCache|TokenCachePersistence|to_json\(\)\s*\)|credentials\.json\b|client_secrets?\.json\b"#,
    )
});

/// Opening a browser or URL: a login only when the lines around it speak of
/// one (it also opens docs, files and dashboards).
static BROWSER_OPEN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)webbrowser\.open|open_new_tab|shell\.openExternal|xdg-open|openBrowser|launch_?browser|browser\.Open|pkg/browser"#,
    )
});

/// Words of a login. Not "token": a setup step that opens the page where
/// the user creates a token to paste is no login at run time.
static LOGIN_WORD: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)auth|log ?in|sign ?in|oauth|verification|consent"#));

/// Pieces of an authorization-code exchange. One alone is often a server
/// that only verifies tokens or forwards a redirect setting; the server runs
/// the flow itself when two different pieces appear.
static OAUTH_FLOW_PART: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)authorization_code|/authorize\b|redirect_uri|/callback\b"#));

/// A credential a chain is told to skip (Azure Identity's
/// `ExcludeInteractiveBrowserCredential = true`) says the login will not
/// happen.
fn excluded(f: &File, m: &regex::Match) -> bool {
    f.text[..m.start()]
        .rsplit(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .is_some_and(|word| word.eq_ignore_ascii_case("exclude"))
}

pub fn scan(code: &[&File], found: &mut Findings, ev: &mut Ev) {
    let mut flow_parts: Vec<(String, &str, u32, &str)> = Vec::new();
    for f in code {
        if let Some(off) = first_use(&OAUTH, f) {
            if !found.oauth {
                ev.at(
                    "auth_methods",
                    "oauth",
                    f,
                    off,
                    "OAuth flow or resource-server construct",
                );
            }
            found.oauth = true;
        }
        if !found.oauth_flow {
            let strong = first_use_where(&OAUTH_FLOW, f, |m| !excluded(f, m)).or_else(|| {
                BROWSER_OPEN
                    .find_iter(f.text)
                    .map(|m| m.start())
                    .find(|&off| {
                        !is_comment(f.line_text(off)) && LOGIN_WORD.is_match(f.window(off, 3, 3))
                    })
            });
            if let Some(off) = strong {
                found.oauth_flow = true;
                ev.at(
                    "credential_sources",
                    "oauth_flow",
                    f,
                    off,
                    "interactive login at run time",
                );
            }
        }
        for m in OAUTH_FLOW_PART.find_iter(f.text) {
            let line = f.line_text(m.start());
            if is_comment(line) {
                continue;
            }
            let part = m.as_str().to_ascii_lowercase();
            if !flow_parts.iter().any(|(p, ..)| *p == part) {
                flow_parts.push((part, f.path, f.line_of(m.start()), line));
            }
        }
    }
    // One piece of an authorization-code exchange alone is often a server
    // that only verifies tokens or forwards a redirect setting; with two
    // different pieces the server runs the flow itself.
    if !found.oauth_flow && flow_parts.len() >= 2 {
        found.oauth_flow = true;
        let (part, path, line, text) = &flow_parts[1];
        ev.add(
            "credential_sources",
            "oauth_flow",
            path,
            *line,
            &format!("the server runs an authorization-code exchange ({part})"),
            text,
        );
    }
}

/// An OAuth construct makes OAuth a method; a login at run time makes the
/// flow a source, and the token cache it keeps a config file.
pub fn settle(code: &[&File], found: &mut Findings, ev: &mut Ev) {
    if !found.oauth {
        return;
    }
    found.methods.insert(AuthMethod::Oauth);
    if !found.oauth_flow {
        return;
    }
    found.sources.insert(CredentialSource::OauthFlow);
    if let Some((f, off)) = code
        .iter()
        .find_map(|f| first_use(&TOKEN_STORE, f).map(|off| (f, off)))
    {
        if found.sources.insert(CredentialSource::ConfigFile) {
            ev.at(
                "credential_sources",
                "config_file",
                f,
                off,
                "OAuth client secrets or tokens kept in a file",
            );
        }
    }
}
