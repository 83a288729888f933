//! A Postgres of the demo's own, for a machine where none runs: a cluster
//! made with the installed `initdb` in a temporary folder, served by
//! `postgres` on a free loopback port as a child of this process, stopped,
//! reaped and deleted when the demo ends (also on Ctrl-C, which ends the
//! demo through the same path). `initdb` refuses to run as root, so under
//! root the cluster runs as the unprivileged `nobody`.
//!
//! The server is this process's own child rather than `pg_ctl`'s daemon:
//! the demo then waits for it to exit, and leaves no orphan or zombie.

use anyhow::{bail, Context, Result};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The address the default database URL names.
const DEFAULT_ADDRESS: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 5432);

/// What to do when no Postgres can be found or started.
const HOW_TO_GET_POSTGRES: &str = "\
get one of: `docker compose up -d --wait` in this repository (Postgres 16 on 127.0.0.1:5432); \
the PostgreSQL server package (Debian/Ubuntu: `sudo apt install postgresql`, Fedora: `sudo dnf \
install postgresql-server`, macOS: `brew install postgresql@16` or Postgres.app), after which \
`mcp-survey demo` starts a throw-away one by itself; or pass --database-url of a server you have";

/// A running throw-away cluster; dropping it stops the server and deletes
/// its folder.
pub struct ThrowawayPostgres {
    /// Removed (with the cluster) on drop; `None` once removed.
    dir: Option<tempfile::TempDir>,
    bin: PathBuf,
    /// The user the cluster runs as, when this process runs as root.
    run_as: Option<(u32, u32)>,
    server: Option<std::process::Child>,
    pub url: String,
    pub version: String,
}

impl ThrowawayPostgres {
    /// Whether something accepts connections where the default URL points.
    pub fn default_address_answers() -> bool {
        TcpStream::connect_timeout(&DEFAULT_ADDRESS, Duration::from_secs(1)).is_ok()
    }

    /// Makes and starts a cluster. The returned value owns it: on an error
    /// or an interruption half-way, what was made is removed again.
    pub async fn start() -> Result<ThrowawayPostgres> {
        let bin = find_binaries().ok_or_else(|| {
            anyhow::anyhow!(
                "no Postgres answers on {DEFAULT_ADDRESS} and no Postgres server binaries \
                 (initdb, postgres) are installed in the PATH or the usual folders; \
                 {HOW_TO_GET_POSTGRES}"
            )
        })?;
        let run_as = unprivileged_user()?;
        let dir = tempfile::Builder::new()
            .prefix("mcp-survey-pg-")
            .tempdir()
            .context("cannot create a temporary folder for the throw-away Postgres")?;
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).with_context(|| {
                format!(
                    "cannot hand {} to the unprivileged user that runs the throw-away Postgres",
                    dir.path().display()
                )
            })?;
        }
        let version = version_of(&bin);
        let mut pg = ThrowawayPostgres {
            dir: Some(dir),
            bin,
            run_as,
            server: None,
            url: String::new(),
            version,
        };
        pg.init().await?;
        // A port found free can be taken before the server binds it: try a
        // few.
        let mut last_error = None;
        for _ in 0..3 {
            let port = free_port()?;
            match pg.serve(port).await {
                Ok(()) => {
                    pg.url = format!("postgres://postgres@127.0.0.1:{port}/mcp_survey");
                    return Ok(pg);
                }
                Err(e) => last_error = Some(e),
            }
        }
        Err(last_error.unwrap_or_else(|| anyhow::anyhow!("the throw-away Postgres did not start")))
    }

    pub fn folder(&self) -> &Path {
        self.dir.as_ref().map_or(Path::new(""), |d| d.path())
    }

    fn data(&self) -> PathBuf {
        self.folder().join("data")
    }

    async fn init(&mut self) -> Result<()> {
        let mut cmd = tokio::process::Command::new(self.bin.join("initdb"));
        configure(cmd.as_std_mut(), self.run_as);
        // Interrupted (Ctrl-C while it runs), it must not outlive the demo.
        cmd.kill_on_drop(true);
        let out = cmd
            .arg("-D")
            .arg(self.data())
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
            ])
            .output()
            .await
            .with_context(|| format!("cannot run {}", self.bin.join("initdb").display()))?;
        if !out.status.success() {
            bail!(
                "initdb failed for the throw-away Postgres ({}): {}; {HOW_TO_GET_POSTGRES}",
                out.status,
                tail(&out.stderr)
            );
        }
        Ok(())
    }

    /// Starts the server on `port` and waits until it accepts connections
    /// (`postmaster.pid` says `ready`, as `pg_ctl -w` checks).
    async fn serve(&mut self, port: u16) -> Result<()> {
        let log_path = self.folder().join("server.log");
        let log = std::fs::File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        let mut cmd = Command::new(self.bin.join("postgres"));
        configure(&mut cmd, self.run_as);
        cmd.arg("-D")
            .arg(self.data())
            .args([
                "-p",
                &port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-k",
            ])
            .arg(self.folder())
            // Thrown away at the end: durability is wasted time.
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off"])
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log));
        let child = cmd
            .spawn()
            .with_context(|| format!("cannot run {}", self.bin.join("postgres").display()))?;
        self.server = Some(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let exited = match self.server.as_mut() {
                Some(child) => child.try_wait()?,
                None => None,
            };
            if let Some(status) = exited {
                self.server = None;
                bail!(
                    "the throw-away Postgres did not start on port {port} ({status}): {}",
                    tail(&std::fs::read(&log_path).unwrap_or_default())
                );
            }
            if self.ready() {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.stop();
                bail!(
                    "the throw-away Postgres was not ready within a minute: {}",
                    tail(&std::fs::read(&log_path).unwrap_or_default())
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The eighth line of `postmaster.pid` is the server's state.
    fn ready(&self) -> bool {
        std::fs::read_to_string(self.data().join("postmaster.pid"))
            .is_ok_and(|t| t.lines().nth(7).is_some_and(|l| l.trim() == "ready"))
    }

    /// Stops the server at once (SIGQUIT, an immediate shutdown: its data is
    /// about to be deleted, so an orderly checkpoint is wasted time), and
    /// waits for it; SIGKILL when it has not gone after a few seconds.
    fn stop(&mut self) {
        let Some(mut child) = self.server.take() else {
            return;
        };
        let Ok(pid) = i32::try_from(child.id()) else {
            let _ = child.kill();
            let _ = child.wait();
            return;
        };
        // SAFETY: kill(2) on our own child, which has not been reaped yet
        // (so the pid cannot belong to another process); no memory effects.
        unsafe {
            libc::kill(pid, libc::SIGQUIT);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return;
                }
            }
        }
    }
}

