//! The Python venv of the real-client tests (`aliyun-fc2`, boto3, the AWS
//! CLI from PyPI): `target/python-venv`, created on first use from
//! `tests/python/requirements.txt`, so `cargo test --workspace` alone is
//! enough on a fresh machine.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The venv, created or updated when the requirements changed.
pub fn venv() -> PathBuf {
    // One creation at a time: the tests in this binary run in parallel.
    static CREATING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = CREATING.lock().unwrap_or_else(|p| p.into_inner());
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

/// Runs the pytest suite `tests/python/{suite}` with `env`, printing its
/// report, and fails the test unless it ran tests and all of them passed.
pub fn pytest(suite: &str, env: &[(&str, &std::ffi::OsStr)]) {
    let mut command = Command::new(venv().join("bin/python"));
    command
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(script(suite));
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("run pytest");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(output.status.success(), "{suite} failed:\n{report}");
    assert!(report.contains(" passed"), "pytest ran tests:\n{report}");
}

/// A file under `api/tests/python`.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}
