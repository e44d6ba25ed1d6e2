//! A real `wasm-fc run` on 127.0.0.1 and a client that signs like FC's SDKs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use serde_json::Value;

pub mod brokers;
pub mod nginx;
pub mod node;
pub mod postgres;
pub mod python;

pub const KEY_ID: &str = "TESTKEYID";
pub const SECRET: &str = "test-secret-0123456789";

/// A running `wasm-fc run` child process; killed on drop.
pub struct Server {
    pub child: Child,
    pub endpoint: String,
    pub data_dir: PathBuf,
    /// The embedded object store's URL (tests run it on a free port).
    pub oss_endpoint: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `wasm-fc run` on 127.0.0.1:`port` over `data_dir`, not started, without the
/// Python and Node.js runtimes (see [`start_with_runtimes`]). Tests pass port 0
/// and read the bound address back ([`spawn`]).
pub fn run_command(port: u16, data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wasm-fc"));
    cmd.args([
        "run",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--oss-listen",
        "127.0.0.1:0",
        "--data-dir",
    ])
    .arg(data_dir)
    .env("WASM_FC_NO_RUNTIMES", "1");
    // The suite switch (`WASM_FC_TEST_STORE=postgres`): the same tests on
    // PostgreSQL. A test that names its own store overrides it.
    if let Some(url) = postgres::suite_store_for(data_dir) {
        cmd.env("WASM_FC_STORE", url);
    }
    cmd
}

/// The runtimes every test server shares: `target/wasm-fc-runtimes`, built by
/// the real `wasm-fc runtimes install` on first use (a file lock makes parallel
/// test binaries wait for one build).
pub fn runtimes_dir() -> PathBuf {
    static INSTALLED: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| {
            let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/wasm-fc-runtimes");
            let output = Command::new(env!("CARGO_BIN_EXE_wasm-fc"))
                .args(["runtimes", "install", "--runtimes-dir"])
                .arg(&dir)
                .output()
                .expect("run wasm-fc runtimes install");
            assert!(
                output.status.success(),
                "wasm-fc runtimes install failed (needs python3-venv, node and npm):\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            dir
        })
        .clone()
}

/// Starts the real binary on port 0 over `data_dir`, reads the address it
/// bound from its banner, and waits for /healthz.
pub fn start(data_dir: &Path) -> Server {
    spawn(run_command(0, data_dir), 0, data_dir)
}

/// Like [`start`], with extra `wasm-fc run` flags.
pub fn start_with_args(data_dir: &Path, args: &[&str]) -> Server {
    let mut command = run_command(0, data_dir);
    command.args(args);
    spawn(command, 0, data_dir)
}

/// Like [`start`], with the Python and Node.js runtimes (installed on first use).
pub fn start_with_runtimes(data_dir: &Path) -> Server {
    let mut command = run_command(0, data_dir);
    command
        .env_remove("WASM_FC_NO_RUNTIMES")
        .env("WASM_FC_RUNTIMES_DIR", runtimes_dir());
    spawn(command, 0, data_dir)
}

#[allow(clippy::zombie_processes)] // `Server`'s Drop kills and waits for the child
pub fn spawn(mut command: Command, port: u16, data_dir: &Path) -> Server {
    let mut child = command
        .env("WASM_FC_ACCESS_KEY_ID", KEY_ID)
        .env("WASM_FC_ACCESS_KEY_SECRET", SECRET)
        .env("WASM_FC_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn wasm-fc");
    let stdout = child.stdout.take().unwrap();
    // The banner names the address the server bound (port 0 is any free port).
    let (bound_tx, bound_rx) = std::sync::mpsc::channel();
    let (oss_tx, oss_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some((_, endpoint)) = line.split_once(" serving FC 2.0 at ") {
                // Bound to every address: connect on loopback.
                let endpoint = endpoint.trim().replace("://0.0.0.0:", "://127.0.0.1:");
                let _ = bound_tx.send(endpoint);
            }
            if let Some((_, endpoint)) = line.split_once(" serving OSS (S3) at ") {
                let _ = oss_tx.send(endpoint.trim().to_string());
            }
        }
    });
    let endpoint = if port == 0 {
        bound_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("wasm-fc printed no banner with its address")
    } else {
        format!("http://127.0.0.1:{port}")
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ureq::get(&format!("{endpoint}/healthz")).call().is_ok() {
            // The banner prints the object store's line right after the API's.
            let oss_endpoint = if port == 0 {
                oss_rx.recv_timeout(Duration::from_secs(5)).ok()
            } else {
                None
            };
            return Server {
                child,
                endpoint,
                data_dir: data_dir.to_path_buf(),
                oss_endpoint,
            };
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("wasm-fc did not become healthy");
}

/// A response: status, headers we care about, body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends an FC-signed request (the Python SDK's way: content-type always json).
pub fn call(
    server: &Server,
    method: &str,
    path: &str,
    extra_headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    call_as(
        server,
        method,
        path,
        extra_headers,
        body,
        KEY_ID,
        SECRET,
        SystemTime::now(),
    )
}

#[allow(clippy::too_many_arguments)]
pub fn call_as(
    server: &Server,
    method: &str,
    path: &str,
    extra_headers: &[(&str, &str)],
    body: &[u8],
    key: &str,
    secret: &str,
    at: SystemTime,
) -> Reply {
    let credentials = wasm_fc_api::control::credentials::Credentials {
        access_key_id: key.to_string(),
        access_key_secret: secret.to_string(),
    };
    let headers =
        wasm_fc_api::client::signed_headers(&credentials, method, path, extra_headers, at);
    raw(server, method, path, &headers, body)
}

/// Sends a request exactly as given (no signing).
pub fn raw(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Reply {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let url = format!("{}{path}", server.endpoint);
    let mut builder = http::Request::builder().method(method).uri(&url);
    for (k, v) in headers {
        builder = builder.header(k, v);
    }
    let request = builder.body(body.to_vec()).unwrap();
    let response = agent.run(request).unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let body = response.into_body().read_to_vec().unwrap();
    Reply {
        status,
        headers,
        body,
    }
}

/// A zip holding the given guest under `name`, base64-encoded.
pub fn zip_base64(guest: &str, name: &str) -> String {
    zip_files(&[(name.to_string(), wasm_fc_test_guests::bytes(guest))])
}

/// A zip of (path, bytes) entries, base64-encoded.
pub fn zip_files(files: &[(String, Vec<u8>)]) -> String {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        for (name, bytes) in files {
            w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap();
    }
    base64::engine::general_purpose::STANDARD.encode(buf.into_inner())
}

/// Every file under `dir` as (path relative to `dir`, bytes), for [`zip_files`].
pub fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.push((relative, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

pub fn function_body(name: &str, guest: &str, extra: Value) -> Vec<u8> {
    let mut body = serde_json::json!({
        "functionName": name, "runtime": "custom", "handler": "index.handler",
        "code": { "zipFile": zip_base64(guest, "index.wasm") },
    });
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    serde_json::to_vec(&body).unwrap()
}

/// The log of each invocation of `function`, oldest first (`/_wasm-fc/logs`).
pub fn invocation_logs(s: &Server, svc: &str, function: &str) -> Vec<String> {
    let reply = ok(call(
        s,
        "GET",
        &format!("/_wasm-fc/logs/{svc}/{function}"),
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

/// The JSON after `event ` on each log line of `function`, oldest first: what
/// the event-logging guests (`OSS_HANDLER`) got, one per invocation.
pub fn logged_events(s: &Server, svc: &str, function: &str) -> Vec<Value> {
    invocation_logs(s, svc, function)
        .iter()
        .flat_map(|log| {
            log.lines()
                .filter_map(|line| line.split_once("event ").map(|(_, json)| json.to_string()))
                .collect::<Vec<_>>()
        })
        .filter_map(|json| serde_json::from_str::<Value>(&json).ok())
        .collect()
}

/// A `/metrics` sample's value, by the start of its line (0 when absent).
pub fn metric(s: &Server, series: &str) -> f64 {
    let text = ureq::get(&format!("{}/metrics", s.endpoint))
        .call()
        .unwrap()
        .into_body()
        .read_to_string()
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(series))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Polls `check` every 100 ms for up to 60 s (event delivery, brokers).
pub fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}");
}

/// A test that needs `what` and cannot have it: one loud skip line, or a
/// failure under `WASM_FC_REQUIRE_SERVICES=1` (CI).
pub fn skip(test: &str, what: &str) {
    assert!(
        std::env::var("WASM_FC_REQUIRE_SERVICES").as_deref() != Ok("1"),
        "{test}: {what}, and WASM_FC_REQUIRE_SERVICES=1 requires it"
    );
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test}: {what} (WASM_FC_REQUIRE_SERVICES=1 makes this a failure)"
    );
}

/// Service `svc` with a function `f` running the event logger
/// (`OSS_HANDLER`: logs `event <json>`, returns it) with `env`.
pub fn deploy_logger(s: &Server, svc: &str, env: Value) {
    create_service(s, svc, serde_json::json!({}));
    ok(call(
        s,
        "POST",
        &format!("{P}/services/{svc}/functions"),
        &[],
        &function_body(
            "f",
            wasm_fc_test_guests::OSS_HANDLER,
            serde_json::json!({ "environmentVariables": env }),
        ),
    ));
}

/// Polls `check` every 50 ms for up to 30 s.
pub fn wait_for(check: impl Fn() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if check() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("timed out waiting: {what}");
}

/// The API prefix of FC 2.0.
pub const P: &str = "/2016-08-15";

/// Asserts a 200 and passes the reply on.
pub fn ok(reply: Reply) -> Reply {
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply
}

/// CreateService with `extra` fields; must succeed.
pub fn create_service(s: &Server, name: &str, extra: Value) {
    let mut body = serde_json::json!({ "serviceName": name });
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    ok(call(
        s,
        "POST",
        &format!("{P}/services"),
        &[],
        body.to_string().as_bytes(),
    ));
}

/// CreateTrigger; the reply is the caller's to check.
pub fn create_trigger(s: &Server, svc: &str, func: &str, body: Value) -> Reply {
    call(
        s,
        "POST",
        &format!("{P}/services/{svc}/functions/{func}/triggers"),
        &[],
        body.to_string().as_bytes(),
    )
}

/// An unsigned request with the given headers.
pub fn unsigned(
    s: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    raw(s, method, path, &headers, body)
}
