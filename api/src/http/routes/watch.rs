//! What the web console watches (wasm-fc extensions, signed like every API
//! call; documented in /openapi.json):
//! - `GET /_wasm-fc/metrics/{service}/{function}`: the last hour of a
//!   function, minute by minute ([`crate::invoke::metrics::history`]);
//! - `GET /_wasm-fc/timers`: every timer trigger with its next fire times.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::control::error::ApiResult;
use crate::control::store::Kind;
use crate::http::openapi::common::FunctionPath;
use crate::http::openapi::watch::{MetricsHistory, Timers};
use crate::triggers::platform::Platform;

/// How many next fire times each timer lists.
const NEXT_FIRES: usize = 3;

/// The last hour of a function's invocations on this node.
#[utoipa::path(get, path = "/_wasm-fc/metrics/{serviceName}/{functionName}", operation_id = "GetFunctionMetricsHistory", tag = "wasm-fc",
    params(FunctionPath),
    responses((status = 200, description = "60 one-minute points, oldest first", body = MetricsHistory)))]
pub async fn metrics_history(
    State(p): State<Arc<Platform>>,
    Path((service, function)): Path<(String, String)>,
) -> Response {
    let points = p
        .metrics
        .history
        .points(&service, &function, crate::control::model::now_ms());
    axum::Json(json!({ "bucketSeconds": 60, "points": points })).into_response()
}

/// Every timer trigger, with its next fire times.
#[utoipa::path(get, path = "/_wasm-fc/timers", operation_id = "ListTimers", tag = "wasm-fc",
    responses((status = 200, description = "Every timer trigger, by service, function and name", body = Timers)))]
pub async fn timers(State(p): State<Arc<Platform>>) -> ApiResult<Response> {
    let now = chrono::Utc::now();
    let mut rows = p.store.list_all(Kind::Trigger).await?;
    rows.retain(|row| row["triggerType"] == "timer");
    let text = |row: &Value, key: &str| row[key].as_str().unwrap_or_default().to_string();
    let mut timers: Vec<Value> = rows
        .iter()
        .map(|row| {
            let config = &row["triggerConfig"];
            let next: Vec<String> =
                crate::triggers::timer::next_fires(row, now, NEXT_FIRES)
                    .iter()
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                    .collect();
            json!({
                "serviceName": text(row, "_service"),
                "functionName": text(row, "_function"),
                "triggerName": text(row, "triggerName"),
                "qualifier": row["qualifier"].as_str().filter(|q| !q.is_empty()).unwrap_or("LATEST"),
                "cronExpression": config["cronExpression"].as_str().unwrap_or_default(),
                "enable": config["enable"].as_bool().unwrap_or(true),
                "nextFireTimes": next,
            })
        })
        .collect();
    timers.sort_by_key(|t| {
        (
            text(t, "serviceName"),
            text(t, "functionName"),
            text(t, "triggerName"),
        )
    });
    Ok(axum::Json(json!({ "timers": timers })).into_response())
}
