//! The servers under comparison: how to install, start, probe and stop each.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

/// The wasmtime-cli version compared against: the wasmtime wasm-fc embeds.
pub const WASMTIME_VERSION: &str = "48.0.8";

/// How long a server may take to answer its first request.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// One server configuration.
#[derive(Debug)]
pub struct Server {
    pub name: &'static str,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    /// The path wrk requests.
    pub path: &'static str,
    /// A path that answers 200 once the server is ready to serve `path`
    /// (wasm-fc's `/readyz`, after its manifest is deployed).
    ready: Option<&'static str>,
    port: u16,
    log: PathBuf,
}

/// A started server.
#[derive(Debug)]
pub struct Running {
    pub name: &'static str,
    pub pid: u32,
    pub url: String,
    child: Child,
}

/// `<root>/bin/wasmtime` at [`WASMTIME_VERSION`], installed from crates.io when
/// missing (a one-time build of several minutes, kept for later runs).
pub fn ensure_wasmtime(root: &Path) -> anyhow::Result<PathBuf> {
    let wasmtime = root.join("bin").join("wasmtime");
    let installed = Command::new(&wasmtime)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).contains(WASMTIME_VERSION))
        .unwrap_or(false);
    if installed {
        return Ok(wasmtime);
    }
    eprintln!(
        "installing wasmtime-cli {WASMTIME_VERSION} into {} (once; several minutes)",
        root.display()
    );
    let started = Instant::now();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "install",
            "wasmtime-cli",
            "--locked",
            "--version",
            WASMTIME_VERSION,
        ])
        .arg("--root")
        .arg(root)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .status()
        .context("running cargo install")?;
    if !status.success() {
        bail!("cargo install wasmtime-cli {WASMTIME_VERSION} failed");
    }
    eprintln!("installed in {:.0} s", started.elapsed().as_secs_f64());
    Ok(wasmtime)
}

/// Every server, in the order each round runs them.
pub fn all(
    bin_dir: &Path,
    wasmtime: &Path,
    component: &Path,
    work: &Path,
    port: u16,
) -> anyhow::Result<Vec<Server>> {
    let addr = format!("127.0.0.1:{port}");
    let component = component.display().to_string();
    let serve = |name: &'static str, extra: &[&str]| {
        let mut args = vec!["serve".to_string(), "-S".into(), "cli".into()];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.extend(["--addr".into(), addr.clone(), component.clone()]);
        Server {
            name,
            program: wasmtime.to_path_buf(),
            args,
            env: Vec::new(),
            path: "/",
            ready: None,
            port,
            log: work.join(format!("{name}.log")),
        }
    };
    let manifest = write_manifest(work, &component)?;
    let wasm_fc = |name: &'static str, reuse: &str| Server {
        name,
        program: bin_dir.join("wasm-fc"),
        args: vec![
            "run".into(),
            "--listen".into(),
            addr.clone(),
            "--data-dir".into(),
            work.join(format!("{name}-data")).display().to_string(),
            "--no-runtimes".into(),
            "--max-instance-reuse-count".into(),
            reuse.into(),
            "-f".into(),
            manifest.display().to_string(),
        ],
        // As a user runs it: default log level, guest logs echoed.
        env: Vec::new(),
        path: "/2016-08-15/proxy/bench/hello/",
        ready: Some("/readyz"),
        port,
        log: work.join(format!("{name}.log")),
    };
    Ok(vec![
        Server {
            name: "hyper",
            program: bin_dir.join("hyper-hello"),
            args: vec![addr.clone()],
            env: Vec::new(),
            path: "/",
            ready: None,
            port,
            log: work.join("hyper.log"),
        },
        serve("serve", &[]),
        serve("serve-reuse", &["--max-instance-reuse-count", "128"]),
        wasm_fc("wasm-fc", "10000"),
        wasm_fc("wasm-fc-fresh", "1"),
    ])
}

/// The manifest deploying the hello component behind an anonymous HTTP trigger.
fn write_manifest(work: &Path, component: &str) -> anyhow::Result<PathBuf> {
    let manifest = work.join("s.yaml");
    std::fs::write(
        &manifest,
        format!(
            "edition: 1.0.0\n\
             name: http-compare\n\
             services:\n  \
               hello:\n    \
                 component: fc\n    \
                 props:\n      \
                   region: local\n      \
                   service:\n        \
                     name: bench\n        \
                     internetAccess: false\n      \
                   function:\n        \
                     name: hello\n        \
                     runtime: custom\n        \
                     handler: index.handler\n        \
                     memorySize: 128\n        \
                     timeout: 5\n        \
                     codeUri: {component}\n      \
                   triggers:\n        \
                     - name: http\n          \
                       type: http\n          \
                       config:\n            \
                         authType: anonymous\n            \
                         methods: [GET]\n"
        ),
    )?;
    Ok(manifest)
}

impl Server {
    /// Starts the server (pinned to CPU 0 when `pin`) and waits until it
    /// answers `200 hello`.
    pub fn start(&self, pin: bool) -> anyhow::Result<Running> {
        let log = std::fs::File::create(&self.log)?;
        let mut command = if pin {
            let mut c = Command::new("taskset");
            c.args(["-c", "0"]).arg(&self.program);
            c
        } else {
            Command::new(&self.program)
        };
        command
            .args(&self.args)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log);
        let child = command
            .spawn()
            .with_context(|| format!("spawning {}", self.program.display()))?;
        let mut running = Running {
            name: self.name,
            pid: child.id(),
            url: format!("http://127.0.0.1:{}{}", self.port, self.path),
            child,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let ready = self
                .ready
                .is_none_or(|ready| matches!(get(self.port, ready), Ok((200, _))));
            let probe = if ready {
                get(self.port, self.path)
            } else {
                Err(std::io::Error::other("not ready"))
            };
            match probe {
                Ok((200, body)) if body == "hello" => return Ok(running),
                Ok((status, body)) => {
                    running.stop_quietly();
                    bail!(
                        "{} answered {status} {body:?}, not 200 \"hello\"",
                        self.name
                    )
                }
                Err(_) if Instant::now() < deadline => {
                    if let Ok(Some(status)) = running.child.try_wait() {
                        bail!(
                            "{} exited with {status}; its log: {}",
                            self.name,
                            self.log.display()
                        );
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => {
                    running.stop_quietly();
                    bail!(
                        "{} did not answer within {START_TIMEOUT:?}: {e}; its log: {}",
                        self.name,
                        self.log.display()
                    )
                }
            }
        }
    }
}

impl Running {
    pub fn stop(mut self) {
        self.stop_quietly();
    }

    fn stop_quietly(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `GET` on a fresh connection: (status, body).
fn get(port: u16, path: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(head, body)| dechunk(head, body))
        .unwrap_or_default();
    Ok((status, body))
}

/// The body of a response that may be chunked (`wasmtime serve` streams).
fn dechunk(head: &str, body: &str) -> String {
    if !head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        return body.to_string();
    }
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}
