//! Postgres storage for every stage of mcp-survey.
//!
//! Postgres is the one coordination point of the pipeline: every stage reads
//! its input from here and writes its output here, so no in-memory state is
//! needed to resume, and several processes can share a stage through the job
//! queue (`FOR UPDATE SKIP LOCKED` with leases).

pub mod clean;
mod completion;
mod connect;
mod error;
mod jobs;
mod labels;
mod registry;
mod repos;
pub use repos::KnownRepository;
mod runs;
mod slices;
mod snapshots;
pub mod testing;

pub use connect::{check_url, connect, open_existing, redact_url};
pub use error::StoreError;
pub use jobs::{ClaimedJob, JobFailure, QueueDepth, Stage};
pub use labels::{NewLabel, StoredLabels};
pub use registry::{
    MissedByReason, RegistryEntryWrite, RegistryListing, RegistryMatch, RepositorySources,
    RunRegistryEntry, SecretAgreement, SourceHeadline, SourceOverlap, StoredRegistryEntry,
    HEADLINE_BY_SOURCE, MISSED_BY_SEARCH, SECRET_AGREEMENT, SOURCE_OVERLAP,
};
pub use runs::{Run, RunStatus};
pub use slices::{
    NewSlice, PageQuality, PageWrite, SearchCompleteness, SeedQueryRow, Slice, SliceCounts,
    SliceState,
};
pub use snapshots::{NewFile, NewSnapshot, ReusableSnapshot};

use sqlx::PgPool;

/// Handle to the survey database. Cheap to clone (a pool inside).
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
}

impl Store {
    pub fn from_pool(pool: PgPool) -> Self {
        Store { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");
