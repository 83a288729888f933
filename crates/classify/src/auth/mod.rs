//! Which secrets a server reads, how they work, where they come from, and
//! whether it can run without them.

mod config_fields;
mod delegated;
mod env_wrappers;
mod markers;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use mcp_survey_model::{AuthMethod, CredentialSource, Credentials};
use regex::Regex;

use crate::ctx::{Ev, File};
use crate::names::{flag_is_secret, secret_method, serves_purpose, NamedSecret};
use crate::paths::Role;
use crate::{secrets, snippets};

use crate::ctx::re;

/// Environment reads in every language the survey meets; each alternative
/// captures the variable name.
static ENV_READ: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"process\.env\.([A-Za-z_][A-Za-z0-9_]*)"#,
        r#"|process\.env\[\s*['"`]([A-Za-z_][A-Za-z0-9_]*)['"`]\s*\]"#,
        r#"|(?:Deno|Bun)\.env\.get\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"#,
        r#"|import\.meta\.env\.([A-Z_][A-Z0-9_]*)"#,
        r#"|environ\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]"#,
        r#"|environ\.get\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"#,
        r#"|getenv\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"#,
        r#"|os\.(?:Getenv|LookupEnv)\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#,
        r#"|env::var(?:_os)?\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#,
        r#"|(?:dotenvy?|dotenv)::var\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#,
        r#"|System\.getenv\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#,
        r#"|GetEnvironmentVariable\(\s*"([A-Za-z_][A-Za-z0-9_]*)""#,
        r#"|ENV\[\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\]"#,
        r#"|ENV\.fetch\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]"#,
        r#"|\$_(?:ENV|SERVER)\[\s*['"]([A-Z_][A-Z0-9_]*)['"]\s*\]"#,
        r#"|\benv\(\s*['"]([A-Z][A-Z0-9_]+)['"]"#,
        r#"|environment\[\s*['"]([A-Z][A-Z0-9_]+)['"]\s*\]"#,
        r#"|\benv\s*=\s*"([A-Z][A-Z0-9_]+)""#,
        r#"|envvar\s*=\s*['"]([A-Z][A-Z0-9_]+)['"]"#,
        r#"|\benv:\\?"([A-Z][A-Z0-9_]+)"#,
        r#"|\benv\.([A-Z][A-Z0-9]*_[A-Z0-9_]+)\b"#,
        r#"|\benv\[\s*['"]([A-Z][A-Z0-9_]+)['"]\s*\]"#,
        r#"|(?i:get_?env\w*|require_?env\w*|read_?env\w*|must_?env\w*|env_?var\w*|from_?env)\(\s*['"]([A-Z][A-Z0-9_]+)['"]"#,
        r#"|BindEnv\([^)\n]*"([A-Z][A-Z0-9_]+)""#,
        r#"|validation_alias\s*=\s*(?:AliasChoices\()?\s*['"]([A-Z][A-Z0-9_]+)['"]"#,
        r#"|\balias\s*=\s*['"]([A-Z][A-Z0-9_]+)['"]"#,
    ))
});

static DYNAMIC_ENV: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"process\.env\[\s*[A-Za-z_`]|BaseSettings|AutomaticEnv|envconfig|SetEnvPrefix|os\.environ\.copy\(\)|os\.environ\.items\(\)|os\.getenv\(\s*f["']|os\.environ\.get\(\s*f["']|getenv\(\s*[a-z_]+\s*\+|\.\.\.process\.env\b|env_prefix|envPrefix|EnvironmentVariablesConfigurationSource|AddEnvironmentVariables\(|env::var\(\s*&?format!|os\.(?:Getenv|LookupEnv)\(\s*(?:fmt\.Sprintf|\w+\s*\+)|(?:getenv|environ\.get)\(\s*\w+\s*\+|environ\[\s*f["']|env::vars\(\)|os\.Environ\(\)"#,
    )
});

/// `const { A, B } = process.env`
static ENV_DESTRUCTURE: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"\{([^{}]+)\}\s*=\s*(?:process\.env|Deno\.env\.toObject\(\)|([A-Za-z_$][\w$]*))\s*[;\n)]"#)
});

/// `const vars = clean(process.env)`: an object derived from the environment.
static ENV_DERIVED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(?::\s*[\w<>\[\], ]+)?=\s*[^;\n]*\b(?:process\.env|Deno\.env\.toObject\(\))"#,
    )
});

/// `${NAME}` / `${NAME:default}` placeholders in Spring, compose and YAML configs.
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| re(r#"\$\{([A-Z][A-Z0-9_]+)(:-?[^}]*)?\}"#));

/// Command-line flags.
static FLAG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:add_argument|\.option|\.requiredOption|Option|option|Flags?\(\)\.\w+|flag\.\w+|\bArg::new|\.long|click\.option|typer\.Option|\bOption<|arg|opt)\s*\(\s*(?:&?[\w.]+\s*,\s*)?(?:['"]-\w['"]\s*,\s*)?['"](--?[a-zA-Z][a-zA-Z0-9_-]*)"#,
    )
});
/// Cobra/pflag flags (`Flags().String("api-key", ...)`) and positional
/// argparse arguments (`add_argument("database_url")`): named without dashes.
static BARE_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r#"Flags\(\)\.(?:String|StringP|StringVar|StringVarP)\(\s*(?:&[\w.]+\s*,\s*)?"([a-z][a-z0-9-]*)""#,
        r#"|add_argument\(\s*["']([a-z][a-z0-9_]*)["']"#,
        // Go's standard flag package: `flag.String("api-key", "", ...)`.
        r#"|\bflag\.(?:String|StringVar)\(\s*(?:&[\w.]+\s*,\s*)?"([a-zA-Z][a-zA-Z0-9_-]*)""#,
        // urfave/cli: `&cli.StringFlag{Name: "api-key"}`.
        r#"|StringFlag\{\s*Name:\s*"([a-z][a-z0-9_-]*)""#,
        // clap's builder: `Arg::new("token").long("token")`.
        r#"|\.long\(\s*"([a-z][a-z0-9_-]*)"\s*\)"#,
        // yargs: `.option('api-key', { type: 'string' })`.
        r#"|\.option\(\s*['"]([a-zA-Z][a-zA-Z0-9-]*)['"]\s*,\s*\{"#,
        // node:util parseArgs and option tables: `token: { type: 'string' }`.
        r#"|['"]?([a-zA-Z][a-zA-Z0-9-]*)['"]?\s*:\s*\{\s*type:\s*['"]string['"]"#,
    ))
});

/// Messages telling the user to pass a secret flag
/// ("provide a token with the --access-token flag").
static FLAG_HINT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b(?:provide|pass|use|set|with|via|specify)\b[^\n]{0,30}?[`'" ](--[a-z][a-z0-9-]{2,40})\b"#,
    )
});

/// Go struct tags of flag libraries (kong, go-flags, obot's cmd):
/// `name:"api-key" env:"X" usage:"..."`.
static GO_TAG_FLAG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"`[^`\n]*\b(?:name|long):"([a-z][a-z0-9-]+)(?:,[a-z])?"[^`\n]*\b(?:usage|help|description|env):""#,
    )
});
static CLAP_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"#\[(?:arg|clap|structopt)\(([^\]]*)\)\]\s*(?:///[^\n]*\n\s*)*(?:pub\s+)?([a-z_][a-z0-9_]*)\s*:"#,
    )
});

