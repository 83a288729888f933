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
#[cfg(feature = "testing")]
mod inspect;
mod reporting;
mod runs;
mod slices;
mod snapshots;
#[cfg(feature = "testing")]
pub mod testing;

pub use connect::{check_url, connect, open_existing, redact_url};
pub use error::StoreError;
#[cfg(feature = "testing")]
pub use inspect::{ClaimCounts, FetchNote, Leftovers, Param, RepositoryOutcome, RunProgress};
pub use jobs::{ClaimedJob, JobFailure, QueueDepth, Stage};
pub use labels::{NewLabel, StoredLabels};
pub use registry::{
    MissedByReason, RegistryEntryWrite, RegistryListing, RegistryMatch, RepositorySources,
    RunRegistryEntry, SecretAgreement, SourceHeadline, SourceOverlap, StoredRegistryEntry,
    HEADLINE_BY_SOURCE, MISSED_BY_SEARCH, SECRET_AGREEMENT, SOURCE_OVERLAP,
};
pub use reporting::{
    AuditScoreRecord, ClassifiedLabels, CredentialSourceTotals, EnvVarCount, ExclusionCount, Facet,
    FacetCounts, FunnelCounts, HeadlineCounts, KeyCount, LabelExport, LabelPair, SeedQueryYield,
    SeedSlices, ServiceCount,
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
    pub(crate) fn from_pool(pool: PgPool) -> Self {
        Store { pool }
    }

    /// Only the store runs SQL: the pool stays inside this crate.
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection, waiting for those in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");
