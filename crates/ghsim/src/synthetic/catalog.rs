//! The data the generator draws from: services and the secrets they need,
//! names, words. Changing these tables changes every synthetic corpus, so
//! append rather than reorder.

/// A third-party service a server wraps.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    pub slug: &'static str,
    pub display: &'static str,
    pub host: &'static str,
    /// What the server lets a model do ("search the web with Brave").
    pub purpose: &'static str,
    pub tool: &'static str,
    pub tool_desc: &'static str,
}

const fn svc(
    slug: &'static str,
    display: &'static str,
    host: &'static str,
    purpose: &'static str,
    tool: &'static str,
    tool_desc: &'static str,
) -> Service {
    Service {
        slug,
        display,
        host,
        purpose,
        tool,
        tool_desc,
    }
}

/// Services with a static API key issued from a dashboard: (service, env var).
pub const API_KEY_SERVICES: &[(Service, &str)] = &[
    (
        svc(
            "brave-search",
            "Brave Search",
            "api.search.brave.com",
            "search the web with Brave Search",
            "brave_web_search",
            "Search the web and return the top results",
        ),
        "BRAVE_API_KEY",
    ),
    (
        svc(
            "openweather",
            "OpenWeather",
            "api.openweathermap.org",
            "get current weather and forecasts",
            "get_forecast",
            "Get the weather forecast for a city",
        ),
        "OPENWEATHER_API_KEY",
    ),
    (
        svc(
            "tavily",
            "Tavily",
            "api.tavily.com",
            "run AI-optimised web searches",
            "tavily_search",
            "Search the web with Tavily",
        ),
        "TAVILY_API_KEY",
    ),
    (
        svc(
            "exa",
            "Exa",
            "api.exa.ai",
            "search the web semantically",
            "exa_search",
            "Semantic web search",
        ),
        "EXA_API_KEY",
    ),
    (
        svc(
            "notion",
            "Notion",
            "api.notion.com",
            "read and write Notion pages",
            "search_pages",
            "Search pages in the Notion workspace",
        ),
        "NOTION_API_KEY",
    ),
    (
        svc(
            "slack",
            "Slack",
            "slack.com",
            "read channels and post messages in Slack",
            "post_message",
            "Post a message to a Slack channel",
        ),
        "SLACK_BOT_TOKEN",
    ),
    (
        svc(
            "linear",
            "Linear",
            "api.linear.app",
            "manage Linear issues",
            "create_issue",
            "Create a Linear issue",
        ),
        "LINEAR_API_KEY",
    ),
    (
        svc(
            "stripe",
            "Stripe",
            "api.stripe.com",
            "look up Stripe customers and payments",
            "list_charges",
            "List recent charges",
        ),
        "STRIPE_SECRET_KEY",
    ),
    (
        svc(
            "firecrawl",
            "Firecrawl",
            "api.firecrawl.dev",
            "scrape and crawl websites",
            "scrape_url",
            "Scrape a URL into markdown",
        ),
        "FIRECRAWL_API_KEY",
    ),
    (
        svc(
            "perplexity",
            "Perplexity",
            "api.perplexity.ai",
            "ask Perplexity for sourced answers",
            "ask_perplexity",
            "Ask a question and get a sourced answer",
        ),
        "PERPLEXITY_API_KEY",
    ),
    (
        svc(
            "openai-images",
            "OpenAI Images",
            "api.openai.com",
            "generate images with DALL-E",
            "generate_image",
            "Generate an image from a prompt",
        ),
        "OPENAI_API_KEY",
    ),
    (
        svc(
            "elevenlabs",
            "ElevenLabs",
            "api.elevenlabs.io",
            "turn text into speech",
            "text_to_speech",
            "Synthesise speech from text",
        ),
        "ELEVENLABS_API_KEY",
    ),
    (
        svc(
            "pinecone",
            "Pinecone",
            "api.pinecone.io",
            "query Pinecone vector indexes",
            "query_index",
            "Query a vector index",
        ),
        "PINECONE_API_KEY",
    ),
    (
        svc(
            "airtable",
            "Airtable",
            "api.airtable.com",
            "read and update Airtable bases",
            "list_records",
            "List records of a table",
        ),
        "AIRTABLE_API_KEY",
    ),
    (
        svc(
            "serpapi",
            "SerpApi",
            "serpapi.com",
            "fetch Google results through SerpApi",
            "google_search",
            "Run a Google search",
        ),
        "SERPAPI_API_KEY",
    ),
    (
        svc(
            "alphavantage",
            "Alpha Vantage",
            "www.alphavantage.co",
            "fetch stock quotes",
            "get_quote",
            "Get a stock quote",
        ),
        "ALPHAVANTAGE_API_KEY",
    ),
    (
        svc(
            "newsapi",
            "NewsAPI",
            "newsapi.org",
            "search news articles",
            "search_news",
            "Search recent news",
        ),
        "NEWS_API_KEY",
    ),
    (
        svc(
            "discord",
            "Discord",
            "discord.com",
            "read and send Discord messages",
            "send_message",
            "Send a message to a channel",
        ),
        "DISCORD_BOT_TOKEN",
    ),
    (
        svc(
            "telegram",
            "Telegram",
            "api.telegram.org",
            "send Telegram messages from a bot",
            "send_message",
            "Send a Telegram message",
        ),
        "TELEGRAM_BOT_TOKEN",
    ),
    (
        svc(
            "resend",
            "Resend",
            "api.resend.com",
            "send transactional e-mail",
            "send_email",
            "Send an e-mail",
        ),
        "RESEND_API_KEY",
    ),
    (
        svc(
            "shodan",
            "Shodan",
            "api.shodan.io",
            "look up hosts on Shodan",
            "host_lookup",
            "Look up an IP address",
        ),
        "SHODAN_API_KEY",
    ),
    (
        svc(
            "virustotal",
            "VirusTotal",
            "www.virustotal.com",
            "scan URLs and files with VirusTotal",
            "scan_url",
            "Scan a URL",
        ),
        "VIRUSTOTAL_API_KEY",
    ),
    (
        svc(
            "youtube",
            "YouTube",
            "www.googleapis.com",
            "search YouTube videos and transcripts",
            "search_videos",
            "Search YouTube",
        ),
        "YOUTUBE_API_KEY",
    ),
    (
        svc(
            "tmdb",
            "TMDB",
            "api.themoviedb.org",
            "look up movies and TV shows",
            "search_movies",
            "Search movies",
        ),
        "TMDB_API_KEY",
    ),
    (
        svc(
            "mapbox",
            "Mapbox",
            "api.mapbox.com",
            "geocode addresses and plan routes",
            "geocode",
            "Geocode an address",
        ),
        "MAPBOX_ACCESS_TOKEN",
    ),
    (
        svc(
            "hubspot",
            "HubSpot",
            "api.hubapi.com",
            "manage HubSpot contacts",
            "search_contacts",
            "Search CRM contacts",
        ),
        "HUBSPOT_ACCESS_TOKEN",
    ),
    (
        svc(
            "datadog",
            "Datadog",
            "api.datadoghq.com",
            "query Datadog metrics and monitors",
            "query_metrics",
            "Query metrics",
        ),
        "DD_API_KEY",
    ),
    (
        svc(
            "sendgrid",
            "SendGrid",
            "api.sendgrid.com",
            "send e-mail through SendGrid",
            "send_email",
            "Send an e-mail",
        ),
        "SENDGRID_API_KEY",
    ),
    (
        svc(
            "anthropic-batch",
            "Claude Batches",
            "api.anthropic.com",
            "submit Claude message batches",
            "create_batch",
            "Create a message batch",
        ),
        "ANTHROPIC_API_KEY",
    ),
    (
        svc(
            "finnhub",
            "Finnhub",
            "finnhub.io",
            "get market news and quotes",
            "company_news",
            "Get company news",
        ),
        "FINNHUB_API_KEY",
    ),
];

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

