//! Fault injection: by rate on every endpoint (transient faults a client must
//! retry through) or by named repository (GitHub's permanent answers and
//! repeatable transient ones).

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::prng::mix;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// 404 Not Found: the repository was deleted or made private.
    NotFound,
    /// 451 Unavailable For Legal Reasons (DMCA takedown).
    Unavailable,
    /// 409 Conflict "Git Repository is empty." on commits/trees/contents/tarball.
    Empty,
    /// 403 secondary rate limit with Retry-After.
    SecondaryLimit,
    /// 500/502/503.
    ServerError,
    /// The connection is reset before any response byte.
    ConnectionReset,
    /// The body stops halfway (tarball mid-stream, JSON mid-document).
    TruncatedBody,
    /// The response is delayed by `FaultConfig::slow_delay`.
    Slow,
    /// 200 with a JSON body that does not parse.
    MalformedJson,
    /// 200 with valid JSON whose numbers and booleans became strings and
    /// whose strings became numbers (not part of `uniform`).
    WrongTypes,
    /// Search only: `incomplete_results: true` with part of the page missing,
    /// as when GitHub's search times out under load (not part of `uniform`).
    Incomplete,
    /// Search only: a page with items missing and `incomplete_results:
    /// false`, the `Link` header still naming the next page, as GitHub
    /// answers when it drops items after searching (not part of `uniform`).
    ShortPage,
    /// 403 "Repository access blocked" with a `block` object (GitHub's
    /// terms-of-service block), on every /repos/OWNER/NAME/... request and
    /// the download.
    Blocked,
    /// The archive holds paths with a NUL, a byte that is not UTF-8, and
    /// dozens of 20 KB paths (pax `path` records).
    NulPath,
    /// The archive arrives a few bytes at a time (about 1 KiB/s).
    Trickle,
    /// The archive is a gzip stream of empty deflate blocks: endless input
    /// that decompresses to nothing.
    EmptyDeflate,
    /// The archive has no top folder: files at its root.
    FlatArchive,
    /// The archive holds every file under two top folders.
    TwoTopFolders,
    /// The tarball request redirects to `file:///etc/passwd`.
    BadRedirect,
}

impl FaultKind {
    pub const ALL: &'static [FaultKind] = &[
        FaultKind::NotFound,
        FaultKind::Unavailable,
        FaultKind::Empty,
        FaultKind::SecondaryLimit,
        FaultKind::ServerError,
        FaultKind::ConnectionReset,
        FaultKind::TruncatedBody,
        FaultKind::Slow,
        FaultKind::MalformedJson,
        FaultKind::WrongTypes,
        FaultKind::Incomplete,
        FaultKind::ShortPage,
        FaultKind::Blocked,
        FaultKind::NulPath,
        FaultKind::Trickle,
        FaultKind::EmptyDeflate,
        FaultKind::FlatArchive,
        FaultKind::TwoTopFolders,
        FaultKind::BadRedirect,
    ];

    /// The faults of one repository's archive (`--fault-repo` only: they
    /// are hostile, not transient).
    pub const ARCHIVE: &'static [FaultKind] = &[
        FaultKind::NulPath,
        FaultKind::Trickle,
        FaultKind::EmptyDeflate,
        FaultKind::FlatArchive,
        FaultKind::TwoTopFolders,
        FaultKind::BadRedirect,
    ];

    /// The transient faults `--fault-rate` spreads its rate over.
    pub const TRANSIENT: &'static [FaultKind] = &[
        FaultKind::SecondaryLimit,
        FaultKind::ServerError,
        FaultKind::ConnectionReset,
        FaultKind::TruncatedBody,
        FaultKind::Slow,
        FaultKind::MalformedJson,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::NotFound => "not_found",
            FaultKind::Unavailable => "unavailable",
            FaultKind::Empty => "empty",
            FaultKind::SecondaryLimit => "secondary_limit",
            FaultKind::ServerError => "server_error",
            FaultKind::ConnectionReset => "connection_reset",
            FaultKind::TruncatedBody => "truncated_body",
            FaultKind::Slow => "slow",
            FaultKind::MalformedJson => "malformed_json",
            FaultKind::WrongTypes => "wrong_types",
            FaultKind::Incomplete => "incomplete",
            FaultKind::ShortPage => "short_page",
            FaultKind::Blocked => "blocked",
            FaultKind::NulPath => "nul_path",
            FaultKind::Trickle => "trickle",
            FaultKind::EmptyDeflate => "empty_deflate",
            FaultKind::FlatArchive => "flat_archive",
            FaultKind::TwoTopFolders => "two_top_folders",
            FaultKind::BadRedirect => "bad_redirect",
        }
    }
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().replace('-', "_").as_str() {
            "404" | "not_found" | "gone" | "deleted" => FaultKind::NotFound,
            "451" | "unavailable" | "dmca" => FaultKind::Unavailable,
            "409" | "empty" => FaultKind::Empty,
            "403" | "429" | "secondary" | "secondary_limit" => FaultKind::SecondaryLimit,
            "500" | "502" | "503" | "5xx" | "server_error" => FaultKind::ServerError,
            "reset" | "connection_reset" => FaultKind::ConnectionReset,
            "truncate" | "truncated" | "truncated_body" | "truncated_tarball" => FaultKind::TruncatedBody,
            "slow" => FaultKind::Slow,
            "malformed" | "malformed_json" | "bad_json" => FaultKind::MalformedJson,
            "wrong_types" | "types" => FaultKind::WrongTypes,
            "incomplete" | "incomplete_results" => FaultKind::Incomplete,
            "short_page" | "short" => FaultKind::ShortPage,
            "blocked" | "tos" | "access_blocked" => FaultKind::Blocked,
            "nul_path" => FaultKind::NulPath,
            "trickle" => FaultKind::Trickle,
            "empty_deflate" => FaultKind::EmptyDeflate,
            "flat_archive" | "flat" => FaultKind::FlatArchive,
            "two_top_folders" => FaultKind::TwoTopFolders,
            "bad_redirect" => FaultKind::BadRedirect,
            other => {
                return Err(format!(
                    "unknown fault {other:?}; use one of 404, 451, 409, secondary, 5xx, reset, truncate, slow, malformed_json, wrong_types, incomplete, short_page, blocked, nul_path, trickle, empty_deflate, flat_archive, two_top_folders, bad_redirect"
                ))
            }
        })
    }
}

