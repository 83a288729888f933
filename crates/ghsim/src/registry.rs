//! The MCP registry the simulator serves beside GitHub: a list of
//! server.json entries, read from a corpus folder's `registry.jsonl` (one
//! server.json per line) or generated with a synthetic corpus
//! (`synthetic::registry`).
//!
//! The registry's own fields (status, publishedAt, updatedAt, isLatest)
//! travel in each line's `_meta` under
//! `io.modelcontextprotocol.registry/official`, as the registry lists them;
//! a line without them is active, latest, and updated at the corpus's
//! "now".

use std::path::Path;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Map, Value};

use crate::error::SimError;

/// Key of the registry's own fields in `_meta`.
pub const OFFICIAL_META: &str = "io.modelcontextprotocol.registry/official";

/// One listed version of one server.
#[derive(Debug, Clone, PartialEq)]
pub struct RegistryEntry {
    /// The server.json, without the registry's own `_meta` fields.
    pub server: Value,
    pub status: String,
    pub is_latest: bool,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RegistryEntry {
    pub fn name(&self) -> &str {
        self.server
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn version(&self) -> &str {
        self.server
            .get("version")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    /// The cursor naming this entry (the official registry's form).
    pub fn cursor(&self) -> String {
        format!("{}:{}", self.name(), self.version())
    }

    /// The entry as `GET /v0.1/servers` lists it.
    pub fn listed(&self) -> Value {
        json!({
            "server": self.server,
            "_meta": {OFFICIAL_META: self.official()}
        })
    }

    fn official(&self) -> Value {
        json!({
            "status": self.status,
            "publishedAt": self.published_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "updatedAt": self.updated_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "isLatest": self.is_latest,
        })
    }

    /// The `registry.jsonl` line: the server.json with the registry's
    /// fields in its `_meta`.
    pub fn to_line(&self) -> Value {
        let mut server = self.server.clone();
        if let Some(obj) = server.as_object_mut() {
            let meta = obj
                .entry("_meta")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert(OFFICIAL_META.into(), self.official());
            }
        }
        server
    }

    /// Reads a `registry.jsonl` line.
    pub fn from_line(mut server: Value, default_time: DateTime<Utc>) -> Result<Self, String> {
        let obj = server.as_object_mut().ok_or("not a JSON object")?;
        for field in ["name", "version"] {
            if !obj.get(field).is_some_and(Value::is_string) {
                return Err(format!("{field} is missing or not a string"));
            }
        }
        let official = obj
            .get_mut("_meta")
            .and_then(Value::as_object_mut)
            .and_then(|m| m.remove(OFFICIAL_META));
        if obj
            .get("_meta")
            .and_then(Value::as_object)
            .is_some_and(Map::is_empty)
        {
            obj.remove("_meta");
        }
        let field = |k: &str| official.as_ref().and_then(|o| o.get(k));
        let time = |k: &str| -> Result<DateTime<Utc>, String> {
            match field(k).and_then(Value::as_str) {
                None => Ok(default_time),
                Some(s) => DateTime::parse_from_rfc3339(s)
                    .map(|t| t.with_timezone(&Utc))
                    .map_err(|e| format!("{k} {s:?}: {e}")),
            }
        };
        Ok(RegistryEntry {
            status: field("status")
                .and_then(Value::as_str)
                .unwrap_or("active")
                .to_string(),
            is_latest: field("isLatest").and_then(Value::as_bool).unwrap_or(true),
            published_at: time("publishedAt")?,
            updated_at: time("updatedAt")?,
            server,
        })
    }
}

/// Every entry the simulated registry lists, in cursor order (name, then
/// version).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Registry {
    pub entries: Vec<RegistryEntry>,
}

impl Registry {
    pub fn new(mut entries: Vec<RegistryEntry>) -> Registry {
        entries.sort_by_key(RegistryEntry::cursor);
        Registry { entries }
    }

    /// Reads `registry.jsonl`; a missing file is an empty registry.
    pub fn read_jsonl(path: &Path) -> Result<Registry, SimError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Registry::default()),
            Err(e) => {
                return Err(SimError::Config(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        };
        let default_time = Utc
            .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
            .single()
            .unwrap_or_default();
        let mut entries = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let bad = |detail: String| {
                SimError::Config(format!(
                    "{} line {}: {detail} (each line is one server.json)",
                    path.display(),
                    i + 1
                ))
            };
            let value: Value = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
            entries.push(RegistryEntry::from_line(value, default_time).map_err(bad)?);
        }
        Ok(Registry::new(entries))
    }

    pub fn write_jsonl(&self, path: &Path) -> std::io::Result<()> {
        let mut out = String::new();
        for e in &self.entries {
            out.push_str(&e.to_line().to_string());
            out.push('\n');
        }
        std::fs::write(path, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_round_trips_with_its_registry_fields() {
        let t = Utc
            .with_ymd_and_hms(2026, 3, 4, 5, 6, 7)
            .single()
            .expect("time");
        let entry = RegistryEntry {
            server: json!({"name": "io.github.a/b", "version": "1.0.0",
                           "_meta": {"io.modelcontextprotocol.registry/publisher-provided": {"x": 1}}}),
            status: "deprecated".into(),
            is_latest: false,
            published_at: t,
            updated_at: t,
        };
        let back = RegistryEntry::from_line(entry.to_line(), Utc::now()).expect("line");
        assert_eq!(back, entry);
        let bare = RegistryEntry::from_line(json!({"name": "n", "version": "1"}), t).expect("bare");
        assert!(bare.is_latest && bare.status == "active" && bare.updated_at == t);
        assert!(RegistryEntry::from_line(json!({"name": 3, "version": "1"}), t).is_err());
    }
}
