//! Audits: a stratified random sample of a run's classified repositories
//! written as a labelling sheet (`audit draw`), and the filled sheet scored
//! against the run's labels and stored (`audit score`), so the run's report
//! can correct its shares for the classifier's errors.
//!
//! The sheet is the design's record: every row carries its stratum, the
//! stratum's size and the row's inclusion probability, so the score needs
//! nothing but the sheet and the run. The predicted labels scored are the
//! run's stored ones, not the sheet's copy: a person editing the wrong
//! column cannot change what is measured.

mod score;
mod sheet;

pub use score::{score, store_score, stored_score, AuditScore, FieldAccuracy, FigureAccuracy};
pub use sheet::SHEET_COLUMNS;

use crate::correction::{stratified_sample, stratum_of, Unit};
use mcp_survey_store::{ClassifiedLabels, Run, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sheet::write_sheet;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("run {0:?} has no classified repositories to audit; classify it first (`mcp-survey classify --run {0}`)")]
    NothingToAudit(String),
    #[error("--n must be at least 1")]
    EmptySample,
    #[error(
        "cannot write {path}: {source}; check that the folder is writable or pass another --out"
    )]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the sheet {path}: {source}; pass the sheet.jsonl or sheet.csv that `audit draw` wrote")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Malformed {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{path} has no rows; pass the sheet that `audit draw` wrote")]
    EmptySheet { path: PathBuf },
    #[error("{path}: no row is labelled yet (every human.kind is empty); fill in some rows in the vocabulary of docs/labels.md, then score again")]
    NothingFilled { path: PathBuf },
    #[error("cannot serialise the audit: {0}")]
    Json(#[from] serde_json::Error),
}

/// One piece of evidence behind a predicted label (no matched text: the
/// sheet is for reading the file at the line, not for copying snippets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRef {
    pub field: String,
    pub value: String,
    pub file: String,
    pub line: i64,
    pub rule: String,
}

/// The run's labels of one repository, under the schema's field names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predicted {
    pub kind: String,
    pub language: String,
    pub sdk: Vec<String>,
    pub transport: Vec<String>,
    pub credentials: String,
    pub auth_methods: Vec<String>,
    pub credential_sources: Vec<String>,
    pub env_vars: Vec<String>,
    #[serde(default)]
    pub evidence: Vec<EvidenceRef>,
}

/// A person's labels: the same fields, each null until filled in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Human {
    pub kind: Option<String>,
    pub language: Option<String>,
    pub sdk: Option<Vec<String>>,
    pub transport: Option<Vec<String>>,
    pub credentials: Option<String>,
    pub auth_methods: Option<Vec<String>>,
    pub credential_sources: Option<Vec<String>>,
    pub env_vars: Option<Vec<String>>,
    /// Free text: what decided the labels (like a labelled corpus's evidence).
    pub evidence: Option<String>,
}

/// One row of sheet.jsonl.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SheetRow {
    pub run: String,
    pub repo: String,
    pub commit: Option<String>,
    pub url: String,
    pub stratum: String,
    pub stratum_size: usize,
    pub inclusion_probability: f64,
    pub weight: f64,
    pub predicted: Predicted,
    pub human: Human,
}

/// What `audit draw` wrote.
#[derive(Debug, Clone)]
pub struct DrawnSheet {
    pub rows: Vec<SheetRow>,
    pub population: usize,
    /// Stratum: (repositories, drawn).
    pub strata: BTreeMap<String, (usize, usize)>,
    pub files: Vec<PathBuf>,
}

/// A classified repository's name, labelled commit and labels.
fn into_predicted(row: ClassifiedLabels) -> (String, Option<String>, Predicted) {
    let evidence = evidence_refs(&row.evidence);
    (
        row.full_name,
        row.commit_sha,
        Predicted {
            kind: row.kind,
            language: row.language,
            sdk: row.sdk,
            transport: row.transport,
            credentials: row.credentials,
            auth_methods: row.auth_methods,
            credential_sources: row.credential_sources,
            env_vars: row.env_vars,
            evidence,
        },
    )
}

/// The stored evidence (`[{field, value, file, line, rule, matched}]`)
/// without the matched text.
pub fn evidence_refs(v: &Value) -> Vec<EvidenceRef> {
    let s = |e: &Value, k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|e| EvidenceRef {
                    field: s(e, "field"),
                    value: s(e, "value"),
                    file: s(e, "file"),
                    line: e.get("line").and_then(Value::as_i64).unwrap_or(0),
                    rule: s(e, "rule"),
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether the run talked to GitHub itself (not a simulator or another host):
/// only then may a report or sheet link a repository to github.com.
pub fn is_public_github(api_url: &str) -> bool {
    url_host(api_url).is_some_and(|h| h.eq_ignore_ascii_case("api.github.com"))
}

fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    Some(host.split(':').next().unwrap_or(host))
}

/// Where a person reads the repository at the labelled commit: github.com
/// for a run against GitHub, else the API the run talked to (a simulator's
/// or a GitHub Enterprise server's), never a github.com page the data did
/// not come from.
pub fn repo_url(api_url: &str, repo: &str, commit: Option<&str>) -> String {
    if is_public_github(api_url) {
        match commit {
            Some(c) => format!("https://github.com/{repo}/tree/{c}"),
            None => format!("https://github.com/{repo}"),
        }
    } else {
        format!("{}/repos/{repo}", api_url.trim_end_matches('/'))
    }
}

/// Draws `n` of the run's classified repositories, stratified by predicted
/// kind and, for servers, predicted credential need, and writes
/// `sheet.jsonl`, `sheet.csv` and `README.md` (how to fill them) into `out`.
pub async fn draw(
    store: &Store,
    run: &Run,
    n: usize,
    seed: u64,
    out: &Path,
) -> Result<DrawnSheet, AuditError> {
    if n == 0 {
        return Err(AuditError::EmptySample);
    }
    let rows = store.classified_labels(run.id).await?;
    if rows.is_empty() {
        return Err(AuditError::NothingToAudit(run.name.clone()));
    }
    let units: Vec<Unit> = rows
        .iter()
        .map(|r| Unit {
            id: r.full_name.clone(),
            stratum: stratum_of(&r.kind, &r.credentials),
        })
        .collect();
    let population = units.len();
    let draws = stratified_sample(&units, n, seed);
    // Every stratum is listed, also one a small --n left undrawn.
    let mut strata: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for u in &units {
        strata.entry(u.stratum.clone()).or_default().0 += 1;
    }
    for d in &draws {
        strata.entry(d.stratum.clone()).or_default().1 = d.stratum_drawn;
    }
    let mut slots: Vec<Option<ClassifiedLabels>> = rows.into_iter().map(Some).collect();
    let mut sheet = Vec::with_capacity(draws.len());
    for d in draws {
        let Some(row) = slots.get_mut(d.index).and_then(Option::take) else {
            continue;
        };
        let (repo, commit, predicted) = into_predicted(row);
        sheet.push(SheetRow {
            run: run.name.clone(),
            url: repo_url(&run.github_url, &repo, commit.as_deref()),
            repo,
            commit,
            stratum: d.stratum,
            stratum_size: d.stratum_size,
            inclusion_probability: d.inclusion_probability,
            weight: d.weight,
            predicted,
            human: Human::default(),
        });
    }
    let files = write_sheet(&sheet, run, seed, population, &strata, out)?;
    Ok(DrawnSheet {
        rows: sheet,
        population,
        strata,
        files,
    })
}
