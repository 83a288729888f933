//! The data the generator draws from: services and the secrets they need,
//! names, words. Changing these tables changes every synthetic corpus, so
//! append rather than reorder.
//!
//! The service tables sit in files by how a service is reached:
//! `api_keys` (a static key), `credentials` (tokens, passwords, connection
//! strings, OAuth), `keyless` (cloud SDK credentials, no secret at all, or
//! the server's own auth); names and words are here.

mod api_keys;
mod credentials;
mod keyless;

pub use api_keys::*;
pub use credentials::*;
pub use keyless::*;

/// A third-party service a server wraps.
#[derive(Debug, Clone, Copy)]
pub struct Service {
    pub slug: &'static str,
    pub display: &'static str,
    pub host: &'static str,
    /// What the server lets a model do ("search the web with Brave").
    pub purpose: &'static str,
    pub tool: &'static str,
    pub tool_desc: &'static str,
}

pub(super) const fn svc(
    slug: &'static str,
    display: &'static str,
    host: &'static str,
    purpose: &'static str,
    tool: &'static str,
    tool_desc: &'static str,
) -> Service {
    Service {
        slug,
        display,
        host,
        purpose,
        tool,
        tool_desc,
    }
}

pub const FIRST_NAMES: &[&str] = &[
    "alex", "sam", "jordan", "taylor", "morgan", "casey", "riley", "jamie", "avery", "quinn", "li",
    "wei", "yuki", "hiro", "anna", "maria", "lucas", "noah", "emma", "olivia", "liam", "mateo",
    "sofia", "ivan", "olga", "arjun", "priya", "ravi", "fatima", "omar", "chen", "mei", "kenji",
    "sara", "david", "daniel", "elena", "marco", "paolo", "nina", "jonas", "lea", "felix", "ada",
    "grace", "linus", "tomas", "eva", "kai", "zoe",
];

pub const ORG_WORDS: &[&str] = &[
    "labs", "dev", "ai", "tools", "hq", "io", "works", "studio", "systems", "cloud", "tech",
    "code", "hub", "base", "forge", "stack", "ops", "data", "agents", "mcp",
];

pub const ADJECTIVES: &[&str] = &[
    "tiny", "quick", "simple", "smart", "open", "awesome", "modern", "minimal", "super", "easy",
    "better", "fast", "secure", "local", "cloud", "micro", "happy", "neat", "clean", "bold",
];

pub const NOUNS: &[&str] = &[
    "blog",
    "todo",
    "dashboard",
    "portfolio",
    "notes",
    "tracker",
    "bot",
    "api",
    "cli",
    "scraper",
    "game",
    "chat",
    "shop",
    "wiki",
    "planner",
    "timer",
    "budget",
    "journal",
    "gallery",
    "dotfiles",
    "homelab",
    "compiler",
    "parser",
    "editor",
    "website",
];

pub const MOD_NAMES: &[&str] = &[
    "better-ores",
    "tech-reborn",
    "sky-islands",
    "more-furnaces",
    "magic-wands",
    "iron-chests",
    "quarry-plus",
    "ender-storage",
    "pipe-mod",
    "biome-tweaks",
    "mob-spawner",
    "fast-leaves",
    "world-edit-lite",
    "compact-machines",
];

pub const MC_VERSIONS: &[(&str, &str)] = &[
    ("1.12.2", "snapshot_20171003"),
    ("1.8.9", "stable_22"),
    ("1.7.10", "stable_12"),
    ("1.14.4", "snapshot_20190719"),
    ("1.16.5", "official"),
];
