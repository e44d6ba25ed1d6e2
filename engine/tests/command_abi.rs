//! WASI p1 commands: stdin in, stdout out, stderr log, FC context in env.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use common::*;
use wasm_fc_engine::{Abi, ErrorKind};

#[tokio::test]
async fn a_plain_rust_command_echoes_with_context_from_env() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::COMMAND_ECHO, config("echo"));
    assert_eq!(function.abi(), Abi::Command);
    let outcome = invoke(&function, "hi there").await;
    assert_eq!(ok_text(&outcome), "echo[test-svc/echo@LATEST]: hi there");
    assert!(
        String::from_utf8_lossy(&outcome.log)
            .contains("command-echo got 8 bytes for request req-1")
    );
    assert!(outcome.cold_start, "commands get a fresh instance per call");
}

#[tokio::test]
async fn a_non_zero_exit_is_an_unhandled_error_with_the_stderr_tail() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::COMMAND_ECHO, config("echo"));
    let error = invoke(&function, "fail:disk on fire")
        .await
        .result
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unhandled);
    assert_eq!(error.error_type, "ExitError");
    assert!(
        error.message.ends_with("failing on purpose: disk on fire"),
        "{error:?}"
    );
    assert_eq!(
        error.stack_trace,
        vec![wasm_fc_engine::StackFrame::Text(
            "exit status 3".to_string()
        )]
    );
}
