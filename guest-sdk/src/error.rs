//! The error a handler returns: FC's `HandledInvocationError`.

use std::fmt;

/// A handled function error: wasm-fc answers with `X-Fc-Error-Type:
/// HandledInvocationError` and `{"errorMessage","errorType","stackTrace"}`.
///
/// Like `anyhow::Error`, it converts from any `std::error::Error`, so `?` works
/// in handlers; the error type becomes the Rust type name.
pub struct Error {
    /// FC `errorType`, e.g. `Error` or `ValueError`. Defaults to `Error`.
    pub error_type: String,
    /// FC `errorMessage`.
    pub message: String,
    /// FC `stackTrace`, innermost first. Empty by default.
    pub stack_trace: Vec<String>,
}

impl Error {
    /// An error with type `Error` and the given message.
    pub fn msg(message: impl Into<String>) -> Self {
        Self::typed("Error", message)
    }

    /// An error with an explicit FC `errorType`.
    pub fn typed(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error_type: error_type.into(),
            message: message.into(),
            stack_trace: Vec::new(),
        }
    }
}

impl<E: std::error::Error> From<E> for Error {
    fn from(err: E) -> Self {
        let full_name = std::any::type_name::<E>();
        let short_name = full_name.rsplit("::").next().unwrap_or(full_name);
        let mut stack_trace = Vec::new();
        let mut source = err.source();
        while let Some(cause) = source {
            stack_trace.push(format!("caused by: {cause}"));
            source = cause.source();
        }
        Self {
            error_type: short_name.to_string(),
            message: err.to_string(),
            stack_trace,
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type, self.message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}
