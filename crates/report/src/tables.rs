//! The report's tables as CSV files and SVG charts. Column names are the
//! ones queries/*.sql return, so a query's output and its CSV file can be
//! compared cell by cell.

use crate::aggregate::FacetRow;
use crate::charts::{hbars, merge_sparse, month_lines, Bar, Bucket, Group, Ink, Scale};
use crate::csv;
use crate::headline::{Funnel, Headline, Share, PUBLISHED};
use crate::stats::Percent;
use crate::summary::Summary;

/// The four headline shares: CSV key, label, published figure, ours.
pub(crate) fn headline_rows(h: &Headline) -> [(&'static str, &'static str, f64, &Share); 4] {
    [
        (
            "requires_credentials",
            "servers that require credentials",
            PUBLISHED.required,
            &h.required,
        ),
        (
            "static_key_or_pat",
            "static API keys or personal access tokens",
            PUBLISHED.static_key_or_pat,
            &h.static_key_or_pat,
        ),
        ("oauth", "OAuth", PUBLISHED.oauth, &h.oauth),
        (
            "reads_env",
            "credentials from environment variables",
            PUBLISHED.env,
            &h.env,
        ),
    ]
}

/// The funnel as (CSV step key, label, repositories), in order.
pub(crate) fn funnel_rows(f: &Funnel) -> Vec<(&'static str, &'static str, i64)> {
    vec![
        ("found", "found by the seed queries", f.found),
        ("excluded_fork", "excluded: forks", f.excluded_forks),
        ("gone", "gone (404, 451, empty)", f.gone),
        ("fetch_failed", "fetch failed", f.fetch_failed),
        ("not_fetched_yet", "not fetched yet", f.not_fetched_yet),
        ("fetched", "fetched", f.fetched),
        ("classified", "classified", f.classified),
        ("client", "not servers: clients", f.clients),
        ("sdk", "not servers: SDKs and frameworks", f.sdks),
        ("list", "not servers: lists and docs", f.lists),
        (
            "other",
            "not servers: other (incl. unrelated \"MCP\")",
            f.other,
        ),
        ("server", "**MCP servers**", f.servers),
        ("server_archived", "of which archived", f.archived_servers),
    ]
}

/// Published shares are given to a tenth of a percent at most.
fn published_pct(x: f64) -> Percent {
    Percent::from_fraction(x)
}

pub(crate) const FACET_COLUMNS: [&str; 9] = [
    "servers",
    "requires_credentials",
    "requires_credentials_pct",
    "static_key_or_pat",
    "static_key_or_pat_pct",
    "oauth",
    "oauth_pct",
    "reads_env",
    "reads_env_pct",
];

fn facet_csv(key_column: &str, rows: &[FacetRow]) -> String {
    let mut header = vec![key_column];
    header.extend(FACET_COLUMNS);
    csv::table(
        &header,
        rows.iter().map(|r| {
            vec![
                r.key.clone(),
                r.servers.to_string(),
                r.requires_credentials.to_string(),
                r.requires_credentials_pct.to_string(),
                r.static_key_or_pat.to_string(),
                r.static_key_or_pat_pct.to_string(),
                r.oauth.to_string(),
                r.oauth_pct.to_string(),
                r.reads_env.to_string(),
                r.reads_env_pct.to_string(),
            ]
        }),
    )
}

