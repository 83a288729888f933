//! Where a report's accuracy comes from (an `eval --json` file, the run's
//! stored audit, or nowhere) and the headline figures corrected with it.
//! The statistics are in `correction`; this module only gathers inputs and
//! shapes the result for summary.json, the Markdown and the CSV.

use crate::audit::{stored_score, AuditScore, FieldAccuracy};
use crate::correction::{
    correct_server_count, correct_share, Corrected, Figure, LabelledItem, Outcome,
    BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED,
};
use crate::headline::{Headline, Share};
use crate::stats::Percent;
use mcp_survey_store::{Run, Store, StoreError};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which accuracy a report corrects with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AccuracyChoice {
    /// The run's newest stored audit score, if it has one.
    #[default]
    StoredAudit,
    /// An `eval --json` output on a labelled set.
    EvalFile(PathBuf),
}

#[derive(Debug, thiserror::Error)]
pub enum AccuracyError {
    #[error("cannot read the accuracy file {path}: {source}; pass the file `mcp-survey eval --json OUT` wrote")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not an `eval --json` output ({message}); write one with `mcp-survey eval --corpus DIR --labels FILE --json OUT`")]
    Shape { path: PathBuf, message: String },
}

/// Where the accuracy came from, as summary.json and the report name it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AccuracySource {
    /// `audit`, `eval` or `none`.
    pub kind: &'static str,
    /// One sentence for a reader.
    pub description: String,
    pub file: Option<String>,
    pub sha256: Option<String>,
    /// Labelled repositories behind the accuracy.
    pub labelled: usize,
}

/// The accuracy a report corrects with.
#[derive(Debug, Clone, Default)]
pub struct Accuracy {
    pub source: Option<AccuracySource>,
    pub items: Vec<LabelledItem>,
    /// Per-field accuracy (audits only; an eval file has its own).
    pub fields: BTreeMap<String, FieldAccuracy>,
}

impl Accuracy {
    pub fn from_audit(a: &AuditScore) -> Accuracy {
        Accuracy {
            source: Some(AccuracySource {
                kind: "audit",
                description: format!(
                    "the run's audit: {} of {} sampled repositories labelled by hand (sheet {}, sha256 {}), \
                     weighted to the run's repositories",
                    a.rows_filled,
                    a.rows_total,
                    a.sheet,
                    short(&a.sheet_sha256)
                ),
                file: Some(a.sheet.clone()),
                sha256: Some(a.sheet_sha256.clone()),
                labelled: a.rows_filled,
            }),
            items: a.items.clone(),
            fields: a.fields.clone(),
        }
    }

