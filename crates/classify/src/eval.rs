//! Scores the classifier against a labelled corpus (JSON lines, `docs/labels.md`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mcp_survey_model::{set_to_strings, CredentialSource, Credentials, Kind, LabelledRepo, Labels};
use serde_json::{json, Value};

use crate::{classify, load_dir, LoadError};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error(
        "cannot read labels file {path}: {source}; pass an existing JSON-lines file with --labels"
    )]
    Labels {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}:{line}: not a labelled repository ({source}); every line must follow the format in docs/labels.md"
    )]
    Parse {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("corpus folder {0} does not exist; give the folder holding one checkout per labelled repository, named OWNER__NAME")]
    Corpus(PathBuf),
    #[error("labels file {0} holds no labelled repository; every line must be one JSON object in the format of docs/labels.md")]
    NoLabels(PathBuf),
    #[error("none of the {labels} repositories labelled in {labels_file} has a folder in {corpus} (looked for {example}, named OWNER__NAME); check --corpus and --labels belong together")]
    NothingMatched {
        labels: usize,
        labels_file: PathBuf,
        corpus: PathBuf,
        example: PathBuf,
    },
    #[error(transparent)]
    Load(#[from] LoadError),
}

/// Precision/recall counts for one label value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    fn add(&mut self, o: &Counts) {
        self.tp += o.tp;
        self.fp += o.fp;
        self.fn_ += o.fn_;
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        // Nothing to find and nothing claimed: perfect, not undefined.
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn round(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[derive(Debug, Clone, Default)]
pub struct SetScore {
    pub per_label: BTreeMap<String, Counts>,
}

impl SetScore {
    fn record(&mut self, truth: &BTreeSet<String>, pred: &BTreeSet<String>) {
        for v in truth.union(pred) {
            let c = self.per_label.entry(v.clone()).or_default();
            match (truth.contains(v), pred.contains(v)) {
                (true, true) => c.tp += 1,
                (false, true) => c.fp += 1,
                (true, false) => c.fn_ += 1,
                _ => {}
            }
        }
    }
    fn micro(&self) -> Counts {
        let mut t = Counts::default();
        for c in self.per_label.values() {
            t.add(c);
        }
        t
    }
    fn to_json(&self, with_labels: bool) -> Value {
        let mut v = json!({ "micro_f1": round(self.micro().f1()) });
        if with_labels {
            let per: serde_json::Map<String, Value> = self
                .per_label
                .iter()
                .map(|(k, c)| {
                    (
                        k.clone(),
                        json!({
                            "precision": round(c.precision()),
                            "recall": round(c.recall()),
                            "f1": round(c.f1()),
                            "support": c.tp + c.fn_,
                        }),
                    )
                })
                .collect();
            v["per_label"] = Value::Object(per);
        }
        v
    }
}

#[derive(Debug, Clone)]
pub struct Mismatch {
    pub repo: String,
    pub field: String,
    pub label: Value,
    pub predicted: Value,
}

#[derive(Debug, Clone, Default)]
pub struct EvalReport {
    pub repos: usize,
    pub missing: Vec<String>,
    pub kind_correct: usize,
    pub is_server: Counts,
    pub servers: usize,
    pub credentials_correct: usize,
    pub auth_methods: SetScore,
    pub credential_sources: SetScore,
    pub sdk: SetScore,
    pub transport: SetScore,
    pub env_vars: SetScore,
    /// (labels, predicted) counts among labelled servers.
    pub required: (usize, usize),
    pub static_key_or_pat: (usize, usize),
    pub oauth: (usize, usize),
    pub env: (usize, usize),
    pub mismatches: Vec<Mismatch>,
    /// Every scored repository reduced to the headline figures, label and
    /// prediction side by side: what `report --accuracy` corrects with (it
    /// resamples these items to know how sure the accuracy is).
    pub items: Vec<Value>,
    /// Time spent loading and classifying (not part of the JSON shape).
    pub load_time: Duration,
    pub classify_time: Duration,
    pub bytes: u64,
}

fn strings<T: std::fmt::Display>(s: &BTreeSet<T>) -> BTreeSet<String> {
    s.iter().map(|v| v.to_string()).collect()
}

/// Classifies every repository of `labels_file` found under `corpus_dir`
/// (one `OWNER__NAME` folder each) and scores it.
pub fn evaluate(corpus_dir: &Path, labels_file: &Path) -> Result<EvalReport, EvalError> {
    if !corpus_dir.is_dir() {
        return Err(EvalError::Corpus(corpus_dir.to_path_buf()));
    }
    let text = std::fs::read_to_string(labels_file).map_err(|source| EvalError::Labels {
        path: labels_file.to_path_buf(),
        source,
    })?;
    let mut report = EvalReport::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let labelled: LabelledRepo =
            serde_json::from_str(line).map_err(|source| EvalError::Parse {
                path: labels_file.to_path_buf(),
                line: i + 1,
                source,
            })?;
        let dir = corpus_dir.join(labelled.repo.replace('/', "__"));
        if !dir.is_dir() {
            report.missing.push(labelled.repo.clone());
            continue;
        }
        let t0 = Instant::now();
        let mut files = load_dir(&dir)?;
        files.full_name = Some(labelled.repo.clone());
        report.bytes += files.files.iter().map(|f| f.text.len() as u64).sum::<u64>();
        let t1 = Instant::now();
        let verdict = classify(&files);
        report.classify_time += t1.elapsed();
        report.load_time += t1 - t0;
        report.record(&labelled.repo, &labelled.labels, &verdict.labels);
    }
    // Scores over nothing would read as perfect (every ratio of 0 over 0 is
    // 1): refuse instead.
    if report.repos == 0 {
        return Err(match report.missing.first() {
            None => EvalError::NoLabels(labels_file.to_path_buf()),
            Some(first) => EvalError::NothingMatched {
                labels: report.missing.len(),
                labels_file: labels_file.to_path_buf(),
                corpus: corpus_dir.to_path_buf(),
                example: corpus_dir.join(first.replace('/', "__")),
            },
        });
    }
    Ok(report)
}

