-- Question: where do servers read their secrets from (env, config_file, cli_arg, request, ...)? Servers per source, as a share of all servers.
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
total AS (SELECT count(*) AS servers FROM run_servers s JOIN params p ON p.run_id = s.run_id)
SELECT v.credential_source,
       count(DISTINCT v.repository_id) AS servers,
       coalesce(round(100.0 * count(DISTINCT v.repository_id) / nullif((SELECT servers FROM total), 0), 1), 0.0) AS servers_pct
FROM server_credential_sources v JOIN params p ON p.run_id = v.run_id
GROUP BY v.credential_source
ORDER BY servers DESC, v.credential_source COLLATE "C";
