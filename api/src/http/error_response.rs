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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_failure_tells_the_client_what_failed_and_keeps_the_cause_for_the_log() {
        let cause = std::io::Error::other("disk /var/secret/wasm-fc.db is read-only");
        let response = ApiError::internal("using the store", cause).into_response();
        assert_eq!(
            response.status(),
            axum::http::StatusCode::INTERNAL_SERVER_ERROR
        );
        let chain = response
            .extensions()
            .get::<FailureChain>()
            .map(|c| c.0.clone())
            .unwrap_or_default();
        assert!(chain.contains("/var/secret/wasm-fc.db"), "{chain}");
        let body = futures_body(response);
        assert_eq!(body["ErrorCode"], "InternalServerError");
        assert_eq!(body["ErrorMessage"], "internal error while using the store");
    }

    #[test]
    fn a_client_error_carries_no_chain() {
        let response = ApiError::InvalidArgument("timeout 0".into()).into_response();
        assert!(response.extensions().get::<FailureChain>().is_none());
        assert_eq!(futures_body(response)["ErrorMessage"], "timeout 0");
    }

    /// The JSON body of a response built in memory.
    fn futures_body(response: Response) -> serde_json::Value {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime");
        let bytes = runtime
            .block_on(axum::body::to_bytes(response.into_body(), 1 << 20))
            .expect("the body");
        serde_json::from_slice(&bytes).expect("JSON")
    }
}
