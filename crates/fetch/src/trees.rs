//! A whole git tree through the trees API, also when GitHub truncates the
//! recursive listing (over 100,000 entries or 7 MB): `truncated: true` means
//! the entries are only a prefix, and files the classifier reads may be
//! missing from it. The way through, as GitHub's documentation suggests, is
//! to list folder by folder: each folder recursively when that fits, one
//! level at a time where it does not.

use mcp_survey_github::{GithubClient, GithubError, Tree, TreeEntry};

/// At most this many tree requests per repository: a pathological tree
/// stays bounded (its listing is then reported as still truncated).
const MAX_TREE_REQUESTS: usize = 500;

/// The entries of `tree` (the recursive answer for `root_sha`), completed
/// folder by folder when GitHub truncated it. Paths are relative to the
/// repository root. The flag says the listing is still incomplete.
pub async fn complete_tree(
    client: &GithubClient,
    full_name: &str,
    root_sha: &str,
    tree: Tree,
) -> Result<(Vec<TreeEntry>, bool), GithubError> {
    if !tree.truncated {
        return Ok((tree.entries, false));
    }
    let mut entries = Vec::new();
    let mut still_truncated = false;
    let mut requests = 0usize;
    // (path prefix, tree sha): folders still to list.
    let mut folders = vec![(String::new(), root_sha.to_string())];
    while let Some((prefix, sha)) = folders.pop() {
        if requests >= MAX_TREE_REQUESTS {
            still_truncated = true;
            break;
        }
        requests += 1;
        let whole = client.tree_with(full_name, &sha, true).await?;
        if !whole.truncated {
            entries.extend(whole.entries.into_iter().map(|e| under(&prefix, e)));
            continue;
        }
        // Too big recursively: this level only, then each sub-folder.
        requests += 1;
        let level = client.tree_with(full_name, &sha, false).await?;
        still_truncated |= level.truncated;
        for e in level.entries {
            let e = under(&prefix, e);
            if e.kind == "tree" {
                folders.push((e.path.clone(), e.sha.clone()));
            }
            entries.push(e);
        }
    }
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((entries, still_truncated))
}

fn under(prefix: &str, mut e: TreeEntry) -> TreeEntry {
    if !prefix.is_empty() {
        e.path = format!("{prefix}/{}", e.path);
    }
    e
}
