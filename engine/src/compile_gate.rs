//! A counting semaphore for blocking threads: at most N compiles at once.
//!
//! Compiles run on blocking threads (`spawn_blocking`, plain threads), so this
//! is a `Mutex` + `Condvar`, not tokio's async semaphore.

use std::sync::{Condvar, Mutex, PoisonError};

/// Hands out at most `permits` [`CompilePermit`]s at a time.
#[derive(Debug)]
pub(crate) struct CompileGate {
    free: Mutex<usize>,
    freed: Condvar,
}

impl CompileGate {
    /// A gate with `permits` permits (at least one).
    pub(crate) fn new(permits: usize) -> Self {
        Self {
            free: Mutex::new(permits.max(1)),
            freed: Condvar::new(),
        }
    }

    /// Blocks until a permit is free; the permit returns on drop.
    pub(crate) fn acquire(&self) -> CompilePermit<'_> {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        CompilePermit { gate: self }
    }
}

/// One compile's right to run; returned to the gate on drop.
#[derive(Debug)]
pub(crate) struct CompilePermit<'a> {
    gate: &'a CompileGate,
}

impl Drop for CompilePermit<'_> {
    fn drop(&mut self) {
        let mut free = self
            .gate
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *free += 1;
        self.gate.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn never_more_than_the_permits_at_once() {
        let gate = CompileGate::new(2);
        let (now, peak) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    let _permit = gate.acquire();
                    let running = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(running, Ordering::SeqCst);
                    std::thread::yield_now();
                    now.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        assert!(peak.load(Ordering::SeqCst) <= 2, "{peak:?}");
        assert_eq!(*gate.free.lock().unwrap(), 2, "every permit came back");
    }
}
