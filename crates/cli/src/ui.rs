//! What the binary shows on stderr: log lines, progress, one summary line
//! per finished stage. Terminals get bars; files and pipes (cron logs) get
//! plain lines without escape codes.

use indicatif::{ProgressBar, ProgressState, ProgressStyle};
use mcp_survey_pipeline::StageSummary;
use mcp_survey_stage::Progress;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// Colour only for a person at a terminal: never in a file or a pipe, and
/// never when NO_COLOR is set to anything (no-color.org).
pub fn colour() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("MCP_SURVEY_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour())
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

/// What a stage's progress counts.
fn unit(stage: &str) -> &'static str {
    match stage {
        "harvest" => "pages",
        "fetch" => "repositories",
        "classify" => "snapshots",
        _ => "items",
    }
}

/// A rate with as many digits as it deserves: 1234/s, 56/s, 7.8/s, 0.42/s.
pub fn rate(per_sec: f64) -> String {
    if !per_sec.is_finite() || per_sec <= 0.0 {
        "-".to_string()
    } else if per_sec >= 10.0 {
        format!("{per_sec:.0}/s")
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1}/s")
    } else {
        format!("{per_sec:.2}/s")
    }
}

/// Everything a bar shows after its clock: `[████░░░░] 12/40 pages (3.1/s,
/// eta 4s)`, or `starting` while the stage has not counted its work, never
/// a full bar over `0/0`.
fn progress(state: &ProgressState, unit: &str) -> String {
    const WIDTH: u64 = 30;
    let len = state.len().unwrap_or(0);
    if len == 0 {
        return "starting".to_string();
    }
    let pos = state.pos().min(len);
    let filled = (pos * WIDTH / len) as usize;
    let per_sec = state.per_sec();
    let eta = if per_sec.is_finite() && per_sec > 0.0 {
        duration(state.eta())
    } else {
        "-".to_string()
    };
    format!(
        "{}{} {pos}/{len} {unit} ({}, eta {eta})",
        "█".repeat(filled),
        "░".repeat(WIDTH as usize - filled),
        rate(per_sec),
    )
}

/// `42s`, `3m05s`, `2h07m`.
fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

/// The stages' progress drawn by indicatif: the only place it is used.
#[derive(Debug, Clone)]
pub struct Bar(pub ProgressBar);

impl Progress for Bar {
    fn set_length(&self, length: u64) {
        self.0.set_length(length);
    }
    fn set_position(&self, position: u64) {
        self.0.set_position(position);
    }
    fn inc(&self, delta: u64) {
        self.0.inc(delta);
    }
    fn inc_length(&self, delta: u64) {
        self.0.inc_length(delta);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

/// A stage's progress: a bar on a terminal; elsewhere a hidden bar whose
/// progress is printed as a plain line every few seconds.
pub fn bar(stage: &'static str, plain: bool) -> Arc<dyn Progress> {
    Arc::new(Bar(indicatif_bar(stage, plain)))
}

fn indicatif_bar(stage: &'static str, plain: bool) -> ProgressBar {
    let unit = unit(stage);
    if !plain && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(0);
        let style = ProgressStyle::with_template("{prefix:>9} [{elapsed_precise}] {progress}")
            .map(|s| {
                s.with_key(
                    "progress",
                    move |st: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = w.write_str(&progress(st, unit));
                    },
                )
            })
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
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
                let (pos, len) = (watched.position(), watched.length().unwrap_or(0));
                if pos != last && len > 0 {
                    eprintln!("{stage}: {pos}/{len} {unit} ({})", rate(watched.per_sec()));
                    last = pos;
                }
            }
        });
        bar
    }
}

pub fn bar_factory(plain: bool) -> mcp_survey_pipeline::BarFactory {
    Arc::new(move |stage| bar(stage, plain))
}

/// The one line a finished stage leaves: what it did, how long it took,
/// how many GitHub requests it sent.
pub fn stage_line(s: &StageSummary) -> String {
    let mut line = format!(
        "{:<9} done: {} {} in {:.1}s",
        s.stage, s.items, s.unit, s.seconds
    );
    if let Some(requests) = s.requests {
        let _ = write!(line, ", {requests} requests");
    }
    if !s.detail.is_empty() {
        let _ = write!(line, " ({})", s.detail);
    }
    line
}

/// Prints a finished stage's line on stderr.
pub fn print_stage(s: &StageSummary) {
    eprintln!("{}", stage_line(s));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(duration(Duration::from_secs(42)), "42s");
        assert_eq!(duration(Duration::from_secs(185)), "3m05s");
        assert_eq!(duration(Duration::from_secs(7620)), "2h07m");
    }

    #[test]
    fn rates_have_sensible_precision() {
        assert_eq!(rate(1234.567), "1235/s");
        assert_eq!(rate(56.4), "56/s");
        assert_eq!(rate(7.84), "7.8/s");
        assert_eq!(rate(0.423), "0.42/s");
        assert_eq!(rate(0.0), "-");
        assert_eq!(rate(f64::NAN), "-");
    }

    #[test]
    fn a_stage_line_names_count_time_and_requests() {
        let line = stage_line(&StageSummary {
            stage: "fetch",
            items: 120,
            unit: "repositories",
            seconds: 3.26,
            requests: Some(240),
            detail: "3 failed".into(),
        });
        assert_eq!(
            line,
            "fetch     done: 120 repositories in 3.3s, 240 requests (3 failed)"
        );
    }
}
