//! Put/Get/DeleteConcurrencyConfig and ListConcurrencyConfigs: a function's
//! `reservedConcurrency`, kept on its stored row (`_reservedConcurrency`) and
//! enforced by the invoker as the function's instance cap
//! (`ceil(reservedConcurrency / instanceConcurrency)`; 0 throttles every call,
//! FC's way to switch a function off).

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::shape::function_arn;
use super::{Call, Fc3, located};
use crate::control::error::{ApiError, ApiResult};
use crate::control::model;
use crate::control::store::Kind;

/// The stored key.
pub const RESERVED_KEY: &str = "_reservedConcurrency";

/// The largest reservedConcurrency accepted (FC's account default).
pub const MAX_RESERVED: i64 = 300;

/// Put, Get or Delete a function's concurrency config.
pub async fn handle(fc3: &Fc3, call: &Call, name: &str) -> ApiResult<Response> {
    let at = located(fc3, name).await?;
    let store = &fc3.platform.store;
    let mut row = store
        .get(Kind::Function, &at.service, &at.function)
        .await
        .map_err(|e| ApiError::internal("reading a function", e))?
        .ok_or_else(|| ApiError::NotFound {
            kind: Kind::Function,
            name: name.to_string(),
        })?;
    let config = |reserved: Option<&Value>| {
        let mut c = json!({ "functionArn": function_arn(fc3, name), "functionName": name });
        if let Some(r) = reserved {
            c["reservedConcurrency"] = r.clone();
        }
        c
    };
    match call.method {
        Method::GET => Ok(axum::Json(config(row.get(RESERVED_KEY))).into_response()),
        Method::PUT => {
            let body: Value = serde_json::from_slice(&call.body).map_err(|e| {
                ApiError::InvalidArgument(format!("the request body is not valid JSON: {e}"))
            })?;
            let reserved = body["reservedConcurrency"].as_i64().ok_or_else(|| {
                ApiError::InvalidArgument("reservedConcurrency is required: an integer".into())
            })?;
            if !(0..=MAX_RESERVED).contains(&reserved) {
                return Err(ApiError::InvalidArgument(format!(
                    "reservedConcurrency {reserved} is out of range 0..={MAX_RESERVED}"
                )));
            }
            row[RESERVED_KEY] = json!(reserved);
            save(fc3, &at.service, &at.function, row).await?;
            Ok(axum::Json(config(Some(&json!(reserved)))).into_response())
        }
        Method::DELETE => {
            if let Some(map) = row.as_object_mut() {
                map.remove(RESERVED_KEY);
            }
            save(fc3, &at.service, &at.function, row).await?;
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(ApiError::PathNotSupported {
            method: call.method.to_string(),
            path: format!("/2023-03-30/functions/{name}/concurrency"),
        }),
    }
}

/// Writes the row with a new etag, so every node's caches drop the old one.
async fn save(fc3: &Fc3, service: &str, function: &str, mut row: Value) -> ApiResult<()> {
    if let Some(map) = row.as_object_mut() {
        map.insert("_etag".into(), Value::String(model::new_etag()));
    }
    fc3.platform
        .store
        .update(Kind::Function, service, function, &row)
        .await
        .map_err(|e| ApiError::internal("saving a concurrency config", e))
}

/// ListConcurrencyConfigs: every function that has one.
pub async fn list(fc3: &Fc3, call: &Call) -> ApiResult<Response> {
    let listed = super::functions::list(fc3, call).await?;
    let bytes = axum::body::to_bytes(listed.into_body(), 16 << 20)
        .await
        .map_err(|e| ApiError::internal("reading the function list", e))?;
    let page: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let mut configs = Vec::new();
    for function in page["functions"].as_array().into_iter().flatten() {
        let name = function["functionName"].as_str().unwrap_or_default();
        let Some(at) = crate::control::fc3_names::place(name) else {
            continue;
        };
        let row = fc3
            .platform
            .store
            .get(Kind::Function, &at.service, &at.function)
            .await
            .map_err(|e| ApiError::internal("reading a function", e))?;
        if let Some(reserved) = row.as_ref().and_then(|r| r.get(RESERVED_KEY)) {
            configs.push(json!({
                "functionArn": function_arn(fc3, name),
                "functionName": name,
                "reservedConcurrency": reserved,
            }));
        }
    }
    let mut out = json!({ "configs": configs });
    if let Some(next) = page.get("nextToken") {
        out["nextToken"] = next.clone();
    }
    Ok(axum::Json(out).into_response())
}
