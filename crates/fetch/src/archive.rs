//! Reading untrusted tarballs: nothing is written to disk, memory is bounded
//! by the caps, and every entry that is not a plain file with a clean
//! relative path is skipped and recorded.

use serde::Serialize;
use std::io::Read;

/// Limits applied while reading one archive.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// Files larger than this are skipped (the classifier never reads them).
    pub max_file_bytes: u64,
    /// Decompressed bytes read from the archive before giving up: bounds the
    /// work a gzip bomb or a giant repository can cause.
    pub max_archive_bytes: u64,
    /// Skipped entries recorded per snapshot (the count is always exact).
    pub max_skipped_recorded: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            max_file_bytes: mcp_survey_classify::MAX_FILE_BYTES,
            max_archive_bytes: 50 * 1024 * 1024,
            max_skipped_recorded: 50,
        }
    }
}

/// An entry the filter did not keep, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedEntry {
    pub path: String,
    pub reason: String,
}

/// What was kept from an archive.
#[derive(Debug, Default)]
pub struct Extracted {
    /// (path relative to the repository root, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// The commit sha from the pax global header GitHub writes.
    pub commit_sha: Option<String>,
    pub skipped: Vec<SkippedEntry>,
    pub skipped_count: usize,
    /// Entries not wanted by the classifier (not recorded one by one).
    pub ignored_count: usize,
    pub bytes_read: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("archive is larger than the {cap} byte cap after decompression; fetch it through the trees API")]
    TooLarge { cap: u64 },
    #[error("archive is corrupt or cut off: {0}")]
    Corrupt(String),
}

/// Counts decompressed bytes and refuses to read past the cap.
struct CappedReader<R> {
    inner: R,
    read: u64,
    cap: u64,
    exceeded: bool,
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read >= self.cap {
            self.exceeded = true;
            return Err(std::io::Error::other("decompressed size cap reached"));
        }
        let room = (self.cap - self.read).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        self.read += n as u64;
        Ok(n)
    }
}

impl Extracted {
    fn skip(&mut self, caps: &Caps, path: String, reason: &str) {
        self.skipped_count += 1;
        if self.skipped.len() < caps.max_skipped_recorded {
            self.skipped.push(SkippedEntry {
                path,
                reason: reason.to_string(),
            });
        }
    }
}

/// Reads a gzipped tarball in GitHub's layout (one top folder), keeping the
/// files `wants` accepts.
pub fn extract(
    gz: impl Read,
    caps: &Caps,
    wants: impl Fn(&str) -> bool,
) -> Result<Extracted, ExtractError> {
    let decoder = flate2::read::GzDecoder::new(gz);
    let mut capped = CappedReader {
        inner: decoder,
        read: 0,
        cap: caps.max_archive_bytes,
        exceeded: false,
    };
    let mut out = Extracted::default();
    let result = read_entries(&mut capped, caps, &wants, &mut out);
    out.bytes_read = capped.read;
    match result {
        Ok(()) => Ok(out),
        Err(_) if capped.exceeded => Err(ExtractError::TooLarge {
            cap: caps.max_archive_bytes,
        }),
        Err(e) => Err(ExtractError::Corrupt(e.to_string())),
    }
}

fn read_entries<R: Read>(
    reader: &mut R,
    caps: &Caps,
    wants: &impl Fn(&str) -> bool,
    out: &mut Extracted,
) -> std::io::Result<()> {
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        if kind == tar::EntryType::XGlobalHeader {
            let mut text = String::new();
            entry.by_ref().take(4096).read_to_string(&mut text).ok();
            out.commit_sha = pax_comment(&text);
            continue;
        }
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(path) = clean_path(&raw_path) else {
            out.skip(caps, raw_path, "unsafe path (absolute or ..)");
            continue;
        };
        if kind.is_dir() {
            continue;
        }
        if path.is_empty() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            out.skip(caps, path, "link");
            continue;
        }
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            out.skip(caps, path, "not a regular file");
            continue;
        }
        if !wants(&path) {
            out.ignored_count += 1;
            continue;
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > caps.max_file_bytes {
            out.skip(caps, path, "over the per-file size cap");
            continue;
        }
        let mut bytes = Vec::with_capacity(size as usize);
        entry
            .by_ref()
            .take(caps.max_file_bytes + 1)
            .read_to_end(&mut bytes)?;
        if bytes.len() as u64 > caps.max_file_bytes {
            out.skip(caps, path, "over the per-file size cap");
            continue;
        }
        if bytes.contains(&0) {
            out.skip(caps, path, "binary");
            continue;
        }
        out.files.push((path, bytes));
    }
    Ok(())
}

/// Strips GitHub's top folder (`owner-repo-sha/`) and refuses anything that
/// could leave the repository: absolute paths, `..`, backslashes, NULs.
pub fn clean_path(raw: &str) -> Option<String> {
    if raw.starts_with('/') || raw.contains('\\') || raw.contains('\0') {
        return None;
    }
    let mut parts = raw.split('/').filter(|p| !p.is_empty() && *p != ".");
    let _top = parts.next()?;
    let mut clean = Vec::new();
    for part in parts {
        if part == ".." {
            return None;
        }
        clean.push(part);
    }
    Some(clean.join("/"))
}

