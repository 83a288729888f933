-- Question: how did the headline shares move between two snapshots? Each share then and now, and the change in percentage points.
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
c AS (
    SELECT f.run_id,
           count(*) AS servers,
           count(*) FILTER (WHERE f.requires_credentials) AS requires_credentials,
           count(*) FILTER (WHERE f.static_key_or_pat) AS static_key_or_pat,
           count(*) FILTER (WHERE f.oauth) AS oauth,
           count(*) FILTER (WHERE f.reads_env) AS reads_env
    FROM server_facts f JOIN params p ON f.run_id IN (p.a_id, p.b_id)
    GROUP BY f.run_id
),
side AS (
    -- A run with no servers has no row in c: count it as 0 of 0.
    SELECT which, coalesce(c.servers, 0) AS servers,
           coalesce(c.requires_credentials, 0) AS requires_credentials,
           coalesce(c.static_key_or_pat, 0) AS static_key_or_pat,
           coalesce(c.oauth, 0) AS oauth,
           coalesce(c.reads_env, 0) AS reads_env
    FROM params p
    CROSS JOIN LATERAL (VALUES ('a', p.a_id), ('b', p.b_id)) AS w(which, run_id)
    LEFT JOIN c ON c.run_id = w.run_id
    WHERE p.a_id IS NOT NULL AND p.b_id IS NOT NULL
),
fig AS (
    SELECT s.which, v.ord, v.figure, v.numerator, s.servers AS denominator
    FROM side s, LATERAL (VALUES
        (1, 'requires_credentials', s.requires_credentials),
        (2, 'static_key_or_pat', s.static_key_or_pat),
        (3, 'oauth', s.oauth),
        (4, 'reads_env', s.reads_env)) AS v(ord, figure, numerator)
)
SELECT a.figure,
       a.numerator AS numerator_a,
       a.denominator AS denominator_a,
       coalesce(round(100.0 * a.numerator / nullif(a.denominator, 0), 1), 0.0) AS share_pct_a,
       b.numerator AS numerator_b,
       b.denominator AS denominator_b,
       coalesce(round(100.0 * b.numerator / nullif(b.denominator, 0), 1), 0.0) AS share_pct_b,
       coalesce(round(100.0 * b.numerator / nullif(b.denominator, 0), 1), 0.0) - coalesce(round(100.0 * a.numerator / nullif(a.denominator, 0), 1), 0.0) AS change_pct_points
FROM fig a JOIN fig b ON b.figure = a.figure AND b.which = 'b'
WHERE a.which = 'a'
ORDER BY a.ord;
