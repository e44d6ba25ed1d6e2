//! The control-plane store.
//!
//! Two levels:
//! - [`Store`], a backend: synchronous, SQL-shaped, and only ever called on a
//!   blocking-pool thread. The embedded default is [`sqlite::SqliteStore`]; the
//!   PostgreSQL backend of the many-nodes issue implements the same trait.
//! - [`StoreHandle`], what the rest of the platform holds: every call is `async`
//!   and runs the backend on tokio's blocking pool, so no store call ever runs on
//!   a runtime worker thread (a commit's fsync or a slow read cannot stall other
//!   requests). It counts reads and writes and publishes change notifications.
//!
//! Resources are rows keyed by (kind, scope, name) holding the resource's JSON;
//! the async queue is a table of invocations claimed under expiring leases.

pub mod change_notices;
#[cfg(test)]
mod conformance;
mod handle;
pub mod logs;
pub mod postgres;
mod postgres_logs;
pub mod sqlite;
mod sqlite_logs;

pub use handle::{StoreCounts, StoreHandle};

use serde_json::Value;

/// What can go wrong in a store. A backend failure keeps its cause (logged with
/// the request id); clients see FC's InternalServerError without it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("already exists")]
    AlreadyExists,
    #[error("not found")]
    NotFound,
    /// The backend cannot be reached (PostgreSQL down, restarting or out of
    /// connections) while doing `operation`: the API answers 503, and the
    /// caller may try again.
    #[error("the store is unavailable while {operation}")]
    Unavailable {
        operation: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The backend failed while doing `operation`.
    #[error("the store failed while {operation}")]
    Backend {
        operation: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A row holds bytes that are not the JSON the platform wrote.
    #[error("a stored {kind} row is corrupt")]
    Corrupt {
        kind: &'static str,
        #[source]
        source: serde_json::Error,
    },
    /// A transaction's body chose to roll back (its own error travels beside this).
    #[error("the transaction was rolled back")]
    RolledBack,
    /// The blocking pool is gone (the runtime is shutting down).
    #[error("the store's worker thread stopped")]
    WorkerGone(#[source] tokio::task::JoinError),
}

impl StoreError {
    /// Wraps a backend error with what the store was doing.
    pub fn backend(
        operation: &'static str,
    ) -> impl FnOnce(Box<dyn std::error::Error + Send + Sync>) -> Self {
        move |source| Self::Backend { operation, source }
    }
}

/// A node row's body (its heartbeat's JSON).
fn parse_node(body: &str) -> Result<Value, StoreError> {
    serde_json::from_str(body).map_err(|source| StoreError::Corrupt {
        kind: "node",
        source,
    })
}

/// The kinds of resource rows. The one enum naming FC's resource kinds: the
/// API's errors name them too (`ServiceNotFound`, `AliasAlreadyExists`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Service,
    /// scope: service name
    Function,
    /// scope: `service/function`
    Trigger,
    /// scope: service name; name: zero-padded version id
    Version,
    /// scope: service name
    Alias,
    /// scope: `service/function`; name: qualifier
    AsyncConfig,
    /// scope: layer name; name: zero-padded version
    Layer,
}

impl Kind {
    /// The row's `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Service => "service",
            Self::Function => "function",
            Self::Trigger => "trigger",
            Self::Version => "version",
            Self::Alias => "alias",
            Self::AsyncConfig => "async-config",
            Self::Layer => "layer",
        }
    }
}

impl std::fmt::Display for Kind {
    /// The kind as FC's error messages name it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Service => "service",
            Self::Function => "function",
            Self::Trigger => "trigger",
            Self::Version => "version",
            Self::Alias => "alias",
            Self::AsyncConfig => "async invoke config",
            Self::Layer => "layer version",
        })
    }
}

/// One page of a listing, sorted by name.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub items: Vec<Value>,
    /// The first name of the next page, when there is one.
    pub next: Option<String>,
}

/// Paging parameters (FC's `prefix`, `startKey`/`nextToken`, `limit`).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub prefix: String,
    /// Inclusive lower bound on the name.
    pub start: Option<String>,
    pub limit: usize,
    /// Newest first (ListServiceVersions' default `BACKWARD`).
    pub descending: bool,
}

