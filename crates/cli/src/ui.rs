use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MCP_SURVEY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// The error and its causes on one line: what failed, then why.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

/// A progress bar on a terminal; elsewhere a hidden bar whose progress is
/// printed as a plain line every few seconds.
pub fn bar(stage: &'static str, plain: bool) -> ProgressBar {
    if !plain && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>9} [{elapsed_precise}] {wide_bar} {pos}/{len} ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.set_prefix(stage);
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    } else {
        let bar = ProgressBar::hidden();
        let watched = bar.clone();
        tokio::spawn(async move {
            let mut last = u64::MAX;
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                if watched.is_finished() {
                    break;
                }
                let pos = watched.position();
                if pos != last {
                    eprintln!("{stage}: {pos}/{}", watched.length().unwrap_or(0));
                    last = pos;
                }
            }
        });
        bar
    }
}

pub fn bar_factory(plain: bool) -> mcp_survey_pipeline::BarFactory {
    std::sync::Arc::new(move |stage| bar(stage, plain))
}
