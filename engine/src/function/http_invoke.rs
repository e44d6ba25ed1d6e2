//! The HTTP invocation paths: wasi:http components (warm or fresh) and WASI
//! commands through CGI.

use std::net::IpAddr;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use tokio::sync::{OwnedSemaphorePermit, oneshot};

use super::{Function, Unavailable, failed_outcome};
use crate::abi::executor::HttpDelivery;
use crate::abi::{cgi, command, http as http_abi};
use crate::config::{InvokeContext, caps};
use crate::error::{FunctionError, InvokeError};
use crate::host::context::{self, FcContext, is_context_header};
use crate::outcome::{BodyError, FinishHook, HttpOutcome, Outcome, ResponseBody};
use crate::pool::Exports;

impl Function {
    /// Invokes the function with an HTTP request (HTTP triggers). The request's
    /// URI path should be the path after the function segment. Caller-supplied
    /// `x-fc-*` headers are replaced by the platform's context headers.
    pub async fn invoke_http<B>(
        &self,
        request: http::Request<B>,
        ctx: &InvokeContext,
        client_ip: Option<IpAddr>,
    ) -> Result<HttpOutcome, InvokeError>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: std::fmt::Display,
    {
        self.invoke_http_observed(request, ctx, client_ip, Box::new(|_| {}))
            .await
    }

    /// [`Self::invoke_http`], calling `on_finished` with the invocation's
    /// record as soon as the guest's handler returns (on the task that ran it),
    /// before [`HttpOutcome::finished`] resolves. Not called when the engine
    /// refuses the invocation (`Err`).
    pub async fn invoke_http_observed<B>(
        &self,
        request: http::Request<B>,
        ctx: &InvokeContext,
        client_ip: Option<IpAddr>,
        on_finished: FinishHook,
    ) -> Result<HttpOutcome, InvokeError>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: std::fmt::Display,
    {
        let started = Instant::now();
        let permit = self.admit().await?;
        let mut hook = Some(on_finished);
        let mut outcome = match self.inner.loaded.http_delivery() {
            HttpDelivery::Streamed => {
                self.http_on_component(request, ctx, client_ip, permit, started, &mut hook)
                    .await?
            }
            HttpDelivery::Cgi => {
                let pre =
                    self.inner.loaded.command().ok_or_else(|| {
                        InvokeError::Internal("a CGI ABI without a command".into())
                    })?;
                self.http_on_command(pre, request, ctx, client_ip, permit, started)
                    .await?
            }
            HttpDelivery::Buffered => {
                self.http_on_runtime(request, ctx, client_ip, permit, started)
                    .await?
            }
            HttpDelivery::Refused => {
                return Err(InvokeError::WrongAbi(format!(
                    "function {} is an event handler (fc:function world); HTTP triggers need a wasi:http component or a WASI command (CGI)",
                    self.inner.config.function
                )));
            }
        };
        // Paths other than a wasi:http component leave the hook to us; they
        // have finished already, but wait for the record if one has not.
        if let Some(hook) = hook.take() {
            match outcome.finished.try_recv() {
                Ok(record) => {
                    hook(&record);
                    outcome.finished = already_finished(record);
                }
                Err(oneshot::error::TryRecvError::Empty) => {
                    let (done_tx, finished) = oneshot::channel();
                    let pending = std::mem::replace(&mut outcome.finished, finished);
                    tokio::spawn(async move {
                        if let Ok(record) = pending.await {
                            hook(&record);
                            let _ = done_tx.send(record);
                        }
                    });
                }
                Err(oneshot::error::TryRecvError::Closed) => {}
            }
        }
        Ok(outcome)
    }

    pub(super) async fn http_on_component<B>(
        &self,
        request: http::Request<B>,
        ctx: &InvokeContext,
        client_ip: Option<IpAddr>,
        permit: OwnedSemaphorePermit,
        started: Instant,
        hook: &mut Option<FinishHook>,
    ) -> Result<HttpOutcome, InvokeError>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: std::fmt::Display,
    {
        let (mut instance, cold_start) = match self.checkout().await {
            Ok(found) => found,
            Err(Unavailable::Platform(err)) => return Err(err),
            Err(Unavailable::Guest(error, log)) => return Ok(failed_http(error, log, started)),
        };
        let (done_tx, finished) = oneshot::channel();
        let request = with_context(
            request,
            &FcContext {
                function: &self.inner.config,
                invoke: ctx,
                instance_id: &instance.id,
            },
            &instance.context_headers,
            client_ip,
        );
        let (prepared, response_rx) = http_abi::prepare(&mut instance.store, request)
            .map_err(|e| InvokeError::Internal(format!("{e:#}")))?;
        let this = self.clone();
        let on_finished = hook.take();
        let task = tokio::spawn(async move {
            let _permit = permit;
            let Exports::Http(proxy) = &instance.exports else {
                return Err(FunctionError::unhandled(
                    "InternalError",
                    "http instance has the wrong exports",
                ));
            };
            let result =
                http_abi::call(&mut instance.store, proxy, prepared, &this.inner.config).await;
            let log = instance.store.data().log.take();
            let max_memory_bytes = instance.store.data().limiter.peak_bytes() as u64;
            let instance_id = instance.id.clone();
            this.release(instance, result.is_ok());
            let record = Outcome {
                result: result.clone().map(|()| Bytes::new()),
                log,
                duration: started.elapsed(),
                max_memory_bytes,
                instance_id,
                cold_start,
            };
            if let Some(on_finished) = on_finished {
                on_finished(&record);
            }
            let _ = done_tx.send(record);
            result
        });
        let response = match response_rx.await {
            Ok(Ok(response)) => {
                Ok(response.map(|body| body.map_err(|e| BodyError(e.to_string())).boxed_unsync()))
            }
            Ok(Err(code)) => Err(http_abi::error_code(&code)),
            Err(_) => match task.await {
                Ok(Err(error)) => Err(error),
                Ok(Ok(())) => Err(FunctionError::unhandled(
                    "NoResponse",
                    "the function returned without sending a response",
                )),
                Err(join) => Err(FunctionError::unhandled("InternalError", join.to_string())),
            },
        };
        Ok(HttpOutcome {
            response,
            cold_start,
            finished,
        })
    }