/// The breakdowns by a single key: (file stem, key column, rows, title).
pub(crate) fn facets(s: &Summary) -> [(&'static str, &'static str, &[FacetRow], &'static str); 5] {
    let b = &s.breakdowns;
    [
        ("by_language", "language", &b.language, "Language"),
        ("by_sdk", "sdk", &b.sdk, "MCP SDK"),
        ("by_transport", "transport", &b.transport, "Transport"),
        ("by_stars", "stars_bucket", &b.stars, "GitHub stars"),
        (
            "by_created_month",
            "created_month",
            &b.created_month,
            "Repository creation month",
        ),
    ]
}

/// Every CSV file of the report: (file name, contents).
pub fn csv_files(s: &Summary) -> Vec<(String, String)> {
    let b = &s.breakdowns;
    let mut files = vec![
        (
            "headline.csv".to_string(),
            csv::table(
                &[
                    "figure",
                    "published_pct",
                    "numerator",
                    "denominator",
                    "share_pct",
                    "ci95_low_pct",
                    "ci95_high_pct",
                ],
                headline_rows(&s.headline)
                    .iter()
                    .map(|(key, _, published, sh)| {
                        vec![
                            key.to_string(),
                            published_pct(*published).to_string(),
                            sh.numerator.to_string(),
                            sh.denominator.to_string(),
                            Percent::of(sh.numerator, sh.denominator).to_string(),
                            Percent::from_fraction(sh.ci95_low).to_string(),
                            Percent::from_fraction(sh.ci95_high).to_string(),
                        ]
                    }),
            ),
        ),
        (
            "funnel.csv".to_string(),
            csv::table(
                &["step", "repositories"],
                funnel_rows(&s.funnel)
                    .into_iter()
                    .map(|(k, _, n)| vec![k.to_string(), n.to_string()]),
            ),
        ),
        (
            "exclusions.csv".to_string(),
            csv::table(
                &["fetch_status", "reason", "repositories"],
                b.exclusions.iter().map(|r| {
                    vec![
                        r.fetch_status.clone(),
                        r.reason.clone(),
                        r.repositories.to_string(),
                    ]
                }),
            ),
        ),
    ];
    for (stem, key, rows, _) in facets(s) {
        files.push((format!("{stem}.csv"), facet_csv(key, rows)));
    }
    for (name, key, rows) in [
        ("auth_methods.csv", "auth_method", &b.auth_methods),
        (
            "credential_sources.csv",
            "credential_source",
            &b.credential_sources,
        ),
    ] {
        files.push((
            name.to_string(),
            csv::table(
                &[key, "servers", "servers_pct"],
                rows.iter().map(|r| {
                    vec![
                        r.key.clone(),
                        r.servers.to_string(),
                        r.servers_pct.to_string(),
                    ]
                }),
            ),
        ));
    }
    files.push((
        "env_vars.csv".to_string(),
        csv::table(
            &["env_var", "service", "servers", "servers_pct"],
            b.env_vars.iter().map(|r| {
                vec![
                    r.env_var.clone(),
                    r.service.clone(),
                    r.servers.to_string(),
                    r.servers_pct.to_string(),
                ]
            }),
        ),
    ));
    files.push((
        "services.csv".to_string(),
        csv::table(
            &["service", "servers", "servers_pct", "env_vars"],
            b.services.iter().map(|r| {
                vec![
                    r.service.clone(),
                    r.servers.to_string(),
                    r.servers_pct.to_string(),
                    r.env_vars.to_string(),
                ]
            }),
        ),
    ));
    files.push(("corrected.csv".to_string(), corrected_csv(s)));
    files.push((
        "seed_queries.csv".to_string(),
        csv::table(
            &[
                "query_name",
                "endpoint",
                "repositories",
                "servers",
                "servers_only_this_query",
            ],
            b.seed_queries.iter().map(|r| {
                vec![
                    r.query_name.clone(),
                    r.endpoint.clone(),
                    r.repositories.to_string(),
                    r.servers.to_string(),
                    r.servers_only_this_query.to_string(),
                ]
            }),
        ),
    ));
    files
}

/// The label of a headline figure key (summary.json's `figure`).
pub(crate) fn figure_label(key: &str) -> &'static str {
    match key {
        "servers" => "MCP servers",
        "requires_credentials" => "servers that require credentials",
        "static_key_or_pat" => "static API keys or personal access tokens",
        "oauth" => "OAuth",
        "reads_env" => "credentials from environment variables",
        _ => "figure",
    }
}

/// corrected.csv: every headline figure raw and corrected, with the
/// accuracy source (summary.json's `correction.figures`).
pub(crate) fn corrected_csv(s: &Summary) -> String {
    let opt = |v: Option<f64>| v.map(|x| format!("{x:.6}")).unwrap_or_default();
    csv::table(
        &[
            "figure",
            "raw",
            "raw_ci_low",
            "raw_ci_high",
            "corrected",
            "ci_low",
            "ci_high",
            "n",
            "numerator",
            "accuracy_1",
            "accuracy_2",
            "accuracy_source",
            "note",
        ],
        s.correction.figures.iter().map(|f| {
            vec![
                f.figure.to_string(),
                format!("{:.6}", f.raw),
                opt(f.raw_ci_low),
                opt(f.raw_ci_high),
                opt(f.corrected),
                opt(f.ci_low),
                opt(f.ci_high),
                f.n.to_string(),
                f.numerator.to_string(),
                opt(f.accuracy.map(|a| a.0)),
                opt(f.accuracy.map(|a| a.1)),
                f.accuracy_source.to_string(),
                f.note.clone().unwrap_or_default(),
            ]
        }),
    )
}

/// `1,979`: counts in notes read at a glance.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or_default())
        .collect();
    let out = groups.join(",");
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// A share bar: the percentage, its Wilson interval, and the counts behind it.
fn share_bar(numerator: i64, denominator: i64, ink: Ink, suffix: &str) -> Bar {
    let (lo, hi) = crate::stats::wilson_interval(numerator, denominator);
    Bar {
        value: Percent::of(numerator, denominator).as_f64(),
        whisker: Some((lo * 100.0, hi * 100.0)),
        ink,
        note: format!(
            "{}% ({} / {}){suffix}",
            Percent::of(numerator, denominator),
            thousands(numerator),
            thousands(denominator)
        ),
    }
}

