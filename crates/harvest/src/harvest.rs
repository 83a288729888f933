use crate::planner::{self, PER_PAGE, RESULT_CAP};
use crate::seeds::SeedFile;
use chrono::Utc;
use futures::stream::{self, StreamExt};
use mcp_survey_github::{ClientStats, CodeHit, Conditional, GithubClient, GithubError};
use mcp_survey_model::RepoMeta;
use mcp_survey_stage::{
    run_stage, CancellationToken, DriverOptions, Progress, StageWork, WorkerCrashed,
};
use mcp_survey_store::{
    PageQuality, PageWrite, SearchCompleteness, SeedQueryRow, Slice, SliceCounts, SliceState,
    Store, StoreError,
};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Github(#[from] GithubError),
    #[error("harvest worker crashed: {0}")]
    Worker(String),
}

impl From<WorkerCrashed> for HarvestError {
    fn from(e: WorkerCrashed) -> Self {
        HarvestError::Worker(e.0)
    }
}

#[derive(Debug, Clone)]
pub struct HarvestOptions {
    /// Concurrent slice workers per search endpoint. Search is paced by the
    /// rate limit, so more than one per token rarely helps.
    pub workers_per_endpoint: usize,
    /// Concurrent metadata look-ups for code-search hits (core API).
    pub metadata_concurrency: usize,
    /// How long a claimed slice stays reserved to this process.
    pub lease: Duration,
    /// Worker identity, unique per process.
    pub worker_id: String,
    pub progress: Arc<dyn Progress>,
    /// Cancelled: the slices in hand are paged to their end, no new one is
    /// taken, code search and the registries wait for the next run.
    pub stop: CancellationToken,
    /// How long a slice whose answers were incomplete or short waits before
    /// those pages are asked again (GitHub's search times out under load;
    /// asking at once would likely meet the same load).
    pub recheck_delay: Duration,
    /// Rounds of asking such pages again before they are reported as
    /// unresolved.
    pub max_recheck_rounds: i32,
    /// How the seed file's registries are asked.
    pub registry: crate::registry::RegistryOptions,
}

impl HarvestOptions {
    pub fn new(worker_id: impl Into<String>) -> Self {
        HarvestOptions {
            workers_per_endpoint: 1,
            metadata_concurrency: 8,
            lease: Duration::from_secs(300),
            worker_id: worker_id.into(),
            progress: mcp_survey_stage::hidden(),
            stop: CancellationToken::new(),
            recheck_delay: Duration::from_secs(30),
            max_recheck_rounds: 3,
            registry: crate::registry::RegistryOptions::default(),
        }
    }
}

/// What one harvest did, stored under `runs.stats.harvest` and printed by
/// `harvest --json`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HarvestStats {
    pub repositories_found: i64,
    pub new_repositories: i64,
    pub already_known: i64,
    pub slices: SliceCounts,
    pub pages_fetched_this_process: u64,
    pub metadata_lookups: u64,
    pub failed_slices: Vec<FailedSlice>,
    pub over_cap_slices: Vec<String>,
    /// Pages GitHub answered incomplete or short, how many were asked
    /// again, and which stayed incomplete.
    pub search_completeness: SearchCompleteness,
    /// Code-search hits whose repository was gone (404, 451, blocked).
    pub gone_hits: i64,
    pub requests: BTreeMap<String, u64>,
    pub wait_seconds: BTreeMap<String, f64>,
    pub secondary_limit_hits: u64,
    pub elapsed_seconds: f64,
    /// The same requests at GitHub's real limits with one token: search 30
    /// a minute, then code search 10 a minute alongside core 5,000 an hour.
    pub projected_seconds_one_token: f64,
    /// One entry per `[[registry]]` of the seed file.
    pub registries: Vec<crate::registry::RegistryStats>,
    /// A stop was asked for: slices may be left unread.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stopped: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailedSlice {
    pub query_name: String,
    pub query: String,
    pub error: String,
}

#[derive(Default)]
struct Counters {
    pages: AtomicU64,
    lookups: AtomicU64,
}

