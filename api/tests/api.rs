//! The FC API end to end: the real `wasm-fc run` binary on 127.0.0.1, real guests
//! in real zips, requests signed as FC's SDKs sign them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use common::*;
use serde_json::json;

const P: &str = "/2016-08-15";

fn create_service(s: &Server, name: &str, extra: serde_json::Value) -> Reply {
    let mut body = json!({ "serviceName": name });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    call(
        s,
        "POST",
        &format!("{P}/services"),
        &[],
        body.to_string().as_bytes(),
    )
}

#[test]
fn services_crud_paging_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    for name in ["abc", "abd", "ade", "bcd", "bde", "zzz"] {
        let r = create_service(&s, name, json!({ "description": "d" }));
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.header("etag").is_some() && r.header("x-fc-request-id").is_some());
    }
    let created = call(&s, "GET", &format!("{P}/services/abc"), &[], b"").json();
    assert_eq!(created["internetAccess"], true);
    assert_eq!(created["nasConfig"]["userId"], -1);
    assert!(created["serviceId"].as_str().unwrap().len() == 36);

    let dup = create_service(&s, "abc", json!({}));
    assert_eq!(
        (dup.status, dup.json()["ErrorCode"].as_str()),
        (409, Some("ServiceAlreadyExists"))
    );
    let missing = call(&s, "GET", &format!("{P}/services/nope"), &[], b"");
    assert_eq!(
        (missing.status, missing.json()["ErrorCode"].as_str()),
        (404, Some("ServiceNotFound"))
    );
    let bad_json = call(&s, "POST", &format!("{P}/services"), &[], b"{oops");
    assert_eq!(
        (bad_json.status, bad_json.json()["ErrorCode"].as_str()),
        (400, Some("InvalidArgument"))
    );
    let bad_name = create_service(&s, "1-bad.name", json!({}));
    assert_eq!(bad_name.status, 400);

    let page = call(
        &s,
        "GET",
        &format!("{P}/services?startKey=b&limit=2"),
        &[],
        b"",
    )
    .json();
    let names: Vec<&str> = page["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["serviceName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["bcd", "bde"]);
    let next = page["nextToken"].as_str().unwrap();
    let rest = call(
        &s,
        "GET",
        &format!("{P}/services?nextToken={next}&limit=2"),
        &[],
        b"",
    )
    .json();
    assert_eq!(rest["services"].as_array().unwrap().len(), 1);
    assert!(rest.get("nextToken").is_none());
    assert_eq!(
        call(&s, "GET", &format!("{P}/services?prefix=a"), &[], b"").json()["services"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Partial update, case-insensitive keys, If-Match.
    let etag = call(&s, "GET", &format!("{P}/services/abc"), &[], b"")
        .header("etag")
        .unwrap()
        .to_string();
    let stale = call(
        &s,
        "PUT",
        &format!("{P}/services/abc"),
        &[("if-match", "nope")],
        br#"{"Description":"x"}"#,
    );
    assert_eq!(stale.status, 412);
    let updated = call(
        &s,
        "PUT",
        &format!("{P}/services/abc"),
        &[("if-match", &etag)],
        br#"{"Description":"new","role":null}"#,
    )
    .json();
    assert_eq!(updated["description"], "new");
    assert_eq!(updated["createdTime"], created["createdTime"]);
    assert_eq!(
        call(&s, "DELETE", &format!("{P}/services/abc"), &[], b"").status,
        204
    );
    assert_eq!(
        call(
            &s,
            "GET",
            &format!("{P}/2021-04-06/services/abd").replace(P, ""),
            &[],
            b""
        )
        .status,
        200,
        "the 2021 prefix answers too"
    );
}

#[test]
fn auth_failures_get_fc_codes() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let path = format!("{P}/services");
    let unknown = call_as(
        &s,
        "GET",
        &path,
        &[],
        b"",
        "someone",
        SECRET,
        SystemTime::now(),
    );
    assert_eq!(
        (unknown.status, unknown.json()["ErrorCode"].as_str()),
        (403, Some("InvalidAccessKeyID"))
    );
    let wrong = call_as(
        &s,
        "GET",
        &path,
        &[],
        b"",
        KEY_ID,
        "wrong-secret",
        SystemTime::now(),
    );
    assert_eq!(
        (wrong.status, wrong.json()["ErrorCode"].as_str()),
        (403, Some("SignatureNotMatch"))
    );
    let stale = call_as(
        &s,
        "GET",
        &path,
        &[],
        b"",
        KEY_ID,
        SECRET,
        SystemTime::now() - Duration::from_secs(20 * 60),
    );
    assert_eq!(stale.status, 403);
    let none = raw(&s, "GET", &path, &[], b"");
    assert_eq!(none.status, 403);
    assert!(none.header("x-fc-request-id").is_some());
    assert_eq!(call(&s, "GET", &path, &[], b"").status, 200);
}

