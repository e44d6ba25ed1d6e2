//! The function object (fc-api.md §3.4), its bodies and GetFunctionCode.

use std::collections::BTreeMap;

use utoipa::ToSchema;

/// A code package. wasm-fc takes `zipFile` only; OSS fields are refused with 400.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Code {
    /// The zip, base64.
    #[schema(content_encoding = "base64")]
    pub zip_file: Option<String>,
    pub oss_bucket_name: Option<String>,
    pub oss_object_name: Option<String>,
}

/// The fields CreateFunction and UpdateFunction share, with FC's ranges.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct FunctionUpdate {
    /// e.g. `wasm32-wasi`, `custom`, `python3.10`, `nodejs18`.
    pub runtime: Option<String>,
    /// e.g. `index.handler`.
    pub handler: Option<String>,
    pub code: Option<Code>,
    pub description: Option<String>,
    /// MB, a multiple of 64 from 64 to 32768; default 128.
    #[schema(minimum = 64, maximum = 32768, multiple_of = 64)]
    pub memory_size: Option<i64>,
    /// Seconds, 1 to 86400; default 3.
    #[schema(minimum = 1, maximum = 86400)]
    pub timeout: Option<i64>,
    pub initializer: Option<String>,
    /// Seconds, 1 to 300; default 3.
    #[schema(minimum = 1, maximum = 300)]
    pub initialization_timeout: Option<i64>,
    /// At most 4 KB of names and values together.
    pub environment_variables: Option<BTreeMap<String, String>>,
    /// 1 to 200; default 1.
    #[schema(minimum = 1, maximum = 200)]
    pub instance_concurrency: Option<i64>,
    /// Default `e1`.
    pub instance_type: Option<String>,
    /// Layer ARNs, `acs:fc:<region>:<uid>:layers/<name>/versions/<n>`.
    pub layers: Option<Vec<String>>,
    pub ca_port: Option<i64>,
}

/// CreateFunction's body: [`FunctionUpdate`]'s fields plus the name; `runtime`,
/// `handler` and `code` are required.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct FunctionCreate {
    /// `[A-Za-z_][A-Za-z0-9_-]*`, at most 64 characters.
    #[schema(pattern = "^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
    pub function_name: String,
    pub runtime: String,
    pub handler: String,
    pub code: Code,
    pub description: Option<String>,
    #[schema(minimum = 64, maximum = 32768, multiple_of = 64)]
    pub memory_size: Option<i64>,
    #[schema(minimum = 1, maximum = 86400)]
    pub timeout: Option<i64>,
    pub initializer: Option<String>,
    #[schema(minimum = 1, maximum = 300)]
    pub initialization_timeout: Option<i64>,
    pub environment_variables: Option<BTreeMap<String, String>>,
    #[schema(minimum = 1, maximum = 200)]
    pub instance_concurrency: Option<i64>,
    pub instance_type: Option<String>,
    pub layers: Option<Vec<String>>,
    pub ca_port: Option<i64>,
}

/// A function, as FC returns it.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Function {
    pub function_id: String,
    pub function_name: String,
    pub description: String,
    pub runtime: String,
    pub handler: String,
    pub timeout: i64,
    pub initializer: Option<String>,
    pub initialization_timeout: i64,
    /// The zip's size in bytes.
    pub code_size: i64,
    /// CRC-64/XZ of the zip, a decimal string.
    pub code_checksum: String,
    pub memory_size: i64,
    pub environment_variables: BTreeMap<String, String>,
    pub instance_concurrency: i64,
    pub instance_type: String,
    pub layers: Option<Vec<String>>,
    pub ca_port: Option<i64>,
    /// Always null here.
    #[schema(value_type = Option<Object>)]
    pub custom_container_config: Option<String>,
    /// Always null here.
    #[schema(value_type = Option<Object>)]
    pub instance_lifecycle_config: Option<String>,
    pub created_time: String,
    pub last_modified_time: String,
}

/// ListFunctions' answer.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct FunctionList {
    pub functions: Vec<Function>,
    /// Absent on the last page.
    pub next_token: Option<String>,
}

/// GetFunctionCode's answer: a download URL valid for 10 minutes.
#[derive(Debug, ToSchema)]
pub struct FunctionCode {
    pub url: String,
    /// The function's `codeChecksum`.
    pub checksum: String,
}

/// The query of a code download URL (signed by the server, not by FC's scheme).
#[derive(Debug, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadParams {
    /// Unix seconds.
    pub expires: u64,
    pub signature: String,
}
