//! Function code: `code.zipFile` (base64 zip) in, a checked directory out.
//!
//! Zips are hostile input: entry names may try to escape (`../`), and sizes
//! may lie (zip bombs). Every limit below is enforced on the bytes actually
//! inflated, not on what the archive claims.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use crate::control::error::{ApiError, ApiResult};
use crate::control::runtimes::{RuntimeKind, handler_file};

/// Limits on one code package.
#[derive(Debug, Clone, Copy)]
pub struct CodeLimits {
    /// The zip itself. 100 MB: FC's limit for `code.zipFile` uploads.
    pub max_zip_bytes: usize,
    /// Files in the archive. 20,000.
    pub max_entries: usize,
    /// All files inflated. 500 MB: FC's limit for code from OSS, the largest FC accepts.
    pub max_unpacked_bytes: u64,
    /// Inflated-to-compressed ratio of the whole archive. 200: source and Wasm
    /// compress 3-10x; a bomb compresses 1000x or more.
    pub max_ratio: u64,
}

impl Default for CodeLimits {
    fn default() -> Self {
        Self {
            max_zip_bytes: 100 << 20,
            max_entries: 20_000,
            max_unpacked_bytes: 500 << 20,
            max_ratio: 200,
        }
    }
}

/// A decoded code package and its identities.
#[derive(Debug, Clone)]
pub struct CodePackage {
    pub zip: Vec<u8>,
    /// FC's `codeChecksum`: CRC-64/XZ (ECMA-182, reflected) of the zip.
    pub checksum: u64,
    /// sha256 (hex) of the zip: where it is stored.
    pub digest: String,
}

impl CodePackage {
    /// Decodes `code.zipFile`.
    pub fn from_base64(zip_file: &str, limits: &CodeLimits) -> ApiResult<Self> {
        if zip_file.len() > limits.max_zip_bytes / 3 * 4 + 4 {
            return Err(ApiError::EntityTooLarge(limits.max_zip_bytes));
        }
        let zip = BASE64.decode(zip_file.trim()).map_err(|e| {
            ApiError::InvalidArgument(format!("code.zipFile is not valid base64: {e}"))
        })?;
        Ok(Self::from_zip(zip))
    }

    pub fn from_zip(zip: Vec<u8>) -> Self {
        let checksum = crc::Crc::<u64>::new(&crc::CRC_64_XZ).checksum(&zip);
        let digest = hex::encode(Sha256::digest(&zip));
        Self {
            zip,
            checksum,
            digest,
        }
    }
}

/// The longest file name (one path component) Linux file systems accept: 255 bytes.
pub const NAME_MAX: usize = 255;
/// The longest path Linux accepts, terminating NUL included: 4096 bytes.
pub const PATH_MAX: usize = 4096;

/// Suffix of the per-request staging directory `unpack` writes before its rename
/// (`<digest>.unpacking.<random>`); start-up sweeps leftovers of a crash.
pub const STAGING_SUFFIX: &str = ".unpacking";

/// Unpacks `zip` into `dest`, enforcing `limits`.
///
/// The archive is checked as a whole before anything is written (names, sizes of
/// names, file/directory clashes, symlinks): what is wrong with it is the user's
/// input, answered 400 naming the entry. It is then inflated into a staging
/// directory of its own (`<dest>.unpacking.<random>`, removed on every failure)
/// and renamed onto `dest` in one step. When `dest` appeared meanwhile (a
/// concurrent request with the same zip won), the staging copy is dropped and
/// theirs is used: both hold the same bytes.
pub fn unpack(zip: &[u8], dest: &Path, limits: &CodeLimits) -> ApiResult<()> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip)).map_err(|e| {
        ApiError::InvalidArgument(format!("code.zipFile is not a valid zip archive: {e}"))
    })?;
    if archive.len() > limits.max_entries {
        return Err(ApiError::InvalidArgument(format!(
            "the code zip has {} entries; the limit is {}",
            archive.len(),
            limits.max_entries
        )));
    }
    let staging_path = Staging::path_for(dest);
    let entries = check_entries(&mut archive, staging_path.as_os_str().len())?;
    let staging = Staging::create(staging_path)?;
    let budget = limits.max_unpacked_bytes.min(
        (zip.len() as u64)
            .saturating_mul(limits.max_ratio)
            .max(1 << 20),
    );
    let mut unpacked: u64 = 0;
    for (index, relative) in entries {
        let Some(relative) = relative else { continue };
        let mut entry = archive
            .by_index(index)
            .map_err(|e| ApiError::InvalidArgument(format!("the code zip is corrupt: {e}")))?;
        let target = staging.path.join(&relative);
        let name = entry_name(&entry);
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(|e| entry_error(&name, e))?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| entry_error(&name, e))?;
        }
        let mut file = std::fs::File::create_new(&target).map_err(|e| entry_error(&name, e))?;
        let remaining = budget - unpacked;
        let copied =
            std::io::copy(&mut (&mut entry).take(remaining + 1), &mut file).map_err(|e| {
                ApiError::InvalidArgument(format!("the code zip is corrupt at {name:?}: {e}"))
            })?;
        unpacked += copied;
        if unpacked > budget {
            return Err(ApiError::InvalidArgument(format!(
                "the code zip inflates past {budget} bytes (limits: {} MB in all, {}x the zip size); it looks like a zip bomb",
                limits.max_unpacked_bytes >> 20,
                limits.max_ratio
            )));
        }
    }
    staging.commit(dest)
}

