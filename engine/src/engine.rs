//! [`Engine`]: the one wasmtime engine of the process, its shared linkers, the
//! artifact store, the epoch ticker and the registry of function pools.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use wasmtime::{Config, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::abi;
use crate::artifacts::{ArtifactStore, wasm_kind};
use crate::compile::{Compiler, Origin};
use crate::config::{EngineConfig, FunctionConfig};
use crate::error::DeployError;
use crate::function::Function;
use crate::host::sandbox;
use crate::pool::Pool;
use crate::shared::{Counters, EngineInner};

/// The largest artifact [`Engine::load_compiled`] should load on an async
/// worker: 4 MiB, ~24x a Rust hello component's (170 KB) and a tenth of an
/// interpreter's (36-43 MB).
pub const INLINE_LOAD_MAX_BYTES: u64 = 4 << 20;

/// The entry point: create one per process, deploy functions, invoke them.
///
/// ```no_run
/// # async fn demo(wasm: Vec<u8>) -> Result<(), Box<dyn std::error::Error>> {
/// use wasm_fc_engine::{Engine, EngineConfig, FunctionConfig, InvokeContext};
/// let engine = Engine::new(EngineConfig::default())?;
/// let function = engine.deploy(&wasm, FunctionConfig::new("svc", "hello"))?;
/// let outcome = function.invoke(b"{}".to_vec().into(), &InvokeContext::default()).await?;
/// println!("{:?}", outcome.result);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Engine {
    pub(crate) inner: Arc<EngineInner>,
}

/// A snapshot of the engine's counters, for tests and metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Wasm compilations in this process. Zero on the invoke path, and zero after
    /// a restart when every deployed function's artifact is on disk.
    pub compiles: u64,
    /// `.cwasm` artifacts loaded (`deserialize_file`).
    pub artifact_loads: u64,
    /// Invocations that needed a new instance.
    pub cold_starts: u64,
    /// Invocations served by a warm instance.
    pub warm_hits: u64,
    /// Invocations refused with `Throttled`.
    pub throttled: u64,
    /// Instances dropped after a trap, timeout, OOM, reuse limit or idleness.
    pub retired: u64,
    /// Instances alive now (idle or busy).
    pub live_instances: u64,
    /// Of those, idle ones.
    pub idle_instances: u64,
    /// Total time invocations spent waiting for an instance slot.
    pub acquire_wait: Duration,
}

impl Engine {
    /// Creates the engine: wasmtime config, pooling allocator, shared linkers,
    /// artifact store and epoch ticker.
    pub fn new(config: EngineConfig) -> Result<Self, DeployError> {
        let wasmtime = wasmtime::Engine::new(&wasmtime_config(&config))
            .map_err(|e| DeployError::Engine(format!("{e:#}")))?;
        let artifacts = ArtifactStore::open(
            &wasmtime,
            &config.artifact_dir,
            &config.shared_artifact_dirs,
        )?;
        let linkers =
            abi::Linkers::new(&wasmtime).map_err(|e| DeployError::Engine(format!("{e:#}")))?;
        let compiler = Compiler::new(
            config.compile_limits.clone(),
            config.max_concurrent_compiles,
        );
        let inner = Arc::new(EngineInner {
            compiler,
            live_instances: Arc::new(Semaphore::new(config.max_live_instances as usize)),
            wasmtime,
            linkers,
            artifacts,
            pools: Mutex::new(Vec::new()),
            counters: Counters::default(),
            config,
        });
        spawn_ticker(&inner);
        Ok(Self { inner })
    }

