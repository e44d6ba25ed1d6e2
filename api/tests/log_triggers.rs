//! Logstores and Log triggers end to end, on a real `wasm-fc run`: a
//! function's `logConfig` fills a logstore, the signed append and read
//! endpoints, a Log trigger firing per shard with FC's event and the entries
//! inline, retries recorded in the trigger's own logstore, checkpoints that
//! survive a restart, the CLI, and bad configs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use common::{P, Server, call, create_service, create_trigger, function_body, logged_events, ok};
use serde_json::{Value, json};

const LOGS: &str = "/_wasm-fc/log/projects";

fn cursor(text: &Value) -> i64 {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.as_str().unwrap())
        .unwrap();
    String::from_utf8(bytes).unwrap().parse().unwrap()
}

fn create_logstore(s: &Server, project: &str, logstore: &str, shards: u32) {
    ok(call(
        s,
        "POST",
        &format!("{LOGS}/{project}/logstores"),
        &[],
        json!({"logstoreName": logstore, "shardCount": shards})
            .to_string()
            .as_bytes(),
    ));
}

fn append(s: &Server, project: &str, logstore: &str, shard: u32, logs: Value) -> Value {
    ok(call(
        s,
        "POST",
        &format!("{LOGS}/{project}/logstores/{logstore}/entries"),
        &[],
        json!({"logs": logs, "shard": shard}).to_string().as_bytes(),
    ))
    .json()
}

fn read_recent(s: &Server, project: &str, logstore: &str) -> Vec<Value> {
    let reply = ok(call(
        s,
        "GET",
        &format!("{LOGS}/{project}/logstores/{logstore}/entries?limit=1000"),
        &[],
        b"",
    ));
    reply.json()["logs"].as_array().unwrap().clone()
}

/// A consumer `svc/f` (the event logger, with `env`) and a Log trigger `t`
/// on `project/source` with `job`, recording into `project/trigger-log`.
fn deploy_consumer(s: &Server, svc: &str, project: &str, env: Value, job: Value) {
    create_service(s, svc, json!({}));
    ok(call(
        s,
        "POST",
        &format!("{P}/services/{svc}/functions"),
        &[],
        &function_body(
            "f",
            wasm_fc_test_guests::OSS_HANDLER,
            json!({"environmentVariables": env}),
        ),
    ));
    ok(create_trigger(
        s,
        svc,
        "f",
        json!({
            "triggerName": "t",
            "triggerType": "log",
            "sourceArn": format!("acs:log:cn-hangzhou:1234567890:project/{project}"),
            "triggerConfig": {
                "sourceConfig": {"logstore": "source"},
                "jobConfig": job,
                "functionParameter": {"k": "v"},
                "logConfig": {"project": project, "logstore": "trigger-log"},
                "enable": true
            }
        }),
    ));
}

/// Events whose inline logs carry `msg`.
fn events_with(s: &Server, svc: &str, msg: &str) -> Vec<Value> {
    logged_events(s, svc, "f")
        .into_iter()
        .filter(|e| {
            e["logs"]
                .as_array()
                .is_some_and(|l| l.iter().any(|x| x["msg"] == msg))
        })
        .collect()
}

