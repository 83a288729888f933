//! Reading untrusted tarballs: nothing is written to disk, memory is bounded
//! by the caps, and every entry that is not a plain file with a clean
//! relative path is skipped and recorded.
//!
//! GitHub's archives hold one top folder, `OWNER-REPO-SHORTSHA/`, which is
//! stripped. That layout is checked, not assumed: an archive whose entries
//! do not all sit under one folder named like that is read as a flat
//! archive (paths kept whole, so no file is lost and none collides) and the
//! oddity is recorded.

use mcp_survey_store::clean;
use serde::Serialize;
use std::io::Read;

/// Limits applied while reading one archive.
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    /// Bytes kept of one file: the classifier reads only this head
    /// (`mcp_survey_classify::head_bytes`).
    pub max_file_bytes: u64,
    /// Decompressed bytes read from the archive before giving up: bounds the
    /// work a gzip bomb or a giant repository can cause.
    pub max_archive_bytes: u64,
    /// Compressed bytes read before giving up: bounds the work of a stream
    /// that decompresses to little or nothing (empty deflate blocks), which
    /// the decompressed cap never sees.
    pub max_compressed_bytes: u64,
    /// Skipped entries recorded per snapshot (the count is always exact).
    pub max_skipped_recorded: usize,
    /// Longest path (bytes) of a kept file; longer ones are skipped.
    pub max_path_bytes: usize,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            max_file_bytes: mcp_survey_classify::MAX_FILE_BYTES,
            max_archive_bytes: 50 * 1024 * 1024,
            // Source text compresses several times over: an archive whose
            // compressed size passes its decompressed cap is not source.
            max_compressed_bytes: 50 * 1024 * 1024,
            max_skipped_recorded: 50,
            max_path_bytes: 1024,
        }
    }
}

/// An entry the filter did not keep, and why. The path is escaped and cut
/// to a bounded length (`mcp_survey_store::clean::sample_path`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedEntry {
    pub path: String,
    pub reason: String,
}

/// How the archive's entries were laid out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(tag = "layout", rename_all = "snake_case")]
pub enum Layout {
    /// GitHub's: one top folder, stripped from every path.
    #[default]
    TopFolder,
    /// Anything else: paths kept as they are in the archive.
    Flat { reason: String },
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
    pub layout: Layout,
    /// Skipped entries that say the archive itself is odd (unsafe or
    /// over-long paths, repeated paths), as opposed to files the filter
    /// does not keep.
    pub odd_entries: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("archive is larger than the {cap} byte cap after decompression; fetch it through the trees API")]
    TooLarge { cap: u64 },
    #[error("archive is larger than the {cap} byte cap before decompression (or decompresses to almost nothing); fetch it through the trees API")]
    CompressedTooLarge { cap: u64 },
    #[error("archive is corrupt or cut off: {0}")]
    Corrupt(String),
}

/// Counts bytes and refuses to read past the cap.
struct CappedReader<R> {
    inner: R,
    read: u64,
    cap: u64,
    exceeded: bool,
}

impl<R> CappedReader<R> {
    fn new(inner: R, cap: u64) -> Self {
        CappedReader {
            inner,
            read: 0,
            cap,
            exceeded: false,
        }
    }
}

impl<R: Read> Read for CappedReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.read >= self.cap {
            self.exceeded = true;
            return Err(std::io::Error::other("size cap reached"));
        }
        let room = (self.cap - self.read).min(buf.len() as u64) as usize;
        let n = self.inner.read(&mut buf[..room])?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Entries as read, before the layout is known: paths still hold their
/// first part.
#[derive(Default)]
struct Reading {
    out: Extracted,
    files: Vec<(String, Vec<u8>)>,
    top: Option<String>,
    flat: Option<String>,
}

