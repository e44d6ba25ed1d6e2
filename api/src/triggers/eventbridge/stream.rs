//! One broker trigger's event stream on this node: connect, take messages
//! into batches, invoke the function, and acknowledge to the broker only what
//! is done with.
//!
//! - **Batches.** In `event-streaming` mode a batch closes at
//!   `CountBasedWindow` events, after `TimeBasedWindow` from its first event,
//!   or at [`MAX_BATCH_BYTES`] of bodies; in `event-driven` mode it is one
//!   event. One batch per trigger per node is in flight at a time, so a
//!   queue's messages reach the function in order.
//! - **Acknowledgement.** A batch is acknowledged once its invocation
//!   succeeded (or, with `asyncInvocationType`, once it is stored in the
//!   durable queue), or once it was dead-lettered or dropped by policy. A
//!   crash, a stop or a lost connection leaves it unacknowledged, and the
//!   broker delivers it again.
//! - **Retries** follow `retryStrategy`; a batch whose retries or
//!   `MaximumEventAgeInSeconds` are spent goes to the dead-letter queue, else
//!   to the function's onFailure destination; with neither, `errorsTolerance:
//!   ALL` drops it and goes on, `NONE` stops the stream there (nothing lost:
//!   it stays in the broker until the trigger changes or the node restarts).
//! - **Backpressure.** While the function is throttled the batch waits and
//!   is tried again without using up a retry; the broker's prefetch (or
//!   MQTT's in-flight window) bounds what waits in memory.
//! - **Reconnects.** A refused or lost connection is logged, counted
//!   (`wasm_fc_event_source_reconnects_total`) and retried after a backoff of
//!   0.5 s doubling to [`MAX_RECONNECT_BACKOFF`], with jitter.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;

use super::config::{DeadLetter, EventBridgeConfig, Mode};
use super::envelope::{self, Bus, Event};
use crate::control::error::ApiError;
use crate::invoke::metrics::event_sources::EventOutcome;
use crate::triggers::TriggerKey;
use crate::triggers::platform::Platform;
use crate::triggers::sources::{self, Delivery};

/// A batch closes once its bodies reach this many bytes: 6 MB, FC's
/// synchronous invocation payload limit.
pub const MAX_BATCH_BYTES: usize = 6 << 20;
/// The longest wait between reconnects: 30 s.
pub const MAX_RECONNECT_BACKOFF: Duration = Duration::from_secs(30);
/// How long a throttled batch waits before it is tried again: 200 ms.
const THROTTLED_WAIT: Duration = Duration::from_millis(200);

/// Why a broker connection failed or ended.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SourceError(pub String);

impl SourceError {
    pub fn of(context: &str, error: impl std::fmt::Display) -> Self {
        Self(format!("{context}: {error}"))
    }
}

/// A message taken from the broker: its event, and what the broker needs to
/// acknowledge or dead-letter it.
#[derive(Debug)]
pub struct Received<T> {
    pub event: Event,
    pub body_len: usize,
    pub token: T,
}

/// A connected consumer of one queue or topic filter.
pub trait Source: Send {
    type Token: Send;

    /// The next message; an error means the connection is gone.
    fn next(&mut self) -> impl Future<Output = Result<Received<Self::Token>, SourceError>> + Send;

    /// Acknowledges `tokens`, the oldest messages not yet acknowledged, in order.
    fn ack(
        &mut self,
        tokens: &[Self::Token],
    ) -> impl Future<Output = Result<(), SourceError>> + Send;

    /// Puts the messages into the broker queue `dlq` as they came, confirmed
    /// by the broker before this returns.
    fn dead_letter(
        &mut self,
        dlq: &DeadLetter,
        tokens: &[Self::Token],
    ) -> impl Future<Output = Result<(), SourceError>> + Send;
}

/// Opens a [`Source`].
pub trait Connector: Send + Sync {
    type Source: Source;

    /// Where the broker is, for logs (never with a password).
    fn describe(&self) -> String;

