-- The MCP registries as a second source of repositories beside GitHub
-- search: what each registry listed (raw server.json, kept across runs so a
-- later run asks only for what changed), how far each run's listing got
-- (so an interrupted listing resumes at its cursor), which repository each
-- entry led to in each run, and the views the report and queries/ read.

CREATE TABLE registry_listings (
    run_id         bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    registry       text NOT NULL,
    base_url       text NOT NULL,
    state          text NOT NULL DEFAULT 'paging'
                   CHECK (state IN ('paging', 'mapping', 'done', 'failed')),
    updated_since  timestamptz,
    next_cursor    text,
    pages_done     integer NOT NULL DEFAULT 0,
    entries_seen   integer NOT NULL DEFAULT 0,
    high_water     timestamptz,
    error          text,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    PRIMARY KEY (run_id, registry)
);
COMMENT ON TABLE registry_listings IS 'One run''s listing of one registry (GET /v0.1/servers, cursor-paged): where it stands, so a resumed harvest continues at the stored cursor.';
COMMENT ON COLUMN registry_listings.run_id IS 'The run.';
COMMENT ON COLUMN registry_listings.registry IS 'Name of the registry in the seed file ([[registry]] name).';
COMMENT ON COLUMN registry_listings.base_url IS 'Base URL the listing asked (the seed file''s, or --registry-url).';
COMMENT ON COLUMN registry_listings.state IS 'paging: pages being read; mapping: entries being matched to repositories; done; failed (see error).';
COMMENT ON COLUMN registry_listings.updated_since IS 'updated_since sent with every page: the high-water mark of the newest finished listing of this registry in an earlier run; NULL for a full listing.';
COMMENT ON COLUMN registry_listings.next_cursor IS 'Cursor of the next page to ask for; NULL before the first page and after the last.';
COMMENT ON COLUMN registry_listings.pages_done IS 'Pages stored so far.';
COMMENT ON COLUMN registry_listings.entries_seen IS 'Entries those pages held.';
COMMENT ON COLUMN registry_listings.high_water IS 'Newest updatedAt of any stored entry of this registry when the listing finished: the next run''s updated_since.';
COMMENT ON COLUMN registry_listings.error IS 'Why the listing failed.';
COMMENT ON COLUMN registry_listings.started_at IS 'When the listing began.';
COMMENT ON COLUMN registry_listings.finished_at IS 'When the last page was stored.';

CREATE TABLE registry_entries (
    registry         text NOT NULL,
    server_name      text NOT NULL,
    version          text NOT NULL,
    status           text NOT NULL,
    is_latest        boolean NOT NULL,
    updated_at       timestamptz,
    repository_url   text,
    repository_name  text,
    subfolder        text,
    server_json      jsonb NOT NULL,
    first_run_id     bigint REFERENCES runs(id) ON DELETE SET NULL,
    last_run_id      bigint REFERENCES runs(id) ON DELETE SET NULL,
    PRIMARY KEY (registry, server_name, version)
);
CREATE INDEX registry_entries_repository ON registry_entries(lower(repository_name));
COMMENT ON TABLE registry_entries IS 'Every entry a registry listed, one row per server name and version, as last listed; kept across runs because an incremental listing returns only what changed.';
COMMENT ON COLUMN registry_entries.registry IS 'Name of the registry in the seed file.';
COMMENT ON COLUMN registry_entries.server_name IS 'server.json name (reverse-DNS, e.g. io.github.owner/server).';
COMMENT ON COLUMN registry_entries.version IS 'server.json version.';
COMMENT ON COLUMN registry_entries.status IS 'Registry status: active, deprecated or deleted.';
COMMENT ON COLUMN registry_entries.is_latest IS 'True for the version the registry marks latest.';
COMMENT ON COLUMN registry_entries.updated_at IS 'The registry''s updatedAt for the entry.';
COMMENT ON COLUMN registry_entries.repository_url IS 'repository.url as declared.';
COMMENT ON COLUMN registry_entries.repository_name IS 'OWNER/NAME of the GitHub repository the URL names (case, .git and trailing paths removed); NULL when it names none.';
COMMENT ON COLUMN registry_entries.subfolder IS 'Folder inside the repository the server lives in (repository.subfolder, or the /tree/REF/PATH part of the URL).';
COMMENT ON COLUMN registry_entries.server_json IS 'The server.json exactly as listed.';
COMMENT ON COLUMN registry_entries.first_run_id IS 'Run whose listing first stored the entry.';
COMMENT ON COLUMN registry_entries.last_run_id IS 'Run whose listing last stored it.';

CREATE TABLE run_registry_entries (
    run_id          bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    registry        text NOT NULL,
    server_name     text NOT NULL,
    version         text NOT NULL,
    repository_name text,
    subfolder       text,
    repository_id   bigint REFERENCES repositories(id),
    outcome         text NOT NULL
                    CHECK (outcome IN ('found', 'gone', 'not_github', 'no_repository')),
    note            text,
    PRIMARY KEY (run_id, registry, server_name),
    FOREIGN KEY (registry, server_name, version) REFERENCES registry_entries(registry, server_name, version)
);
CREATE INDEX run_registry_entries_repository ON run_registry_entries(run_id, repository_id);
COMMENT ON TABLE run_registry_entries IS 'Provenance from the registries: which registry entry (latest version, not deleted) led to which repository of a run.';
COMMENT ON COLUMN run_registry_entries.run_id IS 'The run.';
COMMENT ON COLUMN run_registry_entries.registry IS 'The registry.';
COMMENT ON COLUMN run_registry_entries.server_name IS 'The entry''s server name.';
COMMENT ON COLUMN run_registry_entries.version IS 'The version matched (the latest).';
COMMENT ON COLUMN run_registry_entries.repository_name IS 'OWNER/NAME the entry names.';
COMMENT ON COLUMN run_registry_entries.subfolder IS 'Folder of the server inside the repository (monorepos).';
COMMENT ON COLUMN run_registry_entries.repository_id IS 'The repository it led to; NULL unless outcome = found.';
COMMENT ON COLUMN run_registry_entries.outcome IS 'found; gone (GitHub answered 404, 451, blocked or empty); not_github (the URL names another host); no_repository (the entry names no repository).';
COMMENT ON COLUMN run_registry_entries.note IS 'What GitHub answered for a gone repository, or the URL that is not GitHub''s.';

