//! The audit sheet on disk: written as JSON lines, CSV and a README by
//! `audit draw`, read back (either form) by `audit score`.

use super::{AuditError, EvidenceRef, Human, SheetRow};
use crate::csv;
use mcp_survey_store::Run;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The sheet's CSV columns: the design, the prediction, then the empty
/// human columns a person fills in.
pub const SHEET_COLUMNS: [&str; 26] = [
    "run",
    "repo",
    "commit",
    "url",
    "stratum",
    "stratum_size",
    "inclusion_probability",
    "weight",
    "predicted_kind",
    "predicted_language",
    "predicted_sdk",
    "predicted_transport",
    "predicted_credentials",
    "predicted_auth_methods",
    "predicted_credential_sources",
    "predicted_env_vars",
    "predicted_evidence",
    "human_kind",
    "human_language",
    "human_sdk",
    "human_transport",
    "human_credentials",
    "human_auth_methods",
    "human_credential_sources",
    "human_env_vars",
    "human_evidence",
];

fn evidence_text(e: &[EvidenceRef]) -> String {
    e.iter()
        .map(|e| {
            format!(
                "{}={}: {}:{} ({})",
                e.field, e.value, e.file, e.line, e.rule
            )
            .replace(['\n', '\r'], " ")
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn csv_row(r: &SheetRow) -> Vec<String> {
    let list = |v: &Option<Vec<String>>| v.as_ref().map(|v| v.join(";")).unwrap_or_default();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    let p = &r.predicted;
    let h = &r.human;
    vec![
        r.run.clone(),
        r.repo.clone(),
        r.commit.clone().unwrap_or_default(),
        r.url.clone(),
        r.stratum.clone(),
        r.stratum_size.to_string(),
        r.inclusion_probability.to_string(),
        r.weight.to_string(),
        p.kind.clone(),
        p.language.clone(),
        p.sdk.join(";"),
        p.transport.join(";"),
        p.credentials.clone(),
        p.auth_methods.join(";"),
        p.credential_sources.join(";"),
        p.env_vars.join(";"),
        evidence_text(&p.evidence),
        opt(&h.kind),
        opt(&h.language),
        list(&h.sdk),
        list(&h.transport),
        opt(&h.credentials),
        list(&h.auth_methods),
        list(&h.credential_sources),
        list(&h.env_vars),
        opt(&h.evidence),
    ]
}

fn write(path: &Path, text: &str) -> Result<PathBuf, AuditError> {
    std::fs::write(path, text).map_err(|source| AuditError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(path.to_path_buf())
}

pub(super) fn write_sheet(
    rows: &[SheetRow],
    run: &Run,
    seed: u64,
    population: usize,
    strata: &BTreeMap<String, (usize, usize)>,
    out: &Path,
) -> Result<Vec<PathBuf>, AuditError> {
    std::fs::create_dir_all(out).map_err(|source| AuditError::Write {
        path: out.to_path_buf(),
        source,
    })?;
    let mut jsonl = String::new();
    for r in rows {
        jsonl.push_str(&serde_json::to_string(r)?);
        jsonl.push('\n');
    }
    let mut files = vec![write(&out.join("sheet.jsonl"), &jsonl)?];
    files.push(write(
        &out.join("sheet.csv"),
        &csv::table(&SHEET_COLUMNS, rows.iter().map(csv_row)),
    )?);
    let mut readme = format!(
        "# Audit sample of run `{}`\n\n{} of the run's {} classified repositories, drawn with seed {} \
         (classifier {}), stratified by predicted kind and, for servers, predicted credential need:\n\n\
         | stratum | repositories | drawn | inclusion probability |\n| --- | ---: | ---: | ---: |\n",
        run.name,
        rows.len(),
        population,
        seed,
        run.classifier_version.as_deref().unwrap_or("unknown"),
    );
    for (s, (size, drawn)) in strata {
        readme.push_str(&format!(
            "| {s} | {size} | {drawn} | {:.4} |\n",
            *drawn as f64 / (*size).max(1) as f64
        ));
    }
    readme.push_str(&format!(
        "\nFill in the `human` fields (sheet.jsonl) or the `human_*` columns (sheet.csv) by reading each \
         repository at its commit, in the vocabulary of docs/labels.md; leave a row's kind empty to skip it. \
         For a server, credentials, auth_methods and credential_sources are needed (an empty list is `[]` \
         in JSON, an empty cell in CSV); language, sdk, transport and env_vars are scored where given. \
         In CSV, lists are joined with `;`. Then score either file:\n\n\
         ```sh\nmcp-survey audit score --run {} sheet.jsonl\n```\n\n\
         Rows left empty are not scored: each stratum's weight is spread over its filled rows, which assumes \
         the filled rows of a stratum are like its empty ones.\n",
        run.name
    ));
    files.push(write(&out.join("README.md"), &readme)?);
    Ok(files)
}

/// A row of a filled sheet as the score reads it.
#[derive(Debug, Clone)]
pub(super) struct ReadRow {
    pub(super) line: usize,
    pub(super) run: String,
    pub(super) repo: String,
    pub(super) stratum: String,
    pub(super) stratum_size: usize,
    pub(super) human: Human,
}

pub(super) fn malformed(path: &Path, line: usize, message: impl Into<String>) -> AuditError {
    AuditError::Malformed {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

pub(super) fn read_jsonl(path: &Path, text: &str) -> Result<Vec<ReadRow>, AuditError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row: SheetRow = serde_json::from_str(line).map_err(|e| {
            malformed(
                path,
                i + 1,
                format!("not a sheet row ({e}); keep the row as `audit draw` wrote it and fill in only `human`"),
            )
        })?;
        out.push(ReadRow {
            line: i + 1,
            run: row.run,
            repo: row.repo,
            stratum: row.stratum,
            stratum_size: row.stratum_size,
            human: row.human,
        });
    }
    Ok(out)
}

pub(super) fn read_csv(path: &Path, text: &str) -> Result<Vec<ReadRow>, AuditError> {
    let mut records = csv::records(text).into_iter();
    let Some((_, header)) = records.next() else {
        return Ok(Vec::new());
    };
    let col = |name: &str| -> Result<usize, AuditError> {
        header.iter().position(|h| h.trim() == name).ok_or_else(|| {
            malformed(
                path,
                1,
                format!("the header has no column {name:?}; keep the header `audit draw` wrote"),
            )
        })
    };
    let idx: HashMap<&str, usize> = ["run", "repo", "stratum", "stratum_size"]
        .into_iter()
        .chain(
            SHEET_COLUMNS
                .iter()
                .copied()
                .filter(|c| c.starts_with("human_")),
        )
        .map(|c| col(c).map(|i| (c, i)))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for (line, cells) in records {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let get = |c: &str| {
            cells
                .get(idx[c])
                .map(|s| s.trim().to_string())
                .unwrap_or_default()
        };
        let text = |c: &str| Some(get(c)).filter(|s| !s.is_empty());
        let kind = text("human_kind");
        // In a spreadsheet an empty list and an unfilled one look the same:
        // once a row is labelled (its kind given), an empty cell is an empty list.
        let list = |c: &str| {
            kind.as_ref().map(|_| {
                get(c)
                    .split(';')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect::<Vec<_>>()
            })
        };
        let stratum_size = get("stratum_size").parse().map_err(|_| {
            malformed(
                path,
                line,
                format!(
                    "stratum_size {:?} is not a count; keep it as `audit draw` wrote it",
                    get("stratum_size")
                ),
            )
        })?;
        out.push(ReadRow {
            line,
            run: get("run"),
            repo: get("repo"),
            stratum: get("stratum"),
            stratum_size,
            human: Human {
                language: text("human_language"),
                sdk: list("human_sdk"),
                transport: list("human_transport"),
                credentials: text("human_credentials"),
                auth_methods: list("human_auth_methods"),
                credential_sources: list("human_credential_sources"),
                env_vars: list("human_env_vars"),
                evidence: text("human_evidence"),
                kind,
            },
        });
    }
    Ok(out)
}