/// An accepted async invocation waiting in the durable queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueuedInvocation {
    pub id: i64,
    pub request_id: String,
    pub service: String,
    pub qualifier: String,
    pub function: String,
    pub payload: Vec<u8>,
    /// Attempts made so far.
    pub attempts: u32,
    /// Unix ms before which it must not run: its retry backoff, or, while a node
    /// holds it, the end of that node's lease.
    pub not_before_ms: i64,
    pub enqueued_ms: i64,
    /// Set when an event source queued it (stored as JSON in `origin`).
    pub origin: Option<EventOrigin>,
}

/// Where a queued event came from: which trigger matched it, when the event
/// happened, and how deep in a chain of events caused by event-triggered
/// invocations it is (the loop guard's count). Kept with the queue row, so
/// delivery metrics and the loop guard hold across restarts and nodes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventOrigin {
    /// `service/function/trigger`.
    pub trigger: String,
    /// Unix ms of the event (its source's time), for the delivery lag.
    pub event_ms: i64,
    /// 0 for an event no event-triggered invocation caused.
    pub depth: u32,
}

impl EventOrigin {
    /// The stored text of an origin (`None` stays NULL).
    pub fn to_column(origin: &Option<EventOrigin>) -> Option<String> {
        origin.as_ref().and_then(|o| serde_json::to_string(o).ok())
    }

    /// An origin from its stored text; unreadable text is no origin (the
    /// invocation still runs, only its attribution is lost).
    pub fn from_column(text: Option<String>) -> Option<EventOrigin> {
        text.and_then(|t| serde_json::from_str(&t).ok())
    }
}

/// A timer fire to enqueue under its claim: the first node to claim
/// (`trigger_key`, `scheduled_ms`) enqueues it; the others skip it.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedFire {
    /// `service/function/trigger`.
    pub trigger_key: String,
    pub scheduled_ms: i64,
    pub invocation: QueuedInvocation,
}

/// How long fire claims are kept: a day (far longer than any clock skew or
/// restart, so a fire is never claimed twice).
pub const FIRE_CLAIM_RETENTION_MS: i64 = 86_400_000;

/// A node whose last heartbeat is older than this is dead: 10 s (five missed
/// heartbeats). The cluster view leaves it out and its leases are released.
pub const NODE_SILENT_MS: i64 = 10_000;

/// How long after its last heartbeat a node's row is removed: an hour (the
/// cluster view lists only nodes heard from recently; see `invoke::nodes`).
pub const NODE_ROW_RETENTION_MS: i64 = 3_600_000;

/// Reads over resource rows: on their own ([`Store`]'s read connections) or
/// inside a transaction ([`Tx`]).
pub trait Reader {
    fn get(&self, kind: Kind, scope: &str, name: &str) -> Result<Option<Value>, StoreError>;
    fn list(&self, kind: Kind, scope: &str, query: &ListQuery) -> Result<Page, StoreError>;
    /// Every row of `kind`, in any scope, ordered by scope and name.
    fn list_all(&self, kind: Kind) -> Result<Vec<Value>, StoreError>;
    /// Number of rows of `kind` in `scope`.
    fn count(&self, kind: Kind, scope: &str) -> Result<u64, StoreError>;
}

/// One write transaction: what it reads is what it writes over. Rules of the
/// form "check, then write" (one HTTP trigger per function, an alias names an
/// existing version, a service is empty before it is deleted) are checked and
/// written in one, so concurrent requests cannot both pass the check.
pub trait Tx: Reader {
    /// Inserts; `AlreadyExists` if the row exists.
    fn insert(
        &mut self,
        kind: Kind,
        scope: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), StoreError>;
    /// Replaces; `NotFound` if the row does not exist.
    fn update(
        &mut self,
        kind: Kind,
        scope: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), StoreError>;
    /// Inserts or replaces.
    fn upsert(
        &mut self,
        kind: Kind,
        scope: &str,
        name: &str,
        body: &Value,
    ) -> Result<(), StoreError>;
    /// Deletes; `NotFound` if the row does not exist.
    fn delete(&mut self, kind: Kind, scope: &str, name: &str) -> Result<(), StoreError>;
    /// The next value of a named counter (starts at 1; never reused, even when
    /// the transaction that took it commits nothing else).
    fn next_sequence(&mut self, name: &str) -> Result<i64, StoreError>;
}

/// The body of a transaction, as a backend runs it.
pub type TxBody<'a> = &'a mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>;

