//! A registry for a synthetic corpus: entries for a share of its servers
//! (repository URLs written the many ways publishers write them, declared
//! environment variables that mostly but not always match what the code
//! reads, older versions), plus what makes a registry a second source worth
//! having: servers no seed query finds (added to the corpus), entries whose
//! repository is gone, entries pointing into folders of a monorepo, and
//! entries with no repository at all.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use mcp_survey_model::{Credentials, Kind};
use serde_json::{json, Value};

use super::{epoch_end, seal, server_repo, size_kib, ts, Gen};
use crate::corpus::{Corpus, SimRepo};
use crate::prng::Rng;
use crate::registry::{Registry, RegistryEntry};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryGen {
    /// Share of the corpus's servers the registry lists.
    pub share: f64,
    /// Servers added to the corpus that only the registry lists: their
    /// names, descriptions and topics avoid the seed words, and their
    /// manifests are past code search's file-size limit.
    pub registry_only: usize,
    /// Entries whose GitHub repository does not exist.
    pub gone: usize,
    /// Entries pointing into folders of one listed repository.
    pub monorepo: usize,
    /// Entries without a GitHub repository (remote-only, or on another host).
    pub no_repository: usize,
}

impl RegistryGen {
    /// `share` of the servers listed, with a handful of each special case.
    pub fn with_share(share: f64) -> RegistryGen {
        RegistryGen {
            share: share.clamp(0.0, 1.0),
            registry_only: 6,
            gone: 3,
            monorepo: 3,
            no_repository: 3,
        }
    }
}

/// Code search does not index files this large (GitHub: 384 KB); a
/// manifest padded past it is invisible to the code-search seeds.
const PADDED_MANIFEST_BYTES: usize = 400 * 1024;

/// Adds the registry-only servers to `corpus` and returns it with its
/// registry. Deterministic for `(corpus, seed, opts)`.
pub fn with_registry(mut corpus: Corpus, seed: u64, opts: &RegistryGen) -> (Corpus, Registry) {
    let root = Rng::new(seed ^ 0x5245_4749_5354_5259);
    let mut entries = Vec::new();
    let mut rng = root.fork(1);
    let mut listed: Vec<usize> = Vec::new();
    for (i, repo) in corpus.repos.iter().enumerate() {
        let is_server = repo
            .truth
            .as_ref()
            .is_some_and(|t| t.labels.kind == Kind::Server);
        if is_server && rng.chance(opts.share) {
            listed.push(i);
            entries.extend(entries_for(repo, &mut rng));
        }
    }
    let mut g = Gen {
        taken: corpus
            .repos
            .iter()
            .map(|r| r.meta.full_name.to_ascii_lowercase())
            .collect::<HashSet<_>>(),
    };
    for i in 0..opts.registry_only {
        let mut rng = root.fork(0x1000 + i as u64);
        let repo = registry_only_server(&mut g, &mut rng, i);
        entries.extend(entries_for(&repo, &mut rng));
        corpus.repos.push(repo);
    }
    let mut rng = root.fork(2);
    for i in 0..opts.gone {
        let full = format!("gone-publisher{i}/deleted-tool-{i}");
        let updated = epoch_end() - Duration::days(30 + i as i64);
        entries.push(entry(
            json!({"name": format!("io.github.gone-publisher{i}/deleted-tool-{i}"),
                   "description": "A server whose repository was deleted",
                   "version": "0.1.0",
                   "repository": {"url": format!("https://github.com/{full}"), "source": "github"}}),
            updated,
            true,
        ));
    }
    if let Some(&host) = listed.first() {
        let full = corpus.repos[host].meta.full_name.clone();
        for i in 0..opts.monorepo {
            let package = format!("tool-{}", i + 1);
            // Half name the folder in the URL, half in repository.subfolder.
            let repository = if i % 2 == 0 {
                json!({"url": format!("https://github.com/{full}/tree/main/packages/{package}"), "source": "github"})
            } else {
                json!({"url": format!("https://github.com/{full}"), "source": "github",
                       "subfolder": format!("packages/{package}")})
            };
            entries.push(entry(
                json!({"name": format!("io.github.{}-{package}", full.to_ascii_lowercase()),
                       "description": format!("The {package} server of a monorepo"),
                       "version": "1.0.0", "repository": repository}),
                epoch_end() - Duration::days(rng.range(1, 200)),
                true,
            ));
        }
    }
    for i in 0..opts.no_repository {
        let server = if i % 3 == 2 {
            json!({"name": format!("com.example.forge/tool-{i}"), "version": "2.0.0",
                   "description": "Hosted on another forge",
                   "repository": {"url": format!("https://gitlab.com/example/tool-{i}"), "source": "gitlab"}})
        } else {
            json!({"name": format!("com.example/remote-{i}"), "version": "1.0.0",
                   "description": "A hosted server with no public repository",
                   "remotes": [{"type": "streamable-http", "url": format!("https://mcp.example.com/{i}"),
                                "headers": [{"name": "Authorization", "isSecret": true, "isRequired": true,
                                             "description": "Bearer token"}]}]})
        };
        entries.push(entry(
            server,
            epoch_end() - Duration::days(rng.range(1, 300)),
            true,
        ));
    }
    (corpus, Registry::new(entries))
}

fn entry(server: Value, updated: DateTime<Utc>, is_latest: bool) -> RegistryEntry {
    RegistryEntry {
        server,
        status: "active".into(),
        is_latest,
        published_at: updated,
        updated_at: updated,
    }
}

