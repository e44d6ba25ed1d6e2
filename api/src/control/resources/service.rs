//! A service (fc-api.md §3.3).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::defaults;

/// A service, as stored (LATEST) or frozen in a version.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    pub service_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub role: String,
    #[serde(default = "defaults::internet_access")]
    pub internet_access: bool,
    #[serde(default)]
    pub log_config: LogConfig,
    #[serde(default)]
    pub nas_config: NasConfig,
    #[serde(rename = "_etag", default)]
    pub etag: String,
    /// Every other key, kept as stored.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Where the service's logs go (a project and logstore of Log Service).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogConfig {
    #[serde(default)]
    pub project: String,
    #[serde(default)]
    pub logstore: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// NAS mounts: host directories the function sees (`serverAddr` → `mountDir`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NasConfig {
    #[serde(default)]
    pub mount_points: Vec<MountPoint>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One NAS mount.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MountPoint {
    /// `host:/path` or an absolute host path.
    #[serde(default)]
    pub server_addr: String,
    #[serde(default)]
    pub mount_dir: String,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl MountPoint {
    /// The host directory: the path of `host:/path`, or the address as given.
    pub fn host_path(&self) -> String {
        self.server_addr
            .split_once(":/")
            .map(|(_, path)| format!("/{path}"))
            .unwrap_or_else(|| self.server_addr.clone())
    }
}
