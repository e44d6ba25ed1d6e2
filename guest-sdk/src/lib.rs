//! Write Alibaba Function Compute handlers in Rust and run them on wasm-fc.
//!
//! Build with `cargo build --target wasm32-wasip2 --release`; the result is a
//! component that wasm-fc runs as-is (put it in the code zip as `index.wasm` for
//! the handler `index.handler`).
//!
//! # An event handler
//!
//! FC's `handler(event, context) -> result`. The event is the raw payload bytes;
//! the result is the response body. Any `std::error::Error` converts into a
//! handled function error with `?`.
//!
//! ```no_run
//! use wasm_fc_guest::{Context, Error, log};
//!
//! fn handler(event: Vec<u8>, ctx: &Context) -> Result<Vec<u8>, Error> {
//!     let text = String::from_utf8(event)?;
//!     log::info!("got {} bytes in {}", text.len(), ctx.function.name);
//!     Ok(format!("hello, {text}").into_bytes())
//! }
//!
//! wasm_fc_guest::export_event_handler!(handler);
//! ```
//!
//! With an initializer, which runs once per instance before its first event:
//!
//! ```no_run
//! # use wasm_fc_guest::{Context, Error};
//! # fn handler(_: Vec<u8>, _: &Context) -> Result<Vec<u8>, Error> { Ok(vec![]) }
//! fn init(ctx: &Context) -> Result<(), Error> {
//!     wasm_fc_guest::log::info!("instance {} starting", ctx.instance_id);
//!     Ok(())
//! }
//! wasm_fc_guest::export_event_handler!(handler, initializer = init);
//! ```
//!
//! # An HTTP handler
//!
//! FC's `handler(request, response, context)`, on top of the standard
//! `wasi:http/incoming-handler` export (so the same component also runs under
//! `wasmtime serve` or Spin):
//!
//! ```no_run
//! use wasm_fc_guest::{Context, Request, Response};
//!
//! fn handler(req: Request, resp: &mut Response, ctx: &Context) {
//!     resp.set_status_code(200);
//!     resp.set_header("content-type", "text/plain");
//!     resp.send(format!("{} {} from {}", req.method, req.path, req.client_ip));
//! }
//!
//! wasm_fc_guest::export_http_handler!(handler);
//! ```
//!
//! # Logging
//!
//! [`log::info!`] and friends write `<time> <requestId> [LEVEL] message` lines to
//! stderr, which wasm-fc captures into the function's log and the
//! `X-Fc-Log-Result` tail, exactly like FC's runtime loggers. Plain `println!`
//! and `eprintln!` output lands in the log too, unprefixed.
//!
//! # TableStore triggers
//!
//! FC's TableStore trigger delivers its event CBOR-encoded;
//! [`tablestore::decode`] turns it into typed records:
//! `let batch = wasm_fc_guest::tablestore::decode(&event)?;`.

mod context;
mod error;
#[doc(hidden)]
pub mod event;
#[doc(hidden)]
pub mod http;
pub mod log;
pub mod tablestore;

pub use context::{Context, Credentials, FunctionMeta, ServiceMeta};
pub use error::Error;
pub use http::{Request, Response};

/// The generated bindings of the `fc:function` event world. Not a stable API.
#[doc(hidden)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../engine/wit",
        world: "event-handler",
        pub_export_macro: true,
        default_bindings_module: "wasm_fc_guest::bindings",
    });
}

/// Re-exported so the export macros work in crates that do not depend on `wasip2`.
#[doc(hidden)]
pub use wasip2 as __wasip2;

/// Exports an FC event handler (and optionally an initializer) from this component.
///
/// The handler has the shape `fn(Vec<u8>, &Context) -> Result<R, E>` where `R`
/// converts into the response bytes (`Vec<u8>`, `String`, `&'static str`) and
/// `E: Into<Error>`. The initializer is `fn(&Context) -> Result<(), E>`.
#[macro_export]
macro_rules! export_event_handler {
    ($handler:path) => {
        $crate::export_event_handler!($handler, initializer = $crate::event::no_initializer);
    };
    ($handler:path, initializer = $init:path) => {
        struct __WasmFcEventGuest;
        impl $crate::bindings::Guest for __WasmFcEventGuest {
            fn initialize(
                ctx: $crate::bindings::fc::function::types::Context,
            ) -> ::core::result::Result<(), $crate::bindings::fc::function::types::Error> {
                $crate::event::run_initializer(ctx, $init)
            }
            fn handle(
                event: ::std::vec::Vec<u8>,
                ctx: $crate::bindings::fc::function::types::Context,
            ) -> ::core::result::Result<::std::vec::Vec<u8>, $crate::bindings::fc::function::types::Error>
            {
                $crate::event::run_handler(event, ctx, $handler)
            }
        }
        $crate::bindings::export!(__WasmFcEventGuest with_types_in $crate::bindings);
    };
}

/// Exports an FC HTTP handler, `fn(Request, &mut Response, &Context)`, as the
/// component's `wasi:http/incoming-handler`.
#[macro_export]
macro_rules! export_http_handler {
    ($handler:path) => {
        struct __WasmFcHttpGuest;
        impl $crate::__wasip2::exports::http::incoming_handler::Guest for __WasmFcHttpGuest {
            fn handle(
                request: $crate::__wasip2::http::types::IncomingRequest,
                out: $crate::__wasip2::http::types::ResponseOutparam,
            ) {
                $crate::http::serve(request, out, $handler)
            }
        }
        $crate::__wasip2::http::proxy::export!(__WasmFcHttpGuest with_types_in $crate::__wasip2);
    };
}
