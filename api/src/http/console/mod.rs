//! The web console, served under `/console` by the API's own listener
//! (docs/console.md).
//!
//! The page is static (embedded [`assets`]); everything it shows comes from
//! the FC API and wasm-fc's documented read endpoints, which it reaches
//! through `/console/api/…` ([`api_proxy`]): the same handlers, authorized by
//! a session cookie ([`session`]) instead of a request signature, with a CSRF
//! token on every write. The API routes themselves keep their signature
//! checks: the console adds a way in, and weakens none.
//!
//! Every console response carries a strict Content-Security-Policy (scripts
//! and styles from the console's own files only, no inline script), so even
//! markup that slipped into the page could not run.

mod api_proxy;
mod assets;
mod error;
mod session;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};

use crate::control::console_sessions::ConsoleSessions;
use crate::control::credentials::Credentials;
use crate::triggers::platform::Platform;

/// What the console's handlers share.
#[derive(Clone)]
pub struct ConsoleState {
    pub platform: Arc<Platform>,
    pub keys: Arc<Credentials>,
    pub sessions: Arc<ConsoleSessions>,
    /// The FC API router without its signature check (the console checks the
    /// session instead).
    pub api: Router,
}

impl std::fmt::Debug for ConsoleState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleState").finish_non_exhaustive() // never the keys
    }
}

/// The console's routes: the page, its assets, sign-in and the API
/// forwarding. Fails when the data dir's sign-outs cannot be read.
pub fn router(
    platform: Arc<Platform>,
    keys: Arc<Credentials>,
    api: Router,
) -> std::io::Result<Router> {
    let sessions = ConsoleSessions::load(&platform.control.data_dir, std::time::SystemTime::now())?;
    let state = ConsoleState {
        platform,
        keys,
        sessions: Arc::new(sessions),
        api,
    };
    Ok(Router::new()
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/").into_response() }),
        )
        .route("/console/", get(assets::index))
        .route("/console/assets/{name}", get(assets::asset))
        .route(
            "/console/session",
            get(session::current)
                .post(session::sign_in)
                .delete(session::sign_out),
        )
        .route("/console/api/{*rest}", any(api_proxy::forward))
        .with_state(state)
        .layer(middleware::from_fn(security_headers)))
}

/// The Content-Security-Policy of every console response: only the console's
/// own scripts, styles and API; no inline script or style attribute, no
/// framing, no form posts elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Adds the CSP and its companions to every console response.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
