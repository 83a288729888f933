//! The difference between two runs (snapshots): repositories and servers new
//! and gone, servers whose auth methods or credential need changed, and the
//! headline shares then and now. queries/snapshot_diff.sql and
//! queries/snapshot_shares.sql compute the same rows.

use crate::csv;
use crate::headline::{headline, Headline, Share};
use crate::stats::Percent;
use crate::write::{create_dir, sanitize, write_file, ReportError};
use mcp_survey_store::{Run, RunStatus, Store};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What happened to one repository between the two runs. A repository can
/// have two changes (a new repository that is a server is `RepositoryNew`
/// and `ServerNew`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// In the later run only.
    RepositoryNew,
    /// In the earlier run only (deleted, made private, or no longer matched).
    RepositoryGone,
    /// A server in the later run and not in the earlier one (new, or
    /// re-classified as a server after its files changed).
    ServerNew,
    /// A server in the earlier run and not in the later one.
    ServerGone,
    /// A server in both whose auth methods or `credentials` changed.
    AuthChanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::RepositoryNew => "repository_new",
            ChangeKind::RepositoryGone => "repository_gone",
            ChangeKind::ServerNew => "server_new",
            ChangeKind::ServerGone => "server_gone",
            ChangeKind::AuthChanged => "auth_changed",
        }
    }
}

/// One (repository, change) row; the `_a` fields are the earlier run's
/// labels, `_b` the later one's (None when absent or not classified).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Change {
    pub repo: String,
    pub change: ChangeKind,
    pub kind_a: Option<String>,
    pub kind_b: Option<String>,
    pub credentials_a: Option<String>,
    pub credentials_b: Option<String>,
    pub auth_methods_a: Vec<String>,
    pub auth_methods_b: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ShareChange {
    pub figure: &'static str,
    pub a: Share,
    pub b: Share,
    pub share_pct_a: Percent,
    pub share_pct_b: Percent,
    pub change_pct_points: Percent,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunRef {
    pub name: String,
    pub status: String,
    pub partial: bool,
    pub classifier_version: Option<String>,
    pub repositories: i64,
    pub servers: i64,
    /// The API the run talked to: only a run of public GitHub links its
    /// repositories to github.com.
    pub github_url: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub a: RunRef,
    pub b: RunRef,
    /// Sorted by change, then repository (byte order).
    pub changes: Vec<Change>,
    pub shares: Vec<ShareChange>,
}

impl Comparison {
    pub fn repos(&self, kind: ChangeKind) -> Vec<&str> {
        self.changes
            .iter()
            .filter(|c| c.change == kind)
            .map(|c| c.repo.as_str())
            .collect()
    }

    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.change == kind).count()
    }
}

fn sorted(v: Option<Vec<String>>) -> Vec<String> {
    let mut v = v.unwrap_or_default();
    v.sort();
    v
}

/// Compares run `a` (earlier) with run `b` (later).
pub async fn compare(store: &Store, a: &Run, b: &Run) -> Result<Comparison, ReportError> {
    let rows = store.label_pairs(a.id, b.id).await?;
    let mut changes = Vec::new();
    for row in rows {
        let (repo, in_a, in_b) = (row.repo, row.in_a, row.in_b);
        let (kind_a, kind_b) = (row.kind_a, row.kind_b);
        let (cred_a, cred_b) = (row.credentials_a, row.credentials_b);
        let (auth_a, auth_b) = (row.auth_methods_a, row.auth_methods_b);
        let auth_a = sorted(auth_a);
        let auth_b = sorted(auth_b);
        let server_a = kind_a.as_deref() == Some("server");
        let server_b = kind_b.as_deref() == Some("server");
        let mut kinds = Vec::new();
        if !in_a {
            kinds.push(ChangeKind::RepositoryNew);
        }
        if !in_b {
            kinds.push(ChangeKind::RepositoryGone);
        }
        if server_b && !server_a {
            kinds.push(ChangeKind::ServerNew);
        }
        if server_a && !server_b {
            kinds.push(ChangeKind::ServerGone);
        }
        if server_a && server_b && (cred_a != cred_b || auth_a != auth_b) {
            kinds.push(ChangeKind::AuthChanged);
        }
        for change in kinds {
            changes.push(Change {
                repo: repo.clone(),
                change,
                kind_a: kind_a.clone(),
                kind_b: kind_b.clone(),
                credentials_a: cred_a.clone(),
                credentials_b: cred_b.clone(),
                auth_methods_a: auth_a.clone(),
                auth_methods_b: auth_b.clone(),
            });
        }
    }
    changes.sort_by(|x, y| (x.change, &x.repo).cmp(&(y.change, &y.repo)));
    let ha = headline(store, a.id).await?;
    let hb = headline(store, b.id).await?;
    Ok(Comparison {
        a: run_ref(store, a, &ha).await?,
        b: run_ref(store, b, &hb).await?,
        changes,
        shares: share_changes(&ha, &hb),
    })
}

