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
    common::invocation_logs(s, svc, name).concat()
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
    // InvokeFunction on an HTTP handler runs it with `POST /invoke`.
    let invoked = invoke(&s, "seed", "node-http", json!({ "name": "fc" }));
    assert_eq!(
        (invoked.status, invoked.header("x-fc-error-type")),
        (200, None),
        "{}",
        invoked.text()
    );
    assert_eq!(invoked.text(), "<h1>Hello, world!</h1>");
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

fn error_of(reply: &Reply) -> (String, Value) {
    let kind = reply
        .header("x-fc-error-type")
        .unwrap_or_default()
        .to_string();
    (kind, reply.json())
}

/// The limits every function runs under, whatever its language: no network
/// without internetAccess, the timeout, memorySize; and afterwards the
/// function answers again. The fixture handlers implement the three actions.
fn assert_sandboxed(s: &Server, svc: &str, name: &str) {
    let port = s.endpoint.rsplit(':').next().unwrap().to_string();
    let net = ok(invoke(
        s,
        svc,
        name,
        json!({ "action": "net", "port": port }),
    ))
    .text();
    assert!(
        net.starts_with("refused"),
        "no network without internetAccess: {net}"
    );
    for (action, error_type) in [("spin", "TimeoutError"), ("alloc", "OutOfMemoryError")] {
        let reply = ok(invoke(s, svc, name, json!({ "action": action })));
        let (kind, body) = error_of(&reply);
        assert_eq!(kind, "UnhandledInvocationError", "{action}: {body}");
        assert_eq!(body["errorType"], error_type, "{action}: {body}");
    }
    let again = invoke(s, svc, name, json!({ "action": "context" }));
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.header("x-fc-error-type"), None, "{}", again.text());
}