/// The program reads its own command line.
static ARGV: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"args:\s*Array<String>|fromArgs\(|\bsys\.argv\b|\bos\.Args\b|process\.argv|string\[\]\s*args|GetCommandLineArgs|CommandLine\.arguments|ARGV\b|\(args,|\bargs\[\w+\s*\+\s*1\]"#,
    )
});
/// A quoted option name (`"--api-key"`, `"apiKey"`).
static ARG_LITERAL: LazyLock<Regex> =
    LazyLock::new(|| re(r#"["'](--[a-z][a-z0-9-]{2,40}|[a-z]+(?:[A-Z][a-z]+)+)["']"#));
static CAMEL_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)api_?key|token|passw|secret|credential|private_?key|access_?key|auth_?key"#)
});
/// `Configuration["Service:ApiKey"]`, `GetValue<string>("Service:Token")`.
static DOTNET_KEY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:Configuration|config|configuration|_config)\s*\[\s*"([A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9]*)+)"\s*\]|GetValue<string\??>\(\s*"([A-Za-z][A-Za-z0-9]*(?::[A-Za-z][A-Za-z0-9]*)+)""#,
    )
});

/// `apiKey` -> `API_KEY`, `CourtListener` -> `COURT_LISTENER`.
fn camel_to_snake(s: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for ch in s.chars() {
        if ch == '-' || ch == '_' {
            out.push('_');
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
        out.push(ch.to_ascii_uppercase());
    }
    out
}

/// The server reads a credential sent with each request.
static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:req|request|ctx\.request|context\.request|c\.req|event)\.headers?(?:\.get\(|\[|\.)\s*['"]?(?:authorization|x-[a-z0-9-]*(?:api-?key|token|auth)[a-z0-9-]*)|\.headers\.authorization\b|Header\.Get\(\s*"(?:Authorization|X-[A-Za-z-]*(?:Key|Token))"|getHeader\(\s*"(?:Authorization|X-[A-Za-z-]*(?:Key|Token))"|@RequestHeader|Request\.Headers\[\s*"(?:Authorization|X-)|requireBearerAuth|TokenVerifier|JWTVerifier|StaticTokenVerifier|AddJwtBearer|JwtBearerDefaults|oauth2ResourceServer|mcpServerOAuth2|get_access_token\(\)|HTTPBearer|APIKeyHeader|extra\.authInfo|authInfo\?\.token|verifyAccessToken|BearerAuthBackend|AuthenticationMiddleware|RequireAuthorization\(|\[Authorize\]|(?i:\breq(?:uest)?\.(?:get|header)\(\s*['"](?:authorization|x-[a-z0-9-]*(?:api-?key|token|auth)[a-z0-9-]*)['"])|headers\(\)\s*\.get\(\s*(?:"(?:Authorization|authorization|[Xx]-[A-Za-z-]*(?:[Kk]ey|[Tt]oken))"|(?:header::|http::header::)?AUTHORIZATION)|Header\.Get\(\s*\w+\.Authorization\w*\)|oauth-protected-resource|ProtectedResourceMetadata|protected_resource_metadata|BearerMethodsSupported|bearer_methods_supported|\b\w*(?:token|key|auth\w*)\s*:\s*(?:str|Optional\[str\]|str\s*\|\s*None)\s*=\s*Header\(|Annotated\[\s*(?:str|Optional\[str\]|str\s*\|\s*None)\s*,\s*Header\("#,
    )
});

/// Outbound header construction looks like inbound reading to the REQUEST
/// pattern; these mark the line as outbound.
static OUTBOUND: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)headers\s*[=:]\s*\{|\.set\(\s*['"]authorization|setHeader|\.headers\[['"]authorization['"]\]\s*=[^=]|Authorization:\s*`|Authorization["']?\s*:\s*f?["'`]Bearer|req\.Header\.(?:Set|Add)|Header\.Set|addHeader|\.header\(\s*["']Authorization["']\s*,|DefaultRequestHeaders"#,
    )
});

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
static LOGIN_WORD: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)auth|log ?in|sign ?in|oauth|token|verification|consent"#));

/// Pieces of an authorization-code exchange. One alone is often a server
/// that only verifies tokens or forwards a redirect setting; the server runs
/// the flow itself when two different pieces appear.
static OAUTH_FLOW_PART: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)authorization_code|/authorize\b|redirect_uri|/callback\b"#));

static RESOURCE_SERVER_CONFIG: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"spring\.security\.oauth2\.resourceserver\.|spring-boot-starter-(?:security-)?oauth2-resource-server|\bquarkus\.oidc\.auth-server-url|<artifactId>quarkus-oidc</artifactId>|\bmp\.jwt\.verify\."#,
    )
});

/// Build files that declare a framework's modules.
fn paths_is_build(f: &File) -> bool {
    let n = f.name_lower();
    n == "pom.xml" || n.starts_with("build.gradle")
}

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

/// AWS SDKs read the access-key variables themselves.
static AWS_SDK: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?m)^\s*(?:import\s+boto3|from\s+boto3\b|import\s+aioboto3)|\bboto3\.(?:client|resource|Session|session)\b|@aws-sdk/|aws-sdk-go|aws_config::|aws-sdk-java|software\.amazon\.awssdk|AWSSDK\."#,
    )
});

static KEY_FILE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"load_cert_chain\([^)\n]*keyfile|(?i:client[_-]?cert(?:ificate)?)|clientKey(?:Path|File)\b|client_key_(?:path|file)|private_key_path|privateKeyPath|PRIVATE_KEY_PATH|SSH_KEY_PATH|ssh_key_path|ssh_private_key|sshPrivateKey|identity_?file|service_account\.json|ServiceAccountCredentials|from_service_account|kubeconfig|KUBECONFIG|X509Certificate2\(|pkcs12|\.p12["']"#,
    )
});

/// Mutual TLS: the server authenticates to its service with a client
/// certificate kept on disk.
static CLIENT_CERT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)client[_-]?cert(?:ificate)?[_-]?(?:path|file)|client[_-]?key[_-]?(?:path|file)|load_cert_chain\(\s*certfile\s*=\s*[\w.(]*client|\bmutual[ -]tls\b|\bmTLS\b"#,
    )
});

/// The certificate's path comes from an environment variable
/// (`os.getenv("JIRA_CLIENT_CERT")`): the operator sets it in the
/// environment, not in a config file.
static CERT_ENV: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:getenv|environ(?:\.get)?|process\.env|Getenv|env::var|GetEnvironmentVariable)\W{1,4}[A-Z0-9_]*(?:CLIENT_CERT|CLIENT_KEY|SSL_CERT|SSL_KEY|TLS_CERT|TLS_KEY|CERT_PATH|CERT_FILE)"#,
    )
});

/// Kerberos: the ticket cache `kinit` leaves behind.
static KERBEROS: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"HTTPSPNEGOAuth|HTTPKerberosAuth|requests_kerberos|requests_gssapi|\bimport gssapi\b|\bkrb5\b|KerberosAuth"#,
    )
});

/// Session cookies kept in a file between runs.
static COOKIE_FILE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:save|load|store|persist|restore|write|read)_?cookies|storage_?state|cookies\.json|cookie_?file|cookie_?path|session_?file|user_?data_?dir"#,
    )
});

/// The user logs in by hand in a browser the server opens.
static BROWSER_LOGIN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:visible|manual|interactive|browser)[ _-]?login|login[ _-]?(?:in|with|via)?[ _-]?(?:the |a )?browser|ChromeForLogin|login_?timeout|wait(?:ing)? for (?:the )?(?:user|you) to log ?in"#,
    )
});

static SESSION_COOKIE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)storage_state|storageState|add_cookies|addCookies|\.cookies\(\)|li_at|cookie_?jar|browser_cookie3|cookies\.json|saveCookies|save_cookies|load_cookies|loadCookies"#,
    )
});

/// Config files in the user's home or next to the binary holding secrets.
static CONFIG_FILE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)expanduser\(\s*['"]~|os\.homedir\(\)|homedir\(\)|UserHomeDir\(\)|home_dir\(\)|Path\.home\(\)|XDG_CONFIG_HOME|user_config_dir|appdirs|platformdirs|envPaths|\.config/|~/\.|credentials\.json|\.tfrc|config\.(?:json|ya?ml|toml)\b|settings\.(?:json|ya?ml|toml)\b|IConfiguration|IOptions<|configuration\[|GetSection\(|@ConfigurationProperties|UserSecrets|AddUserSecrets|appsettings"#,
    )
});

