//! The http layer, the only one that knows axum and hyper: the server and its
//! accept loop, middleware (request ids, FC signatures, Content-MD5), the FC
//! API routes and their OpenAPI document, the HTTP-trigger proxy with
//! WebSocket and CORS, and the one mapping from error to response.

pub mod alertmanager;
pub mod connections;
pub mod console;
pub mod content_md5;
pub mod cors;
pub mod error_response;
pub mod fc3;
pub mod logstores;
pub mod openapi;
pub mod oss_notifications;
pub mod peer_logs;
pub mod proxy;
pub mod routes;
pub mod server;
pub mod tea_compat;
pub mod websocket;
