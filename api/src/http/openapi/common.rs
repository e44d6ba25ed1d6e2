//! Shapes every FC route shares: the error body, list parameters and the
//! qualifier query.

use utoipa::{IntoParams, ToSchema};

/// FC's error body (fc-api.md §4.1): PascalCase keys, as the Python, Java and
/// Node.js SDKs read them.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "PascalCase")]
pub struct ErrorBody {
    /// FC's code, e.g. `ServiceNotFound`, `InvalidArgument`, `SignatureNotMatch`.
    pub error_code: String,
    /// What went wrong, in words.
    pub error_message: String,
}

/// FC's list parameters (fc-api.md §3.1). Results are sorted by name; `nextToken`
/// wins over `startKey`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query, rename_all = "camelCase")]
pub struct ListParams {
    /// Page size: 1 to 100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// Only names starting with this.
    pub prefix: Option<String>,
    /// Inclusive lower bound of the names returned.
    pub start_key: Option<String>,
    /// The `nextToken` of the previous page.
    pub next_token: Option<String>,
}

/// The 2021-04-06 form of a qualifier (`?qualifier=`); the 2016-08-15 form is
/// `{serviceName}.{qualifier}` in the path. Both may be given when they agree.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QualifierParam {
    /// A version id, an alias name or `LATEST`.
    pub qualifier: Option<String>,
}

/// A change of a resource that has an ETag (fc-api.md §3.1, optimistic concurrency).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Header)]
pub struct IfMatch {
    /// The ETag the change is meant for; `*` or absent: any. A mismatch is 412
    /// `PreconditionFailed`.
    #[param(value_type = String, rename = "If-Match")]
    pub if_match: Option<String>,
}

/// `{serviceName}`: a service's name; on the routes that take a qualifier
/// (GetService, ListFunctions, GetFunction, GetFunctionCode, InvokeFunction, the
/// async invoke config) also `name.qualifier` (a version id or alias).
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct ServicePath {
    pub service_name: String,
}

/// `{serviceName}/functions/{functionName}`.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct FunctionPath {
    /// A service's name, or `name.qualifier` where FC takes a qualifier.
    pub service_name: String,
    pub function_name: String,
}

/// A trigger of a function.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct TriggerPath {
    pub service_name: String,
    pub function_name: String,
    pub trigger_name: String,
}

/// A published version of a service.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct VersionPath {
    pub service_name: String,
    pub version_id: String,
}

/// An alias of a service.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct AliasPath {
    pub service_name: String,
    pub alias_name: String,
}

/// A layer.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct LayerPath {
    pub layer_name: String,
}

/// A version of a layer.
#[derive(Debug, IntoParams)]
#[into_params(parameter_in = Path, rename_all = "camelCase")]
pub struct LayerVersionPath {
    pub layer_name: String,
    pub version: String,
}
