//! One Log trigger's job: every `triggerInterval`, for each shard of the
//! source logstore, invoke the function once per new range, retry a failure
//! up to `maxRetryTime` times, record each execution in the trigger's
//! `logConfig` logstore, and move the shard's checkpoint past the range once
//! it succeeded or its retries ran out.
//!
//! Checkpoints are cursors in the store (`log/{service}/{function}/{trigger}/
//! {shard}`), leased by one node at a time, so a restart resumes where the
//! last completed range ended and two nodes never run the same shard. A new
//! trigger starts at the end of each shard (new entries only), or, with
//! `sourceConfig.startTime`, at the oldest kept entry from that time on.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use tokio::sync::watch;

use super::config::LogTriggerConfig;
use super::event::{self, Range};
use crate::control::error::ApiError;
use crate::control::logstores::cursor;
use crate::control::store::StoreError;
use crate::control::store::logs::{NewEntry, ShardHead, StoredEntry};
use crate::invoke::metrics::event_sources::EventOutcome;
use crate::invoke::queue::now_ms;
use crate::triggers::TriggerKey;
use crate::triggers::platform::Platform;
use crate::triggers::sources::{self, InvokeFailure};

/// How long a node's hold on a shard lasts past its last renewal: the
/// trigger's interval twice, plus 10 minutes for a slow invocation. (A
/// node that stops heartbeating loses it sooner: see `claim_cursor`.)
const LEASE_EXTRA_MS: i64 = 600_000;
/// The first wait before a retry: 1 s, doubling up to [`MAX_RETRY_WAIT`].
const FIRST_RETRY_WAIT: Duration = Duration::from_secs(1);
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);
/// How long a throttled invocation waits before trying again (not a retry): 200 ms.
const THROTTLED_WAIT: Duration = Duration::from_millis(200);

/// A running Log trigger.
#[derive(Debug, Clone)]
pub struct Job {
    pub platform: Arc<Platform>,
    pub key: TriggerKey,
    pub qualifier: String,
    /// The sourceArn's project.
    pub project: String,
    pub config: LogTriggerConfig,
}

/// The checkpoint names of a trigger start with this.
pub fn cursor_prefix(key: &TriggerKey) -> String {
    format!("log/{}/", key.path())
}

/// How a range ended.
enum Handled {
    Done,
    /// The shard's lease went to another node, or the job is stopping.
    Stopped,
}

impl Job {
    /// FC's `jobName`: 40 hex digits, stable per trigger.
    fn job_name(&self) -> String {
        use sha2::Digest as _;
        hex::encode(&sha2::Sha256::digest(self.key.path().as_bytes())[..20])
    }

    fn lease_until(&self, now: i64) -> i64 {
        now + (self.config.trigger_interval as i64) * 2000 + LEASE_EXTRA_MS
    }

