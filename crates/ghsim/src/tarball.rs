//! Tarballs as GitHub's codeload serves them: a gzip'd tar whose first entry
//! is a pax global header carrying the commit sha as `comment`, then every
//! file under `OWNER-REPO-SHORTSHA/`. Generated on a blocking thread straight
//! into a bounded channel, so a 500 MiB repository streams in constant
//! memory and generation stops as soon as the client goes away.

use std::io::{self, Read, Write};
use std::sync::Arc;

use bytes::Bytes;
use flate2::write::GzEncoder;
use flate2::Compression;
use tar::{Builder, EntryType, Header};
use tokio::sync::mpsc;

use crate::corpus::{Corpus, HostileEntry};
use crate::git::filler_files;

const CHUNK: usize = 64 * 1024;

pub type Chunk = Result<Bytes, io::Error>;

struct ChannelWriter {
    tx: mpsc::Sender<Chunk>,
    buf: Vec<u8>,
    sent: u64,
    truncate: bool,
}

fn gone() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "client went away")
}

impl ChannelWriter {
    fn push(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        if self.truncate && self.sent > 0 {
            // Injected fault: a large archive is cut after its first chunk.
            std::thread::sleep(std::time::Duration::from_millis(30));
            let _ = self
                .tx
                .blocking_send(Err(io::Error::other("truncated by fault injection")));
            return Err(io::Error::other("truncated"));
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.sent += chunk.len() as u64;
        self.tx.blocking_send(Ok(chunk)).map_err(|_| gone())
    }

    fn finish(mut self) -> io::Result<()> {
        if self.truncate {
            // A small archive is cut in the middle of its only chunk.
            if self.sent == 0 {
                let half = self.buf.len() / 2;
                self.buf.truncate(half);
                let chunk = Bytes::from(std::mem::take(&mut self.buf));
                let _ = self.tx.blocking_send(Ok(chunk));
                // Let the server flush headers and the first half before
                // the error aborts the connection.
                std::thread::sleep(std::time::Duration::from_millis(30));
            }
            let _ = self
                .tx
                .blocking_send(Err(io::Error::other("truncated by fault injection")));
            return Ok(());
        }
        self.push()
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.push()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Deterministic text filler: lines that differ (so it is not a trivial
/// zero run) yet compress well (so generating it is cheap).
struct Filler {
    left: u64,
    line: u64,
    pending: Vec<u8>,
    pos: usize,
}

impl Read for Filler {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        if self.pos >= self.pending.len() {
            self.pending.clear();
            self.pos = 0;
            for _ in 0..64 {
                self.line += 1;
                let _ = writeln!(
                    self.pending,
                    "{:012} lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor",
                    self.line
                );
            }
        }
        let n = out
            .len()
            .min(self.pending.len() - self.pos)
            .min(self.left.min(usize::MAX as u64) as usize);
        out[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        self.left -= n as u64;
        Ok(n)
    }
}

pub struct TarballJob {
    pub corpus: Arc<Corpus>,
    pub repo: usize,
    pub commit_sha: String,
    pub mtime: u64,
    pub bomb_bytes: u64,
    pub truncate: bool,
    pub shape: ArchiveShape,
}

/// How an archive's entries are laid out: GitHub's way, or a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ArchiveShape {
    /// One top folder `OWNER-REPO-SHORTSHA/`, as codeload writes it.
    #[default]
    GitHub,
    /// GitHub's layout plus entries whose pax paths hold a NUL, a byte that
    /// is not UTF-8, and dozens of paths 20 KB long.
    NulPath,
    /// No top folder: files at the archive's root.
    Flat,
    /// Every file twice, under the top folder and under a second one.
    TwoTopFolders,
}

/// The `trickle` fault: the archive in 64-byte pieces, four a second.
pub fn trickle(
    chunks: impl futures::Stream<Item = Chunk> + Send + 'static,
) -> impl futures::Stream<Item = Chunk> + Send + 'static {
    use futures::StreamExt;
    chunks.flat_map(|chunk| {
        let pieces: Vec<Chunk> = match chunk {
            Ok(bytes) => (0..bytes.len())
                .step_by(64)
                .map(|i| Ok(bytes.slice(i..(i + 64).min(bytes.len()))))
                .collect(),
            Err(e) => vec![Err(e)],
        };
        futures::stream::iter(pieces).then(|piece| async move {
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            piece
        })
    })
}

/// The `empty_deflate` fault: a gzip header, then stored deflate blocks of
/// length zero, never a final one, for up to 1 GiB: a client that counts
/// only decompressed bytes reads it all and gets nothing.
pub fn empty_deflate() -> impl futures::Stream<Item = Chunk> + Send + 'static {
    // BFINAL=0 BTYPE=00, LEN=0, NLEN=0xffff: five bytes that yield nothing.
    let block: [u8; 5] = [0, 0, 0, 0xff, 0xff];
    let chunk = Bytes::from(block.repeat(CHUNK / 5));
    let header = Bytes::from_static(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    let count = (1usize << 30) / chunk.len();
    futures::stream::iter(
        std::iter::once(Ok(header)).chain(std::iter::repeat_n(chunk, count).map(Ok)),
    )
}

/// `OWNER-REPO-SHORTSHA`, GitHub's top folder.
pub fn top_folder(full_name: &str, sha: &str) -> String {
    let (owner, name) = full_name.split_once('/').unwrap_or(("", full_name));
    format!("{owner}-{name}-{}", &sha[..sha.len().min(7)])
}

/// Starts generating; the receiver yields the gzip'd tar in chunks and ends
/// with an error when the archive is truncated on purpose. `done` runs when
/// the whole archive was handed to the channel.
pub fn spawn(job: TarballJob, done: impl FnOnce() + Send + 'static) -> mpsc::Receiver<Chunk> {
    let (tx, rx) = mpsc::channel::<Chunk>(4);
    tokio::task::spawn_blocking(move || {
        let writer = ChannelWriter {
            tx: tx.clone(),
            buf: Vec::with_capacity(CHUNK),
            sent: 0,
            truncate: job.truncate,
        };
        match write_archive(&job, writer) {
            Ok(w) => {
                if w.finish().is_ok() && !job.truncate {
                    done();
                }
            }
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
            }
        }
    });
    rx
}

fn write_archive(job: &TarballJob, writer: ChannelWriter) -> io::Result<ChannelWriter> {
    let repo = &job.corpus.repos[job.repo];
    let heavy = repo.filler_bytes > 0 || repo.hostile.contains(&HostileEntry::GzipBomb);
    let level = if heavy {
        Compression::fast()
    } else {
        Compression::default()
    };
    let gz = GzEncoder::new(writer, level);
    let mut b = Builder::new(gz);
    b.mode(tar::HeaderMode::Deterministic);
    let top = top_folder(&repo.meta.full_name, &job.commit_sha);
    let mtime = job.mtime;

    // git archive's pax global header: "52 comment=<sha>\n".
    let record = pax_record("comment", &job.commit_sha);
    let mut h = Header::new_ustar();
    h.set_entry_type(EntryType::XGlobalHeader);
    h.set_size(record.len() as u64);
    h.set_mode(0o666);
    h.set_mtime(mtime);
    b.append_data(&mut h, "pax_global_header", record.as_slice())?;

    // Where a repository path goes in the archive (None: not written).
    let placed = |path: &str| -> String {
        match job.shape {
            ArchiveShape::Flat => path.to_string(),
            _ => format!("{top}/{path}"),
        }
    };
    if job.shape != ArchiveShape::Flat {
        dir_entry(&mut b, &format!("{top}/"), mtime)?;
    }
    let mut dirs_done = std::collections::BTreeSet::new();
    let mut entries: Vec<(String, Option<u64>)> =
        repo.files.keys().map(|p| (p.clone(), None)).collect();
    entries.extend(
        filler_files(repo.filler_bytes)
            .into_iter()
            .map(|(p, n)| (p, Some(n))),
    );
    entries.sort();
    for (path, filler) in entries {
        let mut parent = String::new();
        for seg in path
            .split('/')
            .collect::<Vec<_>>()
            .split_last()
            .map(|(_, d)| d.to_vec())
            .unwrap_or_default()
        {
            if !parent.is_empty() {
                parent.push('/');
            }
            parent.push_str(seg);
            if dirs_done.insert(parent.clone()) {
                dir_entry(&mut b, &format!("{}/", placed(&parent)), mtime)?;
            }
        }
        let mut h = Header::new_gnu();
        h.set_entry_type(EntryType::Regular);
        h.set_mode(0o664);
        h.set_mtime(mtime);
        let name = placed(&path);
        match filler {
            Some(n) => {
                h.set_size(n);
                let reader = Filler {
                    left: n,
                    line: 0,
                    pending: Vec::new(),
                    pos: 0,
                };
                b.append_data(&mut h, &name, reader)?;
            }
            None => {
                let content = repo
                    .files
                    .get(&path)
                    .map(|c| c.as_slice())
                    .unwrap_or_default();
                h.set_size(content.len() as u64);
                b.append_data(&mut h, &name, content)?;
            }
        }
    }
    // Symlinks are symlink entries, as `git archive` writes them; a
    // submodule is an empty folder (its files are not in the archive).
    for (path, link) in &repo.links {
        let name = format!("{top}/{path}");
        match link {
            crate::corpus::SimLink::Symlink { target } => {
                let mut h = Header::new_gnu();
                h.set_entry_type(EntryType::Symlink);
                h.set_mode(0o777);
                h.set_mtime(mtime);
                h.set_size(0);
                b.append_link(&mut h, &name, target)?;
            }
            crate::corpus::SimLink::Submodule { .. } => {
                dir_entry(&mut b, &format!("{name}/"), mtime)?;
            }
        }
    }
    for hostile in &repo.hostile {
        hostile_entries(&mut b, *hostile, &top, mtime, job.bomb_bytes)?;
    }
    match job.shape {
        ArchiveShape::NulPath => odd_path_entries(&mut b, &top, mtime)?,
        ArchiveShape::TwoTopFolders => {
            for (path, content) in &repo.files {
                let mut h = Header::new_gnu();
                h.set_entry_type(EntryType::Regular);
                h.set_mode(0o664);
                h.set_mtime(mtime);
                h.set_size(content.len() as u64);
                b.append_data(&mut h, format!("second-folder/{path}"), content.as_slice())?;
            }
        }
        ArchiveShape::GitHub | ArchiveShape::Flat => {}
    }
    let gz = b.into_inner()?;
    gz.finish()
}

/// Entries whose paths (in pax `path` records, which may hold any bytes)
/// carry a NUL, a byte that is not UTF-8, and 60 paths of 20 KB each.
fn odd_path_entries<W: Write>(b: &mut Builder<W>, top: &str, mtime: u64) -> io::Result<()> {
    let payload = b"export const odd = 1;\n";
    let entry = |b: &mut Builder<W>, path: Vec<u8>| -> io::Result<()> {
        b.append_pax_extensions([("path", path.as_slice())])?;
        let mut h = Header::new_ustar();
        h.set_entry_type(EntryType::Regular);
        h.set_mode(0o644);
        h.set_mtime(mtime);
        h.set_size(payload.len() as u64);
        h.set_path("odd-path-placeholder")?;
        h.set_cksum();
        b.append(&h, &payload[..])
    };
    entry(b, format!("{top}/src/nul\0path.ts").into_bytes())?;
    let mut latin1 = format!("{top}/src/caf").into_bytes();
    latin1.extend_from_slice(b"\xe9.ts");
    entry(b, latin1)?;
    for i in 0..60 {
        entry(
            b,
            format!("{top}/{}{i}/index.ts", "d".repeat(20_000)).into_bytes(),
        )?;
    }
    Ok(())
}

fn pax_record(key: &str, value: &str) -> Vec<u8> {
    // The length prefix counts itself, so find the fixed point.
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    while format!("{len}{body}").len() != len {
        len += 1;
    }
    format!("{len}{body}").into_bytes()
}

fn dir_entry<W: Write>(b: &mut Builder<W>, name: &str, mtime: u64) -> io::Result<()> {
    let mut h = Header::new_gnu();
    h.set_entry_type(EntryType::Directory);
    h.set_mode(0o775);
    h.set_size(0);
    h.set_mtime(mtime);
    b.append_data(&mut h, name, io::empty())
}

/// An entry written byte by byte, bypassing the tar crate's path checks:
/// exactly what a malicious archive contains.
fn raw_entry<W: Write>(
    b: &mut Builder<W>,
    name: &str,
    kind: EntryType,
    link: Option<&str>,
    data: &mut dyn Read,
    size: u64,
    mtime: u64,
) -> io::Result<()> {
    let mut h = Header::new_ustar();
    h.set_entry_type(kind);
    h.set_mode(if kind == EntryType::Symlink {
        0o777
    } else {
        0o644
    });
    h.set_mtime(mtime);
    h.set_size(size);
    {
        let old = h.as_old_mut();
        old.name = [0; 100];
        let n = name.as_bytes();
        old.name[..n.len().min(99)].copy_from_slice(&n[..n.len().min(99)]);
        if let Some(l) = link {
            old.linkname = [0; 100];
            let l = l.as_bytes();
            old.linkname[..l.len().min(99)].copy_from_slice(&l[..l.len().min(99)]);
        }
    }
    if matches!(kind, EntryType::Char | EntryType::Block) {
        h.set_device_major(if kind == EntryType::Char { 1 } else { 8 })?;
        h.set_device_minor(if kind == EntryType::Char { 3 } else { 0 })?;
    }
    h.set_cksum();
    b.append(&h, data)
}

fn hostile_entries<W: Write>(
    b: &mut Builder<W>,
    kind: HostileEntry,
    top: &str,
    mtime: u64,
    bomb: u64,
) -> io::Result<()> {
    let payload = b"pwned by mcp-survey-sim hostile tarball\n";
    let file = |b: &mut Builder<W>, name: &str| {
        raw_entry(
            b,
            name,
            EntryType::Regular,
            None,
            &mut &payload[..],
            payload.len() as u64,
            mtime,
        )
    };
    let empty = || io::empty();
    match kind {
        HostileEntry::PathTraversal => {
            file(b, &format!("{top}/../../mcp-survey-sim-traversal.txt"))?;
            file(b, "../mcp-survey-sim-traversal-2.txt")?;
        }
        HostileEntry::AbsolutePath => {
            file(b, "/tmp/mcp-survey-sim-absolute.txt")?;
        }
        HostileEntry::Symlink => {
            raw_entry(
                b,
                &format!("{top}/passwd-link"),
                EntryType::Symlink,
                Some("/etc/passwd"),
                &mut empty(),
                0,
                mtime,
            )?;
            raw_entry(
                b,
                &format!("{top}/escape"),
                EntryType::Symlink,
                Some("../../.."),
                &mut empty(),
                0,
                mtime,
            )?;
            file(
                b,
                &format!("{top}/escape/mcp-survey-sim-through-symlink.txt"),
            )?;
        }
        HostileEntry::Hardlink => {
            raw_entry(
                b,
                &format!("{top}/passwd-hardlink"),
                EntryType::Link,
                Some("/etc/passwd"),
                &mut empty(),
                0,
                mtime,
            )?;
            raw_entry(
                b,
                &format!("{top}/outside-hardlink"),
                EntryType::Link,
                Some("../outside.txt"),
                &mut empty(),
                0,
                mtime,
            )?;
        }
        HostileEntry::DeviceFile => {
            raw_entry(
                b,
                &format!("{top}/dev-null"),
                EntryType::Char,
                None,
                &mut empty(),
                0,
                mtime,
            )?;
            raw_entry(
                b,
                &format!("{top}/dev-sda"),
                EntryType::Block,
                None,
                &mut empty(),
                0,
                mtime,
            )?;
            raw_entry(
                b,
                &format!("{top}/fifo"),
                EntryType::Fifo,
                None,
                &mut empty(),
                0,
                mtime,
            )?;
        }
        HostileEntry::GzipBomb => {
            raw_entry(
                b,
                &format!("{top}/bomb.bin"),
                EntryType::Regular,
                None,
                &mut io::repeat(0).take(bomb),
                bomb,
                mtime,
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pax_record_length_counts_itself() {
        let sha = "0123456789abcdef0123456789abcdef01234567";
        let r = pax_record("comment", sha);
        assert_eq!(r, format!("52 comment={sha}\n").into_bytes());
    }
}
