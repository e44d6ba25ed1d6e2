//! `GET /_wasm-fc/logs/{service}/{function}`: the function logs the server keeps
//! (a wasm-fc extension; FC itself ships logs to SLS). Signed like every API call.
//! Query: `requestId`, `since` (Unix ms, exclusive), `limit` (default and cap 1000).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

use crate::control::error::{ApiError, ApiResult};
use crate::http::openapi::common::FunctionPath;
use crate::http::openapi::invoke::{LogParams, LogRecords};
use crate::invoke::function_logs::LogQuery;
use crate::triggers::platform::Platform;

/// The function logs the server keeps (a wasm-fc extension).
#[utoipa::path(get, path = "/_wasm-fc/logs/{serviceName}/{functionName}", operation_id = "GetFunctionLogs", tag = "wasm-fc",
    params(FunctionPath, LogParams),
    responses((status = 200, description = "The records, oldest first", body = LogRecords)))]
pub async fn read(
    State(p): State<Arc<Platform>>,
    Path((service, function)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
) -> ApiResult<Response> {
    let number = |name: &str| -> ApiResult<Option<i64>> {
        query
            .get(name)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    ApiError::InvalidArgument(format!("{name} must be an integer, got '{v}'"))
                })
            })
            .transpose()
    };
    let log_query = LogQuery {
        request_id: query.get("requestId").cloned(),
        since_ms: number("since")?,
        limit: number("limit")?.map(|n| n.clamp(0, i64::MAX) as usize),
    };
    let records = tokio::task::spawn_blocking(move || p.logs.read(&service, &function, &log_query))
        .await
        .map_err(|e| ApiError::internal("reading logs", e))?;
    Ok(axum::Json(serde_json::json!({ "records": records })).into_response())
}
