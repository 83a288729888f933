-- Question: do popular servers authenticate differently? Headline shares by stars bucket (0, 1-9, 10-99, 100-999, 1000+).
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
SELECT f.stars_bucket,
       count(*) AS servers,
       count(*) FILTER (WHERE f.requires_credentials) AS requires_credentials,
       coalesce(round(100.0 * count(*) FILTER (WHERE f.requires_credentials) / nullif(count(*), 0), 1), 0.0) AS requires_credentials_pct,
       count(*) FILTER (WHERE f.static_key_or_pat) AS static_key_or_pat,
       coalesce(round(100.0 * count(*) FILTER (WHERE f.static_key_or_pat) / nullif(count(*), 0), 1), 0.0) AS static_key_or_pat_pct,
       count(*) FILTER (WHERE f.oauth) AS oauth,
       coalesce(round(100.0 * count(*) FILTER (WHERE f.oauth) / nullif(count(*), 0), 1), 0.0) AS oauth_pct,
       count(*) FILTER (WHERE f.reads_env) AS reads_env,
       coalesce(round(100.0 * count(*) FILTER (WHERE f.reads_env) / nullif(count(*), 0), 1), 0.0) AS reads_env_pct
FROM server_facts f
JOIN params p ON p.run_id = f.run_id
GROUP BY f.stars_bucket
ORDER BY min(f.stars_floor);
