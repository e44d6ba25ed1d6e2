//! One TableStore trigger's job: read the table's captured changes in commit
//! order, deliver them in batches as FC's CBOR event, and move the trigger's
//! position only after the function succeeded, so every change arrives at
//! least once, in order, across restarts.
//!
//! - A batch is up to [`BATCH`] changes; a failing batch is retried (1 s
//!   doubling to 30 s) until it succeeds: the stream waits rather than skip a
//!   change, as FC's stream triggers do until the change expires.
//! - Each run is capped at 1 minute ([`MAX_RUN`]), as FC caps them.
//! - The position is leased by one node at a time ([`LEASE`]); the owner is
//!   this node's host and data dir, so a restarted node takes its lease back
//!   at once and another node takes over a stopped one after the lease.
//! - New changes wake the job through `LISTEN wasm_fc_capture`; it also looks
//!   once a second.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::watch;

use super::capture::{self, CaptureError};
use super::instances::TableInstance;
use super::records;
use crate::invoke::metrics::event_sources::EventOutcome;
use crate::invoke::queue::now_ms;
use crate::triggers::TriggerKey;
use crate::triggers::platform::Platform;
use crate::triggers::sources::{self, InvokeFailure};

/// Most changes in one invocation: 100.
pub const BATCH: i64 = 100;
/// A run from this trigger is stopped after 1 minute (FC's cap).
pub const MAX_RUN: Duration = Duration::from_secs(60);
/// How long a node's hold on the position lasts past its last renewal:
/// 90 s (longer than a run).
const LEASE: Duration = Duration::from_secs(90);
/// How often an idle job looks for changes without a notification: 1 s.
const IDLE_POLL: Duration = Duration::from_secs(1);
const FIRST_RETRY_WAIT: Duration = Duration::from_secs(1);
const MAX_RETRY_WAIT: Duration = Duration::from_secs(30);

/// A running TableStore trigger.
#[derive(Debug, Clone)]
pub struct TableJob {
    pub platform: Arc<Platform>,
    pub key: TriggerKey,
    pub qualifier: String,
    pub instance: TableInstance,
    pub table: String,
}

