//! Configuration: [`EngineConfig`] (one per process, the platform's limits) and
//! [`FunctionConfig`] (one per deployed function version, FC's settings).
//! Every default is written next to its field, with the reason for the number.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Platform-wide limits. They size the wasmtime pooling allocator, so they are
/// fixed for the life of the [`Engine`](crate::Engine).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where compiled `.cwasm` artifacts live. Default: a `wasm-fc-artifacts`
    /// directory under the system temp dir; `wasm-fc run` puts it in its data dir.
    pub artifact_dir: PathBuf,
    /// Artifact directories looked in after `artifact_dir`, never written by
    /// deploys: where [`Engine::precompile_into`](crate::Engine::precompile_into)
    /// put code shared by every data dir (the Python and Node.js runtimes).
    /// An artifact's file name carries the engine's compatibility hash, so a
    /// directory shared by differently configured engines is safe. Default none.
    pub shared_artifact_dirs: Vec<PathBuf>,
    /// Use the pooling instance allocator (default `true`). Pooling takes a
    /// pre-reserved slot per instance instead of `mmap`/`mprotect`, which is
    /// 3-5x faster to instantiate (engine-anchors §6.1). `false` is on-demand
    /// allocation, kept for the benches and for hosts with little address space.
    pub pooling: bool,
    /// Live instances (idle or busy) across all functions. Default 1000: the
    /// wasmtime pooling default, ~22 KiB RSS each when idle, so ~22 MiB at full
    /// occupancy. Sizes `total_component_instances`.
    pub max_live_instances: u32,
    /// Largest `memorySize` a function may ask for, in MB. Default 3072, FC's
    /// e1 ceiling. It is the pooling `max_memory_size`, so a single memory can
    /// never grow past it even before the per-function limiter runs.
    pub max_memory_size_mb: u32,
    /// How often the epoch ticker fires. Default 5 ms: the timeout granularity,
    /// and how often a CPU-bound guest yields to the async runtime so it cannot
    /// starve other requests on a 2-core host.
    pub epoch_tick: Duration,
    /// Wasm stack per call. Default 1 MiB; deeper recursion traps with a stack
    /// overflow instead of crashing the host.
    pub max_wasm_stack: usize,
    /// How long an invocation waits for a free instance slot before it is
    /// throttled. Default 1 s, so overload gives a prompt 429, never a hang.
    pub acquire_timeout: Duration,
    /// What a user's binary may declare before it is compiled (functions, code
    /// size, memories, tables, data, ...); see [`CompileLimits`](crate::CompileLimits)
    /// for each default. Code the platform ships is not checked.
    pub compile_limits: crate::CompileLimits,
    /// Compiles running at once, across all deploys. Default: the number of
    /// cores (`available_parallelism`, 1 if unknown). Each compile already
    /// spreads over every core, so more at once only adds compiler memory
    /// (up to ~1 GB each for the largest code the limits allow), not speed.
    pub max_concurrent_compiles: usize,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            artifact_dir: std::env::temp_dir().join("wasm-fc-artifacts"),
            shared_artifact_dirs: Vec::new(),
            pooling: true,
            max_live_instances: 1000,
            max_memory_size_mb: 3072,
            epoch_tick: Duration::from_millis(5),
            max_wasm_stack: 1 << 20,
            acquire_timeout: Duration::from_secs(1),
            compile_limits: crate::CompileLimits::default(),
            max_concurrent_compiles: std::thread::available_parallelism()
                .map(usize::from)
                .unwrap_or(1),
        }
    }
}

/// A directory the guest may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preopen {
    /// The host directory. It must exist.
    pub host_path: PathBuf,
    /// Where the guest sees it, e.g. `/code`, `/opt`, `/mnt/nas`.
    pub guest_path: String,
    /// `false` (read-only) for code and layers; `true` for NAS mount points.
    pub writable: bool,
}

