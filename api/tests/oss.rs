//! Issue 18: the embedded object store and OSS triggers, end to end, with
//! real clients: boto3 and the AWS CLI (PyPI) against a real `wasm-fc run`,
//! and a real Wasm function (`OSS_HANDLER`) that logs the event it gets.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{P, Server, call, create_service, create_trigger, function_body, metric, ok};
use serde_json::{Value, json};

/// Runs one `s3_client.py` action (boto3) against `s`'s object store.
fn s3(s: &Server, args: &[&str]) -> Value {
    let output = Command::new(common::python::venv().join("bin/python"))
        .arg(common::python::script("s3_client.py"))
        .args(args)
        .env(
            "S3_ENDPOINT",
            s.oss_endpoint.as_deref().expect("the object store is on"),
        )
        .env("S3_KEY_ID", common::KEY_ID)
        .env("S3_SECRET", common::SECRET)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "s3_client.py {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The OSS event records `function` logged, in invocation order.
fn delivered(s: &Server, svc: &str, function: &str) -> Vec<Value> {
    common::logged_events(s, svc, function)
        .into_iter()
        .filter_map(|event| event["events"][0].as_object().cloned().map(Value::Object))
        .collect()
}

/// Waits until `function` logged `count` events, then a little longer to be
/// sure no more come; returns them.
fn wait_for_events(s: &Server, svc: &str, function: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let events = delivered(s, svc, function);
        if events.len() >= count {
            std::thread::sleep(Duration::from_millis(500));
            return delivered(s, svc, function);
        }
        assert!(
            Instant::now() < deadline,
            "{svc}/{function} got {} of {count} events: {events:#?}",
            events.len()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn create_handler(s: &Server, svc: &str, name: &str, env: Value) {
    ok(call(
        s,
        "POST",
        &format!("{P}/services/{svc}/functions"),
        &[],
        &function_body(
            name,
            wasm_fc_test_guests::OSS_HANDLER,
            json!({ "environmentVariables": env }),
        ),
    ));
}

fn oss_trigger(name: &str, bucket: &str, events: &[&str], prefix: &str, suffix: &str) -> Value {
    json!({
        "triggerName": name, "triggerType": "oss",
        "sourceArn": format!("acs:oss:cn-hangzhou:1234567890123456:{bucket}"),
        "invocationRole": "acs:ram::1234567890123456:role/aliyunosseventnotificationrole",
        "triggerConfig": { "events": events, "filter": { "key": { "prefix": prefix, "suffix": suffix } } },
    })
}

fn events_metric(trigger: &str, outcome: &str) -> String {
    format!("wasm_fc_event_source_events_total{{trigger=\"{trigger}\",outcome=\"{outcome}\"}}")
}

#[test]
fn boto3_and_the_aws_cli_work_against_the_embedded_store() {
    let data = tempfile::tempdir().unwrap();
    let s = common::start_with_args(data.path(), &["--oss-max-object-size", "12582912"]);
    let venv = common::python::venv();
    let endpoint = s.oss_endpoint.clone().unwrap();
    let aws = venv.join("bin/aws");
    let env: [(&str, &std::ffi::OsStr); 5] = [
        ("S3_ENDPOINT", endpoint.as_ref()),
        ("S3_KEY_ID", common::KEY_ID.as_ref()),
        ("S3_SECRET", common::SECRET.as_ref()),
        ("S3_MAX_OBJECT_SIZE", "12582912".as_ref()),
        ("AWS_CLI", aws.as_os_str()),
    ];
    common::python::pytest("test_s3_store.py", &env);
    // The objects live under the data dir.
    assert!(data.path().join("oss").is_dir());
}

#[test]
fn uploads_copies_multipart_and_deletes_fire_the_matching_triggers_with_fc_events() {
    let data = tempfile::tempdir().unwrap();
    let s = common::start(data.path());
    create_service(&s, "media", json!({}));
    create_handler(&s, "media", "created", json!({}));
    create_handler(&s, "media", "removed", json!({}));
    s3(&s, &["mb", "photos"]);
    ok(create_trigger(
        &s,
        "media",
        "created",
        oss_trigger("on-new", "photos", &["oss:ObjectCreated:*"], "in/", ".txt"),
    ));
    ok(create_trigger(
        &s,
        "media",
        "removed",
        oss_trigger(
            "on-gone",
            "photos",
            &[
                "oss:ObjectRemoved:DeleteObject",
                "oss:ObjectRemoved:DeleteObjects",
            ],
            "",
            "",
        ),
    ));

    s3(
        &s,
        &[
            "put",
            "photos",
            "in/a.txt",
            "hello",
            "text/plain",
            "owner=ann",
        ],
    );
    s3(&s, &["put", "photos", "in/skip.png", "not matched: suffix"]);
    s3(&s, &["put", "photos", "out/b.txt", "not matched: prefix"]);
    s3(&s, &["copy", "photos", "in/a.txt", "in/copy.txt"]);
    s3(&s, &["multipart", "photos", "in/big.txt", "2"]);
    let created = wait_for_events(&s, "media", "created", 3);
    let names: Vec<(&str, &str)> = created
        .iter()
        .map(|e| {
            (
                e["eventName"].as_str().unwrap(),
                e["oss"]["object"]["key"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("ObjectCreated:PutObject", "in/a.txt"),
            ("ObjectCreated:CopyObject", "in/copy.txt"),
            ("ObjectCreated:CompleteMultipartUpload", "in/big.txt"),
        ]
    );

    // FC's OSS event, field by field (fc-events.md §1.2).
    let put = &created[0];
    assert_eq!(put["eventSource"], "acs:oss");
    assert_eq!(put["eventVersion"], "1.0");
    let time = put["eventTime"].as_str().unwrap();
    assert!(
        time.len() == 24 && time.ends_with('Z') && time.as_bytes()[19] == b'.',
        "ISO 8601 with milliseconds: {time}"
    );
    assert_eq!(put["region"], "local");
    let bucket = &put["oss"]["bucket"];
    assert_eq!(bucket["name"], "photos");
    assert_eq!(bucket["arn"], "acs:oss:local:1234567890123456:photos");
    assert_eq!(bucket["ownerIdentity"], "1234567890123456");
    let object = &put["oss"]["object"];
    assert_eq!(object["size"], 5);
    assert_eq!(object["deltaSize"], 5);
    // MD5 of "hello", upper-case hex as OSS reports it.
    assert_eq!(object["eTag"], "5D41402ABC4B2A76B9719D911017C592");
    assert_eq!(object["objectMeta"]["mimeType"], "text/plain");
    assert_eq!(
        object["objectMeta"]["userMeta"],
        json!({"x-oss-meta-owner": "ann"})
    );
    assert_eq!(put["oss"]["ossSchemaVersion"], "1.0");
    assert_eq!(put["requestParameters"]["sourceIPAddress"], "127.0.0.1");
    assert_eq!(
        put["responseElements"]["requestId"].as_str().unwrap().len(),
        24
    );
    assert_eq!(put["userIdentity"]["principalId"], "1234567890123456");
    assert_eq!(created[2]["oss"]["object"]["size"], 5 * 1024 * 1024 + 1024);

    // Overwriting reports the size difference.
    s3(&s, &["put", "photos", "in/a.txt", "hello, again"]);
    let created = wait_for_events(&s, "media", "created", 4);
    assert_eq!(created[3]["oss"]["object"]["deltaSize"], 7);

    // One event per key removed; deleting what is not there fires nothing.
    s3(&s, &["rm", "photos", "in/a.txt"]);
    s3(&s, &["rm", "photos", "in/never-there.txt"]);
    s3(
        &s,
        &[
            "rm-many",
            "photos",
            "in/copy.txt",
            "out/b.txt",
            "in/missing.txt",
        ],
    );
    let removed = wait_for_events(&s, "media", "removed", 3);
    let mut gone: Vec<(String, String)> = removed
        .iter()
        .map(|e| {
            (
                e["eventName"].as_str().unwrap().to_string(),
                e["oss"]["object"]["key"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    gone.sort();
    assert_eq!(
        gone,
        [
            (
                "ObjectRemoved:DeleteObject".to_string(),
                "in/a.txt".to_string()
            ),
            (
                "ObjectRemoved:DeleteObjects".to_string(),
                "in/copy.txt".to_string()
            ),
            (
                "ObjectRemoved:DeleteObjects".to_string(),
                "out/b.txt".to_string()
            ),
        ]
    );
    assert_eq!(
        delivered(&s, "media", "created").len(),
        4,
        "removals fire no created trigger"
    );

    // Per-trigger metrics.
    let trigger = "media/created/on-new";
    assert_eq!(metric(&s, &events_metric(trigger, "delivered")), 4.0);
    assert_eq!(metric(&s, &events_metric(trigger, "seen")), 4.0);
    assert!(
        metric(
            &s,
            &format!("wasm_fc_event_source_delivery_lag_seconds_count{{trigger=\"{trigger}\"}}")
        ) >= 4.0
    );
}

#[test]
fn trigger_configs_are_checked_with_errors_that_name_the_field() {
    let data = tempfile::tempdir().unwrap();
    let s = common::start(data.path());
    create_service(&s, "cfg", json!({}));
    create_handler(&s, "cfg", "f", json!({}));
    create_handler(&s, "cfg", "g", json!({}));
    let bad = |body: Value, field: &str| {
        let reply = create_trigger(&s, "cfg", "f", body.clone());
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
        assert_eq!(reply.json()["ErrorCode"], "InvalidArgument");
        let message = reply.json()["ErrorMessage"].as_str().unwrap().to_string();
        assert!(message.contains(field), "{body}: {message}");
    };
    let base = oss_trigger("t", "bucket-a", &["oss:ObjectCreated:*"], "", "");
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    bad(with("sourceArn", Value::Null), "sourceArn");
    bad(
        with("sourceArn", json!("acs:oss:cn-hangzhou:1:")),
        "sourceArn",
    );
    bad(
        with("sourceArn", json!("acs:mns:cn-hangzhou:1:/topics/x")),
        "sourceArn",
    );
    bad(with("triggerConfig", json!({})), "triggerConfig.events");
    bad(
        with("triggerConfig", json!({"events": ["oss:ObjectMade:*"]})),
        "triggerConfig.events[0]",
    );
    bad(
        with(
            "triggerConfig",
            json!({"events": ["oss:ObjectCreated:*"], "filter": {"key": {"suffix": 3}}}),
        ),
        "triggerConfig.filter.key.suffix",
    );

    // Overlap on one bucket is refused, naming the trigger in the way.
    ok(create_trigger(
        &s,
        "cfg",
        "f",
        oss_trigger("png", "bucket-a", &["oss:ObjectCreated:*"], "img/", ".png"),
    ));
    let reply = create_trigger(
        &s,
        "cfg",
        "g",
        oss_trigger(
            "put-png",
            "bucket-a",
            &["oss:ObjectCreated:PutObject"],
            "img/x",
            ".png",
        ),
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.json()["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("cfg/f/png")
    );
    // Disjoint keys or events on the same bucket are fine; so is another bucket.
    ok(create_trigger(
        &s,
        "cfg",
        "g",
        oss_trigger("jpg", "bucket-a", &["oss:ObjectCreated:*"], "img/", ".jpg"),
    ));
    ok(create_trigger(
        &s,
        "cfg",
        "g",
        oss_trigger("rm", "bucket-a", &["oss:ObjectRemoved:*"], "img/", ".png"),
    ));
    ok(create_trigger(
        &s,
        "cfg",
        "g",
        oss_trigger(
            "other",
            "bucket-b",
            &["oss:ObjectCreated:*"],
            "img/",
            ".png",
        ),
    ));
    // UpdateTrigger checks the same rules.
    let reply = call(
        &s,
        "PUT",
        &format!("{P}/services/cfg/functions/g/triggers/jpg"),
        &[],
        json!({"triggerConfig": {"events": ["oss:ObjectCreated:*"], "filter": {"key": {"prefix": "", "suffix": ""}}}})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(reply.status, 400, "{}", reply.text());

    // At most 10 triggers per bucket.
    for i in 0..7 {
        ok(create_trigger(
            &s,
            "cfg",
            "f",
            oss_trigger(
                &format!("n{i}"),
                "bucket-a",
                &["oss:ObjectCreated:*"],
                &format!("n{i}/"),
                "",
            ),
        ));
    }
    let reply = create_trigger(
        &s,
        "cfg",
        "f",
        oss_trigger("n7", "bucket-a", &["oss:ObjectCreated:*"], "n7/", ""),
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.json()["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("10 OSS triggers")
    );

    // describe shows what a source trigger listens to.
    let describe = Command::new(env!("CARGO_BIN_EXE_wasm-fc"))
        .args([
            "describe",
            "cfg/f",
            "--endpoint",
            &s.endpoint,
            "--access-key-id",
            common::KEY_ID,
            "--access-key-secret",
            common::SECRET,
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&describe.stdout);
    assert!(
        text.contains("oss bucket bucket-a: oss:ObjectCreated:* on keys img/*.png"),
        "{text}{}",
        String::from_utf8_lossy(&describe.stderr)
    );
}

#[test]
fn a_disabled_trigger_delivers_nothing_and_resumes_when_enabled() {
    let data = tempfile::tempdir().unwrap();
    let s = common::start(data.path());
    create_service(&s, "pause", json!({}));
    create_handler(&s, "pause", "f", json!({}));
    s3(&s, &["mb", "paused"]);
    let mut trigger = oss_trigger("t", "paused", &["oss:ObjectCreated:*"], "", "");
    trigger["triggerConfig"]["enable"] = json!(false);
    ok(create_trigger(&s, "pause", "f", trigger));
    s3(&s, &["put", "paused", "while-off.txt", "x"]);
    std::thread::sleep(Duration::from_secs(1));
    assert!(delivered(&s, "pause", "f").is_empty());
    assert_eq!(metric(&s, &events_metric("pause/f/t", "disabled")), 1.0);

    let enable = json!({"triggerConfig": {"events": ["oss:ObjectCreated:*"], "enable": true}});
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/pause/functions/f/triggers/t"),
        &[],
        enable.to_string().as_bytes(),
    ));
    s3(&s, &["put", "paused", "while-on.txt", "x"]);
    let events = wait_for_events(&s, "pause", "f", 1);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["oss"]["object"]["key"], "while-on.txt");
}

#[test]
fn a_failing_function_is_retried_then_dead_lettered_to_its_on_failure_destination() {
    let data = tempfile::tempdir().unwrap();
    let s = common::start(data.path());
    create_service(&s, "dlq", json!({}));
    create_handler(&s, "dlq", "failing", json!({"OSS_FAIL": "1"}));
    create_handler(&s, "dlq", "dead-letters", json!({}));
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/dlq/functions/failing/async-invoke-config"),
        &[],
        json!({
            "maxAsyncRetryAttempts": 1,
            "destinationConfig": { "onFailure": { "destination": "acs:fc:local:1234567890123456:services/dlq.LATEST/functions/dead-letters" } },
        })
        .to_string()
        .as_bytes(),
    ));
    s3(&s, &["mb", "failing"]);
    ok(create_trigger(
        &s,
        "dlq",
        "failing",
        oss_trigger("t", "failing", &["oss:ObjectCreated:*"], "", ""),
    ));
    s3(&s, &["put", "failing", "doomed.txt", "x"]);

    // The dead-letter function gets FC's destination record with the event.
    let deadline = Instant::now() + Duration::from_secs(60);
    let record = loop {
        let reply = ok(call(&s, "GET", "/_wasm-fc/logs/dlq/dead-letters", &[], b""));
        let logs: Vec<String> = reply.json()["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["log"].as_str().unwrap_or_default().to_string())
            .collect();
        if let Some(line) = logs
            .iter()
            .flat_map(|l| l.lines())
            .find(|l| l.contains("RetryExhausted"))
        {
            break line.to_string();
        }
        assert!(Instant::now() < deadline, "no dead letter: {logs:?}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let record: Value = serde_json::from_str(record.split_once("event ").unwrap().1).unwrap();
    assert_eq!(record["requestContext"]["condition"], "RetryExhausted");
    assert_eq!(record["requestContext"]["approximateInvokeCount"], 2);
    let payload: Value = serde_json::from_str(record["requestPayload"].as_str().unwrap()).unwrap();
    assert_eq!(payload["events"][0]["oss"]["object"]["key"], "doomed.txt");
    // Two attempts (the first and one retry), both failed, then dead-lettered.
    assert_eq!(delivered(&s, "dlq", "failing").len(), 2);
    assert_eq!(metric(&s, &events_metric("dlq/failing/t", "failed")), 2.0);
    assert_eq!(
        metric(&s, &events_metric("dlq/failing/t", "dead_lettered")),
        1.0
    );
}

#[test]
fn a_restart_mid_stream_loses_no_event_and_repeats_none_that_completed() {
    let data = tempfile::tempdir().unwrap();
    let mut s = common::start(data.path());
    create_service(&s, "stream", json!({}));
    // 150 events at 200 ms over the queue's 8 workers: ~4 s of stream, well
    // past the uploads (at 50 ms a loaded machine once saw it end first).
    create_handler(&s, "stream", "f", json!({"OSS_SLEEP_MS": "200"}));
    s3(&s, &["mb", "stream"]);
    ok(create_trigger(
        &s,
        "stream",
        "f",
        oss_trigger("t", "stream", &["oss:ObjectCreated:*"], "", ""),
    ));
    s3(&s, &["put-many", "stream", "k", "150"]);
    // Stop while events are still being delivered (SIGTERM: the node drains,
    // giving back what it has not started), then start again on the same data.
    let done_before = delivered(&s, "stream", "f").len();
    assert!(done_before < 150, "the stop came after the stream ended");
    let pid = s.child.id().to_string();
    Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    let _ = s.child.wait();
    drop(s);
    let s = common::start(data.path());
    let events = wait_for_events(&s, "stream", "f", 150);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for event in &events {
        *counts
            .entry(event["oss"]["object"]["key"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(
        counts.len(),
        150,
        "every event delivered (done before the stop: {done_before})"
    );
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.is_empty(),
        "completed events ran again: {repeated:?}"
    );
}

#[test]
fn the_loop_guard_stops_a_function_that_writes_into_its_own_bucket() {
    let data = tempfile::tempdir().unwrap();
    let s = common::start(data.path());
    s3(&s, &["mb", "loop"]);
    let url = s3(&s, &["presign-put", "loop", "loop/again.txt"])["url"]
        .as_str()
        .unwrap()
        .to_string();
    create_service(&s, "loopy", json!({"internetAccess": true}));
    create_handler(&s, "loopy", "f", json!({"OSS_PUT_URL": url}));
    ok(create_trigger(
        &s,
        "loopy",
        "f",
        oss_trigger("t", "loop", &["oss:ObjectCreated:*"], "loop/", ""),
    ));
    s3(&s, &["put", "loop", "loop/start.txt", "go"]);
    // The first event and 8 more, each caused by the invocation before it.
    let limit = wasm_fc_api::triggers::sources::MAX_EVENT_CHAIN_DEPTH as usize;
    let events = wait_for_events(&s, "loopy", "f", limit + 1);
    std::thread::sleep(Duration::from_secs(2));
    let events_after = delivered(&s, "loopy", "f");
    assert_eq!(events.len(), limit + 1);
    assert_eq!(events_after.len(), limit + 1, "the chain stopped");
    assert_eq!(metric(&s, &events_metric("loopy/f/t", "loop_stopped")), 1.0);
    // A write from outside starts a new chain.
    s3(&s, &["put", "loop", "loop/start.txt", "go again"]);
    wait_for_events(&s, "loopy", "f", 2 * (limit + 1));
}

#[test]
fn code_comes_from_the_object_store() {
    let data = tempfile::tempdir().unwrap();
    let s = common::start(data.path());
    let zip = tempfile::NamedTempFile::new().unwrap();
    let bytes = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        common::zip_base64(wasm_fc_test_guests::EVENT_HELLO, "index.wasm"),
    )
    .unwrap();
    std::fs::write(zip.path(), &bytes).unwrap();
    s3(&s, &["mb", "code"]);
    s3(
        &s,
        &[
            "put-file",
            "code",
            "pkg/hello.zip",
            zip.path().to_str().unwrap(),
        ],
    );
    create_service(&s, "fromoss", json!({}));
    let body = |bucket: &str, object: &str| {
        json!({
            "functionName": "hello", "runtime": "custom", "handler": "index.handler",
            "code": { "ossBucketName": bucket, "ossObjectName": object },
        })
        .to_string()
    };
    for (bucket, object, field) in [
        ("nope", "pkg/hello.zip", "ossBucketName"),
        ("code", "pkg/missing.zip", "ossObjectName"),
        ("code", "", "ossObjectName"),
    ] {
        let reply = call(
            &s,
            "POST",
            &format!("{P}/services/fromoss/functions"),
            &[],
            body(bucket, object).as_bytes(),
        );
        assert_eq!(reply.status, 400, "{}", reply.text());
        assert!(
            reply.json()["ErrorMessage"]
                .as_str()
                .unwrap()
                .contains(field),
            "{}",
            reply.text()
        );
    }
    let created = ok(call(
        &s,
        "POST",
        &format!("{P}/services/fromoss/functions"),
        &[],
        body("code", "pkg/hello.zip").as_bytes(),
    ));
    assert_eq!(created.json()["codeSize"], bytes.len());
    let reply = ok(call(
        &s,
        "POST",
        &format!("{P}/services/fromoss/functions/hello/invocations"),
        &[],
        br#"{"name":"oss"}"#,
    ));
    assert_eq!(reply.json()["greeting"], "hello, oss");
    // GetFunctionCode still hands the code back.
    let code = ok(call(
        &s,
        "GET",
        &format!("{P}/services/fromoss/functions/hello/code"),
        &[],
        b"",
    ));
    let url = code.json()["url"].as_str().unwrap().to_string();
    let fetched = ureq::get(&url)
        .call()
        .unwrap()
        .into_body()
        .read_to_vec()
        .unwrap();
    assert_eq!(fetched, bytes);
    // A manifest names it as `codeUri: oss://bucket/object`, with an OSS
    // trigger whose bucket is Serverless Devs' `config.bucketName`.
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("s.yaml");
    std::fs::write(
        &manifest,
        "edition: 1.0.0\nservices:\n  app:\n    component: fc\n    props:\n      service:\n        name: manifested\n      function:\n        name: hello\n        runtime: custom\n        handler: index.handler\n        codeUri: oss://code/pkg/hello.zip\n      triggers:\n        - name: uploads\n          type: oss\n          role: acs:ram::1:role/aliyunosseventnotificationrole\n          config:\n            bucketName: code\n            events: ['oss:ObjectCreated:*']\n            filter:\n              Key:\n                Prefix: in/\n                Suffix: .json\n",
    )
    .unwrap();
    let deploy = Command::new(env!("CARGO_BIN_EXE_wasm-fc"))
        .args(["deploy", "-f"])
        .arg(&manifest)
        .args([
            "--endpoint",
            &s.endpoint,
            "--access-key-id",
            common::KEY_ID,
            "--access-key-secret",
            common::SECRET,
        ])
        .output()
        .unwrap();
    assert!(
        deploy.status.success(),
        "{}{}",
        String::from_utf8_lossy(&deploy.stdout),
        String::from_utf8_lossy(&deploy.stderr)
    );
    let reply = ok(call(
        &s,
        "POST",
        &format!("{P}/services/manifested/functions/hello/invocations"),
        &[],
        br#"{"name":"manifest"}"#,
    ));
    assert_eq!(reply.json()["greeting"], "hello, manifest");
    let trigger = ok(call(
        &s,
        "GET",
        &format!("{P}/services/manifested/functions/hello/triggers/uploads"),
        &[],
        b"",
    ))
    .json();
    assert!(
        trigger["sourceArn"].as_str().unwrap().ends_with(":code"),
        "{trigger}"
    );

    // UpdateFunction takes code from OSS too.
    ok(call(
        &s,
        "PUT",
        &format!("{P}/services/fromoss/functions/hello"),
        &[],
        json!({"code": {"ossBucketName": "code", "ossObjectName": "pkg/hello.zip"}})
            .to_string()
            .as_bytes(),
    ));
}

#[test]
fn minio_bucket_notifications_become_oss_events() {
    let data = tempfile::tempdir().unwrap();
    let s = common::start(data.path());
    create_service(&s, "minio", json!({}));
    create_handler(&s, "minio", "f", json!({}));
    ok(create_trigger(
        &s,
        "minio",
        "f",
        oss_trigger("t", "images", &["oss:ObjectCreated:*"], "", ".jpg"),
    ));
    // MinIO's documented webhook body (docs: "Publish Events to Webhook").
    let body = json!({
        "EventName": "s3:ObjectCreated:Put",
        "Key": "images/my+photo.jpg",
        "Records": [{
            "eventVersion": "2.0", "eventSource": "minio:s3", "awsRegion": "",
            "eventTime": "2019-09-10T17:41:54.134Z", "eventName": "s3:ObjectCreated:Put",
            "userIdentity": {"principalId": "minio"},
            "requestParameters": {"accessKey": "minio", "region": "", "sourceIPAddress": "192.168.1.80"},
            "responseElements": {"content-length": "0", "x-amz-request-id": "15C3249451E12784", "x-minio-deployment-id": "751a8ba6-acb2-42f6-a297-4cdf1cf1fa4f", "x-minio-origin-endpoint": "http://192.168.1.80:9000"},
            "s3": {
                "s3SchemaVersion": "1.0", "configurationId": "Config",
                "bucket": {"name": "images", "ownerIdentity": {"principalId": "minio"}, "arn": "arn:aws:s3:::images"},
                "object": {"key": "my+photo.jpg", "size": 2586, "eTag": "5d1f1b3d8e0ab5f4b1a09a3e2a8b3b1d", "contentType": "image/jpeg", "userMetadata": {"content-type": "image/jpeg", "X-Amz-Meta-Camera": "x100"}, "sequencer": "15C3249451E12784"}
            },
            "source": {"host": "192.168.1.80", "port": "", "userAgent": "MinIO (linux; amd64) minio-go/v6.0.32 mc/DEVELOPMENT.GOGET"}
        }]
    });
    let token = wasm_fc_api::control::credentials::Credentials {
        access_key_id: common::KEY_ID.into(),
        access_key_secret: common::SECRET.into(),
    }
    .notification_token();
    let post = |auth: &str| {
        common::raw(
            &s,
            "POST",
            "/_wasm-fc/oss/notifications",
            &[
                ("authorization".to_string(), auth.to_string()),
                ("content-type".into(), "application/json".into()),
            ],
            body.to_string().as_bytes(),
        )
    };
    let refused = post("Bearer wrong");
    assert_eq!(refused.status, 403, "{}", refused.text());
    assert!(refused.json()["ErrorCode"].is_string());
    let accepted = post(&format!("Bearer {token}"));
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_eq!(accepted.json()["delivered"], 1);
    let events = wait_for_events(&s, "minio", "f", 1);
    let event = &events[0];
    assert_eq!(event["eventName"], "ObjectCreated:PutObject");
    assert_eq!(event["eventTime"], "2019-09-10T17:41:54.134Z");
    assert_eq!(event["oss"]["bucket"]["name"], "images");
    assert_eq!(event["oss"]["object"]["key"], "my photo.jpg");
    assert_eq!(event["oss"]["object"]["size"], 2586);
    assert_eq!(
        event["oss"]["object"]["objectMeta"]["mimeType"],
        "image/jpeg"
    );
    assert_eq!(
        event["oss"]["object"]["objectMeta"]["userMeta"],
        json!({"x-oss-meta-camera": "x100"})
    );
    assert_eq!(
        event["requestParameters"]["sourceIPAddress"],
        "192.168.1.80"
    );
    // Not the S3 structure: a 400 that says so.
    let reply = common::raw(
        &s,
        "POST",
        "/_wasm-fc/oss/notifications",
        &[("authorization".to_string(), format!("Bearer {token}"))],
        b"{\"hello\": 1}",
    );
    assert_eq!(reply.status, 400, "{}", reply.text());
    assert!(
        reply.json()["ErrorMessage"]
            .as_str()
            .unwrap()
            .contains("Records")
    );
}
