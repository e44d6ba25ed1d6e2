//! A function's async invoke config (fc-api.md §8.1).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::defaults;

/// Retries, max age and destinations of a function's async invocations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AsyncConfig {
    #[serde(default = "defaults::max_async_retries")]
    pub max_async_retry_attempts: u32,
    #[serde(default = "defaults::max_async_event_age_secs")]
    pub max_async_event_age_in_seconds: i64,
    #[serde(default)]
    pub destination_config: DestinationConfig,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Default for AsyncConfig {
    /// FC's policy for a function without a config.
    fn default() -> Self {
        Self {
            max_async_retry_attempts: defaults::MAX_ASYNC_RETRIES,
            max_async_event_age_in_seconds: defaults::MAX_ASYNC_EVENT_AGE_SECS,
            destination_config: DestinationConfig::default(),
            extra: Map::new(),
        }
    }
}

/// Where results go: a function ARN for success and one for failure.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DestinationConfig {
    #[serde(default)]
    pub on_success: Option<Destination>,
    #[serde(default)]
    pub on_failure: Option<Destination>,
}

/// One destination.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Destination {
    #[serde(default)]
    pub destination: String,
}
