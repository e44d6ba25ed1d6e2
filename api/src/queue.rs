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

/// Durably accepts invocations (one transaction) and hands them straight to the
/// workers, leased, so they start without polling. After a crash, start-up makes
/// them due again: accepted means never lost.
pub fn submit(p: &Platform, mut invocations: Vec<QueuedInvocation>) -> Result<(), StoreError> {
    let lease = now_ms() + LEASE_MS;
    for inv in &mut invocations {
        inv.not_before_ms = lease;
    }
    let ids = p.store.enqueue_many(&invocations)?;
    for (mut inv, id) in invocations.into_iter().zip(ids) {
        inv.id = id;
        let _ = p.handoff.send(inv); // closed only at shutdown; the row stays queued
    }
    Ok(())
}

/// Runs the queue until `shutdown` resolves; in-flight invocations finish first.
pub async fn run_workers(p: Arc<Platform>, mut shutdown: tokio::sync::watch::Receiver<bool>) {
    let permits = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let Some(mut handoff) = p.take_handoff() else {
        tracing::error!("the async workers already run");
        return;
    };
    loop {
        if *shutdown.borrow() {
            break;
        }
        while let Ok(invocation) = handoff.try_recv() {
            start(&p, &permits, invocation).await;
        }
        let free = permits.available_permits();
        // Lease: nobody else picks them up while they run.
        let lease = now_ms() + LEASE_MS;
        let due = if free == 0 {
            Vec::new()
        } else {
            p.store.claim(now_ms(), free, lease).unwrap_or_default()
        };
        if due.is_empty() {
            tokio::select! {
                Some(invocation) = handoff.recv() => start(&p, &permits, invocation).await,
                _ = p.queue_wakeup.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = shutdown.changed() => {}
            }
            continue;
        }
        for invocation in due {
            start(&p, &permits, invocation).await;
        }
    }
    // Drain: wait for running invocations to finish.
    let _ = permits.acquire_many(CONCURRENCY as u32).await;
}

/// Runs one leased invocation when a worker slot is free.
async fn start(p: &Arc<Platform>, permits: &Arc<tokio::sync::Semaphore>, inv: QueuedInvocation) {
    let Ok(permit) = permits.clone().acquire_owned().await else {
        return;
    };
    let p = p.clone();
    tokio::spawn(async move {
        process(&p, inv).await;
        drop(permit);
        // A free worker slot: look for more work at once.
        p.queue_wakeup.notify_one();
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

async fn process(p: &Platform, inv: QueuedInvocation) {
    if let Some((_, scheduled_ms)) = p.timer_fires_pending.remove(&inv.request_id) {
        let now_us = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        let lag_us = (now_us - scheduled_ms * 1000).max(0) as u64;
        p.metrics.timers.record_lag(Duration::from_micros(lag_us));
    }
    let policy = policy(p, &inv);
    if now_ms() - inv.enqueued_ms > policy.max_age_ms {
        tracing::warn!(request_id = %inv.request_id, "async invocation is older than maxAsyncEventAgeInSeconds; dropped");
        deliver(
            p,
            &inv,
            policy.on_failure.as_deref(),
            "EventMaxAgeExceeded",
            None,
            Some("the event expired before it could run"),
        );
        let _ = p.store.complete(inv.id);
        return;
    }
    let resolved = match p.resolve(&inv.service, Some(&inv.qualifier), &inv.function) {
        Ok(resolved) => resolved,
        Err(err) => {
            tracing::warn!(request_id = %inv.request_id, error = %err, "dropping async invocation of a function that no longer exists");
            let _ = p.store.complete(inv.id);
            return;
        }
    };
    let result = crate::invoke::run(
        p,
        &resolved,
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
                    &inv,
                    policy.on_success.as_deref(),
                    "Success",
                    Some(&body),
                    None,
                );
                let _ = p.store.complete(inv.id);
            }
            Err(error) if attempts > policy.max_retries => {
                tracing::warn!(request_id = %inv.request_id, error = %error.message, attempts, "async invocation failed for good");
                deliver(
                    p,
                    &inv,
                    policy.on_failure.as_deref(),
                    "RetryExhausted",
                    None,
                    Some(&error.message),
                );
                let _ = p.store.complete(inv.id);
            }
            Err(_) => {
                let _ = p
                    .store
                    .reschedule(inv.id, attempts, now_ms() + backoff_ms(attempts));
            }
        },
        Err(err @ (ApiError::Throttled(_) | ApiError::Internal(_))) => {
            if now_ms() - inv.enqueued_ms > MAX_BACKOFF_AGE_MS {
                tracing::warn!(request_id = %inv.request_id, error = %err, "async invocation expired after 5 hours of retries");
                deliver(
                    p,
                    &inv,
                    policy.on_failure.as_deref(),
                    "RetryExhausted",
                    None,
                    Some(&err.to_string()),
                );
                let _ = p.store.complete(inv.id);
            } else {
                let _ = p
                    .store
                    .reschedule(inv.id, attempts, now_ms() + backoff_ms(attempts));
            }
        }
        Err(err) => {
            tracing::warn!(request_id = %inv.request_id, error = %err, "async invocation cannot run");
            let _ = p.store.complete(inv.id);
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
