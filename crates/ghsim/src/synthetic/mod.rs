//! A synthetic MCP ecosystem: thousands of plausible repositories (servers
//! on every official SDK with real-looking auth code, and the clients, SDKs,
//! lists, Minecraft mods, chip drivers and unrelated projects a keyword
//! search also finds), each with its true labels.
//!
//! Deterministic for `(n, seed)`: the generator uses its own PRNG, and each
//! repository draws from a stream forked from the seed and its index.

mod catalog;
mod negatives;
pub mod registry;
mod servers;

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Duration, TimeZone, Utc};
use mcp_survey_model::{Kind, LabelledRepo, Labels, RepoMeta};
use serde::{Deserialize, Serialize};

use crate::corpus::{Corpus, HostileEntry, SimRepo};
use crate::git::GitModel;
use crate::prng::Rng;

pub use servers::Lang;

/// Extras beyond the `n` ordinary repositories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenOptions {
    /// Number of huge repositories (`sim-huge/huge-mcp-server-N`), each an
    /// ordinary server plus `huge_bytes` of streamed filler.
    pub huge: usize,
    pub huge_bytes: u64,
    /// Add one repository per hostile tarball entry kind
    /// (`sim-hostile/path-traversal`, ...) and one with all of them
    /// (`sim-hostile/everything`).
    pub hostile: bool,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            huge: 0,
            huge_bytes: 500 * 1024 * 1024,
            hostile: false,
        }
    }
}

/// What [`evolve`] changed, by full name, each list sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// New pushed_at and changed files (includes `relabelled`).
    pub changed: Vec<String>,
    /// Changed repositories whose true labels changed too.
    pub relabelled: Vec<String>,
}

/// `n` repositories for `seed`.
pub fn generate(n: usize, seed: u64) -> Corpus {
    generate_with(n, seed, &GenOptions::default())
}

/// Full name of the hostile repository carrying `kind`.
pub fn hostile_repo_name(kind: HostileEntry) -> String {
    format!("sim-hostile/{}", kind.as_str().replace('_', "-"))
}

pub fn huge_repo_name(i: usize) -> String {
    format!("sim-huge/huge-mcp-server-{i}")
}