#[test]
fn functions_invoke_sync_async_tail_errors_and_versions() {
    let dir = tempfile::tempdir().unwrap();
    let nas = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let nas_path = nas.path().display().to_string();
    assert_eq!(create_service(&s, "demo", json!({ "nasConfig": { "mountPoints": [{ "serverAddr": format!("localhost:{nas_path}"), "mountDir": "/mnt/nas" }] } })).status, 200);

    let created = call(
        &s,
        "POST",
        &format!("{P}/services/demo/functions"),
        &[],
        &function_body(
            "hello",
            wasm_fc_test_guests::EVENT_HELLO,
            json!({ "environmentVariables": { "GREETING": "hi" }, "memorySize": 256 }),
        ),
    );
    assert_eq!(created.status, 200, "{}", created.text());
    let f = created.json();
    assert_eq!(
        (
            f["memorySize"].as_i64(),
            f["timeout"].as_i64(),
            f["runtime"].as_str()
        ),
        (Some(256), Some(3), Some("custom"))
    );
    assert!(
        f["codeChecksum"].as_str().unwrap().parse::<u64>().is_ok()
            && f["codeSize"].as_u64().unwrap() > 0
    );
    assert!(
        f.get("_codeDigest").is_none(),
        "internal fields never leave the server"
    );

    // Sync invoke with log tail.
    let r = call(
        &s,
        "POST",
        &format!("{P}/services/demo/functions/hello/invocations"),
        &[("x-fc-log-type", "Tail")],
        br#"{"name":"ada"}"#,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let result = r.json();
    assert_eq!(result["greeting"], "hi, ada");
    assert_eq!(
        result["requestId"].as_str(),
        r.header("x-fc-request-id"),
        "context.requestId equals X-Fc-Request-Id"
    );
    let log = base64::engine::general_purpose::STANDARD
        .decode(r.header("x-fc-log-result").unwrap())
        .unwrap();
    let log = String::from_utf8(log).unwrap();
    assert!(
        log.starts_with("FC Invoke Start RequestId: ")
            && log.contains("[INFO] greeting ada")
            && log
                .trim_end()
                .ends_with(r.header("x-fc-request-id").unwrap()),
        "{log}"
    );

    // Function errors: 200 + X-Fc-Error-Type + {errorMessage, errorType, stackTrace}.
    let handled = call(
        &s,
        "POST",
        &format!("{P}/services/demo/functions/hello/invocations"),
        &[],
        b"not json",
    );
    assert_eq!(
        (handled.status, handled.header("x-fc-error-type")),
        (200, Some("HandledInvocationError"))
    );
    assert_eq!(handled.json()["errorType"], "InvalidEvent");
    let bad_log_type = call(
        &s,
        "POST",
        &format!("{P}/services/demo/functions/hello/invocations"),
        &[("x-fc-log-type", "Invalid")],
        b"",
    );
    assert!(
        bad_log_type.json()["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("allowed: Tail | None, actual: 'Invalid'")
    );
    let missing = call(
        &s,
        "POST",
        &format!("{P}/services/demo/functions/nope/invocations"),
        &[],
        b"",
    );
    assert_eq!(missing.json()["ErrorCode"], "FunctionNotFound");

    // A hostile function: timeout is Unhandled and says so; async runs through the queue.
    let hostile = function_body(
        "hostile",
        wasm_fc_test_guests::HOSTILE,
        json!({ "timeout": 1 }),
    );
    assert_eq!(
        call(
            &s,
            "POST",
            &format!("{P}/services/demo/functions"),
            &[],
            &hostile
        )
        .status,
        200
    );
    let timed_out = call(
        &s,
        "POST",
        &format!("{P}/services/demo/functions/hostile/invocations"),
        &[],
        b"loop",
    );
    assert_eq!(
        timed_out.header("x-fc-error-type"),
        Some("UnhandledInvocationError")
    );
    assert!(
        timed_out.json()["errorMessage"]
            .as_str()
            .unwrap()
            .contains("timed out after 1.000 seconds")
    );
    let accepted = call(
        &s,
        "POST",
        &format!("{P}/services/demo/functions/hostile/invocations"),
        &[("x-fc-invocation-type", "Async")],
        b"write:/mnt/nas/async.txt",
    );
    assert_eq!(accepted.status, 202);
    assert!(accepted.body.is_empty() && accepted.header("x-fc-request-id").is_some());
    wait_for(
        || nas.path().join("async.txt").exists(),
        "the async invocation ran",
    );
    let too_big = call(
        &s,
        "POST",
        &format!("{P}/services/demo/functions/hostile/invocations"),
        &[("x-fc-invocation-type", "Async")],
        &vec![b'x'; 129 << 10],
    );
    assert_eq!(
        (too_big.status, too_big.json()["ErrorCode"].as_str()),
        (400, Some("EntityTooLarge"))
    );

    // Versions and aliases: a version keeps its code after LATEST changes.
    let v1 = call(
        &s,
        "POST",
        &format!("{P}/services/demo/versions"),
        &[],
        br#"{"description":"first"}"#,
    )
    .json();
    assert_eq!(v1["versionId"], "1");
    let unchanged = call(
        &s,
        "POST",
        &format!("{P}/services/demo/versions"),
        &[],
        b"{}",
    );
    assert_eq!(unchanged.status, 400, "publishing without changes fails");
    let update = call(
        &s,
        "PUT",
        &format!("{P}/services/demo/functions/hello"),
        &[],
        br#"{"environmentVariables":{"GREETING":"bonjour"}}"#,
    );
    assert_eq!(update.status, 200, "{}", update.text());
    let invoke = |qualified: &str| {
        call(
            &s,
            "POST",
            &format!("{P}/services/{qualified}/functions/hello/invocations"),
            &[],
            br#"{"name":"x"}"#,
        )
        .json()
    };
    assert_eq!(invoke("demo")["greeting"], "bonjour, x");
    assert_eq!(invoke("demo.LATEST")["greeting"], "bonjour, x");
    assert_eq!(
        invoke("demo.1")["greeting"],
        "hi, x",
        "version 1 still runs its own config"
    );
    let alias = call(
        &s,
        "POST",
        &format!("{P}/services/demo/aliases"),
        &[],
        br#"{"aliasName":"prod","versionId":"1"}"#,
    );
    assert_eq!(alias.status, 200, "{}", alias.text());
    let via_alias = invoke("demo.prod");
    assert_eq!(
        (
            via_alias["greeting"].as_str(),
            via_alias["qualifier"].as_str()
        ),
        (Some("hi, x"), Some("prod"))
    );
    assert_eq!(
        call(
            &s,
            "GET",
            &format!("{P}/services/demo.1/functions/hello"),
            &[],
            b""
        )
        .json()["environmentVariables"]["GREETING"],
        "hi"
    );
    let versions = call(&s, "GET", &format!("{P}/services/demo/versions"), &[], b"").json();
    assert_eq!(
        (
            versions["versions"].as_array().unwrap().len(),
            versions["direction"].as_str()
        ),
        (1, Some("BACKWARD"))
    );
    assert_eq!(
        call(
            &s,
            "DELETE",
            &format!("{P}/services/demo/versions/1"),
            &[],
            b""
        )
        .status,
        409,
        "an alias still points at it"
    );

    // GetFunctionCode returns a URL this server serves.
    let code = call(
        &s,
        "GET",
        &format!("{P}/services/demo/functions/hello/code"),
        &[],
        b"",
    )
    .json();
    let url = code["url"].as_str().unwrap();
    let zip = ureq::get(url)
        .call()
        .unwrap()
        .into_body()
        .read_to_vec()
        .unwrap();
    assert!(zip.starts_with(b"PK"));
    assert_eq!(code["checksum"], f["codeChecksum"]);
}

#[test]
fn hostile_code_gets_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    assert_eq!(create_service(&s, "svc", json!({})).status, 200);
    let create = |body: serde_json::Value| {
        call(
            &s,
            "POST",
            &format!("{P}/services/svc/functions"),
            &[],
            body.to_string().as_bytes(),
        )
    };
    let base = |code: serde_json::Value| json!({ "functionName": "f", "runtime": "custom", "handler": "index.handler", "code": code });
    let cases = [
        (base(json!({ "zipFile": "@@@ not base64" })), "base64"),
        (
            base(
                json!({ "zipFile": base64::engine::general_purpose::STANDARD.encode(b"not a zip") }),
            ),
            "not a valid zip",
        ),
        (
            base(json!({ "zipFile": zip_base64(wasm_fc_test_guests::EVENT_HELLO, "main.wasm") })),
            "index.wasm",
        ),
        (
            json!({ "functionName": "f", "runtime": "python2.7", "handler": "index.handler", "code": {} }),
            "supported runtimes",
        ),
        (
            json!({ "functionName": "f", "runtime": 3, "handler": "index.handler" }),
            "Runtime is set to an invalid value",
        ),
        (
            json!({ "functionName": "f", "runtime": "custom", "handler": "index.handler", "memorySize": 100, "code": {} }),
            "memorySize",
        ),
    ];
    for (body, expected) in cases {
        let r = create(body);
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(
            r.json()["ErrorMessage"]
                .as_str()
                .unwrap()
                .contains(expected),
            "{expected}: {}",
            r.text()
        );
    }
    // A zip bomb: a small zip that inflates past the ratio limit.
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file("index.wasm", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&vec![0u8; 300 << 20]).unwrap();
        w.finish().unwrap();
    }
    let bomb = base64::engine::general_purpose::STANDARD.encode(buf.into_inner());
    let r = create(base(json!({ "zipFile": bomb })));
    assert_eq!(r.status, 400);
    assert!(r.text().contains("zip bomb"), "{}", r.text());
}

