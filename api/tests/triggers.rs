//! Triggers end to end: the real `wasm-fc run`, real guests, real HTTP, WebSocket
//! and timer fires into a mounted directory.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::{Value, json};

fn create_function(s: &Server, svc: &str, name: &str, guest: &str, extra: Value) {
    ok(call(
        s,
        "POST",
        &format!("{P}/services/{svc}/functions"),
        &[],
        &function_body(name, guest, extra),
    ));
}

fn http_trigger(name: &str, auth: &str, methods: &[&str]) -> Value {
    json!({ "triggerName": name, "triggerType": "http",
            "triggerConfig": { "authType": auth, "methods": methods } })
}

/// `key=value` lines of http-hello's echo.
fn line<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    text.lines()
        .find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

const ALL_METHODS: [&str; 7] = ["GET", "POST", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS"];

#[test]
fn http_triggers_serve_every_method_with_fc_rules() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "web", json!({}));
    create_function(
        &s,
        "web",
        "hello",
        wasm_fc_test_guests::HTTP_HELLO,
        json!({}),
    );
    let created = ok(create_trigger(
        &s,
        "web",
        "hello",
        http_trigger("public", "anonymous", &ALL_METHODS),
    ));
    assert_eq!(
        created.json()["triggerConfig"]["methods"]
            .as_array()
            .unwrap()
            .len(),
        7
    );

    for method in ALL_METHODS {
        let with_body = matches!(method, "POST" | "PUT" | "PATCH");
        let body: &[u8] = if with_body { b"data" } else { b"" };
        let r = unsigned(
            &s,
            method,
            &format!("{P}/proxy/web/hello/a/b?x=1&y=two"),
            &[("x-custom", "c")],
            body,
        );
        assert_eq!(r.status, 200, "{method}: {}", r.text());
        assert_eq!(r.header("x-hello"), Some("world"), "{method}");
        assert_eq!(
            r.header("x-fc-spoofed"),
            None,
            "reserved response headers are dropped"
        );
        assert_ne!(r.header("server"), Some("http-hello"));
        let request_id = r.header("x-fc-request-id").unwrap().to_string();
        let text = r.text();
        if method == "HEAD" {
            assert!(text.is_empty(), "HEAD has no body");
            continue;
        }
        assert_eq!(line(&text, "method"), Some(method));
        assert_eq!(line(&text, "path"), Some("/a/b"));
        assert_eq!(line(&text, "query:x"), Some("1"));
        assert_eq!(line(&text, "query:y"), Some("two"));
        assert_eq!(line(&text, "header:x-custom"), Some("c"));
        assert_eq!(line(&text, "client_ip"), Some("127.0.0.1"));
        assert_eq!(line(&text, "request_id"), Some(request_id.as_str()));
        assert_eq!(
            line(&text, "header:x-fc-base-path"),
            Some("/2016-08-15/proxy/web/hello/")
        );
        assert_eq!(line(&text, "header:x-fc-function-name"), Some("hello"));
        assert_eq!(line(&text, "header:x-fc-qualifier"), Some("LATEST"));
        // Empty context values are not sent (LATEST has no version id; no role).
        for absent in [
            "x-fc-version-id",
            "x-fc-access-key-id",
            "x-fc-function-initializer",
        ] {
            assert_eq!(line(&text, &format!("header:{absent}")), None, "{absent}");
        }
        if with_body {
            assert_eq!(line(&text, "body"), Some("data"), "{method}");
        }
    }
    // The function's own status; a caller cannot spoof the context headers.
    let r = unsigned(
        &s,
        "GET",
        &format!("{P}/proxy/web/hello/status/418"),
        &[],
        b"",
    );
    assert_eq!(r.status, 418);
    let r = unsigned(
        &s,
        "GET",
        &format!("{P}/proxy/web.LATEST/hello/"),
        &[("x-fc-function-name", "spoof")],
        b"",
    );
    assert_eq!(line(&r.text(), "function"), Some("hello"));
    assert_eq!(line(&r.text(), "path"), Some("/"));
    let r = unsigned(&s, "GET", &format!("{P}/proxy/web/hello"), &[], b"");
    assert_eq!(
        line(&r.text(), "path"),
        Some("/"),
        "no trailing slash means /"
    );

    // A crash is FC's 502 with the error, the error type header and the request id.
    let r = unsigned(&s, "GET", &format!("{P}/proxy/web/hello/panic"), &[], b"");
    assert_eq!(r.status, 502, "{}", r.text());
    assert_eq!(
        r.header("x-fc-error-type"),
        Some("UnhandledInvocationError")
    );
    assert!(r.header("x-fc-request-id").is_some());
    let body = r.json();
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .contains("maxMemoryUsage"),
        "{body}"
    );
    assert!(body.get("ErrorCode").is_none());

    // A timeout is a 502 that says so; the next request is served normally.
    create_function(
        &s,
        "web",
        "slow",
        wasm_fc_test_guests::HTTP_HELLO,
        json!({ "timeout": 1 }),
    );
    ok(create_trigger(
        &s,
        "web",
        "slow",
        http_trigger("h", "anonymous", &["GET"]),
    ));
    let r = unsigned(&s, "GET", &format!("{P}/proxy/web/slow/spin"), &[], b"");
    assert_eq!(r.status, 502, "{}", r.text());
    assert!(
        r.json()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{}",
        r.text()
    );
    assert_eq!(
        unsigned(&s, "GET", &format!("{P}/proxy/web/slow/"), &[], b"").status,
        200
    );

    // FC's request limits.
    let big = "v".repeat(9 << 10);
    let r = unsigned(
        &s,
        "GET",
        &format!("{P}/proxy/web/hello/"),
        &[("x-big", &big)],
        b"",
    );
    assert_eq!(
        (r.status, r.json()["ErrorCode"].as_str()),
        (400, Some("InvalidArgument"))
    );
    let long = "p".repeat(5 << 10);
    let r = unsigned(&s, "GET", &format!("{P}/proxy/web/hello/{long}"), &[], b"");
    assert_eq!(r.status, 400);

    // Unknown function, and a function without an HTTP trigger.
    let r = unsigned(&s, "GET", &format!("{P}/proxy/web/nope/"), &[], b"");
    assert_eq!(
        (r.status, r.json()["ErrorCode"].as_str()),
        (404, Some("FunctionNotFound"))
    );
    create_function(
        &s,
        "web",
        "plain",
        wasm_fc_test_guests::HTTP_HELLO,
        json!({}),
    );
    let r = unsigned(&s, "GET", &format!("{P}/proxy/web/plain/"), &[], b"");
    assert_eq!(
        (r.status, r.json()["ErrorCode"].as_str()),
        (404, Some("TriggerNotFound"))
    );

    // An event handler behind an HTTP trigger cannot answer HTTP: a clear 502.
    create_function(
        &s,
        "web",
        "event",
        wasm_fc_test_guests::EVENT_HELLO,
        json!({}),
    );
    ok(create_trigger(
        &s,
        "web",
        "event",
        http_trigger("h", "anonymous", &["GET"]),
    ));
    let r = unsigned(&s, "GET", &format!("{P}/proxy/web/event/"), &[], b"");
    assert_eq!(r.status, 502);
    assert!(
        r.json()["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("event handler")
    );
}