impl EvalReport {
    fn record(&mut self, repo: &str, truth: &Labels, pred: &Labels) {
        self.repos += 1;
        self.items.push(json!({
            "repo": repo,
            "truth": headline_outcome(truth),
            "predicted": headline_outcome(pred),
        }));
        let mut mismatch = |field: &str, label: Value, predicted: Value| {
            self.mismatches.push(Mismatch {
                repo: repo.to_string(),
                field: field.to_string(),
                label,
                predicted,
            });
        };
        if truth.kind == pred.kind {
            self.kind_correct += 1;
        } else {
            mismatch(
                "kind",
                json!(truth.kind.as_str()),
                json!(pred.kind.as_str()),
            );
        }
        match (truth.is_server(), pred.is_server()) {
            (true, true) => self.is_server.tp += 1,
            (false, true) => self.is_server.fp += 1,
            (true, false) => self.is_server.fn_ += 1,
            _ => {}
        }
        if truth.kind != Kind::Server {
            return;
        }
        self.servers += 1;
        if truth.credentials == pred.credentials {
            self.credentials_correct += 1;
        } else {
            mismatch(
                "credentials",
                json!(truth.credentials.as_str()),
                json!(pred.credentials.as_str()),
            );
        }
        let fields: [(&str, BTreeSet<String>, BTreeSet<String>); 5] = [
            (
                "auth_methods",
                strings(&truth.auth_methods),
                strings(&pred.auth_methods),
            ),
            (
                "credential_sources",
                strings(&truth.credential_sources),
                strings(&pred.credential_sources),
            ),
            ("sdk", strings(&truth.sdk), strings(&pred.sdk)),
            (
                "transport",
                strings(&truth.transport),
                strings(&pred.transport),
            ),
            ("env_vars", truth.env_vars.clone(), pred.env_vars.clone()),
        ];
        for (field, t, p) in &fields {
            if t != p {
                mismatch(field, json!(t), json!(p));
            }
        }
        let [am, cs, sdk, tr, envs] = fields;
        self.auth_methods.record(&am.1, &am.2);
        self.credential_sources.record(&cs.1, &cs.2);
        self.sdk.record(&sdk.1, &sdk.2);
        self.transport.record(&tr.1, &tr.2);
        self.env_vars.record(&envs.1, &envs.2);
        let b = |x: bool| x as usize;
        self.required.0 += b(truth.credentials == Credentials::Required);
        self.required.1 += b(pred.credentials == Credentials::Required);
        self.static_key_or_pat.0 += b(truth.has_static_key_or_pat());
        self.static_key_or_pat.1 += b(pred.has_static_key_or_pat());
        self.oauth.0 += b(truth
            .auth_methods
            .contains(&mcp_survey_model::AuthMethod::Oauth));
        self.oauth.1 += b(pred
            .auth_methods
            .contains(&mcp_survey_model::AuthMethod::Oauth));
        self.env.0 += b(truth.credential_sources.contains(&CredentialSource::Env));
        self.env.1 += b(pred.credential_sources.contains(&CredentialSource::Env));
    }

    fn share(&self, c: (usize, usize)) -> Value {
        json!({
            "labels": round(ratio(c.0, self.servers)),
            "predicted": round(ratio(c.1, self.servers)),
        })
    }

