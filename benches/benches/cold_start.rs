//! Cold start, the headline number: wasm-fc's engine path against raw wasmtime
//! with the very same `Engine` (so the same `Config`), measured in the same run.
//!
//! - `a_not_loaded`: a deployed function whose `.cwasm` is on disk but not loaded
//!   → first result (engine: `Engine::load` + `invoke`; raw: `deserialize_file`
//!   + `instantiate_pre` + instantiate + call).
//! - `b_fresh_instance`: a loaded function, a new instance plus one call.
//! - `c_warm`: a call on a warm instance.
//! - `b_fresh_instance_on_demand`: (b) with the on-demand allocator instead of pooling.
//!
//! Besides Criterion's report, it prints p50/p99/mean per case from
//! per-iteration samples, and the engine/raw ratio for each.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench may panic on setup failures

use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use wasm_fc_benches::event::EventHandlerPre;
use wasm_fc_benches::raw::{self, Raw};
use wasm_fc_benches::{record, report, stats};
use wasm_fc_engine::{Engine, EngineConfig, FunctionConfig, InvokeContext};
use wasmtime::component::{Component, Linker};

/// Raw wasmtime store state: just WASI, nothing of wasm-fc.
const EVENT: &[u8] = br#"{"name":"bench"}"#;

struct Setup {
    engine: Engine,
    linker: Linker<Raw>,
    wasm: Vec<u8>,
    digest: String,
    artifact: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

fn setup(pooling: bool) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let config = EngineConfig {
        artifact_dir: dir.path().to_path_buf(),
        pooling,
        ..EngineConfig::default()
    };
    let engine = Engine::new(config).unwrap();
    let wasm = wasm_fc_test_guests::bytes(wasm_fc_test_guests::EVENT_HELLO);
    engine.deploy(&wasm, FunctionConfig::new("s", "f")).unwrap();
    let digest = Engine::digest(&wasm);
    let artifact = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains(&digest))
        .unwrap();
    let mut linker = Linker::new(engine.wasmtime());
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    Setup {
        engine,
        linker,
        wasm,
        digest,
        artifact,
        _dir: dir,
    }
}

