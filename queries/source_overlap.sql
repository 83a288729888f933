-- Question: the run's MCP servers by the sources that found them: GitHub search only, a registry only, or both.
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
found AS (
    SELECT s.by_search, s.by_registry
    FROM run_servers rs
    JOIN params p ON p.run_id = rs.run_id
    JOIN repository_sources s ON s.run_id = rs.run_id AND s.repository_id = rs.repository_id
)
SELECT count(*) FILTER (WHERE by_search AND NOT by_registry) AS search_only,
       count(*) FILTER (WHERE by_registry AND NOT by_search) AS registry_only,
       count(*) FILTER (WHERE by_search AND by_registry) AS both
FROM found;
