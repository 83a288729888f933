//! Where an archive redirect may lead. GitHub answers a tarball request
//! with a 302 to its download host; anything else (another scheme such as
//! `file://`, another host) is refused at once: following it would at best
//! fail as a "network error" retried many times, at worst send a request
//! somewhere the survey never meant to go.

use url::Url;

/// GitHub's archive download host.
pub const GITHUB_DOWNLOAD_HOST: &str = "codeload.github.com";

/// Checks a redirect target against the API's own host (a simulator or
/// GitHub Enterprise serves archives itself) and GitHub's download host.
/// Returns why it is refused.
pub fn check_archive_redirect(base: &Url, target: &Url) -> Result<(), String> {
    if !matches!(target.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme {:?} is not http or https",
            target.scheme()
        ));
    }
    let host = target.host_str().unwrap_or_default();
    // A simulator on loopback serves its download host on another loopback
    // name (`localhost` for `127.0.0.1`), as codeload stands beside the API.
    let loopback_pair = base.host_str().is_some_and(is_loopback) && is_loopback(host);
    let allowed = host.eq_ignore_ascii_case(GITHUB_DOWNLOAD_HOST)
        || Some(host) == base.host_str()
        || loopback_pair;
    if !allowed {
        return Err(format!(
            "the host {host:?} is neither {GITHUB_DOWNLOAD_HOST} nor the API's host {:?}",
            base.host_str().unwrap_or_default()
        ));
    }
    Ok(())
}

/// `localhost`, or an address in 127.0.0.0/8 or `::1`.
fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A redirect target fit for a message: no query (download hosts sign
/// URLs there), cut to a readable length.
pub fn describe(target: &Url) -> String {
    let mut shown = target.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let text = shown.as_str();
    match text.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn only_the_download_host_and_the_api_host() {
        let gh = url("https://api.github.com/");
        let sim = url("http://127.0.0.1:8080/");
        let ok = |b: &Url, t: &str| check_archive_redirect(b, &url(t)).is_ok();
        assert!(ok(
            &gh,
            "https://codeload.github.com/o/r/legacy.tar.gz/main"
        ));
        assert!(ok(
            &sim,
            "http://127.0.0.1:8080/_codeload/o/r/legacy.tar.gz/main"
        ));
        assert!(!ok(&gh, "file:///etc/passwd"));
        assert!(!ok(&gh, "https://evil.example/x.tar.gz"));
        assert!(ok(
            &sim,
            "http://localhost:8080/_codeload/o/r/legacy.tar.gz/main"
        ));
        assert!(!ok(&gh, "http://localhost:8080/x.tar.gz"));
        assert!(!ok(&sim, "http://169.254.169.254/latest/meta-data"));
        assert!(!ok(&sim, "ftp://127.0.0.1/x"));
    }

    #[test]
    fn descriptions_drop_the_query() {
        let d = describe(&url("https://codeload.github.com/a?token=secret"));
        assert!(!d.contains("secret"), "{d}");
    }
}
