//! Layers (fc-api.md §3.11).

use utoipa::{IntoParams, ToSchema};

use super::functions::Code;

/// PublishLayerVersion's body.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct LayerPublish {
    pub code: Code,
    pub description: Option<String>,
    pub compatible_runtime: Option<Vec<String>>,
}

/// Where a layer's code is.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct LayerCode {
    pub repository_type: String,
    pub location: String,
}

/// A layer version.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Layer {
    pub layer_name: String,
    pub version: i64,
    pub description: String,
    pub code: LayerCode,
    pub code_size: i64,
    pub code_checksum: String,
    /// Note FC's spelling: `createTime`.
    pub create_time: String,
    /// 0 private, 1 public.
    pub acl: i64,
    pub compatible_runtime: Vec<String>,
    /// `acs:fc:<region>:<uid>:layers/<name>/versions/<n>`.
    pub arn: String,
}

/// ListLayers' answer: the newest version of each layer.
#[derive(Debug, ToSchema)]
pub struct LayerList {
    pub layers: Vec<Layer>,
}

/// ListLayerVersions' answer.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct LayerVersionList {
    pub layers: Vec<Layer>,
    /// The first version of the next page; absent on the last page.
    pub next_version: Option<i64>,
}

/// ListLayers' parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LayerListParams {
    pub prefix: Option<String>,
}

/// ListLayerVersions' parameters.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct LayerVersionListParams {
    /// 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    #[param(minimum = 1)]
    pub start_version: Option<i64>,
}
