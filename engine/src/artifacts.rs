//! Deploy-time compilation into an on-disk `.cwasm` store.
//!
//! An artifact's name is `<sha256 of the wasm>-<engine compatibility hash>.cwasm`,
//! so the same code deployed twice, or loaded again after a restart, is never
//! compiled again, and an artifact from an incompatible wasmtime build or config
//! is simply not found (and recompiled) rather than misloaded.

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};

use crate::error::DeployError;

/// What kind of Wasm binary some bytes are, from the header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmKind {
    /// A core module (`\0asm` version 1).
    Module,
    /// A component (`\0asm` layer 1).
    Component,
}

/// Classifies `wasm` by its 8-byte preamble, with a clear error for anything else.
pub fn wasm_kind(wasm: &[u8]) -> Result<WasmKind, DeployError> {
    const MAGIC: &[u8] = b"\0asm";
    if wasm.len() < 8 || &wasm[..4] != MAGIC {
        let shown: String = wasm
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ");
        return Err(DeployError::NotWasm {
            found: if shown.is_empty() {
                "no bytes".into()
            } else {
                shown
            },
        });
    }
    match wasm[4..8] {
        [1, 0, 0, 0] => Ok(WasmKind::Module),
        [_, _, 1, 0] => Ok(WasmKind::Component),
        _ => Err(DeployError::InvalidWasm(format!(
            "unknown binary version {:02x?}",
            &wasm[4..8]
        ))),
    }
}

/// An artifact on disk, as [`ArtifactStore::find`] found it.
#[derive(Debug)]
pub struct FoundArtifact {
    pub path: PathBuf,
    pub kind: WasmKind,
    /// Its size in bytes: a proxy for how long loading it takes.
    pub len: u64,
}

/// The artifact directory plus the counters that prove where compiles happen.
#[derive(Debug)]
pub struct ArtifactStore {
    dir: PathBuf,
    /// Read-only directories searched after `dir` (see `EngineConfig::shared_artifact_dirs`).
    shared: Vec<PathBuf>,
    compat: String,
    compiles: AtomicU64,
    /// Durations of recent compiles, drained by [`ArtifactStore::take_compile_times`]
    /// (bounded by [`RECENT_COMPILES`], oldest dropped, so an undrained store stays small).
    recent_compile_times: std::sync::Mutex<std::collections::VecDeque<std::time::Duration>>,
}

/// How many compile durations are kept until someone drains them (metrics scrapes).
const RECENT_COMPILES: usize = 1024;

