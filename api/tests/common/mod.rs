//! A real `wasm-fc run` on 127.0.0.1 and a client that signs like FC's SDKs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use serde_json::Value;

pub const KEY_ID: &str = "TESTKEYID";
pub const SECRET: &str = "test-secret-0123456789";

/// A running `wasm-fc run` child process; killed on drop.
pub struct Server {
    pub child: Child,
    pub endpoint: String,
    pub data_dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `wasm-fc run` on 127.0.0.1:`port` over `data_dir`, not started.
pub fn run_command(port: u16, data_dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wasm-fc"));
    cmd.args([
        "run",
        "--listen",
        &format!("127.0.0.1:{port}"),
        "--data-dir",
    ])
    .arg(data_dir);
    cmd
}

/// Starts the real binary on a free port over `data_dir` and waits for /healthz.
#[allow(clippy::zombie_processes)] // `Server`'s Drop kills and waits for the child
pub fn start(data_dir: &Path) -> Server {
    let port = free_port();
    let mut child = run_command(port, data_dir)
        .env("WASM_FC_ACCESS_KEY_ID", KEY_ID)
        .env("WASM_FC_ACCESS_KEY_SECRET", SECRET)
        .env("WASM_FC_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn wasm-fc");
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || for _line in BufReader::new(stdout).lines() {});
    let endpoint = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if ureq::get(&format!("{endpoint}/healthz")).call().is_ok() {
            return Server {
                child,
                endpoint,
                data_dir: data_dir.to_path_buf(),
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
    let credentials = wasm_fc_api::credentials::Credentials {
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

/// A zip holding `index.wasm` = the given guest, base64-encoded.
pub fn zip_base64(guest: &str, name: &str) -> String {
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        w.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(&wasm_fc_test_guests::bytes(guest)).unwrap();
        w.finish().unwrap();
    }
    base64::engine::general_purpose::STANDARD.encode(buf.into_inner())
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
