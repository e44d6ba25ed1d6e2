//! RabbitMQ as an event source, through lapin (AMQP 0.9.1).
//!
//! The trigger consumes an existing queue (`QueueName` in `VirtualHostName`)
//! with manual acknowledgements and a prefetch of twice the batch size (at
//! least 32, at most 65535), so the broker never hands this node more than
//! that many unacknowledged messages. Each message becomes FC's event
//! (`type: amqp:Queue:SendMessage`, `data{envelope, body, props}`).
//!
//! The event's time is the message's `timestamp_in_ms` header when it has one
//! (RabbitMQ's convention for millisecond publish times), else its AMQP
//! `timestamp` property (seconds), else when it arrived; the delivery lag
//! metric starts there.

use futures_util::StreamExt as _;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
    ConfirmSelectOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, Consumer};
use serde_json::{Map, Value, json};

use super::config::DeadLetter;
use super::envelope::{Event, body_value, now_ms};
use super::stream::{Connector, Received, Source, SourceError};
use crate::triggers::brokers::{Broker, Brokers};

/// How one trigger reaches its queue.
#[derive(Debug, Clone)]
pub struct RabbitConnector {
    pub broker: Broker,
    /// Where dead letters go (their broker must be among these).
    pub brokers: Brokers,
    pub vhost: String,
    pub queue: String,
    pub prefetch: u16,
    /// The consumer tag (RabbitMQ lists it): `wasm-fc/{service}/{function}/{trigger}`.
    pub consumer_tag: String,
    /// `subject`: `acs:amqp:{region}:{account}:/instances/{broker}/vhosts/{vhost}/queues/{queue}`.
    pub subject: String,
    /// `source`: `RabbitMQ-Function-{trigger}`, as FC names it.
    pub source: String,
}

impl RabbitConnector {
    /// The prefetch for batches of `batch`: twice the batch, 32 to 65535.
    pub fn prefetch_for(batch: usize) -> u16 {
        batch.saturating_mul(2).clamp(32, usize::from(u16::MAX)) as u16
    }
}

/// A consuming channel.
pub struct RabbitSource {
    connector: RabbitConnector,
    /// Kept open while consuming.
    _connection: Connection,
    channel: Channel,
    consumer: Consumer,
    /// A confirming channel to the dead-letter queue's vhost, opened on first use.
    dead_letters: Option<(Connection, Channel)>,
}

impl std::fmt::Debug for RabbitSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RabbitSource")
            .field("queue", &self.connector.queue)
            .finish_non_exhaustive()
    }
}

impl Connector for RabbitConnector {
    type Source = RabbitSource;

    fn describe(&self) -> String {
        format!(
            "{} vhost {:?} queue {:?}",
            self.broker.redacted(),
            self.vhost,
            self.queue
        )
    }

    async fn connect(&self) -> Result<RabbitSource, SourceError> {
        let connection = Connection::connect(
            &self.broker.amqp_uri(&self.vhost),
            ConnectionProperties::default(),
        )
        .await
        .map_err(|e| SourceError::of("connecting", e))?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| SourceError::of("opening a channel", e))?;
        channel
            .basic_qos(self.prefetch, BasicQosOptions::default())
            .await
            .map_err(|e| SourceError::of("setting the prefetch", e))?;
        let consumer = channel
            .basic_consume(
                self.queue.as_str().into(),
                self.consumer_tag.as_str().into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .map_err(|e| SourceError::of(&format!("consuming queue {:?}", self.queue), e))?;
        Ok(RabbitSource {
            connector: self.clone(),
            _connection: connection,
            channel,
            consumer,
            dead_letters: None,
        })
    }
}

impl Source for RabbitSource {
    type Token = lapin::message::Delivery;

    async fn next(&mut self) -> Result<Received<Self::Token>, SourceError> {
        let delivery = match self.consumer.next().await {
            Some(Ok(delivery)) => delivery,
            Some(Err(e)) => return Err(SourceError::of("consuming", e)),
            None => return Err(SourceError("the broker cancelled the consumer".into())),
        };
        let event = event_of(&self.connector, &delivery);
        Ok(Received {
            event,
            body_len: delivery.data.len(),
            token: delivery,
        })
    }

    async fn ack(&mut self, tokens: &[Self::Token]) -> Result<(), SourceError> {
        let Some(last) = tokens.last() else {
            return Ok(());
        };
        // One ack for the batch: every earlier delivery on this channel is done too.
        self.channel
            .basic_ack(last.delivery_tag, BasicAckOptions { multiple: true })
            .await
            .map_err(|e| SourceError::of("acknowledging", e))
    }