/// The latest entry of a server, and now and then an older version.
fn entries_for(repo: &SimRepo, rng: &mut Rng) -> Vec<RegistryEntry> {
    let full = &repo.meta.full_name;
    let name = format!("io.github.{}", full.to_ascii_lowercase());
    let url = match rng.below(5) {
        0 => format!("https://github.com/{full}"),
        1 => format!("https://github.com/{full}.git"),
        2 => format!("https://github.com/{full}/"),
        3 => format!("https://github.com/{}", full.to_ascii_uppercase()),
        _ => format!("git+https://github.com/{full}.git"),
    };
    let labels = repo.truth.as_ref().map(|t| &t.labels);
    let required = labels.is_some_and(|l| l.credentials == Credentials::Required);
    let mut env: Vec<Value> = labels
        .map(|l| l.env_vars.iter().cloned().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|v| json!({"name": v, "isSecret": true, "isRequired": required}))
        .collect();
    // Publishers forget a secret now and then, or declare one the code
    // never reads, or list settings that are no secret.
    if !env.is_empty() && rng.chance(0.1) {
        env.remove(0);
    }
    if rng.chance(0.1) {
        let base = repo
            .meta
            .name()
            .to_ascii_uppercase()
            .replace(['-', '.'], "_");
        env.push(json!({"name": format!("{base}_WEBHOOK_SECRET"), "isSecret": true, "isRequired": false}));
    }
    if rng.chance(0.4) {
        env.push(json!({"name": "LOG_LEVEL", "isSecret": false, "isRequired": false}));
    }
    let language = repo.meta.language.as_deref().unwrap_or_default();
    let (registry_type, identifier) = match language {
        "TypeScript" | "JavaScript" => ("npm", repo.meta.name().to_string()),
        "Python" => ("pypi", repo.meta.name().to_string()),
        _ => ("oci", format!("docker.io/{}", full.to_ascii_lowercase())),
    };
    let updated = updated_between(repo.meta.created_at, rng);
    let server = |version: &str| {
        json!({
            "$schema": "https://static.modelcontextprotocol.io/schemas/2025-10-17/server.schema.json",
            "name": name,
            "description": repo.meta.description.clone().unwrap_or_default(),
            "version": version,
            "repository": {"url": url, "source": "github"},
            "packages": [{"registryType": registry_type, "identifier": identifier, "version": version,
                          "transport": {"type": "stdio"}, "environmentVariables": env}],
        })
    };
    let mut out = vec![entry(server("1.0.0"), updated, true)];
    if rng.chance(0.2) {
        out.push(entry(
            server("0.9.0"),
            updated - Duration::days(rng.range(1, 60)),
            false,
        ));
    }
    out
}

fn updated_between(created: DateTime<Utc>, rng: &mut Rng) -> DateTime<Utc> {
    let span = (epoch_end() - created).num_seconds().max(1);
    created + Duration::seconds(rng.range(0, span - 1))
}

/// A server only the registry finds: a hidden one (no seed word in its
/// name, description or topics) whose manifests code search cannot see.
fn registry_only_server(g: &mut Gen, rng: &mut Rng, i: usize) -> SimRepo {
    let created = ts(2025, 3, 1) + Duration::days(7 * i as i64);
    let mut drawn = server_repo(g, rng, created, None);
    for _ in 0..500 {
        if drawn.server.as_ref().is_some_and(|s| s.hidden) {
            break;
        }
        drawn = server_repo(g, rng, created, None);
    }
    let mut repo = drawn.repo;
    if let Some(spec) = &drawn.server {
        let description = format!("Assistant tools for {}", spec.service.display);
        // The README says what the tools do without the seed words (its
        // configuration example names `mcpServers`).
        let readme = format!(
            "# {} tools\n\n{description}.\n\nSee the registry entry for how to install it.\n",
            spec.service.display
        );
        repo.files.insert("README.md".into(), readme.into_bytes());
        repo.meta.description = Some(description);
    }
    repo.meta.topics.clear();
    repo.meta.archived = false;
    for (path, bytes) in repo.files.iter_mut() {
        pad_manifest(path, bytes);
    }
    repo.meta.size = size_kib(&repo.files, 0);
    repo.meta.id = 800_000_000 + 31 * i as i64;
    seal(repo)
}

/// Appends a comment (or JSON whitespace) that takes a manifest past code
/// search's size limit without changing what it says.
fn pad_manifest(path: &str, bytes: &mut Vec<u8>) {
    let file = path.rsplit('/').next().unwrap_or(path);
    let line: &[u8] = match file {
        "package.json" => b"                                                                \n",
        "pyproject.toml" | "requirements.txt" | "Cargo.toml" => {
            b"# ..............................................................\n"
        }
        "go.mod" | "build.gradle" | "build.gradle.kts" => {
            b"// .............................................................\n"
        }
        f if f == "pom.xml" || f.ends_with(".csproj") => {
            b"<!-- .......................................................... -->\n"
        }
        _ => return,
    };
    bytes.push(b'\n');
    while bytes.len() < PADDED_MANIFEST_BYTES {
        bytes.extend_from_slice(line);
    }
}

/// Names of the registry-only servers of a generated registry, for tests:
/// entries whose repository is in `corpus` but was not in `before`.
pub fn registry_only_names(before: &Corpus, after: &Corpus) -> Vec<String> {
    let old: HashSet<&str> = before
        .repos
        .iter()
        .map(|r| r.meta.full_name.as_str())
        .collect();
    let mut names: Vec<String> = after
        .repos
        .iter()
        .map(|r| r.meta.full_name.clone())
        .filter(|n| !old.contains(n.as_str()))
        .collect();
    names.sort();
    names
}
