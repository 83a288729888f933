use crate::headline::{funnel, headline, Funnel, Headline, Share, PUBLISHED};
use mcp_survey_store::{Run, RunStatus, Store, StoreError};
use serde::Serialize;
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
    #[error("cannot serialise the summary: {0}")]
    Json(#[from] serde_json::Error),
}

/// Everything `summary.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub run: String,
    pub status: String,
    /// True while the run has not finished: the figures cover what is done.
    pub partial: bool,
    pub classifier_version: Option<String>,
    pub seed_file_sha256: Option<String>,
    pub github_url: String,
    pub headline: Headline,
    pub funnel: Funnel,
    pub published: crate::headline::PublishedFigures,
}

#[derive(Debug, Clone)]
pub struct ReportFiles {
    pub dir: PathBuf,
    pub markdown: PathBuf,
    pub summary: PathBuf,
    pub summary_value: Summary,
}

pub async fn build_summary(store: &Store, run: &Run) -> Result<Summary, StoreError> {
    Ok(Summary {
        run: run.name.clone(),
        status: format!("{:?}", run.status).to_lowercase(),
        partial: run.status != RunStatus::Finished,
        classifier_version: run.classifier_version.clone(),
        seed_file_sha256: run.seed_file_hash.clone(),
        github_url: run.github_url.clone(),
        headline: headline(store, run.id).await?,
        funnel: funnel(store, run.id).await?,
        published: PUBLISHED,
    })
}

/// Writes `report.md` and `summary.json` under `out/<run>/`.
pub async fn write_report(
    store: &Store,
    run: &Run,
    out: &Path,
) -> Result<ReportFiles, ReportError> {
    let summary = build_summary(store, run).await?;
    let dir = out.join(sanitize(&run.name));
    std::fs::create_dir_all(&dir).map_err(|source| ReportError::Write {
        path: dir.display().to_string(),
        source,
    })?;
    let markdown = dir.join("report.md");
    let summary_path = dir.join("summary.json");
    write_file(&markdown, &render_markdown(&summary))?;
    write_file(&summary_path, &serde_json::to_string_pretty(&summary)?)?;
    Ok(ReportFiles {
        dir,
        markdown,
        summary: summary_path,
        summary_value: summary,
    })
}

fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    // Write beside and rename, so a reader never sees half a report.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text)
        .and_then(|_| std::fs::rename(&tmp, path))
        .map_err(|source| ReportError::Write {
            path: path.display().to_string(),
            source,
        })
}

/// Run names become folder names: keep them to a safe alphabet.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

fn share_cell(s: &Share) -> String {
    format!(
        "{} ({} / {}; 95% CI {}–{})",
        pct(s.share),
        s.numerator,
        s.denominator,
        pct(s.ci95_low),
        pct(s.ci95_high)
    )
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
    let _ = writeln!(t, "{:<40} {:>12}  this run", "figure", "published");
    let _ = writeln!(
        t,
        "{:<40} {:>12}  {}",
        "MCP servers", PUBLISHED.servers, h.servers
    );
    let rows = [
        ("require credentials", PUBLISHED.required, &h.required),
        (
            "static API keys or PATs",
            PUBLISHED.static_key_or_pat,
            &h.static_key_or_pat,
        ),
        ("OAuth", PUBLISHED.oauth, &h.oauth),
        ("credentials from env variables", PUBLISHED.env, &h.env),
    ];
    for (label, published, ours) in rows {
        let _ = writeln!(
            t,
            "{:<40} {:>12}  {}",
            label,
            pct(published),
            share_cell(ours)
        );
    }
    t
}

pub fn render_markdown(summary: &Summary) -> String {
    let h = &summary.headline;
    let f = &summary.funnel;
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# MCP server authentication survey: run `{}`\n",
        summary.run
    );
    if summary.partial {
        let _ = writeln!(
            md,
            "> **Partial report.** This run is `{}`: the figures cover only what has been classified so far.\n",
            summary.status
        );
    }
    let _ = writeln!(md, "## Headline\n");
    let _ = writeln!(
        md,
        "Every share below is out of the **{} repositories classified as MCP servers** in this run \
         (forks excluded; clients, SDKs, lists and unrelated \"MCP\" repositories are not servers). \
         Intervals are 95% Wilson score intervals.\n",
        h.servers
    );
    let _ = writeln!(md, "| figure | Astrix 2025 | this run |");
    let _ = writeln!(md, "| --- | ---: | --- |");
    let _ = writeln!(
        md,
        "| MCP servers analysed | {} | {} |",
        PUBLISHED.servers, h.servers
    );
    let rows = [
        (
            "servers that require credentials",
            PUBLISHED.required,
            &h.required,
        ),
        (
            "static API keys or personal access tokens",
            PUBLISHED.static_key_or_pat,
            &h.static_key_or_pat,
        ),
        ("OAuth", PUBLISHED.oauth, &h.oauth),
        (
            "credentials from environment variables",
            PUBLISHED.env,
            &h.env,
        ),
    ];
    for (label, published, ours) in rows {
        let _ = writeln!(
            md,
            "| {label} | {} | {} |",
            pct(published),
            share_cell(ours)
        );
    }
    let _ = writeln!(md, "\n## Funnel\n");
    let _ = writeln!(md, "| step | repositories |");
    let _ = writeln!(md, "| --- | ---: |");
    let funnel_rows = [
        ("found by the seed queries", f.found),
        ("excluded: forks", f.excluded_forks),
        ("gone (404, 451, empty)", f.gone),
        ("fetch failed", f.fetch_failed),
        ("not fetched yet", f.not_fetched_yet),
        ("fetched", f.fetched),
        ("classified", f.classified),
        ("not servers: clients", f.clients),
        ("not servers: SDKs and frameworks", f.sdks),
        ("not servers: lists and docs", f.lists),
        ("not servers: other (incl. unrelated \"MCP\")", f.other),
        ("**MCP servers**", f.servers),
        ("of which archived", f.archived_servers),
    ];
    for (label, n) in funnel_rows {
        let _ = writeln!(md, "| {label} | {n} |");
    }
    let _ = writeln!(md, "\n## Reproducing\n");
    let _ = writeln!(
        md,
        "- classifier version: `{}`\n- seed-query file sha256: `{}`\n- GitHub API: `{}`",
        summary.classifier_version.as_deref().unwrap_or("unknown"),
        summary.seed_file_sha256.as_deref().unwrap_or("unknown"),
        summary.github_url
    );
    md
}
