//! report.md: plain GitHub-flavoured Markdown, readable on GitHub as it is,
//! with the charts beside it as relative image links.

mod methods;

use crate::aggregate::FacetRow;
use crate::cells::{pct, share_cell};
use crate::headline::PUBLISHED;
use crate::summary::Summary;
use crate::tables::{facets, funnel_rows, headline_rows};
use std::fmt::Write as _;

/// Table cells never contain a raw `|` or line break.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn image(md: &mut String, charts: &[&str], name: &str, alt: &str) {
    if charts.contains(&name) {
        let _ = writeln!(md, "![{alt}]({name})\n");
    }
}

/// One breakdown row as the Markdown shows it; the test that compares the
/// report with queries/*.sql looks for exactly this line.
pub fn facet_line(r: &FacetRow) -> String {
    format!(
        "| {} | {} | {} ({}%) | {} ({}%) | {} ({}%) | {} ({}%) |",
        cell(&r.key),
        r.servers,
        r.requires_credentials,
        r.requires_credentials_pct,
        r.static_key_or_pat,
        r.static_key_or_pat_pct,
        r.oauth,
        r.oauth_pct,
        r.reads_env,
        r.reads_env_pct
    )
}

pub fn render(summary: &Summary, charts: &[&str]) -> String {
    let mut md = String::new();
    banners(&mut md, summary);
    headline(&mut md, summary, charts);
    funnel(&mut md, summary);
    breakdowns(&mut md, summary, charts);
    credentials(&mut md, summary, charts);
    env_vars(&mut md, summary);
    seed_queries(&mut md, summary);
    crate::sources::render(&mut md, &summary.sources);
    methods::render(&mut md, summary);
    reproducing(&mut md, summary);
    md
}

/// The title and the notes a reader must see first.
fn banners(md: &mut String, summary: &Summary) {
    let h = &summary.headline;
    let _ = writeln!(
        md,
        "# MCP server authentication survey: run `{}`\n",
        summary.run
    );
    if !summary.public_github {
        let _ = writeln!(
            md,
            "{}",
            crate::cells::not_github_banner(&summary.github_url)
        );
    }
    if summary.partial {
        let _ = writeln!(
            md,
            "> **Partial report.** This run is `{}`: the figures cover only what has been classified so far.\n",
            summary.status
        );
    }
    if h.servers == 0 {
        let _ = writeln!(
            md,
            "> **No MCP servers in this run{}.** Every share below is 0 (out of 0); nothing was divided by zero.\n",
            if summary.partial { " yet" } else { "" }
        );
    }
}

/// The headline table, raw and (with accuracy data) corrected.
fn headline(md: &mut String, summary: &Summary, charts: &[&str]) {
    let h = &summary.headline;
    let _ = writeln!(md, "## Headline\n");
    let _ = writeln!(
        md,
        "Every share below is out of the **{} repositories classified as MCP servers** in this run \
         (forks excluded; clients, SDKs, lists and unrelated \"MCP\" repositories are not servers). \
         Each cell gives the share, its numerator and denominator, and a 95% Wilson score interval.\n",
        h.servers
    );
    let c = &summary.correction;
    let corrected = |key: &str| c.cell(key);
    if c.source.is_some() {
        let _ = writeln!(
            md,
            "| figure | Astrix 2025 | this run (raw) | corrected for classifier error |"
        );
        let _ = writeln!(md, "| --- | ---: | --- | --- |");
        let _ = writeln!(
            md,
            "| MCP servers analysed | {} | {} | {} |",
            PUBLISHED.servers,
            h.servers,
            corrected("servers")
        );
    } else {
        let _ = writeln!(md, "| figure | Astrix 2025 | this run |");
        let _ = writeln!(md, "| --- | ---: | --- |");
        let _ = writeln!(
            md,
            "| MCP servers analysed | {} | {} |",
            PUBLISHED.servers, h.servers
        );
    }
    for (key, label, published, ours) in headline_rows(h) {
        if c.source.is_some() {
            let _ = writeln!(
                md,
                "| {label} | {} | {} | {} |",
                pct(published),
                share_cell(ours),
                corrected(key)
            );
        } else {
            let _ = writeln!(
                md,
                "| {label} | {} | {} |",
                pct(published),
                share_cell(ours)
            );
        }
    }
    let _ = writeln!(md);
    match &c.source {
        Some(source) => {
            let _ = writeln!(
                md,
                "Corrected shares account for the classifier's measured errors (Rogan–Gladen; see Methods). \
                 Accuracy source: {}. Their intervals include the uncertainty of that accuracy.",
                source.description
            );
            for f in c.figures.iter().filter(|f| f.corrected.is_none()) {
                let _ = writeln!(
                    md,
                    "\n- {} is not corrected: {}.",
                    crate::tables::figure_label(f.figure),
                    f.note.as_deref().unwrap_or("no accuracy data")
                );
            }
        }
        None => {
            let _ = writeln!(
                md,
                "**No accuracy data was given for this report: the shares above are the classifier's raw labels, not \
                 corrected for its errors, and their intervals assume every label is right.** Score an audit of this \
                 run (`mcp-survey audit draw --run {run}`, label the sheet, `mcp-survey audit score --run {run} SHEET`) \
                 or pass `--accuracy FILE` (an `eval --json` output) to correct them.",
                run = summary.run
            );
        }
    }
    let _ = writeln!(md);
    image(
        md,
        charts,
        "headline.svg",
        "Headline shares, this run against the published figures",
    );
}

