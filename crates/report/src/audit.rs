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

use crate::correction::{
    sensitivity_specificity, server_precision_recall, stratified_sample, stratum_of, Figure,
    LabelledItem, Outcome, Unit,
};
use crate::csv;
use mcp_survey_model::{AuthMethod, CredentialSource, Credentials, Kind, Sdk, Transport};
use mcp_survey_store::{Run, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

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

#[derive(sqlx::FromRow)]
struct LabelRow {
    full_name: String,
    commit_sha: Option<String>,
    kind: String,
    language: String,
    sdk: Vec<String>,
    transport: Vec<String>,
    credentials: String,
    auth_methods: Vec<String>,
    credential_sources: Vec<String>,
    env_vars: Vec<String>,
    evidence: Value,
}

impl LabelRow {
    fn predicted(self) -> (String, Option<String>, Predicted) {
        let evidence = evidence_refs(&self.evidence);
        (
            self.full_name,
            self.commit_sha,
            Predicted {
                kind: self.kind,
                language: self.language,
                sdk: self.sdk,
                transport: self.transport,
                credentials: self.credentials,
                auth_methods: self.auth_methods,
                credential_sources: self.credential_sources,
                env_vars: self.env_vars,
                evidence,
            },
        )
    }
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

/// The run's classified repositories with their labels, in repository-name
/// byte order (the order the sampler's seed refers to).
async fn classified(store: &Store, run: &Run) -> Result<Vec<LabelRow>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT rl.full_name, s.commit_sha, rl.kind, rl.language, rl.sdk, rl.transport,
                rl.credentials, rl.auth_methods, rl.credential_sources, rl.env_vars, rl.evidence
         FROM run_labels rl LEFT JOIN snapshots s ON s.id = rl.snapshot_id
         WHERE rl.run_id = $1 AND rl.kind IS NOT NULL
         ORDER BY rl.full_name COLLATE \"C\", rl.repository_id",
    )
    .bind(run.id)
    .fetch_all(store.pool())
    .await?)
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
    let rows = classified(store, run).await?;
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
    let mut slots: Vec<Option<LabelRow>> = rows.into_iter().map(Some).collect();
    let mut sheet = Vec::with_capacity(draws.len());
    for d in draws {
        let Some(row) = slots.get_mut(d.index).and_then(Option::take) else {
            continue;
        };
        let (repo, commit, predicted) = row.predicted();
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

fn write_sheet(
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
struct ReadRow {
    line: usize,
    run: String,
    repo: String,
    stratum: String,
    stratum_size: usize,
    human: Human,
}

fn malformed(path: &Path, line: usize, message: impl Into<String>) -> AuditError {
    AuditError::Malformed {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

fn read_jsonl(path: &Path, text: &str) -> Result<Vec<ReadRow>, AuditError> {
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

fn read_csv(path: &Path, text: &str) -> Result<Vec<ReadRow>, AuditError> {
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

/// A person's labels checked against the vocabulary of docs/labels.md.
#[derive(Debug, Clone, PartialEq)]
struct Truth {
    kind: Kind,
    language: Option<String>,
    sdk: Option<BTreeSet<String>>,
    transport: Option<BTreeSet<String>>,
    credentials: Credentials,
    auth_methods: BTreeSet<String>,
    credential_sources: BTreeSet<String>,
    env_vars: Option<BTreeSet<String>>,
}

fn checked<T: FromStr>(values: &[String]) -> Result<BTreeSet<String>, String>
where
    T::Err: std::fmt::Display,
{
    values
        .iter()
        .map(|v| v.parse::<T>().map(|_| v.clone()).map_err(|e| e.to_string()))
        .collect()
}

fn truth_of(h: &Human) -> Result<Option<Truth>, String> {
    let Some(kind) = &h.kind else {
        return Ok(None);
    };
    let kind: Kind = kind.parse().map_err(|e| format!("human.kind: {e}"))?;
    let sdk = h.sdk.as_deref().map(checked::<Sdk>).transpose()?;
    let transport = h
        .transport
        .as_deref()
        .map(checked::<Transport>)
        .transpose()?;
    let auth = h
        .auth_methods
        .as_deref()
        .map(checked::<AuthMethod>)
        .transpose()?;
    let sources = h
        .credential_sources
        .as_deref()
        .map(checked::<CredentialSource>)
        .transpose()?;
    let credentials = h
        .credentials
        .as_deref()
        .map(|c| {
            c.parse::<Credentials>()
                .map_err(|e| format!("human.credentials: {e}"))
        })
        .transpose()?;
    let env_vars = h.env_vars.as_ref().map(|v| v.iter().cloned().collect());
    if kind != Kind::Server {
        // docs/labels.md: a repository that is not a server is `none` with empty lists.
        let claims = credentials.is_some_and(|c| c != Credentials::None)
            || [&auth, &sources, &sdk, &transport]
                .iter()
                .any(|s| s.as_ref().is_some_and(|s| !s.is_empty()))
            || h.env_vars.as_ref().is_some_and(|v| !v.is_empty());
        if claims {
            return Err(format!(
                "human.kind is {kind} but the row gives server labels; a repository that is not a server \
                 has credentials none and empty lists (docs/labels.md)"
            ));
        }
        return Ok(Some(Truth {
            kind,
            language: h.language.clone(),
            sdk: Some(BTreeSet::new()),
            transport: Some(BTreeSet::new()),
            credentials: Credentials::None,
            auth_methods: BTreeSet::new(),
            credential_sources: BTreeSet::new(),
            env_vars: Some(BTreeSet::new()),
        }));
    }
    let need = |name: &str| {
        format!("human.kind is server but human.{name} is empty; fill it in (docs/labels.md) or clear human.kind to skip the row")
    };
    Ok(Some(Truth {
        kind,
        language: h.language.clone(),
        sdk,
        transport,
        credentials: credentials.ok_or_else(|| need("credentials"))?,
        auth_methods: auth.ok_or_else(|| need("auth_methods"))?,
        credential_sources: sources.ok_or_else(|| need("credential_sources"))?,
        env_vars,
    }))
}

fn outcome_of(
    kind: &str,
    credentials: &str,
    auth: &BTreeSet<String>,
    sources: &BTreeSet<String>,
) -> Outcome {
    let server = kind == "server";
    Outcome {
        server,
        requires_credentials: server && credentials == "required",
        static_key_or_pat: server && (auth.contains("api_key") || auth.contains("pat")),
        oauth: server && auth.contains("oauth"),
        reads_env: server && sources.contains("env"),
    }
}

/// Accuracy of one field, weighted to the population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldAccuracy {
    pub accuracy: f64,
    /// Labelled rows the field was scored on.
    pub rows: usize,
    /// Repositories those rows stand for (the sum of their weights).
    pub weight: f64,
}

/// Sensitivity and specificity of one headline figure among servers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureAccuracy {
    pub sensitivity: Option<f64>,
    pub specificity: Option<f64>,
    /// Rows that are servers by both the label and the prediction.
    pub rows: usize,
}

/// What `audit score` measured and stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditScore {
    pub run: String,
    pub sheet: String,
    pub sheet_sha256: String,
    pub rows_total: usize,
    pub rows_filled: usize,
    pub classifier_version: Option<String>,
    /// Per field: `kind` over every labelled row; the server fields over
    /// rows a person labelled a server.
    pub fields: BTreeMap<String, FieldAccuracy>,
    pub server_precision: Option<f64>,
    pub server_recall: Option<f64>,
    pub figures: BTreeMap<String, FigureAccuracy>,
    pub items: Vec<LabelledItem>,
}

#[derive(Default)]
struct Tally {
    right: f64,
    weight: f64,
    rows: usize,
}

impl Tally {
    fn add(&mut self, weight: f64, right: bool) {
        self.rows += 1;
        self.weight += weight;
        if right {
            self.right += weight;
        }
    }
}

fn set(v: &[String]) -> BTreeSet<String> {
    v.iter().cloned().collect()
}

/// Reads a filled sheet (`.csv` by its extension, otherwise JSON lines),
/// scores the labelled rows against the run's stored labels, and weights
/// each row by its stratum's size over the stratum's labelled rows.
pub async fn score(store: &Store, run: &Run, path: &Path) -> Result<AuditScore, AuditError> {
    let bytes = std::fs::read(path).map_err(|source| AuditError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let rows = if is_csv {
        read_csv(path, &text)?
    } else {
        read_jsonl(path, &text)?
    };
    if rows.is_empty() {
        return Err(AuditError::EmptySheet {
            path: path.to_path_buf(),
        });
    }
    let labels: HashMap<String, Predicted> = classified(store, run)
        .await?
        .into_iter()
        .map(|r| {
            let (repo, _, p) = r.predicted();
            (repo, p)
        })
        .collect();
    let mut labelled = Vec::new();
    let mut seen = BTreeSet::new();
    for r in &rows {
        if r.run != run.name {
            return Err(malformed(
                path,
                r.line,
                format!(
                    "this row was drawn from run {:?}; score the sheet with --run {}",
                    r.run, r.run
                ),
            ));
        }
        if !seen.insert(r.repo.clone()) {
            return Err(malformed(
                path,
                r.line,
                format!("{} appears twice; each repository is one row", r.repo),
            ));
        }
        let predicted = labels.get(&r.repo).ok_or_else(|| {
            malformed(
                path,
                r.line,
                format!(
                    "{} is not a classified repository of run {}; keep the rows `audit draw` wrote",
                    r.repo, run.name
                ),
            )
        })?;
        if r.stratum_size == 0 {
            return Err(malformed(
                path,
                r.line,
                "stratum_size is 0; keep it as `audit draw` wrote it",
            ));
        }
        if let Some(truth) = truth_of(&r.human).map_err(|m| malformed(path, r.line, m))? {
            labelled.push((r, predicted, truth));
        }
    }
    if labelled.is_empty() {
        return Err(AuditError::NothingFilled {
            path: path.to_path_buf(),
        });
    }
    // Each stratum's repositories are spread over its labelled rows.
    let mut filled: BTreeMap<&str, usize> = BTreeMap::new();
    for (r, _, _) in &labelled {
        *filled.entry(r.stratum.as_str()).or_default() += 1;
    }
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut items = Vec::with_capacity(labelled.len());
    for (r, p, t) in &labelled {
        let w = r.stratum_size as f64 / filled[r.stratum.as_str()] as f64;
        tallies
            .entry("kind")
            .or_default()
            .add(w, p.kind == t.kind.as_str());
        if t.kind == Kind::Server {
            let mut field = |name, right| tallies.entry(name).or_default().add(w, right);
            field("credentials", p.credentials == t.credentials.as_str());
            field("auth_methods", set(&p.auth_methods) == t.auth_methods);
            field(
                "credential_sources",
                set(&p.credential_sources) == t.credential_sources,
            );
            if let Some(l) = &t.language {
                field("language", p.language.eq_ignore_ascii_case(l));
            }
            if let Some(s) = &t.sdk {
                field("sdk", &set(&p.sdk) == s);
            }
            if let Some(s) = &t.transport {
                field("transport", &set(&p.transport) == s);
            }
            if let Some(s) = &t.env_vars {
                field("env_vars", &set(&p.env_vars) == s);
            }
        }
        items.push(LabelledItem {
            stratum: r.stratum.clone(),
            weight: w,
            truth: outcome_of(
                t.kind.as_str(),
                t.credentials.as_str(),
                &t.auth_methods,
                &t.credential_sources,
            ),
            predicted: outcome_of(
                &p.kind,
                &p.credentials,
                &set(&p.auth_methods),
                &set(&p.credential_sources),
            ),
        });
    }
    let fields = tallies
        .into_iter()
        .map(|(k, t)| {
            (
                k.to_string(),
                FieldAccuracy {
                    accuracy: if t.weight > 0.0 {
                        t.right / t.weight
                    } else {
                        0.0
                    },
                    rows: t.rows,
                    weight: t.weight,
                },
            )
        })
        .collect();
    let pr = server_precision_recall(&items);
    let both = items
        .iter()
        .filter(|i| i.truth.server && i.predicted.server)
        .count();
    let figures = Figure::ALL
        .iter()
        .map(|f| {
            let ss = sensitivity_specificity(&items, *f);
            (
                f.key().to_string(),
                FigureAccuracy {
                    sensitivity: ss.map(|s| s.0),
                    specificity: ss.map(|s| s.1),
                    rows: both,
                },
            )
        })
        .collect();
    Ok(AuditScore {
        run: run.name.clone(),
        sheet: path.display().to_string(),
        sheet_sha256: hex::encode(Sha256::digest(&bytes)),
        rows_total: rows.len(),
        rows_filled: labelled.len(),
        classifier_version: run.classifier_version.clone(),
        fields,
        server_precision: pr.map(|p| p.0),
        server_recall: pr.map(|p| p.1),
        figures,
        items,
    })
}

/// Stores a score as the run's newest audit.
pub async fn store_score(store: &Store, run: &Run, s: &AuditScore) -> Result<(), AuditError> {
    let accuracy = serde_json::json!({
        "fields": s.fields,
        "server_precision": s.server_precision,
        "server_recall": s.server_recall,
        "figures": s.figures,
    });
    sqlx::query(
        "INSERT INTO audit_scores (run_id, sheet_path, sheet_sha256, rows_total, rows_filled,
                                   classifier_version, accuracy, items)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(run.id)
    .bind(&s.sheet)
    .bind(&s.sheet_sha256)
    .bind(s.rows_total as i32)
    .bind(s.rows_filled as i32)
    .bind(&s.classifier_version)
    .bind(accuracy)
    .bind(serde_json::to_value(&s.items)?)
    .execute(store.pool())
    .await
    .map_err(StoreError::from)?;
    Ok(())
}

/// The run's newest stored audit score, if any.
pub async fn stored_score(store: &Store, run: &Run) -> Result<Option<AuditScore>, StoreError> {
    type Row = (String, String, i32, i32, Option<String>, Value, Value);
    let row: Option<Row> = sqlx::query_as(
        "SELECT sheet_path, sheet_sha256, rows_total, rows_filled, classifier_version, accuracy, items
         FROM audit_scores WHERE run_id = $1 ORDER BY scored_at DESC, id DESC LIMIT 1",
    )
    .bind(run.id)
    .fetch_optional(store.pool())
    .await?;
    let Some((sheet, sha, total, filled, version, accuracy, items)) = row else {
        return Ok(None);
    };
    let corrupt = |what: &str, e: serde_json::Error| {
        StoreError::Corrupt(format!("audit_scores.{what} of run {}: {e}", run.name))
    };
    let field = |k: &str| accuracy.get(k).cloned().unwrap_or(Value::Null);
    Ok(Some(AuditScore {
        run: run.name.clone(),
        sheet,
        sheet_sha256: sha,
        rows_total: total.max(0) as usize,
        rows_filled: filled.max(0) as usize,
        classifier_version: version,
        fields: serde_json::from_value(field("fields")).map_err(|e| corrupt("accuracy", e))?,
        server_precision: field("server_precision").as_f64(),
        server_recall: field("server_recall").as_f64(),
        figures: serde_json::from_value(field("figures")).map_err(|e| corrupt("accuracy", e))?,
        items: serde_json::from_value(items).map_err(|e| corrupt("items", e))?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn human(kind: &str, credentials: Option<&str>) -> Human {
        Human {
            kind: Some(kind.into()),
            credentials: credentials.map(String::from),
            auth_methods: Some(vec!["api_key".into()]),
            credential_sources: Some(vec!["env".into()]),
            ..Human::default()
        }
    }

    #[test]
    fn a_server_row_needs_its_headline_fields() {
        assert!(
            truth_of(&Human::default()).expect("ok").is_none(),
            "an empty row is skipped"
        );
        let t = truth_of(&human("server", Some("required")))
            .expect("valid")
            .expect("filled");
        assert_eq!(t.credentials, Credentials::Required);
        let e = truth_of(&human("server", None)).expect_err("credentials missing");
        assert!(e.contains("human.credentials"), "{e}");
        let e = truth_of(&human("server", Some("sometimes"))).expect_err("outside the vocabulary");
        assert!(e.contains("sometimes"), "{e}");
    }

    #[test]
    fn a_non_server_row_carries_no_server_labels() {
        let e = truth_of(&human("client", Some("required"))).expect_err("contradiction");
        assert!(e.contains("not a server"), "{e}");
        let ok = Human {
            kind: Some("list".into()),
            ..Human::default()
        };
        assert_eq!(
            truth_of(&ok).expect("valid").map(|t| t.kind),
            Some(Kind::List)
        );
    }

    #[test]
    fn csv_cells_become_lists_once_a_row_is_labelled() {
        let mut row = vec![String::new(); SHEET_COLUMNS.len()];
        let at = |c: &str| SHEET_COLUMNS.iter().position(|h| *h == c).expect("column");
        row[at("run")] = "r".into();
        row[at("repo")] = "a/b".into();
        row[at("stratum")] = "server/none".into();
        row[at("stratum_size")] = "5".into();
        row[at("human_kind")] = "server".into();
        row[at("human_credentials")] = "none".into();
        row[at("human_sdk")] = "ts-official; other".into();
        let mut unfilled = row.clone();
        unfilled[at("human_kind")] = String::new();
        unfilled[at("repo")] = "c/d".into();
        let text = csv::table(&SHEET_COLUMNS, [row, unfilled]);
        let rows = read_csv(Path::new("s.csv"), &text).expect("parses");
        assert_eq!(
            rows[0].human.sdk,
            Some(vec!["ts-official".into(), "other".into()])
        );
        assert_eq!(rows[0].human.auth_methods, Some(vec![]));
        assert_eq!(
            rows[1].human.auth_methods, None,
            "an unlabelled row stays unfilled"
        );
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn a_broken_jsonl_row_names_its_line() {
        let err = read_jsonl(Path::new("s.jsonl"), "\n{\"run\": 1}\n").expect_err("malformed");
        assert!(err.to_string().starts_with("s.jsonl:2:"), "{err}");
    }

    #[test]
    fn only_github_runs_link_to_github() {
        assert_eq!(
            repo_url("https://api.github.com", "a/b", Some("abc")),
            "https://github.com/a/b/tree/abc"
        );
        assert_eq!(
            repo_url("http://127.0.0.1:8088/", "a/b", None),
            "http://127.0.0.1:8088/repos/a/b"
        );
        assert!(!is_public_github("http://localhost:1/api.github.com"));
    }
}
