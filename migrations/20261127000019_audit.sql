-- Audits of a run's labels by people, and the labelled dataset with its
-- evidence. An audit is a stratified random sample of a run's classified
-- repositories (`mcp-survey audit draw`) labelled by hand and scored
-- (`mcp-survey audit score`); the report corrects its shares with the
-- newest score of the run.

CREATE TABLE audit_scores (
    id           bigserial PRIMARY KEY,
    run_id       bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    sheet_path   text NOT NULL,
    sheet_sha256 text NOT NULL,
    rows_total   integer NOT NULL,
    rows_filled  integer NOT NULL,
    classifier_version text,
    accuracy     jsonb NOT NULL,
    items        jsonb NOT NULL,
    scored_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_scores_run ON audit_scores(run_id, scored_at DESC);
COMMENT ON TABLE audit_scores IS 'A filled audit sheet scored against a run''s labels: the classifier''s accuracy weighted back to the run''s repositories (Horvitz-Thompson). The report uses the newest row of its run.';
COMMENT ON COLUMN audit_scores.id IS 'Surrogate key.';
COMMENT ON COLUMN audit_scores.run_id IS 'The run the sheet was drawn from.';
COMMENT ON COLUMN audit_scores.sheet_path IS 'The sheet file as given to audit score (sheet.jsonl or sheet.csv).';
COMMENT ON COLUMN audit_scores.sheet_sha256 IS 'sha256 of the sheet file''s bytes, so a report names exactly which labelling it used.';
COMMENT ON COLUMN audit_scores.rows_total IS 'Rows in the sheet (the drawn sample).';
COMMENT ON COLUMN audit_scores.rows_filled IS 'Rows a person labelled (human.kind given); only these are scored, each stratum''s weight spread over its filled rows.';
COMMENT ON COLUMN audit_scores.classifier_version IS 'The run''s classifier version whose labels were scored.';
COMMENT ON COLUMN audit_scores.accuracy IS 'Per field: weighted accuracy, rows and weight scored; is-server precision and recall; per headline figure: sensitivity and specificity.';
COMMENT ON COLUMN audit_scores.items IS 'The scored rows reduced to the headline figures: [{stratum, weight, truth, predicted}], resampled by the report''s bootstrap.';
COMMENT ON COLUMN audit_scores.scored_at IS 'When the sheet was scored.';

CREATE VIEW labels_export AS
SELECT rl.run_id,
       rl.run_name,
       rl.full_name AS repo,
       rl.repository_id,
       rl.classifier_version,
       rl.kind,
       rl.language,
       rl.sdk,
       rl.transport,
       rl.credentials,
       rl.auth_methods,
       rl.credential_sources,
       rl.env_vars,
       rl.evidence,
       s.commit_sha,
       rl.github_language,
       rl.stargazers_count,
       repo.forks_count,
       rl.fork,
       rl.archived,
       rl.created_at,
       rr.pushed_at,
       repo.description,
       repo.topics,
       repo.default_branch
FROM run_labels rl
JOIN run_repositories rr ON rr.run_id = rl.run_id AND rr.repository_id = rl.repository_id
JOIN repositories repo ON repo.id = rl.repository_id
LEFT JOIN snapshots s ON s.id = rl.snapshot_id
WHERE rl.kind IS NOT NULL;
COMMENT ON VIEW labels_export IS 'Every classified repository of each run (servers and not) with its labels, the evidence behind them (field, value, file, line, rule), the commit they were made at and repository metadata: what export --all writes.';
