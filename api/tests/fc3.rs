//! The FC 3.0 API's own behaviour on a real `wasm-fc run` (the SDK walks are in
//! fc_sdks.rs): per-trigger HTTP URLs with FC 3.0's HTTP event for Python and
//! Node.js handlers, reserved concurrency, the async-task header, and
//! `s.yaml` edition 3.0.0 through `deploy -f` and `run -f`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use common::*;
use serde_json::{Value, json};

const F3: &str = "/2023-03-30";

/// CreateFunction's body for an FC 3.0 function running `guest` (a Wasm file).
fn wasm_function(name: &str, runtime: &str, guest: &str) -> Value {
    json!({
        "functionName": name, "runtime": runtime, "handler": "index.handler",
        "code": { "zipFile": zip_base64(guest, "index.wasm") },
    })
}

fn create_fc3(s: &Server, name: &str, runtime: &str, files: &[(&str, &str)]) {
    let files: Vec<(String, Vec<u8>)> = files
        .iter()
        .map(|(n, t)| (n.to_string(), t.as_bytes().to_vec()))
        .collect();
    let body = json!({
        "functionName": name, "runtime": runtime, "handler": "index.handler",
        "code": { "zipFile": zip_files(&files) },
    });
    ok(call(
        s,
        "POST",
        &format!("{F3}/functions"),
        &[],
        body.to_string().as_bytes(),
    ));
}

/// Creates an anonymous HTTP trigger and returns the path of its URL on `s`.
fn http_trigger(s: &Server, function: &str) -> String {
    let config = json!({"authType": "anonymous", "methods": ["GET", "POST"]}).to_string();
    let body = json!({"triggerName": "web", "triggerType": "http", "triggerConfig": config});
    let reply = ok(call(
        s,
        "POST",
        &format!("{F3}/functions/{function}/triggers"),
        &[],
        body.to_string().as_bytes(),
    ));
    let trigger = reply.json();
    assert_eq!(
        trigger["triggerConfig"].as_str(),
        Some(config.as_str()),
        "a JSON string on 2023-03-30"
    );
    let url = trigger["httpTrigger"]["urlInternet"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        trigger["httpTrigger"]["urlIntranet"].as_str(),
        Some(url.as_str())
    );
    let path = url
        .strip_prefix(&s.endpoint)
        .unwrap_or_else(|| panic!("{url} is on {}", s.endpoint));
    assert_eq!(path, format!("{F3}/proxy/{function}/web/"));
    path.to_string()
}

const PY_ECHO: &str = r#"import json

def handler(event, context):
    e = json.loads(event)
    seen = {
        "version": e["version"], "rawPath": e["rawPath"], "query": e["queryParameters"],
        "custom": e["headers"].get("X-Custom-Header"), "body": e["body"],
        "isBase64Encoded": e["isBase64Encoded"], "method": e["requestContext"]["http"]["method"],
        "path": e["requestContext"]["http"]["path"], "requestId": e["requestContext"]["requestId"],
    }
    return {"statusCode": 201, "headers": {"X-Seen": e["rawPath"]}, "body": json.dumps(seen)}
"#;

#[test]
fn an_fc3_python_function_gets_the_v1_http_event_and_its_status_object_is_the_response() {
    let data = tempfile::tempdir().unwrap();
    let s = start_with_runtimes(data.path());
    create_fc3(&s, "pyweb", "python3.10", &[("index.py", PY_ECHO)]);
    let path = http_trigger(&s, "pyweb");
    let headers = vec![("X-Custom-Header".to_string(), "hi".to_string())];
    let reply = raw(
        &s,
        "POST",
        &format!("{path}a/b?x=1&x=2&y=z%20z"),
        &headers,
        b"hello",
    );
    assert_eq!(reply.status, 201, "{}", reply.text());
    assert_eq!(reply.header("x-seen"), Some("/a/b"));
    let seen: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(seen["version"], "v1");
    assert_eq!(seen["rawPath"], "/a/b");
    assert_eq!(seen["path"], "/a/b");
    assert_eq!(seen["query"], json!({"x": "1,2", "y": "z z"}));
    assert_eq!(seen["custom"], "hi", "header names in canonical case");
    assert_eq!(seen["body"], "hello");
    assert_eq!(seen["isBase64Encoded"], false);
    assert_eq!(seen["method"], "POST");
    assert_eq!(
        Some(seen["requestId"].as_str().unwrap()),
        reply.header("x-fc-request-id")
    );
    // A body that is not UTF-8 arrives base64-encoded.
    let reply = raw(&s, "POST", &path, &[], &[0xff, 0xfe, 0x00]);
    let seen: Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(seen["isBase64Encoded"], true);
    assert_eq!(seen["body"], "//4A");
    // The same function through FC 2.0 is service pyweb, function pyweb.
    let reply = ok(call(
        &s,
        "GET",
        &format!("{P}/services/pyweb/functions/pyweb"),
        &[],
        b"",
    ));
    assert_eq!(reply.json()["runtime"], "python3.10");
}

