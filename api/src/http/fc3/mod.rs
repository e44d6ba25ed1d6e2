//! The FC 3.0 API (2023-03-30) under `/2023-03-30`: functions at the top
//! level, with their triggers, versions, aliases, async invoke configs and
//! concurrency configs, and layers — served by the FC 2.0 handlers through the
//! name mapping of [`crate::control::fc3_names`], so that one platform holds
//! both models (docs/fc3.md).
//!
//! Operations of the FC 3.0 SDK outside this list (custom domains, provision
//! and scaling configs, sessions, snapshots, VPC bindings, tags, instances,
//! async tasks, regions) fall through to a 501 `NotImplemented` naming the
//! operation ([`crate::http::tea_compat`]).

pub mod concurrency;
pub mod forward;
pub mod functions;
pub mod http_trigger;
pub mod shape;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use crate::control::error::{ApiError, ApiResult};
use crate::control::fc3_names::{Fc2Place, place};
use crate::http::server::RequestId;
use crate::triggers::platform::Platform;
use forward::{Fc2, seg};

/// The API prefix.
pub const PREFIX: &str = "/2023-03-30";

/// Request bodies up to 140 MB, as on the FC 2.0 routes (a base64 code zip).
const MAX_BODY: usize = crate::http::routes::MAX_BODY;

/// What the FC 3.0 handlers share.
#[derive(Clone)]
pub struct Fc3 {
    pub platform: Arc<Platform>,
    pub fc2: Fc2,
}

/// One FC 3.0 request, decoded.
#[derive(Debug)]
pub struct Call {
    pub method: Method,
    /// Path segments after `/2023-03-30`, percent-decoded.
    pub segments: Vec<String>,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub request_id: String,
}

impl std::fmt::Debug for Fc3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fc3").finish_non_exhaustive()
    }
}

/// The routes under `/2023-03-30` (the caller adds authentication). `fc2` is
/// the FC 2.0 API router they are built on.
pub fn router(platform: Arc<Platform>, fc2: Router) -> Router {
    let state = Arc::new(Fc3 {
        platform,
        fc2: Fc2::new(fc2),
    });
    Router::new()
        .route(&format!("{PREFIX}/{{*rest}}"), any(entry))
        .with_state(state)
}

async fn entry(State(fc3): State<Arc<Fc3>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(body) => body,
        Err(_) => return ApiError::EntityTooLarge(MAX_BODY).into_response(),
    };
    let rest = parts.uri.path().strip_prefix(PREFIX).unwrap_or_default();
    let segments = rest
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let call = Call {
        method: parts.method.clone(),
        segments,
        query: parts.uri.query().map(str::to_string),
        headers: parts.headers,
        body,
        request_id: parts
            .extensions
            .get::<RequestId>()
            .map(|r| r.0.clone())
            .unwrap_or_default(),
    };
    dispatch(&fc3, &call)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

