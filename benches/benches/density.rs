//! Density: how much memory an idle warm instance costs, against raw wasmtime,
//! and whether 10,000 live instances across 1,000 functions fit.
//!
//! Each measurement runs in a child process of its own (this binary, re-run
//! with `DENSITY_CASE`), so one case's heap and mappings never count in
//! another's RSS:
//!
//! - `raw`: N stores with an instance of the event-hello component, built with
//!   plain wasmtime on the very `Engine` (so `Config` and pool) wasm-fc uses;
//! - `engine`: the same N as idle warm instances of one wasm-fc function
//!   (`Function::prewarm`);
//! - `scale`: 1,000 deployed functions with 10 idle instances each on an engine
//!   sized for 10,000 live instances, then one call to each function.
//!
//! RSS per instance = (VmRSS after − VmRSS before) / N, from /proc/self/status.
//! `cargo bench --bench density` (CI runs it with `-- --test`: small N).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench may panic on setup failures

use std::process::Command;
use std::time::Instant;

use bytes::Bytes;
use wasm_fc_benches::event::EventHandlerPre;
use wasm_fc_benches::raw::{self, Raw};
use wasm_fc_engine::{Engine, EngineConfig, FunctionConfig, InvokeContext};
use wasmtime::Store;
use wasmtime::component::{Component, Linker};

/// VmRSS in bytes.
fn rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kb * 1024
}

fn engine(dir: &std::path::Path, live: u32) -> Engine {
    Engine::new(EngineConfig {
        artifact_dir: dir.to_path_buf(),
        max_live_instances: live,
        ..EngineConfig::default()
    })
    .unwrap()
}

const EVENT: &[u8] = br#"{"name":"density"}"#;

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    match std::env::var("DENSITY_CASE").ok().as_deref() {
        Some(case) => {
            let n: usize = std::env::var("DENSITY_N").unwrap().parse().unwrap();
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(run_case(case, n));
        }
        None => parent(smoke),
    }
}

/// Runs every case in a child process and prints the comparison.
fn parent(smoke: bool) {
    let n = if smoke { 50 } else { 1000 };
    let child = |case: &str, n: usize| -> String {
        let output = Command::new(std::env::current_exe().unwrap())
            .env("DENSITY_CASE", case)
            .env("DENSITY_N", n.to_string())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "density case {case} failed:\n{text}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        text
    };
    println!("\ndensity (each case in its own process; RSS per idle instance = ΔVmRSS / N)");
    let raw = per_instance(&child("raw", n));
    let engine = per_instance(&child("engine", n));
    println!(
        "  N = {n}: raw {:.1} KiB, engine {:.1} KiB per instance → engine/raw {:.2}x",
        raw / 1024.0,
        engine / 1024.0,
        engine / raw
    );
    let functions = if smoke { 20 } else { 1000 };
    print!("{}", child("scale", functions));
}

