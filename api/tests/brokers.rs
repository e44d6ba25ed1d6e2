//! Issue 19: `eventbridge` triggers on real brokers, end to end. Messages
//! published with real clients (pika from PyPI, `mosquitto_pub`) reach a
//! real Wasm function (`OSS_HANDLER`, which logs the event it gets) through
//! a real `wasm-fc run`; failures, crashes and broker restarts lose nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::brokers::{self, AMQP_BROKER, MQTT_BROKER, RABBIT, Sink, Vhost};
use common::{P, Server, call, create_trigger, function_body, metric, ok};
use serde_json::{Value, json};
use wasm_fc_test_guests::OSS_HANDLER;

/// The events (invocation payloads) `function` logged, in invocation order.
fn payloads(s: &Server, svc: &str, function: &str) -> Vec<Value> {
    common::logged_events(s, svc, function)
}

/// Every event of every payload, flattened (streaming payloads are arrays).
fn events(s: &Server, svc: &str, function: &str) -> Vec<Value> {
    payloads(s, svc, function)
        .into_iter()
        .flat_map(|p| match p {
            Value::Array(items) => items,
            one => vec![one],
        })
        .collect()
}

use common::eventually;

use common::deploy_logger as deploy;

fn rabbit_trigger(name: &str, vhost: &str, queue: &str, run: Value, schema: &str) -> Value {
    json!({
        "triggerName": name,
        "triggerType": "eventbridge",
        "triggerConfig": {
            "triggerEnable": true,
            "asyncInvocationType": false,
            "eventSourceConfig": {
                "eventSourceType": "RabbitMQ",
                "eventSourceParameters": {"sourceRabbitMQParameters": {
                    "RegionId": "cn-hangzhou", "InstanceId": "local",
                    "VirtualHostName": vhost, "QueueName": queue}}
            },
            "runOptions": run,
            "eventSinkConfig": {"deliveryOption": {"mode": "event-driven", "eventSchema": schema}},
        }
    })
}

/// Waits until `trigger`'s stream is connected (its consumer is registered).
fn wait_connected(s: &Server, trigger: &str) {
    let line = format!("wasm_fc_event_source_connected{{trigger=\"{trigger}\"}}");
    eventually(&format!("{trigger} to connect"), || metric(s, &line) == 1.0);
}

fn bodies(n: std::ops::Range<usize>) -> Vec<String> {
    n.map(|i| json!({"n": i}).to_string()).collect()
}