#[test]
fn python_handlers_follow_fc_conventions() {
    let data = tempfile::tempdir().unwrap();
    let s = start_with_runtimes(data.path());
    create_service(&s, "py", json!({ "internetAccess": false }));
    ok(create(
        &s,
        "py",
        "features",
        "python3.10",
        "python/features",
        json!({ "initializer": "index.initializer", "timeout": 2, "memorySize": 128,
                "environmentVariables": { "GREETING": "hello" } }),
    ));

    let reply = ok(invoke(&s, "py", "features", json!({ "action": "context" })));
    let request_id = reply.header("x-fc-request-id").unwrap().to_string();
    let context = reply.json();
    assert_eq!(context["event_type"], "bytes", "{context}");
    assert_eq!(context["request_id"], request_id.as_str());
    assert_eq!(
        context["function"],
        json!(["features", "index.handler", 128, 2, "index.initializer"])
    );
    assert_eq!(context["service"][0], "py");
    assert_eq!(context["service"][3], "LATEST");
    assert_eq!(context["credentials"].as_array().unwrap().len(), 3);
    assert_eq!(context["region"], "local");
    assert!(
        context["account_id"]
            .as_str()
            .is_some_and(|a| !a.is_empty())
    );
    assert_eq!(context["env"], "hello");
    assert_eq!(context["helper"], "HI", "a module next to the handler");
    assert_eq!(
        context["dep"], "1.2.3",
        "a pure-Python dependency in the zip"
    );
    assert_eq!(context["util"], 42, "a module in a subdirectory");
    assert_eq!(context["initialized"], 1);
    assert_eq!(context["python"], json!([3, 14]));
    let log = log_of(&reply);
    assert!(
        log.contains(&format!("{request_id} [INFO] logging line")),
        "{log}"
    );
    assert!(log.contains("print line"), "{log}");
    assert!(log.contains("[INFO] initializer ran for features"), "{log}");

    // An exception: FC's UnhandledInvocationError with Python's frame lists.
    let reply = ok(invoke(&s, "py", "features", json!({ "action": "raise" })));
    let (kind, body) = error_of(&reply);
    assert_eq!(kind, "UnhandledInvocationError");
    assert_eq!(body["errorType"], "ValueError");
    assert_eq!(body["errorMessage"], "bad input");
    let frame = body["stackTrace"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(frame[0], "File \"/code/index.py\"", "{body}");
    assert_eq!(frame[2], "in handler");
    assert_eq!(frame[3], "raise ValueError(\"bad input\")");
    assert!(log_of(&reply).contains("ValueError: bad input"));
    // The interpreter survives the exception: the same warm instance answers.
    let again = ok(invoke(&s, "py", "features", json!({ "action": "context" }))).json();
    assert_eq!(
        again["initialized"], 1,
        "the initializer ran once per instance"
    );

    let raw_bytes = ok(invoke(&s, "py", "features", json!({ "action": "bytes" })));
    assert_eq!(raw_bytes.body, b"\x00\x01raw");
    assert_eq!(
        ok(invoke(&s, "py", "features", json!({ "action": "str" }))).text(),
        "plain text"
    );
    assert_eq!(
        ok(invoke(&s, "py", "features", json!({ "action": "stdlib" }))).text(),
        "1.8333333333333333",
        "standard-library modules not preloaded import at run time"
    );

    // The sandbox and limits, exactly as for Wasm functions.
    assert_sandboxed(&s, "py", "features");
    let write = ok(invoke(&s, "py", "features", json!({ "action": "write" }))).text();
    assert!(write.starts_with("read-only"), "{write}");
    let host = ok(invoke(&s, "py", "features", json!({ "action": "host" }))).text();
    assert!(host.starts_with("no host files"), "{host}");

    // A handler in a subdirectory imports its own siblings.
    ok(create(
        &s,
        "py",
        "sub",
        "python3",
        "python/features",
        json!({ "handler": "src/app.main" }),
    ));
    assert_eq!(
        ok(invoke(&s, "py", "sub", json!({}))).text(),
        "src/app.main sibling in src/"
    );

    // Clear 400s for what cannot run.
    let missing = create(
        &s,
        "py",
        "missing",
        "python3",
        "python/features",
        json!({ "handler": "nope.handler" }),
    );
    assert_eq!(missing.status, 400, "{}", missing.text());
    assert!(
        missing.json()["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("nope.py")
    );
    let py2 = create(&s, "py", "old", "python2.7", "python/features", json!({}));
    assert_eq!(py2.status, 400);
    assert!(
        py2.json()["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("Python 2 is not supported")
    );

    // FC's WSGI form behind an HTTP trigger.
    ok(create(
        &s,
        "py",
        "wsgi",
        "python3.12",
        "python/wsgi",
        json!({}),
    ));
    ok(create_trigger(
        &s,
        "py",
        "wsgi",
        json!({ "triggerName": "web", "triggerType": "http",
                "triggerConfig": { "authType": "anonymous", "methods": ["POST"] } }),
    ));
    let reply = unsigned(
        &s,
        "POST",
        &format!("{P}/proxy/py/wsgi/some/path?x=1&y=2"),
        &[("x-custom", "custom-value"), ("content-type", "text/plain")],
        b"hello wsgi",
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.header("x-answer"), Some("wsgi"));
    let answer = reply.json();
    assert_eq!(answer["method"], "POST");
    assert_eq!(answer["path"], "/some/path");
    assert_eq!(answer["query"], "x=1&y=2");
    assert_eq!(answer["header"], "custom-value");
    assert_eq!(answer["content_type"], "text/plain");
    assert_eq!(answer["body"], "hello wsgi");
    assert_eq!(
        answer["request_uri"],
        format!("{P}/proxy/py/wsgi/some/path?x=1&y=2")
    );
    assert_eq!(answer["client"], "127.0.0.1");
    assert!(
        answer["request_id"]
            .as_str()
            .is_some_and(|id| !id.is_empty())
    );
    // InvokeFunction on it: the WSGI app gets `POST /invoke` with the event as
    // its body (as every HTTP function does), never `handler(event, context)`.
    let reply = invoke(&s, "py", "wsgi", json!({ "name": "fc" }));
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("x-fc-error-type"), None, "{}", reply.text());
    let answer = reply.json();
    assert_eq!(
        (answer["method"].as_str(), answer["path"].as_str()),
        (Some("POST"), Some("/invoke"))
    );
    assert_eq!(answer["body"], r#"{"name":"fc"}"#);
}

#[test]
fn nodejs_handlers_follow_fc_conventions() {
    let data = tempfile::tempdir().unwrap();
    let s = start_with_runtimes(data.path());
    create_service(&s, "node", json!({ "internetAccess": false }));
    ok(create(
        &s,
        "node",
        "features",
        "nodejs16",
        "nodejs/features",
        json!({ "initializer": "index.initializer", "timeout": 2 }),
    ));

    let reply = ok(invoke(
        &s,
        "node",
        "features",
        json!({ "action": "context" }),
    ));
    let request_id = reply.header("x-fc-request-id").unwrap().to_string();
    let context = reply.json();
    assert_eq!(context["isBuffer"], true, "{context}");
    assert_eq!(context["requestId"], request_id.as_str());
    assert_eq!(
        context["function"],
        json!({ "name": "features", "handler": "index.handler", "memory": 128, "timeout": 2,
                "initializer": "index.initializer" })
    );
    assert_eq!(context["service"]["name"], "node");
    assert_eq!(context["service"]["qualifier"], "LATEST");
    for key in ["accessKeyId", "accessKeySecret", "securityToken"] {
        assert!(context["credentials"][key].is_string(), "{context}");
    }
    assert_eq!(context["region"], "local");
    assert_eq!(context["helper"], "HI", "require('./lib/helper')");
    assert_eq!(context["dep"], "4.5.6", "require('dep') from node_modules");
    assert_eq!(context["initialized"], 1);
    let log = log_of(&reply);
    assert!(
        log.contains(&format!("{request_id} [verbose] console line")),
        "{log}"
    );
    assert!(log.contains("[info] logger line"), "{log}");
    assert!(log.contains("initializer ran for features"), "{log}");

    let reply = ok(invoke(
        &s,
        "node",
        "features",
        json!({ "action": "handled" }),
    ));
    let (kind, body) = error_of(&reply);
    assert_eq!(kind, "HandledInvocationError", "callback(err)");
    assert_eq!(body["errorMessage"], "handled failure");
    let reply = ok(invoke(&s, "node", "features", json!({ "action": "throw" })));
    let (kind, body) = error_of(&reply);
    assert_eq!(kind, "UnhandledInvocationError");
    assert_eq!(body["errorType"], "TypeError");
    assert_eq!(body["errorMessage"], "thrown failure");
    let frames = body["stackTrace"].as_array().unwrap();
    assert!(!frames.is_empty(), "{body}");
    assert!(
        frames
            .iter()
            .all(|f| f.as_str().unwrap().contains("(/code/index.js:")),
        "only the user's frames: {body}"
    );
    assert_eq!(
        ok(invoke(
            &s,
            "node",
            "features",
            json!({ "action": "context" })
        ))
        .json()["initialized"],
        1
    );

    assert_eq!(
        ok(invoke(&s, "node", "features", json!({ "action": "later" }))).text(),
        "called back later"
    );
    assert_eq!(
        ok(invoke(
            &s,
            "node",
            "features",
            json!({ "action": "buffer" })
        ))
        .body,
        b"\x00\x01raw"
    );
    let builtin = ok(invoke(
        &s,
        "node",
        "features",
        json!({ "action": "builtin" }),
    ))
    .text();
    assert!(
        builtin.contains("Cannot find module 'fs'")
            && builtin.contains("built-in modules available"),
        "{builtin}"
    );

    // An async handler that returns a promise.
    ok(create(
        &s,
        "node",
        "async",
        "nodejs18",
        "nodejs/features",
        json!({ "handler": "index.asyncHandler" }),
    ));
    assert_eq!(
        ok(invoke(&s, "node", "async", json!({ "x": 1 }))).text(),
        "async {\"x\":1}"
    );

    // The sandbox and limits.
    assert_sandboxed(&s, "node", "features");

    // FC's (req, resp, context) HTTP handler.
    ok(create(
        &s,
        "node",
        "web",
        "nodejs20",
        "nodejs/httpfull",
        json!({}),
    ));
    ok(create_trigger(
        &s,
        "node",
        "web",
        json!({ "triggerName": "web", "triggerType": "http",
                "triggerConfig": { "authType": "anonymous", "methods": ["GET", "POST"] } }),
    ));
    let reply = unsigned(
        &s,
        "POST",
        &format!("{P}/proxy/node/web/a/b?x=1&x=2&y=%20z"),
        &[("x-custom", "custom-value")],
        b"node body",
    );
    assert_eq!(reply.status, 202, "{}", reply.text());
    assert_eq!(reply.header("x-answer"), Some("node"));
    assert_eq!(reply.header("x-removed"), None);
    let answer = reply.json();
    assert_eq!(answer["path"], "/a/b");
    assert_eq!(answer["queries"], json!({ "x": ["1", "2"], "y": " z" }));
    assert_eq!(answer["method"], "POST");
    assert_eq!(answer["header"], "custom-value");
    assert_eq!(answer["clientIP"], "127.0.0.1");
    assert_eq!(
        answer["url"],
        format!("{P}/proxy/node/web/a/b?x=1&x=2&y=%20z")
    );
    assert_eq!(answer["body"], "node body");
    assert_eq!(answer["isBuffer"], true);
}

#[test]
fn without_the_runtimes_python_and_nodejs_deploys_get_a_clear_400() {
    let data = tempfile::tempdir().unwrap();
    let s = start(data.path()); // WASM_FC_NO_RUNTIMES: the runtimes are off
    create_service(&s, "off", json!({}));
    for (runtime, dir, language) in [
        ("python3.9", "python/timer", "python"),
        ("nodejs18", "nodejs/event", "nodejs"),
    ] {
        let reply = create(&s, "off", language, runtime, dir, json!({}));
        assert_eq!(reply.status, 400, "{}", reply.text());
        let message = reply.json()["ErrorMessage"].as_str().unwrap().to_string();
        assert!(
            message.contains(&format!("the {language} runtime"))
                && message.contains("--no-runtimes"),
            "{message}"
        );
    }
}
