//! Services reached with a personal access token, a password, a connection
//! string or OAuth.

use super::{svc, Service};

/// Services whose token is a personal access token: (service, env var,
/// extra non-secret env var such as an e-mail or instance URL).
pub const PAT_SERVICES: &[(Service, &str, Option<&str>)] = &[
    (
        svc(
            "github",
            "GitHub",
            "api.github.com",
            "manage GitHub issues, pull requests and repositories",
            "create_issue",
            "Create an issue in a repository",
        ),
        "GITHUB_PERSONAL_ACCESS_TOKEN",
        None,
    ),
    (
        svc(
            "gitlab",
            "GitLab",
            "gitlab.com",
            "manage GitLab projects and merge requests",
            "list_merge_requests",
            "List merge requests of a project",
        ),
        "GITLAB_PERSONAL_ACCESS_TOKEN",
        Some("GITLAB_API_URL"),
    ),
    (
        svc(
            "gitlab",
            "GitLab",
            "gitlab.com",
            "search GitLab issues",
            "search_issues",
            "Search issues",
        ),
        "GITLAB_TOKEN",
        Some("GITLAB_URL"),
    ),
    (
        svc(
            "azure-devops",
            "Azure DevOps",
            "dev.azure.com",
            "work with Azure DevOps boards and pipelines",
            "list_work_items",
            "List work items",
        ),
        "AZURE_DEVOPS_PAT",
        Some("AZURE_DEVOPS_ORG"),
    ),
    (
        svc(
            "jira",
            "Jira",
            "atlassian.net",
            "search and update Jira issues",
            "jira_search",
            "Search issues with JQL",
        ),
        "JIRA_API_TOKEN",
        Some("JIRA_EMAIL"),
    ),
    (
        svc(
            "confluence",
            "Confluence",
            "atlassian.net",
            "read and write Confluence pages",
            "confluence_search",
            "Search Confluence with CQL",
        ),
        "CONFLUENCE_API_TOKEN",
        Some("CONFLUENCE_USERNAME"),
    ),
    (
        svc(
            "home-assistant",
            "Home Assistant",
            "homeassistant.local",
            "control Home Assistant devices",
            "call_service",
            "Call a Home Assistant service",
        ),
        "HASS_TOKEN",
        Some("HASS_URL"),
    ),
];

/// Services where a token is optional and only raises limits or unlocks
/// private data: (service, env var, is it a PAT).
pub const OPTIONAL_SERVICES: &[(Service, &str, bool)] = &[
    (
        svc(
            "github-search",
            "GitHub",
            "api.github.com",
            "search public GitHub repositories and code",
            "search_repositories",
            "Search repositories",
        ),
        "GITHUB_TOKEN",
        true,
    ),
    (
        svc(
            "nasa",
            "NASA",
            "api.nasa.gov",
            "browse NASA imagery and data",
            "apod",
            "Astronomy picture of the day",
        ),
        "NASA_API_KEY",
        false,
    ),
    (
        svc(
            "semantic-scholar",
            "Semantic Scholar",
            "api.semanticscholar.org",
            "search academic papers",
            "search_papers",
            "Search papers",
        ),
        "SEMANTIC_SCHOLAR_API_KEY",
        false,
    ),
    (
        svc(
            "coingecko",
            "CoinGecko",
            "api.coingecko.com",
            "get cryptocurrency prices",
            "get_price",
            "Get coin prices",
        ),
        "COINGECKO_API_KEY",
        false,
    ),
    (
        svc(
            "npm-registry",
            "npm",
            "registry.npmjs.org",
            "look up npm packages",
            "package_info",
            "Get package metadata",
        ),
        "NPM_TOKEN",
        false,
    ),
    (
        svc(
            "huggingface",
            "Hugging Face",
            "huggingface.co",
            "search models and datasets on the Hub",
            "search_models",
            "Search models",
        ),
        "HF_TOKEN",
        false,
    ),
];

/// Services with a user name and password: (service, user var, password var).
pub const BASIC_SERVICES: &[(Service, &str, &str)] = &[
    (
        svc(
            "imap-email",
            "E-mail (IMAP)",
            "imap.example.com",
            "read and search your mailbox over IMAP",
            "search_emails",
            "Search e-mails",
        ),
        "EMAIL_USERNAME",
        "EMAIL_PASSWORD",
    ),
    (
        svc(
            "wordpress",
            "WordPress",
            "example.com",
            "publish WordPress posts",
            "create_post",
            "Create a draft post",
        ),
        "WORDPRESS_USERNAME",
        "WORDPRESS_APP_PASSWORD",
    ),
    (
        svc(
            "mqtt",
            "MQTT",
            "broker.local",
            "publish and subscribe to MQTT topics",
            "publish",
            "Publish a message",
        ),
        "MQTT_USERNAME",
        "MQTT_PASSWORD",
    ),
    (
        svc(
            "nextcloud",
            "Nextcloud",
            "cloud.example.com",
            "manage files in Nextcloud",
            "list_files",
            "List files in a folder",
        ),
        "NEXTCLOUD_USER",
        "NEXTCLOUD_PASSWORD",
    ),
    (
        svc(
            "proxmox",
            "Proxmox",
            "pve.local",
            "manage Proxmox VMs",
            "list_vms",
            "List virtual machines",
        ),
        "PROXMOX_USER",
        "PROXMOX_PASSWORD",
    ),
    (
        svc(
            "jenkins",
            "Jenkins",
            "jenkins.local",
            "trigger and inspect Jenkins jobs",
            "trigger_build",
            "Trigger a build",
        ),
        "JENKINS_USER",
        "JENKINS_PASSWORD",
    ),
];

