//! Runs the guest SDK's own unit and doc tests on the host, so the README's one
//! test command (`cargo test --workspace`) covers the SDK too; the SDK lives
//! outside this workspace because its real target is wasm32.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test may panic on setup failures

use std::path::Path;
use std::process::Command;

#[test]
fn guest_sdk_unit_and_doc_tests_pass() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guest-sdk/Cargo.toml");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["test", "--manifest-path"])
        .arg(&manifest)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("run cargo");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "guest-sdk tests failed:\n{report}");
    assert!(
        report.contains("Doc-tests wasm_fc_guest"),
        "doc tests ran:\n{report}"
    );
}

#[test]
fn every_guest_was_built() {
    for (name, path) in wasm_fc_test_guests::ALL {
        let bytes = wasm_fc_test_guests::bytes(path);
        assert_eq!(&bytes[..4], b"\0asm", "{name} is wasm");
    }
}
