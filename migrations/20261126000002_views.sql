-- Documented views for exploring the survey in SQL (see queries/).

CREATE VIEW run_labels AS
SELECT r.id                  AS run_id,
       r.name                AS run_name,
       rr.repository_id,
       rr.full_name,
       rr.stargazers_count,
       rr.fork,
       rr.archived,
       repo.created_at,
       repo.language         AS github_language,
       rr.fetch_status,
       rr.snapshot_id,
       l.classifier_version,
       l.kind,
       l.language,
       l.sdk,
       l.transport,
       l.credentials,
       l.auth_methods,
       l.credential_sources,
       l.env_vars,
       l.evidence
FROM runs r
JOIN run_repositories rr ON rr.run_id = r.id
JOIN repositories repo ON repo.id = rr.repository_id
LEFT JOIN labels l ON l.snapshot_id = rr.snapshot_id
                  AND l.classifier_version = r.classifier_version;
COMMENT ON VIEW run_labels IS 'One row per repository of each run, with the labels of the run''s classifier version (NULL when not fetched or classified).';

CREATE VIEW run_servers AS
SELECT * FROM run_labels WHERE kind = 'server';
COMMENT ON VIEW run_servers IS 'The MCP servers of each run: the denominator of the study''s shares.';

CREATE VIEW latest_labels AS
SELECT DISTINCT ON (rl.repository_id) rl.*
FROM run_labels rl
JOIN runs r ON r.id = rl.run_id
WHERE rl.kind IS NOT NULL
ORDER BY rl.repository_id, r.started_at DESC, r.id DESC;
COMMENT ON VIEW latest_labels IS 'Each repository''s labels from the newest run that classified it.';

CREATE VIEW server_auth_methods AS
SELECT run_id, run_name, repository_id, full_name, unnest(auth_methods) AS auth_method
FROM run_servers;
COMMENT ON VIEW server_auth_methods IS 'Servers with their auth methods unnested: one row per (run, server, method).';

CREATE VIEW server_env_vars AS
SELECT run_id, run_name, repository_id, full_name, unnest(env_vars) AS env_var
FROM run_servers;
COMMENT ON VIEW server_env_vars IS 'Servers with the secret environment variables they read: one row per (run, server, variable).';

CREATE VIEW run_summary AS
SELECT r.id AS run_id, r.name AS run_name, r.status, r.started_at, r.finished_at, r.classifier_version,
       (SELECT count(*) FROM run_repositories rr WHERE rr.run_id = r.id) AS repositories,
       (SELECT count(*) FROM run_servers s WHERE s.run_id = r.id) AS servers
FROM runs r;
COMMENT ON VIEW run_summary IS 'Runs with their repository and server counts.';