async fn run_ref(store: &Store, run: &Run, h: &Headline) -> Result<RunRef, ReportError> {
    Ok(RunRef {
        name: run.name.clone(),
        status: format!("{:?}", run.status).to_lowercase(),
        partial: run.status != RunStatus::Finished,
        classifier_version: run.classifier_version.clone(),
        repositories: store.run_repository_count(run.id).await?,
        servers: h.servers,
        github_url: run.github_url.clone(),
    })
}

fn share_changes(a: &Headline, b: &Headline) -> Vec<ShareChange> {
    [
        ("requires_credentials", &a.required, &b.required),
        (
            "static_key_or_pat",
            &a.static_key_or_pat,
            &b.static_key_or_pat,
        ),
        ("oauth", &a.oauth, &b.oauth),
        ("reads_env", &a.env, &b.env),
    ]
    .into_iter()
    .map(|(figure, sa, sb)| {
        let pa = Percent::of(sa.numerator, sa.denominator);
        let pb = Percent::of(sb.numerator, sb.denominator);
        ShareChange {
            figure,
            a: sa.clone(),
            b: sb.clone(),
            share_pct_a: pa,
            share_pct_b: pb,
            change_pct_points: pb.minus(pa),
        }
    })
    .collect()
}

#[derive(Debug, Clone)]
pub struct ComparisonFiles {
    pub dir: PathBuf,
    pub markdown: PathBuf,
    pub changes_csv: PathBuf,
    pub shares_csv: PathBuf,
    pub json: PathBuf,
}

pub fn changes_csv(c: &Comparison) -> String {
    let opt = |s: &Option<String>| s.clone().unwrap_or_default();
    csv::table(
        &[
            "repo",
            "change",
            "kind_a",
            "kind_b",
            "credentials_a",
            "credentials_b",
            "auth_methods_a",
            "auth_methods_b",
        ],
        c.changes.iter().map(|x| {
            vec![
                x.repo.clone(),
                x.change.as_str().to_string(),
                opt(&x.kind_a),
                opt(&x.kind_b),
                opt(&x.credentials_a),
                opt(&x.credentials_b),
                x.auth_methods_a.join(";"),
                x.auth_methods_b.join(";"),
            ]
        }),
    )
}

pub fn shares_csv(c: &Comparison) -> String {
    csv::table(
        &[
            "figure",
            "numerator_a",
            "denominator_a",
            "share_pct_a",
            "numerator_b",
            "denominator_b",
            "share_pct_b",
            "change_pct_points",
        ],
        c.shares.iter().map(|s| {
            vec![
                s.figure.to_string(),
                s.a.numerator.to_string(),
                s.a.denominator.to_string(),
                s.share_pct_a.to_string(),
                s.b.numerator.to_string(),
                s.b.denominator.to_string(),
                s.share_pct_b.to_string(),
                s.change_pct_points.to_string(),
            ]
        }),
    )
}