#[test]
fn log_config_fills_a_logstore_and_a_log_trigger_fires_per_shard_with_its_range() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(dir.path());

    // A function whose service names a logstore that does not exist yet: it
    // is created with the defaults, and every invocation's lines land in it.
    create_service(
        &s,
        "producer",
        json!({"logConfig": {"project": "proj-a", "logstore": "fc-logs"}}),
    );
    ok(call(
        &s,
        "GET",
        &format!("{LOGS}/proj-a/logstores/fc-logs"),
        &[],
        b"",
    ));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/producer/functions"),
        &[],
        &function_body("f", wasm_fc_test_guests::OSS_HANDLER, json!({})),
    ));
    let mut ids = Vec::new();
    for i in 0..3 {
        let reply = ok(call(
            &s,
            "POST",
            &format!("{P}/services/producer/functions/f/invocations"),
            &[],
            format!("{{\"n\":{i}}}").as_bytes(),
        ));
        ids.push(reply.header("x-fc-request-id").unwrap().to_string());
    }
    common::eventually("the invocations' lines in the logstore", || {
        read_recent(&s, "proj-a", "fc-logs")
            .iter()
            .filter(|e| {
                e["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("FC Invoke End"))
            })
            .count()
            == 3
    });
    let entries = read_recent(&s, "proj-a", "fc-logs");
    for id in &ids {
        let mine: Vec<&Value> = entries
            .iter()
            .filter(|e| e["requestId"] == id.as_str())
            .collect();
        assert!(
            mine.len() >= 3,
            "start, the guest's line, end for {id}: {mine:?}"
        );
        for e in &mine {
            assert_eq!(
                (
                    e["serviceName"].as_str(),
                    e["functionName"].as_str(),
                    e["qualifier"].as_str()
                ),
                (Some("producer"), Some("f"), Some("LATEST"))
            );
            assert!(
                e["instanceID"].as_str().is_some_and(|i| !i.is_empty()),
                "{e}"
            );
            assert!(e["level"].is_string() && e["time"].is_string(), "{e}");
        }
        assert!(
            mine.iter()
                .any(|e| e["message"].as_str().is_some_and(|m| m.contains("event {"))),
            "{mine:?}"
        );
    }

    // The CLI reads the same logstore.
    let out = Command::new(env!("CARGO_BIN_EXE_wasm-fc"))
        .args([
            "logs",
            "--project",
            "proj-a",
            "--logstore",
            "fc-logs",
            "--since",
            "10m",
        ])
        .env("WASM_FC_ENDPOINT", &s.endpoint)
        .env("WASM_FC_ACCESS_KEY_ID", common::KEY_ID)
        .env("WASM_FC_ACCESS_KEY_SECRET", common::SECRET)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!("producer/f {} [INFO] FC Invoke Start", ids[0])),
        "{text}"
    );

    // A Log trigger on a two-shard logstore fires once per shard with new
    // entries, with FC's event and the range's entries inline.
    create_logstore(&s, "proj-a", "source", 2);
    deploy_consumer(
        &s,
        "consumer",
        "proj-a",
        json!({}),
        json!({"triggerInterval": 3, "maxRetryTime": 0}),
    );
    std::thread::sleep(Duration::from_millis(500)); // the job has taken its start positions
    let first = append(
        &s,
        "proj-a",
        "source",
        0,
        json!([{"msg": "a0", "__time__": 1_700_000_000}, {"msg": "a1", "__time__": 1_700_000_001}, {"msg": "a2", "__time__": 1_700_000_002}]),
    );
    let second = append(
        &s,
        "proj-a",
        "source",
        1,
        json!([{"msg": "b0"}, {"msg": "b1"}]),
    );
    common::eventually("one event per shard", || {
        logged_events(&s, "consumer", "f").len() >= 2
    });
    let events = logged_events(&s, "consumer", "f");
    assert_eq!(events.len(), 2, "{events:?}");
    for (appended, msgs) in [
        (&first, vec!["a0", "a1", "a2"]),
        (&second, vec!["b0", "b1"]),
    ] {
        let event = events
            .iter()
            .find(|e| e["source"]["shardId"] == appended["shardId"])
            .unwrap_or_else(|| panic!("no event for shard {}", appended["shardId"]));
        assert_eq!(event["parameter"], json!({"k": "v"}));
        assert_eq!(event["source"]["projectName"], "proj-a");
        assert_eq!(event["source"]["logstoreName"], "source");
        assert_eq!(event["source"]["beginCursor"], appended["beginCursor"]);
        assert_eq!(event["source"]["endCursor"], appended["endCursor"]);
        assert!(
            event["source"]["endpoint"]
                .as_str()
                .is_some_and(|e| e.starts_with("http://127.0.0.1:"))
        );
        assert!(event["jobName"].as_str().is_some_and(|j| j.len() == 40));
        assert!(event["taskId"].as_str().is_some_and(|t| !t.is_empty()));
        let inline: Vec<&str> = event["logs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["msg"].as_str().unwrap())
            .collect();
        assert_eq!(inline, msgs);
    }
    let shard0 = events.iter().find(|e| e["source"]["shardId"] == 0).unwrap();
    assert_eq!(shard0["cursorTime"], 1_700_000_002);

    // The read endpoint serves the same range by cursor.
    let by_cursor = ok(call(
        &s,
        "GET",
        &format!(
            "{LOGS}/proj-a/logstores/source/entries?shard=0&cursor={}&endCursor={}",
            first["beginCursor"].as_str().unwrap().replace('=', "%3D"),
            first["endCursor"].as_str().unwrap().replace('=', "%3D")
        ),
        &[],
        b"",
    ))
    .json();
    assert_eq!(by_cursor["logs"].as_array().unwrap().len(), 3);
    assert_eq!(by_cursor["nextCursor"], first["endCursor"]);

    // The next range of shard 0 starts where the last ended.
    let third = append(&s, "proj-a", "source", 0, json!([{"msg": "a3"}]));
    assert_eq!(cursor(&third["beginCursor"]), cursor(&first["endCursor"]));
    common::eventually("the third event", || {
        !events_with(&s, "consumer", "a3").is_empty()
    });
    let next = &events_with(&s, "consumer", "a3")[0];
    assert_eq!(next["source"]["beginCursor"], first["endCursor"]);
    assert_eq!(next["logs"].as_array().unwrap().len(), 1);

    // Nothing new: no invocation over two more intervals.
    std::thread::sleep(Duration::from_secs(7));
    assert_eq!(logged_events(&s, "consumer", "f").len(), 3);

    // Each execution is recorded in the trigger's logConfig logstore.
    let records = read_recent(&s, "proj-a", "trigger-log");
    assert_eq!(
        records
            .iter()
            .filter(|r| r["status"] == "Succeeded")
            .count(),
        3,
        "{records:?}"
    );
}

