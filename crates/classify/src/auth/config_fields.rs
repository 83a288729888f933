//! Secrets that live as fields of a configuration file the server parses
//! at start: Go struct tags, serde structs, .NET options classes, Java
//! `@ConfigProperty`/`@Value` settings, and keys read from a parsed
//! JSON/YAML/TOML document. The operator writes them into that file, so
//! their source is `config_file`; .NET binds the same keys from
//! `Section__Key` environment variables too.

use std::sync::LazyLock;

use mcp_survey_model::AuthMethod;
use regex::Regex;

use crate::ctx::{re, File};
use crate::names::{flag_is_secret, secret_method};

use super::request::assigned_to;

pub struct ConfigSecret {
    /// Index of the file in the slice given to `collect`.
    pub file: usize,
    /// The setting's name; for .NET options the `Section__Key` variable.
    pub name: String,
    /// Also settable through an environment variable of that name.
    pub env: bool,
    pub method: Option<AuthMethod>,
    pub offset: usize,
    pub rule: &'static str,
}

/// The file reads and decodes a configuration document.
static LOADS_CONFIG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"JSON\.parse\(|yaml\.(?:safe_load|load|Unmarshal|NewDecoder)|json\.(?:load|Unmarshal|NewDecoder)\(|toml\.(?:load|loads|Decode|DecodeFile|Unmarshal)\(|tomllib\.load|toml::from_str|serde_json::from_(?:str|reader|slice)|serde_yaml::from_|ConfigParser\(|viper\.(?:ReadInConfig|Unmarshal)|\.ReadInConfig\(|koanf|confy::load|config::Config::builder|JsonSerializer\.Deserialize|JsonConvert\.DeserializeObject|readValue\(|Yaml\(\)\.load|new Yaml\(|Properties\(\)|\.load\(\s*new FileInputStream|PropertyListDecoder|JSONDecoder\(\)\.decode"#,
    )
});

/// The file opens a file (the decoder may otherwise parse API responses).
static READS_FILE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"readFileSync\(|readFile\(|os\.ReadFile\(|ioutil\.ReadFile\(|os\.Open\(|fs::read_to_string\(|File::open\(|\bopen\(|read_text\(|viper\.|koanf|confy::|config::Config::builder|File\.ReadAllText|Files\.read|FileInputStream|Bundle\.main|contentsOf:"#,
    )
});

/// The module reads environment variables itself.
static READS_ENV: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"\benv::var(?:_os)?\(|\bstd::env::vars\(|\bos\.(?:Getenv|LookupEnv)\(|ProcessInfo\.processInfo\.environment|\benvy::"#,
    )
});

/// Go struct tags of decoders: `yaml:"password"`, `mapstructure:"token"`.
static GO_TAG: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"\b(?:yaml|json|toml|mapstructure|koanf|ini|hcl):"([A-Za-z][A-Za-z0-9_-]*)"#)
});

/// Struct or class fields: `pub api_key: String`, `password: Option<String>`,
/// `apiKey: string;`, `let token: String`, `val password: String`.
static TYPED_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?m)^\s*(?:pub(?:\(crate\))?\s+|readonly\s+|public\s+|private\s+|let\s+|var\s+|val\s+)?([A-Za-z_][A-Za-z0-9_]*)\??\s*:\s*(?:Option<\s*)?(?:String|string|str|SecretString|Secret<String>)\b"#,
    )
});

/// Keys read from a parsed document: `config["password"]`,
/// `cfg.get("api_key")`, `config.authToken`, `settings.password`.
static DOC_KEY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"\b(?:config|cfg|conf|settings|configuration|creds|credentials|server_config|serverConfig)(?:\[\s*['"]([a-z][A-Za-z0-9_-]*)['"]\s*\]|\.get\(\s*['"]([a-z][A-Za-z0-9_-]*)['"]|\??\.([a-z][A-Za-z0-9_]*)\b)"#,
    )
});

