//! wasm-fc's embedded S3-compatible object store: the local "OSS".
//!
//! - [`server`] serves the S3 REST protocol on its own listener through
//!   `s3s` (path-style addressing, SigV4 with the platform's access keys, S3's
//!   XML errors).
//! - [`objects`] keeps buckets and objects under a directory with `s3s-fs`,
//!   adding what the platform needs on top: a size limit (`EntityTooLarge`),
//!   `BucketNotEmpty`, writes only into existing buckets, and one
//!   [`ObjectEvent`] per object created or removed, handed to an [`EventSink`]
//!   before the request is answered.
//! - [`read`] reads an object directly (code packages named by
//!   `code.ossBucketName`/`ossObjectName`).

pub mod event;
pub mod objects;
pub mod read;
pub mod server;

pub use event::{EventSink, ObjectEvent};
pub use objects::{Objects, ObjectsConfig};

/// What can go wrong opening or serving the store.
#[derive(Debug, thiserror::Error)]
pub enum ObjectStoreError {
    #[error("cannot open the object store at {path}: {source}")]
    Open {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the object store backend failed to start: {0}")]
    Backend(String),
}
