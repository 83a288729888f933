//! A GitHub REST API simulator and a synthetic corpus of the MCP ecosystem.
//!
//! mcp-survey's tests, benchmarks and offline demo run against this server
//! over real HTTP on 127.0.0.1: the same client that talks to
//! api.github.com talks to it, only the base URL differs. It serves a
//! [`Corpus`] (a directory in the `--corpus` layout or one made by
//! [`synthetic::generate`]) with GitHub's search syntax and 1,000-result cap,
//! pagination links, rate limits (scaled by `time_scale`), secondary limits,
//! ETags, tarballs via a codeload-style redirect, trees, contents and
//! injected faults.
//!
//! Invariants:
//! - Everything derived from a corpus is deterministic: the same corpus gives
//!   the same ids, shas, orderings and tarballs.
//! - A tarball is streamed from a blocking generator into a bounded channel:
//!   memory stays constant whatever the repository's size.
//! - Tokens never appear in stats or logs, only a `sha256:` prefix.
//! - It answers as GitHub does, not as the client expects: no ETag on
//!   search, no `Retry-After` on a share of secondary limits, archives from
//!   another host name without rate-limit headers, search pages with items
//!   missing (`incomplete`, `short_page` faults) while `Link` still names the
//!   next page. Its only non-GitHub headers (`x-sim-*`) repeat GitHub's own
//!   ones with sub-second precision.

pub mod app_keys;
mod corpus;
mod error;
mod faults;
mod git;
mod index;
mod limits;
mod oracle;
mod prng;
mod query;
pub mod registry;
mod server;
mod stats;
pub mod synthetic;
mod tarball;
mod tokens;

pub use corpus::{default_meta, language_of_path, Corpus, HostileEntry, SimLink, SimRepo};
pub use error::SimError;
pub use faults::{FaultConfig, FaultKind, NamedFault};
pub use git::blob_sha;
pub use limits::{BucketReport, Limit, Limits, Resource, SecondaryLimits};
pub use oracle::SearchOracle;
pub use prng::Rng;
pub use registry::{Registry, RegistryEntry};
pub use server::{
    installation_id, serve, serve_with_registry, AppKey, AppStats, SimConfig, SimHandle,
    INSTALLATION_TOKEN_PREFIX,
};
pub use stats::SimStats;
pub use tokens::tokenize_to_vec as tokenize;
