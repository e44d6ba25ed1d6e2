//! Prometheus Alertmanager's webhook as FC's CloudMonitor events
//! (fc-events.md §1.6): each alert of a notification, firing or resolved,
//! becomes one CloudEvent on the platform's `default` bus, delivered to the
//! `eventbridge` triggers with `eventSourceType: Default` whose
//! `eventRuleFilterPattern` matches it.
//!
//! The envelope: `source: acs.cms`, `type: cms:CloudMonitor:AlertWebHook`,
//! `subject: acs:cms:{region}:{account}:alert/{alertname}`, `time` the
//! alert's `startsAt` (firing) or `endsAt` (resolved). Its `data` is
//! CloudMonitor's system-event shape, mapped from the alert:
//!
//! | field          | from the alert                                                       |
//! |----------------|----------------------------------------------------------------------|
//! | `product`      | label `product`, else `CloudMonitor`                                 |
//! | `resourceId`   | label `resourceId`, else `acs:prometheus:{region}:{account}:instance/{instance label, else job label, else alertname}` |
//! | `level`        | label `severity`: critical/error/page → `CRITICAL`, warning/warn → `WARN`, info/none → `INFO`; absent → `WARN`; anything else upper-cased |
//! | `name`         | label `alertname`                                                    |
//! | `instanceName` | label `instance` (when there is one)                                 |
//! | `status`       | the alert's `status`: `firing` or `resolved`                         |
//! | `regionId`     | label `regionId`, else the platform's region                         |
//! | `content`      | the annotations, plus `labels`, `startsAt`, `endsAt`, `generatorURL`, `fingerprint`, `externalURL`, `receiver` and `groupKey` |
//!
//! Delivery goes through the event-source core: each matching trigger gets
//! one durable async invocation per alert (its async config's retries and
//! onFailure destination apply), queued before the webhook is answered.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::config::{EventBridgeConfig, Source};
use super::envelope::{Bus, Event, now_ms, payload};
use crate::control::error::ApiResult;
use crate::control::model::str_of;
use crate::control::store::Kind;
use crate::triggers::TriggerKey;
use crate::triggers::platform::Platform;
use crate::triggers::sources::{self, Delivery};

/// Alertmanager's webhook body (version 4).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    #[serde(default)]
    pub receiver: String,
    #[serde(default)]
    pub status: String,
    pub alerts: Vec<Alert>,
    #[serde(default)]
    pub group_key: String,
    #[serde(default, rename = "externalURL")]
    pub external_url: String,
}

/// One alert of a notification.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    pub status: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub starts_at: String,
    #[serde(default)]
    pub ends_at: String,
    #[serde(default, rename = "generatorURL")]
    pub generator_url: String,
    #[serde(default)]
    pub fingerprint: String,
}

/// Why a webhook body is refused.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("the body is not Alertmanager's webhook JSON: {0}")]
    Body(String),
    #[error("alert {index} has status {status:?}; Alertmanager sends firing or resolved")]
    Status { index: usize, status: String },
}

/// Parses a webhook body.
pub fn parse(body: &[u8]) -> Result<Notification, AlertError> {
    let n: Notification =
        serde_json::from_slice(body).map_err(|e| AlertError::Body(e.to_string()))?;
    for (index, alert) in n.alerts.iter().enumerate() {
        if alert.status != "firing" && alert.status != "resolved" {
            return Err(AlertError::Status {
                index,
                status: alert.status.clone(),
            });
        }
    }
    Ok(n)
}

fn level_of(severity: Option<&str>) -> String {
    match severity.map(str::to_ascii_lowercase).as_deref() {
        None => "WARN".into(),
        Some("critical" | "error" | "page" | "fatal") => "CRITICAL".into(),
        Some("warning" | "warn") => "WARN".into(),
        Some("info" | "none" | "informational") => "INFO".into(),
        Some(other) => other.to_ascii_uppercase(),
    }
}

fn rfc3339_ms(text: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
        .filter(|ms| *ms > 0)
}

