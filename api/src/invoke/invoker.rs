//! [`Invoker`]: the invoke layer's shared state: the engine and the functions
//! deployed on it, the async queue's handoff and leases, metrics and function
//! logs. It holds the [`ControlPlane`] and derefs to it.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dashmap::DashMap;
use wasm_fc_engine::{
    DeployError, Engine, Function, FunctionConfig, INLINE_LOAD_MAX_BYTES, Preopen,
};

use super::function_logs::FunctionLogs;
use super::metrics::Metrics;
use super::metrics::prometheus::StoreOperation;
use super::queue::{HANDOFF_CAPACITY, Handoff, HeldLeases};
use crate::control::error::{ApiError, ApiResult};
use crate::control::model::str_of;
use crate::control::plane::ControlPlane;
use crate::control::resources::{Function as FcFunction, Service, from_row};
use crate::control::runtimes::{self, RuntimeKind};
use crate::control::store::{Kind, ListQuery};

/// The invoke layer's state.
pub struct Invoker {
    pub control: Arc<ControlPlane>,
    pub engine: Engine,
    /// Wakes the async workers when an invocation is enqueued.
    pub queue_wakeup: tokio::sync::Notify,
    /// Deployed engine functions by (service, version or LATEST, function, code+config stamp).
    deployed: Mutex<HashMap<String, Function>>,
    /// Hands freshly accepted (already leased) invocations to the workers, so a new
    /// invocation costs one store write and no polling.
    /// Bounded ([`HANDOFF_CAPACITY`]): a backlog waits in the store.
    pub handoff: tokio::sync::mpsc::Sender<Handoff>,
    handoff_receiver: Mutex<Option<tokio::sync::mpsc::Receiver<Handoff>>>,
    /// Queued invocations that carry a trigger label, by request id → (scheduled
    /// Unix ms, trigger name): timer fires, for their lag and the metrics' label.
    pub timer_fires_pending: DashMap<String, (i64, String)>,
    pub metrics: Metrics,
    /// Every invocation's guest log, per function (and echoed by `wasm-fc run`).
    pub logs: FunctionLogs,
    /// Invocation logs bound for a `logConfig`'s logstore.
    pub logstore_writer: crate::invoke::logstore_writer::LogstoreWriter,
    /// Invocations an instance serves before it is retired (1: fresh per request).
    max_instance_reuse: u64,
    /// This node's id (random per process start): the owner of its queue leases.
    pub node_id: Arc<str>,
    /// The queue rows this node holds, whose leases it renews.
    pub held: HeldLeases,
    /// `host:port` where the other nodes reach this one (set once bound).
    pub advertise_address: std::sync::OnceLock<String>,
}

impl Deref for Invoker {
    type Target = ControlPlane;

    fn deref(&self) -> &ControlPlane {
        &self.control
    }
}

impl std::fmt::Debug for Invoker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invoker")
            .field("control", &self.control)
            .field("node_id", &self.node_id)
            .finish_non_exhaustive()
    }
}

impl Invoker {
    pub fn new(control: Arc<ControlPlane>, engine: Engine, max_instance_reuse: u64) -> Self {
        let (handoff, handoff_receiver) = tokio::sync::mpsc::channel(HANDOFF_CAPACITY);
        Self {
            logs: FunctionLogs::start(&control.data_dir),
            logstore_writer: Default::default(),
            control,
            engine,
            queue_wakeup: tokio::sync::Notify::new(),
            deployed: Mutex::new(HashMap::new()),
            handoff,
            handoff_receiver: Mutex::new(Some(handoff_receiver)),
            timer_fires_pending: DashMap::new(),
            metrics: Metrics::default(),
            max_instance_reuse,
            node_id: uuid::Uuid::new_v4().to_string().into(),
            held: HeldLeases::default(),
            advertise_address: std::sync::OnceLock::new(),
        }
    }

    /// The workers' end of [`Invoker::handoff`]; `None` once taken.
    pub fn take_handoff(&self) -> Option<tokio::sync::mpsc::Receiver<Handoff>> {
        self.handoff_receiver.lock().ok()?.take()
    }

    /// Compiles (at deploy time) the function's Wasm, so invocations never compile.
    pub async fn precompile(&self, service: &Service, function: &FcFunction) -> ApiResult<()> {
        self.engine_function(service, function, "LATEST")
            .await
            .map(|_| ())
    }