#[test]
fn rabbitmq_messages_reach_the_function_in_fcs_shape_in_order() {
    if !brokers::available("RabbitMQ", 5672, "rabbitmq_messages_reach_the_function") {
        return;
    }
    let _shared = RABBIT.read().unwrap_or_else(|p| p.into_inner());
    let vhost = Vhost::new("shape");
    vhost.declare(&["orders"]);
    let dir = tempfile::tempdir().unwrap();
    let s = common::start_with_args(dir.path(), &["--broker", AMQP_BROKER]);
    deploy(&s, "mq", json!({}));
    let trigger = rabbit_trigger(
        "orders",
        &vhost.0,
        "orders",
        json!({"mode": "event-streaming", "batchWindow": {"CountBasedWindow": 10, "TimeBasedWindow": 1}}),
        "CloudEvents",
    );
    let created = ok(create_trigger(&s, "mq", "f", trigger));
    // No secret of the broker is part of the trigger.
    assert!(!created.text().contains("guest"), "{}", created.text());
    wait_connected(&s, "mq/f/orders");
    let mut sent = bodies(0..25);
    sent.push("plain text, not JSON".into());
    vhost.publish("orders", &sent);
    eventually("26 events", || events(&s, "mq", "f").len() >= 26);
    let got = events(&s, "mq", "f");
    assert_eq!(got.len(), 26, "{got:#?}");
    // In order, FC's envelope and RabbitMQ's data, field by field.
    for (i, e) in got.iter().take(25).enumerate() {
        assert_eq!(e["data"]["body"], json!({"n": i}), "{e:#}");
        assert_eq!(e["type"], "amqp:Queue:SendMessage");
        assert_eq!(e["specversion"], "1.0");
        assert_eq!(e["source"], "RabbitMQ-Function-orders");
        assert_eq!(e["id"], format!("m-{i}"));
        // The platform's own account and region (`wasm-fc run --region`, default `local`).
        assert_eq!(e["aliyunregionid"], "local");
        assert_eq!(
            e["subject"],
            format!(
                "acs:amqp:local:{}:/instances/local/vhosts/{}/queues/orders",
                e["aliyunaccountid"].as_str().unwrap(),
                vhost.0
            )
        );
        assert_eq!(e["aliyuneventbusname"], "RabbitMQ-Function-orders");
        assert_eq!(e["data"]["envelope"]["exchange"], "");
        assert_eq!(e["data"]["envelope"]["routingKey"], "orders");
        assert_eq!(e["data"]["envelope"]["redeliver"], false);
        assert!(e["data"]["envelope"]["deliveryTag"].is_u64());
        assert_eq!(e["data"]["props"]["messageId"], format!("m-{i}"));
        assert_eq!(e["data"]["props"]["deliveryMode"], 2);
        assert!(e["data"]["props"]["headers"]["timestamp_in_ms"].is_i64());
        assert!(e["time"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(got[25]["data"]["body"], "plain text, not JSON");
    // Streaming mode batches: arrays, and at least one of more than one event.
    let batches = payloads(&s, "mq", "f");
    assert!(batches.iter().all(Value::is_array));
    assert!(
        batches.iter().any(|b| b.as_array().unwrap().len() > 1),
        "{batches:#?}"
    );
    assert!(batches.iter().all(|b| b.as_array().unwrap().len() <= 10));

    // RawData in event-driven mode: one object per invocation, only `data`.
    let raw = json!({"triggerConfig": rabbit_trigger("orders", &vhost.0, "orders",
        json!({"mode": "event-driven"}), "RawData")["triggerConfig"]});
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/mq/functions/f/triggers/orders"),
        &[],
        raw.to_string().as_bytes(),
    ));
    std::thread::sleep(Duration::from_millis(1500));
    wait_connected(&s, "mq/f/orders");
    let before = payloads(&s, "mq", "f").len();
    vhost.publish("orders", &bodies(100..102));
    eventually("2 raw events", || {
        payloads(&s, "mq", "f").len() >= before + 2
    });
    let after = payloads(&s, "mq", "f");
    for (k, p) in after[before..].iter().enumerate() {
        assert!(p.is_object(), "{p:#}");
        assert_eq!(p["body"], json!({"n": 100 + k}));
        assert_eq!(p["envelope"]["routingKey"], "orders");
        assert!(p.get("specversion").is_none());
    }

    // Disabled: nothing is consumed; the messages wait in the broker.
    let mut disabled = raw.clone();
    disabled["triggerConfig"]["triggerEnable"] = json!(false);
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/mq/functions/f/triggers/orders"),
        &[],
        disabled.to_string().as_bytes(),
    ));
    eventually("the stream to stop", || {
        metric(
            &s,
            "wasm_fc_event_source_connected{trigger=\"mq/f/orders\"}",
        ) == 0.0
    });
    let before = payloads(&s, "mq", "f").len();
    vhost.publish("orders", &bodies(200..203));
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(payloads(&s, "mq", "f").len(), before);
    assert_eq!(vhost.count("orders"), 3);
    // Enabled again: they arrive.
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/mq/functions/f/triggers/orders"),
        &[],
        raw.to_string().as_bytes(),
    ));
    eventually("the 3 held messages", || {
        payloads(&s, "mq", "f").len() >= before + 3
    });
    let held: Vec<Value> = payloads(&s, "mq", "f")[before..]
        .iter()
        .map(|p| p["body"]["n"].clone())
        .collect();
    assert_eq!(held, vec![json!(200), json!(201), json!(202)]);
}

