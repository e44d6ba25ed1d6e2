//! [`Compiler`]: every Wasm compile of the engine goes through here, so that
//! one artifact is compiled once however many deploys ask for it at once
//! (single flight per artifact path), no more than
//! [`EngineConfig::max_concurrent_compiles`](crate::EngineConfig::max_concurrent_compiles)
//! compiles run at a time, and user code is refused before compiling when it
//! declares more than [`CompileLimits`] allow.

use std::path::{Path, PathBuf};

use crate::artifacts::{ArtifactStore, WasmKind};
use crate::compile_gate::CompileGate;
use crate::compile_limits::{self, CompileLimits};
use crate::error::DeployError;

/// Whose code is compiled, which decides whether [`CompileLimits`] apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// A user's upload: checked against the limits.
    User,
    /// Code the platform ships (the interpreter runtimes): trusted, unchecked.
    Platform,
}

/// The engine's compile coordinator (one per [`Engine`](crate::Engine)).
#[derive(Debug)]
pub(crate) struct Compiler {
    limits: CompileLimits,
    gate: CompileGate,
    /// Runs by artifact path; the outcome is the path of a usable artifact.
    flights: crate::single_flight::SingleFlight<PathBuf, Result<PathBuf, DeployError>>,
}

impl Compiler {
    pub(crate) fn new(limits: CompileLimits, max_concurrent_compiles: usize) -> Self {
        Self {
            limits,
            gate: CompileGate::new(max_concurrent_compiles),
            flights: Default::default(),
        }
    }

    /// The artifact for `wasm` in `store` (or a shared directory), compiling it
    /// only when none exists. Concurrent callers for the same code share one compile.
    pub(crate) fn ensure(
        &self,
        engine: &wasmtime::Engine,
        store: &ArtifactStore,
        wasm: &[u8],
        kind: WasmKind,
        origin: Origin,
    ) -> Result<PathBuf, DeployError> {
        let digest = ArtifactStore::digest(wasm);
        let existing = |store: &ArtifactStore| {
            store
                .find(&digest)
                .filter(|found| found.kind == kind)
                .map(|found| found.path)
        };
        if let Some(path) = existing(store) {
            return Ok(path);
        }
        let path = store.path_for(&digest, kind);
        self.flights.run(
            &path,
            || {
                // A run that ended just before this one began may have written it.
                if let Some(found) = existing(store) {
                    return Ok(found);
                }
                self.compile(engine, store, wasm, kind, &path, origin)?;
                Ok(path.clone())
            },
            shared,
        )
    }

    /// Compiles `wasm` again over an artifact that would not load, into
    /// `store`'s own directory, and returns the new artifact's path. `loads`
    /// tells whether the artifact at a path loads now: if a concurrent caller
    /// has already replaced the bad one, nothing is compiled.
    pub(crate) fn replace(
        &self,
        engine: &wasmtime::Engine,
        store: &ArtifactStore,
        wasm: &[u8],
        kind: WasmKind,
        loads: impl FnOnce(&Path) -> bool,
    ) -> Result<PathBuf, DeployError> {
        let path = store.path_for(&ArtifactStore::digest(wasm), kind);
        self.flights.run(
            &path,
            || {
                if std::fs::metadata(&path).is_ok_and(|m| m.len() > 0) && loads(&path) {
                    return Ok(path.clone());
                }
                self.compile(engine, store, wasm, kind, &path, Origin::User)?;
                Ok(path.clone())
            },
            shared,
        )
    }

    /// One compile: the limits check for user code, then a permit, then the
    /// compile and the atomic write.
    fn compile(
        &self,
        engine: &wasmtime::Engine,
        store: &ArtifactStore,
        wasm: &[u8],
        kind: WasmKind,
        path: &Path,
        origin: Origin,
    ) -> Result<(), DeployError> {
        if origin == Origin::User {
            compile_limits::check(wasm, kind, &self.limits)?;
        }
        let _permit = self.gate.acquire();
        store.compile_to(engine, wasm, kind, path)
    }
}

/// Every caller's copy of a run's outcome.
fn shared(outcome: &Result<PathBuf, DeployError>) -> Result<PathBuf, DeployError> {
    match outcome {
        Ok(path) => Ok(path.clone()),
        Err(e) => Err(e.duplicate()),
    }
}