/// A file parsed as configuration: JSON/YAML/TOML/INI readers, the Rust
/// `config` crate, viper.
static CONFIG_PARSE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"JSON\.parse\(|yaml\.safe_load|yaml\.load\(|tomllib\.load|toml\.loads?\(|toml::from_str|serde_json::from_(?:str|reader|slice)|serde_yaml::from_|json\.load\(|ConfigParser\(|ReadInConfig\(|add_source\(\s*File::"#,
    )
});

/// Values copied from a parsed file into the environment under computed
/// names: the config file can supply every variable the server reads.
static ENV_INJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"process\.env\[\s*\w+\s*\]\s*=[^=]|os\.environ\[\s*\w+\s*\]\s*=[^=]|os\.environ\.setdefault\(\s*\w+\s*,|os\.Setenv\(\s*\w+\s*,|env::set_var\(\s*\w+\s*,"#,
    )
});

/// A module constant holding a name: `MCP_API_KEY_ENV = "MCP_API_KEY"`,
/// `const TOKEN_HEADER = "x-api-token"`.
static NAME_CONST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?m)^\s*(?:export\s+)?(?:const\s+|let\s+|var\s+|static\s+final\s+String\s+|private\s+static\s+final\s+String\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*[\w&']+\s*)?=\s*["']([A-Za-z][A-Za-z0-9_-]{2,60})["']\s*;?\s*$"#,
    )
});
/// An environment read whose argument is an identifier.
static ENV_READ_IDENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:os\.getenv|os\.environ\.get|os\.environ\[|process\.env\[|os\.Getenv|env::var|System\.getenv|Environment\.GetEnvironmentVariable)\(?\s*(?:[A-Za-z_][A-Za-z0-9_]*\.)*([A-Za-z_][A-Za-z0-9_]*)\s*[,)\]]"#,
    )
});
/// A request-header read whose argument is an identifier.
static HEADER_READ_IDENT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i:headers?)\.get\(\s*([A-Za-z_][A-Za-z0-9_]*)\b|headers\[\s*([A-Za-z_][A-Za-z0-9_]*)\s*\]|getHeader\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)|Header\.Get\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)"#,
    )
});
static AUTH_HEADER_NAME: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?i)^(?:authorization|(?:x-)?[a-z0-9-]*(?:api-?key|-token|-auth)[a-z0-9-]*)$"#)
});

/// Env and header reads through name constants: the env names read, and
/// where an inbound credential header is read.
fn through_constants(f: &File) -> (Vec<(String, usize)>, Option<usize>) {
    let mut env = Vec::new();
    let mut header = None;
    if !ENV_READ_IDENT.is_match(f.text) && !HEADER_READ_IDENT.is_match(f.text) {
        return (env, header);
    }
    let defs: BTreeMap<&str, &str> = NAME_CONST
        .captures_iter(f.text)
        .filter_map(|c| Some((c.get(1)?.as_str(), c.get(2)?.as_str())))
        .collect();
    if defs.is_empty() {
        return (env, header);
    }
    for c in ENV_READ_IDENT.captures_iter(f.text) {
        let Some(id) = c.get(1) else { continue };
        if let Some(v) = defs.get(id.as_str()) {
            if v.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
            {
                env.push((v.to_string(), id.start()));
            }
        }
    }
    for c in HEADER_READ_IDENT.captures_iter(f.text) {
        let Some(id) = first_group(&c) else { continue };
        if defs
            .get(id.as_str())
            .is_some_and(|v| AUTH_HEADER_NAME.is_match(v))
            && !OUTBOUND.is_match(f.line_text(id.start()))
        {
            header = Some(id.start());
            break;
        }
    }
    (env, header)
}

/// Secret-named fields of a configuration structure.
static SECRET_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)\b\w*(?:api[_-]?key|apikey|password|passwd|secret|access[_-]?token|auth[_-]?token|bearer[_-]?token|api[_-]?token|token[_-]?value)\w*\b"#,
    )
});

static SECRET_WORD: LazyLock<Regex> =
    LazyLock::new(|| re(r#"(?i)token|api[_-]?key|password|secret|credential"#));

static WHOLE_ENV: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?:parse|safeParse|cleanEnv|validate|createEnv|load)\w*\(\s*process\.env\s*[,)]|runtimeEnv:\s*process\.env"#,
    )
});
static OBJECT_KEY: LazyLock<Regex> = LazyLock::new(|| {
    re(r#"(?m)^\s*([A-Z][A-Z0-9]*_[A-Z0-9_]+)\s*:\s*(?:z\.|str\(|num\(|bool\(|Joi\.|url\(|port\()"#)
});

static PAT_DOC: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)personal[ -](?:access[ -])?(?:api[ -])?(?:token|key)|\bPAT\b|long[ -]lived (?:access |api )?token|user auth(?:entication)? token|(?:your|user)(?:'s)? (?:profile|account (?:settings|preferences|page))|user(?:'s)? api token"#,
    )
});

/// The value is tested and used only when present.
static OPTIONAL_USE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"^\s*(?:if|elif|else if|unless)\b|\bif\s*\(?\s*(?:\w+\s*:?=\s*)?(?:os\.|process\.env|ENV)|:=\s*os\.Getenv\([^)]*\);\s*\w+\s*!=\s*""|\?\s*\{|&&\s*\{|getenv\([^)]*,\s*None\)"#,
    )
});

/// Refuses to start or errors without the value.
static REQUIRED_HINT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)process\.exit|throw\b|raise\b|sys\.exit|log\.Fatal|Fatalf?\(|panic!?\(|\.expect\(|exit\(1\)|must be (?:set|provided|specified|configured)|is required|are required|is not set|not configured|missing required|errors\.New|fmt\.Errorf|IllegalStateException|IllegalArgumentException|InvalidOperationException|ArgumentNullException|ValueError|RuntimeError|KeyError|bail!|anyhow!|\.ok_or|die\(|\.min\(1"#,
    )
});

/// The read itself fails when the variable is missing.
static STRICT_READ: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"os\.environ\[\s*['"][A-Z]|env::var\([^)]*\)\s*(?:\?|\.expect|\.context|\.map_err|\.with_context)|ENV\.fetch\(\s*['"][A-Z_]+['"]\s*\)|process\.env\.[A-Z_0-9]+!"#,
    )
});

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

#[derive(Debug, Clone)]
struct Secret {
    /// `None` for the server's own secret (see `NamedSecret::ServerOwn`).
    method: Option<AuthMethod>,
    required: bool,
    /// Every read tests the value and uses it only when present.
    optional: bool,
}

pub struct AuthResult {
    pub credentials: Credentials,
    pub methods: BTreeSet<AuthMethod>,
    pub sources: BTreeSet<CredentialSource>,
    pub env_vars: BTreeSet<String>,
}

fn first_group<'t>(c: &regex::Captures<'t>) -> Option<regex::Match<'t>> {
    c.iter().skip(1).flatten().next()
}

fn is_config_text(f: &File) -> bool {
    let n = f.name_lower();
    n.ends_with(".properties")
        || n.ends_with(".yml")
        || n.ends_with(".yaml")
        || n.ends_with(".toml")
        || n.ends_with(".json")
        || n.ends_with(".jsonc")
}

/// Where the triple quotes of a Python file end (none for other
/// languages), found once per file for `in_docstring`.
fn triple_quote_ends(f: &File) -> Vec<usize> {
    if f.lang != Some("Python") {
        return Vec::new();
    }
    let mut ends: Vec<usize> = f
        .text
        .match_indices("\"\"\"")
        .chain(f.text.match_indices("\'\'\'"))
        .map(|(i, q)| i + q.len())
        .collect();
    ends.sort_unstable();
    ends
}

