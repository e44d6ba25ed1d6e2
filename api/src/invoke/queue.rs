//! Async invocations: accepted requests wait in the store's durable queue and
//! workers run them with FC's retry rules (fc-api.md §8.1). A node leases an
//! invocation before running it and renews the lease while it runs, so a crash
//! mid-run means a retry once the lease runs out (or at once, when the embedded
//! store's next owner starts), never a loss.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::control::error::ApiError;
use crate::invoke::invoker::Invoker;
use serde_json::Value;

use crate::control::resources::async_config::Destination;
use crate::control::resources::{AsyncConfig, from_row};
use crate::control::store::{Kind, QueuedInvocation, StoreError};
use crate::invoke::metrics::event_sources::EventOutcome;
use crate::invoke::metrics::prometheus::{DestinationDrop, StoreOperation};

/// Throttled or system errors retry with backoff for up to 5 hours.
const MAX_BACKOFF_AGE_MS: i64 = 5 * 3600 * 1000;
/// Invocations run at once by the workers. 8 keeps a 2-core host responsive.
const CONCURRENCY: usize = 8;
/// How long a node's lease on an invocation lasts: 30 s, renewed every
/// [`LEASE_RENEW_EVERY`] while the node holds it, so a run of any length is
/// never claimed twice and a dead node's work runs again within 30 s.
pub const LEASE_MS: i64 = 30_000;
/// How often a node renews the leases it holds: 10 s (a third of the lease, so
/// two renewals can fail before a lease runs out).
const LEASE_RENEW_EVERY: Duration = Duration::from_secs(10);

/// The queue rows this node holds (handed off, claimed or running), whose
/// leases it renews until their outcome is written.
#[derive(Debug, Default)]
pub struct HeldLeases(std::sync::Mutex<std::collections::HashSet<i64>>);

impl HeldLeases {
    pub(crate) fn hold(&self, id: i64) {
        if let Ok(mut held) = self.0.lock() {
            held.insert(id);
        }
    }

    pub(crate) fn release(&self, id: i64) {
        if let Ok(mut held) = self.0.lock() {
            held.remove(&id);
        }
    }

    /// How many rows this node holds now.
    pub fn count(&self) -> usize {
        self.0.lock().map(|held| held.len()).unwrap_or(0)
    }

    fn snapshot(&self) -> Vec<i64> {
        self.0
            .lock()
            .map(|held| held.iter().copied().collect())
            .unwrap_or_default()
    }
}

pub use crate::control::model::now_ms;

/// An accepted invocation on its way to a worker.
#[derive(Debug)]
pub struct Handoff {
    pub invocation: QueuedInvocation,
    pub stored: StoredId,
}

/// The queue row of a handed-off invocation: known, or still being committed.
#[derive(Debug)]
pub enum StoredId {
    Known(i64),
    /// Resolves once the row is committed; closed if the commit failed.
    Pending(tokio::sync::oneshot::Receiver<i64>),
}

impl StoredId {
    async fn resolve(self) -> Option<i64> {
        match self {
            Self::Known(id) => Some(id),
            Self::Pending(rx) => rx.await.ok(),
        }
    }
}

/// Accepted invocations handed straight to the workers, at most this many in
/// memory at once (payloads up to 128 KB each: at most 8 MB). The rest of a
/// backlog waits in the store, which is the queue: memory stays flat however
/// deep it grows.
pub const HANDOFF_CAPACITY: usize = 64;

/// Durably accepts invocations (one transaction). Those that fit in the handoff
/// window go to the workers at once, stored leased so nothing else claims them;
/// the rest are stored due and the workers claim them from the store when they
/// have room. After a crash, their leases run out (or start-up releases them):
/// accepted means never lost.
pub async fn submit(p: &Invoker, mut invocations: Vec<QueuedInvocation>) -> Result<(), StoreError> {
    let lease = now_ms() + LEASE_MS;
    let permits: Vec<_> = invocations
        .iter_mut()
        .map(|invocation| {
            let permit = p.handoff.try_reserve().ok();
            if permit.is_some() {
                invocation.not_before_ms = lease;
            }
            permit
        })
        .collect();
    let stored = p
        .store
        .enqueue_many(invocations, Some(p.node_id.clone()))
        .await
        .inspect_err(|e| p.store_failed(StoreOperation::Enqueue, e))?;
    let mut left_in_store = false;
    for (invocation, permit) in stored.into_iter().zip(permits) {
        match permit {
            Some(permit) => {
                p.held.hold(invocation.id);
                let id = invocation.id;
                permit.send(Handoff {
                    invocation,
                    stored: StoredId::Known(id),
                })
            }
            None => left_in_store = true,
        }
    }
    if left_in_store {
        p.queue_wakeup.notify_one();
    }
    Ok(())
}