#[test]
fn broker_trigger_configs_are_checked_and_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start_with_args(
        dir.path(),
        &["--broker", "local=amqp://guest:s3cret@127.0.0.1:5672"],
    );
    deploy(&s, "cfg", json!({}));
    let mut unknown = rabbit_trigger("t", "/", "q", json!({}), "CloudEvents");
    unknown["triggerConfig"]["eventSourceConfig"]["eventSourceParameters"]["sourceRabbitMQParameters"]
        ["InstanceId"] = json!("elsewhere");
    let reply = create_trigger(&s, "cfg", "f", unknown);
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert_eq!(reply.json()["ErrorCode"], "InvalidArgument");
    let message = reply.json()["ErrorMessage"].as_str().unwrap().to_string();
    assert!(
        message.contains("InstanceId") && message.contains("local"),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
    for (run, field) in [
        (
            json!({"batchWindow": {"CountBasedWindow": 10001}}),
            "CountBasedWindow",
        ),
        (
            json!({"batchWindow": {"TimeBasedWindow": 16}}),
            "TimeBasedWindow",
        ),
        (
            json!({"retryStrategy": {"PushRetryStrategy": "SOMETIMES"}}),
            "PushRetryStrategy",
        ),
        (json!({"errorsTolerance": "MOST"}), "errorsTolerance"),
    ] {
        let reply = create_trigger(
            &s,
            "cfg",
            "f",
            rabbit_trigger("t", "/", "q", run, "CloudEvents"),
        );
        assert_eq!(reply.status, 400, "{}", reply.text());
        assert!(reply.text().contains(field), "{}", reply.text());
    }
    let reply = create_trigger(
        &s,
        "cfg",
        "f",
        rabbit_trigger("t", "/", "q", json!({}), "Protobuf"),
    );
    assert!(reply.text().contains("eventSchema"), "{}", reply.text());
    let mut bad_pattern = rabbit_trigger("t", "/", "q", json!({}), "CloudEvents");
    bad_pattern["triggerConfig"]["eventRuleFilterPattern"] = json!("{not json");
    let reply = create_trigger(&s, "cfg", "f", bad_pattern);
    assert!(
        reply.text().contains("eventRuleFilterPattern"),
        "{}",
        reply.text()
    );
    // A good one is stored and read back with FC's keys, and no secret.
    ok(create_trigger(
        &s,
        "cfg",
        "f",
        rabbit_trigger("t", "/", "q", json!({}), "CloudEvents"),
    ));
    let got = ok(call(
        &s,
        "GET",
        &format!("{P}/services/cfg/functions/f/triggers/t"),
        &[],
        b"",
    ));
    assert_eq!(
        got.json()["triggerConfig"]["eventSourceConfig"]["eventSourceParameters"]["sourceRabbitMQParameters"]
            ["QueueName"],
        "q"
    );
    assert!(!got.text().contains("s3cret"));
}

