//! Per-trigger metrics of event-source triggers (OSS today; the brokers,
//! logstores and table streams of later issues): what each trigger saw, what
//! became of it, and how long events waited to start running.
//!
//! - `wasm_fc_event_source_events_total{trigger, outcome}`, where `trigger`
//!   is `service/function/trigger` and `outcome` is one of
//!   [`EventOutcome::as_str`];
//! - `wasm_fc_event_source_delivery_lag_seconds{trigger}`: from the event's
//!   time (the object operation's completion, a message's publish time) to
//!   the start of its first invocation attempt;
//! - `wasm_fc_event_source_connected{trigger}`: 1 while a broker trigger's
//!   consumer is connected to its broker, else 0;
//! - `wasm_fc_event_source_reconnects_total{trigger}`: connections to the
//!   broker lost or refused, each followed by a reconnect after a backoff.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// What became of an event, for one trigger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// The trigger matched the event.
    Seen,
    /// Queued for delivery (durably).
    Queued,
    /// An invocation for it succeeded.
    Delivered,
    /// An invocation attempt failed (each attempt counts; retries follow).
    Failed,
    /// Given up (retries or max event age exhausted) and sent to the
    /// function's onFailure destination.
    DeadLettered,
    /// Given up with no onFailure destination configured.
    Dropped,
    /// Not delivered: the trigger is disabled.
    Disabled,
    /// Not delivered: the loop guard stopped the chain it belongs to.
    LoopStopped,
    /// Left in the broker after its retries: `errorsTolerance: NONE` with no
    /// dead-letter queue stops the trigger's stream at the failing batch.
    Blocked,
}

impl EventOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Seen => "seen",
            Self::Queued => "queued",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::DeadLettered => "dead_lettered",
            Self::Dropped => "dropped",
            Self::Disabled => "disabled",
            Self::LoopStopped => "loop_stopped",
            Self::Blocked => "blocked",
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    trigger: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TriggerLabels {
    trigger: String,
}

/// Lag buckets: 100 µs doubling to ~110 min (26 buckets): a local upload's
/// event starts in milliseconds; a backlog or retries take far longer.
fn lag_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1e-4, 2.0, 26))
}

/// The event-source families, registered in the platform's registry.
#[derive(Debug, Clone)]
pub struct EventSourceMetrics {
    events: Family<EventLabels, Counter>,
    lag: Family<TriggerLabels, Histogram, fn() -> Histogram>,
    connected: Family<TriggerLabels, Gauge>,
    reconnects: Family<TriggerLabels, Counter>,
}

impl EventSourceMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let events = Family::<EventLabels, Counter>::default();
        registry.register(
            "event_source_events",
            "Events of event-source triggers by trigger and outcome (seen, queued, delivered, failed, dead_lettered, dropped, disabled, loop_stopped, blocked)",
            events.clone(),
        );
        let lag: Family<TriggerLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(lag_histogram as fn() -> Histogram);
        registry.register(
            "event_source_delivery_lag_seconds",
            "From an event's time to the start of its first invocation, by trigger",
            lag.clone(),
        );
        let connected = Family::<TriggerLabels, Gauge>::default();
        registry.register(
            "event_source_connected",
            "1 while a broker trigger's consumer is connected to its broker, by trigger",
            connected.clone(),
        );
        let reconnects = Family::<TriggerLabels, Counter>::default();
        registry.register(
            "event_source_reconnects",
            "Broker connections lost or refused, each followed by a reconnect after a backoff, by trigger",
            reconnects.clone(),
        );
        Self {
            events,
            lag,
            connected,
            reconnects,
        }
    }

    /// Marks `trigger`'s broker connection up or down.
    pub fn set_connected(&self, trigger: &str, connected: bool) {
        self.connected
            .get_or_create(&TriggerLabels {
                trigger: trigger.to_string(),
            })
            .set(i64::from(connected));
    }

    /// Counts one lost or refused broker connection of `trigger`.
    pub fn reconnecting(&self, trigger: &str) {
        self.reconnects
            .get_or_create(&TriggerLabels {
                trigger: trigger.to_string(),
            })
            .inc();
    }

    /// Counts `n` events of `trigger` with `outcome`.
    pub fn count(&self, trigger: &str, outcome: EventOutcome, n: u64) {
        self.events
            .get_or_create(&EventLabels {
                trigger: trigger.to_string(),
                outcome: outcome.as_str(),
            })
            .inc_by(n);
    }

    /// Records how long an event of `trigger` waited to start.
    pub fn lag(&self, trigger: &str, lag: Duration) {
        self.lag
            .get_or_create(&TriggerLabels {
                trigger: trigger.to_string(),
            })
            .observe(lag.as_secs_f64());
    }

    /// The count so far (tests and the CLI).
    pub fn get(&self, trigger: &str, outcome: EventOutcome) -> u64 {
        self.events
            .get_or_create(&EventLabels {
                trigger: trigger.to_string(),
                outcome: outcome.as_str(),
            })
            .get()
    }
}
