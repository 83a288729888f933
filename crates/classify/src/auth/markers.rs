//! Code that by itself shows one way the server gets or uses a credential:
//! a keychain or secret-manager client, a cloud credential chain, a key or
//! certificate file, browser session cookies. One table, one loop: each
//! marker is recorded once, from its first match outside a comment.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use mcp_survey_model::{AuthMethod, CredentialSource};
use regex::Regex;

use crate::ctx::{re, Ev, File};

static KEYCHAIN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\bkeyring\b|\bkeytar\b|@napi-rs/keyring|find-generic-password|add-generic-password|security-framework|SecKeychain|secret-service|libsecret|SecretClient|SecretsManager|secretsmanager|get_secret_value|SecretManagerServiceClient|CredentialManager|wincred|DPAPI"#,
    )
});

static CLOUD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?m)^\s*(?:import\s+boto3|from\s+boto3\b|import\s+aioboto3)|\bboto3\.(?:client|resource|Session|session)\b|@aws-sdk/|aws-sdk-go|aws_config::|aws-config|DefaultAzureCredential|ChainedTokenCredential|ManagedIdentityCredential|AzureCliCredential|@azure/identity|Azure\.Identity|azure\.identity|google\.auth\.default|GoogleAuth\(|application[_-]default[_ -]credentials|auth application-default|GOOGLE_APPLICATION_CREDENTIALS|credentials\.Default\(|google\.golang\.org/api/option|AWS_PROFILE|\(\s*profile_name\s*="#,
    )
});

/// Key files by their idioms and names; a glob (`"*.p12"`) filters files
/// of that kind and names no key.
static KEY_FILE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"load_cert_chain\([^)\n]*keyfile|(?i:client[_-]?cert(?:ificate)?)|clientKey(?:Path|File)\b|client_key_(?:path|file)|private_key_path|privateKeyPath|PRIVATE_KEY_PATH|SSH_KEY_PATH|ssh_key_path|ssh_private_key|sshPrivateKey|identity_?file|ServiceAccountCredentials|from_service_account_info|kubeconfig|KUBECONFIG|X509Certificate2\(|(?:[^*.]|[^*]\.)pkcs12|[\w-]\.p12["']"#,
    )
});

/// A cloud service account's JSON key opened by its path (Google's client
/// libraries take `keyFilename` or `from_service_account_file`): the key
/// lives in a file the operator places, so its source is a configuration
/// file.
static SERVICE_ACCOUNT_FILE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"service_account\.json|from_service_account_(?:json|file)|SERVICE_ACCOUNT_(?:FILE|PATH|KEY_FILE|KEY_PATH)\b|serviceAccountKeyFile|keyFilename"#,
    )
});

pub(super) static SESSION_COOKIE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)storage_state|storageState|add_cookies|addCookies|\.cookies\(\)|li_at|cookie_?jar|browser_cookie3|cookies\.json|saveCookies|save_cookies|load_cookies|loadCookies"#,
    )
});

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

static MARKERS: [Marker; 5] = [
    Marker {
        regex: &KEYCHAIN,
        marks: Marks::Source(CredentialSource::Keychain),
        also: None,
        why: "OS keychain or secret manager",
    },
    Marker {
        regex: &CLOUD,
        marks: Marks::Method(AuthMethod::CloudIam),
        also: Some(CredentialSource::ConfigFile),
        why: "cloud provider credential chain",
    },
    Marker {
        regex: &SERVICE_ACCOUNT_FILE,
        marks: Marks::Method(AuthMethod::KeyFile),
        also: Some(CredentialSource::ConfigFile),
        why: "service-account key file opened by its path",
    },
    Marker {
        regex: &KEY_FILE,
        marks: Marks::Method(AuthMethod::KeyFile),
        also: None,
        why: "private key, certificate or service-account file",
    },
    Marker {
        regex: &SESSION_COOKIE,
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
        } && marker.also.is_none_or(|s| sources.contains(&s));
        if recorded {
            continue;
        }
        let Some(off) = super::first_use(marker.regex, f) else {
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
        ev.at(field, value, f, off, marker.why);
    }
}
