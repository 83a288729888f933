//! The fetch stage: one request per repository where possible.
//!
//! A repository's default branch is downloaded as a tarball, streamed and
//! decompressed on the fly, and only the files the classifier reads are kept
//! (`mcp_survey_classify::wants`), under a per-file and a per-repository byte
//! cap. Large repositories, and all repositories while GitHub throttles
//! archive downloads, go through the trees and contents API instead. A
//! repository whose `pushed_at` has not changed since an earlier snapshot is
//! not fetched at all.

pub mod archive;
pub mod download;
mod trees;
mod worker;

pub use archive::{extract, Caps, ExtractError, Extracted, Layout, SkippedEntry};
pub use download::DownloadLimits;
pub use worker::{fetch_run, FetchError, FetchOptions, FetchPhases, FetchStats};
