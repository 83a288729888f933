//! Services with a static API key issued from a dashboard.

use super::{svc, Service};

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
            "groq",
            "Groq",
            "api.groq.com",
            "run fast model inference on Groq",
            "chat_completion",
            "Ask a model hosted on Groq",
        ),
        "GROQ_API_KEY",
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
            "deepgram",
            "Deepgram",
            "api.deepgram.com",
            "transcribe audio with Deepgram",
            "transcribe_audio",
            "Transcribe an audio file",
        ),
        "DEEPGRAM_API_KEY",
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
