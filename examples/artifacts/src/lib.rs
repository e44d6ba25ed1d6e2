//! Paths of the example guests, built from source by this crate's `build.rs`.
//!
//! Tests and benches depend on this crate instead of committing binary wasm:
//! change a guest's source and the next `cargo test` rebuilds it.

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

pub mod synthetic;

/// Reads a guest's wasm bytes. Panics with the path when it is missing, which
/// only happens if `build.rs` was bypassed.
pub fn bytes(path: &str) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("reading guest {path}: {e}"))
}
