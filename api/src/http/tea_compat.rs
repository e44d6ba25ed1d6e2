//! What the Alibaba Cloud OpenAPI ("Tea") SDKs read on the `/2021-04-06` and
//! `/2023-03-30` paths, applied to the responses of the shared handlers:
//!
//! - errors also carry `Code`, `Message` and `RequestId`, the keys
//!   `alibabacloud_tea_openapi` parses, so an exception names the real code and
//!   message rather than `None` (`ErrorCode`/`ErrorMessage` stay);
//! - an operation wasm-fc does not serve is a 501 `NotImplemented` naming it
//!   (from the SDK's `x-acs-action` header), not a 400 about the path (a
//!   request that names no operation keeps FC's 400 `PathNotSupported`);
//! - `triggerConfig` goes back as a JSON string, as those APIs' models expect
//!   (the 2016-08-15 paths keep the object).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::server::RequestId;

/// The API versions whose clients are Tea SDKs.
pub const TEA_PREFIXES: [&str; 2] = ["/2021-04-06/", "/2023-03-30/"];

/// Responses larger than this are passed on untouched (no resource listing comes close).
const MAX_REWRITTEN_BODY: usize = 16 << 20;

/// The middleware: rewrites responses on [`TEA_PREFIXES`] as described above.
pub async fn tea_shape(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if !TEA_PREFIXES.iter().any(|p| path.starts_with(p))
        || crate::control::auth::is_proxy_path(&path)
    {
        return next.run(request).await;
    }
    let action = request
        .headers()
        .get("x-acs-action")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let method = request.method().to_string();
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|r| r.0.clone())
        .unwrap_or_default();
    let response = next.run(request).await;
    let is_error = response.status().is_client_error() || response.status().is_server_error();
    let names_triggers = path.contains("/triggers");
    // An invocation's own answer (even a function's failure, a 200) is the
    // function's: only the platform's errors are reshaped.
    let invocation = path.ends_with("/invocations");
    if !(is_error || (names_triggers && !invocation)) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REWRITTEN_BODY).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "response too large to rewrite",
        )
            .into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if is_error {
        // Only an SDK names the operation it meant; without one, FC's 400 stays.
        if value["ErrorCode"] == "PathNotSupported"
            && let Some(operation) = action
        {
            parts.status = StatusCode::NOT_IMPLEMENTED;
            value["ErrorCode"] = Value::from("NotImplemented");
            value["ErrorMessage"] = Value::from(format!(
                "wasm-fc does not implement {operation} ({method} {path}); see docs/fc3.md for the operations it serves"
            ));
        }
        add_tea_error_keys(&mut value, &request_id);
    } else {
        stringify_trigger_configs(&mut value);
    }
    let body = serde_json::to_vec(&value).unwrap_or_default();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    parts.headers.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, Body::from(body))
}

/// Adds `Code`, `Message` and `RequestId` beside `ErrorCode`/`ErrorMessage`.
pub fn add_tea_error_keys(value: &mut Value, request_id: &str) {
    let Some(map) = value.as_object_mut() else {
        return;
    };
    if let Some(code) = map.get("ErrorCode").cloned() {
        map.insert("Code".into(), code);
    }
    if let Some(message) = map.get("ErrorMessage").cloned() {
        map.insert("Message".into(), message);
    }
    map.insert("RequestId".into(), Value::from(request_id));
}

/// `triggerConfig` as a JSON string in a trigger or a `{"triggers": [...]}` page.
pub fn stringify_trigger_configs(value: &mut Value) {
    let stringify = |trigger: &mut Value| {
        if let Some(config) = trigger.get_mut("triggerConfig")
            && !config.is_string()
            && !config.is_null()
        {
            *config = Value::String(config.to_string());
        }
    };
    if let Some(list) = value.get_mut("triggers").and_then(Value::as_array_mut) {
        list.iter_mut().for_each(stringify);
    } else {
        stringify(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_gain_the_keys_the_tea_sdks_read() {
        let mut v = serde_json::json!({"ErrorCode": "ServiceNotFound", "ErrorMessage": "service 'x' does not exist"});
        add_tea_error_keys(&mut v, "req-1");
        assert_eq!(v["Code"], "ServiceNotFound");
        assert_eq!(v["Message"], "service 'x' does not exist");
        assert_eq!(v["RequestId"], "req-1");
        assert_eq!(v["ErrorCode"], "ServiceNotFound");
    }

    #[test]
    fn trigger_configs_become_strings_in_pages_and_objects() {
        let mut one = serde_json::json!({"triggerName": "t", "triggerConfig": {"cronExpression": "@every 1m"}});
        stringify_trigger_configs(&mut one);
        assert_eq!(one["triggerConfig"], r#"{"cronExpression":"@every 1m"}"#);
        let mut page = serde_json::json!({"triggers": [{"triggerConfig": {"a": 1}}]});
        stringify_trigger_configs(&mut page);
        assert_eq!(page["triggers"][0]["triggerConfig"], r#"{"a":1}"#);
    }
}
