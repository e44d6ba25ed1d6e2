//! The runtime builds' lifecycle on the real `wasm-fc run`, with a runtimes dir
//! of the test's own and a fake `python3` that never finishes (so nothing is
//! downloaded, and the build is "in progress" for as long as the test needs):
//!
//! - `/readyz` waits only for the runtimes a deployed function needs;
//! - a build's processes die with the `wasm-fc` that started them, even on
//!   SIGKILL, and what they leave is cleaned up by the next start.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use common::*;
use serde_json::{Value, json};

/// A runtimes dir, a PATH whose `python3` runs `script` (and which has no npm),
/// and, when dropped, no process left that builds into that dir.
struct Sandbox {
    _root: tempfile::TempDir,
    runtimes: PathBuf,
    bin: PathBuf,
}

impl Sandbox {
    fn new(script: &str) -> Self {
        let root = tempfile::tempdir().unwrap();
        let runtimes = root.path().join("runtimes");
        let bin = root.path().join("bin");
        std::fs::create_dir_all(&runtimes).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        let python = bin.join("python3");
        std::fs::write(&python, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
        Self {
            _root: root,
            runtimes,
            bin,
        }
    }

    /// `wasm-fc run` over `data_dir` with the runtimes on, building into this sandbox.
    fn start(&self, data_dir: &Path) -> Server {
        let mut command = run_command(0, data_dir);
        command
            .env_remove("WASM_FC_NO_RUNTIMES")
            .env("WASM_FC_RUNTIMES_DIR", &self.runtimes)
            .env("PATH", format!("{}:/usr/bin:/bin", self.bin.display()));
        spawn(command, 0, data_dir)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        // Whatever a failed assertion left running (e.g. a grandchild `sleep`).
        for pid in marked_processes(&self.runtimes) {
            let _ = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status();
        }
    }
}

/// (pid, parent pid, state) of every process.
fn processes() -> Vec<(u32, u32, char)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: comm may hold spaces and parentheses.
        let Some((_, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let mut fields = rest.split_whitespace();
        let state = fields.next().and_then(|s| s.chars().next()).unwrap_or('?');
        let ppid = fields.next().and_then(|s| s.parse().ok()).unwrap_or(0);
        out.push((pid, ppid, state));
    }
    out
}

/// Whether `pid` runs (a zombie waiting for its reaper does not).
fn alive(pid: u32) -> bool {
    processes()
        .iter()
        .any(|(p, _, state)| *p == pid && *state != 'Z')
}

fn children_of(pid: u32) -> Vec<u32> {
    processes()
        .into_iter()
        .filter(|(_, ppid, state)| *ppid == pid && *state != 'Z')
        .map(|(p, _, _)| p)
        .collect()
}

/// Processes whose environment says they build into `runtimes`.
fn marked_processes(runtimes: &Path) -> Vec<u32> {
    let marker = format!(
        "{}={}",
        wasm_fc_api::control::runtimes::BUILD_MARKER,
        runtimes.display()
    );
    processes()
        .into_iter()
        .filter(|(_, _, state)| *state != 'Z')
        .filter(|(pid, _, _)| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .map(|env| env.split(|b| *b == 0).any(|var| var == marker.as_bytes()))
                .unwrap_or(false)
        })
        .map(|(pid, _, _)| pid)
        .collect()
}

fn readyz(s: &Server) -> (u16, Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut reply = agent.get(&format!("{}/readyz", s.endpoint)).call().unwrap();
    let status = reply.status().as_u16();
    let body = reply.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&body).unwrap_or(Value::Null))
}

#[test]
fn a_wasm_only_platform_is_ready_while_the_runtimes_build() {
    let sandbox = Sandbox::new("exec sleep 600");
    let data = tempfile::tempdir().unwrap();
    let s = sandbox.start(data.path());
    create_service(&s, "wasm", json!({}));
    ok(call(
        &s,
        "POST",
        &format!("{P}/services/wasm/functions"),
        &[],
        &function_body("hello", wasm_fc_test_guests::EVENT_HELLO, json!({})),
    ));
    wait_for(|| readyz(&s).0 == 200, "/readyz answers 200");
    assert_eq!(readyz(&s), (200, json!({ "ready": true })));
    // The Python runtime is still being built (the fake python3 runs).
    let server_pid = s.child.id();
    assert!(
        !children_of(server_pid).is_empty(),
        "the runtime build is still in progress"
    );
}

#[test]
fn a_platform_with_a_python_function_waits_for_python() {
    let sandbox = Sandbox::new("exec sleep 600");
    let data = tempfile::tempdir().unwrap();
    {
        // A Python function deployed before this start (as after a restart).
        use wasm_fc_api::control::store::{Kind, Store as _};
        let store =
            wasm_fc_api::control::store::sqlite::SqliteStore::open(&data.path().join("wasm-fc.db"))
                .unwrap();
        store
            .transaction(&mut |tx| {
                tx.insert(Kind::Service, "", "py", &json!({ "serviceName": "py" }))?;
                tx.insert(
                    Kind::Function,
                    "py",
                    "f",
                    &json!({ "functionName": "f", "runtime": "python3.9", "handler": "index.handler" }),
                )
            })
            .unwrap();
    }
    let s = sandbox.start(data.path());
    wait_for(
        || {
            readyz(&s)
                == (
                    503,
                    json!({ "ready": false, "waiting": ["runtime python"] }),
                )
        },
        "/readyz waits for the Python runtime only",
    );
}

#[test]
fn a_build_dies_with_its_wasm_fc_and_the_next_start_cleans_up() {
    // The fake python3 starts a grandchild too, as pip and npm do.
    let sandbox = Sandbox::new("sleep 600 &\nwait");
    // What a killed build leaves: a build dir.
    let stale = sandbox.runtimes.join("build-python-999999");
    std::fs::create_dir_all(stale.join("src")).unwrap();
    let data = tempfile::tempdir().unwrap();
    let mut first = sandbox.start(data.path());
    let server_pid = first.child.id();
    wait_for(
        || {
            children_of(server_pid)
                .iter()
                .any(|child| !children_of(*child).is_empty())
        },
        "wasm-fc runs the build tool, and it runs a child",
    );
    let build = children_of(server_pid);
    let grandchildren: Vec<u32> = build.iter().flat_map(|c| children_of(*c)).collect();
    assert!(
        !stale.exists(),
        "the start removed the stale build dir under the install lock"
    );

    first.child.kill().unwrap(); // SIGKILL: no chance to clean up
    first.child.wait().unwrap();
    wait_for(
        || build.iter().all(|pid| !alive(*pid)),
        "the build tool died with its wasm-fc",
    );

    // The next start (same runtimes dir) takes the install lock and kills what
    // the tool's own children left, then builds again.
    let second = sandbox.start(data.path());
    wait_for(
        || grandchildren.iter().all(|pid| !alive(*pid)),
        "the next start killed the orphaned grandchildren",
    );
    let leftover_dirs: Vec<String> = std::fs::read_dir(&sandbox.runtimes)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with("build-"))
        .collect();
    assert_eq!(leftover_dirs, Vec::<String>::new());
    drop(second);
}