#[test]
fn a_restart_keeps_everything_recompiles_nothing_and_loses_no_async_work() {
    let dir = tempfile::tempdir().unwrap();
    let nas = tempfile::tempdir().unwrap();
    let nas_path = nas.path().display().to_string();
    {
        let s = start(dir.path());
        assert_eq!(create_service(&s, "keep", json!({ "nasConfig": { "mountPoints": [{ "serverAddr": nas_path, "mountDir": "/mnt/nas" }] } })).status, 200);
        let body = function_body("hostile", wasm_fc_test_guests::HOSTILE, json!({}));
        assert_eq!(
            call(
                &s,
                "POST",
                &format!("{P}/services/keep/functions"),
                &[],
                &body
            )
            .status,
            200
        );
        // Occupy every async worker so the writes below are still queued at the crash.
        for _ in 0..8 {
            let r = call(
                &s,
                "POST",
                &format!("{P}/services/keep/functions/hostile/invocations"),
                &[("x-fc-invocation-type", "Async")],
                b"sleep:1500",
            );
            assert_eq!(r.status, 202);
        }
        for i in 0..20 {
            let r = call(
                &s,
                "POST",
                &format!("{P}/services/keep/functions/hostile/invocations"),
                &[("x-fc-invocation-type", "Async")],
                format!("write:/mnt/nas/{i}.txt").as_bytes(),
            );
            assert_eq!(r.status, 202);
        }
        let depth = call(&s, "GET", "/_wasm-fc/stats", &[], b"").json()["asyncQueueDepth"]
            .as_u64()
            .unwrap();
        assert!(depth >= 20, "work is pending at the crash: depth {depth}");
        let mut s = s;
        let _ = s.child.kill(); // a crash, not a clean shutdown
        let _ = s.child.wait();
    }
    let s = start(dir.path());
    assert_eq!(
        call(
            &s,
            "GET",
            &format!("{P}/services/keep/functions/hostile"),
            &[],
            b""
        )
        .status,
        200
    );
    wait_for(
        || (0..20).all(|i| nas.path().join(format!("{i}.txt")).exists()),
        "every accepted async invocation ran",
    );
    let r = call(
        &s,
        "POST",
        &format!("{P}/services/keep/functions/hostile/invocations"),
        &[],
        b"counter",
    );
    assert!(r.text().starts_with("counter="), "{}", r.text());
    let stats = call(&s, "GET", "/_wasm-fc/stats", &[], b"").json();
    assert_eq!(
        stats["compiles"], 0,
        "a restart recompiles nothing: {stats}"
    );
}

