//! The HTTP server: request ids on every response, FC signature checks on every
//! API request, `/healthz`, and graceful shutdown that drains in-flight work.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use wasm_fc_engine::{Engine, EngineConfig};

use crate::control::auth::{SignedRequest, verify};
use crate::control::credentials::Credentials;
use crate::control::error::ApiError;
use crate::control::runtimes::Runtimes;
use crate::control::store::sqlite::SqliteStore;
use crate::platform::{Identity, Platform};

/// Everything `wasm-fc run` is configured with.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub identity: Identity,
    /// `None`: load or generate the pair saved in the data dir.
    pub credentials: Option<Credentials>,
    /// Where the Python and Node.js runtimes are built and precompiled (shared
    /// by every data dir); `None` turns them off.
    pub runtimes_dir: Option<PathBuf>,
    /// Invocations one Wasm instance serves before it is retired; 1 gives
    /// every request a fresh instance (strict isolation, as `wasmtime serve`
    /// does for wasip2 by default). Default [`DEFAULT_MAX_INSTANCE_REUSE`].
    pub max_instance_reuse: u64,
}

/// How many invocations a warm instance serves by default: 10,000, which
/// bounds a slow leak in a guest at no measurable cost.
pub const DEFAULT_MAX_INSTANCE_REUSE: u64 = 10_000;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("data dir {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("store: {0}")]
    Store(#[from] crate::control::store::StoreError),
    #[error(transparent)]
    Locked(#[from] crate::control::data_dir_lock::LockError),
    #[error("engine: {0}")]
    Engine(#[from] wasm_fc_engine::DeployError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// The id of the current request (`X-Fc-Request-Id`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// A bound server, ready to serve.
pub struct Bound {
    pub addr: SocketAddr,
    pub credentials: Credentials,
    pub platform: Arc<Platform>,
    /// When set, `/readyz` stays 503 after start until [`Platform::mark_ready`]
    /// (`wasm-fc run -f` deploys its manifest first).
    pub defer_ready: bool,
    /// Timeouts and the connection cap (defaults: [`ConnectionLimits::default`]).
    pub connection_limits: crate::http::connections::ConnectionLimits,
    listener: tokio::net::TcpListener,
    app: Router,
}

impl std::fmt::Debug for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bound")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// Opens the data dir, store and engine, and binds the listener.
pub async fn bind(config: ServerConfig) -> Result<Bound, StartError> {
    let data_dir = &config.data_dir;
    let dir_error = |source| StartError::DataDir {
        path: data_dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(dir_error)?;
    let lock = crate::control::data_dir_lock::DataDirLock::acquire(data_dir)?;
    // Before the first request: what a crash left half-written (code staging
    // dirs, zip temp files, layer merges) is removed.
    let swept = crate::platform::sweep_staging(data_dir);
    if swept > 0 {
        tracing::info!("removed {swept} leftover staging dirs and temp files from the data dir");
    }
    let credentials = match config.credentials.clone() {
        Some(c) => c,
        None => Credentials::load_or_generate(data_dir).map_err(dir_error)?,
    };
    let store = crate::control::store::StoreHandle::new(Arc::new(SqliteStore::open(
        &data_dir.join("wasm-fc.db"),
    )?));
    let url_signer =
        crate::control::url_signing::UrlSigner::load_or_generate(data_dir).map_err(dir_error)?;
    let runtimes = Runtimes::open(config.runtimes_dir.clone());
    let engine = Engine::new(EngineConfig {
        artifact_dir: data_dir.join("artifacts"),
        shared_artifact_dirs: runtimes.artifact_dir().into_iter().collect(),
        ..EngineConfig::default()
    })?;
    let platform = Arc::new(Platform::new(
        store,
        engine,
        data_dir.clone(),
        config.identity.clone(),
        runtimes,
        config.max_instance_reuse,
        url_signer,
        lock,
    ));
    // Under the data dir's lock every other lease holder is a dead process: what
    // it held runs again now rather than when its lease runs out.
    let released = platform
        .store
        .release_dead_leases(platform.node_id.clone(), crate::invoke::queue::now_ms())
        .await?;
    if released > 0 {
        tracing::info!("{released} async invocations held by a previous run are due again");
    }
    let keys = Arc::new(credentials.clone());
    let app = Router::new()
        .merge(crate::http::routes::api_router(platform.clone()))
        .route_layer(middleware::from_fn_with_state(keys.clone(), authenticate))
        .merge(crate::http::proxy::proxy_router(platform.clone(), keys))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz).with_state(platform.clone()))
        .route("/metrics", get(metrics).with_state(platform.clone()))
        // The OpenAPI document, unauthenticated like /metrics (crate::http::openapi).
        .route("/openapi.json", get(crate::http::openapi::serve))
        .route("/_wasm-fc/stats", get(stats).with_state(platform.clone()))
        .layer(middleware::from_fn(request_id));
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;
    let _ = platform.listen_addr.set(addr);
    Ok(Bound {
        addr,
        credentials,
        platform,
        defer_ready: false,
        connection_limits: Default::default(),
        listener,
        app,
    })
}

impl Bound {
    /// Serves until `shutdown` completes, then drains HTTP requests and async work.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let timers = crate::triggers::timer::spawn_scheduler(&self.platform, stop_rx.clone());
        let workers = crate::invoke::queue::spawn_workers(&self.platform, stop_rx);
        if !self.defer_ready {
            self.platform.mark_ready();
        }
        crate::http::connections::serve(self.listener, self.app, self.connection_limits, shutdown)
            .await;
        let _ = stop_tx.send(true);
        if let Some(timers) = timers {
            let _ = timers.await;
        }
        if let Some(workers) = workers {
            let _ = workers.await;
        }
        Ok(())
    }
}

/// Engine counters, for tests and operators (`/metrics` comes with observability).
async fn stats(State(p): State<Arc<Platform>>) -> Response {
    let s = p.engine.stats();
    let t = p.metrics.timers.snapshot();
    axum::Json(serde_json::json!({
        "timerFires": t.fires, "timerLagSamples": t.lag_samples,
        "timerLagP50Ms": t.lag_p50.as_secs_f64() * 1e3, "timerLagP99Ms": t.lag_p99.as_secs_f64() * 1e3,
        "timerLagMaxMs": t.lag_max.as_secs_f64() * 1e3,
        "compiles": s.compiles, "artifactLoads": s.artifact_loads, "coldStarts": s.cold_starts,
        "warmHits": s.warm_hits, "throttled": s.throttled, "liveInstances": s.live_instances,
        "asyncQueueDepth": p.queue_depth().await,
        // Accepted invocations held in memory on their way to a worker (at most
        // queue::HANDOFF_CAPACITY); the rest of a backlog is only in the store.
        "asyncHandoffInMemory": p.handoff.max_capacity() - p.handoff.capacity(),
    }))
    .into_response()
}

/// `/readyz`: whether the platform can serve what is deployed. 200
/// `{"ready":true}` once the scheduler and workers run (and a `run -f` manifest
/// is deployed), the store answers, and every runtime a deployed function needs
/// is built; a platform of Wasm functions is ready while the Python and Node.js
/// runtimes still build. Else 503 `{"ready":false,"waiting":[…]}` naming what it
/// waits for (`start-up`, `store: …`, `runtime python`, `runtime nodejs`).
async fn readyz(State(p): State<Arc<Platform>>) -> Response {
    use axum::http::StatusCode;
    let mut waiting: Vec<String> = Vec::new();
    if !p.is_ready() {
        waiting.push("start-up".into());
    }
    let checked = match p.store.queue_depth().await {
        Ok(_) => crate::control::runtimes::waiting_for(&p.runtimes, &p.store).await,
        Err(e) => Err(e),
    };
    match checked {
        Ok(languages) => {
            waiting.extend(languages.iter().map(|l| format!("runtime {}", l.name())));
        }
        Err(err) => {
            let err = ApiError::from(err);
            tracing::warn!("/readyz: the store does not answer: {}", err.chain());
            waiting.push("store".into());
        }
    }
    if waiting.is_empty() {
        return axum::Json(serde_json::json!({ "ready": true })).into_response();
    }
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({ "ready": false, "waiting": waiting })),
    )
        .into_response()
}

