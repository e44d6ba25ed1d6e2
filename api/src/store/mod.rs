//! The control-plane store: one trait, so a PostgreSQL backend can exist later,
//! and the embedded default ([`sqlite::SqliteStore`]), one crash-safe
//! transactional file under the data dir.
//!
//! Data is SQL-shaped: resources are rows keyed by (kind, scope, name) holding
//! the resource's JSON; the async queue is a table of invocations.

pub mod sqlite;

use serde_json::Value;

/// What can go wrong in a store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("already exists")]
    AlreadyExists,
    #[error("not found")]
    NotFound,
    #[error("storage: {0}")]
    Backend(String),
}

/// The kinds of resource rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Unix ms before which it must not run (retry backoff).
    pub not_before_ms: i64,
    pub enqueued_ms: i64,
}

/// The store every part of the platform uses.
pub trait Store: Send + Sync + 'static {
    fn get(&self, kind: Kind, scope: &str, name: &str) -> Result<Option<Value>, StoreError>;
    /// Inserts; `AlreadyExists` if the row exists.
    fn insert(&self, kind: Kind, scope: &str, name: &str, body: &Value) -> Result<(), StoreError>;
    /// Replaces; `NotFound` if the row does not exist.
    fn update(&self, kind: Kind, scope: &str, name: &str, body: &Value) -> Result<(), StoreError>;
    /// Inserts or replaces.
    fn upsert(&self, kind: Kind, scope: &str, name: &str, body: &Value) -> Result<(), StoreError>;
    /// Deletes; `NotFound` if the row does not exist.
    fn delete(&self, kind: Kind, scope: &str, name: &str) -> Result<(), StoreError>;
    fn list(&self, kind: Kind, scope: &str, query: &ListQuery) -> Result<Page, StoreError>;
    /// Every row of `kind`, in any scope.
    fn list_all(&self, kind: Kind) -> Result<Vec<Value>, StoreError>;
    /// Number of rows of `kind` in `scope`.
    fn count(&self, kind: Kind, scope: &str) -> Result<u64, StoreError>;
    /// The next value of a named counter (starts at 1; never reused).
    fn next_sequence(&self, name: &str) -> Result<i64, StoreError>;

    /// Durably enqueues several invocations in one transaction; returns their ids.
    fn enqueue_many(&self, invocations: &[QueuedInvocation]) -> Result<Vec<i64>, StoreError>;
    /// Claims up to `max` invocations whose `not_before` has passed, oldest first:
    /// in one transaction, their `not_before` becomes `lease_until_ms`, so nobody
    /// else runs them meanwhile and a crash means a retry after the lease.
    fn claim(
        &self,
        now_ms: i64,
        max: usize,
        lease_until_ms: i64,
    ) -> Result<Vec<QueuedInvocation>, StoreError>;
    /// Reschedules an invocation after a failed attempt.
    fn reschedule(&self, id: i64, attempts: u32, not_before_ms: i64) -> Result<(), StoreError>;
    /// Removes a finished invocation.
    fn complete(&self, id: i64) -> Result<(), StoreError>;
    /// Makes every queued invocation due now. Run at start-up: invocations that
    /// were leased by a worker when the process died run again (at-least-once).
    fn requeue_all(&self, now_ms: i64) -> Result<(), StoreError>;
    /// Invocations waiting (for metrics).
    fn queue_depth(&self) -> Result<u64, StoreError>;
    /// A number that changes after every write to a resource row (insert,
    /// update, upsert, delete), and only then: what is cached from rows stays
    /// valid while it is unchanged. Queue operations leave it alone.
    fn generation(&self) -> u64;
}