/// Databases reached through a URL carrying credentials: (service, var, scheme).
pub const CONN_SERVICES: &[(Service, &str, &str)] = &[
    (
        svc(
            "postgres",
            "PostgreSQL",
            "localhost",
            "run read-only SQL against PostgreSQL",
            "query",
            "Run a read-only SQL query",
        ),
        "DATABASE_URL",
        "postgresql://user:password@localhost:5432/app",
    ),
    (
        svc(
            "mysql",
            "MySQL",
            "localhost",
            "query MySQL databases",
            "run_query",
            "Run a SQL query",
        ),
        "MYSQL_URL",
        "mysql://user:password@localhost:3306/app",
    ),
    (
        svc(
            "mongodb",
            "MongoDB",
            "localhost",
            "query MongoDB collections",
            "find",
            "Find documents",
        ),
        "MONGODB_URI",
        "mongodb://user:password@localhost:27017/app",
    ),
    (
        svc(
            "redis",
            "Redis",
            "localhost",
            "read and write Redis keys",
            "get_key",
            "Get a key",
        ),
        "REDIS_URL",
        "redis://default:password@localhost:6379",
    ),
    (
        svc(
            "rabbitmq",
            "RabbitMQ",
            "localhost",
            "publish to RabbitMQ queues",
            "publish",
            "Publish to a queue",
        ),
        "AMQP_URL",
        "amqp://guest:guest@localhost:5672",
    ),
    (
        svc(
            "clickhouse",
            "ClickHouse",
            "localhost",
            "run analytics queries on ClickHouse",
            "query",
            "Run a query",
        ),
        "CLICKHOUSE_URL",
        "clickhouse://default:password@localhost:9000/default",
    ),
];

/// OAuth services: (service, env prefix, flow).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthFlow {
    AuthorizationCode,
    DeviceCode,
    RefreshToken,
}

pub const OAUTH_SERVICES: &[(Service, &str, OAuthFlow)] = &[
    (
        svc(
            "google-drive",
            "Google Drive",
            "www.googleapis.com",
            "search and read Google Drive files",
            "search_files",
            "Search Drive files",
        ),
        "GOOGLE",
        OAuthFlow::AuthorizationCode,
    ),
    (
        svc(
            "gmail",
            "Gmail",
            "gmail.googleapis.com",
            "read, search and draft Gmail messages",
            "search_emails",
            "Search e-mails",
        ),
        "GOOGLE",
        OAuthFlow::AuthorizationCode,
    ),
    (
        svc(
            "google-calendar",
            "Google Calendar",
            "www.googleapis.com",
            "manage calendar events",
            "list_events",
            "List upcoming events",
        ),
        "GOOGLE",
        OAuthFlow::AuthorizationCode,
    ),
    (
        svc(
            "dropbox",
            "Dropbox",
            "api.dropboxapi.com",
            "browse Dropbox files",
            "list_folder",
            "List a folder",
        ),
        "DROPBOX",
        OAuthFlow::AuthorizationCode,
    ),
    (
        svc(
            "outlook",
            "Outlook",
            "graph.microsoft.com",
            "read Outlook mail and calendar through Microsoft Graph",
            "list_messages",
            "List messages",
        ),
        "AZURE",
        OAuthFlow::DeviceCode,
    ),
    (
        svc(
            "onedrive",
            "OneDrive",
            "graph.microsoft.com",
            "browse OneDrive files",
            "list_files",
            "List files",
        ),
        "AZURE",
        OAuthFlow::DeviceCode,
    ),
    (
        svc(
            "spotify",
            "Spotify",
            "api.spotify.com",
            "control Spotify playback",
            "play_track",
            "Play a track",
        ),
        "SPOTIFY",
        OAuthFlow::RefreshToken,
    ),
    (
        svc(
            "strava",
            "Strava",
            "www.strava.com",
            "read Strava activities",
            "list_activities",
            "List activities",
        ),
        "STRAVA",
        OAuthFlow::RefreshToken,
    ),
];
