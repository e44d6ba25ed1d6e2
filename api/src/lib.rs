//! wasm-fc's platform around the engine: the FC OpenAPI front end, the embedded
//! store, invocation (sync, async with a durable queue, log tail), triggers (HTTP,
//! WebSocket, timers) and `wasm-fc run`.

pub mod auth;
pub mod blocking;
pub mod body;
pub mod client;
pub mod code;
pub mod connections;
pub mod content_md5;
pub mod credentials;
pub mod data_dir_lock;
pub mod deploy;
pub mod error;
pub mod error_response;
pub mod function_logs;
pub mod invoke;
pub mod manifest;
pub mod metrics;
pub mod model;
pub mod observe;
pub mod openapi;
pub mod platform;
pub mod queue;
pub mod resolve_cache;
pub mod routes;
pub mod runtimes;
pub mod server;
pub mod store;
pub mod supervise;
pub mod triggers;
pub mod url_signing;
