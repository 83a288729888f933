//! What an environment variable, flag or setting name says about a secret.

use mcp_survey_model::AuthMethod;

/// Trailing name parts that make a name describe something other than the
/// secret itself (where to find it, how long it lives, who owns it).
const NOT_SECRET_SUFFIX: &[&str] = &[
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "HOSTNAME",
    "PORT",
    "PATH",
    "FILE",
    "DIR",
    "FOLDER",
    "NAME",
    "USER",
    "USERNAME",
    "EMAIL",
    "LOGIN",
    "TYPE",
    "MODE",
    "TTL",
    "EXPIRY",
    "EXPIRES",
    "EXPIRATION",
    "TIMEOUT",
    "HEADER",
    "PREFIX",
    "LIMIT",
    "LIMITS",
    "COUNT",
    "MAX",
    "MIN",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "REGION",
    "PROFILE",
    "SCOPE",
    "SCOPES",
    "LENGTH",
    "SIZE",
    "AUDIENCE",
    "ISSUER",
    "ID",
    "IDS",
    "VERSION",
    "FORMAT",
    "LOCATION",
    "ALGORITHM",
    "ALG",
    "FIELD",
    "PARAM",
    "LIFETIME",
    "DURATION",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "DAYS",
    "CACHE",
    "REFRESH",
    "INTERVAL",
    "STORE",
    "STORAGE",
    "PROVIDER",
    "METHOD",
    "STRATEGY",
    "REQUIRED",
    "SOURCE",
    "ENV",
    "BUDGET",
    "RATIO",
    "THRESHOLD",
    "TOKENS",
    "KEYS",
    "ARN",
    "VAULT",
    "COMMAND",
    "CMD",
    "LEVEL",
    "DEBUG",
];

/// Name parts that, at the end of a name, mark it as a secret.
const SECRET_TAIL: &[&str] = &[
    "TOKEN",
    "KEY",
    "APIKEY",
    "SECRET",
    "PASSWORD",
    "PASS",
    "PWD",
    "PASSWD",
    "PASSPHRASE",
    "CREDENTIALS",
    "CREDENTIAL",
    "COOKIE",
    "COOKIES",
    "PAT",
    "DSN",
    "AUTH",
];

/// `_KEY` names that are not keys to anything.
/// Telemetry and error-reporting settings whose "keys" and connection
/// strings identify a project rather than authenticate anyone.
const TELEMETRY: &[&str] = &[
    "SENTRY",
    "APPLICATIONINSIGHTS",
    "INSIGHTS",
    "TELEMETRY",
    "OTEL",
    "POSTHOG",
    "SEGMENT",
    "DATADOG",
    "MIXPANEL",
    "AMPLITUDE",
    "VITE",
    "NEXT",
    "REACT",
];

const KEY_NOT_SECRET: &[&str] = &[
    "TAG",
    "PUBLISH",
    "SUBSCRIBE",
    "CONSUMER",
    "CLIENT",
    "LICENSE",
    "DEDUP",
    "CURSOR",
    "STATE",
    "CACHE",
    "SORT",
    "PRIMARY",
    "PARTITION",
    "ROW",
    "IDEMPOTENCY",
    "PUBLIC",
    "LOOKUP",
    "MAP",
    "HOT",
    "OBJECT",
    "S3",
    "PUBLISHABLE",
    "SITE",
    "ANON",
    "ROUTING",
    "GROUP",
    "SEARCH",
    "INDEX",
    "MODEL",
];

/// What a secret-bearing name says about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamedSecret {
    /// A credential for a service, of this kind.
    Credential(AuthMethod),
    /// The server's own signing, encryption or session secret: set by the
    /// operator, but no way to authenticate to anything.
    ServerOwn,
}

impl NamedSecret {
    /// The authentication method, for a credential.
    pub fn method(self) -> Option<AuthMethod> {
        match self {
            NamedSecret::Credential(m) => Some(m),
            NamedSecret::ServerOwn => None,
        }
    }
}

/// Words that name one of the keys a rotation keeps side by side.
const ROTATION_SLOTS: &[&str] = &[
    "PREVIOUS",
    "OLD",
    "NEXT",
    "NEW",
    "CURRENT",
    "PRIMARY",
    "SECONDARY",
];

