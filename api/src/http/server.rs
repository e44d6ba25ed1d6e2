//! The HTTP server: the router of FC's API, the HTTP-trigger proxy and the
//! operator endpoints (`/healthz`, `/readyz`, `/metrics`, `/openapi.json`,
//! `/_wasm-fc/stats`), request ids on every response, FC signature checks on
//! every API request, and the listener that serves them with graceful shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::connections::ConnectionLimits;
use crate::control::auth::{SignedRequest, verify_api};
use crate::control::credentials::Credentials;
use crate::control::error::ApiError;
use crate::control::nonces::NonceCache;
use crate::triggers::platform::Platform;

/// The id of the current request (`X-Fc-Request-Id`).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The platform's router, bound to a listener and ready to serve.
pub struct HttpServer {
    listener: tokio::net::TcpListener,
    app: Router,
}

impl std::fmt::Debug for HttpServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServer")
            .field("addr", &self.listener.local_addr().ok())
            .finish_non_exhaustive()
    }
}

impl HttpServer {
    /// Binds `addr` (port 0 picks a free port; see [`HttpServer::addr`]) for
    /// the platform's router, with `keys` checking FC signatures.
    pub async fn bind(
        addr: SocketAddr,
        platform: Arc<Platform>,
        keys: Arc<Credentials>,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        Ok(Self {
            listener,
            app: router(platform, keys)?,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` completes, then drains the requests in flight.
    pub async fn serve(
        self,
        limits: ConnectionLimits,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) {
        super::connections::serve(self.listener, self.app, limits, shutdown).await;
    }
}

/// Every route the platform serves.
fn router(platform: Arc<Platform>, keys: Arc<Credentials>) -> std::io::Result<Router> {
    Ok(Router::new()
        .merge(super::routes::api_router(platform.clone()))
        .merge(super::fc3::router(
            platform.clone(),
            super::routes::api_router(platform.clone()),
        ))
        .route_layer(middleware::from_fn_with_state(
            Authenticator {
                keys: keys.clone(),
                nonces: Arc::new(NonceCache::default()),
            },
            authenticate,
        ))
        .merge(super::console::router(
            platform.clone(),
            keys.clone(),
            super::routes::api_router(platform.clone()),
        )?)
        .merge(super::proxy::proxy_router(platform.clone(), keys))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz).with_state(platform.clone()))
        .route("/metrics", get(metrics).with_state(platform.clone()))
        // The OpenAPI document, unauthenticated like /metrics (super::openapi).
        .route("/openapi.json", get(super::openapi::serve))
        .route("/_wasm-fc/stats", get(stats).with_state(platform.clone()))
        .route("/_wasm-fc/nodes", get(nodes).with_state(platform))
        .layer(middleware::from_fn(super::tea_compat::tea_shape))
        .layer(middleware::from_fn(request_id)))
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

/// `/_wasm-fc/nodes`: the cluster view ([`crate::invoke::nodes`]); FC's 503
/// error shape when the store cannot be reached.
async fn nodes(State(p): State<Arc<Platform>>) -> Response {
    match crate::invoke::nodes::cluster_view(&p).await {
        Ok(view) => axum::Json(view).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// `/readyz`: whether the platform can serve what is deployed. 200
/// `{"ready":true}` once the scheduler and workers run (and a `run -f` manifest
/// is deployed), the store answers, and every runtime a deployed function needs
/// is built; a platform of Wasm functions is ready while the Python and Node.js
/// runtimes still build. Else 503 `{"ready":false,"waiting":[…]}` naming what it
/// waits for (`start-up`, `store` (the cause is logged, not answered),
/// `runtime python`, `runtime nodejs`).
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

/// What [`authenticate`] checks requests with: the key pair, and the nonces
/// the OpenAPI SDKs' signatures used.
#[derive(Clone)]
struct Authenticator {
    keys: Arc<Credentials>,
    nonces: Arc<NonceCache>,
}

/// Verifies the signature on every API request (fc-api.md §2.10, §2.8), and
/// binds the body to it (`Content-MD5`, `x-acs-content-sha256`).
async fn authenticate(
    State(Authenticator { keys, nonces }): State<Authenticator>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with("/_wasm-fc/code/") {
        return next.run(request).await; // authorized by its own signed URL
    }
    if matches!(
        request.uri().path(),
        "/_wasm-fc/oss/notifications" | "/_wasm-fc/alerts/alertmanager"
    ) {
        return next.run(request).await; // authorized by its own bearer token
    }
    let signed = SignedRequest::from_http(&request);
    if let Err(err) = verify_api(
        &signed,
        |id| keys.secret_for(id),
        SystemTime::now(),
        &nonces,
    ) {
        return ApiError::Auth(err).into_response();
    }
    let limit = crate::http::routes::MAX_BODY;
    let checked = match crate::http::content_md5::check(request, limit).await {
        Ok(request) => crate::http::content_md5::check_sha256(request, limit).await,
        Err(err) => Err(err),
    };
    match checked {
        Ok(request) => next.run(request).await,
        Err(err) => err.into_response(),
    }
}
