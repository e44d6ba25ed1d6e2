//! The invoke layer: the invocation pipeline shared by InvokeFunction (sync),
//! the async workers and the triggers (resolve → engine function, deployed
//! once → invoke with the FC context), the durable queue and its destinations,
//! and observation (metrics and function logs). It imports only `control`.

pub mod fires;
pub mod function_logs;
pub mod invoker;
pub mod logstore_writer;
pub mod metrics;
pub mod nodes;
pub mod observe;
pub mod queue;
pub mod supervise;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::Bytes;
use wasm_fc_engine::{Function, InvokeContext, InvokeError, Outcome, caps};

use crate::control::error::{ApiError, ApiResult};
use crate::control::resolve::Resolved;
use crate::invoke::invoker::Invoker;

/// Payload limits (fc-api.md §3.6): 32 MB sync, 128 KB async.
pub const MAX_SYNC_PAYLOAD: usize = 32 << 20;
pub const MAX_ASYNC_PAYLOAD: usize = 128 << 10;

/// Runs one invocation of a resolved function version and accounts for it
/// (metrics and function log, labelled with `trigger`).
pub async fn run(
    p: &Invoker,
    resolved: &Resolved,
    trigger: &str,
    payload: Bytes,
    request_id: &str,
    retry_count: u32,
    event_depth: Option<u32>,
) -> ApiResult<Outcome> {
    let function = function_for(p, resolved).await?;
    let mut ctx = context(p, resolved, request_id, retry_count);
    // An event-triggered invocation marks every request it makes with its
    // event's chain depth, which the object store's loop guard reads.
    if let Some(depth) = event_depth {
        ctx.outbound_headers.push((
            wasm_fc_objectstore::event::EVENT_DEPTH_HEADER.to_string(),
            depth.to_string(),
        ));
    }
    let invoked = if resolved.interpreted_http {
        function.invoke_as_http_request(payload, &ctx).await
    } else {
        function.invoke(payload, &ctx).await
    };
    match invoked {
        Ok(outcome) => {
            crate::invoke::observe::finished(p, resolved, trigger, request_id, &outcome);
            Ok(outcome)
        }
        Err(err) => {
            if matches!(err, InvokeError::Throttled { .. }) {
                crate::invoke::observe::throttled(p, resolved, trigger);
            }
            Err(invoke_error(err))
        }
    }
}

/// FC's log block for one invocation (fc-api.md §7.4).
pub fn log_block(request_id: &str, outcome: &Outcome) -> Vec<u8> {
    let mut block = format!("FC Invoke Start RequestId: {request_id}\n").into_bytes();
    block.extend_from_slice(&outcome.log);
    if !outcome.log.is_empty() && !outcome.log.ends_with(b"\n") {
        block.push(b'\n');
    }
    block.extend_from_slice(format!("FC Invoke End RequestId: {request_id}\n").as_bytes());
    block
}

/// `X-Fc-Log-Result`: base64 of the last 4 KB of the log block.
pub fn log_result(request_id: &str, outcome: &Outcome) -> String {
    let block = log_block(request_id, outcome);
    let start = block.len().saturating_sub(caps::LOG_TAIL_BYTES);
    BASE64.encode(&block[start..])
}

/// FC's function-error body: `{"errorMessage","errorType","stackTrace"}`.
pub fn error_body(error: &wasm_fc_engine::FunctionError) -> serde_json::Value {
    serde_json::json!({ "errorMessage": error.message, "errorType": error.error_type, "stackTrace": stack_trace(error) })
}

/// `stackTrace` as FC shows it: strings (Node.js, Wasm) or frame lists (Python).
pub fn stack_trace(error: &wasm_fc_engine::FunctionError) -> serde_json::Value {
    use wasm_fc_engine::StackFrame;
    error
        .stack_trace
        .iter()
        .map(|frame| match frame {
            StackFrame::Text(text) => serde_json::json!(text),
            StackFrame::Parts(parts) => serde_json::json!(parts),
        })
        .collect()
}

/// The FC context of one invocation of a resolved function version.
pub fn context(
    p: &Invoker,
    resolved: &Resolved,
    request_id: &str,
    retry_count: u32,
) -> InvokeContext {
    InvokeContext {
        request_id: request_id.to_string(),
        qualifier: resolved.qualifier.clone(),
        version_id: resolved.version_id.clone(),
        region: p.identity.region.clone(),
        account_id: p.identity.account_id.clone(),
        log_project: resolved.service.log_config.project.clone(),
        log_store: resolved.service.log_config.logstore.clone(),
        retry_count,
        ..InvokeContext::default()
    }
}

/// The engine function that runs a resolved version (deployed once, then cached).
pub async fn function_for(p: &Invoker, resolved: &Resolved) -> ApiResult<Function> {
    let version = if resolved.version_id.is_empty() {
        "LATEST"
    } else {
        resolved.version_id.as_str()
    };
    p.engine_function(&resolved.service, &resolved.function, version)
        .await
}

/// Engine refusals as FC errors.
pub fn invoke_error(err: InvokeError) -> ApiError {
    match err {
        InvokeError::Throttled { .. } => ApiError::Throttled(err.to_string()),
        InvokeError::WrongAbi(message) => ApiError::InvalidArgument(message),
        other => ApiError::internal("invoking the function", other),
    }
}
