//! Search indexes built once when the simulator starts: inverted token lists
//! for repository name/description/topics/README and for every code-search
//! eligible file, so a request never rescans README or file text except to
//! confirm a multi-token phrase on the few candidates that have every token.

use std::collections::HashMap;

use crate::corpus::{language_of_path, Corpus, SimRepo};
use crate::prng::fnv1a;
use crate::query::{parse_range, ParsedQuery, QueryError, Range};
use crate::tokens::tokenize;

/// True when `needle` occurs as adjacent tokens in `text`. Compares token
/// hashes in a ring of the last `needle.len()` tokens, so scanning a file
/// allocates nothing per token.
pub fn contains_phrase(text: &str, needle: &[String]) -> bool {
    if needle.is_empty() {
        return true;
    }
    let want: Vec<u64> = needle.iter().map(|t| fnv1a(t.as_bytes())).collect();
    let k = want.len();
    let mut ring = vec![0u64; k];
    let mut seen = 0usize;
    let mut found = false;
    tokenize(text, |t| {
        if found {
            return;
        }
        ring[seen % k] = fnv1a(t.as_bytes());
        seen += 1;
        if seen >= k && (0..k).all(|i| ring[(seen - k + i) % k] == want[i]) {
            found = true;
        }
    });
    found
}

#[derive(Default)]
struct Interner {
    ids: HashMap<String, u32>,
}

impl Interner {
    fn intern(&mut self, t: &str) -> u32 {
        if let Some(id) = self.ids.get(t) {
            return *id;
        }
        let id = self.ids.len() as u32;
        self.ids.insert(t.to_string(), id);
        id
    }

    fn get(&self, t: &str) -> Option<u32> {
        self.ids.get(t).copied()
    }
}

/// Token -> sorted document ids.
#[derive(Default)]
struct Postings {
    lists: HashMap<u32, Vec<u32>>,
}

impl Postings {
    fn add_doc(&mut self, doc: u32, tokens: &mut Vec<u32>) {
        tokens.sort_unstable();
        tokens.dedup();
        for t in tokens.iter() {
            self.lists.entry(*t).or_default().push(doc);
        }
    }

