//! The broker streams running on this node, kept in line with the stored
//! triggers.
//!
//! Every node runs a stream for every enabled RabbitMQ or MQTT trigger whose
//! broker it has defined: the broker spreads a queue's messages over the
//! nodes' consumers (and an MQTT shared subscription does the same), so each
//! message runs on one node. The set is reconciled at start, after every
//! trigger change on this node ([`Streams::poke`], from the trigger type's
//! `apply`), and after another node's write reaches this one (the shared
//! store's change notices, within its 1 s coherence bound). A trigger whose
//! config or qualifier changed is stopped and started again; stopping lets a
//! running batch finish and be acknowledged. Nothing is read from the store
//! otherwise, so warm invocations never share it with this task.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use sha2::Digest as _;
use tokio::sync::{Notify, watch};

use super::config::{EventBridgeConfig, Source};
use super::mqtt::MqttConnector;
use super::rabbitmq::{RabbitConnector, subject as amqp_subject};
use super::stream::{self, Stream};
use crate::control::model::str_of;
use crate::control::store::Kind;
use crate::triggers::TriggerKey;
use crate::triggers::platform::Platform;

/// How long a reconcile waits after another node's change for more to
/// arrive: 50 ms (a deploy of many triggers is one reconcile).
const SETTLE: Duration = Duration::from_millis(50);
/// How soon a reconcile that could not read the store is tried again: 1 s.
const RETRY: Duration = Duration::from_secs(1);
/// How long stopping waits for running batches: 30 s.
const STOP_GRACE: Duration = Duration::from_secs(30);

struct Running {
    fingerprint: String,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

/// The running streams of this node.
#[derive(Default)]
pub struct Streams {
    running: Mutex<HashMap<String, Running>>,
    /// Wakes the reconciler after a change on this node.
    changed: Notify,
    /// Configs already reported as not runnable here (logged once each).
    reported: Mutex<std::collections::HashSet<String>>,
}

impl std::fmt::Debug for Streams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Streams").finish_non_exhaustive()
    }
}

impl Streams {
    /// Asks for a reconcile now (a trigger changed on this node).
    pub fn poke(&self) {
        self.changed.notify_one();
    }

    /// How many streams run (tests, the CLI).
    pub fn count(&self) -> usize {
        self.running.lock().map(|r| r.len()).unwrap_or(0)
    }
}

/// Runs the reconciler until `shutdown`, then stops every stream and waits
/// (up to 30 s) for their running batches.
pub fn spawn(
    p: &Arc<Platform>,
    mut shutdown: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    let p = p.clone();
    tokio::spawn(async move {
        let mut remote = p.store.subscribe_remote();
        let mut remote_open = true;
        let mut pending = true;
        loop {
            if pending {
                match reconcile(&p).await {
                    Ok(()) => pending = false,
                    Err(e) => {
                        tracing::warn!(error = %e.chain(), "cannot read the broker triggers; trying again")
                    }
                }
            }
            tokio::select! {
                changed = remote.changed(), if remote_open => {
                    if changed.is_err() {
                        remote_open = false;
                        continue;
                    }
                    tokio::time::sleep(SETTLE).await;
                    remote.borrow_and_update();
                    pending = true;
                }
                _ = p.streams.changed.notified() => pending = true,
                _ = tokio::time::sleep(RETRY), if pending => {}
                _ = shutdown.changed() => break,
            }
        }
        let stopping: Vec<Running> = match p.streams.running.lock() {
            Ok(mut running) => running.drain().map(|(_, r)| r).collect(),
            Err(_) => Vec::new(),
        };
        for r in &stopping {
            let _ = r.stop.send(true);
        }
        let all = futures_util::future::join_all(stopping.into_iter().map(|r| r.task));
        if tokio::time::timeout(STOP_GRACE, all).await.is_err() {
            tracing::warn!(
                "stopping: some broker streams did not finish their batch in time; the broker delivers it again"
            );
        }
    })
}

