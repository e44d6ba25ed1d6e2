//! Deploys under pressure, end to end on a real `wasm-fc run` (issue 15):
//! item 2, concurrent deploys of identical code compile once and never leave a
//! short artifact; item 14, a tiny upload that declares a huge module is
//! refused with a 400 naming the limit, before any compile.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use common::*;
use serde_json::json;

/// The engine's compile counter (`/_wasm-fc/stats`).
fn compiles(s: &Server) -> u64 {
    let stats = unsigned(s, "GET", "/_wasm-fc/stats", &[], b"").json();
    stats["compiles"]
        .as_u64()
        .unwrap_or_else(|| panic!("no compiles in {stats}"))
}

/// `wasm_fc_compile_duration_seconds_count` from `/metrics`.
fn compile_histogram_count(s: &Server) -> u64 {
    let text = unsigned(s, "GET", "/metrics", &[], b"").text();
    text.lines()
        .find_map(|line| line.strip_prefix("wasm_fc_compile_duration_seconds_count "))
        .unwrap_or_else(|| panic!("no compile histogram in /metrics:\n{text}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn twenty_concurrent_creates_of_identical_code_compile_once_and_all_run() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "race", json!({}));
    let (before, histogram_before) = (compiles(&s), compile_histogram_count(&s));
    // One package shared by 20 functions: the same zip, so the same Wasm.
    let zip = zip_base64(wasm_fc_test_guests::EVENT_HELLO, "index.wasm");
    let n = 20;
    let start_line = std::sync::Barrier::new(n);
    let replies: Vec<Reply> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (s, zip, start_line) = (&s, &zip, &start_line);
                scope.spawn(move || {
                    let body = json!({
                        "functionName": format!("f{i}"), "runtime": "custom",
                        "handler": "index.handler", "code": { "zipFile": zip },
                    });
                    start_line.wait();
                    call(
                        s,
                        "POST",
                        &format!("{P}/services/race/functions"),
                        &[],
                        body.to_string().as_bytes(),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for (i, reply) in replies.iter().enumerate() {
        assert_eq!(reply.status, 200, "CreateFunction f{i}: {}", reply.text());
    }
    assert_eq!(
        compiles(&s) - before,
        1,
        "20 deploys of one code share one compile"
    );
    assert_eq!(compile_histogram_count(&s) - histogram_before, 1);
    let artifacts: Vec<(String, u64)> = std::fs::read_dir(dir.path().join("artifacts"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, e.metadata().unwrap().len())
        })
        .collect();
    assert!(!artifacts.is_empty());
    assert!(
        artifacts
            .iter()
            .all(|(name, len)| *len > 0 && name.ends_with(".cwasm")),
        "no empty artifact and no temp file is left: {artifacts:?}"
    );
    for i in 0..n {
        let r = call(
            &s,
            "POST",
            &format!("{P}/services/race/functions/f{i}/invocations"),
            &[],
            br#"{"name":"race"}"#,
        );
        assert_eq!(r.status, 200, "invoking f{i}: {}", r.text());
        assert_eq!(r.header("x-fc-error-type"), None, "f{i}: {}", r.text());
    }
}

/// The issue's probe: a core module of `n` empty `() -> ()` functions.
fn empty_functions(n: u32) -> Vec<u8> {
    wasm_fc_test_guests::synthetic::module(n, 0, 0)
}

#[test]
fn a_tiny_zip_declaring_200k_functions_is_a_400_naming_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path());
    create_service(&s, "bomb", json!({}));
    let before = compiles(&s);
    let zip = zip_files(&[("index.wasm".to_string(), empty_functions(200_000))]);
    assert!(
        zip.len() < 16 << 10,
        "the probe is a small upload: {} bytes",
        zip.len()
    );
    let body = json!({
        "functionName": "bomb", "runtime": "custom", "handler": "index.handler",
        "code": { "zipFile": zip },
    });
    let r = call(
        &s,
        "POST",
        &format!("{P}/services/bomb/functions"),
        &[],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let error = r.json();
    assert_eq!(error["ErrorCode"], "InvalidArgument", "{error}");
    let message = error["ErrorMessage"].as_str().unwrap_or_default();
    assert!(
        message
            .contains("the module declares 200000 functions; the limit is 100000 (max_functions)"),
        "{message}"
    );
    assert_eq!(compiles(&s), before, "refused before compiling");
    let r = call(
        &s,
        "GET",
        &format!("{P}/services/bomb/functions/bomb"),
        &[],
        b"",
    );
    assert_eq!(
        r.status,
        404,
        "a refused function is not created: {}",
        r.text()
    );
}