/// Does this upper-case name carry a secret, and of what kind?
/// `None` when it is not a secret.
pub fn secret_method(name: &str) -> Option<NamedSecret> {
    let up = name.to_ascii_uppercase().replace(['-', '.'], "_");
    let mut parts: Vec<&str> = up.split('_').filter(|p| !p.is_empty()).collect();
    // A numbered slot of the same secret (`GITHUB_TOKEN_2`, `API_KEY_1`,
    // kept for rotation or several accounts) is that secret, and so is
    // the key a rotation keeps beside the current one
    // (`SIGNING_SECRET_PREVIOUS`, `STORAGE_KEY_SECONDARY`).
    while parts.len() > 1
        && parts
            .last()
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()) || ROTATION_SLOTS.contains(p))
    {
        parts.pop();
    }
    let last = *parts.last()?;
    let has = |p: &str| parts.contains(&p);
    let joined = parts.join("_");
    if parts.first() == Some(&"TEST")
        || has("TEST")
        || parts.iter().any(|p| TELEMETRY.contains(p)) && !has("TOKEN")
    {
        return None;
    }
    // Not secrets: settings of the cloud SDKs that point at or choose
    // credentials (a path for Google ADC, Azure Identity's chain selector),
    // and the shell's working directories (POSIX sets PWD and OLDPWD for
    // every process).
    if matches!(
        joined.as_str(),
        "GOOGLE_APPLICATION_CREDENTIALS" | "AZURE_TOKEN_CREDENTIALS" | "PWD" | "OLDPWD"
    ) {
        return None;
    }
    // CORS's "credentials" is a browser switch (Access-Control-Allow-
    // Credentials), and `OPENAI_API_KEY_ENV_KEY` holds the name of the
    // environment key that carries a secret, not the secret: neither is
    // one.
    if has("CORS")
        || (last == "KEY"
            && parts.len() >= 3
            && matches!(parts[parts.len() - 2], "ENV" | "VAR")
            && secret_method(&parts[..parts.len() - 2].join("_")).is_some())
    {
        return None;
    }
    if let Some(method) = well_known(&parts, &joined, last) {
        return Some(NamedSecret::Credential(method));
    }
    let tail = secret_tail(&parts, last)?;
    kind_of(&parts, &joined, tail)
}

/// Names whose whole shape says what they hold: MTProto app hashes and
/// sessions, the AWS chain's variables, database URLs.
fn well_known(parts: &[&str], joined: &str, last: &str) -> Option<AuthMethod> {
    // MTProto clients (Telethon, Pyrogram, GramJS) authenticate an app
    // with its api_hash and a user with an exported string session.
    if joined.ends_with("API_HASH") {
        return Some(AuthMethod::ApiKey);
    }
    if joined.ends_with("SESSION_STRING") || joined.ends_with("SESSION_STRINGS") {
        return Some(AuthMethod::SessionCookie);
    }
    // Cloud credential chains carry their own well-known names.
    if matches!(
        joined,
        "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" | "AWS_SESSION_TOKEN"
    ) {
        return Some(AuthMethod::CloudIam);
    }
    // Database URLs carry user and password.
    let db = [
        "DATABASE",
        "DB",
        "POSTGRES",
        "POSTGRESQL",
        "PG",
        "MYSQL",
        "MONGO",
        "MONGODB",
        "MSSQL",
        "SQL",
        "MARIADB",
    ];
    if (matches!(last, "URL" | "URI" | "DSN")
        && parts.len() >= 2
        && db.contains(&parts[parts.len() - 2]))
        || joined.ends_with("CONNECTION_STRING")
        || joined.ends_with("CONN_STR")
        || joined.ends_with("CONNECTIONSTRING")
    {
        return Some(AuthMethod::ConnectionString);
    }
    None
}