    fn connect(&self) -> impl Future<Output = Result<Self::Source, SourceError>> + Send;
}

/// One trigger's stream.
#[derive(Debug, Clone)]
pub struct Stream {
    pub platform: Arc<Platform>,
    pub key: TriggerKey,
    pub qualifier: String,
    pub config: EventBridgeConfig,
    /// `aliyuneventbusname`.
    pub bus_name: String,
    /// `aliyunpublishaddr`: the broker's host.
    pub publish_addr: String,
}

/// How consuming over one connection ended.
enum Ended {
    Stopped,
    Lost(SourceError),
    Blocked,
}

/// What to do with a batch after its invocation(s).
enum Verdict {
    Ack,
    DeadLetter(DeadLetter),
    Stopped,
    Blocked,
}

/// The wait before reconnect `n` (1-based): 0.5 s doubling, capped, ±25 %.
fn reconnect_backoff(n: u32) -> Duration {
    let base = Duration::from_millis(500).saturating_mul(1 << n.saturating_sub(1).min(8));
    base.min(MAX_RECONNECT_BACKOFF)
        .mul_f64(0.75 + fastrand::f64() * 0.5)
}

/// Sleeps `wait`; false if `stop` came first.
async fn sleep_unless_stopped(wait: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    if *stop.borrow() {
        return false;
    }
    tokio::select! {
        _ = tokio::time::sleep(wait) => true,
        _ = stop.changed() => false,
    }
}

/// Runs `stream` until `stop` turns true: connects, consumes, and
/// reconnects after losses.
pub async fn run<C: Connector>(stream: Stream, connector: C, mut stop: watch::Receiver<bool>) {
    let path = stream.key.path();
    let metrics = stream.platform.metrics.prometheus.event_sources.clone();
    let broker = connector.describe();
    let mut failures = 0u32;
    loop {
        if *stop.borrow() {
            break;
        }
        let connected = tokio::select! {
            c = connector.connect() => c,
            _ = stop.changed() => break,
        };
        let ended = match connected {
            Ok(mut source) => {
                metrics.set_connected(&path, true);
                if failures > 0 {
                    tracing::info!(trigger = %path, %broker, "reconnected to the broker");
                } else {
                    tracing::info!(trigger = %path, %broker, "consuming from the broker");
                }
                failures = 0;
                consume(&stream, &mut source, &mut stop).await
            }
            Err(e) => Ended::Lost(e),
        };
        metrics.set_connected(&path, false);
        match ended {
            Ended::Stopped => break,
            Ended::Blocked => {
                tracing::error!(trigger = %path, "the stream stopped at a batch whose retries are spent (errorsTolerance NONE, no dead-letter queue); it stays in the broker until the trigger is updated or the node restarts");
                let _ = stop.wait_for(|stopped| *stopped).await;
                break;
            }
            Ended::Lost(e) => {
                failures = failures.saturating_add(1);
                metrics.reconnecting(&path);
                let wait = reconnect_backoff(failures);
                tracing::warn!(trigger = %path, %broker, error = %e, retry_in_ms = wait.as_millis() as u64, "broker connection failed; reconnecting");
                if !sleep_unless_stopped(wait, &mut stop).await {
                    break;
                }
            }
        }
    }
}