#[test]
fn failing_batches_are_retried_then_dead_lettered_and_a_poison_message_does_not_block() {
    if !brokers::available("RabbitMQ", 5672, "failing_batches_are_retried") {
        return;
    }
    let _shared = RABBIT.read().unwrap_or_else(|p| p.into_inner());
    let vhost = Vhost::new("retries");
    vhost.declare(&["work", "dead"]);
    let dir = tempfile::tempdir().unwrap();
    let s = common::start_with_args(dir.path(), &["--broker", AMQP_BROKER]);
    deploy(&s, "dl", json!({"OSS_FAIL_ON": "poison"}));
    let dlq = format!(
        "acs:amqp:cn-hangzhou:1:/instances/local/vhosts/{}/queues/dead",
        vhost.0
    );
    ok(create_trigger(
        &s,
        "dl",
        "f",
        rabbit_trigger(
            "work",
            &vhost.0,
            "work",
            json!({"mode": "event-driven",
                   "retryStrategy": {"PushRetryStrategy": "EXPONENTIAL_DECAY_RETRY", "MaximumRetryAttempts": 2},
                   "deadLetterQueue": {"Arn": dlq}}),
            "RawData",
        ),
    ));
    wait_connected(&s, "dl/f/work");
    vhost.publish(
        "work",
        &[
            "first".to_string(),
            "poison pill".to_string(),
            "second".to_string(),
        ],
    );
    // The good ones run once each; the poison one 1 + 2 retries, then goes to
    // the dead-letter queue as it came, and the queue moves on.
    eventually("the second good message", || {
        payloads(&s, "dl", "f")
            .iter()
            .any(|p| p["body"] == "second")
    });
    let bodies: Vec<String> = payloads(&s, "dl", "f")
        .iter()
        .map(|p| p["body"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        bodies,
        [
            "first",
            "poison pill",
            "poison pill",
            "poison pill",
            "second"
        ],
    );
    eventually("the dead letter", || vhost.count("dead") == 1);
    assert_eq!(vhost.take("dead"), vec!["poison pill".to_string()]);
    let dead = metric(
        &s,
        "wasm_fc_event_source_events_total{trigger=\"dl/f/work\",outcome=\"dead_lettered\"}",
    );
    assert_eq!(dead, 1.0);
    drop(s);
    // Everything was acknowledged: nothing comes back once the consumer is gone.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(vhost.count("work"), 0);
}

#[test]
fn without_a_dead_letter_queue_spent_batches_go_to_the_onfailure_destination() {
    if !brokers::available("RabbitMQ", 5672, "spent_batches_go_to_the_destination") {
        return;
    }
    let _shared = RABBIT.read().unwrap_or_else(|p| p.into_inner());
    let vhost = Vhost::new("destination");
    vhost.declare(&["jobs"]);
    let dir = tempfile::tempdir().unwrap();
    let s = common::start_with_args(dir.path(), &["--broker", AMQP_BROKER]);
    deploy(&s, "dst", json!({"OSS_FAIL": "1"}));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/dst/functions"),
        &[],
        &function_body("failures", OSS_HANDLER, json!({})),
    ));
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/dst/functions/f/async-invoke-config"),
        &[],
        json!({"destinationConfig": {"onFailure": {
            "destination": "acs:fc:cn-hangzhou:1:services/dst.LATEST/functions/failures"}}})
        .to_string()
        .as_bytes(),
    ));
    ok(create_trigger(
        &s,
        "dst",
        "f",
        rabbit_trigger(
            "jobs",
            &vhost.0,
            "jobs",
            json!({"retryStrategy": {"PushRetryStrategy": "EXPONENTIAL_DECAY_RETRY", "MaximumRetryAttempts": 1}}),
            "CloudEvents",
        ),
    ));
    wait_connected(&s, "dst/f/jobs");
    vhost.publish("jobs", &["doomed".to_string()]);
    eventually("the destination record", || {
        !payloads(&s, "dst", "failures").is_empty()
    });
    let record = &payloads(&s, "dst", "failures")[0];
    assert_eq!(record["requestContext"]["condition"], "RetryExhausted");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 2);
    let original: Value = serde_json::from_str(record["requestPayload"].as_str().unwrap()).unwrap();
    assert_eq!(original[0]["data"]["body"], "doomed");
    assert_eq!(payloads(&s, "dst", "f").len(), 2);
}

/// Starts a server whose function reports every event to `sink` and a
/// trigger on `queue` with batches of 10.
fn start_counted(
    dir: &std::path::Path,
    vhost: &Vhost,
    queue: &str,
    sink: &Sink,
    sleep_ms: u32,
) -> Server {
    let s = common::start_with_args(dir, &["--broker", AMQP_BROKER]);
    if call(&s, "GET", &format!("{P}/services/count"), &[], b"").status == 404 {
        deploy(
            &s,
            "count",
            json!({"SINK_URL": sink.url, "OSS_SLEEP_MS": sleep_ms.to_string()}),
        );
        ok(create_trigger(
            &s,
            "count",
            "f",
            rabbit_trigger(
                "q",
                &vhost.0,
                queue,
                json!({"batchWindow": {"CountBasedWindow": 10, "TimeBasedWindow": 1}}),
                "RawData",
            ),
        ));
    }
    s
}

/// The distinct message numbers the sink has seen, and how many events in all.
fn counted(sink: &Sink) -> (BTreeSet<u64>, usize) {
    let mut distinct = BTreeSet::new();
    let mut all = 0;
    for body in sink.bodies() {
        let batch: Vec<Value> = serde_json::from_str(&body).unwrap();
        for event in batch {
            all += 1;
            distinct.insert(event["body"]["n"].as_u64().unwrap());
        }
    }
    (distinct, all)
}