pub const AWS_SERVICES: &[Service] = &[
    svc(
        "aws-s3",
        "Amazon S3",
        "s3.amazonaws.com",
        "list and read S3 objects",
        "list_objects",
        "List objects in a bucket",
    ),
    svc(
        "dynamodb",
        "DynamoDB",
        "dynamodb.amazonaws.com",
        "query DynamoDB tables",
        "query_table",
        "Query a table",
    ),
    svc(
        "bedrock-kb",
        "Bedrock Knowledge Bases",
        "bedrock.amazonaws.com",
        "retrieve from Bedrock knowledge bases",
        "retrieve",
        "Retrieve passages",
    ),
    svc(
        "cloudwatch-logs",
        "CloudWatch Logs",
        "logs.amazonaws.com",
        "search CloudWatch logs",
        "filter_log_events",
        "Filter log events",
    ),
];

/// Services needing no secret at all.
pub const FREE_SERVICES: &[Service] = &[
    svc(
        "calculator",
        "Calculator",
        "",
        "evaluate arithmetic expressions",
        "calculate",
        "Evaluate an expression",
    ),
    svc(
        "filesystem",
        "Filesystem",
        "",
        "read and write files in allowed directories",
        "read_file",
        "Read a file",
    ),
    svc(
        "time",
        "Time",
        "",
        "convert times between time zones",
        "get_current_time",
        "Get the current time in a zone",
    ),
    svc(
        "fetch",
        "Fetch",
        "",
        "fetch web pages as markdown",
        "fetch",
        "Fetch a URL",
    ),
    svc(
        "sqlite",
        "SQLite",
        "",
        "query a local SQLite file",
        "read_query",
        "Run a SELECT query",
    ),
    svc(
        "memory",
        "Memory",
        "",
        "keep a knowledge graph memory across chats",
        "create_entities",
        "Create entities",
    ),
    svc(
        "sequential-thinking",
        "Sequential Thinking",
        "",
        "think step by step",
        "sequentialthinking",
        "Record a thought",
    ),
    svc(
        "unit-converter",
        "Unit Converter",
        "",
        "convert units",
        "convert",
        "Convert a value",
    ),
    svc(
        "weather-gov",
        "US Weather",
        "api.weather.gov",
        "get US weather alerts and forecasts",
        "get_alerts",
        "Get weather alerts for a state",
    ),
    svc(
        "wikipedia",
        "Wikipedia",
        "en.wikipedia.org",
        "search and read Wikipedia",
        "search_wikipedia",
        "Search articles",
    ),
    svc(
        "arxiv",
        "arXiv",
        "export.arxiv.org",
        "search arXiv papers",
        "search_papers",
        "Search papers",
    ),
    svc(
        "hacker-news",
        "Hacker News",
        "hacker-news.firebaseio.com",
        "read Hacker News stories",
        "top_stories",
        "Get top stories",
    ),
    svc(
        "git-local",
        "Git",
        "",
        "inspect local git repositories",
        "git_log",
        "Show the commit log",
    ),
    svc(
        "pdf-reader",
        "PDF Reader",
        "",
        "extract text from PDF files",
        "extract_text",
        "Extract text",
    ),
    svc(
        "mermaid",
        "Mermaid",
        "",
        "render Mermaid diagrams",
        "render_diagram",
        "Render a diagram",
    ),
    svc(
        "dice",
        "Dice",
        "",
        "roll dice for tabletop games",
        "roll",
        "Roll dice",
    ),
];

