//! CloudEvents as FC's EventBridge delivers them (fc-events.md §1.5): the
//! envelope, its `aliyun*` extension attributes filled with this platform's
//! account, region and bus, and how a batch becomes the invocation's payload
//! (`CloudEvents` or `RawData`; an array in `event-streaming` mode, one
//! object in `event-driven` mode).

use serde_json::{Value, json};

use super::config::{Mode, Schema};

/// Who the platform is, for the `aliyun*` attributes.
#[derive(Debug, Clone)]
pub struct Bus<'a> {
    pub account_id: &'a str,
    pub region: &'a str,
    /// `aliyuneventbusname`: FC names a trigger's bus `{Type}-Function-{trigger}`
    /// for broker sources, and `default` for the platform's own events.
    pub name: &'a str,
    /// `aliyunpublishaddr`: where the event came from (the broker's host).
    pub publish_addr: &'a str,
}

/// One event before it is wrapped.
#[derive(Debug, Clone)]
pub struct Event {
    pub id: String,
    pub source: String,
    pub kind: &'static str,
    pub subject: String,
    /// When it happened (Unix ms).
    pub time_ms: i64,
    pub data: Value,
}

/// RFC 3339 in UTC with milliseconds, as FC's examples (`2021-08-12T06:56:40.709Z`).
pub fn rfc3339_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

/// The now, in Unix ms.
pub fn now_ms() -> i64 {
    crate::invoke::queue::now_ms()
}

impl Event {
    /// The full envelope.
    pub fn envelope(&self, bus: &Bus<'_>) -> Value {
        json!({
            "id": self.id,
            "source": self.source,
            "specversion": "1.0",
            "type": self.kind,
            "datacontenttype": "application/json;charset=utf-8",
            "subject": self.subject,
            "time": rfc3339_ms(self.time_ms),
            "aliyunaccountid": bus.account_id,
            "aliyunpublishtime": rfc3339_ms(now_ms()),
            "aliyunoriginalaccountid": bus.account_id,
            "aliyuneventbusname": bus.name,
            "aliyunregionid": bus.region,
            "aliyunpublishaddr": bus.publish_addr,
            "data": self.data,
        })
    }

    /// The event as one item of a payload in `schema`.
    pub fn item(&self, bus: &Bus<'_>, schema: Schema) -> Value {
        match schema {
            Schema::CloudEvents => self.envelope(bus),
            Schema::RawData => self.data.clone(),
        }
    }
}

/// The invocation payload of `events`: a JSON array in streaming mode, the
/// single event in event-driven mode (whose batches hold one event).
pub fn payload(events: &[Event], bus: &Bus<'_>, schema: Schema, mode: Mode) -> Vec<u8> {
    let items: Vec<Value> = events.iter().map(|e| e.item(bus, schema)).collect();
    let value = match (mode, items.len()) {
        (Mode::Driven, 1) => items.into_iter().next().unwrap_or(Value::Null),
        _ => Value::Array(items),
    };
    value.to_string().into_bytes()
}

/// A message body as FC puts it in `data.body`: the JSON object or array
/// when the body is one, else the text; a body that is not UTF-8 becomes
/// its base64 (FC's `BodyDataType: Binary`).
pub fn body_value(body: &[u8]) -> Value {
    let trimmed = body.trim_ascii_start();
    if matches!(trimmed.first(), Some(b'{') | Some(b'['))
        && let Ok(value) = serde_json::from_slice::<Value>(body)
    {
        return value;
    }
    match std::str::from_utf8(body) {
        Ok(text) => Value::String(text.to_string()),
        Err(_) => {
            use base64::Engine as _;
            Value::String(base64::engine::general_purpose::STANDARD.encode(body))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_objects_when_json_else_text() {
        assert_eq!(
            body_value(br#"{"Hello":"RabbitMQ"}"#),
            json!({"Hello": "RabbitMQ"})
        );
        assert_eq!(body_value(b"[1,2]"), json!([1, 2]));
        assert_eq!(body_value(b"123"), json!("123"));
        assert_eq!(body_value(b"{broken"), json!("{broken"));
        assert_eq!(body_value(&[0xff, 0x00]), json!("/wA="));
    }

    #[test]
    fn payload_is_an_array_in_streaming_mode_and_raw_data_is_data() {
        let bus = Bus {
            account_id: "1",
            region: "r",
            name: "b",
            publish_addr: "h",
        };
        let e = Event {
            id: "i".into(),
            source: "s".into(),
            kind: "amqp:Queue:SendMessage",
            subject: "sub".into(),
            time_ms: 0,
            data: json!({"body": "x"}),
        };
        let v: Value = serde_json::from_slice(&payload(
            std::slice::from_ref(&e),
            &bus,
            Schema::CloudEvents,
            Mode::Streaming,
        ))
        .unwrap();
        assert_eq!(v[0]["type"], "amqp:Queue:SendMessage");
        assert_eq!(v[0]["time"], "1970-01-01T00:00:00.000Z");
        assert_eq!(v[0]["aliyuneventbusname"], "b");
        let v: Value =
            serde_json::from_slice(&payload(&[e], &bus, Schema::RawData, Mode::Driven)).unwrap();
        assert_eq!(v, json!({"body": "x"}));
    }
}