/// Inside a Python docstring or other triple-quoted string (an odd number
/// of triple quotes before it): usage text, not code that runs.
fn in_docstring(quote_ends: &[usize], off: usize) -> bool {
    quote_ends.partition_point(|end| *end <= off) % 2 == 1
}

/// A comment, or a line that compiles a pattern: a regular expression
/// describing a credential (a secret scanner's rule) is no use of one.
fn is_comment(line: &str) -> bool {
    static PATTERN: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r#"regexp\.(?:MustCompile|Compile)\(|\bre\.compile\(|new RegExp\(|Regex::new\(|Pattern\.compile\(|\bRegex\(\s*@?""#,
        )
    });
    crate::ctx::is_comment(line) || PATTERN.is_match(line)
}

pub fn detect(scope: &[&File], docs: &[&File], identity: &[String], ev: &mut Ev) -> AuthResult {
    let mut secrets: BTreeMap<String, Secret> = BTreeMap::new();
    let mut methods: BTreeSet<AuthMethod> = BTreeSet::new();
    let mut sources: BTreeSet<CredentialSource> = BTreeSet::new();
    let mut any_required = false;
    let mut dynamic_env = false;
    let mut any_optional_use = false;

    let code: Vec<&File> = scope.iter().copied().filter(|f| f.is_source()).collect();
    let helper_calls = env_wrappers::calls_pattern(&env_wrappers::helpers(&code));
    // Inbound credential headers read through name constants, per code file.
    let mut const_headers: Vec<Option<usize>> = Vec::with_capacity(code.len());

    // 1. Environment variables read in code.
    for f in &code {
        // Reads whose names the code computes or a library derives (a
        // settings class, viper's prefix, a computed key). Loading a .env
        // file is not one: the reads that follow are plain.
        if DYNAMIC_ENV.is_match(f.text) {
            dynamic_env = true;
        }
        let mut hits: Vec<(String, usize)> = Vec::new();
        for c in ENV_READ.captures_iter(f.text) {
            if let Some(m) = first_group(&c) {
                hits.push((m.as_str().to_string(), m.start()));
            }
        }
        let derived: Vec<&str> = ENV_DERIVED
            .captures_iter(f.text)
            .filter_map(|c| c.get(1).map(|m| m.as_str()))
            .collect();
        for c in ENV_DESTRUCTURE.captures_iter(f.text) {
            let Some(body) = c.get(1) else { continue };
            if let Some(source) = c.get(2) {
                if !derived.contains(&source.as_str()) {
                    continue;
                }
            }
            for part in body.as_str().split(',') {
                let name = part
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .split('=')
                    .next()
                    .unwrap_or("")
                    .trim();
                if !name.is_empty()
                    && name
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                {
                    hits.push((name.to_string(), body.start()));
                }
            }
        }
        hits.extend(pydantic_fields(f));
        if let Some(calls) = &helper_calls {
            hits.extend(env_wrappers::calls(f, calls));
        }
        let (const_env, const_header) = through_constants(f);
        hits.extend(const_env);
        const_headers.push(const_header);
        // A schema parsed over the whole environment (zod, envalid, joi):
        // its upper-case keys are variable names.
        if WHOLE_ENV.is_match(f.text) {
            for c in OBJECT_KEY.captures_iter(f.text) {
                if let Some(m) = c.get(1) {
                    hits.push((m.as_str().to_string(), m.start()));
                }
            }
        }
        let quote_ends = if hits.is_empty() {
            Vec::new()
        } else {
            triple_quote_ends(f)
        };
        for (name, off) in hits {
            let line = f.line_text(off);
            if is_comment(line) || in_docstring(&quote_ends, off) {
                continue;
            }
            let Some(mut method) = secret_method(&name).map(NamedSecret::method) else {
                continue;
            };
            // The code's own name for the value can say it is the server's
            // own key: `c.CredentialEncryptionKey = os.Getenv("APP_CRED_KEY")`.
            let target = assigned_name(f, off);
            if target.is_some_and(|target| {
                secret_method(&camel_to_snake(target)) == Some(NamedSecret::ServerOwn)
            }) {
                method = None;
            }
            let window = f.window(off, 1, 5);
            if OPTIONAL_USE.is_match(line) {
                any_optional_use = true;
            }
            // `const t = env.X; if (t) { ...exit on a malformed t... }`: the
            // checks inside run only when the value is there.
            let used_if_present = target.is_some_and(|t| tested_for_presence_next(f, off, t));
            if used_if_present {
                any_optional_use = true;
            }
            let required = STRICT_READ.is_match(line)
                || !used_if_present
                    && (REQUIRED_HINT.is_match(window) && mentions_missing(window)
                        || target.is_some_and(|t| checked_later(f, off, t)));
            // Only a credential makes the server need one; its own signing
            // key is configuration, however strictly it is checked.
            if required && method.is_some() {
                any_required = true;
            }
            let entry = secrets.entry(name.clone()).or_insert(Secret {
                method,
                required: false,
                optional: true,
            });
            entry.required |= required;
            entry.optional &= OPTIONAL_USE.is_match(line) || used_if_present;
            if !sources.contains(&CredentialSource::Env) {
                ev.add(
                    "credential_sources",
                    "env",
                    f.path,
                    f.line_of(off),
                    "secret read from the environment",
                    line,
                );
            }
            if !ev
                .0
                .iter()
                .any(|e| e.field == "env_vars" && e.value == name)
            {
                ev.add(
                    "env_vars",
                    &name,
                    f.path,
                    f.line_of(off),
                    if required {
                        "secret env var read; errors without it"
                    } else {
                        "secret env var read in server code"
                    },
                    line,
                );
            }
            sources.insert(CredentialSource::Env);
        }
    }

    // 2. Config placeholders (Spring application.yml, compose files).
    let mut bound_to_env = false;
    // Spring and MicroProfile resolve `${VAR}` in every properties or YAML
    // file they load, and compose files pass `${VAR}` into the container;
    // only the framework's own configuration refuses to start without one.
    for f in scope
        .iter()
        .filter(|f| is_config_text(f) && !f.path.ends_with(".json") && !f.path.ends_with(".jsonc"))
    {
        let n = f.name_lower();
        let framework_config = n.starts_with("application")
            || n.starts_with("bootstrap")
            || n.ends_with(".properties");
        for c in PLACEHOLDER.captures_iter(f.text) {
            let Some(m) = c.get(1) else { continue };
            let name = m.as_str();
            if is_comment(f.line_text(m.start())) {
                continue;
            }
            let Some(method) = secret_method(name).map(NamedSecret::method) else {
                continue;
            };
            // Compose and the shell refuse to start on `${VAR:?message}`.
            let required = (framework_config && c.get(2).is_none())
                || c.get(2).is_some_and(|d| d.as_str().starts_with(":?"));
            secrets
                .entry(name.to_string())
                .or_insert(Secret {
                    method,
                    required: false,
                    optional: true,
                })
                .required |= required;
            any_required |= required;
            ev.add(
                "env_vars",
                name,
                f.path,
                f.line_of(m.start()),
                "secret placeholder in application config",
                f.line_text(m.start()),
            );
            sources.insert(CredentialSource::Env);
            bound_to_env = true;
        }
    }

    // 3. Documented configuration: README mcpServers env blocks, smithery,
    // server.json, .env.example. Names the code also reads (or reads
    // dynamically) count.
    let documented = snippets::collect(docs);
    for d in &documented {
        let Some(method) = secret_method(&d.name).map(NamedSecret::method) else {
            continue;
        };
        let known = secrets.contains_key(&d.name);
        if !known && !dynamic_env {
            continue;
        }
        if !known {
            secrets.insert(
                d.name.clone(),
                Secret {
                    method,
                    required: false,
                    optional: true,
                },
            );
            ev.add(
                "env_vars",
                &d.name,
                &d.file,
                d.line,
                &format!("{} (read through dynamic env loading)", d.rule),
                &d.matched,
            );
            sources.insert(CredentialSource::Env);
        }
    }

    // 3b. Secret settings of configuration files the server parses.
    let mut config_secrets = 0usize;
    let mut config_required = false;
    for c in config_fields::collect(&code) {
        {
            let f = code[c.file];
            let window = f.window(c.offset, 2, 4);
            let required = REQUIRED_HINT.is_match(window) && mentions_missing(window);
            config_required |= required;
            config_secrets += 1;
            if let Some(m) = c.method {
                if methods.insert(m) {
                    ev.add(
                        "auth_methods",
                        m.as_str(),
                        f.path,
                        f.line_of(c.offset),
                        c.rule,
                        f.line_text(c.offset),
                    );
                }
            }
            if sources.insert(CredentialSource::ConfigFile) {
                ev.add(
                    "credential_sources",
                    "config_file",
                    f.path,
                    f.line_of(c.offset),
                    c.rule,
                    f.line_text(c.offset),
                );
            }
            if c.env {
                sources.insert(CredentialSource::Env);
                let entry = secrets.entry(c.name.clone()).or_insert(Secret {
                    method: c.method,
                    required: false,
                    optional: false,
                });
                entry.required |= required;
                ev.add(
                    "env_vars",
                    &c.name,
                    f.path,
                    f.line_of(c.offset),
                    c.rule,
                    f.line_text(c.offset),
                );
            }
        }
    }

    // 4. Command-line flags.
    let mut cli_flags = BTreeSet::new();
    for f in &code {
        // Hand-parsed command lines: the program's own arguments compared
        // with a secret flag or option name.
        if ARGV.is_match(f.text) {
            for c in ARG_LITERAL.captures_iter(f.text) {
                let Some(m) = c.get(1) else { continue };
                let name = m.as_str();
                let up = camel_to_snake(name.trim_start_matches('-'));
                if (name.starts_with("--") || name.chars().any(|ch| ch.is_ascii_uppercase()))
                    && flag_is_secret(&up)
                    // `typeKey`, `sortKey`: a bare `Key` in a camelCase
                    // option is a lookup key, not a secret.
                    && (name.starts_with("--") || CAMEL_SECRET.is_match(name))
                    && !is_comment(f.line_text(m.start()))
                {
                    cli_flags.insert((
                        name.trim_start_matches('-').to_string(),
                        f.path,
                        f.line_of(m.start()),
                        f.line_text(m.start()),
                    ));
                }
            }
        }
        // .NET configuration keys (`Configuration["Service:ApiKey"]`): set
        // from appsettings, user secrets or the `Service__ApiKey` variable.
        if f.lang == Some("C#") {
            for c in DOTNET_KEY.captures_iter(f.text) {
                let Some(m) = c.get(1) else { continue };
                let key = m.as_str();
                let last = key.rsplit(':').next().unwrap_or(key);
                let Some(method) = secret_method(&camel_to_snake(last)).map(NamedSecret::method)
                else {
                    continue;
                };
                let name = key.replace(':', "__");
                secrets.entry(name.clone()).or_insert(Secret {
                    method,
                    required: false,
                    optional: false,
                });
                sources.insert(CredentialSource::Env);
                sources.insert(CredentialSource::ConfigFile);
                ev.add(
                    "env_vars",
                    &name,
                    f.path,
                    f.line_of(m.start()),
                    ".NET configuration key, bound from config files and Section__Key variables",
                    f.line_text(m.start()),
                );
            }
        }
        for c in FLAG.captures_iter(f.text) {
            let Some(m) = c.get(1) else { continue };
            let flag = m.as_str();
            if flag_is_secret(flag) && !is_comment(f.line_text(m.start())) {
                cli_flags.insert((
                    flag.to_string(),
                    f.path,
                    f.line_of(m.start()),
                    f.line_text(m.start()),
                ));
            }
        }
        for c in BARE_FLAG.captures_iter(f.text) {
            let Some(m) = first_group(&c) else { continue };
            // Option tables also describe tool inputs: only where the
            // program parses its own command line.
            if m.as_str().contains(|c: char| c.is_ascii_uppercase())
                && !(f.text.contains("parseArgs") || f.text.contains("yargs"))
            {
                continue;
            }
            if flag_is_secret(&camel_to_snake(m.as_str())) && !is_comment(f.line_text(m.start())) {
                cli_flags.insert((
                    m.as_str().to_string(),
                    f.path,
                    f.line_of(m.start()),
                    f.line_text(m.start()),
                ));
            }
        }
        for c in FLAG_HINT.captures_iter(f.text) {
            let Some(m) = c.get(1) else { continue };
            if flag_is_secret(m.as_str()) && !is_comment(f.line_text(m.start())) {
                cli_flags.insert((
                    m.as_str().to_string(),
                    f.path,
                    f.line_of(m.start()),
                    f.line_text(m.start()),
                ));
            }
        }
        if f.lang == Some("Go") {
            for c in GO_TAG_FLAG.captures_iter(f.text) {
                let Some(m) = c.get(1) else { continue };
                if flag_is_secret(m.as_str()) && !is_comment(f.line_text(m.start())) {
                    cli_flags.insert((
                        m.as_str().to_string(),
                        f.path,
                        f.line_of(m.start()),
                        f.line_text(m.start()),
                    ));
                }
            }
        }
        for c in CLAP_FIELD.captures_iter(f.text) {
            let (Some(attr), Some(field)) = (c.get(1), c.get(2)) else {
                continue;
            };
            if attr.as_str().contains("long") && flag_is_secret(field.as_str()) {
                cli_flags.insert((
                    field.as_str().to_string(),
                    f.path,
                    f.line_of(field.start()),
                    f.line_text(field.start()),
                ));
            }
        }
    }
    if let Some((flag, path, line, text)) = cli_flags.iter().next() {
        sources.insert(CredentialSource::CliArg);
        ev.add(
            "credential_sources",
            "cli_arg",
            path,
            *line,
            &format!("secret command-line flag {flag}"),
            text,
        );
        for (flag, _, _, line_text) in &cli_flags {
            if let Some(NamedSecret::Credential(m)) =
                secret_method(&camel_to_snake(flag.trim_start_matches('-')))
            {
                // A flag the docs, or the line that names it, describe as a
                // personal token is a PAT.
                let personal = m == AuthMethod::ApiKey
                    && (PAT_DOC.is_match(line_text)
                        || docs.iter().any(|d| {
                            d.text
                                .find(flag.trim_start_matches('-'))
                                .is_some_and(|off| PAT_DOC.is_match(d.window(off, 1, 2)))
                        }));
                methods.insert(if personal { AuthMethod::Pat } else { m });
            }
        }
    }

    // 5. Per-request credentials, OAuth, keychains, cloud chains, key files.
    let mut oauth_hits = 0;
    let mut oauth_flow = false;
    let mut flow_parts: Vec<(String, &str, u32, &str)> = Vec::new();
    let mut request = false;
    let mut resource_server = false;
    // Credentials the server must hold to reach its service at all, kept
    // where another tool or an earlier login left them.
    let mut held = false;
    let mut cookie_file = false;
    let mut browser_login = false;
    let cert_via_env = code.iter().any(|f| CERT_ENV.is_match(f.text));
    if let Some((f, d)) = code.iter().find_map(|f| delegated::find(f).map(|d| (f, d))) {
        methods.insert(d.method);
        sources.insert(CredentialSource::ConfigFile);
        held = true;
        ev.add(
            "auth_methods",
            d.method.as_str(),
            f.path,
            f.line_of(d.offset),
            &format!("runs {} with the login the user saved for it", d.program),
            f.line_text(d.offset),
        );
    }
    for f in &code {
        if let Some(m) = CLIENT_CERT
            .find_iter(f.text)
            .find(|m| !is_comment(f.line_text(m.start())))
        {
            if !held {
                ev.add(
                    "auth_methods",
                    "key_file",
                    f.path,
                    f.line_of(m.start()),
                    "client certificate for mutual TLS, read from disk",
                    f.line_text(m.start()),
                );
            }
            methods.insert(AuthMethod::KeyFile);
            if !cert_via_env {
                sources.insert(CredentialSource::ConfigFile);
            }
            held = true;
        }
        if let Some(m) = KERBEROS
            .find_iter(f.text)
            .find(|m| !is_comment(f.line_text(m.start())))
        {
            if !methods.contains(&AuthMethod::Other) {
                ev.add(
                    "auth_methods",
                    "other",
                    f.path,
                    f.line_of(m.start()),
                    "Kerberos ticket from the kinit cache",
                    f.line_text(m.start()),
                );
            }
            methods.insert(AuthMethod::Other);
            sources.insert(CredentialSource::ConfigFile);
            held = true;
        }
        if !cookie_file {
            if let Some(m) = COOKIE_FILE.find(f.text) {
                if SESSION_COOKIE.is_match(f.text) && !is_comment(f.line_text(m.start())) {
                    cookie_file = true;
                    ev.add(
                        "credential_sources",
                        "config_file",
                        f.path,
                        f.line_of(m.start()),
                        "session cookies kept in a file between runs",
                        f.line_text(m.start()),
                    );
                }
            }
        }
        if !browser_login {
            if let Some(m) = BROWSER_LOGIN.find(f.text) {
                browser_login = true;
                ev.add(
                    "credential_sources",
                    "oauth_flow",
                    f.path,
                    f.line_of(m.start()),
                    "the user logs in by hand in a browser",
                    f.line_text(m.start()),
                );
            }
        }
    }
    for (f, const_header) in code.iter().zip(&const_headers) {
        if !request {
            if let Some(off) = *const_header {
                request = true;
                ev.add(
                    "credential_sources",
                    "request",
                    f.path,
                    f.line_of(off),
                    "server reads a credential header named by a constant",
                    f.line_text(off),
                );
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
            if !request {
                ev.add(
                    "credential_sources",
                    "request",
                    f.path,
                    f.line_of(m.start()),
                    "server reads a credential from each request",
                    f.line_text(m.start()),
                );
            }
            request = true;
            let s = m.as_str();
            if s.contains("Verifier")
                || s.contains("Bearer")
                || s.contains("ResourceServer")
                || s.contains("OAuth2")
            {
                resource_server = true;
            }
        }
        for m in OAUTH.find_iter(f.text) {
            if is_comment(f.line_text(m.start())) {
                continue;
            }
            if oauth_hits == 0 {
                ev.add(
                    "auth_methods",
                    "oauth",
                    f.path,
                    f.line_of(m.start()),
                    "OAuth flow or resource-server construct",
                    f.line_text(m.start()),
                );
            }
            oauth_hits += 1;
            break;
        }
        if !oauth_flow {
            let strong = OAUTH_FLOW
                .find_iter(f.text)
                .find(|m| !is_comment(f.line_text(m.start())))
                .or_else(|| {
                    BROWSER_OPEN.find_iter(f.text).find(|m| {
                        !is_comment(f.line_text(m.start()))
                            && LOGIN_WORD.is_match(f.window(m.start(), 3, 3))
                    })
                });
            if let Some(m) = strong {
                oauth_flow = true;
                ev.add(
                    "credential_sources",
                    "oauth_flow",
                    f.path,
                    f.line_of(m.start()),
                    "interactive login at run time",
                    f.line_text(m.start()),
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
        markers::apply(f, &mut methods, &mut sources, ev);
        if !sources.contains(&CredentialSource::ConfigFile) {
            if let Some(m) = CONFIG_FILE.find_iter(f.text).find(|m| {
                !is_comment(f.line_text(m.start()))
                    && SECRET_WORD.is_match(f.window(m.start(), 4, 4))
                    // Spring properties whose secrets are `${ENV}`
                    // placeholders are set through the environment.
                    && !(bound_to_env && m.as_str() == "@ConfigurationProperties")
            }) {
                sources.insert(CredentialSource::ConfigFile);
                ev.add(
                    "credential_sources",
                    "config_file",
                    f.path,
                    f.line_of(m.start()),
                    "secrets loaded from a config file",
                    f.line_text(m.start()),
                );
            }
        }
        // A config loader: the file locates a config file, parses it, and
        // deals in secret-named fields.
        if !sources.contains(&CredentialSource::ConfigFile) && CONFIG_PARSE.is_match(f.text) {
            let located = CONFIG_FILE
                .find_iter(f.text)
                .chain(CONFIG_PARSE.find_iter(f.text).filter(|m| {
                    m.as_str().starts_with("add_source") || m.as_str().starts_with("ReadInConfig")
                }))
                .find(|m| !is_comment(f.line_text(m.start())) && !bound_to_env);
            if let Some(m) = located {
                if SECRET_FIELD.is_match(f.text) || ENV_INJECT.is_match(f.text) {
                    sources.insert(CredentialSource::ConfigFile);
                    ev.add(
                        "credential_sources",
                        "config_file",
                        f.path,
                        f.line_of(m.start()),
                        "config loader parses a config file with secret fields",
                        f.line_text(m.start()),
                    );
                }
            }
        }
    }
    // Frameworks configured as an OAuth resource server verify a bearer
    // token on every request: Spring Security's resource-server starter
    // and `spring.security.oauth2.resourceserver.*`, Quarkus OIDC,
    // MicroProfile JWT.
    if let Some((f, m)) = scope
        .iter()
        .filter(|f| f.role == Role::Core && (is_config_text(f) || paths_is_build(f)))
        .find_map(|f| {
            RESOURCE_SERVER_CONFIG
                .find_iter(f.text)
                .find(|m| !is_comment(f.line_text(m.start())))
                .map(|m| (f, m))
        })
    {
        resource_server = true;
        request = true;
        if oauth_hits == 0 {
            ev.add(
                "auth_methods",
                "oauth",
                f.path,
                f.line_of(m.start()),
                "framework configured as an OAuth resource server",
                f.line_text(m.start()),
            );
        }
        oauth_hits += 1;
    }
    // An AWS SDK client signs with the standard credential chain, whose
    // first link is the access-key environment variables. The variables
    // are the SDK's, not named by the server: they are not listed.
    if let Some((f, m)) = code.iter().find_map(|f| {
        AWS_SDK
            .find_iter(f.text)
            .find(|m| !is_comment(f.line_text(m.start())))
            .map(|m| (f, m))
    }) {
        if sources.insert(CredentialSource::Env) {
            ev.add(
                "credential_sources",
                "env",
                f.path,
                f.line_of(m.start()),
                "AWS SDK reads the access keys from the environment",
                f.line_text(m.start()),
            );
        }
        if methods.insert(AuthMethod::CloudIam) {
            ev.add(
                "auth_methods",
                "cloud_iam",
                f.path,
                f.line_of(m.start()),
                "AWS SDK signs with the default credential chain",
                f.line_text(m.start()),
            );
        }
        // Listed where the server's code or docs tell the operator to set them.
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
        ] {
            if secrets.contains_key(name) {
                continue;
            }
            if let Some(d) = docs
                .iter()
                .chain(scope.iter())
                .find(|d| d.text.contains(name))
            {
                secrets.insert(
                    name.to_string(),
                    Secret {
                        method: Some(AuthMethod::CloudIam),
                        required: false,
                        optional: true,
                    },
                );
                let off = d.text.find(name).unwrap_or(0);
                ev.add(
                    "env_vars",
                    name,
                    d.path,
                    d.line_of(off),
                    "AWS credential variable the server's docs or code name",
                    d.line_text(off),
                );
            }
        }
    }
    if methods.contains(&AuthMethod::SessionCookie) {
        if cookie_file {
            sources.insert(CredentialSource::ConfigFile);
            held = true;
        }
        if browser_login {
            sources.insert(CredentialSource::OauthFlow);
            held = true;
        }
    }
    if !oauth_flow && flow_parts.len() >= 2 {
        oauth_flow = true;
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
    if oauth_hits > 0 {
        methods.insert(AuthMethod::Oauth);
        if oauth_flow {
            sources.insert(CredentialSource::OauthFlow);
            if let Some((f, m)) = code.iter().find_map(|f| {
                TOKEN_STORE
                    .find_iter(f.text)
                    .find(|m| !is_comment(f.line_text(m.start())))
                    .map(|m| (f, m))
            }) {
                if sources.insert(CredentialSource::ConfigFile) {
                    ev.add(
                        "credential_sources",
                        "config_file",
                        f.path,
                        f.line_of(m.start()),
                        "OAuth client secrets or tokens kept in a file",
                        f.line_text(m.start()),
                    );
                }
            }
        }
    }
    if request {
        sources.insert(CredentialSource::Request);
        if !methods.contains(&AuthMethod::Oauth) && !resource_server {
            methods.insert(AuthMethod::ApiKey);
        }
    }

    // 6. Literal secrets.
    for f in scope
        .iter()
        .filter(|f| f.role == Role::Core && (f.is_source() || is_config_text(f)))
    {
        if let Some(h) = secrets::scan(f).into_iter().next() {
            sources.insert(CredentialSource::Hardcoded);
            methods.insert(h.method);
            ev.add(
                "credential_sources",
                "hardcoded",
                f.path,
                f.line_of(h.offset),
                h.rule,
                &h.masked,
            );
            break;
        }
    }
    // Literal defaults in the configuration the server reads at start. The
    // setting says where a credential goes, not which scheme it is: only
    // the source is recorded.
    if !sources.contains(&CredentialSource::Hardcoded) {
        // A demo server's own configuration is what that server runs with.
        for f in scope
            .iter()
            .filter(|f| matches!(f.role, Role::Core | Role::Example))
        {
            if let Some((offset, name, masked)) = secrets::scan_runtime_config(f.path, f.text) {
                sources.insert(CredentialSource::Hardcoded);
                ev.add(
                    "credential_sources",
                    "hardcoded",
                    f.path,
                    f.line_of(offset),
                    &format!("literal default for the setting {name} in run-time configuration"),
                    &masked,
                );
                break;
            }
        }
    }

    // An access token kept beside its refresh token came out of an OAuth
    // flow (RFC 6749 issues them as a pair), whatever its own name says.
    let refreshable: Vec<String> = secrets
        .keys()
        .filter_map(|n| n.strip_suffix("REFRESH_TOKEN").map(str::to_string))
        .collect();
    for (name, s) in secrets.iter_mut() {
        if let Some(prefix) = name.strip_suffix("ACCESS_TOKEN") {
            if refreshable.iter().any(|p| p == prefix) {
                s.method = Some(AuthMethod::Oauth);
            }
        }
    }
    // A token the docs call personal (created in the user's own settings)
    // is a PAT whatever its variable is called.
    for (name, s) in secrets.iter_mut() {
        if s.method != Some(AuthMethod::ApiKey) {
            continue;
        }
        for d in docs {
            if let Some(off) = d.text.find(name.as_str()) {
                if PAT_DOC.is_match(d.window(off, 5, 3)) {
                    s.method = Some(AuthMethod::Pat);
                    ev.add(
                        "auth_methods",
                        "pat",
                        d.path,
                        d.line_of(off),
                        "documentation calls the token personal",
                        d.line_text(off),
                    );
                    break;
                }
            }
        }
        if s.method == Some(AuthMethod::Pat) {
            continue;
        }
        // The server's own help or error text beside the variable ("provide
        // a personal access token with --access-token or set X").
        'source: for f in scope
            .iter()
            .filter(|f| f.role == Role::Core && f.is_source())
        {
            for (off, _) in f.text.match_indices(name.as_str()).take(20) {
                if PAT_DOC.is_match(f.window(off, 1, 1)) {
                    s.method = Some(AuthMethod::Pat);
                    ev.add(
                        "auth_methods",
                        "pat",
                        f.path,
                        f.line_of(off),
                        "the server's own message calls the token personal",
                        f.line_text(off),
                    );
                    break 'source;
                }
            }
        }
    }
    for s in secrets.values() {
        if let Some(m) = s.method {
            methods.insert(m);
        }
    }
    for (name, s) in &secrets {
        if let Some(m) = s.method {
            if !ev
                .0
                .iter()
                .any(|e| e.field == "auth_methods" && e.value == m.as_str())
            {
                ev.add(
                    "auth_methods",
                    m.as_str(),
                    "",
                    0,
                    "kind of secret named by the variable",
                    name,
                );
            }
        }
    }
    if secrets.values().all(|s| s.method.is_none()) && !secrets.is_empty() && methods.is_empty() {
        methods.insert(AuthMethod::ApiKey);
    }

    // Whether the server can run without any of it.
    let has_secret = !methods.is_empty();
    let optional_doc = documented
        .iter()
        .any(|d| secrets.contains_key(&d.name) && OPTIONAL_DOC.is_match(&d.context))
        || docs
            .iter()
            .filter(|d| crate::paths::is_readme(d.path))
            .any(|d| KEY_OPTIONAL_PROSE.is_match(d.text));
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
        })
        .cloned();
    if let Some(name) = &purpose {
        ev.add(
            "credentials",
            "required",
            "",
            0,
            "secret named for the server's own service",
            name,
        );
    }
    let (credentials, why) = if !has_secret {
        (Credentials::None, "no secret read anywhere in the server")
    } else if any_required
        || config_required
        || secrets.values().any(|s| s.required && s.method.is_some())
    {
        (
            Credentials::Required,
            "the server errors or exits without a secret",
        )
    } else if resource_server
        || (methods.contains(&AuthMethod::Oauth) && !oauth_flow && secrets.is_empty())
    {
        (
            Credentials::Required,
            "clients must present a verified token",
        )
    } else if methods.contains(&AuthMethod::Oauth)
        && oauth_flow
        && !optional_doc
        && !any_optional_use
    {
        (
            Credentials::Required,
            "the user must log in through the server's OAuth flow",
        )
    } else if purpose.is_some() && !optional_doc {
        (
            Credentials::Required,
            "the secret is for the service the server exists to reach",
        )
    } else if (any_optional_use && secrets.values().all(|s| s.optional)) || optional_doc {
        (
            Credentials::Optional,
            "secrets are only used when present, or documented as optional",
        )
    } else if required_doc {
        (
            Credentials::Required,
            "documentation marks the secret as required",
        )
    } else if secrets.is_empty() && (held || config_secrets > 0) {
        (
            Credentials::Required,
            "the server reaches its service with a held credential (client certificate, Kerberos ticket, saved browser session)",
        )
    } else if secrets.is_empty() && !cli_flags.is_empty() {
        (
            Credentials::Required,
            "the secret is passed on the command line to start the server",
        )
    } else if secrets.is_empty() && !methods.contains(&AuthMethod::CloudIam) {
        (Credentials::Optional, "only incidental secrets")
    } else if methods.contains(&AuthMethod::CloudIam)
        || secrets
            .values()
            .any(|s| s.method == Some(AuthMethod::ConnectionString))
    {
        (
            Credentials::Required,
            "the server works through a cloud credential chain or a database connection",
        )
    } else {
        (
            Credentials::Optional,
            "the secrets serve side features, not the server's own service",
        )
    };
    ev.add("credentials", credentials.as_str(), "", 0, why, "");
    if methods.is_empty() {
        sources.clear();
    }

    AuthResult {
        credentials,
        methods,
        sources,
        env_vars: secrets.into_keys().collect(),
    }
}

/// The value is stored (`apiKey := os.Getenv(..)`, `APIKey: os.Getenv(..)`,
/// `self.token = os.environ.get(..)`) and a later line in the same file
/// tests that name for absence and fails: a config loader that validates
/// after reading everything.
fn checked_later(f: &File, off: usize, name: &str) -> bool {
    let line_end = next_line_start(f, off);
    let rest = &f.text[line_end..];
    let mut pos = line_end;
    for l in rest.split_inclusive('\n').take(60) {
        if l.contains(name) && absence_test(l, name) && REQUIRED_HINT.is_match(f.window(pos, 0, 3))
        {
            return true;
        }
        pos += l.len();
    }
    false
}

/// Is the variable this read assigns tested for being present, before any
/// test for its absence? `if (token) {`, `if token:`, `if token != "" {`,
/// `if let Some(token)` guard code that only runs with the secret set.
fn tested_for_presence_next(f: &File, off: usize, name: &str) -> bool {
    for l in f.text[next_line_start(f, off)..]
        .split_inclusive('\n')
        .take(3)
    {
        if !contains_identifier(l, name) {
            continue;
        }
        if absence_test(l, name) {
            return false;
        }
        return presence_test(l, name);
    }
    false
}

/// Where the line after the one holding `off` starts.
fn next_line_start(f: &File, off: usize) -> usize {
    f.text[off..]
        .find('\n')
        .map(|i| off + i + 1)
        .unwrap_or(f.text.len())
}

/// The identifier a read on this line is assigned to: `const token =`,
/// `token := os.Getenv(`, `self.token = os.environ.get(`.
fn assigned_name<'t>(f: &'t File, off: usize) -> Option<&'t str> {
    static TARGET: LazyLock<Regex> =
        LazyLock::new(|| re(r#"([A-Za-z_][A-Za-z0-9_]*)["']?\s*(?::=|=|:)\s*[^=:]*$"#));
    let line_start = f.text[..off].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let name = TARGET.captures(&f.text[line_start..off])?.get(1)?.as_str();
    if name.len() < 3 || matches!(name, "const" | "let" | "var" | "val" | "return" | "env") {
        return None;
    }
    Some(name)
}

fn contains_identifier(line: &str, name: &str) -> bool {
    line.match_indices(name).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + name.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            && !after.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Does this line branch on `name` being set: `if (name)`, `if name:`,
/// `if (name &&`, `if name != ""`, `name is not None`, `if let Some(name)`?
fn presence_test(line: &str, name: &str) -> bool {
    let t = line.trim_start();
    let Some(rest) = t
        .strip_prefix("if")
        .or_else(|| t.strip_prefix("} else if"))
        .or_else(|| t.strip_prefix("elif"))
    else {
        return false;
    };
    let cond = rest.trim_start().trim_start_matches('(').trim_start();
    if let Some(after) = cond.strip_prefix(name) {
        let after = after.trim_start();
        return after.starts_with(')')
            || after.starts_with(':')
            || after.starts_with("&&")
            || after.starts_with("and ")
            || after.starts_with('{')
            || after.starts_with("!= \"\"")
            || after.starts_with("!== \"\"")
            || after.starts_with("!= ''")
            || after.starts_with("!== ''")
            || after.starts_with("!= nil")
            || after.starts_with("is not None")
            || after.starts_with("!= null")
            || after.starts_with("!== undefined");
    }
    cond.starts_with(&format!("let Some({name})"))
}

/// A custom credential header looked up in a request's headers map passed
/// around on its own (`headers['x-portal-token']`, `headers.get("x-api-key")`);
/// `response.headers[...]` is what an upstream answered, not a request.
static HEADER_INDEX: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r#"(?i)(?:^|[^.\w])headers\s*(?:\[\s*|\.get\(\s*)['"]x-[a-z0-9-]*(?:api-?key|token|auth)[a-z0-9-]*['"]\s*[\])]"#,
    )
});

