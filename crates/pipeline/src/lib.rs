//! The stages of a survey run wired together: harvest → fetch → classify →
//! report, each reading its input from Postgres, so a run can stop at any
//! point and resume where it stopped.

mod run;

/// The classify stage lives in `mcp-survey-label`, beside harvest and fetch.
pub use mcp_survey_label::{classify_run, ClassifyError, ClassifyOptions, ClassifyStats};
pub use run::{
    hidden_bars, open_run, run_pipeline, run_pipeline_reporting, BarFactory, PipelineError,
    RunOptions, RunOutcome, StageSummary,
};
