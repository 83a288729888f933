-- Question: which servers read the secret environment variable X (e.g. who needs a GitHub token)? One row per server, most starred first.
-- Parameters: env_var (exact name, case-insensitive; default GITHUB_PERSONAL_ACCESS_TOKEN) and run (default: the newest finished run).
-- Run: psql "$DATABASE_URL" -v env_var=OPENAI_API_KEY -f queries/THIS_FILE (see queries/README.md).
\if :{?env_var}
\else
  \set env_var GITHUB_PERSONAL_ACCESS_TOKEN
\endif
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
SELECT s.full_name AS repo,
       s.stargazers_count AS stars,
       s.credentials,
       array_to_string(s.auth_methods, ';') AS auth_methods,
       array_to_string(s.credential_sources, ';') AS credential_sources,
       array_to_string(s.env_vars, ';') AS env_vars
FROM run_servers s JOIN params p ON p.run_id = s.run_id
WHERE EXISTS (SELECT 1 FROM unnest(s.env_vars) AS v WHERE upper(v) = upper(:'env_var'))
ORDER BY s.stargazers_count DESC, s.full_name COLLATE "C";