#[test]
fn kill_9_mid_stream_redelivers_what_was_not_acknowledged_and_loses_nothing() {
    if !brokers::available("RabbitMQ", 5672, "kill_9_mid_stream") {
        return;
    }
    let _shared = RABBIT.read().unwrap_or_else(|p| p.into_inner());
    let vhost = Vhost::new("crash");
    vhost.declare(&["stream"]);
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    const N: u64 = 300;
    vhost.publish("stream", &bodies(0..N as usize));
    let mut s = start_counted(dir.path(), &vhost, "stream", &sink, 150);
    eventually("a third of the stream", || {
        counted(&sink).0.len() as u64 >= N / 3
    });
    // SIGKILL: no drain, no acknowledgement of the batch in flight.
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    let (before, _) = counted(&sink);
    assert!(
        (before.len() as u64) < N,
        "the stream finished before the kill"
    );
    let s = start_counted(dir.path(), &vhost, "stream", &sink, 0);
    eventually("every message", || counted(&sink).0.len() as u64 == N);
    let (distinct, all) = counted(&sink);
    assert_eq!(distinct, (0..N).collect::<BTreeSet<_>>());
    // At least once: a redelivered batch may run twice, but no more than one batch.
    assert!(all as u64 <= N + 10, "{all} events for {N} messages");
    drop(s);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(vhost.count("stream"), 0);
}

#[test]
fn a_rabbitmq_restart_mid_stream_is_survived_and_loses_nothing() {
    if !brokers::available("RabbitMQ", 5672, "a_rabbitmq_restart_mid_stream") {
        return;
    }
    if std::process::Command::new("rabbitmqctl")
        .arg("status")
        .output()
        .map(|o| !o.status.success())
        .unwrap_or(true)
    {
        common::skip(
            "a_rabbitmq_restart_mid_stream",
            "rabbitmqctl cannot manage the broker",
        );
        return;
    }
    // Alone: the other RabbitMQ tests of this binary wait.
    let _alone = RABBIT.write().unwrap_or_else(|p| p.into_inner());
    let vhost = Vhost::new("restart");
    vhost.declare(&["stream"]);
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    const N: u64 = 300;
    vhost.publish("stream", &bodies(0..N as usize));
    let s = start_counted(dir.path(), &vhost, "stream", &sink, 150);
    eventually("a third of the stream", || {
        counted(&sink).0.len() as u64 >= N / 3
    });
    {
        let _stopped = brokers::RabbitStopped::stop();
        assert!(
            (counted(&sink).0.len() as u64) < N,
            "the stream finished before the broker stopped"
        );
        eventually("the stream to notice", || {
            metric(&s, "wasm_fc_event_source_connected{trigger=\"count/f/q\"}") == 0.0
        });
        std::thread::sleep(Duration::from_secs(2));
        // The platform stays up and answers while the broker is down.
        ok(call(&s, "GET", &format!("{P}/services"), &[], b""));
    }
    eventually("every message", || counted(&sink).0.len() as u64 == N);
    assert_eq!(counted(&sink).0, (0..N).collect::<BTreeSet<_>>());
    let reconnects = metric(
        &s,
        "wasm_fc_event_source_reconnects_total{trigger=\"count/f/q\"}",
    );
    assert!(reconnects >= 1.0, "reconnects: {reconnects}");
    eventually("the stream to be connected again", || {
        metric(&s, "wasm_fc_event_source_connected{trigger=\"count/f/q\"}") == 1.0
    });
}