/// A store backend. Only [`StoreHandle`] calls it, and only on the blocking pool.
pub trait Store: Reader + logs::LogBackend + Send + Sync + 'static {
    /// The logstores and cursors ([`logs`]).
    fn logs(&self) -> &dyn logs::LogBackend;

    /// Runs `body` in one serializable write transaction: committed when it
    /// returns `Ok`, rolled back when it returns `Err`.
    fn transaction(&self, body: TxBody<'_>) -> Result<(), StoreError>;

    /// Durably enqueues several invocations in one transaction; returns their ids.
    /// Those enqueued with a `lease_owner` are held by that node until
    /// `not_before_ms` (they were handed straight to its workers).
    fn enqueue_many(
        &self,
        invocations: &[QueuedInvocation],
        lease_owner: Option<&str>,
    ) -> Result<Vec<i64>, StoreError>;
    /// Claims up to `max` invocations that are due (their backoff or a previous
    /// holder's lease has run out), oldest first, for `owner` until
    /// `lease_until_ms`. The shape of `SELECT … FOR UPDATE SKIP LOCKED`: two
    /// claimers never get the same row.
    fn claim(
        &self,
        owner: &str,
        now_ms: i64,
        max: usize,
        lease_until_ms: i64,
    ) -> Result<Vec<QueuedInvocation>, StoreError>;
    /// Extends `owner`'s leases on `ids` to `lease_until_ms` (a long run keeps its
    /// invocation); returns how many it still held.
    fn renew_leases(
        &self,
        owner: &str,
        ids: &[i64],
        lease_until_ms: i64,
    ) -> Result<u64, StoreError>;
    /// Releases the leases held by dead owners other than `alive`, making those
    /// invocations due now. On a backend one node owns (SQLite under the data
    /// dir's lock) every other owner is a dead process; on a shared one, an
    /// owner is dead when its heartbeat is older than [`NODE_SILENT_MS`].
    fn release_dead_leases(&self, alive: &str, now_ms: i64) -> Result<u64, StoreError>;
    /// Reschedules an invocation after a failed attempt (and drops its lease).
    fn reschedule(&self, id: i64, attempts: u32, not_before_ms: i64) -> Result<(), StoreError>;
    /// Removes a finished invocation.
    fn complete(&self, id: i64) -> Result<(), StoreError>;
    /// Invocations waiting or running (for metrics).
    fn queue_depth(&self) -> Result<u64, StoreError>;

    /// Releases `owner`'s leases on `ids`, making them due at `now_ms` (a node
    /// that stops hands back what it holds but has not started).
    fn release_leases(&self, owner: &str, ids: &[i64], now_ms: i64) -> Result<u64, StoreError>;

    /// Enqueues timer fires whose claim this call wins, in one transaction,
    /// leased to `lease_owner` like [`Store::enqueue_many`]; returns each fire's
    /// queue id, or `None` where another node (or an earlier run) claimed it.
    /// Claims older than [`FIRE_CLAIM_RETENTION_MS`] are removed.
    fn enqueue_fires(
        &self,
        fires: &[ClaimedFire],
        lease_owner: &str,
    ) -> Result<Vec<Option<i64>>, StoreError>;

    /// Records a node's heartbeat (`body`: its JSON self-description).
    fn heartbeat(&self, node_id: &str, now_ms: i64, body: &Value) -> Result<(), StoreError>;
    /// Nodes heard from at or after `since_ms`, as their last heartbeat's body,
    /// by node id; rows older than [`NODE_ROW_RETENTION_MS`] are removed.
    fn nodes(&self, since_ms: i64, now_ms: i64) -> Result<Vec<Value>, StoreError>;
    /// Removes a node's row (it stopped cleanly).
    fn remove_node(&self, node_id: &str) -> Result<(), StoreError>;

    /// What only a store several nodes share provides; `None` for a store one
    /// node owns (SQLite keeps code and secrets in its data dir).
    fn shared(&self) -> Option<&dyn SharedStore> {
        None
    }

    /// Calls `on_change` whenever another node commits a resource write (this
    /// node's own writes move the generation themselves). Nothing for a store
    /// only one node uses.
    fn listen(&self, _on_change: std::sync::Arc<dyn Fn() + Send + Sync>) {}
}

/// The part of a store that only exists when several nodes share it.
pub trait SharedStore: Send + Sync {
    /// Stores a code package's zip under its sha256 (a no-op when present).
    fn put_code(&self, digest: &str, zip: &[u8], now_ms: i64) -> Result<(), StoreError>;
    /// A code package's zip, if stored.
    fn get_code(&self, digest: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// The value stored under `name`, storing `candidate` first when there is
    /// none: every node gets the first node's value.
    fn shared_value(&self, name: &str, candidate: &str) -> Result<String, StoreError>;
}
