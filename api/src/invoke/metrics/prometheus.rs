//! `/metrics` in the Prometheus text format: invocations, durations, cold starts,
//! instances, compiles, timers and the async queue. Counters and histograms are
//! updated as invocations finish; gauges are read when scraped.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels of one invocation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct InvocationLabels {
    pub service: String,
    pub function: String,
    /// The trigger's name; `invoke` for sync InvokeFunction, `async` for async ones
    /// (timer fires queued before a restart also count as `async`).
    pub trigger: String,
    /// `success`, `handled_error` (the handler returned an error), `unhandled_error`
    /// (trap, timeout, out of memory) or `throttled` (no instance in time).
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FunctionLabels {
    service: String,
    function: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TaskLabels {
    task: String,
}

/// A store operation that failed (see [`StoreOperation`]).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

/// A class of store operation (`wasm_fc_store_operations_total{class}`).
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClassLabels {
    class: &'static str,
}

/// Why a destination record was not delivered (`wasm_fc_destination_drops_total{reason}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DestinationDrop {
    /// The chain of records reached `MAX_DESTINATION_HOPS`.
    TooManyHops,
    /// The record is over the async payload limit.
    TooLarge,
}

impl DestinationDrop {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::TooManyHops => "too_many_hops",
            Self::TooLarge => "too_large",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

/// The store operations whose failures are counted in `wasm_fc_store_errors_total`:
/// the async path's reads and writes, and the queue-depth reading of a scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreOperation {
    /// Workers claiming due invocations.
    Claim,
    /// Reading a function's async invoke config.
    AsyncPolicy,
    /// Marking an invocation done.
    Complete,
    /// Scheduling a retry.
    Reschedule,
    /// Accepting an invocation.
    Enqueue,
    /// Counting the queue (`/metrics`, `/readyz`).
    QueueDepth,
    /// Extending the leases of invocations this node runs.
    RenewLeases,
}

impl StoreOperation {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Claim => "claim",
            Self::AsyncPolicy => "async_policy",
            Self::Complete => "complete",
            Self::Reschedule => "reschedule",
            Self::Enqueue => "enqueue",
            Self::QueueDepth => "queue_depth",
            Self::RenewLeases => "renew_leases",
        }
    }
}

/// A series without labels, in a family so that it can be left out of a scrape.
type NoLabels = Vec<(&'static str, &'static str)>;

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets: 50 µs doubling to ~26 s (20 buckets), since warm Wasm calls take
/// microseconds and FC timeouts reach minutes.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(50e-6, 2.0, 20))
}

/// The platform's Prometheus registry.
#[derive(Debug)]
pub struct PrometheusMetrics {
    registry: Registry,
    invocation_families: InvocationFamilies,
    instances: Family<StateLabels, Gauge>,
    compile_seconds: Histogram,
    timer_fires: Counter,
    timer_fires_claimed_elsewhere: Counter,
    timer_lag_seconds: Histogram,
    /// No sample when the store could not be read (not a false 0).
    async_queue_depth: Family<NoLabels, Gauge>,
    store_errors: Family<OperationLabels, Counter>,
    store_operations: Family<ClassLabels, Counter>,
    destination_drops: Family<ReasonLabels, Counter>,
    task_panics: Family<TaskLabels, Counter>,
    trigger_load_errors: Counter,
    /// Per-trigger counts and lags of event-source triggers.
    pub event_sources: super::event_sources::EventSourceMetrics,
}

/// The per-invocation families, registered once; every [`InvocationSeries`]
/// holds a clone (the families share their series maps).
#[derive(Debug, Clone)]
struct InvocationFamilies {
    invocations: Family<InvocationLabels, Counter>,
    durations: HistogramFamily<FunctionLabels>,
    cold_starts: Family<FunctionLabels, Counter>,
}