    /// The scores as JSON: per field, the headline shares, the mismatches
    /// and the labelled repositories missing from the corpus folder.
    pub fn to_json(&self) -> Value {
        json!({
            "repos": self.repos,
            "missing": self.missing,
            "kind": { "accuracy": round(ratio(self.kind_correct, self.repos)) },
            "is_server": {
                "precision": round(self.is_server.precision()),
                "recall": round(self.is_server.recall()),
                "f1": round(self.is_server.f1()),
            },
            "credentials": { "accuracy": round(ratio(self.credentials_correct, self.servers)) },
            "auth_methods": self.auth_methods.to_json(true),
            "credential_sources": self.credential_sources.to_json(true),
            "sdk": self.sdk.to_json(true),
            "transport": self.transport.to_json(true),
            "env_vars": self.env_vars.to_json(false),
            "headline": {
                "required": self.share(self.required),
                "static_key_or_pat": self.share(self.static_key_or_pat),
                "oauth": self.share(self.oauth),
                "env": self.share(self.env),
            },
            "items": self.items,
            "mismatches": self.mismatches.iter().map(|m| json!({
                "repo": m.repo,
                "field": m.field,
                "label": m.label,
                "predicted": m.predicted,
            })).collect::<Vec<_>>(),
        })
    }

    /// A plain-text table per field, the headline shares and the mismatches.
    pub fn render_table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "repositories scored: {} ({} labelled servers)",
            self.repos, self.servers
        );
        if !self.missing.is_empty() {
            let _ = writeln!(
                s,
                "missing from the corpus folder (skipped, not scored): {}",
                self.missing.len()
            );
            for m in &self.missing {
                let _ = writeln!(s, "  missing: {m}");
            }
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<22} {:>9} {:>9} {:>9}",
            "field", "precision", "recall", "f1/acc"
        );
        let _ = writeln!(
            s,
            "{:<22} {:>9} {:>9} {:>9.3}",
            "kind (accuracy)",
            "",
            "",
            ratio(self.kind_correct, self.repos)
        );
        let _ = writeln!(
            s,
            "{:<22} {:>9.3} {:>9.3} {:>9.3}",
            "is_server",
            self.is_server.precision(),
            self.is_server.recall(),
            self.is_server.f1()
        );
        let _ = writeln!(
            s,
            "{:<22} {:>9} {:>9} {:>9.3}",
            "credentials (accuracy)",
            "",
            "",
            ratio(self.credentials_correct, self.servers)
        );
        for (name, score) in [
            ("auth_methods", &self.auth_methods),
            ("credential_sources", &self.credential_sources),
            ("sdk", &self.sdk),
            ("transport", &self.transport),
            ("env_vars", &self.env_vars),
        ] {
            let m = score.micro();
            let _ = writeln!(
                s,
                "{:<22} {:>9.3} {:>9.3} {:>9.3}",
                format!("{name} (micro)"),
                m.precision(),
                m.recall(),
                m.f1()
            );
            if name != "env_vars" {
                for (label, c) in &score.per_label {
                    let _ = writeln!(
                        s,
                        "  {:<20} {:>9.3} {:>9.3} {:>9.3}  support {}",
                        label,
                        c.precision(),
                        c.recall(),
                        c.f1(),
                        c.tp + c.fn_
                    );
                }
            }
        }
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "headline shares among labelled servers   labels  predicted"
        );
        for (name, c) in [
            ("required", self.required),
            ("static_key_or_pat", self.static_key_or_pat),
            ("oauth", self.oauth),
            ("env", self.env),
        ] {
            let _ = writeln!(
                s,
                "  {:<38} {:>6.3} {:>10.3}",
                name,
                ratio(c.0, self.servers),
                ratio(c.1, self.servers)
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "mismatches: {}", self.mismatches.len());
        for m in &self.mismatches {
            let _ = writeln!(
                s,
                "  {:<45} {:<18} label {}  predicted {}",
                m.repo, m.field, m.label, m.predicted
            );
        }
        s
    }
}

/// A repository's labels as the four headline figures and whether it is a
/// server (field names as the report's `correction::Outcome`).
fn headline_outcome(l: &Labels) -> Value {
    let server = l.is_server();
    json!({
        "server": server,
        "requires_credentials": server && l.credentials == Credentials::Required,
        "static_key_or_pat": server && l.has_static_key_or_pat(),
        "oauth": server && l.auth_methods.contains(&mcp_survey_model::AuthMethod::Oauth),
        "reads_env": server && l.credential_sources.contains(&CredentialSource::Env),
    })
}

/// Kept for callers that want the label strings of a set field.
pub fn label_strings<T: std::fmt::Display>(set: &BTreeSet<T>) -> Vec<String> {
    set_to_strings(set)
}