#[test]
fn failures_are_retried_then_skipped_and_a_restart_resumes_without_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(dir.path());
    create_logstore(&s, "proj-b", "source", 1);
    deploy_consumer(
        &s,
        "c",
        "proj-b",
        json!({"OSS_FAIL_ON": "poison"}),
        json!({"triggerInterval": 3, "maxRetryTime": 2}),
    );
    std::thread::sleep(Duration::from_millis(500));
    let poison = append(&s, "proj-b", "source", 0, json!([{"msg": "poison"}]));
    common::eventually("three failed attempts recorded", || {
        read_recent(&s, "proj-b", "trigger-log")
            .iter()
            .filter(|r| r["status"] == "Failed")
            .count()
            >= 3
    });
    let records = read_recent(&s, "proj-b", "trigger-log");
    let failed: Vec<&Value> = records.iter().filter(|r| r["status"] == "Failed").collect();
    assert_eq!(failed.len(), 3, "1 attempt + maxRetryTime 2: {records:?}");
    assert_eq!(
        failed
            .iter()
            .map(|r| r["attempt"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    assert!(
        failed.iter().all(
            |r| r["taskId"] == failed[0]["taskId"] && r["beginCursor"] == poison["beginCursor"]
        )
    );
    assert!(
        failed[0]["errorMessage"]
            .as_str()
            .is_some_and(|m| m.contains("OSS_FAIL_ON")),
        "{}",
        failed[0]
    );

    // The cursor moved past the poison range: the next entry is delivered alone.
    let fine = append(&s, "proj-b", "source", 0, json!([{"msg": "fine"}]));
    common::eventually("the entry after the poison one", || {
        !events_with(&s, "c", "fine").is_empty()
    });
    assert_eq!(
        events_with(&s, "c", "fine")[0]["source"]["beginCursor"],
        fine["beginCursor"]
    );

    // kill -9 and start again: the checkpoint survives; nothing completed runs again.
    let data_dir = s.data_dir.clone();
    drop(s);
    let s = common::start(&data_dir);
    append(&s, "proj-b", "source", 0, json!([{"msg": "after"}]));
    common::eventually("the entry appended after the restart", || {
        !events_with(&s, "c", "after").is_empty()
    });
    std::thread::sleep(Duration::from_secs(4));
    assert_eq!(
        events_with(&s, "c", "fine").len(),
        1,
        "a completed range ran again after the restart"
    );
    assert_eq!(events_with(&s, "c", "after").len(), 1);
    assert_eq!(
        events_with(&s, "c", "poison").len(),
        3,
        "the poison range ran 3 times, before the restart only"
    );
}

#[test]
fn bad_names_and_configs_get_400s_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let s = common::start(dir.path());
    let bad_service = call(
        &s,
        "POST",
        &format!("{P}/services"),
        &[],
        br#"{"serviceName":"s1","logConfig":{"project":"Bad_Project","logstore":"ls"}}"#,
    );
    assert_eq!(bad_service.status, 400, "{}", bad_service.text());
    assert!(
        bad_service.text().contains("logConfig.project"),
        "{}",
        bad_service.text()
    );
    let half = call(
        &s,
        "POST",
        &format!("{P}/services"),
        &[],
        br#"{"serviceName":"s1","logConfig":{"project":"good-one"}}"#,
    );
    assert_eq!(half.status, 400, "{}", half.text());
    assert!(
        half.text().contains("logConfig.logstore"),
        "{}",
        half.text()
    );

    let bad_create = call(
        &s,
        "POST",
        &format!("{LOGS}/proj-c/logstores"),
        &[],
        br#"{"logstoreName":"x/y"}"#,
    );
    assert_eq!(bad_create.status, 400, "{}", bad_create.text());
    let too_many = call(
        &s,
        "POST",
        &format!("{LOGS}/proj-c/logstores"),
        &[],
        br#"{"logstoreName":"ls","shardCount":65}"#,
    );
    assert!(
        too_many.status == 400 && too_many.text().contains("shardCount"),
        "{}",
        too_many.text()
    );
    create_logstore(&s, "proj-c", "ls", 1);
    let again = call(
        &s,
        "POST",
        &format!("{LOGS}/proj-c/logstores"),
        &[],
        br#"{"logstoreName":"ls"}"#,
    );
    assert_eq!(
        (again.status, again.json()["ErrorCode"].as_str()),
        (409, Some("LogStoreAlreadyExist"))
    );
    let bad_path = call(
        &s,
        "GET",
        &format!("{LOGS}/Proj_C/logstores/ls/entries"),
        &[],
        b"",
    );
    assert_eq!(bad_path.status, 404, "{}", bad_path.text());
    let far_future = call(
        &s,
        "POST",
        &format!("{LOGS}/proj-c/logstores/ls/entries"),
        &[],
        br#"{"logs":[{"__time__":9223372036854775807}]}"#,
    );
    assert_eq!(far_future.status, 400, "{}", far_future.text());
    let missing = call(
        &s,
        "GET",
        &format!("{LOGS}/proj-c/logstores/nope/entries"),
        &[],
        b"",
    );
    assert_eq!(
        (missing.status, missing.json()["ErrorCode"].as_str()),
        (404, Some("LogStoreNotExist"))
    );
    let wrong_shard = call(
        &s,
        "POST",
        &format!("{LOGS}/proj-c/logstores/ls/entries"),
        &[],
        br#"{"logs":[{"a":1}],"shard":3}"#,
    );
    assert_eq!(wrong_shard.status, 400, "{}", wrong_shard.text());
    let bad_cursor = call(
        &s,
        "GET",
        &format!("{LOGS}/proj-c/logstores/ls/entries?cursor=zzz"),
        &[],
        b"",
    );
    assert!(
        bad_cursor.status == 400 && bad_cursor.text().contains("cursor"),
        "{}",
        bad_cursor.text()
    );
    let unsigned = common::unsigned(&s, "GET", &format!("{LOGS}/proj-c/logstores"), &[], b"");
    assert_eq!(unsigned.status, 403, "the logstore routes are signed");

    create_service(&s, "svc", json!({}));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/svc/functions"),
        &[],
        &function_body("f", wasm_fc_test_guests::OSS_HANDLER, json!({})),
    ));
    let arn = "acs:log:cn-hangzhou:1:project/proj-c";
    for (config, source_arn, field) in [
        (
            json!({"sourceConfig": {"logstore": "ls"}, "jobConfig": {"maxRetryTime": 101}}),
            arn,
            "jobConfig.maxRetryTime",
        ),
        (
            json!({"sourceConfig": {"logstore": "ls"}, "jobConfig": {"triggerInterval": 2}}),
            arn,
            "jobConfig.triggerInterval",
        ),
        (
            json!({"sourceConfig": {"logstore": "ls"}, "jobConfig": {"triggerInterval": 601}}),
            arn,
            "jobConfig.triggerInterval",
        ),
        (json!({"jobConfig": {}}), arn, "sourceConfig"),
        (
            json!({"sourceConfig": {"logstore": "ls"}}),
            "acs:oss:cn-hangzhou:1:bucket",
            "sourceArn",
        ),
        (
            json!({"sourceConfig": {"logstore": "ls"}, "logConfig": {"project": "proj-c", "logstore": "ls"}}),
            arn,
            "logConfig",
        ),
    ] {
        let reply = create_trigger(
            &s,
            "svc",
            "f",
            json!({"triggerName": "t", "triggerType": "log", "sourceArn": source_arn, "triggerConfig": config}),
        );
        assert_eq!(reply.status, 400, "{config}: {}", reply.text());
        assert!(
            reply.text().contains(field),
            "{config}: {} should name {field}",
            reply.text()
        );
    }
}
