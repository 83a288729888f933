-- Question: registry-listed repositories by whether GitHub search found them and, if not, why: no_seed_word, fork, archived, gone, not_github, no_repository (found_by_search when it did).
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
listed AS (
    -- One row per repository an entry led to; entries that led to none
    -- count one each.
    SELECT DISTINCT ON (coalesce(e.repository_id::text, e.registry || ' ' || e.server_name))
           e.run_id, e.outcome, e.repository_id
    FROM run_registry_entries e
    JOIN params p ON p.run_id = e.run_id
    ORDER BY coalesce(e.repository_id::text, e.registry || ' ' || e.server_name), e.outcome
),
reasons AS (
    SELECT CASE WHEN l.outcome <> 'found' THEN l.outcome
                WHEN s.by_search THEN 'found_by_search'
                WHEN rr.fork THEN 'fork'
                WHEN rr.archived THEN 'archived'
                ELSE 'no_seed_word' END AS reason
    FROM listed l
    LEFT JOIN repository_sources s ON s.run_id = l.run_id AND s.repository_id = l.repository_id
    LEFT JOIN run_repositories rr ON rr.run_id = l.run_id AND rr.repository_id = l.repository_id
)
SELECT k.reason, count(r.reason) AS repositories
FROM (VALUES (1, 'found_by_search'), (2, 'no_seed_word'), (3, 'fork'), (4, 'archived'),
             (5, 'gone'), (6, 'not_github'), (7, 'no_repository')) AS k(ord, reason)
LEFT JOIN reasons r ON r.reason = k.reason
GROUP BY k.ord, k.reason
ORDER BY k.ord;
