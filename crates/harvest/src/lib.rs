//! Discovery: seed queries, the query planner that slices each one under
//! GitHub's 1,000-result cap, and the harvest loop that pages through every
//! slice and records which slice found which repository.

mod harvest;
pub mod planner;
pub mod seeds;

pub use harvest::{harvest, HarvestError, HarvestOptions, HarvestStats};
pub use seeds::{SeedError, SeedFile, SeedQuery, DEFAULT_SEEDS};
