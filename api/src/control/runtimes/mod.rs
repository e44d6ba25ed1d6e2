//! The Python and Node.js runtimes: one Wasm component per language holding the
//! interpreter (pre-initialised), FC's handler conventions and a loader of the
//! user's code from `/code`. They are built once per install from registry
//! packages (`componentize-py`, `componentize-js`) and precompiled once; a
//! Python or Node.js function's code is then just a directory, and deploying
//! one compiles nothing.
//!
//! | FC runtime | runs on |
//! |---|---|
//! | `python3`, `python3.6` … `python3.12` | CPython 3.14 (componentize-py 0.25.1) |
//! | `nodejs4.4`, `nodejs6` … `nodejs20` | SpiderMonkey / StarlingMonkey (componentize-js 0.23.0) |
//! | `custom`, `custom.debian10`, `wasm` | the code's own Wasm |

mod children;
mod install;
mod readiness;
mod registry;
mod sources;
mod tools;

pub use children::BUILD_MARKER;
pub use install::{InstallError, install, install_stoppable};
pub use readiness::{needed_by, waiting_for};
pub use registry::{Installed, Runtimes};
pub use sources::{COMPONENTIZE_JS, COMPONENTIZE_PY};

use crate::control::error::{ApiError, ApiResult};

/// An interpreted language wasm-fc runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Language {
    Python,
    Nodejs,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::Python, Language::Nodejs];

    /// `python` / `nodejs`: file names and messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Python => "python",
            Self::Nodejs => "nodejs",
        }
    }

    /// What actually runs, for banners and errors.
    pub fn engine(self) -> &'static str {
        match self {
            Self::Python => "CPython 3.14 (componentize-py 0.25.1)",
            Self::Nodejs => "SpiderMonkey/StarlingMonkey (componentize-js 0.23.0)",
        }
    }

    /// The handler file's extension: `index.handler` is `index.py` / `index.js`.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Python => "py",
            Self::Nodejs => "js",
        }
    }

    /// The registry package that builds this runtime.
    pub fn tool(self) -> &'static str {
        match self {
            Self::Python => COMPONENTIZE_PY,
            Self::Nodejs => COMPONENTIZE_JS,
        }
    }
}

/// What a function's `runtime` means here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuntimeKind {
    /// The code zip holds Wasm (`custom`, `custom.debian10`, `wasm`).
    Wasm,
    /// The code zip holds source for an interpreter.
    Interpreted(Language),
}

/// FC runtime names wasm-fc accepts.
pub const WASM_RUNTIMES: &[&str] = &[
    "custom",
    "custom.debian10",
    "custom.debian11",
    "custom.debian12",
    "wasm",
];
pub const PYTHON_RUNTIMES: &[&str] = &[
    "python3",
    "python3.6",
    "python3.7",
    "python3.8",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
];
pub const NODEJS_RUNTIMES: &[&str] = &[
    "nodejs4.4",
    "nodejs6",
    "nodejs8",
    "nodejs10",
    "nodejs12",
    "nodejs14",
    "nodejs16",
    "nodejs18",
    "nodejs20",
];

/// Classifies an FC `runtime`; an unsupported one is a 400 that lists what is.
pub fn classify(runtime: &str) -> ApiResult<RuntimeKind> {
    if WASM_RUNTIMES.contains(&runtime) {
        return Ok(RuntimeKind::Wasm);
    }
    if PYTHON_RUNTIMES.contains(&runtime) {
        return Ok(RuntimeKind::Interpreted(Language::Python));
    }
    if NODEJS_RUNTIMES.contains(&runtime) {
        return Ok(RuntimeKind::Interpreted(Language::Nodejs));
    }
    let hint = if runtime == "python2.7" {
        " (Python 2 is not supported: every python3.x runtime runs on CPython 3.14; port the code to Python 3)"
    } else {
        ""
    };
    Err(ApiError::InvalidArgument(format!(
        "runtime {runtime:?} is not supported by wasm-fc{hint}; supported runtimes: {}, {}, {}",
        WASM_RUNTIMES.join(", "),
        PYTHON_RUNTIMES.join(", "),
        NODEJS_RUNTIMES.join(", ")
    )))
}

/// The file a handler names, relative to the code root: `index.handler` →
/// `index.wasm` (Wasm runtimes), `index.py` or `index.js`; `src/app.main` →
/// `src/app.py`. The same rule checks every runtime's handler syntax.
pub fn handler_file(kind: RuntimeKind, handler: &str) -> ApiResult<String> {
    let (module, entry) = handler.rsplit_once('.').ok_or_else(|| {
        ApiError::InvalidArgument(format!(
            "handler {handler:?} must be <file>.<entry>, e.g. index.handler"
        ))
    })?;
    if module.is_empty()
        || entry.is_empty()
        || module.starts_with('/')
        || module
            .split('/')
            .any(|part| part == ".." || part.is_empty())
    {
        return Err(ApiError::InvalidArgument(format!(
            "handler {handler:?} must be <file>.<entry> with a relative file path"
        )));
    }
    let extension = match kind {
        RuntimeKind::Wasm => "wasm",
        RuntimeKind::Interpreted(language) => language.extension(),
    };
    Ok(format!("{module}.{extension}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtimes_and_handlers() {
        assert_eq!(classify("custom").ok(), Some(RuntimeKind::Wasm));
        assert_eq!(
            classify("python3.9").ok(),
            Some(RuntimeKind::Interpreted(Language::Python))
        );
        assert_eq!(
            classify("nodejs20").ok(),
            Some(RuntimeKind::Interpreted(Language::Nodejs))
        );
        let py2 = classify("python2.7").unwrap_err().to_string();
        assert!(
            py2.contains("Python 2 is not supported") && py2.contains("python3.12"),
            "{py2}"
        );
        assert!(
            classify("java8")
                .unwrap_err()
                .to_string()
                .contains("nodejs20")
        );
        let python = RuntimeKind::Interpreted(Language::Python);
        assert_eq!(handler_file(python, "index.handler").unwrap(), "index.py");
        assert_eq!(handler_file(python, "src/app.main").unwrap(), "src/app.py");
        assert_eq!(
            handler_file(RuntimeKind::Interpreted(Language::Nodejs), "index.handler").unwrap(),
            "index.js"
        );
        assert_eq!(
            handler_file(RuntimeKind::Wasm, "dir/app.entry").unwrap(),
            "dir/app.wasm"
        );
        for bad in [
            "nodot",
            "../x.handler",
            "/abs.handler",
            "a//b.h",
            ".handler",
            "index.",
        ] {
            assert!(handler_file(python, bad).is_err(), "{bad}");
        }
    }
}