    /// Deploys a function: compiles `wasm` unless its artifact already exists,
    /// loads the artifact, detects the guest ABI and prepares the instance pool.
    ///
    /// Concurrent deploys of the same code share one compile; code that
    /// declares more than [`EngineConfig::compile_limits`] allow is refused with
    /// [`DeployError::LimitExceeded`] before compiling.
    ///
    /// This is CPU-heavy when it compiles (tens of ms to seconds) and blocks
    /// while another deploy compiles the same code or every compile permit is
    /// taken; from async code, call it inside `spawn_blocking`.
    pub fn deploy(&self, wasm: &[u8], config: FunctionConfig) -> Result<Function, DeployError> {
        let kind = wasm_kind(wasm)?;
        let path = self.inner.compiler.ensure(
            &self.inner.wasmtime,
            &self.inner.artifacts,
            wasm,
            kind,
            Origin::User,
        )?;
        self.load_artifact(&path, kind, ArtifactStore::digest(wasm), wasm, config)
    }

    /// Compiles `wasm` into the artifact directory `dir` (unless this engine's
    /// artifact for it is already there), for code many data dirs share; list
    /// `dir` in [`EngineConfig::shared_artifact_dirs`] to use it. Returns the
    /// code's digest. CPU-heavy like [`Engine::deploy`].
    ///
    /// This is for code the platform ships (the interpreter runtimes): it is
    /// trusted, so [`EngineConfig::compile_limits`] do not apply.
    pub fn precompile_into(&self, wasm: &[u8], dir: &Path) -> Result<String, DeployError> {
        let kind = wasm_kind(wasm)?;
        let store = ArtifactStore::open(&self.inner.wasmtime, dir, &[])?;
        self.inner
            .compiler
            .ensure(&self.inner.wasmtime, &store, wasm, kind, Origin::Platform)?;
        Ok(ArtifactStore::digest(wasm))
    }

    /// Loads a function whose code was deployed earlier, from its artifact alone
    /// when it exists (no compile); `wasm` is only read when it must be recompiled.
    pub fn load(
        &self,
        wasm_digest: &str,
        wasm: impl FnOnce() -> std::io::Result<Vec<u8>>,
        config: FunctionConfig,
    ) -> Result<Function, DeployError> {
        match self.load_compiled(wasm_digest, u64::MAX, config.clone())? {
            Some(function) => Ok(function),
            // Missing or unusable artifact: compile from the source (deploy replaces a bad file).
            None => self.deploy(&wasm()?, config),
        }
    }

    /// Loads a function from its artifact alone when the artifact exists and is
    /// at most `max_artifact_bytes` long; `None` otherwise (then [`Engine::load`]
    /// must compile, or load the big artifact). It never compiles.
    ///
    /// Why the size bound: mapping a small artifact and resolving its imports
    /// takes ~100 µs, cheap enough for an async worker, which saves a cold start
    /// the hop to a blocking thread (that hop was ~40% of a not-loaded cold start
    /// on 2 vCPUs). An interpreter's 40 MB artifact takes 1-15 ms: use
    /// [`INLINE_LOAD_MAX_BYTES`] from async code.
    pub fn load_compiled(
        &self,
        wasm_digest: &str,
        max_artifact_bytes: u64,
        config: FunctionConfig,
    ) -> Result<Option<Function>, DeployError> {
        let Some(found) = self.inner.artifacts.find(wasm_digest) else {
            return Ok(None);
        };
        if found.len > max_artifact_bytes {
            return Ok(None);
        }
        let path = found.path;
        match self.load_artifact(&path, found.kind, wasm_digest.to_string(), &[], config) {
            Err(DeployError::InvalidWasm(reason)) => {
                tracing::warn!(artifact = %path.display(), %reason, "unusable artifact");
                Ok(None)
            }
            other => other.map(Some),
        }
    }

