//! The last hour of each function's invocations, minute by minute, for the
//! console's charts (`GET /_wasm-fc/metrics/{service}/{function}`):
//! invocations, errors, throttled calls, cold starts, and duration p50/p99.
//!
//! Prometheus keeps totals since start; a chart of the last hour needs them
//! per minute, and a local platform has no Prometheus server to ask. Each
//! function keeps a ring of [`MINUTES`] one-minute buckets (about 2 KiB), each
//! with a duration histogram of the same exponential buckets as
//! `/metrics` (50 µs doubling), so percentiles are estimated the way
//! Prometheus' `histogram_quantile` does (linear inside a bucket).
//!
//! Per node: on a store several nodes share, each node counts what it ran.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use dashmap::DashMap;
use serde::Serialize;

/// Minutes kept: the last hour.
pub const MINUTES: usize = 60;
/// Duration buckets: upper bounds 50 µs × 2^i for i < 24 (to ~7 minutes),
/// then one open bucket.
const DURATION_BUCKETS: usize = 25;
/// The first bucket's upper bound, in ms.
const FIRST_BOUND_MS: f64 = 0.05;

/// One minute of one function.
#[derive(Debug, Clone, Copy, Default)]
struct Minute {
    /// Minutes since the Unix epoch; a slot holding another minute is stale.
    minute: i64,
    invocations: u64,
    errors: u64,
    throttled: u64,
    cold_starts: u64,
    durations: [u32; DURATION_BUCKETS],
}

/// One function's ring of minutes.
#[derive(Debug)]
pub struct FunctionHistory {
    ring: Mutex<[Minute; MINUTES]>,
}

impl Default for FunctionHistory {
    fn default() -> Self {
        Self {
            ring: Mutex::new([Minute::default(); MINUTES]),
        }
    }
}

/// What an invocation adds to its minute.
#[derive(Debug, Clone, Copy)]
pub enum Sample {
    /// It ran: its duration, whether it failed, whether it was a cold start.
    Ran {
        duration: Duration,
        failed: bool,
        cold_start: bool,
    },
    /// No instance in time (429).
    Throttled,
}

impl FunctionHistory {
    /// Adds one invocation at `now_ms` (Unix ms).
    pub fn record(&self, now_ms: i64, sample: Sample) {
        let minute = now_ms.div_euclid(60_000);
        let Ok(mut ring) = self.ring.lock() else {
            return; // a poisoned ring only loses chart points
        };
        let slot = &mut ring[minute.rem_euclid(MINUTES as i64) as usize];
        if slot.minute != minute {
            *slot = Minute {
                minute,
                ..Minute::default()
            };
        }
        match sample {
            Sample::Throttled => slot.throttled += 1,
            Sample::Ran {
                duration,
                failed,
                cold_start,
            } => {
                slot.invocations += 1;
                slot.errors += u64::from(failed);
                slot.cold_starts += u64::from(cold_start);
                slot.durations[bucket_of(duration)] += 1;
            }
        }
    }

    /// The last [`MINUTES`] minutes up to `now_ms`, oldest first; minutes
    /// without data are zeros.
    pub fn points(&self, now_ms: i64) -> Vec<Point> {
        let now = now_ms.div_euclid(60_000);
        let ring = match self.ring.lock() {
            Ok(ring) => *ring,
            Err(poisoned) => *poisoned.into_inner(),
        };
        (now - MINUTES as i64 + 1..=now)
            .map(|minute| {
                let slot = ring[minute.rem_euclid(MINUTES as i64) as usize];
                let slot = if slot.minute == minute {
                    slot
                } else {
                    Minute::default()
                };
                Point {
                    start_ms: minute * 60_000,
                    invocations: slot.invocations,
                    errors: slot.errors,
                    throttled: slot.throttled,
                    cold_starts: slot.cold_starts,
                    duration_p50_ms: quantile(&slot.durations, 0.5),
                    duration_p99_ms: quantile(&slot.durations, 0.99),
                }
            })
            .collect()
    }
}

/// One minute as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Point {
    /// The minute's start, Unix ms.
    pub start_ms: i64,
    pub invocations: u64,
    /// Invocations that ended in an error (handled or not).
    pub errors: u64,
    /// Calls refused for want of an instance (429).
    pub throttled: u64,
    pub cold_starts: u64,
    /// Null in a minute without invocations.
    pub duration_p50_ms: Option<f64>,
    pub duration_p99_ms: Option<f64>,
}

