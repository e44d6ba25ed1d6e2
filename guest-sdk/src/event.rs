//! Glue between the generated `fc:function` exports and the user's functions.
//! Used by [`crate::export_event_handler!`]; not a stable API.

use crate::bindings::fc::function::types as wit;
use crate::{Context, Error, log};

/// Converts a handler's return value into the response bytes.
pub trait IntoBody {
    fn into_body(self) -> Vec<u8>;
}

impl IntoBody for Vec<u8> {
    fn into_body(self) -> Vec<u8> {
        self
    }
}
impl IntoBody for String {
    fn into_body(self) -> Vec<u8> {
        self.into_bytes()
    }
}
impl IntoBody for &'static str {
    fn into_body(self) -> Vec<u8> {
        self.as_bytes().to_vec()
    }
}
impl IntoBody for () {
    fn into_body(self) -> Vec<u8> {
        Vec::new()
    }
}

/// The initializer used when none is given: does nothing.
pub fn no_initializer(_ctx: &Context) -> Result<(), Error> {
    Ok(())
}

/// Runs the user's initializer with the request id set for logging.
pub fn run_initializer<E: Into<Error>>(
    ctx: wit::Context,
    init: fn(&Context) -> Result<(), E>,
) -> Result<(), wit::Error> {
    let ctx = Context::from(ctx);
    log::set_request_id(&ctx.request_id);
    init(&ctx).map_err(|e| to_wit(e.into()))
}

/// Runs the user's handler with the request id set for logging.
pub fn run_handler<R: IntoBody, E: Into<Error>>(
    event: Vec<u8>,
    ctx: wit::Context,
    handler: fn(Vec<u8>, &Context) -> Result<R, E>,
) -> Result<Vec<u8>, wit::Error> {
    let ctx = Context::from(ctx);
    log::set_request_id(&ctx.request_id);
    handler(event, &ctx)
        .map(IntoBody::into_body)
        .map_err(|e| to_wit(e.into()))
}

fn to_wit(err: Error) -> wit::Error {
    wit::Error {
        error_type: err.error_type,
        error_message: err.message,
        stack_trace: err.stack_trace,
    }
}
