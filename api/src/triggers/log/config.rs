//! A Log trigger's `triggerConfig` and `sourceArn` (fc-events.md §1.3), checked
//! field by field: every bad value is a 400 naming it.

use serde_json::Value;

use crate::control::logstores::names;

/// `jobConfig.maxRetryTime` when absent: 3.
pub const DEFAULT_MAX_RETRY_TIME: u32 = 3;
/// `jobConfig.triggerInterval` when absent: 60 s.
pub const DEFAULT_TRIGGER_INTERVAL: u64 = 60;

/// A checked Log trigger config.
#[derive(Debug, Clone, PartialEq)]
pub struct LogTriggerConfig {
    /// `sourceConfig.logstore`: the logstore (in the sourceArn's project) read.
    pub logstore: String,
    /// `sourceConfig.startTime` (Unix s): a new trigger starts from the oldest
    /// kept entry at or after it, rather than from new entries only.
    pub start_time: Option<i64>,
    /// `jobConfig.maxRetryTime`, 0–100: retries after a failed invocation.
    pub max_retry_time: u32,
    /// `jobConfig.triggerInterval`, 3–600 s.
    pub trigger_interval: u64,
    /// `functionParameter`, passed as the event's `parameter`.
    pub function_parameter: Value,
    /// `logConfig`: where the trigger records its executions.
    pub log_target: Option<(String, String)>,
    /// `enable` (default true).
    pub enabled: bool,
}

impl LogTriggerConfig {
    pub fn parse(config: &Value) -> Result<Self, String> {
        let object = config
            .as_object()
            .ok_or("triggerConfig must be an object")?;
        let source = object
            .get("sourceConfig")
            .and_then(Value::as_object)
            .ok_or("triggerConfig.sourceConfig must be an object with the logstore to read")?;
        let logstore = source
            .get("logstore")
            .and_then(Value::as_str)
            .ok_or("triggerConfig.sourceConfig.logstore is required")?;
        if !names::logstore_ok(logstore) {
            return Err(format!(
                "triggerConfig.sourceConfig.logstore {logstore:?} is not a valid logstore name"
            ));
        }
        let start_time = match source.get("startTime") {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                v.as_i64()
                    .filter(|t| *t >= 0)
                    .ok_or("triggerConfig.sourceConfig.startTime must be Unix seconds")?,
            ),
        };
        let job = match object.get("jobConfig") {
            None | Some(Value::Null) => serde_json::Map::new(),
            Some(Value::Object(job)) => job.clone(),
            Some(_) => return Err("triggerConfig.jobConfig must be an object".into()),
        };
        let ranged = |key: &str, min: i64, max: i64, default: i64| -> Result<i64, String> {
            match job.get(key) {
                None | Some(Value::Null) => Ok(default),
                Some(v) => v.as_i64().filter(|n| (min..=max).contains(n)).ok_or_else(|| {
                    format!("triggerConfig.jobConfig.{key} must be an integer in {min}..={max}, got {v}")
                }),
            }
        };
        let max_retry_time =
            ranged("maxRetryTime", 0, 100, i64::from(DEFAULT_MAX_RETRY_TIME))? as u32;
        let trigger_interval =
            ranged("triggerInterval", 3, 600, DEFAULT_TRIGGER_INTERVAL as i64)? as u64;
        let log_target = match object.get("logConfig") {
            None | Some(Value::Null) => None,
            Some(c) if c.is_object() => {
                crate::control::logstores::target_of(c, "triggerConfig.logConfig")
                    .map_err(|e| e.to_string())?
            }
            Some(_) => return Err("triggerConfig.logConfig must be an object".into()),
        };
        let enabled = match object.get("enable") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err("triggerConfig.enable must be a boolean".into()),
        };
        Ok(Self {
            logstore: logstore.to_string(),
            start_time,
            max_retry_time,
            trigger_interval,
            function_parameter: object
                .get("functionParameter")
                .cloned()
                .unwrap_or(Value::Object(Default::default())),
            log_target,
            enabled,
        })
    }
}

/// The project of a Log trigger's `sourceArn`
/// (`acs:log:{region}:{accountId}:project/{project}`).
pub fn project_of(source_arn: Option<&str>) -> Result<&str, String> {
    let arn = source_arn
        .ok_or("sourceArn is required: acs:log:{region}:{accountId}:project/{project}")?;
    let parts: Vec<&str> = arn.splitn(5, ':').collect();
    let project = match parts.as_slice() {
        ["acs", "log", _, _, resource] => resource.strip_prefix("project/"),
        _ => None,
    }
    .ok_or_else(|| {
        format!("sourceArn {arn:?} is not acs:log:{{region}}:{{accountId}}:project/{{project}}")
    })?;
    if !names::project_ok(project) {
        return Err(format!(
            "sourceArn {arn:?} names an invalid project {project:?}"
        ));
    }
    Ok(project)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fcs_example_parses_with_defaults_for_what_is_left_out() {
        let c = LogTriggerConfig::parse(&json!({
            "sourceConfig": {"logstore": "source-logstore"},
            "jobConfig": {"maxRetryTime": 10, "triggerInterval": 60},
            "functionParameter": {"a": 1},
            "logConfig": {"project": "log-project", "logstore": "trigger-log-store"},
            "enable": true
        }))
        .unwrap();
        assert_eq!(c.max_retry_time, 10);
        assert_eq!(
            c.log_target,
            Some(("log-project".into(), "trigger-log-store".into()))
        );
        let c = LogTriggerConfig::parse(&json!({"sourceConfig": {"logstore": "ls"}})).unwrap();
        assert_eq!(
            (c.max_retry_time, c.trigger_interval, c.enabled),
            (3, 60, true)
        );
    }

    #[test]
    fn out_of_range_values_name_their_field() {
        for (config, field) in [
            (
                json!({"sourceConfig": {"logstore": "ls"}, "jobConfig": {"maxRetryTime": 101}}),
                "jobConfig.maxRetryTime",
            ),
            (
                json!({"sourceConfig": {"logstore": "ls"}, "jobConfig": {"triggerInterval": 2}}),
                "jobConfig.triggerInterval",
            ),
            (
                json!({"sourceConfig": {"logstore": "ls"}, "jobConfig": {"triggerInterval": 601}}),
                "jobConfig.triggerInterval",
            ),
            (json!({"sourceConfig": {}}), "sourceConfig.logstore"),
            (
                json!({"sourceConfig": {"logstore": "Bad"}}),
                "sourceConfig.logstore",
            ),
            (
                json!({"sourceConfig": {"logstore": "ls"}, "logConfig": {"project": "p-1"}}),
                "logConfig.logstore",
            ),
        ] {
            let err = LogTriggerConfig::parse(&config).unwrap_err();
            assert!(err.contains(field), "{err} should name {field}");
        }
        assert_eq!(
            project_of(Some("acs:log:cn-hangzhou:123:project/my-proj")).unwrap(),
            "my-proj"
        );
        assert!(project_of(Some("acs:oss:cn-hangzhou:123:project/my-proj")).is_err());
        assert!(project_of(None).is_err());
    }
}
