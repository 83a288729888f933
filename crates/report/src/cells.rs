//! Cells of the report's text tables: shares with their counts and
//! intervals, percentages, and the banner of a run not against GitHub.

use crate::headline::Share;
use crate::stats::Percent;

pub(crate) fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// `77.2% (312 / 404; 95% CI 72.9%–81.0%)`, with the same rounding as the
/// CSV files and queries/headline.sql.
pub(crate) fn share_cell(s: &Share) -> String {
    format!(
        "{}% ({} / {}; 95% CI {}%–{}%)",
        Percent::of(s.numerator, s.denominator),
        s.numerator,
        s.denominator,
        Percent::from_fraction(s.ci95_low),
        Percent::from_fraction(s.ci95_high)
    )
}

/// The note on top of a report of a run that did not talk to public
/// GitHub: a loopback address is the bundled simulator's synthetic corpus.
pub(crate) fn not_github_banner(api_url: &str) -> String {
    let loopback = ["127.0.0.1", "localhost", "[::1]", "::1"]
        .iter()
        .any(|h| api_url.contains(&format!("://{h}")));
    if loopback {
        format!(
            "> **Synthetic data.** This run read the bundled GitHub simulator at `{api_url}`, not github.com: every \
             repository, count and share here is made up by the simulator's corpus generator and says nothing about \
             the real MCP ecosystem. No repository is linked to github.com.\n"
        )
    } else {
        format!(
            "> **Not public GitHub.** This run read `{api_url}`, not api.github.com; no repository is linked to github.com.\n"
        )
    }
}
