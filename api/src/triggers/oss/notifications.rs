//! S3-style bucket notifications from other object stores (MinIO's webhook
//! target, Ceph RGW's HTTP push endpoint) as OSS events.
//!
//! Both post the AWS S3 event structure: `{"Records": [{"eventName":
//! "s3:ObjectCreated:Put", "eventTime", "s3": {"bucket": {"name"}, "object":
//! {"key", "size", "eTag", "contentType", "userMetadata"}},
//! "requestParameters": {"sourceIPAddress"}, "responseElements":
//! {"x-amz-request-id"}}]}` (MinIO also adds `EventName` and `Key` at the top).
//! Each record whose event has an OSS counterpart becomes one
//! [`ObjectEvent`]; keys arrive URL-encoded (`+` for a space) and are decoded.

use std::collections::BTreeMap;

use serde_json::Value;
use wasm_fc_objectstore::ObjectEvent;

/// The OSS event name for an S3 event name (with or without `s3:`), or
/// `None` for events OSS triggers have no name for (tagging, ACLs, restores).
pub fn oss_event_name(s3_name: &str) -> Option<&'static str> {
    Some(match s3_name.strip_prefix("s3:").unwrap_or(s3_name) {
        "ObjectCreated:Put" => "ObjectCreated:PutObject",
        "ObjectCreated:Post" => "ObjectCreated:PostObject",
        "ObjectCreated:Copy" => "ObjectCreated:CopyObject",
        "ObjectCreated:CompleteMultipartUpload" => "ObjectCreated:CompleteMultipartUpload",
        "ObjectRemoved:Delete" | "ObjectRemoved:DeleteMarkerCreated" => {
            "ObjectRemoved:DeleteObject"
        }
        _ => return None,
    })
}

/// Why a notification body was refused (a 400 naming what is wrong).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotificationError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("the body has no Records list (S3 event notification structure)")]
    NoRecords,
    #[error("Records[{0}] has no s3.bucket.name or s3.object.key")]
    Incomplete(usize),
}

/// Decodes an S3 notification key: `%XX` escapes and `+` for a space.
fn decode_key(key: &str) -> String {
    let bytes = key.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| (b as char).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn millis_of(time: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(time)
        .ok()
        .map(|t| t.timestamp_millis())
}

/// The object events a notification body carries. Records of events with no
/// OSS counterpart are skipped.
pub fn parse(body: &[u8], now_ms: i64) -> Result<Vec<ObjectEvent>, NotificationError> {
    let body: Value =
        serde_json::from_slice(body).map_err(|e| NotificationError::NotJson(e.to_string()))?;
    let records = body["Records"]
        .as_array()
        .ok_or(NotificationError::NoRecords)?;
    let mut events = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let Some(name) = record["eventName"].as_str().and_then(oss_event_name) else {
            continue;
        };
        let s3 = &record["s3"];
        let (Some(bucket), Some(key)) =
            (s3["bucket"]["name"].as_str(), s3["object"]["key"].as_str())
        else {
            return Err(NotificationError::Incomplete(i));
        };
        let object = &s3["object"];
        let removed = name.starts_with("ObjectRemoved");
        let size = object["size"].as_u64().unwrap_or(0);
        let user_meta: BTreeMap<String, String> = object["userMetadata"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| {
                let k = k.to_ascii_lowercase();
                let name = k.strip_prefix("x-amz-meta-")?;
                Some((format!("x-oss-meta-{name}"), v.as_str()?.to_string()))
            })
            .collect();
        events.push(ObjectEvent {
            name,
            bucket: bucket.to_string(),
            key: decode_key(key),
            size: if removed { 0 } else { size },
            delta_size: if removed { 0 } else { size as i64 },
            etag: object["eTag"].as_str().unwrap_or_default().to_uppercase(),
            mime_type: object["contentType"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            user_meta,
            source_ip: record["requestParameters"]["sourceIPAddress"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            request_id: record["responseElements"]["x-amz-request-id"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            access_key_id: record["userIdentity"]["principalId"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            time_ms: record["eventTime"]
                .as_str()
                .and_then(millis_of)
                .unwrap_or(now_ms),
            caused_at_depth: None,
        });
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_url_decoded() {
        assert_eq!(decode_key("a+b%2Fc%20d.png"), "a b/c d.png");
        assert_eq!(decode_key("100%"), "100%");
        assert_eq!(decode_key("x%zz"), "x%zz");
    }

    #[test]
    fn names_map_and_unknown_ones_are_skipped() {
        assert_eq!(
            oss_event_name("s3:ObjectCreated:Put"),
            Some("ObjectCreated:PutObject")
        );
        assert_eq!(
            oss_event_name("ObjectRemoved:Delete"),
            Some("ObjectRemoved:DeleteObject")
        );
        assert_eq!(oss_event_name("s3:ObjectAccessed:Get"), None);
    }

    #[test]
    fn bad_bodies_say_what_is_wrong() {
        assert!(matches!(
            parse(b"nope", 0),
            Err(NotificationError::NotJson(_))
        ));
        assert_eq!(parse(b"{}", 0), Err(NotificationError::NoRecords));
        assert_eq!(
            parse(
                br#"{"Records":[{"eventName":"s3:ObjectCreated:Put","s3":{}}]}"#,
                0
            ),
            Err(NotificationError::Incomplete(0))
        );
    }
}
