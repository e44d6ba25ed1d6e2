//! Applies every logstore's retention once a minute ([`TRIM_EVERY`]): entries
//! older than the logstore's `ttl` days go, then a shard's oldest entries
//! while it holds more than `maxBytesPerShard`. Every node runs it; on
//! PostgreSQL each shard is trimmed under its row lock, so two nodes trimming
//! at once remove each entry once.

use std::time::Duration;

use tokio::sync::watch;

use crate::control::store::StoreHandle;

/// How often retention runs: every 60 s (and once at start).
pub const TRIM_EVERY: Duration = Duration::from_secs(60);

/// Runs retention until `stop`.
pub fn spawn(store: StoreHandle, mut stop: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let now = crate::control::model::now_ms();
            match store.logs(move |b| b.trim_logs(now)).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(entries = n, "logstore retention removed old entries"),
                Err(e) => {
                    tracing::warn!(error = %e, "logstore retention failed; trying again later")
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(TRIM_EVERY) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    })
}
