//! The runtimes' sources, embedded in the binary so `wasm-fc runtimes install`
//! needs nothing from the repository. Their hash names the built component, so
//! a new wasm-fc with changed runtime code builds a new one.

use sha2::{Digest, Sha256};

use super::Language;

/// The WIT both runtimes are built against (the `interpreted` world).
pub const WIT: (&str, &str) = (
    "wit/fc-function.wit",
    include_str!("../../../../engine/wit/fc-function.wit"),
);

/// `componentize-py` from PyPI: CPython 3.14 for WASI, pre-initialised.
pub const COMPONENTIZE_PY: &str = "componentize-py==0.25.1";
/// `componentize-js` from npm: SpiderMonkey (StarlingMonkey), pre-initialised.
pub const COMPONENTIZE_JS: &str = "@bytecodealliance/componentize-js@0.23.0";

const PYTHON: &[(&str, &str)] = &[
    (
        "__init__.py",
        include_str!("../../../runtimes/python/wasm_fc_runtime/__init__.py"),
    ),
    (
        "context.py",
        include_str!("../../../runtimes/python/wasm_fc_runtime/context.py"),
    ),
    (
        "errors.py",
        include_str!("../../../runtimes/python/wasm_fc_runtime/errors.py"),
    ),
    (
        "loader.py",
        include_str!("../../../runtimes/python/wasm_fc_runtime/loader.py"),
    ),
    (
        "logs.py",
        include_str!("../../../runtimes/python/wasm_fc_runtime/logs.py"),
    ),
    (
        "preload.py",
        include_str!("../../../runtimes/python/wasm_fc_runtime/preload.py"),
    ),
    (
        "results.py",
        include_str!("../../../runtimes/python/wasm_fc_runtime/results.py"),
    ),
    (
        "stdlib.py",
        include_str!("../../../runtimes/python/wasm_fc_runtime/stdlib.py"),
    ),
    (
        "tablestore.py",
        include_str!("../../../runtimes/python/wasm_fc_runtime/tablestore.py"),
    ),
    (
        "wsgi.py",
        include_str!("../../../runtimes/python/wasm_fc_runtime/wsgi.py"),
    ),
];

const NODEJS: &[(&str, &str)] = &[
    (
        "buffer.js",
        include_str!("../../../runtimes/nodejs/buffer.js"),
    ),
    (
        "builtins.js",
        include_str!("../../../runtimes/nodejs/builtins.js"),
    ),
    (
        "console.js",
        include_str!("../../../runtimes/nodejs/console.js"),
    ),
    (
        "context.js",
        include_str!("../../../runtimes/nodejs/context.js"),
    ),
    (
        "errors.js",
        include_str!("../../../runtimes/nodejs/errors.js"),
    ),
    ("http.js", include_str!("../../../runtimes/nodejs/http.js")),
    (
        "loader.js",
        include_str!("../../../runtimes/nodejs/loader.js"),
    ),
    (
        "runtime.js",
        include_str!("../../../runtimes/nodejs/runtime.js"),
    ),
    (
        "tablestore.js",
        include_str!("../../../runtimes/nodejs/tablestore.js"),
    ),
];

/// The files of one runtime, as (path in the build directory, contents).
pub fn files(language: Language) -> Vec<(String, &'static str)> {
    let (dir, files) = match language {
        Language::Python => ("src/wasm_fc_runtime", PYTHON),
        Language::Nodejs => ("src/wasm-fc-runtime", NODEJS),
    };
    files
        .iter()
        .map(|(name, text)| (format!("{dir}/{name}"), *text))
        .chain(std::iter::once((WIT.0.to_string(), WIT.1)))
        .collect()
}

/// 16 hex digits identifying a runtime build: its sources, the WIT and the tool version.
pub fn build_id(language: Language) -> String {
    let mut hash = Sha256::new();
    hash.update(language.tool().as_bytes());
    for (path, text) in files(language) {
        hash.update(path.as_bytes());
        hash.update([0]);
        hash.update(text.as_bytes());
        hash.update([0]);
    }
    hex::encode(&hash.finalize()[..8])
}
