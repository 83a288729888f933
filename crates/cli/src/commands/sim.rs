use anyhow::{bail, Context, Result};
use clap::Args;
use mcp_survey_ghsim::synthetic::registry::{with_registry, RegistryGen};
use mcp_survey_ghsim::{
    serve_with_registry, synthetic, AppKey, Corpus, FaultConfig, FaultKind, NamedFault, Registry,
    SimConfig,
};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct SimArgs {
    /// Serve this folder: one sub-folder per repository named OWNER__NAME, optional meta.jsonl and labels.jsonl.
    #[arg(long, conflicts_with = "synthetic")]
    pub corpus: Option<PathBuf>,
    /// Serve a generated corpus of N repositories.
    #[arg(long)]
    pub synthetic: Option<usize>,
    /// Seed of the generated corpus.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Share of a generated corpus's servers its MCP registry (`/v0.1/servers`) lists; the registry also lists a few servers no seed query finds (added to the corpus), gone repositories, monorepo folders and entries without a repository. 0 (the default) serves an empty registry and adds nothing, so a generated corpus stays the same.
    #[arg(long, default_value_t = 0.0)]
    pub registry_share: f64,
    /// Write the generated corpus (files, meta.jsonl, labels.jsonl, registry.jsonl) to this folder and exit.
    #[arg(long, requires = "synthetic")]
    pub write_corpus: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:8088")]
    pub listen: SocketAddr,
    /// Shorten every rate-limit window K times (a minute becomes 60/K seconds).
    #[arg(long, default_value_t = 1.0)]
    pub time_scale: f64,
    /// Inject transient faults (5xx, resets, slow and truncated answers, secondary limits) in this share of requests.
    #[arg(long, default_value_t = 0.0)]
    pub fault_rate: f64,
    /// Inject one kind of fault in this share of requests, e.g. `--fault server_error=0.02`, `--fault incomplete=0.1` (search pages with items missing and incomplete_results) or `--fault short_page=0.1` (items missing, Link still naming the next page); repeatable, added to --fault-rate.
    #[arg(long = "fault", value_name = "KIND=RATE", value_parser = parse_fault_rate)]
    pub faults: Vec<(FaultKind, f64)>,
    /// Make one repository answer with a fault, e.g. `--fault-repo octo/gone=404`, `octo/tos=blocked` (403 "Repository access blocked") or `octo/flaky=reset:2` (first 2 requests); its archive can also be hostile: nul_path, trickle, empty_deflate, flat_archive, two_top_folders, bad_redirect. Repeatable.
    #[arg(long = "fault-repo", value_name = "OWNER/NAME=KIND[:TIMES]", value_parser = NamedFault::parse_spec)]
    pub fault_repos: Vec<(String, NamedFault)>,
    /// How long a `slow` fault delays its answer, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    pub slow_ms: u64,
    /// Accept only these tokens (comma-separated); by default any token is accepted.
    #[arg(long, value_delimiter = ',')]
    pub tokens: Option<Vec<String>>,
    /// Serve without any rate limit (throughput benchmarks).
    #[arg(long)]
    pub unthrottled: bool,
    /// Let a GitHub App authenticate: its id and public key, e.g. `--app 1=pub.pem` (made with `openssl rsa -in key.pem -pubout -out pub.pem`); it is installed once, on sim-org. Installation tokens expire after an hour shortened --time-scale times. Repeatable.
    #[arg(long = "app", value_name = "ID=PUBLIC_KEY_PEM_PATH", value_parser = AppKey::parse_spec)]
    pub apps: Vec<AppKey>,
}