#[test]
fn methods_and_auth_type_function_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "sec", json!({}));
    create_function(
        &s,
        "sec",
        "private",
        wasm_fc_test_guests::HTTP_HELLO,
        json!({}),
    );
    ok(create_trigger(
        &s,
        "sec",
        "private",
        http_trigger("t", "function", &["GET", "post"]),
    ));
    let path = format!("{P}/proxy/sec/private/x/%E4%B8%AD");

    // 405 for a method the trigger does not allow.
    let r = unsigned(&s, "PUT", &path, &[], b"");
    assert_eq!(
        (r.status, r.json()["ErrorCode"].as_str()),
        (405, Some("MethodNotAllowed"))
    );
    // No signature, a wrong one, or a stale one: 403.
    let r = unsigned(&s, "GET", &path, &[], b"");
    assert_eq!(r.status, 403, "{}", r.text());
    let r = call_as(
        &s,
        "GET",
        &format!("{path}?a=2&a=1&aaa"),
        &[],
        b"",
        KEY_ID,
        "wrong",
        SystemTime::now(),
    );
    assert_eq!(
        (r.status, r.json()["ErrorCode"].as_str()),
        (403, Some("SignatureNotMatch"))
    );
    let stale = SystemTime::now() - Duration::from_secs(3600);
    let r = call_as(&s, "GET", &path, &[], b"", KEY_ID, SECRET, stale);
    assert_eq!(r.status, 403);
    // FC's proxy-mode signature (decoded path, sorted query with repeats and bare keys).
    let r = call(
        &s,
        "POST",
        &format!("{path}?a=2&a=3&a=1&aaa"),
        &[],
        b"signed",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(line(&r.text(), "body"), Some("signed"));
    // A signed Content-MD5 binds the body: the same signature with another body is refused.
    let md5 = hex::encode(<md5::Md5 as md5::Digest>::digest(b"signed"));
    let headers = [("content-md5", md5.as_str())];
    let r = call(&s, "POST", &path, &headers, b"signed");
    assert_eq!(line(&r.text(), "body"), Some("signed"), "{}", r.text());
    let r = call(&s, "POST", &path, &headers, b"forged");
    assert_eq!(
        (r.status, r.json()["ErrorCode"].as_str()),
        (400, Some("InvalidArgument")),
        "{}",
        r.text()
    );

    // CORS as FC: the platform answers a preflight the trigger does not take
    // (before auth: browsers send none), and allows the origin on answers.
    let r = unsigned(
        &s,
        "OPTIONS",
        &path,
        &[
            ("origin", "https://app.example"),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "x-token"),
        ],
        b"",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(r.header("access-control-allow-methods"), Some("GET, POST"));
    assert_eq!(r.header("access-control-allow-headers"), Some("x-token"));
    assert_eq!(r.header("access-control-max-age"), Some("3600"));
    let r = call(&s, "GET", &path, &[("origin", "https://app.example")], b"");
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        unsigned(&s, "OPTIONS", &path, &[], b"").status,
        405,
        "a plain OPTIONS is a method like any other"
    );

    // Signed URLs: valid, expired, tampered.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let r = unsigned(&s, "GET", &signed_url(&path, now + 300), &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    let r = unsigned(&s, "GET", &signed_url(&path, now - 10), &[], b"");
    assert_eq!(
        (r.status, r.json()["ErrorCode"].as_str()),
        (403, Some("AccessDenied"))
    );
    let tampered = signed_url(&path, now + 300).replace("/x/", "/y/");
    assert_eq!(unsigned(&s, "GET", &tampered, &[], b"").status, 403);
}

