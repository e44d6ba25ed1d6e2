//! Runs the official Python SDK (`aliyun-fc2` from PyPI) against a real
//! `wasm-fc run`. The venv lives in `target/python-venv` and is created on
//! first use, so `cargo test --workspace` alone is enough on a fresh machine.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

fn venv() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let venv = root.join("target").join("python-venv");
    let requirements = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/requirements.txt");
    let stamp = venv.join("requirements.installed");
    let wanted = std::fs::read_to_string(&requirements).unwrap();
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return venv;
    }
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 is needed for the SDK tests");
    assert!(status.success(), "creating the venv failed");
    let status = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(&requirements)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "installing {} failed",
        requirements.display()
    );
    std::fs::write(&stamp, wanted).unwrap();
    venv
}

#[test]
fn the_official_python_sdk_walks_the_api() {
    let venv = venv();
    let data = tempfile::tempdir().unwrap();
    let nas = tempfile::tempdir().unwrap();
    let server = common::start(data.path());
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/test_fc2.py");
    let output = Command::new(venv.join("bin/python"))
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(&tests)
        .env("WASM_FC_ENDPOINT", &server.endpoint)
        .env("WASM_FC_KEY_ID", common::KEY_ID)
        .env("WASM_FC_KEY_SECRET", common::SECRET)
        .env("GUEST_EVENT_HELLO", wasm_fc_test_guests::EVENT_HELLO)
        .env("GUEST_HTTP_HELLO", wasm_fc_test_guests::HTTP_HELLO)
        .env("GUEST_HOSTILE", wasm_fc_test_guests::HOSTILE)
        .env("NAS_DIR", nas.path())
        .output()
        .unwrap();
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(
        output.status.success(),
        "the aliyun-fc2 suite failed:\n{report}"
    );
    assert!(report.contains(" passed"), "pytest ran tests:\n{report}");
}