impl Extracted {
    fn skip(&mut self, caps: &Caps, path: &str, reason: &str) {
        self.skipped_count += 1;
        if reason.starts_with("unsafe")
            || reason.starts_with("path too long")
            || reason.starts_with("duplicate")
        {
            self.odd_entries += 1;
        }
        if self.skipped.len() < caps.max_skipped_recorded {
            self.skipped.push(SkippedEntry {
                path: clean::sample_path(path),
                reason: reason.to_string(),
            });
        }
    }
}

/// Reads a gzipped tarball, keeping the files `wants` accepts.
pub fn extract(
    gz: impl Read,
    caps: &Caps,
    wants: impl Fn(&str) -> bool,
) -> Result<Extracted, ExtractError> {
    let compressed = CappedReader::new(gz, caps.max_compressed_bytes);
    let decoder = flate2::read::GzDecoder::new(compressed);
    let mut capped = CappedReader::new(decoder, caps.max_archive_bytes);
    let mut reading = Reading::default();
    let result = read_entries(&mut capped, caps, &wants, &mut reading);
    let compressed_exceeded = capped.inner.get_ref().exceeded;
    let bytes_read = capped.read;
    match result {
        Ok(()) => {
            let mut out = finish(reading, caps, &wants);
            out.bytes_read = bytes_read;
            Ok(out)
        }
        Err(_) if capped.exceeded => Err(ExtractError::TooLarge {
            cap: caps.max_archive_bytes,
        }),
        Err(_) if compressed_exceeded => Err(ExtractError::CompressedTooLarge {
            cap: caps.max_compressed_bytes,
        }),
        Err(e) => Err(ExtractError::Corrupt(clean::message(&e.to_string()))),
    }
}

fn read_entries<R: Read>(
    reader: &mut R,
    caps: &Caps,
    wants: &impl Fn(&str) -> bool,
    r: &mut Reading,
) -> std::io::Result<()> {
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        if kind == tar::EntryType::XGlobalHeader {
            let mut text = String::new();
            entry.by_ref().take(4096).read_to_string(&mut text).ok();
            r.out.commit_sha = pax_comment(&text);
            continue;
        }
        let raw = entry.path_bytes().into_owned();
        let parts = match split_path(&raw) {
            Ok(parts) if parts.is_empty() => continue,
            Ok(parts) => parts,
            Err(reason) => {
                r.out.skip(caps, &clean::escape_bytes(&raw), reason);
                continue;
            }
        };
        check_layout(r, &parts, kind.is_dir());
        if kind.is_dir() {
            continue;
        }
        let full = parts.join("/");
        if full.len() > caps.max_path_bytes {
            r.out.skip(caps, &full, "path too long");
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            r.out.skip(caps, &full, "link");
            continue;
        }
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            r.out.skip(caps, &full, "not a regular file");
            continue;
        }
        // The layout is known only at the end: keep what either reading
        // wants, and sort it out in `finish`.
        let stripped = parts[1..].join("/");
        if !((!stripped.is_empty() && wants(&stripped)) || wants(&full)) {
            r.out.ignored_count += 1;
            continue;
        }
        let size = entry.header().size().unwrap_or(0);
        let mut bytes = Vec::with_capacity(size.min(caps.max_file_bytes + 1) as usize);
        entry
            .by_ref()
            .take(caps.max_file_bytes + 1)
            .read_to_end(&mut bytes)?;
        // A file past the cap keeps the head the classifier reads.
        if bytes.len() as u64 > caps.max_file_bytes {
            let head = mcp_survey_classify::head_bytes(&bytes).len();
            bytes.truncate(head);
        }
        if bytes.contains(&0) {
            r.out.skip(caps, &full, "binary");
            continue;
        }
        r.files.push((full, bytes));
    }
    Ok(())
}

