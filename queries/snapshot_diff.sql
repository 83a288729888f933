-- Question: what changed between two snapshots: repositories new and gone, servers new and gone, and servers whose auth methods or credential need changed? One row per (repository, change).
-- Parameters: a and b, the earlier and the later run (default: the two newest finished runs).
-- Run: psql "$DATABASE_URL" -v a=OLDER -v b=NEWER -f queries/THIS_FILE (see queries/README.md).
\if :{?a}
\else
  \set a ''
\endif
\if :{?b}
\else
  \set b ''
\endif
WITH finished AS (
    SELECT name, row_number() OVER (ORDER BY started_at DESC, id DESC) AS k
    FROM runs WHERE status = 'finished'
),
params AS (
    SELECT (SELECT id FROM runs WHERE name = coalesce(nullif(:'a', ''), (SELECT name FROM finished WHERE k = 2))) AS a_id,
           (SELECT id FROM runs WHERE name = coalesce(nullif(:'b', ''), (SELECT name FROM finished WHERE k = 1))) AS b_id
),
a AS (SELECT rl.* FROM run_labels rl JOIN params p ON rl.run_id = p.a_id),
b AS (SELECT rl.* FROM run_labels rl JOIN params p ON rl.run_id = p.b_id),
j AS (
    SELECT coalesce(b.full_name, a.full_name) AS repo,
           a.repository_id IS NOT NULL AS in_a,
           b.repository_id IS NOT NULL AS in_b,
           a.kind AS kind_a,
           b.kind AS kind_b,
           a.credentials AS credentials_a,
           b.credentials AS credentials_b,
           array_to_string(ARRAY(SELECT m FROM unnest(a.auth_methods) AS m ORDER BY m COLLATE "C"), ';') AS auth_methods_a,
           array_to_string(ARRAY(SELECT m FROM unnest(b.auth_methods) AS m ORDER BY m COLLATE "C"), ';') AS auth_methods_b
    FROM a FULL JOIN b ON a.repository_id = b.repository_id
)
SELECT j.repo, c.change, j.kind_a, j.kind_b, j.credentials_a, j.credentials_b, j.auth_methods_a, j.auth_methods_b
FROM j
CROSS JOIN LATERAL (VALUES
    (CASE WHEN NOT j.in_a THEN 'repository_new' END),
    (CASE WHEN NOT j.in_b THEN 'repository_gone' END),
    (CASE WHEN j.kind_b = 'server' AND j.kind_a IS DISTINCT FROM 'server' THEN 'server_new' END),
    (CASE WHEN j.kind_a = 'server' AND j.kind_b IS DISTINCT FROM 'server' THEN 'server_gone' END),
    (CASE WHEN j.kind_a = 'server' AND j.kind_b = 'server'
               AND (j.credentials_a <> j.credentials_b OR j.auth_methods_a <> j.auth_methods_b)
          THEN 'auth_changed' END)
) AS c(change)
WHERE c.change IS NOT NULL
ORDER BY c.change, j.repo COLLATE "C";