pub fn render_comparison(c: &Comparison) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# What changed from `{}` to `{}`\n", c.a.name, c.b.name);
    let github = [&c.a, &c.b]
        .iter()
        .all(|r| crate::audit::is_public_github(&r.github_url));
    if !github {
        let _ = writeln!(md, "{}", crate::cells::not_github_banner(&c.b.github_url));
    }
    for r in [&c.a, &c.b] {
        if r.partial {
            let _ = writeln!(
                md,
                "> **Partial.** Run `{}` is `{}`: its side covers only what was classified so far.\n",
                r.name, r.status
            );
        }
    }
    if c.a.classifier_version != c.b.classifier_version {
        let _ = writeln!(
            md,
            "> The runs were labelled by different classifier versions (`{}` and `{}`): some label changes come from the classifier, not the repositories. Re-label with `mcp-survey classify --run NAME --reclassify` to compare like with like.\n",
            c.a.classifier_version.as_deref().unwrap_or("unknown"),
            c.b.classifier_version.as_deref().unwrap_or("unknown")
        );
    }
    let _ = writeln!(md, "| | `{}` | `{}` |", c.a.name, c.b.name);
    let _ = writeln!(md, "| --- | ---: | ---: |");
    let _ = writeln!(
        md,
        "| repositories found | {} | {} |",
        c.a.repositories, c.b.repositories
    );
    let _ = writeln!(md, "| MCP servers | {} | {} |\n", c.a.servers, c.b.servers);
    let _ = writeln!(md, "## Shares then and now\n");
    let _ = writeln!(
        md,
        "| figure | `{}` | `{}` | change (points) |",
        c.a.name, c.b.name
    );
    let _ = writeln!(md, "| --- | ---: | ---: | ---: |");
    for s in &c.shares {
        let _ = writeln!(
            md,
            "| {} | {}% ({} / {}) | {}% ({} / {}) | {} |",
            s.figure,
            s.share_pct_a,
            s.a.numerator,
            s.a.denominator,
            s.share_pct_b,
            s.b.numerator,
            s.b.denominator,
            s.change_pct_points
        );
    }
    let _ = writeln!(md, "\n## Changes\n");
    let _ = writeln!(md, "| change | repositories |");
    let _ = writeln!(md, "| --- | ---: |");
    for kind in [
        ChangeKind::RepositoryNew,
        ChangeKind::RepositoryGone,
        ChangeKind::ServerNew,
        ChangeKind::ServerGone,
        ChangeKind::AuthChanged,
    ] {
        let _ = writeln!(md, "| {} | {} |", kind.as_str(), c.count(kind));
    }
    let show = |v: &[String]| {
        if v.is_empty() {
            "–".to_string()
        } else {
            v.join(", ")
        }
    };
    for (kind, title) in [
        (ChangeKind::ServerNew, "New servers"),
        (ChangeKind::ServerGone, "Servers gone"),
        (
            ChangeKind::AuthChanged,
            "Servers whose auth methods or credential need changed",
        ),
    ] {
        let rows: Vec<&Change> = c.changes.iter().filter(|x| x.change == kind).collect();
        let _ = writeln!(md, "\n### {title} ({})\n", rows.len());
        if rows.is_empty() {
            let _ = writeln!(md, "None.");
            continue;
        }
        let _ = writeln!(
            md,
            "| repository | kind then → now | credentials then → now | auth methods then → now |"
        );
        let _ = writeln!(md, "| --- | --- | --- | --- |");
        for x in rows {
            let _ = writeln!(
                md,
                "| {} | {} → {} | {} → {} | {} → {} |",
                if github {
                    format!("[{r}](https://github.com/{r})", r = x.repo)
                } else {
                    format!("`{}`", x.repo)
                },
                x.kind_a.as_deref().unwrap_or("–"),
                x.kind_b.as_deref().unwrap_or("–"),
                x.credentials_a.as_deref().unwrap_or("–"),
                x.credentials_b.as_deref().unwrap_or("–"),
                show(&x.auth_methods_a),
                show(&x.auth_methods_b),
            );
        }
    }
    let _ = writeln!(
        md,
        "\nEvery change, repositories included, is in `changes.csv`; the shares in `shares.csv`; both in `comparison.json`."
    );
    md
}

/// Writes comparison.md, changes.csv, shares.csv and comparison.json under
/// `out/<A>..<B>/`.
pub fn write_comparison(c: &Comparison, out: &Path) -> Result<ComparisonFiles, ReportError> {
    let dir = out.join(format!("{}..{}", sanitize(&c.a.name), sanitize(&c.b.name)));
    create_dir(&dir)?;
    let files = ComparisonFiles {
        markdown: dir.join("comparison.md"),
        changes_csv: dir.join("changes.csv"),
        shares_csv: dir.join("shares.csv"),
        json: dir.join("comparison.json"),
        dir,
    };
    write_file(&files.changes_csv, changes_csv(c))?;
    write_file(&files.shares_csv, shares_csv(c))?;
    write_file(&files.json, &serde_json::to_string_pretty(c)?)?;
    write_file(&files.markdown, render_comparison(c))?;
    Ok(files)
}
