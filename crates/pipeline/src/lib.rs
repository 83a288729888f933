//! The stages of a survey run wired together: harvest → fetch → classify →
//! report, each reading its input from Postgres, so a run can stop at any
//! point and resume where it stopped.

mod classify_stage;
mod run;

pub use classify_stage::{classify_run, ClassifyOptions, ClassifyStats};
pub use run::{
    open_run, run_pipeline, run_pipeline_reporting, BarFactory, PipelineError, RunOptions,
    RunOutcome, StageSummary,
};
