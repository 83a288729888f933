//! The report's methods section: what each figure counts and out of what,
//! how the repositories were found, the classifier and its measured
//! accuracy, what was left out and why, and how the source study phrased
//! each figure beside how this one does.

use crate::cells::pct;
use crate::corrected::Correction;
use crate::headline::PUBLISHED;
use crate::methods::SOURCE_TITLE;
use crate::stats::Percent;
use crate::summary::Summary;
use std::fmt::Write as _;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

fn frac(x: f64) -> String {
    format!("{}", Percent::from_fraction(x))
}

/// The methods section of report.md.
pub fn render(md: &mut String, s: &Summary) {
    let h = &s.headline;
    let m = &s.methods;
    let _ = writeln!(md, "## Methods\n");
    let _ = writeln!(md, "### What each figure counts\n");
    let _ = writeln!(
        md,
        "Labels follow `docs/labels.md`; every label carries its evidence (file, line, rule), so each can be checked.\n\n\
         - **MCP server**: a repository whose `kind` is `server`: it ships at least one MCP server a person can run \
         (a program that speaks MCP and offers tools, resources or prompts; gateways, proxies, starter templates \
         and runnable examples count). Clients, SDKs and frameworks, lists and documentation, and the other meanings \
         of \"MCP\" (Minecraft's Mod Coder Pack, the MCP23017 chip) are not servers. Forks are never servers here: \
         they are excluded before fetching. **Denominator of every share below: the {} repositories labelled \
         `server`.**\n\
         - **Requires credentials**: `credentials` is `required`: the server's main tools cannot work without at \
         least one secret. `optional` (useful without one) does not count. Only secrets count; a URL, a path or a \
         user name alone is not one.\n\
         - **Static API key or PAT**: `auth_methods` holds `api_key` (a static key or token issued for an app, bot, \
         project or integration) or `pat` (a personal access token acting as a user). A server with both counts once.\n\
         - **OAuth**: `auth_methods` holds `oauth`: an OAuth 2.0 / OIDC flow, refresh tokens, or the server acting \
         as an OAuth resource server.\n\
         - **Credentials from environment variables**: `credential_sources` holds `env` (`.env` files included): \
         the server reads at least one secret from its environment. Every secret counts, required or optional.\n",
        h.servers
    );
    let _ = writeln!(md, "### How repositories were found\n");
    if m.seeds.is_empty() {
        let _ = writeln!(md, "This run recorded no seed queries.\n");
    } else {
        let _ = writeln!(
            md,
            "Each seed query is a documented reason a repository may be an MCP server. GitHub returns at most 1,000 \
             results per search, so the planner split each query into slices (repository search by `created:` date \
             windows, code search by `size:` ranges) until every slice reported at most 1,000; the results column \
             sums GitHub's `total_count` over the final slices. A repository found by several queries is one \
             repository. The seed file's sha256 is `{}`.\n",
            s.seed_file_sha256.as_deref().unwrap_or("unknown")
        );
        let _ = writeln!(
            md,
            "| query | endpoint | search | why | slices (split) | results reported | repositories | servers |"
        );
        let _ = writeln!(md, "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |");
        for q in &m.seeds {
            let found = s
                .breakdowns
                .seed_queries
                .iter()
                .find(|r| r.query_name == q.name);
            let _ = writeln!(
                md,
                "| `{}` | {} | `{}` | {} | {} ({}) | {}{} | {} | {} |",
                cell(&q.name),
                q.endpoint,
                cell(&q.query),
                cell(&q.reason),
                q.slices,
                q.slices_split,
                q.results_reported,
                if q.slices_over_cap > 0 {
                    format!(" ({} slices still over the cap)", q.slices_over_cap)
                } else {
                    String::new()
                },
                found.map_or(0, |r| r.repositories),
                found.map_or(0, |r| r.servers),
            );
        }
        let _ = writeln!(md);
    }
    classifier(md, s);
    let f = &s.funnel;
    let _ = writeln!(md, "### What was left out, and why\n");
    let _ = writeln!(
        md,
        "- **Forks** ({}): excluded before fetching; a fork repeats its parent's code and would count one server twice.\n\
         - **Gone** ({}): deleted, made private, blocked or taken down between the search and the fetch (404, 451, 403 \
         \"Repository access blocked\", 409 empty); nothing is left to read.\n\
         - **Fetch failed** ({}): every retry failed (the causes are in the exclusions table above and in `mcp-survey status`).\n\
         - **Not fetched yet** ({}): still queued when this report was written.\n\
         - **Archived servers** are kept ({} of the {} servers): an archived server is still published and still run.\n",
        f.excluded_forks, f.gone, f.fetch_failed, f.not_fetched_yet, f.archived_servers, f.servers
    );
    astrix(md, s);
}

