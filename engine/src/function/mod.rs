//! [`Function`]: a deployed function version and the invocation paths.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use tokio::sync::OwnedSemaphorePermit;
use wasmtime::Store;
use wasmtime::component::ResourceTable;
use wasmtime_wasi_http::WasiHttpCtx;

use crate::abi::executor::{EventDelivery, HttpDelivery};
use crate::abi::guard::Reported;
use crate::abi::{Abi, Loaded, command, event, guard};
use crate::config::{FunctionConfig, InvokeContext, caps};
use crate::error::{FunctionError, InvokeError};
use crate::host::context::{FcContext, INSTANCE_ID_ENV};
use crate::host::files::ReadableDirs;
use crate::host::limits::MemoryLimiter;
use crate::host::log::LogCapture;
use crate::host::sandbox;
use crate::host::state::{ComponentState, OutboundHttp};
use crate::outcome::Outcome;
use crate::pool::{LiveGuard, Pool, WarmInstance};
use crate::shared::EngineInner;

mod http_invoke;
mod runtime_http;

/// A deployed function version. Cheap to clone; all clones share one pool.
#[derive(Clone)]
pub struct Function {
    inner: Arc<FunctionInner>,
}

struct FunctionInner {
    engine: Arc<EngineInner>,
    loaded: Loaded,
    pool: Arc<Pool>,
    config: FunctionConfig,
    digest: String,
    /// The function's directories for `fc:function/files`, opened once.
    files: Arc<ReadableDirs>,
    /// Its instances' `FC_*` variables but the instance id, built once.
    function_env: Vec<(String, String)>,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("service", &self.inner.config.service)
            .field("function", &self.inner.config.function)
            .field("abi", &self.abi())
            .field("digest", &self.inner.digest)
            .finish()
    }
}

/// Why no instance could be had: the platform said no, or the guest failed to start.
enum Unavailable {
    Platform(InvokeError),
    Guest(FunctionError, Bytes),
}

impl From<InvokeError> for Unavailable {
    fn from(err: InvokeError) -> Self {
        Self::Platform(err)
    }
}

impl Function {
    pub(crate) fn new(
        engine: Arc<EngineInner>,
        loaded: Loaded,
        pool: Arc<Pool>,
        config: FunctionConfig,
        digest: String,
    ) -> Self {
        Self {
            inner: Arc::new(FunctionInner {
                // Only the interpreted runtimes import `fc:function/files`; other
                // functions hold no directory handles.
                files: Arc::new(if loaded.reads_code_files() {
                    ReadableDirs::open(&config.preopens)
                } else {
                    ReadableDirs::default()
                }),
                function_env: FcContext {
                    function: &config,
                    invoke: &InvokeContext::default(),
                    instance_id: "",
                }
                .function_env(),
                engine,
                loaded,
                pool,
                config,
                digest,
            }),
        }
    }

    /// The guest ABI detected at deploy time.
    pub fn abi(&self) -> Abi {
        self.inner.loaded.abi()
    }

    /// The settings this version runs with.
    pub fn config(&self) -> &FunctionConfig {
        &self.inner.config
    }

    /// sha256 (hex) of the code: the artifact key.
    pub fn code_digest(&self) -> &str {
        &self.inner.digest
    }

    /// Live instances of this function (idle or busy).
    pub fn live_instances(&self) -> u64 {
        self.inner.pool.live()
    }

    /// Idle warm instances of this function.
    pub fn idle_instances(&self) -> usize {
        self.inner.pool.idle_count()
    }

    /// Drops all idle instances, e.g. when this version is replaced.
    pub fn drain_idle(&self) {
        self.inner.pool.clear();
    }

    /// Invokes the function with an event (InvokeFunction, timers, other triggers).
    ///
    /// A function error is `Ok` with `outcome.result` set to `Err`; `Err` means
    /// the invocation never ran (throttled, internal error).
    pub async fn invoke(&self, event: Bytes, ctx: &InvokeContext) -> Result<Outcome, InvokeError> {
        let started = Instant::now();
        let permit = self.admit().await?;
        match self.inner.loaded.event_delivery() {
            EventDelivery::FreshProcess => {
                let pre = self.inner.loaded.command().ok_or_else(|| {
                    InvokeError::Internal("a fresh-process ABI without a command".into())
                })?;
                let _live = self.live_slot().await?;
                let instance_id = uuid::Uuid::new_v4().to_string();
                let env = FcContext {
                    function: &self.inner.config,
                    invoke: ctx,
                    instance_id: &instance_id,
                }
                .env();
                let run = command::run(pre, &self.inner.config, &env, event)
                    .await
                    .map_err(|e| InvokeError::Internal(e.to_string()))?;
                self.count(|c| &c.cold_starts);
                drop(permit);
                Ok(Outcome {
                    result: run.result,
                    log: run.log,
                    duration: started.elapsed(),
                    max_memory_bytes: run.peak_memory_bytes as u64,
                    instance_id,
                    cold_start: true,
                })
            }
            EventDelivery::Call => self.invoke_event(event, ctx, started).await,
            EventDelivery::HttpPost => {
                self.invoke_event_over_http(event, ctx, started, permit)
                    .await
            }
        }
    }

