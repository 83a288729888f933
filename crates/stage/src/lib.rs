//! One way through a stage's queue, shared by harvest, fetch and classify.
//!
//! A stage says how to claim items, whether its queue may still yield any,
//! how to renew the leases of the items in hand, how to work on them and
//! what to do when that work panics ([`StageWork`]); [`run_stage`] runs its
//! workers: claim → work (renewing the leases) → count, an idle wait when
//! nothing is ready, until the queue is empty or a stop is asked for.
//!
//! The queue itself (`FOR UPDATE SKIP LOCKED`, leases, take-back) belongs
//! to `mcp-survey-store`; this crate knows nothing of Postgres. Progress
//! reaches the front end through the [`Progress`] trait, so no stage
//! depends on a terminal library.

mod driver;
mod progress;

pub use driver::{run_stage, DriverOptions, DriverStats, StageWork, WorkerCrashed};
pub use progress::{hidden, HiddenProgress, Progress};
/// Asks a stage to stop: see [`DriverOptions::stop`].
pub use tokio_util::sync::CancellationToken;
