//! The simulator's corpus: repositories with GitHub metadata, files and (for
//! synthetic corpora) their true labels, and the on-disk `--corpus` layout.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, TimeZone, Utc};
use mcp_survey_model::{folder_name, full_name_from_folder, LabelledRepo, RepoMeta};
use serde::{Deserialize, Serialize};

use crate::error::SimError;
use crate::prng::fnv1a;

/// A tarball entry that a careful extractor must refuse. Repositories carrying
/// these exist so the fetcher's security tests can reach them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HostileEntry {
    /// Entries named `TOP/../../x` and `../x`.
    PathTraversal,
    /// An entry named `/tmp/...`.
    AbsolutePath,
    /// Symlinks to `/etc/passwd` and to `../../..`, then a file written
    /// "through" the latter.
    Symlink,
    /// A hard link to `/etc/passwd` and one to `../outside`.
    Hardlink,
    /// Character and block device nodes and a FIFO.
    DeviceFile,
    /// A file of zeros of `SimConfig::gzip_bomb_bytes` (1 GiB by default)
    /// that compresses to about a thousandth of that.
    GzipBomb,
}

impl HostileEntry {
    pub const ALL: &'static [HostileEntry] = &[
        HostileEntry::PathTraversal,
        HostileEntry::AbsolutePath,
        HostileEntry::Symlink,
        HostileEntry::Hardlink,
        HostileEntry::DeviceFile,
        HostileEntry::GzipBomb,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HostileEntry::PathTraversal => "path_traversal",
            HostileEntry::AbsolutePath => "absolute_path",
            HostileEntry::Symlink => "symlink",
            HostileEntry::Hardlink => "hardlink",
            HostileEntry::DeviceFile => "device_file",
            HostileEntry::GzipBomb => "gzip_bomb",
        }
    }
}

/// One simulated repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRepo {
    pub meta: RepoMeta,
    /// Files of the default branch by path (`/`-separated, relative).
    pub files: BTreeMap<String, Vec<u8>>,
    /// The true labels, when known (synthetic corpora, labelled fixtures).
    pub truth: Option<LabelledRepo>,
    /// Bytes of generated filler streamed in the tarball as
    /// `assets/filler/part-NNNN.bin` (16 MiB each), never held in memory.
    /// Used for memory benchmarks with "huge" repositories.
    pub filler_bytes: u64,
    /// Hostile tarball entries appended after the regular files.
    pub hostile: Vec<HostileEntry>,
    /// Symbolic links and submodules by path: in the trees API (modes
    /// 120000 and 160000), the contents API (`type: symlink / submodule`)
    /// and the tarball (a symlink entry, an empty folder), as on GitHub.
    pub links: BTreeMap<String, SimLink>,
}

/// A tree entry that is not a regular file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum SimLink {
    /// A symbolic link to `target` (relative to the link's folder).
    Symlink { target: String },
    /// A submodule at commit `commit` of the repository at `url`.
    Submodule { url: String, commit: String },
}

impl SimRepo {
    /// A repository with the given files and metadata derived from its name
    /// and files (see [`default_meta`]).
    pub fn new(full_name: &str, files: BTreeMap<String, Vec<u8>>) -> SimRepo {
        let meta = default_meta(full_name, &files, 0);
        SimRepo {
            meta,
            files,
            truth: None,
            filler_bytes: 0,
            hostile: Vec::new(),
            links: BTreeMap::new(),
        }
    }

    pub fn full_name(&self) -> &str {
        &self.meta.full_name
    }

    /// Text of the root README, if any.
    pub fn readme(&self) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(p, _)| !p.contains('/') && p.to_ascii_lowercase().starts_with("readme"))
            .map(|(_, c)| c.as_slice())
    }
}

/// A set of repositories the simulator serves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Corpus {
    pub repos: Vec<SimRepo>,
}

/// Simulator-only extras kept in a meta.jsonl line under this key, so that a
/// written corpus round-trips huge and hostile repositories.
const SIM_KEY: &str = "x_sim";

