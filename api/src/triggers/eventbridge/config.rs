//! An `eventbridge` trigger's `triggerConfig`, parsed and checked with FC's
//! key spellings (fc-events.md §1.5): camelCase outside, PascalCase inside
//! `eventSourceParameters`, `batchWindow` and `retryStrategy`.
//!
//! Every error names the field (`triggerConfig.runOptions.batchWindow.
//! CountBasedWindow …`) and FC's range. Defaults, where a key is absent:
//! `triggerEnable` true, `asyncInvocationType` false, `mode`
//! `event-streaming`, `CountBasedWindow` 1, `TimeBasedWindow` 0 s,
//! `PushRetryStrategy` `BACKOFF_RETRY` (3 retries, 10–20 s apart),
//! `MaximumEventAgeInSeconds` 86400, `errorsTolerance` `ALL`, `eventSchema`
//! `CloudEvents`.

use std::time::Duration;

use serde_json::{Map, Value};

use super::pattern::Pattern;
use crate::triggers::brokers::{Brokers, Protocol};

/// Where a trigger's events come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `Default`: events on the platform's own bus (alarms), chosen by
    /// `eventRuleFilterPattern`.
    Default,
    /// `RabbitMQ`: one queue of one vhost of a named broker.
    RabbitMq {
        instance: String,
        vhost: String,
        queue: String,
    },
    /// `MQTT`: a topic filter (with `+`/`#` wildcards) on a named broker.
    Mqtt {
        instance: String,
        topic: String,
        qos: u8,
    },
    /// MNS, RocketMQ, Kafka, DTS: kept so FC's tools round-trip; no broker of
    /// these kinds is consumed here.
    Stored(String),
}

/// `runOptions.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `event-streaming`: batches, delivered as a JSON array.
    Streaming,
    /// `event-driven`: one event (an object) per invocation.
    Driven,
}

/// `runOptions.retryStrategy.PushRetryStrategy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryKind {
    /// 3 retries by default, 10–20 s apart at random.
    Backoff,
    /// 176 retries by default, 1 s doubling up to 512 s.
    ExponentialDecay,
}

/// When a failing batch is tried again, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub kind: RetryKind,
    pub max_attempts: u32,
    pub max_event_age: Duration,
}

impl Retry {
    /// The wait before retry `n` (1-based).
    pub fn delay(&self, n: u32, random: f64) -> Duration {
        match self.kind {
            RetryKind::Backoff => Duration::from_secs_f64(10.0 + 10.0 * random.clamp(0.0, 1.0)),
            RetryKind::ExponentialDecay => Duration::from_secs(1u64 << n.saturating_sub(1).min(9))
                .min(Duration::from_secs(512)),
        }
    }
}

/// `eventSinkConfig.deliveryOption.eventSchema`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// The whole CloudEvents envelope.
    CloudEvents,
    /// Only the envelope's `data`.
    RawData,
}

/// Where events go once their retries are spent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetter {
    /// No `deadLetterQueue.Arn`: the function's onFailure destination (its
    /// async invoke config), if it has one.
    FunctionDestination,
    /// `acs:amqp:{region}:{account}:/instances/{broker}/vhosts/{vhost}/queues/{queue}`:
    /// a queue on a named RabbitMQ broker, which gets each message as it came.
    RabbitMq {
        instance: String,
        vhost: String,
        queue: String,
    },
}

/// A parsed `triggerConfig`.
#[derive(Debug, Clone, PartialEq)]
pub struct EventBridgeConfig {
    pub enabled: bool,
    pub async_invocation: bool,
    pub pattern: Pattern,
    pub source: Source,
    pub mode: Mode,
    /// Events per invocation at most (1–10000).
    pub batch_count: usize,
    /// How long a batch waits to fill (0–15 s).
    pub batch_window: Duration,
    pub retry: Retry,
    pub dead_letter: DeadLetter,
    /// `errorsTolerance: ALL` (true): a batch whose retries are spent is
    /// dead-lettered or dropped, and the stream goes on. `NONE`: without a
    /// dead-letter queue the stream stops there, leaving it in the broker.
    pub tolerate_errors: bool,
    pub schema: Schema,
}

type Fields<'a> = &'a Map<String, Value>;

fn object<'a>(parent: Fields<'a>, key: &str, path: &str) -> Result<Option<Fields<'a>>, String> {
    match parent.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(format!("{path}.{key} must be an object")),
    }
}

fn string(parent: Fields<'_>, key: &str, path: &str) -> Result<Option<String>, String> {
    match parent.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("{path}.{key} must be a string")),
    }
}

