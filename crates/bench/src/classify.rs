//! "Classifying 20,000 stored snapshots takes under 60 s on 2 cores": the
//! classify stage over snapshots already in Postgres (no GitHub request).

use crate::{cpu_seconds, sim_client, with_db, BenchError};
use futures::stream::{self, TryStreamExt};
use mcp_survey_fetch::{fetch_run, FetchOptions};
use mcp_survey_ghsim::{serve, synthetic, SimConfig};
use mcp_survey_label::{classify_run, ClassifyOptions, ClassifyStats};
use mcp_survey_pipeline::open_run;
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct ClassifyBenchOptions {
    /// Repositories generated, queued and fetched (each becomes a snapshot
    /// unless the simulator reports it empty or gone).
    pub repos: usize,
    pub seed: u64,
    /// Classify workers; default: the machine's cores.
    pub workers: Option<usize>,
}

impl Default for ClassifyBenchOptions {
    fn default() -> Self {
        ClassifyBenchOptions {
            repos: 20_000,
            seed: 2025,
            workers: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ClassifyBench {
    pub corpus_repositories: usize,
    pub cores: usize,
    pub workers: usize,
    pub snapshots: u64,
    pub setup_seconds: f64,
    pub seconds: f64,
    /// Snapshots labelled per second (wall clock, Postgres included).
    pub repositories_per_second: f64,
    /// Megabytes of stored file text classified per second.
    pub megabytes_per_second: f64,
    /// Seconds inside the classifier itself, summed over workers.
    pub classifier_seconds: f64,
    /// CPU seconds of this process during the stage (Postgres not included).
    pub cpu_seconds: Option<f64>,
    /// Target: 20,000 snapshots in under 60 s.
    pub projected_seconds_for_20000: f64,
    pub stats: ClassifyStats,
}

pub async fn bench_classify(options: &ClassifyBenchOptions) -> Result<ClassifyBench, BenchError> {
    let setup = Instant::now();
    let corpus = synthetic::generate(options.repos, options.seed);
    let n = corpus.repos.len();
    let metas: Vec<_> = corpus.repos.iter().map(|r| r.meta.clone()).collect();
    let sim = serve(
        corpus,
        SimConfig::unthrottled(),
        "127.0.0.1:0"
            .parse()
            .map_err(|e| BenchError::Failed(format!("bad address: {e}")))?,
    )
    .await?;
    let client = sim_client(&sim.base_url(), 1.0)?;
    let base_url = sim.base_url();
    let out = with_db(|db| async {
        let r = async {
            let store = &db.store;
            let (run, _) = open_run(store, Some("bench-classify"), &base_url).await?;
            // Every repository straight into the run: the harvest is not
            // what is measured here.
            stream::iter(metas.iter().map(Ok::<_, BenchError>))
                .try_for_each_concurrent(8, |m| async move {
                    store.put_repository(run.id, m, None).await?;
                    Ok(())
                })
                .await?;
            let mut fo = FetchOptions::new("bench");
            fo.workers = 8;
            fetch_run(store, &client, run.id, &fo).await?;
            let setup_seconds = setup.elapsed().as_secs_f64();
            let mut co = ClassifyOptions::new("bench");
            if let Some(w) = options.workers {
                co.workers = w.max(1);
            }
            let workers = co.workers;
            let cpu0 = cpu_seconds();
            let t = Instant::now();
            let stats = classify_run(store, run.id, &co).await?;
            let seconds = t.elapsed().as_secs_f64();
            let cpu = cpu_seconds().zip(cpu0).map(|(a, b)| a - b);
            Ok::<_, BenchError>((setup_seconds, seconds, workers, cpu, stats))
        }
        .await;
        (db, r)
    })
    .await;
    sim.shutdown().await;
    let (setup_seconds, seconds, workers, cpu, stats) = out?;
    let per_second = stats.classified as f64 / seconds.max(1e-9);
    Ok(ClassifyBench {
        corpus_repositories: n,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        workers,
        snapshots: stats.classified,
        setup_seconds,
        seconds,
        repositories_per_second: per_second,
        megabytes_per_second: stats.bytes as f64 / 1e6 / seconds.max(1e-9),
        classifier_seconds: stats.classify_seconds,
        cpu_seconds: cpu,
        projected_seconds_for_20000: 20_000.0 / per_second.max(1e-9),
        stats,
    })
}