/// A fault attached to one repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedFault {
    pub kind: FaultKind,
    /// Fire on the first `times` matching requests only (then behave
    /// normally); None = every time.
    pub times: Option<u32>,
}

impl NamedFault {
    pub fn always(kind: FaultKind) -> NamedFault {
        NamedFault { kind, times: None }
    }

    pub fn times(kind: FaultKind, n: u32) -> NamedFault {
        NamedFault {
            kind,
            times: Some(n),
        }
    }

    /// Parses `OWNER/NAME=KIND[:TIMES]` (the CLI's `--fault-repo`).
    pub fn parse_spec(spec: &str) -> Result<(String, NamedFault), String> {
        let (repo, rest) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?} is not OWNER/NAME=KIND[:TIMES]"))?;
        if !repo.contains('/') {
            return Err(format!("{repo:?} is not OWNER/NAME"));
        }
        let (kind, times) = match rest.split_once(':') {
            Some((k, t)) => (
                k,
                Some(
                    t.parse::<u32>()
                        .map_err(|_| format!("{t:?} is not a count in {spec:?}"))?,
                ),
            ),
            None => (rest, None),
        };
        Ok((
            repo.to_string(),
            NamedFault {
                kind: kind.parse()?,
                times,
            },
        ))
    }
}

/// What faults to inject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultConfig {
    /// Probability per request of each transient fault, on every endpoint
    /// but /rate_limit and /_sim/*.
    pub rates: BTreeMap<FaultKind, f64>,
    /// Repository `OWNER/NAME` (case-insensitive) -> its fault, on every
    /// /repos/OWNER/NAME/... request and its codeload download. Search still
    /// lists it, as GitHub's index lags deletions.
    pub named: BTreeMap<String, NamedFault>,
    pub slow_delay: Duration,
    /// Seed of the fault decisions (same seed and request order = same
    /// faults).
    pub seed: u64,
}

impl Default for FaultConfig {
    fn default() -> Self {
        FaultConfig {
            rates: BTreeMap::new(),
            named: BTreeMap::new(),
            slow_delay: Duration::from_millis(1500),
            seed: 0x5eed,
        }
    }
}

impl FaultConfig {
    /// `--fault-rate R`: R spread evenly over the transient faults.
    pub fn uniform(rate: f64) -> FaultConfig {
        let per = rate / FaultKind::TRANSIENT.len() as f64;
        FaultConfig {
            rates: FaultKind::TRANSIENT.iter().map(|k| (*k, per)).collect(),
            ..FaultConfig::default()
        }
    }

    pub fn with_rate(mut self, kind: FaultKind, rate: f64) -> FaultConfig {
        self.rates.insert(kind, rate);
        self
    }

    pub fn with_named(mut self, repo: &str, fault: NamedFault) -> FaultConfig {
        self.named.insert(repo.to_ascii_lowercase(), fault);
        self
    }
}

pub struct FaultState {
    config: FaultConfig,
    counter: AtomicU64,
    fired: Mutex<HashMap<String, u32>>,
    named: HashMap<String, NamedFault>,
}

impl FaultState {
    pub fn new(config: FaultConfig) -> FaultState {
        let named = config
            .named
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), *v))
            .collect();
        FaultState {
            config,
            counter: AtomicU64::new(0),
            fired: Mutex::new(HashMap::new()),
            named,
        }
    }

    pub fn slow_delay(&self) -> Duration {
        self.config.slow_delay
    }

    /// The fault for a request, if any: a named fault of its repository
    /// first, else a random draw against the rates.
    pub fn decide(
        &self,
        repo: Option<&str>,
        applicable: impl Fn(FaultKind) -> bool,
    ) -> Option<FaultKind> {
        if let Some(repo) = repo {
            let key = repo.to_ascii_lowercase();
            if let Some(f) = self.named.get(&key) {
                if applicable(f.kind) {
                    match f.times {
                        None => return Some(f.kind),
                        Some(n) => {
                            let mut fired = self.fired.lock().unwrap_or_else(|e| e.into_inner());
                            let c = fired.entry(key).or_default();
                            if *c < n {
                                *c += 1;
                                return Some(f.kind);
                            }
                        }
                    }
                }
            }
        }
        if self.config.rates.is_empty() {
            return None;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let x = (mix(self.config.seed ^ mix(n)) >> 11) as f64 / (1u64 << 53) as f64;
        let mut acc = 0.0;
        for (kind, rate) in &self.config.rates {
            if !applicable(*kind) {
                continue;
            }
            acc += rate;
            if x < acc {
                return Some(*kind);
            }
        }
        None
    }

    /// A second independent draw (which 5xx, where to cut a body).
    pub fn draw(&self) -> u64 {
        mix(self.config.seed ^ 0xabcdef ^ self.counter.fetch_add(1, Ordering::Relaxed))
    }
}
