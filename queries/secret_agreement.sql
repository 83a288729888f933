-- Question: for servers with a registry entry, how the secrets the entry declares (isSecret) agree with the classifier's env_vars: both, registry_only (the classifier missed it), classifier_only, neither (declared, not secret).
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
agreement AS (
    SELECT a.* FROM registry_secret_agreement a JOIN params p ON p.run_id = a.run_id
)
SELECT k.agreement,
       count(a.env_var) AS env_vars,
       count(DISTINCT a.repository_id) AS servers
FROM (VALUES (1, 'both'), (2, 'registry_only'), (3, 'classifier_only'), (4, 'neither'))
     AS k(ord, agreement)
LEFT JOIN agreement a ON a.agreement = k.agreement
GROUP BY k.ord, k.agreement
ORDER BY k.ord;