    async fn dead_letter(
        &mut self,
        dlq: &DeadLetter,
        tokens: &[Self::Token],
    ) -> Result<(), SourceError> {
        let DeadLetter::RabbitMq {
            instance,
            vhost,
            queue,
        } = dlq
        else {
            return Err(SourceError("not a RabbitMQ dead-letter queue".into()));
        };
        if self.dead_letters.is_none() {
            let broker = self.connector.brokers.get(instance).ok_or_else(|| {
                SourceError(format!(
                    "the dead-letter broker {instance:?} is not defined"
                ))
            })?;
            let connection =
                Connection::connect(&broker.amqp_uri(vhost), ConnectionProperties::default())
                    .await
                    .map_err(|e| SourceError::of("connecting to the dead-letter vhost", e))?;
            let channel = connection
                .create_channel()
                .await
                .map_err(|e| SourceError::of("opening the dead-letter channel", e))?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await
                .map_err(|e| SourceError::of("asking for publisher confirms", e))?;
            self.dead_letters = Some((connection, channel));
        }
        let Some((_, channel)) = &self.dead_letters else {
            return Err(SourceError("no dead-letter channel".into()));
        };
        let mut confirms = Vec::with_capacity(tokens.len());
        for delivery in tokens {
            let confirm = channel
                .basic_publish(
                    "".into(),
                    queue.as_str().into(),
                    BasicPublishOptions::default(),
                    &delivery.data,
                    delivery.properties.clone(),
                )
                .await
                .map_err(|e| SourceError::of("publishing a dead letter", e));
            match confirm {
                Ok(c) => confirms.push(c),
                Err(e) => {
                    self.dead_letters = None;
                    return Err(e);
                }
            }
        }
        for confirm in confirms {
            let confirmation = confirm
                .await
                .map_err(|e| SourceError::of("confirming a dead letter", e))?;
            if confirmation.is_nack() {
                return Err(SourceError(format!(
                    "the broker refused a dead letter for queue {queue:?}"
                )));
            }
        }
        Ok(())
    }
}

/// FC's RabbitMQ event of one delivery.
fn event_of(c: &RabbitConnector, d: &lapin::message::Delivery) -> Event {
    let props = props_json(&d.properties);
    let time_ms = header_ms(&d.properties)
        .or_else(|| {
            d.properties
                .timestamp()
                .map(|s| (s as i64).saturating_mul(1000))
        })
        .unwrap_or_else(now_ms);
    Event {
        id: d
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.as_str().to_string())
            .unwrap_or_else(crate::control::model::new_id),
        source: c.source.clone(),
        kind: "amqp:Queue:SendMessage",
        subject: c.subject.clone(),
        time_ms,
        data: json!({
            "envelope": {
                "deliveryTag": d.delivery_tag,
                "exchange": d.exchange.as_str(),
                "redeliver": d.redelivered,
                "routingKey": d.routing_key.as_str(),
            },
            "body": body_value(&d.data),
            "props": props,
        }),
    }
}

/// The `timestamp_in_ms` header, if the publisher set one.
fn header_ms(props: &BasicProperties) -> Option<i64> {
    let headers = props.headers().as_ref()?;
    match headers.inner().get("timestamp_in_ms")? {
        AMQPValue::LongLongInt(n) => Some(*n),
        AMQPValue::LongInt(n) => Some(i64::from(*n)),
        AMQPValue::LongUInt(n) => Some(i64::from(*n)),
        AMQPValue::Timestamp(n) => i64::try_from(*n).ok(),
        _ => None,
    }
}

/// The message's properties with FC's (Java client's) camelCase names; only
/// those the message has.
fn props_json(p: &BasicProperties) -> Value {
    let mut out = Map::new();
    let mut text = |key: &str, v: &Option<lapin::types::ShortString>| {
        if let Some(v) = v {
            out.insert(key.into(), json!(v.as_str()));
        }
    };
    text("contentType", p.content_type());
    text("contentEncoding", p.content_encoding());
    text("correlationId", p.correlation_id());
    text("replyTo", p.reply_to());
    text("expiration", p.expiration());
    text("messageId", p.message_id());
    text("type", p.kind());
    text("userId", p.user_id());
    text("appId", p.app_id());
    if let Some(mode) = p.delivery_mode() {
        out.insert("deliveryMode".into(), json!(mode));
    }
    if let Some(priority) = p.priority() {
        out.insert("priority".into(), json!(priority));
    }
    if let Some(ts) = p.timestamp() {
        out.insert("timestamp".into(), json!(ts.saturating_mul(1000)));
    }
    if let Some(headers) = p.headers() {
        out.insert("headers".into(), table_json(headers));
    }
    Value::Object(out)
}

fn table_json(table: &FieldTable) -> Value {
    Value::Object(
        table
            .inner()
            .iter()
            .map(|(k, v)| (k.as_str().to_string(), value_json(v)))
            .collect(),
    )
}

fn value_json(v: &AMQPValue) -> Value {
    match v {
        AMQPValue::Boolean(b) => json!(b),
        AMQPValue::ShortShortInt(n) => json!(n),
        AMQPValue::ShortShortUInt(n) => json!(n),
        AMQPValue::ShortInt(n) => json!(n),
        AMQPValue::ShortUInt(n) => json!(n),
        AMQPValue::LongInt(n) => json!(n),
        AMQPValue::LongUInt(n) => json!(n),
        AMQPValue::LongLongInt(n) => json!(n),
        AMQPValue::Float(n) => json!(n),
        AMQPValue::Double(n) => json!(n),
        AMQPValue::DecimalValue(d) => {
            json!(f64::from(d.value) / 10f64.powi(i32::from(d.scale)))
        }
        AMQPValue::ShortString(s) => json!(s.as_str()),
        AMQPValue::LongString(s) => json!(String::from_utf8_lossy(s.as_bytes())),
        AMQPValue::FieldArray(a) => Value::Array(a.as_slice().iter().map(value_json).collect()),
        AMQPValue::Timestamp(t) => json!(t),
        AMQPValue::FieldTable(t) => table_json(t),
        AMQPValue::ByteArray(b) => {
            use base64::Engine as _;
            json!(base64::engine::general_purpose::STANDARD.encode(b.as_slice()))
        }
        AMQPValue::Void => Value::Null,
    }
}

/// The subject FC gives a queue's events.
pub fn subject(region: &str, account: &str, instance: &str, vhost: &str, queue: &str) -> String {
    format!("acs:amqp:{region}:{account}:/instances/{instance}/vhosts/{vhost}/queues/{queue}")
}