/// From repositories found to servers, and what was left out.
fn funnel(md: &mut String, summary: &Summary) {
    let b = &summary.breakdowns;
    let _ = writeln!(md, "## Funnel\n");
    let _ = writeln!(
        md,
        "From every repository a seed query found to the servers the shares are computed over.\n"
    );
    let _ = writeln!(md, "| step | repositories |");
    let _ = writeln!(md, "| --- | ---: |");
    for (_, label, n) in funnel_rows(&summary.funnel) {
        let _ = writeln!(md, "| {label} | {n} |");
    }
    if !b.exclusions.is_empty() {
        let _ = writeln!(
            md,
            "\nRepositories not classified, and why (`exclusions.csv`):\n"
        );
        let _ = writeln!(md, "| status | reason | repositories |");
        let _ = writeln!(md, "| --- | --- | ---: |");
        for r in &b.exclusions {
            let _ = writeln!(
                md,
                "| {} | {} | {} |",
                r.fetch_status,
                cell(&r.reason),
                r.repositories
            );
        }
    }
}

/// One table per facet (language, SDK, transport, stars, month).
fn breakdowns(md: &mut String, summary: &Summary, charts: &[&str]) {
    let _ = writeln!(md, "\n## Breakdowns\n");
    let _ = writeln!(
        md,
        "Each row counts the servers with that value; its shares are out of that row's servers. \
         SDK and transport are multi-valued: a server with two counts in both rows.\n"
    );
    for (stem, _, rows, title) in facets(summary) {
        let _ = writeln!(md, "### {title}\n");
        if stem == "by_created_month" {
            let _ = writeln!(
                md,
                "How the OAuth share and the static-secret share move with the month the repository was created \
                 (few servers in a month make its shares noisy; the counts are beside them).\n"
            );
        }
        image(
            md,
            charts,
            &format!("{stem}.svg"),
            &format!("MCP servers by {}", title.to_lowercase()),
        );
        if rows.is_empty() {
            let _ = writeln!(md, "No servers.\n");
            continue;
        }
        let _ = writeln!(
            md,
            "| {} | servers | require credentials | static key or PAT | OAuth | env variables |",
            title.to_lowercase()
        );
        let _ = writeln!(md, "| --- | ---: | ---: | ---: | ---: | ---: |");
        for r in rows {
            let _ = writeln!(md, "{}", facet_line(r));
        }
        let _ = writeln!(md, "\n(`{stem}.csv`)\n");
    }
}

/// Auth methods and credential sources.
fn credentials(md: &mut String, summary: &Summary, charts: &[&str]) {
    let b = &summary.breakdowns;
    let _ = writeln!(md, "## Credentials\n");
    for (title, name, rows) in [
        ("Auth methods", "auth_methods", &b.auth_methods),
        (
            "Credential sources",
            "credential_sources",
            &b.credential_sources,
        ),
    ] {
        let _ = writeln!(md, "### {title}\n");
        image(md, charts, &format!("{name}.svg"), title);
        if rows.is_empty() {
            let _ = writeln!(md, "None.\n");
            continue;
        }
        let _ = writeln!(md, "| {} | servers | % of servers |", title.to_lowercase());
        let _ = writeln!(md, "| --- | ---: | ---: |");
        for r in rows {
            let _ = writeln!(
                md,
                "| {} | {} | {}% |",
                cell(&r.key),
                r.servers,
                r.servers_pct
            );
        }
        let _ = writeln!(md, "\n(`{name}.csv`)\n");
    }
}

