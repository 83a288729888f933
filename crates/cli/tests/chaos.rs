//! Reliability of whole runs, as separate `mcp-survey run` processes against
//! the simulator: faults on every endpoint, SIGKILL in every stage, three
//! processes on one run. Each compared with an undisturbed run of the same
//! corpus. `mcp-survey bench chaos` is the long version of this test.

use mcp_survey_bench::{bench_chaos, ChaosOptions};
use std::path::PathBuf;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_crashes_and_scale_out_lose_and_duplicate_nothing() {
    let mut options = ChaosOptions::new(PathBuf::from(env!("CARGO_BIN_EXE_mcp-survey")));
    options.repos = 150;
    options.seed = 11;
    options.fault_rate = 0.08;
    options.gone_each = 2;
    options.crashes = 4;
    options.processes = 3;
    options.timeout = Duration::from_secs(240);
    let b = bench_chaos(&options)
        .await
        .expect("the chaos scenarios run (is Postgres running?)");

    assert!(
        b.clean.labelled > 50,
        "a corpus worth comparing: {:?}",
        b.clean
    );

    let c = &b.chaos;
    assert!(
        c.faults_total > c.gone_named as u64,
        "transient faults were injected: {:?}",
        c.faults_injected
    );
    assert_eq!(c.gone_named, 8);
    assert_eq!(
        c.gone_recorded_as_gone + c.gone_left_out_by_harvest,
        8,
        "404/451/409/403 blocked recorded as gone, or never added"
    );
    assert_eq!(c.integrity.labels_lost, 0, "{:?}", c.integrity.mismatches);
    assert!(c.integrity.is_clean(), "chaos: {:?}", c.integrity);
    assert_eq!(
        c.hostile_named, 6,
        "one repository per hostile archive fault"
    );
    assert_eq!(
        c.hostile_recorded, 6,
        "each recorded as failed, fetched with a note, or fetched by trees: {:?}",
        c.hostile
    );

    let k = &b.crash;
    assert!(k.kills >= 3, "killed in most stages: {:?}", k.points);
    // A kill aimed at a short stage can land just after it: ask for most
    // stages, not every one, so the test does not depend on timing.
    let stages: std::collections::BTreeSet<&str> = k
        .points
        .iter()
        .filter_map(|p| p.killed_in.as_deref())
        .collect();
    assert!(stages.len() >= 3, "kills in most stages: {:?}", k.points);
    assert!(k.integrity.is_clean(), "crash: {:?}", k.integrity);
    assert!(
        k.search_requests_over_clean <= k.kills_in_harvest as i64,
        "no stored page asked again: {} more search requests than the clean run, {} kills in harvest",
        k.search_requests_over_clean,
        k.kills_in_harvest
    );

    let s = &b.scale_out;
    assert!(
        s.downloaded_twice.is_empty(),
        "each repository downloaded once: {:?}",
        s.downloaded_twice
    );
    assert_eq!(
        s.downloads as usize, b.clean.labelled,
        "one download per repository"
    );
    assert_eq!(s.jobs_claimed_twice, 0, "each job claimed once");
    assert!(s.integrity.is_clean(), "scale-out: {:?}", s.integrity);
    assert!(b.passed());
}
