use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One page of a search answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchPage<T> {
    pub total_count: u64,
    /// GitHub gave up part of the search (timeout); the counts may be low.
    pub incomplete_results: bool,
    pub items: Vec<T>,
    /// The `Link` header has a `rel="next"` page.
    pub has_next: bool,
    /// The page number of `rel="last"`, when GitHub gives one.
    pub last_page: Option<u32>,
    /// Items GitHub sent that did not have the expected shape (a field of
    /// the wrong type, a missing id): skipped rather than failing the page,
    /// and reported here so the caller can log them.
    pub skipped: Vec<SkippedItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedItem {
    /// Position of the item in the page.
    pub index: usize,
    /// The item's `full_name` (or repository's), when it could be read.
    pub name: Option<String>,
    pub error: String,
}

/// A code-search hit: the file and the repository it is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeHit {
    pub name: String,
    pub path: String,
    pub sha: String,
    #[serde(default)]
    pub html_url: Option<String>,
    pub repository: MinimalRepo,
}

/// The reduced repository object code search returns (no stars, no dates).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MinimalRepo {
    pub id: i64,
    pub full_name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub fork: bool,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub html_url: Option<String>,
}

/// The answer to a conditional request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conditional<T> {
    /// 304: what the caller stored under that ETag is still current.
    NotModified,
    Modified {
        value: T,
        etag: Option<String>,
    },
}

impl<T> Conditional<T> {
    pub fn modified(self) -> Option<T> {
        match self {
            Conditional::NotModified => None,
            Conditional::Modified { value, .. } => Some(value),
        }
    }
}

/// A commit as the fetcher needs it: its sha and its root tree's sha.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitInfo {
    pub sha: String,
    pub tree_sha: String,
}

/// A recursive git tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tree {
    pub sha: String,
    pub entries: Vec<TreeEntry>,
    /// GitHub stopped listing (over 100,000 entries or 7 MB): entries are a
    /// prefix of the real tree.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeEntry {
    pub path: String,
    #[serde(default)]
    pub mode: String,
    /// `blob`, `tree` or `commit` (a submodule).
    #[serde(rename = "type")]
    pub kind: String,
    pub sha: String,
    /// Bytes, for blobs.
    #[serde(default)]
    pub size: Option<u64>,
}

/// Git's file mode of a symbolic link: listed by the trees API as a `blob`
/// (its content is the link target).
pub const MODE_SYMLINK: &str = "120000";
/// Git's file mode of a submodule (a `commit` entry, a gitlink).
pub const MODE_SUBMODULE: &str = "160000";

impl TreeEntry {
    pub fn is_blob(&self) -> bool {
        self.kind == "blob"
    }

    pub fn is_symlink(&self) -> bool {
        self.is_blob() && self.mode == MODE_SYMLINK
    }

    pub fn is_submodule(&self) -> bool {
        self.kind == "commit" || self.mode == MODE_SUBMODULE
    }

    /// A regular file: a blob that is not a symlink. A tarball holds the
    /// same set of files (links are skipped there, submodules are empty), so
    /// both fetch paths keep the same files.
    pub fn is_file(&self) -> bool {
        self.is_blob() && !self.is_symlink() && !self.is_submodule()
    }
}

/// `GET /rate_limit` for every configured token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateLimitReport {
    pub tokens: Vec<TokenLimits>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenLimits {
    /// "token 1 of 2", or "anonymous": never the token itself.
    pub token: String,
    /// Per resource (`core`, `search`, `code_search`, `graphql`, ...).
    pub resources: BTreeMap<String, ResourceLimit>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceLimit {
    pub limit: u64,
    pub remaining: u64,
    /// Epoch seconds (fractional from a simulator with scaled time).
    pub reset: f64,
    #[serde(default)]
    pub used: u64,
}