CREATE VIEW repository_sources AS
SELECT rr.run_id,
       rr.repository_id,
       rr.full_name,
       EXISTS (SELECT 1 FROM hits h WHERE h.run_id = rr.run_id AND h.repository_id = rr.repository_id) AS by_search,
       EXISTS (SELECT 1 FROM run_registry_entries e WHERE e.run_id = rr.run_id AND e.repository_id = rr.repository_id) AS by_registry,
       ARRAY(SELECT DISTINCT sl.query_name FROM hits h JOIN search_slices sl ON sl.id = h.slice_id
             WHERE h.run_id = rr.run_id AND h.repository_id = rr.repository_id ORDER BY 1) AS seed_queries,
       ARRAY(SELECT DISTINCT e.registry FROM run_registry_entries e
             WHERE e.run_id = rr.run_id AND e.repository_id = rr.repository_id ORDER BY 1) AS registries
FROM run_repositories rr;
COMMENT ON VIEW repository_sources IS 'Each repository of a run with the sources that found it: by_search (a seed query''s page listed it), by_registry (a registry entry named it), and which seed queries and registries.';

CREATE VIEW registry_declared_env_vars AS
SELECT DISTINCT e.run_id,
       e.repository_id,
       e.registry,
       e.server_name,
       v.value->>'name' AS env_var,
       -- A publisher's odd value (a string, a number) counts as false
       -- rather than failing every query that reads the view.
       CASE WHEN jsonb_typeof(v.value->'isSecret') = 'boolean' THEN (v.value->'isSecret')::boolean ELSE false END AS is_secret,
       CASE WHEN jsonb_typeof(v.value->'isRequired') = 'boolean' THEN (v.value->'isRequired')::boolean ELSE false END AS is_required
FROM run_registry_entries e
JOIN registry_entries re ON re.registry = e.registry AND re.server_name = e.server_name AND re.version = e.version
CROSS JOIN LATERAL (
    SELECT ev.value FROM jsonb_array_elements(CASE jsonb_typeof(re.server_json->'packages')
                                              WHEN 'array' THEN re.server_json->'packages' ELSE '[]'::jsonb END) p,
                         jsonb_array_elements(CASE jsonb_typeof(p.value->'environmentVariables')
                                              WHEN 'array' THEN p.value->'environmentVariables' ELSE '[]'::jsonb END) ev
    UNION ALL
    SELECT hd.value FROM jsonb_array_elements(CASE jsonb_typeof(re.server_json->'remotes')
                                              WHEN 'array' THEN re.server_json->'remotes' ELSE '[]'::jsonb END) rm,
                         jsonb_array_elements(CASE jsonb_typeof(rm.value->'headers')
                                              WHEN 'array' THEN rm.value->'headers' ELSE '[]'::jsonb END) hd
) v
WHERE e.outcome = 'found' AND jsonb_typeof(v.value->'name') = 'string';
COMMENT ON VIEW registry_declared_env_vars IS 'Environment variables (packages[].environmentVariables) and headers (remotes[].headers) a repository''s registry entries declare, with isSecret and isRequired: the second opinion on the classifier''s env_vars.';

CREATE VIEW registry_secret_agreement AS
WITH declared AS (
    SELECT run_id, repository_id, env_var, bool_or(is_secret) AS declared_secret
    FROM registry_declared_env_vars
    GROUP BY run_id, repository_id, env_var
), classified AS (
    SELECT s.run_id, s.repository_id, unnest(s.env_vars) AS env_var
    FROM run_servers s
    WHERE EXISTS (SELECT 1 FROM run_registry_entries e
                  WHERE e.run_id = s.run_id AND e.repository_id = s.repository_id AND e.outcome = 'found')
)
SELECT coalesce(d.run_id, c.run_id) AS run_id,
       coalesce(d.repository_id, c.repository_id) AS repository_id,
       coalesce(d.env_var, c.env_var) AS env_var,
       coalesce(d.declared_secret, false) AS declared_secret,
       c.env_var IS NOT NULL AS classified_secret,
       CASE WHEN coalesce(d.declared_secret, false) AND c.env_var IS NOT NULL THEN 'both'
            WHEN coalesce(d.declared_secret, false) THEN 'registry_only'
            WHEN c.env_var IS NOT NULL THEN 'classifier_only'
            ELSE 'neither' END AS agreement
FROM (SELECT d.* FROM declared d
      JOIN run_servers s ON s.run_id = d.run_id AND s.repository_id = d.repository_id) d
FULL JOIN classified c ON c.run_id = d.run_id AND c.repository_id = d.repository_id AND c.env_var = d.env_var;
COMMENT ON VIEW registry_secret_agreement IS 'For servers with a registry entry, one row per environment variable either side names: both (declared isSecret and found by the classifier), registry_only (declared secret, the classifier missed it), classifier_only (the classifier''s secret the entry does not declare secret), neither (declared, not secret, not found).';
