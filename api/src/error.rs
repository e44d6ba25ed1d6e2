//! Every API failure, mapped in one place to FC's wire shape:
//! `{"ErrorCode","ErrorMessage","RequestId"}` with FC's HTTP status.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::auth::AuthError;

/// An FC API error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    #[error("{0}")]
    InvalidArgument(String),
    #[error("payload size exceeds maximum allowed size ({0} bytes)")]
    EntityTooLarge(usize),
    #[error("{0}")]
    Auth(#[from] AuthError),
    #[error("{kind} '{name}' does not exist")]
    NotFound { kind: Resource, name: String },
    #[error("{kind} '{name}' already exists")]
    AlreadyExists { kind: Resource, name: String },
    #[error("{0}")]
    Conflict(String),
    #[error("the etag '{0}' does not match the resource's current etag")]
    PreconditionFailed(String),
    #[error("{0}")]
    Throttled(String),
    /// An HTTP trigger does not allow the request's method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// The function cannot answer an HTTP trigger (e.g. it is an event handler).
    #[error("{0}")]
    BadGateway(String),
    #[error("{0}")]
    Internal(String),
}

/// The kinds of resource an error can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Service,
    Function,
    Trigger,
    Version,
    Alias,
    AsyncConfig,
    Layer,
    Route,
}

impl std::fmt::Display for Resource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Service => "service",
            Self::Function => "function",
            Self::Trigger => "trigger",
            Self::Version => "version",
            Self::Alias => "alias",
            Self::AsyncConfig => "async invoke config",
            Self::Layer => "layer version",
            Self::Route => "path",
        })
    }
}

impl ApiError {
    /// FC's HTTP status and `ErrorCode`.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidArgument(_) => (StatusCode::BAD_REQUEST, "InvalidArgument"),
            Self::EntityTooLarge(_) => (StatusCode::BAD_REQUEST, "EntityTooLarge"),
            Self::Auth(AuthError::Malformed(_)) | Self::Auth(AuthError::Missing) => {
                (StatusCode::FORBIDDEN, self.auth_code())
            }
            Self::Auth(_) => (StatusCode::FORBIDDEN, self.auth_code()),
            Self::NotFound { kind, .. } => (
                StatusCode::NOT_FOUND,
                match kind {
                    Resource::Service => "ServiceNotFound",
                    Resource::Function => "FunctionNotFound",
                    Resource::Trigger => "TriggerNotFound",
                    Resource::Version => "VersionNotFound",
                    Resource::Alias => "AliasNotFound",
                    Resource::AsyncConfig => "AsyncConfigNotExists",
                    Resource::Layer => "LayerNotFound",
                    Resource::Route => "PathNotSupported",
                },
            ),
            Self::AlreadyExists { kind, .. } => (
                StatusCode::CONFLICT,
                match kind {
                    Resource::Service => "ServiceAlreadyExists",
                    Resource::Function => "FunctionAlreadyExists",
                    Resource::Trigger => "TriggerAlreadyExists",
                    Resource::Alias => "AliasAlreadyExists",
                    Resource::Version
                    | Resource::AsyncConfig
                    | Resource::Layer
                    | Resource::Route => "ResourceAlreadyExists",
                },
            ),
            Self::Conflict(_) => (StatusCode::CONFLICT, "ResourceConflict"),
            Self::PreconditionFailed(_) => (StatusCode::PRECONDITION_FAILED, "PreconditionFailed"),
            Self::Throttled(_) => (StatusCode::TOO_MANY_REQUESTS, "ResourceThrottled"),
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
            Self::BadGateway(_) => (StatusCode::BAD_GATEWAY, "FunctionNotHttpHandler"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        }
    }

    fn auth_code(&self) -> &'static str {
        match self {
            Self::Auth(err) => err.code(),
            _ => "AccessDenied",
        }
    }

    pub fn not_found(kind: Resource, name: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            name: name.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let body = serde_json::json!({ "ErrorCode": code, "ErrorMessage": self.to_string() });
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
