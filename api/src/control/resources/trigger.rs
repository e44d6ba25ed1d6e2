//! A trigger (fc-api.md §3.5).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A trigger of a function.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Trigger {
    pub trigger_name: String,
    pub trigger_type: String,
    /// The type's own config (validated by its trigger type).
    #[serde(default)]
    pub trigger_config: Value,
    /// The qualifier it serves; none or empty is LATEST.
    #[serde(default)]
    pub qualifier: Option<String>,
    #[serde(default)]
    pub source_arn: Option<String>,
    #[serde(rename = "_service", default)]
    pub service: String,
    #[serde(rename = "_function", default)]
    pub function: String,
    #[serde(rename = "_etag", default)]
    pub etag: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Trigger {
    /// The qualifier it serves: LATEST when none is set.
    pub fn qualifier(&self) -> &str {
        self.qualifier
            .as_deref()
            .filter(|q| !q.is_empty())
            .unwrap_or("LATEST")
    }
}