/// Java/Kotlin settings injected from properties files.
static JVM_SETTING: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"@ConfigProperty\(\s*name\s*=\s*"([A-Za-z0-9_.-]+)"|@Value\(\s*"\$\{([A-Za-z0-9_.-]+)(?::[^}]*)?\}"\s*\)"#,
    )
});

/// .NET options bound to a configuration section.
static DOTNET_BIND: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:AddOptions|Configure)<(\w+)>\(\s*\)?[\s.]*(?:Bind(?:Configuration)?\(\s*)?(?:\w+\.)*GetSection\(\s*"([A-Za-z0-9:_]+)"\s*\)|(?:AddOptions|Configure)<(\w+)>\(\s*\)\s*\.BindConfiguration\(\s*"([A-Za-z0-9:_]+)"\s*\)"#,
    )
});
static DOTNET_PROPERTY: LazyLock<Regex> =
    LazyLock::new(|| re(r#"public\s+(?:required\s+)?string\??\s+([A-Z][A-Za-z0-9]*)\s*\{\s*get;"#));

/// A setting name that holds a secret, and of what kind.
fn method_of(name: &str) -> Option<Option<AuthMethod>> {
    let snake = super::camel_to_snake(name.rsplit(['.', ':']).next().unwrap_or(name));
    if let Some(m) = secret_method(&snake) {
        return Some(m.method());
    }
    if flag_is_secret(&snake) {
        return Some(Some(match snake.as_str() {
            "PASSWORD" => AuthMethod::Basic,
            _ => AuthMethod::ApiKey,
        }));
    }
    None
}

/// The kind of secret a setting holds, read in the file that declares it.
fn setting_method(f: &File, name: &str) -> Option<Option<AuthMethod>> {
    let method = method_of(name)?;
    // The fields of an OAuth token response (RFC 6749 section 5.1) kept in
    // a token cache: the token came from an OAuth flow.
    let token_response = f.text.contains("refresh_token")
        || f.text.contains("expires_in")
        || f.text.contains("token_type");
    let oauth_token = matches!(
        super::camel_to_snake(name).as_str(),
        "ACCESS_TOKEN" | "REFRESH_TOKEN" | "ID_TOKEN"
    );
    Some(if token_response && oauth_token {
        Some(AuthMethod::Oauth)
    } else {
        method
    })
}

/// Secret settings of the configuration files these sources parse.
pub fn collect(code: &[&File]) -> Vec<ConfigSecret> {
    let mut out = Vec::new();
    let mut push = |name: &str, env: bool, offset: usize, rule: &'static str, file: usize| {
        let f: &File = code[file];
        if super::is_comment(f.line_text(offset)) {
            return;
        }
        if let Some(method) = setting_method(f, name) {
            out.push(ConfigSecret {
                file,
                name: name.to_string(),
                env,
                method,
                offset,
                rule,
            });
        }
    };
    let decoded = decoded_from_a_file(code);
    for (i, f) in code.iter().enumerate() {
        let loads = decoded[i];
        if loads && f.lang == Some("Go") {
            for c in GO_TAG.captures_iter(f.text) {
                if let Some(m) = c.get(1) {
                    push(
                        m.as_str(),
                        false,
                        m.start(),
                        "secret field of a decoded config struct",
                        i,
                    );
                }
            }
        }
        // serde and Codable decode straight into typed structs.
        if loads
            && matches!(f.lang, Some("Rust" | "Swift"))
            && (f.text.contains("Deserialize")
                || f.text.contains("Decodable")
                || f.text.contains("Codable"))
        {
            for c in TYPED_FIELD.captures_iter(f.text) {
                if let Some(m) = c.get(1) {
                    push(
                        m.as_str(),
                        false,
                        m.start(),
                        "secret field of a parsed config file",
                        i,
                    );
                }
            }
        }
        if loads {
            for c in DOC_KEY.captures_iter(f.text) {
                // `config.apiKey = key` fills the object in; only a read
                // takes a secret from the document.
                if c.get(0)
                    .is_some_and(|whole| assigned_to(f.text, whole.end()))
                {
                    continue;
                }
                if let Some(m) = c.iter().skip(1).flatten().next() {
                    push(
                        m.as_str(),
                        false,
                        m.start(),
                        "secret key read from a parsed config file",
                        i,
                    );
                }
            }
        }
        if matches!(f.lang, Some("Java" | "Kotlin")) {
            for c in JVM_SETTING.captures_iter(f.text) {
                if let Some(m) = c.iter().skip(1).flatten().next() {
                    push(
                        m.as_str(),
                        false,
                        m.start(),
                        "secret setting injected from the application's properties",
                        i,
                    );
                }
            }
        }
        if loads && f.lang == Some("C#") {
            for c in DOTNET_PROPERTY.captures_iter(f.text) {
                if let Some(m) = c.get(1) {
                    push(
                        m.as_str(),
                        false,
                        m.start(),
                        "secret property of a deserialised config file",
                        i,
                    );
                }
            }
        }
        if f.lang == Some("C#") {
            for c in DOTNET_BIND.captures_iter(f.text) {
                let (Some(class), Some(section)) =
                    (c.get(1).or_else(|| c.get(3)), c.get(2).or_else(|| c.get(4)))
                else {
                    continue;
                };
                let decl = format!("class {}", class.as_str());
                for g in code.iter().filter(|g| g.lang == Some("C#")) {
                    let Some(at) = g.text.find(&decl) else {
                        continue;
                    };
                    let body = &g.text[at..];
                    let body = &body[..body.find("\n}").unwrap_or(body.len())];
                    for p in DOTNET_PROPERTY.captures_iter(body) {
                        let Some(prop) = p.get(1) else { continue };
                        let name =
                            format!("{}__{}", section.as_str().replace(':', "__"), prop.as_str());
                        if method_of(prop.as_str()).is_some() {
                            push(
                                &name,
                                true,
                                class.start(),
                                "secret property of .NET options bound to a configuration section",
                                i,
                            );
                        }
                    }
                }
            }
        }
    }
    out
}

/// Per file, whether its settings are decoded from a configuration file:
/// it loads one itself, or it is the config module of a typed language
/// whose loader sits in another file.
fn decoded_from_a_file(code: &[&File]) -> Vec<bool> {
    let loads_here: Vec<bool> = code
        .iter()
        .map(|f| LOADS_CONFIG.is_match(f.text) && READS_FILE.is_match(f.text))
        .collect();
    // Typed languages keep the configuration's shape in a module of its
    // own (`config.rs`, `config/schema.rs`, `settings.go`) and decode the
    // file elsewhere: that module's fields are what the file holds.
    let loading_langs: Vec<&str> = code
        .iter()
        .zip(&loads_here)
        .filter(|(_, &loads)| loads)
        .filter_map(|(f, _)| f.lang)
        .collect();
    code.iter()
        .zip(loads_here)
        .map(|(f, loads)| {
            loads
                || (matches!(f.lang, Some("Rust" | "Go" | "Swift"))
                    && f.lang.is_some_and(|l| loading_langs.contains(&l))
                    && is_config_module(f.path)
                    // A module that fills its struct from the environment
                    // itself describes variables, not a file.
                    && !READS_ENV.is_match(f.text))
        })
        .collect()
}

/// A module named for the program's configuration: `config.rs`,
/// `settings.go`, anything under a `config/` folder.
fn is_config_module(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    let name = crate::paths::file_name(&lower);
    let stem = name.split('.').next().unwrap_or(name);
    matches!(stem, "config" | "configuration" | "settings" | "conf")
        || lower.starts_with("config/")
        || lower.contains("/config/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filling_a_config_object_in_is_no_read_of_the_document() {
        let head = "const config = JSON.parse(readFileSync(\"settings.json\", \"utf8\"));\n";
        let fill = format!("{head}config.apiKey = process.env.CRAWL_API_KEY;\n");
        let read = format!("{head}const key = config.apiKey;\n");
        let names = |text: &str| -> Vec<String> {
            let f = File::new("src/index.ts", text);
            collect(&[&f]).into_iter().map(|s| s.name).collect()
        };
        assert!(names(&fill).is_empty());
        assert_eq!(names(&read), ["apiKey"]);
    }
}
