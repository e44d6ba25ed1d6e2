//! The platform's whole paths against raw wasmtime on the same bytes, same run:
//!
//! - `a_not_loaded_api`: a deployed function whose `.cwasm` is on disk but not
//!   loaded, invoked through the platform in process (resolve from the store,
//!   load, instantiate, call, account: `wasm_fc_api::invoke::run`), against raw
//!   `deserialize_file` + `instantiate_pre` + instantiate + call.
//! - `d_deploy`: CreateFunction over HTTP with the real signing client (JSON,
//!   base64 zip, store, unpack, compile, artifact written), against
//!   `Engine::precompile_component` of the same bytes. Each iteration deploys
//!   new bytes (a custom section carries a counter), so both sides compile.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench may panic on setup failures

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use wasm_fc_api::app::{ServerConfig, bind};
use wasm_fc_api::client::Client;
use wasm_fc_api::control::credentials::Credentials;
use wasm_fc_benches::event::EventHandlerPre;
use wasm_fc_benches::raw;
use wasm_fc_benches::{record, report, zip_base64};
use wasmtime::component::{Component, Linker};

const EVENT: &[u8] = br#"{"name":"bench"}"#;

/// `wasm` plus a custom section holding `n`: new bytes, same behaviour.
fn variant(wasm: &[u8], n: u64) -> Vec<u8> {
    let name = b"wasm-fc-bench";
    let payload = n.to_le_bytes();
    let mut out = wasm.to_vec();
    out.push(0); // custom section id
    leb(&mut out, (1 + name.len() + payload.len()) as u64);
    leb(&mut out, name.len() as u64);
    out.extend_from_slice(name);
    out.extend_from_slice(&payload);
    out
}

fn leb(out: &mut Vec<u8>, mut value: u64) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn api_path(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let credentials = Credentials {
        access_key_id: "bench".into(),
        access_key_secret: "bench-secret".into(),
    };
    let bound = rt
        .block_on(bind(ServerConfig {
            listen: "127.0.0.1:0".parse().unwrap(),
            data_dir: dir.path().to_path_buf(),
            identity: wasm_fc_api::control::plane::Identity {
                account_id: "1".into(),
                region: "local".into(),
                public_endpoint: None,
            },
            credentials: Some(credentials.clone()),
            runtimes_dir: None,
            max_instance_reuse: wasm_fc_api::app::DEFAULT_MAX_INSTANCE_REUSE,
            store: None,
            advertise_address: None,
            oss_listen: None,
            oss_max_object_size: wasm_fc_api::app::DEFAULT_OSS_MAX_OBJECT_SIZE,
            brokers: Default::default(),
            table_instances: Default::default(),
        }))
        .unwrap();
    let platform = bound.platform.clone();
    let client = Client::new(&format!("http://{}", bound.addr), credentials);
    let _server = rt.spawn(bound.serve(std::future::pending()));
    let wasm = wasm_fc_test_guests::bytes(wasm_fc_test_guests::EVENT_HELLO);
    client
        .json(
            "POST",
            "/services",
            Some(&serde_json::json!({ "serviceName": "bench" })),
        )
        .unwrap();
    let create = |name: &str, wasm: &[u8]| {
        let function = serde_json::json!({ "functionName": name, "runtime": "custom",
            "handler": "index.handler", "code": { "zipFile": zip_base64(wasm) } });
        client
            .json("POST", "/services/bench/functions", Some(&function))
            .unwrap();
    };
    create("hello", &wasm);

    let mut group = c.benchmark_group("api_path");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));

    // (a) not loaded, through the platform.
    let resolved = rt
        .block_on(platform.resolve("bench", None, "hello"))
        .unwrap();
    group.bench_function("a_not_loaded_api/engine", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                platform.forget("bench", Some("hello"));
                let started = Instant::now();
                let outcome = rt
                    .block_on(wasm_fc_api::invoke::run(
                        &platform,
                        &resolved,
                        "invoke",
                        Bytes::from_static(EVENT),
                        "bench",
                        0,
                        None,
                    ))
                    .unwrap();
                let took = started.elapsed();
                assert!(outcome.result.is_ok() && outcome.cold_start);
                record("a_not_loaded_api/engine", took);
                total += took;
            }
            total
        })
    });
    let artifact = std::fs::read_dir(dir.path().join("artifacts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.to_string_lossy()
                .contains(&wasm_fc_engine::Engine::digest(&wasm))
        })
        .unwrap();
    let engine = platform.engine.wasmtime().clone();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    let record_ctx = wasm_fc_benches::event::raw_ctx(128);
    group.bench_function("a_not_loaded_api/raw", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let result = rt.block_on(async {
                    let component =
                        unsafe { Component::deserialize_file(&engine, &artifact) }.unwrap();
                    let pre =
                        EventHandlerPre::new(linker.instantiate_pre(&component).unwrap()).unwrap();
                    let mut store = raw::store(&engine);
                    let bindings = pre.instantiate_async(&mut store).await.unwrap();
                    bindings
                        .call_handle(&mut store, EVENT, &record_ctx)
                        .await
                        .unwrap()
                });
                let took = started.elapsed();
                assert!(result.is_ok());
                record("a_not_loaded_api/raw", took);
                total += took;
            }
            total
        })
    });

    // (d) deploy: CreateFunction (compiles) against precompile_component.
    group.sample_size(10);
    let counter = AtomicU64::new(1);
    let deploys = AtomicU64::new(0);
    group.bench_function("d_deploy/engine", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let bytes = variant(&wasm, n);
                let started = Instant::now();
                create(&format!("f{n}"), &bytes);
                let took = started.elapsed();
                deploys.fetch_add(1, Ordering::Relaxed);
                record("d_deploy/engine", took);
                total += took;
            }
            total
        })
    });
    group.bench_function("d_deploy/raw", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let bytes = variant(&wasm, counter.fetch_add(1, Ordering::Relaxed));
                let started = Instant::now();
                let compiled = engine.precompile_component(&bytes).unwrap();
                let took = started.elapsed();
                assert!(!compiled.is_empty());
                record("d_deploy/raw", took);
                total += took;
            }
            total
        })
    });
    group.finish();
    // One compile for `hello`, then exactly one per CreateFunction; loading a
    // function that is not loaded never compiles.
    assert_eq!(
        platform.engine.stats().compiles,
        1 + deploys.load(Ordering::Relaxed),
        "each CreateFunction compiled once, invocations never"
    );
    report("api_path summary", &["a_not_loaded_api", "d_deploy"]);
}

criterion_group!(benches, api_path);
criterion_main!(benches);
