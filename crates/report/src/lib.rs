//! Reports of a survey run: the study's headline figures with their exact
//! numerators, denominators and confidence intervals, and the funnel from
//! repositories found to servers.

mod headline;
mod stats;
mod write;

pub use headline::{funnel, headline, Funnel, Headline, Share, PUBLISHED};
pub use stats::wilson_interval;
pub use write::{render_markdown, render_table, write_report, ReportError, ReportFiles, Summary};
