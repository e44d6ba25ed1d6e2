//! One place where every finished invocation is accounted for, whatever started it
//! (InvokeFunction sync or async, a timer, an HTTP trigger, a WebSocket message):
//! Prometheus counters and histograms, and the function's log.

use wasm_fc_engine::{ErrorKind, Outcome};

use crate::function_logs::LogRecord;
use crate::metrics::prometheus::InvocationLabels;
use crate::platform::{Platform, Resolved, str_of};

/// The `trigger` label of a sync InvokeFunction.
pub const SYNC_INVOKE: &str = "invoke";
/// The `trigger` label of an async InvokeFunction.
pub const ASYNC_INVOKE: &str = "async";

/// The `status` label of an outcome.
pub fn status_of(outcome: &Outcome) -> &'static str {
    match &outcome.result {
        Ok(_) => "success",
        Err(e) if e.kind == ErrorKind::Handled => "handled_error",
        Err(_) => "unhandled_error",
    }
}

fn labels(resolved: &Resolved, trigger: &str, status: &str) -> InvocationLabels {
    InvocationLabels {
        service: str_of(&resolved.service, "serviceName").to_string(),
        function: str_of(&resolved.function, "functionName").to_string(),
        trigger: trigger.to_string(),
        status: status.to_string(),
    }
}

/// Accounts for a finished invocation: metrics, then the function's log.
pub fn finished(
    p: &Platform,
    resolved: &Resolved,
    trigger: &str,
    request_id: &str,
    outcome: &Outcome,
) {
    let status = status_of(outcome);
    let labels = labels(resolved, trigger, status);
    p.metrics
        .prometheus
        .invocation(&labels, Some(outcome.duration), outcome.cold_start);
    p.logs.record(LogRecord {
        time_ms: crate::queue::now_ms(),
        request_id: request_id.to_string(),
        service: labels.service,
        function: labels.function,
        qualifier: resolved.qualifier.clone(),
        trigger: labels.trigger,
        status: labels.status,
        duration_ms: outcome.duration.as_secs_f64() * 1e3,
        max_memory_mb: outcome.max_memory_bytes as f64 / f64::from(1 << 20),
        cold_start: outcome.cold_start,
        log: String::from_utf8_lossy(&outcome.log).into_owned(),
    });
}

/// Accounts for an invocation the engine refused (no instance within the wait).
pub fn throttled(p: &Platform, resolved: &Resolved, trigger: &str) {
    p.metrics
        .prometheus
        .invocation(&labels(resolved, trigger, "throttled"), None, false);
}
