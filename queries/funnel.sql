-- Question: from the repositories the seed queries found to the MCP servers: how many were left at each step, and what left (forks, gone, failed fetches, clients, SDKs, lists, unrelated 'MCP')?
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
c AS (
    SELECT count(*) AS found,
           count(*) FILTER (WHERE fetch_status = 'excluded') AS excluded_fork,
           count(*) FILTER (WHERE fetch_status = 'gone') AS gone,
           count(*) FILTER (WHERE fetch_status = 'failed') AS fetch_failed,
           count(*) FILTER (WHERE fetch_status = 'pending') AS not_fetched_yet,
           count(*) FILTER (WHERE fetch_status IN ('fetched', 'reused')) AS fetched,
           count(*) FILTER (WHERE kind IS NOT NULL) AS classified,
           count(*) FILTER (WHERE kind = 'client') AS client,
           count(*) FILTER (WHERE kind = 'sdk') AS sdk,
           count(*) FILTER (WHERE kind = 'list') AS list,
           count(*) FILTER (WHERE kind = 'other') AS other,
           count(*) FILTER (WHERE kind = 'server') AS server,
           count(*) FILTER (WHERE kind = 'server' AND archived) AS server_archived
    FROM run_labels rl JOIN params p ON p.run_id = rl.run_id
)
SELECT s.step, s.repositories
FROM c, LATERAL (VALUES
    (1, 'found', c.found), (2, 'excluded_fork', c.excluded_fork), (3, 'gone', c.gone),
    (4, 'fetch_failed', c.fetch_failed), (5, 'not_fetched_yet', c.not_fetched_yet),
    (6, 'fetched', c.fetched), (7, 'classified', c.classified), (8, 'client', c.client),
    (9, 'sdk', c.sdk), (10, 'list', c.list), (11, 'other', c.other), (12, 'server', c.server),
    (13, 'server_archived', c.server_archived)
) AS s(ord, step, repositories)
ORDER BY s.ord;