/// Is the expression ending at `end` the target of an assignment (a client
/// setting an outbound header) rather than read?
fn assigned_to(text: &str, end: usize) -> bool {
    let rest = text[end..].trim_start_matches([' ', '\t']);
    rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>")
}

/// Does this line test `name` for being missing or empty?
fn absence_test(line: &str, name: &str) -> bool {
    let Some(i) = line.find(name) else {
        return false;
    };
    let before = line[..i].trim_end();
    let after = line[i + name.len()..].trim_start();
    // The match must be the whole identifier.
    if after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
        return false;
    }
    before.ends_with('!')
        || before.ends_with("not")
        || before.ends_with("unless")
        || before.contains("IsNullOrEmpty(")
        || before.contains("IsNullOrWhiteSpace(")
        || before.ends_with("isBlank(")
        || after.starts_with("== \"\"")
        || after.starts_with("=== \"\"")
        || after.starts_with("== ''")
        || after.starts_with("=== ''")
        || after.starts_with("== nil")
        || after.starts_with("is None")
        || after.starts_with("== null")
        || after.starts_with("=== undefined")
        || after.starts_with(".is_empty()")
        || after.starts_with(".isEmpty()")
        || after.starts_with(".isBlank()")
        || after.starts_with(".blank?")
        || after.starts_with(".nil?")
}