#[derive(Debug, Default, Serialize, Deserialize)]
struct SimExtras {
    #[serde(default, skip_serializing_if = "is_zero")]
    filler_bytes: u64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    hostile: Vec<HostileEntry>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    links: BTreeMap<String, SimLink>,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl Corpus {
    pub fn get(&self, full_name: &str) -> Option<&SimRepo> {
        self.repos
            .iter()
            .find(|r| r.meta.full_name.eq_ignore_ascii_case(full_name))
    }

    /// Reads the `--corpus` layout: one folder per repository named
    /// `OWNER__NAME` holding its files, an optional `meta.jsonl` of GitHub
    /// repository objects keyed by `full_name` (a missing line or field gets a
    /// deterministic default derived from the name and files) and an optional
    /// `labels.jsonl` of true labels. A meta line without a folder is an empty
    /// repository. Order: meta.jsonl's order, then the other folders by name.
    pub fn load_dir(dir: &Path) -> Result<Corpus, SimError> {
        let read_dir = |p: &Path| {
            fs::read_dir(p).map_err(|source| SimError::ReadDir {
                path: p.to_path_buf(),
                source,
            })
        };
        let mut folders: BTreeMap<String, PathBuf> = BTreeMap::new();
        for entry in read_dir(dir)? {
            let entry = entry.map_err(|source| SimError::ReadDir {
                path: dir.to_path_buf(),
                source,
            })?;
            let ft = entry.file_type().map_err(|source| SimError::ReadDir {
                path: entry.path(),
                source,
            })?;
            if !ft.is_dir() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let full = full_name_from_folder(&name).ok_or_else(|| SimError::BadFolderName {
                dir: dir.to_path_buf(),
                folder: name.clone(),
            })?;
            folders.insert(full, entry.path());
        }

        let meta_lines = read_jsonl(&dir.join("meta.jsonl"))?;
        let mut metas: Vec<(String, serde_json::Value)> = Vec::new();
        let meta_path = dir.join("meta.jsonl");
        for (line, value) in meta_lines {
            let full = value
                .get("full_name")
                .and_then(|v| v.as_str())
                .ok_or_else(|| SimError::BadLine {
                    path: meta_path.clone(),
                    line,
                    message: "missing \"full_name\" (each line is a GitHub repository object keyed by full_name)".into(),
                })?
                .to_string();
            if !full.contains('/') {
                return Err(SimError::BadLine {
                    path: meta_path.clone(),
                    line,
                    message: format!("full_name {full:?} is not OWNER/NAME"),
                });
            }
            metas.push((full, value));
        }

        let labels_path = dir.join("labels.jsonl");
        let mut labels: HashMap<String, LabelledRepo> = HashMap::new();
        for (line, value) in read_jsonl(&labels_path)? {
            let l: LabelledRepo = serde_json::from_value(value).map_err(|e| SimError::BadLine {
                path: labels_path.clone(),
                line,
                message: format!("not a labelled repository (see docs/labels.md): {e}"),
            })?;
            labels.insert(l.repo.clone(), l);
        }

        let mut order: Vec<(String, Option<serde_json::Value>)> = Vec::new();
        let mut seen = HashSet::new();
        for (full, v) in metas {
            if !seen.insert(full.clone()) {
                return Err(SimError::Duplicate(full));
            }
            order.push((full, Some(v)));
        }
        for full in folders.keys() {
            if !seen.contains(full) {
                order.push((full.clone(), None));
            }
        }

        let mut repos = Vec::with_capacity(order.len());
        for (i, (full, meta_value)) in order.into_iter().enumerate() {
            let files = match folders.get(&full) {
                Some(path) => read_files(path)?,
                None => BTreeMap::new(),
            };
            let mut extras = SimExtras::default();
            let mut value = meta_value.unwrap_or_else(|| serde_json::json!({}));
            if let Some(x) = value.as_object_mut().and_then(|o| o.remove(SIM_KEY)) {
                extras = serde_json::from_value(x).map_err(|e| SimError::BadLine {
                    path: meta_path.clone(),
                    line: i + 1,
                    message: format!("bad {SIM_KEY} object: {e}"),
                })?;
            }
            let defaults = default_meta(&full, &files, extras.filler_bytes);
            let mut merged =
                serde_json::to_value(&defaults).map_err(|e| SimError::Config(e.to_string()))?;
            if let (Some(m), Some(o)) = (merged.as_object_mut(), value.as_object()) {
                for (k, v) in o {
                    // An explicit null for a required field would break the
                    // struct; GitHub never sends one, so keep the default.
                    if v.is_null()
                        && matches!(
                            k.as_str(),
                            "id" | "created_at" | "default_branch" | "full_name"
                        )
                    {
                        continue;
                    }
                    m.insert(k.clone(), v.clone());
                }
            }
            let meta: RepoMeta = serde_json::from_value(merged).map_err(|e| SimError::BadLine {
                path: meta_path.clone(),
                line: i + 1,
                message: format!("repository {full}: {e}"),
            })?;
            let truth = labels.remove(&meta.full_name);
            repos.push(SimRepo {
                meta,
                files,
                truth,
                filler_bytes: extras.filler_bytes,
                hostile: extras.hostile,
                links: extras.links,
            });
        }
        Ok(Corpus { repos })
    }

    /// Attaches true labels from a labelled-corpus file (`labels.jsonl`, in
    /// the format of docs/labels.md) to the repositories they name; returns how
    /// many matched. Lines for repositories not in the corpus are ignored.
    pub fn read_labels(&mut self, path: &Path) -> Result<usize, SimError> {
        let mut by_name: HashMap<String, usize> = HashMap::new();
        for (i, r) in self.repos.iter().enumerate() {
            by_name.insert(r.meta.full_name.to_ascii_lowercase(), i);
        }
        if !path.exists() {
            return Err(SimError::ReadFile {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        let mut matched = 0;
        for (line, value) in read_jsonl(path)? {
            let l: LabelledRepo = serde_json::from_value(value).map_err(|e| SimError::BadLine {
                path: path.to_path_buf(),
                line,
                message: format!("not a labelled repository (see docs/labels.md): {e}"),
            })?;
            if let Some(i) = by_name.get(&l.repo.to_ascii_lowercase()) {
                self.repos[*i].truth = Some(l);
                matched += 1;
            }
        }
        Ok(matched)
    }

    /// Writes the `--corpus` layout into `dir` (created if missing; it must
    /// be empty): one folder per repository, `meta.jsonl` and `labels.jsonl`.
    pub fn write_dir(&self, dir: &Path) -> Result<(), SimError> {
        if dir.exists() {
            let mut it = fs::read_dir(dir).map_err(|source| SimError::ReadDir {
                path: dir.to_path_buf(),
                source,
            })?;
            if it.next().is_some() {
                return Err(SimError::NotEmpty(dir.to_path_buf()));
            }
        }
        let wf = |path: &Path, source| SimError::WriteFile {
            path: path.to_path_buf(),
            source,
        };
        fs::create_dir_all(dir).map_err(|e| wf(dir, e))?;
        let mut seen = HashSet::new();
        let meta_path = dir.join("meta.jsonl");
        let labels_path = dir.join("labels.jsonl");
        let mut meta_out =
            std::io::BufWriter::new(fs::File::create(&meta_path).map_err(|e| wf(&meta_path, e))?);
        let mut labels_out = std::io::BufWriter::new(
            fs::File::create(&labels_path).map_err(|e| wf(&labels_path, e))?,
        );
        for repo in &self.repos {
            let full = &repo.meta.full_name;
            if !seen.insert(full.to_ascii_lowercase()) {
                return Err(SimError::Duplicate(full.clone()));
            }
            if !full.contains('/')
                || full.starts_with('/')
                || full.ends_with('/')
                || full.contains("..")
            {
                return Err(SimError::UnsafePath {
                    repo: full.clone(),
                    path: full.clone(),
                });
            }
            if !repo.files.is_empty() {
                let root = dir.join(folder_name(full));
                for (path, content) in &repo.files {
                    if !is_safe_relative(path) {
                        return Err(SimError::UnsafePath {
                            repo: full.clone(),
                            path: path.clone(),
                        });
                    }
                    let target = root.join(path);
                    if let Some(parent) = target.parent() {
                        fs::create_dir_all(parent).map_err(|e| wf(parent, e))?;
                    }
                    fs::write(&target, content).map_err(|e| wf(&target, e))?;
                }
            }
            let mut value =
                serde_json::to_value(&repo.meta).map_err(|e| SimError::Config(e.to_string()))?;
            if repo.filler_bytes > 0 || !repo.hostile.is_empty() || !repo.links.is_empty() {
                let extras = SimExtras {
                    filler_bytes: repo.filler_bytes,
                    hostile: repo.hostile.clone(),
                    links: repo.links.clone(),
                };
                if let Some(o) = value.as_object_mut() {
                    o.insert(
                        SIM_KEY.into(),
                        serde_json::to_value(extras)
                            .map_err(|e| SimError::Config(e.to_string()))?,
                    );
                }
            }
            writeln!(meta_out, "{value}").map_err(|e| wf(&meta_path, e))?;
            if let Some(t) = &repo.truth {
                let line = serde_json::to_string(t).map_err(|e| SimError::Config(e.to_string()))?;
                writeln!(labels_out, "{line}").map_err(|e| wf(&labels_path, e))?;
            }
        }
        meta_out.flush().map_err(|e| wf(&meta_path, e))?;
        labels_out.flush().map_err(|e| wf(&labels_path, e))?;
        Ok(())
    }
}

pub(crate) fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|s| !s.is_empty() && s != "." && s != "..")
}

fn read_jsonl(path: &Path) -> Result<Vec<(usize, serde_json::Value)>, SimError> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(SimError::ReadFile {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| SimError::BadLine {
            path: path.to_path_buf(),
            line: i + 1,
            message: format!("not valid JSON: {e}"),
        })?;
        if !v.is_object() {
            return Err(SimError::BadLine {
                path: path.to_path_buf(),
                line: i + 1,
                message: "expected a JSON object".into(),
            });
        }
        out.push((i + 1, v));
    }
    Ok(out)
}

/// Reads a repository folder. Symbolic links are skipped rather than
/// followed, so a corpus cannot pull in files from outside itself; `.git` is
/// skipped because a checkout's history is not repository content.
fn read_files(root: &Path) -> Result<BTreeMap<String, Vec<u8>>, SimError> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries = fs::read_dir(&dir).map_err(|source| SimError::ReadDir {
            path: dir.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| SimError::ReadDir {
                path: dir.clone(),
                source,
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let ft = entry.file_type().map_err(|source| SimError::ReadFile {
                path: entry.path(),
                source,
            })?;
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            if ft.is_dir() {
                if name != ".git" {
                    stack.push((entry.path(), rel));
                }
            } else if ft.is_file() {
                let content = fs::read(entry.path()).map_err(|source| SimError::ReadFile {
                    path: entry.path(),
                    source,
                })?;
                out.insert(rel, content);
            }
        }
    }
    Ok(out)
}

/// Metadata for a repository that has no meta.jsonl line (or to fill the
/// fields a line leaves out): stable for the name, plausible for the files.
pub fn default_meta(
    full_name: &str,
    files: &BTreeMap<String, Vec<u8>>,
    filler_bytes: u64,
) -> RepoMeta {
    let h = fnv1a(full_name.as_bytes());
    let base = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let created_at: DateTime<Utc> = base + Duration::seconds((h % (900 * 86_400)) as i64);
    let pushed_at = created_at + Duration::seconds(((h >> 24) % (300 * 86_400)) as i64);
    let total: u64 = files.values().map(|c| c.len() as u64).sum::<u64>() + filler_bytes;
    // Skewed like real star counts: most repositories have a handful.
    let u = ((h >> 40) % 10_000) as f64 / 10_000.0;
    let stars = ((1.0 / (1.0 - u * 0.999)).powf(1.3) - 1.0).floor() as i64;
    RepoMeta {
        id: 100_000_000 + (h % 800_000_000) as i64,
        full_name: full_name.to_string(),
        description: description_from_readme(files),
        topics: Vec::new(),
        language: guess_language(files),
        stargazers_count: stars,
        forks_count: stars / 7,
        fork: false,
        archived: false,
        created_at,
        pushed_at: Some(pushed_at),
        default_branch: "main".into(),
        size: total.div_ceil(1024) as i64,
    }
}

fn description_from_readme(files: &BTreeMap<String, Vec<u8>>) -> Option<String> {
    let readme = files
        .iter()
        .find(|(p, _)| !p.contains('/') && p.to_ascii_lowercase().starts_with("readme"))?;
    let text = String::from_utf8_lossy(readme.1);
    let mut in_code = false;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code
            || t.is_empty()
            || t.starts_with('#')
            || t.starts_with('[')
            || t.starts_with('!')
            || t.starts_with('<')
            || t.starts_with('|')
        {
            continue;
        }
        let mut d: String = t.chars().take(200).collect();
        if d.ends_with('.') && !d.ends_with("..") {
            d.pop();
        }
        return Some(d);
    }
    None
}

