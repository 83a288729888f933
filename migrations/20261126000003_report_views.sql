-- Views (and one function) behind the report, `report --compare`, `export`
-- and queries/*.sql. They only derive columns; every count is made by the
-- report or the query that uses them, so a share is always explainable as
-- "numerator rows of this view / denominator rows of run_servers".

CREATE FUNCTION env_var_service(env_var text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT CASE
    WHEN v LIKE 'GITHUB\_%' OR v LIKE 'GH\_%' THEN 'GitHub'
    WHEN v LIKE 'GITLAB\_%' THEN 'GitLab'
    WHEN v LIKE 'AZURE\_DEVOPS%' OR v LIKE 'ADO\_%' THEN 'Azure DevOps'
    WHEN v LIKE 'AZURE\_%' THEN 'Azure'
    WHEN v LIKE 'AWS\_%' THEN 'AWS'
    WHEN v LIKE 'GOOGLE\_%' OR v LIKE 'GCP\_%' OR v LIKE 'GEMINI\_%' OR v LIKE 'YOUTUBE\_%' THEN 'Google'
    WHEN v LIKE 'OPENAI\_%' THEN 'OpenAI'
    WHEN v LIKE 'ANTHROPIC\_%' OR v LIKE 'CLAUDE\_%' THEN 'Anthropic'
    WHEN v LIKE 'JIRA\_%' OR v LIKE 'CONFLUENCE\_%' OR v LIKE 'ATLASSIAN\_%' THEN 'Atlassian'
    WHEN v LIKE 'SLACK\_%' THEN 'Slack'
    WHEN v LIKE 'DISCORD\_%' THEN 'Discord'
    WHEN v LIKE 'TELEGRAM\_%' THEN 'Telegram'
    WHEN v LIKE 'NOTION\_%' THEN 'Notion'
    WHEN v LIKE 'LINEAR\_%' THEN 'Linear'
    WHEN v LIKE 'AIRTABLE\_%' THEN 'Airtable'
    WHEN v LIKE 'HUBSPOT\_%' THEN 'HubSpot'
    WHEN v LIKE 'STRIPE\_%' THEN 'Stripe'
    WHEN v LIKE 'BRAVE\_%' THEN 'Brave Search'
    WHEN v LIKE 'TAVILY\_%' THEN 'Tavily'
    WHEN v LIKE 'EXA\_%' THEN 'Exa'
    WHEN v LIKE 'PERPLEXITY\_%' THEN 'Perplexity'
    WHEN v LIKE 'FIRECRAWL\_%' THEN 'Firecrawl'
    WHEN v LIKE 'SERPAPI\_%' THEN 'SerpApi'
    WHEN v LIKE 'HF\_%' OR v LIKE 'HUGGINGFACE\_%' THEN 'Hugging Face'
    WHEN v LIKE 'PINECONE\_%' THEN 'Pinecone'
    WHEN v LIKE 'ELEVENLABS\_%' THEN 'ElevenLabs'
    WHEN v LIKE 'SENDGRID\_%' THEN 'SendGrid'
    WHEN v LIKE 'RESEND\_%' THEN 'Resend'
    WHEN v LIKE 'MAPBOX\_%' THEN 'Mapbox'
    WHEN v LIKE 'DD\_%' OR v LIKE 'DATADOG\_%' THEN 'Datadog'
    WHEN v LIKE 'SENTRY\_%' THEN 'Sentry'
    WHEN v LIKE 'CLOUDFLARE\_%' OR v LIKE 'CF\_%' THEN 'Cloudflare'
    WHEN v LIKE 'SUPABASE\_%' THEN 'Supabase'
    WHEN v LIKE 'NPM\_%' THEN 'npm'
    WHEN v LIKE 'HASS\_%' OR v LIKE 'HOME\_ASSISTANT%' THEN 'Home Assistant'
    WHEN v LIKE 'WORDPRESS\_%' THEN 'WordPress'
    WHEN v LIKE 'NEXTCLOUD\_%' THEN 'Nextcloud'
    WHEN v LIKE 'JENKINS\_%' THEN 'Jenkins'
    WHEN v LIKE 'PROXMOX\_%' THEN 'Proxmox'
    WHEN v LIKE 'SHODAN\_%' THEN 'Shodan'
    WHEN v LIKE 'VIRUSTOTAL\_%' THEN 'VirusTotal'
    WHEN v LIKE 'SPOTIFY\_%' THEN 'Spotify'
    WHEN v LIKE 'SHOPIFY\_%' THEN 'Shopify'
    WHEN v LIKE 'TWILIO\_%' THEN 'Twilio'
    WHEN v LIKE 'MCP\_%' OR v LIKE 'SERVER\_AUTH%' THEN 'the MCP server itself'
    WHEN v LIKE 'POSTGRES%' OR v LIKE 'PG%' OR v LIKE 'MYSQL\_%' OR v LIKE 'MONGO%'
      OR v LIKE 'REDIS\_%' OR v LIKE 'CLICKHOUSE\_%' OR v LIKE 'AMQP\_%' OR v LIKE 'MQTT\_%'
      OR v = 'DATABASE_URL' THEN 'a database or broker'
    ELSE 'other'
END
FROM (SELECT upper(env_var) AS v) AS s
$$;
COMMENT ON FUNCTION env_var_service(text) IS 'The service a secret environment variable belongs to, by name (GITHUB_* is GitHub, OPENAI_API_KEY is OpenAI, ...); ''other'' when the name does not say. Replace it in a new migration to extend the mapping.';

CREATE VIEW server_facts AS
SELECT s.run_id,
       s.run_name,
       s.repository_id,
       s.full_name,
       coalesce(nullif(s.language, ''), '(unknown)') AS language,
       s.stargazers_count,
       CASE WHEN s.stargazers_count < 1 THEN 0
            WHEN s.stargazers_count < 10 THEN 1
            WHEN s.stargazers_count < 100 THEN 10
            WHEN s.stargazers_count < 1000 THEN 100
            ELSE 1000 END AS stars_floor,
       CASE WHEN s.stargazers_count < 1 THEN '0'
            WHEN s.stargazers_count < 10 THEN '1-9'
            WHEN s.stargazers_count < 100 THEN '10-99'
            WHEN s.stargazers_count < 1000 THEN '100-999'
            ELSE '1000+' END AS stars_bucket,
       to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM') AS created_month,
       s.credentials = 'required' AS requires_credentials,
       s.auth_methods && ARRAY['api_key', 'pat'] AS static_key_or_pat,
       'oauth' = ANY (s.auth_methods) AS oauth,
       'env' = ANY (s.credential_sources) AS reads_env
FROM run_servers s;
COMMENT ON VIEW server_facts IS 'One row per (run, server) with the four headline flags and the breakdown keys: language (''(unknown)'' when empty), stars bucket (0, 1-9, 10-99, 100-999, 1000+; stars_floor orders them), creation month (UTC, YYYY-MM).';

CREATE VIEW server_sdks AS
SELECT s.run_id, s.run_name, s.repository_id, s.full_name,
       unnest(CASE WHEN cardinality(s.sdk) = 0 THEN ARRAY['(none)'] ELSE s.sdk END) AS sdk
FROM run_servers s;
COMMENT ON VIEW server_sdks IS 'Servers with their MCP SDKs unnested: one row per (run, server, sdk); ''(none)'' when no SDK was recognised. A server built on two SDKs counts under both.';

CREATE VIEW server_transports AS
SELECT s.run_id, s.run_name, s.repository_id, s.full_name,
       unnest(CASE WHEN cardinality(s.transport) = 0 THEN ARRAY['(none)'] ELSE s.transport END) AS transport
FROM run_servers s;
COMMENT ON VIEW server_transports IS 'Servers with their transports unnested: one row per (run, server, transport); ''(none)'' when none was recognised.';

CREATE VIEW server_credential_sources AS
SELECT run_id, run_name, repository_id, full_name, unnest(credential_sources) AS credential_source
FROM run_servers;
COMMENT ON VIEW server_credential_sources IS 'Servers with where they read secrets from, unnested: one row per (run, server, source).';

CREATE VIEW server_env_var_services AS
SELECT run_id, run_name, repository_id, full_name, env_var, env_var_service(env_var) AS service
FROM server_env_vars;
COMMENT ON VIEW server_env_var_services IS 'server_env_vars with the service each variable belongs to (env_var_service).';

CREATE VIEW repository_seed_queries AS
SELECT DISTINCT h.run_id, r.name AS run_name, h.repository_id, sl.query_name
FROM hits h
JOIN search_slices sl ON sl.id = h.slice_id
JOIN runs r ON r.id = h.run_id;
COMMENT ON VIEW repository_seed_queries IS 'Which seed query found which repository in each run (hits reduced to one row per run, repository and query).';

CREATE VIEW server_labels_export AS
SELECT rl.run_id,
       rl.run_name,
       rl.full_name AS repo,
       rl.repository_id,
       rl.classifier_version,
       rl.kind,
       rl.language,
       rl.sdk,
       rl.transport,
       rl.credentials,
       rl.auth_methods,
       rl.credential_sources,
       rl.env_vars,
       s.commit_sha,
       rl.github_language,
       rl.stargazers_count,
       repo.forks_count,
       rl.fork,
       rl.archived,
       rl.created_at,
       rr.pushed_at,
       repo.description,
       repo.topics,
       repo.default_branch
FROM run_labels rl
JOIN run_repositories rr ON rr.run_id = rl.run_id AND rr.repository_id = rl.repository_id
JOIN repositories repo ON repo.id = rl.repository_id
LEFT JOIN snapshots s ON s.id = rl.snapshot_id
WHERE rl.kind = 'server';
COMMENT ON VIEW server_labels_export IS 'The shareable dataset: one row per (run, server) with the labels of shared/corpus/SCHEMA.md, the commit they were made at and repository metadata; no file contents and no evidence snippets.';
