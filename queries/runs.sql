-- Question: which runs (snapshots) are there, are they finished, and how many repositories and servers does each hold?
-- Parameters: none.
-- Run: psql "$DATABASE_URL" -f queries/runs.sql
SELECT run_name, status, started_at, finished_at, classifier_version, repositories, servers
FROM run_summary
ORDER BY started_at, run_id;