impl Drop for ThrowawayPostgres {
    fn drop(&mut self) {
        self.stop();
        if let Some(dir) = self.dir.take() {
            let path = dir.path().to_path_buf();
            if let Err(e) = dir.close() {
                eprintln!(
                    "warning: cannot delete the throw-away Postgres folder {}: {e}; delete it by hand",
                    path.display()
                );
            }
        }
    }
}

/// Drops root for the cluster's processes, and puts them in a process
/// group of their own, so a Ctrl-C at the terminal reaches the demo (which
/// then stops the server in order) and not the server directly.
fn configure(cmd: &mut Command, run_as: Option<(u32, u32)>) {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0).env("LC_ALL", "C").stdin(Stdio::null());
    if let Some((uid, gid)) = run_as {
        // The standard library drops the supplementary groups too when it
        // changes the user of a child of root.
        cmd.uid(uid).gid(gid);
    }
}

/// The user to run the cluster as: none when this process is not root,
/// else `nobody`, the unprivileged account every Unix system has.
fn unprivileged_user() -> Result<Option<(u32, u32)>> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let name = c"nobody";
    // SAFETY: getpwnam with a valid C string; the returned record is read
    // at once, before any other call could reuse its static storage.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    if entry.is_null() {
        bail!(
            "running as root, the throw-away Postgres must run as an unprivileged user (initdb \
             refuses root), and this system has no user `nobody`; run the demo as a normal user, \
             or {HOW_TO_GET_POSTGRES}"
        );
    }
    // SAFETY: entry is non-null and points to getpwnam's record.
    let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
    Ok(Some((uid, gid)))
}

fn free_port() -> Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .context("cannot find a free port on 127.0.0.1 for the throw-away Postgres")?;
    Ok(listener.local_addr()?.port())
}

/// The folder holding `initdb` and `postgres`: the PATH first, then where
/// Debian/Ubuntu, Red Hat, Homebrew and Postgres.app install them, newest
/// version first.
fn find_binaries() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    first_with_binaries(search_order(std::env::split_paths(&path).collect()))
}

/// The first folder holding both programs the cluster needs.
fn first_with_binaries(candidates: Vec<PathBuf>) -> Option<PathBuf> {
    candidates
        .into_iter()
        .find(|dir| dir.join("initdb").is_file() && dir.join("postgres").is_file())
}

