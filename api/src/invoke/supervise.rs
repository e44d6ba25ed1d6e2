//! Keeps background tasks alive: [`spawn_supervised`] runs a task, and when it
//! panics, logs the panic (`tracing::error!`), counts it in
//! `wasm_fc_task_panics_total{task}` and starts a fresh one after a backoff
//! (100 ms, doubling to 30 s; back to 100 ms after a run that lasted longer than
//! 30 s). A task that returns, or that is cancelled, is not restarted; neither is
//! one that panics after `stop` turned true (shutdown).
//!
//! The task is made by `factory` for every run, so it must be restartable: take
//! its state from something that outlives one run (see
//! [`crate::triggers::scheduler::Scheduler`], which rebuilds from the store).

use std::any::Any;
use std::future::Future;
use std::time::Duration;

use prometheus_client::metrics::counter::Counter;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The wait before restarting a panicked task and its growth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// The first wait (default 100 ms), doubled after every panic in a row.
    pub first: Duration,
    /// The longest wait (default 30 s); a run longer than this resets the wait.
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            first: Duration::from_millis(100),
            max: Duration::from_secs(30),
        }
    }
}

/// Runs `factory()` as a task named `name` and restarts it after a panic, with
/// [`Backoff::default`]. `panics` is the task's `wasm_fc_task_panics_total`
/// series. Returns when the task returns or is cancelled, or when `stop` turns
/// true while it waits to restart.
pub fn spawn_supervised<F, Fut>(
    name: &'static str,
    panics: Counter,
    stop: watch::Receiver<bool>,
    factory: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(supervise(name, panics, stop, Backoff::default(), factory))
}

/// The supervisor's loop, for [`spawn_supervised`] and tests.
pub async fn supervise<F, Fut>(
    name: &'static str,
    panics: Counter,
    mut stop: watch::Receiver<bool>,
    backoff: Backoff,
    mut factory: F,
) where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut wait = backoff.first;
    loop {
        let started = tokio::time::Instant::now();
        let error = match tokio::spawn(factory()).await {
            Ok(()) => return,
            Err(error) => error,
        };
        if !error.is_panic() {
            tracing::warn!(task = name, %error, "background task was cancelled; not restarting it");
            return;
        }
        panics.inc();
        if started.elapsed() > backoff.max {
            wait = backoff.first;
        }
        let message = panic_message(error.into_panic());
        if *stop.borrow() {
            tracing::error!(task = name, panic = %message, "background task panicked while stopping");
            return;
        }
        tracing::error!(task = name, panic = %message, restart_in = ?wait, "background task panicked; restarting it");
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            // Shutdown (or the sender gone) while waiting: do not restart.
            _ = stop.changed() => return,
        }
        wait = wait.saturating_mul(2).min(backoff.max);
    }
}

/// The text a panic was raised with (`panic!("...")`), or a placeholder.
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(text) => *text,
        Err(payload) => payload.downcast_ref::<&'static str>().map_or_else(
            || "(a panic without a message)".to_string(),
            |text| (*text).to_string(),
        ),
    }
}

#[cfg(test)]
#[path = "supervise_tests.rs"]
mod tests;
