//! The report's tables as CSV files and SVG charts. Column names are the
//! ones queries/*.sql return, so a query's output and its CSV file can be
//! compared cell by cell.

use crate::aggregate::FacetRow;
use crate::charts::{hbars, lines, Bar};
use crate::csv;
use crate::headline::{Funnel, Headline, Share, PUBLISHED};
use crate::stats::Percent;
use crate::write::Summary;

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

/// The SVG charts: (file name, contents). A chart with no data is left out
/// (the Markdown then shows no image for it).
pub fn charts(s: &Summary) -> Vec<(String, String)> {
    let b = &s.breakdowns;
    let mut out = Vec::new();
    if s.headline.servers > 0 {
        let mut bars = Vec::new();
        for (_, label, published, ours) in headline_rows(&s.headline) {
            let mut p = Bar::new(format!("{label} (Astrix 2025)"), published * 100.0);
            p.published = true;
            bars.push(p);
            let mut o = Bar::new(format!("{label} (this run)"), ours.share * 100.0);
            o.whisker = Some((ours.ci95_low * 100.0, ours.ci95_high * 100.0));
            bars.push(o);
        }
        let labels: Vec<Bar> = bars
            .into_iter()
            .map(|mut b| {
                b.label = shorten(&b.label, 44);
                b
            })
            .collect();
        if let Some(svg) = hbars(
            &format!(
                "Headline: this run ({} servers) vs Astrix 2025 (5,205)",
                s.headline.servers
            ),
            "% of MCP servers (black: 95% Wilson interval)",
            &labels,
            Some(100.0),
        ) {
            out.push(("headline.svg".to_string(), svg));
        }
    }
    let top = |rows: &[FacetRow]| -> Vec<Bar> {
        rows.iter()
            .take(15)
            .map(|r| Bar::new(shorten(&r.key, 40), r.servers as f64))
            .collect()
    };
    if let Some(svg) = hbars(
        "MCP servers by language (top 15)",
        "servers",
        &top(&b.language),
        None,
    ) {
        out.push(("by_language.svg".to_string(), svg));
    }
    if let Some(svg) = hbars(
        "MCP servers by SDK (top 15; a server may use several)",
        "servers",
        &top(&b.sdk),
        None,
    ) {
        out.push(("by_sdk.svg".to_string(), svg));
    }
    let shares = |rows: &[crate::aggregate::CountRow]| -> Vec<Bar> {
        rows.iter()
            .map(|r| Bar::new(r.key.clone(), r.servers_pct.as_f64()))
            .collect()
    };
    if let Some(svg) = hbars(
        "Auth methods (a server may have several)",
        "% of MCP servers",
        &shares(&b.auth_methods),
        Some(100.0),
    ) {
        out.push(("auth_methods.svg".to_string(), svg));
    }
    if let Some(svg) = hbars(
        "Where servers read their secrets from",
        "% of MCP servers",
        &shares(&b.credential_sources),
        Some(100.0),
    ) {
        out.push(("credential_sources.svg".to_string(), svg));
    }
    let months: Vec<String> = b.created_month.iter().map(|r| r.key.clone()).collect();
    let pick = |f: fn(&FacetRow) -> Percent| -> Vec<Option<f64>> {
        b.created_month
            .iter()
            .map(|r| (r.servers > 0).then(|| f(r).as_f64()))
            .collect()
    };
    if let Some(svg) = lines(
        "OAuth and static-secret shares by repository creation month",
        "month the repository was created (UTC)",
        "% of that month's servers",
        &months,
        &[
            ("static API key or PAT", pick(|r| r.static_key_or_pat_pct)),
            ("OAuth", pick(|r| r.oauth_pct)),
            ("requires credentials", pick(|r| r.requires_credentials_pct)),
        ],
    ) {
        out.push(("by_created_month.svg".to_string(), svg));
    }
    out
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}