/// What a scrape reads from the engine and store at that moment.
#[derive(Debug, Clone, Default)]
pub struct ScrapeReadings {
    pub busy_instances: u64,
    pub idle_instances: u64,
    /// `None` when the store could not count it: the gauge is left out.
    pub async_queue_depth: Option<u64>,
    /// Compiles finished since the previous scrape.
    pub compile_times: Vec<Duration>,
    /// Store operations made so far, by class (`read`, `transaction`, `queue`).
    pub store_operations: Vec<(&'static str, u64)>,
}

impl Default for PrometheusMetrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("wasm_fc");
        let invocations = Family::<InvocationLabels, Counter>::default();
        registry.register(
            "invocations",
            "Finished invocations by service, function, trigger and status",
            invocations.clone(),
        );
        let durations: HistogramFamily<FunctionLabels> =
            Family::new_with_constructor(latency_histogram as fn() -> Histogram);
        registry.register(
            "invocation_duration_seconds",
            "Invocation wall time from admission to result",
            durations.clone(),
        );
        let cold_starts = Family::<FunctionLabels, Counter>::default();
        registry.register(
            "cold_starts",
            "Invocations that needed a new instance",
            cold_starts.clone(),
        );
        let instances = Family::<StateLabels, Gauge>::default();
        registry.register(
            "instances",
            "Live Wasm instances by state (busy or idle)",
            instances.clone(),
        );
        let compile_seconds = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register(
            "compile_duration_seconds",
            "Wasm compiles at deploy time (never on the invoke path)",
            compile_seconds.clone(),
        );
        let timer_fires = Counter::default();
        registry.register(
            "timer_fires",
            "Timer-trigger fires queued",
            timer_fires.clone(),
        );
        let timer_fires_claimed_elsewhere = Counter::default();
        registry.register(
            "timer_fires_claimed_elsewhere",
            "Timer fires this node scheduled but another node (or an earlier run) claimed first",
            timer_fires_claimed_elsewhere.clone(),
        );
        let timer_lag_seconds = latency_histogram();
        registry.register(
            "timer_lag_seconds",
            "From a fire's scheduled second to the start of its invocation",
            timer_lag_seconds.clone(),
        );
        let async_queue_depth = Family::<NoLabels, Gauge>::default();
        registry.register(
            "async_queue_depth",
            "Asynchronous invocations waiting or running",
            async_queue_depth.clone(),
        );
        let destination_drops = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "destination_drops",
            "Async destination records not delivered, by reason",
            destination_drops.clone(),
        );
        let store_errors = Family::<OperationLabels, Counter>::default();
        registry.register(
            "store_errors",
            "Store operations that failed, by operation (each is also logged)",
            store_errors.clone(),
        );
        let store_operations = Family::<ClassLabels, Counter>::default();
        registry.register(
            "store_operations",
            "Store operations by class: resource reads, write transactions, queue operations",
            store_operations.clone(),
        );
        let task_panics = Family::<TaskLabels, Counter>::default();
        registry.register(
            "task_panics",
            "Panics of background tasks (each restarted), by task",
            task_panics.clone(),
        );
        let trigger_load_errors = Counter::default();
        registry.register(
            "trigger_load_errors",
            "Stored triggers skipped at load because their config no longer validates",
            trigger_load_errors.clone(),
        );
        let event_sources = super::event_sources::EventSourceMetrics::register(&mut registry);
        Self {
            registry,
            event_sources,
            invocation_families: InvocationFamilies {
                invocations,
                durations,
                cold_starts,
            },
            instances,
            compile_seconds,
            timer_fires,
            timer_fires_claimed_elsewhere,
            timer_lag_seconds,
            async_queue_depth,
            store_errors,
            store_operations,
            destination_drops,
            task_panics,
            trigger_load_errors,
        }
    }
}

/// How an invocation ended: the `status` label and the function log's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success,
    /// The handler returned an error.
    HandledError,
    /// Trap, timeout or out of memory.
    UnhandledError,
    /// No instance within the wait; the function never ran.
    Throttled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::HandledError => "handled_error",
            Status::UnhandledError => "unhandled_error",
            Status::Throttled => "throttled",
        }
    }
}

