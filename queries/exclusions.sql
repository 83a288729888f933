-- Question: which repositories were not classified, grouped by fetch status and the reason noted (forks, 404/451, failures, not fetched yet)?
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
)
SELECT rr.fetch_status,
       coalesce(nullif(rr.fetch_note, ''), '(no note)') AS reason,
       count(*) AS repositories
FROM run_repositories rr JOIN params p ON p.run_id = rr.run_id
WHERE rr.fetch_status IN ('excluded', 'gone', 'failed', 'pending')
GROUP BY 1, 2
ORDER BY rr.fetch_status COLLATE "C", repositories DESC, coalesce(nullif(rr.fetch_note, ''), '(no note)') COLLATE "C";