/// A signed URL as FC's Go and Java SDKs make it (fc-api.md §2.5).
fn signed_url(path: &str, expires: u64) -> String {
    let query = format!("x-fc-access-key-id={KEY_ID}&x-fc-expires={expires}");
    let signed = wasm_fc_api::control::auth::SignedRequest {
        method: "GET",
        path,
        query: Some(&query),
        headers: Vec::new(),
    };
    let resource = wasm_fc_api::control::auth::canonical_resource(&signed);
    let sts = wasm_fc_api::control::auth::string_to_sign(&signed, &expires.to_string(), &resource);
    let signature = wasm_fc_api::control::auth::sign(SECRET, &sts);
    let encoded: String = signature
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{path}?{query}&x-fc-signature={encoded}")
}

#[test]
fn bodies_stream_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "stream", json!({}));
    create_function(
        &s,
        "stream",
        "hello",
        wasm_fc_test_guests::HTTP_HELLO,
        json!({}),
    );
    ok(create_trigger(
        &s,
        "stream",
        "hello",
        http_trigger("t", "anonymous", &["POST"]),
    ));
    // A chunked upload in pieces, over a raw socket: no Content-Length anywhere.
    let address = s.endpoint.trim_start_matches("http://");
    let mut socket = TcpStream::connect(address).unwrap();
    write!(
        socket,
        "POST {P}/proxy/stream/hello/up HTTP/1.1\r\nHost: {address}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let chunk = vec![b'z'; 256 << 10];
    for _ in 0..12 {
        write!(socket, "{:x}\r\n", chunk.len()).unwrap();
        socket.write_all(&chunk).unwrap();
        socket.write_all(b"\r\n").unwrap();
        socket.flush().unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    socket.write_all(b"0\r\n\r\n").unwrap();
    let mut response = Vec::new();
    socket.read_to_end(&mut response).unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(
        text.starts_with("HTTP/1.1 200"),
        "{}",
        &text[..200.min(text.len())]
    );
    assert!(text.contains(&format!("body_bytes={}", 12 * chunk.len())));
    // The echo (3 MB) comes back streamed, not with a buffered Content-Length.
    let head = &text[..text.find("\r\n\r\n").unwrap()].to_ascii_lowercase();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");

    // Over FC's 32 MB body limit by Content-Length: 400 before the body is read.
    let mut socket = TcpStream::connect(address).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        socket,
        "POST {P}/proxy/stream/hello/ HTTP/1.1\r\nHost: {address}\r\nContent-Length: 40000000\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    socket.read_exact(&mut head).unwrap();
    assert_eq!(&head, b"HTTP/1.1 400");
}

#[test]
fn a_function_with_an_http_trigger_takes_no_other_trigger_type() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "ex", json!({}));
    create_function(&s, "ex", "web", wasm_fc_test_guests::HTTP_HELLO, json!({}));
    create_function(
        &s,
        "ex",
        "cron",
        wasm_fc_test_guests::EVENT_HELLO,
        json!({}),
    );
    ok(create_trigger(
        &s,
        "ex",
        "web",
        http_trigger("h", "anonymous", &["GET"]),
    ));
    let timer = json!({ "triggerName": "t", "triggerType": "timer",
        "triggerConfig": { "cronExpression": "@every 1m", "enable": true, "payload": "" } });
    let r = create_trigger(&s, "ex", "web", timer.clone());
    assert_eq!(r.status, 400);
    assert!(
        r.json()["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("HTTP trigger"),
        "{}",
        r.text()
    );
    // One HTTP trigger per qualifier.
    let r = create_trigger(&s, "ex", "web", http_trigger("h2", "anonymous", &["GET"]));
    assert_eq!(r.status, 400);
    // The reverse: a function with a timer takes no HTTP trigger.
    ok(create_trigger(&s, "ex", "cron", timer));
    let r = create_trigger(&s, "ex", "cron", http_trigger("h", "anonymous", &["GET"]));
    assert_eq!(r.status, 400);
    assert!(r.json()["ErrorMessage"].as_str().unwrap().contains("timer"));
    // Bad configs say what is wrong.
    for (config, needle) in [
        (
            json!({ "authType": "anonymous", "methods": ["TRACE"] }),
            "TRACE",
        ),
        (
            json!({ "authType": "anonymous", "methods": [] }),
            "at least one",
        ),
        (
            json!({ "authType": "nobody", "methods": ["GET"] }),
            "authType",
        ),
    ] {
        let r = create_trigger(
            &s,
            "ex",
            "web",
            json!({ "triggerName": "bad", "triggerType": "http", "triggerConfig": config }),
        );
        assert_eq!(r.status, 400);
        assert!(
            r.json()["ErrorMessage"].as_str().unwrap().contains(needle),
            "{}",
            r.text()
        );
    }
}