    fn get(&self, t: u32) -> &[u32] {
        self.lists.get(&t).map_or(&[], |v| v.as_slice())
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum RepoField {
    Name,
    Description,
    Topics,
    Readme,
}

const REPO_FIELDS: [RepoField; 4] = [
    RepoField::Name,
    RepoField::Description,
    RepoField::Topics,
    RepoField::Readme,
];

struct RepoDoc {
    created: i64,
    pushed: i64,
    stars: i64,
    forks: i64,
    size: i64,
    fork: bool,
    archived: bool,
    language: String,
    owner: String,
    full_name: String,
    topics: Vec<String>,
}

struct CodeFile {
    repo: u32,
    path: String,
    basename: String,
    extension: String,
    language: Option<&'static str>,
    size: u64,
}

pub struct SearchIndex {
    interner: Interner,
    fields: HashMap<RepoField, Postings>,
    docs: Vec<RepoDoc>,
    code_postings: Postings,
    code_files: Vec<CodeFile>,
}

/// Languages GitHub spells differently in qualifiers.
fn language_alias(v: &str) -> String {
    let l = v.to_ascii_lowercase();
    match l.as_str() {
        "csharp" | "c-sharp" => "c#".into(),
        "cpp" | "c-plus-plus" => "c++".into(),
        "js" | "node" => "javascript".into(),
        "ts" => "typescript".into(),
        "py" => "python".into(),
        "golang" => "go".into(),
        "rs" => "rust".into(),
        _ => l,
    }
}

pub const REPO_QUALIFIERS: &[&str] = &[
    "in", "created", "pushed", "stars", "forks", "size", "topic", "topics", "language", "fork",
    "archived", "user", "org", "repo", "is", "sort",
];

pub const CODE_QUALIFIERS: &[&str] = &[
    "in",
    "filename",
    "path",
    "extension",
    "language",
    "size",
    "repo",
    "user",
    "org",
    "fork",
];

fn field_text(repo: &SimRepo, field: RepoField) -> String {
    match field {
        RepoField::Name => repo.meta.name().to_string(),
        RepoField::Description => repo.meta.description.clone().unwrap_or_default(),
        RepoField::Topics => repo.meta.topics.join(" "),
        RepoField::Readme => repo
            .readme()
            .map(|r| String::from_utf8_lossy(r).into_owned())
            .unwrap_or_default(),
    }
}

impl SearchIndex {
    pub fn build(corpus: &Corpus, max_code_file_bytes: u64) -> SearchIndex {
        let mut interner = Interner::default();
        let mut fields: HashMap<RepoField, Postings> = HashMap::new();
        let mut docs = Vec::with_capacity(corpus.repos.len());
        let mut code_postings = Postings::default();
        let mut code_files = Vec::new();
        let mut scratch = Vec::new();
        for (i, repo) in corpus.repos.iter().enumerate() {
            let doc = i as u32;
            for field in REPO_FIELDS {
                scratch.clear();
                tokenize(&field_text(repo, field), |t| {
                    scratch.push(interner.intern(t))
                });
                fields.entry(field).or_default().add_doc(doc, &mut scratch);
            }
            let m = &repo.meta;
            docs.push(RepoDoc {
                created: m.created_at.timestamp(),
                pushed: m.pushed_at.unwrap_or(m.created_at).timestamp(),
                stars: m.stargazers_count,
                forks: m.forks_count,
                size: m.size,
                fork: m.fork,
                archived: m.archived,
                language: m.language.clone().unwrap_or_default().to_ascii_lowercase(),
                owner: m.owner().to_ascii_lowercase(),
                full_name: m.full_name.to_ascii_lowercase(),
                topics: m.topics.iter().map(|t| t.to_ascii_lowercase()).collect(),
            });
            // Code search covers only files under the size limit, and (like
            // GitHub for almost all of them) not forks.
            if m.fork {
                continue;
            }
            for (path, content) in &repo.files {
                if content.len() as u64 >= max_code_file_bytes || content.contains(&0) {
                    continue;
                }
                let Ok(text) = std::str::from_utf8(content) else {
                    continue;
                };
                let fid = code_files.len() as u32;
                scratch.clear();
                tokenize(text, |t| scratch.push(interner.intern(t)));
                code_postings.add_doc(fid, &mut scratch);
                let basename = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
                let extension = basename
                    .rsplit_once('.')
                    .map(|(_, e)| e.to_string())
                    .unwrap_or_default();
                code_files.push(CodeFile {
                    repo: doc,
                    path: path.clone(),
                    basename,
                    extension,
                    language: language_of_path(path),
                    size: content.len() as u64,
                });
            }
        }
        SearchIndex {
            interner,
            fields,
            docs,
            code_postings,
            code_files,
        }
    }

    pub fn code_file(&self, id: u32) -> (usize, &str) {
        let f = &self.code_files[id as usize];
        (f.repo as usize, &f.path)
    }

    /// Documents holding every token of `phrase` (not yet checked for
    /// adjacency).
    fn candidates(&self, postings: &Postings, phrase: &[String]) -> Vec<u32> {
        let mut lists: Vec<&[u32]> = Vec::with_capacity(phrase.len());
        for t in phrase {
            match self.interner.get(t) {
                Some(id) => lists.push(postings.get(id)),
                None => return Vec::new(),
            }
        }
        lists.sort_by_key(|l| l.len());
        let Some((first, rest)) = lists.split_first() else {
            return Vec::new();
        };
        first
            .iter()
            .copied()
            .filter(|d| rest.iter().all(|l| l.binary_search(d).is_ok()))
            .collect()
    }

    /// Repositories matching the text part of a query (every non-negated
    /// clause, none of the negated ones) in the given fields. None when the
    /// query has no positive text: every repository is a candidate.
    pub fn repo_text_matches(
        &self,
        corpus: &Corpus,
        q: &ParsedQuery,
        in_fields: &[RepoField],
    ) -> Option<Vec<u32>> {
        let mut result: Option<Vec<u32>> = None;
        for clause in q.clauses.iter().filter(|c| !c.negated) {
            let mut hits: Vec<u32> = Vec::new();
            for alt in &clause.alts {
                for field in in_fields {
                    let Some(p) = self.fields.get(field) else {
                        continue;
                    };
                    let cands = self.candidates(p, alt);
                    if alt.len() == 1 {
                        hits.extend(cands);
                    } else {
                        hits.extend(cands.into_iter().filter(|d| {
                            contains_phrase(&field_text(&corpus.repos[*d as usize], *field), alt)
                        }));
                    }
                }
            }
            hits.sort_unstable();
            hits.dedup();
            result = Some(match result {
                None => hits,
                Some(prev) => intersect(&prev, &hits),
            });
        }
        let negs: Vec<_> = q.clauses.iter().filter(|c| c.negated).collect();
        if negs.is_empty() {
            return result;
        }
        let all: Vec<u32> = result.unwrap_or_else(|| (0..self.docs.len() as u32).collect());
        Some(
            all.into_iter()
                .filter(|d| {
                    let repo = &corpus.repos[*d as usize];
                    !negs.iter().any(|c| {
                        c.alts.iter().any(|alt| {
                            in_fields
                                .iter()
                                .any(|f| contains_phrase(&field_text(repo, *f), alt))
                        })
                    })
                })
                .collect(),
        )
    }

    /// Files matching the text part of a code query in their content (and
    /// path when `in:path`).
    pub fn code_text_matches(
        &self,
        corpus: &Corpus,
        q: &ParsedQuery,
        in_file: bool,
        in_path: bool,
    ) -> Vec<u32> {
        let mut result: Option<Vec<u32>> = None;
        for clause in q.clauses.iter().filter(|c| !c.negated) {
            let mut hits: Vec<u32> = Vec::new();
            for alt in &clause.alts {
                if in_file {
                    let cands = self.candidates(&self.code_postings, alt);
                    if alt.len() == 1 {
                        hits.extend(cands);
                    } else {
                        hits.extend(
                            cands
                                .into_iter()
                                .filter(|f| contains_phrase(&self.file_text(corpus, *f), alt)),
                        );
                    }
                }
                if in_path {
                    for (fid, f) in self.code_files.iter().enumerate() {
                        if contains_phrase(&f.path, alt) {
                            hits.push(fid as u32);
                        }
                    }
                }
            }
            hits.sort_unstable();
            hits.dedup();
            result = Some(match result {
                None => hits,
                Some(prev) => intersect(&prev, &hits),
            });
        }
        let mut files = result.unwrap_or_default();
        let negs: Vec<_> = q.clauses.iter().filter(|c| c.negated).collect();
        if !negs.is_empty() {
            files.retain(|f| {
                let text = self.file_text(corpus, *f);
                !negs
                    .iter()
                    .any(|c| c.alts.iter().any(|alt| contains_phrase(&text, alt)))
            });
        }
        files
    }

    fn file_text(&self, corpus: &Corpus, fid: u32) -> String {
        let f = &self.code_files[fid as usize];
        corpus.repos[f.repo as usize]
            .files
            .get(&f.path)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .unwrap_or_default()
    }

    /// Applies repository qualifiers; returns the ids that pass.
    pub fn repo_filter(
        &self,
        q: &ParsedQuery,
        candidates: Option<&[u32]>,
    ) -> Result<Vec<u32>, QueryError> {
        let filters = RepoFilters::from_query(q)?;
        let check = |d: &u32| filters.accepts(&self.docs[*d as usize]);
        Ok(match candidates {
            Some(c) => c.iter().copied().filter(check).collect(),
            None => (0..self.docs.len() as u32).filter(check).collect(),
        })
    }

    pub fn code_filter(
        &self,
        corpus: &Corpus,
        q: &ParsedQuery,
        candidates: &[u32],
    ) -> Result<Vec<u32>, QueryError> {
        let filters = CodeFilters::from_query(q)?;
        let _ = corpus;
        Ok(candidates
            .iter()
            .copied()
            .filter(|f| {
                let file = &self.code_files[*f as usize];
                filters.accepts(file, &self.docs[file.repo as usize])
            })
            .collect())
    }

    /// Sort key lookups for `sort=`.
    pub fn sort_repos(
        &self,
        ids: &mut [u32],
        sort: Option<&str>,
        ascending: bool,
        corpus: &Corpus,
    ) {
        let key = |d: &u32| -> i64 {
            let doc = &self.docs[*d as usize];
            match sort {
                Some("stars") => doc.stars,
                Some("forks") => doc.forks,
                Some("updated") => doc.pushed,
                Some("help-wanted-issues") => 0,
                _ => doc.stars,
            }
        };
        let id = |d: &u32| corpus.repos[*d as usize].meta.id;
        if ascending {
            ids.sort_by(|a, b| key(a).cmp(&key(b)).then(id(a).cmp(&id(b))));
        } else {
            ids.sort_by(|a, b| key(b).cmp(&key(a)).then(id(a).cmp(&id(b))));
        }
    }
}

fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (small, big) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    small
        .iter()
        .copied()
        .filter(|x| big.binary_search(x).is_ok())
        .collect()
}

/// Which repository fields `in:` asks for (GitHub's default when absent:
/// name, description and topics).
pub fn repo_in_fields(q: &ParsedQuery) -> Result<Vec<RepoField>, QueryError> {
    let mut out = Vec::new();
    for qual in q.qual("in") {
        for part in qual.value.split(',') {
            let f = match part.trim().to_ascii_lowercase().as_str() {
                "name" => RepoField::Name,
                "description" => RepoField::Description,
                "readme" => RepoField::Readme,
                "topics" => RepoField::Topics,
                other => {
                    return Err(QueryError(format!(
                        "in:{other} is not a repository field (use name, description, topics or readme)"
                    )))
                }
            };
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    if out.is_empty() {
        out = vec![RepoField::Name, RepoField::Description, RepoField::Topics];
    }
    Ok(out)
}

pub fn code_in_fields(q: &ParsedQuery) -> Result<(bool, bool), QueryError> {
    let mut file = false;
    let mut path = false;
    for qual in q.qual("in") {
        for part in qual.value.split(',') {
            match part.trim().to_ascii_lowercase().as_str() {
                "file" => file = true,
                "path" => path = true,
                other => {
                    return Err(QueryError(format!(
                        "in:{other} is not valid for code search (use file or path)"
                    )))
                }
            }
        }
    }
    if !file && !path {
        file = true;
    }
    Ok((file, path))
}

fn parse_bool(key: &str, v: &str) -> Result<bool, QueryError> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(QueryError(format!("{key}:{v} must be true or false"))),
    }
}

#[derive(Default)]
struct RepoFilters {
    ranges: Vec<(&'static str, Range, bool)>,
    topics: Vec<(String, bool)>,
    languages: Vec<(String, bool)>,
    owners: Vec<(String, bool)>,
    repos: Vec<(String, bool)>,
    fork_mode: ForkMode,
    archived: Option<bool>,
    private: bool,
}

#[derive(Default, PartialEq)]
enum ForkMode {
    #[default]
    Exclude,
    Include,
    Only,
}

impl RepoFilters {
    fn from_query(q: &ParsedQuery) -> Result<RepoFilters, QueryError> {
        let mut f = RepoFilters::default();
        for qual in &q.quals {
            let v = qual.value.as_str();
            let neg = qual.negated;
            match qual.key.as_str() {
                "created" => f.ranges.push(("created", parse_range(v, true)?, neg)),
                "pushed" => f.ranges.push(("pushed", parse_range(v, true)?, neg)),
                "stars" => f.ranges.push(("stars", parse_range(v, false)?, neg)),
                "forks" => f.ranges.push(("forks", parse_range(v, false)?, neg)),
                "size" => f.ranges.push(("size", parse_range(v, false)?, neg)),
                "topics" => f.ranges.push(("topics", parse_range(v, false)?, neg)),
                "topic" => f.topics.push((v.to_ascii_lowercase(), neg)),
                "language" => f.languages.push((language_alias(v), neg)),
                "user" | "org" => f.owners.push((v.to_ascii_lowercase(), neg)),
                "repo" => f.repos.push((v.to_ascii_lowercase(), neg)),
                "fork" => {
                    f.fork_mode = match v.to_ascii_lowercase().as_str() {
                        "true" => ForkMode::Include,
                        "only" => ForkMode::Only,
                        "false" => ForkMode::Exclude,
                        _ => {
                            return Err(QueryError(format!("fork:{v} must be true, false or only")))
                        }
                    }
                }
                "archived" => f.archived = Some(parse_bool("archived", v)? != neg),
                "is" => match v.to_ascii_lowercase().as_str() {
                    "public" => f.private = neg,
                    "private" => f.private = !neg,
                    "archived" => f.archived = Some(!neg),
                    "fork" => {
                        f.fork_mode = if neg {
                            ForkMode::Exclude
                        } else {
                            ForkMode::Only
                        }
                    }
                    _ => {
                        return Err(QueryError(format!(
                            "is:{v} is not supported (use public, private, archived or fork)"
                        )))
                    }
                },
                "in" | "sort" => {}
                other => {
                    return Err(QueryError(format!(
                        "qualifier {other}: is not valid for repository search"
                    )))
                }
            }
        }
        Ok(f)
    }