/// The window tests for absence of the value, not merely uses it.
fn mentions_missing(window: &str) -> bool {
    static MISSING: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r#"(?i)if\s*\(?\s*!|if\s+not\b|is None|== ?None|===?\s*(?:undefined|null|''|"")|==\s*""|\.is_empty\(\)|isEmpty\(\)|IsNullOrEmpty|IsNullOrWhiteSpace|\bblank\b|unless\b|\?\?\s*(?:throw|die)|\|\|\s*(?:die|throw)|\.expect\(|\.ok_or|missing|required|not set|must\b|== ?nil|\bnull\b"#,
        )
    });
    MISSING.is_match(window)
}

/// Settings classes (pydantic-settings) turn fields into env vars.
fn pydantic_fields(f: &File) -> Vec<(String, usize)> {
    static CLASS: LazyLock<Regex> =
        LazyLock::new(|| re(r#"(?m)^class\s+\w+\s*\(\s*(?:\w+\.)?BaseSettings\s*\)\s*:"#));
    static PREFIX: LazyLock<Regex> =
        // `env_prefix="LM_"` in `SettingsConfigDict(...)` or a v1 `Config`
        // class, `"env_prefix": "LM_"` in a plain `model_config` dict.
        LazyLock::new(|| re(r#"['"]?env_prefix['"]?\s*[=:]\s*['"]([A-Za-z0-9_]*)['"]"#));
    static FIELD: LazyLock<Regex> =
        LazyLock::new(|| re(r#"^    ([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([^=\n]+)"#));
    let mut out = Vec::new();
    for m in CLASS.find_iter(f.text) {
        let body_start = m.end();
        let rest = &f.text[body_start..];
        // The body runs to the next line that is not indented.
        let mut end = rest.len();
        let mut pos = 0;
        for line in rest.split_inclusive('\n') {
            if pos > 0
                && !line.trim().is_empty()
                && !line.starts_with(' ')
                && !line.starts_with('\t')
            {
                end = pos;
                break;
            }
            pos += line.len();
        }
        let body = &rest[..end];
        let prefix = PREFIX
            .captures(body)
            .and_then(|c| c.get(1))
            .map(|m| m.as_str().to_ascii_uppercase())
            .unwrap_or_default();
        let mut off = 0;
        for line in body.split_inclusive('\n') {
            if let Some(c) = FIELD.captures(line) {
                if let Some(name) = c.get(1) {
                    if name.as_str() != "model_config" {
                        out.push((
                            format!("{prefix}{}", name.as_str().to_ascii_uppercase()),
                            body_start + off + name.start(),
                        ));
                    }
                }
            }
            off += line.len();
        }
    }
    out
}