    async fn invoke_event(
        &self,
        event: Bytes,
        ctx: &InvokeContext,
        started: Instant,
    ) -> Result<Outcome, InvokeError> {
        let config = &self.inner.config;
        let (mut instance, cold_start) = match self.checkout().await {
            Ok(found) => found,
            Err(Unavailable::Platform(err)) => return Err(err),
            Err(Unavailable::Guest(error, log)) => {
                return Ok(failed_outcome(error, log, started, true));
            }
        };
        let record = event::context_record(&FcContext {
            function: config,
            invoke: ctx,
            instance_id: &instance.id,
        });
        instance
            .store
            .data_mut()
            .hooks
            .set_headers(&ctx.outbound_headers);
        let (result, healthy) = match self.initialize(&mut instance, &record).await {
            Err(failed) => (Err(failed), false),
            Ok(()) => {
                let reply = self
                    .inner
                    .loaded
                    .handle_event(
                        &mut instance.store,
                        &instance.exports,
                        config,
                        &event,
                        &record,
                    )
                    .await;
                settle(reply)
            }
        };
        let result = result.and_then(cap_result).map(Bytes::from);
        let log = instance.store.data().log.take();
        let max_memory_bytes = instance.store.data().limiter.peak_bytes() as u64;
        let instance_id = instance.id.clone();
        self.release(instance, healthy);
        Ok(Outcome {
            result,
            log,
            duration: started.elapsed(),
            max_memory_bytes,
            instance_id,
            cold_start,
        })
    }

    /// Runs the function's initializer on `instance` if it has one and it has
    /// not run there yet. Any failure fails this invocation and retires the
    /// instance, so the next invocation starts clean and initializes again.
    async fn initialize(
        &self,
        instance: &mut WarmInstance,
        record: &event::fc::function::types::Context,
    ) -> Result<(), FunctionError> {
        let config = &self.inner.config;
        if instance.initialized || config.initializer.is_none() {
            return Ok(());
        }
        let reply = self
            .inner
            .loaded
            .initialize(&mut instance.store, &instance.exports, config, record)
            .await;
        reply.and_then(|done| done)?;
        instance.initialized = true;
        Ok(())
    }

    /// Invokes an HTTP function (InvokeFunction, async invocations) the one way
    /// every HTTP ABI shares: the event becomes `POST /invoke` with the event as
    /// its body (FC's custom-runtime convention), and a 2xx answer's body is the
    /// result; any other status is an `UnhandledInvocationError` (`HttpError`)
    /// carrying the status and body. wasi:http components always run this way;
    /// the Python and Node.js runtimes do when the platform says the function is
    /// an HTTP handler (it has an HTTP trigger), so a WSGI or `(req, resp,
    /// context)` handler is never called as `handler(event, context)`. Event
    /// handlers and commands run as events.
    pub async fn invoke_as_http_request(
        &self,
        event: Bytes,
        ctx: &InvokeContext,
    ) -> Result<Outcome, InvokeError> {
        if !matches!(
            self.inner.loaded.http_delivery(),
            HttpDelivery::Streamed | HttpDelivery::Buffered
        ) {
            return self.invoke(event, ctx).await;
        }
        let started = Instant::now();
        let permit = self.admit().await?;
        self.invoke_event_over_http(event, ctx, started, permit)
            .await
    }