/// The FC 3.0 operations, by method and path.
async fn dispatch(fc3: &Fc3, call: &Call) -> ApiResult<Response> {
    let segments: Vec<&str> = call.segments.iter().map(String::as_str).collect();
    let m = &call.method;
    match segments.as_slice() {
        ["functions"] if m == Method::POST => functions::create(fc3, call).await,
        ["functions"] if m == Method::GET => functions::list(fc3, call).await,
        ["functions", name] if m == Method::GET => functions::get(fc3, call, name).await,
        ["functions", name] if m == Method::PUT => functions::update(fc3, call, name).await,
        ["functions", name] if m == Method::DELETE => functions::delete(fc3, call, name).await,
        ["functions", name, "code"] if m == Method::GET => {
            let at = located(fc3, name).await?;
            forward(fc3, call, name, &format!("{}/code", at.function_path())).await
        }
        ["functions", name, "invocations"] if m == Method::POST => {
            if call.headers.contains_key("x-fc-async-task-id") {
                return Err(ApiError::NotImplemented(
                    "async tasks (x-fc-async-task-id) are not implemented by wasm-fc: invoke with x-fc-invocation-type: Async and read the result from the function's logs or its destination".into(),
                ));
            }
            let at = located(fc3, name).await?;
            forward(
                fc3,
                call,
                name,
                &format!("{}/invocations", at.function_path()),
            )
            .await
        }
        ["functions", name, "triggers", rest @ ..] => {
            let at = located(fc3, name).await?;
            let path = format!("{}/triggers{}", at.function_path(), tail(rest));
            http_trigger::forward_triggers(fc3, call, name, &path).await
        }
        ["functions", name, "versions", rest @ ..] => {
            let at = located(fc3, name).await?;
            forward(
                fc3,
                call,
                name,
                &format!("{}/versions{}", at.service_path(), tail(rest)),
            )
            .await
        }
        ["functions", name, "aliases", rest @ ..] => {
            let at = located(fc3, name).await?;
            forward(
                fc3,
                call,
                name,
                &format!("{}/aliases{}", at.service_path(), tail(rest)),
            )
            .await
        }
        ["functions", name, "async-invoke-config"] => {
            let at = located(fc3, name).await?;
            let path = format!("{}/async-invoke-config", at.function_path());
            let answer = fc3.fc2.relay(call, &path).await?;
            Ok(shape::async_config_answer(fc3, answer, name))
        }
        ["async-invoke-configs"] if m == Method::GET => shape::list_async_configs(fc3, call).await,
        ["functions", name, "concurrency"] => concurrency::handle(fc3, call, name).await,
        ["concurrency-configs"] if m == Method::GET => concurrency::list(fc3, call).await,
        ["layers", ..] | ["layerarn", ..] => {
            let path: String = call
                .segments
                .iter()
                .map(|s| format!("/{}", seg(s)))
                .collect();
            let answer = fc3.fc2.relay(call, &path).await?;
            if !answer.ok() || answer.body.is_empty() {
                return Ok(answer.into_response());
            }
            let mut value = answer.json();
            shape::layer_version(&mut value);
            Ok(answer.with_json(&value))
        }
        _ => Err(ApiError::PathNotSupported {
            method: m.to_string(),
            path: format!("{PREFIX}/{}", call.segments.join("/")),
        }),
    }
}

/// `/a/b` for the remaining segments (empty for none), each percent-encoded.
fn tail(rest: &[&str]) -> String {
    rest.iter().map(|s| format!("/{}", seg(s))).collect()
}

/// Forwards the call to `path` on FC 2.0 and renames its errors for FC 3.0.
async fn forward(fc3: &Fc3, call: &Call, name: &str, path: &str) -> ApiResult<Response> {
    let answer = fc3.fc2.relay(call, path).await?;
    Ok(if answer.ok() {
        answer.into_response()
    } else {
        answer.fc3_error(name)
    })
}

/// Where the existing FC 3.0 function `name` lives; 404 `FunctionNotFound`
/// when there is none (including an FC 2.0 service of that name, whose
/// functions are `name$f`). `foo$foo` of an FC 3.0 function `foo` is `foo`
/// itself, so deleting it by that name also removes its service.
///
/// Read through the resolve cache, as FC 2.0's invoke is: calling a function
/// again reads nothing from the store.
pub async fn located(fc3: &Fc3, name: &str) -> ApiResult<Fc2Place> {
    let not_found = || ApiError::NotFound {
        kind: crate::control::store::Kind::Function,
        name: name.to_string(),
    };
    let mut at = place(name).ok_or_else(not_found)?;
    let resolved = match fc3.platform.resolve(&at.service, None, &at.function).await {
        Ok(resolved) => resolved,
        Err(ApiError::NotFound { .. }) => return Err(not_found()),
        Err(other) => return Err(other),
    };
    let made_by_fc3 = resolved
        .service
        .extra
        .get(crate::control::fc3_names::FC3_MARK)
        .and_then(serde_json::Value::as_bool)
        == Some(true);
    if made_by_fc3 && at.service == at.function {
        at.migrated = false;
    }
    if !at.migrated && !made_by_fc3 {
        return Err(not_found());
    }
    Ok(at)
}
