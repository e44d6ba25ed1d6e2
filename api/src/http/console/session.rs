//! `/console/session`: sign in (POST), who is signed in (GET), sign out
//! (DELETE); and the checks every console API call makes: the session cookie,
//! the request's origin, and the CSRF token of writes.
//!
//! The cookie `wfc_console` is `HttpOnly` (no script reads it),
//! `SameSite=Strict` (no other site's page sends it), `Path=/console`, lasts
//! as long as the session, and is `Secure` when the request came over HTTPS
//! (`X-Forwarded-Proto: https` from a proxy in front).

use std::time::SystemTime;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ConsoleState;
use super::error::ConsoleError;
use crate::control::console_sessions::{ConsoleSessions, SESSION_LIFETIME, Session, SessionError};

/// The session cookie's name.
pub const COOKIE: &str = "wfc_console";
/// The header that carries the CSRF token on writes.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The sign-in body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SignIn {
    access_key_id: String,
    access_key_secret: String,
}

/// `GET /console/session`: the signed-in key and its CSRF token, or 401.
pub async fn current(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    match session_of(&state, &headers) {
        Ok(session) => describe(&state, &session).into_response(),
        Err(err) => err.into_response(),
    }
}

/// `POST /console/session`: signs in with `{"accessKeyId","accessKeySecret"}`.
pub async fn sign_in(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(err) = same_origin(&headers) {
        return err.into_response();
    }
    let form: SignIn = match serde_json::from_slice(&body) {
        Ok(form) => form,
        Err(e) => {
            return ConsoleError::BadRequest(format!(
                "the sign-in body must be {{\"accessKeyId\",\"accessKeySecret\"}}: {e}"
            ))
            .into_response();
        }
    };
    let session = match state.sessions.sign_in(
        &state.platform.url_signer,
        &state.keys,
        &form.access_key_id,
        &form.access_key_secret,
        SystemTime::now(),
    ) {
        Ok(session) => session,
        Err(err) => {
            tracing::warn!(
                "console sign-in refused for key id {:?}",
                form.access_key_id
            );
            return ConsoleError::from(err).into_response();
        }
    };
    let cookie = format!(
        "{COOKIE}={}; HttpOnly; SameSite=Strict; Path=/console; Max-Age={}{}",
        session.token,
        SESSION_LIFETIME.as_secs(),
        secure_suffix(&headers)
    );
    let mut response = describe(&state, &session).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// `DELETE /console/session`: signs out (needs the CSRF token) and clears the cookie.
pub async fn sign_out(State(state): State<ConsoleState>, headers: HeaderMap) -> Response {
    let session = match authorize(&state, &Method::DELETE, &headers) {
        Ok(session) => session,
        Err(err) => return err.into_response(),
    };
    if let Err(err) = state.sessions.sign_out(&session, SystemTime::now()) {
        tracing::warn!(
            "console sign-out holds only until this process stops: writing it to the data dir failed: {err}"
        );
    }
    let cookie = format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/console; Max-Age=0{}",
        secure_suffix(&headers)
    );
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// The checks of a console API call: a request from the console's own pages,
/// a valid session, and for anything but GET and HEAD the session's CSRF token.
pub fn authorize(
    state: &ConsoleState,
    method: &Method,
    headers: &HeaderMap,
) -> Result<Session, ConsoleError> {
    same_origin(headers)?;
    let session = session_of(state, headers)?;
    if method != Method::GET && method != Method::HEAD {
        let sent = headers
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ConsoleSessions::csrf_matches(&session, sent) {
            return Err(ConsoleError::Csrf);
        }
    }
    Ok(session)
}

/// The session the request's cookie holds.
fn session_of(state: &ConsoleState, headers: &HeaderMap) -> Result<Session, ConsoleError> {
    let token = cookie(headers, COOKIE).ok_or(SessionError::Missing)?;
    Ok(state.sessions.check(
        &state.platform.url_signer,
        &state.keys,
        token,
        SystemTime::now(),
    )?)
}

/// Refuses requests a browser says came from another site's page
/// (`Sec-Fetch-Site: cross-site` or `same-site`). Requests without the header
/// (older browsers, tools) still need the SameSite cookie and the CSRF token.
fn same_origin(headers: &HeaderMap) -> Result<(), ConsoleError> {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        None | Some("same-origin") | Some("none") => Ok(()),
        Some(other) => Err(ConsoleError::CrossSite(other.to_string())),
    }
}

/// What the page learns about its session.
fn describe(state: &ConsoleState, session: &Session) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({
        "accessKeyId": session.access_key_id,
        "csrfToken": session.csrf_token,
        "expiresAtMs": session.expires.saturating_mul(1000),
        "accountId": state.platform.control.identity.account_id,
        "region": state.platform.control.identity.region,
    }))
}

/// `; Secure` when a proxy in front says the request came over HTTPS.
fn secure_suffix(headers: &HeaderMap) -> &'static str {
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    if https { "; Secure" } else { "" }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}