#[test]
fn an_fc3_node_function_returning_a_plain_value_answers_200_with_it() {
    let data = tempfile::tempdir().unwrap();
    let s = start_with_runtimes(data.path());
    let source = "exports.handler = (event, context, callback) => { const e = JSON.parse(event); callback(null, 'plain ' + e.rawPath + ' ' + e.requestContext.http.method); };";
    create_fc3(&s, "nodeweb", "nodejs18", &[("index.js", source)]);
    let path = http_trigger(&s, "nodeweb");
    let reply = raw(&s, "GET", &format!("{path}hi"), &[], b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.text(), "plain /hi GET");
    // A method the trigger does not allow is refused before the function runs.
    assert_eq!(raw(&s, "DELETE", &path, &[], b"").status, 405);
}

#[test]
fn a_wasm_fc3_function_behind_its_trigger_url_sees_the_path_after_the_trigger() {
    let data = tempfile::tempdir().unwrap();
    let s = start(data.path());
    let body = wasm_function(
        "wasmweb",
        "custom.debian10",
        wasm_fc_test_guests::HTTP_HELLO,
    );
    ok(call(
        &s,
        "POST",
        &format!("{F3}/functions"),
        &[],
        body.to_string().as_bytes(),
    ));
    let path = http_trigger(&s, "wasmweb");
    let reply = raw(&s, "GET", &format!("{path}greet?name=fc3"), &[], b"");
    assert_eq!(reply.status, 200, "{}", reply.text());
    let text = reply.text();
    assert!(
        text.contains("path=/greet\n"),
        "the path after the trigger: {text}"
    );
    assert!(text.contains("query:name=fc3\n"), "{text}");
    assert!(text.contains("function=wasmweb\n"), "{text}");
    // No such trigger, or a trigger of an FC 2.0 service named by its bare name: 404.
    assert_eq!(
        raw(&s, "GET", &format!("{F3}/proxy/wasmweb/nope/"), &[], b"").status,
        404
    );
    create_service(&s, "plain2", json!({}));
    assert_eq!(
        raw(&s, "GET", &format!("{F3}/proxy/plain2/web/"), &[], b"").status,
        404
    );
}

