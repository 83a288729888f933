//! Git object ids for a simulated repository, computed the way git does
//! (SHA-1 of `blob N\0...`, tree and commit objects), so that blob shas in the
//! trees API match what a client computes from the file bytes it downloads.

use std::collections::{BTreeMap, HashMap};

use crate::corpus::{SimLink, SimRepo};

pub const MODE_BLOB: &str = "100644";
pub const MODE_TREE: &str = "040000";
pub const MODE_SYMLINK: &str = "120000";
pub const MODE_SUBMODULE: &str = "160000";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryKind {
    Blob,
    Tree,
    /// A blob of mode 120000 whose content is the link target.
    Symlink,
    /// A gitlink (mode 160000): `sha` is the submodule's commit.
    Submodule,
}

#[derive(Debug, Clone)]
pub struct TreeEntry {
    pub name: String,
    pub kind: EntryKind,
    pub sha: String,
    /// Bytes, for blobs.
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct GitModel {
    pub commit_sha: String,
    pub root_tree: String,
    /// Direct children of every tree, by tree sha.
    pub trees: HashMap<String, Vec<TreeEntry>>,
    /// Every regular file, by path: (sha, size).
    pub blobs: BTreeMap<String, (String, u64)>,
    /// Every symlink and submodule, by path.
    pub links: BTreeMap<String, SimLink>,
    /// Commit time, epoch seconds.
    pub commit_time: i64,
}

pub fn blob_sha(content: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(format!("blob {}\0", content.len()).as_bytes());
    h.update(content);
    h.digest().to_string()
}

/// Filler files are generated on the fly and may be hundreds of MiB; hashing
/// them for real at load time would cost seconds per repository, so they get
/// a stable stand-in id instead (documented as not a real blob sha).
pub fn filler_sha(path: &str, size: u64) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(format!("mcp-survey-sim filler {path} {size}").as_bytes());
    h.digest().to_string()
}

/// Paths and sizes of the filler files a huge repository streams.
pub fn filler_files(total: u64) -> Vec<(String, u64)> {
    const CHUNK: u64 = 16 * 1024 * 1024;
    let mut out = Vec::new();
    let mut left = total;
    let mut i = 0;
    while left > 0 {
        let n = left.min(CHUNK);
        out.push((format!("assets/filler/part-{i:04}.bin"), n));
        left -= n;
        i += 1;
    }
    out
}

#[derive(Default)]
struct Dir {
    /// Non-tree entries by name: (kind, sha, size).
    blobs: BTreeMap<String, (EntryKind, String, u64)>,
    dirs: BTreeMap<String, Dir>,
}

impl GitModel {
    /// None for a repository without any file: GitHub calls that an empty
    /// repository and has no commit for it.
    pub fn build(repo: &SimRepo) -> Option<GitModel> {
        if repo.files.is_empty() && repo.filler_bytes == 0 {
            return None;
        }
        let mut root = Dir::default();
        let mut blobs = BTreeMap::new();
        let mut add = |path: &str, kind: EntryKind, sha: String, size: u64| {
            let mut parts: Vec<&str> = path.split('/').collect();
            let name = parts.pop().unwrap_or_default().to_string();
            let mut d = &mut root;
            for p in parts {
                d = d.dirs.entry(p.to_string()).or_default();
            }
            if kind == EntryKind::Blob {
                blobs.insert(path.to_string(), (sha.clone(), size));
            }
            d.blobs.insert(name, (kind, sha, size));
        };
        for (path, content) in &repo.files {
            add(
                path,
                EntryKind::Blob,
                blob_sha(content),
                content.len() as u64,
            );
        }
        for (path, size) in filler_files(repo.filler_bytes) {
            let sha = filler_sha(&path, size);
            add(&path, EntryKind::Blob, sha, size);
        }
        for (path, link) in &repo.links {
            match link {
                SimLink::Symlink { target } => add(
                    path,
                    EntryKind::Symlink,
                    blob_sha(target.as_bytes()),
                    target.len() as u64,
                ),
                SimLink::Submodule { commit, .. } => {
                    add(path, EntryKind::Submodule, commit.clone(), 0)
                }
            }
        }
        let mut trees = HashMap::new();
        let root_tree = write_tree(&root, &mut trees);
        let commit_time = repo
            .meta
            .pushed_at
            .unwrap_or(repo.meta.created_at)
            .timestamp();
        let body = format!(
            "tree {root_tree}\nauthor mcp-survey-sim <sim@users.noreply.invalid> {commit_time} +0000\ncommitter mcp-survey-sim <sim@users.noreply.invalid> {commit_time} +0000\n\nSnapshot of {}\n",
            repo.meta.full_name
        );
        let mut h = sha1_smol::Sha1::new();
        h.update(format!("commit {}\0", body.len()).as_bytes());
        h.update(body.as_bytes());
        Some(GitModel {
            commit_sha: h.digest().to_string(),
            root_tree,
            trees,
            blobs,
            links: repo.links.clone(),
            commit_time,
        })
    }

