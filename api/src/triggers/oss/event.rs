//! FC's OSS event (fc-events.md §1.2), built from an object event.

use serde_json::{Value, json};
use wasm_fc_objectstore::ObjectEvent;

/// The platform's identity as the event names it.
#[derive(Debug, Clone)]
pub struct EventIdentity<'a> {
    pub region: &'a str,
    pub account_id: &'a str,
}

/// `eventTime`: ISO 8601 in UTC with milliseconds, e.g. `2022-08-13T06:45:43.000Z`.
pub fn event_time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The whole event a function receives: `{"events": [record]}`, one record
/// per event as on FC.
pub fn oss_event(event: &ObjectEvent, who: &EventIdentity<'_>) -> Value {
    let mut object_meta = json!({ "mimeType": event.mime_type });
    if !event.user_meta.is_empty() {
        object_meta["userMeta"] = json!(event.user_meta);
    }
    json!({
        "events": [{
            "eventName": event.name,
            "eventSource": "acs:oss",
            "eventTime": event_time(event.time_ms),
            "eventVersion": "1.0",
            "oss": {
                "bucket": {
                    "arn": format!("acs:oss:{}:{}:{}", who.region, who.account_id, event.bucket),
                    "name": event.bucket,
                    "ownerIdentity": who.account_id,
                    "virtualBucket": "",
                },
                "object": {
                    "deltaSize": event.delta_size,
                    "eTag": event.etag,
                    "key": event.key,
                    "objectMeta": object_meta,
                    "size": event.size,
                },
                "ossSchemaVersion": "1.0",
                "ruleId": rule_id(event),
            },
            "region": who.region,
            "requestParameters": { "sourceIPAddress": event.source_ip },
            "responseElements": { "requestId": event.request_id },
            "userIdentity": { "principalId": who.account_id },
        }]
    })
}

/// A stable 40-hex-digit rule id per bucket (FC's is the notification rule's
/// id; here one rule per bucket).
fn rule_id(event: &ObjectEvent) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(event.bucket.as_bytes()))[..40].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_has_fc_fields_and_spelling() {
        let event = ObjectEvent {
            name: "ObjectCreated:PutObject",
            bucket: "photos".into(),
            key: "in/a.png".into(),
            size: 5,
            delta_size: 5,
            etag: "0CC175B9C0F1B6468E1199E269772661".into(),
            mime_type: "image/png".into(),
            user_meta: [("x-oss-meta-owner".to_string(), "ann".to_string())].into(),
            source_ip: "127.0.0.1".into(),
            request_id: "58F9FF2D3DF792092E12044C".into(),
            access_key_id: "KEY".into(),
            time_ms: 1_660_373_143_000,
            caused_at_depth: None,
        };
        let who = EventIdentity {
            region: "cn-hangzhou",
            account_id: "123",
        };
        let record = &oss_event(&event, &who)["events"][0];
        assert_eq!(record["eventName"], "ObjectCreated:PutObject");
        assert_eq!(record["eventTime"], "2022-08-13T06:45:43.000Z");
        assert_eq!(
            record["oss"]["bucket"]["arn"],
            "acs:oss:cn-hangzhou:123:photos"
        );
        assert_eq!(
            record["oss"]["object"]["objectMeta"]["userMeta"]["x-oss-meta-owner"],
            "ann"
        );
        assert_eq!(record["requestParameters"]["sourceIPAddress"], "127.0.0.1");
        assert_eq!(record["userIdentity"]["principalId"], "123");
        assert_eq!(record["oss"]["ruleId"].as_str().unwrap().len(), 40);
    }
}
