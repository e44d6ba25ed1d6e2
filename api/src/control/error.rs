//! Every API failure, as FC names it: `ErrorCode` and HTTP status in one place
//! ([`ApiError::status_and_code`]). The web layer turns it into FC's wire shape
//! (`{"ErrorCode","ErrorMessage","RequestId"}`); this module knows no web framework.

use http::StatusCode;

use crate::control::auth::AuthError;
pub use crate::control::store::Kind;
use crate::control::store::StoreError;

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
    NotFound { kind: Kind, name: String },
    #[error("{kind} '{name}' already exists")]
    AlreadyExists { kind: Kind, name: String },
    #[error("{0}")]
    Conflict(String),
    /// No logstore `{project}/{logstore}` (Log Service's `LogStoreNotExist`).
    #[error("logstore {0} does not exist")]
    LogstoreNotFound(String),
    /// A logstore `{project}/{logstore}` exists (`LogStoreAlreadyExist`).
    #[error("logstore {0} already exists")]
    LogstoreAlreadyExists(String),
    #[error("the etag '{0}' does not match the resource's current etag")]
    PreconditionFailed(String),
    #[error("{0}")]
    Throttled(String),
    /// An HTTP trigger does not allow the request's method.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// No FC route takes this method on this path (FC: 400 `PathNotSupported`).
    #[error("'{method}' against '{path}' is not supported")]
    PathNotSupported { method: String, path: String },
    /// An FC operation or option wasm-fc does not implement (501 `NotImplemented`).
    #[error("{0}")]
    NotImplemented(String),
    /// The function cannot answer an HTTP trigger (e.g. it is an event handler).
    #[error("{0}")]
    BadGateway(String),
    /// The store cannot be reached (PostgreSQL down or restarting): FC's 503
    /// `ServiceUnavailable`, which the SDKs retry. Nothing was changed.
    #[error("the service is temporarily unavailable: its store cannot be reached; retry")]
    Unavailable(#[source] StoreError),
    /// The platform failed while doing `context`. The cause is logged with the
    /// request id; the client is told only `context` ([`ApiError::client_message`]).
    #[error("internal error while {context}")]
    Internal {
        context: &'static str,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// The store's NotFound and AlreadyExists as FC's errors for `kind` and `name`;
/// any other store failure is the platform's own (500).
pub fn store_error(kind: Kind, name: &str) -> impl Fn(StoreError) -> ApiError + '_ {
    move |e| match e {
        StoreError::AlreadyExists => ApiError::AlreadyExists {
            kind,
            name: name.to_string(),
        },
        StoreError::NotFound => ApiError::not_found(kind, name),
        other => ApiError::from(other),
    }
}

/// A store failure reaching the API is the platform's (FC's 500); the store's
/// own NotFound and AlreadyExists are mapped by kind where they can happen
/// ([`crate::control::error::store_error`]).
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable { .. } => Self::Unavailable(e),
            other => Self::internal("using the store", other),
        }
    }
}