/// Consumes over one connection until it is lost, the stream stops or blocks.
async fn consume<S: Source>(
    stream: &Stream,
    source: &mut S,
    stop: &mut watch::Receiver<bool>,
) -> Ended {
    let config = &stream.config;
    let limit = match config.mode {
        Mode::Streaming => config.batch_count,
        Mode::Driven => 1,
    };
    loop {
        let first = tokio::select! {
            m = source.next() => m,
            _ = stop.changed() => return Ended::Stopped,
        };
        let first = match first {
            Ok(m) => m,
            Err(e) => return Ended::Lost(e),
        };
        let mut bytes = first.body_len;
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + config.batch_window;
        while batch.len() < limit && bytes < MAX_BATCH_BYTES {
            let next = tokio::select! {
                m = tokio::time::timeout_at(deadline, source.next()) => m,
                _ = stop.changed() => return Ended::Stopped,
            };
            match next {
                Ok(Ok(m)) => {
                    bytes += m.body_len;
                    batch.push(m);
                }
                Ok(Err(e)) => return Ended::Lost(e),
                Err(_) => break,
            }
        }
        let events: Vec<Event> = batch.iter().map(|m| m.event.clone()).collect();
        let tokens: Vec<S::Token> = batch.into_iter().map(|m| m.token).collect();
        let verdict = handle(stream, &events, stop).await;
        let done = match verdict {
            Verdict::Ack => source.ack(&tokens).await,
            Verdict::DeadLetter(dlq) => match source.dead_letter(&dlq, &tokens).await {
                Ok(()) => {
                    count(stream, EventOutcome::DeadLettered, events.len());
                    source.ack(&tokens).await
                }
                Err(e) => Err(e),
            },
            Verdict::Stopped => return Ended::Stopped,
            Verdict::Blocked => {
                count(stream, EventOutcome::Blocked, events.len());
                return Ended::Blocked;
            }
        };
        if let Err(e) = done {
            return Ended::Lost(e);
        }
    }
}

fn count(stream: &Stream, outcome: EventOutcome, n: usize) {
    stream
        .platform
        .metrics
        .prometheus
        .event_sources
        .count(&stream.key.path(), outcome, n as u64);
}

/// Invokes the function with a batch until it succeeds or its retries are
/// spent, and says what becomes of the batch.
async fn handle(stream: &Stream, events: &[Event], stop: &mut watch::Receiver<bool>) -> Verdict {
    let p = &stream.platform;
    let config = &stream.config;
    let path = stream.key.path();
    let bus = Bus {
        account_id: &p.identity.account_id,
        region: &p.identity.region,
        name: &stream.bus_name,
        publish_addr: &stream.publish_addr,
    };
    let payload = envelope::payload(events, &bus, config.schema, config.mode);
    let oldest_ms = events
        .iter()
        .map(|e| e.time_ms)
        .min()
        .unwrap_or_else(envelope::now_ms);
    if config.async_invocation {
        // The event-source core counts what it queues (seen, queued).
        return queue_async(stream, payload, oldest_ms, stop).await;
    }
    count(stream, EventOutcome::Seen, events.len());
    let now = envelope::now_ms();
    for e in events {
        let lag = Duration::from_millis((now - e.time_ms).max(0) as u64);
        p.metrics.prometheus.event_sources.lag(&path, lag);
    }
    let mut attempts = 0u32;
    let mut throttled_since: Option<std::time::Instant> = None;
    loop {
        let request_id = crate::control::model::new_id();
        let error = match invoke(stream, &payload, &request_id, attempts).await {
            Ok(()) => {
                count(stream, EventOutcome::Delivered, events.len());
                return Verdict::Ack;
            }
            Err(Failure::Throttled) => {
                if throttled_since.is_none() {
                    tracing::info!(trigger = %path, "the function is throttled; the stream waits (messages stay in the broker)");
                    throttled_since = Some(std::time::Instant::now());
                }
                if !sleep_unless_stopped(THROTTLED_WAIT, stop).await {
                    return Verdict::Stopped;
                }
                continue;
            }
            Err(Failure::Failed(error)) => error,
        };
        throttled_since = None;
        count(stream, EventOutcome::Failed, events.len());
        attempts += 1;
        let age = Duration::from_millis((envelope::now_ms() - oldest_ms).max(0) as u64);
        if attempts > config.retry.max_attempts || age > config.retry.max_event_age {
            tracing::warn!(trigger = %path, attempts, error = %error, events = events.len(), "a batch failed for good");
            return spent(stream, payload, (attempts, events.len()), &error, stop).await;
        }
        let wait = config.retry.delay(attempts, fastrand::f64());
        tracing::info!(trigger = %path, attempt = attempts, error = %error, retry_in_ms = wait.as_millis() as u64, "a batch failed; retrying");
        if !sleep_unless_stopped(wait, stop).await {
            return Verdict::Stopped;
        }
    }
}

