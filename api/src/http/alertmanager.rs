//! `POST /_wasm-fc/alerts/alertmanager`: Prometheus Alertmanager's webhook
//! receiver. Each alert becomes FC's CloudMonitor event and runs the
//! `eventbridge` triggers (`eventSourceType: Default`) whose pattern matches
//! it ([`crate::triggers::eventbridge::alerts`]).
//!
//! Authenticated like the bucket notifications, by `Authorization: Bearer
//! <token>` (Alertmanager's `http_config.authorization.credentials`), the
//! token being `Credentials::notification_token` (`wasm-fc run --format json`
//! prints it). Answers 200 `{"alerts", "delivered"}` once the invocations are
//! queued; 403 for a missing or wrong token; 400 for a body that is not
//! Alertmanager's; 503 when the store cannot take them (Alertmanager retries).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::control::error::{ApiError, ApiResult};
use crate::http::openapi::common::ErrorBody;
use crate::triggers::eventbridge::alerts;
use crate::triggers::platform::Platform;

/// Prometheus Alertmanager webhook notifications, as CloudMonitor events (a wasm-fc extension).
#[utoipa::path(post, path = "/_wasm-fc/alerts/alertmanager", operation_id = "ReceiveAlertmanagerAlerts", tag = "wasm-fc",
    request_body(content = serde_json::Value, description = "Alertmanager's webhook JSON (version 4): {\"status\", \"alerts\": [...], ...}"),
    security(("NotificationToken" = [])),
    responses(
        (status = 200, description = "Queued: {\"alerts\", \"delivered\"}", body = serde_json::Value),
        (status = 400, description = "Not Alertmanager's webhook JSON", body = ErrorBody),
        (status = 403, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "The events cannot be queued now; retry", body = ErrorBody),
    ))]
pub async fn receive(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    crate::http::oss_notifications::check_bearer(&platform, &headers)?;
    let notification =
        alerts::parse(&body).map_err(|e| ApiError::InvalidArgument(e.to_string()))?;
    let delivered = alerts::dispatch(&platform, &notification).await?;
    Ok(axum::Json(serde_json::json!({
        "alerts": notification.alerts.len(),
        "delivered": delivered,
    }))
    .into_response())
}
