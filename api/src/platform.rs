//! The running platform: store, engine, data dir and the cache of deployed
//! function versions. Route handlers and the async workers share one `Platform`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::Value;
use wasm_fc_engine::{
    DeployError, Engine, Function, FunctionConfig, INLINE_LOAD_MAX_BYTES, Preopen,
};

use dashmap::DashMap;

use crate::control::code;
use crate::control::error::{ApiError, ApiResult};
use crate::control::runtimes::{self, RuntimeKind, Runtimes};
use crate::control::store::{Kind, StoreError, StoreHandle};
use crate::invoke::metrics::Metrics;
use crate::invoke::metrics::prometheus::StoreOperation;
use crate::invoke::queue::Handoff;
use crate::triggers::scheduler::{Scheduler, SchedulerHandle};

/// Who this platform says it is (FC's account id and region).
#[derive(Debug, Clone)]
pub struct Identity {
    pub account_id: String,
    pub region: String,
    /// The base URL clients reach this platform at (`http://host:port`), for the
    /// URLs it hands out (GetFunctionCode). `None`: the request's `Host` when it
    /// carries a port, else the listen address.
    pub public_endpoint: Option<String>,
}

/// A function version resolved from a qualifier, ready to invoke.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub service: Value,
    pub function: Value,
    /// `LATEST`, a version id, or an alias name, as asked.
    pub qualifier: String,
    /// The version that runs; empty for LATEST.
    pub version_id: String,
    /// A Python or Node.js function with an HTTP trigger: events reach it as
    /// `POST /invoke` requests.
    pub interpreted_http: bool,
}

/// Shared state of the server.
pub struct Platform {
    pub store: StoreHandle,
    pub engine: Engine,
    pub data_dir: PathBuf,
    pub identity: Identity,
    /// Wakes the async workers when an invocation is enqueued.
    pub queue_wakeup: tokio::sync::Notify,
    /// Deployed engine functions by (service, version or LATEST, function, code+config stamp).
    deployed: Mutex<HashMap<String, Function>>,
    /// Hands freshly accepted (already leased) invocations to the workers, so a new
    /// invocation costs one store write and no polling.
    /// Bounded ([`crate::invoke::queue::HANDOFF_CAPACITY`]): a backlog waits in the store.
    pub handoff: tokio::sync::mpsc::Sender<Handoff>,
    handoff_receiver: Mutex<Option<tokio::sync::mpsc::Receiver<Handoff>>>,
    /// Changes the running timers.
    pub timers: SchedulerHandle,
    /// The scheduler task, until the server starts it.
    scheduler: Mutex<Option<Scheduler>>,
    /// Timer fires waiting in the queue, by request id → (scheduled Unix ms, trigger
    /// name), for lag and the metrics' trigger label.
    pub timer_fires_pending: DashMap<String, (i64, String)>,
    pub metrics: Metrics,
    /// Every invocation's guest log, per function (and echoed by `wasm-fc run`).
    pub logs: crate::invoke::function_logs::FunctionLogs,
    /// `/readyz`: set once the platform serves (and its manifest, if any, is deployed).
    ready: std::sync::atomic::AtomicBool,
    /// The Python and Node.js runtimes.
    pub runtimes: Runtimes,
    /// Invocations an instance serves before it is retired (1: fresh per request).
    max_instance_reuse: u64,
    /// What HTTP-trigger paths resolve to, while the store is unchanged.
    pub http_routes: crate::triggers::HttpRoutes,
    /// Signs the URLs the platform hands out, with a secret kept in the data dir.
    pub url_signer: crate::control::url_signing::UrlSigner,
    /// The address the server listens on (set once bound; the code URL's fallback host).
    pub listen_addr: std::sync::OnceLock<std::net::SocketAddr>,
    /// What resolve read, while the store is unchanged.
    resolve_cache: crate::control::resolve_cache::ResolveCache,
    /// This node's id (random per process start): the owner of its queue leases.
    pub node_id: Arc<str>,
    /// The queue rows this node holds, whose leases it renews.
    pub held: crate::invoke::queue::HeldLeases,
    /// One platform per data dir, for as long as this one lives.
    _data_dir_lock: crate::control::data_dir_lock::DataDirLock,
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field("data_dir", &self.data_dir)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

pub fn store_error(kind: Kind, name: &str) -> impl Fn(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::AlreadyExists => ApiError::AlreadyExists {
            kind,
            name: name.to_string(),
        },
        StoreError::NotFound => ApiError::not_found(kind, name),
        other => ApiError::from(other),
    }
}