/// The `comment` record of a pax global header: `52 comment=<sha>\n`.
fn pax_comment(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let (_, record) = line.split_once(' ')?;
        let value = record.strip_prefix("comment=")?;
        let value = value.trim();
        (value.len() >= 7 && value.chars().all(|c| c.is_ascii_hexdigit()))
            .then(|| value.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn header(path: &[u8], kind: tar::EntryType, size: u64) -> tar::Header {
        let mut h = tar::Header::new_old();
        {
            let name = &mut h.as_old_mut().name;
            name[..path.len()].copy_from_slice(path);
        }
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        h
    }

    fn tarball(entries: &[(&[u8], tar::EntryType, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (path, kind, data) in entries {
            let h = header(path, *kind, data.len() as u64);
            builder.append(&h, *data).expect("append");
        }
        let tar = builder.into_inner().expect("tar");
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).expect("gzip");
        gz.finish().expect("gzip")
    }

    #[test]
    fn keeps_wanted_files_and_reads_the_commit() {
        let pax = b"52 comment=0123456789abcdef0123456789abcdef01234567\n";
        let gz = tarball(&[
            (b"pax_global_header", tar::EntryType::XGlobalHeader, pax),
            (b"o-r-0123456/", tar::EntryType::Directory, b""),
            (
                b"o-r-0123456/package.json",
                tar::EntryType::Regular,
                b"{\"name\":\"x\"}",
            ),
            (b"o-r-0123456/logo.png", tar::EntryType::Regular, b"\x89PNG"),
            (
                b"o-r-0123456/src/index.ts",
                tar::EntryType::Regular,
                b"process.env.X",
            ),
        ]);
        let out = extract(&gz[..], &Caps::default(), |p| !p.ends_with(".png")).expect("extracts");
        let paths: Vec<_> = out.files.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(paths, ["package.json", "src/index.ts"]);
        assert_eq!(out.ignored_count, 1);
        assert_eq!(
            out.commit_sha.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
    }

    #[test]
    fn skips_hostile_entries_and_records_them() {
        let gz = tarball(&[
            (b"/etc/passwd", tar::EntryType::Regular, b"root"),
            (b"o-r-1/../../escape.ts", tar::EntryType::Regular, b"x"),
            (b"o-r-1/link.ts", tar::EntryType::Symlink, b""),
            (b"o-r-1/hard.ts", tar::EntryType::Link, b""),
            (b"o-r-1/dev.ts", tar::EntryType::Char, b""),
            (b"o-r-1/bin.ts", tar::EntryType::Regular, b"a\0b"),
            (b"o-r-1/ok.ts", tar::EntryType::Regular, b"fine"),
        ]);
        let out = extract(&gz[..], &Caps::default(), |_| true).expect("extracts");
        assert_eq!(out.files.len(), 1);
        assert_eq!(out.files[0].0, "ok.ts");
        let reasons: Vec<_> = out.skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(out.skipped_count, 6, "{reasons:?}");
        assert!(reasons.contains(&"link"));
        assert!(reasons.contains(&"binary"));
        assert!(reasons.contains(&"not a regular file"));
        assert!(reasons.iter().filter(|r| r.starts_with("unsafe")).count() == 2);
    }

    #[test]
    fn a_gzip_bomb_stops_at_the_cap() {
        // 64 MiB of zeros compresses to ~64 KiB.
        let zeros = vec![0u8; 64 * 1024 * 1024];
        let gz = tarball(&[(b"o-r-1/big.ts", tar::EntryType::Regular, &zeros)]);
        assert!(gz.len() < 1024 * 1024);
        let caps = Caps {
            max_archive_bytes: 4 * 1024 * 1024,
            ..Caps::default()
        };
        let err = extract(&gz[..], &caps, |_| true).expect_err("over cap");
        assert!(matches!(err, ExtractError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn oversized_files_are_skipped_not_truncated() {
        let big = vec![b'a'; 300 * 1024];
        let gz = tarball(&[
            (b"o-r-1/big.ts", tar::EntryType::Regular, &big),
            (b"o-r-1/small.ts", tar::EntryType::Regular, b"x"),
        ]);
        let out = extract(&gz[..], &Caps::default(), |_| true).expect("extracts");
        assert_eq!(out.files.len(), 1);
        assert_eq!(out.skipped[0].reason, "over the per-file size cap");
    }

    #[test]
    fn a_cut_off_archive_is_an_error() {
        let gz = tarball(&[(b"o-r-1/a.ts", tar::EntryType::Regular, &vec![b'x'; 100_000])]);
        let cut = &gz[..gz.len() / 2];
        assert!(matches!(
            extract(cut, &Caps::default(), |_| true),
            Err(ExtractError::Corrupt(_))
        ));
    }

    #[test]
    fn clean_path_refuses_escapes() {
        assert_eq!(clean_path("o-r-1/a/b.ts").as_deref(), Some("a/b.ts"));
        assert_eq!(clean_path("o-r-1/./a.ts").as_deref(), Some("a.ts"));
        assert_eq!(clean_path("o-r-1/a/../../x"), None);
        assert_eq!(clean_path("/abs"), None);
        assert_eq!(clean_path("o-r-1\\..\\x"), None);
    }
}
