//! FC's run-time limits against a hostile guest: timeout, memorySize, stack,
//! concurrency (throttling) and log size. Each test fails if the limit is missing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use std::time::{Duration, Instant};

use common::*;
use wasm_fc_engine::{ErrorKind, InvokeError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_infinite_loop_is_stopped_on_time_and_the_next_call_works() {
    let h = harness();
    let mut cfg = config("loop");
    cfg.timeout = Duration::from_secs(1);
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    let started = Instant::now();
    let outcome = invoke(&function, "loop").await;
    let elapsed = started.elapsed();
    let error = outcome.result.unwrap_err();
    assert_eq!(
        (error.kind, error.error_type.as_str()),
        (ErrorKind::Unhandled, "TimeoutError"),
        "{error:?}"
    );
    assert!(
        error.message.contains("timed out after 1.000 seconds"),
        "{error:?}"
    );
    assert!(
        elapsed >= Duration::from_secs(1),
        "stopped early: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(3),
        "not stopped on time: {elapsed:?}"
    );

    let next = invoke(&function, "counter").await;
    assert_eq!(
        ok_text(&next),
        "counter=1",
        "the timed-out instance was retired, a fresh one serves"
    );
    assert_ne!(next.instance_id, outcome.instance_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_looping_guest_does_not_starve_other_calls() {
    let h = harness();
    let mut cfg = config("loop");
    cfg.timeout = Duration::from_secs(2);
    let looping = h.deploy(wasm_fc_test_guests::HOSTILE, cfg.clone());
    let other = h.deploy(wasm_fc_test_guests::EVENT_HELLO, config("hello"));
    let spinner = tokio::spawn(async move { invoke(&looping, "loop").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let outcome = invoke(&other, r#"{"name":"x"}"#).await;
    assert!(ok_text(&outcome).contains("hello, x"));
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "a CPU-bound guest blocked another call for {:?}",
        started.elapsed()
    );
    assert!(spinner.await.unwrap().result.is_err());
}

#[tokio::test]
async fn a_memory_bomb_fails_cleanly_at_memory_size() {
    let h = harness();
    let mut cfg = config("bomb");
    cfg.memory_size_mb = 64;
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    let outcome = invoke(&function, "membomb").await;
    let error = outcome.result.unwrap_err();
    assert_eq!(error.error_type, "OutOfMemoryError", "{error:?}");
    assert!(error.message.contains("memorySize is 64 MB"), "{error:?}");
    assert!(
        outcome.max_memory_bytes <= 64 << 20,
        "peak {} exceeds the limit",
        outcome.max_memory_bytes
    );
    assert_eq!(ok_text(&invoke(&function, "counter").await), "counter=1");
}

#[tokio::test]
async fn stack_overflow_traps() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, config("stack"));
    let error = invoke(&function, "stack").await.result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unhandled);
    assert_eq!(error.error_type, "StackOverflowError", "{error:?}");
}

#[tokio::test]
async fn running_off_the_shadow_stack_traps_and_the_instance_is_replaced() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, config("shadow"));
    let outcome = invoke(&function, "shadow-stack").await;
    let error = outcome.result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unhandled);
    assert!(
        error.message.contains("out of bounds memory access"),
        "{error:?}"
    );
    let next = invoke(&function, "counter").await;
    assert_eq!(ok_text(&next), "counter=1");
    assert_ne!(next.instance_id, outcome.instance_id);
}

