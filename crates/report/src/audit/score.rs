//! Scoring a filled sheet against the run's stored labels, weighted back
//! to the run's repositories, and storing the score.

use super::sheet::{malformed, read_csv, read_jsonl, ReadRow};
use super::{into_predicted, AuditError, Human, Predicted};
use crate::correction::{
    sensitivity_specificity, server_precision_recall, Figure, LabelledItem, Outcome,
};
use mcp_survey_model::{AuthMethod, CredentialSource, Credentials, Kind, Sdk, Transport};
use mcp_survey_store::{AuditScoreRecord, Run, Store, StoreError};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::str::FromStr;

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
    let (bytes, rows) = read_sheet(path)?;
    let labels: HashMap<String, Predicted> = store
        .classified_labels(run.id)
        .await?
        .into_iter()
        .map(|r| {
            let (repo, _, p) = into_predicted(r);
            (repo, p)
        })
        .collect();
    let labelled = labelled_rows(path, run, &rows, &labels)?;
    let (tallies, items) = weigh(&labelled);
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
        figures: figure_accuracies(&items),
        items,
    })
}

/// The sheet's bytes (for its hash) and rows; an empty sheet is an error.
fn read_sheet(path: &Path) -> Result<(Vec<u8>, Vec<ReadRow>), AuditError> {
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
    Ok((bytes, rows))
}

/// The rows a person labelled, each with the run's prediction and the
/// checked labels; a row that does not belong to the run's sheet is an
/// error that names its line.
fn labelled_rows<'a>(
    path: &Path,
    run: &Run,
    rows: &'a [ReadRow],
    labels: &'a HashMap<String, Predicted>,
) -> Result<Vec<(&'a ReadRow, &'a Predicted, Truth)>, AuditError> {
    let mut labelled = Vec::new();
    let mut seen = BTreeSet::new();
    for r in rows {
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
    Ok(labelled)
}

/// Per field, the weighted tally of right predictions; per row, the
/// headline outcomes of truth and prediction. Each stratum's repositories
/// are spread over its labelled rows.
fn weigh(
    labelled: &[(&ReadRow, &Predicted, Truth)],
) -> (BTreeMap<&'static str, Tally>, Vec<LabelledItem>) {
    let mut filled: BTreeMap<&str, usize> = BTreeMap::new();
    for (r, _, _) in labelled {
        *filled.entry(r.stratum.as_str()).or_default() += 1;
    }
    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    let mut items = Vec::with_capacity(labelled.len());
    for (r, p, t) in labelled {
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
    (tallies, items)
}

/// Sensitivity and specificity of each headline figure among the rows
/// that are servers by both the label and the prediction.
fn figure_accuracies(items: &[LabelledItem]) -> BTreeMap<String, FigureAccuracy> {
    let both = items
        .iter()
        .filter(|i| i.truth.server && i.predicted.server)
        .count();
    Figure::ALL
        .iter()
        .map(|f| {
            let ss = sensitivity_specificity(items, *f);
            (
                f.key().to_string(),
                FigureAccuracy {
                    sensitivity: ss.map(|s| s.0),
                    specificity: ss.map(|s| s.1),
                    rows: both,
                },
            )
        })
        .collect()
}

/// Stores a score as the run's newest audit.
pub async fn store_score(store: &Store, run: &Run, s: &AuditScore) -> Result<(), AuditError> {
    let accuracy = serde_json::json!({
        "fields": s.fields,
        "server_precision": s.server_precision,
        "server_recall": s.server_recall,
        "figures": s.figures,
    });
    let record = AuditScoreRecord {
        sheet_path: s.sheet.clone(),
        sheet_sha256: s.sheet_sha256.clone(),
        rows_total: s.rows_total as i32,
        rows_filled: s.rows_filled as i32,
        classifier_version: s.classifier_version.clone(),
        accuracy,
        items: serde_json::to_value(&s.items)?,
    };
    store.insert_audit_score(run.id, &record).await?;
    Ok(())
}

/// The run's newest stored audit score, if any.
pub async fn stored_score(store: &Store, run: &Run) -> Result<Option<AuditScore>, StoreError> {
    let Some(AuditScoreRecord {
        sheet_path: sheet,
        sheet_sha256: sha,
        rows_total: total,
        rows_filled: filled,
        classifier_version: version,
        accuracy,
        items,
    }) = store.latest_audit_score(run.id).await?
    else {
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
    use crate::audit::{is_public_github, repo_url, SHEET_COLUMNS};
    use crate::csv;

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
