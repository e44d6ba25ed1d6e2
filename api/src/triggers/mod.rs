//! Triggers: how functions run besides InvokeFunction. The whole model is one
//! small trait, [`TriggerType`]; each trigger type is one file.
//!
//! - [`http`]: the HTTP trigger (`/proxy/...`, `authType`, `methods`, WebSocket);
//! - [`timer`]: the timer trigger and its scheduler;
//! - [`oss`]: OSS triggers, fired by the embedded object store (and by MinIO or
//!   Ceph RGW notifications), through the event-source core [`sources`];
//! - [`eventbridge`]: FC's EventBridge triggers: RabbitMQ and MQTT brokers
//!   (named in [`brokers`]) and Alertmanager's alerts as CloudMonitor events;
//! - [`log`]: Log triggers on the platform's logstores ([`crate::control::logstores`]);
//! - [`stored`]: event sources outside this machine (MNS, CDN, ...), kept with
//!   their config so FC tools round-trip; nothing delivers their events locally.

pub mod brokers;
pub mod eventbridge;
pub mod http;
pub mod http_routes;
pub mod jobs;
pub mod log;
pub mod oss;
pub mod platform;
pub mod schedule;
pub mod scheduler;
pub mod sources;
mod stored;
pub mod tablestore;
pub mod timer;

pub use http_routes::HttpRoutes;

use serde_json::Value;

use crate::control::error::ApiResult;
use crate::control::model::str_of;
use crate::control::resources::Trigger;
use crate::control::store::{Kind, ListQuery, Reader, Tx};
use crate::triggers::platform::Platform;

/// One trigger type.
pub trait TriggerType: Send + Sync {
    /// FC's `triggerType`.
    fn name(&self) -> &'static str;

    /// Checks a `triggerConfig` on create and update; the error tells the user what is wrong.
    fn validate(&self, config: &Value) -> Result<(), String>;

    /// [`Self::validate`], plus what depends on this node's config (the
    /// brokers a trigger names). Default: [`Self::validate`].
    fn validate_with(&self, config: &Value, _brokers: &brokers::Brokers) -> Result<(), String> {
        self.validate(config)
    }

    /// Checks `sourceArn` on create (the error names the field). Default: any.
    fn validate_source_arn(&self, _source_arn: Option<&str>) -> Result<(), String> {
        Ok(())
    }

    /// Checks the trigger's row against the rest of the platform (OSS's
    /// per-bucket rules), in the transaction that writes it. Default: nothing.
    fn check_in(&self, _tx: &dyn Reader, _key: &TriggerKey, _row: &Value) -> ApiResult<()> {
        Ok(())
    }

    /// Brings the running trigger in line with its stored row (`None`: deleted).
    /// Called after every change and, for every stored trigger, at start-up.
    fn apply(&self, _platform: &Platform, _key: &TriggerKey, _trigger: Option<&Trigger>) {}

    /// Sets up what the trigger needs outside the store (TableStore's change
    /// capture), once CreateTrigger has written its row; an error undoes the
    /// create and is the API's answer. Default: nothing.
    fn prepare<'a>(
        &'a self,
        _platform: &'a Platform,
        _key: &'a TriggerKey,
        _row: &'a Value,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async { Ok(()) })
    }

    /// Cleans up after a deleted trigger (`row`: what it was): checkpoints,
    /// change capture. Called once, on the node that deleted it, inside the
    /// runtime. Default: nothing.
    fn removed(&self, _platform: &Platform, _key: &TriggerKey, _row: &Value) {}
}

/// A boxed future, for the trait's async hooks.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Which trigger a row is: service, function and trigger name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerKey {
    pub service: String,
    pub function: String,
    pub trigger: String,
}

impl TriggerKey {
    /// `service/function/trigger`, unique on the platform.
    pub fn path(&self) -> String {
        format!("{}/{}/{}", self.service, self.function, self.trigger)
    }
}

/// Every trigger type wasm-fc knows, by FC's name.
pub fn types() -> &'static [&'static dyn TriggerType] {
    &[
        &http::HttpTrigger,
        &timer::TimerTrigger,
        &oss::OssTrigger,
        &log::LogTrigger,
        &stored::StoredTrigger("mns_topic"),
        &stored::StoredTrigger("cdn_events"),
        &tablestore::TableStoreTrigger,
        &stored::StoredTrigger("rds"),
        &eventbridge::EventBridgeTrigger,
    ]
}

/// The trigger type called `name`.
pub fn type_named(name: &str) -> Option<&'static dyn TriggerType> {
    types().iter().copied().find(|t| t.name() == name)
}

/// Every trigger of a function, by name. (A function has a handful; 10,000 is a
/// bound, not a page size anyone reaches.)
pub async fn of_function(
    platform: &Platform,
    service: &str,
    function: &str,
) -> ApiResult<Vec<Trigger>> {
    platform
        .store
        .list(
            Kind::Trigger,
            &format!("{service}/{function}"),
            &ListQuery {
                limit: 10_000,
                ..ListQuery::default()
            },
        )
        .await?
        .items
        .iter()
        .map(crate::control::resources::from_row)
        .collect()
}

/// The qualifier a trigger serves, from its `qualifier` field: none or empty means LATEST.
pub fn qualifier_of(qualifier: &Value) -> &str {
    qualifier
        .as_str()
        .filter(|q| !q.is_empty())
        .unwrap_or("LATEST")
}

/// Deletes every trigger of a function in `tx` (DeleteFunction); returns the
/// deleted rows, for [`stop_all`] once the transaction commits.
pub fn delete_all_in(tx: &mut dyn Tx, service: &str, function: &str) -> ApiResult<Vec<Value>> {
    let scope = format!("{service}/{function}");
    let rows = tx
        .list(
            Kind::Trigger,
            &scope,
            &ListQuery {
                limit: 10_000,
                ..ListQuery::default()
            },
        )?
        .items;
    for row in &rows {
        tx.delete(Kind::Trigger, &scope, str_of(row, "triggerName"))?;
    }
    Ok(rows)
}

/// Stops the running triggers of deleted rows.
pub fn stop_all(platform: &Platform, service: &str, function: &str, rows: &[Value]) {
    for row in rows {
        let key = TriggerKey {
            service: service.to_string(),
            function: function.to_string(),
            trigger: str_of(row, "triggerName").to_string(),
        };
        if let Some(kind) = type_named(str_of(row, "triggerType")) {
            kind.apply(platform, &key, None);
            kind.removed(platform, &key, row);
        }
    }
}