    /// Runs until `stop`: one pass at once, then one per interval.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let path = self.key.path();
        let interval = Duration::from_secs(self.config.trigger_interval);
        loop {
            if let Err(e) = self.pass(&mut stop).await {
                tracing::warn!(trigger = %path, error = %e.chain(), "Log trigger pass failed; trying again next interval");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    /// One pass over every shard.
    async fn pass(&self, stop: &mut watch::Receiver<bool>) -> Result<(), ApiError> {
        let store = &self.platform.store;
        crate::control::logstores::ensure(
            store,
            &self.project,
            &self.config.logstore,
            "a Log trigger's source",
        )
        .await?;
        if let Some((p, l)) = &self.config.log_target {
            crate::control::logstores::ensure(store, p, l, "a Log trigger's logConfig").await?;
        }
        let (project, logstore) = (self.project.clone(), self.config.logstore.clone());
        let heads = store
            .logs(move |b| b.shard_heads(&project, &logstore))
            .await?;
        for head in heads {
            if *stop.borrow() {
                break;
            }
            self.shard(head, stop).await?;
        }
        Ok(())
    }

    /// Claims the shard's checkpoint and delivers every new range.
    async fn shard(
        &self,
        head: ShardHead,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<(), ApiError> {
        let name = format!("{}{}", cursor_prefix(&self.key), head.shard);
        let Some(position) = self.claim(&name).await? else {
            return Ok(()); // another node runs this shard
        };
        let mut from = if position.is_empty() {
            let start = if self.config.start_time.is_some() {
                head.begin
            } else {
                head.end
            };
            self.advance(&name, start).await?;
            start
        } else {
            cursor::decode(&position, "checkpoint")?
        };
        if from < head.begin {
            tracing::warn!(trigger = %self.key.path(), shard = head.shard, lost = head.begin - from, "entries past the checkpoint were removed by the logstore's retention before they were delivered");
            from = head.begin;
        }
        while from < head.end {
            if *stop.borrow() {
                return Ok(());
            }
            let (project, logstore, shard, end) = (
                self.project.clone(),
                self.config.logstore.clone(),
                head.shard,
                head.end,
            );
            let entries = self
                .platform
                .store
                .logs(move |b| {
                    b.read_logs(&project, &logstore, shard, from, end, event::MAX_ENTRIES)
                })
                .await?;
            let n = event::fitting(&entries);
            let to = if n < entries.len() {
                entries[n].seq
            } else if entries.len() < event::MAX_ENTRIES {
                head.end
            } else {
                entries[n - 1].seq + 1
            };
            let since = self.config.start_time.map_or(i64::MIN, |s| s * 1000);
            let wanted: Vec<StoredEntry> = entries
                .into_iter()
                .take(n)
                .filter(|e| e.time_ms >= since)
                .collect();
            if !wanted.is_empty()
                && let Handled::Stopped = self
                    .deliver(&name, head.shard, from, to, &wanted, stop)
                    .await?
            {
                return Ok(());
            }
            if !self.advance(&name, to).await? {
                return Ok(()); // another node took the shard over
            }
            from = to;
        }
        Ok(())
    }

    async fn claim(&self, name: &str) -> Result<Option<String>, StoreError> {
        let (name, owner) = (name.to_string(), self.platform.invoker.node_id.clone());
        let now = now_ms();
        let until = self.lease_until(now);
        self.platform
            .store
            .logs(move |b| b.claim_cursor(&name, &owner, now, until))
            .await
    }

    async fn advance(&self, name: &str, to: i64) -> Result<bool, StoreError> {
        let (name, owner) = (name.to_string(), self.platform.invoker.node_id.clone());
        self.platform
            .store
            .logs(move |b| b.advance_cursor(&name, &owner, &cursor::encode(to)))
            .await
    }

    /// Invokes the function with one range, retrying up to `maxRetryTime`.
    async fn deliver(
        &self,
        name: &str,
        shard: u32,
        begin: i64,
        end: i64,
        entries: &[StoredEntry],
        stop: &mut watch::Receiver<bool>,
    ) -> Result<Handled, ApiError> {
        let p = &self.platform;
        let path = self.key.path();
        let metrics = &p.metrics.prometheus.event_sources;
        let job_name = self.job_name();
        let task_id = crate::control::model::new_id();
        let endpoint = p
            .invoker
            .advertise_address
            .get()
            .map(|a| format!("http://{a}"))
            .unwrap_or_default();
        let range = Range {
            endpoint: &endpoint,
            project: &self.project,
            logstore: &self.config.logstore,
            shard,
            begin,
            end,
            job_name: &job_name,
            task_id: &task_id,
        };
        let payload = Bytes::from(
            serde_json::to_vec(&event::build(
                &range,
                &self.config.function_parameter,
                entries,
            ))
            .unwrap_or_default(),
        );
        metrics.count(&path, EventOutcome::Seen, 1);
        if let Some(first) = entries.first() {
            metrics.lag(
                &path,
                Duration::from_millis(now_ms().saturating_sub(first.time_ms).max(0) as u64),
            );
        }
        let mut attempt = 0u32;
        let mut wait = FIRST_RETRY_WAIT;
        loop {
            if self.claim(name).await?.is_none() {
                return Ok(Handled::Stopped);
            }
            let request_id = crate::control::model::new_id();
            let error = match sources::invoke_once(
                &self.platform,
                &self.key,
                &self.qualifier,
                payload.clone(),
                &request_id,
                attempt,
            )
            .await
            {
                Ok(()) => {
                    metrics.count(&path, EventOutcome::Delivered, 1);
                    self.record(&range, attempt, &request_id, None).await;
                    return Ok(Handled::Done);
                }
                Err(InvokeFailure::Throttled) => {
                    // Throttled: the function is at its concurrency limit; not a retry.
                    tokio::select! {
                        _ = tokio::time::sleep(THROTTLED_WAIT) => continue,
                        _ = stop.wait_for(|s| *s) => return Ok(Handled::Stopped),
                    }
                }
                Err(InvokeFailure::Failed(error)) => error,
            };
            metrics.count(&path, EventOutcome::Failed, 1);
            self.record(&range, attempt, &request_id, Some(&error))
                .await;
            if attempt >= self.config.max_retry_time {
                metrics.count(&path, EventOutcome::Dropped, 1);
                tracing::warn!(trigger = %path, shard, begin = %cursor::encode(begin), end = %cursor::encode(end), attempts = attempt + 1, error = %error, "Log trigger gave up on a range after its retries; the checkpoint moves past it");
                return Ok(Handled::Done);
            }
            attempt += 1;
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => return Ok(Handled::Stopped),
            }
            wait = (wait * 2).min(MAX_RETRY_WAIT);
        }
    }

    /// Appends one execution record to the trigger's `logConfig` logstore.
    async fn record(&self, range: &Range<'_>, attempt: u32, request_id: &str, error: Option<&str>) {
        let Some((project, logstore)) = self.config.log_target.clone() else {
            return;
        };
        let now = now_ms();
        let body = json!({
            "jobName": range.job_name,
            "taskId": range.task_id,
            "requestId": request_id,
            "serviceName": self.key.service,
            "functionName": self.key.function,
            "triggerName": self.key.trigger,
            "sourceProject": range.project,
            "sourceLogstore": range.logstore,
            "shardId": range.shard,
            "beginCursor": cursor::encode(range.begin),
            "endCursor": cursor::encode(range.end),
            "attempt": attempt,
            "status": if error.is_some() { "Failed" } else { "Succeeded" },
            "level": if error.is_some() { "ERROR" } else { "INFO" },
            "errorMessage": error.unwrap_or(""),
            "time": crate::control::model::timestamp_of_ms(now),
        });
        let entry = NewEntry {
            time_ms: now,
            body: body.to_string(),
        };
        let recorded = self
            .platform
            .store
            .logs(move |b| b.append_logs(&project, &logstore, 0, std::slice::from_ref(&entry)))
            .await;
        if let Err(e) = recorded {
            tracing::warn!(trigger = %self.key.path(), error = %e, "cannot record a Log trigger execution in its logConfig logstore");
        }
    }
}