/// A batch whose retries are spent: the dead-letter queue, else the
/// function's onFailure destination, else dropped or blocked.
/// `tries` is (invocations made, events in the batch).
async fn spent(
    stream: &Stream,
    payload: Vec<u8>,
    tries: (u32, usize),
    error: &str,
    stop: &mut watch::Receiver<bool>,
) -> Verdict {
    let (attempts, events) = tries;
    let config = &stream.config;
    if let DeadLetter::RabbitMq { .. } = &config.dead_letter {
        return Verdict::DeadLetter(config.dead_letter.clone());
    }
    let p = &stream.platform;
    let key = &stream.key;
    let mut failures = 0u32;
    let dead_lettered = loop {
        match crate::invoke::queue::dead_letter(
            &p.invoker,
            (&key.service, &stream.qualifier, &key.function),
            payload.clone(),
            attempts,
            error,
        )
        .await
        {
            Ok(done) => break done,
            Err(e) => {
                // Unknown whether a destination exists: the batch stays in the
                // broker while the store is asked again.
                failures = failures.saturating_add(1);
                tracing::warn!(trigger = %key.path(), error = %e.chain(), "cannot read the function's async config to dead-letter a batch; trying again");
                if !sleep_unless_stopped(reconnect_backoff(failures), stop).await {
                    return Verdict::Stopped;
                }
            }
        }
    };
    if dead_lettered {
        count(stream, EventOutcome::DeadLettered, events);
        Verdict::Ack
    } else if config.tolerate_errors {
        count(stream, EventOutcome::Dropped, events);
        Verdict::Ack
    } else {
        Verdict::Blocked
    }
}

/// Why an invocation did not succeed.
enum Failure {
    Throttled,
    Failed(String),
}

/// One synchronous invocation of the trigger's function with `payload`.
async fn invoke(
    stream: &Stream,
    payload: &[u8],
    request_id: &str,
    attempts: u32,
) -> Result<(), Failure> {
    let p = &stream.platform;
    let key = &stream.key;
    let resolved = p
        .resolve(&key.service, Some(&stream.qualifier), &key.function)
        .await
        .map_err(|e| Failure::Failed(e.to_string()))?;
    match crate::invoke::run(
        &p.invoker,
        &resolved,
        &key.trigger,
        Bytes::copy_from_slice(payload),
        request_id,
        attempts,
        None,
    )
    .await
    {
        Ok(outcome) => outcome
            .result
            .map(|_| ())
            .map_err(|e| Failure::Failed(e.message)),
        Err(ApiError::Throttled(_)) => Err(Failure::Throttled),
        Err(e) => Err(Failure::Failed(e.to_string())),
    }
}

/// `asyncInvocationType: true`: the batch goes into the durable async queue
/// (FC's async retries and destinations then apply) and is acknowledged
/// once stored. A store failure is retried; nothing is acknowledged first.
async fn queue_async(
    stream: &Stream,
    payload: Vec<u8>,
    event_ms: i64,
    stop: &mut watch::Receiver<bool>,
) -> Verdict {
    let mut failures = 0u32;
    loop {
        let delivery = Delivery {
            trigger: stream.key.clone(),
            qualifier: stream.qualifier.clone(),
            enabled: true,
            payload: payload.clone(),
            event_ms,
            caused_at_depth: None,
        };
        match sources::deliver(&stream.platform, vec![delivery]).await {
            Ok(()) => return Verdict::Ack,
            Err(e) => {
                failures = failures.saturating_add(1);
                tracing::warn!(trigger = %stream.key.path(), error = %e, "cannot queue a batch; retrying (it stays in the broker)");
                if !sleep_unless_stopped(reconnect_backoff(failures), stop).await {
                    return Verdict::Stopped;
                }
            }
        }
    }
}