/// `/metrics`: Prometheus text format (see [`crate::invoke::metrics::prometheus`]).
async fn metrics(State(p): State<Arc<Platform>>) -> Response {
    let s = p.engine.stats();
    let readings = crate::invoke::metrics::prometheus::ScrapeReadings {
        busy_instances: s.live_instances.saturating_sub(s.idle_instances),
        idle_instances: s.idle_instances,
        async_queue_depth: p.queue_depth().await,
        compile_times: p.engine.take_compile_times(),
        store_operations: p.store.counts_by_class(),
    };
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        p.metrics.prometheus.render(readings),
    )
        .into_response()
}

/// Gives every request an id and every response the `X-Fc-Request-Id` header.
/// The `request` tracing span carrying the id is a debug-level span: at the
/// default `info` level it is never built, since formatting its fields cost
/// ~3% of a warm HTTP-trigger request (`RUST_LOG=debug` turns it on).
async fn request_id(mut request: Request, next: Next) -> Response {
    use tracing::Instrument as _;
    let mut buffer = uuid::Uuid::encode_buffer();
    let id: &str = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
    let header = HeaderValue::from_str(id).ok();
    let span = tracing::debug_span!(
        "request",
        request_id = %id,
        method = %request.method(),
        path = %request.uri().path(),
    );
    request.extensions_mut().insert(RequestId(id.to_owned()));
    let mut response = if span.is_disabled() {
        next.run(request).await
    } else {
        let response = next.run(request).instrument(span.clone()).await;
        span.in_scope(|| tracing::debug!(status = response.status().as_u16(), "answered"));
        response
    };
    crate::http::error_response::log_failure(&response, id);
    if let Some(value) = header {
        response.headers_mut().insert("x-fc-request-id", value);
    }
    response
}

/// Verifies FC's signature on every API request (fc-api.md §2.10).
async fn authenticate(
    State(keys): State<Arc<Credentials>>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with("/_wasm-fc/code/") {
        return next.run(request).await; // authorized by its own signed URL
    }
    let signed = SignedRequest::from_http(&request);
    if let Err(err) = verify(&signed, |id| keys.secret_for(id), SystemTime::now()) {
        return ApiError::Auth(err).into_response();
    }
    match crate::http::content_md5::check(request, crate::http::routes::MAX_BODY).await {
        Ok(request) => next.run(request).await,
        Err(err) => err.into_response(),
    }
}