/// Starts, restarts and stops streams to match the stored triggers.
async fn reconcile(p: &Arc<Platform>) -> crate::control::error::ApiResult<()> {
    let rows = p.store.list_all(Kind::Trigger).await?;
    let mut wanted: HashMap<String, (String, Stream, Source)> = HashMap::new();
    for row in rows
        .iter()
        .filter(|r| str_of(r, "triggerType") == "eventbridge")
    {
        let Some((fingerprint, stream)) = stream_of(p, row) else {
            continue;
        };
        let source = stream.config.source.clone();
        wanted.insert(stream.key.path(), (fingerprint, stream, source));
    }
    let Ok(mut running) = p.streams.running.lock() else {
        return Ok(());
    };
    running.retain(|path, r| {
        let keep = wanted
            .get(path)
            .is_some_and(|(fingerprint, ..)| *fingerprint == r.fingerprint)
            && !r.task.is_finished();
        if !keep {
            let _ = r.stop.send(true);
            tracing::info!(trigger = %path, "broker stream stopped");
        }
        keep
    });
    for (path, (fingerprint, stream, source)) in wanted {
        if running.contains_key(&path) {
            continue;
        }
        let (stop, stopped) = watch::channel(false);
        let Some(task) = start(p, stream, source, stopped, &fingerprint) else {
            continue;
        };
        running.insert(
            path,
            Running {
                fingerprint,
                stop,
                task,
            },
        );
    }
    Ok(())
}

/// The stream a stored trigger wants on this node, with its fingerprint;
/// `None` for a disabled trigger, a bus trigger or one with a bad config.
fn stream_of(p: &Arc<Platform>, row: &Value) -> Option<(String, Stream)> {
    let config = EventBridgeConfig::parse(&row["triggerConfig"]).ok()?;
    if !config.enabled || !matches!(config.source, Source::RabbitMq { .. } | Source::Mqtt { .. }) {
        return None;
    }
    let key = TriggerKey {
        service: str_of(row, "_service").to_string(),
        function: str_of(row, "_function").to_string(),
        trigger: str_of(row, "triggerName").to_string(),
    };
    let qualifier = crate::triggers::qualifier_of(&row["qualifier"]).to_string();
    let fingerprint = format!("{}|{qualifier}", row["triggerConfig"]);
    let kind = config.source_kind();
    Some((
        fingerprint,
        Stream {
            platform: p.clone(),
            bus_name: format!("{kind}-Function-{}", key.trigger),
            key,
            qualifier,
            config,
            publish_addr: String::new(),
        },
    ))
}

/// Starts one stream's task; `None` (logged once) when its broker is not
/// defined on this node.
fn start(
    p: &Arc<Platform>,
    mut stream: Stream,
    source: Source,
    stop: watch::Receiver<bool>,
    fingerprint: &str,
) -> Option<tokio::task::JoinHandle<()>> {
    let path = stream.key.path();
    let brokers = p.brokers();
    let region = &p.identity.region;
    let account = &p.identity.account_id;
    let instance = match &source {
        Source::RabbitMq { instance, .. } | Source::Mqtt { instance, .. } => instance.clone(),
        _ => return None,
    };
    let Some(broker) = brokers.get(&instance).cloned() else {
        let first = p
            .streams
            .reported
            .lock()
            .map(|mut r| r.insert(fingerprint.to_string()))
            .unwrap_or(false);
        if first {
            tracing::error!(trigger = %path, broker = %instance, "the trigger names a broker this node has not defined (wasm-fc run --broker {instance}=…); it does not consume here");
        }
        return None;
    };
    stream.publish_addr = broker.host.clone();
    let source_name = stream.bus_name.clone();
    let digest = hex::encode(sha2::Sha256::digest(path.as_bytes()));
    let task = match source {
        Source::RabbitMq { vhost, queue, .. } => {
            let connector = RabbitConnector {
                subject: amqp_subject(region, account, &instance, &vhost, &queue),
                source: source_name,
                prefetch: RabbitConnector::prefetch_for(stream.config.batch_count),
                consumer_tag: format!("wasm-fc/{path}/{}", &crate::control::model::new_id()[..8]),
                brokers: brokers.clone(),
                broker,
                vhost,
                queue,
            };
            tokio::spawn(stream::run(stream, connector, stop))
        }
        Source::Mqtt { topic, qos, .. } => {
            let node = p.data_dir.display().to_string();
            let node_digest = hex::encode(sha2::Sha256::digest(format!("{node}\n{path}")));
            let connector = MqttConnector {
                subject: format!(
                    "acs:mqtt:{region}:{account}:/instances/{instance}/topics/{topic}"
                ),
                source: source_name,
                client_id: format!("wasm-fc-{}", &node_digest[..16]),
                group: format!("wasm-fc-{}", &digest[..16]),
                broker,
                topic,
                qos,
            };
            tokio::spawn(stream::run(stream, connector, stop))
        }
        _ => return None,
    };
    tracing::info!(trigger = %path, "broker stream started");
    Some(task)
}
