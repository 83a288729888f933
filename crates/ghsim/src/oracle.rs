//! Ground truth for discovery benchmarks and tests: which repositories a
//! search query matches in a corpus, with no result cap and no pagination.
//! It uses the same index and matching as the served API, so "recall" means
//! exactly "found what GitHub would have listed without its cap".

use std::collections::BTreeSet;

use crate::corpus::Corpus;
use crate::error::SimError;
use crate::index::{code_in_fields, repo_in_fields, SearchIndex, CODE_QUALIFIERS, REPO_QUALIFIERS};
use crate::query::parse;
use crate::server::SimConfig;

pub struct SearchOracle<'a> {
    corpus: &'a Corpus,
    index: SearchIndex,
}

impl<'a> SearchOracle<'a> {
    /// The truth of a simulator started with `SimConfig::default()`.
    pub fn new(corpus: &'a Corpus) -> Self {
        SearchOracle::for_config(corpus, &SimConfig::default())
    }

    /// The truth of a simulator started with `config`: code search covers
    /// the same files as the served one (`code_search_max_file_bytes`).
    pub fn for_config(corpus: &'a Corpus, config: &SimConfig) -> Self {
        SearchOracle {
            corpus,
            index: SearchIndex::build(corpus, config.code_search_max_file_bytes),
        }
    }

    /// Full names of the repositories `q` matches on `endpoint`
    /// (`repositories` or `code`), uncapped.
    pub fn matches(&self, endpoint: &str, q: &str) -> Result<BTreeSet<String>, SimError> {
        let bad = |e: crate::query::QueryError| SimError::Config(format!("query {q:?}: {}", e.0));
        let ids: Vec<usize> = if endpoint == "code" {
            let parsed = parse(q, CODE_QUALIFIERS).map_err(bad)?;
            let (in_file, in_path) = code_in_fields(&parsed).map_err(bad)?;
            let text = self
                .index
                .code_text_matches(self.corpus, &parsed, in_file, in_path);
            self.index
                .code_filter(self.corpus, &parsed, &text)
                .map_err(bad)?
                .into_iter()
                .map(|f| self.index.code_file(f).0)
                .collect()
        } else {
            let parsed = parse(q, REPO_QUALIFIERS).map_err(bad)?;
            let fields = repo_in_fields(&parsed).map_err(bad)?;
            let text = self.index.repo_text_matches(self.corpus, &parsed, &fields);
            self.index
                .repo_filter(&parsed, text.as_deref())
                .map_err(bad)?
                .into_iter()
                .map(|i| i as usize)
                .collect()
        };
        Ok(ids
            .into_iter()
            .map(|i| self.corpus.repos[i].meta.full_name.clone())
            .collect())
    }
}
