//! Service versions and aliases (fc-api.md §3.6).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{Function, Service};

/// A published version: the service and its functions, frozen.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    pub version_id: String,
    #[serde(default)]
    pub description: String,
    #[serde(rename = "_service", default)]
    pub service: Service,
    #[serde(rename = "_functions", default)]
    pub functions: Vec<Function>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A named pointer at a version, with weighted routing to others.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alias {
    pub alias_name: String,
    pub version_id: String,
    /// Other versions and their share of calls (each 0..=1, summing to ≤ 1).
    #[serde(default)]
    pub additional_version_weight: BTreeMap<String, f64>,
    #[serde(rename = "_etag", default)]
    pub etag: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Alias {
    /// The version a call runs: `roll` (uniform in 0..1) picks an additional
    /// version by its weight, else the alias's own.
    pub fn pick_version(&self, roll: f64) -> &str {
        let mut acc = 0.0;
        for (version, weight) in &self.additional_version_weight {
            acc += weight;
            if roll < acc {
                return version;
            }
        }
        &self.version_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_split_the_rolls() {
        let alias: Alias = serde_json::from_value(serde_json::json!({
            "aliasName": "a", "versionId": "1", "additionalVersionWeight": { "2": 0.25 }
        }))
        .unwrap();
        assert_eq!(alias.pick_version(0.1), "2");
        assert_eq!(alias.pick_version(0.3), "1");
    }
}
