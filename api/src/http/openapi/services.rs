//! The service object (fc-api.md §3.3) and its create/update bodies.

use std::collections::BTreeMap;

use utoipa::ToSchema;

/// Where a service's logs go (a local platform keeps them; see `/_wasm-fc/logs`).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct LogConfig {
    pub project: Option<String>,
    /// All lower case, as FC spells it.
    pub logstore: Option<String>,
    pub enable_request_metrics: Option<bool>,
    pub enable_instance_metrics: Option<bool>,
}

/// A VPC binding; kept and returned as given (there is no VPC locally).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct VpcConfig {
    pub vpc_id: Option<String>,
    pub v_switch_ids: Option<Vec<String>>,
    pub security_group_id: Option<String>,
    pub role: Option<String>,
}

/// A NAS mount: `serverAddr` names a host directory (`/path` or `host:/path`).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct MountPoint {
    pub server_addr: String,
    /// An absolute path in the guest.
    pub mount_dir: String,
    #[schema(rename = "enableTLS")]
    pub enable_tls: Option<bool>,
}

/// NAS mounts; default `{userId:-1, groupId:-1, mountPoints:[]}`.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct NasConfig {
    pub user_id: Option<i64>,
    pub group_id: Option<i64>,
    pub mount_points: Option<Vec<MountPoint>>,
}

/// Tracing; `{}` resets it to `{type:null, params:null}`.
#[derive(Debug, ToSchema)]
pub struct TracingConfig {
    /// e.g. `Jaeger`.
    #[schema(rename = "type")]
    pub kind: Option<String>,
    /// e.g. `{"endpoint": "..."}`.
    #[schema(value_type = Option<Object>)]
    pub params: Option<BTreeMap<String, String>>,
}

/// CreateService's body. Keys match case-insensitively; `null` means absent.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ServiceCreate {
    /// `[A-Za-z_][A-Za-z0-9_-]*`, at most 128 characters.
    #[schema(pattern = "^[A-Za-z_][A-Za-z0-9_-]{0,127}$")]
    pub service_name: String,
    pub description: Option<String>,
    pub role: Option<String>,
    pub log_config: Option<LogConfig>,
    /// Default true.
    pub internet_access: Option<bool>,
    pub vpc_config: Option<VpcConfig>,
    pub nas_config: Option<NasConfig>,
    pub tracing_config: Option<TracingConfig>,
}

/// UpdateService's body: present fields replace, absent ones stay.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ServiceUpdate {
    pub description: Option<String>,
    pub role: Option<String>,
    pub log_config: Option<LogConfig>,
    pub internet_access: Option<bool>,
    pub vpc_config: Option<VpcConfig>,
    pub nas_config: Option<NasConfig>,
    pub tracing_config: Option<TracingConfig>,
}

/// A service, as FC returns it.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Service {
    pub service_name: String,
    pub service_id: String,
    pub description: String,
    pub role: String,
    pub log_config: LogConfig,
    pub internet_access: bool,
    pub vpc_config: VpcConfig,
    pub nas_config: NasConfig,
    pub tracing_config: TracingConfig,
    /// Always null here.
    pub vendor_config: Option<String>,
    /// UTC, `2021-07-15T03:21:22Z`.
    pub created_time: String,
    pub last_modified_time: String,
}

/// ListServices' answer.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct ServiceList {
    pub services: Vec<Service>,
    /// Absent on the last page.
    pub next_token: Option<String>,
}