#[test]
fn websocket_messages_flow_both_ways() {
    use tungstenite::Message;
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "ws", json!({}));
    create_function(&s, "ws", "echo", wasm_fc_test_guests::HTTP_HELLO, json!({}));
    ok(create_trigger(
        &s,
        "ws",
        "echo",
        http_trigger("t", "anonymous", &["GET"]),
    ));
    let url = format!(
        "{}{P}/proxy/ws/echo/chat",
        s.endpoint.replace("http://", "ws://")
    );
    let (mut socket, response) = tungstenite::connect(&url).unwrap();
    assert_eq!(response.status(), 101);
    assert_eq!(
        socket.read().unwrap(),
        Message::text("hello from http-hello")
    );
    for n in 0..5 {
        socket.send(Message::text(format!("ping {n}"))).unwrap();
        assert_eq!(
            socket.read().unwrap(),
            Message::text(format!("echo: ping {n}"))
        );
    }
    socket
        .send(Message::binary(vec![0u8, 159, 146, 150]))
        .unwrap();
    assert_eq!(
        socket.read().unwrap(),
        Message::binary(b"echo: \x00\x9f\x92\x96".to_vec())
    );
    socket.close(None).unwrap();
    // The function refuses a connection with a non-2xx answer: no upgrade.
    let refused = format!(
        "{}{P}/proxy/ws/echo/ws-refuse",
        s.endpoint.replace("http://", "ws://")
    );
    match tungstenite::connect(&refused) {
        Err(tungstenite::Error::Http(response)) => assert_eq!(response.status(), 403),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn timer(name: &str, cron: &str, enable: bool, payload: &str) -> Value {
    json!({ "triggerName": name, "triggerType": "timer",
            "triggerConfig": { "cronExpression": cron, "enable": enable, "payload": payload } })
}

fn events(dir: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap_or_default()
        .lines()
        // A line being appended right now may be partial: count whole events only.
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn timers_fire_into_a_mounted_dir_follow_enable_and_survive_restart() {
    let dir = tempfile::tempdir().unwrap();
    let nas = tempfile::tempdir().unwrap();
    let mut s = start(dir.path());
    let mount = json!({ "nasConfig": { "mountPoints": [{ "serverAddr": nas.path(), "mountDir": "/mnt/events" }] } });
    create_service(&s, "cron", mount);
    let env = json!({ "environmentVariables": { "HOSTILE_SINK": "/mnt/events/" } });
    create_function(&s, "cron", "sink", wasm_fc_test_guests::HOSTILE, env);

    // A bad expression is a 400 that says what is wrong.
    let r = create_trigger(&s, "cron", "sink", timer("bad", "*/5 * * * *", true, ""));
    assert_eq!(r.status, 400);
    assert!(
        r.json()["ErrorMessage"].as_str().unwrap().contains("6"),
        "{}",
        r.text()
    );

    let r = create_trigger(&s, "cron", "sink", timer("feb31", "0 0 0 31 2 *", true, ""));
    assert_eq!(r.status, 400);
    assert!(
        r.json()["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("never fires"),
        "{}",
        r.text()
    );

    // Every second; the 2021 SDK's JSON-string triggerConfig is accepted too.
    let config =
        json!({ "cronExpression": "* * * * * *", "enable": true, "payload": "tick" }).to_string();
    ok(create_trigger(
        &s,
        "cron",
        "sink",
        json!({ "triggerName": "every-second", "triggerType": "timer", "triggerConfig": config }),
    ));
    wait_for(|| events(nas.path()).len() >= 2, "two fires");
    for event in events(nas.path()) {
        assert_eq!(event["triggerName"], "every-second");
        assert_eq!(event["payload"], "tick");
        let time = event["triggerTime"].as_str().unwrap();
        assert!(
            time.len() == 20 && time.ends_with('Z'),
            "RFC 3339 UTC seconds: {time}"
        );
    }
    let stats = call(&s, "GET", "/_wasm-fc/stats", &[], b"").json();
    assert!(stats["timerFires"].as_u64().unwrap() >= 2, "{stats}");
    assert!(stats["timerLagSamples"].as_u64().unwrap() >= 1, "{stats}");

    // Disabled: no more fires (one may already be in flight).
    let path = format!("{P}/services/cron/functions/sink/triggers/every-second");
    let disable = json!({ "triggerConfig": { "cronExpression": "* * * * * *", "enable": false, "payload": "tick" } });
    ok(call(&s, "PUT", &path, &[], disable.to_string().as_bytes()));
    std::thread::sleep(Duration::from_millis(1500));
    let after_disable = events(nas.path()).len();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        events(nas.path()).len(),
        after_disable,
        "a disabled timer does not fire"
    );

    // Enabled again, with a new payload, at once.
    let enable = json!({ "triggerConfig": { "cronExpression": "* * * * * *", "enable": true, "payload": "tock" } });
    ok(call(&s, "PUT", &path, &[], enable.to_string().as_bytes()));
    wait_for(
        || events(nas.path()).iter().any(|e| e["payload"] == "tock"),
        "a fire after enable",
    );

    // A restart (kill -9) keeps the timer.
    drop(s);
    let before_restart = events(nas.path()).len();
    s = start(dir.path());
    wait_for(
        || events(nas.path()).len() >= before_restart + 2,
        "a fire after restart",
    );

    // Deleting the trigger stops it.
    assert_eq!(call(&s, "DELETE", &path, &[], b"").status, 204);
    // So does deleting the function: its triggers go with it.
    let fn_path = format!("{P}/services/cron/functions/sink");
    ok(create_trigger(
        &s,
        "cron",
        "sink",
        timer("again", "* * * * * *", true, "again"),
    ));
    wait_for(
        || events(nas.path()).iter().any(|e| e["payload"] == "again"),
        "the second timer fired",
    );
    assert_eq!(call(&s, "DELETE", &fn_path, &[], b"").status, 204);
    assert_eq!(
        call(&s, "GET", &format!("{fn_path}/triggers/again"), &[], b"").status,
        404
    );
    std::thread::sleep(Duration::from_millis(1500));
    let after_delete = events(nas.path()).len();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(
        events(nas.path()).len(),
        after_delete,
        "a deleted timer (and function) does not fire"
    );
    // Fires start before their rows commit; each row is still completed after its
    // commit, so nothing is left behind in the queue to run again.
    wait_for(
        || call(&s, "GET", "/_wasm-fc/stats", &[], b"").json()["asyncQueueDepth"] == 0,
        "an empty queue",
    );
}

/// Service `web`, function `hello` (http-hello) and its anonymous GET trigger `public`.
fn deploy_public_hello(s: &Server) {
    create_service(s, "web", json!({}));
    create_function(
        s,
        "web",
        "hello",
        wasm_fc_test_guests::HTTP_HELLO,
        json!({}),
    );
    ok(create_trigger(
        s,
        "web",
        "hello",
        http_trigger("public", "anonymous", &["GET"]),
    ));
}

/// The instance that served an http-hello request.
/// PublishServiceVersion on `web`.
fn publish_version(s: &Server) {
    ok(call(
        s,
        "POST",
        &format!("{P}/services/web/versions"),
        &[],
        b"{}",
    ));
}

fn instance_of(s: &Server, path: &str) -> String {
    let r = unsigned(s, "GET", &format!("{P}/proxy/{path}"), &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    line(&r.text(), "header:x-fc-instance-id")
        .expect("the instance id header")
        .to_string()
}

#[test]
fn max_instance_reuse_count_1_gives_every_request_a_fresh_instance() {
    for (flags, fresh) in [
        (&[][..], false),
        (&["--max-instance-reuse-count", "1"][..], true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let s = start_with_args(dir.path(), flags);
        deploy_public_hello(&s);
        let ids: Vec<String> = (0..3).map(|_| instance_of(&s, "web/hello/")).collect();
        if fresh {
            assert!(
                ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2],
                "{ids:?}"
            );
        } else {
            assert!(ids.iter().all(|id| *id == ids[0]), "warm reuse: {ids:?}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let mut refused = run_command(0, dir.path());
    let output = refused
        .args(["--max-instance-reuse-count", "0"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("max-instance-reuse-count"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The HTTP trigger path keeps what it resolved in memory; every change to a
/// service, function, trigger, version or alias must show on the very next request.
#[test]
fn http_trigger_requests_see_every_change_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    deploy_public_hello(&s);
    let get = |path: &str| unsigned(&s, "GET", &format!("{P}/proxy/{path}"), &[], b"");
    let first = instance_of(&s, "web/hello/");
    assert_eq!(instance_of(&s, "web/hello/"), first, "served warm");
    // The same trigger again is a name conflict (409), which create-or-update
    // clients turn into an update; not the one-HTTP-trigger rule's 400.
    let again = create_trigger(
        &s,
        "web",
        "hello",
        http_trigger("public", "anonymous", &["GET"]),
    );
    assert_eq!(again.status, 409, "{}", again.text());

    // A trigger update: GET is no longer allowed, then authType function.
    let trigger_path = format!("{P}/services/web/functions/hello/triggers/public");
    let update = |config: Value| {
        ok(call(
            &s,
            "PUT",
            &trigger_path,
            &[],
            json!({ "triggerConfig": config }).to_string().as_bytes(),
        ))
    };
    update(json!({ "authType": "anonymous", "methods": ["POST"] }));
    assert_eq!(get("web/hello/").status, 405);
    update(json!({ "authType": "function", "methods": ["GET"] }));
    assert_eq!(get("web/hello/").status, 403);
    update(json!({ "authType": "anonymous", "methods": ["GET"] }));
    assert_eq!(get("web/hello/").status, 200);

    // A function update (new code): a new version of the function serves.
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/web/functions/hello"),
        &[],
        json!({ "environmentVariables": { "NEW": "1" } })
            .to_string()
            .as_bytes(),
    ));
    assert_ne!(
        instance_of(&s, "web/hello/"),
        first,
        "the updated function runs on new instances"
    );

    // Versions and aliases: the alias follows its version at once.
    publish_version(&s);
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/web/aliases"),
        &[],
        br#"{"aliasName":"prod","versionId":"1"}"#,
    ));
    ok(create_trigger(
        &s,
        "web",
        "hello",
        json!({ "triggerName": "prod", "triggerType": "http", "qualifier": "prod",
        "triggerConfig": { "authType": "anonymous", "methods": ["GET"] } }),
    ));
    let version_of = |path: &str| {
        let r = get(path);
        assert_eq!(r.status, 200, "{}", r.text());
        line(&r.text(), "header:x-fc-version-id").map(str::to_string)
    };
    assert_eq!(version_of("web.prod/hello/").as_deref(), Some("1"));
    // A new version, then the alias moves to it: the next request runs version 2.
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/web/functions/hello"),
        &[],
        json!({ "environmentVariables": { "NEW": "2" } })
            .to_string()
            .as_bytes(),
    ));
    publish_version(&s);
    assert_eq!(
        version_of("web.prod/hello/").as_deref(),
        Some("1"),
        "the alias still names version 1"
    );
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/web/aliases/prod"),
        &[],
        br#"{"versionId":"2"}"#,
    ));
    assert_eq!(
        version_of("web.prod/hello/").as_deref(),
        Some("2"),
        "the alias names version 2"
    );

    // Deleting each trigger: 404 at once.
    assert_eq!(call(&s, "DELETE", &trigger_path, &[], b"").status, 204);
    assert_eq!(get("web/hello/").status, 404);
    assert_eq!(
        call(
            &s,
            "DELETE",
            &format!("{P}/services/web/functions/hello/triggers/prod"),
            &[],
            b"",
        )
        .status,
        204
    );
    assert_eq!(get("web.prod/hello/").status, 404);
}
