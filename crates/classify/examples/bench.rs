//! cargo run --release -p mcp-survey-classify --example bench -- CORPUS_DIR [TARGET_REPOS] [THREADS]
//!
//! Loads every repository folder under CORPUS_DIR once, then classifies the
//! set over and over (round-robin) until TARGET_REPOS classifications are
//! done (default 20,000), on THREADS worker threads (default 2). Prints
//! repositories per second, megabytes per second and the wall time, so the
//! "20,000 snapshots in under 60 s on 2 cores" figure can be measured.
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first().map(PathBuf::from) else {
        eprintln!("usage: bench CORPUS_DIR [TARGET_REPOS] [THREADS]");
        return ExitCode::from(2);
    };
    let target: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let threads: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(2).max(1);
    let entries = match std::fs::read_dir(&dir) {
        Ok(rd) => {
            let mut v: Vec<PathBuf> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect();
            v.sort();
            v
        }
        Err(e) => {
            eprintln!("cannot read {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    };
    let load_start = Instant::now();
    let mut repos = Vec::new();
    for p in &entries {
        match mcp_survey_classify::load_dir(p) {
            Ok(r) => repos.push(r),
            Err(e) => eprintln!("skipping {}: {e}", p.display()),
        }
    }
    if repos.is_empty() {
        eprintln!("no repositories under {}", dir.display());
        return ExitCode::FAILURE;
    }
    let sizes: Vec<usize> = repos
        .iter()
        .map(|r| r.files.iter().map(|f| f.text.len()).sum())
        .collect();
    println!(
        "loaded {} repos ({:.1} MB) in {:.2?}",
        repos.len(),
        sizes.iter().sum::<usize>() as f64 / 1e6,
        load_start.elapsed()
    );

    // One pass over the corpus first: the per-repository cost, slowest first.
    let mut per_repo: Vec<(f64, usize)> = Vec::new();
    let one = Instant::now();
    for (i, r) in repos.iter().enumerate() {
        let t = Instant::now();
        std::hint::black_box(mcp_survey_classify::classify(r));
        per_repo.push((t.elapsed().as_secs_f64(), i));
    }
    let one_pass = one.elapsed();
    per_repo.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!(
        "one pass over the corpus, 1 thread: {:.2?}; slowest:",
        one_pass
    );
    for (secs, i) in per_repo.iter().take(5) {
        println!(
            "  {:>8.1} ms  {:>7.1} MB  {}",
            secs * 1e3,
            sizes[*i] as f64 / 1e6,
            entries[*i].display()
        );
    }

    let next = AtomicUsize::new(0);
    let bytes = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= target {
                    break;
                }
                let i = n % repos.len();
                std::hint::black_box(mcp_survey_classify::classify(&repos[i]));
                bytes.fetch_add(sizes[i], Ordering::Relaxed);
            });
        }
    });
    let wall = start.elapsed().as_secs_f64();
    let mb = bytes.load(Ordering::Relaxed) as f64 / 1e6;
    println!(
        "classified {target} repos ({mb:.0} MB) on {threads} threads in {wall:.2} s: {:.0} repos/s, {:.1} MB/s",
        target as f64 / wall,
        mb / wall
    );
    ExitCode::SUCCESS
}
