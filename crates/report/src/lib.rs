//! Reports of a survey run: the study's headline figures with their exact
//! numerators, denominators and confidence intervals, the funnel from
//! repositories found to servers, breakdowns, charts and CSV files; the
//! difference between two runs; and the labelled dataset for sharing.
//!
//! Invariant: every count and raw share a report shows is also computed by
//! a file in `queries/`, with the same rounding (`Percent`), and a test
//! checks that the two agree cell by cell. The corrected figures are the
//! exception: they come from a seeded bootstrap (`correction`), not SQL,
//! and `corrected.csv` and `summary.json` carry them with their inputs.
//!
//! Invariant: a report of a run that did not read public GitHub (the
//! simulator) says so on top and links no repository to github.com.

mod aggregate;
pub mod audit;
mod cells;
mod charts;
mod compare;
pub mod corrected;
pub mod correction;
pub mod csv;
mod export;
mod headline;
mod markdown;
pub mod methods;
pub mod queries;
pub mod sources;
mod stats;
mod summary;
mod tables;
mod write;

pub use aggregate::{
    breakdowns, Breakdowns, CountRow, EnvVarRow, ExclusionRow, FacetRow, SeedQueryRow, ServiceRow,
};
pub use audit::{AuditError, AuditScore, DrawnSheet, EvidenceRef, SheetRow};
pub use compare::{
    changes_csv, compare, render_comparison, shares_csv, write_comparison, Change, ChangeKind,
    Comparison, ComparisonFiles, RunRef, ShareChange,
};
pub use corrected::{Accuracy, AccuracyChoice, AccuracySource, Correction, FigureEstimate};
pub use export::{
    export_rows, export_rows_with, write_export, ExportFormat, ExportRow, EXPORT_COLUMNS,
};
pub use headline::{funnel, headline, Funnel, Headline, Share, PUBLISHED};
pub use markdown::facet_line;
pub use stats::{wilson_interval, Percent};
pub use summary::{build_summary, summary_with, Summary};
pub use write::{
    render_markdown, render_table, report_folder_name, report_is_complete, write_report,
    write_report_with, ReportError, ReportFiles,
};
