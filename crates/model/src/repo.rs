use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// GitHub's code search only indexes files smaller than this (384 KB). The
/// planner slices code queries by `size:` up to it and the simulator serves
/// code search under it, so both read this one value.
pub const CODE_SEARCH_MAX_FILE_BYTES: u64 = 384 * 1024;

/// GitHub's repository object, reduced to the fields the survey keeps. Field
/// names are GitHub's own, so the same struct reads API answers and the
/// simulator's `meta.jsonl`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoMeta {
    pub id: i64,
    pub full_name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub topics: Vec<String>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub stargazers_count: i64,
    #[serde(default)]
    pub forks_count: i64,
    #[serde(default)]
    pub fork: bool,
    #[serde(default)]
    pub archived: bool,
    pub created_at: DateTime<Utc>,
    pub pushed_at: Option<DateTime<Utc>>,
    #[serde(default = "default_branch")]
    pub default_branch: String,
    /// Size in KiB, as GitHub reports it.
    #[serde(default)]
    pub size: i64,
}

fn default_branch() -> String {
    "main".to_string()
}

impl RepoMeta {
    pub fn owner(&self) -> &str {
        self.full_name.split_once('/').map_or("", |(o, _)| o)
    }

    pub fn name(&self) -> &str {
        self.full_name
            .split_once('/')
            .map_or(&self.full_name, |(_, n)| n)
    }
}

/// `OWNER/NAME` <-> the `OWNER__NAME` folder name of the corpus layout.
pub fn folder_name(full_name: &str) -> String {
    full_name.replacen('/', "__", 1)
}

pub fn full_name_from_folder(folder: &str) -> Option<String> {
    folder.split_once("__").map(|(o, n)| format!("{o}/{n}"))
}

/// The repository name a local checkout stands for: `OWNER/NAME` for a folder
/// in the corpus layout (`OWNER__NAME`), else the folder name itself (what
/// `git clone` creates).
pub fn full_name_for_checkout(folder: &std::path::Path) -> Option<String> {
    let name = folder.file_name()?.to_str()?;
    Some(full_name_from_folder(name).unwrap_or_else(|| name.to_string()))
}
