//! Fixture builders shared by the rule tests.
// Each test binary uses only some of these.
#![allow(dead_code)]

use mcp_survey_classify::classify;
use mcp_survey_model::{RepoFile, RepoFiles, Verdict};

pub fn repo_named(full_name: Option<&str>, files: &[(&str, &str)]) -> RepoFiles {
    RepoFiles {
        full_name: full_name.map(str::to_string),
        description: None,
        files: files
            .iter()
            .map(|(p, t)| RepoFile {
                path: p.to_string(),
                text: t.to_string(),
            })
            .collect(),
    }
}

pub fn repo(files: &[(&str, &str)]) -> RepoFiles {
    repo_named(None, files)
}

pub fn run_named(full_name: Option<&str>, files: &[(&str, &str)]) -> Verdict {
    classify(&repo_named(full_name, files))
}

pub fn run(files: &[(&str, &str)]) -> Verdict {
    classify(&repo(files))
}