/// The supervisor task name of the async workers (`wasm_fc_task_panics_total{task}`).
pub const WORKERS_TASK: &str = "async-workers";

/// What outlives one run of the workers, so that a run that panicked is
/// restarted where it stopped: the handoff's receiving end and the slots
/// (invocations still running keep theirs).
struct Workers {
    handoff: Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<Handoff>>>,
    slots: Slots,
}

/// Starts the async workers under the supervisor: a panic in the loop is
/// logged, counted and the loop restarted; never a silently dead queue.
/// Returns `None` when they were started before. The handle resolves once
/// they have drained after `shutdown`.
pub fn spawn_workers(
    p: &Arc<Invoker>,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> Option<tokio::task::JoinHandle<()>> {
    let Some(handoff) = p.take_handoff() else {
        tracing::error!("the async workers already run");
        return None;
    };
    let workers = Arc::new(Workers {
        handoff: Arc::new(tokio::sync::Mutex::new(handoff)),
        slots: Slots {
            running: Arc::new(tokio::sync::Semaphore::new(CONCURRENCY)),
            recording: Arc::new(tokio::sync::Semaphore::new(MAX_RECORDING)),
        },
    });
    let panics = p.metrics.prometheus.task_panics(WORKERS_TASK);
    tokio::spawn(renew_leases(p.clone(), shutdown.clone()));
    let p = p.clone();
    let stop = shutdown.clone();
    Some(crate::invoke::supervise::spawn_supervised(
        WORKERS_TASK,
        panics,
        stop,
        move || run_workers(p.clone(), workers.clone(), shutdown.clone()),
    ))
}

/// Renews the leases this node holds every [`LEASE_RENEW_EVERY`] until
/// shutdown. A failed renewal is logged and counted; the next one tries again
/// (a lease outlives two failures).
async fn renew_leases(p: Arc<Invoker>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(LEASE_RENEW_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let held = p.held.snapshot();
        if held.is_empty() {
            continue;
        }
        if let Err(e) = p
            .store
            .renew_leases(p.node_id.clone(), held, now_ms() + LEASE_MS)
            .await
        {
            p.store_failed(StoreOperation::RenewLeases, &e);
        }
    }
}

/// Runs the queue until `shutdown` resolves; in-flight invocations finish first.
async fn run_workers(
    p: Arc<Invoker>,
    workers: Arc<Workers>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let slots = workers.slots.clone();
    // Held for the run; a run that panicked drops it, and the next one takes it.
    let mut handoff = workers.handoff.clone().lock_owned().await;
    // Consecutive failed claims: each waits longer, up to CLAIM_BACKOFF_MAX.
    let mut failed_claims = 0u32;
    // Handed off or claimed, but not started when shutdown came: handed back.
    let mut unstarted = Vec::new();
    loop {
        if *shutdown.borrow() {
            break;
        }
        while let Ok(next) = handoff.try_recv() {
            if let Some(back) = start(&p, &slots, next, &mut shutdown).await {
                unstarted.push(back);
            }
        }
        let free = slots.running.available_permits();
        // Lease: nobody else picks them up while they run.
        let lease = now_ms() + LEASE_MS;
        let due = if free == 0 {
            Vec::new()
        } else {
            match p
                .store
                .claim(p.node_id.clone(), now_ms(), free, lease)
                .await
            {
                Ok(due) => {
                    failed_claims = 0;
                    for invocation in &due {
                        p.held.hold(invocation.id);
                    }
                    due
                }
                Err(e) => {
                    // The store is the queue: keep trying, more slowly, and say so.
                    p.store_failed(StoreOperation::Claim, &e);
                    failed_claims = failed_claims.saturating_add(1);
                    let wait = (Duration::from_millis(200) * 2u32.pow(failed_claims.min(5)))
                        .min(CLAIM_BACKOFF_MAX);
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.changed() => {}
                    }
                    continue;
                }
            }
        };
        if due.is_empty() {
            tokio::select! {
                Some(next) = handoff.recv() => {
                    if let Some(back) = start(&p, &slots, next, &mut shutdown).await {
                        unstarted.push(back);
                    }
                }
                _ = p.queue_wakeup.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        for invocation in due {
            let stored = StoredId::Known(invocation.id);
            let next = Handoff { invocation, stored };
            if let Some(back) = start(&p, &slots, next, &mut shutdown).await {
                unstarted.push(back);
            }
        }
    }
    // Drain: hand back what was handed off but not started, then wait for
    // running invocations to finish and their outcomes to be stored.
    handoff.close();
    while let Ok(next) = handoff.try_recv() {
        unstarted.push(next);
    }
    let mut ids = Vec::with_capacity(unstarted.len());
    for Handoff { stored, .. } in unstarted {
        if let Some(id) = stored.resolve().await {
            p.held.release(id);
            ids.push(id);
        }
    }
    release_on_stop(&p, ids).await;
    let _ = slots.running.acquire_many(CONCURRENCY as u32).await;
    let _ = slots.recording.acquire_many(MAX_RECORDING as u32).await;
}

/// Makes invocations this node accepted but will not start due now, for any
/// node to claim (rather than when their lease runs out). A failure is logged;
/// the leases then run out as after a crash.
async fn release_on_stop(p: &Invoker, ids: Vec<i64>) {
    if ids.is_empty() {
        return;
    }
    let count = ids.len();
    match p
        .store
        .release_leases(p.node_id.clone(), ids, now_ms())
        .await
    {
        Ok(_) => tracing::info!(
            count,
            "stopping: handed back accepted invocations not yet started"
        ),
        Err(e) => p.store_failed(StoreOperation::RenewLeases, &e),
    }
}

/// Outcomes being written after their invocation finished, at most this many at once.
const MAX_RECORDING: usize = 1024;
/// The longest wait between claims while the store keeps failing: 5 s.
const CLAIM_BACKOFF_MAX: Duration = Duration::from_secs(5);
/// Tries at writing an invocation's outcome before giving up (then its lease
/// runs out and it runs again: at least once): 6, over about 30 s.
const RECORD_TRIES: u32 = 6;

/// The workers' slots: invocations running, and finished ones whose outcome is
/// still being written. Shutdown drains both.
#[derive(Clone)]
struct Slots {
    running: Arc<tokio::sync::Semaphore>,
    recording: Arc<tokio::sync::Semaphore>,
}

/// Runs one leased invocation when a worker slot is free; gives it back when
/// shutdown comes first (the caller hands it back to the store).
async fn start(
    p: &Arc<Invoker>,
    slots: &Slots,
    handoff: Handoff,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Option<Handoff> {
    if *shutdown.borrow() {
        return Some(handoff);
    }
    let permit = tokio::select! {
        permit = slots.running.clone().acquire_owned() => permit.ok()?,
        _ = shutdown.changed() => return Some(handoff),
    };
    let p = p.clone();
    let recording = slots.recording.clone();
    tokio::spawn(async move {
        let Handoff { invocation, stored } = handoff;
        let next = attempt(&p, &invocation).await;
        // The worker slot is free once the function is done; the outcome is written
        // off the runtime's threads (a commit's fsync must not stall other tasks).
        let Ok(_recording) = recording.acquire_owned().await else {
            return;
        };
        drop(permit);
        p.queue_wakeup.notify_one();
        let Some(id) = stored.resolve().await else {
            return; // its row was never committed; invoke::fires logged that
        };
        record_outcome(&p, id, next).await;
    });
    None
}

/// Writes an attempt's outcome off the runtime threads, retrying with backoff
/// while the store fails (each failure logged and counted).
async fn record_outcome(p: &Arc<Invoker>, id: i64, next: Next) {
    let operation = match next {
        Next::Done => StoreOperation::Complete,
        Next::RetryAt(..) => StoreOperation::Reschedule,
    };
    for attempt in 0..RECORD_TRIES {
        let written = match next {
            Next::Done => p.store.complete(id).await,
            Next::RetryAt(attempts, at) => p.store.reschedule(id, attempts, at).await,
        };
        match written {
            Ok(()) => {
                p.held.release(id);
                return;
            }
            Err(e) => p.store_failed(operation, &e),
        }
        tokio::time::sleep(Duration::from_millis(500) * 2u32.pow(attempt.min(5))).await;
    }
    // No longer renewed: the lease runs out and the invocation runs again.
    p.held.release(id);
    tracing::error!(
        id,
        "cannot record an async invocation's outcome; it runs again when its lease runs out"
    );
}

/// The function's async config, or FC's defaults.
struct Policy {
    max_retries: u32,
    max_age_ms: i64,
    on_success: Option<String>,
    on_failure: Option<String>,
}

/// The policy for `inv`: its qualifier's async config, else LATEST's, else FC's
/// defaults. A store error is an error, never the defaults: running with the
/// wrong retries or without its destinations would be a silent change.
async fn policy(p: &Invoker, inv: &QueuedInvocation) -> Result<Policy, ApiError> {
    let scope = format!("{}/{}", inv.service, inv.function);
    let config = match p
        .cached_row(Kind::AsyncConfig, &scope, &inv.qualifier)
        .await?
    {
        Some(config) => Some(config),
        None => p.cached_row(Kind::AsyncConfig, &scope, "LATEST").await?,
    };
    let config: AsyncConfig = match config {
        Some(row) => from_row(&row)?,
        None => AsyncConfig::default(),
    };
    let destination =
        |target: Option<Destination>| target.map(|d| d.destination).filter(|arn| !arn.is_empty());
    Ok(Policy {
        max_retries: config.max_async_retry_attempts,
        max_age_ms: config.max_async_event_age_in_seconds.saturating_mul(1000),
        on_success: destination(config.destination_config.on_success),
        on_failure: destination(config.destination_config.on_failure),
    })
}

/// What happens to a queued invocation after an attempt.
#[derive(Debug, Clone, Copy)]
enum Next {
    Done,
    RetryAt(u32, i64),
}

/// One attempt at a queued invocation. A timer fire keeps its trigger's name
/// through its retries (for metrics and logs) and records its lag on the first.
async fn attempt(p: &Invoker, inv: &QueuedInvocation) -> Next {
    let timer = p
        .timer_fires_pending
        .get(&inv.request_id)
        .map(|entry| entry.value().clone());
    let trigger = match timer {
        Some((scheduled_ms, trigger)) => {
            if inv.attempts == 0 {
                record_timer_lag(p, scheduled_ms);
            }
            trigger
        }
        None => match &inv.origin {
            Some(origin) => {
                if inv.attempts == 0 {
                    let lag_ms = (now_ms() - origin.event_ms).max(0) as u64;
                    p.metrics
                        .prometheus
                        .event_sources
                        .lag(&origin.trigger, Duration::from_millis(lag_ms));
                }
                origin
                    .trigger
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_string()
            }
            None => crate::invoke::observe::ASYNC_INVOKE.to_string(),
        },
    };
    let next = attempt_as(p, inv, &trigger).await;
    if matches!(next, Next::Done) {
        p.timer_fires_pending.remove(&inv.request_id);
    }
    next
}

/// How late a timer fire started, from its scheduled second.
fn record_timer_lag(p: &Invoker, scheduled_ms: i64) {
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    let lag_us = (now_us - scheduled_ms * 1000).max(0) as u64;
    p.metrics.timer_lag(Duration::from_micros(lag_us));
}

/// One attempt, with FC's retry rules and destinations; `trigger` labels it.
async fn attempt_as(p: &Invoker, inv: &QueuedInvocation, trigger: &str) -> Next {
    let policy = match policy(p, inv).await {
        Ok(policy) => policy,
        Err(e) => {
            // Not run, so no attempt is used up: try again after a backoff.
            p.store_failed(StoreOperation::AsyncPolicy, &e.chain());
            return Next::RetryAt(inv.attempts, now_ms() + backoff_ms(inv.attempts + 1));
        }
    };
    if now_ms() - inv.enqueued_ms > policy.max_age_ms {
        tracing::warn!(request_id = %inv.request_id, "async invocation is older than maxAsyncEventAgeInSeconds; dropped");
        given_up(p, inv, policy.on_failure.as_deref());
        deliver(
            p,
            inv,
            policy.on_failure.as_deref(),
            "EventMaxAgeExceeded",
            None,
            Some("the event expired before it could run"),
        )
        .await;
        return Next::Done;
    }
    let resolved = match p
        .resolve(&inv.service, Some(&inv.qualifier), &inv.function)
        .await
    {
        Ok(resolved) => resolved,
        Err(err @ ApiError::Internal { .. }) => {
            tracing::error!(request_id = %inv.request_id, error = %err.chain(), "cannot resolve an async invocation's function; retrying");
            return Next::RetryAt(inv.attempts, now_ms() + backoff_ms(inv.attempts + 1));
        }
        Err(err) => {
            tracing::warn!(request_id = %inv.request_id, error = %err, "dropping async invocation of a function that no longer exists");
            return Next::Done;
        }
    };
    let result = crate::invoke::run(
        p,
        &resolved,
        trigger,
        Bytes::from(inv.payload.clone()),
        &inv.request_id,
        inv.attempts,
        inv.origin.as_ref().map(|o| o.depth),
    )
    .await;
    let attempts = inv.attempts + 1;
    match result {
        Ok(outcome) => match outcome.result {
            Ok(body) => {
                source_outcome(p, inv, EventOutcome::Delivered);
                deliver(
                    p,
                    inv,
                    policy.on_success.as_deref(),
                    "Success",
                    Some(&body),
                    None,
                )
                .await;
                Next::Done
            }
            Err(error) if attempts > policy.max_retries => {
                tracing::warn!(request_id = %inv.request_id, error = %error.message, attempts, "async invocation failed for good");
                source_outcome(p, inv, EventOutcome::Failed);
                given_up(p, inv, policy.on_failure.as_deref());
                deliver(
                    p,
                    inv,
                    policy.on_failure.as_deref(),
                    "RetryExhausted",
                    None,
                    Some(&error.message),
                )
                .await;
                Next::Done
            }
            Err(_) => {
                source_outcome(p, inv, EventOutcome::Failed);
                Next::RetryAt(attempts, now_ms() + backoff_ms(attempts))
            }
        },
        Err(err @ (ApiError::Throttled(_) | ApiError::Internal { .. })) => {
            if now_ms() - inv.enqueued_ms > MAX_BACKOFF_AGE_MS {
                tracing::warn!(request_id = %inv.request_id, error = %err, "async invocation expired after 5 hours of retries");
                given_up(p, inv, policy.on_failure.as_deref());
                deliver(
                    p,
                    inv,
                    policy.on_failure.as_deref(),
                    "RetryExhausted",
                    None,
                    Some(&err.to_string()),
                )
                .await;
                Next::Done
            } else {
                Next::RetryAt(attempts, now_ms() + backoff_ms(attempts))
            }
        }
        Err(err) => {
            tracing::warn!(request_id = %inv.request_id, error = %err, "async invocation cannot run");
            Next::Done
        }
    }
}

/// Counts `outcome` for an event-source invocation (no-op for others).
fn source_outcome(p: &Invoker, inv: &QueuedInvocation, outcome: EventOutcome) {
    if let Some(origin) = &inv.origin {
        p.metrics
            .prometheus
            .event_sources
            .count(&origin.trigger, outcome, 1);
    }
}

/// An event-source invocation given up on: dead-lettered when the function
/// has an onFailure destination, else dropped by policy.
fn given_up(p: &Invoker, inv: &QueuedInvocation, on_failure: Option<&str>) {
    let outcome = if on_failure.is_some() {
        EventOutcome::DeadLettered
    } else {
        EventOutcome::Dropped
    };
    source_outcome(p, inv, outcome);
}

/// Destination records chain through at most this many deliveries (a function
/// whose onSuccess is itself, or A → B → A): 16, as AWS Lambda stops recursive
/// loops. Each record nests the one before it, so an unbounded chain grows
/// without bound; the count travels in the record's `requestContext`.
pub const MAX_DESTINATION_HOPS: u64 = 16;

/// The hop count of the record that `payload` is, or 0 for any other event.
fn destination_hops(payload: &[u8]) -> u64 {
    // Only records start like this; other events are not parsed.
    if !payload.starts_with(b"{\"timestamp\"") {
        return 0;
    }
    serde_json::from_slice::<Value>(payload)
        .ok()
        .and_then(|record| record["requestContext"]["destinationHops"].as_u64())
        .unwrap_or(0)
}

/// Sends FC's destination record to a destination function as a new async
/// invocation: not when the chain is [`MAX_DESTINATION_HOPS`] long, nor when
/// the record is over FC's async payload limit (both logged and counted).
async fn deliver(
    p: &Invoker,
    inv: &QueuedInvocation,
    destination: Option<&str>,
    condition: &str,
    response: Option<&[u8]>,
    error: Option<&str>,
) {
    let Some((service, qualifier, function)) =
        destination.and_then(crate::control::names::parse_function_arn)
    else {
        return;
    };
    let hops = destination_hops(&inv.payload) + 1;
    if hops > MAX_DESTINATION_HOPS {
        tracing::warn!(request_id = %inv.request_id, hops, "destination not delivered: the chain of destination records is too long (a cycle?)");
        p.metrics
            .prometheus
            .destination_dropped(DestinationDrop::TooManyHops);
        return;
    }
    let function_arn = format!(
        "acs:fc:{}:{}:services/{}.{}/functions/{}",
        p.identity.region, p.identity.account_id, inv.service, inv.qualifier, inv.function
    );
    let record = serde_json::json!({
        "timestamp": crate::control::model::now_timestamp(),
        "requestContext": { "requestId": inv.request_id, "functionArn": function_arn, "condition": condition, "approximateInvokeCount": inv.attempts + 1, "destinationHops": hops },
        "requestPayload": String::from_utf8_lossy(&inv.payload),
        "responseContext": { "statusCode": if error.is_some() { 500 } else { 200 }, "functionError": error.unwrap_or_default() },
        "responsePayload": response.map(|r| String::from_utf8_lossy(r).into_owned()),
    });
    let payload = record.to_string().into_bytes();
    if payload.len() > crate::invoke::MAX_ASYNC_PAYLOAD {
        tracing::warn!(request_id = %inv.request_id, bytes = payload.len(), limit = crate::invoke::MAX_ASYNC_PAYLOAD, "destination not delivered: the record is over the async payload limit");
        p.metrics
            .prometheus
            .destination_dropped(DestinationDrop::TooLarge);
        return;
    }
    let now = now_ms();
    let queued = QueuedInvocation {
        id: 0,
        request_id: uuid::Uuid::new_v4().to_string(),
        service,
        qualifier,
        function,
        payload,
        attempts: 0,
        not_before_ms: now,
        enqueued_ms: now,
        origin: None,
    };
    if let Err(e) = submit(p, vec![queued]).await {
        tracing::error!(request_id = %inv.request_id, error = %e, "cannot enqueue the destination invocation");
    }
}

/// Sends FC's destination record of an event given up on after `attempts`
/// tries (a broker trigger's batch) to the onFailure destination of the
/// function's async config (the qualifier's, else LATEST's). Returns whether
/// the function has such a destination; the record itself is queued like
/// any destination's (a failure to queue it is logged).
pub async fn dead_letter(
    p: &Invoker,
    target: (&str, &str, &str),
    payload: Vec<u8>,
    attempts: u32,
    error: &str,
) -> Result<bool, ApiError> {
    let (service, qualifier, function) = target;
    let now = now_ms();
    let inv = QueuedInvocation {
        id: 0,
        request_id: crate::control::model::new_id(),
        service: service.to_string(),
        qualifier: qualifier.to_string(),
        function: function.to_string(),
        payload,
        attempts: attempts.saturating_sub(1),
        not_before_ms: now,
        enqueued_ms: now,
        origin: None,
    };
    let policy = policy(p, &inv).await?;
    let Some(on_failure) = policy.on_failure else {
        return Ok(false);
    };
    deliver(
        p,
        &inv,
        Some(&on_failure),
        "RetryExhausted",
        None,
        Some(error),
    )
    .await;
    Ok(true)
}

/// FC's binary exponential backoff: 0.5 s, 1 s, 2 s, ... capped at 5 minutes.
fn backoff_ms(attempt: u32) -> i64 {
    (500i64 << attempt.saturating_sub(1).min(20)).min(300_000)
}