    async fn http_on_command<B>(
        &self,
        pre: &wasmtime::InstancePre<crate::host::state::CommandState>,
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
        let _live = self.live_slot().await?;
        let (parts, body) = request.into_parts();
        let body = buffered(body).await?;
        let instance_id = uuid::Uuid::new_v4().to_string();
        let mut env = FcContext {
            function: &self.inner.config,
            invoke: ctx,
            instance_id: &instance_id,
        }
        .env();
        env.extend(
            cgi::request_env(&parts, body.len(), client_ip)
                .into_iter()
                .filter(|(k, _)| !k.starts_with("HTTP_X_FC_")),
        );
        env.extend(ctx.http_headers.iter().map(|(name, value)| {
            (
                format!("HTTP_{}", name.to_ascii_uppercase().replace('-', "_")),
                value.clone(),
            )
        }));
        let run = command::run(pre, &self.inner.config, &env, body)
            .await
            .map_err(|e| InvokeError::Internal(e.to_string()))?;
        drop(permit);
        self.count(|c| &c.cold_starts);
        let response = run.result.clone().and_then(|stdout| cgi_response(&stdout));
        let record = Outcome {
            result: run.result.map(|_| Bytes::new()),
            log: run.log,
            duration: started.elapsed(),
            max_memory_bytes: run.peak_memory_bytes as u64,
            instance_id,
            cold_start: true,
        };
        Ok(HttpOutcome {
            response,
            cold_start: true,
            finished: already_finished(record),
        })
    }
}

/// A request body read whole, up to FC's sync limit (CGI commands and the
/// interpreted runtimes take the body in one piece).
pub(super) async fn buffered<B>(body: B) -> Result<Bytes, InvokeError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::fmt::Display,
{
    let body = body.map_err(|e| BodyError(e.to_string()));
    match Limited::new(body, caps::MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(InvokeError::Internal(format!(
            "reading the request body: {e}"
        ))),
    }
}

/// The record channel of an invocation that has already finished.
pub(super) fn already_finished(outcome: Outcome) -> oneshot::Receiver<Outcome> {
    let (done_tx, finished) = oneshot::channel();
    let _ = done_tx.send(outcome);
    finished
}

/// A guest that failed before it could answer: its error is the response.
pub(super) fn failed_http(error: FunctionError, log: Bytes, started: Instant) -> HttpOutcome {
    HttpOutcome {
        response: Err(error.clone()),
        cold_start: true,
        finished: already_finished(failed_outcome(error, log, started, true)),
    }
}

/// At most how many context headers an invocation adds besides the
/// instance's: its own fields, the client IP and the platform's extras.
const INVOCATION_HEADERS: usize = 13;

/// Replaces caller `x-fc-*` headers with the platform's context headers and
/// makes sure the request has an authority (wasi:http requires one). The
/// instance's fixed headers are prebuilt; only the invocation's are built here.
fn with_context<B>(
    mut request: http::Request<B>,
    ctx: &FcContext<'_>,
    instance_headers: &[(http::HeaderName, http::HeaderValue)],
    client_ip: Option<IpAddr>,
) -> http::Request<B> {
    let headers = request.headers_mut();
    if headers.keys().any(|k| is_context_header(k.as_str())) {
        let spoofed: Vec<http::HeaderName> = headers
            .keys()
            .filter(|k| is_context_header(k.as_str()))
            .cloned()
            .collect();
        for name in spoofed {
            headers.remove(name);
        }
    }
    headers.reserve(instance_headers.len() + INVOCATION_HEADERS);
    for (name, value) in instance_headers {
        headers.insert(name.clone(), value.clone());
    }
    for (name, value) in context::headers(ctx.invocation_fields()) {
        headers.insert(name, value);
    }
    if let Some(ip) = client_ip
        && let Ok(value) = http::HeaderValue::from_maybe_shared(Bytes::from(ip.to_string()))
    {
        headers.insert(context::names::CLIENT_IP, value);
    }
    for (name, value) in &ctx.invoke.http_headers {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            http::HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    if !headers.contains_key(http::header::HOST) && request.uri().authority().is_none() {
        request.headers_mut().insert(
            http::header::HOST,
            http::HeaderValue::from_static("localhost"),
        );
    }
    request
}

/// A CGI stdout as an HTTP response.
fn cgi_response(stdout: &Bytes) -> Result<http::Response<ResponseBody>, FunctionError> {
    let parsed =
        cgi::parse_response(stdout).map_err(|e| FunctionError::unhandled("BadCgiResponse", e))?;
    let mut builder = http::Response::builder().status(parsed.status);
    for (name, value) in &parsed.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let body = Full::new(stdout.slice(parsed.body_offset..))
        .map_err(|never| match never {})
        .boxed_unsync();
    builder
        .body(body)
        .map_err(|e| FunctionError::unhandled("BadCgiResponse", e.to_string()))
}
