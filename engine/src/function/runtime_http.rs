//! HTTP invocations of interpreted runtimes: the request is buffered (as FC
//! does for Python and Node.js handlers), passed as one record, and the
//! handler's record becomes the response.

use std::net::IpAddr;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tokio::sync::OwnedSemaphorePermit;

use super::http_invoke::{already_finished, buffered, failed_http};
use super::{Function, Unavailable, settle};
use crate::abi::{event, runtime};
use crate::config::InvokeContext;
use crate::error::{FunctionError, InvokeError};
use crate::host::context::{FcContext, is_context_header};
use crate::outcome::{BodyError, HttpOutcome, Outcome, ResponseBody};
use crate::pool::Exports;

impl Function {
    pub(super) async fn http_on_runtime<B>(
        &self,
        request: http::Request<B>,
        ctx: &InvokeContext,
        client_ip: Option<IpAddr>,
        permit: OwnedSemaphorePermit,
        started: Instant,
    ) -> Result<HttpOutcome, InvokeError>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: std::fmt::Display,
    {
        let (parts, body) = request.into_parts();
        let record = request_record(&parts, buffered(body).await?, ctx, client_ip);
        let (mut instance, cold_start) = match self.checkout().await {
            Ok(found) => found,
            Err(Unavailable::Platform(err)) => return Err(err),
            Err(Unavailable::Guest(error, log)) => return Ok(failed_http(error, log, started)),
        };
        let config = &self.inner.config;
        let context = event::context_record(&FcContext {
            function: config,
            invoke: ctx,
            instance_id: &instance.id,
        });
        let (reply, healthy) = match self.initialize(&mut instance, &context).await {
            Err(failed) => (Err(failed), false),
            Ok(()) => {
                let Exports::Runtime(bindings) = &instance.exports else {
                    return Err(InvokeError::Internal(
                        "runtime instance has the wrong exports".into(),
                    ));
                };
                settle(
                    runtime::handle_http(&mut instance.store, bindings, config, &record, &context)
                        .await,
                )
            }
        };
        drop(permit);
        let response = reply.and_then(to_response);
        let outcome = Outcome {
            result: response
                .as_ref()
                .map(|_| Bytes::new())
                .map_err(Clone::clone),
            log: instance.store.data().log.take(),
            duration: started.elapsed(),
            max_memory_bytes: instance.store.data().limiter.peak_bytes() as u64,
            instance_id: instance.id.clone(),
            cold_start,
        };
        self.release(instance, healthy);
        Ok(HttpOutcome {
            response,
            cold_start,
            finished: already_finished(outcome),
        })
    }
}

/// FC's view of the request: the caller's `x-fc-*` headers dropped, the
/// platform's added, the original URI kept for `req.url`.
fn request_record(
    parts: &http::request::Parts,
    body: Bytes,
    ctx: &InvokeContext,
    client_ip: Option<IpAddr>,
) -> runtime::HttpRequest {
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .filter(|(name, _)| !is_context_header(name.as_str()))
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    headers.extend(ctx.http_headers.iter().cloned());
    let url = if ctx.request_url.is_empty() {
        parts.uri.to_string()
    } else {
        ctx.request_url.clone()
    };
    runtime::HttpRequest {
        method: parts.method.as_str().to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        headers,
        body: body.into(),
        client_ip: client_ip.map(|ip| ip.to_string()).unwrap_or_default(),
        url,
    }
}

/// The handler's record as an HTTP response; a status or header HTTP cannot
/// carry is the function's error (a 502), not a platform panic.
fn to_response(
    reply: runtime::HttpResponse,
) -> Result<http::Response<ResponseBody>, FunctionError> {
    let invalid = |what: String| FunctionError::unhandled("InvalidResponse", what);
    let status = http::StatusCode::from_u16(reply.status)
        .map_err(|_| invalid(format!("status {} is not an HTTP status", reply.status)))?;
    let mut builder = http::Response::builder().status(status);
    for (name, value) in &reply.headers {
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| invalid(format!("{name:?} is not a valid header name")))?;
        let value = http::HeaderValue::from_str(value)
            .map_err(|_| invalid(format!("the value of header {name} is not valid")))?;
        builder = builder.header(name, value);
    }
    let body = Full::new(Bytes::from(reply.body))
        .map_err(|never: std::convert::Infallible| -> BodyError { match never {} })
        .boxed_unsync();
    builder.body(body).map_err(|e| invalid(e.to_string()))
}
