//! `GET /_wasm-fc/logs/{service}/{function}`: the function logs the server keeps
//! (a wasm-fc extension; FC itself ships logs to SLS). Signed like every API call.
//! Query: `requestId`, `since` (Unix ms, exclusive), `limit` (default and cap 1000).
//!
//! Each node keeps the logs of the invocations it ran, in its data dir. On a
//! store several nodes share, the node asked gathers the other live nodes'
//! records too ([`crate::http::peer_logs`]), so `wasm-fc logs` and its tail
//! serve from any node.

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
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
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
    let limit = log_query.limit;
    let local = p.clone();
    let mut records =
        tokio::task::spawn_blocking(move || local.logs.read(&service, &function, &log_query))
            .await
            .map_err(|e| ApiError::internal("reading logs", e))?;
    if p.store.is_shared() && !crate::http::peer_logs::asked_by_a_peer(&headers) {
        let peers = crate::http::peer_logs::gather(&p, &uri, &headers).await?;
        records = crate::http::peer_logs::merge(records, peers, limit);
    }
    Ok(axum::Json(serde_json::json!({ "records": records })).into_response())
}