#[test]
fn reserved_concurrency_zero_throttles_until_it_is_deleted_and_async_tasks_are_501() {
    let data = tempfile::tempdir().unwrap();
    let s = start(data.path());
    let body = wasm_function("capped", "custom", wasm_fc_test_guests::EVENT_HELLO);
    ok(call(
        &s,
        "POST",
        &format!("{F3}/functions"),
        &[],
        body.to_string().as_bytes(),
    ));
    let invoke = || {
        call(
            &s,
            "POST",
            &format!("{F3}/functions/capped/invocations"),
            &[],
            br#"{"name":"x"}"#,
        )
    };
    assert_eq!(invoke().status, 200);
    let put = |n: i64| {
        call(
            &s,
            "PUT",
            &format!("{F3}/functions/capped/concurrency"),
            &[],
            json!({"reservedConcurrency": n}).to_string().as_bytes(),
        )
    };
    assert_eq!(ok(put(0)).json()["reservedConcurrency"], 0);
    let throttled = invoke();
    assert_eq!(throttled.status, 429, "{}", throttled.text());
    assert_eq!(throttled.json()["Code"], "ResourceThrottled");
    assert_eq!(put(-1).status, 400);
    assert_eq!(
        call(
            &s,
            "DELETE",
            &format!("{F3}/functions/capped/concurrency"),
            &[],
            b""
        )
        .status,
        204
    );
    assert_eq!(invoke().status, 200);
    // FC 3.0's functions are FC 2.0's too: the 2.0 GetFunction never shows the hidden key.
    let fc2 = ok(call(
        &s,
        "GET",
        &format!("{P}/services/capped/functions/capped"),
        &[],
        b"",
    ))
    .json();
    assert!(fc2.get("_reservedConcurrency").is_none(), "{fc2}");
    let task = call(
        &s,
        "POST",
        &format!("{F3}/functions/capped/invocations"),
        &[
            ("x-fc-invocation-type", "Async"),
            ("x-fc-async-task-id", "t1"),
        ],
        b"{}",
    );
    assert_eq!(task.status, 501, "{}", task.text());
    assert_eq!(task.json()["Code"], "NotImplemented");
}

#[test]
fn an_fc3_name_taken_by_an_fc2_service_is_a_conflict_and_its_functions_are_dollar_names() {
    let data = tempfile::tempdir().unwrap();
    let s = start(data.path());
    create_service(&s, "legacy", json!({}));
    let made = call(
        &s,
        "POST",
        &format!("{P}/services/legacy/functions"),
        &[],
        &function_body("worker", wasm_fc_test_guests::EVENT_HELLO, json!({})),
    );
    ok(made);
    let body = wasm_function("legacy", "custom", wasm_fc_test_guests::EVENT_HELLO);
    let taken = call(
        &s,
        "POST",
        &format!("{F3}/functions"),
        &[],
        body.to_string().as_bytes(),
    );
    assert_eq!(taken.status, 409, "{}", taken.text());
    assert_eq!(taken.json()["Code"], "FunctionAlreadyExists");
    assert_eq!(
        call(&s, "GET", &format!("{F3}/functions/legacy"), &[], b"").status,
        404
    );
    let got = ok(call(
        &s,
        "GET",
        &format!("{F3}/functions/legacy$worker"),
        &[],
        b"",
    ))
    .json();
    assert_eq!(got["functionName"], "legacy$worker");
    assert!(
        got["functionArn"]
            .as_str()
            .unwrap()
            .ends_with(":functions/legacy$worker")
    );
    // A role belongs to the FC 2.0 service: UpdateFunction of it is a 400 naming the service.
    let role = call(
        &s,
        "PUT",
        &format!("{F3}/functions/legacy$worker"),
        &[],
        br#"{"role":"acs:ram::1:role/r"}"#,
    );
    assert_eq!(role.status, 400);
    assert!(role.text().contains("UpdateService"), "{}", role.text());
    let names: Vec<String> =
        ok(call(&s, "GET", &format!("{F3}/functions"), &[], b"")).json()["functions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["functionName"].as_str().unwrap().to_string())
            .collect();
    assert_eq!(names, ["legacy$worker"]);
    // An FC 3.0 function deleted by its `name$name` form takes its service along,
    // and the name can be used again.
    let own = wasm_function("own", "custom", wasm_fc_test_guests::EVENT_HELLO);
    ok(call(
        &s,
        "POST",
        &format!("{F3}/functions"),
        &[],
        own.to_string().as_bytes(),
    ));
    let gone = call(&s, "DELETE", &format!("{F3}/functions/own$own"), &[], b"");
    assert_eq!(gone.status, 204, "{}", gone.text());
    assert_eq!(
        call(&s, "GET", &format!("{P}/services/own"), &[], b"").status,
        404
    );
    ok(call(
        &s,
        "POST",
        &format!("{F3}/functions"),
        &[],
        own.to_string().as_bytes(),
    ));
    // ListAsyncInvokeConfigs names each function as FC 3.0 does: an FC 2.0
    // service `twin` with a function `twin` is `twin$twin`, an FC 3.0 one `own`.
    create_service(&s, "twin", json!({}));
    let twin = function_body("twin", wasm_fc_test_guests::EVENT_HELLO, json!({}));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/twin/functions"),
        &[],
        &twin,
    ));
    let retries = json!({"maxAsyncRetryAttempts": 1}).to_string();
    let twin_config = format!("{P}/services/twin/functions/twin/async-invoke-config");
    ok(call(&s, "PUT", &twin_config, &[], retries.as_bytes()));
    let own_config = format!("{F3}/functions/own/async-invoke-config");
    ok(call(&s, "PUT", &own_config, &[], retries.as_bytes()));
    let listed = ok(call(
        &s,
        "GET",
        &format!("{F3}/async-invoke-configs"),
        &[],
        b"",
    ))
    .json();
    let mut names: Vec<&str> = listed["configs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["functionArn"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
        })
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["own", "twin$twin"]);
}