#[test]
fn mqtt_messages_reach_the_function_with_fcs_topic_props() {
    if !brokers::available("Mosquitto (MQTT)", 1883, "mqtt_messages_reach_the_function") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let s = common::start_with_args(dir.path(), &["--broker", MQTT_BROKER]);
    deploy(&s, "iot", json!({}));
    let root = format!("wasm-fc-test-{}", std::process::id());
    ok(create_trigger(
        &s,
        "iot",
        "f",
        json!({
            "triggerName": "sensors",
            "triggerType": "eventbridge",
            "triggerConfig": {
                "eventSourceConfig": {"eventSourceType": "MQTT", "eventSourceParameters": {
                    "sourceMQTTParameters": {"InstanceId": "iot", "Topic": format!("{root}/+/temperature"), "QoS": 1}}},
                "runOptions": {"mode": "event-streaming", "batchWindow": {"CountBasedWindow": 5, "TimeBasedWindow": 1}},
                "eventSinkConfig": {"deliveryOption": {"eventSchema": "RawData"}},
            }
        }),
    ));
    wait_connected(&s, "iot/f/sensors");
    for i in 0..6 {
        brokers::mqtt_publish(
            &format!("{root}/dev{i}/temperature"),
            &json!({"t": i}).to_string(),
        );
    }
    // Not matching the filter: never delivered.
    brokers::mqtt_publish(&format!("{root}/dev0/humidity"), "{\"h\": 1}");
    eventually("6 MQTT events", || events(&s, "iot", "f").len() >= 6);
    std::thread::sleep(Duration::from_millis(1500));
    let got = events(&s, "iot", "f");
    assert_eq!(got.len(), 6, "{got:#?}");
    for (i, e) in got.iter().enumerate() {
        assert_eq!(e["body"], json!({"t": i}), "{e:#}");
        assert_eq!(e["props"]["firstTopic"], root);
        assert_eq!(e["props"]["secondTopic"], format!("/dev{i}/temperature"));
        assert!(
            e["props"]["clientId"]
                .as_str()
                .unwrap()
                .starts_with("wasm-fc-")
        );
    }
    assert!(payloads(&s, "iot", "f").iter().all(Value::is_array));
}

