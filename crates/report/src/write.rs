use crate::cells::{pct, share_cell};
use crate::corrected::{Accuracy, AccuracyChoice, AccuracyError, LoadError};
use crate::headline::PUBLISHED;
use crate::summary::{summary_with, Summary};
use crate::tables;
use mcp_survey_store::{Run, Store, StoreError};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the report to {path}: {source}. Check that the folder is writable or pass --out")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the export: {0}. Check the disk and the --out path")]
    Export(#[source] std::io::Error),
    #[error("cannot serialise the summary: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Accuracy(#[from] AccuracyError),
    #[error("cannot draw the chart {name}: {message}")]
    Chart { name: String, message: String },
}

impl From<LoadError> for ReportError {
    fn from(e: LoadError) -> Self {
        match e {
            LoadError::Store(e) => ReportError::Store(e),
            LoadError::Accuracy(e) => ReportError::Accuracy(e),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub dir: PathBuf,
    pub markdown: PathBuf,
    pub summary: PathBuf,
    pub summary_value: Summary,
    /// Every file written (Markdown, JSON, CSV, SVG).
    pub written: Vec<PathBuf>,
}

/// Writes `report.md`, `summary.json`, one CSV per table and the charts
/// (SVG and PNG) under `out/<run>/`, corrected with the run's stored audit
/// when it has one.
pub async fn write_report(
    store: &Store,
    run: &Run,
    out: &Path,
) -> Result<ReportFiles, ReportError> {
    write_report_with(store, run, out, &AccuracyChoice::StoredAudit).await
}

/// [`write_report`] with the accuracy `choice` names.
pub async fn write_report_with(
    store: &Store,
    run: &Run,
    out: &Path,
    choice: &AccuracyChoice,
) -> Result<ReportFiles, ReportError> {
    let accuracy = Accuracy::load(store, run, choice).await?;
    let summary = summary_with(store, run, &accuracy).await?;
    let dir = out.join(sanitize(&run.name));
    create_dir(&dir)?;
    let mut written = Vec::new();
    let mut put = |name: &str, text: &[u8]| -> Result<PathBuf, ReportError> {
        let path = dir.join(name);
        write_file(&path, text)?;
        written.push(path.clone());
        Ok(path)
    };
    let csv = tables::csv_files(&summary)
        .into_iter()
        .chain(crate::sources::csv_files(&summary.sources));
    for (name, text) in csv {
        put(&name, text.as_bytes())?;
    }
    let charts = tables::charts(&summary);
    let fonts = crate::charts::fonts();
    for (name, svg) in &charts {
        put(name, svg.as_bytes())?;
        // The PNG is drawn from the SVG itself, so the two never differ.
        let png = crate::charts::png(svg, &fonts).map_err(|message| ReportError::Chart {
            name: name.clone(),
            message,
        })?;
        put(&name.replace(".svg", ".png"), &png)?;
    }
    let chart_names: Vec<&str> = charts.iter().map(|(n, _)| n.as_str()).collect();
    let markdown = put(
        "report.md",
        render_markdown_with(&summary, &chart_names).as_bytes(),
    )?;
    let summary_path = put(
        SUMMARY_FILE,
        serde_json::to_string_pretty(&summary)?.as_bytes(),
    )?;
    Ok(ReportFiles {
        dir,
        markdown,
        summary: summary_path,
        summary_value: summary,
        written,
    })
}

pub(crate) fn create_dir(dir: &Path) -> Result<(), ReportError> {
    std::fs::create_dir_all(dir).map_err(|source| ReportError::Write {
        path: dir.display().to_string(),
        source,
    })
}

pub(crate) fn write_file(path: &Path, text: impl AsRef<[u8]>) -> Result<(), ReportError> {
    // Write beside and rename, so a reader never sees half a report. The
    // temporary name is the process's own: several workers finishing the
    // same run together each write the whole report without colliding.
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|source| ReportError::Write {
            path: path.display().to_string(),
            source,
        })
}

/// Written last, so its presence says the whole report is there.
const SUMMARY_FILE: &str = "summary.json";

/// Whether `out` holds a complete report of the finished run `run`: its
/// summary (written last) exists and says the run was finished when written.
pub fn report_is_complete(out: &Path, run: &str) -> bool {
    let path = out.join(report_folder_name(run)).join(SUMMARY_FILE);
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .is_some_and(|v| v.get("partial") == Some(&serde_json::Value::Bool(false)))
}

/// The folder a run's report is written to, under the reports folder.
pub fn report_folder_name(run: &str) -> String {
    sanitize(run)
}

/// Run names become folder names: keep them to a safe alphabet, and never
/// let one be `.` or `..`.
pub(crate) fn sanitize(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.chars().all(|c| c == '.') {
        format!("_{}", safe.replace('.', "_"))
    } else {
        safe
    }
}

/// The headline table as plain text, for stdout.
pub fn render_table(summary: &Summary) -> String {
    let h = &summary.headline;
    let mut t = String::new();
    let _ = writeln!(
        t,
        "run {}{}",
        summary.run,
        if summary.partial {
            " (partial: not finished)"
        } else {
            ""
        }
    );
    let c = &summary.correction;
    let corrected = |key: &str| c.cell(key);
    let _ = writeln!(t, "{:<40} {:>12}  this run", "figure", "published");
    let _ = writeln!(
        t,
        "{:<40} {:>12}  {}{}",
        "MCP servers",
        PUBLISHED.servers,
        h.servers,
        if c.source.is_some() {
            format!("; corrected {}", corrected("servers"))
        } else {
            String::new()
        }
    );
    let rows = [
        (
            "require credentials",
            PUBLISHED.required,
            &h.required,
            "requires_credentials",
        ),
        (
            "static API keys or PATs",
            PUBLISHED.static_key_or_pat,
            &h.static_key_or_pat,
            "static_key_or_pat",
        ),
        ("OAuth", PUBLISHED.oauth, &h.oauth, "oauth"),
        (
            "credentials from env variables",
            PUBLISHED.env,
            &h.env,
            "reads_env",
        ),
    ];
    for (label, published, ours, key) in rows {
        let _ = writeln!(
            t,
            "{:<40} {:>12}  {}",
            label,
            pct(published),
            share_cell(ours)
        );
        if c.source.is_some() {
            let _ = writeln!(t, "{:<40} {:>12}  {}", "  corrected", "", corrected(key));
        }
    }
    match &c.source {
        Some(s) => {
            let _ = writeln!(t, "corrected for classifier error with {}", s.description);
        }
        None => {
            let _ = writeln!(
                t,
                "no accuracy data: shares are raw (score an audit with `mcp-survey audit`, or pass --accuracy)"
            );
        }
    }
    t
}

pub fn render_markdown(summary: &Summary) -> String {
    crate::markdown::render(summary, &[])
}

fn render_markdown_with(summary: &Summary, charts: &[&str]) -> String {
    crate::markdown::render(summary, charts)
}
