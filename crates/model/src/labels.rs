use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// Error for a label string outside the schema's vocabulary.
#[derive(Debug, thiserror::Error)]
#[error("unknown {field} value {value:?}; expected one of: {expected}")]
pub struct UnknownLabel {
    pub field: &'static str,
    pub value: String,
    pub expected: String,
}

macro_rules! label_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownLabel;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownLabel {
                        field: $field,
                        value: s.to_string(),
                        expected: [$($text),+].join(", "),
                    }),
                }
            }
        }
    };
}

label_enum!(
    /// What a repository is.
    Kind, "kind" {
        Server => "server",
        Client => "client",
        Sdk => "sdk",
        List => "list",
        Other => "other",
    }
);

label_enum!(
    /// Which MCP implementation a server is built on.
    Sdk, "sdk" {
        TsOfficial => "ts-official",
        FastmcpTs => "fastmcp-ts",
        PyOfficial => "py-official",
        Fastmcp => "fastmcp",
        GoOfficial => "go-official",
        McpGo => "mcp-go",
        RustRmcp => "rust-rmcp",
        JavaOfficial => "java-official",
        SpringAi => "spring-ai",
        Quarkus => "quarkus",
        CsharpOfficial => "csharp-official",
        KotlinOfficial => "kotlin-official",
        SwiftOfficial => "swift-official",
        Php => "php",
        Ruby => "ruby",
        HandRolled => "hand-rolled",
        Other => "other",
    }
);

label_enum!(
    /// How a server talks to its clients.
    Transport, "transport" {
        Stdio => "stdio",
        Http => "http",
        Sse => "sse",
    }
);

label_enum!(
    /// Whether a server needs a secret from the person who runs it.
    Credentials, "credentials" {
        Required => "required",
        Optional => "optional",
        None => "none",
    }
);

label_enum!(
    /// How a server's secrets work.
    AuthMethod, "auth_methods" {
        ApiKey => "api_key",
        Pat => "pat",
        Oauth => "oauth",
        Basic => "basic",
        ConnectionString => "connection_string",
        CloudIam => "cloud_iam",
        KeyFile => "key_file",
        SessionCookie => "session_cookie",
        Other => "other",
    }
);

label_enum!(
    /// Where a server reads its secrets from.
    CredentialSource, "credential_sources" {
        Env => "env",
        ConfigFile => "config_file",
        CliArg => "cli_arg",
        Request => "request",
        Keychain => "keychain",
        OauthFlow => "oauth_flow",
        Hardcoded => "hardcoded",
    }
);

/// The labels of one repository, exactly the fields of docs/labels.md (without the
/// free-text evidence, which differs between a human label and a verdict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Labels {
    pub kind: Kind,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub sdk: BTreeSet<Sdk>,
    #[serde(default)]
    pub transport: BTreeSet<Transport>,
    pub credentials: Credentials,
    #[serde(default)]
    pub auth_methods: BTreeSet<AuthMethod>,
    #[serde(default)]
    pub credential_sources: BTreeSet<CredentialSource>,
    #[serde(default)]
    pub env_vars: BTreeSet<String>,
}

impl Labels {
    /// Labels of a repository that is not a server: the schema says the
    /// per-server fields are then empty and credentials `none`.
    pub fn non_server(kind: Kind, language: impl Into<String>) -> Self {
        Labels {
            kind,
            language: language.into(),
            sdk: BTreeSet::new(),
            transport: BTreeSet::new(),
            credentials: Credentials::None,
            auth_methods: BTreeSet::new(),
            credential_sources: BTreeSet::new(),
            env_vars: BTreeSet::new(),
        }
    }

    pub fn is_server(&self) -> bool {
        self.kind == Kind::Server
    }

    /// The study's "static API keys or PATs" bucket.
    pub fn has_static_key_or_pat(&self) -> bool {
        self.auth_methods.contains(&AuthMethod::ApiKey)
            || self.auth_methods.contains(&AuthMethod::Pat)
    }
}

/// One line of a labelled corpus file (`dev.jsonl`, a synthetic corpus's
/// `labels.jsonl`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelledRepo {
    /// `OWNER/NAME`.
    pub repo: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(flatten)]
    pub labels: Labels,
    #[serde(default)]
    pub evidence: String,
}

/// Why the classifier decided one label: the file, line, rule and text.
/// `matched` never holds a secret: hard-coded credentials are masked before
/// they reach evidence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Evidence {
    /// Which schema field this supports (`kind`, `auth_methods`, ...).
    pub field: String,
    /// The label value it supports (`server`, `oauth`, `GITHUB_TOKEN`, ...).
    pub value: String,
    pub file: String,
    /// 1-based line number; 0 when the evidence is about the file as a whole.
    pub line: u32,
    pub rule: String,
    pub matched: String,
}

/// The classifier's answer for one repository: its labels plus the evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    #[serde(flatten)]
    pub labels: Labels,
    pub evidence: Vec<Evidence>,
}

/// A repository's files as the classifier sees them: paths relative to the
/// repository root with `/` separators, contents decoded as UTF-8 (lossily).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoFiles {
    /// `OWNER/NAME` when known (a local checkout may not know it).
    #[serde(default)]
    pub full_name: Option<String>,
    /// Repository description from GitHub, when known.
    #[serde(default)]
    pub description: Option<String>,
    pub files: Vec<RepoFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoFile {
    pub path: String,
    pub text: String,
}

impl RepoFiles {
    pub fn get(&self, path: &str) -> Option<&RepoFile> {
        self.files.iter().find(|f| f.path == path)
    }
}

pub fn set_to_strings<T: fmt::Display>(set: &BTreeSet<T>) -> Vec<String> {
    set.iter().map(|v| v.to_string()).collect()
}

/// Parses stored label strings back into a set, failing on the first unknown.
pub fn strings_to_set<T: FromStr<Err = UnknownLabel> + Ord>(
    values: &[String],
) -> Result<BTreeSet<T>, UnknownLabel> {
    values.iter().map(|v| v.parse()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_corpus_line() {
        let line = r#"{"repo": "a/b", "commit": "abc", "kind": "server", "language": "TypeScript", "sdk": ["ts-official"], "transport": ["stdio", "http"], "credentials": "required", "auth_methods": ["pat"], "credential_sources": ["env", "config_file"], "env_vars": ["ATLASSIAN_API_TOKEN"], "evidence": "x"}"#;
        let parsed: LabelledRepo = serde_json::from_str(line).expect("valid line");
        assert_eq!(parsed.labels.kind, Kind::Server);
        assert!(parsed.labels.sdk.contains(&Sdk::TsOfficial));
        assert_eq!(parsed.labels.transport.len(), 2);
        assert!(parsed.labels.has_static_key_or_pat());
        let back = serde_json::to_value(&parsed).expect("serialises");
        assert_eq!(back["auth_methods"][0], "pat");
    }

    #[test]
    fn as_str_matches_serde_and_parse() {
        for sdk in Sdk::ALL {
            let json = serde_json::to_string(sdk).expect("serialises");
            assert_eq!(json, format!("\"{}\"", sdk.as_str()));
            assert_eq!(sdk.as_str().parse::<Sdk>().expect("parses"), *sdk);
        }
        let err = "apikey".parse::<AuthMethod>().expect_err("unknown value");
        assert!(err.to_string().contains("api_key"));
    }
}
