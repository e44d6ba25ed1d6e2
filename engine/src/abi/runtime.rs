//! Executor for the `interpreted` world (`engine/wit/fc-function.wit`): one
//! runtime component per language (Python, Node.js) that loads the user's code
//! from `/code` and applies FC's handler conventions.
//!
//! A user's exception or `callback(err)` is the inner `Err` of [`Reported`]: the
//! interpreter is still healthy afterwards and the instance stays warm.

use wasmtime::Store;

use crate::abi::executor::{Boxed, EventDelivery, Executor, HttpDelivery, wrong_exports};
use crate::abi::guard::{self, Reported};
use crate::abi::{Abi, Exports};
use crate::config::FunctionConfig;
use crate::error::{ErrorKind, FunctionError, StackFrame};
use crate::host::state::ComponentState;

wasmtime::component::bindgen!({
    path: "wit",
    world: "interpreted",
    exports: { default: async },
    with: { "fc:function/types": crate::abi::event::fc::function::types },
});

/// `fc:function/files`: the runtimes read the user's code through the
/// function's directories, opened once ([`crate::host::files::ReadableDirs`]).
impl fc::function::files::Host for ComponentState {
    fn read_file(&mut self, path: String) -> Option<Vec<u8>> {
        self.files.read(&path)
    }
}

// The world's `use`s put `Context`, `HttpRequest`, `HttpResponse` and
// `RuntimeError` in scope here.
use fc::function::http_types::StackFrame as WitFrame;

/// The runtime's report of a failed call, in FC's terms.
fn reported(err: RuntimeError) -> FunctionError {
    FunctionError {
        kind: if err.handled {
            ErrorKind::Handled
        } else {
            ErrorKind::Unhandled
        },
        error_type: err.error_type,
        message: err.error_message,
        stack_trace: err
            .stack_trace
            .into_iter()
            .map(|frame| match frame {
                WitFrame::Text(text) => StackFrame::Text(text),
                WitFrame::Parts(parts) => StackFrame::Parts(parts),
            })
            .collect(),
    }
}

/// How a guarded call to the runtime ended, in FC's terms. An interpreter
/// that ran into memorySize reports it as its own exception (`MemoryError`,
/// `out of memory`) and carries on; FC says `OutOfMemoryError`, and an
/// interpreter that hit its ceiling is retired rather than trusted.
fn conclude<T>(
    store: &mut Store<ComponentState>,
    outcome: Result<wasmtime::Result<Result<T, RuntimeError>>, tokio::time::error::Elapsed>,
    what: &str,
    budget: std::time::Duration,
    config: &FunctionConfig,
) -> Reported<T> {
    let reply = guard::finish(store, outcome, what, budget, config.memory_size_mb)?;
    let hit_limit = std::mem::take(&mut store.data_mut().limiter.hit_limit);
    if hit_limit && reply.is_err() {
        return Err(guard::out_of_memory(what, config.memory_size_mb));
    }
    Ok(reply.map_err(reported))
}

/// Runs the function's initializer under `initializationTimeout`.
pub(crate) async fn initialize(
    store: &mut Store<ComponentState>,
    bindings: &Interpreted,
    config: &FunctionConfig,
    record: &Context,
) -> Reported<()> {
    let budget = config.initialization_timeout;
    guard::arm(store, budget);
    let call = bindings.call_initialize(&mut *store, record);
    let outcome = tokio::time::timeout(guard::backstop(budget), call).await;
    let reply = conclude(store, outcome, "Initializer", budget, config)?;
    Ok(reply.map_err(|error| FunctionError {
        // FC reports every initializer failure as unhandled.
        kind: ErrorKind::Unhandled,
        ..error
    }))
}

/// Runs `handler(event, context)` under the function's timeout.
pub(crate) async fn handle(
    store: &mut Store<ComponentState>,
    bindings: &Interpreted,
    config: &FunctionConfig,
    event: &[u8],
    record: &Context,
) -> Reported<Vec<u8>> {
    guard::arm(store, config.timeout);
    let call = bindings.call_handle(&mut *store, event, record);
    let outcome = tokio::time::timeout(guard::backstop(config.timeout), call).await;
    conclude(store, outcome, "Function", config.timeout, config)
}

/// Runs the HTTP handler under the function's timeout.
pub(crate) async fn handle_http(
    store: &mut Store<ComponentState>,
    bindings: &Interpreted,
    config: &FunctionConfig,
    request: &HttpRequest,
    record: &Context,
) -> Reported<HttpResponse> {
    guard::arm(store, config.timeout);
    let call = bindings.call_handle_http(&mut *store, request, record);
    let outcome = tokio::time::timeout(guard::backstop(config.timeout), call).await;
    conclude(store, outcome, "Function", config.timeout, config)
}

/// The `interpreted` world's executor (Python, Node.js): warm instances,
/// `initialize` and `handle` calls for events, buffered HTTP requests, and
/// the function's code read through `fc:function/files`.
pub(crate) struct RuntimeExecutor(pub(crate) InterpretedPre<ComponentState>);

impl Executor for RuntimeExecutor {
    fn abi(&self) -> Abi {
        Abi::Runtime
    }

    fn event_delivery(&self) -> EventDelivery {
        EventDelivery::Call
    }

    fn http_delivery(&self) -> HttpDelivery {
        HttpDelivery::Buffered
    }

    fn reads_code_files(&self) -> bool {
        true
    }

    fn instantiate<'a>(
        &'a self,
        store: &'a mut Store<ComponentState>,
    ) -> Boxed<'a, wasmtime::Result<Exports>> {
        Box::pin(async move { self.0.instantiate_async(store).await.map(Exports::Runtime) })
    }

    fn initialize<'a>(
        &'a self,
        store: &'a mut Store<ComponentState>,
        exports: &'a Exports,
        config: &'a FunctionConfig,
        record: &'a Context,
    ) -> Boxed<'a, Reported<()>> {
        Box::pin(async move {
            match exports {
                Exports::Runtime(bindings) => initialize(store, bindings, config, record).await,
                _ => wrong_exports(Abi::Runtime),
            }
        })
    }

    fn handle_event<'a>(
        &'a self,
        store: &'a mut Store<ComponentState>,
        exports: &'a Exports,
        config: &'a FunctionConfig,
        event: &'a [u8],
        record: &'a Context,
    ) -> Boxed<'a, Reported<Vec<u8>>> {
        Box::pin(async move {
            match exports {
                Exports::Runtime(bindings) => handle(store, bindings, config, event, record).await,
                _ => wrong_exports(Abi::Runtime),
            }
        })
    }
}