/// The CloudMonitor event of one alert.
pub fn event_of(n: &Notification, alert: &Alert, region: &str, account: &str) -> Event {
    let label = |k: &str| alert.labels.get(k).map(String::as_str);
    let name = label("alertname").unwrap_or_default();
    let resource = label("instance").or(label("job")).unwrap_or(name);
    let mut content: Map<String, Value> = alert
        .annotations
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    content.insert("labels".into(), json!(alert.labels));
    for (k, v) in [
        ("startsAt", &alert.starts_at),
        ("endsAt", &alert.ends_at),
        ("generatorURL", &alert.generator_url),
        ("fingerprint", &alert.fingerprint),
        ("externalURL", &n.external_url),
        ("receiver", &n.receiver),
        ("groupKey", &n.group_key),
    ] {
        content.insert(k.into(), json!(v));
    }
    let mut data = json!({
        "product": label("product").unwrap_or("CloudMonitor"),
        "resourceId": label("resourceId").map(str::to_string).unwrap_or_else(||
            format!("acs:prometheus:{region}:{account}:instance/{resource}")),
        "level": level_of(label("severity")),
        "name": name,
        "content": content,
        "status": alert.status,
        "regionId": label("regionId").unwrap_or(region),
    });
    if let (Some(instance), Some(fields)) = (label("instance"), data.as_object_mut()) {
        fields.insert("instanceName".into(), json!(instance));
    }
    let when = if alert.status == "resolved" {
        &alert.ends_at
    } else {
        &alert.starts_at
    };
    Event {
        id: crate::control::model::new_id(),
        source: "acs.cms".into(),
        kind: "cms:CloudMonitor:AlertWebHook",
        subject: format!("acs:cms:{region}:{account}:alert/{name}"),
        time_ms: rfc3339_ms(when).unwrap_or_else(now_ms),
        data,
    }
}

/// Delivers each alert of `n` to the bus triggers it matches; returns how
/// many invocations were queued.
pub async fn dispatch(p: &Platform, n: &Notification) -> ApiResult<usize> {
    let region = p.identity.region.clone();
    let account = p.identity.account_id.clone();
    let bus = Bus {
        account_id: &account,
        region: &region,
        name: "default",
        publish_addr: "127.0.0.1",
    };
    let mut triggers = Vec::new();
    for row in p.store.list_all(Kind::Trigger).await? {
        if str_of(&row, "triggerType") != "eventbridge" {
            continue;
        }
        let Ok(config) = EventBridgeConfig::parse(&row["triggerConfig"]) else {
            continue;
        };
        if config.source != Source::Default {
            continue;
        }
        let key = TriggerKey {
            service: str_of(&row, "_service").to_string(),
            function: str_of(&row, "_function").to_string(),
            trigger: str_of(&row, "triggerName").to_string(),
        };
        let qualifier = crate::triggers::qualifier_of(&row["qualifier"]).to_string();
        triggers.push((key, qualifier, config));
    }
    let mut deliveries = Vec::new();
    for alert in &n.alerts {
        let event = event_of(n, alert, &region, &account);
        let envelope = event.envelope(&bus);
        for (key, qualifier, config) in &triggers {
            if !config.pattern.matches(&envelope) {
                continue;
            }
            deliveries.push(Delivery {
                trigger: key.clone(),
                qualifier: qualifier.clone(),
                enabled: config.enabled,
                payload: payload(
                    std::slice::from_ref(&event),
                    &bus,
                    config.schema,
                    config.mode,
                ),
                event_ms: event.time_ms,
                caused_at_depth: None,
            });
        }
    }
    let queued = deliveries.iter().filter(|d| d.enabled).count();
    sources::deliver(p, deliveries).await?;
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_labels_and_annotations_to_cloudmonitor_fields() {
        let n = parse(br#"{"version":"4","status":"firing","receiver":"wasm-fc","groupKey":"{}:{}",
            "externalURL":"http://am","alerts":[{"status":"resolved","labels":{"alertname":"HighErrorRate",
            "severity":"critical","instance":"node-1"},"annotations":{"summary":"errors"},
            "startsAt":"2026-12-02T08:00:00Z","endsAt":"2026-12-02T08:05:00.5Z","fingerprint":"ab"}]}"#)
        .unwrap();
        let e = event_of(&n, &n.alerts[0], "cn-hangzhou", "123");
        assert_eq!(e.data["level"], "CRITICAL");
        assert_eq!(e.data["status"], "resolved");
        assert_eq!(e.data["name"], "HighErrorRate");
        assert_eq!(e.data["instanceName"], "node-1");
        assert_eq!(
            e.data["resourceId"],
            "acs:prometheus:cn-hangzhou:123:instance/node-1"
        );
        assert_eq!(e.data["content"]["summary"], "errors");
        assert_eq!(e.data["product"], "CloudMonitor");
        assert_eq!(e.time_ms, 1_796_198_700_500);
        assert!(parse(br#"{"alerts":[{"status":"odd"}]}"#).is_err());
        assert!(parse(b"nope").is_err());
    }
}
