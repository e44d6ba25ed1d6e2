//! wasm-fc's platform around the engine: the FC API, the store, invocation and triggers.

pub mod auth;
