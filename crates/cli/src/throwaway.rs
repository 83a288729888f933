//! A Postgres of the demo's own, for a machine where none runs: a cluster
//! made with the installed `initdb` in a temporary folder, served on a free
//! loopback port, stopped and deleted when the demo ends (also on Ctrl-C,
//! which ends the demo through the same path). `initdb` refuses to run as
//! root, so under root the cluster runs as the unprivileged `nobody`.

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
    started: bool,
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
                 (initdb, pg_ctl) are installed in the PATH or the usual folders; \
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
            started: false,
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

    fn command(&self, program: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(self.bin.join(program));
        configure(cmd.as_std_mut(), self.run_as);
        cmd.kill_on_drop(true);
        cmd
    }

    async fn init(&mut self) -> Result<()> {
        let out = self
            .command("initdb")
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

    async fn serve(&mut self, port: u16) -> Result<()> {
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off \
             -c synchronous_commit=off -c full_page_writes=off",
            self.folder().display()
        );
        self.started = true;
        let out = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.folder().join("server.log"))
            .args(["-w", "-t", "60", "-o", &options, "start"])
            .stdout(Stdio::null())
            .output()
            .await
            .with_context(|| format!("cannot run {}", self.bin.join("pg_ctl").display()))?;
        if !out.status.success() {
            let log = std::fs::read(self.folder().join("server.log")).unwrap_or_default();
            self.stop();
            bail!(
                "the throw-away Postgres did not start on port {port} ({}): {}",
                out.status,
                tail(&log)
            );
        }
        Ok(())
    }

    /// Stops the server at once (its data is about to be deleted, so an
    /// orderly checkpoint is wasted time); waits until it is gone.
    fn stop(&mut self) {
        if !std::mem::take(&mut self.started) {
            return;
        }
        let mut cmd = Command::new(self.bin.join("pg_ctl"));
        configure(&mut cmd, self.run_as);
        let stopped = cmd
            .arg("-D")
            .arg(self.data())
            .args(["-m", "immediate", "-w", "-t", "30", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            self.kill_postmaster();
        }
    }

    /// The last resort when `pg_ctl stop` failed: SIGKILL to the server
    /// named in `postmaster.pid`, and a short wait for it to go.
    fn kill_postmaster(&self) {
        let Some(pid) = std::fs::read_to_string(self.data().join("postmaster.pid"))
            .ok()
            .and_then(|t| t.lines().next().and_then(|l| l.trim().parse::<i32>().ok()))
        else {
            return;
        };
        // SAFETY: kill(2) with a pid read from the cluster's own pid file;
        // it has no memory effects in this process.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
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

/// The folder holding `initdb` and `pg_ctl`: the PATH first, then where
/// Debian/Ubuntu, Red Hat, Homebrew and Postgres.app install them, newest
/// version first.
fn find_binaries() -> Option<PathBuf> {
    let has_both = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let from_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
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
    candidates.into_iter().find(|dir| has_both(dir))
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

/// `PostgreSQL 15.8`, from `pg_ctl --version`.
fn version_of(bin: &Path) -> String {
    Command::new(bin.join("pg_ctl"))
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            s.trim()
                .strip_prefix("pg_ctl (PostgreSQL) ")
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

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail(b"a\n\nb\nc\nd\n"), "b / c / d");
        assert_eq!(tail(b""), "");
    }
}
