//! The classifier: from a repository's files to the labels of
//! `docs/labels.md` (is it an MCP server, which SDK and transport,
//! which secrets it needs and where from), each with its evidence.
//!
//! `classify` is pure and deterministic, so stored snapshots can be
//! re-labelled whenever the rules (and `CLASSIFIER_VERSION`) change.

mod auth;
mod ctx;
pub mod eval;
mod identity;
mod kind;
mod names;
mod paths;
mod secrets;
mod snippets;
mod transport;

use std::path::{Path, PathBuf};

use mcp_survey_model::{Kind, Labels, RepoFile, RepoFiles, Verdict};

pub use paths::wants;

/// Bump whenever a rule changes: labels are stored per version.
pub const CLASSIFIER_VERSION: &str = "2026.11.18";

/// Only the first this many bytes of a file are read: a generated bundle
/// or data dump says nothing more past it, while a hand-written entry point
/// that large still declares its server, imports and settings near the top.
pub const MAX_FILE_BYTES: u64 = 256 * 1024;

/// The bytes of a file the classifier reads: all of them up to
/// `MAX_FILE_BYTES`, else the head cut after its last line break. The
/// fetcher keeps exactly these, so a fetched snapshot labels like a checkout.
pub fn head_bytes(bytes: &[u8]) -> &[u8] {
    if bytes.len() as u64 <= MAX_FILE_BYTES {
        return bytes;
    }
    let cut = &bytes[..MAX_FILE_BYTES as usize];
    match cut.iter().rposition(|b| *b == b'\n') {
        Some(i) => &cut[..=i],
        None => cut,
    }
}

/// The part of a file the classifier reads: all of it up to
/// `MAX_FILE_BYTES`, else its head cut at the last line break so no token
/// is split. `None` for binary content (a NUL byte in the kept part).
pub fn readable_head(bytes: &[u8]) -> Option<String> {
    let head = head_bytes(bytes);
    if head.contains(&0) {
        return None;
    }
    Some(String::from_utf8_lossy(head).into_owned())
}

/// Labels one repository.
pub fn classify(files: &RepoFiles) -> Verdict {
    let repo = ctx::Repo::new(files);
    let mut ev = ctx::Ev::default();
    let k = kind::detect(&repo, &mut ev);
    let language = kind::language(&repo, &k.server_roots);
    if k.kind != Kind::Server {
        return Verdict {
            labels: Labels::non_server(k.kind, language),
            evidence: ev.0,
        };
    }

    let in_roots = |f: &ctx::File| k.server_roots.iter().any(|r| f.under(r));
    let scope: Vec<&ctx::File> = repo.files.iter().filter(|f| k.in_scope(f)).collect();
    let docs: Vec<&ctx::File> = repo
        .files
        .iter()
        .filter(|f| {
            let name = f.name_lower();
            let top = !f.path.contains('/')
                || k.server_roots
                    .iter()
                    .any(|r| !r.is_empty() && paths::parent_dir(f.path) == r);
            let template = paths::is_env_template_name(&name);
            let config =
                name.starts_with("smithery") || name == "server.json" || name == "manifest.json";
            (top && (paths::is_readme(f.path) || template || config))
                || (template && in_roots(f) && f.role != paths::Role::Test)
        })
        .collect();

    let transport = transport::detect(&scope, &k.sdk, &mut ev);
    // Each README's title and opening sentence.
    let readme_heads: Vec<String> = docs
        .iter()
        .filter(|f| paths::is_readme(f.path))
        .map(|f| kind::readme_head(f.text, 2))
        .collect();
    let identity = identity::identity(
        files.full_name.as_deref(),
        repo.files
            .iter()
            .filter(|f| {
                paths::is_manifest(f.path)
                    && k.server_roots
                        .iter()
                        .any(|r| paths::parent_dir(f.path) == r)
            })
            .map(|f| f.text),
        &readme_heads,
    );
    // A relay: its code connects to other MCP servers and it presents
    // itself as a gateway or proxy, not as the server of one service.
    let relays = k.also_a_client
        && identity::calls_itself_a_relay(files.full_name.as_deref(), &readme_heads);
    let mut a = auth::detect(&scope, &docs, &identity, relays, &mut ev);
    auth::settle_login_across_servers(&mut a, &k.server_roots, &scope, &docs, &identity, &mut ev);
    Verdict {
        labels: Labels {
            kind: k.kind,
            language,
            sdk: k.sdk,
            transport,
            credentials: a.credentials,
            auth_methods: a.methods,
            credential_sources: a.sources,
            env_vars: a.env_vars,
        },
        evidence: ev.0,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(
        "cannot read repository folder {path}: {source}; check that it exists and is readable"
    )]
    Dir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read file {path}: {source}; check its permissions")]
    File {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Reads a local checkout the way the fetcher keeps a tarball: only the
/// files `wants` names, the head of any above `MAX_FILE_BYTES`, none with
/// NUL bytes.
pub fn load_dir(root: &Path) -> Result<RepoFiles, LoadError> {
    let mut files = Vec::new();
    let meta = std::fs::metadata(root).map_err(|source| LoadError::Dir {
        path: root.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(LoadError::Dir {
            path: root.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        });
    }
    walk(root, "", &mut files)?;
    files.sort_by(|a: &RepoFile, b: &RepoFile| a.path.cmp(&b.path));
    Ok(RepoFiles {
        full_name: None,
        description: None,
        files,
    })
}

/// Reads at most one byte past `MAX_FILE_BYTES`: enough to tell a file
/// that is cut from one that fits.
fn read_head(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<RepoFile>) -> Result<(), LoadError> {
    let rd = std::fs::read_dir(dir).map_err(|source| LoadError::Dir {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_symlink() {
            continue;
        }
        if ft.is_dir() {
            // Cheap pruning: a folder wants() rejects for every file below it.
            if !wants(&format!("{path}/x.py")) {
                continue;
            }
            walk(&e.path(), &path, out)?;
        } else if ft.is_file() && wants(&path) {
            let bytes = read_head(&e.path()).map_err(|source| LoadError::File {
                path: e.path(),
                source,
            })?;
            let Some(text) = readable_head(&bytes) else {
                continue;
            };
            out.push(RepoFile { path, text });
        }
    }
    Ok(())
}
