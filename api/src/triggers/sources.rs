//! The event-source core that every event-source trigger shares: OSS and
//! broker events through [`deliver`], and the pull sources (Log and
//! TableStore triggers) through [`invoke_once`].
//!
//! A source turns what happened into FC's event bytes and calls [`deliver`]
//! with the triggers that matched. The platform then owns the rest:
//!
//! - **Pausing.** A trigger whose config says `enable: false` delivers
//!   nothing; what happens meanwhile is counted `disabled` and not kept (a
//!   push source such as OSS has nothing to resume from; pull sources keep
//!   their checkpoint instead).
//! - **The loop guard.** An event caused by an event-triggered invocation is
//!   one step deeper in its chain; past [`MAX_EVENT_CHAIN_DEPTH`] it is not
//!   delivered, but logged and counted `loop_stopped`.
//! - **Durable, at-least-once delivery.** Each event becomes one async
//!   invocation in the durable queue, carrying its [`EventOrigin`]; [`deliver`]
//!   returns only once they are stored, so a source acknowledges nothing
//!   that could still be lost. FC's async rules then apply unchanged: retries
//!   (`maxAsyncRetryAttempts`), `maxAsyncEventAgeInSeconds`, and the
//!   onFailure destination as the dead letter.
//! - **Metrics** per trigger ([`crate::invoke::metrics::event_sources`]).

use crate::control::store::{EventOrigin, QueuedInvocation, StoreError};
use crate::invoke::metrics::event_sources::EventOutcome;
use crate::invoke::queue::{now_ms, submit};
use crate::triggers::TriggerKey;
use crate::triggers::platform::Platform;

/// How deep a chain of events caused by event-triggered invocations may go
/// before the loop guard stops it: 8. A function that writes into the bucket
/// that triggers it runs 8 times, then the chain ends (FC only warns).
pub const MAX_EVENT_CHAIN_DEPTH: u32 = 8;

/// One event for one trigger that matched it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub trigger: TriggerKey,
    /// The qualifier the trigger serves.
    pub qualifier: String,
    pub enabled: bool,
    /// FC's event bytes.
    pub payload: Vec<u8>,
    /// When the event happened (Unix ms).
    pub event_ms: i64,
    /// The chain depth of the invocation that caused the event, if one did.
    pub caused_at_depth: Option<u32>,
}

/// Queues `deliveries` durably (one transaction), after the pause and loop
/// rules. Fails only when the store cannot take them; the caller must then
/// not acknowledge the events.
pub async fn deliver(p: &Platform, deliveries: Vec<Delivery>) -> Result<(), StoreError> {
    let metrics = &p.metrics.prometheus.event_sources;
    let now = now_ms();
    let mut queued = Vec::with_capacity(deliveries.len());
    let mut paths = Vec::with_capacity(deliveries.len());
    for delivery in deliveries {
        let path = delivery.trigger.path();
        metrics.count(&path, EventOutcome::Seen, 1);
        if !delivery.enabled {
            metrics.count(&path, EventOutcome::Disabled, 1);
            continue;
        }
        let depth = delivery.caused_at_depth.map_or(0, |d| d.saturating_add(1));
        if depth > MAX_EVENT_CHAIN_DEPTH {
            tracing::warn!(
                trigger = %path,
                depth,
                limit = MAX_EVENT_CHAIN_DEPTH,
                "event not delivered: the loop guard stopped a chain of events caused by event-triggered invocations"
            );
            metrics.count(&path, EventOutcome::LoopStopped, 1);
            continue;
        }
        queued.push(QueuedInvocation {
            id: 0,
            request_id: crate::control::model::new_id(),
            service: delivery.trigger.service.clone(),
            qualifier: delivery.qualifier,
            function: delivery.trigger.function.clone(),
            payload: delivery.payload,
            attempts: 0,
            not_before_ms: now,
            enqueued_ms: now,
            origin: Some(EventOrigin {
                trigger: path.clone(),
                event_ms: delivery.event_ms,
                depth,
            }),
        });
        paths.push(path);
    }
    if queued.is_empty() {
        return Ok(());
    }
    submit(&p.invoker, queued).await?;
    for path in paths {
        metrics.count(&path, EventOutcome::Queued, 1);
    }
    Ok(())
}

/// Why one synchronous invocation by a pull source (Log and TableStore
/// triggers) did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvokeFailure {
    /// The function is at its concurrency limit: wait, it is not a retry.
    Throttled,
    /// The function (or resolving it) failed, with its message.
    Failed(String),
}

/// Runs `trigger`'s function (at `qualifier`) once, synchronously, with
/// `payload`, accounted to the trigger like any other invocation.
pub async fn invoke_once(
    p: &Platform,
    trigger: &TriggerKey,
    qualifier: &str,
    payload: bytes::Bytes,
    request_id: &str,
    attempt: u32,
) -> Result<(), InvokeFailure> {
    let resolved = p
        .resolve(&trigger.service, Some(qualifier), &trigger.function)
        .await
        .map_err(|e| InvokeFailure::Failed(e.to_string()))?;
    match crate::invoke::run(
        &p.invoker,
        &resolved,
        &trigger.trigger,
        payload,
        request_id,
        attempt,
        None,
    )
    .await
    {
        Ok(outcome) => outcome
            .result
            .map(|_| ())
            .map_err(|e| InvokeFailure::Failed(e.message)),
        Err(crate::control::error::ApiError::Throttled(_)) => Err(InvokeFailure::Throttled),
        Err(e) => Err(InvokeFailure::Failed(e.to_string())),
    }
}
