//! FC's resources as typed serde structs (fc-api.md §3.3-3.7), and FC's
//! defaults and limits, written once ([`defaults`]).
//!
//! A stored row is the resource's JSON; these structs read it. Keys this
//! platform does not model yet stay in each struct's `extra`, so a row read
//! and written back loses nothing. Keys starting with `_` are wasm-fc's own
//! bookkeeping and never leave the server ([`super::model::public`]).

pub mod async_config;
pub mod defaults;
pub mod function;
pub mod layer;
pub mod service;
pub mod trigger;
pub mod version;

pub use async_config::AsyncConfig;
pub use function::Function;
pub use layer::Layer;
pub use service::Service;
pub use trigger::Trigger;
pub use version::{Alias, Version};

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{ApiError, ApiResult};

/// Reads a stored row as its typed resource; a row that does not fit is a
/// broken invariant of the store (500), with the cause kept for the log.
pub fn from_row<T: DeserializeOwned>(row: &Value) -> ApiResult<T> {
    T::deserialize(row).map_err(|e| ApiError::internal("reading a stored resource", e))
}
