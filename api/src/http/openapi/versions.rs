//! Versions and aliases (fc-api.md §3.5).

use std::collections::BTreeMap;

use utoipa::{IntoParams, ToSchema};

/// PublishServiceVersion's body.
#[derive(Debug, ToSchema)]
pub struct VersionPublish {
    pub description: Option<String>,
}

/// A published version: the service and its functions, frozen.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Version {
    /// A decimal string, increasing, never reused.
    pub version_id: String,
    pub description: String,
    pub created_time: String,
    pub last_modified_time: String,
}

/// ListServiceVersions' answer.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct VersionList {
    pub versions: Vec<Version>,
    /// `BACKWARD` (newest first) or `FORWARD`, as asked.
    pub direction: String,
    /// Absent on the last page.
    pub next_token: Option<String>,
}

/// ListServiceVersions' parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct VersionListParams {
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub start_key: Option<String>,
    pub next_token: Option<String>,
    /// `BACKWARD` (default, newest first) or `FORWARD`.
    #[param(pattern = "^(BACKWARD|FORWARD)$")]
    pub direction: Option<String>,
}

/// CreateAlias' body.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AliasCreate {
    /// `[A-Za-z_][A-Za-z0-9_-]*`, at most 128 characters; not `LATEST`.
    #[schema(pattern = "^[A-Za-z_][A-Za-z0-9_-]{0,127}$")]
    pub alias_name: String,
    pub version_id: String,
    pub description: Option<String>,
    /// Version id → share of traffic (0 to 1, summing to at most 1).
    pub additional_version_weight: Option<BTreeMap<String, f64>>,
}

/// UpdateAlias' body.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AliasUpdate {
    pub version_id: Option<String>,
    pub description: Option<String>,
    pub additional_version_weight: Option<BTreeMap<String, f64>>,
}

/// An alias.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Alias {
    pub alias_name: String,
    pub version_id: String,
    pub description: String,
    pub additional_version_weight: BTreeMap<String, f64>,
    pub created_time: String,
    pub last_modified_time: String,
}

/// ListAliases' answer.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AliasList {
    pub aliases: Vec<Alias>,
    /// Absent on the last page.
    pub next_token: Option<String>,
}