    /// [`Self::invoke_as_http_request`] once admitted.
    async fn invoke_event_over_http(
        &self,
        event: Bytes,
        ctx: &InvokeContext,
        started: Instant,
        permit: OwnedSemaphorePermit,
    ) -> Result<Outcome, InvokeError> {
        let request = http::Request::post("/invoke")
            .header(http::header::CONTENT_TYPE, "application/octet-stream")
            .body(Full::new(event))
            .map_err(|e| InvokeError::Internal(e.to_string()))?;
        let outcome = match self.inner.loaded.http_delivery() {
            HttpDelivery::Buffered => {
                self.http_on_runtime(request, ctx, None, permit, started)
                    .await?
            }
            HttpDelivery::Streamed | HttpDelivery::Cgi | HttpDelivery::Refused => {
                self.http_on_component(request, ctx, None, permit, started, &mut None)
                    .await?
            }
        };
        let result = match outcome.response {
            Err(error) => Err(error),
            Ok(response) => {
                let status = response.status();
                let body = Limited::new(response.into_body(), caps::MAX_RESULT_BYTES)
                    .collect()
                    .await;
                match body {
                    Err(e) => Err(FunctionError::unhandled(
                        "ResultTooLarge",
                        format!("reading the result: {e}"),
                    )),
                    Ok(collected) if status.is_success() => Ok(collected.to_bytes()),
                    Ok(collected) => Err(FunctionError::unhandled(
                        "HttpError",
                        format!(
                            "the function answered {status}: {}",
                            String::from_utf8_lossy(&collected.to_bytes())
                        ),
                    )),
                }
            }
        };
        let record = outcome
            .finished
            .await
            .map_err(|_| InvokeError::Internal("the invocation task vanished".into()))?;
        // The response tells what the function answered; the record tells whether
        // the handler then trapped or timed out. The first failure wins.
        let result = match (result, &record.result) {
            (Err(error), _) => Err(error),
            (Ok(_), Err(error)) => Err(error.clone()),
            (Ok(body), Ok(_)) => Ok(body),
        };
        Ok(Outcome {
            result,
            duration: started.elapsed(),
            ..record
        })
    }

    /// Starts instances until `count` are idle and warm (FC's provisioned
    /// instances): each is instantiated and, when the function has one, runs
    /// its initializer, so the next `count` invocations start warm. Returns how
    /// many were started. Fresh-instance functions and commands keep no idle
    /// instances, so for them this does nothing. Holds global live-instance
    /// slots like any instance (and, at the platform's limit, evicts other
    /// functions' idle ones or waits, as an invocation would).
    pub async fn prewarm(&self, count: usize) -> Result<usize, InvokeError> {
        if self.inner.loaded.event_delivery() == EventDelivery::FreshProcess
            || !self.inner.pool.reuses()
        {
            return Ok(0);
        }
        let mut started = 0;
        while self.inner.pool.idle_count() < count {
            let mut instance = match self.new_instance().await {
                Ok(instance) => instance,
                Err(Unavailable::Platform(err)) => return Err(err),
                Err(Unavailable::Guest(error, _)) => {
                    return Err(InvokeError::Internal(format!(
                        "starting an instance of {} failed: {}",
                        self.inner.config.function, error.message
                    )));
                }
            };
            let record = event::context_record(&FcContext {
                function: &self.inner.config,
                invoke: &InvokeContext::default(),
                instance_id: &instance.id,
            });
            if let Err(error) = self.initialize(&mut instance, &record).await {
                return Err(InvokeError::Internal(format!(
                    "the initializer of {} failed: {}",
                    self.inner.config.function, error.message
                )));
            }
            self.inner.pool.put_idle(instance);
            started += 1;
        }
        Ok(started)
    }

    /// Waits (bounded) for one of the function's concurrency permits.
    async fn admit(&self) -> Result<OwnedSemaphorePermit, InvokeError> {
        if self.inner.config.max_instances == 0 {
            return Err(self.throttled(
                "the function admits no calls (its reserved concurrency is 0)".to_string(),
            ));
        }
        let semaphore = self.inner.pool.concurrency.clone();
        if let Ok(permit) = semaphore.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let started = Instant::now();
        let waited = tokio::time::timeout(
            self.inner.engine.config.acquire_timeout,
            semaphore.acquire_owned(),
        )
        .await;
        self.inner
            .engine
            .counters
            .acquire_wait_nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        match waited {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(self.throttled(format!(
                "all {} instances are busy (instanceConcurrency {})",
                self.inner.config.max_instances, self.inner.config.instance_concurrency
            ))),
        }
    }

