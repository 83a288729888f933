-- Question: the study's headline table: of this run's MCP servers, how many require credentials, use static API keys or PATs, OAuth, or read secrets from environment variables; with numerator, denominator and a 95% Wilson interval, beside Astrix's published figures.
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
counts AS (
    SELECT count(*) AS servers,
           count(*) FILTER (WHERE f.requires_credentials) AS requires_credentials,
           count(*) FILTER (WHERE f.static_key_or_pat) AS static_key_or_pat,
           count(*) FILTER (WHERE f.oauth) AS oauth,
           count(*) FILTER (WHERE f.reads_env) AS reads_env
    FROM server_facts f JOIN params p ON p.run_id = f.run_id
),
figures AS (
    SELECT 1 AS ord, 'requires_credentials' AS figure, 88.0 AS published_pct, requires_credentials AS numerator, servers AS denominator FROM counts
    UNION ALL SELECT 2, 'static_key_or_pat', 53.0, static_key_or_pat, servers FROM counts
    UNION ALL SELECT 3, 'oauth', 8.5, oauth, servers FROM counts
    UNION ALL SELECT 4, 'reads_env', 79.0, reads_env, servers FROM counts
),
wilson AS (
    -- Wilson score interval, z = 1.96 (95%); NULL (shown as 0) when there are no servers.
    SELECT *,
           (p + z * z / (2 * n) - z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n) AS lo,
           (p + z * z / (2 * n) + z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n) AS hi
    FROM (SELECT figures.*, 1.959963984540054::float8 AS z,
                 nullif(denominator, 0)::float8 AS n,
                 numerator::float8 / nullif(denominator, 0)::float8 AS p
          FROM figures) AS f
)
SELECT figure,
       published_pct,
       numerator,
       denominator,
       coalesce(round(100.0 * numerator / nullif(denominator, 0), 1), 0.0) AS share_pct,
       CASE WHEN n IS NULL THEN 0.0 ELSE round((100 * greatest(lo, 0))::numeric, 1) END AS ci95_low_pct,
       CASE WHEN n IS NULL THEN 0.0 ELSE round((100 * least(hi, 1))::numeric, 1) END AS ci95_high_pct
FROM wilson
ORDER BY ord;
