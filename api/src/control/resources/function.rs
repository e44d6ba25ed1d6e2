//! A function (fc-api.md §3.4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::defaults;

/// A function, as stored (LATEST) or frozen in a version.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Function {
    pub function_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub runtime: String,
    #[serde(default)]
    pub handler: String,
    /// Seconds ([`defaults::TIMEOUT_SECS`]).
    #[serde(default = "defaults::timeout_secs")]
    pub timeout: u64,
    /// Empty or absent: none.
    #[serde(default)]
    pub initializer: Option<String>,
    /// Seconds ([`defaults::INITIALIZATION_TIMEOUT_SECS`]).
    #[serde(default = "defaults::initialization_timeout_secs")]
    pub initialization_timeout: u64,
    /// MB ([`defaults::MEMORY_SIZE_MB`]).
    #[serde(default = "defaults::memory_size_mb")]
    pub memory_size: u32,
    #[serde(default = "defaults::instance_concurrency")]
    pub instance_concurrency: u32,
    #[serde(default)]
    pub environment_variables: BTreeMap<String, String>,
    /// Layer version ARNs, merged in order at `/opt`.
    #[serde(default)]
    pub layers: Option<Vec<String>>,
    #[serde(default)]
    pub code_size: u64,
    /// CRC-64/XZ of the code zip, as FC reports it.
    #[serde(default)]
    pub code_checksum: String,
    /// sha256 of the code zip: where its files live.
    #[serde(rename = "_codeDigest", default)]
    pub code_digest: String,
    /// sha256 of the handler's Wasm (empty for Python and Node.js).
    #[serde(rename = "_wasmDigest", default)]
    pub wasm_digest: String,
    #[serde(rename = "_etag", default)]
    pub etag: String,
    /// Every other key, kept as stored.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Function {
    /// The initializer, when one is set.
    pub fn initializer(&self) -> Option<&str> {
        self.initializer.as_deref().filter(|i| !i.is_empty())
    }
}
