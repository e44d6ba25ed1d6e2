//! A per-function-version pool of warm component instances, with FC semantics:
//! one invocation per instance at a time, globals kept between invocations,
//! bounded concurrency, idle reclaim and a reuse limit.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::Store;

pub(crate) use crate::abi::Exports;
use crate::config::FunctionConfig;
use crate::host::state::ComponentState;

/// One live component instance and its store.
pub(crate) struct WarmInstance {
    pub(crate) store: Store<ComponentState>,
    pub(crate) exports: Exports,
    pub(crate) id: String,
    /// The `x-fc-*` headers fixed for this instance (function settings and
    /// instance id), built once so an HTTP request only clones them.
    pub(crate) context_headers: Vec<(http::HeaderName, http::HeaderValue)>,
    /// Invocations served so far.
    pub(crate) uses: u64,
    /// Whether the function's initializer has run on this instance.
    pub(crate) initialized: bool,
    idle_since: Instant,
    _live: LiveGuard,
}

/// Holds the global live-instance slot and this pool's live count for as long
/// as the instance exists; dropping the instance gives both back.
pub(crate) struct LiveGuard {
    live: Arc<AtomicU64>,
    _slot: OwnedSemaphorePermit,
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::Relaxed);
    }
}

impl WarmInstance {
    pub(crate) fn new(
        store: Store<ComponentState>,
        exports: Exports,
        id: String,
        context_headers: Vec<(http::HeaderName, http::HeaderValue)>,
        live: LiveGuard,
    ) -> Self {
        Self {
            store,
            exports,
            id,
            context_headers,
            uses: 0,
            initialized: false,
            idle_since: Instant::now(),
            _live: live,
        }
    }
}

/// The idle instances and concurrency limit of one function version.
pub(crate) struct Pool {
    idle: Mutex<VecDeque<WarmInstance>>,
    /// One permit per invocation that may run at once.
    pub(crate) concurrency: Arc<Semaphore>,
    live: Arc<AtomicU64>,
    idle_timeout: Duration,
    max_reuse: u64,
    reuse: bool,
}

impl Pool {
    pub(crate) fn new(config: &FunctionConfig) -> Arc<Self> {
        Arc::new(Self {
            idle: Mutex::new(VecDeque::new()),
            concurrency: Arc::new(Semaphore::new(config.max_concurrency() as usize)),
            live: Arc::new(AtomicU64::new(0)),
            idle_timeout: config.idle_timeout,
            max_reuse: config.max_reuse.max(1),
            reuse: !config.fresh_instance_per_call,
        })
    }

    fn idle(&self) -> MutexGuard<'_, VecDeque<WarmInstance>> {
        // The queue holds no invariant a panic could break mid-update.
        self.idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A guard counting one more live instance, holding `slot`.
    pub(crate) fn live_guard(&self, slot: OwnedSemaphorePermit) -> LiveGuard {
        self.live.fetch_add(1, Ordering::Relaxed);
        LiveGuard {
            live: self.live.clone(),
            _slot: slot,
        }
    }

    /// The most recently used idle instance (its caches are warmest), if any.
    pub(crate) fn take_idle(&self) -> Option<WarmInstance> {
        if !self.reuse {
            return None;
        }
        self.idle().pop_back()
    }

    /// Returns an instance after a successful invocation; it is dropped instead
    /// when reuse is off or it reached its reuse limit. Returns whether it was kept.
    pub(crate) fn give_back(&self, mut instance: WarmInstance) -> bool {
        instance.uses += 1;
        if !self.reuse || instance.uses >= self.max_reuse {
            return false;
        }
        instance.idle_since = Instant::now();
        self.idle().push_back(instance);
        true
    }

    /// Whether instances are kept between invocations (not fresh-per-call).
    pub(crate) fn reuses(&self) -> bool {
        self.reuse
    }

    /// Adds a started, unused instance to the idle ones (pre-warming).
    pub(crate) fn put_idle(&self, mut instance: WarmInstance) {
        instance.idle_since = Instant::now();
        self.idle().push_back(instance);
    }

    /// Drops instances idle longer than the idle timeout; returns how many.
    pub(crate) fn reap_idle(&self) -> u64 {
        let expired: Vec<WarmInstance> = {
            let mut idle = self.idle();
            let keep_from = idle
                .iter()
                .position(|i| i.idle_since.elapsed() < self.idle_timeout)
                .unwrap_or(idle.len());
            idle.drain(..keep_from).collect()
        };
        expired.len() as u64
    }

    /// Drops the longest-idle instance, to free a global slot for another function.
    pub(crate) fn evict_oldest_idle(&self) -> bool {
        let evicted = self.idle().pop_front();
        evicted.is_some()
    }

    pub(crate) fn live(&self) -> u64 {
        self.live.load(Ordering::Relaxed)
    }

    pub(crate) fn idle_count(&self) -> usize {
        self.idle().len()
    }

    /// Drops every idle instance (used when a function version is replaced).
    pub(crate) fn clear(&self) {
        let drained: Vec<WarmInstance> = self.idle().drain(..).collect();
        drop(drained);
    }
}
