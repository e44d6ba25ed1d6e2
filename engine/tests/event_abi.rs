//! The fc:function event world, end to end through real guests.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use common::*;
use wasm_fc_engine::{Abi, ErrorKind};

#[tokio::test]
async fn event_hello_json_in_and_out_with_log_env_and_context() {
    let h = harness();
    let mut cfg = config("hello");
    cfg.environment.insert("GREETING".into(), "hi".into());
    cfg.memory_size_mb = 256;
    let function = h.deploy(wasm_fc_test_guests::EVENT_HELLO, cfg);
    assert_eq!(function.abi(), Abi::Event);

    let outcome = function
        .invoke(r#"{"name":"ada"}"#.into(), &ctx("req-42"))
        .await
        .unwrap();
    let result: serde_json::Value = serde_json::from_str(&ok_text(&outcome)).unwrap();
    assert_eq!(result["greeting"], "hi, ada");
    assert_eq!(result["requestId"], "req-42");
    assert_eq!(result["function"], "hello");
    assert_eq!(result["service"], "test-svc");
    assert_eq!(result["qualifier"], "LATEST");
    assert_eq!(result["memorySize"], 256);
    let log = String::from_utf8_lossy(&outcome.log);
    assert!(log.contains(" req-42 [INFO] greeting ada"), "log: {log}");
    assert!(outcome.cold_start);
}

#[tokio::test]
async fn handled_errors_keep_the_instance_warm() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::EVENT_HELLO, config("hello"));
    let bad = invoke(&function, "not json").await;
    let error = bad.result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Handled);
    assert_eq!(error.error_type, "InvalidEvent");
    assert!(error.message.contains("expected"), "{error:?}");

    let good = invoke(&function, r#"{"name":"bob"}"#).await;
    assert!(ok_text(&good).contains("hello, bob"));
    assert!(!good.cold_start, "the instance survived a handled error");
    assert_eq!(good.instance_id, bad.instance_id);
}

#[tokio::test]
async fn warm_instances_keep_globals_and_the_initializer_runs_once_per_instance() {
    let h = harness();
    let mut cfg = config("init");
    cfg.initializer = Some("index.init".into());
    let function = h.deploy(wasm_fc_test_guests::INITIALIZER, cfg);
    let first = invoke(&function, "").await;
    assert!(
        ok_text(&first).starts_with("init=1 calls=1"),
        "{}",
        ok_text(&first)
    );
    assert!(
        String::from_utf8_lossy(&first.log).contains("initializer index.init ran"),
        "initializer log is part of the first call's log"
    );
    let second = invoke(&function, "").await;
    assert!(
        ok_text(&second).starts_with("init=1 calls=2"),
        "{}",
        ok_text(&second)
    );
    assert_eq!(first.instance_id, second.instance_id);
}

#[tokio::test]
async fn without_an_initializer_configured_initialize_is_not_called() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::INITIALIZER, config("no-init"));
    assert!(ok_text(&invoke(&function, "").await).starts_with("init=0 calls=1"));
}

#[tokio::test]
async fn fresh_instance_mode_never_reuses() {
    let h = harness();
    let mut cfg = config("fresh");
    cfg.fresh_instance_per_call = true;
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    for _ in 0..3 {
        let outcome = invoke(&function, "counter").await;
        assert_eq!(ok_text(&outcome), "counter=1");
        assert!(outcome.cold_start);
    }
    assert_eq!(function.idle_instances(), 0);
}

#[tokio::test]
async fn reuse_limit_retires_instances() {
    let h = harness();
    let mut cfg = config("reuse");
    cfg.max_reuse = 2;
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    let counts: Vec<String> = futures_lite(&function, 5).await;
    assert_eq!(
        counts,
        [
            "counter=1",
            "counter=2",
            "counter=1",
            "counter=2",
            "counter=1"
        ]
    );
}

async fn futures_lite(function: &wasm_fc_engine::Function, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(ok_text(&invoke(function, "counter").await));
    }
    out
}

#[tokio::test]
async fn large_results_and_unknown_verbs() {
    let h = harness();
    let mut cfg = config("big");
    cfg.memory_size_mb = 512;
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    let ok = invoke(&function, "result:1000").await;
    assert_eq!(ok.result.unwrap().len(), 1000);
    let too_big = invoke(
        &function,
        &format!("result:{}", wasm_fc_engine::caps::MAX_RESULT_BYTES + 1),
    )
    .await;
    let error = too_big.result.unwrap_err();
    assert_eq!(error.error_type, "ResultTooLarge", "{error:?}");
}
