//! Async invoke configs (fc-api.md §8.2).

use utoipa::ToSchema;

/// One destination: an FC function ARN,
/// `acs:fc:<region>:<uid>:services/<svc>.<qualifier>/functions/<fn>`.
#[derive(Debug, ToSchema)]
pub struct Destination {
    pub destination: String,
}

/// Where results go.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct DestinationConfig {
    pub on_success: Option<Destination>,
    pub on_failure: Option<Destination>,
}

/// PutFunctionAsyncInvokeConfig's body.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AsyncConfigPut {
    /// 0 to 8; default 3.
    #[schema(minimum = 0, maximum = 8)]
    pub max_async_retry_attempts: Option<i64>,
    /// 1 to 2592000; default 86400.
    #[schema(minimum = 1, maximum = 2592000)]
    pub max_async_event_age_in_seconds: Option<i64>,
    pub destination_config: Option<DestinationConfig>,
    pub stateful_invocation: Option<bool>,
}

/// An async invoke config.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AsyncConfig {
    pub service: String,
    pub function: String,
    pub qualifier: String,
    pub max_async_retry_attempts: i64,
    pub max_async_event_age_in_seconds: i64,
    pub destination_config: DestinationConfig,
    pub stateful_invocation: bool,
    pub created_time: String,
    pub last_modified_time: String,
}

/// ListFunctionAsyncInvokeConfigs' answer.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct AsyncConfigList {
    pub configs: Vec<AsyncConfig>,
    /// `""` on the last page.
    pub next_token: String,
}
