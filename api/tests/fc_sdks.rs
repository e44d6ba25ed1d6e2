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

/// Runs `node --test tests/node/sdk/{file}` with the SDK packages on NODE_PATH.
fn node_test(file: &str, env: &[(&str, OsString)]) {
    let mut env = env.to_vec();
    env.push((
        "NODE_PATH",
        common::node::packages("node/sdk", "node-sdk").into(),
    ));
    common::node::run("node/sdk", file, &env);
}
