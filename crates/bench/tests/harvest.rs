//! The kill/resume check of `bench harvest`, test-sized: a harvest aborted
//! mid-way and resumed ends with the uninterrupted run's repositories,
//! without asking again for any page it had stored.

use mcp_survey_bench::{bench_harvest, HarvestBenchOptions};
use mcp_survey_ghsim::{FaultConfig, FaultKind};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_harvest_resumes_to_the_same_repositories_without_refetching_pages() {
    let options = HarvestBenchOptions {
        repos: 2500,
        seed: 7,
        time_scale: 300.0,
        kill_check: true,
        kill_at: 0.5,
        lease: Duration::from_millis(500),
        ..HarvestBenchOptions::default()
    };
    let b = bench_harvest(&options)
        .await
        .expect("the harvest benchmark runs");
    assert!(
        b.recall >= 0.999,
        "recall {} missed {:?}",
        b.recall,
        b.missed_sample
    );
    assert!(
        b.oracle_union > 1000,
        "the corpus must need slicing: {}",
        b.oracle_union
    );
    assert!(b.requests.within_budget, "{:?}", b.requests);
    assert!(
        b.secondary_refusals.values().all(|n| *n == 0),
        "{:?}",
        b.secondary_refusals
    );
    assert!(b.windows.iter().all(|w| w.within_limit), "{:?}", b.windows);

    let k = b.kill_resume.expect("the kill check ran");
    assert!(k.killed_after_requests < k.search_requests_uninterrupted);
    assert!(
        k.same_repositories,
        "missing {:?} extra {:?}",
        k.missing, k.extra
    );
    // Only pages in flight at the kill (one per search endpoint) may be
    // asked again; a stored page never is.
    assert!(
        (0..=2).contains(&k.repeated_requests),
        "{} requests repeated",
        k.repeated_requests
    );
    assert_eq!(
        k.pages_stored_killed_and_resumed,
        k.pages_stored_uninterrupted
    );
}

/// Search answers with items missing, as GitHub sends them under load: one
/// page in ten `incomplete_results`, one in ten short with a next page. The
/// harvest asks those pages again and finds what the undisturbed one does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn incomplete_and_short_pages_lose_nothing() {
    let options = HarvestBenchOptions {
        repos: 2500,
        seed: 7,
        time_scale: 300.0,
        kill_check: false,
        faults: FaultConfig::default()
            .with_rate(FaultKind::Incomplete, 0.1)
            .with_rate(FaultKind::ShortPage, 0.1),
        ..HarvestBenchOptions::default()
    };
    let b = bench_harvest(&options)
        .await
        .expect("the harvest benchmark runs");
    let c = &b.harvest.search_completeness;
    assert!(
        b.recall >= 0.999,
        "recall {} missed {:?}; {c:?}",
        b.recall,
        b.missed_sample
    );
    assert!(c.incomplete_pages > 0 && c.short_pages > 0, "{c:?}");
    assert!(c.pages_retried > 0, "{c:?}");
    assert!(
        b.harvest.failed_slices.is_empty(),
        "{:?}",
        b.harvest.failed_slices
    );
}
