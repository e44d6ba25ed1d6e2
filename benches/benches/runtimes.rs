//! Cold start of Python and Node.js functions: wasm-fc's engine path against
//! raw wasmtime running the very same runtime component with the same `Engine`,
//! measured in the same run.
//!
//! - `a_not_loaded`: deployed, artifact on disk, not loaded → first result.
//! - `b_fresh_instance`: loaded; a new instance, the user's module loaded from
//!   `/code`, one call.
//! - `c_warm`: a call on a warm instance.
//!
//! The runtimes are the ones `wasm-fc runtimes install` builds (in
//! `target/wasm-fc-runtimes`, built here if missing).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a bench may panic on setup failures

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use wasm_fc_api::control::runtimes::Language;
use wasm_fc_benches::{record, report};
use wasm_fc_engine::{Engine, EngineConfig, FunctionConfig, InvokeContext, Preopen};
use wasmtime::Store;
use wasmtime::component::{Component, HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxView, WasiView};

wasmtime::component::bindgen!({
    path: "../engine/wit",
    world: "interpreted",
    exports: { default: async },
    with: { "fc:function/types": wasm_fc_benches::event::fc::function::types },
});

const EVENT: &[u8] = br#"{"name":"bench"}"#;

/// Raw wasmtime store state: WASI with the code preopened, and the one
/// `fc:function/files` call the JS engine needs, read straight from disk.
struct Raw {
    wasi: WasiCtx,
    http: wasmtime_wasi_http::WasiHttpCtx,
    table: ResourceTable,
    code: PathBuf,
}

impl wasmtime_wasi_http::WasiHttpView for Raw {
    fn http(&mut self) -> wasmtime_wasi_http::WasiHttpCtxView<'_> {
        wasmtime_wasi_http::WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: wasmtime_wasi_http::default_hooks(),
        }
    }
}

impl WasiView for Raw {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl fc::function::files::Host for Raw {
    fn read_file(&mut self, path: String) -> Option<Vec<u8>> {
        std::fs::read(self.code.join(path.strip_prefix("/code/")?)).ok()
    }
}

fn raw_store(engine: &wasmtime::Engine, code: &Path) -> Store<Raw> {
    let mut wasi = WasiCtx::builder();
    wasi.preopened_dir(code, "/code", FsPerms::ReadOnly)
        .unwrap();
    let mut store = Store::new(
        engine,
        Raw {
            wasi: wasi.build(),
            http: wasmtime_wasi_http::WasiHttpCtx::new(),
            table: ResourceTable::new(),
            code: code.to_path_buf(),
        },
    );
    store.set_epoch_deadline(u64::MAX / 2);
    store
}

/// The handler each language runs: the smallest FC handler, echoing the event.
fn handler_source(language: Language) -> (&'static str, &'static str) {
    match language {
        Language::Python => (
            "index.py",
            "def handler(event, context):\n    return event\n",
        ),
        Language::Nodejs => (
            "index.js",
            "exports.handler = (event, context, callback) => callback(null, event);\n",
        ),
    }
}

struct Setup {
    engine: Engine,
    linker: Linker<Raw>,
    wasm: Vec<u8>,
    digest: String,
    artifact: PathBuf,
    code: tempfile::TempDir,
    _artifacts: tempfile::TempDir,
}

impl Setup {
    fn config(&self) -> FunctionConfig {
        let mut config = FunctionConfig::new("s", "f");
        config.memory_size_mb = 256;
        config.preopens.push(Preopen {
            host_path: self.code.path().to_path_buf(),
            guest_path: "/code".into(),
            writable: false,
        });
        config
    }
}

fn setup(language: Language) -> Setup {
    let runtimes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/wasm-fc-runtimes");
    let component =
        wasm_fc_api::control::runtimes::install(&runtimes, language, &|line| eprintln!("{line}"))
            .unwrap();
    let shared = runtimes.join("artifacts");
    let artifacts = tempfile::tempdir().unwrap();
    let engine = Engine::new(EngineConfig {
        artifact_dir: artifacts.path().to_path_buf(),
        shared_artifact_dirs: vec![shared.clone()],
        ..EngineConfig::default()
    })
    .unwrap();
    let wasm = std::fs::read(&component).unwrap();
    let digest = engine.precompile_into(&wasm, &shared).unwrap();
    let artifact = std::fs::read_dir(&shared)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains(&digest))
        .find(|p| unsafe { Component::deserialize_file(engine.wasmtime(), p) }.is_ok())
        .unwrap();
    let code = tempfile::tempdir().unwrap();
    let (file, source) = handler_source(language);
    std::fs::write(code.path().join(file), source).unwrap();
    let mut linker = Linker::new(engine.wasmtime());
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).unwrap();
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).unwrap();
    fc::function::files::add_to_linker::<_, HasSelf<_>>(&mut linker, |state| state).unwrap();
    Setup {
        engine,
        linker,
        wasm,
        digest,
        artifact,
        code,
        _artifacts: artifacts,
    }
}

