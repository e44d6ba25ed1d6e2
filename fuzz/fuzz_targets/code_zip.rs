//! The code-zip unpacker (`code::unpack` with the default limits) on the input
//! as a zip, into a temp dir; and `CodePackage::from_base64` on it as text.
//! After a successful unpack every path must be a plain file or directory inside
//! the destination, and the total must be within the inflate budget.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use wasm_fc_api::control::code::{self, CodeLimits, CodePackage};

/// One temp dir per process (in /dev/shm when there is one: no disk I/O).
fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let base = Path::new("/dev/shm");
        let base = if base.is_dir() {
            base.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        let dir = base.join(format!("wasm-fc-fuzz-code-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    })
}

/// Bytes under `dir`, failing on anything but files and directories.
fn walk(dir: &Path) -> u64 {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            total += walk(&entry.path());
        } else {
            assert!(kind.is_file(), "{:?} is neither file nor dir", entry.path());
            total += entry.metadata().unwrap().len();
        }
    }
    total
}

fuzz_target!(|data: &[u8]| {
    let limits = CodeLimits::default();
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = CodePackage::from_base64(text, &limits);
    }
    let package = CodePackage::from_zip(data.to_vec());
    let dest = root().join(&package.digest);
    let result = code::unpack(&package.zip, &dest, &limits);
    if result.is_ok() {
        let budget = limits.max_unpacked_bytes.min(
            (data.len() as u64)
                .saturating_mul(limits.max_ratio)
                .max(1 << 20),
        );
        assert!(walk(&dest) <= budget);
        std::fs::remove_dir_all(&dest).unwrap();
    }
    // Nothing is left behind: no staging dir after a failure, nothing else.
    let left = std::fs::read_dir(root()).unwrap().count();
    assert_eq!(left, 0, "unpack left files behind ({result:?})");
});