#[tokio::test]
async fn a_panic_is_an_unhandled_error_with_its_message_in_the_log() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, config("panic"));
    let outcome = invoke(&function, "panic").await;
    let error = outcome.result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unhandled);
    assert!(
        error.message.contains("Process exited unexpectedly"),
        "{error:?}"
    );
    assert!(String::from_utf8_lossy(&outcome.log).contains("hostile guest panicked on purpose"));
    assert!(
        error
            .stack_trace
            .iter()
            .any(|frame| matches!(frame, wasm_fc_engine::StackFrame::Text(t) if t.starts_with("core::panicking::panic_fmt"))),
        "named frames: {:?}",
        error.stack_trace
    );
    assert!(error.stack_trace.len() <= 32);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_instance_limit_callers_wait_then_get_throttled() {
    let h = harness();
    let mut cfg = config("busy");
    cfg.max_instances = 1;
    cfg.timeout = Duration::from_secs(2);
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    let busy = function.clone();
    let spinner = tokio::spawn(async move { invoke(&busy, "loop").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    let refused = function.invoke("counter".into(), &ctx("r2")).await;
    assert!(
        matches!(refused, Err(InvokeError::Throttled { .. })),
        "{refused:?}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "waited a bounded time first"
    );
    assert!(h.engine.stats().throttled >= 1);
    spinner.await.unwrap();
    assert_eq!(
        ok_text(&invoke(&function, "counter").await),
        "counter=1",
        "served once the slot is free"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_concurrency_multiplies_the_instances_allowed() {
    let h = harness();
    let mut cfg = config("conc");
    cfg.max_instances = 1;
    cfg.instance_concurrency = 2;
    cfg.timeout = Duration::from_secs(1);
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    let busy = function.clone();
    let spinner = tokio::spawn(async move { invoke(&busy, "loop").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        ok_text(&invoke(&function, "counter").await),
        "counter=1",
        "a second slot is available"
    );
    spinner.await.unwrap();
}

#[tokio::test]
async fn log_capture_is_bounded_and_the_tail_is_4kb() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, config("flood"));
    let outcome = invoke(&function, "flood-stdout:4000000").await;
    assert_eq!(ok_text(&outcome), "flooded");
    assert!(
        outcome.log.len() <= wasm_fc_engine::caps::MAX_LOG_BYTES + 100,
        "log is {} bytes",
        outcome.log.len()
    );
    assert!(
        String::from_utf8_lossy(&outcome.log).starts_with("[wasm-fc: "),
        "says bytes were dropped"
    );
    let tail = outcome.log_tail();
    assert!(
        tail.len() <= 4096 && tail.ends_with(b"flood done\n"),
        "tail: {:?}",
        String::from_utf8_lossy(tail)
    );
    let next = invoke(&function, "counter").await;
    assert!(
        next.log.is_empty(),
        "the next call starts with an empty log"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guest_blocked_in_a_host_call_is_stopped_by_the_async_timeout() {
    let h = harness();
    let mut cfg = config("sleepy");
    cfg.timeout = Duration::from_secs(1);
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    let started = Instant::now();
    let error = invoke(&function, "sleep:60000").await.result.unwrap_err();
    assert_eq!(error.error_type, "TimeoutError", "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(ok_text(&invoke(&function, "sleep:1").await), "slept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_initializer_runs_under_the_initialization_timeout() {
    let h = harness();
    let mut cfg = config("slow-init");
    cfg.initializer = Some("index.init".into());
    cfg.initialization_timeout = Duration::from_secs(1);
    cfg.timeout = Duration::from_secs(30);
    cfg.environment.insert("HOSTILE_INIT".into(), "loop".into());
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    let started = Instant::now();
    let error = invoke(&function, "counter").await.result.unwrap_err();
    assert_eq!(error.error_type, "TimeoutError", "{error:?}");
    assert!(
        error
            .message
            .starts_with("Initializer timed out after 1.000 seconds"),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_failing_initializer_fails_the_call_and_is_retried_on_a_new_instance() {
    let h = harness();
    let mut cfg = config("bad-init");
    cfg.initializer = Some("index.init".into());
    cfg.environment.insert("HOSTILE_INIT".into(), "fail".into());
    let function = h.deploy(wasm_fc_test_guests::HOSTILE, cfg);
    for _ in 0..2 {
        let error = invoke(&function, "counter").await.result.unwrap_err();
        assert_eq!(
            (error.kind, error.error_type.as_str()),
            (ErrorKind::Unhandled, "InitError"),
            "{error:?}"
        );
    }
    assert_eq!(
        function.idle_instances(),
        0,
        "an instance whose initializer failed is not kept"
    );
}
