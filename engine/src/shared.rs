//! [`EngineInner`]: what every deployed function shares with the engine that
//! made it: the wasmtime engine, the linkers, the artifact store, the compiler,
//! the global live-instance slots, the registry of pools and the counters.
//! Its own module so that `function` and `engine` both use it without
//! importing each other.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Semaphore;

use crate::abi::Linkers;
use crate::artifacts::ArtifactStore;
use crate::compile::Compiler;
use crate::config::EngineConfig;
use crate::pool::Pool;

/// The engine's shared state.
pub(crate) struct EngineInner {
    pub(crate) wasmtime: wasmtime::Engine,
    pub(crate) config: EngineConfig,
    /// The component and core-module linkers every function shares.
    pub(crate) linkers: Linkers,
    pub(crate) artifacts: ArtifactStore,
    /// Every compile goes through it: single flight, bounded concurrency, limits.
    pub(crate) compiler: Compiler,
    /// Permits for live instances across all functions.
    pub(crate) live_instances: Arc<Semaphore>,
    pub(crate) pools: Mutex<Vec<Weak<Pool>>>,
    pub(crate) counters: Counters,
}

impl std::fmt::Debug for EngineInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineInner")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Monotonic counters; read them with [`Engine::stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) artifact_loads: AtomicU64,
    pub(crate) cold_starts: AtomicU64,
    pub(crate) warm_hits: AtomicU64,
    pub(crate) throttled: AtomicU64,
    pub(crate) retired: AtomicU64,
    pub(crate) acquire_wait_nanos: AtomicU64,
}

impl EngineInner {
    /// Drops one idle instance from any pool, freeing a global slot.
    pub(crate) fn evict_one_idle(&self) -> bool {
        let Ok(pools) = self.pools.lock() else {
            return false;
        };
        pools
            .iter()
            .filter_map(Weak::upgrade)
            .any(|pool| pool.evict_oldest_idle())
    }
}
