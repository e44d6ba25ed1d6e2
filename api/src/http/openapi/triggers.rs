//! The trigger object (fc-api.md §3.7) and its bodies.

use utoipa::ToSchema;

/// `triggerConfig`'s schema: an object (2016-08-15) or its JSON text (2021-04-06);
/// both prefixes take either. Its fields depend on `triggerType` (fc-api.md §6),
/// e.g. a timer's `{"cronExpression": "@every 1m", "enable": true, "payload": ""}`
/// or an HTTP trigger's `{"authType": "anonymous", "methods": ["GET"]}`.
pub fn object_or_text() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(ObjectBuilder::new().schema_type(Type::Object))
        .item(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(
            "An object (2016-08-15) or its JSON text (2021-04-06); its fields depend on triggerType.",
        ))
        .into()
}

/// CreateTrigger's body.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct TriggerCreate {
    /// `[A-Za-z_][A-Za-z0-9_-]*`, at most 128 characters.
    #[schema(pattern = "^[A-Za-z_][A-Za-z0-9_-]{0,127}$")]
    pub trigger_name: String,
    /// `http`, `timer`, `oss`, `log`, `mns_topic`, `cdn_events`, `tablestore`,
    /// `rds` or `eventbridge`.
    pub trigger_type: String,
    #[schema(schema_with = object_or_text)]
    pub trigger_config: String,
    pub source_arn: Option<String>,
    pub invocation_role: Option<String>,
    /// The version or alias the trigger invokes; null: LATEST.
    pub qualifier: Option<String>,
    pub description: Option<String>,
}

/// UpdateTrigger's body (`triggerType` and `sourceArn` cannot change).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct TriggerUpdate {
    #[schema(schema_with = object_or_text)]
    pub trigger_config: Option<String>,
    pub invocation_role: Option<String>,
    pub qualifier: Option<String>,
    pub description: Option<String>,
}

/// A trigger, as FC returns it: `triggerConfig` an object on 2016-08-15, its
/// JSON text on 2021-04-06 (what that API's models read).
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct Trigger {
    pub trigger_name: String,
    pub trigger_id: String,
    pub trigger_type: String,
    #[schema(schema_with = object_or_text)]
    pub trigger_config: String,
    /// Null for HTTP triggers.
    pub source_arn: Option<String>,
    pub invocation_role: Option<String>,
    pub qualifier: Option<String>,
    pub description: String,
    pub created_time: String,
    pub last_modified_time: String,
}

/// ListTriggers' answer.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "camelCase")]
pub struct TriggerList {
    pub triggers: Vec<Trigger>,
    /// Absent on the last page.
    pub next_token: Option<String>,
}
