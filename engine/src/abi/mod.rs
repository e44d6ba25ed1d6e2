//! The three guest ABIs, detected from the Wasm itself:
//!
//! | ABI | detected by | executor |
//! |---|---|---|
//! | [`Abi::Event`] | a component exporting `handle` and `initialize` (the `fc:function` world) | [`event`] |
//! | [`Abi::Http`] | a component exporting `wasi:http/incoming-handler@0.2.x` | [`http`] |
//! | [`Abi::Command`] | a core module exporting `_start` (WASI p1) | [`command`] |
//! | [`Abi::Runtime`] | a component exporting `handle-http` (the `interpreted` world: Python, Node.js) | [`runtime`] |

pub mod cgi;
pub mod command;
pub mod event;
pub(crate) mod executor;
pub(crate) mod guard;
pub mod http;
pub(crate) mod runtime;

use std::path::Path;
use std::sync::Arc;

use wasmtime::component::{Component, Linker};

use crate::artifacts::WasmKind;
use crate::error::DeployError;
use crate::host::state::{CommandState, ComponentState};

/// Which guest ABI a function speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Abi {
    /// The `fc:function` event world: `handle(event, ctx) -> result`.
    Event,
    /// The standard `wasi:http/proxy` world.
    Http,
    /// A WASI p1 command: stdin in, stdout out, context in env.
    Command,
    /// An interpreted runtime (the `interpreted` world): serves events and HTTP.
    Runtime,
}

/// A loaded function version: the compiled code with imports resolved once,
/// behind its ABI's executor.
pub(crate) type Loaded = Arc<dyn executor::Executor>;

/// What a warm component instance exports, by ABI (each executor reads its own).
pub(crate) enum Exports {
    Event(event::EventHandler),
    Http(wasmtime_wasi_http::p2::bindings::Proxy),
    Runtime(runtime::Interpreted),
}

/// The linkers every function shares, built once per engine.
pub(crate) struct Linkers {
    pub(crate) component: Linker<ComponentState>,
    pub(crate) module: wasmtime::Linker<CommandState>,
}

impl Linkers {
    pub(crate) fn new(engine: &wasmtime::Engine) -> wasmtime::Result<Self> {
        Ok(Self {
            component: component_linker(engine)?,
            module: module_linker(engine)?,
        })
    }
}

/// The one component linker: all of WASI p2 (Rust std imports `wasi:cli` even
/// in HTTP components), `wasi:http`, and `fc:function/files` for the runtimes.
fn component_linker(engine: &wasmtime::Engine) -> wasmtime::Result<Linker<ComponentState>> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
    runtime::fc::function::files::add_to_linker::<_, wasmtime::component::HasSelf<_>>(
        &mut linker,
        |state| state,
    )?;
    Ok(linker)
}

/// The one core-module linker: WASI preview 1.
fn module_linker(engine: &wasmtime::Engine) -> wasmtime::Result<wasmtime::Linker<CommandState>> {
    let mut linker = wasmtime::Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |state: &mut CommandState| {
        &mut state.wasi
    })?;
    Ok(linker)
}

/// Loads an artifact, detects its ABI and resolves its imports.
pub(crate) fn load(
    engine: &wasmtime::Engine,
    linkers: &Linkers,
    path: &Path,
    kind: WasmKind,
) -> Result<Loaded, DeployError> {
    let invalid = |e: wasmtime::Error| DeployError::InvalidWasm(format!("{e:#}"));
    let unsupported = |e: wasmtime::Error| DeployError::UnsupportedAbi(format!("{e:#}"));
    match kind {
        WasmKind::Component => {
            // SAFETY: files in the artifact store are written only by
            // `ArtifactStore::compile_to` from wasmtime's own `precompile_component`
            // output, and are never modified in place (written to a temp name, then renamed).
            let component =
                unsafe { Component::deserialize_file(engine, path) }.map_err(invalid)?;
            let pre = linkers
                .component
                .instantiate_pre(&component)
                .map_err(unsupported)?;
            // The interpreted world is the only one exporting `handle-http`.
            if component.get_export_index(None, "handle-http").is_some() {
                let pre = runtime::InterpretedPre::new(pre).map_err(unsupported)?;
                return Ok(Arc::new(runtime::RuntimeExecutor(pre)));
            }
            // The event world exports a plain `handle` function: a direct lookup.
            if component.get_export_index(None, "handle").is_some() {
                let pre = event::EventHandlerPre::new(pre).map_err(unsupported)?;
                return Ok(Arc::new(event::EventExecutor(pre)));
            }
            // wasi:http/incoming-handler at any 0.2.x version (ProxyPre matches semver).
            match wasmtime_wasi_http::p2::bindings::ProxyPre::new(pre) {
                Ok(pre) => Ok(Arc::new(http::HttpExecutor(pre))),
                Err(_) => Err(DeployError::UnsupportedAbi(format!(
                    "the component exports [{}]; expected the fc:function event world (`handle`, `initialize`) \
                     or `wasi:http/incoming-handler@0.2.x`",
                    export_names(engine, &component).join(", ")
                ))),
            }
        }
        WasmKind::Module => {
            // SAFETY: as above, for `precompile_module` output.
            let module =
                unsafe { wasmtime::Module::deserialize_file(engine, path) }.map_err(invalid)?;
            if module.get_export("_start").is_none() {
                let exports: Vec<&str> = module.exports().map(|e| e.name()).collect();
                return Err(DeployError::UnsupportedAbi(format!(
                    "the core module exports [{}]; a WASI p1 command must export `_start` \
                     (build a binary crate for wasm32-wasip1)",
                    exports.join(", ")
                )));
            }
            let pre = linkers
                .module
                .instantiate_pre(&module)
                .map_err(unsupported)?;
            Ok(Arc::new(command::CommandExecutor(pre)))
        }
    }
}

fn export_names(engine: &wasmtime::Engine, component: &Component) -> Vec<String> {
    component
        .component_type()
        .exports(engine)
        .map(|(name, _)| name.to_string())
        .collect()
}
