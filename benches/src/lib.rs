//! What the Criterion benches in `benches/` share: per-iteration samples, the
//! engine-against-raw summary table they print, and the raw side's bindings.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// Per-iteration samples, keyed by case name (`<case>/engine`, `<case>/raw`).
static SAMPLES: Mutex<BTreeMap<String, Vec<Duration>>> = Mutex::new(BTreeMap::new());

/// Records one iteration of `case`.
pub fn record(case: &str, sample: Duration) {
    if let Ok(mut samples) = SAMPLES.lock() {
        samples.entry(case.to_string()).or_default().push(sample);
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// p50, p99 and mean of a case's samples.
pub fn stats(case: &str) -> Option<(Duration, Duration, Duration)> {
    let samples = SAMPLES.lock().ok()?;
    let mut v = samples.get(case)?.clone();
    if v.is_empty() {
        return None;
    }
    v.sort();
    let mean = v.iter().sum::<Duration>() / v.len() as u32;
    Some((percentile(&v, 0.5), percentile(&v, 0.99), mean))
}

/// Prints p50/p99/mean of `<case>/engine` and `<case>/raw` for each case, and
/// the engine/raw ratios (the same run, so machine noise affects both).
pub fn report(title: &str, cases: &[&str]) {
    println!("\n{title} (per-iteration samples; ratio = engine / raw, same Engine and Config)");
    println!(
        "{:<34} {:>12} {:>12} {:>12} | {:>8} {:>8} {:>8} | over raw (p50)",
        "case", "p50", "p99", "mean", "x p50", "x p99", "x mean"
    );
    let ratio = |a: Duration, b: Duration| a.as_secs_f64() / b.as_secs_f64();
    for case in cases {
        let (Some(e), Some(r)) = (
            stats(&format!("{case}/engine")),
            stats(&format!("{case}/raw")),
        ) else {
            continue;
        };
        println!(
            "{case:<34} {:>12?} {:>12?} {:>12?} | {:>8.2} {:>8.2} {:>8.2} | {:?}",
            e.0,
            e.1,
            e.2,
            ratio(e.0, r.0),
            ratio(e.1, r.1),
            ratio(e.2, r.2),
            e.0.saturating_sub(r.0)
        );
        println!("{:<34} {:>12?} {:>12?} {:>12?}", "  raw", r.0, r.1, r.2);
    }
}

/// The `fc:function` event world for the raw wasmtime side of the benches.
pub mod event {
    #![allow(missing_docs, missing_debug_implementations)]

    wasmtime::component::bindgen!({
        path: "../engine/wit",
        world: "event-handler",
        exports: { default: async },
    });

    use fc::function::types::{Credentials, FunctionMeta, ServiceMeta};

    /// The context record the raw side passes: what the engine would build.
    pub fn raw_ctx(memory_size: u32) -> Context {
        Context {
            request_id: "bench".into(),
            function: FunctionMeta {
                name: "f".into(),
                handler: "index.handler".into(),
                memory_size,
                timeout: 3,
                initializer: String::new(),
            },
            service: ServiceMeta {
                name: "s".into(),
                qualifier: "LATEST".into(),
                version_id: String::new(),
                log_project: String::new(),
                log_store: String::new(),
            },
            credentials: Credentials {
                access_key_id: String::new(),
                access_key_secret: String::new(),
                security_token: String::new(),
            },
            region: "local".into(),
            account_id: "1".into(),
            instance_id: "i".into(),
        }
    }
}

/// The raw wasmtime side of the benches: a store with WASI and nothing of
/// wasm-fc, on the very `Engine` (so `Config` and pool) the platform uses.
pub mod raw {
    use wasmtime::Store;
    use wasmtime::component::ResourceTable;
    use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

    /// Store data: an empty WASI context and a resource table.
    pub struct Raw {
        wasi: WasiCtx,
        table: ResourceTable,
    }

    impl std::fmt::Debug for Raw {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("Raw")
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

    /// A new store with an epoch deadline far away: the same epoch setup cost
    /// as the engine pays, without ever interrupting.
    pub fn store(engine: &wasmtime::Engine) -> Store<Raw> {
        let mut store = Store::new(
            engine,
            Raw {
                wasi: WasiCtx::builder().build(),
                table: ResourceTable::new(),
            },
        );
        store.set_epoch_deadline(u64::MAX / 2);
        store
    }
}

/// FC's `code.zipFile`: base64 of a zip holding `wasm` as `index.wasm`.
pub fn zip_base64(wasm: &[u8]) -> String {
    use base64::Engine as _;
    use std::io::Write as _;
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut buf);
    let written = zip
        .start_file("index.wasm", zip::write::SimpleFileOptions::default())
        .and_then(|()| zip.write_all(wasm).map_err(Into::into))
        .and_then(|()| zip.finish().map(drop));
    if let Err(e) = written {
        panic!("zipping in memory cannot fail: {e}");
    }
    base64::engine::general_purpose::STANDARD.encode(buf.into_inner())
}