fn required(parent: Fields<'_>, key: &str, path: &str) -> Result<String, String> {
    string(parent, key, path)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| format!("{path}.{key} is required"))
}

fn boolean(parent: Fields<'_>, key: &str, path: &str, default: bool) -> Result<bool, String> {
    match parent.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(format!("{path}.{key} must be true or false")),
    }
}

fn integer(
    parent: Fields<'_>,
    key: &str,
    path: &str,
    range: std::ops::RangeInclusive<i64>,
    default: i64,
) -> Result<i64, String> {
    let value = match parent.get(key) {
        None | Some(Value::Null) => return Ok(default),
        Some(v) => v.as_i64(),
    };
    match value {
        Some(n) if range.contains(&n) => Ok(n),
        _ => Err(format!(
            "{path}.{key} must be an integer from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

impl EventBridgeConfig {
    /// Parses and checks `config`; brokers are checked by [`Self::check_brokers`].
    pub fn parse(config: &Value) -> Result<Self, String> {
        const ROOT: &str = "triggerConfig";
        let root = config
            .as_object()
            .ok_or_else(|| format!("{ROOT} must be an object"))?;
        let pattern = match root.get("eventRuleFilterPattern") {
            None | Some(Value::Null) => Pattern::default(),
            Some(Value::String(s)) if s.trim().is_empty() => Pattern::default(),
            Some(Value::String(s)) => {
                Pattern::parse_str(s).map_err(|e| format!("{ROOT}.eventRuleFilterPattern: {e}"))?
            }
            // FC's key is a JSON string; an object is taken as the same pattern.
            Some(v @ Value::Object(_)) => {
                Pattern::parse(v).map_err(|e| format!("{ROOT}.eventRuleFilterPattern: {e}"))?
            }
            Some(_) => {
                return Err(format!(
                    "{ROOT}.eventRuleFilterPattern must be a JSON string"
                ));
            }
        };
        let source = Self::source(root)?;
        let run = object(root, "runOptions", ROOT)?;
        let empty = Map::new();
        let run = run.unwrap_or(&empty);
        let run_path = format!("{ROOT}.runOptions");
        let mode = match string(run, "mode", &run_path)?.as_deref() {
            None | Some("") | Some("event-streaming") => Mode::Streaming,
            Some("event-driven") => Mode::Driven,
            Some(other) => {
                return Err(format!(
                    "{run_path}.mode {other:?} is not event-streaming or event-driven"
                ));
            }
        };
        let window_path = format!("{run_path}.batchWindow");
        let window = object(run, "batchWindow", &run_path)?.unwrap_or(&empty);
        let batch_count = integer(window, "CountBasedWindow", &window_path, 1..=10_000, 1)?;
        let batch_seconds = integer(window, "TimeBasedWindow", &window_path, 0..=15, 0)?;
        let retry_path = format!("{run_path}.retryStrategy");
        let retry = object(run, "retryStrategy", &run_path)?.unwrap_or(&empty);
        let kind = match string(retry, "PushRetryStrategy", &retry_path)?.as_deref() {
            None | Some("") | Some("BACKOFF_RETRY") => RetryKind::Backoff,
            Some("EXPONENTIAL_DECAY_RETRY") => RetryKind::ExponentialDecay,
            Some(other) => {
                return Err(format!(
                    "{retry_path}.PushRetryStrategy {other:?} is not BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY"
                ));
            }
        };
        let default_attempts = match kind {
            RetryKind::Backoff => 3,
            RetryKind::ExponentialDecay => 176,
        };
        let max_attempts = integer(
            retry,
            "MaximumRetryAttempts",
            &retry_path,
            0..=176,
            default_attempts,
        )?;
        let max_age = integer(
            retry,
            "MaximumEventAgeInSeconds",
            &retry_path,
            0..=86_400,
            86_400,
        )?;
        let dead_letter = match object(run, "deadLetterQueue", &run_path)? {
            None => DeadLetter::FunctionDestination,
            Some(dlq) => match string(dlq, "Arn", &format!("{run_path}.deadLetterQueue"))? {
                None => DeadLetter::FunctionDestination,
                Some(arn) if arn.is_empty() => DeadLetter::FunctionDestination,
                Some(arn) => parse_amqp_queue_arn(&arn).ok_or_else(|| {
                    format!(
                        "{run_path}.deadLetterQueue.Arn {arn:?} is not acs:amqp:{{region}}:{{account}}:/instances/{{broker}}/vhosts/{{vhost}}/queues/{{queue}} (leave it out to use the function's onFailure destination)"
                    )
                })?,
            },
        };
        if matches!(source, Source::Mqtt { .. })
            && matches!(dead_letter, DeadLetter::RabbitMq { .. })
        {
            return Err(format!(
                "{run_path}.deadLetterQueue.Arn: an MQTT trigger's dead letters go to the function's onFailure destination; leave the Arn out"
            ));
        }
        let tolerate_errors = match string(run, "errorsTolerance", &run_path)?.as_deref() {
            None | Some("") | Some("ALL") => true,
            Some("NONE") => false,
            Some(other) => {
                return Err(format!(
                    "{run_path}.errorsTolerance {other:?} is not ALL or NONE"
                ));
            }
        };
        let sink_path = format!("{ROOT}.eventSinkConfig");
        let sink = object(root, "eventSinkConfig", ROOT)?.unwrap_or(&empty);
        let delivery_path = format!("{sink_path}.deliveryOption");
        let delivery = object(sink, "deliveryOption", &sink_path)?.unwrap_or(&empty);
        let schema = match string(delivery, "eventSchema", &delivery_path)?.as_deref() {
            None | Some("") | Some("CloudEvents") => Schema::CloudEvents,
            Some("RawData") => Schema::RawData,
            Some(other) => {
                return Err(format!(
                    "{delivery_path}.eventSchema {other:?} is not CloudEvents or RawData"
                ));
            }
        };
        Ok(Self {
            enabled: boolean(root, "triggerEnable", ROOT, true)?,
            async_invocation: boolean(root, "asyncInvocationType", ROOT, false)?,
            pattern,
            source,
            mode,
            batch_count: batch_count as usize,
            batch_window: Duration::from_secs(batch_seconds as u64),
            retry: Retry {
                kind,
                max_attempts: max_attempts as u32,
                max_event_age: Duration::from_secs(max_age as u64),
            },
            dead_letter,
            tolerate_errors,
            schema,
        })
    }

    fn source(root: Fields<'_>) -> Result<Source, String> {
        const PATH: &str = "triggerConfig.eventSourceConfig";
        let Some(source) = object(root, "eventSourceConfig", "triggerConfig")? else {
            return Err(format!("{PATH} is required"));
        };
        let kind = required(source, "eventSourceType", PATH)?;
        let params_path = format!("{PATH}.eventSourceParameters");
        let empty = Map::new();
        let params = object(source, "eventSourceParameters", PATH)?.unwrap_or(&empty);
        match kind.as_str() {
            "Default" => Ok(Source::Default),
            "RabbitMQ" => {
                let path = format!("{params_path}.sourceRabbitMQParameters");
                let p = object(params, "sourceRabbitMQParameters", &params_path)?
                    .ok_or_else(|| format!("{path} is required for RabbitMQ"))?;
                Ok(Source::RabbitMq {
                    instance: required(p, "InstanceId", &path)?,
                    vhost: string(p, "VirtualHostName", &path)?
                        .filter(|v| !v.is_empty())
                        .unwrap_or_else(|| "/".into()),
                    queue: required(p, "QueueName", &path)?,
                })
            }
            "MQTT" => {
                let path = format!("{params_path}.sourceMQTTParameters");
                let p = object(params, "sourceMQTTParameters", &params_path)?
                    .ok_or_else(|| format!("{path} is required for MQTT"))?;
                let topic = required(p, "Topic", &path)?;
                check_topic_filter(&topic).map_err(|e| format!("{path}.Topic {topic:?}: {e}"))?;
                Ok(Source::Mqtt {
                    instance: required(p, "InstanceId", &path)?,
                    topic,
                    qos: integer(p, "QoS", &path, 0..=1, 1)? as u8,
                })
            }
            "MNS" | "RocketMQ" | "Kafka" | "DTS" => Ok(Source::Stored(kind)),
            other => Err(format!(
                "{PATH}.eventSourceType {other:?} is not one of Default, RabbitMQ, MQTT, MNS, RocketMQ, Kafka, DTS"
            )),
        }
    }

    /// FC's `eventSourceType` of the config.
    pub fn source_kind(&self) -> &str {
        match &self.source {
            Source::Default => "Default",
            Source::RabbitMq { .. } => "RabbitMQ",
            Source::Mqtt { .. } => "MQTT",
            Source::Stored(kind) => kind,
        }
    }

    /// Checks that the brokers the config names are defined on this node.
    pub fn check_brokers(&self, brokers: &Brokers) -> Result<(), String> {
        let params = "triggerConfig.eventSourceConfig.eventSourceParameters";
        match &self.source {
            Source::RabbitMq { instance, .. } => brokers.check(
                instance,
                Protocol::Amqp,
                &format!("{params}.sourceRabbitMQParameters.InstanceId"),
            )?,
            Source::Mqtt { instance, .. } => brokers.check(
                instance,
                Protocol::Mqtt,
                &format!("{params}.sourceMQTTParameters.InstanceId"),
            )?,
            Source::Default | Source::Stored(_) => {}
        }
        if let DeadLetter::RabbitMq { instance, .. } = &self.dead_letter {
            brokers.check(
                instance,
                Protocol::Amqp,
                "triggerConfig.runOptions.deadLetterQueue.Arn's instance",
            )?;
        }
        Ok(())
    }
}

/// `acs:amqp:{region}:{account}:/instances/{broker}/vhosts/{vhost}/queues/{queue}`.
fn parse_amqp_queue_arn(arn: &str) -> Option<DeadLetter> {
    let rest = arn.strip_prefix("acs:amqp:")?;
    let (_, path) = rest.split_once(":/")?;
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["instances", instance, "vhosts", vhost, "queues", queue]
            if !instance.is_empty() && !queue.is_empty() =>
        {
            let vhost = percent_encoding::percent_decode_str(vhost)
                .decode_utf8_lossy()
                .into_owned();
            Some(DeadLetter::RabbitMq {
                instance: instance.to_string(),
                vhost: if vhost.is_empty() { "/".into() } else { vhost },
                queue: queue.to_string(),
            })
        }
        _ => None,
    }
}

/// An MQTT topic filter: `+` and `#` only as whole levels, `#` only last.
fn check_topic_filter(topic: &str) -> Result<(), &'static str> {
    if topic.len() > 65_535 {
        return Err("longer than MQTT allows");
    }
    let levels: Vec<&str> = topic.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i + 1 != levels.len()) {
            return Err("'#' must be a whole level and the last one");
        }
        if level.contains('+') && *level != "+" {
            return Err("'+' must be a whole level");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rabbit(run: Value) -> Value {
        json!({
            "eventSourceConfig": {"eventSourceType": "RabbitMQ", "eventSourceParameters": {
                "sourceRabbitMQParameters": {"InstanceId": "local", "VirtualHostName": "v", "QueueName": "q"}}},
            "runOptions": run,
        })
    }

    #[test]
    fn reads_fcs_keys_and_defaults() {
        let c = EventBridgeConfig::parse(&rabbit(json!({}))).unwrap();
        assert_eq!(c.mode, Mode::Streaming);
        assert_eq!((c.batch_count, c.batch_window), (1, Duration::ZERO));
        assert_eq!(c.retry.kind, RetryKind::Backoff);
        assert_eq!(c.retry.max_attempts, 3);
        assert!(c.tolerate_errors && c.enabled && !c.async_invocation);
        let c = EventBridgeConfig::parse(&rabbit(json!({
            "mode": "event-driven",
            "batchWindow": {"CountBasedWindow": 100, "TimeBasedWindow": 2},
            "retryStrategy": {"PushRetryStrategy": "EXPONENTIAL_DECAY_RETRY", "MaximumRetryAttempts": 2},
            "deadLetterQueue": {"Arn": "acs:amqp:cn-hangzhou:123:/instances/local/vhosts/v/queues/dead"},
            "errorsTolerance": "NONE",
        })))
        .unwrap();
        assert_eq!(c.mode, Mode::Driven);
        assert_eq!(c.batch_count, 100);
        assert_eq!(c.retry.delay(3, 0.0), Duration::from_secs(4));
        assert_eq!(
            c.dead_letter,
            DeadLetter::RabbitMq {
                instance: "local".into(),
                vhost: "v".into(),
                queue: "dead".into()
            }
        );
    }

    #[test]
    fn errors_name_the_field() {
        for (run, field) in [
            (
                json!({"batchWindow": {"CountBasedWindow": 0}}),
                "CountBasedWindow",
            ),
            (
                json!({"batchWindow": {"TimeBasedWindow": 16}}),
                "TimeBasedWindow",
            ),
            (json!({"mode": "x"}), "mode"),
            (json!({"errorsTolerance": "SOME"}), "errorsTolerance"),
            (
                json!({"deadLetterQueue": {"Arn": "acs:mns:x"}}),
                "deadLetterQueue.Arn",
            ),
        ] {
            let err = EventBridgeConfig::parse(&rabbit(run)).unwrap_err();
            assert!(err.contains(field), "{err}");
        }
        let err = EventBridgeConfig::parse(&json!({"eventSourceConfig": {"eventSourceType": "MQTT",
            "eventSourceParameters": {"sourceMQTTParameters": {"InstanceId": "m", "Topic": "a/#/b"}}}}))
        .unwrap_err();
        assert!(err.contains("Topic"), "{err}");
    }
}