/// Notes the first entry that breaks GitHub's layout: every entry under
/// one top folder named `OWNER-REPO-SHORTSHA`, no file beside it.
fn check_layout(r: &mut Reading, parts: &[String], is_dir: bool) {
    if r.flat.is_some() {
        return;
    }
    let first = &parts[0];
    let Some(top) = &r.top else {
        if !looks_like_github_top(first, r.out.commit_sha.as_deref()) {
            r.flat = Some(format!(
                "the first entry {:?} is not under a folder named OWNER-REPO-SHA",
                clean::sample_path(&parts.join("/"))
            ));
        } else if parts.len() == 1 && !is_dir {
            r.flat = Some(format!(
                "the first entry {:?} is a file, not a folder",
                clean::sample_path(first)
            ));
        }
        r.top = Some(first.clone());
        return;
    };
    if first != top {
        r.flat = Some(format!(
            "more than one top-level entry ({:?} and {:?})",
            clean::sample_path(top),
            clean::sample_path(first)
        ));
    } else if parts.len() == 1 && !is_dir {
        r.flat = Some(format!(
            "the top-level entry {:?} is a file",
            clean::sample_path(first)
        ));
    }
}

/// `owner-repo-0123abc`: a dash, then 7 to 40 hex digits that begin the
/// commit sha when the archive named it.
fn looks_like_github_top(name: &str, commit: Option<&str>) -> bool {
    let Some((prefix, sha)) = name.rsplit_once('-') else {
        return false;
    };
    !prefix.is_empty()
        && (7..=40).contains(&sha.len())
        && sha.chars().all(|c| c.is_ascii_hexdigit())
        && commit.is_none_or(|c| {
            c.to_ascii_lowercase()
                .starts_with(&sha.to_ascii_lowercase())
        })
}

/// Applies the layout found: strips the top folder or keeps paths whole,
/// keeps what `wants` accepts under that reading, and drops repeated paths
/// (the later entry wins, as when tar unpacks) so each kept path is one row.
fn finish(r: Reading, caps: &Caps, wants: &impl Fn(&str) -> bool) -> Extracted {
    let mut out = r.out;
    let prefix = match (&r.top, &r.flat) {
        (Some(top), None) => Some(format!("{top}/")),
        (_, Some(reason)) => {
            out.layout = Layout::Flat {
                reason: reason.clone(),
            };
            None
        }
        // No entry at all.
        (None, None) => None,
    };
    let strip = |p: &str| -> String {
        match &prefix {
            Some(prefix) => p.strip_prefix(prefix.as_str()).unwrap_or(p).to_string(),
            None => p.to_string(),
        }
    };
    for s in &mut out.skipped {
        s.path = strip(&s.path);
    }
    let mut seen = std::collections::HashMap::new();
    let mut files: Vec<(String, Vec<u8>)> = Vec::with_capacity(r.files.len());
    for (full, bytes) in r.files {
        let path = strip(&full);
        if path.is_empty() || !wants(&path) {
            out.ignored_count += 1;
            continue;
        }
        if let Some(&i) = seen.get(&path) {
            out.skip(caps, &path, "duplicate path (the later entry is kept)");
            files[i] = (path, bytes);
        } else {
            seen.insert(path.clone(), files.len());
            files.push((path, bytes));
        }
    }
    out.files = files;
    out
}

/// Splits an archive path into its parts (GitHub's top folder included),
/// refusing anything that could leave the repository: absolute paths, `..`,
/// backslashes, NULs. Parts are escaped (`\xNN`) where they are not valid
/// UTF-8, so two different names never become one.
pub fn split_path(raw: &[u8]) -> Result<Vec<String>, &'static str> {
    if raw.first() == Some(&b'/') || raw.contains(&b'\\') {
        return Err("unsafe path (absolute or ..)");
    }
    if raw.contains(&0) {
        return Err("unsafe path (NUL byte)");
    }
    let mut parts = Vec::new();
    for part in raw.split(|b| *b == b'/') {
        match part {
            b"" | b"." => continue,
            b".." => return Err("unsafe path (absolute or ..)"),
            part => parts.push(clean::escape_bytes(part)),
        }
    }
    Ok(parts)
}

