-- Question: which services' secrets do servers hold (GitHub, OpenAI, AWS, ...)? Servers reading at least one variable of the service, and how many variable names it goes by.
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
SELECT v.service,
       count(DISTINCT v.repository_id) AS servers,
       coalesce(round(100.0 * count(DISTINCT v.repository_id) / nullif((SELECT servers FROM total), 0), 1), 0.0) AS servers_pct,
       count(DISTINCT v.env_var) AS env_vars
FROM server_env_var_services v JOIN params p ON p.run_id = v.run_id
GROUP BY v.service
ORDER BY servers DESC, v.service COLLATE "C";
