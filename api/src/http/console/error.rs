//! The console's own errors, answered in FC's shape (`{"ErrorCode","ErrorMessage"}`).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::control::console_sessions::SessionError;

/// Why a console request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// No session, or one that authorizes nothing: 401 `SessionRequired`.
    #[error(transparent)]
    Session(SessionError),
    /// A wrong key pair at sign-in: 403 `InvalidAccessKey`.
    #[error("the access key id or secret is not valid")]
    WrongKey,
    /// A write without the session's CSRF token: 403 `InvalidCsrfToken`.
    #[error("this write needs the session's X-Csrf-Token header")]
    Csrf,
    /// A request another site's page made (`Sec-Fetch-Site`): 403 `AccessDenied`.
    #[error("the console answers only its own pages (Sec-Fetch-Site: {0})")]
    CrossSite(String),
    /// A sign-in body that is not `{"accessKeyId","accessKeySecret"}`: 400.
    #[error("{0}")]
    BadRequest(String),
    /// A path the console does not forward to the API: 404 `PathNotSupported`.
    #[error("the console forwards only /2016-08-15/… and /_wasm-fc/… API paths, not {0}")]
    NotForwarded(String),
    /// An asset that does not exist: 404 `NotFound`.
    #[error("no console asset {0}")]
    NoAsset(String),
}

impl From<SessionError> for ConsoleError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::WrongKey => Self::WrongKey,
            other => Self::Session(other),
        }
    }
}

impl ConsoleError {
    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Session(_) => (StatusCode::UNAUTHORIZED, "SessionRequired"),
            Self::WrongKey => (StatusCode::FORBIDDEN, "InvalidAccessKey"),
            Self::Csrf => (StatusCode::FORBIDDEN, "InvalidCsrfToken"),
            Self::CrossSite(_) => (StatusCode::FORBIDDEN, "AccessDenied"),
            Self::BadRequest(_) => (StatusCode::BAD_REQUEST, "InvalidArgument"),
            Self::NotForwarded(_) => (StatusCode::NOT_FOUND, "PathNotSupported"),
            Self::NoAsset(_) => (StatusCode::NOT_FOUND, "NotFound"),
        }
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let body = serde_json::json!({ "ErrorCode": code, "ErrorMessage": self.to_string() });
        (status, axum::Json(body)).into_response()
    }
}