impl Platform {
    pub fn new(
        store: StoreHandle,
        engine: Engine,
        data_dir: PathBuf,
        identity: Identity,
        runtimes: Runtimes,
        max_instance_reuse: u64,
        url_signer: crate::control::url_signing::UrlSigner,
        data_dir_lock: crate::control::data_dir_lock::DataDirLock,
    ) -> Self {
        let (timers, scheduler) = crate::triggers::scheduler::channel();
        let (handoff, handoff_receiver) =
            tokio::sync::mpsc::channel(crate::invoke::queue::HANDOFF_CAPACITY);
        Self {
            logs: crate::invoke::function_logs::FunctionLogs::start(&data_dir),
            store,
            engine,
            data_dir,
            identity,
            queue_wakeup: tokio::sync::Notify::new(),
            deployed: Mutex::new(HashMap::new()),
            handoff,
            handoff_receiver: Mutex::new(Some(handoff_receiver)),
            timers,
            scheduler: Mutex::new(Some(scheduler)),
            timer_fires_pending: DashMap::new(),
            metrics: Metrics::default(),
            ready: std::sync::atomic::AtomicBool::new(false),
            runtimes,
            max_instance_reuse,
            http_routes: Default::default(),
            url_signer,
            listen_addr: std::sync::OnceLock::new(),
            resolve_cache: Default::default(),
            node_id: uuid::Uuid::new_v4().to_string().into(),
            held: Default::default(),
            _data_dir_lock: data_dir_lock,
        }
    }

