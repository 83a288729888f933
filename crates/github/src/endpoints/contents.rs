//! `GET /repos/{owner}/{repo}/contents/{path}`: one file's bytes, from
//! GitHub's base64 envelope or raw.

use base64::Engine as _;
use http::header::CONTENT_TYPE;
use serde_json::Value;

use crate::client::GithubClient;
use crate::error::GithubError;
use crate::request::{repo_url, ApiRequest, RAW_ACCEPT};
use crate::resource::Resource;
use crate::retry::DecodeFailure;

enum Got {
    Bytes(Vec<u8>),
    NotFile(String),
    TooBigForEnvelope,
}

impl GithubClient {
    /// `GET /repos/{owner}/{repo}/contents/{path}?ref=`: the file's bytes.
    /// Reads GitHub's base64 envelope, or raw bytes when the server sends
    /// them, and asks for the raw form when a file is too big for the
    /// envelope (over 1 MB GitHub leaves `content` empty).
    pub async fn contents(
        &self,
        full_name: &str,
        path: &str,
        git_ref: &str,
    ) -> Result<Vec<u8>, GithubError> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segments.is_empty() || segments.iter().any(|s| *s == "." || *s == "..") {
            return Err(GithubError::InvalidArgument(format!(
                "file path {path:?} of {full_name} is empty or has . / .. segments"
            )));
        }
        let mut tail = vec!["contents"];
        tail.extend(segments);
        let mut url = repo_url(&self.inner.config.base_url, full_name, &tail)?;
        if !git_ref.is_empty() {
            url.query_pairs_mut().append_pair("ref", git_ref);
        }
        let what = format!(
            "file {path} at {git_ref} of {full_name} (GET /repos/{full_name}/contents/{path})"
        );
        let req = ApiRequest::get(url, Resource::Core, what.clone());
        let got = self
            .get_decoded(&req, |a| {
                let is_json = a
                    .headers
                    .get(CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|ct| ct.contains("json"));
                if !is_json {
                    return Ok(Got::Bytes(a.body.to_vec()));
                }
                let v: Value = serde_json::from_slice(&a.body)?;
                decode_contents(&v, &what)
                    .map(|o| o.map_or(Got::TooBigForEnvelope, Got::Bytes))
                    .or_else(|e| match e {
                        // A JSON file served raw (no envelope fields).
                        ContentsShape::NotEnvelope => Ok(Got::Bytes(a.body.to_vec())),
                        ContentsShape::NotFile(kind) => Ok(Got::NotFile(kind)),
                        ContentsShape::Bad(d) => Err(d),
                    })
            })
            .await?;
        match got {
            Got::Bytes(b) => Ok(b),
            Got::NotFile(kind) => Err(GithubError::NotAFile { what, kind }),
            Got::TooBigForEnvelope => {
                let raw = req.accepting(RAW_ACCEPT);
                self.get_decoded(&raw, |a| Ok(a.body.to_vec())).await
            }
        }
    }
}

enum ContentsShape {
    NotEnvelope,
    /// GitHub's description of a symlink or submodule, not a file.
    NotFile(String),
    Bad(DecodeFailure),
}

/// Reads the contents API's envelope: `Ok(None)` when the file is too big
/// for it and must be asked for raw.
fn decode_contents(v: &Value, what: &str) -> Result<Option<Vec<u8>>, ContentsShape> {
    let bad = |detail: String| {
        ContentsShape::Bad(DecodeFailure {
            syntax: false,
            detail,
        })
    };
    if v.is_array() {
        return Err(bad(format!("{what} is a directory, not a file")));
    }
    let Some(obj) = v.as_object() else {
        return Err(ContentsShape::NotEnvelope);
    };
    // A symlink whose target is not a file in the repository, and a
    // submodule, are described rather than sent: `type` plus `target` or
    // `submodule_git_url`, and no `content`. Read as a file, that
    // description would be stored as the file's bytes.
    let kind = obj.get("type").and_then(Value::as_str);
    let has_sha = obj.get("sha").is_some_and(Value::is_string);
    match kind {
        Some("symlink") if has_sha && obj.contains_key("target") => {
            return Err(ContentsShape::NotFile("symlink".into()))
        }
        Some("submodule")
            if has_sha
                && (obj.contains_key("submodule_git_url") || !obj.contains_key("content")) =>
        {
            return Err(ContentsShape::NotFile("submodule".into()))
        }
        _ => {}
    }
    if !(obj.contains_key("sha") && (obj.contains_key("content") || obj.contains_key("encoding"))) {
        return Err(ContentsShape::NotEnvelope);
    }
    if let Some(kind) = kind {
        if kind != "file" {
            return Err(bad(format!("{what} is a {kind}, not a file")));
        }
    }
    let encoding = obj
        .get("encoding")
        .and_then(Value::as_str)
        .unwrap_or("base64");
    let content = match obj.get("content") {
        Some(Value::String(s)) => s.as_str(),
        Some(Value::Null) | None => "",
        Some(_) => return Err(bad("`content` is not a string".into())),
    };
    let size = obj.get("size").and_then(Value::as_u64).unwrap_or(0);
    if encoding == "none" || (content.is_empty() && size > 0) {
        return Ok(None);
    }
    match encoding {
        "base64" => {
            let cleaned: String = content.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(cleaned.as_bytes())
                .map(Some)
                .map_err(|e| bad(format!("`content` is not valid base64: {e}")))
        }
        "utf-8" | "" => Ok(Some(content.as_bytes().to_vec())),
        other => Err(bad(format!("unknown content encoding {other:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_envelope() {
        let v = serde_json::json!({"type": "file", "encoding": "base64", "sha": "x", "size": 5, "content": "aGVs\nbG8=\n"});
        assert_eq!(
            decode_contents(&v, "f").ok().flatten(),
            Some(b"hello".to_vec())
        );
        let big = serde_json::json!({"type": "file", "encoding": "none", "sha": "x", "size": 5_000_000, "content": ""});
        assert!(matches!(decode_contents(&big, "f"), Ok(None)));
        let pkg = serde_json::json!({"name": "x", "dependencies": {}});
        assert!(matches!(
            decode_contents(&pkg, "f"),
            Err(ContentsShape::NotEnvelope)
        ));
    }
}
