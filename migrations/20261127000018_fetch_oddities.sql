-- Issue 18: one bad repository fails alone, and what was odd about a
-- repository that was fetched anyway is said. No new columns: the existing
-- ones carry it; their documentation says so.

COMMENT ON COLUMN run_repositories.fetch_note IS 'Why it was excluded, gone or failed; for a fetched repository, what was odd (an archive not in GitHub''s layout read as a flat archive, unsafe or over-long paths skipped, an archive too slow or too large replaced by the trees API). Escaped (no NUL) and at most 2,000 characters.';
COMMENT ON COLUMN snapshots.skipped IS 'Entries the filter or the security checks skipped: count (exact), ignored (not wanted by the classifier), sample (at most 50 entries of path and reason, each path escaped with \xNN for NUL, control and non-UTF-8 bytes and cut to 256 characters), layout (present when the archive was read as a flat archive, with the reason).';
COMMENT ON COLUMN jobs.attempts IS 'How many times a worker has claimed it. A release on Ctrl-C gives the attempt back; a process that died does not, so a job that kills its worker fails after max_attempts (error_kind never_finished).';
COMMENT ON COLUMN jobs.error_kind IS 'Cause class of the last failure (network, rate_limit, not_found, store, refused_redirect, worker_died, never_finished, ...), for status by cause.';
