//! The labelled dataset of one run, for sharing alongside a paper: one row
//! per repository with its labels, the evidence behind them (field, value,
//! file, line, rule) and repository metadata (view `labels_export`). Servers
//! only by default; with `all`, every classified repository with its kind,
//! so the classifier's misses can be audited too. Never file contents or
//! matched snippets.

use crate::audit::{evidence_refs, EvidenceRef};
use crate::csv;
use crate::write::ReportError;
use chrono::{DateTime, Utc};
use mcp_survey_store::{Run, Store, StoreError};
use serde::Serialize;
use std::io::Write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
}

impl ExportFormat {
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Jsonl => "jsonl",
        }
    }
}

/// One server. Field names follow docs/labels.md, then metadata.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ExportRow {
    pub repo: String,
    pub run: String,
    pub classifier_version: Option<String>,
    pub commit: Option<String>,
    pub kind: String,
    pub language: String,
    pub sdk: Vec<String>,
    pub transport: Vec<String>,
    pub credentials: String,
    pub auth_methods: Vec<String>,
    pub credential_sources: Vec<String>,
    pub env_vars: Vec<String>,
    pub repository_id: i64,
    pub github_language: Option<String>,
    pub stars: i64,
    pub forks: i64,
    pub fork: bool,
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub pushed_at: Option<DateTime<Utc>>,
    pub description: Option<String>,
    pub topics: Vec<String>,
    pub default_branch: String,
    /// Why each label was given: one entry per (field, value) the
    /// classifier decided, with the file, line and rule.
    pub evidence: Vec<EvidenceRef>,
}

pub const EXPORT_COLUMNS: [&str; 24] = [
    "repo",
    "run",
    "classifier_version",
    "commit",
    "kind",
    "language",
    "sdk",
    "transport",
    "credentials",
    "auth_methods",
    "credential_sources",
    "env_vars",
    "repository_id",
    "github_language",
    "stars",
    "forks",
    "fork",
    "archived",
    "created_at",
    "pushed_at",
    "description",
    "topics",
    "default_branch",
    "evidence",
];

/// The run's servers, by repository name (byte order).
pub async fn export_rows(store: &Store, run: &Run) -> Result<Vec<ExportRow>, StoreError> {
    export_rows_with(store, run, false).await
}

/// The run's servers, or with `all` every classified repository, one row
/// each, by repository name (byte order).
pub async fn export_rows_with(
    store: &Store,
    run: &Run,
    all: bool,
) -> Result<Vec<ExportRow>, StoreError> {
    let rows = store.label_exports(run.id, all).await?;
    Ok(rows
        .into_iter()
        .map(|r| ExportRow {
            repo: r.repo,
            run: r.run_name,
            classifier_version: r.classifier_version,
            commit: r.commit_sha,
            kind: r.kind.unwrap_or_default(),
            language: r.language.unwrap_or_default(),
            sdk: r.sdk.unwrap_or_default(),
            transport: r.transport.unwrap_or_default(),
            credentials: r.credentials.unwrap_or_default(),
            auth_methods: r.auth_methods.unwrap_or_default(),
            credential_sources: r.credential_sources.unwrap_or_default(),
            env_vars: r.env_vars.unwrap_or_default(),
            repository_id: r.repository_id,
            github_language: r.github_language,
            stars: r.stargazers_count,
            forks: r.forks_count,
            fork: r.fork,
            archived: r.archived,
            created_at: r.created_at,
            pushed_at: r.pushed_at,
            description: r.description,
            topics: r.topics,
            default_branch: r.default_branch,
            evidence: r.evidence.as_ref().map(evidence_refs).unwrap_or_default(),
        })
        .collect())
}

fn csv_cells(r: &ExportRow) -> Vec<String> {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    // Lists are `;`-joined: no label value contains a `;`.
    vec![
        r.repo.clone(),
        r.run.clone(),
        opt(&r.classifier_version),
        opt(&r.commit),
        r.kind.clone(),
        r.language.clone(),
        r.sdk.join(";"),
        r.transport.join(";"),
        r.credentials.clone(),
        r.auth_methods.join(";"),
        r.credential_sources.join(";"),
        r.env_vars.join(";"),
        r.repository_id.to_string(),
        opt(&r.github_language),
        r.stars.to_string(),
        r.forks.to_string(),
        r.fork.to_string(),
        r.archived.to_string(),
        r.created_at.to_rfc3339(),
        r.pushed_at.map(|t| t.to_rfc3339()).unwrap_or_default(),
        opt(&r.description),
        r.topics.join(";"),
        r.default_branch.clone(),
        // JSON in one cell: a file path may hold any character but a quote
        // that JSON escapes, so the cell parses back unambiguously.
        serde_json::to_string(&r.evidence).unwrap_or_default(),
    ]
}

/// Writes the rows as CSV (header first) or JSON lines; returns how many.
pub fn write_export(
    rows: &[ExportRow],
    format: ExportFormat,
    out: &mut dyn Write,
) -> Result<usize, ReportError> {
    let io = ReportError::Export;
    match format {
        ExportFormat::Csv => {
            let text = csv::table(&EXPORT_COLUMNS, rows.iter().map(csv_cells));
            out.write_all(text.as_bytes()).map_err(io)?;
        }
        ExportFormat::Jsonl => {
            for r in rows {
                let line = serde_json::to_string(r)?;
                out.write_all(line.as_bytes()).map_err(io)?;
                out.write_all(b"\n").map_err(io)?;
            }
        }
    }
    out.flush().map_err(io)?;
    Ok(rows.len())
}
