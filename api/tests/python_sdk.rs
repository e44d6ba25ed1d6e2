//! Runs the official Python SDK (`aliyun-fc2` from PyPI) against a real
//! `wasm-fc run`. The venv lives in `target/python-venv` and is created on
//! first use, so `cargo test --workspace` alone is enough on a fresh machine.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

#[test]
fn the_official_python_sdk_walks_the_api() {
    let data = tempfile::tempdir().unwrap();
    let server = common::start(data.path());
    walk_the_api(&server.endpoint);
}

/// Issue 17: the same suite through nginx (from Debian) in front of three
/// nodes sharing one PostgreSQL database: every call may land on any node.
#[test]
fn the_official_python_sdk_walks_the_api_through_nginx_in_front_of_three_nodes() {
    let test = "the_official_python_sdk_walks_the_api_through_nginx";
    let Some(db) = common::postgres::Database::create(test) else {
        return;
    };
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let nodes: Vec<common::Server> = dirs
        .iter()
        .map(|d| common::start_with_args(d.path(), &["--store", &db.url]))
        .collect();
    let upstreams: Vec<&str> = nodes.iter().map(|n| n.endpoint.as_str()).collect();
    let Some(balancer) = common::nginx::start(test, &upstreams) else {
        return;
    };
    walk_the_api(&balancer.endpoint);
    // The calls were spread: nginx sent some to every node.
    let used = balancer.upstreams_used();
    for node in &nodes {
        let address = node.endpoint.trim_start_matches("http://");
        assert!(
            used.contains(address),
            "nginx sent nothing to {address}: {used:?}"
        );
    }
}

/// Runs `tests/python/test_fc2.py` (pytest, the official `aliyun-fc2` SDK)
/// against `endpoint`.
fn walk_the_api(endpoint: &str) {
    let nas = tempfile::tempdir().unwrap();
    let os = |s: &str| std::ffi::OsStr::new(s).to_os_string();
    let env = [
        ("WASM_FC_ENDPOINT", os(endpoint)),
        ("WASM_FC_KEY_ID", os(common::KEY_ID)),
        ("WASM_FC_KEY_SECRET", os(common::SECRET)),
        ("GUEST_EVENT_HELLO", os(wasm_fc_test_guests::EVENT_HELLO)),
        ("GUEST_HTTP_HELLO", os(wasm_fc_test_guests::HTTP_HELLO)),
        ("GUEST_HOSTILE", os(wasm_fc_test_guests::HOSTILE)),
        ("NAS_DIR", nas.path().as_os_str().to_os_string()),
    ];
    let env: Vec<(&str, &std::ffi::OsStr)> = env.iter().map(|(k, v)| (*k, v.as_os_str())).collect();
    common::python::pytest("test_fc2.py", &env);
}
