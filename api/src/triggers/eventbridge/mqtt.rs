//! An MQTT broker as an event source, through rumqttc (MQTT 3.1.1).
//!
//! - **One delivery across nodes.** The trigger subscribes with a shared
//!   subscription, `$share/{group}/{topic filter}` (group: a digest of the
//!   trigger's path), so when several nodes run the trigger the broker hands
//!   each message to one of them (Mosquitto, EMQX, HiveMQ and VerneMQ support it).
//! - **Nothing lost on a crash.** The session is persistent (clean session
//!   off) under a client id stable for this node and trigger, and messages
//!   are acknowledged (PUBACK) by hand once handled; the broker sends what was
//!   not acknowledged again when the node reconnects. That holds for QoS 1
//!   (the default); QoS 0 messages have no acknowledgement to wait for.
//! - **Bounded.** The broker's in-flight window (Mosquitto's
//!   `max_inflight_messages`, 20 by default) bounds the unacknowledged QoS 1
//!   messages a node holds, so a batch larger than it closes at its
//!   `TimeBasedWindow`.
//!
//! The event is FC's (`data{props{firstTopic, secondTopic, clientId}, body}`),
//! in the envelope `type: mqtt:Topic:SendMessage`. `firstTopic` is the topic's
//! first level, `secondTopic` the rest with its leading `/`; MQTT 3.1.1 does
//! not carry the publisher's client id, so `clientId` is this subscriber's.

use std::time::Duration;

use rumqttc::{AsyncClient, Event as MqttEvent, EventLoop, MqttOptions, Packet, QoS};
use serde_json::json;
use tokio::sync::mpsc;

use super::config::DeadLetter;
use super::envelope::{Event, body_value, now_ms};
use super::stream::{Connector, Received, Source, SourceError};
use crate::triggers::brokers::Broker;

/// How long connecting and subscribing may take: 10 s.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// MQTT keep-alive: 30 s.
const KEEP_ALIVE: Duration = Duration::from_secs(30);

/// How one trigger reaches its topic filter.
#[derive(Debug, Clone)]
pub struct MqttConnector {
    pub broker: Broker,
    /// The trigger's topic filter (`Topic`).
    pub topic: String,
    pub qos: u8,
    /// Stable for this node (data dir) and trigger.
    pub client_id: String,
    /// The shared-subscription group, the same on every node.
    pub group: String,
    pub subject: String,
    pub source: String,
}

/// A subscribed session; its event loop runs in a task that ends with it.
#[derive(Debug)]
pub struct MqttSource {
    connector: MqttConnector,
    client: AsyncClient,
    messages: mpsc::Receiver<Result<rumqttc::Publish, String>>,
    poller: tokio::task::JoinHandle<()>,
}

impl Drop for MqttSource {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

fn qos_of(qos: u8) -> QoS {
    if qos == 0 {
        QoS::AtMostOnce
    } else {
        QoS::AtLeastOnce
    }
}

impl Connector for MqttConnector {
    type Source = MqttSource;

    fn describe(&self) -> String {
        format!("{} topic {:?}", self.broker.redacted(), self.topic)
    }