/// The word that makes the name a secret (`KEY`, `TOKEN`, `PASSWORD`, …),
/// looking past `_VALUE`/`_B64` and `SECRET_ID`; `None` when the name holds
/// no secret.
fn secret_tail<'p>(parts: &[&'p str], last: &'p str) -> Option<&'p str> {
    let has = |p: &str| parts.contains(&p);
    // `X_SECRET_ID` is half of a key pair in some clouds' APIs.
    let effective_last = if last == "ID" && parts.len() >= 2 && parts[parts.len() - 2] == "SECRET" {
        "SECRET"
    } else if matches!(last, "VALUE" | "B64" | "BASE64") && parts.len() >= 2 {
        parts[parts.len() - 2]
    } else {
        last
    };
    if effective_last == "DSN" {
        return None;
    }
    if NOT_SECRET_SUFFIX.contains(&effective_last) {
        return None;
    }
    if !SECRET_TAIL.contains(&effective_last) {
        return None;
    }
    if effective_last == "KEY" {
        if parts.len() >= 2 && KEY_NOT_SECRET.contains(&parts[parts.len() - 2]) {
            return None;
        }
        if parts.len() == 1 {
            return None;
        }
    }
    if effective_last == "AUTH" && !(has("BASIC") || has("HTTP")) {
        return None;
    }
    if matches!(effective_last, "PASS") && parts.len() == 1 {
        return None;
    }
    Some(effective_last)
}

/// The kind of credential a secret name holds, or the server's own secret;
/// `None` for the key of the server's own HTTPS listener.
fn kind_of(parts: &[&str], joined: &str, effective_last: &str) -> Option<NamedSecret> {
    let has = |p: &str| parts.contains(&p);
    // The server's own signing and encryption material, not a credential
    // someone hands it; still a secret the operator sets.
    // Django and Flask sign sessions with `SECRET_KEY`; Auth.js and
    // Better Auth encrypt their own tokens with `AUTH_SECRET`,
    // `NEXTAUTH_SECRET`, `BETTER_AUTH_SECRET`; Fernet, AES and HMAC keys
    // encrypt or sign what the server stores.
    if has("JWT")
        || has("SIGNING")
        || has("ENCRYPTION")
        || has("ENCRYPT")
        || has("CIPHER")
        || has("FERNET")
        || has("AES")
        || has("HMAC")
        || joined == "SECRET_KEY"
        || matches!(
            joined,
            "AUTH_SECRET" | "NEXTAUTH_SECRET" | "BETTER_AUTH_SECRET"
        )
        || (has("COOKIE") && has("SECRET"))
        || (has("SESSION") && has("SECRET"))
        || has("STATE")
    {
        if has("PRIVATE") {
            return Some(NamedSecret::Credential(AuthMethod::KeyFile));
        }
        return Some(NamedSecret::ServerOwn);
    }
    // The key of the server's own HTTPS listener (usually where to find
    // its PEM, or the password of its key file): it serves TLS and
    // authenticates to nothing. A TLS key beside a datastore or broker, or
    // called a client's, is a client certificate (mutual TLS) instead.
    let datastore = [
        "SQL",
        "SQLDB",
        "DB",
        "DATABASE",
        "POSTGRES",
        "PG",
        "MYSQL",
        "MARIADB",
        "MONGO",
        "MONGODB",
        "REDIS",
        "KAFKA",
        "AMQP",
        "RABBITMQ",
        "NATS",
        "ELASTIC",
        "ELASTICSEARCH",
        "CLIENT",
        "MTLS",
        "LDAP",
        "SMTP",
        "IMAP",
    ];
    let listener_tls = has("HTTPS")
        || ((has("SSL") || has("TLS")) && !parts.iter().any(|p| datastore.contains(p)));
    if listener_tls
        && (matches!(effective_last, "KEY" | "CERT" | "PASSPHRASE" | "KEYFILE")
            || (has("KEYFILE") && effective_last == "PASSWORD"))
    {
        return None;
    }
    if has("PRIVATE")
        || has("CERT")
        || (matches!(effective_last, "KEY") && (has("SSH") || has("SSL") || has("TLS")))
    {
        return Some(NamedSecret::Credential(AuthMethod::KeyFile));
    }
    if has("OAUTH")
        || has("OAUTH2")
        || (has("CLIENT") && effective_last == "SECRET")
        || has("REFRESH")
        || has("CONSUMER")
    {
        return Some(NamedSecret::Credential(AuthMethod::Oauth));
    }
    if matches!(
        effective_last,
        "PASSWORD" | "PASS" | "PWD" | "PASSWD" | "PASSPHRASE"
    ) {
        return Some(NamedSecret::Credential(AuthMethod::Basic));
    }
    if matches!(effective_last, "COOKIE" | "COOKIES")
        || (has("SESSION") && effective_last == "TOKEN")
    {
        return Some(NamedSecret::Credential(AuthMethod::SessionCookie));
    }
    if effective_last == "PAT" || has("PERSONAL") {
        return Some(NamedSecret::Credential(AuthMethod::Pat));
    }
    // Services whose tokens act as the user (SCHEMA: GitHub, GitLab, Azure
    // DevOps, Atlassian, Home Assistant).
    let user_services = [
        "GITHUB",
        "GH",
        "GITLAB",
        "GL",
        "ATLASSIAN",
        "JIRA",
        "CONFLUENCE",
        "BITBUCKET",
        "HA",
        "HASS",
        "HOMEASSISTANT",
        "ADO",
        "AZDO",
        "DEVOPS",
        "GITEA",
        "FORGEJO",
    ];
    if matches!(effective_last, "TOKEN") && parts.iter().any(|p| user_services.contains(p)) {
        return Some(NamedSecret::Credential(AuthMethod::Pat));
    }
    // Services whose docs issue API keys or tokens from a user's own
    // account settings, acting as that user: Redmine's "API access key"
    // under My account, NetBox user tokens, Asana, Figma, Airtable and
    // Databricks personal access tokens, Todoist and ClickUp personal API
    // tokens, Linear personal API keys, Backlog keys from personal settings,
    // Jenkins user API tokens, openHAB user tokens.
    let per_user_keys = [
        "REDMINE",
        "NETBOX",
        "ASANA",
        "FIGMA",
        "AIRTABLE",
        "DATABRICKS",
        "TODOIST",
        "CLICKUP",
        "LINEAR",
        "BACKLOG",
        "JENKINS",
        "OPENHAB",
    ];
    if matches!(effective_last, "TOKEN" | "KEY" | "APIKEY")
        && parts.iter().any(|p| per_user_keys.contains(p))
    {
        return Some(NamedSecret::Credential(AuthMethod::Pat));
    }
    Some(NamedSecret::Credential(AuthMethod::ApiKey))
}

