//! A layer version (fc-api.md §3.7).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One published version of a layer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Layer {
    pub layer_name: String,
    pub version: u64,
    #[serde(default)]
    pub arn: String,
    #[serde(default)]
    pub code_size: u64,
    #[serde(default)]
    pub code_checksum: String,
    /// sha256 of the layer's zip: where its files live.
    #[serde(rename = "_codeDigest", default)]
    pub code_digest: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
