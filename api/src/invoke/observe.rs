//! One place where every finished invocation is accounted for, whatever started it
//! (InvokeFunction sync or async, a timer, an HTTP trigger, a WebSocket message):
//! Prometheus counters and histograms, the last hour's history, and the
//! function's log.

use std::borrow::Cow;
use std::sync::Arc;

use wasm_fc_engine::{ErrorKind, Outcome};

use crate::control::resolve::Resolved;
use crate::invoke::function_logs::LogRecord;
use crate::invoke::invoker::Invoker;
use crate::invoke::logstore_writer::{InvocationLog, LogTarget};
use crate::invoke::metrics::history::{FunctionHistory, Sample};
use crate::invoke::metrics::prometheus::{InvocationSeries, Status};

/// The `trigger` label of a sync InvokeFunction.
pub const SYNC_INVOKE: &str = "invoke";
/// The `trigger` label of an async InvokeFunction.
pub const ASYNC_INVOKE: &str = "async";

/// How an outcome ended.
pub fn status_of(outcome: &Outcome) -> Status {
    match &outcome.result {
        Ok(_) => Status::Success,
        Err(e) if e.kind == ErrorKind::Handled => Status::HandledError,
        Err(_) => Status::UnhandledError,
    }
}

/// Accounts for the invocations of one function version through one trigger.
/// Built per invocation on the management paths; an HTTP route keeps one, so
/// a request neither builds labels nor copies names.
#[derive(Debug)]
pub struct Observer {
    service: Arc<str>,
    function: Arc<str>,
    qualifier: Arc<str>,
    trigger: Arc<str>,
    version_id: Arc<str>,
    /// The `logConfig` logstore its logs also go to, if any.
    log_target: Option<Arc<LogTarget>>,
    series: InvocationSeries,
    history: Arc<FunctionHistory>,
}

impl Observer {
    pub fn new(p: &Invoker, resolved: &Resolved, trigger: &str) -> Self {
        let service = resolved.service.service_name.as_str();
        let function = resolved.function.function_name.as_str();
        let (service, function): (Arc<str>, Arc<str>) = (service.into(), function.into());
        Self {
            series: p.metrics.prometheus.series(&service, &function, trigger),
            history: p.metrics.history.of(&service, &function),
            service,
            function,
            qualifier: resolved.qualifier.as_str().into(),
            trigger: trigger.into(),
            version_id: resolved.version_id.as_str().into(),
            log_target: log_target(resolved),
        }
    }

    /// Accounts for a finished invocation: metrics, then the function's log.
    pub fn finished(&self, p: &Invoker, request_id: &str, outcome: &Outcome) {
        let status = status_of(outcome);
        self.series
            .invocation(status, Some(outcome.duration), outcome.cold_start);
        let log = String::from_utf8_lossy(&outcome.log).into_owned();
        let time_ms = crate::invoke::queue::now_ms();
        self.history.record(
            time_ms,
            Sample::Ran {
                duration: outcome.duration,
                failed: status != Status::Success,
                cold_start: outcome.cold_start,
            },
        );
        if let Some(target) = &self.log_target {
            p.logstore_writer.record(
                target,
                &InvocationLog {
                    service: &self.service,
                    function: &self.function,
                    qualifier: &self.qualifier,
                    version_id: &self.version_id,
                    instance_id: &outcome.instance_id,
                    request_id,
                    time_ms,
                    log: &log,
                },
            );
        }
        p.logs.record(LogRecord {
            time_ms,
            request_id: request_id.to_string(),
            service: self.service.clone(),
            function: self.function.clone(),
            qualifier: self.qualifier.clone(),
            trigger: self.trigger.clone(),
            status: Cow::Borrowed(status.as_str()),
            duration_ms: outcome.duration.as_secs_f64() * 1e3,
            max_memory_mb: outcome.max_memory_bytes as f64 / f64::from(1 << 20),
            cold_start: outcome.cold_start,
            log,
        });
    }

    /// Accounts for an invocation the engine refused (no instance within the wait).
    pub fn throttled(&self) {
        self.series.invocation(Status::Throttled, None, false);
        self.history
            .record(crate::invoke::queue::now_ms(), Sample::Throttled);
    }
}

/// Where a resolved function's logs also go: the function's own `logConfig`
/// (FC 3.0 keeps it there), else its service's; `None` when neither names a
/// project and logstore.
fn log_target(resolved: &Resolved) -> Option<Arc<LogTarget>> {
    let own = resolved.function_row.get("logConfig");
    let (project, logstore) = own
        .map(|c| {
            (
                c["project"].as_str().unwrap_or(""),
                c["logstore"].as_str().unwrap_or(""),
            )
        })
        .filter(|(p, l)| !p.is_empty() && !l.is_empty())
        .unwrap_or((
            resolved.service.log_config.project.as_str(),
            resolved.service.log_config.logstore.as_str(),
        ));
    (!project.is_empty() && !logstore.is_empty()).then(|| {
        Arc::new(LogTarget {
            project: project.to_string(),
            logstore: logstore.to_string(),
        })
    })
}

/// Accounts for a finished invocation: metrics, then the function's log.
pub fn finished(
    p: &Invoker,
    resolved: &Resolved,
    trigger: &str,
    request_id: &str,
    outcome: &Outcome,
) {
    Observer::new(p, resolved, trigger).finished(p, request_id, outcome);
}

/// Accounts for an invocation the engine refused (no instance within the wait).
pub fn throttled(p: &Invoker, resolved: &Resolved, trigger: &str) {
    Observer::new(p, resolved, trigger).throttled();
}
