//! The HTTP trigger's data plane: `/{api}/proxy/{service}[.{qualifier}]/{function}/{path…}`
//! (fc-api.md §3.8).
//!
//! The guest gets the method, the path after the function segment, the query,
//! the headers (minus hop-by-hop ones; `x-fc-*` are replaced by the platform's
//! context), the body (streamed) and the client IP. Its status, headers (minus the
//! ones FC reserves) and body (streamed) go back. A function failure is a 502 with
//! `{"errorMessage","errorType","stackTrace"}`, `X-Fc-Error-Type` and the request
//! id, as FC answers. Cross-origin requests are allowed as on FC ([`super::cors`]).
//! wasm-fc does not force `Content-Disposition: attachment`
//! (FC does that only on its shared `*.aliyuncs.com` domain, never locally).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use axum::Router;
use axum::body::Body;
use axum::extract::connect_info::ConnectInfo;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use http_body_util::Limited;
use serde_json::json;
use wasm_fc_engine::{FunctionError, HttpOutcome, InvokeContext, InvokeError};

use crate::control::auth::{SignedRequest, verify};
use crate::control::credentials::Credentials;
use crate::control::error::{ApiError, ApiResult};
use crate::http::routes::API_PREFIXES;
use crate::http::server::RequestId;
use crate::invoke::{self, MAX_SYNC_PAYLOAD};
use crate::triggers::http_routes::Route;
use crate::triggers::platform::Platform;

/// FC's request limits for HTTP triggers: headers (names + values) and path + query.
pub const MAX_HEADER_BYTES: usize = 8 << 10;
pub const MAX_PATH_BYTES: usize = 4 << 10;

