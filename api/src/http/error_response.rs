//! The one mapping from [`ApiError`] to FC's wire shape: the status, and
//! `{"ErrorCode","ErrorMessage"}` as JSON (the request-id middleware adds the
//! `x-fc-request-id` header). A server error's full cause chain goes to the log,
//! with the request id, and never to the client.

use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};

use crate::control::error::ApiError;

/// A server error's cause chain, carried on the response from here to the
/// request-id middleware, which logs it with the request's id.
#[derive(Debug, Clone)]
pub struct FailureChain(pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = serde_json::json!({ "ErrorCode": code, "ErrorMessage": self.client_message() });
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if status.is_server_error() {
            response.extensions_mut().insert(FailureChain(self.chain()));
        }
        response
    }
}

/// Logs the cause chain a server error carries, with its request id.
pub fn log_failure(response: &Response, request_id: &str) {
    if let Some(FailureChain(chain)) = response.extensions().get::<FailureChain>() {
        tracing::error!(request_id, status = response.status().as_u16(), error = %chain, "request failed");
    }
}