/// An `s.yaml` edition 3.0.0 the way `s init` writes it, around the event guest.
fn fc3_manifest(dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::copy(wasm_fc_test_guests::EVENT_HELLO, dir.join("index.wasm")).unwrap();
    let file = dir.join("s.yaml");
    std::fs::write(
        &file,
        r#"edition: 3.0.0
name: hello-app
access: default
vars:
  region: cn-hangzhou
resources:
  hello:
    component: fc3
    props:
      region: ${vars.region}
      functionName: s3hello
      runtime: custom.debian10
      code: ./index.wasm
      handler: index.handler
      memorySize: 256
      timeout: 10
      environmentVariables:
        GREETING: hi
      somethingNew: true
      triggers:
        - triggerName: tick
          triggerType: timer
          triggerConfig:
            cronExpression: '@every 1h'
            enable: false
"#,
    )
    .unwrap();
    file
}

fn check_deployed(s: &Server) {
    let f = ok(call(s, "GET", &format!("{F3}/functions/s3hello"), &[], b"")).json();
    assert_eq!(f["memorySize"], 256);
    assert_eq!(f["timeout"], 10);
    assert_eq!(f["environmentVariables"]["GREETING"], "hi");
    // FC 2.0 clients see service s3hello, function s3hello, with the trigger.
    let reply = ok(call(
        s,
        "POST",
        &format!("{P}/services/s3hello/functions/s3hello/invocations"),
        &[],
        br#"{"name":"yaml"}"#,
    ));
    assert!(
        reply.text().contains("hi, yaml"),
        "GREETING from the manifest: {}",
        reply.text()
    );
    let trigger = ok(call(
        s,
        "GET",
        &format!("{P}/services/s3hello/functions/s3hello/triggers/tick"),
        &[],
        b"",
    ))
    .json();
    assert_eq!(trigger["triggerType"], "timer");
}

#[test]
fn an_s_yaml_edition_3_deploys_through_deploy_f_twice_and_warns_about_unknown_props() {
    let data = tempfile::tempdir().unwrap();
    let s = start(data.path());
    let dir = tempfile::tempdir().unwrap();
    let file = fc3_manifest(dir.path());
    for _ in 0..2 {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_wasm-fc"))
            .args(["deploy", "-f"])
            .arg(&file)
            .env("WASM_FC_ENDPOINT", &s.endpoint)
            .env("WASM_FC_ACCESS_KEY_ID", KEY_ID)
            .env("WASM_FC_ACCESS_KEY_SECRET", SECRET)
            .output()
            .unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{text}");
        assert!(
            text.contains("somethingNew"),
            "an unknown prop is a warning: {text}"
        );
    }
    check_deployed(&s);
}

#[test]
fn an_s_yaml_edition_3_runs_with_run_f() {
    let data = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = fc3_manifest(dir.path());
    let s = start_with_args(data.path(), &["-f", file.to_str().unwrap()]);
    eventually("the manifest is deployed", || {
        call(
            &s,
            "GET",
            &format!("{F3}/functions/s3hello/triggers/tick"),
            &[],
            b"",
        )
        .status
            == 200
    });
    check_deployed(&s);
}