/// Every function's history on this node.
#[derive(Debug, Default)]
pub struct History {
    functions: DashMap<(Arc<str>, Arc<str>), Arc<FunctionHistory>>,
}

impl History {
    /// The history of `service/function` (made on first use). Observers keep
    /// the `Arc`, so an invocation costs a lock, not a lookup.
    /// A read lock when the function is known (every invocation after its
    /// first); the shard's write lock only to add it.
    pub fn of(&self, service: &Arc<str>, function: &Arc<str>) -> Arc<FunctionHistory> {
        let key = (service.clone(), function.clone());
        if let Some(known) = self.functions.get(&key) {
            return known.clone();
        }
        self.functions.entry(key).or_default().clone()
    }

    /// The last hour of `service/function`; all zeros when it never ran here.
    pub fn points(&self, service: &str, function: &str, now_ms: i64) -> Vec<Point> {
        let key: (Arc<str>, Arc<str>) = (service.into(), function.into());
        match self.functions.get(&key) {
            Some(history) => history.points(now_ms),
            None => FunctionHistory::default().points(now_ms),
        }
    }
}

/// The histogram bucket of a duration.
fn bucket_of(duration: Duration) -> usize {
    let ms = duration.as_secs_f64() * 1e3;
    let mut bound = FIRST_BOUND_MS;
    for index in 0..DURATION_BUCKETS - 1 {
        if ms <= bound {
            return index;
        }
        bound *= 2.0;
    }
    DURATION_BUCKETS - 1
}

/// The upper bound of bucket `index`, in ms (the open bucket reports the last bound).
fn upper_bound(index: usize) -> f64 {
    FIRST_BOUND_MS * 2f64.powi(index.min(DURATION_BUCKETS - 2) as i32)
}

/// The `q` quantile of a histogram, linear inside its bucket; `None` when empty.
fn quantile(buckets: &[u32; DURATION_BUCKETS], q: f64) -> Option<f64> {
    let total: u64 = buckets.iter().map(|&n| u64::from(n)).sum();
    if total == 0 {
        return None;
    }
    let rank = q * total as f64;
    let mut below = 0u64;
    for (index, &count) in buckets.iter().enumerate() {
        let count = u64::from(count);
        if count > 0 && (below + count) as f64 >= rank {
            let lower = if index == 0 {
                0.0
            } else {
                upper_bound(index - 1)
            };
            let upper = upper_bound(index);
            let within = (rank - below as f64) / count as f64;
            return Some(lower + (upper - lower) * within.clamp(0.0, 1.0));
        }
        below += count;
    }
    Some(upper_bound(DURATION_BUCKETS - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_minute_and_forgets_after_an_hour() {
        let history = FunctionHistory::default();
        let t0 = 1_700_000_000_000 - 1_700_000_000_000 % 60_000;
        let ran = |ms: u64, failed: bool, cold_start: bool| Sample::Ran {
            duration: Duration::from_millis(ms),
            failed,
            cold_start,
        };
        history.record(t0, ran(1, false, true));
        history.record(t0 + 1_000, ran(1, true, false));
        history.record(t0 + 2_000, Sample::Throttled);
        history.record(t0 + 60_000, ran(100, false, false));
        let points = history.points(t0 + 60_000);
        assert_eq!(points.len(), MINUTES);
        let (before, last) = (&points[MINUTES - 2], &points[MINUTES - 1]);
        assert_eq!(before.start_ms, t0);
        assert_eq!(
            (
                before.invocations,
                before.errors,
                before.throttled,
                before.cold_starts
            ),
            (2, 1, 1, 1)
        );
        let p50 = before.duration_p50_ms.unwrap();
        assert!((0.8..=1.6).contains(&p50), "{p50}");
        let p99 = last.duration_p99_ms.unwrap();
        assert!((51.2..=102.4).contains(&p99), "{p99}");
        assert_eq!(points[0].duration_p50_ms, None);
        // An hour on, the old minutes are gone, even though their slots are reused.
        history.record(t0 + 3_600_000, ran(1, false, false));
        let later = history.points(t0 + 3_600_000);
        assert_eq!(later.iter().map(|p| p.invocations).sum::<u64>(), 2);
    }
}