#[test]
fn mqtt_kill_9_mid_stream_redelivers_from_the_persistent_session() {
    if !brokers::available("Mosquitto (MQTT)", 1883, "mqtt_kill_9_mid_stream") {
        return;
    }
    let sink = Sink::start();
    let dir = tempfile::tempdir().unwrap();
    let topic = format!("wasm-fc-test-crash-{}/readings", std::process::id());
    let start = |first: bool| {
        let s = common::start_with_args(dir.path(), &["--broker", MQTT_BROKER]);
        if first {
            deploy(
                &s,
                "iot",
                json!({"SINK_URL": sink.url, "OSS_SLEEP_MS": "150"}),
            );
            ok(create_trigger(
                &s,
                "iot",
                "f",
                json!({
                    "triggerName": "readings",
                    "triggerType": "eventbridge",
                    "triggerConfig": {
                        "eventSourceConfig": {"eventSourceType": "MQTT", "eventSourceParameters": {
                            "sourceMQTTParameters": {"InstanceId": "iot", "Topic": topic, "QoS": 1}}},
                        "runOptions": {"mode": "event-streaming", "batchWindow": {"CountBasedWindow": 2, "TimeBasedWindow": 1}},
                        "eventSinkConfig": {"deliveryOption": {"eventSchema": "RawData"}},
                    }
                }),
            ));
        }
        wait_connected(&s, "iot/f/readings");
        s
    };
    let mut s = start(true);
    const N: u64 = 30;
    for n in 0..N {
        brokers::mqtt_publish(&topic, &json!({"n": n}).to_string());
    }
    eventually("a few readings", || counted(&sink).0.len() >= 4);
    s.child.kill().unwrap();
    s.child.wait().unwrap();
    assert!(
        (counted(&sink).0.len() as u64) < N,
        "the stream finished before the kill"
    );
    // The same node (data dir) resumes its session; the broker sends again
    // what was not acknowledged and what queued meanwhile.
    let _s = start(false);
    let deadline = Instant::now() + Duration::from_secs(60);
    while (counted(&sink).0.len() as u64) < N {
        assert!(
            Instant::now() < deadline,
            "after the restart, {} of {N} readings ran: {:?}",
            counted(&sink).0.len(),
            counted(&sink).0
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(counted(&sink).0, (0..N).collect::<BTreeSet<_>>());
}

#[test]
fn two_nodes_on_postgresql_share_a_queue_and_run_each_message_once() {
    if !brokers::available("RabbitMQ", 5672, "two_nodes_share_a_queue") {
        return;
    }
    let Some(db) = common::postgres::Database::create("brokers_two_nodes") else {
        return;
    };
    let _shared = RABBIT.read().unwrap_or_else(|p| p.into_inner());
    let vhost = Vhost::new("nodes");
    vhost.declare(&["shared"]);
    let sink = Sink::start();
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = ["--store", db.url.as_str(), "--broker", AMQP_BROKER];
    let a = common::start_with_args(dir_a.path(), &args);
    let b = common::start_with_args(dir_b.path(), &args);
    deploy(
        &a,
        "count",
        json!({"SINK_URL": sink.url, "OSS_SLEEP_MS": "20"}),
    );
    // Created on one node; the other starts consuming through the store's change notices.
    ok(create_trigger(
        &a,
        "count",
        "f",
        rabbit_trigger(
            "q",
            &vhost.0,
            "shared",
            json!({"batchWindow": {"CountBasedWindow": 5, "TimeBasedWindow": 1}}),
            "RawData",
        ),
    ));
    wait_connected(&a, "count/f/q");
    wait_connected(&b, "count/f/q");
    const N: u64 = 200;
    vhost.publish("shared", &bodies(0..N as usize));
    eventually("every message", || counted(&sink).0.len() as u64 == N);
    std::thread::sleep(Duration::from_secs(1));
    let (distinct, all) = counted(&sink);
    assert_eq!(distinct, (0..N).collect::<BTreeSet<_>>());
    assert_eq!(all as u64, N, "a message ran twice");
    let delivered =
        "wasm_fc_event_source_events_total{trigger=\"count/f/q\",outcome=\"delivered\"}";
    let (on_a, on_b) = (metric(&a, delivered), metric(&b, delivered));
    assert_eq!(on_a + on_b, N as f64);
    assert!(
        on_a > 0.0 && on_b > 0.0,
        "both nodes consumed: {on_a} and {on_b}"
    );
}

#[test]
fn errors_tolerance_none_stops_at_a_spent_batch_and_keeps_it_in_the_broker() {
    if !brokers::available("RabbitMQ", 5672, "errors_tolerance_none") {
        return;
    }
    let _shared = RABBIT.read().unwrap_or_else(|p| p.into_inner());
    let vhost = Vhost::new("tolerance");
    vhost.declare(&["strict"]);
    let dir = tempfile::tempdir().unwrap();
    let s = common::start_with_args(dir.path(), &["--broker", AMQP_BROKER]);
    deploy(&s, "strict", json!({"OSS_FAIL_ON": "poison"}));
    let trigger = |tolerance: &str| {
        rabbit_trigger(
            "strict",
            &vhost.0,
            "strict",
            json!({"mode": "event-driven", "errorsTolerance": tolerance,
                   "retryStrategy": {"PushRetryStrategy": "EXPONENTIAL_DECAY_RETRY", "MaximumRetryAttempts": 0}}),
            "RawData",
        )
    };
    ok(create_trigger(&s, "strict", "f", trigger("NONE")));
    wait_connected(&s, "strict/f/strict");
    vhost.publish("strict", &["poison".to_string(), "after".to_string()]);
    let blocked =
        "wasm_fc_event_source_events_total{trigger=\"strict/f/strict\",outcome=\"blocked\"}";
    eventually("the stream to block", || metric(&s, blocked) == 1.0);
    std::thread::sleep(Duration::from_secs(1));
    let bodies = |s: &Server| -> Vec<String> {
        payloads(s, "strict", "f")
            .iter()
            .map(|p| p["body"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(bodies(&s), ["poison"]);
    // Updating the trigger restarts the stream: with ALL the poison message is
    // dropped after its try (no destination), and the queue moves on.
    let mut update = trigger("ALL");
    update.as_object_mut().unwrap().remove("triggerName");
    update.as_object_mut().unwrap().remove("triggerType");
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/strict/functions/f/triggers/strict"),
        &[],
        update.to_string().as_bytes(),
    ));
    eventually("the message after the poison", || {
        bodies(&s).contains(&"after".to_string())
    });
    assert_eq!(bodies(&s), ["poison", "poison", "after"]);
    let dropped =
        "wasm_fc_event_source_events_total{trigger=\"strict/f/strict\",outcome=\"dropped\"}";
    assert_eq!(metric(&s, dropped), 1.0);
}