impl ApiError {
    /// FC's HTTP status and `ErrorCode`.
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::InvalidArgument(_) => (StatusCode::BAD_REQUEST, "InvalidArgument"),
            Self::EntityTooLarge(_) => (StatusCode::BAD_REQUEST, "EntityTooLarge"),
            // The request is malformed (400); the other auth failures deny access (403).
            Self::Auth(AuthError::Malformed(_) | AuthError::MissingDate) => {
                (StatusCode::BAD_REQUEST, self.auth_code())
            }
            Self::Auth(_) => (StatusCode::FORBIDDEN, self.auth_code()),
            Self::PathNotSupported { .. } => (StatusCode::BAD_REQUEST, "PathNotSupported"),
            Self::NotFound { kind, .. } => (
                StatusCode::NOT_FOUND,
                match kind {
                    Kind::Service => "ServiceNotFound",
                    Kind::Function => "FunctionNotFound",
                    Kind::Trigger => "TriggerNotFound",
                    Kind::Version => "VersionNotFound",
                    Kind::Alias => "AliasNotFound",
                    Kind::AsyncConfig => "AsyncConfigNotExists",
                    Kind::Layer => "LayerNotFound",
                },
            ),
            Self::AlreadyExists { kind, .. } => (
                StatusCode::CONFLICT,
                match kind {
                    Kind::Service => "ServiceAlreadyExists",
                    Kind::Function => "FunctionAlreadyExists",
                    Kind::Trigger => "TriggerAlreadyExists",
                    Kind::Alias => "AliasAlreadyExists",
                    Kind::Version | Kind::AsyncConfig | Kind::Layer => "ResourceAlreadyExists",
                },
            ),
            Self::Conflict(_) => (StatusCode::CONFLICT, "ResourceConflict"),
            Self::LogstoreNotFound(_) => (StatusCode::NOT_FOUND, "LogStoreNotExist"),
            Self::LogstoreAlreadyExists(_) => (StatusCode::CONFLICT, "LogStoreAlreadyExist"),
            Self::PreconditionFailed(_) => (StatusCode::PRECONDITION_FAILED, "PreconditionFailed"),
            Self::Throttled(_) => (StatusCode::TOO_MANY_REQUESTS, "ResourceThrottled"),
            Self::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "MethodNotAllowed"),
            Self::BadGateway(_) => (StatusCode::BAD_GATEWAY, "FunctionNotHttpHandler"),
            Self::NotImplemented(_) => (StatusCode::NOT_IMPLEMENTED, "NotImplemented"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable"),
            Self::Internal { .. } => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
        }
    }

    fn auth_code(&self) -> &'static str {
        match self {
            Self::Auth(err) => err.code(),
            _ => "AccessDenied",
        }
    }

    pub fn not_found(kind: Kind, name: impl Into<String>) -> Self {
        Self::NotFound {
            kind,
            name: name.into(),
        }
    }

    /// The platform failed while doing `context` because of `source`.
    pub fn internal(
        context: &'static str,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Internal {
            context,
            source: Some(source.into()),
        }
    }

    /// A rule the platform keeps was broken (a stored row of the wrong shape).
    pub fn invariant(context: &'static str) -> Self {
        Self::Internal {
            context,
            source: None,
        }
    }

    /// What the client is told: the whole message, except for the platform's
    /// own failures, whose cause stays in the log.
    pub fn client_message(&self) -> String {
        self.to_string()
    }

    /// The error and every cause under it, for the log: `a: b: c`.
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(e) = cause {
            text.push_str(": ");
            text.push_str(&e.to_string());
            cause = e.source();
        }
        text
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    //! Every error's status and code, as a table checked against FC's documented
    //! pairs (fc-api.md §4.1): a code never travels with another status.
    use super::*;

    /// FC's documented (status, code) pairs, plus the ones wasm-fc chose where
    /// FC's are [UNSURE] (each named in fc-api.md §4.1's table or its notes).
    const FC_PAIRS: &[(u16, &str)] = &[
        (400, "InvalidArgument"),
        (400, "MissingRequiredHeader"),
        (400, "PathNotSupported"),
        (400, "EntityTooLarge"),
        (403, "AccessDenied"),
        (403, "SignatureNotMatch"),
        (403, "InvalidAccessKeyID"),
        (404, "ServiceNotFound"),
        (404, "FunctionNotFound"),
        (404, "TriggerNotFound"),
        (404, "AliasNotFound"),
        (404, "VersionNotFound"),
        (404, "LayerNotFound"),
        (404, "AsyncConfigNotExists"),
        (409, "ServiceAlreadyExists"),
        (409, "FunctionAlreadyExists"),
        (409, "TriggerAlreadyExists"),
        (409, "AliasAlreadyExists"),
        (409, "ResourceAlreadyExists"),
        (409, "ResourceConflict"),
        (412, "PreconditionFailed"),
        (429, "ResourceThrottled"),
        (405, "MethodNotAllowed"),
        (500, "InternalServerError"),
        (502, "FunctionNotHttpHandler"),
        // Log Service's own codes, for the logstore routes (docs/logstores.md).
        (404, "LogStoreNotExist"),
        (409, "LogStoreAlreadyExist"),
    ];

    fn every_error() -> Vec<(ApiError, u16, &'static str)> {
        use AuthError as A;
        let text = || "x".to_string();
        let mut all = vec![
            (ApiError::InvalidArgument(text()), 400, "InvalidArgument"),
            (ApiError::EntityTooLarge(1), 400, "EntityTooLarge"),
            (ApiError::Auth(A::Missing), 403, "AccessDenied"),
            (ApiError::Auth(A::MissingDate), 400, "MissingRequiredHeader"),
            (
                ApiError::Auth(A::UnknownKey(text())),
                403,
                "InvalidAccessKeyID",
            ),
            (
                ApiError::Auth(A::SignatureMismatch),
                403,
                "SignatureNotMatch",
            ),
            (ApiError::Auth(A::Skewed(text())), 403, "AccessDenied"),
            (ApiError::Auth(A::Expired(text())), 403, "AccessDenied"),
            (ApiError::Auth(A::Malformed(text())), 400, "InvalidArgument"),
            (ApiError::Conflict(text()), 409, "ResourceConflict"),
            (
                ApiError::PreconditionFailed(text()),
                412,
                "PreconditionFailed",
            ),
            (ApiError::Throttled(text()), 429, "ResourceThrottled"),
            (ApiError::MethodNotAllowed(text()), 405, "MethodNotAllowed"),
            (
                ApiError::PathNotSupported {
                    method: "GET".into(),
                    path: "/x".into(),
                },
                400,
                "PathNotSupported",
            ),
            (ApiError::BadGateway(text()), 502, "FunctionNotHttpHandler"),
            (ApiError::invariant("x"), 500, "InternalServerError"),
            (ApiError::LogstoreNotFound(text()), 404, "LogStoreNotExist"),
            (
                ApiError::LogstoreAlreadyExists(text()),
                409,
                "LogStoreAlreadyExist",
            ),
        ];
        for (kind, missing, exists) in [
            (Kind::Service, "ServiceNotFound", "ServiceAlreadyExists"),
            (Kind::Function, "FunctionNotFound", "FunctionAlreadyExists"),
            (Kind::Trigger, "TriggerNotFound", "TriggerAlreadyExists"),
            (Kind::Version, "VersionNotFound", "ResourceAlreadyExists"),
            (Kind::Alias, "AliasNotFound", "AliasAlreadyExists"),
            (
                Kind::AsyncConfig,
                "AsyncConfigNotExists",
                "ResourceAlreadyExists",
            ),
            (Kind::Layer, "LayerNotFound", "ResourceAlreadyExists"),
        ] {
            all.push((ApiError::not_found(kind, "n"), 404, missing));
            all.push((
                ApiError::AlreadyExists {
                    kind,
                    name: "n".into(),
                },
                409,
                exists,
            ));
        }
        all
    }

    #[test]
    fn every_error_has_its_fc_status_and_code() {
        for (error, status, code) in every_error() {
            let (got_status, got_code) = error.status_and_code();
            assert_eq!((got_status.as_u16(), got_code), (status, code), "{error:?}");
            assert!(
                FC_PAIRS.contains(&(status, code)),
                "{status} {code} is not a documented pair"
            );
        }
    }

    #[test]
    fn a_code_never_travels_with_two_statuses() {
        for (_, status, code) in every_error() {
            for (_, other_status, other_code) in every_error() {
                if code == other_code {
                    assert_eq!(status, other_status, "{code}");
                }
            }
        }
    }
}