/// The charts: (SVG file name, contents). A chart with no data is left out
/// (the Markdown then shows no image for it).
pub fn charts(s: &Summary) -> Vec<(String, String)> {
    let b = &s.breakdowns;
    let mut out = Vec::new();
    if let Some(svg) = headline_chart(s) {
        out.push(("headline.svg".to_string(), svg));
    }
    let counts = |rows: &[FacetRow]| -> Vec<Group> {
        rows.iter()
            .take(15)
            .map(|r| Group {
                label: r.key.clone(),
                bars: vec![Bar {
                    value: r.servers as f64,
                    whisker: None,
                    ink: Ink::Ours,
                    note: thousands(r.servers),
                }],
            })
            .collect()
    };
    let top = |rows: &[FacetRow]| {
        if rows.len() > 15 {
            format!(" (top 15 of {})", rows.len())
        } else {
            String::new()
        }
    };
    if let Some(svg) = hbars(
        &format!("MCP servers by language{}", top(&b.language)),
        "number of MCP servers",
        &counts(&b.language),
        Scale::Count,
        &[],
    ) {
        out.push(("by_language.svg".to_string(), svg));
    }
    if let Some(svg) = hbars(
        &format!(
            "MCP servers by SDK{}; a server may use several",
            top(&b.sdk)
        ),
        "number of MCP servers",
        &counts(&b.sdk),
        Scale::Count,
        &[],
    ) {
        out.push(("by_sdk.svg".to_string(), svg));
    }
    let shares = |rows: &[crate::aggregate::CountRow]| -> Vec<Group> {
        rows.iter()
            .map(|r| Group {
                label: r.key.clone(),
                bars: vec![share_bar(r.servers, s.headline.servers, Ink::Ours, "")],
            })
            .collect()
    };
    let of_servers = format!(
        "% of the {} MCP servers (servers with it / all servers); black: 95% Wilson interval",
        thousands(s.headline.servers)
    );
    if let Some(svg) = hbars(
        "Auth methods (a server may have several)",
        &of_servers,
        &shares(&b.auth_methods),
        Scale::Percent,
        &[],
    ) {
        out.push(("auth_methods.svg".to_string(), svg));
    }
    if let Some(svg) = hbars(
        "Where servers read their secrets from (a server may have several)",
        &of_servers,
        &shares(&b.credential_sources),
        Scale::Percent,
        &[],
    ) {
        out.push(("credential_sources.svg".to_string(), svg));
    }
    let months: Vec<Bucket> = b
        .created_month
        .iter()
        .map(|r| Bucket {
            label: r.key.clone(),
            servers: r.servers,
            counts: vec![r.static_key_or_pat, r.oauth, r.requires_credentials],
        })
        .collect();
    if let Some(svg) = month_lines(
        "Static-secret, OAuth and credential-need shares by the month the repository was created",
        "when the repository was created (UTC; by quarter or year when months are too many to label; a period with fewer than 20 servers merged with the next); bars: 95% Wilson interval; n: servers created then",
        &[
            ("static API key or PAT", Ink::Ours),
            ("OAuth", Ink::Second),
            ("requires credentials", Ink::Third),
        ],
        &merge_sparse(&months),
    ) {
        out.push(("by_created_month.svg".to_string(), svg));
    }
    out
}

/// The headline shares beside the published ones, raw and corrected; none
/// for a run without servers.
fn headline_chart(s: &Summary) -> Option<String> {
    if s.headline.servers == 0 {
        return None;
    }
    let corrected = s.correction.source.is_some();
    let mut groups = Vec::new();
    for (key, label, published, ours) in headline_rows(&s.headline) {
        let mut bars = vec![Bar {
            value: published * 100.0,
            whisker: None,
            ink: Ink::Published,
            note: if key == "reads_env" {
                format!(
                    "{}% (of credentials, not servers)",
                    Percent::from_fraction(published)
                )
            } else {
                format!(
                    "{}% (n={})",
                    Percent::from_fraction(published),
                    thousands(PUBLISHED.servers)
                )
            },
        }];
        bars.push(share_bar(ours.numerator, ours.denominator, Ink::Ours, ""));
        if let Some(f) = s.correction.figures.iter().find(|f| f.figure == key) {
            if let (Some(c), Some(lo), Some(hi)) = (f.corrected, f.ci_low, f.ci_high) {
                bars.push(Bar {
                    value: c * 100.0,
                    whisker: Some((lo * 100.0, hi * 100.0)),
                    ink: Ink::Corrected,
                    note: format!(
                        "{}% ({}–{}%)",
                        Percent::from_fraction(c),
                        Percent::from_fraction(lo),
                        Percent::from_fraction(hi)
                    ),
                });
            }
        }
        groups.push(Group {
            label: label.to_string(),
            bars,
        });
    }
    let mut legend = vec![
        (Ink::Published, "Astrix, State of MCP Server Security 2025"),
        (Ink::Ours, "this run, raw"),
    ];
    if corrected {
        legend.push((Ink::Corrected, "this run, corrected for classifier error"));
    }
    let desc = if corrected {
        format!(
            "% of MCP servers (this run: n={}); black: 95% interval (raw: Wilson; corrected: bootstrap incl. the accuracy's uncertainty)",
            thousands(s.headline.servers)
        )
    } else {
        format!(
            "% of MCP servers (this run: n={}); black: 95% Wilson interval; not corrected: no accuracy data",
            thousands(s.headline.servers)
        )
    };
    hbars(
        "Headline figures: this run beside the published study",
        &desc,
        &groups,
        Scale::Percent,
        &legend,
    )
}
