//! Async invocations: accepted requests wait in the store's durable queue and
//! workers run them with FC's retry rules (fc-api.md §8.1). A worker leases an
//! invocation before running it (by pushing its due time past the function's
//! timeout), so a crash mid-run means a retry after restart, never a loss.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::error::ApiError;
use crate::platform::Platform;
use serde_json::Value;

use crate::store::{Kind, QueuedInvocation, StoreError};

/// Retries after a function error by default (FC: 3; `maxAsyncRetryAttempts` 0-8).
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Events older than this are dropped (or sent to onFailure) by default: one day.
pub const DEFAULT_MAX_AGE_SECS: i64 = 86_400;
/// Throttled or system errors retry with backoff for up to 5 hours.
const MAX_BACKOFF_AGE_MS: i64 = 5 * 3600 * 1000;
/// Invocations run at once by the workers. 8 keeps a 2-core host responsive.
const CONCURRENCY: usize = 8;
/// How long a claimed invocation is leased to its worker: 25 h, longer than any
/// function timeout (FC's maximum is 86,400 s), so a long run is never claimed twice.
/// A crash never waits for a lease: start-up makes every queued invocation due.
const LEASE_MS: i64 = 25 * 3600 * 1000;

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

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

fn leased(mut invocations: Vec<QueuedInvocation>) -> Vec<QueuedInvocation> {
    let lease = now_ms() + LEASE_MS;
    for inv in &mut invocations {
        inv.not_before_ms = lease;
    }
    invocations
}

/// Durably accepts invocations (one transaction) and hands them straight to the
/// workers, leased, so they start without polling. After a crash, start-up makes
/// them due again: accepted means never lost.
pub fn submit(p: &Platform, invocations: Vec<QueuedInvocation>) -> Result<(), StoreError> {
    let invocations = leased(invocations);
    let ids = p.store.enqueue_many(&invocations)?;
    for (mut invocation, id) in invocations.into_iter().zip(ids) {
        invocation.id = id;
        // Closed only at shutdown; the row stays queued for the next start.
        let _ = p.handoff.send(Handoff {
            invocation,
            stored: StoredId::Known(id),
        });
    }
    Ok(())
}

/// Hands invocations to the workers at once and commits their rows meanwhile
/// (timer fires: the commit's fsync would otherwise be most of a fire's lag). A
/// worker records the outcome only after the commit. A crash before the commit
/// loses those fires, as if they fell in the downtime (timers do not backfill);
/// a crash after it runs them again at start-up.
pub fn submit_eagerly(p: &Arc<Platform>, invocations: Vec<QueuedInvocation>) {
    let invocations = leased(invocations);
    let mut committed = Vec::with_capacity(invocations.len());
    for invocation in &invocations {
        let (tx, rx) = tokio::sync::oneshot::channel();
        committed.push(tx);
        let _ = p.handoff.send(Handoff {
            invocation: invocation.clone(),
            stored: StoredId::Pending(rx),
        });
    }
    let p = p.clone();
    tokio::task::spawn_blocking(move || match p.store.enqueue_many(&invocations) {
        Ok(ids) => {
            for (tx, id) in committed.into_iter().zip(ids) {
                let _ = tx.send(id);
            }
        }
        Err(e) => {
            tracing::error!(error = %e, count = invocations.len(), "cannot store async invocations; they run once, without retries");
        }
    });
}