fn cold_start(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("cold_start");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    for pooling in [true, false] {
        let s = setup(pooling);
        let suffix = if pooling { "" } else { "_on_demand" };
        let ctx = InvokeContext {
            request_id: "bench".into(),
            ..InvokeContext::default()
        };

        if pooling {
            // (a) not loaded: artifact on disk -> first result.
            group.bench_function("a_not_loaded/engine", |b| {
                b.to_async(&rt).iter_custom(|iters| {
                    let (s, ctx) = (&s, ctx.clone());
                    async move {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let started = Instant::now();
                            let function = s
                                .engine
                                .load(
                                    &s.digest,
                                    || Ok(s.wasm.clone()),
                                    FunctionConfig::new("s", "f"),
                                )
                                .unwrap();
                            let outcome = function
                                .invoke(Bytes::from_static(EVENT), &ctx)
                                .await
                                .unwrap();
                            let took = started.elapsed();
                            assert!(outcome.result.is_ok());
                            record("a_not_loaded/engine", took);
                            total += took;
                        }
                        total
                    }
                })
            });
            group.bench_function("a_not_loaded/raw", |b| {
                b.to_async(&rt).iter_custom(|iters| {
                    let s = &s;
                    async move {
                        let mut total = Duration::ZERO;
                        let record_ctx = wasm_fc_benches::event::raw_ctx(128);
                        for _ in 0..iters {
                            let started = Instant::now();
                            let component = unsafe {
                                Component::deserialize_file(s.engine.wasmtime(), &s.artifact)
                            }
                            .unwrap();
                            let pre =
                                EventHandlerPre::new(s.linker.instantiate_pre(&component).unwrap())
                                    .unwrap();
                            let mut store = raw::store(s.engine.wasmtime());
                            let bindings = pre.instantiate_async(&mut store).await.unwrap();
                            let result = bindings
                                .call_handle(&mut store, EVENT, &record_ctx)
                                .await
                                .unwrap();
                            let took = started.elapsed();
                            assert!(result.is_ok());
                            record("a_not_loaded/raw", took);
                            total += took;
                        }
                        total
                    }
                })
            });
        }

        // (b) loaded function: a fresh instance plus one call.
        let mut fresh = FunctionConfig::new("s", "f");
        fresh.fresh_instance_per_call = true;
        let fresh_fn = s.engine.deploy(&s.wasm, fresh).unwrap();
        let engine_case = format!("b_fresh_instance{suffix}/engine");
        group.bench_function(&engine_case, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (f, ctx, case) = (&fresh_fn, ctx.clone(), engine_case.clone());
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let started = Instant::now();
                        let outcome = f.invoke(Bytes::from_static(EVENT), &ctx).await.unwrap();
                        let took = started.elapsed();
                        assert!(outcome.result.is_ok() && outcome.cold_start);
                        record(&case, took);
                        total += took;
                    }
                    total
                }
            })
        });
        let component =
            unsafe { Component::deserialize_file(s.engine.wasmtime(), &s.artifact) }.unwrap();
        let pre = EventHandlerPre::new(s.linker.instantiate_pre(&component).unwrap()).unwrap();
        let raw_case = format!("b_fresh_instance{suffix}/raw");
        group.bench_function(&raw_case, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (pre, s, case) = (&pre, &s, raw_case.clone());
                async move {
                    let record_ctx = wasm_fc_benches::event::raw_ctx(128);
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let started = Instant::now();
                        let mut store = raw::store(s.engine.wasmtime());
                        let bindings = pre.instantiate_async(&mut store).await.unwrap();
                        let result = bindings
                            .call_handle(&mut store, EVENT, &record_ctx)
                            .await
                            .unwrap();
                        drop(store);
                        let took = started.elapsed();
                        assert!(result.is_ok());
                        record(&case, took);
                        total += took;
                    }
                    total
                }
            })
        });

        if pooling {
            // (c) warm: a call on a live instance.
            let mut warm = FunctionConfig::new("s", "f");
            warm.max_reuse = u64::MAX; // Criterion runs millions of iterations; keep one instance
            let warm_fn = s.engine.deploy(&s.wasm, warm).unwrap();
            rt.block_on(warm_fn.invoke(Bytes::from_static(EVENT), &ctx))
                .unwrap();
            group.bench_function("c_warm/engine", |b| {
                b.to_async(&rt).iter_custom(|iters| {
                    let (f, ctx) = (&warm_fn, ctx.clone());
                    async move {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let started = Instant::now();
                            let outcome = f.invoke(Bytes::from_static(EVENT), &ctx).await.unwrap();
                            let took = started.elapsed();
                            assert!(!outcome.cold_start);
                            record("c_warm/engine", took);
                            total += took;
                        }
                        total
                    }
                })
            });
            let mut store = raw::store(s.engine.wasmtime());
            let bindings = rt.block_on(pre.instantiate_async(&mut store)).unwrap();
            let store = tokio::sync::Mutex::new(store);
            group.bench_function("c_warm/raw", |b| {
                b.to_async(&rt).iter_custom(|iters| {
                    let (store, bindings) = (&store, &bindings);
                    async move {
                        let record_ctx = wasm_fc_benches::event::raw_ctx(128);
                        let mut store = store.lock().await;
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let started = Instant::now();
                            let result = bindings
                                .call_handle(&mut *store, EVENT, &record_ctx)
                                .await
                                .unwrap();
                            let took = started.elapsed();
                            assert!(result.is_ok());
                            record("c_warm/raw", took);
                            total += took;
                        }
                        total
                    }
                })
            });
        }
    }
    group.finish();
    summary();
}

/// The summary table, plus pooling against on-demand allocation.
fn summary() {
    report(
        "cold_start summary",
        &[
            "a_not_loaded",
            "b_fresh_instance",
            "b_fresh_instance_on_demand",
            "c_warm",
        ],
    );
    if let (Some(pool), Some(on_demand)) = (
        stats("b_fresh_instance/engine"),
        stats("b_fresh_instance_on_demand/engine"),
    ) {
        println!(
            "pooling vs on-demand (engine, fresh instance, p50): {:.2}x faster",
            on_demand.0.as_secs_f64() / pool.0.as_secs_f64()
        );
    }
}

criterion_group!(benches, cold_start);
criterion_main!(benches);