/// The PATH's folders, then the usual install folders, newest first.
fn search_order(from_path: Vec<PathBuf>) -> Vec<PathBuf> {
    // (parent folder, prefix of its version folders) for each layout.
    let layouts: [(&str, &str); 5] = [
        ("/usr/lib/postgresql", ""),
        ("/usr", "pgsql-"),
        ("/opt/homebrew/opt", "postgresql"),
        ("/usr/local/opt", "postgresql"),
        ("/Applications/Postgres.app/Contents/Versions", ""),
    ];
    let mut candidates = from_path;
    for (parent, prefix) in layouts {
        let mut versions: Vec<PathBuf> = std::fs::read_dir(parent)
            .map(|entries| {
                entries
                    .flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with(prefix))
                    })
                    .collect()
            })
            .unwrap_or_default();
        versions.sort_by_key(|p| std::cmp::Reverse(version_key(p)));
        candidates.extend(versions.into_iter().map(|p| p.join("bin")));
    }
    candidates.extend(["/opt/homebrew/bin", "/usr/local/bin"].map(PathBuf::from));
    candidates
}

/// The numbers in a folder name (`15`, `postgresql@16`, `pgsql-13`,
/// `16.2`), for sorting newest first.
fn version_key(path: &Path) -> Vec<u32> {
    path.file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|part| part.parse().ok())
        .collect()
}

/// `PostgreSQL 15.8`, from `postgres --version`.
fn version_of(bin: &Path) -> String {
    Command::new(bin.join("postgres"))
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            s.trim()
                .strip_prefix("postgres (PostgreSQL) ")
                .map(str::to_string)
        })
        .map(|v| format!("PostgreSQL {v}"))
        .unwrap_or_else(|| "PostgreSQL".to_string())
}

/// The last lines of a program's output, on one line.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" / ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newer_versions_sort_first() {
        let mut v = [
            PathBuf::from("/usr/lib/postgresql/9"),
            PathBuf::from("/usr/lib/postgresql/16"),
            PathBuf::from("/usr/lib/postgresql/13"),
        ];
        v.sort_by_key(|p| std::cmp::Reverse(version_key(p)));
        assert_eq!(v[0], PathBuf::from("/usr/lib/postgresql/16"));
        assert_eq!(version_key(Path::new("postgresql@16")), vec![16]);
    }

    /// Needs the PostgreSQL server binaries; where they are not installed
    /// there is nothing to start, and `demo` says how to get them.
    #[tokio::test]
    async fn a_throwaway_cluster_answers_then_leaves_no_process_or_folder() {
        if find_binaries().is_none() {
            eprintln!("no initdb/postgres installed: the throw-away cluster cannot be tried here");
            return;
        }
        let pg = ThrowawayPostgres::start().await.expect("starts");
        let url = url::Url::parse(&pg.url).expect("URL");
        let port = url.port().expect("port");
        assert!(
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok(),
            "answers on {port}"
        );
        let folder = pg.folder().to_path_buf();
        let pid = pg.server.as_ref().map(|c| c.id()).expect("server child");
        assert!(folder.join("data/PG_VERSION").is_file());
        drop(pg);
        assert!(!folder.exists(), "{} deleted", folder.display());
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "server {pid} stopped and reaped"
        );
        assert!(
            TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err(),
            "port {port} closed"
        );
    }

    #[test]
    fn binaries_are_looked_for_in_the_path_first_and_need_both_programs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let order = search_order(vec![dir.path().to_path_buf()]);
        assert_eq!(order[0], dir.path());
        assert!(order.contains(&PathBuf::from("/opt/homebrew/bin")));
        assert_eq!(first_with_binaries(vec![dir.path().to_path_buf()]), None);
        std::fs::write(dir.path().join("initdb"), "").expect("write");
        assert_eq!(first_with_binaries(vec![dir.path().to_path_buf()]), None);
        std::fs::write(dir.path().join("postgres"), "").expect("write");
        assert_eq!(
            first_with_binaries(vec![
                PathBuf::from("/nonexistent"),
                dir.path().to_path_buf()
            ]),
            Some(dir.path().to_path_buf())
        );
    }

    #[test]
    fn without_binaries_the_message_says_how_to_get_postgres() {
        for how in [
            "docker compose up -d --wait",
            "apt install postgresql",
            "brew install",
        ] {
            assert!(HOW_TO_GET_POSTGRES.contains(how), "{how}");
        }
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail(b"a\n\nb\nc\nd\n"), "b / c / d");
        assert_eq!(tail(b""), "");
    }
}
