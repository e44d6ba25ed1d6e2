#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Issue 21: every FC client works against the same `wasm-fc run`. The FC OpenAPI SDKs
//! (`alibabacloud_fc_open20210406`, `alibabacloud_fc20230330`, PyPI; ACS3-HMAC-SHA256 and the
//! older `acs AK:signature`) walk the API, with the same functions seen through every
//! generation of client (`aliyun-fc2` too), and the Node.js SDKs from npm (`@alicloud/fc2`,
//! `@alicloud/fc20230330`). The Python venv is `target/python-venv` (tests/python/
//! requirements.txt); the npm packages go to `target/node-sdk` (tests/node/sdk/package.json
//! and its lock), both installed on first use.

mod common;

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The environment every SDK suite reads: the server and the guests to deploy.
fn sdk_env(server: &common::Server) -> Vec<(&'static str, OsString)> {
    vec![
        ("WASM_FC_ENDPOINT", OsString::from(&server.endpoint)),
        ("WASM_FC_KEY_ID", OsString::from(common::KEY_ID)),
        ("WASM_FC_KEY_SECRET", OsString::from(common::SECRET)),
        (
            "GUEST_EVENT_HELLO",
            OsString::from(wasm_fc_test_guests::EVENT_HELLO),
        ),
        (
            "GUEST_HTTP_HELLO",
            OsString::from(wasm_fc_test_guests::HTTP_HELLO),
        ),
    ]
}

fn pytest_against_a_server(suite: &str) {
    let data = tempfile::tempdir().unwrap();
    let server = common::start(data.path());
    let env = sdk_env(&server);
    let env: Vec<(&str, &OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    common::python::pytest(suite, &env);
}

/// `alibabacloud_fc_open20210406`: CRUD with paging, invoke (sync, async, log tail,
/// qualifier), versions, aliases, triggers with `triggerConfig` as a string, the async
/// invoke config, layers, GetFunctionCode, errors and 501s, and the `v2` signature.
#[test]
fn the_fc_open20210406_python_sdk_walks_the_api() {
    pytest_against_a_server("test_fc_open20210406.py");
}

/// `alibabacloud_fc20230330`: FC 3.0's top-level functions with per-function versions,
/// aliases and triggers (an HTTP trigger's own URL), the async invoke and concurrency
/// configs, layers, errors and 501s; and a function made through one generation of
/// client (2016-08-15, 2021-04-06, 2023-03-30) used through another.
#[test]
fn the_fc20230330_python_sdk_walks_the_api_and_shares_functions_with_fc2() {
    pytest_against_a_server("test_fc20230330.py");
}

/// Every operation of both OpenAPI SDKs (read from the installed SDKs' own `Params(...)`
/// blocks) is sent through `call_api` with dummy names: each is either served (a 2xx or a 4xx
/// FC error about the resource) or a 501 `NotImplemented` naming it, and the 501s are exactly
/// the ones docs/fc3.md lists, so a regressed route or an operation new in the SDK fails by name.
#[test]
fn every_operation_of_the_openapi_sdks_is_served_or_a_documented_501() {
    pytest_against_a_server("test_sdk_operations.py");
}

/// The signature fixture (tests/fixtures/acs3_vectors.json) is what the pinned SDK signs.
#[test]
fn the_acs3_fixture_is_what_the_python_sdk_signs() {
    common::python::pytest("test_acs3_vectors.py", &[]);
}

/// `@alicloud/fc2` sends `Host` without the port: GetFunctionCode's URL must still work.
#[test]
fn the_node_fc2_sdk_gets_function_code_and_invokes() {
    node_test_against_a_server("fc2_code.test.mjs");
}

#[test]
fn the_node_fc20230330_sdk_walks_a_function_lifecycle() {
    node_test_against_a_server("fc3_lifecycle.test.mjs");
}

fn node_test_against_a_server(file: &str) {
    let data = tempfile::tempdir().unwrap();
    let server = common::start(data.path());
    node_test(file, &sdk_env(&server));
}

/// The npm packages of tests/node/sdk, installed with `npm ci` into `target/node-sdk`
/// when its package.json or lock changed.
fn node_sdk() -> PathBuf {
    // One install at a time: the tests in this binary run in parallel.
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = INSTALLING.lock().unwrap_or_else(|p| p.into_inner());
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = manifest.join("tests/node/sdk");
    let dir = manifest.join("../target/node-sdk");
    let files = ["package.json", "package-lock.json"];
    let wanted: String = files
        .iter()
        .map(|f| std::fs::read_to_string(source.join(f)).unwrap())
        .collect();
    let stamp = dir.join("packages.installed");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return dir;
    }
    std::fs::create_dir_all(&dir).unwrap();
    for f in files {
        std::fs::copy(source.join(f), dir.join(f)).unwrap();
    }
    // The packages' install scripts are not needed (none builds anything on a current Node).
    let output = Command::new("npm")
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .output()
        .expect("npm is needed for the Node.js SDK tests");
    assert!(
        output.status.success(),
        "npm ci in {} failed:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::write(&stamp, wanted).unwrap();
    dir
}

/// Runs `node --test tests/node/sdk/{file}` with the packages on NODE_PATH, printing its
/// report, and fails unless tests ran, none was skipped and all passed.
fn node_test(file: &str, env: &[(&str, OsString)]) {
    let packages = node_sdk().join("node_modules");
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new("node");
    command
        .arg("--test")
        .arg(manifest.join("tests/node/sdk").join(file))
        .current_dir(manifest)
        .env("NODE_PATH", &packages);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command
        .output()
        .expect("node is needed for the Node.js SDK tests");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(output.status.success(), "{file} failed:\n{report}");
    let count = |label: &str| -> Option<u64> {
        report
            .lines()
            .find_map(|l| l.trim().strip_prefix(&format!("# {label} ")))
            .and_then(|n| n.trim().parse().ok())
    };
    assert!(
        count("pass").unwrap_or(0) > 0,
        "{file} ran no tests:\n{report}"
    );
    assert_eq!(count("fail"), Some(0), "{file}:\n{report}");
    assert_eq!(count("skipped"), Some(0), "{file} skipped tests:\n{report}");
}
