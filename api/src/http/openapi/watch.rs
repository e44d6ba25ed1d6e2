//! The read endpoints the web console watches the platform through
//! (`/_wasm-fc/metrics/…`, `/_wasm-fc/timers`); wasm-fc extensions, signed
//! like every API call.

use utoipa::ToSchema;

/// One minute of a function (the JSON of
/// [`crate::invoke::metrics::history::Point`]).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct MetricsPoint {
    /// The minute's start, Unix ms.
    pub start_ms: i64,
    pub invocations: u64,
    /// Invocations that ended in an error (handled or not).
    pub errors: u64,
    /// Calls refused for want of an instance (429).
    pub throttled: u64,
    pub cold_starts: u64,
    /// Null in a minute without invocations.
    pub duration_p50_ms: Option<f64>,
    pub duration_p99_ms: Option<f64>,
}

/// `/_wasm-fc/metrics/{serviceName}/{functionName}`' answer: the last hour,
/// minute by minute, as this node ran it.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct MetricsHistory {
    /// Each point's width: 60.
    pub bucket_seconds: u32,
    /// 60 points, oldest first.
    pub points: Vec<MetricsPoint>,
}

/// One timer trigger and its next fire times.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct TimerEntry {
    pub service_name: String,
    pub function_name: String,
    pub trigger_name: String,
    /// The version or alias it invokes (`LATEST` when none).
    pub qualifier: String,
    pub cron_expression: String,
    pub enable: bool,
    /// Up to 3, RFC 3339 in UTC; empty when disabled or invalid.
    pub next_fire_times: Vec<String>,
}

/// `/_wasm-fc/timers`' answer.
#[derive(Debug, ToSchema)]
pub struct Timers {
    pub timers: Vec<TimerEntry>,
}