/// Runs the queue until `shutdown` resolves; in-flight invocations finish first.
pub async fn run_workers(p: Arc<Platform>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let slots = Slots {
        running: Arc::new(tokio::sync::Semaphore::new(CONCURRENCY)),
        recording: Arc::new(tokio::sync::Semaphore::new(MAX_RECORDING)),
    };
    let Some(mut handoff) = p.take_handoff() else {
        tracing::error!("the async workers already run");
        return;
    };
    loop {
        if *shutdown.borrow() {
            break;
        }
        while let Ok(handoff) = handoff.try_recv() {
            start(&p, &slots, handoff).await;
        }
        let free = slots.running.available_permits();
        // Lease: nobody else picks them up while they run.
        let lease = now_ms() + LEASE_MS;
        let due = if free == 0 {
            Vec::new()
        } else {
            p.store.claim(now_ms(), free, lease).unwrap_or_default()
        };
        if due.is_empty() {
            tokio::select! {
                Some(handoff) = handoff.recv() => start(&p, &slots, handoff).await,
                _ = p.queue_wakeup.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        for invocation in due {
            let stored = StoredId::Known(invocation.id);
            start(&p, &slots, Handoff { invocation, stored }).await;
        }
    }
    // Drain: wait for running invocations to finish and their outcomes to be stored.
    let _ = slots.running.acquire_many(CONCURRENCY as u32).await;
    let _ = slots.recording.acquire_many(MAX_RECORDING as u32).await;
}

/// Outcomes being written after their invocation finished, at most this many at once.
const MAX_RECORDING: usize = 1024;

/// The workers' slots: invocations running, and finished ones whose outcome is
/// still being written. Shutdown drains both.
#[derive(Clone)]
struct Slots {
    running: Arc<tokio::sync::Semaphore>,
    recording: Arc<tokio::sync::Semaphore>,
}

/// Runs one leased invocation when a worker slot is free.
async fn start(p: &Arc<Platform>, slots: &Slots, handoff: Handoff) {
    let Ok(permit) = slots.running.clone().acquire_owned().await else {
        return;
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
            return;
        };
        let store = p.store.clone();
        let _ = tokio::task::spawn_blocking(move || match next {
            Next::Done => store.complete(id),
            Next::RetryAt(attempts, at) => store.reschedule(id, attempts, at),
        })
        .await;
    });
}

/// The function's async config, or FC's defaults.
struct Policy {
    max_retries: u32,
    max_age_ms: i64,
    on_success: Option<String>,
    on_failure: Option<String>,
}

fn policy(p: &Platform, inv: &QueuedInvocation) -> Policy {
    let scope = format!("{}/{}", inv.service, inv.function);
    let config = p
        .store
        .get(Kind::AsyncConfig, &scope, &inv.qualifier)
        .ok()
        .flatten()
        .or_else(|| {
            p.store
                .get(Kind::AsyncConfig, &scope, "LATEST")
                .ok()
                .flatten()
        })
        .unwrap_or(Value::Null);
    let destination = |which: &str| {
        config["destinationConfig"][which]["destination"]
            .as_str()
            .map(str::to_string)
    };
    Policy {
        max_retries: config["maxAsyncRetryAttempts"]
            .as_u64()
            .map(|n| n as u32)
            .unwrap_or(DEFAULT_MAX_RETRIES),
        max_age_ms: config["maxAsyncEventAgeInSeconds"]
            .as_i64()
            .unwrap_or(DEFAULT_MAX_AGE_SECS)
            * 1000,
        on_success: destination("onSuccess"),
        on_failure: destination("onFailure"),
    }
}

/// What happens to a queued invocation after an attempt.
enum Next {
    Done,
    RetryAt(u32, i64),
}

/// One attempt at a queued invocation. A timer fire keeps its trigger's name
/// through its retries (for metrics and logs) and records its lag on the first.
async fn attempt(p: &Platform, inv: &QueuedInvocation) -> Next {
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
        None => crate::observe::ASYNC_INVOKE.to_string(),
    };
    let next = attempt_as(p, inv, &trigger).await;
    if matches!(next, Next::Done) {
        p.timer_fires_pending.remove(&inv.request_id);
    }
    next
}

/// How late a timer fire started, from its scheduled second.
fn record_timer_lag(p: &Platform, scheduled_ms: i64) {
    let now_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0);
    let lag_us = (now_us - scheduled_ms * 1000).max(0) as u64;
    p.metrics.timer_lag(Duration::from_micros(lag_us));
}