/// Everything FC says about one function version that matters at run time.
#[derive(Debug, Clone)]
pub struct FunctionConfig {
    /// Service name (FC `context.service.name`).
    pub service: String,
    /// Function name (FC `context.function.name`).
    pub function: String,
    /// The handler string, e.g. `index.handler`.
    pub handler: String,
    /// The initializer string; `None` means no initializer runs. Default none.
    pub initializer: Option<String>,
    /// FC `initializationTimeout`. Default 3 s (FC's default).
    pub initialization_timeout: Duration,
    /// FC `timeout`. Default 3 s (FC's default).
    pub timeout: Duration,
    /// FC `memorySize` in MB: the sum of all the instance's memories may not
    /// exceed it. Default 128 (FC's default).
    pub memory_size_mb: u32,
    /// FC `environmentVariables`: the guest's whole environment besides `FC_*`.
    pub environment: BTreeMap<String, String>,
    /// Directories the guest sees (code read-only, layers read-only under `/opt`,
    /// NAS mounts read-write). Default none.
    pub preopens: Vec<Preopen>,
    /// FC's service-level `internetAccess`: sockets and outbound HTTP. Default `false`
    /// (deny by default; `wasm-fc` maps FC's default of `true` explicitly).
    pub internet_access: bool,
    /// FC `instanceConcurrency`: invocations one FC instance accepts at once.
    /// A Wasm instance runs one call at a time, so this multiplies the number of
    /// Wasm instances the function may use. Default 1.
    pub instance_concurrency: u32,
    /// Maximum FC instances for this function. Default 100. 0 admits no call
    /// at all (FC 3.0's `reservedConcurrency: 0` switches a function off).
    pub max_instances: u32,
    /// An idle instance is dropped after this long. Default 60 s.
    pub idle_timeout: Duration,
    /// An instance is retired after this many invocations. Default 10,000,
    /// which bounds any slow leak in a guest without costing measurable speed.
    pub max_reuse: u64,
    /// A fresh instance for every call (no warm reuse): the strict isolation mode.
    /// Default `false` (FC semantics: warm instances keep their globals).
    pub fresh_instance_per_call: bool,
}

impl FunctionConfig {
    /// A config with FC's defaults for `service`/`function` and handler `index.handler`.
    pub fn new(service: impl Into<String>, function: impl Into<String>) -> Self {
        Self {
            service: service.into(),
            function: function.into(),
            handler: "index.handler".to_string(),
            initializer: None,
            initialization_timeout: Duration::from_secs(3),
            timeout: Duration::from_secs(3),
            memory_size_mb: 128,
            environment: BTreeMap::new(),
            preopens: Vec::new(),
            internet_access: false,
            instance_concurrency: 1,
            max_instances: 100,
            idle_timeout: Duration::from_secs(60),
            max_reuse: 10_000,
            fresh_instance_per_call: false,
        }
    }

    /// How many Wasm instances may run this function at once.
    pub(crate) fn max_concurrency(&self) -> u32 {
        self.max_instances
            .saturating_mul(self.instance_concurrency.max(1))
    }
}

/// Per-invocation facts the platform knows and the guest should see.
#[derive(Debug, Clone, Default)]
pub struct InvokeContext {
    /// Equals the `X-Fc-Request-Id` of the invocation.
    pub request_id: String,
    /// What the caller asked for: `LATEST`, a version or an alias name. Default `LATEST`.
    pub qualifier: String,
    /// The version that runs; empty for LATEST.
    pub version_id: String,
    pub region: String,
    pub account_id: String,
    pub log_project: String,
    pub log_store: String,
    /// Temporary credentials for the guest (FC `context.credentials`); empty when none.
    pub access_key_id: String,
    pub access_key_secret: String,
    pub security_token: String,
    /// Async retry count (FC `x-fc-retry-count`).
    pub retry_count: u32,
    /// Extra `x-fc-*` request headers the platform adds to HTTP invocations
    /// (`x-fc-base-path`, WebSocket events). Callers' own `x-fc-*` headers are
    /// always dropped; these are added after. Default: none.
    pub http_headers: Vec<(String, String)>,
    /// The whole original URI of an HTTP-trigger request (path and query, as
    /// received), which interpreted runtimes show as Node's `req.url` and WSGI's
    /// `fc.request_uri`. Empty for events.
    pub request_url: String,
    /// Headers the host sets on every outgoing `wasi:http` request this
    /// invocation makes, replacing any the guest set under the same names. The
    /// platform marks requests of event-triggered invocations with their
    /// event-chain depth this way (the OSS loop guard): the guest cannot
    /// remove or lower it. Default: none.
    pub outbound_headers: Vec<(String, String)>,
}

/// Size caps on what an invocation may produce.
pub mod caps {
    /// A sync result larger than this is a function error. 32 MB, FC's sync payload limit.
    pub const MAX_RESULT_BYTES: usize = 32 << 20;
    /// An HTTP request body a function buffers whole (CGI commands, interpreted
    /// runtimes). 32 MB, FC's sync HTTP-trigger body limit.
    pub const MAX_REQUEST_BYTES: usize = 32 << 20;
    /// Log bytes kept per invocation (the tail wins). 1 MiB: far above the 4 KB
    /// tail FC returns, so the function log stays useful, yet bounded.
    pub const MAX_LOG_BYTES: usize = 1 << 20;
    /// FC's `X-Fc-Log-Result` is the last 4 KB of the log.
    pub const LOG_TAIL_BYTES: usize = 4 << 10;
    /// How much of stderr becomes the message of a failed command. 4 KB.
    pub const ERROR_MESSAGE_BYTES: usize = 4 << 10;
}