/// Checks every entry's name before anything is written, and returns each
/// entry's index with its path relative to the code root (`None`: nothing to
/// write, e.g. `./`). `base_len` is the length of the directory the paths are
/// joined to, so that what is accepted also fits in PATH_MAX on this host.
fn check_entries<R: std::io::Read + std::io::Seek>(
    archive: &mut zip::ZipArchive<R>,
    base_len: usize,
) -> ApiResult<Vec<(usize, Option<PathBuf>)>> {
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Node {
        File,
        Dir,
    }
    let mut seen: HashMap<PathBuf, Node> = HashMap::new();
    let mut out = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|e| ApiError::InvalidArgument(format!("the code zip is corrupt: {e}")))?;
        let name = entry_name(&entry);
        let Some(enclosed) = entry.enclosed_name() else {
            return Err(ApiError::InvalidArgument(format!(
                "the code zip has an unsafe entry name {name:?}"
            )));
        };
        if entry.is_symlink() {
            return Err(ApiError::InvalidArgument(format!(
                "the code zip has a symlink {name:?}; symlinks are not supported"
            )));
        }
        let parts: Vec<&std::ffi::OsStr> = enclosed
            .components()
            .filter_map(|c| match c {
                Component::Normal(part) => Some(part),
                _ => None,
            })
            .collect();
        if let Some(long) = parts.iter().find(|p| p.len() > NAME_MAX) {
            return Err(ApiError::InvalidArgument(format!(
                "the code zip's entry {name:?} has a name of {} bytes ({:?}…); the limit is {NAME_MAX} bytes",
                long.len(),
                long.to_string_lossy().chars().take(32).collect::<String>()
            )));
        }
        let relative: PathBuf = parts.iter().collect();
        let fits = PATH_MAX.saturating_sub(base_len + 2);
        if relative.as_os_str().len() > fits {
            return Err(ApiError::InvalidArgument(format!(
                "the code zip's entry {:?}… is a path of {} bytes; at most {fits} fit (PATH_MAX is {PATH_MAX} bytes)",
                name.chars().take(64).collect::<String>(),
                relative.as_os_str().len()
            )));
        }
        if parts.is_empty() {
            if entry.is_dir() {
                out.push((index, None));
                continue;
            }
            return Err(ApiError::InvalidArgument(format!(
                "the code zip has a file entry {name:?} with no file name"
            )));
        }
        let mut prefix = PathBuf::new();
        for part in &parts[..parts.len() - 1] {
            prefix.push(part);
            if seen.insert(prefix.clone(), Node::Dir) == Some(Node::File) {
                return Err(clash(&name, &prefix, "is a file in the zip too"));
            }
        }
        let node = if entry.is_dir() {
            Node::Dir
        } else {
            Node::File
        };
        match (seen.insert(relative.clone(), node), node) {
            (None, _) | (Some(Node::Dir), Node::Dir) => {}
            (Some(Node::File), Node::File) => {
                return Err(clash(&name, &relative, "is in the zip twice"));
            }
            (Some(_), _) => {
                return Err(clash(&name, &relative, "is both a file and a directory"));
            }
        }
        out.push((index, Some(relative)));
    }
    Ok(out)
}

fn clash(name: &str, path: &Path, what: &str) -> ApiError {
    ApiError::InvalidArgument(format!(
        "the code zip's entry {name:?} cannot be unpacked: {:?} {what}",
        path.display().to_string()
    ))
}

/// The entry's name as stored, for messages.
fn entry_name<R: std::io::Read>(entry: &zip::read::ZipFile<'_, R>) -> String {
    entry
        .name()
        .map(|n| n.into_owned())
        .unwrap_or_else(|_| String::from_utf8_lossy(entry.name_raw()).into_owned())
}