/// Linguist-style language of a file path, by extension.
pub fn language_of_path(path: &str) -> Option<&'static str> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase())?;
    Some(match ext.as_str() {
        "ts" | "mts" | "cts" | "tsx" => "TypeScript",
        "js" | "mjs" | "cjs" | "jsx" => "JavaScript",
        "py" => "Python",
        "go" => "Go",
        "rs" => "Rust",
        "java" => "Java",
        "kt" | "kts" => "Kotlin",
        "cs" => "C#",
        "swift" => "Swift",
        "php" => "PHP",
        "rb" => "Ruby",
        "c" | "h" => "C",
        "cpp" | "cc" | "hpp" | "ino" => "C++",
        "sh" => "Shell",
        "md" => "Markdown",
        "json" => "JSON",
        "toml" => "TOML",
        "yaml" | "yml" => "YAML",
        "html" => "HTML",
        "css" => "CSS",
        "gradle" => "Gradle",
        "xml" => "XML",
        _ => return None,
    })
}

/// GitHub's "primary language": the programming language with the most bytes
/// (data and markup languages do not count).
fn guess_language(files: &BTreeMap<String, Vec<u8>>) -> Option<String> {
    let mut bytes: BTreeMap<&'static str, u64> = BTreeMap::new();
    for (path, content) in files {
        if let Some(lang) = language_of_path(path) {
            if matches!(
                lang,
                "Markdown" | "JSON" | "TOML" | "YAML" | "XML" | "Gradle"
            ) {
                continue;
            }
            *bytes.entry(lang).or_default() += content.len() as u64;
        }
    }
    bytes
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(l, _)| l.to_string())
}