/// Harvests every seed query of a run until all slices are done or failed.
/// Safe to call again on an interrupted run: finished pages are not fetched
/// again, unfinished ones are not skipped.
pub async fn harvest(
    store: &Store,
    client: &GithubClient,
    run_id: i64,
    seeds: &SeedFile,
    options: &HarvestOptions,
) -> Result<HarvestStats, HarvestError> {
    let started = Instant::now();
    let rows: Vec<SeedQueryRow> = seeds
        .queries
        .iter()
        .map(|q| SeedQueryRow {
            name: q.name.clone(),
            endpoint: q.endpoint.as_str().to_string(),
            query: q.q.clone(),
            reason: q.reason.clone(),
        })
        .collect();
    store.put_seed_queries(run_id, &rows).await?;
    store.set_run_seed_hash(run_id, &seeds.sha256).await?;
    let now = Utc::now();
    store
        .ensure_root_slices(run_id, |q| {
            planner::root_slice(&q.name, &q.endpoint, &q.query, now)
        })
        .await?;

    // Each unfinished slice needs at least one more page; pages found later
    // (more pages, split children) extend the bar as they are discovered.
    let counts = store.slice_counts(run_id).await?;
    let done = counts.pages_done.max(0) as u64;
    options
        .progress
        .set_length(done + (counts.pending + counts.paging).max(0) as u64);
    options.progress.set_position(done);
    let counters = Arc::new(Counters::default());
    let before = client.stats();
    // Repository search first, code search after it: a code-search hit
    // carries only a reduced repository object, and each one not already in
    // the run costs a core request for the full one. Run side by side, the
    // code search met most repositories before the repository search did,
    // and the look-ups made core (5,000 an hour) the bottleneck of the whole
    // harvest; in sequence most hits are already in the run and free.
    let mut stopped = false;
    for endpoint in ["repositories", "code"] {
        let mut driver = DriverOptions::new(endpoint, &options.worker_id);
        driver.workers = options.workers_per_endpoint.max(1);
        driver.lease = options.lease;
        // Another process holds the remaining slices: wait for them to
        // finish or for their lease to expire.
        driver.idle_wait = Duration::from_millis(500);
        driver.stop = options.stop.clone();
        // The bar counts pages, as they come in (`work_slice`), not slices.
        let work = Arc::new(SliceStage {
            store: store.clone(),
            client: client.clone(),
            run_id,
            endpoint,
            options: options.clone(),
            counters: counters.clone(),
        });
        if run_stage(work, &driver).await?.stopped {
            stopped = true;
            break;
        }
    }
    // After search, so the entries that name a repository search found
    // cost no request.
    let registries = if stopped {
        Vec::new()
    } else {
        crate::registry::harvest_registries(store, client, run_id, seeds, &options.registry).await?
    };
    let after = client.stats();
    let mut stats = collect_stats(store, run_id, &before, &after, &counters, started).await?;
    stats.registries = registries;
    stats.stopped = stopped;
    store
        .put_run_stats(
            run_id,
            "harvest",
            &serde_json::to_value(&stats).unwrap_or_default(),
        )
        .await?;
    Ok(stats)
}

/// One endpoint's search slices, for the stage driver: a slice at a time
/// per worker, paged through to its end (or split), its lease renewed
/// while search is paced.
struct SliceStage {
    store: Store,
    client: GithubClient,
    run_id: i64,
    endpoint: &'static str,
    options: HarvestOptions,
    counters: Arc<Counters>,
}

impl StageWork for SliceStage {
    type Item = Slice;
    type Error = HarvestError;

    async fn claim(&self, worker: &str) -> Result<Vec<Slice>, HarvestError> {
        let slice = self
            .store
            .claim_slice(self.run_id, self.endpoint, worker, self.options.lease)
            .await?;
        Ok(slice.into_iter().collect())
    }

    async fn open(&self) -> Result<bool, HarvestError> {
        Ok(self
            .store
            .has_open_slices(self.run_id, self.endpoint)
            .await?)
    }

