//! What the store tells the platform: an object was created or removed.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

/// Header that marks a request made by a function an object event invoked,
/// with that event's chain depth (`0` for an event no such function caused).
/// The platform's host sets it on every outgoing request of such an
/// invocation, replacing any value the guest set, so a guest cannot hide it;
/// a value sent from outside can only make a chain look deeper. The loop
/// guard counts with it.
pub const EVENT_DEPTH_HEADER: &str = "x-wasm-fc-event-depth";

/// One object created or removed, with what FC's OSS event carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    /// FC's event name without the `oss:` prefix, e.g. `ObjectCreated:PutObject`.
    pub name: &'static str,
    pub bucket: String,
    pub key: String,
    /// The object's size after the operation (0 for a removal).
    pub size: u64,
    /// The size change: the new size for a new object, the difference for an
    /// overwrite, minus the old size for a removal.
    pub delta_size: i64,
    /// Upper-case hex, as OSS reports it; empty for a removal.
    pub etag: String,
    /// `Content-Type`; empty when unknown.
    pub mime_type: String,
    /// User metadata, keyed `x-oss-meta-<name>` as FC's event spells it.
    pub user_meta: BTreeMap<String, String>,
    /// The client's IP address.
    pub source_ip: String,
    /// The S3 request's id (FC's `responseElements.requestId`).
    pub request_id: String,
    /// The access key that signed the request (FC's `userIdentity.principalId`
    /// is the account; the platform fills that in).
    pub access_key_id: String,
    /// Unix ms when the operation completed.
    pub time_ms: i64,
    /// Depth of the event chain that caused this request
    /// ([`EVENT_DEPTH_HEADER`]); `None` when no event-triggered invocation
    /// made it.
    pub caused_at_depth: Option<u32>,
}

/// The sink could not accept events; the request that caused them answers
/// 503 `ServiceUnavailable`, so the client retries (the object is written;
/// writing it again raises the event again: at least once).
#[derive(Debug, thiserror::Error)]
#[error("object events not accepted: {0}")]
pub struct SinkError(pub String);

/// A boxed future, as [`EventSink`] returns.
pub type SinkFuture<'a> = Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send + 'a>>;

/// Receives object events. The store awaits each call before it answers the
/// request, so an upload acknowledged to its client has had its events
/// accepted (the platform queues them durably).
pub trait EventSink: Send + Sync + 'static {
    fn object_events(&self, events: Vec<ObjectEvent>) -> SinkFuture<'_>;
}

/// A sink that drops every event (a store no trigger listens to, and tests).
#[derive(Debug, Default)]
pub struct NoEvents;

impl EventSink for NoEvents {
    fn object_events(&self, _events: Vec<ObjectEvent>) -> SinkFuture<'_> {
        Box::pin(async { Ok(()) })
    }
}