/// An I/O error writing one entry: what the name causes (too long, clashes) is
/// the user's input (400, naming the entry); anything else is the host's (500).
fn entry_error(name: &str, e: std::io::Error) -> ApiError {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::InvalidFilename
        | ErrorKind::AlreadyExists
        | ErrorKind::NotADirectory
        | ErrorKind::IsADirectory
        | ErrorKind::InvalidInput => ApiError::InvalidArgument(format!(
            "the code zip's entry {name:?} cannot be unpacked: {e}"
        )),
        _ => io_error(e),
    }
}

/// A staging directory of one request, removed when dropped unless committed.
struct Staging {
    path: PathBuf,
    committed: bool,
}

impl Staging {
    /// `<dest>.unpacking.<random>`: next to `dest` (same file system, so the
    /// final rename is atomic) and unique to this request.
    fn path_for(dest: &Path) -> PathBuf {
        let mut name = dest.as_os_str().to_owned();
        name.push(format!(
            "{STAGING_SUFFIX}.{}",
            uuid::Uuid::new_v4().simple()
        ));
        PathBuf::from(name)
    }

    fn create(path: PathBuf) -> ApiResult<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        std::fs::create_dir(&path).map_err(io_error)?;
        Ok(Self {
            path,
            committed: false,
        })
    }

    /// Renames the staging directory onto `dest`; when `dest` is there already
    /// (another request unpacked the same zip), keeps theirs and drops this one.
    fn commit(mut self, dest: &Path) -> ApiResult<()> {
        match std::fs::rename(&self.path, dest) {
            Ok(()) => {
                self.committed = true;
                Ok(())
            }
            Err(_) if dest.is_dir() => Ok(()),
            Err(e) => Err(io_error(e)),
        }
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if let Err(e) = std::fs::remove_dir_all(&self.path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("removing the code staging dir {}: {e}", self.path.display());
        }
    }
}

/// Checks that the source file an interpreted runtime's handler names is in
/// the code (`index.handler` → `index.py` / `index.js`).
pub fn check_handler_source(code_dir: &Path, kind: RuntimeKind, handler: &str) -> ApiResult<()> {
    let relative = handler_file(kind, handler)?;
    if code_dir.join(&relative).is_file() {
        return Ok(());
    }
    Err(ApiError::InvalidArgument(format!(
        "the handler {handler:?} needs {relative} in the code zip, and it is not there"
    )))
}

/// Reads the handler's Wasm (`index.handler` → `index.wasm`) from an unpacked
/// code directory, with a clear error when it is missing or is not Wasm.
pub fn read_handler_wasm(code_dir: &Path, handler: &str) -> ApiResult<(PathBuf, Vec<u8>)> {
    let relative = handler_file(RuntimeKind::Wasm, handler)?;
    let path = code_dir.join(&relative);
    let bytes = std::fs::read(&path).map_err(|_| {
        ApiError::InvalidArgument(format!("the handler {handler:?} needs {relative} at the root of the code zip, and it is not there"))
    })?;
    if !bytes.starts_with(b"\0asm") {
        return Err(ApiError::InvalidArgument(format!(
            "{relative} in the code zip is not WebAssembly (no \\0asm header)"
        )));
    }
    Ok((path, bytes))
}