/// Times `iters` runs of `body`, recording each under `case`.
async fn timed<F, Fut>(case: &str, iters: u64, mut body: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let started = Instant::now();
        body().await;
        let took = started.elapsed();
        record(case, took);
        total += took;
    }
    total
}

fn runtimes(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("runtimes");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let ctx = InvokeContext {
        request_id: "bench".into(),
        ..InvokeContext::default()
    };
    for language in Language::ALL {
        let s = setup(language);
        let name = language.name();
        let record_ctx = wasm_fc_benches::event::raw_ctx(256);

        let case = format!("{name}/a_not_loaded/engine");
        group.bench_function(&case, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                timed(&case, iters, || async {
                    let function = s
                        .engine
                        .load(&s.digest, || Ok(s.wasm.clone()), s.config())
                        .unwrap();
                    let outcome = function
                        .invoke(Bytes::from_static(EVENT), &ctx)
                        .await
                        .unwrap();
                    assert_eq!(outcome.result.unwrap(), EVENT);
                })
            })
        });
        let case = format!("{name}/a_not_loaded/raw");
        group.bench_function(&case, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                timed(&case, iters, || async {
                    let component =
                        unsafe { Component::deserialize_file(s.engine.wasmtime(), &s.artifact) }
                            .unwrap();
                    let pre =
                        InterpretedPre::new(s.linker.instantiate_pre(&component).unwrap()).unwrap();
                    let mut store = raw_store(s.engine.wasmtime(), s.code.path());
                    let bindings = pre.instantiate_async(&mut store).await.unwrap();
                    let result = bindings.call_handle(&mut store, EVENT, &record_ctx).await;
                    assert_eq!(result.unwrap().ok().unwrap(), EVENT);
                })
            })
        });

        let mut fresh = s.config();
        fresh.fresh_instance_per_call = true;
        let fresh_fn = s.engine.deploy(&s.wasm, fresh).unwrap();
        let case = format!("{name}/b_fresh_instance/engine");
        group.bench_function(&case, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                timed(&case, iters, || async {
                    let outcome = fresh_fn
                        .invoke(Bytes::from_static(EVENT), &ctx)
                        .await
                        .unwrap();
                    assert!(outcome.result.is_ok() && outcome.cold_start);
                })
            })
        });
        let component =
            unsafe { Component::deserialize_file(s.engine.wasmtime(), &s.artifact) }.unwrap();
        let pre = InterpretedPre::new(s.linker.instantiate_pre(&component).unwrap()).unwrap();
        let case = format!("{name}/b_fresh_instance/raw");
        group.bench_function(&case, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                timed(&case, iters, || async {
                    let mut store = raw_store(s.engine.wasmtime(), s.code.path());
                    let bindings = pre.instantiate_async(&mut store).await.unwrap();
                    let result = bindings.call_handle(&mut store, EVENT, &record_ctx).await;
                    assert!(result.unwrap().is_ok());
                })
            })
        });

        let mut warm = s.config();
        warm.max_reuse = u64::MAX; // Criterion runs many iterations; keep one instance
        let warm_fn = s.engine.deploy(&s.wasm, warm).unwrap();
        rt.block_on(warm_fn.invoke(Bytes::from_static(EVENT), &ctx))
            .unwrap();
        let case = format!("{name}/c_warm/engine");
        group.bench_function(&case, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                timed(&case, iters, || async {
                    let outcome = warm_fn
                        .invoke(Bytes::from_static(EVENT), &ctx)
                        .await
                        .unwrap();
                    assert!(!outcome.cold_start);
                })
            })
        });
        let mut store = raw_store(s.engine.wasmtime(), s.code.path());
        let bindings = rt.block_on(pre.instantiate_async(&mut store)).unwrap();
        let store = tokio::sync::Mutex::new(store);
        let case = format!("{name}/c_warm/raw");
        group.bench_function(&case, |b| {
            b.to_async(&rt).iter_custom(|iters| {
                timed(&case, iters, || async {
                    let mut store = store.lock().await;
                    let result = bindings.call_handle(&mut *store, EVENT, &record_ctx).await;
                    assert!(result.unwrap().is_ok());
                })
            })
        });
    }
    group.finish();
    let cases: Vec<String> = Language::ALL
        .iter()
        .flat_map(|l| {
            ["a_not_loaded", "b_fresh_instance", "c_warm"]
                .map(|case| format!("{}/{case}", l.name()))
        })
        .collect();
    report(
        "runtimes summary",
        &cases.iter().map(String::as_str).collect::<Vec<_>>(),
    );
}

criterion_group!(benches, runtimes);
criterion_main!(benches);
