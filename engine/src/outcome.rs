//! What an invocation produced.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;

use crate::config::caps;
use crate::error::FunctionError;
use crate::host::log::tail;

/// The result of one event invocation (or, through [`HttpOutcome::finished`],
/// the record of one HTTP invocation).
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The function's result bytes, or how it failed.
    pub result: Result<Bytes, FunctionError>,
    /// Everything the guest logged during this invocation (bounded).
    pub log: Bytes,
    /// Wall time from admission to result, including any wait for an instance.
    pub duration: Duration,
    /// Peak linear memory of the instance, in bytes (FC `X-Fc-Max-Memory-Usage`).
    pub max_memory_bytes: u64,
    /// The instance that served the call.
    pub instance_id: String,
    /// Whether a new instance had to be created.
    pub cold_start: bool,
}

impl Outcome {
    /// The last 4 KB of the log: what FC returns as `X-Fc-Log-Result`.
    pub fn log_tail(&self) -> &[u8] {
        tail(&self.log, caps::LOG_TAIL_BYTES)
    }
}

/// An error inside a streamed response body.
#[derive(Debug, thiserror::Error)]
#[error("response body: {0}")]
pub struct BodyError(pub String);

/// A streamed HTTP response body.
pub type ResponseBody = UnsyncBoxBody<Bytes, BodyError>;

/// The result of one HTTP invocation.
#[derive(Debug)]
pub struct HttpOutcome {
    /// The guest's response (its body streams), or how the function failed
    /// before answering.
    pub response: Result<http::Response<ResponseBody>, FunctionError>,
    /// Whether a new instance had to be created.
    pub cold_start: bool,
    /// Resolves when the guest's handler has returned, with its log and timing.
    pub finished: tokio::sync::oneshot::Receiver<Outcome>,
}

/// Called with an HTTP invocation's record when the guest's handler returns
/// (see [`crate::Function::invoke_http_observed`]): accounting without a task
/// of the caller's own waiting on [`HttpOutcome::finished`].
pub type FinishHook = Box<dyn FnOnce(&Outcome) + Send>;