/// Feeds `Hash` output into SHA-256, giving a hash that is stable across processes
/// (std's `DefaultHasher` is not promised to be).
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn finish(&self) -> u64 {
        0 // unused: the digest is read with `finalize`
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

impl ArtifactStore {
    /// Opens (creating it if needed) the artifact directory for `engine`.
    pub fn open(
        engine: &wasmtime::Engine,
        dir: &Path,
        shared: &[PathBuf],
    ) -> Result<Self, DeployError> {
        std::fs::create_dir_all(dir)?;
        let mut hasher = Sha256Hasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
        let compat = hex::encode(&hasher.0.finalize()[..8]);
        Ok(Self {
            dir: dir.to_path_buf(),
            shared: shared.to_vec(),
            compat,
            compiles: AtomicU64::new(0),
            recent_compile_times: Default::default(),
        })
    }

    /// How many times this process compiled Wasm (deploys of new code only).
    pub fn compiles(&self) -> u64 {
        self.compiles.load(Ordering::Relaxed)
    }

    /// Durations of the compiles since the last call (oldest first).
    pub fn take_compile_times(&self) -> Vec<std::time::Duration> {
        self.recent_compile_times
            .lock()
            .map(|mut times| times.drain(..).collect())
            .unwrap_or_default()
    }

    /// The sha256 (hex) of `wasm`: the code's identity.
    pub fn digest(wasm: &[u8]) -> String {
        hex::encode(Sha256::digest(wasm))
    }

    /// The artifact path for code with this digest. The kind is part of the name
    /// so that loading needs no header parsing (`detect_precompiled_file` costs
    /// several reads, a measurable part of a ~150 µs cold load).
    pub fn path_for(&self, digest: &str, kind: WasmKind) -> PathBuf {
        self.dir.join(self.file_name(digest, kind))
    }

    fn file_name(&self, digest: &str, kind: WasmKind) -> String {
        let kind = match kind {
            WasmKind::Module => "module",
            WasmKind::Component => "component",
        };
        format!("{digest}-{}.{kind}.cwasm", self.compat)
    }

    /// The existing artifact for `digest`, whichever kind it is: in the
    /// store's own directory, else in a shared one.
    pub fn find(&self, digest: &str) -> Option<FoundArtifact> {
        std::iter::once(&self.dir)
            .chain(&self.shared)
            .flat_map(|dir| {
                [WasmKind::Component, WasmKind::Module]
                    .into_iter()
                    .map(move |kind| (dir.join(self.file_name(digest, kind)), kind))
            })
            .find_map(|(path, kind)| {
                // An empty file is never a finished artifact (wasmtime cannot map
                // it): skip it, and the caller compiles a fresh one over it.
                let meta = std::fs::metadata(&path)
                    .ok()
                    .filter(|m| m.is_file() && m.len() > 0)?;
                Some(FoundArtifact {
                    path,
                    kind,
                    len: meta.len(),
                })
            })
    }

    /// Compiles `wasm` and writes the artifact to `path` atomically. Callers
    /// go through [`Compiler`](crate::compile::Compiler), which makes sure one
    /// compile per artifact runs at a time and bounds what and how much compiles.
    pub(crate) fn compile_to(
        &self,
        engine: &wasmtime::Engine,
        wasm: &[u8],
        kind: WasmKind,
        path: &Path,
    ) -> Result<(), DeployError> {
        self.compiles.fetch_add(1, Ordering::Relaxed);
        let started = std::time::Instant::now();
        let compiled = match kind {
            WasmKind::Module => engine.precompile_module(wasm),
            WasmKind::Component => engine.precompile_component(wasm),
        }
        .map_err(|e| DeployError::InvalidWasm(format!("{e:#}")))?;
        if let Ok(mut times) = self.recent_compile_times.lock() {
            if times.len() == RECENT_COMPILES {
                times.pop_front();
            }
            times.push_back(started.elapsed());
        }
        write_atomically(path, &compiled)?;
        tracing::debug!(artifact = %path.display(), elapsed_ms = started.elapsed().as_millis() as u64, "compiled");
        Ok(())
    }
}

/// Writes `bytes` to `path` so that `path` only ever names a complete file:
/// a temp file unique to this write (pid + random id; two processes may share
/// a directory) in the same directory,
/// written, fsync'd, then renamed over `path`. A reader that has the old file
/// mapped keeps it (rename never truncates it), and a crash leaves at most a
/// stray `*.tmp` file, never a short artifact under the real name.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(
        ".{}.{}.tmp",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let tmp = path.with_file_name(tmp_name);
    let written = (|| {
        // `create_new`: a leftover with this name is an error, never shared.
        let mut file = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(error) = &written {
        tracing::warn!(artifact = %path.display(), %error, "writing the artifact failed");
        if let Err(e) = std::fs::remove_file(&tmp)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(temp = %tmp.display(), error = %e, "cannot remove a temp artifact");
        }
        return written;
    }
    // Make the rename itself durable; the artifact is complete either way, so
    // a failure here costs at most a recompile after a crash.
    if let Some(dir) = path.parent()
        && let Err(error) = std::fs::File::open(dir).and_then(|d| d.sync_all())
    {
        tracing::debug!(dir = %dir.display(), %error, "cannot fsync the artifact directory");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_headers() {
        assert_eq!(wasm_kind(b"\0asm\x01\0\0\0").ok(), Some(WasmKind::Module));
        assert_eq!(
            wasm_kind(b"\0asm\x0d\0\x01\0").ok(),
            Some(WasmKind::Component)
        );
        let err = wasm_kind(b"PK\x03\x04zipfile")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("not WebAssembly") && err.contains("50 4b 03 04"),
            "{err}"
        );
        assert!(wasm_kind(b"").is_err());
    }

    #[test]
    fn concurrent_writes_of_one_artifact_each_land_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.cwasm");
        let bytes = vec![7u8; 1 << 20];
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| write_atomically(&path, &bytes).unwrap());
            }
        });
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "never short");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["a.cwasm"], "no temp file left");
    }
}