    /// The items of an `eval --json` output: every labelled repository,
    /// unweighted, one stratum.
    pub fn from_eval_file(path: &Path) -> Result<Accuracy, AccuracyError> {
        let bytes = std::fs::read(path).map_err(|source| AccuracyError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let shape = |message: String| AccuracyError::Shape {
            path: path.to_path_buf(),
            message,
        };
        let v: Value =
            serde_json::from_slice(&bytes).map_err(|e| shape(format!("not JSON: {e}")))?;
        let items = v.get("items").and_then(Value::as_array).ok_or_else(|| {
            shape("it has no `items` list; an older eval wrote it, so run eval again".to_string())
        })?;
        let mut out = Vec::with_capacity(items.len());
        for (i, it) in items.iter().enumerate() {
            let side = |k: &str| -> Result<Outcome, AccuracyError> {
                serde_json::from_value(it.get(k).cloned().unwrap_or(Value::Null))
                    .map_err(|e| shape(format!("items[{i}].{k}: {e}")))
            };
            out.push(LabelledItem {
                stratum: "eval".into(),
                weight: 1.0,
                truth: side("truth")?,
                predicted: side("predicted")?,
            });
        }
        use sha2::Digest;
        Ok(Accuracy {
            source: Some(AccuracySource {
                kind: "eval",
                description: format!(
                    "`eval --json` on a labelled set of {} repositories ({}); its repositories were not drawn \
                     from this run, so the correction assumes the classifier errs on them as it does here",
                    out.len(),
                    path.display()
                ),
                file: Some(path.display().to_string()),
                sha256: Some(hex::encode(sha2::Sha256::digest(&bytes))),
                labelled: out.len(),
            }),
            items: out,
            fields: BTreeMap::new(),
        })
    }

    /// The accuracy `choice` names: an eval file, or the run's stored audit
    /// (none when the run has no audit).
    pub async fn load(
        store: &Store,
        run: &Run,
        choice: &AccuracyChoice,
    ) -> Result<Accuracy, LoadError> {
        match choice {
            AccuracyChoice::EvalFile(path) => Ok(Accuracy::from_eval_file(path)?),
            AccuracyChoice::StoredAudit => Ok(match stored_score(store, run).await? {
                None => Accuracy::default(),
                Some(a) => {
                    let mut accuracy = Accuracy::from_audit(&a);
                    // Re-labelled since the audit: the scored predictions
                    // are no longer the ones this report counts.
                    if a.classifier_version != run.classifier_version {
                        if let Some(s) = accuracy.source.as_mut() {
                            s.description.push_str(&format!(
                                " (scored against classifier {}, but the run now reports classifier {}: \
                                 score the sheet again to measure the current one)",
                                a.classifier_version.as_deref().unwrap_or("unknown"),
                                run.classifier_version.as_deref().unwrap_or("unknown")
                            ));
                        }
                    }
                    accuracy
                }
            }),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Accuracy(#[from] AccuracyError),
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// One headline figure, raw and corrected, as summary.json carries it.
/// Shares are fractions in [0, 1]; the server count is a count.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FigureEstimate {
    pub figure: &'static str,
    /// The raw figure: a share of the predicted servers, or their count.
    pub raw: f64,
    /// The raw share's 95% Wilson interval (None for the count).
    pub raw_ci_low: Option<f64>,
    pub raw_ci_high: Option<f64>,
    /// Corrected for misclassification; None without accuracy data (or
    /// when the accuracy data cannot measure this figure, see `note`).
    pub corrected: Option<f64>,
    /// 95% interval of the corrected figure, the accuracy's own uncertainty
    /// included (bootstrap over the labelled items).
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    /// The raw figure's denominator: the run's predicted servers.
    pub n: i64,
    pub numerator: i64,
    /// (sensitivity, specificity) for a share, (precision, recall) for the
    /// count, as the labelled items measured them.
    pub accuracy: Option<(f64, f64)>,
    /// `audit`, `eval` or `none`.
    pub accuracy_source: &'static str,
    /// Why the figure was not corrected, when it was not.
    pub note: Option<String>,
}

/// Everything the report says about correction.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Correction {
    pub source: Option<AccuracySource>,
    pub fields: BTreeMap<String, FieldAccuracy>,
    pub bootstrap_replicates: usize,
    pub bootstrap_seed: u64,
    /// The server count first, then the four shares.
    pub figures: Vec<FigureEstimate>,
}

impl FigureEstimate {
    fn raw(
        figure: &'static str,
        raw: f64,
        raw_ci: Option<(f64, f64)>,
        numerator: i64,
        n: i64,
    ) -> Self {
        FigureEstimate {
            figure,
            raw,
            raw_ci_low: raw_ci.map(|c| c.0),
            raw_ci_high: raw_ci.map(|c| c.1),
            corrected: None,
            ci_low: None,
            ci_high: None,
            n,
            numerator,
            accuracy: None,
            accuracy_source: "none",
            note: None,
        }
    }

    fn corrected_by(mut self, c: Option<Corrected>, source: &'static str, why_not: &str) -> Self {
        self.accuracy_source = source;
        match c {
            Some(c) => {
                self.corrected = Some(c.estimate);
                self.ci_low = Some(c.ci_low);
                self.ci_high = Some(c.ci_high);
                self.accuracy = Some(c.accuracy);
            }
            None => self.note = Some(why_not.to_string()),
        }
        self
    }
}

impl Correction {
    /// The corrected cell of the figure `key` (see [`corrected_cell`]).
    pub(crate) fn cell(&self, key: &str) -> String {
        self.figures
            .iter()
            .find(|f| f.figure == key)
            .map(corrected_cell)
            .unwrap_or_default()
    }
}

/// Corrects the headline with `accuracy`; without accuracy data every
/// figure keeps its raw value and says so.
pub fn correct(h: &Headline, accuracy: &Accuracy) -> Correction {
    let items = &accuracy.items;
    let source = accuracy.source.as_ref().map_or("none", |s| s.kind);
    let none = "no accuracy data: give `report --accuracy FILE` (an `eval --json` output) or score an audit of this run (`mcp-survey audit`)";
    let have = !items.is_empty();
    let count_note = if have {
        "the labelled items hold no true or no predicted server, so precision and recall are unknown"
    } else {
        none
    };
    let mut figures =
        vec![
            FigureEstimate::raw("servers", h.servers as f64, None, h.servers, h.servers)
                .corrected_by(
                    have.then(|| {
                        correct_server_count(h.servers, items, BOOTSTRAP_REPLICATES, BOOTSTRAP_SEED)
                    })
                    .flatten(),
                    source,
                    count_note,
                ),
        ];
    let shares: [(Figure, &Share); 4] = [
        (Figure::RequiresCredentials, &h.required),
        (Figure::StaticKeyOrPat, &h.static_key_or_pat),
        (Figure::Oauth, &h.oauth),
        (Figure::ReadsEnv, &h.env),
    ];
    for (figure, share) in shares {
        let corrected = have
            .then(|| {
                correct_share(
                    share.numerator,
                    share.denominator,
                    items,
                    figure,
                    BOOTSTRAP_REPLICATES,
                    BOOTSTRAP_SEED,
                )
            })
            .flatten();
        let note = if have {
            "the labelled servers hold no true positive or no true negative of this figure, or the classifier \
             is no better than chance for it: sensitivity and specificity cannot be measured"
        } else {
            none
        };
        figures.push(
            FigureEstimate::raw(
                figure.key(),
                share.share,
                Some((share.ci95_low, share.ci95_high)),
                share.numerator,
                share.denominator,
            )
            .corrected_by(corrected, source, note),
        );
    }
    Correction {
        source: accuracy.source.clone(),
        fields: accuracy.fields.clone(),
        bootstrap_replicates: BOOTSTRAP_REPLICATES,
        bootstrap_seed: BOOTSTRAP_SEED,
        figures,
    }
}

/// `raw → corrected (95% CI lo–hi)` for stdout and Markdown, or why not.
fn corrected_cell(f: &crate::corrected::FigureEstimate) -> String {
    match (f.corrected, f.ci_low, f.ci_high) {
        (Some(c), Some(lo), Some(hi)) if f.figure == "servers" => {
            format!("{c:.0} (95% CI {lo:.0}–{hi:.0})")
        }
        (Some(c), Some(lo), Some(hi)) => format!(
            "{}% (95% CI {}%–{}%)",
            Percent::from_fraction(c),
            Percent::from_fraction(lo),
            Percent::from_fraction(hi)
        ),
        _ => "not corrected".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headline() -> Headline {
        Headline {
            servers: 1000,
            required: Share::new(520, 1000),
            static_key_or_pat: Share::new(400, 1000),
            oauth: Share::new(80, 1000),
            env: Share::new(700, 1000),
        }
    }

    #[test]
    fn without_accuracy_the_figures_stay_raw_and_say_why() {
        let c = correct(&headline(), &Accuracy::default());
        assert_eq!(c.figures.len(), 5);
        for f in &c.figures {
            assert_eq!(f.corrected, None);
            assert_eq!(f.accuracy_source, "none");
            assert!(f
                .note
                .as_deref()
                .is_some_and(|n| n.contains("no accuracy data")));
        }
        assert!((c.figures[1].raw - 0.52).abs() < 1e-12);
    }

    #[test]
    fn an_eval_file_without_items_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("eval.json");
        std::fs::write(&path, r#"{"repos": 3}"#).expect("write");
        let e = Accuracy::from_eval_file(&path).expect_err("no items");
        assert!(e.to_string().contains("run eval again"), "{e}");
        std::fs::write(
            &path,
            r#"{"items": [{"repo": "a/b", "truth": {"server": true, "requires_credentials": true,
                "static_key_or_pat": false, "oauth": false, "reads_env": true},
                "predicted": {"server": true, "requires_credentials": false,
                "static_key_or_pat": false, "oauth": false, "reads_env": true}}]}"#,
        )
        .expect("write");
        let a = Accuracy::from_eval_file(&path).expect("items");
        assert_eq!(a.items.len(), 1);
        assert_eq!(a.source.map(|s| s.kind), Some("eval"));
    }
}
