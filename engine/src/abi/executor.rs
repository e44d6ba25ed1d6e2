//! [`Executor`]: what differs between the guest ABIs, behind one trait, so a
//! [`crate::function::Function`] runs every ABI through the same code. Each ABI
//! has its executor type in its own module: [`super::event::EventExecutor`],
//! [`super::http::HttpExecutor`], [`super::runtime::RuntimeExecutor`] and
//! [`super::command::CommandExecutor`].

use std::future::Future;
use std::pin::Pin;

use wasmtime::Store;

use super::event::fc::function::types::Context;
use super::guard::Reported;
use super::{Abi, Exports};
use crate::config::FunctionConfig;
use crate::error::FunctionError;
use crate::host::state::{CommandState, ComponentState};

/// A boxed future borrowing the executor and its arguments.
pub(crate) type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How an event (InvokeFunction, async, timers) reaches the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventDelivery {
    /// A call on a warm instance ([`Executor::handle_event`]).
    Call,
    /// `POST /invoke` with the event as its body (wasi:http components).
    HttpPost,
    /// A fresh process per event: stdin in, stdout out (WASI commands).
    FreshProcess,
}

/// How an HTTP request (HTTP triggers) reaches the guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpDelivery {
    /// Streamed to `wasi:http/incoming-handler` on a warm instance.
    Streamed,
    /// Buffered into one record for the interpreter's HTTP handler.
    Buffered,
    /// CGI on a fresh process.
    Cgi,
    /// The ABI cannot take HTTP requests (event handlers).
    Refused,
}

/// One guest ABI's way of running a function.
pub(crate) trait Executor: Send + Sync + 'static {
    fn abi(&self) -> Abi;

    fn event_delivery(&self) -> EventDelivery;

    fn http_delivery(&self) -> HttpDelivery;

    /// Whether its instances read the function's code through
    /// `fc:function/files` (the interpreted runtimes).
    fn reads_code_files(&self) -> bool {
        false
    }

    /// Whether its instances get FC's context as `x-fc-*` request headers.
    fn sends_context_headers(&self) -> bool {
        false
    }

    /// Instantiates a warm instance into `store`. Only the ABIs whose
    /// instances live on (components) have one.
    fn instantiate<'a>(
        &'a self,
        _store: &'a mut Store<ComponentState>,
    ) -> Boxed<'a, wasmtime::Result<Exports>> {
        Box::pin(async { Err(wasmtime::Error::msg("this ABI keeps no warm instances")) })
    }

    /// Runs the function's initializer on a warm instance; the ABIs without
    /// an initializer call succeed at once.
    fn initialize<'a>(
        &'a self,
        _store: &'a mut Store<ComponentState>,
        _exports: &'a Exports,
        _config: &'a FunctionConfig,
        _record: &'a Context,
    ) -> Boxed<'a, Reported<()>> {
        Box::pin(async { Ok(Ok(())) })
    }

    /// Handles an event on a warm instance ([`EventDelivery::Call`]).
    fn handle_event<'a>(
        &'a self,
        _store: &'a mut Store<ComponentState>,
        _exports: &'a Exports,
        _config: &'a FunctionConfig,
        _event: &'a [u8],
        _record: &'a Context,
    ) -> Boxed<'a, Reported<Vec<u8>>> {
        Box::pin(async {
            Ok(Err(FunctionError::unhandled(
                "InternalError",
                "this ABI takes no event calls",
            )))
        })
    }

    /// The command to run per call ([`EventDelivery::FreshProcess`],
    /// [`HttpDelivery::Cgi`]).
    fn command(&self) -> Option<&wasmtime::InstancePre<CommandState>> {
        None
    }
}

/// The `Exports` variant an executor made does not match it: a bug, reported
/// as the function's failure rather than a panic.
pub(crate) fn wrong_exports<T>(abi: Abi) -> Reported<T> {
    Ok(Err(FunctionError::unhandled(
        "InternalError",
        format!("a {abi:?} instance has another ABI's exports"),
    )))
}
