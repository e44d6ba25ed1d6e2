//! Per-trigger jobs kept in line with the stored triggers: what Log triggers
//! and TableStore triggers share. Every node runs a job for every enabled
//! trigger of the kind (their checkpoints' leases decide which node delivers
//! what). The set is reconciled at start, after a trigger change on this node
//! ([`TriggerJobs::poke`]) and after another node's write reaches this one; a
//! trigger whose config or qualifier changed restarts its job.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Notify, watch};

use crate::triggers::platform::Platform;

/// How soon a reconcile that could not read the store is tried again: 1 s.
const RETRY: Duration = Duration::from_secs(1);
/// How long stopping waits for running invocations: 30 s.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// A job a stored trigger wants.
pub struct Wanted {
    /// `service/function/trigger`.
    pub path: String,
    /// Changes when the job must restart (its config, qualifier, source).
    pub fingerprint: String,
    /// Starts it; it runs until the receiver turns true.
    pub start: Box<dyn FnOnce(watch::Receiver<bool>) -> tokio::task::JoinHandle<()> + Send>,
}

impl std::fmt::Debug for Wanted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wanted")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

struct Running {
    fingerprint: String,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// The running jobs of one trigger kind on this node.
pub struct TriggerJobs {
    what: &'static str,
    running: Mutex<HashMap<String, Running>>,
    changed: Notify,
}

impl std::fmt::Debug for TriggerJobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TriggerJobs")
            .field("what", &self.what)
            .finish_non_exhaustive()
    }
}

impl TriggerJobs {
    /// `what` names the kind in logs (`Log trigger`).
    pub fn new(what: &'static str) -> Self {
        Self {
            what,
            running: Mutex::default(),
            changed: Notify::new(),
        }
    }

    /// Asks for a reconcile now (a trigger changed on this node).
    pub fn poke(&self) {
        self.changed.notify_one();
    }

    /// How many jobs run.
    pub fn count(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or(0)
    }
}

/// Runs the reconciler of `jobs` until `shutdown`, then stops every job and
/// waits (up to 30 s) for them. `wanted` turns every stored trigger row into
/// the jobs to run.
pub fn spawn(
    p: &Arc<Platform>,
    jobs: fn(&Platform) -> &TriggerJobs,
    wanted: fn(&Arc<Platform>, &[Value]) -> Vec<Wanted>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let p = p.clone();
    tokio::spawn(async move {
        let mut remote = p.store.subscribe_remote();
        let mut remote_open = true;
        let mut pending = true;
        let what = jobs(&p).what;
        loop {
            if pending {
                match p.store.list_all(crate::control::store::Kind::Trigger).await {
                    Ok(rows) => {
                        reconcile(jobs(&p), wanted(&p, &rows));
                        pending = false;
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot read the {what}s; trying again"),
                }
            }
            tokio::select! {
                changed = remote.changed(), if remote_open => {
                    remote_open = changed.is_ok();
                    pending = remote_open;
                }
                _ = jobs(&p).changed.notified() => pending = true,
                _ = tokio::time::sleep(RETRY), if pending => {}
                _ = shutdown.changed() => break,
            }
        }
        let stopping: Vec<Running> = match jobs(&p).running.lock() {
            Ok(mut running) => running.drain().map(|(_, r)| r).collect(),
            Err(_) => Vec::new(),
        };
        for r in &stopping {
            let _ = r.stop.send(true);
        }
        let all = futures_util::future::join_all(stopping.into_iter().map(|r| r.task));
        if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
            tracing::warn!(
                "stopping: a {what} invocation did not finish in time; it runs again after the restart"
            );
        }
    })
}

fn reconcile(jobs: &TriggerJobs, wanted: Vec<Wanted>) {
    let mut wanted: HashMap<String, Wanted> =
        wanted.into_iter().map(|w| (w.path.clone(), w)).collect();
    let Ok(mut running) = jobs.running.lock() else {
        return;
    };
    running.retain(|path, r| {
        let keep = wanted
            .get(path)
            .is_some_and(|w| w.fingerprint == r.fingerprint)
            && !r.task.is_finished();
        if !keep {
            let _ = r.stop.send(true);
            tracing::info!(trigger = %path, "{} job stopped", jobs.what);
        }
        keep
    });
    for (path, w) in wanted.drain() {
        if running.contains_key(&path) {
            continue;
        }
        let (stop, stopped) = watch::channel(false);
        tracing::info!(trigger = %path, "{} job started", jobs.what);
        let task = (w.start)(stopped);
        running.insert(
            path,
            Running {
                fingerprint: w.fingerprint,
                stop,
                task,
            },
        );
    }
}