    /// Marks the platform ready (`/readyz` answers 200).
    pub fn mark_ready(&self) {
        self.ready.store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn is_ready(&self) -> bool {
        self.ready.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The workers' end of [`Platform::handoff`]; `None` once taken.
    pub fn take_handoff(&self) -> Option<tokio::sync::mpsc::Receiver<Handoff>> {
        self.handoff_receiver.lock().ok()?.take()
    }

    /// The scheduler task's state; `None` once taken (it runs once per platform).
    pub fn take_scheduler(&self) -> Option<Scheduler> {
        self.scheduler.lock().ok()?.take()
    }

    /// Where a code package's zip and unpacked tree live (content-addressed).
    pub fn code_paths(&self, digest: &str) -> (PathBuf, PathBuf) {
        code_paths_in(&self.data_dir, digest)
    }

    /// Checks a function's stored code against its runtime and handler, and
    /// returns its `_wasmDigest`: the sha256 of the handler's Wasm for Wasm
    /// runtimes; empty for Python and Node.js (their code runs on the runtime
    /// component, resolved when the function is loaded), after checking that the
    /// handler's source file is there and the runtime is available.
    pub async fn check_code(&self, function: &serde_json::Map<String, Value>) -> ApiResult<String> {
        let text = |key: &str| {
            function
                .get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let (_, dir) = self.code_paths(&text("_codeDigest"));
        let handler = text("handler");
        match runtimes::classify(&text("runtime"))? {
            RuntimeKind::Wasm => {
                crate::control::blocking::run_blocking("reading the handler's Wasm", move || {
                    let (_, wasm) = code::read_handler_wasm(&dir, &handler)?;
                    Ok(Engine::digest(&wasm))
                })
                .await
            }
            kind @ RuntimeKind::Interpreted(language) => {
                code::check_handler_source(&dir, kind, &handler)?;
                self.runtimes.get(language).await?;
                Ok(String::new())
            }
        }
    }

    /// Decodes a base64 zip (function code or a layer), checks it and stores it
    /// unpacked under its digest, on the blocking pool (it can be hundreds of MB).
    pub async fn accept_package(&self, zip_base64: String) -> ApiResult<code::CodePackage> {
        let data_dir = self.data_dir.clone();
        crate::control::blocking::run_blocking("storing code", move || {
            let package =
                code::CodePackage::from_base64(&zip_base64, &code::CodeLimits::default())?;
            store_package(&data_dir, &package)?;
            Ok(package)
        })
        .await
    }
}

/// Where a code package's zip and unpacked tree live under `data_dir`.
pub fn code_paths_in(data_dir: &Path, digest: &str) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("code");
    (dir.join(format!("{digest}.zip")), dir.join(digest))
}

/// Stores and unpacks a zip (function code or a layer) under its digest.
/// Safe to call concurrently with the same package: each call stages under
/// a name of its own and renames atomically; the first rename wins and the
/// others use it (both hold the same bytes).
fn store_package(data_dir: &Path, package: &code::CodePackage) -> ApiResult<()> {
    {
        let (zip_path, dir) = code_paths_in(data_dir, &package.digest);
        let io = |e: std::io::Error| ApiError::internal("storing code", e);
        std::fs::create_dir_all(data_dir.join("code")).map_err(io)?;
        if !dir.is_dir() {
            code::unpack(&package.zip, &dir, &code::CodeLimits::default())?;
        }
        if !zip_path.is_file() {
            write_atomically(&zip_path, &package.zip).map_err(io)?;
        }
        Ok(())
    }
}

impl Platform {
    /// One read-only directory holding the function's layers, merged in order
    /// (a later layer overrides an earlier one's files), built once per layer
    /// list. Concurrent builds each merge into a staging dir of their own
    /// (`<key>.merging.<random>`, removed on failure); the first rename wins.
    async fn merged_layers(&self, arns: &[String]) -> ApiResult<PathBuf> {
        let mut digests = Vec::with_capacity(arns.len());
        for arn in arns {
            let layer = crate::http::routes::layer_for_arn(self, arn).await?;
            digests.push(str_of(&layer, "_codeDigest").to_string());
        }
        let key = Engine::digest(digests.join(",").as_bytes());
        let merged = self.data_dir.join("layers").join(&key);
        if merged.is_dir() {
            return Ok(merged);
        }
        let failed = |e: std::io::Error| ApiError::internal("merging layers", e);
        let staging = merged.with_extension(format!(
            "{MERGING_SUFFIX}.{}",
            uuid::Uuid::new_v4().simple()
        ));
        let built = (|| {
            std::fs::create_dir_all(&staging)?;
            for digest in &digests {
                let (_, dir) = self.code_paths(digest);
                link_tree(&dir, &staging)?;
            }
            std::fs::rename(&staging, &merged)
        })();
        match built {
            Ok(()) => Ok(merged),
            Err(e) => {
                remove_dir_logged(&staging);
                if merged.is_dir() {
                    Ok(merged) // a concurrent build won the rename
                } else {
                    Err(failed(e))
                }
            }
        }
    }

    /// Compiles (at deploy time) the function's Wasm, so invocations never compile.
    pub async fn precompile(&self, service: &Value, function: &Value) -> ApiResult<()> {
        self.engine_function(service, function, "LATEST")
            .await
            .map(|_| ())
    }

    /// The engine function for a stored service + function, deployed once per
    /// (version, code, config) and cached.
    pub async fn engine_function(
        &self,
        service: &Value,
        function: &Value,
        version: &str,
    ) -> ApiResult<Function> {
        let stamp = format!(
            "{}/{}/{}/{}/{}",
            str_of(service, "serviceName"),
            version,
            str_of(function, "functionName"),
            str_of(function, "_etag"),
            str_of(service, "_etag")
        );
        if let Some(found) = self
            .deployed
            .lock()
            .ok()
            .and_then(|map| map.get(&stamp).cloned())
        {
            return Ok(found);
        }
        let config = self.function_config(service, function).await?;
        let (wasm_digest, wasm_path) = self.wasm_of(function).await?;
        let cannot_run = |e: DeployError| {
            ApiError::InvalidArgument(format!("the function's code cannot run: {e}"))
        };
        let loaded = match self
            .engine
            .load_compiled(&wasm_digest, INLINE_LOAD_MAX_BYTES, config.clone())
            .map_err(cannot_run)?
        {
            Some(loaded) => loaded,
            // No usable artifact, or a big one: compiling (ms to s) and loading an
            // interpreter (1-15 ms) run off the async workers.
            None => {
                let engine = self.engine.clone();
                tokio::task::spawn_blocking(move || {
                    engine.load(&wasm_digest, || std::fs::read(&wasm_path), config)
                })
                .await
                .map_err(|e| ApiError::internal("loading the function", e))?
                .map_err(cannot_run)?
            }
        };
        if let Ok(mut map) = self.deployed.lock() {
            let prefix = format!(
                "{}/{}/{}/",
                str_of(service, "serviceName"),
                version,
                str_of(function, "functionName")
            );
            map.retain(|key, old| {
                let stale = key.starts_with(&prefix);
                if stale {
                    old.drain_idle();
                }
                !stale
            });
            map.insert(stamp, loaded.clone());
        }
        Ok(loaded)
    }

    /// The Wasm a function runs, as (sha256, path): the handler's module from its
    /// code, or the runtime component of its language.
    async fn wasm_of(&self, function: &Value) -> ApiResult<(String, PathBuf)> {
        match runtimes::classify(str_of(function, "runtime"))? {
            RuntimeKind::Wasm => {
                let (_, code_dir) = self.code_paths(str_of(function, "_codeDigest"));
                let file = runtimes::handler_file(RuntimeKind::Wasm, str_of(function, "handler"))?;
                Ok((
                    str_of(function, "_wasmDigest").to_string(),
                    code_dir.join(file),
                ))
            }
            RuntimeKind::Interpreted(language) => {
                let installed = self.runtimes.get(language).await?;
                Ok((installed.digest, installed.path))
            }
        }
    }

    /// FC settings → engine settings.
    async fn function_config(
        &self,
        service: &Value,
        function: &Value,
    ) -> ApiResult<FunctionConfig> {
        let mut config = FunctionConfig::new(
            str_of(service, "serviceName"),
            str_of(function, "functionName"),
        );
        config.handler = str_of(function, "handler").to_string();
        config.initializer = function["initializer"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        config.timeout = secs(function, "timeout", 3);
        config.initialization_timeout = secs(function, "initializationTimeout", 3);
        config.memory_size_mb = function["memorySize"].as_u64().unwrap_or(128) as u32;
        config.instance_concurrency = function["instanceConcurrency"].as_u64().unwrap_or(1) as u32;
        config.internet_access = service["internetAccess"].as_bool().unwrap_or(true);
        config.max_reuse = self.max_instance_reuse.max(1);
        config.fresh_instance_per_call = self.max_instance_reuse <= 1;
        if let Some(env) = function["environmentVariables"].as_object() {
            config.environment = env
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                .collect();
        }
        let (_, code_dir) = self.code_paths(str_of(function, "_codeDigest"));
        config.preopens.push(Preopen {
            host_path: code_dir,
            guest_path: "/code".into(),
            writable: false,
        });
        let layers: Vec<String> = function["layers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l.as_str().map(str::to_string))
            .collect();
        if !layers.is_empty() {
            let host_path = self.merged_layers(&layers).await?;
            config.preopens.push(Preopen {
                host_path,
                guest_path: "/opt".into(),
                writable: false,
            });
        }
        for mount in service["nasConfig"]["mountPoints"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let server_addr = mount["serverAddr"].as_str().unwrap_or_default();
            // `host:/path` uses the path; a bare absolute path is used as is.
            let host_path = server_addr
                .split_once(":/")
                .map(|(_, p)| format!("/{p}"))
                .unwrap_or_else(|| server_addr.to_string());
            let guest_path = mount["mountDir"].as_str().unwrap_or_default().to_string();
            if !Path::new(&host_path).is_dir() {
                return Err(ApiError::InvalidArgument(format!(
                    "NAS mount {server_addr:?} → {guest_path}: {host_path} is not a directory on this host"
                )));
            }
            config.preopens.push(Preopen {
                host_path: PathBuf::from(host_path),
                guest_path,
                writable: true,
            });
        }
        Ok(config)
    }

    /// The stored row, or FC's NotFound error for `resource`.
    pub async fn existing(&self, kind: Kind, scope: &str, name: &str) -> ApiResult<Value> {
        self.store
            .get(kind, scope, name)
            .await
            .map_err(store_error(kind, name))?
            .ok_or_else(|| ApiError::not_found(kind, name))
    }

    /// Resolves `service[.qualifier]` + function to what runs: from memory while
    /// the store is unchanged ([`crate::control::resolve_cache`]), else from the store.
    /// An alias's weights are rolled on every call, cached or not.
    pub async fn resolve(
        &self,
        service: &str,
        qualifier: Option<&str>,
        function: &str,
    ) -> ApiResult<Arc<Resolved>> {
        // Before any read: see resolve_cache's note on races.
        let generation = self.store.generation();
        let qualifier = qualifier.unwrap_or("LATEST");
        let version_id = if qualifier == "LATEST" {
            String::new()
        } else if qualifier.parse::<u64>().is_ok() {
            qualifier.to_string()
        } else {
            let alias = match self.cached_row(Kind::Alias, service, qualifier).await? {
                Some(alias) => alias,
                None => {
                    // A missing service is ServiceNotFound, not AliasNotFound.
                    self.existing(Kind::Service, "", service).await?;
                    return Err(ApiError::not_found(Kind::Alias, qualifier));
                }
            };
            pick_version(&alias)
        };
        let parts = [service, qualifier, version_id.as_str(), function];
        if let Some(hit) = self.resolve_cache.resolved(generation, &parts) {
            return Ok(hit);
        }
        let resolved = Arc::new(
            self.resolve_from_store(service, qualifier, version_id.clone(), function)
                .await?,
        );
        self.resolve_cache
            .keep_resolved(generation, &parts, resolved.clone());
        Ok(resolved)
    }

    /// A row, from memory while the store is unchanged.
    pub async fn cached_row(
        &self,
        kind: Kind,
        scope: &str,
        name: &str,
    ) -> ApiResult<Option<Arc<Value>>> {
        let generation = self.store.generation();
        if let Some(hit) = self.resolve_cache.row(generation, kind, scope, name) {
            return Ok(hit);
        }
        let row = self
            .store
            .get(kind, scope, name)
            .await
            .map_err(store_error(kind, name))?
            .map(Arc::new);
        self.resolve_cache
            .keep_row(generation, kind, scope, name, row.clone());
        Ok(row)
    }

    /// [`Platform::resolve`]'s reads.
    async fn resolve_from_store(
        &self,
        service: &str,
        qualifier: &str,
        version_id: String,
        function: &str,
    ) -> ApiResult<Resolved> {
        let svc = self.existing(Kind::Service, "", service).await?;
        let (service_row, function_row) = if version_id.is_empty() {
            let func = self.existing(Kind::Function, service, function).await?;
            (svc, func)
        } else {
            let version = self
                .store
                .get(Kind::Version, service, &version_key(&version_id))
                .await
                .map_err(store_error(Kind::Version, &version_id))?
                .ok_or_else(|| ApiError::not_found(Kind::Version, &version_id))?;
            let func = version["_functions"]
                .as_array()
                .and_then(|fns| fns.iter().find(|f| f["functionName"] == function))
                .cloned()
                .ok_or_else(|| ApiError::not_found(Kind::Function, function))?;
            (version["_service"].clone(), func)
        };
        let interpreted_http = self
            .is_interpreted_http_function(service, &function_row)
            .await?;
        Ok(Resolved {
            service: service_row,
            function: function_row,
            qualifier: qualifier.to_string(),
            version_id,
            interpreted_http,
        })
    }

    /// Whether a Python or Node.js function is an HTTP function: it has an HTTP
    /// trigger, so its handler is WSGI / `(req, resp, context)`, and an event is
    /// delivered to it as `POST /invoke` (see `Function::invoke_as_http_request`),
    /// as it is to every wasi:http component. Wasm functions need no lookup: their
    /// ABI says what they are.
    async fn is_interpreted_http_function(
        &self,
        service: &str,
        function: &Value,
    ) -> ApiResult<bool> {
        if !matches!(
            runtimes::classify(str_of(function, "runtime"))?,
            RuntimeKind::Interpreted(_)
        ) {
            return Ok(false);
        }
        let triggers =
            crate::triggers::of_function(self, service, str_of(function, "functionName")).await?;
        Ok(triggers.iter().any(|t| t["triggerType"] == "http"))
    }

    /// Counts a failed store operation in `/metrics` and logs it.
    pub fn store_failed(&self, operation: StoreOperation, error: &dyn std::fmt::Display) {
        self.metrics.prometheus.store_error(operation);
        tracing::error!(operation = operation.as_str(), %error, "store operation failed");
    }

    /// The async queue's depth; `None` (logged and counted) when the store fails.
    pub async fn queue_depth(&self) -> Option<u64> {
        self.store
            .queue_depth()
            .await
            .map_err(|e| self.store_failed(StoreOperation::QueueDepth, &e))
            .ok()
    }

    /// Forgets cached engine functions of a service (after updates and deletes).
    pub fn forget(&self, service: &str, function: Option<&str>) {
        if let Ok(mut map) = self.deployed.lock() {
            map.retain(|key, old| {
                let mut parts = key.splitn(4, '/');
                let (s, _, f) = (parts.next(), parts.next(), parts.next());
                let stale = s == Some(service) && function.is_none_or(|name| f == Some(name));
                if stale {
                    old.drain_idle();
                }
                !stale
            });
        }
    }
}

/// `layers/<key>.merging.<random>`: a layer merge in progress.
const MERGING_SUFFIX: &str = "merging";
/// `code/<digest>.zip.tmp.<random>`: a zip being written.
const ZIP_TEMP_SUFFIX: &str = ".tmp.";

/// Writes `bytes` to a temp file of its own next to `path`, syncs it and renames
/// it onto `path`, so no reader ever sees a partial file and concurrent writers
/// of the same bytes cannot truncate each other. The temp file is removed on failure.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut name = path.as_os_str().to_owned();
    name.push(format!(
        "{ZIP_TEMP_SUFFIX}{}",
        uuid::Uuid::new_v4().simple()
    ));
    let tmp = PathBuf::from(name);
    let written = (|| {
        let mut file = std::fs::File::create_new(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err()
        && let Err(e) = std::fs::remove_file(&tmp)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("removing {}: {e}", tmp.display());
    }
    written
}

fn remove_dir_logged(dir: &Path) {
    if let Err(e) = std::fs::remove_dir_all(dir)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("removing {}: {e}", dir.display());
    }
}

/// Removes what a crash can leave in `data_dir`: code staging dirs
/// (`code/*.unpacking*`), zip temp files (`code/*.zip.tmp*`) and layer merges
/// (`layers/*.merging*`). Call it at start-up, before the server takes requests
/// (a request in flight owns its staging dir). Returns how many were removed;
/// what cannot be removed is logged and skipped.
pub fn sweep_staging(data_dir: &Path) -> usize {
    let mut removed = 0;
    for sub in ["code", "layers"] {
        let Ok(entries) = std::fs::read_dir(data_dir.join(sub)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !is_leftover(sub, &name.to_string_lossy()) {
                continue;
            }
            let path = entry.path();
            let result = match entry.file_type() {
                Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(&path),
                _ => std::fs::remove_file(&path),
            };
            match result {
                Ok(()) => removed += 1,
                Err(e) => tracing::warn!("removing the leftover {}: {e}", path.display()),
            }
        }
    }
    removed
}

/// Whether `name` under `data_dir/<sub>` is a crash leftover (see [`sweep_staging`]).
fn is_leftover(sub: &str, name: &str) -> bool {
    match sub {
        "code" => {
            name.contains(code::STAGING_SUFFIX)
                || name.contains(&format!(".zip{ZIP_TEMP_SUFFIX}"))
                || name.ends_with(".zip.tmp")
        }
        "layers" => name.contains(&format!(".{MERGING_SUFFIX}")),
        _ => false,
    }
}

/// Hard-links (or copies) every file under `from` into `to`, replacing existing files.
fn link_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            link_tree(&entry.path(), &target)?;
        } else {
            let _ = std::fs::remove_file(&target);
            if std::fs::hard_link(entry.path(), &target).is_err() {
                std::fs::copy(entry.path(), &target)?;
            }
        }
    }
    Ok(())
}

/// Version rows are named by zero-padded id so they sort numerically.
pub fn version_key(version_id: &str) -> String {
    format!("{:0>20}", version_id)
}

/// An alias's version, honouring `additionalVersionWeight` (weights are 0..1).
fn pick_version(alias: &Value) -> String {
    let main = str_of(alias, "versionId").to_string();
    let Some(weights) = alias["additionalVersionWeight"].as_object() else {
        return main;
    };
    let roll: f64 = (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0;
    let mut acc = 0.0;
    for (version, weight) in weights {
        acc += weight.as_f64().unwrap_or(0.0);
        if roll < acc {
            return version.clone();
        }
    }
    main
}

pub fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

fn secs(value: &Value, key: &str, default: u64) -> std::time::Duration {
    std::time::Duration::from_secs(value[key].as_u64().unwrap_or(default))
}