/// The series of one service, function and trigger, fetched from their
/// families once and then updated without building or hashing labels (a
/// route keeps one; the HTTP path calls it on every request).
#[derive(Debug)]
pub struct InvocationSeries {
    labels: InvocationLabels,
    families: InvocationFamilies,
    /// One per [`Status`], in its order; created on first use so `/metrics`
    /// lists only series that happened.
    by_status: [OnceLock<Counter>; 4],
    duration: OnceLock<Histogram>,
    cold: OnceLock<Counter>,
}

impl InvocationSeries {
    /// Records one invocation; `duration` is `None` for one that never ran
    /// (throttled).
    pub fn invocation(&self, status: Status, duration: Option<Duration>, cold_start: bool) {
        self.by_status[status as usize]
            .get_or_init(|| {
                let labels = InvocationLabels {
                    status: status.as_str().to_string(),
                    ..self.labels.clone()
                };
                self.families.invocations.get_or_create(&labels).clone()
            })
            .inc();
        if let Some(duration) = duration {
            self.duration
                .get_or_init(|| {
                    self.families
                        .durations
                        .get_or_create(&self.function())
                        .clone()
                })
                .observe(duration.as_secs_f64());
        }
        if cold_start {
            self.cold
                .get_or_init(|| {
                    self.families
                        .cold_starts
                        .get_or_create(&self.function())
                        .clone()
                })
                .inc();
        }
    }

    fn function(&self) -> FunctionLabels {
        FunctionLabels {
            service: self.labels.service.clone(),
            function: self.labels.function.clone(),
        }
    }
}

impl PrometheusMetrics {
    /// The series of invocations of `function` in `service` through `trigger`.
    pub fn series(&self, service: &str, function: &str, trigger: &str) -> InvocationSeries {
        InvocationSeries {
            labels: InvocationLabels {
                service: service.to_string(),
                function: function.to_string(),
                trigger: trigger.to_string(),
                status: String::new(),
            },
            families: self.invocation_families.clone(),
            by_status: Default::default(),
            duration: OnceLock::new(),
            cold: OnceLock::new(),
        }
    }

    pub fn timer_fires(&self, n: usize) {
        self.timer_fires.inc_by(n as u64);
    }

    pub fn timer_fire_claimed_elsewhere(&self) {
        self.timer_fires_claimed_elsewhere.inc();
    }

    pub fn timer_lag(&self, lag: Duration) {
        self.timer_lag_seconds.observe(lag.as_secs_f64());
    }

    /// The `task_panics{task}` series of one background task (listed from now
    /// on, at 0 until it panics), for [`crate::invoke::supervise::spawn_supervised`].
    pub fn task_panics(&self, task: &str) -> Counter {
        self.task_panics
            .get_or_create(&TaskLabels {
                task: task.to_string(),
            })
            .clone()
    }

    /// Counts a stored trigger that could not be loaded (and was skipped).
    pub fn trigger_load_error(&self) {
        self.trigger_load_errors.inc();
    }

    /// Counts a destination record not delivered (the caller logs it).
    pub fn destination_dropped(&self, reason: DestinationDrop) {
        self.destination_drops
            .get_or_create(&ReasonLabels {
                reason: reason.as_str(),
            })
            .inc();
    }

    /// Counts a failed store operation (the caller logs it).
    pub fn store_error(&self, operation: StoreOperation) {
        self.store_errors
            .get_or_create(&OperationLabels {
                operation: operation.as_str(),
            })
            .inc();
    }

    /// The text exposition, after taking the scrape-time readings.
    pub fn render(&self, readings: ScrapeReadings) -> String {
        let gauge = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        self.instances
            .get_or_create(&StateLabels { state: "busy" })
            .set(gauge(readings.busy_instances));
        self.instances
            .get_or_create(&StateLabels { state: "idle" })
            .set(gauge(readings.idle_instances));
        match readings.async_queue_depth {
            Some(depth) => {
                self.async_queue_depth
                    .get_or_create(&NoLabels::new())
                    .set(gauge(depth));
            }
            None => self.async_queue_depth.clear(),
        }
        for (class, total) in readings.store_operations {
            let counter = self.store_operations.get_or_create(&ClassLabels { class });
            counter.inc_by(total.saturating_sub(counter.get()));
        }
        for time in readings.compile_times {
            self.compile_seconds.observe(time.as_secs_f64());
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