fn ts(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The corpus's "now": the newest repository is pushed just before it.
fn epoch_end() -> DateTime<Utc> {
    ts(2026, 11, 1)
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Arche {
    Server,
    Client,
    Sdk,
    List,
    Minecraft,
    Chip,
    OtherMeaning,
    Unrelated,
}

const ARCHES: &[Arche] = &[
    Arche::Server,
    Arche::Client,
    Arche::Sdk,
    Arche::List,
    Arche::Minecraft,
    Arche::Chip,
    Arche::OtherMeaning,
    Arche::Unrelated,
];
const ARCHE_WEIGHTS: &[f64] = &[70.0, 6.0, 2.5, 2.5, 5.0, 3.0, 2.0, 9.0];

struct Gen {
    taken: HashSet<String>,
}

impl Gen {
    fn unique(&mut self, owner: &str, name: &str) -> String {
        let mut full = format!("{owner}/{name}");
        let mut k = 2;
        while !self.taken.insert(full.to_ascii_lowercase()) {
            full = format!("{owner}/{name}-{k}");
            k += 1;
        }
        full
    }
}

fn owner(rng: &mut Rng) -> String {
    let first = rng.pick(FIRST);
    match rng.below(4) {
        0 => format!("{first}{}", rng.range(1, 9999)),
        1 => format!("{first}-{}", rng.pick(ORGS)),
        2 => format!("{first}{}", rng.pick(ORGS)),
        _ => format!("{}-{}{}", first, rng.pick(FIRST), rng.range(1, 99)),
    }
}

use catalog::{FIRST_NAMES as FIRST, ORG_WORDS as ORGS};

fn created_for(rng: &mut Rng, mcp_related: bool) -> DateTime<Utc> {
    let start_all = ts(2023, 11, 1);
    let end = ts(2026, 10, 31) + Duration::seconds(86_399);
    if !mcp_related {
        let span = (end - start_all).num_seconds();
        return start_all + Duration::seconds(rng.range(0, span));
    }
    let x = rng.f64();
    if x < 0.03 {
        // Older repositories later turned into MCP projects.
        let s = ts(2024, 11, 25);
        return start_all + Duration::seconds(rng.range(0, (s - start_all).num_seconds()));
    }
    if x < 0.08 {
        // A hackathon day: at n = 30,000 it alone holds over 1,000
        // repositories, so a harvester must split below a day.
        return ts(2025, 5, 21) + Duration::seconds(rng.range(0, 86_399));
    }
    // Linear growth in density: t = sqrt(u) over the span.
    let s = ts(2024, 11, 25);
    let span = (end - s).num_seconds() as f64;
    s + Duration::seconds((rng.f64().sqrt() * span) as i64)
}

fn pushed_for(rng: &mut Rng, created: DateTime<Utc>) -> DateTime<Utc> {
    let left = (epoch_end() - created).num_seconds().max(60) as f64;
    let u = rng.f64();
    created
        + Duration::seconds((left * u * u) as i64 + rng.range(60, 3600).min(left as i64 - 1).max(0))
}

fn stars_for(rng: &mut Rng, boost: f64) -> i64 {
    let u = rng.f64();
    let s = ((1.0 - u * 0.9999).powf(-1.0 / 1.05) - 1.0) * 2.0 * boost;
    (s.floor() as i64).clamp(0, 90_000)
}

fn server_topics(rng: &mut Rng, slug: &str, lang: &str) -> Vec<String> {
    if !rng.chance(0.45) {
        return Vec::new();
    }
    let pool = [
        "mcp",
        "mcp-server",
        "model-context-protocol",
        "ai",
        "llm",
        "claude",
        "ai-tools",
        "mcp-tools",
        slug,
        &lang.to_ascii_lowercase().replace('#', "sharp"),
    ];
    let mut t: Vec<String> = Vec::new();
    let k = 1 + rng.below(4) as usize;
    for _ in 0..k {
        let p = rng.pick(&pool).to_string();
        if !t.contains(&p) {
            t.push(p);
        }
    }
    t.sort();
    t
}

fn size_kib(files: &BTreeMap<String, Vec<u8>>, filler: u64) -> i64 {
    let total: u64 = files.values().map(|c| c.len() as u64).sum::<u64>() + filler;
    total.div_ceil(1024) as i64
}

/// Sets truth.commit to the commit the simulator will serve.
fn seal(mut repo: SimRepo) -> SimRepo {
    let sha = GitModel::build(&repo).map(|g| g.commit_sha);
    if let Some(t) = repo.truth.as_mut() {
        t.commit = sha;
    }
    repo
}

struct Drawn {
    repo: SimRepo,
    server: Option<servers::ServerSpec>,
}

fn server_repo(g: &mut Gen, rng: &mut Rng, created: DateTime<Utc>, lang: Option<Lang>) -> Drawn {
    let own = owner(rng);
    let hidden = rng.chance(0.12);
    let mut spec = servers::draw_spec(rng, &own, hidden, lang);
    let full = g.unique(&own, &spec.name);
    spec.name = full
        .split_once('/')
        .map(|(_, n)| n.to_string())
        .unwrap_or_default();
    let description = servers::description(&spec, rng);
    let files = servers::render(&spec, &description, rng);
    let labels = spec.labels();
    let stars = stars_for(rng, 1.0);
    let meta = RepoMeta {
        id: 0,
        full_name: full.clone(),
        description: Some(description),
        topics: if spec.hidden {
            Vec::new()
        } else {
            server_topics(rng, spec.service.slug, spec.lang.github())
        },
        language: Some(spec.lang.github().to_string()),
        stargazers_count: stars,
        forks_count: stars / 8 + rng.below(3) as i64,
        fork: false,
        archived: rng.chance(0.03),
        created_at: created,
        pushed_at: Some(pushed_for(rng, created)),
        default_branch: if rng.chance(0.1) {
            "master".into()
        } else {
            "main".into()
        },
        size: size_kib(&files, 0),
    };
    let truth = LabelledRepo {
        repo: full,
        commit: None,
        labels,
        evidence: spec.evidence(),
    };
    Drawn {
        repo: SimRepo {
            meta,
            files,
            truth: Some(truth),
            filler_bytes: 0,
            hostile: Vec::new(),
            links: Default::default(),
        },
        server: Some(spec),
    }
}

fn negative_repo(
    g: &mut Gen,
    rng: &mut Rng,
    arche: Arche,
    created: DateTime<Utc>,
    known: &[String],
) -> Drawn {
    let own = owner(rng);
    let neg = match arche {
        Arche::Client => negatives::client(rng),
        Arche::Sdk => negatives::sdk(rng),
        Arche::List => negatives::list(rng, known),
        Arche::Minecraft => negatives::minecraft(rng),
        Arche::Chip => negatives::chip(rng),
        Arche::OtherMeaning => negatives::other_meaning(rng),
        _ => negatives::unrelated(rng),
    };
    let full = g.unique(&own, &neg.name);
    let boost = if matches!(arche, Arche::Sdk | Arche::List) {
        6.0
    } else {
        1.0
    };
    let stars = stars_for(rng, boost);
    let language = neg.language.map(|l| l.to_string());
    let meta = RepoMeta {
        id: 0,
        full_name: full.clone(),
        description: neg.description,
        topics: neg.topics,
        language: language.clone(),
        stargazers_count: stars,
        forks_count: stars / 10,
        fork: false,
        archived: rng.chance(0.05),
        created_at: created,
        pushed_at: Some(pushed_for(rng, created)),
        default_branch: if rng.chance(0.3) {
            "master".into()
        } else {
            "main".into()
        },
        size: size_kib(&neg.files, 0),
    };
    let labels = Labels::non_server(neg.kind, language.unwrap_or_default());
    Drawn {
        repo: SimRepo {
            meta,
            files: neg.files,
            truth: Some(LabelledRepo {
                repo: full,
                commit: None,
                labels,
                evidence: neg.evidence,
            }),
            filler_bytes: 0,
            hostile: Vec::new(),
            links: Default::default(),
        },
        server: None,
    }
}

/// `n` repositories for `seed`, plus the extras `opts` asks for.
pub fn generate_with(n: usize, seed: u64, opts: &GenOptions) -> Corpus {
    let root = Rng::new(seed);
    let mut g = Gen {
        taken: HashSet::new(),
    };
    let mut repos: Vec<SimRepo> = Vec::with_capacity(n + opts.huge + 8);
    let mut server_idx: Vec<usize> = Vec::new();
    let mut known: Vec<String> = Vec::new();
    for i in 0..n {
        let mut rng = root.fork(i as u64);
        let arche = ARCHES[rng.weighted(ARCHE_WEIGHTS)];
        let mcp_related = matches!(
            arche,
            Arche::Server | Arche::Client | Arche::Sdk | Arche::List
        );
        let created = created_for(&mut rng, mcp_related);
        // A few repositories are forks of an earlier server: same files and
        // labels, another owner.
        if arche == Arche::Server && !server_idx.is_empty() && rng.chance(0.03) {
            let parent = &repos[server_idx[rng.below(server_idx.len() as u64) as usize]];
            let own = owner(&mut rng);
            let full = g.unique(&own, parent.meta.name());
            let mut meta = parent.meta.clone();
            meta.full_name = full.clone();
            meta.fork = true;
            meta.stargazers_count = rng.below(3) as i64;
            meta.forks_count = 0;
            meta.created_at = created.max(parent.meta.created_at + Duration::days(1));
            meta.pushed_at = Some(meta.created_at + Duration::hours(rng.range(1, 48)));
            let truth = parent.truth.clone().map(|mut t| {
                t.repo = full.clone();
                t.evidence = format!("Fork of {}: {}", parent.meta.full_name, t.evidence);
                t
            });
            repos.push(SimRepo {
                meta,
                files: parent.files.clone(),
                truth,
                filler_bytes: 0,
                hostile: Vec::new(),
                links: Default::default(),
            });
            continue;
        }
        let drawn = match arche {
            Arche::Server => server_repo(&mut g, &mut rng, created, None),
            other => negative_repo(&mut g, &mut rng, other, created, &known),
        };
        if drawn.server.is_some() {
            server_idx.push(repos.len());
            if known.len() < 200 {
                known.push(drawn.repo.meta.full_name.clone());
            }
        }
        repos.push(drawn.repo);
    }
    for i in 0..opts.huge {
        let mut rng = root.fork(0x4855_4745_0000 + i as u64);
        let mut d = server_repo(
            &mut g,
            &mut rng,
            ts(2025, 8, 1) + Duration::hours(i as i64),
            Some(Lang::TypeScript),
        );
        rename(&mut d.repo, &huge_repo_name(i));
        d.repo.filler_bytes = opts.huge_bytes;
        d.repo.meta.size = size_kib(&d.repo.files, opts.huge_bytes);
        g.taken.insert(d.repo.meta.full_name.to_ascii_lowercase());
        repos.push(d.repo);
    }
    if opts.hostile {
        let mut kinds: Vec<(String, Vec<HostileEntry>)> = HostileEntry::ALL
            .iter()
            .map(|k| (hostile_repo_name(*k), vec![*k]))
            .collect();
        kinds.push(("sim-hostile/everything".into(), HostileEntry::ALL.to_vec()));
        for (i, (name, entries)) in kinds.into_iter().enumerate() {
            let mut rng = root.fork(0x484f_5354_0000 + i as u64);
            let mut d = server_repo(
                &mut g,
                &mut rng,
                ts(2025, 6, 1) + Duration::hours(i as i64),
                Some(Lang::TypeScript),
            );
            rename(&mut d.repo, &name);
            d.repo.hostile = entries;
            g.taken.insert(name.to_ascii_lowercase());
            repos.push(d.repo);
        }
    }
    assign_ids(&mut repos, 700_000_000);
    Corpus {
        repos: repos.into_iter().map(seal).collect(),
    }
}

fn rename(repo: &mut SimRepo, full: &str) {
    repo.meta.full_name = full.to_string();
    if let Some(t) = repo.truth.as_mut() {
        t.repo = full.to_string();
    }
}

/// GitHub ids grow with creation time.
fn assign_ids(repos: &mut [SimRepo], base: i64) {
    let mut order: Vec<usize> = (0..repos.len()).collect();
    order.sort_by(|a, b| {
        repos[*a]
            .meta
            .created_at
            .cmp(&repos[*b].meta.created_at)
            .then(repos[*a].meta.full_name.cmp(&repos[*b].meta.full_name))
    });
    for (rank, i) in order.into_iter().enumerate() {
        let jitter = (crate::prng::fnv1a(repos[i].meta.full_name.as_bytes()) % 29) as i64;
        repos[i].meta.id = base + rank as i64 * 31 + jitter;
    }
}

fn lang_from(s: &str) -> Option<Lang> {
    Some(match s {
        "TypeScript" => Lang::TypeScript,
        "JavaScript" => Lang::JavaScript,
        "Python" => Lang::Python,
        "Go" => Lang::Go,
        "Rust" => Lang::Rust,
        "Java" => Lang::Java,
        "C#" => Lang::CSharp,
        _ => return None,
    })
}

/// The same ecosystem a week later: about `change_fraction` of the
/// repositories changed (new pushed_at and files; about a third of the
/// changed servers also change how they authenticate), a fifth of that
/// fraction deleted, and half of it (relative to the corpus size) new.
/// Unchanged repositories are byte-identical.
pub fn evolve(base: &Corpus, seed: u64, change_fraction: f64) -> (Corpus, Changes) {
    let f = change_fraction.clamp(0.0, 1.0);
    evolve_with(
        base,
        seed,
        &Churn {
            changed: f,
            removed: f / 5.0,
            added: f / 2.0,
        },
    )
}

/// How much of a corpus changes between two snapshots, each a fraction of
/// the corpus size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Churn {
    pub changed: f64,
    pub removed: f64,
    pub added: f64,
}

/// [`evolve`] with each kind of change set on its own: `Churn { changed:
/// 0.1, removed: 0.0, added: 0.0 }` is "10% of the repositories changed".
pub fn evolve_with(base: &Corpus, seed: u64, churn: &Churn) -> (Corpus, Changes) {
    let changed = churn.changed.clamp(0.0, 1.0);
    let removed = churn.removed.clamp(0.0, 1.0 - changed);
    let added_fraction = churn.added.max(0.0);
    let root = Rng::new(seed ^ 0x0e70_1fe5);
    let now = base
        .repos
        .iter()
        .map(|r| {
            r.meta
                .pushed_at
                .unwrap_or(r.meta.created_at)
                .max(r.meta.created_at)
        })
        .max()
        .unwrap_or_else(epoch_end);
    let week = Duration::days(7);
    let mut g = Gen {
        taken: base
            .repos
            .iter()
            .map(|r| r.meta.full_name.to_ascii_lowercase())
            .collect(),
    };
    let mut changes = Changes::default();
    let mut out = Vec::with_capacity(base.repos.len());
    for (i, repo) in base.repos.iter().enumerate() {
        let mut rng = root.fork(i as u64);
        let x = rng.f64();
        if x < removed {
            changes.removed.push(repo.meta.full_name.clone());
            continue;
        }
        if x >= removed + changed {
            out.push(repo.clone());
            continue;
        }
        let mut r = repo.clone();
        changes.changed.push(r.meta.full_name.clone());
        let pushed = now + Duration::seconds(rng.range(60, week.num_seconds()));
        r.meta.pushed_at = Some(pushed);
        let is_server = r
            .truth
            .as_ref()
            .is_some_and(|t| t.labels.kind == Kind::Server);
        let lang = r.truth.as_ref().and_then(|t| lang_from(&t.labels.language));
        if is_server && lang.is_some() && r.hostile.is_empty() && rng.chance(0.33) {
            // A rewrite: same name and language, possibly another auth scheme.
            let own = r.meta.owner().to_string();
            let mut spec = servers::draw_spec(&mut rng, &own, false, lang);
            spec.name = r.meta.name().to_string();
            let description = r.meta.description.clone().unwrap_or_default();
            let files = servers::render(&spec, &description, &mut rng);
            let labels = spec.labels();
            if let Some(t) = r.truth.as_mut() {
                if t.labels != labels {
                    changes.relabelled.push(r.meta.full_name.clone());
                }
                t.labels = labels;
                t.evidence = spec.evidence();
            }
            r.files = files;
        } else {
            let readme = r.files.entry("README.md".into()).or_default();
            readme.extend_from_slice(
                format!(
                    "\n## Changelog\n\n- {}: maintenance release\n",
                    pushed.format("%Y-%m-%d")
                )
                .as_bytes(),
            );
        }
        r.meta.size = size_kib(&r.files, r.filler_bytes);
        out.push(seal(r));
    }
    let added = ((base.repos.len() as f64) * added_fraction).ceil() as usize;
    let max_id = base
        .repos
        .iter()
        .map(|r| r.meta.id)
        .max()
        .unwrap_or(700_000_000);
    let mut new_repos = Vec::new();
    let known: Vec<String> = base
        .repos
        .iter()
        .take(200)
        .map(|r| r.meta.full_name.clone())
        .collect();
    for i in 0..added {
        let mut rng = root.fork(0x00ad_d000_0000 + i as u64);
        let arche = ARCHES[rng.weighted(ARCHE_WEIGHTS)];
        let created = now + Duration::seconds(rng.range(60, week.num_seconds()));
        let mut d = match arche {
            Arche::Server => server_repo(&mut g, &mut rng, created, None),
            other => negative_repo(&mut g, &mut rng, other, created, &known),
        };
        d.repo.meta.pushed_at = Some(created + Duration::seconds(rng.range(60, 86_400)));
        changes.added.push(d.repo.meta.full_name.clone());
        new_repos.push(d.repo);
    }
    assign_ids(&mut new_repos, max_id + 1000);
    out.extend(new_repos.into_iter().map(seal));
    changes.added.sort();
    changes.removed.sort();
    changes.changed.sort();
    changes.relabelled.sort();
    (Corpus { repos: out }, changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_survey_model::Credentials;

    #[test]
    fn deterministic_and_plausible() {
        let a = generate(400, 42);
        let b = generate(400, 42);
        assert_eq!(a, b);
        let c = generate(400, 43);
        assert_ne!(a, c);
        assert_eq!(a.repos.len(), 400);
        let names: HashSet<_> = a
            .repos
            .iter()
            .map(|r| r.meta.full_name.to_ascii_lowercase())
            .collect();
        assert_eq!(names.len(), 400);
        let servers: Vec<_> = a
            .repos
            .iter()
            .filter_map(|r| r.truth.as_ref())
            .filter(|t| t.labels.kind == Kind::Server)
            .collect();
        assert!(servers.len() > 200, "{} servers", servers.len());
        let required = servers
            .iter()
            .filter(|t| t.labels.credentials == Credentials::Required)
            .count();
        let share = required as f64 / servers.len() as f64;
        assert!((0.7..0.95).contains(&share), "required share {share}");
        for r in &a.repos {
            let t = r.truth.as_ref().expect("truth");
            assert_eq!(t.repo, r.meta.full_name);
            assert_eq!(t.commit, r.commit_sha());
            assert!(r.meta.pushed_at.is_some_and(|p| p >= r.meta.created_at));
        }
    }

    #[test]
    fn evolve_reports_its_changes() {
        let base = generate(300, 7);
        let (next, ch) = evolve(&base, 1, 0.2);
        assert!(!ch.changed.is_empty() && !ch.added.is_empty() && !ch.removed.is_empty());
        for name in &ch.removed {
            assert!(next.get(name).is_none());
        }
        for name in &ch.changed {
            let (a, b) = (base.get(name).unwrap(), next.get(name).unwrap());
            assert!(b.meta.pushed_at > a.meta.pushed_at);
            assert_ne!(a.files, b.files);
        }
        let touched: HashSet<&String> = ch.changed.iter().chain(&ch.removed).collect();
        for r in &base.repos {
            if !touched.contains(&r.meta.full_name) {
                assert_eq!(Some(r), next.get(&r.meta.full_name));
            }
        }
        for name in &ch.added {
            assert!(base.get(name).is_none());
            assert!(
                next.get(name).unwrap().meta.id
                    > base.repos.iter().map(|r| r.meta.id).max().unwrap()
            );
        }
        assert_eq!(evolve(&base, 1, 0.2), (next, ch));
    }
}