    /// Compiles (or loads from the artifact cache) every stored function's
    /// LATEST code, so a node that starts later, or restarts, compiles on
    /// load rather than on a first invoke; at most once per code digest, as
    /// the engine caches by digest. A function that cannot load is logged and
    /// skipped (its invoke reports why).
    pub async fn precompile_all(&self) {
        let services = match self.store.list_all(Kind::Service).await {
            Ok(rows) => rows,
            Err(error) => {
                tracing::warn!(%error, "cannot list the services to precompile their functions");
                return;
            }
        };
        for service in &services {
            let name = str_of(service, "serviceName");
            let Ok(typed) = from_row::<Service>(service) else {
                continue; // a corrupt row: its calls report it
            };
            let mut query = ListQuery {
                limit: 1000,
                ..ListQuery::default()
            };
            loop {
                let page = match self.store.list(Kind::Function, name, &query).await {
                    Ok(page) => page,
                    Err(error) => {
                        tracing::warn!(%error, service = name, "cannot list functions to precompile");
                        break;
                    }
                };
                for row in &page.items {
                    let loaded = match from_row::<FcFunction>(row) {
                        Ok(function) => self.precompile(&typed, &function).await,
                        Err(e) => Err(e),
                    };
                    if let Err(error) = loaded {
                        tracing::warn!(
                            service = name,
                            function = str_of(row, "functionName"),
                            error = %error.chain(),
                            "cannot precompile a stored function"
                        );
                    }
                }
                match page.next {
                    Some(next) => query.start = Some(next),
                    None => break,
                }
            }
        }
    }

    /// The engine function for a service + function, deployed once per
    /// (version, code, config) and cached.
    pub async fn engine_function(
        &self,
        service: &Service,
        function: &FcFunction,
        version: &str,
    ) -> ApiResult<Function> {
        let stamp = format!(
            "{}/{}/{}/{}/{}",
            service.service_name, version, function.function_name, function.etag, service.etag
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
                service.service_name, version, function.function_name
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
    async fn wasm_of(&self, function: &FcFunction) -> ApiResult<(String, PathBuf)> {
        match runtimes::classify(&function.runtime)? {
            RuntimeKind::Wasm => {
                let (_, code_dir) = self.local_code(&function.code_digest).await?;
                let file = runtimes::handler_file(RuntimeKind::Wasm, &function.handler)?;
                Ok((function.wasm_digest.clone(), code_dir.join(file)))
            }
            RuntimeKind::Interpreted(language) => {
                let installed = self.runtimes.get(language).await?;
                Ok((installed.digest, installed.path))
            }
        }
    }

    /// FC settings → engine settings: every field is set from the typed
    /// resource, whose defaults are FC's (`control::resources::defaults`).
    async fn function_config(
        &self,
        service: &Service,
        function: &FcFunction,
    ) -> ApiResult<FunctionConfig> {
        let mut config = FunctionConfig::new(&service.service_name, &function.function_name);
        config.handler = function.handler.clone();
        config.initializer = function.initializer().map(str::to_string);
        config.timeout = Duration::from_secs(function.timeout);
        config.initialization_timeout = Duration::from_secs(function.initialization_timeout);
        config.memory_size_mb = function.memory_size;
        config.instance_concurrency = function.instance_concurrency;
        // FC 3.0's PutConcurrencyConfig: at most this many requests at once,
        // as an instance cap (0 throttles every call).
        if let Some(reserved) = function
            .extra
            .get("_reservedConcurrency")
            .and_then(serde_json::Value::as_u64)
        {
            let per_instance = u64::from(function.instance_concurrency.max(1));
            config.max_instances =
                u32::try_from(reserved.div_ceil(per_instance)).unwrap_or(u32::MAX);
        }
        config.internet_access = service.internet_access;
        config.max_reuse = self.max_instance_reuse.max(1);
        config.fresh_instance_per_call = self.max_instance_reuse <= 1;
        config.environment = function
            .environment_variables
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let (_, code_dir) = self.local_code(&function.code_digest).await?;
        config.preopens.push(Preopen {
            host_path: code_dir,
            guest_path: "/code".into(),
            writable: false,
        });
        if let Some(layers) = function.layers.as_ref().filter(|l| !l.is_empty()) {
            let host_path = self.merged_layers(layers).await?;
            config.preopens.push(Preopen {
                host_path,
                guest_path: "/opt".into(),
                writable: false,
            });
        }
        for mount in &service.nas_config.mount_points {
            let host_path = mount.host_path();
            if !Path::new(&host_path).is_dir() {
                return Err(ApiError::InvalidArgument(format!(
                    "NAS mount {:?} → {}: {host_path} is not a directory on this host",
                    mount.server_addr, mount.mount_dir
                )));
            }
            config.preopens.push(Preopen {
                host_path: PathBuf::from(host_path),
                guest_path: mount.mount_dir.clone(),
                writable: true,
            });
        }
        Ok(config)
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
