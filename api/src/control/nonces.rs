//! Signature nonces seen inside the clock-skew window, so that a captured
//! request signed by an Alibaba Cloud OpenAPI SDK (`x-acs-signature-nonce`)
//! cannot be sent again while its date is still accepted.
//!
//! Per node: a replay sent to another node of a cluster is caught only by that
//! node's own cache (documented in docs/fc3.md). Entries expire with the skew
//! window of the request that brought them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

/// At most this many live nonces are remembered (about 100 MB at worst); a
/// request that would exceed it is refused rather than remembered partially,
/// since forgetting a live nonce would let its replay through.
pub const MAX_LIVE_NONCES: usize = 1_000_000;

/// Expired entries are swept once this many inserts have happened since the last sweep.
const SWEEP_EVERY: usize = 4_096;

/// The nonces of one node, by access key.
#[derive(Debug, Default)]
pub struct NonceCache {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// `access key id` + `\n` + nonce → when it stops mattering.
    seen: HashMap<String, SystemTime>,
    inserts_since_sweep: usize,
}

/// Why a nonce was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceRefusal {
    /// The same key sent this nonce before, inside the window.
    Replayed,
    /// [`MAX_LIVE_NONCES`] live nonces are held.
    Full,
}

impl NonceCache {
    /// Records `nonce` for `key_id` until `expires`; refuses one seen before.
    pub fn remember(
        &self,
        key_id: &str,
        nonce: &str,
        expires: SystemTime,
        now: SystemTime,
    ) -> Result<(), NonceRefusal> {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.inserts_since_sweep += 1;
        if inner.inserts_since_sweep >= SWEEP_EVERY || inner.seen.len() >= MAX_LIVE_NONCES {
            inner.seen.retain(|_, until| *until > now);
            inner.inserts_since_sweep = 0;
        }
        let entry = format!("{key_id}\n{nonce}");
        match inner.seen.get(&entry) {
            Some(until) if *until > now => return Err(NonceRefusal::Replayed),
            _ => {}
        }
        if inner.seen.len() >= MAX_LIVE_NONCES {
            return Err(NonceRefusal::Full);
        }
        inner.seen.insert(entry, expires);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_nonce_is_refused_the_second_time_until_it_expires() {
        let cache = NonceCache::default();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let until = now + Duration::from_secs(60);
        assert_eq!(cache.remember("AK", "n1", until, now), Ok(()));
        assert_eq!(
            cache.remember("AK", "n1", until, now),
            Err(NonceRefusal::Replayed)
        );
        // Another key's nonce of the same text is its own.
        assert_eq!(cache.remember("AK2", "n1", until, now), Ok(()));
        // Past its window the entry no longer matters.
        let later = until + Duration::from_secs(1);
        assert_eq!(
            cache.remember("AK", "n1", later + Duration::from_secs(60), later),
            Ok(())
        );
    }
}
