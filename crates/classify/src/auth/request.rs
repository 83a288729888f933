//! Credentials that arrive with each request: an `Authorization` or API-key
//! header the server reads, a token verifier, a framework configured as an
//! OAuth resource server.

use std::sync::LazyLock;

use mcp_survey_model::{AuthMethod, CredentialSource};
use regex::Regex;

use super::env::name_constants;
use super::findings::Findings;
use super::{first_group, first_use, is_build_file, is_comment, is_config_text};
use crate::ctx::{re, Ev, File};
use crate::paths::Role;

/// The server reads a credential sent with each request.
static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:req|request|ctx\.request|context\.request|c\.req|event)\.headers?(?:\.get\(|\[|\.)\s*['"]?(?:authorization|x-[a-z0-9-]*(?:api-?key|token|auth)[a-z0-9-]*)|\.headers\.authorization\b|Header\.Get\(\s*"(?:Authorization|X-[A-Za-z-]*(?:Key|Token))"|getHeader\(\s*"(?:Authorization|X-[A-Za-z-]*(?:Key|Token))"|@RequestHeader|Request\.Headers\[\s*"(?:Authorization|X-)|requireBearerAuth|TokenVerifier|JWTVerifier|StaticTokenVerifier|AddJwtBearer|JwtBearerDefaults|oauth2ResourceServer|mcpServerOAuth2|(?:^|[^.\w])get_access_token\(\)|HTTPBearer|APIKeyHeader|extra\.authInfo|authInfo\?\.token|verifyAccessToken|BearerAuthBackend|AuthenticationMiddleware|RequireAuthorization\(|\[Authorize\]|(?i:\breq(?:uest)?\.(?:get|header)\(\s*['"](?:authorization|x-[a-z0-9-]*(?:api-?key|token|auth)[a-z0-9-]*)['"])|headers\(\)\s*\.get\(\s*(?:"(?:Authorization|authorization|[Xx]-[A-Za-z-]*(?:[Kk]ey|[Tt]oken))"|(?:header::|http::header::)?AUTHORIZATION)|Header\.Get\(\s*\w+\.Authorization\w*\)|oauth-protected-resource|ProtectedResourceMetadata|protected_resource_metadata|BearerMethodsSupported|bearer_methods_supported|\b\w*(?:token|key|auth\w*)\s*:\s*(?:str|Optional\[str\]|str\s*\|\s*None)\s*=\s*Header\(|Annotated\[\s*(?:str|Optional\[str\]|str\s*\|\s*None)\s*,\s*Header\(|\$_SERVER\[\s*['"]HTTP_(?:AUTHORIZATION|X_[A-Z_]*(?:KEY|TOKEN))['"]|->(?:get_)?header\(\s*['"](?:authorization|x-[a-z0-9-]*(?:api-?key|token))['"]|->bearerToken\(\)"#,
    )
});

/// Outbound header construction looks like inbound reading to the REQUEST
/// pattern; these mark the line as outbound.
static OUTBOUND: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)headers\s*[=:]\s*\{|\.set\(\s*['"]authorization|setHeader|\.headers\[\s*['"][\w-]+['"]\s*\]\s*=[^=]|Authorization:\s*`|Authorization["']?\s*:\s*f?["'`]Bearer|req\.Header\.(?:Set|Add)|Header\.Set|addHeader|\.header\(\s*["']Authorization["']\s*,|DefaultRequestHeaders"#,
    )
});

/// A custom credential header looked up in a request's headers map passed
/// around on its own (`headers['x-portal-token']`, `headers.get("x-api-key")`);
/// `response.headers[...]` is what an upstream answered, not a request.
static HEADER_INDEX: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:^|[^.\w])headers\s*(?:\[\s*|\.get\(\s*)['"]x-[a-z0-9-]*(?:api-?key|token|auth)[a-z0-9-]*['"]\s*[\])]"#,
    )
});

/// Framework accessors that hand a tool or middleware the current request's
/// headers as a whole: FastMCP's `get_http_headers()` (from
/// `fastmcp.server.dependencies`), the ASGI connection scope's `headers`
/// list, PHP's `getallheaders()`.
static HEADER_ACCESSOR: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"\bget_http_headers\(|\bscope(?:\[|\.get\()\s*b?["']headers["']|\bgetallheaders\(\)"#)
});

/// A credential header's name as a string: `"authorization"`,
/// `b"authorization"`, `"X-Acme-Token"`, `"x-api-key"`.
static CREDENTIAL_HEADER_NAME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\bb?["'](?:authorization|x-[a-z0-9-]*(?:api-?key|token|auth|password|secret)[a-z0-9-]*)["']"#,
    )
});

/// A request-header read whose argument is an identifier.
static HEADER_READ_IDENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i:headers?)\.get\(\s*([A-Za-z_][A-Za-z0-9_]*)\b|headers\[\s*([A-Za-z_][A-Za-z0-9_]*)\s*\]|getHeader\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)|Header\.Get\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)"#,
    )
});