/// Request headers the function never sees (besides `x-fc-*`): hop-by-hop ones.
pub(super) const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHORIZATION,
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Response headers a function may not set (FC's list plus hop-by-hop ones).
const RESERVED_RESPONSE: [HeaderName; 8] = [
    header::CONNECTION,
    header::CONTENT_LENGTH,
    header::DATE,
    HeaderName::from_static("keep-alive"),
    header::SERVER,
    header::UPGRADE,
    header::TRANSFER_ENCODING,
    header::TRAILER,
];

/// Marks a request whose signature was already checked on the URL it came
/// in by (an FC 3.0 trigger URL, rewritten to this proxy's path).
#[derive(Debug, Clone, Copy)]
pub struct SignatureChecked;

/// The `x-fc-base-path` a request rewritten from another URL shape (FC 3.0's
/// trigger URLs) reports to the function: the prefix the client used.
#[derive(Debug, Clone)]
pub struct BasePathOverride(pub String);

pub(crate) struct ProxyState {
    pub platform: Arc<Platform>,
    pub keys: Arc<Credentials>,
}

/// The proxy routes for every API prefix. They check auth themselves (`authType`).
pub fn proxy_router(platform: Arc<Platform>, keys: Arc<Credentials>) -> Router {
    let mut router = Router::new();
    for prefix in API_PREFIXES {
        router = router.route(&format!("{prefix}/proxy/{{*target}}"), any(proxy));
    }
    // FC 3.0's per-trigger URLs (super::fc3::http_trigger).
    router = router.route(
        &format!("{}/proxy/{{*target}}", super::fc3::PREFIX),
        any(super::fc3::http_trigger::proxy),
    );
    router.with_state(Arc::new(ProxyState { platform, keys }))
}

async fn proxy(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    handle_request(&state, request).await
}

/// Serves one HTTP-trigger request on an FC 2.0 proxy path.
pub(crate) async fn handle_request(state: &ProxyState, request: Request) -> Response {
    handle(state, request)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// What the proxy path names: the route, and the path after the function.
pub(super) struct Target {
    pub route: Arc<Route>,
    /// The path after the function segment, percent-encoded as sent, starting with `/`.
    pub path: String,
}

async fn handle(state: &ProxyState, request: Request) -> ApiResult<Response> {
    let p = &state.platform;
    check_limits(&request)?;
    let split = crate::triggers::http_routes::split(request.uri().path())?;
    let target = Target {
        route: p.http_routes.get(p, &split).await?,
        path: format!("/{}", split.tail),
    };
    let config = &target.route.config;
    if let Some(answer) = super::cors::preflight(request.method(), request.headers(), config) {
        return Ok(answer);
    }
    if !config.allows(request.method()) {
        return Err(ApiError::MethodNotAllowed(format!(
            "method {} is not allowed by the HTTP trigger (allowed: {})",
            request.method(),
            config
                .methods
                .iter()
                .map(|m| m.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    // A signed request's Content-MD5 binds its body, as on the API (the body is
    // then buffered, up to the sync payload limit, to be checked).
    let request = if config.anonymous || request.extensions().get::<SignatureChecked>().is_some() {
        request
    } else {
        authenticate(&state.keys, &request)?;
        crate::http::content_md5::check(request, MAX_SYNC_PAYLOAD).await?
    };
    if request
        .headers()
        .get("x-fc-invocation-type")
        .is_some_and(|t| t.as_bytes().eq_ignore_ascii_case(b"async"))
    {
        return Err(ApiError::InvalidArgument(
            "asynchronous HTTP-trigger requests are not supported by wasm-fc; use InvokeFunction with X-Fc-Invocation-Type: Async".into(),
        ));
    }
    let request_id = request_id_of(&request);
    if super::websocket::is_upgrade(&request) {
        return super::websocket::accept(p.clone(), target, request, request_id).await;
    }
    if request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
        .is_some_and(|n| n > MAX_SYNC_PAYLOAD)
    {
        return Err(ApiError::InvalidArgument(format!(
            "the request body is larger than {MAX_SYNC_PAYLOAD} bytes"
        )));
    }
    let client_ip = client_ip(&request);
    let origin = request.headers().get(header::ORIGIN).cloned();
    let mut ctx = context(&target, &request_id, Vec::new());
    if let Some(BasePathOverride(base)) = request.extensions().get::<BasePathOverride>() {
        for (name, value) in &mut ctx.http_headers {
            if name == "x-fc-base-path" {
                value.clone_from(base);
            }
        }
    }
    ctx.request_url = request.uri().to_string();
    let guest_request = to_guest(request, &target.path)?;
    let mut response = match invoke_observed(p, &target, guest_request, &ctx, client_ip).await? {
        Ok(answer) => to_client(answer),
        Err(failure) => failure,
    };
    super::cors::allow_origin(origin.as_ref(), &mut response);
    Ok(response)
}

/// Invokes the function over HTTP and accounts for the invocation when the guest's
/// handler returns (after the response has streamed). `Ok(Err(..))` is FC's 502 for
/// a function that failed before answering.
pub(super) async fn invoke_observed<B>(
    p: &Arc<Platform>,
    target: &Target,
    request: axum::http::Request<B>,
    ctx: &wasm_fc_engine::InvokeContext,
    client_ip: Option<std::net::IpAddr>,
) -> ApiResult<Result<axum::http::Response<wasm_fc_engine::ResponseBody>, Response>>
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    let route = &target.route;
    let function = route.function(p).await?;
    let observe: wasm_fc_engine::FinishHook = {
        let (p, route, request_id) = (p.clone(), route.clone(), ctx.request_id.clone());
        Box::new(move |outcome: &wasm_fc_engine::Outcome| {
            route.observer.finished(&p, &request_id, outcome);
        })
    };
    let HttpOutcome {
        response, finished, ..
    } = match function
        .invoke_http_observed(request, ctx, client_ip, observe)
        .await
    {
        Ok(outcome) => outcome,
        Err(err) => {
            if matches!(err, InvokeError::Throttled { .. }) {
                route.observer.throttled();
            }
            return Err(http_invoke_error(err));
        }
    };
    match response {
        Ok(answer) => Ok(Ok(answer)),
        Err(error) => {
            let outcome = finished.await.ok();
            Ok(Err(function_failure(&error, outcome.as_ref())))
        }
    }
}

/// FC's limits on the request line and headers: 400 InvalidArgument past them.
fn check_limits(request: &Request) -> ApiResult<()> {
    let uri = request.uri();
    let path_len = uri.path().len() + uri.query().map_or(0, |q| q.len() + 1);
    if path_len > MAX_PATH_BYTES {
        return Err(ApiError::InvalidArgument(format!(
            "the path and query are {path_len} bytes; the limit is {MAX_PATH_BYTES}"
        )));
    }
    let header_len: usize = request
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len())
        .sum();
    if header_len > MAX_HEADER_BYTES {
        return Err(ApiError::InvalidArgument(format!(
            "the request headers are {header_len} bytes; the limit is {MAX_HEADER_BYTES}"
        )));
    }
    Ok(())
}

/// `authType: function`: FC's proxy-mode signature or a signed URL. Anything else is 403.
fn authenticate(keys: &Credentials, request: &Request) -> ApiResult<()> {
    verify(
        &SignedRequest::from_http(request),
        |id| keys.secret_for(id),
        SystemTime::now(),
    )
    .map(|_| ())
    .map_err(ApiError::Auth)
}

fn request_id_of(request: &Request) -> String {
    request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

pub(crate) fn client_ip(request: &Request) -> Option<std::net::IpAddr> {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// The FC context, plus the headers the platform adds for HTTP invocations.
pub(super) fn context(
    target: &Target,
    request_id: &str,
    mut extra: Vec<(String, String)>,
) -> InvokeContext {
    let route = &target.route;
    extra.push(("x-fc-base-path".into(), route.base_path.clone()));
    InvokeContext {
        request_id: request_id.to_owned(),
        http_headers: extra,
        ..route.context.clone()
    }
}

/// The request as the guest sees it: the path after the function, no hop-by-hop
/// headers, and a body stream capped at FC's 32 MB.
fn to_guest(request: Request, path: &str) -> ApiResult<axum::http::Request<Limited<Body>>> {
    let (mut parts, body) = request.into_parts();
    let path_and_query = match parts.uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    parts.uri = path_and_query
        .parse()
        .map_err(|e| ApiError::InvalidArgument(format!("bad request path: {e}")))?;
    strip(&mut parts.headers, &HOP_BY_HOP);
    parts.extensions = Default::default();
    Ok(axum::http::Request::from_parts(
        parts,
        Limited::new(body, MAX_SYNC_PAYLOAD),
    ))
}

pub(super) fn strip(headers: &mut HeaderMap, names: &[HeaderName]) {
    for name in names {
        headers.remove(name);
    }
}

/// The guest's answer as the client sees it: reserved headers stripped.
fn to_client(response: axum::http::Response<wasm_fc_engine::ResponseBody>) -> Response {
    let (mut parts, body) = response.into_parts();
    strip(&mut parts.headers, &RESERVED_RESPONSE);
    if parts
        .headers
        .keys()
        .any(|k| k.as_str().starts_with("x-fc-"))
    {
        let reserved: Vec<HeaderName> = parts
            .headers
            .keys()
            .filter(|k| k.as_str().starts_with("x-fc-"))
            .cloned()
            .collect();
        for name in reserved {
            parts.headers.remove(name);
        }
    }
    Response::from_parts(parts, Body::new(body))
}

/// FC's HTTP-trigger answer to a failed function: 502, the error as JSON, no ErrorCode.
pub(super) fn function_failure(
    error: &FunctionError,
    finished: Option<&wasm_fc_engine::Outcome>,
) -> Response {
    let (duration_ms, memory_mb) = finished.map_or((0, 0.0), |o| {
        (
            o.duration.as_millis(),
            o.max_memory_bytes as f64 / f64::from(1 << 20),
        )
    });
    let body = json!({
        "errorMessage": format!(
            "{} (duration: {duration_ms}ms, maxMemoryUsage: {memory_mb:.2}MB)",
            error.message
        ),
        "errorType": error.error_type,
        "stackTrace": invoke::stack_trace(error),
    });
    let mut response = (StatusCode::BAD_GATEWAY, axum::Json(body)).into_response();
    response.headers_mut().insert(
        "x-fc-error-type",
        HeaderValue::from_static(error.kind.header_value()),
    );
    response
}

/// An engine refusal on the HTTP path: a function that cannot serve HTTP is a 502.
pub(super) fn http_invoke_error(err: InvokeError) -> ApiError {
    match err {
        InvokeError::WrongAbi(message) => ApiError::BadGateway(message),
        other => invoke::invoke_error(other),
    }
}
