//! TableStore triggers (`triggerType: tablestore`, fc-events.md §1.7) on
//! PostgreSQL tables (docs/tablestore.md): each committed INSERT, UPDATE or
//! DELETE reaches the function as FC's stream record, CBOR-encoded.
//!
//! - [`instances`]: the databases, defined once per node (`--table-instance`);
//! - [`capture`]: the row trigger and change table that record changes in
//!   commit order (set up by CreateTrigger, removed by DeleteTrigger);
//! - [`records`]: changes as FC's records, and the CBOR event;
//! - [`job`]: delivery, retries, the leased position.

pub mod capture;
pub mod instances;
pub mod job;
pub mod records;

use std::sync::Arc;

use serde_json::Value;
use tokio::sync::watch;

use super::{BoxFuture, TriggerKey, TriggerType};
use crate::control::error::{ApiError, ApiResult};
use crate::control::model::str_of;
use crate::control::resources::Trigger;
use crate::triggers::jobs::{self, Wanted};
use crate::triggers::platform::Platform;

/// The instance and table of a TableStore trigger's `sourceArn`
/// (`acs:ots:{region}:{accountId}:instance/{instance}/table/{table}`); the
/// table may be `schema.table`.
pub fn source_of(source_arn: Option<&str>) -> Result<(&str, &str), String> {
    let arn = source_arn.ok_or(
        "sourceArn is required: acs:ots:{region}:{accountId}:instance/{instance}/table/{table}",
    )?;
    let parts: Vec<&str> = arn.splitn(5, ':').collect();
    let resource = match parts.as_slice() {
        ["acs", "ots", _, _, resource] => *resource,
        _ => "",
    };
    let (instance, table) = resource
        .strip_prefix("instance/")
        .and_then(|r| r.split_once("/table/"))
        .ok_or_else(|| format!("sourceArn {arn:?} is not acs:ots:{{region}}:{{accountId}}:instance/{{instance}}/table/{{table}}"))?;
    let ident = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let table_ok = match table.split_once('.') {
        Some((schema, name)) => ident(schema) && ident(name),
        None => ident(table),
    };
    if instance.is_empty() || !table_ok {
        return Err(format!(
            "sourceArn {arn:?}: the instance must be named and the table must be a PostgreSQL identifier (table or schema.table)"
        ));
    }
    Ok((instance, table))
}

/// The `tablestore` trigger type.
#[derive(Debug)]
pub struct TableStoreTrigger;

impl TriggerType for TableStoreTrigger {
    fn name(&self) -> &'static str {
        "tablestore"
    }

    /// FC requires `{}`.
    fn validate(&self, config: &Value) -> Result<(), String> {
        match config.as_object() {
            Some(map) if map.is_empty() => Ok(()),
            Some(map) => Err(format!(
                "triggerConfig must be {{}} for a tablestore trigger, as FC requires; it has {}",
                map.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
            None => Err("triggerConfig must be {} for a tablestore trigger".into()),
        }
    }

    fn validate_source_arn(&self, source_arn: Option<&str>) -> Result<(), String> {
        source_of(source_arn).map(|_| ())
    }

    /// Sets up change capture on the table: a 400 for an unknown instance, a
    /// missing table or one without a primary key.
    fn prepare<'a>(
        &'a self,
        p: &'a Platform,
        key: &'a TriggerKey,
        row: &'a Value,
    ) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            let (instance, table) =
                source_of(row["sourceArn"].as_str()).map_err(ApiError::InvalidArgument)?;
            let instance = p
                .table_instances()
                .check(instance)
                .map_err(ApiError::InvalidArgument)?;
            let mut client = capture::connect(&instance.url, None).await.map_err(|e| {
                ApiError::InvalidArgument(format!("sourceArn: instance {}: {e}", instance.name))
            })?;
            capture::set_up(&mut client, table, &key.path())
                .await
                .map_err(|e| match e {
                    capture::CaptureError::NoTable(_) | capture::CaptureError::NoPrimaryKey(_) => {
                        ApiError::InvalidArgument(format!("sourceArn: {e}"))
                    }
                    other => ApiError::internal("setting up change capture", other),
                })
        })
    }

    /// The runner starts or stops the trigger's job.
    fn apply(&self, platform: &Platform, _key: &TriggerKey, _trigger: Option<&Trigger>) {
        platform.table_jobs.poke();
    }

    /// A deleted trigger's capture goes with it (the table's trigger and
    /// changes too, when it was the table's last).
    fn removed(&self, platform: &Platform, key: &TriggerKey, row: &Value) {
        let Ok((instance, table)) =
            source_of(row["sourceArn"].as_str()).map(|(i, t)| (i.to_string(), t.to_string()))
        else {
            return;
        };
        let Some(instance) = platform.table_instances().get(&instance).cloned() else {
            return;
        };
        let consumer = key.path();
        tokio::spawn(async move {
            let torn = async {
                let mut client = capture::connect(&instance.url, None).await?;
                capture::tear_down(&mut client, &table, &consumer).await
            };
            if let Err(e) = torn.await {
                tracing::warn!(trigger = %consumer, error = %e, "cannot remove a deleted TableStore trigger's change capture");
            }
        });
    }
}

/// Runs the TableStore trigger jobs until `shutdown`.
pub fn spawn(p: &Arc<Platform>, shutdown: watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    jobs::spawn(p, |p| &p.table_jobs, wanted, shutdown)
}

fn wanted(p: &Arc<Platform>, rows: &[Value]) -> Vec<Wanted> {
    let mut out = Vec::new();
    for row in rows
        .iter()
        .filter(|r| str_of(r, "triggerType") == "tablestore")
    {
        let Ok((instance, table)) = source_of(row["sourceArn"].as_str()) else {
            continue;
        };
        let Some(instance) = p.table_instances().get(instance).cloned() else {
            continue;
        };
        let key = TriggerKey {
            service: str_of(row, "_service").to_string(),
            function: str_of(row, "_function").to_string(),
            trigger: str_of(row, "triggerName").to_string(),
        };
        let qualifier = crate::triggers::qualifier_of(&row["qualifier"]).to_string();
        let fingerprint = format!("{}|{qualifier}", row["sourceArn"]);
        let job = job::TableJob {
            platform: p.clone(),
            key,
            qualifier,
            instance,
            table: table.to_string(),
        };
        out.push(Wanted {
            path: job.key.path(),
            fingerprint,
            start: Box::new(move |stop| tokio::spawn(job.run(stop))),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_arns_name_an_instance_and_a_table() {
        assert_eq!(
            source_of(Some("acs:ots:cn-hangzhou:1:instance/ots/table/orders")).unwrap(),
            ("ots", "orders")
        );
        assert_eq!(
            source_of(Some("acs:ots:cn-hangzhou:1:instance/ots/table/app.orders")).unwrap(),
            ("ots", "app.orders")
        );
        for bad in [
            "acs:oss:x:1:instance/ots/table/t",
            "acs:ots:x:1:instance/ots",
            "acs:ots:x:1:instance/ots/table/t;drop",
            "acs:ots:x:1:instance//table/t",
        ] {
            assert!(source_of(Some(bad)).is_err(), "{bad}");
        }
        assert!(TableStoreTrigger.validate(&serde_json::json!({})).is_ok());
        assert!(
            TableStoreTrigger
                .validate(&serde_json::json!({"a": 1}))
                .unwrap_err()
                .contains("a")
        );
    }
}