/// The secret environment variables and the services they name.
fn env_vars(md: &mut String, summary: &Summary) {
    let b = &summary.breakdowns;
    let _ = writeln!(md, "### Secret environment variables\n");
    if b.env_vars.is_empty() {
        let _ = writeln!(md, "None.\n");
    } else {
        let _ = writeln!(
            md,
            "The 25 most common (all of them in `env_vars.csv`); the service is read off the name.\n"
        );
        let _ = writeln!(md, "| variable | service | servers | % of servers |");
        let _ = writeln!(md, "| --- | --- | ---: | ---: |");
        for r in b.env_vars.iter().take(25) {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {}% |",
                cell(&r.env_var),
                cell(&r.service),
                r.servers,
                r.servers_pct
            );
        }
        let _ = writeln!(md, "\nBy service (`services.csv`):\n");
        let _ = writeln!(md, "| service | servers | % of servers | variable names |");
        let _ = writeln!(md, "| --- | ---: | ---: | ---: |");
        for r in &b.services {
            let _ = writeln!(
                md,
                "| {} | {} | {}% | {} |",
                cell(&r.service),
                r.servers,
                r.servers_pct,
                r.env_vars
            );
        }
        let _ = writeln!(md);
    }
}

/// What each seed query found.
fn seed_queries(md: &mut String, summary: &Summary) {
    let b = &summary.breakdowns;
    let _ = writeln!(md, "## Seed queries\n");
    let _ = writeln!(
        md,
        "Which seed query found how many servers, and how many no other query found \
         (what dropping it would lose).\n"
    );
    if b.seed_queries.is_empty() {
        let _ = writeln!(md, "No seed queries recorded for this run.\n");
    } else {
        let _ = writeln!(
            md,
            "| query | endpoint | repositories | servers | servers only it found |"
        );
        let _ = writeln!(md, "| --- | --- | ---: | ---: | ---: |");
        for r in &b.seed_queries {
            let _ = writeln!(
                md,
                "| `{}` | {} | {} | {} | {} |",
                cell(&r.query_name),
                r.endpoint,
                r.repositories,
                r.servers,
                r.servers_only_this_query
            );
        }
        let _ = writeln!(md, "\n(`seed_queries.csv`)\n");
    }
}

/// How to get the same numbers again.
fn reproducing(md: &mut String, summary: &Summary) {
    let _ = writeln!(md, "## Reproducing\n");
    let _ = writeln!(
        md,
        "- run: `{}` ({}), started {}{}\n- classifier version: `{}`\n- seed-query file sha256: `{}`\n- GitHub API: `{}`\n\
         - the same numbers in SQL: `queries/*.sql` (see `queries/README.md`); every table here is also a CSV file beside this one, \
         and `summary.json` holds them all.",
        summary.run,
        summary.status,
        summary.started_at.format("%Y-%m-%d %H:%M UTC"),
        summary
            .finished_at
            .map(|t| format!(", finished {}", t.format("%Y-%m-%d %H:%M UTC")))
            .unwrap_or_default(),
        summary.classifier_version.as_deref().unwrap_or("unknown"),
        summary.seed_file_sha256.as_deref().unwrap_or("unknown"),
        summary.github_url
    );
    search_completeness(md, &summary.search);
}

/// GitHub's search gives up under load (`incomplete_results`) and drops
/// items after searching (short pages): say how often, how many pages were
/// asked again, and which stayed incomplete, so a reader knows what the
/// figures may be missing.
fn search_completeness(md: &mut String, s: &mcp_survey_store::SearchCompleteness) {
    let _ = writeln!(
        md,
        "- search completeness: {} answers marked `incomplete_results`, {} short pages; {} pages asked again; \
         {} still incomplete{}; {} result items unreadable",
        s.incomplete_pages,
        s.short_pages,
        s.pages_retried,
        s.unresolved_pages,
        if s.slices_awaiting_retry > 0 {
            format!(" ({} slices still waiting to ask again)", s.slices_awaiting_retry)
        } else {
            String::new()
        },
        s.skipped_items
    );
    for slice in &s.unresolved_slices {
        let _ = writeln!(md, "  - still incomplete: `{}`", cell(slice));
    }
}
