//! `eventbridge` triggers (fc-events.md §1.5, §1.6): FC's message-queue and
//! CloudMonitor triggers, delivering CloudEvents.
//!
//! - `eventSourceType: RabbitMQ` and `MQTT` consume from real brokers defined
//!   in `wasm-fc run`'s config ([`crate::triggers::brokers`]): [`rabbitmq`],
//!   [`mqtt`], run by [`stream`] (batches, retries, dead letters, acks) and
//!   kept in line with the stored triggers by [`streams`].
//! - `eventSourceType: Default` takes the platform's own bus events, today
//!   Prometheus Alertmanager's alerts as CloudMonitor events ([`alerts`]),
//!   chosen by `eventRuleFilterPattern` ([`pattern`]).
//! - MNS, RocketMQ, Kafka and DTS configs are checked and stored (so FC's
//!   tools round-trip) but nothing consumes them here.

pub mod alerts;
pub mod config;
pub mod envelope;
pub mod mqtt;
pub mod pattern;
pub mod rabbitmq;
pub mod stream;
pub mod streams;

use serde_json::Value;

use self::config::EventBridgeConfig;
use super::{TriggerKey, TriggerType};
use crate::control::resources::Trigger;
use crate::triggers::brokers::Brokers;
use crate::triggers::platform::Platform;

/// The `eventbridge` trigger type.
#[derive(Debug)]
pub struct EventBridgeTrigger;

impl TriggerType for EventBridgeTrigger {
    fn name(&self) -> &'static str {
        "eventbridge"
    }

    fn validate(&self, config: &Value) -> Result<(), String> {
        EventBridgeConfig::parse(config).map(|_| ())
    }

    fn validate_with(&self, config: &Value, brokers: &Brokers) -> Result<(), String> {
        EventBridgeConfig::parse(config)?.check_brokers(brokers)
    }

    /// The reconciler starts, restarts or stops the trigger's stream.
    fn apply(&self, platform: &Platform, _key: &TriggerKey, _trigger: Option<&Trigger>) {
        platform.streams.poke();
    }
}
