//! What a wasmtime `Store` holds for each ABI.

use std::sync::Arc;
use std::time::Instant;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpHooks, WasiHttpView};

use crate::host::files::ReadableDirs;
use crate::host::limits::MemoryLimiter;
use crate::host::log::LogCapture;

/// Store data of a component instance (event world or wasi:http).
pub struct ComponentState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub hooks: OutboundHttp,
    pub limiter: MemoryLimiter,
    pub log: LogCapture,
    /// When the current call must stop; checked on every epoch tick.
    pub deadline: Instant,
    /// The function's directories for `fc:function/files` (interpreted runtimes).
    pub files: Arc<ReadableDirs>,
}

impl WasiView for ComponentState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for ComponentState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// Store data of a WASI p1 command.
pub struct CommandState {
    pub wasi: WasiP1Ctx,
    pub limiter: MemoryLimiter,
    pub deadline: Instant,
}

/// Outbound `wasi:http` policy: FC's `internetAccess`. Denied requests fail in
/// the guest with `HTTP-request-denied`, before any connection is made.
#[derive(Debug, Clone, Default)]
pub struct OutboundHttp {
    pub allowed: bool,
    /// Set on every request of the current invocation (see
    /// `InvokeContext::outbound_headers`); replaced per invocation.
    pub headers: Arc<[(http::HeaderName, http::HeaderValue)]>,
}

impl OutboundHttp {
    /// Takes the current invocation's headers; names or values that are not
    /// valid HTTP are left out (the platform sets them, so that is a bug there,
    /// logged rather than failing the invocation).
    pub fn set_headers(&mut self, headers: &[(String, String)]) {
        self.headers = headers
            .iter()
            .filter_map(|(name, value)| {
                let parsed = http::HeaderName::try_from(name.as_str())
                    .ok()
                    .zip(http::HeaderValue::try_from(value.as_str()).ok());
                if parsed.is_none() {
                    tracing::warn!(header = %name, "outbound header is not valid HTTP; left out");
                }
                parsed
            })
            .collect();
    }
}

impl WasiHttpHooks for OutboundHttp {
    fn send_request(
        &mut self,
        mut request: http::Request<wasmtime_wasi_http::WasiBody>,
        options: Option<wasmtime_wasi_http::RequestOptions>,
        fut: Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<
        dyn Future<
                Output = wasmtime_wasi_http::Result<(
                    http::Response<wasmtime_wasi_http::WasiBody>,
                    Box<dyn Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
                )>,
            > + Send,
    > {
        drop(fut);
        let allowed = self.allowed;
        for (name, value) in self.headers.iter() {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        Box::new(async move {
            if !allowed {
                return Err(wasmtime_wasi_http::Error::HttpRequestDenied);
            }
            use http_body_util::BodyExt;
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((
                response.map(BodyExt::boxed_unsync),
                Box::new(io) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }

    /// The default forbidden list, checked directly: the trait's default goes
    /// through `forbidden_header_filter`, which allocates an `Arc` closure per
    /// header (every header of every incoming request is checked). It agrees
    /// with the default `forbidden_header_filter`, which guest-built fields use.
    fn is_forbidden_header(&mut self, name: &http::HeaderName) -> bool {
        wasmtime_wasi_http::DEFAULT_FORBIDDEN_HEADERS.contains(name)
    }
}
