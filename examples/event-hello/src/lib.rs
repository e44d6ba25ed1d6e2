//! Event hello: JSON in, JSON out. Logs through the SDK and reads an env var.
//!
//! Event: `{"name": "..."}` (anything else is a handled `InvalidEvent` error).
//! Result: `{"greeting": "<GREETING or hello>, <name>", "requestId", "function", "service", "qualifier"}`.

use wasm_fc_guest::{Context, Error, log};

fn handler(event: Vec<u8>, ctx: &Context) -> Result<String, Error> {
    let text = String::from_utf8(event)?;
    let name = extract_name(&text).ok_or_else(|| {
        Error::typed(
            "InvalidEvent",
            format!("expected {{\"name\": ...}}, got {text:?}"),
        )
    })?;
    let greeting = std::env::var("GREETING").unwrap_or_else(|_| "hello".to_string());
    log::info!("greeting {name}");
    Ok(format!(
        r#"{{"greeting":"{greeting}, {name}","requestId":"{}","function":"{}","service":"{}","qualifier":"{}","memorySize":{}}}"#,
        ctx.request_id,
        ctx.function.name,
        ctx.service.name,
        ctx.service.qualifier,
        ctx.function.memory_size
    ))
}

/// A tiny extractor for `"name": "value"` so the guest stays dependency-free.
fn extract_name(json: &str) -> Option<&str> {
    let after_key = json.split_once("\"name\"")?.1;
    let after_colon = after_key.trim_start().strip_prefix(':')?.trim_start();
    let value = after_colon.strip_prefix('"')?;
    value.split_once('"').map(|(name, _)| name)
}

wasm_fc_guest::export_event_handler!(handler);
