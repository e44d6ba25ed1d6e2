//! `/console/api/{rest}`: the console's way into the API. The request goes
//! to the same FC handlers as a signed one (`/{rest}`, query kept, body,
//! headers and answer untouched), once [`super::session::authorize`] has
//! checked its session and, for writes, its CSRF token.
//!
//! Forwarded: `/2016-08-15/…` (FC's API; FC 3.0 functions show there as the
//! services they are stored as) and `/_wasm-fc/…` (function logs, metrics
//! history, timers, logstores). Anything else is a 404.
//!
//! A log read is also signed with the session's key as an SDK would sign it:
//! on a store several nodes share, the node gathers the other nodes' records
//! by forwarding the read's signature to them (`crate::http::peer_logs`).

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt as _;

use super::ConsoleState;
use super::error::ConsoleError;
use super::session::{COOKIE, authorize};
use crate::control::auth::{SignedRequest, fc_authorization};
use crate::http::server::RequestId;

/// The API prefixes the console forwards.
const FORWARDED: [&str; 2] = ["/2016-08-15/", "/_wasm-fc/"];

/// Forwards one console API call (see the module doc).
pub async fn forward(State(state): State<ConsoleState>, request: Request) -> Response {
    let session = match authorize(&state, request.method(), request.headers()) {
        Ok(session) => session,
        Err(err) => return err.into_response(),
    };
    let Some(target) = api_uri(request.uri()) else {
        return ConsoleError::NotForwarded(request.uri().path().to_string()).into_response();
    };
    // A new request: the outer route's matched `{*rest}` lives in the
    // extensions and would be taken for the API route's path parameters. Only
    // the request id goes along, so that the API answers with this request's id.
    let (mut parts, body) = request.into_parts();
    if parts.method == axum::http::Method::GET && target.path().starts_with("/_wasm-fc/logs/") {
        sign_for_peers(&mut parts.headers, &target, &state, &session.access_key_id);
    }
    let mut inner = Request::new(body);
    *inner.method_mut() = parts.method;
    *inner.uri_mut() = target;
    *inner.version_mut() = parts.version;
    *inner.headers_mut() = parts.headers;
    if let Some(id) = parts.extensions.get::<RequestId>() {
        inner.extensions_mut().insert(id.clone());
    }
    // The API never sees the session cookie.
    strip_cookie(inner.headers_mut());
    match state.api.clone().oneshot(inner).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Signs a GET of `target` with the key `key_id` (FC's scheme, dated now),
/// replacing any `date` and `authorization` the browser sent.
fn sign_for_peers(headers: &mut HeaderMap, target: &Uri, state: &ConsoleState, key_id: &str) {
    let Some(secret) = state.keys.secret_for(key_id) else {
        return; // the session check already required the key to exist
    };
    let date = httpdate::fmt_http_date(std::time::SystemTime::now());
    let Ok(date_value) = HeaderValue::from_str(&date) else {
        return;
    };
    headers.insert(header::DATE, date_value);
    let signed = SignedRequest {
        method: "GET",
        path: target.path(),
        query: target.query(),
        headers: headers
            .iter()
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_string())))
            .collect(),
    };
    let authorization = fc_authorization(key_id, &secret, &signed);
    if let Ok(value) = HeaderValue::from_str(&authorization) {
        headers.insert(header::AUTHORIZATION, value);
    }
}

/// `/console/api/{rest}?q` → `/{rest}?q`, when `/{rest}` is forwarded.
fn api_uri(uri: &Uri) -> Option<Uri> {
    let rest = uri.path().strip_prefix("/console/api")?;
    if !FORWARDED.iter().any(|prefix| rest.starts_with(prefix)) || rest.contains("/../") {
        return None;
    }
    let target = match uri.query() {
        Some(query) => format!("{rest}?{query}"),
        None => rest.to_string(),
    };
    target.parse().ok()
}

/// Removes the session cookie from the headers, keeping any other cookie.
fn strip_cookie(headers: &mut axum::http::HeaderMap) {
    let kept: Vec<String> = headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .map(str::trim)
        .filter(|pair| !pair.is_empty() && !pair.starts_with(&format!("{COOKIE}=")))
        .map(str::to_string)
        .collect();
    headers.remove(axum::http::header::COOKIE);
    if let Ok(value) = axum::http::HeaderValue::from_str(&kept.join("; "))
        && !kept.is_empty()
    {
        headers.insert(axum::http::header::COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwards_only_the_api_paths() {
        let map = |s: &str| api_uri(&s.parse().unwrap()).map(|u| u.to_string());
        assert_eq!(
            map("/console/api/2016-08-15/services?limit=5").as_deref(),
            Some("/2016-08-15/services?limit=5")
        );
        assert_eq!(
            map("/console/api/_wasm-fc/timers").as_deref(),
            Some("/_wasm-fc/timers")
        );
        assert_eq!(map("/console/api/metrics"), None);
        assert_eq!(map("/console/api/2023-03-30/functions"), None);
        assert_eq!(map("/console/api/2016-08-15/../metrics"), None);
    }
}