    async fn renew(&self, worker: &str, slices: &[Slice]) -> Result<bool, HarvestError> {
        for slice in slices {
            let held = self
                .store
                .renew_slice_lease(slice.id, worker, self.options.lease)
                .await?;
            if !held {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Returns the slices handled (the bar counts pages itself).
    async fn work(&self, slices: &[Slice]) -> Result<u64, HarvestError> {
        let (store, client) = (&self.store, &self.client);
        for slice in slices {
            let result = work_slice(store, client, slice, &self.options, &self.counters).await;
            match result {
                Ok(()) => {}
                Err(HarvestError::Github(e)) => {
                    // The client already retried what can be retried: the
                    // slice is marked failed with the reason, the rest of
                    // the harvest goes on.
                    tracing::warn!(query = %slice.query, error = %e, "search slice failed");
                    store.fail_slice(slice.id, &e.to_string()).await?;
                    if matches!(e, GithubError::BadCredentials { .. }) {
                        return Err(HarvestError::Github(e));
                    }
                }
                Err(other) => {
                    let _ = store.release_slice(slice.id).await;
                    return Err(other);
                }
            }
        }
        Ok(slices.len() as u64)
    }

    /// A panic while paging through one slice fails that slice, not the
    /// harvest.
    async fn panicked(&self, slices: &[Slice], message: String) -> Result<u64, HarvestError> {
        for slice in slices {
            self.store
                .fail_slice(slice.id, &format!("harvesting it panicked: {message}"))
                .await?;
        }
        Ok(slices.len() as u64)
    }
}

async fn work_slice(
    store: &Store,
    client: &GithubClient,
    slice: &Slice,
    options: &HarvestOptions,
    counters: &Arc<Counters>,
) -> Result<(), HarvestError> {
    if slice.state == SliceState::Recheck {
        return recheck_slice(store, client, slice, options, counters).await;
    }
    // A slice counted as over the cap before a crash is split without asking again.
    if let Some(total) = slice.total_count {
        if total > RESULT_CAP && planner::can_split(slice) && slice.state != SliceState::Split {
            let children = planner::split(slice, total, &[]);
            store.split_slice(slice.id, total, &children).await?;
            return Ok(());
        }
    }
    let mut recheck = slice.recheck_pages.clone();
    let mut page = slice.pages_done + 1;
    loop {
        let fetched = fetch_page(store, client, slice, page as u32, options, counters).await?;
        counters.pages.fetch_add(1, Ordering::Relaxed);
        options.progress.inc(1);
        let total = fetched.total_count as i64;
        let over_cap = total > RESULT_CAP;
        if page == 1 && over_cap && planner::can_split(slice) {
            let children = planner::split(slice, total, &fetched.sample);
            // The page's hits are real: keep them, then replace the slice.
            // Its children cover the same results, so an incomplete answer
            // here needs no second ask.
            store
                .store_page(slice, page, total, 0, &fetched.repos, false, None)
                .await?;
            store.split_slice(slice.id, total, &children).await?;
            options.progress.inc_length(children.len() as u64);
            return Ok(());
        }
        let pages_total = planner::pages_needed(total);
        // Only the Link header says whether another page exists: GitHub
        // sends short pages in the middle of a result set (items it drops
        // after searching) and `total_count` may change between pages.
        // GitHub refuses pages past the 1,000th result (422) whatever a
        // Link header said.
        let at_cap = i64::from(page) * i64::from(PER_PAGE) >= RESULT_CAP;
        let finished = !fetched.has_next || at_cap;
        let quality = fetched.quality();
        if quality.needs_recheck() && !recheck.contains(&page) {
            recheck.push(page);
        }
        let note = (over_cap && finished).then(|| {
            format!(
                "{total} results but this slice cannot be narrowed further; only the first {RESULT_CAP} are reachable"
            )
        });
        if page == 1 && pages_total > 1 {
            options.progress.inc_length((pages_total - 1) as u64);
        }
        let write = PageWrite {
            page,
            total_count: total,
            pages_total,
            repos: &fetched.repos,
            finished,
            note: note.as_deref(),
            quality,
            recheck_pages: &recheck,
            recheck_delay: options.recheck_delay,
        };
        store.store_page_checked(slice, &write).await?;
        if finished {
            return Ok(());
        }
        page += 1;
    }
}

/// Asks again for the pages of a slice that came back incomplete or short.
/// A page that comes back whole leaves the list; what is left after
/// `max_recheck_rounds` rounds is recorded as unresolved.
async fn recheck_slice(
    store: &Store,
    client: &GithubClient,
    slice: &Slice,
    options: &HarvestOptions,
    counters: &Arc<Counters>,
) -> Result<(), HarvestError> {
    let mut remaining = slice.recheck_pages.clone();
    for page in slice.recheck_pages.iter().copied() {
        let fetched = match fetch_page(store, client, slice, page as u32, options, counters).await {
            Ok(f) => f,
            // The pages were read once: a page GitHub now refuses for good
            // (a 422 because the results shrank past it) stays unresolved
            // rather than failing the whole slice.
            Err(HarvestError::Github(e))
                if !e.is_transient() && !matches!(e, GithubError::BadCredentials { .. }) =>
            {
                tracing::warn!(query = %slice.query, page, error = %e,
                    "asking a search page again failed; it stays unresolved");
                continue;
            }
            Err(e) => return Err(e),
        };
        counters.pages.fetch_add(1, Ordering::Relaxed);
        let quality = fetched.quality();
        if !quality.needs_recheck() {
            remaining.retain(|p| *p != page);
        }
        store
            .store_rechecked_page(slice, page, &fetched.repos, quality, &remaining)
            .await?;
    }
    let give_up = slice.recheck_rounds + 1 >= options.max_recheck_rounds.max(1);
    if give_up && !remaining.is_empty() {
        tracing::warn!(query = %slice.query, pages = ?remaining,
            "search pages still incomplete after asking again; reported as unresolved");
    }
    store
        .finish_recheck_round(slice.id, &remaining, give_up, options.recheck_delay)
        .await?;
    Ok(())
}

struct FetchedPage {
    total_count: u64,
    item_count: usize,
    has_next: bool,
    incomplete: bool,
    skipped_items: usize,
    repos: Vec<RepoMeta>,
    sample: Vec<chrono::DateTime<Utc>>,
}

impl FetchedPage {
    fn quality(&self) -> PageQuality {
        PageQuality {
            incomplete: self.incomplete,
            // A full page is PER_PAGE items; a shorter one that still names
            // a next page is missing some.
            short: self.has_next && self.item_count < PER_PAGE as usize,
            skipped_items: i32::try_from(self.skipped_items).unwrap_or(i32::MAX),
        }
    }
}

async fn fetch_page(
    store: &Store,
    client: &GithubClient,
    slice: &Slice,
    page: u32,
    options: &HarvestOptions,
    counters: &Arc<Counters>,
) -> Result<FetchedPage, HarvestError> {
    if slice.endpoint == "code" {
        let result = client.search_code(&slice.query, page, PER_PAGE).await?;
        let item_count = result.items.len() + result.skipped.len();
        let repos =
            resolve_code_hits(store, client, slice, &result.items, options, counters).await?;
        Ok(FetchedPage {
            total_count: result.total_count,
            item_count,
            has_next: result.has_next,
            incomplete: result.incomplete_results,
            skipped_items: result.skipped.len(),
            repos,
            sample: Vec::new(),
        })
    } else {
        let result = client
            .search_repositories(&slice.query, page, PER_PAGE)
            .await?;
        for skipped in &result.skipped {
            tracing::warn!(query = %slice.query, item = ?skipped, "search result item skipped");
        }
        let sample = result.items.iter().map(|r| r.created_at).collect();
        Ok(FetchedPage {
            total_count: result.total_count,
            item_count: result.items.len() + result.skipped.len(),
            has_next: result.has_next,
            incomplete: result.incomplete_results,
            skipped_items: result.skipped.len(),
            repos: result.items,
            sample,
        })
    }
}

/// Code search returns a reduced repository object; the survey needs the
/// full one. Repositories this run already holds cost nothing; ones seen by
/// an earlier run are asked for conditionally (a 304 is free on GitHub).
async fn resolve_code_hits(
    store: &Store,
    client: &GithubClient,
    slice: &Slice,
    hits: &[CodeHit],
    options: &HarvestOptions,
    counters: &Arc<Counters>,
) -> Result<Vec<RepoMeta>, HarvestError> {
    let mut unique: Vec<CodeHit> = Vec::new();
    for hit in hits {
        if !unique.iter().any(|h| h.repository.id == hit.repository.id) {
            unique.push(hit.clone());
        }
    }
    let lookups = unique.into_iter().map(|hit| {
        // Owned handles: the futures run concurrently inside a spawned task.
        let store = store.clone();
        let client = client.clone();
        let counters = counters.clone();
        let slice = slice.clone();
        async move { resolve_one(&store, &client, &slice, &hit, &counters).await }
    });
    let resolved: Vec<Result<Option<RepoMeta>, HarvestError>> = stream::iter(lookups)
        .buffer_unordered(options.metadata_concurrency.max(1))
        .collect()
        .await;
    let mut repos = Vec::with_capacity(resolved.len());
    for r in resolved {
        if let Some(meta) = r? {
            repos.push(meta);
        }
    }
    repos.sort_by_key(|r| r.id);
    Ok(repos)
}

async fn resolve_one(
    store: &Store,
    client: &GithubClient,
    slice: &Slice,
    hit: &CodeHit,
    counters: &Counters,
) -> Result<Option<RepoMeta>, HarvestError> {
    let run_id = slice.run_id;
    let known = store.known_repository(run_id, hit.repository.id).await?;
    if let Some(known) = &known {
        if known.in_run {
            return Ok(Some(known.meta.clone()));
        }
    }
    counters.lookups.fetch_add(1, Ordering::Relaxed);
    let etag = known.as_ref().and_then(|k| k.etag.as_deref());
    match client.get_repo(&hit.repository.full_name, etag).await {
        Ok(Conditional::NotModified) => Ok(known.map(|k| k.meta)),
        Ok(Conditional::Modified { value, etag }) => {
            store
                .put_repository(run_id, &value, etag.as_deref())
                .await?;
            Ok(Some(value))
        }
        // Deleted, taken down or blocked between the search and the
        // look-up (the index lags): one such hit must not fail its page.
        Err(e) if e.is_repository_gone() => {
            tracing::info!(repo = %hit.repository.full_name, error = %e, "code-search hit is gone");
            store
                .record_gone_hit(
                    slice,
                    hit.repository.id,
                    &hit.repository.full_name,
                    gone_reason(&e),
                )
                .await?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn gone_reason(e: &GithubError) -> &'static str {
    match e {
        GithubError::NotFound { .. } => "not_found",
        GithubError::Unavailable451 { .. } => "unavailable_451",
        GithubError::Blocked { .. } => "blocked",
        GithubError::EmptyRepository { .. } => "empty",
        _ => "gone",
    }
}

async fn collect_stats(
    store: &Store,
    run_id: i64,
    before: &ClientStats,
    after: &ClientStats,
    counters: &Counters,
    started: Instant,
) -> Result<HarvestStats, HarvestError> {
    let (found, new) = store.run_found_and_new(run_id).await?;
    let slices = store.slice_counts(run_id).await?;
    let all = store.slices(run_id).await?;
    let failed_slices = all
        .iter()
        .filter(|s| s.state == SliceState::Failed)
        .map(|s| FailedSlice {
            query_name: s.query_name.clone(),
            query: s.query.clone(),
            error: s.error.clone().unwrap_or_default(),
        })
        .collect();
    let over_cap_slices = all
        .iter()
        .filter(|s| s.state == SliceState::Done && s.total_count.unwrap_or(0) > RESULT_CAP)
        .map(|s| s.query.clone())
        .collect();
    let mut requests = BTreeMap::new();
    let mut wait_seconds = BTreeMap::new();
    let mut secondary = 0;
    for (name, r) in &after.resources {
        let b = before.resource(name);
        requests.insert(name.clone(), r.requests - b.requests.min(r.requests));
        wait_seconds.insert(name.clone(), (r.wait_seconds - b.wait_seconds).max(0.0));
        secondary += r
            .secondary_limit_hits
            .saturating_sub(b.secondary_limit_hits);
    }
    let per_second = |resource: &str, per_minute: f64| {
        requests.get(resource).copied().unwrap_or(0) as f64 * 60.0 / per_minute
    };
    // Repository search runs first; code search and the core look-ups of
    // its hits run together after it.
    let projected = per_second("search", 30.0)
        + per_second("code_search", 10.0).max(per_second("core", 5000.0 / 60.0));
    Ok(HarvestStats {
        repositories_found: found,
        new_repositories: new,
        already_known: found - new,
        slices,
        pages_fetched_this_process: counters.pages.load(Ordering::Relaxed),
        metadata_lookups: counters.lookups.load(Ordering::Relaxed),
        failed_slices,
        over_cap_slices,
        search_completeness: store.search_completeness(run_id).await?,
        gone_hits: store.gone_hits(run_id).await?.len() as i64,
        requests,
        wait_seconds,
        secondary_limit_hits: secondary,
        elapsed_seconds: started.elapsed().as_secs_f64(),
        projected_seconds_one_token: projected,
        registries: Vec::new(),
        stopped: false,
    })
}
