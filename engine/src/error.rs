//! The engine's errors. Deploy-time problems are [`DeployError`]; an invocation
//! that could not run at all is an [`InvokeError`]. A function that ran and failed
//! is not an error here: it is an [`Outcome`](crate::Outcome) with a [`FunctionError`].

/// Why a function could not be deployed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeployError {
    /// The bytes are not WebAssembly (no `\0asm` header).
    #[error("code is not WebAssembly: expected the \\0asm magic header, found {found}")]
    NotWasm { found: String },
    /// Wasm that wasmtime refuses (malformed, or a feature we do not enable).
    #[error("invalid WebAssembly: {0}")]
    InvalidWasm(String),
    /// Valid Wasm that fits none of the three guest ABIs.
    #[error("unsupported guest ABI: {0}")]
    UnsupportedAbi(String),
    /// A configured value is out of range (e.g. memorySize above the platform max).
    #[error("invalid function config: {0}")]
    InvalidConfig(String),
    /// A preopen directory does not exist or cannot be opened.
    #[error("cannot mount {host} at {guest}: {reason}")]
    Preopen {
        host: String,
        guest: String,
        reason: String,
    },
    /// Reading or writing the artifact store failed.
    #[error("artifact store: {0}")]
    Artifact(#[from] std::io::Error),
    /// The engine could not be created (pool sizing, address space).
    #[error("engine setup: {0}")]
    Engine(String),
    /// The binary declares more than a [`CompileLimits`](crate::CompileLimits)
    /// field allows, so it is refused before compiling: e.g. "the module declares
    /// 200000 functions; the limit is 100000 (max_functions)".
    #[error("the {binary} declares {found} {what}; the limit is {limit} ({name})")]
    LimitExceeded {
        /// `module` or `component`.
        binary: &'static str,
        /// What was counted, e.g. `functions`.
        what: &'static str,
        found: u64,
        limit: u64,
        /// The `CompileLimits` field that sets the limit, e.g. `max_functions`.
        name: &'static str,
    },
}

impl DeployError {
    /// A copy of this error for every caller that waited on one shared compile
    /// (an `io::Error` is not `Clone`: its kind and message are kept).
    pub(crate) fn duplicate(&self) -> Self {
        match self {
            Self::NotWasm { found } => Self::NotWasm {
                found: found.clone(),
            },
            Self::InvalidWasm(s) => Self::InvalidWasm(s.clone()),
            Self::UnsupportedAbi(s) => Self::UnsupportedAbi(s.clone()),
            Self::InvalidConfig(s) => Self::InvalidConfig(s.clone()),
            Self::Preopen {
                host,
                guest,
                reason,
            } => Self::Preopen {
                host: host.clone(),
                guest: guest.clone(),
                reason: reason.clone(),
            },
            Self::Artifact(e) => Self::Artifact(std::io::Error::new(e.kind(), e.to_string())),
            Self::Engine(s) => Self::Engine(s.clone()),
            Self::LimitExceeded {
                binary,
                what,
                found,
                limit,
                name,
            } => Self::LimitExceeded {
                binary,
                what,
                found: *found,
                limit: *limit,
                name,
            },
        }
    }
}

/// Why an invocation did not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InvokeError {
    /// No instance slot became free within the acquire timeout (FC 429 `ResourceThrottled`).
    #[error("function {function} is throttled: {reason}")]
    Throttled { function: String, reason: String },
    /// The function's ABI cannot take this kind of invocation (e.g. HTTP on an event world).
    #[error("{0}")]
    WrongAbi(String),
    /// A platform-side failure, not the guest's fault.
    #[error("internal error: {0}")]
    Internal(String),
}

/// FC's two function error kinds (the `X-Fc-Error-Type` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The handler returned an error (`HandledInvocationError`).
    Handled,
    /// A trap, timeout, out-of-memory or crash (`UnhandledInvocationError`).
    Unhandled,
}

impl ErrorKind {
    /// The `X-Fc-Error-Type` header value.
    pub fn header_value(self) -> &'static str {
        match self {
            Self::Handled => "HandledInvocationError",
            Self::Unhandled => "UnhandledInvocationError",
        }
    }
}

/// A function that ran and failed: FC's `{errorMessage, errorType, stackTrace}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    pub kind: ErrorKind,
    /// FC `errorType`, e.g. `Error`, `TimeoutError`, `OutOfMemoryError`, `Trap`.
    pub error_type: String,
    /// FC `errorMessage`.
    pub message: String,
    /// FC `stackTrace`, innermost first.
    pub stack_trace: Vec<StackFrame>,
}

/// One `stackTrace` entry. FC's shape depends on the runtime: Node.js and Wasm
/// frames are strings, Python frames are `[file, line, function, source]` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StackFrame {
    Text(String),
    Parts(Vec<String>),
}

impl FunctionError {
    pub(crate) fn unhandled(error_type: &str, message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Unhandled,
            error_type: error_type.to_string(),
            message: message.into(),
            stack_trace: Vec::new(),
        }
    }
}