/// Why a session ended.
#[derive(Debug, thiserror::Error)]
enum SessionError {
    #[error(transparent)]
    Capture(#[from] CaptureError),
    #[error("the connection failed: {0}")]
    Sql(#[from] tokio_postgres::Error),
}

impl TableJob {
    /// This node's name as the owner of leases: stable across restarts of the
    /// same node (its host and data dir).
    fn owner(&self) -> String {
        use sha2::Digest as _;
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        let node = format!("{}\n{}", host.trim(), self.platform.data_dir.display());
        hex::encode(&sha2::Sha256::digest(node.as_bytes())[..12])
    }

    /// Runs until `stop`, reconnecting (0.5 s doubling to 30 s) when the
    /// instance cannot be reached.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let path = self.key.path();
        let metrics = &self.platform.metrics.prometheus.event_sources;
        let mut failures = 0u32;
        loop {
            match self.session(&mut stop).await {
                Ok(()) => return,
                Err(e) => {
                    metrics.set_connected(&path, false);
                    metrics.reconnecting(&path);
                    failures = failures.saturating_add(1);
                    tracing::warn!(trigger = %path, instance = %self.instance.name, error = %e, "table instance connection failed; reconnecting");
                }
            }
            let wait = Duration::from_millis(500u64.saturating_mul(1 << failures.min(6)))
                .min(MAX_RETRY_WAIT);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    async fn session(&self, stop: &mut watch::Receiver<bool>) -> Result<(), SessionError> {
        let path = self.key.path();
        let owner = self.owner();
        let (notices, mut noticed) = tokio::sync::mpsc::unbounded_channel();
        let client = capture::connect(&self.instance.url, Some(notices)).await?;
        // A position write lost in a database crash only means a batch is
        // delivered again (at least once either way), so this session's
        // commits do not wait for the disk: one fsync fewer per batch.
        client
            .batch_execute(&format!(
                "SET synchronous_commit TO off; LISTEN {}",
                capture::CHANNEL
            ))
            .await?;
        let pk = capture::primary_key(&client, &self.table).await?;
        self.platform
            .metrics
            .prometheus
            .event_sources
            .set_connected(&path, true);
        let lease_ms = LEASE.as_millis() as i64;
        let mut held_until = 0i64;
        let mut position = 0i64;
        let mut pruned_to = 0i64;
        loop {
            if *stop.borrow() {
                return Ok(());
            }
            // The lease is renewed (and the position read back) once half of
            // it has run; in between, this node's own position is current.
            let now = now_ms();
            if now >= held_until - lease_ms / 2 {
                let until = now + lease_ms;
                match capture::claim(&client, &self.table, &path, &owner, now, until).await? {
                    Some(at) => {
                        position = at;
                        held_until = until;
                    }
                    None => {
                        // Another node holds it (or the trigger is being removed).
                        held_until = 0;
                        tokio::select! {
                            _ = tokio::time::sleep(LEASE / 6) => continue,
                            _ = stop.wait_for(|s| *s) => return Ok(()),
                        }
                    }
                }
            }
            let changes = capture::read(&client, &self.table, position, BATCH).await?;
            let Some(last) = changes.last().map(|c| c.seq) else {
                tokio::select! {
                    _ = noticed.recv() => while noticed.try_recv().is_ok() {},
                    _ = tokio::time::sleep(IDLE_POLL) => {}
                    _ = stop.wait_for(|s| *s) => return Ok(()),
                }
                continue;
            };
            let records: Vec<_> = changes
                .iter()
                .flat_map(|c| records::records_of(&pk, c))
                .collect();
            let count = records.len() as u64;
            let first_ms = changes[0].ts_us / 1000;
            let payload = Bytes::from(records::encode(records));
            if !self
                .deliver(&client, &owner, payload, count, first_ms, stop)
                .await?
            {
                return Ok(());
            }
            let advanced =
                capture::advance(&client, &self.table, &path, &owner, last, pruned_to).await?;
            pruned_to = advanced.pruned_to;
            if advanced.moved {
                position = last;
            } else {
                tracing::warn!(trigger = %path, "another node took the table's stream over; this batch may arrive twice");
                held_until = 0;
            }
        }
    }

    /// Invokes until the batch succeeds; `false` when stopping first.
    async fn deliver(
        &self,
        client: &tokio_postgres::Client,
        owner: &str,
        payload: Bytes,
        count: u64,
        first_ms: i64,
        stop: &mut watch::Receiver<bool>,
    ) -> Result<bool, SessionError> {
        let path = self.key.path();
        let metrics = &self.platform.metrics.prometheus.event_sources;
        metrics.count(&path, EventOutcome::Seen, count);
        metrics.lag(
            &path,
            Duration::from_millis(now_ms().saturating_sub(first_ms).max(0) as u64),
        );
        let mut attempt = 0u32;
        let mut wait = FIRST_RETRY_WAIT;
        loop {
            let request_id = crate::control::model::new_id();
            let error = match tokio::time::timeout(
                MAX_RUN,
                sources::invoke_once(
                    &self.platform,
                    &self.key,
                    &self.qualifier,
                    payload.clone(),
                    &request_id,
                    attempt,
                ),
            )
            .await
            {
                Ok(Ok(())) => {
                    metrics.count(&path, EventOutcome::Delivered, count);
                    return Ok(true);
                }
                Ok(Err(InvokeFailure::Throttled)) => {
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(200)) => continue,
                        _ = stop.wait_for(|s| *s) => return Ok(false),
                    }
                }
                Ok(Err(InvokeFailure::Failed(error))) => error,
                Err(_) => format!(
                    "the run exceeded a TableStore trigger's {} s cap",
                    MAX_RUN.as_secs()
                ),
            };
            metrics.count(&path, EventOutcome::Failed, 1);
            tracing::warn!(trigger = %path, attempt, error = %error, "TableStore batch failed; retrying (the stream waits for it)");
            attempt = attempt.saturating_add(1);
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = stop.wait_for(|s| *s) => return Ok(false),
            }
            wait = (wait * 2).min(MAX_RETRY_WAIT);
            let now = now_ms();
            if capture::claim(
                client,
                &self.table,
                &path,
                owner,
                now,
                now + LEASE.as_millis() as i64,
            )
            .await?
            .is_none()
            {
                return Ok(false);
            }
        }
    }
}
