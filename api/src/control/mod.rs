//! The control layer: FC's resources and what they are made of. The typed
//! model, names and ARNs, resolve (with its cache), code packages and layers,
//! the store (its trait, backends and async handle), the runtimes registry, and
//! the signing scheme and secrets the platform keeps. It imports no other layer.

pub mod auth;
pub mod auth_acs;
pub mod blocking;
pub mod body;
pub mod code;
pub mod console_sessions;
pub mod credentials;
pub mod data_dir_lock;
pub mod error;
pub mod fc3_names;
pub mod logstores;
pub mod model;
pub mod names;
pub mod nonces;
pub mod packages;
pub mod plane;
pub mod resolve;
pub mod resolve_cache;
pub mod resources;
pub mod runtimes;
pub mod store;
pub mod url_signing;