/// Services exposed over HTTP behind the server's own auth.
pub const HOSTED_SERVICES: &[Service] = &[
    svc(
        "team-notes",
        "Team Notes",
        "notes.internal",
        "search the team's notes",
        "search_notes",
        "Search notes",
    ),
    svc(
        "tasks",
        "Tasks",
        "tasks.internal",
        "manage a shared task list",
        "add_task",
        "Add a task",
    ),
    svc(
        "internal-docs",
        "Internal Docs",
        "docs.internal",
        "search internal documentation",
        "search_docs",
        "Search the docs",
    ),
    svc(
        "crm-lite",
        "CRM",
        "crm.internal",
        "look up customers in the CRM",
        "find_customer",
        "Find a customer",
    ),
];

pub const FIRST_NAMES: &[&str] = &[
    "alex", "sam", "jordan", "taylor", "morgan", "casey", "riley", "jamie", "avery", "quinn", "li",
    "wei", "yuki", "hiro", "anna", "maria", "lucas", "noah", "emma", "olivia", "liam", "mateo",
    "sofia", "ivan", "olga", "arjun", "priya", "ravi", "fatima", "omar", "chen", "mei", "kenji",
    "sara", "david", "daniel", "elena", "marco", "paolo", "nina", "jonas", "lea", "felix", "ada",
    "grace", "linus", "tomas", "eva", "kai", "zoe",
];

pub const ORG_WORDS: &[&str] = &[
    "labs", "dev", "ai", "tools", "hq", "io", "works", "studio", "systems", "cloud", "tech",
    "code", "hub", "base", "forge", "stack", "ops", "data", "agents", "mcp",
];

pub const ADJECTIVES: &[&str] = &[
    "tiny", "quick", "simple", "smart", "open", "awesome", "modern", "minimal", "super", "easy",
    "better", "fast", "secure", "local", "cloud", "micro", "happy", "neat", "clean", "bold",
];

pub const NOUNS: &[&str] = &[
    "blog",
    "todo",
    "dashboard",
    "portfolio",
    "notes",
    "tracker",
    "bot",
    "api",
    "cli",
    "scraper",
    "game",
    "chat",
    "shop",
    "wiki",
    "planner",
    "timer",
    "budget",
    "journal",
    "gallery",
    "dotfiles",
    "homelab",
    "compiler",
    "parser",
    "editor",
    "website",
];

pub const MOD_NAMES: &[&str] = &[
    "better-ores",
    "tech-reborn",
    "sky-islands",
    "more-furnaces",
    "magic-wands",
    "iron-chests",
    "quarry-plus",
    "ender-storage",
    "pipe-mod",
    "biome-tweaks",
    "mob-spawner",
    "fast-leaves",
    "world-edit-lite",
    "compact-machines",
];

pub const MC_VERSIONS: &[(&str, &str)] = &[
    ("1.12.2", "snapshot_20171003"),
    ("1.8.9", "stable_22"),
    ("1.7.10", "stable_12"),
    ("1.14.4", "snapshot_20190719"),
    ("1.16.5", "official"),
];