    /// Takes a global live-instance slot, evicting another function's idle
    /// instance if the platform is full, and waiting (bounded) otherwise.
    async fn live_slot(&self) -> Result<LiveGuard, InvokeError> {
        let engine = &self.inner.engine;
        let semaphore = engine.live_instances.clone();
        let slot = match semaphore.clone().try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) if engine.evict_one_idle() => match semaphore.clone().try_acquire_owned() {
                Ok(slot) => slot,
                Err(_) => self.wait_for_slot(semaphore).await?,
            },
            Err(_) => self.wait_for_slot(semaphore).await?,
        };
        Ok(self.inner.pool.live_guard(slot))
    }

    async fn wait_for_slot(
        &self,
        semaphore: Arc<tokio::sync::Semaphore>,
    ) -> Result<OwnedSemaphorePermit, InvokeError> {
        match tokio::time::timeout(
            self.inner.engine.config.acquire_timeout,
            semaphore.acquire_owned(),
        )
        .await
        {
            Ok(Ok(slot)) => Ok(slot),
            _ => Err(self.throttled(format!(
                "the platform is at its limit of {} live instances",
                self.inner.engine.config.max_live_instances
            ))),
        }
    }

    fn throttled(&self, reason: String) -> InvokeError {
        self.count(|c| &c.throttled);
        InvokeError::Throttled {
            function: self.inner.config.function.clone(),
            reason,
        }
    }

    /// A warm instance if one is idle, else a new one.
    async fn checkout(&self) -> Result<(WarmInstance, bool), Unavailable> {
        if let Some(instance) = self.inner.pool.take_idle() {
            self.count(|c| &c.warm_hits);
            return Ok((instance, false));
        }
        self.count(|c| &c.cold_starts);
        Ok((self.new_instance().await?, true))
    }

    async fn new_instance(&self) -> Result<WarmInstance, Unavailable> {
        let live = self.live_slot().await?;
        let config = &self.inner.config;
        let id = uuid::Uuid::new_v4().to_string();
        let log = LogCapture::default();
        let wasi = sandbox::wasi_builder(config, &log, &self.inner.function_env)
            .map_err(|e| InvokeError::Internal(e.to_string()))?
            .env(INSTANCE_ID_ENV, &id)
            .build();
        let state = ComponentState {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: OutboundHttp {
                allowed: config.internet_access,
                ..OutboundHttp::default()
            },
            limiter: MemoryLimiter::new(config.memory_size_mb),
            log,
            deadline: Instant::now(),
            files: self.inner.files.clone(),
        };
        let mut store = Store::new(&self.inner.engine.wasmtime, state);
        guard::install(&mut store);
        let budget = config.initialization_timeout;
        guard::arm(&mut store, budget);
        let backstop = guard::backstop(budget);
        if self.inner.loaded.event_delivery() == EventDelivery::FreshProcess {
            return Err(InvokeError::Internal("commands have no warm instances".into()).into());
        }
        let outcome =
            tokio::time::timeout(backstop, self.inner.loaded.instantiate(&mut store)).await;
        let exports = guard::finish(
            &mut store,
            outcome,
            "Instance start",
            budget,
            config.memory_size_mb,
        );
        match exports {
            Ok(exports) => {
                let context_headers = if self.inner.loaded.sends_context_headers() {
                    crate::host::context::headers(
                        FcContext {
                            function: config,
                            invoke: &InvokeContext::default(),
                            instance_id: &id,
                        }
                        .function_fields(),
                    )
                    .collect()
                } else {
                    Vec::new()
                };
                Ok(WarmInstance::new(store, exports, id, context_headers, live))
            }
            Err(error) => Err(Unavailable::Guest(error, store.data().log.take())),
        }
    }

    /// Returns a healthy instance to the pool; retires any other.
    fn release(&self, instance: WarmInstance, healthy: bool) {
        if !(healthy && self.inner.pool.give_back(instance)) {
            self.count(|c| &c.retired);
        }
    }

    fn count(&self, counter: impl Fn(&crate::shared::Counters) -> &std::sync::atomic::AtomicU64) {
        counter(&self.inner.engine.counters).fetch_add(1, Ordering::Relaxed);
    }
}

/// A guarded call's result and whether the instance stays warm: the guest's
/// own error leaves it healthy; a trap, timeout or OOM does not.
pub(super) fn settle<T>(reply: Reported<T>) -> (Result<T, FunctionError>, bool) {
    match reply {
        Ok(reply) => (reply, true),
        Err(failed) => (Err(failed), false),
    }
}

fn cap_result(bytes: Vec<u8>) -> Result<Vec<u8>, FunctionError> {
    if bytes.len() > caps::MAX_RESULT_BYTES {
        return Err(FunctionError::unhandled(
            "ResultTooLarge",
            format!(
                "the result is {} bytes; the limit is {} bytes",
                bytes.len(),
                caps::MAX_RESULT_BYTES
            ),
        ));
    }
    Ok(bytes)
}

fn failed_outcome(error: FunctionError, log: Bytes, started: Instant, cold_start: bool) -> Outcome {
    Outcome {
        result: Err(error),
        log,
        duration: started.elapsed(),
        max_memory_bytes: 0,
        instance_id: String::new(),
        cold_start,
    }
}
