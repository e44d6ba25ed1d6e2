//! Timer fires into the queue, exactly once across nodes.
//!
//! Every node schedules every timer; each fire is enqueued under a claim on
//! (trigger, scheduled time) in the same transaction as its queue row, and only
//! the node whose claim lands first enqueues it ([`crate::control::store::Store::enqueue_fires`]).
//! So a fire runs once however many nodes are alive, and when one dies the
//! others' fires go on with no takeover delay. Clock skew between nodes
//! cannot double a fire: the claim names the scheduled time, not the clock
//! reading.
//!
//! On a store one node owns (SQLite) a fire starts on a worker at once while its
//! row commits: the commit's fsync would otherwise be most of a fire's lag. On a
//! shared store a fire starts only once this node's claim has won.

use std::sync::Arc;

use crate::control::store::ClaimedFire;
use crate::invoke::invoker::Invoker;
use crate::invoke::metrics::prometheus::StoreOperation;
use crate::invoke::queue::{Handoff, LEASE_MS, StoredId, now_ms};

/// Enqueues timer fires under their claims (see the module doc). Fires beyond
/// the handoff window are stored due and claimed from the store like any
/// backlog.
pub fn submit_fires(p: &Arc<Invoker>, mut fires: Vec<ClaimedFire>) {
    let lease = now_ms() + LEASE_MS;
    for fire in &mut fires {
        fire.invocation.not_before_ms = lease;
    }
    if p.store.is_shared() {
        tokio::spawn(enqueue_then_start(p.clone(), fires));
    } else {
        start_then_enqueue(p, fires);
    }
}

/// The shared store's path: claim and commit, then hand the won fires to the
/// workers; a won fire that does not fit the handoff window is released to
/// the store, where any node claims it.
async fn enqueue_then_start(p: Arc<Invoker>, fires: Vec<ClaimedFire>) {
    let invocations: Vec<_> = fires.iter().map(|f| f.invocation.clone()).collect();
    let ids = match p.store.enqueue_fires(fires, p.node_id.clone()).await {
        Ok(ids) => ids,
        Err(e) => return not_stored(&p, &e, invocations.len()),
    };
    let mut overflow = Vec::new();
    for (invocation, id) in invocations.into_iter().zip(ids) {
        let Some(id) = id else {
            p.metrics.timer_fire_claimed_elsewhere();
            p.timer_fires_pending.remove(&invocation.request_id);
            continue;
        };
        p.metrics.timer_fires(1);
        p.held.hold(id);
        match p.handoff.try_reserve() {
            Ok(permit) => permit.send(Handoff {
                invocation,
                stored: StoredId::Known(id),
            }),
            Err(_) => {
                p.held.release(id);
                overflow.push(id);
            }
        }
    }
    if overflow.is_empty() {
        return;
    }
    if let Err(e) = p
        .store
        .release_leases(p.node_id.clone(), overflow, now_ms())
        .await
    {
        // Still leased to this node: due again when the lease runs out.
        p.store_failed(StoreOperation::Enqueue, &e);
    }
    p.queue_wakeup.notify_one();
}

/// The embedded store's path: hand the fires to the workers at once and commit
/// their rows meanwhile. A worker records the outcome only after the commit. A
/// crash before the commit loses those fires, as if they fell in the downtime
/// (timers do not backfill); a crash after it runs them again once their lease
/// is released.
fn start_then_enqueue(p: &Arc<Invoker>, fires: Vec<ClaimedFire>) {
    let committed: Vec<_> = fires
        .iter()
        .map(|fire| {
            let permit = p.handoff.try_reserve().ok()?;
            let (tx, rx) = tokio::sync::oneshot::channel();
            permit.send(Handoff {
                invocation: fire.invocation.clone(),
                stored: StoredId::Pending(rx),
            });
            Some(tx)
        })
        .collect();
    let p = p.clone();
    tokio::spawn(async move {
        let count = fires.len();
        let ids = match p.store.enqueue_fires(fires, p.node_id.clone()).await {
            Ok(ids) => ids,
            Err(e) => return not_stored(&p, &e, count),
        };
        let mut left_in_store = false;
        for (tx, id) in committed.into_iter().zip(ids) {
            match (tx, id) {
                (Some(tx), Some(id)) => {
                    p.metrics.timer_fires(1);
                    p.held.hold(id);
                    // A closed receiver: its worker is gone (shutdown); the
                    // lease runs out and the fire runs after the restart.
                    let _ = tx.send(id);
                }
                // Claimed by an earlier run of this node: its worker sees
                // the closed channel and records nothing.
                (_, None) => p.metrics.timer_fire_claimed_elsewhere(),
                (None, Some(_)) => {
                    p.metrics.timer_fires(1);
                    left_in_store = true;
                }
            }
        }
        if left_in_store {
            p.queue_wakeup.notify_one();
        }
    });
}

fn not_stored(p: &Invoker, error: &crate::control::store::StoreError, count: usize) {
    p.store_failed(StoreOperation::Enqueue, error);
    tracing::error!(
        count,
        "timer fires not stored: those already handed off run once, without retries; the rest are lost like fires in downtime"
    );
}
