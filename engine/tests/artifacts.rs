//! Compile once at deploy; never on invoke; never again after a restart.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on setup failures

mod common;

use common::*;
use wasm_fc_engine::{DeployError, Engine, INLINE_LOAD_MAX_BYTES};

#[tokio::test]
async fn invoking_compiles_nothing_and_redeploying_the_same_code_compiles_nothing() {
    let h = harness();
    let function = h.deploy(wasm_fc_test_guests::EVENT_HELLO, config("a"));
    assert_eq!(h.engine.stats().compiles, 1);
    for _ in 0..3 {
        ok_text(&invoke(&function, r#"{"name":"x"}"#).await);
    }
    let _again = h.deploy(wasm_fc_test_guests::EVENT_HELLO, config("b"));
    let stats = h.engine.stats();
    assert_eq!(
        stats.compiles, 1,
        "no compile on invoke or on a redeploy of the same bytes"
    );
    assert_eq!((stats.cold_starts, stats.warm_hits), (1, 2));
    assert_eq!(stats.artifact_loads, 2);
}

#[tokio::test]
async fn a_restarted_engine_loads_artifacts_without_compiling() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = wasm_fc_test_guests::bytes(wasm_fc_test_guests::INITIALIZER);
    let digest = Engine::digest(&wasm);
    let first = harness_in(dir);
    first.deploy(wasm_fc_test_guests::INITIALIZER, config("init"));
    assert_eq!(first.engine.stats().compiles, 1);
    let Harness { engine, dir } = first;
    drop(engine);

    let restarted = harness_in(dir);
    let function = restarted
        .engine
        .load(
            &digest,
            || panic!("the source must not be needed"),
            config("init"),
        )
        .unwrap();
    assert!(ok_text(&invoke(&function, "").await).contains("calls=1"));
    assert_eq!(
        restarted.engine.stats().compiles,
        0,
        "a restart recompiles nothing"
    );
}

#[tokio::test]
async fn load_compiled_never_compiles_and_honours_its_size_bound() {
    let h = harness();
    let wasm = wasm_fc_test_guests::bytes(wasm_fc_test_guests::EVENT_HELLO);
    let digest = Engine::digest(&wasm);
    let load = |max_bytes| {
        h.engine
            .load_compiled(&digest, max_bytes, config("a"))
            .unwrap()
    };
    assert!(
        load(u64::MAX).is_none(),
        "no artifact yet: nothing to load, and no compile"
    );
    assert_eq!(h.engine.stats().compiles, 0);

    h.deploy(wasm_fc_test_guests::EVENT_HELLO, config("a"));
    assert!(
        load(1).is_none(),
        "an artifact over the bound is left to a blocking load"
    );
    let function =
        load(INLINE_LOAD_MAX_BYTES).expect("a Rust hello artifact is under the inline bound");
    assert!(ok_text(&invoke(&function, r#"{"name":"q"}"#).await).contains("hello, q"));

    corrupt_all(&h.dir.path().join("artifacts"), b"garbage");
    assert!(
        load(u64::MAX).is_none(),
        "a corrupt artifact is not loaded and not recompiled here"
    );
    assert_eq!(h.engine.stats().compiles, 1);
}

#[tokio::test]
async fn a_corrupt_artifact_is_recompiled_from_source() {
    let h = harness();
    let wasm = wasm_fc_test_guests::bytes(wasm_fc_test_guests::EVENT_HELLO);
    h.deploy(wasm_fc_test_guests::EVENT_HELLO, config("a"));
    let artifacts = h.dir.path().join("artifacts");
    corrupt_all(&artifacts, b"garbage");
    let function = h
        .engine
        .load(&Engine::digest(&wasm), || Ok(wasm.clone()), config("a"))
        .unwrap();
    assert!(ok_text(&invoke(&function, r#"{"name":"y"}"#).await).contains("hello, y"));
    assert_eq!(
        h.engine.stats().compiles,
        2,
        "the garbage artifact was replaced by a recompile"
    );

    corrupt_all(&artifacts, b"garbage again");
    let redeployed = h.engine.deploy(&wasm, config("a")).unwrap();
    assert!(ok_text(&invoke(&redeployed, r#"{"name":"z"}"#).await).contains("hello, z"));
    assert_eq!(h.engine.stats().compiles, 3);
}

/// Replaces every artifact with junk under the same name. It writes a new file
/// rather than truncating in place: a loaded artifact is mmapped, and wasm-fc
/// itself only ever replaces artifacts by rename for exactly that reason.
fn corrupt_all(dir: &std::path::Path, junk: &[u8]) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, junk).unwrap();
    }
}

#[test]
fn bad_code_gets_clear_errors() {
    let h = harness();
    let cases: [(&[u8], &str); 4] = [
        (b"", "not WebAssembly"),
        (b"PK\x03\x04 a zip, not wasm", "not WebAssembly"),
        (b"\0asm\x01\0\0\0\xff\xff", "invalid WebAssembly"),
        (b"\0asm\x01\0\0\0", "must export `_start`"),
    ];
    for (bytes, expected) in cases {
        let err = h.engine.deploy(bytes, config("bad")).unwrap_err();
        assert!(err.to_string().contains(expected), "{bytes:?}: {err}");
    }
    let wat_module = wat_like_component_without_exports();
    let err = h.engine.deploy(&wat_module, config("bad")).unwrap_err();
    assert!(matches!(err, DeployError::UnsupportedAbi(_)), "{err}");
}

/// The smallest valid component: it exports nothing, so no ABI fits.
fn wat_like_component_without_exports() -> Vec<u8> {
    b"\0asm\x0d\0\x01\0".to_vec()
}

#[test]
fn memory_size_above_the_platform_max_is_rejected() {
    let h = harness();
    let mut cfg = config("huge");
    cfg.memory_size_mb = 1 << 20;
    let err = h
        .engine
        .deploy(
            &wasm_fc_test_guests::bytes(wasm_fc_test_guests::EVENT_HELLO),
            cfg,
        )
        .unwrap_err();
    assert!(err.to_string().contains("memorySize"), "{err}");
}

/// Deploys `wasm` as functions `f0..f{n}` from `n` threads released at once.
fn deploy_from_threads(engine: &Engine, wasm: &[u8], n: usize) -> Vec<wasm_fc_engine::Function> {
    let start = std::sync::Barrier::new(n);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let start = &start;
                s.spawn(move || {
                    start.wait();
                    engine.deploy(wasm, config(&format!("f{i}")))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().expect("every concurrent deploy succeeds"))
            .collect()
    })
}

/// Every file in the artifact dir as (name, length).
fn artifact_files(dir: &std::path::Path) -> Vec<(String, u64)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().unwrap().len(),
            )
        })
        .collect()
}

#[tokio::test]
async fn concurrent_deploys_of_the_same_code_share_one_compile() {
    let h = harness();
    let wasm = wasm_fc_test_guests::bytes(wasm_fc_test_guests::EVENT_HELLO);
    let functions = deploy_from_threads(&h.engine, &wasm, 12);
    assert_eq!(
        h.engine.stats().compiles,
        1,
        "12 concurrent deploys of one code compiled once"
    );
    let files = artifact_files(&h.dir.path().join("artifacts"));
    assert_eq!(files.len(), 1, "one artifact and no temp files: {files:?}");
    assert!(files.iter().all(|(_, len)| *len > 0), "{files:?}");
    for function in &functions {
        assert!(ok_text(&invoke(function, r#"{"name":"n"}"#).await).contains("hello, n"));
    }
}

#[tokio::test]
async fn an_empty_artifact_is_never_loaded_and_is_compiled_over() {
    let h = harness();
    let wasm = wasm_fc_test_guests::bytes(wasm_fc_test_guests::EVENT_HELLO);
    let digest = Engine::digest(&wasm);
    h.deploy(wasm_fc_test_guests::EVENT_HELLO, config("a"));
    let artifacts = h.dir.path().join("artifacts");
    corrupt_all(&artifacts, b"");
    assert!(
        h.engine
            .load_compiled(&digest, u64::MAX, config("a"))
            .unwrap()
            .is_none(),
        "an empty artifact is not found"
    );
    let function = h
        .engine
        .load(&digest, || Ok(wasm.clone()), config("a"))
        .unwrap();
    assert!(ok_text(&invoke(&function, r#"{"name":"e"}"#).await).contains("hello, e"));
    assert_eq!(h.engine.stats().compiles, 2);
    let files = artifact_files(&artifacts);
    assert!(
        files.len() == 1 && files[0].1 > 0,
        "the empty file was replaced: {files:?}"
    );
}

#[tokio::test]
async fn concurrent_loads_of_a_corrupt_artifact_recompile_it_once() {
    let h = harness();
    let wasm = wasm_fc_test_guests::bytes(wasm_fc_test_guests::EVENT_HELLO);
    let digest = Engine::digest(&wasm);
    h.deploy(wasm_fc_test_guests::EVENT_HELLO, config("a"));
    corrupt_all(&h.dir.path().join("artifacts"), b"garbage");
    let n = 8;
    let start = std::sync::Barrier::new(n);
    let functions: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (start, engine, wasm, digest) = (&start, &h.engine, &wasm, &digest);
                s.spawn(move || {
                    start.wait();
                    engine.load(digest, || Ok(wasm.clone()), config(&format!("f{i}")))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().expect("every load succeeds"))
            .collect()
    });
    assert_eq!(
        h.engine.stats().compiles,
        2,
        "the first deploy, then one recompile shared by all {n} loads"
    );
    for function in &functions {
        assert!(ok_text(&invoke(function, r#"{"name":"c"}"#).await).contains("hello, c"));
    }
}
