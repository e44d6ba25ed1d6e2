//! Shared helpers: an engine over a temp artifact dir, guests from `wasm-fc-test-guests`.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![allow(dead_code)]

use std::time::Duration;

use bytes::Bytes;
use wasm_fc_engine::{Engine, EngineConfig, Function, FunctionConfig, InvokeContext, Outcome};

pub struct Harness {
    pub engine: Engine,
    pub dir: tempfile::TempDir,
}

/// An engine with a small pool (tests run in parallel) over a fresh artifact dir.
pub fn harness() -> Harness {
    let dir = tempfile::tempdir().expect("tempdir");
    harness_in(dir)
}

pub fn harness_in(dir: tempfile::TempDir) -> Harness {
    let config = EngineConfig {
        artifact_dir: dir.path().join("artifacts"),
        max_live_instances: 64,
        acquire_timeout: Duration::from_millis(300),
        ..EngineConfig::default()
    };
    Harness {
        engine: Engine::new(config).expect("engine"),
        dir,
    }
}

pub fn config(function: &str) -> FunctionConfig {
    FunctionConfig::new("test-svc", function)
}

impl Harness {
    pub fn deploy(&self, guest: &str, config: FunctionConfig) -> Function {
        self.engine
            .deploy(&wasm_fc_test_guests::bytes(guest), config)
            .expect("deploy")
    }
}

pub fn ctx(request_id: &str) -> InvokeContext {
    InvokeContext {
        request_id: request_id.to_string(),
        region: "local".into(),
        account_id: "1234567890".into(),
        ..InvokeContext::default()
    }
}

pub async fn invoke(function: &Function, event: &str) -> Outcome {
    function
        .invoke(Bytes::from(event.to_string()), &ctx("req-1"))
        .await
        .expect("invocation ran")
}

/// The result as text, panicking with the function error if it failed.
pub fn ok_text(outcome: &Outcome) -> String {
    match &outcome.result {
        Ok(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Err(error) => panic!(
            "function failed: {error:?}\nlog:\n{}",
            String::from_utf8_lossy(&outcome.log)
        ),
    }
}
