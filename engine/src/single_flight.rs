//! Single flight: at most one run of some work per key at a time. Callers that
//! arrive while it runs block until it ends and read its outcome instead of
//! running the work again; the entry is dropped when the run ends, so a later
//! caller runs the work afresh. Callers are blocking threads (compiles run in
//! `spawn_blocking` or in plain threads), hence std's blocking `OnceLock`.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// In-flight runs by key.
#[derive(Debug)]
pub(crate) struct SingleFlight<K, T> {
    flights: Mutex<HashMap<K, Arc<OnceLock<T>>>>,
}

impl<K, T> Default for SingleFlight<K, T> {
    fn default() -> Self {
        Self {
            flights: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone, T> SingleFlight<K, T> {
    /// Runs `work` unless a run for `key` is under way, in which case it waits
    /// for that run; either way `read` sees the outcome. If the running `work`
    /// panics, one waiter runs its own `work` instead.
    pub(crate) fn run<U>(
        &self,
        key: &K,
        work: impl FnOnce() -> T,
        read: impl FnOnce(&T) -> U,
    ) -> U {
        let cell = self
            .flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .clone();
        let _done = Landed {
            flights: &self.flights,
            key,
            cell: &cell,
        };
        read(cell.get_or_init(work))
    }

    /// Runs in flight now (for tests).
    #[cfg(test)]
    pub(crate) fn in_flight(&self) -> usize {
        self.flights
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Removes a finished (or panicked) run's entry, if it is still this run's.
struct Landed<'a, K: Eq + Hash, T> {
    flights: &'a Mutex<HashMap<K, Arc<OnceLock<T>>>>,
    key: &'a K,
    cell: &'a Arc<OnceLock<T>>,
}

impl<K: Eq + Hash, T> Drop for Landed<'_, K, T> {
    fn drop(&mut self) {
        let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
        if flights
            .get(self.key)
            .is_some_and(|current| Arc::ptr_eq(current, self.cell))
        {
            flights.remove(self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{Duration, Instant};

    #[test]
    fn concurrent_callers_share_one_run_and_the_entry_is_dropped() {
        let flights = SingleFlight::<String, u32>::default();
        let key = "k".to_string();
        let runs = AtomicU32::new(0);
        let threads = 8;
        let start = Barrier::new(threads);
        let results: Vec<u32> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        start.wait();
                        let work = || {
                            runs.fetch_add(1, Ordering::SeqCst);
                            // Stay in flight until every caller holds this run
                            // (the map's reference, one per caller, and the
                            // probe's own); bounded, so a broken single flight
                            // fails the assertions below instead of hanging.
                            let deadline = Instant::now() + Duration::from_secs(10);
                            while holders(&flights, &key) < threads + 2 && Instant::now() < deadline
                            {
                                std::thread::yield_now();
                            }
                            42
                        };
                        flights.run(&key, work, |v| *v)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(results, vec![42; threads]);
        assert_eq!(runs.load(Ordering::SeqCst), 1, "one run for all callers");
        assert_eq!(flights.in_flight(), 0, "the finished run was removed");
        let again = flights.run(&key, || 7, |v| *v);
        assert_eq!(again, 7, "a later caller runs the work afresh");
    }

    /// How many references the run for `key` has (0 when none is in flight).
    fn holders(flights: &SingleFlight<String, u32>, key: &str) -> usize {
        let entry = flights.flights.lock().unwrap().get(key).cloned();
        entry.map_or(0, |cell| Arc::strong_count(&cell))
    }
}
