//! Read-your-writes across nodes on PostgreSQL: a write is answered only once
//! PostgreSQL has delivered its change notice back to this node's own listener.
//!
//! PostgreSQL hands a committed transaction's `NOTIFY` to every listening
//! session at once, so when this node's listener holds its own notice, every
//! other node's listener has been sent it too and drops its caches within
//! microseconds. A client that gets the write's answer and sends its next call
//! through a load balancer to another node (a new HTTP round trip) therefore
//! finds that node already serving the change. Without the wait, an SDK that
//! updates a function and invokes it at once could land on a node still
//! serving the old configuration.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// How long a write waits for its notice at most: 1 s, the documented
/// coherence bound. Past it (the listener is reconnecting) the write answers
/// anyway; the other nodes catch up when their listeners reconnect.
pub const DELIVERY_WAIT: Duration = Duration::from_secs(1);

/// This store's sent and delivered notice numbers.
#[derive(Debug, Default)]
pub struct ChangeNotices {
    /// Whether a listener is connected and listening: with none (a store
    /// opened by a tool, or a listener reconnecting), writes do not wait.
    listening: AtomicBool,
    sent: AtomicU64,
    delivered: Mutex<u64>,
    arrived: Condvar,
}

impl ChangeNotices {
    /// The number for the next notice (its payload is `{instance}:{number}`).
    pub fn next(&self) -> u64 {
        self.sent.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The listener connected (`true`) or lost its connection (`false`).
    pub fn set_listening(&self, listening: bool) {
        self.listening.store(listening, Ordering::SeqCst);
    }

    /// The listener received this store's own notice `number`.
    pub fn delivered(&self, number: u64) {
        let mut delivered = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
        if number > *delivered {
            *delivered = number;
            self.arrived.notify_all();
        }
    }

    /// Blocks (on the store's blocking-pool thread) until notice `number` was
    /// delivered, or [`DELIVERY_WAIT`] passed. Returns whether it arrived.
    pub fn wait_for(&self, number: u64) -> bool {
        if !self.listening.load(Ordering::SeqCst) {
            return false;
        }
        let delivered = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
        let (delivered, _) = self
            .arrived
            .wait_timeout_while(delivered, DELIVERY_WAIT, |d| *d < number)
            .unwrap_or_else(|p| p.into_inner());
        *delivered >= number
    }
}

/// Splits a notice payload into its store instance and number.
pub fn parse(payload: &str) -> Option<(&str, u64)> {
    let (instance, number) = payload.split_once(':')?;
    Some((instance, number.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_wait_ends_when_its_notice_or_a_later_one_arrives() {
        let notices = Arc::new(ChangeNotices::default());
        notices.set_listening(true);
        let (first, second) = (notices.next(), notices.next());
        assert_eq!((first, second), (1, 2));
        let listener = notices.clone();
        let thread = std::thread::spawn(move || listener.delivered(2));
        assert!(notices.wait_for(first));
        thread.join().unwrap();
        assert!(notices.wait_for(second));
    }

    #[test]
    fn a_wait_gives_up_after_the_bound() {
        let notices = ChangeNotices::default();
        let number = notices.next();
        assert!(!notices.wait_for(number), "no listener: no wait");
        notices.set_listening(true);
        let started = std::time::Instant::now();
        assert!(!notices.wait_for(number));
        assert!(started.elapsed() >= DELIVERY_WAIT);
    }

    #[test]
    fn payloads_parse_and_garbage_does_not() {
        assert_eq!(parse("abc:7"), Some(("abc", 7)));
        assert_eq!(parse("abc"), None);
        assert_eq!(parse("abc:x"), None);
    }
}
