//! From a registry entry's `repository.url` to the GitHub repository it
//! names. Publishers write the same repository many ways: any case, with
//! `.git`, a trailing slash, `www.`, `git+` or `git@github.com:`, or a link
//! into a monorepo folder (`/tree/main/packages/x`), which is kept as the
//! server's subfolder.

/// A GitHub repository named by a URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GithubRepoRef {
    /// OWNER/NAME, lower case (GitHub names are case-insensitive).
    pub full_name: String,
    /// Folder inside the repository, from `/tree/REF/PATH` or `/blob/REF/PATH`.
    pub subfolder: Option<String>,
}

/// What a repository URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoUrl {
    Github(GithubRepoRef),
    /// Another host (GitLab, a company's forge): not reachable through
    /// GitHub's API.
    Elsewhere,
}

/// Reads a repository URL; `None` when the text is no URL at all.
pub fn parse_repo_url(url: &str) -> Option<RepoUrl> {
    let mut rest = url.trim();
    if rest.is_empty() {
        return None;
    }
    for prefix in ["git+", "git://"] {
        if let Some(r) = rest.strip_prefix(prefix) {
            rest = r;
        }
    }
    let after_scheme = if let Some(r) = rest.strip_prefix("git@") {
        // scp-like: git@github.com:owner/name.git
        r.replacen(':', "/", 1)
    } else if let Some((scheme, r)) = rest.split_once("://") {
        if !matches!(
            scheme.to_ascii_lowercase().as_str(),
            "http" | "https" | "ssh"
        ) {
            return Some(RepoUrl::Elsewhere);
        }
        r.to_string()
    } else {
        rest.to_string()
    };
    let without_query = after_scheme
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_string();
    let mut parts = without_query.split('/').filter(|p| !p.is_empty());
    let host = parts.next()?.to_ascii_lowercase();
    // A user part (`git@` in ssh://git@github.com/...) is not the host.
    let host = host.rsplit('@').next().unwrap_or_default().to_string();
    let host = host.strip_prefix("www.").unwrap_or(&host).to_string();
    if host != "github.com" {
        return Some(RepoUrl::Elsewhere);
    }
    let owner = parts.next()?;
    let name = parts.next()?;
    let name = name.strip_suffix(".git").unwrap_or(name);
    if !valid_segment(owner) || !valid_segment(name) {
        return None;
    }
    let rest: Vec<&str> = parts.collect();
    let subfolder = match rest.as_slice() {
        ["tree" | "blob", _reference, path @ ..] if !path.is_empty() => Some(path.join("/")),
        _ => None,
    };
    Some(RepoUrl::Github(GithubRepoRef {
        full_name: format!("{owner}/{name}").to_ascii_lowercase(),
        subfolder,
    }))
}

fn valid_segment(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github(url: &str) -> (String, Option<String>) {
        match parse_repo_url(url) {
            Some(RepoUrl::Github(r)) => (r.full_name, r.subfolder),
            other => panic!("{url}: {other:?}"),
        }
    }

    #[test]
    fn one_repository_however_it_is_written() {
        for url in [
            "https://github.com/Octo/Weather-MCP",
            "https://github.com/octo/weather-mcp.git",
            "https://github.com/octo/weather-mcp/",
            "http://www.github.com/octo/weather-mcp",
            "git+https://github.com/octo/weather-mcp.git",
            "git@github.com:octo/weather-mcp.git",
            "ssh://git@github.com/octo/weather-mcp",
            "https://github.com/octo/weather-mcp#readme",
            "https://github.com/octo/weather-mcp/issues",
        ] {
            assert_eq!(github(url), ("octo/weather-mcp".into(), None), "{url}");
        }
    }

    #[test]
    fn keeps_a_monorepo_folder_as_the_subfolder() {
        assert_eq!(
            github("https://github.com/acme/servers/tree/main/src/git"),
            ("acme/servers".into(), Some("src/git".into()))
        );
        assert_eq!(
            github("https://github.com/acme/servers/blob/v1.2/packages/db/README.md"),
            ("acme/servers".into(), Some("packages/db/README.md".into()))
        );
        assert_eq!(
            github("https://github.com/acme/servers/tree/main"),
            ("acme/servers".into(), None)
        );
    }

    #[test]
    fn other_hosts_and_non_urls() {
        assert_eq!(
            parse_repo_url("https://gitlab.com/octo/weather"),
            Some(RepoUrl::Elsewhere)
        );
        assert_eq!(
            parse_repo_url("ftp://github.com/octo/weather"),
            Some(RepoUrl::Elsewhere)
        );
        assert_eq!(parse_repo_url(""), None);
        assert_eq!(parse_repo_url("https://github.com/octo"), None);
        assert_eq!(parse_repo_url("https://github.com/../etc"), None);
    }
}