#[test]
fn async_retries_follow_the_async_config_and_failures_reach_the_destination() {
    let dir = tempfile::tempdir().unwrap();
    let nas = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let nas_path = nas.path().display().to_string();
    assert_eq!(create_service(&s, "retry", json!({ "nasConfig": { "mountPoints": [{ "serverAddr": nas_path, "mountDir": "/mnt/nas" }] } })).status, 200);
    let body = function_body("flaky", wasm_fc_test_guests::HOSTILE, json!({}));
    assert_eq!(
        call(
            &s,
            "POST",
            &format!("{P}/services/retry/functions"),
            &[],
            &body
        )
        .status,
        200
    );
    let sink = function_body(
        "sink",
        wasm_fc_test_guests::HOSTILE,
        json!({ "environmentVariables": { "HOSTILE_SINK": "/mnt/nas/destination.json" } }),
    );
    assert_eq!(
        call(
            &s,
            "POST",
            &format!("{P}/services/retry/functions"),
            &[],
            &sink
        )
        .status,
        200
    );
    let attempts = |file: &str| {
        std::fs::read_to_string(nas.path().join(file))
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };

    // FC's default: 3 retries after the first attempt, with backoff (0.5 s, 1 s, 2 s).
    let r = call(
        &s,
        "POST",
        &format!("{P}/services/retry/functions/flaky/invocations"),
        &[("x-fc-invocation-type", "Async")],
        b"append-fail:/mnt/nas/default.txt",
    );
    assert_eq!(r.status, 202);
    wait_for(|| attempts("default.txt") == 4, "four attempts");

    // maxAsyncRetryAttempts 0: one attempt, then the record goes to onFailure.
    let config = json!({
        "maxAsyncRetryAttempts": 0,
        "DestinationConfig": { "OnFailure": { "Destination": "acs:fc:local:1234567890123456:services/retry.LATEST/functions/sink" } },
    });
    let put = call(
        &s,
        "PUT",
        &format!("{P}/services/retry/functions/flaky/async-invoke-config"),
        &[],
        config.to_string().as_bytes(),
    );
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(put.json()["maxAsyncRetryAttempts"], 0);
    assert_eq!(
        call(
            &s,
            "GET",
            &format!("{P}/services/retry/functions/flaky/async-invoke-config"),
            &[],
            b""
        )
        .json()["qualifier"],
        "LATEST"
    );
    let r = call(
        &s,
        "POST",
        &format!("{P}/services/retry/functions/flaky/invocations"),
        &[("x-fc-invocation-type", "Async")],
        b"append-fail:/mnt/nas/once.txt",
    );
    let request_id = r.header("x-fc-request-id").unwrap().to_string();
    // The guest creates the file, then writes it: wait for a whole JSON record.
    wait_for(
        || {
            std::fs::read_to_string(nas.path().join("destination.json"))
                .is_ok_and(|text| serde_json::from_str::<serde_json::Value>(&text).is_ok())
        },
        "the onFailure destination got the record",
    );
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(nas.path().join("destination.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["requestContext"]["requestId"], request_id.as_str());
    assert_eq!(record["requestContext"]["condition"], "RetryExhausted");
    assert_eq!(record["requestPayload"], "append-fail:/mnt/nas/once.txt");
    assert_eq!(attempts("once.txt"), 1);

    let bad = call(
        &s,
        "PUT",
        &format!("{P}/services/retry/functions/flaky/async-invoke-config"),
        &[],
        br#"{"maxAsyncRetryAttempts": 9}"#,
    );
    assert_eq!(bad.status, 400);
    let mns = call(&s, "PUT", &format!("{P}/services/retry/functions/flaky/async-invoke-config"), &[], br#"{"destinationConfig":{"onSuccess":{"destination":"acs:mns:cn-hangzhou:1:/queues/q/messages"}}}"#);
    assert_eq!(mns.status, 400);
    assert_eq!(
        call(
            &s,
            "DELETE",
            &format!("{P}/services/retry/functions/flaky/async-invoke-config"),
            &[],
            b""
        )
        .status,
        204
    );
    assert_eq!(
        call(
            &s,
            "GET",
            &format!("{P}/services/retry/functions/flaky/async-invoke-config"),
            &[],
            b""
        )
        .json()["ErrorCode"],
        "AsyncConfigNotExists"
    );
}

#[test]
fn ctrl_c_drains_in_flight_requests_and_exits_cleanly() {
    drains_in_flight_requests_on("-INT");
}

/// systemd, `docker stop` and Kubernetes stop with SIGTERM: it drains like Ctrl-C.
#[test]
fn sigterm_drains_in_flight_requests_and_exits_cleanly() {
    drains_in_flight_requests_on("-TERM");
}

fn drains_in_flight_requests_on(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut s = start(dir.path());
    assert_eq!(create_service(&s, "drain", json!({})).status, 200);
    let body = function_body("slow", wasm_fc_test_guests::HOSTILE, json!({}));
    assert_eq!(
        call(
            &s,
            "POST",
            &format!("{P}/services/drain/functions"),
            &[],
            &body
        )
        .status,
        200
    );
    let in_flight = std::thread::scope(|scope| {
        let request = scope.spawn(|| {
            call(
                &s,
                "POST",
                &format!("{P}/services/drain/functions/slow/invocations"),
                &[],
                b"sleep:1500",
            )
        });
        std::thread::sleep(Duration::from_millis(400));
        let pid = s.child.id().to_string();
        assert!(
            std::process::Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
        request.join().unwrap()
    });
    assert_eq!(
        (in_flight.status, in_flight.text().as_str()),
        (200, "slept"),
        "the in-flight request finished"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "wasm-fc did not exit after {signal}"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "clean exit: {status:?}");
}

fn zip_of(files: &[(&str, &[u8])]) -> String {
    use std::io::Write;
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        for (name, data) in files {
            w.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap();
    }
    base64::engine::general_purpose::STANDARD.encode(buf.into_inner())
}

#[test]
fn layers_are_merged_read_only_under_opt() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    let publish = |layer: &str, files: &[(&str, &[u8])]| {
        let body = json!({ "description": "libs", "code": { "zipFile": zip_of(files) }, "compatibleRuntime": ["custom"] });
        let r = call(
            &s,
            "POST",
            &format!("{P}/layers/{layer}/versions"),
            &[],
            body.to_string().as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["arn"].as_str().unwrap().to_string()
    };
    let base = publish(
        "base",
        &[("data.txt", b"from base"), ("only-base.txt", b"base only")],
    );
    let over = publish("override", &[("data.txt", b"from override")]);
    assert!(base.ends_with(":layers/base/versions/1"), "{base}");
    assert_eq!(
        call(&s, "GET", &format!("{P}/layers/base/versions/1"), &[], b"").json()["layerName"],
        "base"
    );
    assert_eq!(
        call(&s, "GET", &format!("{P}/layers"), &[], b"").json()["layers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    assert_eq!(create_service(&s, "lay", json!({})).status, 200);
    let body = function_body(
        "reader",
        wasm_fc_test_guests::HOSTILE,
        json!({ "layers": [base, over] }),
    );
    let created = call(
        &s,
        "POST",
        &format!("{P}/services/lay/functions"),
        &[],
        &body,
    );
    assert_eq!(created.status, 200, "{}", created.text());
    let read = |path: &str| {
        call(
            &s,
            "POST",
            &format!("{P}/services/lay/functions/reader/invocations"),
            &[],
            format!("read:{path}").as_bytes(),
        )
        .text()
    };
    assert_eq!(
        read("/opt/data.txt"),
        "read ok: from override",
        "the later layer wins"
    );
    assert_eq!(read("/opt/only-base.txt"), "read ok: base only");
    let write = call(
        &s,
        "POST",
        &format!("{P}/services/lay/functions/reader/invocations"),
        &[],
        b"write:/opt/new.txt",
    )
    .text();
    assert!(write.starts_with("denied"), "layers are read-only: {write}");

    let missing = function_body(
        "broken",
        wasm_fc_test_guests::HOSTILE,
        json!({ "layers": ["acs:fc:local:1:layers/nope/versions/1"] }),
    );
    let r = call(
        &s,
        "POST",
        &format!("{P}/services/lay/functions"),
        &[],
        &missing,
    );
    assert_eq!(r.status, 400);
    assert!(r.text().contains("does not exist"), "{}", r.text());
}