fn io_error(e: std::io::Error) -> ApiError {
    ApiError::internal("storing code", e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            for (name, data) in files {
                w.start_file(*name, zip::write::SimpleFileOptions::default())
                    .unwrap();
                w.write_all(data).unwrap();
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn unpacks_and_checks_the_handler() {
        let dir = tempfile::tempdir().unwrap();
        let zip = zip_of(&[("index.wasm", b"\0asm\x01\0\0\0"), ("lib/data.txt", b"hi")]);
        unpack(&zip, &dir.path().join("code"), &CodeLimits::default()).unwrap();
        assert!(read_handler_wasm(&dir.path().join("code"), "index.handler").is_ok());
        let err = read_handler_wasm(&dir.path().join("code"), "main.handler").unwrap_err();
        assert!(err.to_string().contains("main.wasm"), "{err}");
        let not_wasm = dir.path().join("code2");
        unpack(
            &zip_of(&[("index.wasm", b"#!/bin/sh")]),
            &not_wasm,
            &CodeLimits::default(),
        )
        .unwrap();
        assert!(
            read_handler_wasm(&not_wasm, "index.handler")
                .unwrap_err()
                .to_string()
                .contains("not WebAssembly")
        );
    }

    #[test]
    fn zip_bombs_and_escapes_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let bomb = zip_of(&[("big.bin", &vec![0u8; 8 << 20])]);
        let limits = CodeLimits {
            max_ratio: 100,
            ..CodeLimits::default()
        };
        let err = unpack(&bomb, &dir.path().join("bomb"), &limits).unwrap_err();
        assert!(err.to_string().contains("zip bomb"), "{err}");
        assert!(!dir.path().join("bomb").exists());
        let escape = zip_of(&[("../evil.txt", b"x")]);
        assert!(
            unpack(&escape, &dir.path().join("esc"), &CodeLimits::default())
                .unwrap_err()
                .to_string()
                .contains("unsafe entry")
        );
        assert!(
            CodePackage::from_base64("!!!", &CodeLimits::default())
                .unwrap_err()
                .to_string()
                .contains("base64")
        );
        assert!(
            unpack(b"not a zip", &dir.path().join("x"), &CodeLimits::default())
                .unwrap_err()
                .to_string()
                .contains("not a valid zip")
        );
    }

    /// Nothing `<name>.unpacking*` is left in `dir`.
    fn no_staging_left(dir: &Path) {
        let left: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.contains(STAGING_SUFFIX))
            .collect();
        assert!(left.is_empty(), "staging left behind: {left:?}");
    }

    fn zip_with_dirs(entries: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let options = zip::write::SimpleFileOptions::default();
            for (name, data) in entries {
                match data {
                    Some(data) => {
                        w.start_file(*name, options).unwrap();
                        w.write_all(data).unwrap();
                    }
                    None => w.add_directory(*name, options).unwrap(),
                }
            }
            w.finish().unwrap();
        }
        buf.into_inner()
    }

    #[test]
    fn bad_entry_names_are_the_users_400_and_leave_nothing_behind() {
        let long_name = "n".repeat(300);
        let long_path = vec!["d".repeat(250); 20].join("/");
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "a name over 255 bytes",
                zip_of(&[(long_name.as_str(), b"x")]),
                "limit is 255 bytes",
            ),
            (
                "a path over PATH_MAX",
                zip_of(&[(long_path.as_str(), b"x")]),
                "PATH_MAX",
            ),
            (
                "a file, then a file under it",
                zip_of(&[("a", b"1"), ("a/b", b"2")]),
                "\"a\" is a file in the zip too",
            ),
            (
                "a file under a path, then that path as a file",
                zip_of(&[("a/b", b"2"), ("a", b"1")]),
                "both a file and a directory",
            ),
            (
                "a directory entry, then a file of that name",
                zip_with_dirs(&[("a/", None), ("./a", Some(b"1"))]),
                "both a file and a directory",
            ),
            (
                "the same file twice",
                zip_of(&[("index.wasm", b"1"), ("./index.wasm", b"2")]),
                "in the zip twice",
            ),
        ];
        for (what, zip, expected) in cases {
            let dir = tempfile::tempdir().unwrap();
            let dest = dir.path().join("code");
            let err = unpack(&zip, &dest, &CodeLimits::default()).unwrap_err();
            assert!(
                matches!(err, ApiError::InvalidArgument(_)),
                "{what}: not a 400: {err:?}"
            );
            assert!(err.to_string().contains(expected), "{what}: {err}");
            assert!(err.to_string().contains("entry"), "{what}: {err}");
            assert!(!dest.exists(), "{what}");
            no_staging_left(dir.path());
        }
    }

    #[test]
    fn a_refused_bomb_leaves_no_staging_dir() {
        let dir = tempfile::tempdir().unwrap();
        let bomb = zip_of(&[("a.bin", b"x"), ("big.bin", &vec![0u8; 8 << 20])]);
        let limits = CodeLimits {
            max_ratio: 100,
            ..CodeLimits::default()
        };
        assert!(unpack(&bomb, &dir.path().join("bomb"), &limits).is_err());
        no_staging_left(dir.path());
        assert!(!dir.path().join("bomb").exists());
    }

    #[test]
    fn concurrent_unpacks_of_one_zip_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("code");
        let zip = zip_of(&[("index.wasm", b"\0asm\x01\0\0\0"), ("lib/a/b.txt", b"hi")]);
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..12)
                .map(|_| scope.spawn(|| unpack(&zip, &dest, &CodeLimits::default())))
                .collect();
            for worker in workers {
                worker.join().unwrap().unwrap();
            }
        });
        assert_eq!(std::fs::read(dest.join("lib/a/b.txt")).unwrap(), b"hi");
        no_staging_left(dir.path());
    }

    #[test]
    fn checksum_is_crc64_xz() {
        // CRC-64/XZ check value for "123456789".
        assert_eq!(
            CodePackage::from_zip(b"123456789".to_vec()).checksum,
            0x995d_c9bb_df19_39fa
        );
    }
}