/// An inbound request's header looked up by a field or table entry
/// (`r.Header.Get(svc.headerKey)`, `request.headers.get(spec.header)`):
/// the names come from the constants the file defines.
static INBOUND_HEADER_READ_BY_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"\b(?:r|req|request)\.Header\.Get\(\s*[A-Za-z_]\w*\.[A-Za-z_]\w*\s*\)|\b(?:req|request)\.headers(?:\.get\(|\[)\s*[A-Za-z_]\w*\.[A-Za-z_]\w*\s*[)\],]"#,
    )
});

static AUTH_HEADER_NAME: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)^(?:authorization|(?:x-)?[a-z0-9-]*(?:api-?key|-token|-auth)[a-z0-9-]*)$"#)
});

static RESOURCE_SERVER_CONFIG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"spring\.security\.oauth2\.resourceserver\.|spring-boot-starter-(?:security-)?oauth2-resource-server|\bquarkus\.oidc\.auth-server-url|<artifactId>quarkus-oidc</artifactId>|\bmp\.jwt\.verify\."#,
    )
});

pub fn scan(code: &[&File], found: &mut Findings, ev: &mut Ev) {
    for f in code {
        if !found.request {
            let indirect = header_through_constant(f)
                .map(|off| (off, "server reads a credential header named by a constant"))
                .or_else(|| {
                    headers_through_accessor(f).map(|off| {
                        (
                            off,
                            "server takes the request's headers and looks up a credential header",
                        )
                    })
                });
            if let Some((off, rule)) = indirect {
                found.request = true;
                ev.at("credential_sources", "request", f, off, rule);
            }
        }
        if let Some(m) = REQUEST
            .find_iter(f.text)
            .chain(
                HEADER_INDEX
                    .find_iter(f.text)
                    .filter(|m| !assigned_to(f.text, m.end())),
            )
            .find(|m| {
                let line = f.line_text(m.start());
                !is_comment(line) && !OUTBOUND.is_match(line)
            })
        {
            if !found.request {
                ev.at(
                    "credential_sources",
                    "request",
                    f,
                    m.start(),
                    "server reads a credential from each request",
                );
            }
            found.request = true;
            let s = m.as_str();
            if s.contains("Verifier")
                || s.contains("Bearer")
                || s.contains("ResourceServer")
                || s.contains("OAuth2")
            {
                found.resource_server = true;
            }
        }
    }
}

/// Frameworks configured as an OAuth resource server verify a bearer token
/// on every request: Spring Security's resource-server starter and
/// `spring.security.oauth2.resourceserver.*`, Quarkus OIDC, MicroProfile JWT.
pub fn resource_server_config(scope: &[&File], found: &mut Findings, ev: &mut Ev) {
    let Some((f, off)) = scope
        .iter()
        .filter(|f| f.role == Role::Core && (is_config_text(f) || is_build_file(f)))
        .find_map(|f| first_use(&RESOURCE_SERVER_CONFIG, f).map(|off| (f, off)))
    else {
        return;
    };
    found.resource_server = true;
    found.request = true;
    if !found.oauth {
        ev.at(
            "auth_methods",
            "oauth",
            f,
            off,
            "framework configured as an OAuth resource server",
        );
    }
    found.oauth = true;
}

/// A request credential is an API key unless an OAuth construct or a token
/// verifier says it is an OAuth bearer token.
pub fn settle(found: &mut Findings) {
    if found.request {
        found.sources.insert(CredentialSource::Request);
        if !found.methods.contains(&AuthMethod::Oauth) && !found.resource_server {
            found.methods.insert(AuthMethod::ApiKey);
        }
    }
}

/// Where an inbound credential header is read through a name constant
/// (`const TOKEN_HEADER = "x-api-token"; req.headers.get(TOKEN_HEADER)`),
/// directly or through a table of header specs built from such constants.
fn header_through_constant(f: &File) -> Option<usize> {
    if !HEADER_READ_IDENT.is_match(f.text) && !INBOUND_HEADER_READ_BY_FIELD.is_match(f.text) {
        return None;
    }
    let defs = name_constants(f);
    if defs.is_empty() {
        return None;
    }
    if defs.values().any(|v| AUTH_HEADER_NAME.is_match(v)) {
        if let Some(m) = INBOUND_HEADER_READ_BY_FIELD
            .find_iter(f.text)
            .find(|m| !is_comment(f.line_text(m.start())))
        {
            return Some(m.start());
        }
    }
    HEADER_READ_IDENT.captures_iter(f.text).find_map(|c| {
        let id = first_group(&c)?;
        (defs
            .get(id.as_str())
            .is_some_and(|v| AUTH_HEADER_NAME.is_match(v))
            && !OUTBOUND.is_match(f.line_text(id.start())))
        .then(|| id.start())
    })
}

/// Where a file takes the current request's headers through a framework
/// accessor and names a credential header in code.
fn headers_through_accessor(f: &File) -> Option<usize> {
    let accessor = first_use(&HEADER_ACCESSOR, f)?;
    CREDENTIAL_HEADER_NAME
        .find_iter(f.text)
        .any(|m| {
            let line = f.line_text(m.start());
            !is_comment(line) && !OUTBOUND.is_match(line)
        })
        .then_some(accessor)
}

/// Is the expression ending at `end` the target of an assignment (a client
/// setting an outbound header) rather than read?
pub(super) fn assigned_to(text: &str, end: usize) -> bool {
    let rest = text[end..].trim_start_matches([' ', '\t']);
    rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>")
}
