//! Executor for the `fc:function` event world (`engine/wit/fc-function.wit`).

use wasmtime::Store;

use crate::abi::executor::{Boxed, EventDelivery, Executor, HttpDelivery, wrong_exports};
use crate::abi::guard::{self, Reported};
use crate::abi::{Abi, Exports};
use crate::config::FunctionConfig;
use crate::error::{ErrorKind, FunctionError, StackFrame};
use crate::host::context::FcContext;
use crate::host::state::ComponentState;

wasmtime::component::bindgen!({
    path: "wit",
    world: "event-handler",
    exports: { default: async },
});

use fc::function::types as wit;

/// The WIT context record for one call.
pub(crate) fn context_record(ctx: &FcContext<'_>) -> wit::Context {
    let f = ctx.function;
    let i = ctx.invoke;
    wit::Context {
        request_id: i.request_id.clone(),
        function: wit::FunctionMeta {
            name: f.function.clone(),
            handler: f.handler.clone(),
            memory_size: f.memory_size_mb,
            timeout: u32::try_from(f.timeout.as_secs()).unwrap_or(u32::MAX),
            initializer: f.initializer.clone().unwrap_or_default(),
        },
        service: wit::ServiceMeta {
            name: f.service.clone(),
            qualifier: ctx.qualifier().to_string(),
            version_id: i.version_id.clone(),
            log_project: i.log_project.clone(),
            log_store: i.log_store.clone(),
        },
        credentials: wit::Credentials {
            access_key_id: i.access_key_id.clone(),
            access_key_secret: i.access_key_secret.clone(),
            security_token: i.security_token.clone(),
        },
        region: i.region.clone(),
        account_id: i.account_id.clone(),
        instance_id: ctx.instance_id.to_string(),
    }
}

/// A guest's own error, as FC's `HandledInvocationError`.
fn handled(err: wit::Error) -> FunctionError {
    FunctionError {
        kind: ErrorKind::Handled,
        error_type: err.error_type,
        message: err.error_message,
        stack_trace: err.stack_trace.into_iter().map(StackFrame::Text).collect(),
    }
}

/// Runs the guest's `initialize` under `initializationTimeout`.
pub(crate) async fn initialize(
    store: &mut Store<ComponentState>,
    bindings: &EventHandler,
    config: &FunctionConfig,
    record: &wit::Context,
) -> Reported<()> {
    let budget = config.initialization_timeout;
    guard::arm(store, budget);
    let outcome = tokio::time::timeout(
        guard::backstop(budget),
        bindings.call_initialize(&mut *store, record),
    )
    .await;
    let reply = guard::finish(store, outcome, "Initializer", budget, config.memory_size_mb)?;
    Ok(reply.map_err(|err| FunctionError {
        // FC reports every initializer failure as unhandled.
        kind: ErrorKind::Unhandled,
        ..handled(err)
    }))
}

/// Runs the guest's `handle` under the function's timeout.
pub(crate) async fn handle(
    store: &mut Store<ComponentState>,
    bindings: &EventHandler,
    config: &FunctionConfig,
    event: &[u8],
    record: &wit::Context,
) -> Reported<Vec<u8>> {
    guard::arm(store, config.timeout);
    let outcome = tokio::time::timeout(
        guard::backstop(config.timeout),
        bindings.call_handle(&mut *store, event, record),
    )
    .await;
    guard::finish(
        store,
        outcome,
        "Function",
        config.timeout,
        config.memory_size_mb,
    )
    .map(|reply| reply.map_err(handled))
}

/// The `fc:function` event world's executor: warm instances, `initialize` and
/// `handle` calls; no HTTP.
pub(crate) struct EventExecutor(pub(crate) EventHandlerPre<ComponentState>);

impl Executor for EventExecutor {
    fn abi(&self) -> Abi {
        Abi::Event
    }

    fn event_delivery(&self) -> EventDelivery {
        EventDelivery::Call
    }

    fn http_delivery(&self) -> HttpDelivery {
        HttpDelivery::Refused
    }

    fn instantiate<'a>(
        &'a self,
        store: &'a mut Store<ComponentState>,
    ) -> Boxed<'a, wasmtime::Result<Exports>> {
        Box::pin(async move { self.0.instantiate_async(store).await.map(Exports::Event) })
    }

    fn initialize<'a>(
        &'a self,
        store: &'a mut Store<ComponentState>,
        exports: &'a Exports,
        config: &'a FunctionConfig,
        record: &'a wit::Context,
    ) -> Boxed<'a, Reported<()>> {
        Box::pin(async move {
            match exports {
                Exports::Event(bindings) => initialize(store, bindings, config, record).await,
                _ => wrong_exports(Abi::Event),
            }
        })
    }

    fn handle_event<'a>(
        &'a self,
        store: &'a mut Store<ComponentState>,
        exports: &'a Exports,
        config: &'a FunctionConfig,
        event: &'a [u8],
        record: &'a wit::Context,
    ) -> Boxed<'a, Reported<Vec<u8>>> {
        Box::pin(async move {
            match exports {
                Exports::Event(bindings) => handle(store, bindings, config, event, record).await,
                _ => wrong_exports(Abi::Event),
            }
        })
    }
}
