//! Domain types shared by every stage of mcp-survey.
//!
//! The label vocabulary of `docs/labels.md`, field by field; the
//! string form of every enum (its serde name) is what is stored in Postgres and
//! written to JSON, so `as_str` and serde must agree.

mod labels;
mod repo;

pub use labels::*;
pub use repo::*;