fn classifier(md: &mut String, s: &Summary) {
    let c: &Correction = &s.correction;
    let _ = writeln!(md, "### Classifier and its measured accuracy\n");
    let _ = writeln!(
        md,
        "Classifier version `{}`: a pure function of the files the fetch keeps, the same for every repository.\n",
        s.classifier_version.as_deref().unwrap_or("unknown")
    );
    let Some(source) = &c.source else {
        let _ = writeln!(
            md,
            "**No accuracy data was given for this report**, so its shares are the classifier's raw counts and their \
             intervals assume the labels are right. Score an audit of this run (`mcp-survey audit draw`, then \
             `audit score`) or pass `report --accuracy FILE` (an `eval --json` output) to correct them.\n"
        );
        return;
    };
    let _ = writeln!(md, "Accuracy source: {}.\n", source.description);
    let _ = writeln!(
        md,
        "Corrected shares use the Rogan–Gladen estimator, `(raw + specificity − 1) / (sensitivity + specificity − 1)`, \
         clamped to 0–100%, with sensitivity and specificity measured on labelled repositories that are servers by \
         both the label and the classifier; the server count is corrected as `servers × precision / recall` of the \
         is-server decision (which assumes the servers the classifier misses are like those it finds). The 95% \
         intervals are percentiles of {} bootstrap replicates (seed {}) that resample the labelled repositories \
         within their audit strata and redraw the raw share from its binomial, so they carry the uncertainty of the \
         accuracy estimate as well as the census's.\n",
        c.bootstrap_replicates, c.bootstrap_seed
    );
    let _ = writeln!(md, "| figure | measured | value |");
    let _ = writeln!(md, "| --- | --- | ---: |");
    for f in &c.figures {
        match (f.figure, f.accuracy) {
            ("servers", Some((p, r))) => {
                let _ = writeln!(
                    md,
                    "| is a server | precision / recall | {}% / {}% |",
                    frac(p),
                    frac(r)
                );
            }
            (name, Some((se, sp))) => {
                let _ = writeln!(
                    md,
                    "| {} | sensitivity / specificity | {}% / {}% |",
                    crate::tables::figure_label(name),
                    frac(se),
                    frac(sp)
                );
            }
            (name, None) => {
                let _ = writeln!(
                    md,
                    "| {} | not measurable | – |",
                    crate::tables::figure_label(name)
                );
            }
        }
    }
    if !c.fields.is_empty() {
        let _ = writeln!(
            md,
            "\nPer-field accuracy of the audit, weighted to the run's repositories (Horvitz–Thompson; `kind` over \
             every labelled repository, the other fields over those a person labelled a server):\n"
        );
        let _ = writeln!(
            md,
            "| field | accuracy | labelled rows | repositories they stand for |"
        );
        let _ = writeln!(md, "| --- | ---: | ---: | ---: |");
        for (name, a) in &c.fields {
            let _ = writeln!(
                md,
                "| `{name}` | {}% | {} | {:.0} |",
                frac(a.accuracy),
                a.rows,
                a.weight
            );
        }
    }
    let _ = writeln!(md);
}

fn astrix(md: &mut String, s: &Summary) {
    let h = &s.headline;
    let m = &s.methods;
    let _ = writeln!(md, "### Beside the source study\n");
    let _ = writeln!(
        md,
        "Astrix Security's *{SOURCE_TITLE}* published the figures in the headline table. Its phrasing (paraphrased) \
         and this report's definition of the same figure differ in places; where the denominators differ, both are \
         shown where this run's data allows.\n"
    );
    let _ = writeln!(
        md,
        "| Astrix's figure, as they phrase it | out of | this run | out of |"
    );
    let _ = writeln!(md, "| --- | --- | --- | --- |");
    let _ = writeln!(
        md,
        "| {} unique open-source MCP server implementations analysed | – | {} servers | repositories labelled `server` |",
        PUBLISHED.servers, h.servers
    );
    let rows = [
        (
            PUBLISHED.required,
            "of MCP servers require credentials",
            "MCP servers",
            &h.required,
        ),
        (
            PUBLISHED.static_key_or_pat,
            "rely on static, long-lived secrets: API keys and personal access tokens",
            "MCP servers",
            &h.static_key_or_pat,
        ),
        (PUBLISHED.oauth, "use OAuth", "MCP servers", &h.oauth),
    ];
    for (published, phrase, of, ours) in rows {
        let _ = writeln!(
            md,
            "| {} {phrase} | {of} | {}% ({} / {}) | servers |",
            pct(published),
            Percent::of(ours.numerator, ours.denominator),
            ours.numerator,
            ours.denominator
        );
    }
    let _ = writeln!(
        md,
        "| {} of credentials are passed through plain environment variables | **credentials**, not servers | {}% ({} / {}) | servers |",
        pct(PUBLISHED.env),
        Percent::of(h.env.numerator, h.env.denominator),
        h.env.numerator,
        h.env.denominator
    );
    let _ = writeln!(
        md,
        "| (same figure) | | {}% ({} / {}) | servers that read any secret |",
        Percent::of(h.env.numerator, m.servers_with_credential_sources),
        h.env.numerator,
        m.servers_with_credential_sources
    );
    let _ = writeln!(
        md,
        "| (same figure) | | {}% ({} / {}) | ways credentials reach a server (server × credential source) |",
        Percent::of(m.env_pairs, m.credential_source_pairs),
        m.env_pairs,
        m.credential_source_pairs
    );
    let _ = writeln!(
        md,
        "\nTheir 79% is a share of credentials, not of servers: a server with two secrets counts twice there. This run \
         does not enumerate every credential a server takes, only where it takes them from, so the closest it comes is \
         the last row: of all (server, credential source) pairs, the share that is the environment.\n"
    );
}
