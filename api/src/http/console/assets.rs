//! The console's static files (`api/src/http/console/assets/`), embedded in
//! the binary and served under `/console/assets/{name}` with an ETag (the
//! file's SHA-256) and `Cache-Control: no-cache`, so a browser revalidates
//! and an upgraded server never serves a stale script.
//!
//! `WASM_FC_CONSOLE_ASSETS_DIR` (unset by default) serves the files from that
//! directory instead, read on every request: for working on the console
//! without rebuilding. Names are plain file names; anything with a `/`, `\`
//! or leading `.` is refused, so the switch cannot reach outside the directory.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::error::ConsoleError;

#[derive(rust_embed::Embed)]
#[folder = "src/http/console/assets/"]
struct Assets;

/// `GET /console/` : the page.
pub async fn index(headers: HeaderMap) -> Response {
    serve("index.html", &headers)
}

/// `GET /console/assets/{name}`.
pub async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers)
}

fn serve(name: &str, headers: &HeaderMap) -> Response {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return ConsoleError::NoAsset(name.to_string()).into_response();
    }
    let (bytes, etag) = match std::env::var_os("WASM_FC_CONSOLE_ASSETS_DIR") {
        Some(dir) => match std::fs::read(std::path::Path::new(&dir).join(name)) {
            Ok(bytes) => (bytes, None),
            Err(_) => return ConsoleError::NoAsset(name.to_string()).into_response(),
        },
        None => match Assets::get(name) {
            Some(file) => (
                file.data.into_owned(),
                Some(format!("\"{}\"", hex::encode(file.metadata.sha256_hash()))),
            ),
            None => return ConsoleError::NoAsset(name.to_string()).into_response(),
        },
    };
    if let Some(etag) = &etag
        && headers
            .get(header::IF_NONE_MATCH)
            .is_some_and(|sent| sent.as_bytes() == etag.as_bytes())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut response = (
        [
            (header::CONTENT_TYPE, content_type(name)),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response();
    if let Some(value) = etag.and_then(|e| HeaderValue::from_str(&e).ok()) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The content type of an asset, from its extension.
fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("txt" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
