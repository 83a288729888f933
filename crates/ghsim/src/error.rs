use std::path::PathBuf;

/// Everything that can go wrong loading, writing or serving a simulated corpus.
/// Each message names what failed and what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot read corpus directory {path}: {source} (pass --corpus a readable directory holding one OWNER__NAME folder per repository)")]
    ReadDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot write {path}: {source} (check the directory is writable and the disk has room)"
    )]
    WriteFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    BadLine {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("corpus folder {folder:?} is not named OWNER__NAME; rename it (e.g. octocat__hello-world) or move it out of {dir}")]
    BadFolderName { dir: PathBuf, folder: String },
    #[error("repository {repo}: file path {path:?} is not a safe relative path (no empty, absolute or '..' segments allowed)")]
    UnsafePath { repo: String, path: String },
    #[error(
        "refusing to write a corpus into non-empty directory {0}; choose a new or empty directory"
    )]
    NotEmpty(PathBuf),
    #[error("repository {0} appears twice in the corpus; full names must be unique")]
    Duplicate(String),
    #[error("cannot bind the simulator to {addr}: {source} (choose another port, or port 0 for a free one)")]
    Bind {
        addr: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid simulator configuration: {0}")]
    Config(String),
    #[error("building the search index failed: {0}")]
    Index(String),
}
