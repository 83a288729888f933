-- The survey's schema. Every stage reads its input from these tables and
-- writes its output to them, so any stage can stop, resume or run in several
-- processes at once.

CREATE TABLE runs (
    id                 bigserial PRIMARY KEY,
    name               text NOT NULL UNIQUE,
    status             text NOT NULL DEFAULT 'running'
                       CHECK (status IN ('running', 'finished', 'failed')),
    github_url         text NOT NULL,
    seed_file_hash     text,
    classifier_version text,
    started_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz,
    stats              jsonb NOT NULL DEFAULT '{}'::jsonb
);
COMMENT ON TABLE runs IS 'One survey run: a named snapshot of the ecosystem (harvest, fetch, classify, report).';
COMMENT ON COLUMN runs.id IS 'Surrogate key.';
COMMENT ON COLUMN runs.name IS 'Snapshot name given with --name (default: the UTC date); unique.';
COMMENT ON COLUMN runs.status IS 'running until every stage has finished; failed when a stage gave up.';
COMMENT ON COLUMN runs.github_url IS 'Base URL of the GitHub API (or simulator) the run talked to.';
COMMENT ON COLUMN runs.seed_file_hash IS 'sha256 of the seed-query file the harvest used, so a report names the exact queries.';
COMMENT ON COLUMN runs.classifier_version IS 'CLASSIFIER_VERSION whose labels this run reports.';
COMMENT ON COLUMN runs.started_at IS 'When the run was created.';
COMMENT ON COLUMN runs.finished_at IS 'When the last stage finished; NULL while running.';
COMMENT ON COLUMN runs.stats IS 'Per-stage statistics (requests per resource, waits, counts) as JSON.';

CREATE TABLE seed_queries (
    run_id     bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    name       text NOT NULL,
    endpoint   text NOT NULL CHECK (endpoint IN ('repositories', 'code')),
    query      text NOT NULL,
    reason     text NOT NULL,
    PRIMARY KEY (run_id, name)
);
COMMENT ON TABLE seed_queries IS 'The seed queries a run harvested with, copied from the seed file so provenance survives edits to it.';
COMMENT ON COLUMN seed_queries.run_id IS 'The run.';
COMMENT ON COLUMN seed_queries.name IS 'Short unique name of the query in the seed file.';
COMMENT ON COLUMN seed_queries.endpoint IS 'repositories (GET /search/repositories) or code (GET /search/code).';
COMMENT ON COLUMN seed_queries.query IS 'The search query without the planner''s slicing qualifiers.';
COMMENT ON COLUMN seed_queries.reason IS 'Why a repository this query finds may be an MCP server.';

CREATE TABLE search_slices (
    id            bigserial PRIMARY KEY,
    run_id        bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    query_name    text NOT NULL,
    parent_id     bigint REFERENCES search_slices(id) ON DELETE CASCADE,
    query         text NOT NULL,
    window_start  timestamptz,
    window_end    timestamptz,
    size_min      bigint,
    size_max      bigint,
    state         text NOT NULL DEFAULT 'pending'
                  CHECK (state IN ('pending', 'paging', 'done', 'split', 'failed')),
    total_count   bigint,
    pages_done    integer NOT NULL DEFAULT 0,
    pages_total   integer,
    error         text,
    lease_until   timestamptz,
    worker        text,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (run_id, query_name) REFERENCES seed_queries(run_id, name) ON DELETE CASCADE
);
CREATE INDEX search_slices_run_state ON search_slices(run_id, state);
COMMENT ON TABLE search_slices IS 'A seed query restricted to a created: window (repository search) or size: range (code search) small enough for the 1,000-result cap.';
COMMENT ON COLUMN search_slices.id IS 'Surrogate key.';
COMMENT ON COLUMN search_slices.run_id IS 'The run.';
COMMENT ON COLUMN search_slices.query_name IS 'The seed query this slice belongs to.';
COMMENT ON COLUMN search_slices.parent_id IS 'The slice this one was split from; NULL for a seed query''s first slice.';
COMMENT ON COLUMN search_slices.query IS 'The exact q= sent to GitHub, slicing qualifiers included.';
COMMENT ON COLUMN search_slices.window_start IS 'Inclusive start of the created: window (repository search).';
COMMENT ON COLUMN search_slices.window_end IS 'Inclusive end of the created: window (repository search).';
COMMENT ON COLUMN search_slices.size_min IS 'Inclusive lower bound of the size: range in bytes (code search).';
COMMENT ON COLUMN search_slices.size_max IS 'Inclusive upper bound of the size: range in bytes (code search).';
COMMENT ON COLUMN search_slices.state IS 'pending: not counted yet; paging: pages being read; done; split: replaced by its children; failed: see error.';
COMMENT ON COLUMN search_slices.total_count IS 'total_count GitHub reported for this slice.';
COMMENT ON COLUMN search_slices.pages_done IS 'Result pages stored so far; a resumed harvest continues at the next one.';
COMMENT ON COLUMN search_slices.pages_total IS 'Pages this slice needs (ceil(min(total_count,1000)/per_page)).';
COMMENT ON COLUMN search_slices.error IS 'Why the slice failed (e.g. a 422 with its message), or a note that it is still over the cap and cannot be split.';
COMMENT ON COLUMN search_slices.lease_until IS 'A harvester holds the slice until then; an expired lease (a killed harvester) makes it claimable again.';
COMMENT ON COLUMN search_slices.worker IS 'Identifier of the harvester holding or last holding the slice.';
COMMENT ON COLUMN search_slices.updated_at IS 'Last state change.';