fn per_instance(report: &str) -> f64 {
    report
        .lines()
        .find_map(|l| l.strip_prefix("bytes_per_instance="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no bytes_per_instance in {report}"))
}

async fn run_case(case: &str, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let wasm = wasm_fc_test_guests::bytes(wasm_fc_test_guests::EVENT_HELLO);
    match case {
        "raw" => {
            let engine = engine(dir.path(), n as u32 + 8);
            let function = engine.deploy(&wasm, FunctionConfig::new("s", "f")).unwrap();
            drop(function);
            let artifact = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().contains(&Engine::digest(&wasm)))
                .unwrap();
            let component =
                unsafe { Component::deserialize_file(engine.wasmtime(), &artifact) }.unwrap();
            let mut linker = Linker::new(engine.wasmtime());
            wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
            let pre = EventHandlerPre::new(linker.instantiate_pre(&component).unwrap()).unwrap();
            let ctx = wasm_fc_benches::event::raw_ctx(128);
            // One instance first, as the engine case's first prewarm pays the
            // same one-time costs (code pages, lazy init).
            let mut live = Vec::with_capacity(n + 1);
            live.push(raw_instance(&engine, &pre, Some(&ctx)).await);
            let before = rss();
            // Instantiated, not called: what `Function::prewarm` holds.
            for _ in 0..n {
                live.push(raw_instance(&engine, &pre, None).await);
            }
            let after = rss();
            println!("bytes_per_instance={}", (after - before) as f64 / n as f64);
        }
        "engine" => {
            let engine = engine(dir.path(), n as u32 + 8);
            let function = engine.deploy(&wasm, FunctionConfig::new("s", "f")).unwrap();
            function.prewarm(1).await.unwrap();
            let warm = function
                .invoke(Bytes::from_static(EVENT), &ctx())
                .await
                .unwrap();
            assert!(warm.result.is_ok());
            let before = rss();
            function.prewarm(n + 1).await.unwrap();
            let after = rss();
            assert_eq!(function.idle_instances(), n + 1);
            println!("bytes_per_instance={}", (after - before) as f64 / n as f64);
        }
        "scale" => scale(dir.path(), &wasm, n).await,
        other => panic!("unknown case {other}"),
    }
}

fn ctx() -> InvokeContext {
    InvokeContext {
        request_id: "density".into(),
        ..InvokeContext::default()
    }
}

/// One raw instance; with `ctx`, it has also handled one event.
async fn raw_instance(
    engine: &Engine,
    pre: &EventHandlerPre<Raw>,
    ctx: Option<&wasm_fc_benches::event::Context>,
) -> (Store<Raw>, wasm_fc_benches::event::EventHandler) {
    let mut store = raw::store(engine.wasmtime());
    let bindings = pre.instantiate_async(&mut store).await.unwrap();
    if let Some(ctx) = ctx {
        let result = bindings.call_handle(&mut store, EVENT, ctx).await.unwrap();
        assert!(result.is_ok());
    }
    (store, bindings)
}

/// `functions` functions with 10 idle instances each, on an engine sized for them.
async fn scale(dir: &std::path::Path, wasm: &[u8], functions: usize) {
    const PER_FUNCTION: usize = 10;
    let live = (functions * PER_FUNCTION) as u32;
    let started = Instant::now();
    let engine = engine(dir, live);
    let engine_new = started.elapsed();
    let base = rss();
    let started = Instant::now();
    let deployed: Vec<_> = (0..functions)
        .map(|i| {
            engine
                .deploy(wasm, FunctionConfig::new("scale", format!("f{i}")))
                .unwrap()
        })
        .collect();
    let deploy_time = started.elapsed();
    let loaded = rss();
    let started = Instant::now();
    let mut errors = 0;
    for function in &deployed {
        if function.prewarm(PER_FUNCTION).await.is_err() {
            errors += 1;
        }
    }
    let prewarm_time = started.elapsed();
    let full = rss();
    let stats = engine.stats();
    let started = Instant::now();
    for function in &deployed {
        let outcome = function
            .invoke(Bytes::from_static(EVENT), &ctx())
            .await
            .unwrap();
        assert!(outcome.result.is_ok() && !outcome.cold_start);
    }
    let call_time = started.elapsed();
    let after = engine.stats();
    println!(
        "  scale: {functions} functions x {PER_FUNCTION} idle instances on an engine sized for {live}\n    \
         Engine::new {engine_new:.1?}; {functions} deploys {deploy_time:.1?} (one compile, then loads); \
         prewarm {prewarm_time:.1?} ({:.1?} per instance)\n    \
         live instances {} (idle {}), prewarm errors {errors}, throttled {}\n    \
         RSS: base {:.0} MiB, +{:.0} MiB for the loaded functions, +{:.0} MiB for the instances ({:.1} KiB each)\n    \
         then one warm call per function: {} warm hits, {} cold starts, {:.1?} per call",
        prewarm_time / live.max(1),
        stats.live_instances,
        stats.idle_instances,
        after.throttled,
        base as f64 / f64::from(1 << 20),
        loaded.saturating_sub(base) as f64 / f64::from(1 << 20),
        full.saturating_sub(loaded) as f64 / f64::from(1 << 20),
        full.saturating_sub(loaded) as f64 / f64::from(live) / 1024.0,
        after.warm_hits - stats.warm_hits,
        after.cold_starts - stats.cold_starts,
        call_time / functions.max(1) as u32,
    );
    assert_eq!(errors, 0, "pool errors while pre-warming");
    assert_eq!(stats.live_instances, u64::from(live));
}
