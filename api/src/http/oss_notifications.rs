//! `POST /_wasm-fc/oss/notifications`: S3-style bucket notifications from
//! MinIO (webhook target) or Ceph RGW (HTTP push endpoint), delivered to the
//! OSS triggers whose `sourceArn` names the bucket
//! ([`crate::triggers::oss::notifications`]).
//!
//! Authenticated by `Authorization: Bearer <token>`, the token being
//! [`Credentials::notification_token`] (`wasm-fc run` prints it). Answers
//! 200 `{"records", "delivered"}` once the events are queued; 403 for a
//! missing or wrong token; 400 for a body that is not the S3 structure; 503
//! when the store cannot take the events (the sender retries).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::control::auth::AuthError;
use crate::control::credentials::Credentials;
use crate::control::error::{ApiError, ApiResult};
use crate::triggers::oss::notifications;
use crate::triggers::platform::Platform;

/// What the handler needs.
#[derive(Debug, Clone)]
pub struct NotificationState {
    pub platform: Arc<Platform>,
    pub keys: Arc<Credentials>,
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn receive(
    State(state): State<NotificationState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Auth(AuthError::Missing))?;
    if !constant_time_eq(
        token.trim().as_bytes(),
        state.keys.notification_token().as_bytes(),
    ) {
        return Err(ApiError::Auth(AuthError::SignatureMismatch));
    }
    let events = notifications::parse(&body, crate::control::model::now_ms())
        .map_err(|e| ApiError::InvalidArgument(e.to_string()))?;
    let delivered = state
        .platform
        .oss_events
        .dispatch(&state.platform, &events)
        .await?;
    Ok(
        axum::Json(serde_json::json!({ "records": events.len(), "delivered": delivered }))
            .into_response(),
    )
}