/// Lower-case flag or field names: `api-key`, `access_token`, `password`.
pub fn flag_is_secret(flag: &str) -> bool {
    let up = flag
        .trim_start_matches('-')
        .to_ascii_uppercase()
        .replace(['-', '.'], "_");
    // A switch that acts on secrets (`--show-secret`, `--no-token`,
    // `--rotate-key`) takes no secret itself.
    const ACTIONS: &[&str] = &[
        "SHOW", "HIDE", "PRINT", "REVEAL", "MASK", "REDACT", "NO", "SKIP", "GENERATE", "ROTATE",
        "RESET", "CLEAR", "VALIDATE", "CHECK", "LIST", "DISABLE", "ENABLE",
    ];
    if up
        .split('_')
        .next()
        .is_some_and(|first| ACTIONS.contains(&first))
        && up.contains('_')
    {
        return false;
    }
    // A bare `--key` or `--token` is a secret too.
    if matches!(
        up.as_str(),
        "TOKEN" | "APIKEY" | "PASSWORD" | "SECRET" | "PAT"
    ) {
        return true;
    }
    secret_method(&up).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        assert_eq!(
            secret_method("BRAVE_API_KEY"),
            Some(NamedSecret::Credential(AuthMethod::ApiKey))
        );
        assert_eq!(
            secret_method("GITHUB_PERSONAL_ACCESS_TOKEN"),
            Some(NamedSecret::Credential(AuthMethod::Pat))
        );
        assert_eq!(
            secret_method("JIRA_API_TOKEN"),
            Some(NamedSecret::Credential(AuthMethod::Pat))
        );
        assert_eq!(
            secret_method("MYSQL_PASSWORD"),
            Some(NamedSecret::Credential(AuthMethod::Basic))
        );
        assert_eq!(
            secret_method("DATABASE_URL"),
            Some(NamedSecret::Credential(AuthMethod::ConnectionString))
        );
        assert_eq!(
            secret_method("OAUTH_CLIENT_SECRET"),
            Some(NamedSecret::Credential(AuthMethod::Oauth))
        );
        assert_eq!(
            secret_method("AWS_SECRET_ACCESS_KEY"),
            Some(NamedSecret::Credential(AuthMethod::CloudIam))
        );
        assert_eq!(secret_method("JWT_SECRET"), Some(NamedSecret::ServerOwn));
        for own in [
            "STORE_ENCRYPTION_KEY",
            "SECRET_KEY",
            "NEXTAUTH_SECRET",
            "APP_ENCRYPT_KEY",
            "TOKEN_FERNET_KEY",
            "WEBHOOK_HMAC_SECRET",
        ] {
            assert_eq!(secret_method(own), Some(NamedSecret::ServerOwn), "{own}");
        }
        assert_eq!(
            secret_method("REDMINE_API_KEY"),
            Some(NamedSecret::Credential(AuthMethod::Pat))
        );
        // A crypto-market service's key is a credential like any other.
        assert_eq!(
            secret_method("CRYPTO_API_KEY"),
            Some(NamedSecret::Credential(AuthMethod::ApiKey))
        );
        assert_eq!(secret_method("MCP_HTTPS_KEY"), None);
        // Switches that act on secrets take none.
        for switch in ["--show-secret", "show_token", "--no-token", "--rotate-key"] {
            assert!(!flag_is_secret(switch), "{switch}");
        }
        assert!(flag_is_secret("--api-key"));
        assert!(flag_is_secret("refresh_token"));
        // The listener's own TLS key and its password; a datastore's or a
        // client's TLS key is a client certificate.
        assert_eq!(secret_method("SSL_KEY"), None);
        assert_eq!(secret_method("APP_SSL_KEY"), None);
        assert_eq!(secret_method("APP_HTTP_SSL_KEYFILE_PASSWORD"), None);
        assert_eq!(
            secret_method("KAFKA_SSL_KEY"),
            Some(NamedSecret::Credential(AuthMethod::KeyFile))
        );
        assert_eq!(
            secret_method("CLIENT_TLS_KEY"),
            Some(NamedSecret::Credential(AuthMethod::KeyFile))
        );
        assert_eq!(
            secret_method("SQLDB_SSL_KEY"),
            Some(NamedSecret::Credential(AuthMethod::KeyFile))
        );
        assert_eq!(
            secret_method("HUNYUAN_SECRET_ID"),
            Some(NamedSecret::Credential(AuthMethod::ApiKey))
        );
        assert_eq!(
            secret_method("PROXMOX_TOKEN_VALUE"),
            Some(NamedSecret::Credential(AuthMethod::ApiKey))
        );
        for not in [
            "MAX_TOKENS",
            "API_BASE_URL",
            "TOKEN_URL",
            "CLIENT_ID",
            "AWS_REGION",
            "AWS_PROFILE",
            "MYSQL_USER",
            "KEY_PATH",
            "CACHE_KEY",
            "PORT",
            "CORS_ALLOW_CREDENTIALS",
            "OPENAI_API_KEY_ENV_KEY",
            "SLACK_TOKEN_VAR_KEY",
        ] {
            assert_eq!(secret_method(not), None, "{not}");
        }
        // A product's own key for its env files is a secret.
        assert!(secret_method("ACME_ENV_KEY").is_some());
    }

    #[test]
    fn a_numbered_slot_is_the_secret_it_numbers() {
        assert_eq!(
            secret_method("GITHUB_TOKEN_2"),
            Some(NamedSecret::Credential(AuthMethod::Pat))
        );
        assert_eq!(
            secret_method("ACME_INTERNAL_KEY_2"),
            secret_method("ACME_INTERNAL_KEY")
        );
        assert!(secret_method("ACME_INTERNAL_KEY_2").is_some());
        // So is the key a rotation keeps beside the current one.
        assert_eq!(
            secret_method("ACME_SIGNING_SECRET_PREVIOUS"),
            secret_method("ACME_SIGNING_SECRET")
        );
        assert!(secret_method("ACME_STORAGE_KEY_SECONDARY").is_some());
        assert_eq!(secret_method("ACME_RELEASE_PREVIOUS"), None);
        // A number alone, or after a word that holds no secret, is none.
        assert_eq!(secret_method("KEY_2"), None);
        assert_eq!(secret_method("WORKER_COUNT_4"), None);
    }

    #[test]
    fn flags() {
        assert!(flag_is_secret("--api-key"));
        assert!(flag_is_secret("--access-token"));
        assert!(flag_is_secret("password"));
        assert!(!flag_is_secret("--token-url"));
        assert!(!flag_is_secret("--port"));
    }
}
