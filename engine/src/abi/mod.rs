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
pub(crate) mod guard;
pub mod http;
pub(crate) mod runtime;

use std::path::Path;

use wasmtime::component::{Component, Linker};

use crate::artifacts::WasmKind;
use crate::engine::EngineInner;
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

/// A loaded function version: the compiled code with imports resolved once.
pub(crate) enum Loaded {
    Event(event::EventHandlerPre<ComponentState>),
    Http(wasmtime_wasi_http::p2::bindings::ProxyPre<ComponentState>),
    Command(wasmtime::InstancePre<CommandState>),
    Runtime(runtime::InterpretedPre<ComponentState>),
}

impl Loaded {
    pub(crate) fn abi(&self) -> Abi {
        match self {
            Self::Event(_) => Abi::Event,
            Self::Http(_) => Abi::Http,
            Self::Command(_) => Abi::Command,
            Self::Runtime(_) => Abi::Runtime,
        }
    }
}

/// The one component linker: all of WASI p2 (Rust std imports `wasi:cli` even
/// in HTTP components), `wasi:http`, and `fc:function/files` for the runtimes.
pub(crate) fn component_linker(
    engine: &wasmtime::Engine,
) -> wasmtime::Result<Linker<ComponentState>> {
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
pub(crate) fn module_linker(
    engine: &wasmtime::Engine,
) -> wasmtime::Result<wasmtime::Linker<CommandState>> {
    let mut linker = wasmtime::Linker::new(engine);
    wasmtime_wasi::p1::add_to_linker_async(&mut linker, |state: &mut CommandState| {
        &mut state.wasi
    })?;
    Ok(linker)
}

/// Loads an artifact, detects its ABI and resolves its imports.
pub(crate) fn load(
    engine: &EngineInner,
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
                unsafe { Component::deserialize_file(&engine.wasmtime, path) }.map_err(invalid)?;
            let pre = engine
                .component_linker
                .instantiate_pre(&component)
                .map_err(unsupported)?;
            // The interpreted world is the only one exporting `handle-http`.
            if component.get_export_index(None, "handle-http").is_some() {
                let pre = runtime::InterpretedPre::new(pre).map_err(unsupported)?;
                return Ok(Loaded::Runtime(pre));
            }
            // The event world exports a plain `handle` function: a direct lookup.
            if component.get_export_index(None, "handle").is_some() {
                let pre = event::EventHandlerPre::new(pre).map_err(unsupported)?;
                return Ok(Loaded::Event(pre));
            }
            // wasi:http/incoming-handler at any 0.2.x version (ProxyPre matches semver).
            match wasmtime_wasi_http::p2::bindings::ProxyPre::new(pre) {
                Ok(pre) => Ok(Loaded::Http(pre)),
                Err(_) => Err(DeployError::UnsupportedAbi(format!(
                    "the component exports [{}]; expected the fc:function event world (`handle`, `initialize`) \
                     or `wasi:http/incoming-handler@0.2.x`",
                    export_names(&engine.wasmtime, &component).join(", ")
                ))),
            }
        }
        WasmKind::Module => {
            // SAFETY: as above, for `precompile_module` output.
            let module = unsafe { wasmtime::Module::deserialize_file(&engine.wasmtime, path) }
                .map_err(invalid)?;
            if module.get_export("_start").is_none() {
                let exports: Vec<&str> = module.exports().map(|e| e.name()).collect();
                return Err(DeployError::UnsupportedAbi(format!(
                    "the core module exports [{}]; a WASI p1 command must export `_start` \
                     (build a binary crate for wasm32-wasip1)",
                    exports.join(", ")
                )));
            }
            let pre = engine
                .module_linker
                .instantiate_pre(&module)
                .map_err(unsupported)?;
            Ok(Loaded::Command(pre))
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
