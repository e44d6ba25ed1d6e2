//! Internal calls from the FC 3.0 routes to the FC 2.0 handlers they are
//! built on: one request through the (already authenticated) FC 2.0 router,
//! and the JSON rewriting of what comes back.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use tower::ServiceExt as _;

use crate::control::error::{ApiError, ApiResult};
use crate::http::server::RequestId;

/// JSON bodies read back from an internal call are at most this big (a
/// function's code is never read back this way; its download is a URL).
const MAX_JSON: usize = 16 << 20;

/// The FC 2.0 router the FC 3.0 routes call into (no auth: the FC 3.0 request
/// was checked before it got here).
#[derive(Clone)]
pub struct Fc2 {
    router: Router,
}

impl std::fmt::Debug for Fc2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fc2").finish_non_exhaustive()
    }
}

/// What an internal call answered.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    /// The body as JSON (`Null` when it is empty or not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The answer as it came (status, headers, body).
    pub fn into_response(self) -> Response {
        let mut response = (self.status, self.body).into_response();
        *response.headers_mut() = self.headers;
        response
    }

    /// The answer with its JSON body replaced by `value` (status and other headers kept).
    pub fn with_json(self, value: &Value) -> Response {
        let mut headers = self.headers;
        headers.remove(header::CONTENT_LENGTH);
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        let mut response =
            (self.status, serde_json::to_vec(value).unwrap_or_default()).into_response();
        *response.headers_mut() = headers;
        response
    }

    /// An FC 2.0 error renamed for FC 3.0: a missing service or function of a
    /// 3.0 name is `FunctionNotFound` naming that name.
    pub fn fc3_error(self, fc3_name: &str) -> Response {
        let mut value = self.json();
        if self.status == StatusCode::NOT_FOUND
            && matches!(
                value["ErrorCode"].as_str(),
                Some("ServiceNotFound" | "FunctionNotFound")
            )
        {
            value["ErrorCode"] = Value::from("FunctionNotFound");
            value["ErrorMessage"] = Value::from(format!("function '{fc3_name}' does not exist"));
        }
        if self.status == StatusCode::CONFLICT && value["ErrorCode"] == "ServiceAlreadyExists" {
            value["ErrorCode"] = Value::from("FunctionAlreadyExists");
            value["ErrorMessage"] = Value::from(format!("function '{fc3_name}' already exists"));
        }
        if value.is_null() {
            return self.into_response();
        }
        self.with_json(&value)
    }
}

impl Fc2 {
    pub fn new(router: Router) -> Self {
        Self { router }
    }

    /// Calls `method path?query` on the FC 2.0 routes (`path` after
    /// `/2016-08-15`, segments already percent-encoded), with the request id
    /// and the given headers (`Authorization` is not passed on).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: Option<&str>,
        headers: &HeaderMap,
        body: Bytes,
        request_id: &str,
    ) -> ApiResult<Answer> {
        let uri = match query.filter(|q| !q.is_empty()) {
            Some(q) => format!("/2016-08-15{path}?{q}"),
            None => format!("/2016-08-15{path}"),
        };
        let mut builder = axum::http::Request::builder().method(method).uri(&uri);
        for (name, value) in headers {
            if name != header::AUTHORIZATION
                && name != header::CONTENT_LENGTH
                && name != header::HOST
            {
                builder = builder.header(name, value);
            }
        }
        if let Some(host) = headers.get(header::HOST) {
            builder = builder.header(header::HOST, host);
        }
        let mut request = builder
            .body(Body::from(body))
            .map_err(|e| ApiError::InvalidArgument(format!("bad request path {uri:?}: {e}")))?;
        request
            .extensions_mut()
            .insert(RequestId(request_id.to_string()));
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|never| match never {});
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, MAX_JSON.max(crate::invoke::MAX_SYNC_PAYLOAD * 2))
            .await
            .map_err(|e| ApiError::internal("reading an internal answer", e))?;
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// Passes an FC 3.0 call on to FC 2.0's `path` as it came: its method,
    /// query, headers and body.
    pub async fn relay(&self, call: &super::Call, path: &str) -> ApiResult<Answer> {
        self.call(
            call.method.clone(),
            path,
            call.query.as_deref(),
            &call.headers,
            call.body.clone(),
            &call.request_id,
        )
        .await
    }

    /// [`Fc2::call`] with a JSON body and no extra headers.
    pub async fn json(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        request_id: &str,
    ) -> ApiResult<Answer> {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/json"),
        );
        let bytes = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
        self.call(method, path, None, &headers, bytes, request_id)
            .await
    }
}

pub use crate::control::fc3_names::segment as seg;
