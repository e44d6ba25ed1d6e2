//! InvokeFunction: `POST /services/{svc[.qualifier]}/functions/{fn}/invocations`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::qualified;
use crate::control::error::{ApiError, ApiResult};
use crate::control::store::QueuedInvocation;
use crate::http::openapi::common::{ErrorBody, FunctionPath, QualifierParam};
use crate::http::openapi::invoke::{FunctionError, InvokeHeaders};
use crate::http::server::RequestId;
use crate::invoke::{MAX_ASYNC_PAYLOAD, MAX_SYNC_PAYLOAD, error_body, log_result, run};
use crate::triggers::platform::Platform;

fn header_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// InvokeFunction: runs the function on the body (sync), or queues it (async).
#[utoipa::path(post, path = "/services/{serviceName}/functions/{functionName}/invocations", operation_id = "InvokeFunction", tag = "invocation",
    params(FunctionPath, QualifierParam, InvokeHeaders),
    request_body(content = String, content_type = "application/octet-stream", description = "The event, passed to the function as is (any content type; at most 32 MB sync, 128 KB async)"),
    responses(
        (status = 200, description = "Sync: what the function returned. When the function failed, `X-Fc-Error-Type` names how and the body is FC's error JSON.",
            content(
                (String = "application/octet-stream"),
                (FunctionError = "application/json"),
            ),
            headers(
                ("X-Fc-Error-Type" = String, description = "`UnhandledInvocationError` or `HandledInvocationError`, only when the function failed"),
                ("X-Fc-Log-Result" = String, description = "With `X-Fc-Log-Type: Tail`: the last 4 KB of the log, base64"),
                ("X-Fc-Invocation-Duration" = String, description = "Milliseconds"),
                ("X-Fc-Max-Memory-Usage" = String, description = "MB"),
                ("X-Fc-Code-Checksum" = String),
                ("X-Fc-Invocation-Service-Version" = String, description = "`LATEST` or the version id"),
            )),
        (status = 202, description = "Async: accepted and queued (empty body)"),
        (status = 404, description = "ServiceNotFound or FunctionNotFound; with a qualifier also VersionNotFound, AliasNotFound", body = ErrorBody),
        (status = 429, description = "ResourceThrottled: the function's instances are all busy", body = ErrorBody),
    ))]
pub async fn invoke(
    State(p): State<Arc<Platform>>,
    Extension(RequestId(request_id)): Extension<RequestId>,
    Path((svc, func)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let (service, qualifier) = qualified(&svc, &params)?;
    let is_async = match header_value(&headers, "x-fc-invocation-type").unwrap_or("Sync") {
        t if t.eq_ignore_ascii_case("sync") => false,
        t if t.eq_ignore_ascii_case("async") => true,
        other => {
            return Err(ApiError::InvalidArgument(format!(
                "InvocationType is set to an invalid value (allowed: Sync | Async, actual: '{other}')"
            )));
        }
    };
    let tail = match header_value(&headers, "x-fc-log-type").unwrap_or("None") {
        "None" => false,
        "Tail" if !is_async => true,
        other if is_async => {
            return Err(ApiError::InvalidArgument(format!(
                "LogType is set to an invalid value (allowed: None, actual: '{other}')"
            )));
        }
        other => {
            return Err(ApiError::InvalidArgument(format!(
                "LogType is set to an invalid value (allowed: Tail | None, actual: '{other}')"
            )));
        }
    };
    let resolved = p.resolve(service, qualifier, &func).await?;
    if is_async {
        if body.len() > MAX_ASYNC_PAYLOAD {
            return Err(ApiError::EntityTooLarge(MAX_ASYNC_PAYLOAD));
        }
        let now = crate::invoke::queue::now_ms();
        let queued = QueuedInvocation {
            id: 0,
            request_id,
            service: service.to_string(),
            qualifier: resolved.qualifier.clone(),
            function: func,
            payload: body.to_vec(),
            attempts: 0,
            not_before_ms: now,
            enqueued_ms: now,
            origin: None,
        };
        crate::invoke::queue::submit(&p, vec![queued]).await?;
        return Ok(StatusCode::ACCEPTED.into_response());
    }
    if body.len() > MAX_SYNC_PAYLOAD {
        return Err(ApiError::EntityTooLarge(MAX_SYNC_PAYLOAD));
    }
    let outcome = run(
        &p,
        &resolved,
        crate::invoke::observe::SYNC_INVOKE,
        body,
        &request_id,
        0,
        None,
    )
    .await?;
    let mut response = match &outcome.result {
        Ok(result) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            result.clone(),
        )
            .into_response(),
        Err(error) => {
            let mut r = axum::Json(error_body(error)).into_response();
            r.headers_mut().insert(
                "x-fc-error-type",
                HeaderValue::from_static(error.kind.header_value()),
            );
            r
        }
    };
    let h = response.headers_mut();
    let version = if resolved.version_id.is_empty() {
        "LATEST".to_string()
    } else {
        resolved.version_id.clone()
    };
    let pairs = [
        (
            "x-fc-invocation-duration",
            outcome.duration.as_millis().to_string(),
        ),
        (
            "x-fc-max-memory-usage",
            format!("{:.2}", outcome.max_memory_bytes as f64 / (1 << 20) as f64),
        ),
        (
            "x-fc-code-checksum",
            resolved.function.code_checksum.clone(),
        ),
        ("x-fc-invocation-service-version", version),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            h.insert(name, value);
        }
    }
    if tail && let Ok(value) = HeaderValue::from_str(&log_result(&request_id, &outcome)) {
        h.insert("x-fc-log-result", value);
    }
    Ok(response)
}