/// Strips GitHub's top folder (`owner-repo-sha/`) and refuses anything that
/// could leave the repository (see [`split_path`]).
pub fn clean_path(raw: &str) -> Option<String> {
    let parts = split_path(raw.as_bytes()).ok()?;
    Some(parts.get(1..).unwrap_or_default().join("/"))
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
            (
                b"o-r-abc1234/../../escape.ts",
                tar::EntryType::Regular,
                b"x",
            ),
            (b"o-r-abc1234/link.ts", tar::EntryType::Symlink, b""),
            (b"o-r-abc1234/hard.ts", tar::EntryType::Link, b""),
            (b"o-r-abc1234/dev.ts", tar::EntryType::Char, b""),
            (b"o-r-abc1234/bin.ts", tar::EntryType::Regular, b"a\0b"),
            (b"o-r-abc1234/ok.ts", tar::EntryType::Regular, b"fine"),
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
        let gz = tarball(&[(b"o-r-abc1234/big.ts", tar::EntryType::Regular, &zeros)]);
        assert!(gz.len() < 1024 * 1024);
        let caps = Caps {
            max_archive_bytes: 4 * 1024 * 1024,
            ..Caps::default()
        };
        let err = extract(&gz[..], &caps, |_| true).expect_err("over cap");
        assert!(matches!(err, ExtractError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn oversized_files_keep_the_head_the_classifier_reads() {
        let line = [vec![b'a'; 99], vec![b'\n']].concat();
        let big: Vec<u8> = line.repeat(3100);
        let gz = tarball(&[
            (b"o-r-abc1234/big.ts", tar::EntryType::Regular, &big),
            (b"o-r-abc1234/small.ts", tar::EntryType::Regular, b"x"),
        ]);
        let out = extract(&gz[..], &Caps::default(), |_| true).expect("extracts");
        assert_eq!(out.files.len(), 2);
        let (_, head) = out
            .files
            .iter()
            .find(|(p, _)| p == "big.ts")
            .expect("big.ts kept");
        assert_eq!(head.as_slice(), mcp_survey_classify::head_bytes(&big));
        assert!(head.len() as u64 <= mcp_survey_classify::MAX_FILE_BYTES);
        assert!(head.ends_with(b"\n"));
    }

    #[test]
    fn a_cut_off_archive_is_an_error() {
        let gz = tarball(&[(
            b"o-r-abc1234/a.ts",
            tar::EntryType::Regular,
            &vec![b'x'; 100_000],
        )]);
        let cut = &gz[..gz.len() / 2];
        assert!(matches!(
            extract(cut, &Caps::default(), |_| true),
            Err(ExtractError::Corrupt(_))
        ));
    }

    #[test]
    fn clean_path_refuses_escapes() {
        assert_eq!(clean_path("o-r-abc1234/a/b.ts").as_deref(), Some("a/b.ts"));
        assert_eq!(clean_path("o-r-abc1234/./a.ts").as_deref(), Some("a.ts"));
        assert_eq!(clean_path("o-r-1/a/../../x"), None);
        assert_eq!(clean_path("/abs"), None);
        assert_eq!(clean_path("o-r-1\\..\\x"), None);
    }

    fn stored_names(out: &Extracted) -> Vec<&str> {
        out.files.iter().map(|(p, _)| p.as_str()).collect()
    }

    #[test]
    fn a_flat_archive_keeps_its_root_files() {
        let gz = tarball(&[
            (b"package.json", tar::EntryType::Regular, b"{}"),
            (b"README.md", tar::EntryType::Regular, b"# x"),
            (b"src/index.ts", tar::EntryType::Regular, b"x"),
        ]);
        let out = extract(&gz[..], &Caps::default(), |_| true).expect("extracts");
        assert_eq!(
            stored_names(&out),
            ["package.json", "README.md", "src/index.ts"]
        );
        assert!(
            matches!(out.layout, Layout::Flat { .. }),
            "{:?}",
            out.layout
        );
    }

    #[test]
    fn one_folder_not_named_like_github_is_not_stripped() {
        let gz = tarball(&[
            (b"src/", tar::EntryType::Directory, b""),
            (b"src/index.ts", tar::EntryType::Regular, b"x"),
        ]);
        let out = extract(&gz[..], &Caps::default(), |_| true).expect("extracts");
        assert_eq!(stored_names(&out), ["src/index.ts"]);
        assert!(matches!(out.layout, Layout::Flat { .. }));
    }

    #[test]
    fn two_top_folders_do_not_collide() {
        let gz = tarball(&[
            (b"o-r-abc1234/index.ts", tar::EntryType::Regular, b"a"),
            (b"o-r-abc1234/README.md", tar::EntryType::Regular, b"a"),
            (b"other-def5678/index.ts", tar::EntryType::Regular, b"b"),
        ]);
        let out = extract(&gz[..], &Caps::default(), |_| true).expect("extracts");
        assert_eq!(out.files.len(), 3, "{:?}", stored_names(&out));
        let Layout::Flat { reason } = &out.layout else {
            panic!("flat expected: {:?}", out.layout)
        };
        assert!(reason.contains("more than one top-level entry"), "{reason}");
    }

    #[test]
    fn a_repeated_path_is_one_file() {
        let gz = tarball(&[
            (b"o-r-abc1234/a.ts", tar::EntryType::Regular, b"old"),
            (b"o-r-abc1234/a.ts", tar::EntryType::Regular, b"new"),
        ]);
        let out = extract(&gz[..], &Caps::default(), |_| true).expect("extracts");
        assert_eq!(out.files, vec![("a.ts".to_string(), b"new".to_vec())]);
        assert_eq!(out.skipped_count, 1);
    }

    #[test]
    fn nul_and_invalid_utf8_paths_are_escaped_and_long_ones_bounded() {
        // Paths as a pax extended header carries them: any bytes, any length.
        let mut builder = tar::Builder::new(Vec::new());
        let mut add = |path: &[u8], data: &[u8]| {
            builder
                .append_pax_extensions([("path", path)])
                .expect("pax");
            let h = header(b"placeholder", tar::EntryType::Regular, data.len() as u64);
            builder.append(&h, data).expect("append");
        };
        add(b"o-r-abc1234/src/a\0b.ts", b"x");
        add(b"o-r-abc1234/src/caf\xe9.ts", b"x");
        let long = format!("o-r-abc1234/{}/x.ts", "d".repeat(100_000));
        for _ in 0..60 {
            add(long.as_bytes(), b"x");
        }
        let tar = builder.into_inner().expect("tar");
        let mut gz = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&tar).expect("gzip");
        let gz = gz.finish().expect("gzip");
        let out = extract(&gz[..], &Caps::default(), |_| true).expect("extracts");
        assert_eq!(stored_names(&out), ["src/caf\\xe9.ts"]);
        assert_eq!(out.skipped_count, 61);
        assert_eq!(out.skipped.len(), Caps::default().max_skipped_recorded);
        assert_eq!(out.skipped[0].path, "src/a\\x00b.ts");
        assert!(out.skipped.iter().all(|s| s.path.chars().count() <= 256));
        let json = serde_json::to_string(&out.skipped).expect("json");
        assert!(
            !json.contains("\\u0000") && json.len() < 50 * 400,
            "{}",
            json.len()
        );
    }

    #[test]
    fn empty_deflate_blocks_stop_at_the_compressed_cap() {
        // A gzip header, then non-final stored blocks of length zero: an
        // endless stream that decompresses to nothing.
        let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
        let block = [0u8, 0, 0, 0xff, 0xff];
        while gz.len() < 8 * 1024 * 1024 {
            gz.extend_from_slice(&block);
        }
        let caps = Caps {
            max_compressed_bytes: 1024 * 1024,
            ..Caps::default()
        };
        let err = extract(&gz[..], &caps, |_| true).expect_err("over cap");
        assert!(
            matches!(err, ExtractError::CompressedTooLarge { .. }),
            "{err}"
        );
    }
}
