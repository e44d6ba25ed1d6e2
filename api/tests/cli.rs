//! The `wasm-fc` commands end to end: the real binary for `run -f` (banner, guest
//! log echo, /metrics, /readyz), `deploy`, `invoke`, `logs`, `list`, `describe`,
//! `remove`, `run --watch` and `new` (whose projects are built and deployed).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{KEY_ID, SECRET, wait_for};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_wasm-fc");

fn examples_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// A `wasm-fc` client command for `endpoint`.
fn wasm_fc(endpoint: &str) -> Command {
    with_client_env(Command::new(BIN), endpoint)
}

/// The test keys and endpoint, and the host's build flags removed (builds run by
/// manifests must match `examples/artifacts/build.rs`'s, so they are no-ops).
fn with_client_env(mut cmd: Command, endpoint: &str) -> Command {
    cmd.env("WASM_FC_ENDPOINT", endpoint)
        .env("WASM_FC_ACCESS_KEY_ID", KEY_ID)
        .env("WASM_FC_ACCESS_KEY_SECRET", SECRET)
        .env("WASM_FC_LOG", "warn");
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

fn run_ok(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}\n{}",
        cmd,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn run_with_stdin(cmd: &mut Command, stdin: &[u8]) -> Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// A `wasm-fc run` child whose stdout lines are collected; killed on drop.
struct Platform {
    child: Child,
    endpoint: String,
    stdout: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<Vec<String>>>,
}

/// Collects a child's output lines as they come.
fn collect_lines(pipe: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

impl Drop for Platform {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Platform {
    fn start(data_dir: &Path, extra: &[&str]) -> Self {
        Self::start_logging(data_dir, extra, "warn")
    }

    /// Starts with `WASM_FC_LOG` set to `filter`.
    fn start_logging(data_dir: &Path, extra: &[&str], filter: &str) -> Self {
        let mut command = common::run_command(0, data_dir);
        command.args(extra);
        Self::launch(command, filter)
    }

    /// Starts with the Python and Node.js runtimes the tests share.
    fn start_with_runtimes(data_dir: &Path) -> Self {
        let mut command = common::run_command(0, data_dir);
        command
            .env_remove("WASM_FC_NO_RUNTIMES")
            .env("WASM_FC_RUNTIMES_DIR", common::runtimes_dir());
        Self::launch(command, "warn")
    }

    /// Spawns `command` (listening on port 0) with the client environment and
    /// `WASM_FC_LOG=filter`, reads the address it bound from its banner (text or
    /// JSON), and waits for /readyz.
    fn launch(command: Command, filter: &str) -> Self {
        let mut child = with_client_env(command, "http://127.0.0.1:0")
            .env("WASM_FC_LOG", filter)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = collect_lines(child.stdout.take().unwrap());
        let stderr = collect_lines(child.stderr.take().unwrap());
        let mut platform = Self {
            child,
            endpoint: String::new(),
            stdout,
            stderr,
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        while platform.endpoint.is_empty() && Instant::now() < deadline {
            let found = platform.stdout.lock().unwrap().iter().find_map(|line| {
                let from_text = line
                    .split_once(" serving FC 2.0 at ")
                    .map(|(_, endpoint)| endpoint.trim().to_string());
                from_text.or_else(|| {
                    serde_json::from_str::<Value>(line).ok()?["endpoint"]
                        .as_str()
                        .map(str::to_string)
                })
            });
            match found {
                Some(endpoint) => platform.endpoint = endpoint,
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        while Instant::now() < deadline {
            if let Ok(r) = ureq::get(&format!("{}/readyz", platform.endpoint)).call()
                && r.status() == 200
            {
                return platform;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "wasm-fc run did not become ready; stdout: {:?}, stderr: {:?}",
            platform.stdout.lock().unwrap(),
            platform.stderr.lock().unwrap()
        );
    }

    fn cmd(&self) -> Command {
        wasm_fc(&self.endpoint)
    }

    fn has_line(&self, check: impl Fn(&str) -> bool) -> bool {
        self.stdout.lock().unwrap().iter().any(|l| check(l))
    }

    fn get(&self, path: &str) -> String {
        ureq::get(&format!("{}{path}", self.endpoint))
            .call()
            .unwrap()
            .into_body()
            .read_to_string()
            .unwrap()
    }
}

#[test]
fn run_f_examples_then_every_client_command() {
    let data = tempfile::tempdir().unwrap();
    let p = Platform::start(
        data.path(),
        &[
            "-f",
            examples_dir().join("s.yaml").to_str().unwrap(),
            "--format",
            "json",
        ],
    );

    // The banner (JSON): every example, the HTTP trigger's URL, the timer's next fire.
    let banner: Value = p
        .stdout
        .lock()
        .unwrap()
        .iter()
        .find_map(|l| {
            serde_json::from_str::<Value>(l)
                .ok()
                .filter(|v| v["endpoint"].is_string())
        })
        .expect("a JSON banner");
    assert_eq!(banner["functions"].as_array().unwrap().len(), 6, "{banner}");
    // Event-source triggers, with what each listens to; and the object store.
    let source = &banner["eventTriggers"][0];
    assert_eq!(source["trigger"], "uploads", "{banner}");
    assert_eq!(
        source["listensTo"],
        "oss bucket uploads: oss:ObjectCreated:* on keys *"
    );
    assert!(
        banner["ossEndpoint"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
    let http = &banner["httpTriggers"][0];
    assert_eq!(
        http["url"],
        format!("{}/2016-08-15/proxy/examples/http-hello/", p.endpoint)
    );
    assert_eq!(http["authType"], "anonymous");
    assert_eq!(banner["timers"][0]["expression"], "@every 1m");
    assert!(
        banner["timers"][0]["nextFireUtc"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    // invoke: FC's start/end lines around the log, the result, the summary.
    let out = run_ok(
        p.cmd()
            .args(["invoke", "examples/event-hello", "-e", r#"{"name":"cli"}"#]),
    );
    let request_id = out
        .lines()
        .next()
        .unwrap()
        .strip_prefix("FC Invoke Start RequestId: ")
        .expect(&out)
        .to_string();
    assert!(out.contains("[INFO] greeting cli"), "{out}");
    assert!(
        out.contains(&format!("FC Invoke End RequestId: {request_id}")),
        "{out}"
    );
    assert!(out.contains(r#""greeting":"hello, cli""#), "{out}");
    assert!(
        out.contains("Duration: ") && out.contains("Max Memory Used: "),
        "{out}"
    );
    // The server echoed the guest's log with `service/function requestId`.
    wait_for(
        || {
            p.has_line(|l| {
                l.starts_with(&format!("examples/event-hello {request_id}: "))
                    && l.contains("greeting cli")
            })
        },
        "echoed guest log",
    );

    // A failing function: exit status 1, FC's error as the result.
    let failed = p
        .cmd()
        .args(["invoke", "examples/event-hello", "-e", "oops"])
        .output()
        .unwrap();
    assert_eq!(failed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&failed.stdout).contains("InvalidEvent"));

    // The event from stdin; JSON output.
    let piped = run_with_stdin(
        p.cmd()
            .args(["invoke", "examples/event-hello", "--format", "json"]),
        br#"{"name":"stdin"}"#,
    );
    let json: Value = serde_json::from_slice(&piped.stdout).unwrap();
    assert!(
        json["result"].as_str().unwrap().contains("hello, stdin"),
        "{json}"
    );

    // Async: a request id, then its log through `wasm-fc logs --request-id`.
    let out = run_ok(p.cmd().args([
        "invoke",
        "examples/event-hello",
        "--async",
        "--format",
        "json",
        "-e",
        r#"{"name":"later"}"#,
    ]));
    let async_id = serde_json::from_str::<Value>(&out).unwrap()["requestId"]
        .as_str()
        .unwrap()
        .to_string();
    wait_for(
        || {
            run_ok(
                p.cmd()
                    .args(["logs", "examples/event-hello", "--request-id", &async_id]),
            )
            .contains("greeting later")
        },
        "async log",
    );
    let logs = run_ok(
        p.cmd()
            .args(["logs", "examples/event-hello", "--format", "json"]),
    );
    let records: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(records.iter().any(|r| r["requestId"] == request_id.as_str()
        && r["trigger"] == "invoke"
        && r["status"] == "success"));
    assert!(
        records
            .iter()
            .any(|r| r["requestId"] == async_id.as_str() && r["trigger"] == "async")
    );
    let since_future =
        run_ok(
            p.cmd()
                .args(["logs", "examples/event-hello", "--since", "4102444800000"]),
        );
    assert!(!since_future.contains("FC Invoke Start"), "{since_future}");

    // logs --tail follows new invocations.
    let mut tail = p
        .cmd()
        .args(["logs", "examples/http-hello", "--tail"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let tail_lines = collect_lines(tail.stdout.take().unwrap());
    let http_lines = || {
        tail_lines
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains("examples/http-hello [http] success"))
            .count()
    };
    // The HTTP trigger, as curl would call it; twice, back to back.
    for _ in 0..2 {
        let answer = ureq::post(&format!(
            "{}/2016-08-15/proxy/examples/http-hello/tail-me",
            p.endpoint
        ))
        .send("hi")
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
        assert!(answer.contains("path=/tail-me"), "{answer}");
    }
    wait_for(
        || http_lines() == 2,
        "logs --tail to show both HTTP requests",
    );
    // Later polls print neither again (the cursor re-reads its last millisecond).
    std::thread::sleep(Duration::from_millis(1200));
    assert_eq!(http_lines(), 2, "{:?}", tail_lines.lock().unwrap());
    let _ = tail.kill();
    let _ = tail.wait();

    // /metrics: invocations by trigger and status, cold starts, instances, compiles, queue.
    let metrics = p.get("/metrics");
    for needle in [
        r#"wasm_fc_invocations_total{service="examples",function="event-hello",trigger="invoke",status="success"}"#,
        r#"wasm_fc_invocations_total{service="examples",function="event-hello",trigger="invoke",status="handled_error"} 1"#,
        r#"wasm_fc_invocations_total{service="examples",function="event-hello",trigger="async",status="success"} 1"#,
        r#"wasm_fc_invocations_total{service="examples",function="http-hello",trigger="http",status="success"} 2"#,
        r#"wasm_fc_cold_starts_total{service="examples",function="event-hello"}"#,
        r#"wasm_fc_invocation_duration_seconds_count{service="examples",function="event-hello"}"#,
        r#"wasm_fc_instances{state="idle"}"#,
        "wasm_fc_compile_duration_seconds_count 6",
        "wasm_fc_async_queue_depth 0",
        // The example's timer fires once a minute: its count depends on the test's pace.
        "wasm_fc_timer_fires_total ",
        "wasm_fc_timer_lag_seconds_count ",
    ] {
        assert!(metrics.contains(needle), "missing {needle} in\n{metrics}");
    }
    assert_eq!(p.get("/healthz"), "ok");

    // list / describe / remove.
    let list: Value =
        serde_json::from_str(&run_ok(p.cmd().args(["list", "--format", "json"]))).unwrap();
    let functions = list["services"][0]["functions"].as_array().unwrap();
    assert_eq!(functions.len(), 6);
    let described: Value = serde_json::from_str(&run_ok(
        p.cmd().args(["describe", "examples/http-hello/http"]),
    ))
    .unwrap();
    assert_eq!(described["triggerType"], "http");
    let function: Value =
        serde_json::from_str(&run_ok(p.cmd().args(["describe", "examples/event-hello"]))).unwrap();
    assert_eq!(function["environmentVariables"]["GREETING"], "hello");
    assert_eq!(function["triggers"][0]["triggerName"], "every-minute");
    let oss: Value =
        serde_json::from_str(&run_ok(p.cmd().args(["describe", "examples/oss-handler"]))).unwrap();
    assert_eq!(
        oss["triggers"][0]["listensTo"],
        "oss bucket uploads: oss:ObjectCreated:* on keys *"
    );
    run_ok(p.cmd().args(["remove", "examples/hostile"]));
    let gone = p
        .cmd()
        .args(["describe", "examples/hostile"])
        .output()
        .unwrap();
    assert!(!gone.status.success());
    assert!(
        String::from_utf8_lossy(&gone.stderr).contains("FunctionNotFound"),
        "{}",
        String::from_utf8_lossy(&gone.stderr)
    );
    run_ok(p.cmd().args(["remove", "examples"]));
    let empty: Value =
        serde_json::from_str(&run_ok(p.cmd().args(["list", "--format", "json"]))).unwrap();
    assert_eq!(empty["services"], Value::Array(vec![]));

    // Bad input: a clear error, no panic.
    let bad = p.cmd().args(["invoke", "no-slash"]).output().unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not service/function"));
}

#[test]
fn deploy_a_funcraft_template_whose_timer_fires() {
    let data = tempfile::tempdir().unwrap();
    let p = Platform::start(data.path(), &[]);
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir(project.path().join("code")).unwrap();
    std::fs::copy(
        wasm_fc_test_guests::EVENT_HELLO,
        project.path().join("code/index.wasm"),
    )
    .unwrap();
    std::fs::write(project.path().join("code/big.log"), vec![b'x'; 1 << 20]).unwrap();
    std::fs::write(project.path().join(".funignore"), "*.log\n").unwrap();
    let template = project.path().join("template.yml");
    std::fs::write(&template, "ROSTemplateFormatVersion: '2015-09-01'\nTransform: 'Aliyun::Serverless-2018-04-03'\nResources:\n  legacy:\n    Type: 'Aliyun::Serverless::Service'\n    hello:\n      Type: 'Aliyun::Serverless::Function'\n      Properties:\n        Handler: index.handler\n        Runtime: custom\n        CodeUri: ./code\n        EnvironmentVariables:\n          GREETING: hi\n      Events:\n        tick:\n          Type: Timer\n          Properties:\n            CronExpression: '@every 1s'\n            Enable: true\n            Payload: 'x'\n").unwrap();
    let out = run_ok(p.cmd().args(["deploy", "-f"]).arg(&template));
    assert!(out.contains("deployed 1 function(s)"), "{out}");
    // .funignore kept the 1 MiB log out of the package.
    let function: Value =
        serde_json::from_str(&run_ok(p.cmd().args(["describe", "legacy/hello"]))).unwrap();
    assert!(
        function["codeSize"].as_u64().unwrap() < 200_000,
        "{function}"
    );
    // The timer fires; its invocations are in the logs under the trigger's name.
    wait_for(
        || {
            run_ok(p.cmd().args(["logs", "legacy/hello", "--format", "json"]))
                .contains(r#""trigger":"tick""#)
        },
        "a timer fire in the logs",
    );
    // ... and in the metrics, under the trigger's name, retries included. (event-hello
    // wants {"name"}, so it refuses FC's timer event: a handled error, retried 3 times.)
    let tick_errors = r#"wasm_fc_invocations_total{service="legacy",function="hello",trigger="tick",status="handled_error"}"#;
    wait_for(
        || {
            let metrics = p.get("/metrics");
            let fires = metric(&metrics, "wasm_fc_timer_fires_total");
            fires >= 1.0
                && metric(&metrics, "wasm_fc_timer_lag_seconds_count") >= 1.0
                && metric(&metrics, tick_errors) > fires
        },
        "timer fires and their retries in /metrics",
    );
    let metrics = p.get("/metrics");
    assert!(
        !metrics.contains(r#"function="hello",trigger="async""#),
        "a timer fire's retry is still the timer's: {metrics}"
    );
    // Redeploying the same template changes nothing and succeeds.
    run_ok(p.cmd().args(["deploy", "-f"]).arg(&template));

    // A broken manifest: file, line and field, exit status 1.
    let broken = project.path().join("s.yaml");
    std::fs::write(&broken, "edition: 1.0.0\nservices:\n  app:\n    component: fc\n    props:\n      service:\n        name: x\n      function:\n        name: f\n        timeout: later\n        codeUri: ./code\n").unwrap();
    let stderr = deploy_fails(&p, &broken);
    assert!(
        stderr
            .contains("s.yaml:10:9: services.app.props.function.timeout: expected a whole number"),
        "{stderr}"
    );
    // What the server refuses is reported at the manifest's line too.
    std::fs::write(&broken, "edition: 1.0.0\nservices:\n  app:\n    component: fc\n    props:\n      service:\n        name: x\n      function:\n        name: f\n        handler: index.handler\n        runtime: python2.7\n        codeUri: ./code\n").unwrap();
    let stderr = deploy_fails(&p, &broken);
    assert!(stderr.contains("s.yaml:8:7: services.app.props.function: POST /2016-08-15/services/x/functions: HTTP 400"), "{stderr}");
    assert_eq!(
        stderr.matches("HTTP 400").count(),
        1,
        "the cause is said once: {stderr}"
    );
}

/// Runs `deploy -f manifest`, which must fail; its stderr.
fn deploy_fails(p: &Platform, manifest: &Path) -> String {
    let out = p
        .cmd()
        .args(["deploy", "-f"])
        .arg(manifest)
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "deploying {} succeeded",
        manifest.display()
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The value of one exposition line (`name{labels} value`); 0 when absent.
fn metric(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn json_log_lines_carry_each_request_id() {
    let data = tempfile::tempdir().unwrap();
    let p = Platform::start_logging(data.path(), &["--log-format", "json"], "wasm_fc_api=debug");
    let response = ureq::get(&format!("{}/healthz", p.endpoint))
        .call()
        .unwrap();
    let request_id = response.headers()["x-fc-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    wait_for(
        || {
            p.stderr.lock().unwrap().iter().any(|line| {
                let Ok(json) = serde_json::from_str::<Value>(line) else {
                    return false;
                };
                json["span"]["request_id"] == request_id.as_str()
                    && json["span"]["path"] == "/healthz"
                    && json["fields"]["message"] == "answered"
                    && json["fields"]["status"] == 200
            })
        },
        "a JSON log line in the request's span",
    );
}

fn invoke_result(p: &Platform, target: &str) -> String {
    let out = p
        .cmd()
        .args([
            "invoke",
            target,
            "-e",
            r#"{"name":"w"}"#,
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    serde_json::from_slice::<Value>(&out.stdout)
        .map(|v| v["result"].as_str().unwrap_or_default().to_string())
        .unwrap_or_default()
}

#[test]
fn watch_redeploys_on_code_and_manifest_changes() {
    let data = tempfile::tempdir().unwrap();
    let project = tempfile::tempdir().unwrap();
    let code = project.path().join("code");
    std::fs::create_dir(&code).unwrap();
    std::fs::copy(wasm_fc_test_guests::EVENT_HELLO, code.join("index.wasm")).unwrap();
    let manifest = |greeting: &str| {
        format!(
            "edition: 1.0.0\nservices:\n  app:\n    component: fc\n    props:\n      service:\n        name: w\n      function:\n        name: f\n        handler: index.handler\n        runtime: custom\n        environmentVariables:\n          GREETING: {greeting}\n        codeUri: ./code\n"
        )
    };
    let file = project.path().join("s.yaml");
    std::fs::write(&file, manifest("one")).unwrap();
    let p = Platform::start(data.path(), &["-f", file.to_str().unwrap(), "--watch"]);
    assert!(invoke_result(&p, "w/f").contains("one, w"));
    // The manifest changes: the function is redeployed with the new environment.
    std::fs::write(&file, manifest("two")).unwrap();
    wait_for(
        || invoke_result(&p, "w/f").contains("two, w"),
        "the manifest change to be deployed",
    );
    // The code changes: the new Wasm serves (the initializer example answers `init=...`).
    let staged = project.path().join("staged.wasm");
    std::fs::copy(wasm_fc_test_guests::INITIALIZER, &staged).unwrap();
    std::fs::rename(&staged, code.join("index.wasm")).unwrap();
    wait_for(
        || invoke_result(&p, "w/f").starts_with("init="),
        "the code change to be deployed",
    );
}

#[test]
fn new_templates_build_and_deploy_as_they_are() {
    let data = tempfile::tempdir().unwrap();
    let p = Platform::start(data.path(), &[]);
    let work = tempfile::tempdir().unwrap();
    let listed = run_ok(Command::new(BIN).args(["new", "--list"]));
    assert!(
        listed.contains("event-rust") && listed.contains("http-rust"),
        "{listed}"
    );
    for (template, name) in [("http-rust", "web"), ("event-rust", "job")] {
        let dir = work.path().join(name);
        run_ok(
            Command::new(BIN)
                .args(["new", "--template", template, name, "--dir"])
                .arg(&dir),
        );
        // Share the examples' target dir, so the Rust dependencies are compiled once.
        std::os::unix::fs::symlink(examples_dir().join("target"), dir.join("target")).unwrap();
        let out = run_ok(p.cmd().args(["deploy", "-f"]).arg(dir.join("s.yaml")));
        assert!(out.contains("deployed 1 function(s)"), "{out}");
    }
    let answer = ureq::post(&format!("{}/2016-08-15/proxy/web/web/hello", p.endpoint))
        .send("world")
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    assert_eq!(answer, "hello from web: POST /hello world\n");
    let out = run_ok(p.cmd().args(["invoke", "job/job", "-e", "ping"]));
    assert!(out.contains("hello from job/job: ping"), "{out}");
    assert!(out.contains("job got 4 bytes"), "{out}");
    // Names and templates are checked.
    let bad = Command::new(BIN)
        .args(["new", "--template", "nope", "x"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("no template 'nope'"));
    let bad = Command::new(BIN).args(["new", "9lives"]).output().unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a valid FC name"));
}

#[test]
fn python_and_nodejs_templates_deploy_as_they_are() {
    let data = tempfile::tempdir().unwrap();
    let p = Platform::start_with_runtimes(data.path());
    let work = tempfile::tempdir().unwrap();
    let listed = run_ok(Command::new(BIN).args(["new", "--list"]));
    for (template, name) in [
        ("event-python", "pyjob"),
        ("http-python", "pyweb"),
        ("event-nodejs", "nodejob"),
        ("http-nodejs", "nodeweb"),
    ] {
        assert!(listed.contains(template), "{listed}");
        let dir = work.path().join(name);
        run_ok(
            Command::new(BIN)
                .args(["new", "--template", template, name, "--dir"])
                .arg(&dir),
        );
        assert!(
            !dir.join("Cargo.toml").exists(),
            "no Rust files in a {template} project"
        );
        let out = run_ok(p.cmd().args(["deploy", "-f"]).arg(dir.join("s.yaml")));
        assert!(out.contains("deployed 1 function(s)"), "{out}");
    }
    for job in ["pyjob", "nodejob"] {
        let out =
            run_ok(
                p.cmd()
                    .args(["invoke", &format!("{job}/{job}"), "-e", r#"{"name":"fc"}"#]),
            );
        assert!(out.contains("hello, fc"), "{out}");
        assert!(
            out.contains(&format!("initializing {job}")),
            "the initializer logged: {out}"
        );
    }
    for web in ["pyweb", "nodeweb"] {
        let answer: serde_json::Value = ureq::post(&format!(
            "{}/2016-08-15/proxy/{web}/{web}/hello",
            p.endpoint
        ))
        .send("world")
        .unwrap()
        .into_body()
        .read_to_string()
        .map(|text| serde_json::from_str(&text).unwrap())
        .unwrap();
        assert_eq!(answer["method"], "POST", "{answer}");
        assert_eq!(answer["path"], "/hello", "{answer}");
        assert_eq!(answer["body"], "world", "{answer}");
    }
}
