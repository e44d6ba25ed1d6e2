//! Executor for `wasi:http/proxy` components: one `incoming-handler.handle`
//! call per request, on a warm instance (FC semantics) or a fresh one.

use bytes::Bytes;
use http_body_util::BodyExt;
use tokio::sync::oneshot;
use wasmtime::Store;
use wasmtime::component::Resource;
use wasmtime_wasi_http::WasiHttpView;
use wasmtime_wasi_http::p2::bindings::Proxy;
use wasmtime_wasi_http::p2::bindings::http::types::{ErrorCode, Scheme};
use wasmtime_wasi_http::p2::body::HyperOutgoingBody;
use wasmtime_wasi_http::p2::types::{HostIncomingRequest, HostResponseOutparam};

use crate::abi::executor::{Boxed, EventDelivery, Executor, HttpDelivery};
use crate::abi::guard;
use crate::abi::{Abi, Exports};
use crate::config::FunctionConfig;
use crate::error::FunctionError;
use crate::host::state::ComponentState;

/// What the guest answered with (or the error code it set instead of a response).
pub(crate) type GuestResponse = Result<hyper::Response<HyperOutgoingBody>, ErrorCode>;

/// The request and response-outparam resources, ready for `handle`.
pub(crate) struct Prepared {
    request: Resource<HostIncomingRequest>,
    outparam: Resource<HostResponseOutparam>,
}

/// Registers the request in the instance's resource table and creates the
/// channel the guest's response arrives on.
pub(crate) fn prepare<B>(
    store: &mut Store<ComponentState>,
    request: http::Request<B>,
) -> wasmtime::Result<(Prepared, oneshot::Receiver<GuestResponse>)>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    let request = request.map(|body| {
        body.map_err(|e| wasmtime_wasi_http::Error::InternalError(Some(e.to_string())))
    });
    let (tx, rx) = oneshot::channel();
    let mut view = store.data_mut().http();
    let request = view.new_incoming_request(Scheme::Http, request)?;
    let outparam = view.new_response_outparam(tx)?;
    Ok((Prepared { request, outparam }, rx))
}

/// Calls the guest's handler under the function's timeout.
pub(crate) async fn call(
    store: &mut Store<ComponentState>,
    proxy: &Proxy,
    prepared: Prepared,
    config: &FunctionConfig,
) -> Result<(), FunctionError> {
    guard::arm(store, config.timeout);
    let handler = proxy.wasi_http_incoming_handler();
    let outcome = tokio::time::timeout(
        guard::backstop(config.timeout),
        handler.call_handle(&mut *store, prepared.request, prepared.outparam),
    )
    .await;
    guard::finish(
        store,
        outcome,
        "Function",
        config.timeout,
        config.memory_size_mb,
    )
}

/// A guest-set error code as a function error.
pub(crate) fn error_code(code: &ErrorCode) -> FunctionError {
    FunctionError::unhandled(
        "HttpError",
        format!("the function answered with an error instead of a response: {code:?}"),
    )
}

/// The `wasi:http/proxy` world's executor: warm instances that take streamed
/// HTTP requests (an event arrives as `POST /invoke`), with FC's context in
/// `x-fc-*` headers and no initializer call.
pub(crate) struct HttpExecutor(
    pub(crate) wasmtime_wasi_http::p2::bindings::ProxyPre<ComponentState>,
);

impl Executor for HttpExecutor {
    fn abi(&self) -> Abi {
        Abi::Http
    }

    fn event_delivery(&self) -> EventDelivery {
        EventDelivery::HttpPost
    }

    fn http_delivery(&self) -> HttpDelivery {
        HttpDelivery::Streamed
    }

    fn sends_context_headers(&self) -> bool {
        true
    }

    fn instantiate<'a>(
        &'a self,
        store: &'a mut Store<ComponentState>,
    ) -> Boxed<'a, wasmtime::Result<Exports>> {
        Box::pin(async move { self.0.instantiate_async(store).await.map(Exports::Http) })
    }
}