    /// Entries of a tree, recursively in git's order (each tree followed by
    /// its contents), with paths relative to that tree as the trees API
    /// gives them.
    pub fn walk(&self, tree_sha: &str, recursive: bool) -> Vec<(String, TreeEntry)> {
        let mut out = Vec::new();
        self.walk_into(tree_sha, "", recursive, &mut out);
        out
    }

    fn walk_into(
        &self,
        sha: &str,
        prefix: &str,
        recursive: bool,
        out: &mut Vec<(String, TreeEntry)>,
    ) {
        let Some(entries) = self.trees.get(sha) else {
            return;
        };
        for e in entries {
            let path = if prefix.is_empty() {
                e.name.clone()
            } else {
                format!("{prefix}/{}", e.name)
            };
            out.push((path.clone(), e.clone()));
            if recursive && e.kind == EntryKind::Tree {
                self.walk_into(&e.sha, &path, recursive, out);
            }
        }
    }
}

fn write_tree(dir: &Dir, trees: &mut HashMap<String, Vec<TreeEntry>>) -> String {
    let mut entries: Vec<TreeEntry> = Vec::new();
    for (name, sub) in &dir.dirs {
        let sha = write_tree(sub, trees);
        entries.push(TreeEntry {
            name: name.clone(),
            kind: EntryKind::Tree,
            sha,
            size: 0,
        });
    }
    for (name, (kind, sha, size)) in &dir.blobs {
        entries.push(TreeEntry {
            name: name.clone(),
            kind: kind.clone(),
            sha: sha.clone(),
            size: *size,
        });
    }
    // git orders tree entries by name, comparing a tree's name as if it ended in '/'.
    entries.sort_by_key(sort_key);
    let mut raw = Vec::new();
    for e in &entries {
        let mode = match e.kind {
            EntryKind::Blob => "100644",
            EntryKind::Tree => "40000",
            EntryKind::Symlink => MODE_SYMLINK,
            EntryKind::Submodule => MODE_SUBMODULE,
        };
        raw.extend_from_slice(format!("{mode} {}\0", e.name).as_bytes());
        raw.extend_from_slice(&hex::decode(&e.sha).unwrap_or_else(|_| vec![0; 20]));
    }
    let mut h = sha1_smol::Sha1::new();
    h.update(format!("tree {}\0", raw.len()).as_bytes());
    h.update(&raw);
    let sha = h.digest().to_string();
    trees.insert(sha.clone(), entries);
    sha
}

/// Where a symlink at `link_path` points, as a repository path: `None` when
/// it leaves the repository or is absolute.
pub fn resolve_link(link_path: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = link_path.split('/').collect();
    parts.pop();
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn sort_key(e: &TreeEntry) -> Vec<u8> {
    let mut k = e.name.as_bytes().to_vec();
    if e.kind == EntryKind::Tree {
        k.push(b'/');
    }
    k
}

// Here rather than in `corpus`, which knows nothing of git: the corpus is
// files and metadata, and the git model is built from it.
impl SimRepo {
    /// The commit sha the simulator serves for this repository (None when it
    /// has no file, i.e. an empty repository).
    pub fn commit_sha(&self) -> Option<String> {
        GitModel::build(self).map(|g| g.commit_sha)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_sha_matches_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            blob_sha(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        // The empty blob every git user has seen.
        assert_eq!(blob_sha(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
    }
}
