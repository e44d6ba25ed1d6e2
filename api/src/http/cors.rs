//! CORS on HTTP triggers: FC allows cross-origin requests by default.
//!
//! - A preflight (`OPTIONS` with `Access-Control-Request-Method`) to a trigger that
//!   does not list `OPTIONS` is answered by the platform: 200, echoing the origin,
//!   the requested method (when the trigger allows it) and headers, with
//!   `Access-Control-Max-Age: 3600` (what FC's local emulator does). A trigger that
//!   lists `OPTIONS` gets every preflight itself.
//! - Any other answer to a request with an `Origin` gets
//!   `Access-Control-Allow-Origin: <origin>` unless the function set CORS itself.

use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::triggers::http::HttpConfig;

/// The platform's answer to a preflight, when the function does not take OPTIONS.
pub fn preflight(method: &Method, headers: &HeaderMap, config: &HttpConfig) -> Option<Response> {
    if method != Method::OPTIONS
        || config.allows(&Method::OPTIONS)
        || !headers.contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
    {
        return None;
    }
    let mut response = StatusCode::OK.into_response();
    let out = response.headers_mut();
    if let Some(origin) = headers.get(header::ORIGIN) {
        out.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    }
    let allowed = config
        .methods
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if let Ok(value) = HeaderValue::from_str(&allowed) {
        out.insert(header::ACCESS_CONTROL_ALLOW_METHODS, value);
    }
    if let Some(requested) = headers.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        out.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, requested.clone());
    }
    out.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("3600"),
    );
    Some(response)
}

/// Adds `Access-Control-Allow-Origin` for a cross-origin request, unless the function set it.
pub fn allow_origin(origin: Option<&HeaderValue>, response: &mut Response) {
    if let Some(origin) = origin
        && !response
            .headers()
            .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN)
    {
        response
            .headers_mut()
            .insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    }
}