/// One attempt, with FC's retry rules and destinations; `trigger` labels it.
async fn attempt_as(p: &Platform, inv: &QueuedInvocation, trigger: &str) -> Next {
    let policy = policy(p, inv);
    if now_ms() - inv.enqueued_ms > policy.max_age_ms {
        tracing::warn!(request_id = %inv.request_id, "async invocation is older than maxAsyncEventAgeInSeconds; dropped");
        deliver(
            p,
            inv,
            policy.on_failure.as_deref(),
            "EventMaxAgeExceeded",
            None,
            Some("the event expired before it could run"),
        );
        return Next::Done;
    }
    let resolved = match p.resolve(&inv.service, Some(&inv.qualifier), &inv.function) {
        Ok(resolved) => resolved,
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
    )
    .await;
    let attempts = inv.attempts + 1;
    match result {
        Ok(outcome) => match outcome.result {
            Ok(body) => {
                deliver(
                    p,
                    inv,
                    policy.on_success.as_deref(),
                    "Success",
                    Some(&body),
                    None,
                );
                Next::Done
            }
            Err(error) if attempts > policy.max_retries => {
                tracing::warn!(request_id = %inv.request_id, error = %error.message, attempts, "async invocation failed for good");
                deliver(
                    p,
                    inv,
                    policy.on_failure.as_deref(),
                    "RetryExhausted",
                    None,
                    Some(&error.message),
                );
                Next::Done
            }
            Err(_) => Next::RetryAt(attempts, now_ms() + backoff_ms(attempts)),
        },
        Err(err @ (ApiError::Throttled(_) | ApiError::Internal(_))) => {
            if now_ms() - inv.enqueued_ms > MAX_BACKOFF_AGE_MS {
                tracing::warn!(request_id = %inv.request_id, error = %err, "async invocation expired after 5 hours of retries");
                deliver(
                    p,
                    inv,
                    policy.on_failure.as_deref(),
                    "RetryExhausted",
                    None,
                    Some(&err.to_string()),
                );
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

/// Sends FC's destination record to a destination function as a new async invocation.
fn deliver(
    p: &Platform,
    inv: &QueuedInvocation,
    destination: Option<&str>,
    condition: &str,
    response: Option<&[u8]>,
    error: Option<&str>,
) {
    let Some((service, qualifier, function)) =
        destination.and_then(crate::routes::async_config::parse_function_arn)
    else {
        return;
    };
    let function_arn = format!(
        "acs:fc:{}:{}:services/{}.{}/functions/{}",
        p.identity.region, p.identity.account_id, inv.service, inv.qualifier, inv.function
    );
    let record = serde_json::json!({
        "timestamp": crate::model::now_timestamp(),
        "requestContext": { "requestId": inv.request_id, "functionArn": function_arn, "condition": condition, "approximateInvokeCount": inv.attempts + 1 },
        "requestPayload": String::from_utf8_lossy(&inv.payload),
        "responseContext": { "statusCode": if error.is_some() { 500 } else { 200 }, "functionError": error.unwrap_or_default() },
        "responsePayload": response.map(|r| String::from_utf8_lossy(r).into_owned()),
    });
    let now = now_ms();
    let queued = QueuedInvocation {
        id: 0,
        request_id: uuid::Uuid::new_v4().to_string(),
        service,
        qualifier,
        function,
        payload: record.to_string().into_bytes(),
        attempts: 0,
        not_before_ms: now,
        enqueued_ms: now,
    };
    if let Err(e) = submit(p, vec![queued]) {
        tracing::error!(request_id = %inv.request_id, error = %e, "cannot enqueue the destination invocation");
    }
}

/// FC's binary exponential backoff: 0.5 s, 1 s, 2 s, ... capped at 5 minutes.
fn backoff_ms(attempt: u32) -> i64 {
    (500i64 << attempt.saturating_sub(1).min(20)).min(300_000)
}
