-- Search pages GitHub answered with incomplete_results (its search timed
-- out) or shorter than a full page while naming a next one: such a page is
-- missing items, so it is asked again later, a bounded number of times, and
-- what stays incomplete is reported rather than lost silently.
ALTER TABLE search_slices DROP CONSTRAINT IF EXISTS search_slices_state_check;
ALTER TABLE search_slices ADD CONSTRAINT search_slices_state_check
    CHECK (state IN ('pending', 'paging', 'done', 'split', 'failed', 'recheck'));
ALTER TABLE search_slices
    ADD COLUMN incomplete_pages integer NOT NULL DEFAULT 0,
    ADD COLUMN short_pages      integer NOT NULL DEFAULT 0,
    ADD COLUMN skipped_items    integer NOT NULL DEFAULT 0,
    ADD COLUMN recheck_pages    integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN recheck_rounds   integer NOT NULL DEFAULT 0,
    ADD COLUMN pages_rechecked  integer NOT NULL DEFAULT 0,
    ADD COLUMN unresolved_pages integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN not_before       timestamptz;
COMMENT ON COLUMN search_slices.state IS 'pending: not counted yet; paging: pages being read; recheck: all pages read, some to be asked again (see recheck_pages); done; split: replaced by its children; failed: see error.';
COMMENT ON COLUMN search_slices.incomplete_pages IS 'Answers (first asks and re-asks) that carried incomplete_results: true.';
COMMENT ON COLUMN search_slices.short_pages IS 'Answers with fewer items than asked for while the Link header named a next page.';
COMMENT ON COLUMN search_slices.skipped_items IS 'Result items that could not be read (unexpected shape) and were skipped.';
COMMENT ON COLUMN search_slices.recheck_pages IS 'Pages to ask again because their answer was incomplete or short.';
COMMENT ON COLUMN search_slices.recheck_rounds IS 'Rounds of re-asking done so far (bounded by the harvester).';
COMMENT ON COLUMN search_slices.pages_rechecked IS 'Page requests spent re-asking incomplete or short pages.';
COMMENT ON COLUMN search_slices.unresolved_pages IS 'Pages still incomplete or short after the last round: their missing items are not in the run.';
COMMENT ON COLUMN search_slices.not_before IS 'A slice waiting to be re-asked is not claimed before this time.';

-- A code-search hit whose repository answers 404, 451, 403 "Repository
-- access blocked" or 409 when its full object is asked for: recorded here
-- rather than added to the run with a partial object, so the funnel counts
-- only repositories the run could read, and nothing is lost without a trace.
CREATE TABLE gone_hits (
    run_id        bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    slice_id      bigint NOT NULL REFERENCES search_slices(id) ON DELETE CASCADE,
    repository_id bigint NOT NULL,
    full_name     text NOT NULL,
    reason        text NOT NULL,
    seen_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, repository_id)
);
COMMENT ON TABLE gone_hits IS 'Code-search hits whose repository was gone (deleted, blocked, taken down) when the harvest asked for it.';
COMMENT ON COLUMN gone_hits.run_id IS 'The run.';
COMMENT ON COLUMN gone_hits.slice_id IS 'The slice whose page listed the hit.';
COMMENT ON COLUMN gone_hits.repository_id IS 'GitHub repository id from the hit.';
COMMENT ON COLUMN gone_hits.full_name IS 'OWNER/NAME from the hit.';
COMMENT ON COLUMN gone_hits.reason IS 'What GitHub answered (not_found, unavailable_451, blocked, empty).';
COMMENT ON COLUMN gone_hits.seen_at IS 'When the harvest met it.';
