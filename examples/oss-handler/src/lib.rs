//! OSS handler: what an OSS-triggered function does in the tests.
//!
//! - Logs when it started (`start_us <µs since the epoch>`) and the whole
//!   event it got (`event <json>`), so tests check FC's OSS event field by
//!   field from the function log, and returns it.
//! - `OSS_FAIL=1`: fails every time (retries, then the dead letter).
//! - `OSS_FAIL_ON=<text>`: fails for events that contain the text (a poison
//!   message among good ones).
//! - `SINK_URL=<http URL>`: PUTs the whole event there before returning, so a
//!   test outside the platform counts what ran even if the platform is then
//!   killed (the broker tests' crash and restart cases).
//! - `OSS_SLEEP_MS=<n>`: takes n ms per event (a stream still in flight).
//! - `OSS_PUT_URL=<presigned S3 PUT URL>`: writes an object there before
//!   returning, so a trigger on that bucket fires again (the loop guard's
//!   test). The request goes out over `wasi:http`, where the host marks it
//!   with the invocation's event-chain depth.

use wasm_fc_guest::{Context, Error, log};

fn handler(event: Vec<u8>, _ctx: &Context) -> Result<String, Error> {
    // When the handler started, on the host's wall clock (benches/oss.py's lag).
    let start_us = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0);
    log::info!("start_us {start_us}");
    let text = String::from_utf8(event)?;
    log::info!("event {text}");
    if let Some(ms) = std::env::var("OSS_SLEEP_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    if std::env::var("OSS_FAIL").as_deref() == Ok("1") {
        return Err(Error::typed("Failed", "failing on purpose (OSS_FAIL=1)"));
    }
    if let Ok(poison) = std::env::var("OSS_FAIL_ON")
        && text.contains(&poison)
    {
        return Err(Error::typed("Failed", "failing on purpose (OSS_FAIL_ON)"));
    }
    if let Ok(url) = std::env::var("SINK_URL") {
        let status = put(&url, text.as_bytes());
        if status != "status 200" {
            return Err(Error::typed(
                "Failed",
                format!("the sink answered {status}"),
            ));
        }
    }
    if let Ok(url) = std::env::var("OSS_PUT_URL") {
        let status = put(&url, b"written by the function");
        log::info!("put {status}");
    }
    Ok(text)
}

/// PUTs `body` to `url` (`http://host:port/path?query`); the status or why not.
fn put(url: &str, body: &[u8]) -> String {
    use wasm_fc_guest::__wasip2::http::{outgoing_handler, types};
    let Some(rest) = url.strip_prefix("http://") else {
        return "bad url".into();
    };
    let (authority, path) = rest
        .split_once('/')
        .map(|(a, p)| (a, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let headers = types::Fields::new();
    let _ = headers.append("content-length", body.len().to_string().as_bytes());
    let request = types::OutgoingRequest::new(headers);
    let _ = request.set_method(&types::Method::Put);
    let _ = request.set_scheme(Some(&types::Scheme::Http));
    let _ = request.set_authority(Some(authority));
    let _ = request.set_path_with_query(Some(&path));
    let Ok(outgoing) = request.body() else {
        return "no body".into();
    };
    let future = match outgoing_handler::handle(request, None) {
        Err(e) => return format!("denied: {e:?}"),
        Ok(future) => future,
    };
    {
        let Ok(stream) = outgoing.write() else {
            return "no body stream".into();
        };
        // blocking_write_and_flush takes at most 4096 bytes at a time.
        for chunk in body.chunks(4096) {
            if let Err(e) = stream.blocking_write_and_flush(chunk) {
                return format!("write failed: {e:?}");
            }
        }
    }
    if let Err(e) = types::OutgoingBody::finish(outgoing, None) {
        return format!("finish failed: {e:?}");
    }
    future.subscribe().block();
    match future.get() {
        Some(Ok(Ok(response))) => format!("status {}", response.status()),
        other => format!("failed: {other:?}"),
    }
}

wasm_fc_guest::export_event_handler!(handler);