    fn accepts(&self, d: &RepoDoc) -> bool {
        if self.private {
            return false;
        }
        match self.fork_mode {
            ForkMode::Exclude if d.fork => return false,
            ForkMode::Only if !d.fork => return false,
            _ => {}
        }
        if let Some(a) = self.archived {
            if d.archived != a {
                return false;
            }
        }
        for (key, range, neg) in &self.ranges {
            let x = match *key {
                "created" => d.created,
                "pushed" => d.pushed,
                "stars" => d.stars,
                "forks" => d.forks,
                "size" => d.size,
                _ => d.topics.len() as i64,
            };
            if range.contains(x) == *neg {
                return false;
            }
        }
        for (t, neg) in &self.topics {
            if d.topics.iter().any(|x| x == t) == *neg {
                return false;
            }
        }
        // Several positive language:/user: qualifiers are OR-ed, as on GitHub.
        if !one_of(&self.languages, |l| d.language == *l) {
            return false;
        }
        if !one_of(&self.owners, |o| d.owner == *o) {
            return false;
        }
        if !one_of(&self.repos, |r| d.full_name == *r) {
            return false;
        }
        true
    }
}

/// Positive values OR-ed, negative ones all excluded.
fn one_of(values: &[(String, bool)], matches: impl Fn(&String) -> bool) -> bool {
    let positives: Vec<&String> = values.iter().filter(|(_, n)| !n).map(|(v, _)| v).collect();
    if !positives.is_empty() && !positives.iter().any(|v| matches(v)) {
        return false;
    }
    !values.iter().any(|(v, n)| *n && matches(v))
}

#[derive(Default)]
struct CodeFilters {
    filenames: Vec<(String, bool)>,
    paths: Vec<(String, bool)>,
    extensions: Vec<(String, bool)>,
    languages: Vec<(String, bool)>,
    sizes: Vec<(Range, bool)>,
    repos: Vec<(String, bool)>,
    owners: Vec<(String, bool)>,
}

impl CodeFilters {
    fn from_query(q: &ParsedQuery) -> Result<CodeFilters, QueryError> {
        let mut f = CodeFilters::default();
        for qual in &q.quals {
            let v = qual.value.to_ascii_lowercase();
            let neg = qual.negated;
            match qual.key.as_str() {
                "filename" => f.filenames.push((v, neg)),
                "path" => f.paths.push((v.trim_matches('/').to_string(), neg)),
                "extension" => f
                    .extensions
                    .push((v.trim_start_matches('.').to_string(), neg)),
                "language" => f.languages.push((language_alias(&v), neg)),
                "size" => f.sizes.push((parse_range(&v, false)?, neg)),
                "repo" => f.repos.push((v, neg)),
                "user" | "org" => f.owners.push((v, neg)),
                "in" | "fork" => {}
                other => {
                    return Err(QueryError(format!(
                        "qualifier {other}: is not valid for code search"
                    )))
                }
            }
        }
        Ok(f)
    }

