//! Python and Node.js functions written for FC, unchanged, on the real
//! `wasm-fc run` with the runtimes built by the real `wasm-fc runtimes install`
//! (componentize-py and componentize-js from the registries).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::path::Path;

use base64::Engine as _;
use common::*;
use serde_json::{Value, json};

fn fixture(path: &str) -> Vec<(String, Vec<u8>)> {
    files_of(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/runtimes")
            .join(path),
    )
}

/// CreateFunction from a fixture directory; the reply is the caller's to check.
fn create(s: &Server, svc: &str, name: &str, runtime: &str, dir: &str, extra: Value) -> Reply {
    let mut body = json!({
        "functionName": name, "runtime": runtime, "handler": "index.handler",
        "code": { "zipFile": zip_files(&fixture(dir)) },
    });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    call(
        s,
        "POST",
        &format!("{P}/services/{svc}/functions"),
        &[],
        body.to_string().as_bytes(),
    )
}

fn invoke(s: &Server, svc: &str, name: &str, event: Value) -> Reply {
    call(
        s,
        "POST",
        &format!("{P}/services/{svc}/functions/{name}/invocations"),
        &[("x-fc-log-type", "Tail")],
        event.to_string().as_bytes(),
    )
}

fn log_of(reply: &Reply) -> String {
    let encoded = reply.header("x-fc-log-result").unwrap_or_default();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap(),
    )
    .unwrap()
}

fn function_log(s: &Server, svc: &str, name: &str) -> String {
    let reply = ok(call(
        s,
        "GET",
        &format!("/_wasm-fc/logs/{svc}/{name}"),
        &[],
        b"",
    ));
    reply.json()["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["log"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_seed_handlers_run_as_written() {
    let data = tempfile::tempdir().unwrap();
    let s = start_with_runtimes(data.path());
    create_service(&s, "seed", json!({}));

    // Node.js event handler, with callback.
    ok(create(
        &s,
        "seed",
        "node-event",
        "nodejs12",
        "nodejs/event",
        json!({}),
    ));
    let reply = ok(invoke(&s, "seed", "node-event", json!({"k": 1})));
    assert_eq!(reply.text(), "事件触发成功！");
    assert_eq!(reply.header("x-fc-error-type"), None);
    let log = log_of(&reply);
    assert!(log.contains("[verbose] 事件触发成功！"), "{log}");

    // Node.js HTTP handler behind an anonymous HTTP trigger.
    ok(create(
        &s,
        "seed",
        "node-http",
        "nodejs14",
        "nodejs/http",
        json!({}),
    ));
    ok(create_trigger(
        &s,
        "seed",
        "node-http",
        json!({ "triggerName": "web", "triggerType": "http",
                "triggerConfig": { "authType": "anonymous", "methods": ["GET", "POST"] } }),
    ));
    let reply = unsigned(
        &s,
        "POST",
        &format!("{P}/proxy/seed/node-http/"),
        &[],
        b"ping-body",
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text(), "<h1>Hello, world!</h1>");
    assert_eq!(reply.header("content-type"), Some("text/plain"));
    wait_for(
        || function_log(&s, "seed", "node-http").contains("ping-body"),
        "the HTTP handler logged req.body.toString()",
    );

    // Python timer handler, fired by a real Timer trigger; its result goes to an
    // OnSuccess destination (a Python function) that prints it.
    ok(create(
        &s,
        "seed",
        "py-timer",
        "python3.9",
        "python/timer",
        json!({}),
    ));
    ok(create(
        &s,
        "seed",
        "py-sink",
        "python3",
        "python/sink",
        json!({}),
    ));
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/seed/functions/py-timer/async-invoke-config"),
        &[],
        json!({ "destinationConfig": { "onSuccess": {
            "destination": "acs:fc:local:1234567890123456:services/seed/functions/py-sink" } } })
        .to_string()
        .as_bytes(),
    ));
    ok(create_trigger(
        &s,
        "seed",
        "py-timer",
        json!({ "triggerName": "every-second", "triggerType": "timer",
                "triggerConfig": { "cronExpression": "@every 1s", "enable": true, "payload": "awesome-fc" } }),
    ));
    wait_for(
        || function_log(&s, "seed", "py-sink").contains("DESTINATION Timer Payload: awesome-fc"),
        "the timer handler's result reached its destination",
    );
    let log = function_log(&s, "seed", "py-timer");
    assert!(log.contains("[INFO] triggerName: every-second"), "{log}");
    assert!(log.contains("[INFO] payload: awesome-fc"), "{log}");
    assert!(log.contains("[INFO] triggerTime: 20"), "{log}");
}
