//! Discovery: seed queries, the query planner that slices each one under
//! GitHub's 1,000-result cap, and the harvest loop that pages through every
//! slice and records which slice found which repository.

mod harvest;
pub mod planner;
pub mod registry;
pub mod registry_client;
pub mod repo_url;
pub mod seeds;

pub use harvest::{harvest, HarvestError, HarvestOptions, HarvestStats};
pub use registry::{harvest_registries, RegistryOptions, RegistryStats};
pub use registry_client::{RegistryClientConfig, RegistryError};
pub use seeds::{RegistrySeed, SeedError, SeedFile, SeedQuery, DEFAULT_SEEDS};
