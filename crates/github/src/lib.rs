//! The GitHub client of mcp-survey: the one layer every GitHub request goes
//! through, so the request budget, not our code, limits the speed.
//!
//! API calls are sent by octocrab (its raw `GET`/`POST`, so the answer's
//! headers reach the gate); archive downloads are streamed by reqwest.
//! Credentials are personal access tokens, a GitHub App's installation
//! token (`app.rs`: signed JWT, renewed before expiry and once on a 401),
//! or both; each is its own rate-limit bucket.
//!
//! - [`gate`](crate::GithubClient) paces each (token, resource) by what the
//!   `x-ratelimit-*` headers of every answer say (see `gate.rs` for the
//!   algorithm): it never sends a request it knows will be refused, sleeps
//!   to the reset, and adapts to any window length (a simulator with scaled
//!   time included).
//! - Secondary limits (403/429) honour `Retry-After`, else the reset, else
//!   wait at least `secondary_min_wait`, doubling with jitter. 5xx, network
//!   errors and cut-off bodies back off exponentially with jitter; 401, 404,
//!   409, 422, 451 are typed errors, never retried.
//! - Archives (tarballs) are streamed, in their own bucket, with their own
//!   concurrency cap and a `governor` pacer; a 429 pauses archives only.
//! - Tokens never appear in `Debug`, `Display`, logs or errors.
//! - Only what GitHub sends decides: `x-ratelimit-*`, `Retry-After`, `Link`,
//!   status and body. The simulator's `x-sim-*` headers are optional hints
//!   that refine the whole seconds of a reset or Retry-After GitHub's own
//!   header announced, never a signal on their own
//!   (`tests/contract.rs` runs every case without them).
//! - A 403 whose body holds a `block` object ("Repository access blocked")
//!   is a gone repository (`Blocked`), like 404 and 451, not a permission
//!   error; symlinks and submodules are never read as files.

mod app;
mod archive;
mod client;
mod config;
mod credentials;
mod endpoints;
mod error;
mod gate;
mod headers;
mod redirect;
mod request;
mod resource;
mod retry;
mod stats;
mod token;
mod transport;
mod types;

pub use app::AppCredentials;
pub use archive::TarballStream;
pub use client::{GithubClient, CLIENT_HEADER};
pub use config::{parse_base_url, ClientConfig, GITHUB_API_URL};
pub use error::GithubError;
pub use mcp_survey_model::RepoMeta;
pub use redirect::{check_archive_redirect, GITHUB_DOWNLOAD_HOST};
pub use stats::{ClientStats, ResourceStats};
pub use token::Token;
pub use types::*;
pub use url::Url;