CREATE TABLE repositories (
    id                bigint PRIMARY KEY,
    full_name         text NOT NULL,
    description       text,
    topics            text[] NOT NULL DEFAULT '{}',
    language          text,
    stargazers_count  bigint NOT NULL DEFAULT 0,
    forks_count       bigint NOT NULL DEFAULT 0,
    fork              boolean NOT NULL DEFAULT false,
    archived          boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL,
    pushed_at         timestamptz,
    default_branch    text NOT NULL,
    size_kb           bigint NOT NULL DEFAULT 0,
    etag              text,
    first_seen_at     timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX repositories_full_name ON repositories(lower(full_name));
COMMENT ON TABLE repositories IS 'Every GitHub repository any run found, keyed by GitHub id (a rename or transfer keeps its row); metadata as last seen.';
COMMENT ON COLUMN repositories.id IS 'GitHub repository id.';
COMMENT ON COLUMN repositories.full_name IS 'OWNER/NAME as last seen (updated on rename or transfer).';
COMMENT ON COLUMN repositories.description IS 'GitHub description.';
COMMENT ON COLUMN repositories.topics IS 'GitHub topics.';
COMMENT ON COLUMN repositories.language IS 'GitHub''s detected primary language.';
COMMENT ON COLUMN repositories.stargazers_count IS 'Stars when last seen.';
COMMENT ON COLUMN repositories.forks_count IS 'Forks when last seen.';
COMMENT ON COLUMN repositories.fork IS 'True when the repository is a fork.';
COMMENT ON COLUMN repositories.archived IS 'True when the repository is archived.';
COMMENT ON COLUMN repositories.created_at IS 'GitHub created_at.';
COMMENT ON COLUMN repositories.pushed_at IS 'GitHub pushed_at: an unchanged value means an unchanged default branch, so no re-fetch.';
COMMENT ON COLUMN repositories.default_branch IS 'Default branch name.';
COMMENT ON COLUMN repositories.size_kb IS 'GitHub size in KiB; large repositories are fetched through the trees API.';
COMMENT ON COLUMN repositories.etag IS 'ETag of the last GET /repos answer, for conditional requests.';
COMMENT ON COLUMN repositories.first_seen_at IS 'When a run first found the repository.';
COMMENT ON COLUMN repositories.updated_at IS 'When the metadata was last written.';

CREATE TABLE run_repositories (
    run_id            bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    repository_id     bigint NOT NULL REFERENCES repositories(id),
    full_name         text NOT NULL,
    stargazers_count  bigint NOT NULL,
    fork              boolean NOT NULL,
    archived          boolean NOT NULL,
    pushed_at         timestamptz,
    snapshot_id       bigint,
    fetch_status      text NOT NULL DEFAULT 'pending'
                      CHECK (fetch_status IN ('pending', 'fetched', 'reused', 'excluded', 'gone', 'failed')),
    fetch_note        text,
    PRIMARY KEY (run_id, repository_id)
);
COMMENT ON TABLE run_repositories IS 'The repositories of one run, with their metadata as that run saw it: earlier runs are never rewritten.';
COMMENT ON COLUMN run_repositories.run_id IS 'The run.';
COMMENT ON COLUMN run_repositories.repository_id IS 'The repository.';
COMMENT ON COLUMN run_repositories.full_name IS 'OWNER/NAME when this run saw it.';
COMMENT ON COLUMN run_repositories.stargazers_count IS 'Stars when this run saw it.';
COMMENT ON COLUMN run_repositories.fork IS 'Fork flag when this run saw it (forks are excluded from fetching).';
COMMENT ON COLUMN run_repositories.archived IS 'Archived flag when this run saw it.';
COMMENT ON COLUMN run_repositories.pushed_at IS 'pushed_at when this run saw it.';
COMMENT ON COLUMN run_repositories.snapshot_id IS 'The snapshot of its files this run classified (possibly shared with an earlier run when unchanged).';
COMMENT ON COLUMN run_repositories.fetch_status IS 'pending; fetched (new snapshot); reused (unchanged since an earlier snapshot); excluded (fork); gone (404/451/409); failed.';
COMMENT ON COLUMN run_repositories.fetch_note IS 'Why it was excluded, gone or failed.';

CREATE TABLE hits (
    run_id         bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    slice_id       bigint NOT NULL REFERENCES search_slices(id) ON DELETE CASCADE,
    repository_id  bigint NOT NULL REFERENCES repositories(id),
    page           integer NOT NULL,
    PRIMARY KEY (slice_id, repository_id)
);
CREATE INDEX hits_run_repo ON hits(run_id, repository_id);
COMMENT ON TABLE hits IS 'Provenance: which search slice (and so which seed query) found which repository.';
COMMENT ON COLUMN hits.run_id IS 'The run (denormalised from the slice for fast per-run queries).';
COMMENT ON COLUMN hits.slice_id IS 'The slice whose result page listed the repository.';
COMMENT ON COLUMN hits.repository_id IS 'The repository found.';
COMMENT ON COLUMN hits.page IS 'The result page (1-based) it was on.';

CREATE TABLE files (
    sha256      text PRIMARY KEY,
    size_bytes  bigint NOT NULL,
    lossy_utf8  boolean NOT NULL,
    content     text NOT NULL
);
COMMENT ON TABLE files IS 'File contents, content-addressed: the same LICENSE or lockfile across thousands of repositories is stored once.';
COMMENT ON COLUMN files.sha256 IS 'Hex sha256 of the original bytes.';
COMMENT ON COLUMN files.size_bytes IS 'Size of the original bytes.';
COMMENT ON COLUMN files.lossy_utf8 IS 'True when the bytes were not valid UTF-8 and were decoded with replacement characters.';
COMMENT ON COLUMN files.content IS 'The text as the classifier reads it.';

CREATE TABLE snapshots (
    id              bigserial PRIMARY KEY,
    repository_id   bigint NOT NULL REFERENCES repositories(id),
    commit_sha      text,
    tree_sha        text,
    pushed_at       timestamptz,
    method          text NOT NULL CHECK (method IN ('tarball', 'trees')),
    file_count      integer NOT NULL,
    bytes_kept      bigint NOT NULL,
    skipped         jsonb NOT NULL DEFAULT '[]'::jsonb,
    fetched_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX snapshots_repository ON snapshots(repository_id, fetched_at DESC);
COMMENT ON TABLE snapshots IS 'The files of one repository at one commit, as kept by the fetch filter; written in one transaction with its file list, so never half-stored.';
COMMENT ON COLUMN snapshots.id IS 'Surrogate key.';
COMMENT ON COLUMN snapshots.repository_id IS 'The repository.';
COMMENT ON COLUMN snapshots.commit_sha IS 'Commit the files come from (from the tarball''s pax header or the commits API).';
COMMENT ON COLUMN snapshots.tree_sha IS 'Root tree sha when fetched through the trees API.';
COMMENT ON COLUMN snapshots.pushed_at IS 'Repository pushed_at when fetched: the next run reuses this snapshot while pushed_at is unchanged.';
COMMENT ON COLUMN snapshots.method IS 'tarball (one request) or trees (trees + contents API).';
COMMENT ON COLUMN snapshots.file_count IS 'Files kept.';
COMMENT ON COLUMN snapshots.bytes_kept IS 'Bytes of the files kept.';
COMMENT ON COLUMN snapshots.skipped IS 'Entries the filter or the security checks skipped, with the reason (oversize, binary, symlink, path traversal, ...), truncated to a sample.';
COMMENT ON COLUMN snapshots.fetched_at IS 'When it was stored.';

ALTER TABLE run_repositories
    ADD CONSTRAINT run_repositories_snapshot FOREIGN KEY (snapshot_id) REFERENCES snapshots(id);

CREATE TABLE snapshot_files (
    snapshot_id  bigint NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    path         text NOT NULL,
    sha256       text NOT NULL REFERENCES files(sha256),
    PRIMARY KEY (snapshot_id, path)
);
COMMENT ON TABLE snapshot_files IS 'A snapshot''s file list: path and content id.';
COMMENT ON COLUMN snapshot_files.snapshot_id IS 'The snapshot.';
COMMENT ON COLUMN snapshot_files.path IS 'Path relative to the repository root, / separated.';
COMMENT ON COLUMN snapshot_files.sha256 IS 'The content (files.sha256).';

CREATE TABLE labels (
    id                  bigserial PRIMARY KEY,
    snapshot_id         bigint NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
    classifier_version  text NOT NULL,
    kind                text NOT NULL CHECK (kind IN ('server', 'client', 'sdk', 'list', 'other')),
    language            text NOT NULL,
    sdk                 text[] NOT NULL,
    transport           text[] NOT NULL,
    credentials         text NOT NULL CHECK (credentials IN ('required', 'optional', 'none')),
    auth_methods        text[] NOT NULL,
    credential_sources  text[] NOT NULL,
    env_vars            text[] NOT NULL,
    evidence            jsonb NOT NULL,
    classified_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (snapshot_id, classifier_version)
);
COMMENT ON TABLE labels IS 'The classifier''s verdict for one snapshot and classifier version; the fields of shared/corpus/SCHEMA.md.';
COMMENT ON COLUMN labels.id IS 'Surrogate key.';
COMMENT ON COLUMN labels.snapshot_id IS 'The snapshot classified.';
COMMENT ON COLUMN labels.classifier_version IS 'CLASSIFIER_VERSION that produced the verdict; a new version adds rows, never rewrites.';
COMMENT ON COLUMN labels.kind IS 'server, client, sdk, list or other.';
COMMENT ON COLUMN labels.language IS 'Main language of the server code (GitHub spelling).';
COMMENT ON COLUMN labels.sdk IS 'MCP implementations the server is built on (empty unless kind = server).';
COMMENT ON COLUMN labels.transport IS 'stdio, http (streamable HTTP), sse.';
COMMENT ON COLUMN labels.credentials IS 'required, optional or none: whether the server needs a secret.';
COMMENT ON COLUMN labels.auth_methods IS 'How the secrets work: api_key, pat, oauth, basic, connection_string, cloud_iam, key_file, session_cookie, other.';
COMMENT ON COLUMN labels.credential_sources IS 'Where secrets come from: env, config_file, cli_arg, request, keychain, oauth_flow, hardcoded.';
COMMENT ON COLUMN labels.env_vars IS 'Names of the environment variables that carry secrets.';
COMMENT ON COLUMN labels.evidence IS 'Array of {field, value, file, line, rule, matched}: why each label was given (secrets masked).';
COMMENT ON COLUMN labels.classified_at IS 'When the verdict was stored.';

CREATE TABLE jobs (
    id             bigserial PRIMARY KEY,
    run_id         bigint NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    stage          text NOT NULL CHECK (stage IN ('fetch', 'classify')),
    repository_id  bigint NOT NULL REFERENCES repositories(id),
    state          text NOT NULL DEFAULT 'queued'
                   CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts       integer NOT NULL DEFAULT 0,
    lease_until    timestamptz,
    worker         text,
    last_error     text,
    error_kind     text,
    not_before     timestamptz NOT NULL DEFAULT now(),
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (run_id, stage, repository_id)
);
CREATE INDEX jobs_claim ON jobs(run_id, stage, state, not_before);
COMMENT ON TABLE jobs IS 'The work queue: workers claim rows with FOR UPDATE SKIP LOCKED and a lease, so several processes share a stage and a dead worker''s job is taken up again when its lease expires.';
COMMENT ON COLUMN jobs.id IS 'Surrogate key.';
COMMENT ON COLUMN jobs.run_id IS 'The run.';
COMMENT ON COLUMN jobs.stage IS 'fetch or classify.';
COMMENT ON COLUMN jobs.repository_id IS 'The repository to work on.';
COMMENT ON COLUMN jobs.state IS 'queued, running (leased), done, failed (gave up after max attempts).';
COMMENT ON COLUMN jobs.attempts IS 'How many times a worker has claimed it.';
COMMENT ON COLUMN jobs.lease_until IS 'A running job whose lease has passed is claimable again.';
COMMENT ON COLUMN jobs.worker IS 'Identifier of the worker (host:pid:task) holding or last holding it.';
COMMENT ON COLUMN jobs.last_error IS 'Message of the last failure.';
COMMENT ON COLUMN jobs.error_kind IS 'Cause class of the last failure (network, rate_limit, not_found, ...), for status by cause.';
COMMENT ON COLUMN jobs.not_before IS 'Earliest time a retry may be claimed (back-off).';
COMMENT ON COLUMN jobs.created_at IS 'When it was queued.';
COMMENT ON COLUMN jobs.updated_at IS 'Last state change.';
