//! Function code: `code.zipFile` (base64 zip) in, a checked directory out.
//!
//! Zips are hostile input: entry names may try to escape (`../`), and sizes
//! may lie (zip bombs). Every limit below is enforced on the bytes actually
//! inflated, not on what the archive claims.

use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

use crate::error::{ApiError, ApiResult};
use crate::runtimes::{RuntimeKind, handler_file};

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

/// Unpacks `zip` into `dest` (which must not exist yet), enforcing `limits`.
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
    let budget = limits.max_unpacked_bytes.min(
        (zip.len() as u64)
            .saturating_mul(limits.max_ratio)
            .max(1 << 20),
    );
    let staging = dest.with_extension("unpacking");
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(io_error)?;
    let mut unpacked: u64 = 0;
    for index in 0..archive.len() {
        let mut entry = archive
            .by_index(index)
            .map_err(|e| ApiError::InvalidArgument(format!("the code zip is corrupt: {e}")))?;
        let Some(relative) = entry.enclosed_name() else {
            return Err(ApiError::InvalidArgument(format!(
                "the code zip has an unsafe entry name {:?}",
                entry.name()
            )));
        };
        let target = staging.join(&relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target).map_err(io_error)?;
            continue;
        }
        if entry.is_symlink() {
            return Err(ApiError::InvalidArgument(format!(
                "the code zip has a symlink {:?}; symlinks are not supported",
                entry.name()
            )));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io_error)?;
        }
        let mut file = std::fs::File::create(&target).map_err(io_error)?;
        let remaining = budget - unpacked;
        let copied =
            std::io::copy(&mut (&mut entry).take(remaining + 1), &mut file).map_err(|e| {
                ApiError::InvalidArgument(format!("the code zip is corrupt at {:?}: {e}", relative))
            })?;
        unpacked += copied;
        if unpacked > budget {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(ApiError::InvalidArgument(format!(
                "the code zip inflates past {budget} bytes (limits: {} MB in all, {}x the zip size); it looks like a zip bomb",
                limits.max_unpacked_bytes >> 20,
                limits.max_ratio
            )));
        }
    }
    std::fs::rename(&staging, dest).map_err(io_error)?;
    Ok(())
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
    ApiError::Internal(format!("storing code: {e}"))
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

    #[test]
    fn checksum_is_crc64_xz() {
        // CRC-64/XZ check value for "123456789".
        assert_eq!(
            CodePackage::from_zip(b"123456789".to_vec()).checksum,
            0x995d_c9bb_df19_39fa
        );
    }
}
