//! WebSocket on HTTP triggers. The guest-side contract (no new WIT: any
//! `wasi:http` component or CGI command can serve it):
//!
//! - A `GET` with `Upgrade: websocket` to the trigger's path (GET must be in
//!   `methods`; `authType` applies) first invokes the function with that GET and
//!   `x-fc-websocket-event: connect`. A 2xx answer accepts the connection (a
//!   non-empty body is sent as the first message); any other answer is returned
//!   to the client as is, and no connection is made.
//! - Every client message invokes the function with `POST {path}`,
//!   `x-fc-websocket-event: message` and `x-fc-websocket-message-type: text|binary`;
//!   the body is the message. A non-empty 2xx body is sent back as one message
//!   (text when the client sent text and the body is UTF-8). A failure or a
//!   non-2xx answer closes the connection with 1011 and the reason.
//! - When the client closes, the function gets `x-fc-websocket-event: close`.
//! - Every event carries `x-fc-websocket-connection-id` (stable for the
//!   connection) and the handshake's headers. Events go through the function's
//!   warm pool like any call, so per-connection state belongs under the
//!   connection id (as on FC, where a connection's requests can meet different
//!   instances); each event has the function's timeout.
//! - The platform answers pings; messages are capped at 32 MB.
//!
//! Left open: server-initiated pushes (a message only answers a message).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::extract::Request;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};

use super::proxy::{HOP_BY_HOP, Target, client_ip, context, invoke_observed, strip};
use crate::control::error::{ApiError, ApiResult};
use crate::invoke::MAX_SYNC_PAYLOAD;
use crate::triggers::platform::Platform;

/// Handshake headers that mean nothing to the function's events.
const HANDSHAKE_ONLY: [header::HeaderName; 4] = [
    header::SEC_WEBSOCKET_KEY,
    header::SEC_WEBSOCKET_VERSION,
    header::SEC_WEBSOCKET_EXTENSIONS,
    header::CONTENT_LENGTH,
];

/// Is this a WebSocket handshake?
pub fn is_upgrade(request: &Request) -> bool {
    request.method() == Method::GET
        && request
            .headers()
            .get(header::UPGRADE)
            .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
}

/// One connection's fixed parts.
struct Session {
    platform: Arc<Platform>,
    target: Target,
    connection_id: String,
    headers: HeaderMap,
    client_ip: Option<std::net::IpAddr>,
}

/// Runs the `connect` event, then upgrades (or returns the function's refusal).
pub(super) async fn accept(
    platform: Arc<Platform>,
    target: Target,
    request: Request,
    request_id: String,
) -> ApiResult<Response> {
    let client_ip = client_ip(&request);
    let (mut parts, _) = request.into_parts();
    let upgrade = WebSocketUpgrade::from_request_parts(&mut parts, &())
        .await
        .map_err(|e| ApiError::InvalidArgument(format!("bad WebSocket handshake: {e}")))?;
    let mut headers = parts.headers;
    strip(&mut headers, &HOP_BY_HOP);
    strip(&mut headers, &HANDSHAKE_ONLY);
    let session = Arc::new(Session {
        platform,
        target,
        connection_id: uuid::Uuid::new_v4().to_string(),
        headers,
        client_ip,
    });
    let (status, greeting) = match session.event(&request_id, "connect", None).await? {
        Ok(answer) => answer,
        Err(refusal) => return Ok(refusal),
    };
    if !status.is_success() {
        return Ok((status, greeting).into_response());
    }
    Ok(upgrade
        .max_message_size(MAX_SYNC_PAYLOAD)
        .on_upgrade(move |socket| session.run(socket, greeting)))
}

impl Session {
    /// Invokes the function for one event: `Ok(Ok((status, body)))` on an answer,
    /// `Ok(Err(response))` when the function failed (FC's 502).
    async fn event(
        &self,
        request_id: &str,
        event: &str,
        message: Option<(&str, Bytes)>,
    ) -> ApiResult<Result<(axum::http::StatusCode, Bytes), Response>> {
        let p = &self.platform;
        let mut extra = vec![
            ("x-fc-websocket-event".to_string(), event.to_string()),
            (
                "x-fc-websocket-connection-id".to_string(),
                self.connection_id.clone(),
            ),
        ];
        let (method, body) = match message {
            Some((kind, body)) => {
                extra.push(("x-fc-websocket-message-type".into(), kind.into()));
                (Method::POST, body)
            }
            None if event == "connect" => (Method::GET, Bytes::new()),
            None => (Method::POST, Bytes::new()),
        };
        let mut request = axum::http::Request::new(Full::new(body));
        *request.method_mut() = method;
        *request.uri_mut() = self
            .target
            .path
            .parse()
            .map_err(|e| ApiError::InvalidArgument(format!("bad request path: {e}")))?;
        *request.headers_mut() = self.headers.clone();
        let ctx = context(&self.target, request_id, extra);
        match invoke_observed(p, &self.target, request, &ctx, self.client_ip).await? {
            Ok(response) => {
                let status = response.status();
                let body = Limited::new(response.into_body(), MAX_SYNC_PAYLOAD)
                    .collect()
                    .await
                    .map(|c| c.to_bytes())
                    .map_err(|e| ApiError::BadGateway(format!("reading the answer: {e}")))?;
                Ok(Ok((status, body)))
            }
            Err(failure) => Ok(Err(failure)),
        }
    }

    /// Relays messages until either side closes.
    async fn run(self: Arc<Self>, mut socket: WebSocket, greeting: Bytes) {
        if !greeting.is_empty() && socket.send(reply(greeting, true)).await.is_err() {
            return;
        }
        while let Some(Ok(message)) = socket.recv().await {
            let (kind, body, text) = match message {
                Message::Text(t) => ("text", Bytes::from(t.as_str().to_owned()), true),
                Message::Binary(b) => ("binary", b, false),
                Message::Close(_) => break,
                Message::Ping(_) | Message::Pong(_) => continue, // axum answers pings
            };
            let request_id = uuid::Uuid::new_v4().to_string();
            let close_reason = match self.event(&request_id, "message", Some((kind, body))).await {
                Ok(Ok((status, answer))) if status.is_success() => {
                    if !answer.is_empty() && socket.send(reply(answer, text)).await.is_err() {
                        return;
                    }
                    continue;
                }
                Ok(Ok((status, _))) => format!("the function answered {status}"),
                Ok(Err(_)) => "the function failed".to_string(),
                Err(e) => e.to_string(),
            };
            let _ = socket
                .send(Message::Close(Some(CloseFrame {
                    code: axum::extract::ws::close_code::ERROR,
                    reason: truncate(&close_reason).into(),
                })))
                .await;
            break;
        }
        let request_id = uuid::Uuid::new_v4().to_string();
        let _ = self.event(&request_id, "close", None).await;
    }
}

/// A function's answer as a message: text when the client spoke text and it is UTF-8.
fn reply(body: Bytes, text: bool) -> Message {
    match (text, std::str::from_utf8(&body)) {
        (true, Ok(s)) => Message::Text(s.to_owned().into()),
        _ => Message::Binary(body),
    }
}

/// Close reasons are at most 123 bytes.
fn truncate(reason: &str) -> &str {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}