    fn load_artifact(
        &self,
        path: &Path,
        kind: crate::artifacts::WasmKind,
        digest: String,
        wasm: &[u8],
        config: FunctionConfig,
    ) -> Result<Function, DeployError> {
        validate(&self.inner.config, &config)?;
        sandbox::check_preopens(&config)?;
        let loaded = match abi::load(&self.inner.wasmtime, &self.inner.linkers, path, kind) {
            Ok(loaded) => loaded,
            // A corrupt or stale artifact: recompile once from the source bytes,
            // into this engine's own directory (the bad file may be in a shared,
            // read-only one). Concurrent callers that found the same bad file
            // share that one compile, and one that comes after the file was
            // replaced just loads it.
            Err(DeployError::InvalidWasm(reason)) if !wasm.is_empty() => {
                tracing::warn!(artifact = %path.display(), %reason, "recompiling unusable artifact");
                let fresh = self.inner.compiler.replace(
                    &self.inner.wasmtime,
                    &self.inner.artifacts,
                    wasm,
                    kind,
                    |candidate| {
                        abi::load(&self.inner.wasmtime, &self.inner.linkers, candidate, kind)
                            .is_ok()
                    },
                )?;
                abi::load(&self.inner.wasmtime, &self.inner.linkers, &fresh, kind)?
            }
            Err(other) => return Err(other),
        };
        self.inner
            .counters
            .artifact_loads
            .fetch_add(1, Ordering::Relaxed);
        let pool = Pool::new(&config);
        if let Ok(mut pools) = self.inner.pools.lock() {
            pools.retain(|p| p.strong_count() > 0);
            pools.push(Arc::downgrade(&pool));
        }
        Ok(Function::new(
            self.inner.clone(),
            loaded,
            pool,
            config,
            digest,
        ))
    }

    /// The counters: compiles, loads, cold starts, warm hits, instances, throttling.
    pub fn stats(&self) -> EngineStats {
        let c = &self.inner.counters;
        let (mut live, mut idle) = (0, 0);
        if let Ok(pools) = self.inner.pools.lock() {
            for pool in pools.iter().filter_map(Weak::upgrade) {
                live += pool.live();
                idle += pool.idle_count() as u64;
            }
        }
        EngineStats {
            compiles: self.inner.artifacts.compiles(),
            artifact_loads: c.artifact_loads.load(Ordering::Relaxed),
            cold_starts: c.cold_starts.load(Ordering::Relaxed),
            warm_hits: c.warm_hits.load(Ordering::Relaxed),
            throttled: c.throttled.load(Ordering::Relaxed),
            retired: c.retired.load(Ordering::Relaxed),
            live_instances: live,
            idle_instances: idle,
            acquire_wait: Duration::from_nanos(c.acquire_wait_nanos.load(Ordering::Relaxed)),
        }
    }

    /// How long each compile since the last call took (for a compile-time histogram).
    pub fn take_compile_times(&self) -> Vec<Duration> {
        self.inner.artifacts.take_compile_times()
    }

    /// The digest (sha256 hex) under which `wasm` is stored; pass it to [`Engine::load`].
    pub fn digest(wasm: &[u8]) -> String {
        ArtifactStore::digest(wasm)
    }

    /// The underlying wasmtime engine, for benches that compare against raw wasmtime
    /// with the very same `Config`.
    pub fn wasmtime(&self) -> &wasmtime::Engine {
        &self.inner.wasmtime
    }
}

fn validate(engine: &EngineConfig, config: &FunctionConfig) -> Result<(), DeployError> {
    if config.memory_size_mb == 0 || config.memory_size_mb > engine.max_memory_size_mb {
        return Err(DeployError::InvalidConfig(format!(
            "memorySize {} MB is outside 1..={} MB",
            config.memory_size_mb, engine.max_memory_size_mb
        )));
    }
    if config.timeout.is_zero() {
        return Err(DeployError::InvalidConfig(
            "timeout must be at least 1 second".into(),
        ));
    }
    Ok(())
}

