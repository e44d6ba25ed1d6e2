//! wasm-fc's platform around the engine, in layers (docs/architecture.md), each
//! importing only those below it (checked by `tests/layers.rs`):
//!
//! - [`control`]: the resource model, names and ARNs, resolve, code packages,
//!   the store and the runtimes registry;
//! - [`invoke`]: the invoker (sync and async), the durable queue, destinations,
//!   metrics and function logs;
//! - [`triggers`]: trigger types and what drives them (the timer scheduler, the
//!   HTTP route table), and the [`triggers::Platform`] that holds the layers;
//! - [`http`]: the only layer that knows the web framework: server, middleware,
//!   routes, the HTTP-trigger proxy, WebSocket, CORS and the error mapping;
//! - [`client`]: manifests, deploy and the signing client (the `wasm-fc`
//!   commands live in the binary, `src/cli`);
//! - [`app`]: the composition root, which opens the store and engine and wires
//!   the layers into a serving platform.

pub mod app;
pub mod client;
pub mod control;
pub mod http;
pub mod invoke;
pub mod triggers;
