//! What a binary may declare before it is compiled (issue 15, item 14): a 1 KB
//! upload must not cost a GB of compile. Each refusal names its limit, happens
//! before any compile, and every real guest passes the defaults.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use common::*;
use wasm_fc_engine::{CompileLimits, DeployError, Engine, EngineConfig};

use wasm_fc_test_guests::synthetic::{component_around, component_nesting, module};

fn engine_with(limits: CompileLimits) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::new(EngineConfig {
        artifact_dir: dir.path().join("artifacts"),
        max_live_instances: 8,
        compile_limits: limits,
        ..EngineConfig::default()
    })
    .unwrap();
    Harness { engine, dir }
}

/// The refusal's fields and message, panicking if it is anything else.
fn refusal(result: Result<wasm_fc_engine::Function, DeployError>) -> (String, u64, u64, String) {
    match result {
        Err(e @ DeployError::LimitExceeded { .. }) => {
            let message = e.to_string();
            let DeployError::LimitExceeded {
                name, found, limit, ..
            } = e
            else {
                unreachable!()
            };
            (name.to_string(), found, limit, message)
        }
        Err(other) => panic!("expected a limit refusal, got {other}"),
        Ok(_) => panic!("expected a limit refusal, the code deployed"),
    }
}

#[test]
fn the_issue_probe_200k_empty_functions_is_refused_before_compiling() {
    let h = harness();
    let wasm = module(200_000, 0, 0);
    let (name, found, limit, message) = refusal(h.engine.deploy(&wasm, config("probe")));
    assert_eq!(
        (name.as_str(), found, limit),
        ("max_functions", 200_000, 100_000)
    );
    assert_eq!(
        message,
        "the module declares 200000 functions; the limit is 100000 (max_functions)"
    );
    assert_eq!(h.engine.stats().compiles, 0, "refused before compiling");
    let artifacts = std::fs::read_dir(h.dir.path().join("artifacts"))
        .unwrap()
        .count();
    assert_eq!(artifacts, 0, "nothing written");
}

#[test]
fn a_nested_module_counts_against_its_component() {
    let h = harness();
    let wasm = component_around(&module(200_000, 0, 0));
    let (name, _, _, message) = refusal(h.engine.deploy(&wasm, config("nested")));
    assert_eq!(name, "max_functions");
    assert!(
        message.starts_with("the component declares 200000 functions"),
        "{message}"
    );
    assert_eq!(h.engine.stats().compiles, 0);
}

#[test]
fn each_limit_is_exact_and_named() {
    let limits = CompileLimits {
        max_functions: 10,
        max_function_body_bytes: 64,
        max_memories_per_module: 1,
        ..CompileLimits::default()
    };
    // At the limit: accepted by the check and compiled (then refused for its ABI,
    // which proves it got past the limits).
    let h = engine_with(limits.clone());
    let at_limit = h.engine.deploy(&module(10, 0, 1), config("ok"));
    assert!(
        matches!(at_limit, Err(DeployError::UnsupportedAbi(_))),
        "{:?}",
        at_limit.err()
    );
    assert_eq!(h.engine.stats().compiles, 1);

    let cases = [
        (module(11, 0, 0), "max_functions", 11, 10),
        (module(1, 100, 0), "max_function_body_bytes", 102, 64),
        (module(1, 0, 2), "max_memories_per_module", 2, 1),
    ];
    for (wasm, expected_name, expected_found, expected_limit) in cases {
        let (name, found, limit, message) = refusal(h.engine.deploy(&wasm, config("over")));
        assert_eq!(
            (name.as_str(), found, limit),
            (expected_name, expected_found, expected_limit),
            "{message}"
        );
        assert!(message.contains(expected_name), "{message}");
    }
    assert_eq!(h.engine.stats().compiles, 1, "no refused binary compiled");
}

#[test]
fn nesting_is_bounded() {
    let limits = CompileLimits {
        max_nesting_depth: 2,
        ..CompileLimits::default()
    };
    let two = component_around(&module(1, 0, 0));
    assert!(limits.check(&two).is_ok());
    let three = component_nesting(&two);
    let err = limits.check(&three).unwrap_err();
    assert!(err.to_string().contains("max_nesting_depth"), "{err}");
}

#[test]
fn every_guest_in_this_repo_passes_the_default_limits() {
    let limits = CompileLimits::default();
    for (name, path) in wasm_fc_test_guests::ALL {
        let wasm = wasm_fc_test_guests::bytes(path);
        limits
            .check(&wasm)
            .unwrap_or_else(|e| panic!("guest {name} is refused: {e}"));
    }
    // The interpreter runtimes, when `wasm-fc runtimes install` has built them
    // (the API's runtime tests do): platform code is not checked, but the
    // defaults are meant to let it through anyway.
    let runtimes =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/wasm-fc-runtimes");
    let mut pending = vec![runtimes];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.map(|e| e.unwrap().path()) {
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "wasm") {
                let wasm = std::fs::read(&path).unwrap();
                if wasm.starts_with(b"\0asm") {
                    limits
                        .check(&wasm)
                        .unwrap_or_else(|e| panic!("{} is refused: {e}", path.display()));
                    eprintln!("{} passes", path.display());
                }
            }
        }
    }
}
