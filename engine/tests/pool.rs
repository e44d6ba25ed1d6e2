//! Pool policy across functions: idle reclaim and the platform-wide instance cap.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::time::Duration;

use common::*;
use wasm_fc_engine::{Engine, EngineConfig, InvokeError};

#[tokio::test]
async fn idle_instances_are_reclaimed_after_the_idle_timeout() {
    let h = harness();
    let mut cfg = config("idle");
    cfg.idle_timeout = Duration::from_millis(200);
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    ok_text(&invoke(&function, "counter").await);
    assert_eq!(function.idle_instances(), 1);
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while function.live_instances() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        function.live_instances(),
        0,
        "the reaper dropped the idle instance"
    );
    assert!(h.engine.stats().retired >= 1);
    assert_eq!(
        ok_text(&invoke(&function, "counter").await),
        "counter=1",
        "a new instance after reclaim"
    );
}

fn tiny_engine(dir: &tempfile::TempDir) -> Engine {
    Engine::new(EngineConfig {
        artifact_dir: dir.path().to_path_buf(),
        max_live_instances: 1,
        acquire_timeout: Duration::from_millis(200),
        ..EngineConfig::default()
    })
    .unwrap()
}

#[tokio::test]
async fn at_the_platform_limit_another_function_evicts_an_idle_instance() {
    let dir = tempfile::tempdir().unwrap();
    let engine = tiny_engine(&dir);
    let wasm = wasm_fc_test_guests::bytes(wasm_fc_test_guests::HOSTILE);
    let a = engine.deploy(&wasm, config("a")).unwrap();
    let b = engine.deploy(&wasm, config("b")).unwrap();
    ok_text(&invoke(&a, "counter").await);
    assert_eq!(a.live_instances(), 1);
    ok_text(&invoke(&b, "counter").await);
    assert_eq!(
        (a.live_instances(), b.live_instances()),
        (0, 1),
        "a's idle instance made room for b"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_platform_limit_with_every_instance_busy_callers_are_throttled() {
    let dir = tempfile::tempdir().unwrap();
    let engine = tiny_engine(&dir);
    let wasm = wasm_fc_test_guests::bytes(wasm_fc_test_guests::HOSTILE);
    let mut cfg = config("a");
    cfg.timeout = Duration::from_secs(1);
    let a = engine.deploy(&wasm, cfg).unwrap();
    let b = engine.deploy(&wasm, config("b")).unwrap();
    let busy = tokio::spawn(async move { invoke(&a, "loop").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refused = b.invoke("counter".into(), &ctx("r")).await;
    assert!(
        matches!(&refused, Err(InvokeError::Throttled { reason, .. }) if reason.contains("live instances")),
        "{refused:?}"
    );
    busy.await.unwrap();
    assert_eq!(ok_text(&invoke(&b, "counter").await), "counter=1");
}
