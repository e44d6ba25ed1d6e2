//! InvokeFunction (fc-api.md §3.6), GetAccountSettings and the function logs.

use utoipa::{IntoParams, ToSchema};

/// InvokeFunction's headers.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct InvokeHeaders {
    /// `Sync` (default) or `Async` (202, queued durably). Case-insensitive.
    #[param(value_type = String, rename = "x-fc-invocation-type", pattern = "^([Ss]ync|[Aa]sync)$")]
    pub invocation_type: Option<String>,
    /// `None` (default) or `Tail` (the last 4 KB of the log, base64, in
    /// `X-Fc-Log-Result`); async calls take `None` only.
    #[param(value_type = String, rename = "x-fc-log-type", pattern = "^(None|Tail)$")]
    pub log_type: Option<String>,
}

/// The body of a failed invocation (status 200 with `X-Fc-Error-Type`,
/// fc-api.md §4.2): lowerCamel keys.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct FunctionError {
    pub error_message: String,
    pub error_type: Option<String>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub stack_trace: Option<Vec<String>>,
}

/// GetAccountSettings' answer: a local platform has no availability zones.
#[derive(Debug, ToSchema)]
pub struct AccountSettings {
    #[schema(rename = "availableAZs")]
    pub available_azs: Vec<String>,
}

/// One invocation's log (a wasm-fc extension).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct LogRecord {
    /// When the invocation finished, Unix ms.
    pub time_ms: i64,
    pub request_id: String,
    pub service: String,
    pub function: String,
    pub qualifier: String,
    /// Trigger name, `invoke` or `async`.
    pub trigger: String,
    /// `success`, `handled_error` or `unhandled_error`.
    pub status: String,
    pub duration_ms: f64,
    pub max_memory_mb: f64,
    pub cold_start: bool,
    pub log: String,
}

/// `/_wasm-fc/logs`' answer.
#[derive(Debug, ToSchema)]
pub struct LogRecords {
    pub records: Vec<LogRecord>,
}

/// `/_wasm-fc/logs`' parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct LogParams {
    /// Only this invocation's records.
    pub request_id: Option<String>,
    /// Only records after this time (Unix ms, exclusive).
    pub since: Option<i64>,
    /// At most this many (default and cap 1000), newest kept.
    #[param(minimum = 0)]
    pub limit: Option<i64>,
}
