//! Platform counters that are not the engine's: invocations, timer fires and their
//! lag. Read by `/metrics` (Prometheus), `/_wasm-fc/stats` and the benches.

pub mod event_sources;
pub mod history;
pub mod prometheus;

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How many recent lag samples the percentiles are computed over.
const LAG_WINDOW: usize = 10_000;

/// Platform counters besides the engine's.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Timer fires and a window of lags, for `/_wasm-fc/stats` percentiles.
    pub timers: TimerMetrics,
    /// Everything `/metrics` exposes.
    pub prometheus: prometheus::PrometheusMetrics,
    /// The last hour per function, minute by minute (the console's charts).
    pub history: history::History,
}

impl Metrics {
    /// Counts timer fires queued.
    pub fn timer_fires(&self, n: usize) {
        self.timers.record_fires(n);
        self.prometheus.timer_fires(n);
    }

    /// Counts a fire another node claimed first (skipped here).
    pub fn timer_fire_claimed_elsewhere(&self) {
        self.prometheus.timer_fire_claimed_elsewhere();
    }

    /// Records how late a timer fire started.
    pub fn timer_lag(&self, lag: Duration) {
        self.timers.record_lag(lag);
        self.prometheus.timer_lag(lag);
    }
}

/// Timer counters.
#[derive(Debug, Default)]
pub struct TimerMetrics {
    fires: AtomicU64,
    /// Recent lags from a fire's scheduled second to the start of its invocation.
    lags: Mutex<VecDeque<Duration>>,
}

/// A snapshot of [`TimerMetrics`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TimerSnapshot {
    pub fires: u64,
    pub lag_samples: u64,
    pub lag_p50: Duration,
    pub lag_p99: Duration,
    pub lag_max: Duration,
}

impl TimerMetrics {
    pub fn record_fires(&self, n: usize) {
        self.fires.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn record_lag(&self, lag: Duration) {
        if let Ok(mut lags) = self.lags.lock() {
            if lags.len() == LAG_WINDOW {
                lags.pop_front();
            }
            lags.push_back(lag);
        }
    }

    /// Forgets the lag samples (benches measure phases separately).
    pub fn reset_lags(&self) {
        if let Ok(mut lags) = self.lags.lock() {
            lags.clear();
        }
    }

    pub fn snapshot(&self) -> TimerSnapshot {
        let mut sorted: Vec<Duration> = self
            .lags
            .lock()
            .map(|l| l.iter().copied().collect())
            .unwrap_or_default();
        sorted.sort_unstable();
        TimerSnapshot {
            fires: self.fires.load(Ordering::Relaxed),
            lag_samples: sorted.len() as u64,
            lag_p50: percentile(&sorted, 0.50),
            lag_p99: percentile(&sorted, 0.99),
            lag_max: sorted.last().copied().unwrap_or_default(),
        }
    }
}

/// The `q` quantile of sorted samples (nearest rank); zero when empty.
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}