    fn accepts(&self, file: &CodeFile, repo: &RepoDoc) -> bool {
        let stem = file
            .basename
            .rsplit_once('.')
            .map_or(file.basename.as_str(), |(s, _)| s);
        if !one_of(&self.filenames, |n| {
            file.basename == *n || (!n.contains('.') && stem == n)
        }) {
            return false;
        }
        let dir = file
            .path
            .rsplit_once('/')
            .map_or("", |(d, _)| d)
            .to_ascii_lowercase();
        if !one_of(&self.paths, |p| {
            if p.is_empty() {
                dir.is_empty()
            } else {
                dir == *p
                    || dir.starts_with(&format!("{p}/"))
                    || dir.ends_with(&format!("/{p}"))
                    || dir.contains(&format!("/{p}/"))
            }
        }) {
            return false;
        }
        if !one_of(&self.extensions, |e| file.extension == *e) {
            return false;
        }
        let lang = file
            .language
            .map(|l| l.to_ascii_lowercase())
            .unwrap_or_default();
        if !one_of(&self.languages, |l| lang == *l) {
            return false;
        }
        for (r, neg) in &self.sizes {
            if r.contains(file.size as i64) == *neg {
                return false;
            }
        }
        if !one_of(&self.repos, |r| repo.full_name == *r) {
            return false;
        }
        one_of(&self.owners, |o| repo.owner == *o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::tokenize_to_vec;

    #[test]
    fn tokenizes_like_github() {
        assert_eq!(
            tokenize_to_vec("@modelcontextprotocol/sdk"),
            vec!["modelcontextprotocol", "sdk"]
        );
        assert_eq!(
            tokenize_to_vec("mcp-server_x Foo.Bar"),
            vec!["mcp", "server_x", "foo", "bar"]
        );
        assert!(contains_phrase(
            "\"@modelcontextprotocol/sdk\": \"^1.0\"",
            &tokenize_to_vec("@modelcontextprotocol/sdk")
        ));
        assert!(!contains_phrase(
            "sdk modelcontextprotocol",
            &tokenize_to_vec("modelcontextprotocol sdk")
        ));
    }
}
