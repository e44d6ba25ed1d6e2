//! [`StoreHandle`]: the platform's only way to a store backend. Every call runs
//! the backend on tokio's blocking pool, counts itself, and writes publish a new
//! generation that caches watch.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use super::{ClaimedFire, Kind, ListQuery, Page, QueuedInvocation, Store, StoreError, Tx};

/// Store operations made so far, by class (exported on `/metrics` as
/// `wasm_fc_store_operations_total{class}`; tests use them to prove a warm path
/// reads nothing).
#[derive(Debug, Default)]
pub struct StoreCounts {
    /// Resource reads outside a transaction.
    pub reads: AtomicU64,
    /// Write transactions (each single-row write is one).
    pub transactions: AtomicU64,
    /// Queue operations: enqueue, claim, renew, reschedule, complete, depth.
    pub queue: AtomicU64,
}

/// The async face of a [`Store`]. Cheap to clone.
#[derive(Clone)]
pub struct StoreHandle {
    backend: Arc<dyn Store>,
    counts: Arc<StoreCounts>,
    /// Moves on after every committed resource write. What is cached from rows
    /// stays valid while it is unchanged. (On PostgreSQL, LISTEN/NOTIFY from the
    /// other nodes moves it on too.)
    generation: Arc<tokio::sync::watch::Sender<u64>>,
    /// Moves on only when another node's write arrives (PostgreSQL's
    /// LISTEN/NOTIFY); what this node applies itself as it writes (timers)
    /// follows this one rather than [`StoreHandle::generation`].
    remote_generation: Arc<tokio::sync::watch::Sender<u64>>,
}

impl std::fmt::Debug for StoreHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreHandle")
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

/// A single-row write inside a transaction.
type RowWrite = fn(&mut dyn Tx, Kind, &str, &str, &Value) -> Result<(), StoreError>;

