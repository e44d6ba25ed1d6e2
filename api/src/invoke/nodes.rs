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
/// missed heartbeats); after that its leases are released too.
pub const LIVE_WITHIN: Duration =
    Duration::from_millis(crate::control::store::NODE_SILENT_MS as u64);

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

/// This node's heartbeat, from its start until it stops.
#[derive(Debug)]
pub struct Heartbeat {
    started: DateTime<Utc>,
    since: Instant,
}

/// Records this node's first heartbeat (before it serves, so that no other
/// node takes it for dead while it accepts work). A failure is logged; the
/// loop tries again.
pub async fn first_heartbeat(p: &Invoker) -> Heartbeat {
    let beat = Heartbeat {
        started: Utc::now(),
        since: Instant::now(),
    };
    beat_once(p, &beat).await;
    beat
}

/// Records one heartbeat; false (logged) when the store did not take it.
async fn beat_once(p: &Invoker, beat: &Heartbeat) -> bool {
    let body = heartbeat_body(p, beat.started, beat.since);
    match p.store.heartbeat(p.node_id.clone(), now_ms(), body).await {
        Ok(()) => true,
        Err(e) => {
            tracing::warn!(error = %e, "cannot record this node's heartbeat");
            false
        }
    }
}

/// Records this node's heartbeat every [`HEARTBEAT_EVERY`] until `stop`, then
/// removes its row (a node that stops cleanly leaves the view at once; one
/// that dies leaves it after [`LIVE_WITHIN`]). On a shared store each beat
/// also releases the leases of nodes silent longer than that, so a dead
/// node's work runs again within about 10 s; but only once this node's own
/// beats have gone through for [`LIVE_WITHIN`] in a row: after a store
/// outage every node was silent, and the live ones must get the chance to
/// beat again before anyone is taken for dead. A failed beat is logged; the
/// next one tries again.
pub async fn heartbeat(
    p: Arc<Invoker>,
    beat: Heartbeat,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tick.tick().await; // the first beat was `first_heartbeat`
    let mut healthy_since = Some(Instant::now());
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        if !beat_once(&p, &beat).await {
            healthy_since = None;
            continue;
        }
        let healthy = healthy_since.get_or_insert_with(Instant::now);
        if p.store.is_shared() && healthy.elapsed() >= LIVE_WITHIN {
            match p
                .store
                .release_dead_leases(p.node_id.clone(), now_ms())
                .await
            {
                Ok(0) => {}
                Ok(released) => {
                    tracing::info!(released, "released the async invocations of a dead node");
                    p.queue_wakeup.notify_one();
                }
                Err(e) => tracing::warn!(error = %e, "cannot release dead nodes' leases"),
            }
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
