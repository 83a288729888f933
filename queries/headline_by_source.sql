-- Question: the headline counts (servers requiring credentials, static keys or PATs, OAuth, env) for servers found by search, by a registry, and by either (union).
-- Parameters: run (default: the newest finished run).
-- Run: psql "$DATABASE_URL" -v run=NAME -f queries/THIS_FILE (see queries/README.md).
\if :{?run}
\else
  \set run ''
\endif
WITH params AS (
    SELECT id AS run_id FROM runs
    WHERE name = coalesce(nullif(:'run', ''),
                          (SELECT name FROM runs WHERE status = 'finished'
                           ORDER BY started_at DESC, id DESC LIMIT 1))
),
facts AS (
    SELECT f.*, s.by_search, s.by_registry
    FROM server_facts f
    JOIN params p ON p.run_id = f.run_id
    JOIN repository_sources s ON s.run_id = f.run_id AND s.repository_id = f.repository_id
)
SELECT src.source,
       count(f.repository_id) AS servers,
       count(*) FILTER (WHERE f.requires_credentials) AS requires_credentials,
       count(*) FILTER (WHERE f.static_key_or_pat) AS static_key_or_pat,
       count(*) FILTER (WHERE f.oauth) AS oauth,
       count(*) FILTER (WHERE f.reads_env) AS reads_env
FROM (VALUES (1, 'search'), (2, 'registry'), (3, 'union')) AS src(ord, source)
LEFT JOIN facts f ON (src.source = 'search' AND f.by_search)
                  OR (src.source = 'registry' AND f.by_registry)
                  OR src.source = 'union'
GROUP BY src.ord, src.source
ORDER BY src.ord;