/// The corpus and its registry: a folder's `registry.jsonl` (none: an
/// empty registry), or one generated with the synthetic corpus.
pub fn load_corpus(args: &SimArgs) -> Result<(Corpus, Registry)> {
    match (&args.corpus, args.synthetic) {
        (Some(dir), _) => {
            let corpus = Corpus::load_dir(dir)
                .with_context(|| format!("cannot load the corpus folder {}", dir.display()))?;
            let registry = Registry::read_jsonl(&dir.join("registry.jsonl"))
                .with_context(|| format!("cannot load {}/registry.jsonl", dir.display()))?;
            Ok((corpus, registry))
        }
        (None, Some(n)) => {
            let corpus = synthetic::generate(n, args.seed);
            if args.registry_share <= 0.0 {
                return Ok((corpus, Registry::default()));
            }
            Ok(with_registry(
                corpus,
                args.seed,
                &RegistryGen::with_share(args.registry_share),
            ))
        }
        (None, None) => bail!("give --corpus DIR or --synthetic N"),
    }
}

pub async fn run(args: &SimArgs) -> Result<()> {
    if !(args.time_scale.is_finite() && args.time_scale > 0.0) {
        bail!(
            "--time-scale must be a positive number, got {}",
            args.time_scale
        );
    }
    if !(0.0..=1.0).contains(&args.fault_rate) {
        bail!(
            "--fault-rate must be between 0 and 1, got {}",
            args.fault_rate
        );
    }
    if !(0.0..=1.0).contains(&args.registry_share) {
        bail!(
            "--registry-share must be between 0 and 1, got {}",
            args.registry_share
        );
    }
    let (corpus, registry) = load_corpus(args)?;
    if let Some(dir) = &args.write_corpus {
        corpus
            .write_dir(dir)
            .with_context(|| format!("cannot write the corpus to {}", dir.display()))?;
        registry
            .write_jsonl(&dir.join("registry.jsonl"))
            .with_context(|| format!("cannot write {}/registry.jsonl", dir.display()))?;
        println!(
            "wrote {} repositories and {} registry entries to {}",
            corpus.repos.len(),
            registry.entries.len(),
            dir.display()
        );
        return Ok(());
    }
    let mut config = if args.unthrottled {
        SimConfig::unthrottled()
    } else {
        SimConfig::default()
    };
    config.time_scale = args.time_scale;
    config.valid_tokens = args.tokens.clone();
    config.apps = args.apps.clone();
    if args.fault_rate > 0.0 {
        config.faults = FaultConfig::uniform(args.fault_rate);
    }
    for (kind, rate) in &args.faults {
        let total = config.faults.rates.get(kind).copied().unwrap_or(0.0) + rate;
        config.faults = config.faults.with_rate(*kind, total);
    }
    for (repo, fault) in &args.fault_repos {
        config.faults = config.faults.with_named(repo, *fault);
    }
    config.faults.slow_delay = std::time::Duration::from_millis(args.slow_ms);
    let repos = corpus.repos.len();
    let entries = registry.entries.len();
    let handle = serve_with_registry(corpus, registry, config, args.listen)
        .await
        .with_context(|| format!("cannot start the simulator on {}", args.listen))?;
    println!(
        "GitHub simulator serving {repos} repositories and {entries} registry entries at {} (stats at {}/_sim/stats); Ctrl-C stops it",
        handle.base_url(),
        handle.base_url()
    );
    for app in &args.apps {
        println!(
            "GitHub App {} is installed as installation {}",
            app.id,
            mcp_survey_ghsim::installation_id(app.id)
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("cannot listen for Ctrl-C")?;
    handle.shutdown().await;
    Ok(())
}

/// `KIND=RATE` of `--fault`.
pub(crate) fn parse_fault_rate(spec: &str) -> Result<(FaultKind, f64), String> {
    let (kind, rate) = spec
        .split_once('=')
        .ok_or_else(|| format!("{spec:?} is not KIND=RATE (for example server_error=0.02)"))?;
    let rate: f64 = rate
        .parse()
        .map_err(|_| format!("{rate:?} is not a rate between 0 and 1"))?;
    if !(0.0..=1.0).contains(&rate) {
        return Err(format!("the rate {rate} is not between 0 and 1"));
    }
    Ok((kind.parse()?, rate))
}
