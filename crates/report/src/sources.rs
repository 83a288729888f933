//! What each discovery source found: GitHub search and the MCP registries.
//! The overlap of the two for servers, why search missed what a registry
//! lists, the headline counts per source and for their union, and how the
//! secrets registry entries declare agree with the classifier's. Every
//! table here is a CSV file and a file in `queries/` of the same name.

use std::fmt::Write as _;

use mcp_survey_store::{
    MissedByReason, SecretAgreement, SourceHeadline, SourceOverlap, Store, StoreError,
};
use serde::Serialize;

use crate::stats::Percent;

#[derive(Debug, Clone, Default, Serialize)]
pub struct Sources {
    /// Registries the run listed (none: the section says search alone ran).
    pub registries: Vec<String>,
    pub overlap: SourceOverlap,
    pub missed_by_search: Vec<MissedByReason>,
    pub headline_by_source: Vec<SourceHeadline>,
    pub secret_agreement: Vec<SecretAgreement>,
}

pub async fn load(store: &Store, run_id: i64) -> Result<Sources, StoreError> {
    let registries = store
        .registry_listings(run_id)
        .await?
        .into_iter()
        .map(|l| l.registry)
        .collect();
    Ok(Sources {
        registries,
        overlap: store.server_source_overlap(run_id).await?,
        missed_by_search: store.registry_missed_by_search(run_id).await?,
        headline_by_source: store.headline_by_source(run_id).await?,
        secret_agreement: store.secret_agreement(run_id).await?,
    })
}

/// The CSV files of this section, named as their queries/ files.
pub fn csv_files(s: &Sources) -> Vec<(String, String)> {
    let o = &s.overlap;
    vec![
        (
            "source_overlap.csv".into(),
            crate::csv::table(
                &["search_only", "registry_only", "both"],
                [vec![
                    o.search_only.to_string(),
                    o.registry_only.to_string(),
                    o.both.to_string(),
                ]],
            ),
        ),
        (
            "registry_missed_by_search.csv".into(),
            crate::csv::table(
                &["reason", "repositories"],
                s.missed_by_search
                    .iter()
                    .map(|r| vec![r.reason.clone(), r.repositories.to_string()]),
            ),
        ),
        (
            "headline_by_source.csv".into(),
            crate::csv::table(
                &[
                    "source",
                    "servers",
                    "requires_credentials",
                    "static_key_or_pat",
                    "oauth",
                    "reads_env",
                ],
                s.headline_by_source.iter().map(|r| {
                    vec![
                        r.source.clone(),
                        r.servers.to_string(),
                        r.requires_credentials.to_string(),
                        r.static_key_or_pat.to_string(),
                        r.oauth.to_string(),
                        r.reads_env.to_string(),
                    ]
                }),
            ),
        ),
        (
            "secret_agreement.csv".into(),
            crate::csv::table(
                &["agreement", "env_vars", "servers"],
                s.secret_agreement.iter().map(|r| {
                    vec![
                        r.agreement.clone(),
                        r.env_vars.to_string(),
                        r.servers.to_string(),
                    ]
                }),
            ),
        ),
    ]
}

fn why(reason: &str) -> &'static str {
    match reason {
        "found_by_search" => "found by search too",
        "no_seed_word" => "no seed query matched",
        "fork" => "a fork (search leaves forks out)",
        "archived" => "archived",
        "gone" => "gone (GitHub answered 404, 451, blocked or empty)",
        "not_github" => "not on GitHub",
        "no_repository" => "the entry names no repository",
        _ => "other",
    }
}

fn agreement(label: &str) -> &'static str {
    match label {
        "both" => "declared secret, and the classifier found it",
        "registry_only" => "declared secret, the classifier missed it",
        "classifier_only" => "the classifier's secret, not declared secret",
        "neither" => "declared, not secret, not found",
        _ => "other",
    }
}

/// The "Sources" section of report.md.
pub fn render(md: &mut String, s: &Sources) {
    let _ = writeln!(md, "## Sources: search and the registries\n");
    if s.registries.is_empty() {
        let _ = writeln!(
            md,
            "This run listed no registry: every repository came from search.\n"
        );
        return;
    }
    let _ = writeln!(
        md,
        "Registries listed: {}. A repository counts for a registry when one of its entries names it.\n",
        s.registries
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let o = &s.overlap;
    let servers = o.search_only + o.registry_only + o.both;
    let _ = writeln!(md, "| servers found by | servers | share |");
    let _ = writeln!(md, "| --- | ---: | ---: |");
    for (label, n) in [
        ("search only", o.search_only),
        ("a registry only", o.registry_only),
        ("both", o.both),
    ] {
        let _ = writeln!(md, "| {label} | {n} | {} |", Percent::of(n, servers));
    }
    let _ = writeln!(md, "\n(`source_overlap.csv`)\n");

    let listed: i64 = s.missed_by_search.iter().map(|r| r.repositories).sum();
    let missed: i64 = s
        .missed_by_search
        .iter()
        .filter(|r| r.reason != "found_by_search")
        .map(|r| r.repositories)
        .sum();
    let _ = writeln!(
        md,
        "Of {listed} repositories (or entries without one) the registries list, search missed {missed} ({}):\n",
        Percent::of(missed, listed)
    );
    let _ = writeln!(md, "| why | repositories | share |");
    let _ = writeln!(md, "| --- | ---: | ---: |");
    for r in &s.missed_by_search {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            why(&r.reason),
            r.repositories,
            Percent::of(r.repositories, listed)
        );
    }
    let _ = writeln!(md, "\n(`registry_missed_by_search.csv`)\n");

    let _ = writeln!(md, "### Headline by source\n");
    let _ = writeln!(
        md,
        "| source | servers | require credentials | static key or PAT | OAuth | read env |"
    );
    let _ = writeln!(md, "| --- | ---: | ---: | ---: | ---: | ---: |");
    for r in &s.headline_by_source {
        let p = |n: i64| format!("{n} ({})", Percent::of(n, r.servers));
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} |",
            r.source,
            r.servers,
            p(r.requires_credentials),
            p(r.static_key_or_pat),
            p(r.oauth),
            p(r.reads_env)
        );
    }
    let _ = writeln!(md, "\n(`headline_by_source.csv`)\n");

    let _ = writeln!(md, "### A second opinion on secrets\n");
    let _ = writeln!(
        md,
        "For servers with a registry entry: the environment variables and headers the entry declares \
         (`isSecret`) beside the secret environment variables the classifier found.\n"
    );
    let _ = writeln!(md, "| agreement | variables | servers |");
    let _ = writeln!(md, "| --- | ---: | ---: |");
    for r in &s.secret_agreement {
        let _ = writeln!(
            md,
            "| {} | {} | {} |",
            agreement(&r.agreement),
            r.env_vars,
            r.servers
        );
    }
    let _ = writeln!(md, "\n(`secret_agreement.csv`)\n");
}