thread_local! {
    /// Set while a blocking-pool thread runs a store call for [`StoreHandle`].
    static ON_STORE_CALL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether the current thread may call a backend: it is running a store call
/// for [`StoreHandle`], or it is not inside a tokio runtime at all (start-up
/// and tools). Backends assert it in debug builds, so a store call on a runtime
/// worker thread fails the tests.
pub(crate) fn backend_call_allowed() -> bool {
    ON_STORE_CALL.with(|on| on.get()) || tokio::runtime::Handle::try_current().is_err()
}

impl StoreHandle {
    pub fn new(backend: Arc<dyn Store>) -> Self {
        let generation = Arc::new(tokio::sync::watch::channel(0).0);
        let remote_generation = Arc::new(tokio::sync::watch::channel(0).0);
        let (on_change, on_remote) = (generation.clone(), remote_generation.clone());
        backend.listen(Arc::new(move || {
            on_change.send_modify(|g| *g += 1);
            on_remote.send_modify(|g| *g += 1);
        }));
        Self {
            backend,
            counts: Arc::default(),
            generation,
            remote_generation,
        }
    }

    /// Runs `call` on the blocking pool.
    async fn blocking<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let backend = self.backend.clone();
        tokio::task::spawn_blocking(move || {
            ON_STORE_CALL.with(|on| on.set(true));
            let result = call(backend.as_ref());
            ON_STORE_CALL.with(|on| on.set(false));
            result
        })
        .await
        .map_err(StoreError::WorkerGone)?
    }

    fn count_read(&self) {
        self.counts.reads.fetch_add(1, Ordering::Relaxed);
    }

    fn count_queue(&self) {
        self.counts.queue.fetch_add(1, Ordering::Relaxed);
    }

    /// Runs one logstore or cursor call ([`super::logs::LogBackend`]) on the
    /// blocking pool.
    pub async fn logs<T: Send + 'static>(
        &self,
        call: impl FnOnce(&dyn super::logs::LogBackend) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.blocking(move |store| call(store.logs())).await
    }

    /// Operations made so far.
    pub fn counts(&self) -> &StoreCounts {
        &self.counts
    }

    /// Operations made so far, by class, as `/metrics` labels them.
    pub fn counts_by_class(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("read", self.counts.reads.load(Ordering::Relaxed)),
            (
                "transaction",
                self.counts.transactions.load(Ordering::Relaxed),
            ),
            ("queue", self.counts.queue.load(Ordering::Relaxed)),
        ]
    }

    /// The current generation (see [`StoreHandle::subscribe`]).
    pub fn generation(&self) -> u64 {
        *self.generation.borrow()
    }

    /// Change notifications: the receiver sees the generation move on after each
    /// committed resource write.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Notifications of other nodes' writes only (see the field's doc).
    pub fn subscribe_remote(&self) -> tokio::sync::watch::Receiver<u64> {
        self.remote_generation.subscribe()
    }

    fn changed(&self) {
        self.generation.send_modify(|g| *g += 1);
    }

    pub async fn get(
        &self,
        kind: Kind,
        scope: &str,
        name: &str,
    ) -> Result<Option<Value>, StoreError> {
        self.count_read();
        let (scope, name) = (scope.to_string(), name.to_string());
        self.blocking(move |s| s.get(kind, &scope, &name)).await
    }

    pub async fn list(
        &self,
        kind: Kind,
        scope: &str,
        query: &ListQuery,
    ) -> Result<Page, StoreError> {
        self.count_read();
        let (scope, query) = (scope.to_string(), query.clone());
        self.blocking(move |s| s.list(kind, &scope, &query)).await
    }

    pub async fn list_all(&self, kind: Kind) -> Result<Vec<Value>, StoreError> {
        self.count_read();
        self.blocking(move |s| s.list_all(kind)).await
    }

    pub async fn count(&self, kind: Kind, scope: &str) -> Result<u64, StoreError> {
        self.count_read();
        let scope = scope.to_string();
        self.blocking(move |s| s.count(kind, &scope)).await
    }

    /// Runs `body` in one write transaction on the blocking pool: committed when
    /// it returns `Ok`, rolled back (and its error returned) when it returns
    /// `Err`. `body` runs once.
    pub async fn transaction<T, E>(
        &self,
        body: impl FnOnce(&mut dyn Tx) -> Result<T, E> + Send + 'static,
    ) -> Result<T, E>
    where
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        self.counts.transactions.fetch_add(1, Ordering::Relaxed);
        let backend = self.backend.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            ON_STORE_CALL.with(|on| on.set(true));
            let mut body = Some(body);
            let mut result: Option<Result<T, E>> = None;
            let committed = backend.transaction(&mut |tx| {
                let body = body.take().ok_or(StoreError::RolledBack)?;
                match body(tx) {
                    Ok(value) => {
                        result = Some(Ok(value));
                        Ok(())
                    }
                    Err(e) => {
                        result = Some(Err(e));
                        Err(StoreError::RolledBack)
                    }
                }
            });
            ON_STORE_CALL.with(|on| on.set(false));
            match (committed, result) {
                (Ok(()), Some(Ok(value))) => Ok(value),
                (Err(StoreError::RolledBack), Some(Err(e))) => Err(e),
                (Err(e), _) => Err(E::from(e)),
                // The backend committed without running the body, or ran it and
                // reported a rollback without its error: neither can happen.
                (Ok(()), _) => Err(E::from(StoreError::RolledBack)),
            }
        })
        .await
        .map_err(|e| E::from(StoreError::WorkerGone(e)))?;
        if outcome.is_ok() {
            self.changed();
        }
        outcome
    }

    /// One row written by `write` in a transaction of its own.
    async fn write_row(
        &self,
        write: RowWrite,
        kind: Kind,
        scope: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), StoreError> {
        let (scope, name, body) = (scope.to_string(), name.to_string(), body.clone());
        self.transaction(move |tx| write(tx, kind, &scope, &name, &body))
            .await
    }

    /// Inserts one row (`AlreadyExists` if it exists).
    pub async fn insert(
        &self,
        kind: Kind,
        scope: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), StoreError> {
        self.write_row(
            |tx, k, s, n, b| tx.insert(k, s, n, b),
            kind,
            scope,
            name,
            body,
        )
        .await
    }

    /// Replaces one row (`NotFound` if it does not exist).
    pub async fn update(
        &self,
        kind: Kind,
        scope: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), StoreError> {
        self.write_row(
            |tx, k, s, n, b| tx.update(k, s, n, b),
            kind,
            scope,
            name,
            body,
        )
        .await
    }

    /// Inserts or replaces one row.
    pub async fn upsert(
        &self,
        kind: Kind,
        scope: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), StoreError> {
        self.write_row(
            |tx, k, s, n, b| tx.upsert(k, s, n, b),
            kind,
            scope,
            name,
            body,
        )
        .await
    }

    /// Deletes one row (`NotFound` if it does not exist).
    pub async fn delete(&self, kind: Kind, scope: &str, name: &str) -> Result<(), StoreError> {
        let (scope, name) = (scope.to_string(), name.to_string());
        self.transaction(move |tx| tx.delete(kind, &scope, &name))
            .await
    }

    /// Enqueues in one transaction; gives the invocations back with their ids.
    pub async fn enqueue_many(
        &self,
        invocations: Vec<QueuedInvocation>,
        lease_owner: Option<Arc<str>>,
    ) -> Result<Vec<QueuedInvocation>, StoreError> {
        self.count_queue();
        self.blocking(move |s| {
            let ids = s.enqueue_many(&invocations, lease_owner.as_deref())?;
            Ok(invocations
                .into_iter()
                .zip(ids)
                .map(|(invocation, id)| QueuedInvocation { id, ..invocation })
                .collect())
        })
        .await
    }

    pub async fn claim(
        &self,
        owner: Arc<str>,
        now_ms: i64,
        max: usize,
        lease_until_ms: i64,
    ) -> Result<Vec<QueuedInvocation>, StoreError> {
        self.count_queue();
        self.blocking(move |s| s.claim(&owner, now_ms, max, lease_until_ms))
            .await
    }

    pub async fn renew_leases(
        &self,
        owner: Arc<str>,
        ids: Vec<i64>,
        lease_until_ms: i64,
    ) -> Result<u64, StoreError> {
        self.count_queue();
        self.blocking(move |s| s.renew_leases(&owner, &ids, lease_until_ms))
            .await
    }

    pub async fn release_dead_leases(
        &self,
        alive: Arc<str>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        self.count_queue();
        self.blocking(move |s| s.release_dead_leases(&alive, now_ms))
            .await
    }

    pub async fn release_leases(
        &self,
        owner: Arc<str>,
        ids: Vec<i64>,
        now_ms: i64,
    ) -> Result<u64, StoreError> {
        self.count_queue();
        self.blocking(move |s| s.release_leases(&owner, &ids, now_ms))
            .await
    }

    /// See [`Store::enqueue_fires`].
    pub async fn enqueue_fires(
        &self,
        fires: Vec<ClaimedFire>,
        lease_owner: Arc<str>,
    ) -> Result<Vec<Option<i64>>, StoreError> {
        self.count_queue();
        self.blocking(move |s| s.enqueue_fires(&fires, &lease_owner))
            .await
    }

    pub async fn heartbeat(
        &self,
        node_id: Arc<str>,
        now_ms: i64,
        body: Value,
    ) -> Result<(), StoreError> {
        self.blocking(move |s| s.heartbeat(&node_id, now_ms, &body))
            .await
    }

    pub async fn nodes(&self, since_ms: i64, now_ms: i64) -> Result<Vec<Value>, StoreError> {
        self.blocking(move |s| s.nodes(since_ms, now_ms)).await
    }

    pub async fn remove_node(&self, node_id: Arc<str>) -> Result<(), StoreError> {
        self.blocking(move |s| s.remove_node(&node_id)).await
    }

    /// Whether several nodes may share this store (PostgreSQL): code and
    /// secrets then live in it, and caches follow other nodes' writes.
    pub fn is_shared(&self) -> bool {
        self.backend.shared().is_some()
    }

    /// Stores a code package's zip in a shared store (nothing for one node's
    /// store, whose data dir is where code lives).
    pub async fn put_code(
        &self,
        digest: String,
        zip: Arc<[u8]>,
        now_ms: i64,
    ) -> Result<(), StoreError> {
        self.blocking(move |s| match s.shared() {
            Some(shared) => shared.put_code(&digest, &zip, now_ms),
            None => Ok(()),
        })
        .await
    }

    /// A code package's zip from a shared store; `None` when absent or when
    /// the store is one node's.
    pub async fn get_code(&self, digest: String) -> Result<Option<Vec<u8>>, StoreError> {
        self.blocking(move |s| match s.shared() {
            Some(shared) => shared.get_code(&digest),
            None => Ok(None),
        })
        .await
    }

    /// See [`super::SharedStore::shared_value`]; `None` for one node's store.
    pub async fn shared_value(
        &self,
        name: &'static str,
        candidate: String,
    ) -> Result<Option<String>, StoreError> {
        self.blocking(move |s| {
            s.shared()
                .map(|shared| shared.shared_value(name, &candidate))
                .transpose()
        })
        .await
    }

    pub async fn reschedule(
        &self,
        id: i64,
        attempts: u32,
        not_before_ms: i64,
    ) -> Result<(), StoreError> {
        self.count_queue();
        self.blocking(move |s| s.reschedule(id, attempts, not_before_ms))
            .await
    }

    pub async fn complete(&self, id: i64) -> Result<(), StoreError> {
        self.count_queue();
        self.blocking(move |s| s.complete(id)).await
    }

    pub async fn queue_depth(&self) -> Result<u64, StoreError> {
        self.count_queue();
        self.blocking(|s| s.queue_depth()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::store::Reader;
    use crate::control::store::sqlite::SqliteStore;

    fn handle() -> (tempfile::TempDir, StoreHandle, Arc<SqliteStore>) {
        let dir = tempfile::tempdir().expect("a temp dir");
        let backend = Arc::new(SqliteStore::open(&dir.path().join("t.db")).expect("the store"));
        (dir, StoreHandle::new(backend.clone()), backend)
    }

    #[tokio::test]
    async fn calls_run_off_the_runtime_threads_and_are_counted() {
        let (_dir, store, _) = handle();
        let before = store.generation();
        store
            .insert(Kind::Service, "", "s", &serde_json::json!({}))
            .await
            .expect("insert");
        assert_eq!(
            store.generation(),
            before + 1,
            "a write moves the generation"
        );
        assert!(
            store
                .get(Kind::Service, "", "s")
                .await
                .expect("get")
                .is_some()
        );
        assert_eq!(store.counts().reads.load(Ordering::Relaxed), 1);
        assert_eq!(store.counts().transactions.load(Ordering::Relaxed), 1);
    }

    #[tokio::test]
    async fn a_failed_transaction_moves_no_generation_and_returns_its_own_error() {
        let (_dir, store, _) = handle();
        let before = store.generation();
        #[derive(Debug, PartialEq)]
        enum RuleError {
            Broken,
            Store(String),
        }
        impl From<StoreError> for RuleError {
            fn from(e: StoreError) -> Self {
                Self::Store(e.to_string())
            }
        }
        let result: Result<(), RuleError> = store
            .transaction(|tx| {
                tx.insert(Kind::Service, "", "s", &serde_json::json!({}))?;
                Err(RuleError::Broken)
            })
            .await;
        assert_eq!(result, Err(RuleError::Broken));
        assert_eq!(store.generation(), before);
        assert!(
            store
                .get(Kind::Service, "", "s")
                .await
                .expect("get")
                .is_none()
        );
    }

    #[cfg(debug_assertions)]
    #[tokio::test]
    async fn a_backend_call_on_a_runtime_thread_fails_in_debug_builds() {
        let (_dir, _, backend) = handle();
        let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            backend.get(Kind::Service, "", "s")
        }));
        assert!(called.is_err(), "the backend was called on a worker thread");
    }
}