    async fn connect(&self) -> Result<MqttSource, SourceError> {
        let mut options = MqttOptions::new(&self.client_id, &self.broker.host, self.broker.port);
        options
            .set_keep_alive(KEEP_ALIVE)
            .set_clean_session(false)
            .set_manual_acks(true)
            .set_max_packet_size(32 << 20, 32 << 20);
        if let Some(user) = &self.broker.username {
            options.set_credentials(user, self.broker.password.clone().unwrap_or_default());
        }
        let (client, mut events) = AsyncClient::new(options, 64);
        let filter = format!("$share/{}/{}", self.group, self.topic);
        let (tx, messages) = mpsc::channel(1024);
        tokio::time::timeout(
            CONNECT_TIMEOUT,
            subscribe(&client, &mut events, &filter, self.qos, &tx),
        )
        .await
        .map_err(|_| SourceError("connecting and subscribing timed out".into()))??;
        let poller = tokio::spawn(poll(events, tx));
        Ok(MqttSource {
            connector: self.clone(),
            client,
            messages,
            poller,
        })
    }
}

/// Connects, subscribes to `filter` and waits for the broker's SUBACK. A
/// resumed session's messages can come before it (what the last connection
/// left unacknowledged, what queued meanwhile): they go to `tx` like any.
async fn subscribe(
    client: &AsyncClient,
    events: &mut EventLoop,
    filter: &str,
    qos: u8,
    tx: &mpsc::Sender<Result<rumqttc::Publish, String>>,
) -> Result<(), SourceError> {
    let mut subscribed = false;
    loop {
        let event = events
            .poll()
            .await
            .map_err(|e| SourceError::of("connecting", e))?;
        match event {
            MqttEvent::Incoming(Packet::ConnAck(_)) if !subscribed => {
                client
                    .subscribe(filter, qos_of(qos))
                    .await
                    .map_err(|e| SourceError::of("subscribing", e))?;
                subscribed = true;
            }
            MqttEvent::Incoming(Packet::Publish(publish)) => {
                tx.send(Ok(publish))
                    .await
                    .map_err(|_| SourceError("the stream ended".into()))?;
            }
            MqttEvent::Incoming(Packet::SubAck(ack)) => {
                if ack
                    .return_codes
                    .iter()
                    .any(|c| matches!(c, rumqttc::SubscribeReasonCode::Failure))
                {
                    return Err(SourceError(format!(
                        "the broker refused the subscription {filter:?}"
                    )));
                }
                return Ok(());
            }
            _ => {}
        }
    }
}

/// Polls the event loop (which also keeps the connection alive) and hands
/// publishes over; ends with the connection's first error.
async fn poll(mut events: EventLoop, tx: mpsc::Sender<Result<rumqttc::Publish, String>>) {
    loop {
        match events.poll().await {
            Ok(MqttEvent::Incoming(Packet::Publish(publish))) => {
                if tx.send(Ok(publish)).await.is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => {
                let _ = tx.send(Err(e.to_string())).await;
                return;
            }
        }
    }
}

impl Source for MqttSource {
    type Token = rumqttc::Publish;

    async fn next(&mut self) -> Result<Received<Self::Token>, SourceError> {
        let publish = match self.messages.recv().await {
            Some(Ok(publish)) => publish,
            Some(Err(e)) => return Err(SourceError::of("the connection ended", e)),
            None => return Err(SourceError("the connection ended".into())),
        };
        let (first, second) = split_topic(&publish.topic);
        let event = Event {
            id: crate::control::model::new_id(),
            source: self.connector.source.clone(),
            kind: "mqtt:Topic:SendMessage",
            subject: self.connector.subject.clone(),
            time_ms: now_ms(),
            data: json!({
                "props": {
                    "firstTopic": first,
                    "secondTopic": second,
                    "clientId": self.connector.client_id,
                },
                "body": body_value(&publish.payload),
            }),
        };
        let body_len = publish.payload.len();
        // Only the packet id and QoS are needed to acknowledge it.
        let mut token = publish;
        token.payload = bytes::Bytes::new();
        Ok(Received {
            event,
            body_len,
            token,
        })
    }

    async fn ack(&mut self, tokens: &[Self::Token]) -> Result<(), SourceError> {
        for publish in tokens {
            self.client
                .ack(publish)
                .await
                .map_err(|e| SourceError::of("acknowledging", e))?;
        }
        Ok(())
    }

    async fn dead_letter(
        &mut self,
        _dlq: &DeadLetter,
        _tokens: &[Self::Token],
    ) -> Result<(), SourceError> {
        Err(SourceError(
            "an MQTT trigger's dead letters go to the function's onFailure destination".into(),
        ))
    }
}

/// `firstTopic` and `secondTopic`: `a/b/c` is `a` and `/b/c`.
fn split_topic(topic: &str) -> (&str, &str) {
    match topic.find('/') {
        Some(i) => (&topic[..i], &topic[i..]),
        None => (topic, ""),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn topics_split_as_fc_shows_them() {
        assert_eq!(
            super::split_topic("testTopic/testMq4"),
            ("testTopic", "/testMq4")
        );
        assert_eq!(super::split_topic("a/b/c"), ("a", "/b/c"));
        assert_eq!(super::split_topic("solo"), ("solo", ""));
    }
}
