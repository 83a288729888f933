-- Question: which seed query found how many repositories and servers, and how many servers only it found (what dropping the query would lose)?
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
    SELECT q.repository_id, q.query_name,
           count(*) OVER (PARTITION BY q.repository_id) AS queries,
           EXISTS (SELECT 1 FROM run_servers s
                   WHERE s.run_id = q.run_id AND s.repository_id = q.repository_id) AS server
    FROM repository_seed_queries q JOIN params p ON p.run_id = q.run_id
)
SELECT sq.name AS query_name,
       sq.endpoint,
       count(f.repository_id) AS repositories,
       count(f.repository_id) FILTER (WHERE f.server) AS servers,
       count(f.repository_id) FILTER (WHERE f.server AND f.queries = 1) AS servers_only_this_query
FROM seed_queries sq
JOIN params p ON p.run_id = sq.run_id
LEFT JOIN found f ON f.query_name = sq.name
GROUP BY sq.name, sq.endpoint
ORDER BY servers DESC, sq.name COLLATE "C";