/// The wasmtime `Config`, with each number's reason.
pub(crate) fn wasmtime_config(config: &EngineConfig) -> Config {
    let mut wasm = Config::new();
    // Timeouts: an epoch check at loop headers and function entries costs far less
    // than fuel (2-3x per wasmtime docs), and the ticker gives 5 ms resolution.
    wasm.epoch_interruption(true);
    // Spin's finding: registering unwind info is quadratic with many modules loaded.
    wasm.native_unwind_info(false);
    // Pages are mapped copy-on-write from the .cwasm file instead of copied.
    wasm.memory_init_cow(true);
    wasm.max_wasm_stack(config.max_wasm_stack);
    // Fiber stacks must hold the Wasm stack plus host frames (WASI calls).
    wasm.async_stack_size(config.max_wasm_stack + (1 << 20));
    wasm.wasm_component_model(true);
    if config.pooling {
        wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling_config(config)));
    }
    wasm
}

/// Pool sizing from the platform's limits (engine-anchors §1.1, §8).
fn pooling_config(config: &EngineConfig) -> PoolingAllocationConfig {
    let n = config.max_live_instances.max(1);
    let mut pool = PoolingAllocationConfig::default();
    // One component instance per live FC instance.
    pool.total_component_instances(n);
    // A Rust wasip2 component holds ~4 core instances (main module + adapter +
    // shims); 6x leaves room for interpreters and command modules.
    pool.total_core_instances(n.saturating_mul(6));
    // Components have 1-2 memories (main + the WASI adapter's).
    pool.total_memories(n.saturating_mul(2));
    // Main module, adapter and shim tables: up to ~3 per component.
    pool.total_tables(n.saturating_mul(4));
    // A fiber stack is only held while a call runs; at most one call per live instance.
    pool.total_stacks(n);
    // Each memory may grow to the largest memorySize allowed; the per-function
    // limiter enforces the function's own (smaller) memorySize.
    pool.max_memory_size((config.max_memory_size_mb as usize) << 20);
    // Rust components and CPython-sized runtimes fit; 1 MiB default is too small
    // for big interpreters' VMContext.
    pool.max_core_instance_size(8 << 20);
    pool.max_component_instance_size(8 << 20);
    pool.max_memories_per_module(2);
    pool.max_tables_per_module(4);
    pool.table_elements(200_000);
    // Keep slots affine to their module while idle: a re-instantiation then
    // reuses the slot's CoW mapping.
    pool.max_unused_warm_slots(n);
    // Reset the first bytes with memset rather than madvise on reuse (Spin's
    // values): fewer page faults and fewer VM-lock round trips.
    pool.linear_memory_keep_resident(2 << 20);
    pool.table_keep_resident(512 << 10);
    // With PAGEMAP_SCAN (Linux 6.7+) only the pages an instance dirtied are
    // reset, not the whole kept-resident prefix: without it, a fresh-instance
    // request spent 18% of its CPU in memset on a hello component.
    pool.pagemap_scan(wasmtime::Enabled::Auto);
    pool
}

/// Increments the epoch every tick and reaps idle instances once a second. Stops
/// when the engine is dropped.
fn spawn_ticker(inner: &Arc<EngineInner>) {
    let weak = Arc::downgrade(inner);
    let wasmtime = inner.wasmtime.clone();
    let tick = inner.config.epoch_tick;
    let spawned = std::thread::Builder::new()
        .name("wasm-fc-epoch".into())
        .spawn(move || {
            let mut last_reap = Instant::now();
            loop {
                std::thread::sleep(tick);
                let Some(inner) = weak.upgrade() else { return };
                wasmtime.increment_epoch();
                if last_reap.elapsed() >= Duration::from_secs(1) {
                    last_reap = Instant::now();
                    let pools: Vec<Arc<Pool>> = inner
                        .pools
                        .lock()
                        .map(|p| p.iter().filter_map(Weak::upgrade).collect())
                        .unwrap_or_default();
                    for pool in pools {
                        let reaped = pool.reap_idle();
                        inner.counters.retired.fetch_add(reaped, Ordering::Relaxed);
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the epoch ticker, timeouts will not fire: {e}");
    }
}
