//! `POST /_wasm-fc/oss/notifications`: S3-style bucket notifications from
//! MinIO (webhook target) or Ceph RGW (HTTP push endpoint), delivered to the
//! OSS triggers whose `sourceArn` names the bucket
//! ([`crate::triggers::oss::notifications`]).
//!
//! Authenticated by `Authorization: Bearer <token>` (not FC's signature: the
//! senders cannot sign), the token being
//! [`crate::control::credentials::Credentials::notification_token`]
//! (`wasm-fc run --format json` prints it). Answers
//! 200 `{"records", "delivered"}` once the events are queued; 403 for a
//! missing or wrong token; 400 for a body that is not the S3 structure; 503
//! when the store cannot take the events (the sender retries).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::control::auth::AuthError;
use crate::control::error::{ApiError, ApiResult};
use crate::http::openapi::common::ErrorBody;
use crate::triggers::oss::notifications;
use crate::triggers::platform::Platform;

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// S3 bucket notifications from MinIO or Ceph RGW, as OSS events (a wasm-fc extension).
#[utoipa::path(post, path = "/_wasm-fc/oss/notifications", operation_id = "ReceiveBucketNotifications", tag = "wasm-fc",
    request_body(content = serde_json::Value, description = "S3 event notification structure: {\"Records\": [...]}"),
    security(("NotificationToken" = [])),
    responses(
        (status = 200, description = "Queued: {\"records\", \"delivered\"}", body = serde_json::Value),
        (status = 400, description = "Not the S3 notification structure", body = ErrorBody),
        (status = 403, description = "Missing or wrong bearer token", body = ErrorBody),
        (status = 503, description = "The events cannot be queued now; retry", body = ErrorBody),
    ))]
pub async fn receive(
    State(platform): State<Arc<Platform>>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    check_bearer(&platform, &headers)?;
    let events = notifications::parse(&body, crate::control::model::now_ms())
        .map_err(|e| ApiError::InvalidArgument(e.to_string()))?;
    let delivered = platform.oss_events.dispatch(&platform, &events).await?;
    Ok(
        axum::Json(serde_json::json!({ "records": events.len(), "delivered": delivered }))
            .into_response(),
    )
}

/// Checks `Authorization: Bearer <token>` against the platform's
/// notification token (bucket notifications and Alertmanager's webhook).
pub fn check_bearer(platform: &Platform, headers: &HeaderMap) -> ApiResult<()> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Auth(AuthError::Missing))?;
    let expected = platform
        .notification_token
        .get()
        .ok_or(ApiError::Auth(AuthError::Missing))?;
    if !constant_time_eq(token.trim().as_bytes(), expected.as_bytes()) {
        return Err(ApiError::Auth(AuthError::SignatureMismatch));
    }
    Ok(())
}
