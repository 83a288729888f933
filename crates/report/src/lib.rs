//! Reports of a survey run: the study's headline figures with their exact
//! numerators, denominators and confidence intervals, the funnel from
//! repositories found to servers, breakdowns, charts and CSV files; the
//! difference between two runs; and the labelled dataset for sharing.
//!
//! Invariant: every number a report shows is also computed by a file in
//! `queries/`, with the same rounding (`Percent`), and a test checks that
//! the two agree cell by cell.

mod aggregate;
mod charts;
pub mod csv;
mod headline;
mod markdown;
mod stats;
mod tables;
mod write;

pub use aggregate::{
    breakdowns, Breakdowns, CountRow, EnvVarRow, ExclusionRow, FacetRow, SeedQueryRow, ServiceRow,
};
pub use headline::{funnel, headline, Funnel, Headline, Share, PUBLISHED};
pub use markdown::facet_line;
pub use stats::{wilson_interval, Percent};
pub use write::{
    build_summary, render_markdown, render_table, write_report, ReportError, ReportFiles, Summary,
};
