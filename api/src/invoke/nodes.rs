//! The cluster view: every node records a heartbeat in the store every
//! [`HEARTBEAT_EVERY`], and lists the nodes heard from within [`LIVE_WITHIN`].
//! On one node's SQLite store the view is that node.
//!
//! A heartbeat's body (what `wasm-fc nodes` and `GET /_wasm-fc/nodes` show):
//! `nodeId`, `address` (where it serves), `version` (wasm-fc's), `startedTime`,
//! `lastHeartbeatTime` (RFC 3339 UTC), `uptimeSeconds`, `load1` (the host's
//! 1-minute load average; null where the OS does not say), `inFlight`
//! (invocations running on its instances now) and `asyncHeld` (queued
//! invocations it holds leases on).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::control::store::StoreError;
use crate::invoke::invoker::Invoker;
use crate::invoke::queue::now_ms;

/// How often a node records its heartbeat: every 2 s.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(2);
/// A node is listed while its last heartbeat is at most this old: 10 s (five
/// missed heartbeats).
pub const LIVE_WITHIN: Duration = Duration::from_secs(10);

/// This node's heartbeat body now.
fn heartbeat_body(p: &Invoker, started: DateTime<Utc>, since: Instant) -> Value {
    let stats = p.engine.stats();
    json!({
        "nodeId": p.node_id.as_ref(),
        "address": p.advertise_address.get(),
        "version": env!("CARGO_PKG_VERSION"),
        "startedTime": started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "lastHeartbeatTime": Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "uptimeSeconds": since.elapsed().as_secs(),
        "load1": load_average(),
        "inFlight": stats.live_instances.saturating_sub(stats.idle_instances),
        "asyncHeld": p.held.count(),
    })
}

/// The host's 1-minute load average (Linux `/proc/loadavg`).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Records this node's heartbeat every [`HEARTBEAT_EVERY`] until `stop`, then
/// removes its row (a node that stops cleanly leaves the view at once; one
/// that dies leaves it after [`LIVE_WITHIN`]). A failed heartbeat is logged and
/// counted; the next one tries again.
pub async fn heartbeat(p: Arc<Invoker>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let started = Utc::now();
    let since = Instant::now();
    let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        let body = heartbeat_body(&p, started, since);
        if let Err(e) = p.store.heartbeat(p.node_id.clone(), now_ms(), body).await {
            tracing::warn!(error = %e, "cannot record this node's heartbeat");
        }
    }
    if let Err(e) = p.store.remove_node(p.node_id.clone()).await {
        tracing::warn!(error = %e, "cannot remove this node from the cluster view");
    }
}

/// The live nodes, by node id: `{"nodes":[…], "self": "<this node's id>"}`.
pub async fn cluster_view(p: &Invoker) -> Result<Value, StoreError> {
    let now = now_ms();
    let nodes = p
        .store
        .nodes(now - LIVE_WITHIN.as_millis() as i64, now)
        .await?;
    Ok(json!({ "nodes": nodes, "self": p.node_id.as_ref() }))
}
